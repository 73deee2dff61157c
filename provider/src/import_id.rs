//! Import ids that also carry what the API cannot report.
//!
//! `terraform import` hands the provider one string. Most resources are imported by their id
//! alone. A few attributes only matter at creation or only to the provider (a server's
//! `allow_reboot`, a firewall rule's `placement`), so no read can recover them: imported by id
//! alone they stay at their defaults, and the first plan shows a change wherever the
//! configuration sets them. Such resources accept `<id>,<attribute>=<value>,...` instead.
//!
//! Secrets never travel in the id (it is on the command line and in shell history): they come
//! from a named environment variable, read only during the import.

use tfplugin::schema::Block;
use tfplugin::{AttributePath, Diagnostic, Diagnostics, Type, Value};

/// A secret attribute whose value an import takes from an environment variable.
#[derive(Debug, Clone, Copy)]
pub struct EnvSecret {
    /// The attribute, e.g. `admin_password`.
    pub attribute: &'static str,
    /// The variable it is read from, e.g. `CLOUDCONTROL_IMPORT_ADMIN_PASSWORD`.
    pub variable: &'static str,
}

/// What an import id of one resource type may carry besides the id.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Attributes that may be given as `name=value` after the id.
    pub settable: &'static [&'static str],
    /// Secret attributes read from the environment when their variable is set.
    pub secrets: &'static [EnvSecret],
}

const SUMMARY: &str = "Invalid import id";

/// Builds the state an import starts from: `id` plus the options in `raw`, each converted to
/// its attribute's type and checked by the attribute's validators, plus any secrets set in the
/// environment. Every problem is reported, naming the option and the rule it breaks.
pub fn import_state(
    block: &Block,
    raw: &str,
    options: &ImportOptions,
) -> Result<Value, Diagnostics> {
    import_state_from(block, raw, options, |name| std::env::var(name).ok())
}

fn import_state_from(
    block: &Block,
    raw: &str,
    options: &ImportOptions,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Value, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut parts = raw.split(',');
    let id = parts.next().unwrap_or_default();
    if id.is_empty() || id.chars().any(char::is_whitespace) {
        diags.error(
            SUMMARY,
            format!(
                "the import id must start with the object's id (no spaces), got {raw:?}{}",
                usage(options)
            ),
        );
    }
    let mut state = Value::object([("id", Value::string(id))]);
    for part in parts {
        let Some((name, text)) = part.split_once('=') else {
            diags.error(
                SUMMARY,
                format!("{part:?} is not name=value{}", usage(options)),
            );
            continue;
        };
        if !options.settable.contains(&name) {
            diags.error(
                SUMMARY,
                format!("{name:?} cannot be set in the import id{}", usage(options)),
            );
            continue;
        }
        if !state.attr(name).is_null() {
            diags.error(SUMMARY, format!("{name} is given twice"));
            continue;
        }
        match typed_value(block, name, text) {
            Ok(value) => {
                if check(block, name, &value, &mut diags) {
                    state.set_attr(name, value);
                }
            }
            Err(rule) => diags.error(SUMMARY, format!("{name} {rule}, got {text:?}")),
        }
    }
    for secret in options.secrets {
        let Some(text) = env(secret.variable).filter(|v| !v.is_empty()) else {
            continue;
        };
        let value = Value::string(text);
        let mut found = Diagnostics::new();
        if check(block, secret.attribute, &value, &mut found) {
            state.set_attr(secret.attribute, value);
        } else {
            // The validators' messages name the attribute; say where the value came from.
            diags.extend(found.into_iter().map(|d| {
                Diagnostic::error(
                    format!("Invalid {}", secret.variable),
                    format!("{} (read from the environment for the import)", d.detail),
                )
            }));
        }
    }
    if diags.has_errors() {
        Err(diags)
    } else {
        Ok(block.normalize(&state))
    }
}

/// Runs the attribute's validators on `value`; true when it passes. Errors are reported as
/// import id errors without an attribute path (an import has no configuration to point at).
fn check(block: &Block, name: &str, value: &Value, diags: &mut Diagnostics) -> bool {
    let mut found = Diagnostics::new();
    if let Some(attribute) = block.get_attribute(name) {
        for validator in &attribute.validators {
            validator.validate(value, &AttributePath::attribute(name), &mut found);
        }
    }
    let ok = !found.has_errors();
    diags.extend(
        found
            .into_iter()
            .map(|d| Diagnostic::error(SUMMARY, d.detail)),
    );
    ok
}

