//! JSON encoding of values against a type, as go-cty does it (Terraform's `RawState.json` and
//! the `DynamicValue.json` fallback). JSON has no unknowns.
//!
//! Numbers are written and read as exact decimal text (arbitrary precision both ways); numbers
//! may also arrive as JSON strings, as cty accepts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::error::CodecError;
use super::json_reader::JsonNode;
use super::model::Value;
use super::number::Number;
use super::types::Type;
use crate::path::{AttributePath, PathStep};

/// What to do with object attributes the type does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extra {
    Reject,
    Ignore,
}

impl Value {
    /// Encodes this value as JSON text for type `ty`. Fails on unknown values.
    pub fn to_json(&self, ty: &Type) -> Result<String, CodecError> {
        let mut out = String::new();
        write_json(self, ty, &AttributePath::root(), &mut out)?;
        Ok(out)
    }

    /// Decodes JSON bytes holding a value of type `ty`. Missing object attributes become null
    /// (as in cty); attributes the type does not have are an error.
    pub fn from_json(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
        Value::from_json_with(bytes, ty, Extra::Reject)
    }

    /// Like [`Value::from_json`], but drops object attributes the type does not have; for
    /// upgrading state written by an older schema.
    pub fn from_json_ignoring_extra(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
        Value::from_json_with(bytes, ty, Extra::Ignore)
    }

    fn from_json_with(bytes: &[u8], ty: &Type, extra: Extra) -> Result<Value, CodecError> {
        let root = AttributePath::root();
        let json = JsonNode::parse(bytes)
            .map_err(|e| CodecError::new(&root, format!("malformed JSON: {e}")))?;
        decode(&json, ty, &root, extra)
    }
}

fn json_kind(j: &JsonNode) -> &'static str {
    match j {
        JsonNode::Null => "null",
        JsonNode::Bool(_) => "a bool",
        JsonNode::Number(_) => "a number",
        JsonNode::String(_) => "a string",
        JsonNode::Array(_) => "an array",
        JsonNode::Object(_) => "an object",
    }
}

fn parse_number(text: &str, path: &AttributePath) -> Result<Number, CodecError> {
    text.parse::<Number>()
        .map_err(|e| CodecError::new(path, e.to_string()))
}

fn decode(
    json: &JsonNode,
    ty: &Type,
    path: &AttributePath,
    extra: Extra,
) -> Result<Value, CodecError> {
    if *ty == Type::Dynamic {
        return decode_dynamic(json, path, extra);
    }
    if let JsonNode::Null = json {
        return Ok(Value::Null);
    }
    let wrong = || {
        Err(CodecError::new(
            path,
            format!("expected {}, found {}", ty.friendly_name(), json_kind(json)),
        ))
    };
    match ty {
        Type::Bool => match json {
            JsonNode::Bool(b) => Ok(Value::Bool(*b)),
            JsonNode::String(s) if s == "true" => Ok(Value::Bool(true)),
            JsonNode::String(s) if s == "false" => Ok(Value::Bool(false)),
            _ => wrong(),
        },
        Type::Number => match json {
            JsonNode::Number(n) | JsonNode::String(n) => parse_number(n, path).map(Value::Number),
            _ => wrong(),
        },
        Type::String => match json {
            JsonNode::String(s) => Ok(Value::String(s.clone())),
            // cty converts primitive JSON values to strings when a string is expected.
            JsonNode::Number(n) => Ok(Value::String(parse_number(n, path)?.to_string())),
            JsonNode::Bool(b) => Ok(Value::String(b.to_string())),
            _ => wrong(),
        },
        Type::List(e) | Type::Set(e) => match json {
            JsonNode::Array(items) => {
                let is_list = matches!(ty, Type::List(_));
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let child = if is_list {
                        path.child(PathStep::ElementKeyInt(i as i64))
                    } else {
                        path.clone()
                    };
                    out.push(decode(item, e, &child, extra)?);
                }
                Ok(if is_list {
                    Value::List(out)
                } else {
                    Value::set(out)
                })
            }
            _ => wrong(),
        },
        Type::Tuple(ts) => match json {
            JsonNode::Array(items) if items.len() == ts.len() => items
                .iter()
                .zip(ts)
                .enumerate()
                .map(|(i, (item, t))| {
                    decode(
                        item,
                        t,
                        &path.child(PathStep::ElementKeyInt(i as i64)),
                        extra,
                    )
                })
                .collect::<Result<_, _>>()
                .map(Value::Tuple),
            JsonNode::Array(items) => Err(CodecError::new(
                path,
                format!(
                    "a tuple of {} elements is required ({} given)",
                    ts.len(),
                    items.len()
                ),
            )),
            _ => wrong(),
        },
        Type::Map(e) => match json {
            JsonNode::Object(entries) => entries
                .iter()
                .map(|(k, v)| {
                    let child = path.child(PathStep::ElementKeyString(k.clone()));
                    Ok((k.clone(), decode(v, e, &child, extra)?))
                })
                .collect::<Result<BTreeMap<_, _>, _>>()
                .map(Value::Map),
            _ => wrong(),
        },
        Type::Object(o) => match json {
            JsonNode::Object(entries) => {
                let mut out = BTreeMap::new();
                for (k, v) in entries {
                    match o.attributes.get(k) {
                        Some(attr_ty) => {
                            let child = path.child(PathStep::Attribute(k.clone()));
                            out.insert(k.clone(), decode(v, attr_ty, &child, extra)?);
                        }
                        None if extra == Extra::Ignore => {}
                        None => {
                            return Err(CodecError::new(
                                path,
                                format!("unsupported attribute {k:?}"),
                            ))
                        }
                    }
                }
                for name in o.attributes.keys() {
                    out.entry(name.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(out))
            }
            _ => wrong(),
        },
        Type::Dynamic => unreachable!("dynamic handled above"),
    }
}

