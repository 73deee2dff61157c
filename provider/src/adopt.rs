//! Taking over an asset that an interrupted apply left behind, or refusing to.
//!
//! Before a create asks the API for anything, it looks the asset up by its identity (name and
//! network domain; a network domain by name and datacenter; a NAT rule by its internal address;
//! a firewall rule by its name). What it finds is adopted only when it carries this provider's
//! creation marker ([`crate::marker`]) and matches the configuration in every attribute the
//! create would have set; otherwise the create fails with an error that names the asset and
//! gives the `terraform import` command that brings it under management.

use tfplugin::Diagnostic;

/// One attribute the found asset and the configuration disagree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The attribute, as the configuration names it.
    pub attribute: String,
    /// Its value on the found asset.
    pub found: String,
    /// Its value in the configuration.
    pub configured: String,
}

/// Compares `(attribute, found, configured)` triples; `None` as configured means the
/// configuration leaves the attribute to the API, so any value matches.
pub fn differences<'a>(
    pairs: impl IntoIterator<Item = (&'a str, String, Option<String>)>,
) -> Vec<Difference> {
    pairs
        .into_iter()
        .filter_map(|(attribute, found, configured)| {
            let configured = configured?;
            (found != configured).then(|| Difference {
                attribute: attribute.to_owned(),
                found,
                configured,
            })
        })
        .collect()
}

/// Where the marker of a kind of asset lives, for the refusal message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerPlace {
    /// The `terraform-provider-cloudcontrol` tag on the asset.
    Tag,
    /// An entry in its network domain's creation journal.
    Journal,
}

/// An asset found under the identity of one being created.
#[derive(Debug, Clone)]
pub struct Found<'a> {
    /// The kind, in words: `server`, `NAT rule`.
    pub kind: &'a str,
    /// The resource type: `cloudcontrol_server`.
    pub resource_type: &'a str,
    /// How it was found: `named "web" in network domain 1234`.
    pub identity: String,
    /// Its id.
    pub id: &'a str,
    /// The import id that also carries what the API cannot report (`<id>,allow_reboot=true`).
    pub import_id: String,
    /// Whether it carries this provider's creation marker.
    pub marked: bool,
    /// Where that marker would be.
    pub marker_place: MarkerPlace,
    /// Where it differs from the configuration.
    pub differences: Vec<Difference>,
}

impl Found<'_> {
    /// `Ok(())` when the asset may be adopted, else the error to report.
    pub fn verdict(&self) -> Result<(), Diagnostic> {
        let reason = if !self.differences.is_empty() {
            let listed: Vec<String> = self
                .differences
                .iter()
                .map(|d| {
                    format!(
                        "{} is {:?} there and {:?} in the configuration",
                        d.attribute, d.found, d.configured
                    )
                })
                .collect();
            format!("it differs from the configuration: {}", listed.join("; "))
        } else if !self.marked {
            match self.marker_place {
                MarkerPlace::Tag => format!(
                    "it does not carry this provider's creation marker (the tag `{}`), so it was not created by this provider and may belong to someone else",
                    crate::marker::MARKER_KEY
                ),
                MarkerPlace::Journal => format!(
                    "its network domain's creation journal (the tag `{}`) does not list it, so it is not what an interrupted create of this provider left behind, and may belong to someone else",
                    crate::marker::JOURNAL_KEY
                ),
            }
        } else {
            return Ok(());
        };
        Err(Diagnostic::error(
            format!("{} already exists", capitalised(self.kind)),
            format!(
                "A {kind} {identity} already exists (id {id}), and the provider will not take it over: {reason}.\n\nIf it is the {kind} this resource describes, bring it under Terraform's management with\n\n  terraform import 'ADDRESS' {import_id}\n\nwhere ADDRESS is this resource's address (the one on the \"with\" line above, e.g. {resource_type}.name); otherwise rename it, or delete it.",
                kind = self.kind,
                identity = self.identity,
                id = self.id,
                import_id = self.import_id,
                resource_type = self.resource_type,
            ),
        ))
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Takes over `id`, the asset an interrupted apply left that [`Found::verdict`] allowed:
/// `settled` waits for it to settle and reads it (`None`: it vanished meanwhile).
pub async fn take_over<A>(
    kind: &'static str,
    id: &str,
    settled: impl std::future::Future<Output = cloudcontrol::Result<Option<A>>>,
) -> cloudcontrol::Result<A> {
    tracing::info!(id, "taking over the {kind} an interrupted apply left");
    settled
        .await
        .and_then(|a| a.ok_or_else(|| vanished(kind, id)))
}

/// The error for an asset that vanished while it was being taken over.
pub fn vanished(kind: &'static str, id: &str) -> cloudcontrol::Error {
    cloudcontrol::Error::Vanished {
        operation: "TAKE_OVER".into(),
        kind,
        id: id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(marked: bool, differences: Vec<Difference>) -> Found<'static> {
        Found {
            kind: "server",
            resource_type: "cloudcontrol_server",
            identity: "named \"web\" in network domain nd-1".into(),
            id: "s-1",
            import_id: "s-1,allow_reboot=true".into(),
            marked,
            marker_place: MarkerPlace::Tag,
            differences,
        }
    }

    #[test]
    fn only_a_marked_exact_match_is_adopted() {
        assert!(found(true, vec![]).verdict().is_ok());
        let unmarked = found(false, vec![]).verdict().unwrap_err();
        assert_eq!(unmarked.summary, "Server already exists");
        for part in [
            "named \"web\" in network domain nd-1",
            "(id s-1)",
            "terraform import 'ADDRESS' s-1,allow_reboot=true",
            "the tag `terraform-provider-cloudcontrol`",
        ] {
            assert!(
                unmarked.detail.contains(part),
                "{part}: {}",
                unmarked.detail
            );
        }
        let diffs = differences([
            ("image_id", "img-1".to_owned(), Some("img-2".to_owned())),
            ("cpu_count", "2".to_owned(), None),
            ("description", "a".to_owned(), Some("a".to_owned())),
        ]);
        assert_eq!(diffs.len(), 1);
        let differs = found(true, diffs).verdict().unwrap_err();
        assert!(
            differs
                .detail
                .contains("image_id is \"img-1\" there and \"img-2\" in the configuration"),
            "{}",
            differs.detail
        );
    }

    #[test]
    fn journal_marked_kinds_say_where_the_marker_lives() {
        let mut nat = found(false, vec![]);
        nat.kind = "NAT rule";
        nat.marker_place = MarkerPlace::Journal;
        let d = nat.verdict().unwrap_err();
        assert_eq!(d.summary, "NAT rule already exists");
        assert!(d
            .detail
            .contains("terraform-provider-cloudcontrol.creating"));
    }
}
