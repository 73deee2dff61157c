//! What the load balancer catalog data sources share: the one entry of a name, and the
//! `compatible_listeners` attribute.

use cloudcontrol::ListenerCompatibility;
use tfplugin::{Diagnostic, Type, Value};

/// The element type of `compatible_listeners`.
pub fn compatibility_type() -> Type {
    Type::object([("type", Type::String), ("protocol", Type::String)])
}

/// One `compatible_listeners` element.
pub fn compatibility_value(pair: &ListenerCompatibility) -> Value {
    Value::object([
        ("type", Value::from(pair.listener_type.as_str())),
        ("protocol", Value::from(pair.protocol.as_str())),
    ])
}

/// The index of the one catalog entry named `name`, or the error saying there is none (with
/// the names there are) or several.
pub fn one_named(
    kind: &str,
    names: &[&str],
    name: &str,
    domain: &str,
) -> Result<usize, Diagnostic> {
    let found: Vec<usize> = (0..names.len()).filter(|&i| names[i] == name).collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(Diagnostic::error(
            format!("No such default {kind}"),
            format!(
                "No default {kind} of network domain {domain} is named {name:?}; there are {}.",
                names.join(", ")
            ),
        )),
        many => Err(Diagnostic::error(
            format!("Ambiguous {kind} name"),
            format!(
                "{} default {kind}s of network domain {domain} are named {name:?}.",
                many.len()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_to_one_entry_or_say_what_exists() {
        let names = ["CCDEFAULT.Cookie", "CCDEFAULT.SourceAddress"];
        assert_eq!(
            one_named(
                "persistence profile",
                &names,
                "CCDEFAULT.SourceAddress",
                "nd-1"
            )
            .unwrap(),
            1
        );
        let missing = one_named("persistence profile", &names, "Source", "nd-1").unwrap_err();
        assert!(missing
            .detail
            .contains("there are CCDEFAULT.Cookie, CCDEFAULT.SourceAddress"));
        let twice = ["a", "a"];
        assert!(one_named("iRule", &twice, "a", "nd-1").is_err());
    }
}