fn decode_dynamic(
    json: &JsonNode,
    path: &AttributePath,
    extra: Extra,
) -> Result<Value, CodecError> {
    if let JsonNode::Null = json {
        return Ok(Value::Null);
    }
    if !matches!(json, JsonNode::Object(_)) {
        return Err(CodecError::new(
            path,
            format!(
                "dynamic value must be an object with \"type\" and \"value\", found {}",
                json_kind(json)
            ),
        ));
    }
    let type_json = json
        .member("type")
        .ok_or_else(|| CodecError::new(path, "dynamic value has no \"type\""))?;
    let ty =
        Type::from_json(&type_json.to_serde()).map_err(|e| CodecError::new(path, e.to_string()))?;
    let value = decode(
        json.member("value").unwrap_or(&JsonNode::Null),
        &ty,
        path,
        extra,
    )?;
    Ok(Value::dynamic(ty, value))
}

fn write_json(
    value: &Value,
    ty: &Type,
    path: &AttributePath,
    out: &mut String,
) -> Result<(), CodecError> {
    if *ty == Type::Dynamic {
        return write_dynamic(value, path, out);
    }
    let wrong = |what: &str| {
        Err(CodecError::new(
            path,
            format!("cannot encode {what} as {}", ty.friendly_name()),
        ))
    };
    match (value, ty) {
        (Value::Dynamic { value, .. }, _) => write_json(value, ty, path, out),
        (Value::Unknown, _) => Err(CodecError::new(
            path,
            "JSON cannot represent an unknown value",
        )),
        (Value::Null, _) => {
            out.push_str("null");
            Ok(())
        }
        (Value::Bool(b), Type::Bool) => {
            out.push_str(if *b { "true" } else { "false" });
            Ok(())
        }
        (Value::Number(n), Type::Number) => {
            if n.is_infinite() {
                return Err(CodecError::new(path, "JSON cannot represent infinity"));
            }
            let _ = write!(out, "{n}");
            Ok(())
        }
        (Value::String(s), Type::String) => {
            write_str(s, out);
            Ok(())
        }
        (Value::List(v) | Value::Set(v) | Value::Tuple(v), Type::List(e) | Type::Set(e)) => {
            let is_list = matches!(ty, Type::List(_));
            let mut items: Vec<&Value> = v.iter().collect();
            if !is_list {
                items.sort();
                items.dedup();
            }
            out.push('[');
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let child = if is_list {
                    path.child(PathStep::ElementKeyInt(i as i64))
                } else {
                    path.clone()
                };
                write_json(item, e, &child, out)?;
            }
            out.push(']');
            Ok(())
        }
        (Value::List(v) | Value::Tuple(v), Type::Tuple(ts)) => {
            if v.len() != ts.len() {
                return Err(CodecError::new(
                    path,
                    format!("tuple has {} elements, type needs {}", v.len(), ts.len()),
                ));
            }
            out.push('[');
            for (i, (item, t)) in v.iter().zip(ts).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, t, &path.child(PathStep::ElementKeyInt(i as i64)), out)?;
            }
            out.push(']');
            Ok(())
        }
        (Value::Map(m) | Value::Object(m), Type::Map(e)) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write_json(
                    v,
                    e,
                    &path.child(PathStep::ElementKeyString(k.clone())),
                    out,
                )?;
            }
            out.push('}');
            Ok(())
        }
        (Value::Object(m) | Value::Map(m), Type::Object(o)) => {
            if let Some(extra) = m.keys().find(|k| !o.attributes.contains_key(*k)) {
                return Err(CodecError::new(
                    path,
                    format!("unsupported attribute {extra:?}"),
                ));
            }
            out.push('{');
            for (i, (name, attr_ty)) in o.attributes.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(name, out);
                out.push(':');
                let v = m.get(name).unwrap_or(&Value::Null);
                write_json(
                    v,
                    attr_ty,
                    &path.child(PathStep::Attribute(name.clone())),
                    out,
                )?;
            }
            out.push('}');
            Ok(())
        }
        (Value::Bool(_), _) => wrong("a bool"),
        (Value::Number(_), _) => wrong("a number"),
        (Value::String(_), _) => wrong("a string"),
        (Value::List(_), _) => wrong("a list"),
        (Value::Set(_), _) => wrong("a set"),
        (Value::Tuple(_), _) => wrong("a tuple"),
        (Value::Map(_), _) => wrong("a map"),
        (Value::Object(_), _) => wrong("an object"),
    }
}

fn write_str(s: &str, out: &mut String) {
    // serde_json's string escaping cannot fail for a &str.
    out.push_str(&serde_json::Value::from(s).to_string());
}

fn write_dynamic(value: &Value, path: &AttributePath, out: &mut String) -> Result<(), CodecError> {
    let (ty, inner) = match value {
        Value::Null => {
            out.push_str("null");
            return Ok(());
        }
        Value::Unknown => {
            return Err(CodecError::new(
                path,
                "JSON cannot represent an unknown value",
            ))
        }
        Value::Dynamic { ty, value } => (ty.clone(), value.as_ref()),
        other => (
            other.infer_type().ok_or_else(|| {
                CodecError::new(
                    path,
                    "the type of this dynamic value cannot be inferred; wrap it with Value::dynamic",
                )
            })?,
            other,
        ),
    };
    if ty == Type::Dynamic {
        return write_dynamic(inner, path, out);
    }
    out.push_str("{\"value\":");
    write_json(inner, &ty, path, out)?;
    out.push_str(",\"type\":");
    out.push_str(&ty.to_json_string());
    out.push('}');
    Ok(())
}
