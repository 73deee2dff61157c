//! Typed models, in the spirit of terraform-plugin-framework's `tfsdk`-tagged structs: a
//! resource reads its configuration, plan or state into a plain struct whose serde field names
//! are the schema's attribute names, and writes such a struct back into a value.
//!
//! Reading is strict: a null (or unknown) value where the struct has no `Option` is an error
//! naming the attribute, never a default. Writing overlays the struct's fields on an existing
//! object, so what a model leaves out (`timeouts`, write-only secrets marked
//! `#[serde(skip_serializing)]`) keeps the value it had.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value as Json;

use crate::diag::Diagnostic;
use crate::path::AttributePath;
use crate::value::{Number, Type, Value};

/// A value that does not fit a model, or a model that does not fit a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError {
    /// Where in the object the mismatch is.
    pub path: AttributePath,
    /// What did not fit.
    pub message: String,
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ModelError {}

impl ModelError {
    /// An error diagnostic at the mismatch's path: `summary` says what was being read.
    pub fn to_diagnostic(&self, summary: &str) -> Diagnostic {
        Diagnostic::error(summary, self.to_string()).at(self.path.clone())
    }
}

/// Reads `value` (an object) into the model `T`.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, ModelError> {
    let json = to_json(value);
    serde_path_to_error::deserialize(json).map_err(|e| {
        let mut path = attribute_path(e.path());
        let message = e.into_inner().to_string();
        // serde names a missing field only in its message; the path then ends at its parent.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'));
        let message = if let Some(name) = missing {
            path = path.attr(name);
            "is required but missing".to_owned()
        } else if message.starts_with("invalid type: null") {
            format!("is required but has no value ({message})")
        } else {
            message
        };
        ModelError { path, message }
    })
}

/// Writes every field `model` serialises into the object `object` of type `ty`, each converted
/// against its attribute's type (missing nested attributes become null). Attributes the model
/// does not serialise keep their values; a null `object` starts empty.
pub fn write_into<T: Serialize>(
    model: &T,
    object: &mut Value,
    ty: &Type,
) -> Result<(), ModelError> {
    let root = AttributePath::root();
    let json = serde_json::to_value(model).map_err(|e| ModelError {
        path: root.clone(),
        message: e.to_string(),
    })?;
    let Json::Object(fields) = json else {
        return Err(ModelError {
            path: root,
            message: "a model must serialise to an object".into(),
        });
    };
    if !matches!(object, Value::Object(_)) {
        *object = Value::Object(Default::default());
    }
    for (name, field) in fields {
        let path = AttributePath::attribute(&name);
        let attribute_type = ty.attribute_type(&name).ok_or_else(|| ModelError {
            path: path.clone(),
            message: "the schema has no such attribute".into(),
        })?;
        let converted =
            Value::from_json(field.to_string().as_bytes(), attribute_type).map_err(|e| {
                ModelError {
                    path: path.clone(),
                    message: e.to_string(),
                }
            })?;
        object.set_attr(name, converted);
    }
    Ok(())
}

/// For `#[serde(deserialize_with = "tfplugin::model::null_as_empty")]` on a `Vec` of nested
/// blocks: an absent or null block list (an imported state, say) reads as no blocks.
pub fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// Unknown reads as null: apply-time values are known except computed ones, which models hold
/// as `Option`.
fn to_json(value: &Value) -> Json {
    match value {
        Value::Null | Value::Unknown => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => number_json(n),
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            Json::Array(items.iter().map(to_json).collect())
        }
        Value::Map(entries) | Value::Object(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        Value::Dynamic { value, .. } => to_json(value),
    }
}

fn number_json(n: &Number) -> Json {
    if let Some(i) = n.to_i64() {
        Json::from(i)
    } else if let Some(u) = n.to_u64() {
        Json::from(u)
    } else {
        serde_json::Number::from_f64(n.to_f64())
            .map(Json::Number)
            .unwrap_or(Json::Null)
    }
}

