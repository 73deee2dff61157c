//! Conversions between the runtime's diagnostics and paths and their protocol messages.

use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::path::{AttributePath, PathStep};
use crate::proto::tfplugin6 as pb;

/// A path as a protocol message.
pub fn path_to_proto(path: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .steps()
            .iter()
            .map(|step| pb::attribute_path::Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                    PathStep::ElementKeyString(key) => Selector::ElementKeyString(key.clone()),
                    PathStep::ElementKeyInt(index) => Selector::ElementKeyInt(*index),
                }),
            })
            .collect(),
    }
}

/// A protocol path as a runtime path; steps without a selector are skipped.
pub fn path_from_proto(path: &pb::AttributePath) -> AttributePath {
    use pb::attribute_path::step::Selector;
    path.steps
        .iter()
        .filter_map(|step| step.selector.as_ref())
        .map(|selector| match selector {
            Selector::AttributeName(name) => PathStep::Attribute(name.clone()),
            Selector::ElementKeyString(key) => PathStep::ElementKeyString(key.clone()),
            Selector::ElementKeyInt(index) => PathStep::ElementKeyInt(*index),
        })
        .collect()
}

/// One diagnostic as a protocol message; the severity is always set.
pub fn diagnostic_to_proto(diagnostic: &Diagnostic) -> pb::Diagnostic {
    let severity = match diagnostic.severity {
        Severity::Error => pb::diagnostic::Severity::Error,
        Severity::Warning => pb::diagnostic::Severity::Warning,
    };
    pb::Diagnostic {
        severity: severity as i32,
        summary: diagnostic.summary.clone(),
        detail: diagnostic.detail.clone(),
        attribute: diagnostic
            .attribute
            .as_ref()
            .filter(|path| !path.is_empty())
            .map(path_to_proto),
    }
}

/// All diagnostics as protocol messages, in order.
pub fn diagnostics_to_proto(diagnostics: &Diagnostics) -> Vec<pb::Diagnostic> {
    diagnostics.iter().map(diagnostic_to_proto).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        let path = AttributePath::attribute("disk")
            .index(2)
            .attr("tags")
            .key("env");
        let proto = path_to_proto(&path);
        assert_eq!(proto.steps.len(), 4);
        assert_eq!(path_from_proto(&proto), path);
    }

    #[test]
    fn diagnostics_keep_severity_and_path() {
        let mut diags = Diagnostics::new();
        diags.push(
            Diagnostic::error("bad name", "must not be empty").at(AttributePath::attribute("name")),
        );
        diags.push(Diagnostic::warning("deprecated", ""));
        let proto = diagnostics_to_proto(&diags);
        assert_eq!(proto[0].severity, pb::diagnostic::Severity::Error as i32);
        assert_eq!(proto[0].summary, "bad name");
        assert_eq!(
            path_from_proto(proto[0].attribute.as_ref().unwrap()),
            AttributePath::attribute("name")
        );
        assert_eq!(proto[1].severity, pb::diagnostic::Severity::Warning as i32);
        assert!(proto[1].attribute.is_none());
    }
}