fn typed_value(block: &Block, name: &str, text: &str) -> Result<Value, &'static str> {
    let ty = block.get_attribute(name).map(|a| &a.ty);
    match ty {
        Some(Type::Bool) => match text {
            "true" => Ok(Value::from(true)),
            "false" => Ok(Value::from(false)),
            _ => Err("must be true or false"),
        },
        Some(Type::String) => Ok(Value::string(text)),
        _ => Err("has a type an import id cannot carry"),
    }
}

fn usage(options: &ImportOptions) -> String {
    if options.settable.is_empty() {
        return "; this resource is imported by its id alone".into();
    }
    let names: Vec<String> = options
        .settable
        .iter()
        .map(|n| format!("{n}=<value>"))
        .collect();
    format!("; the form is <id>[,{}]", names.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::schema::validators::one_of;
    use tfplugin::schema::Attribute;

    const OPTIONS: ImportOptions = ImportOptions {
        settable: &["allow_reboot", "placement"],
        secrets: &[EnvSecret {
            attribute: "admin_password",
            variable: "TEST_IMPORT_PASSWORD",
        }],
    };

    fn block() -> Block {
        Block::new()
            .attribute(Attribute::id())
            .attribute(Attribute::bool("allow_reboot").default(false))
            .attribute(
                Attribute::string("placement")
                    .optional()
                    .validator(one_of(["FIRST", "LAST"])),
            )
            .attribute(
                Attribute::string("admin_password")
                    .optional()
                    .sensitive()
                    .validator(crate::rules::PasswordRule),
            )
            .attribute(Attribute::string("name").optional())
    }

    fn import(raw: &str, password: Option<&str>) -> Result<Value, Vec<String>> {
        import_state_from(&block(), raw, &OPTIONS, |v| {
            (v == "TEST_IMPORT_PASSWORD")
                .then(|| password.map(str::to_owned))
                .flatten()
        })
        .map_err(|d| {
            d.into_iter()
                .map(|d| format!("{}: {}", d.summary, d.detail))
                .collect()
        })
    }

    #[test]
    fn a_bare_id_leaves_every_other_attribute_null() {
        let state = import("abc-123", None).unwrap();
        assert_eq!(state.attr("id").as_str(), Some("abc-123"));
        for name in ["allow_reboot", "placement", "admin_password", "name"] {
            assert!(state.attr(name).is_null(), "{name}");
        }
    }

    #[test]
    fn options_are_typed_and_validated() {
        let state = import("abc,allow_reboot=true,placement=FIRST", None).unwrap();
        assert_eq!(state.attr("allow_reboot").as_bool(), Some(true));
        assert_eq!(state.attr("placement").as_str(), Some("FIRST"));
    }

    #[test]
    fn every_bad_option_is_reported_with_the_rule() {
        let errors = import("abc,allow_reboot=yes,placement=MIDDLE,name=x,oops", None).unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:#?}");
        assert!(errors[0].contains("allow_reboot must be true or false, got \"yes\""));
        assert!(errors[1].contains("placement must be one of"));
        assert!(errors[2].contains("\"name\" cannot be set in the import id"));
        assert!(errors[2].contains("<id>[,allow_reboot=<value>,placement=<value>]"));
        assert!(errors[3].contains("\"oops\" is not name=value"));
    }

    #[test]
    fn a_repeated_option_or_missing_id_is_refused() {
        let errors = import("abc,placement=FIRST,placement=LAST", None).unwrap_err();
        assert!(errors[0].contains("placement is given twice"));
        let errors = import(",placement=FIRST", None).unwrap_err();
        assert!(errors[0].contains("must start with the object's id"));
    }

    #[test]
    fn secrets_come_from_the_environment_and_are_validated_without_echo() {
        let state = import("abc", Some("Sup3r-secret")).unwrap();
        assert_eq!(state.attr("admin_password").as_str(), Some("Sup3r-secret"));
        let errors = import("abc", Some("weakpassword")).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with("Invalid TEST_IMPORT_PASSWORD"));
        assert!(!errors[0].contains("weakpassword"), "{}", errors[0]);
        let errors = import("abc,admin_password=Sup3r-secret", None).unwrap_err();
        assert!(errors[0].contains("cannot be set in the import id"));
    }
}