fn attribute_path(path: &serde_path_to_error::Path) -> AttributePath {
    use serde_path_to_error::Segment;
    let mut out = AttributePath::root();
    for segment in path.iter() {
        match segment {
            Segment::Map { key } => out = out.attr(key.as_str()),
            Segment::Seq { index } => out = out.index(*index as i64),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::ObjectBuilder;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Disk {
        scsi_id: u8,
        size_gb: u32,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Server {
        name: String,
        cpu_count: Option<u32>,
        #[serde(skip_serializing)]
        password: Option<String>,
        #[serde(deserialize_with = "null_as_empty")]
        disk: Vec<Disk>,
    }

    fn server_type() -> Type {
        Type::object([
            ("name", Type::String),
            ("cpu_count", Type::Number),
            ("password", Type::String),
            (
                "disk",
                Type::list(Type::object([
                    ("scsi_id", Type::Number),
                    ("size_gb", Type::Number),
                    ("speed", Type::String),
                ])),
            ),
            ("timeouts", Type::String),
        ])
    }

    fn disk(scsi: i64, size: i64) -> Value {
        Value::object([
            ("scsi_id", Value::from(scsi)),
            ("size_gb", Value::from(size)),
        ])
    }

    #[test]
    fn reads_attributes_and_blocks_by_name() {
        let value = ObjectBuilder::new()
            .attr("name", "web")
            .attr("cpu_count", Value::Unknown)
            .attr("password", "secret")
            .attr("disk", Value::list([disk(0, 10), disk(1, 50)]))
            .attr("timeouts", Value::Null)
            .build();
        let server: Server = from_value(&value).unwrap();
        assert_eq!(
            server,
            Server {
                name: "web".into(),
                cpu_count: None,
                password: Some("secret".into()),
                disk: vec![
                    Disk {
                        scsi_id: 0,
                        size_gb: 10
                    },
                    Disk {
                        scsi_id: 1,
                        size_gb: 50
                    }
                ],
            }
        );
    }

    #[test]
    fn a_missing_required_attribute_is_an_error_at_its_path() {
        let value = ObjectBuilder::new()
            .attr("name", "web")
            .attr(
                "disk",
                Value::list([disk(0, 10), Value::object([("scsi_id", Value::from(1))])]),
            )
            .build();
        let err = from_value::<Server>(&value).unwrap_err();
        assert_eq!(
            err.path,
            AttributePath::attribute("disk").index(1).attr("size_gb")
        );
        assert!(err.message.starts_with("is required"), "{err}");

        let err = from_value::<Server>(&Value::object([("disk", Value::Null)])).unwrap_err();
        assert_eq!(err.path, AttributePath::attribute("name"), "{err}");

        let null_name = Value::object([("name", Value::Null), ("disk", Value::Null)]);
        let err = from_value::<Server>(&null_name).unwrap_err();
        assert_eq!(err.path, AttributePath::attribute("name"), "{err}");
        assert!(
            err.message.starts_with("is required but has no value"),
            "{err}"
        );
    }

    #[test]
    fn a_null_block_list_reads_as_empty() {
        let value = Value::object([("name", Value::from("web")), ("disk", Value::Null)]);
        let server: Server = from_value(&value).unwrap();
        assert!(server.disk.is_empty());
    }

    #[test]
    fn writing_overlays_fields_and_keeps_what_the_model_skips() {
        let mut state = ObjectBuilder::new()
            .attr("name", "old")
            .attr("password", "secret")
            .attr("timeouts", "30m")
            .build();
        let server = Server {
            name: "new".into(),
            cpu_count: Some(4),
            password: None,
            disk: vec![Disk {
                scsi_id: 0,
                size_gb: 10,
            }],
        };
        write_into(&server, &mut state, &server_type()).unwrap();
        assert_eq!(state.attr("name").as_str(), Some("new"));
        assert_eq!(state.attr("cpu_count").as_i64(), Some(4));
        assert_eq!(state.attr("password").as_str(), Some("secret"));
        assert_eq!(state.attr("timeouts").as_str(), Some("30m"));
        let first = &state.attr("disk").elements()[0];
        assert_eq!(first.attr("size_gb").as_i64(), Some(10));
        // The nested attribute the model lacks is null, so the value fits the type.
        assert!(first.attr("speed").is_null());
        state.check_conforms(&server_type()).unwrap();
    }

    #[test]
    fn writing_a_field_the_schema_lacks_is_an_error() {
        #[derive(Serialize)]
        struct Stray {
            colour: &'static str,
        }
        let mut state = Value::Null;
        let err = write_into(&Stray { colour: "red" }, &mut state, &server_type()).unwrap_err();
        assert_eq!(err.path, AttributePath::attribute("colour"));
    }
}
