//! What `cloudcontrol_address_list` and `cloudcontrol_port_list` share: the entry count rule,
//! refusing a create, and taking over a list an interrupted apply left.

use std::future::Future;

use tfplugin::provider::{ApplyResponse, OperationContext};
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Value};

use crate::adopt::{differences, Found, MarkerPlace};
use crate::provider::ProviderData;
use crate::rules::MAX_LIST_ENTRIES;

/// A list holds at least one entry (`entries` blocks) or included list (`children`), and at
/// most [`MAX_LIST_ENTRIES`] entries. Unknown values are not counted against the first rule.
pub fn check_entry_count(config: &Value, entries: &str, children: &str, diags: &mut Diagnostics) {
    let (blocks, included) = (config.attr(entries), config.attr(children));
    let count = blocks.elements().len();
    if count > MAX_LIST_ENTRIES {
        diags.error_at(
            AttributePath::attribute(entries),
            "Too many entries",
            format!("{count} {entries} blocks; a list holds at most {MAX_LIST_ENTRIES}"),
        );
    }
    let unknown = !blocks.is_known() || !included.is_known();
    if count == 0 && included.elements().is_empty() && !unknown {
        diags.error_at(
            AttributePath::attribute(entries),
            "Empty list",
            format!("a list needs at least one {entries} block or one of {children}"),
        );
    }
}

/// Ends a create with `refusal` and nothing in state.
pub fn refuse(response: &mut ApplyResponse, refusal: Diagnostic) {
    response.state = Value::Null;
    response.diagnostics.push(refusal);
}

/// A list found under the name of the one being created, in `domain` (`found`: domain, journal
/// entry, id, name): taken over (waiting for it with `settled`) when the domain's journal says
/// an interrupted create of this provider left it (`marked`) and its content is the planned
/// one (`differs` false); otherwise the create is refused with the import command, and `None`
/// is returned.
pub async fn take_over_or_refuse<A>(
    ctx: &OperationContext<'_, ProviderData>,
    resource_type: &str,
    kind: &'static str,
    (domain, entry, id, name): (&str, &str, &str, &str),
    (marked, differs): (bool, bool),
    settled: impl Future<Output = cloudcontrol::Result<Option<A>>>,
    response: &mut ApplyResponse,
) -> Option<cloudcontrol::Result<A>> {
    let verdict = Found {
        kind,
        resource_type,
        identity: format!("named {name:?} in network domain {domain}"),
        id,
        import_id: id.to_owned(),
        marked,
        marker_place: MarkerPlace::Journal,
        differences: differences([(
            "entries",
            "other entries".to_owned(),
            differs.then(|| "the configured ones".to_owned()),
        )]),
    }
    .verdict();
    if let Err(refusal) = verdict {
        refuse(response, refusal);
        return None;
    }
    let markers = &ctx.data.markers;
    Some(
        markers
            .take_over_journaled(domain, entry, kind, id, settled)
            .await,
    )
}
