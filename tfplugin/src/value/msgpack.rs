//! msgpack encoding of values against a type, exactly as go-cty does it (Terraform's
//! `DynamicValue.msgpack`).
//!
//! * null is nil; unknown is an extension (any extension code decodes as unknown; we write
//!   code 0 with a one-byte payload, as cty does);
//! * numbers are ints when whole and within `i64`, floats when an `f64` holds them exactly,
//!   otherwise decimal strings;
//! * lists, sets and tuples are arrays; maps and objects are maps keyed by name;
//! * a value in a `dynamic` slot is `[type JSON as bytes, value encoded by that type]`.

use std::collections::BTreeMap;

use rmpv::Value as Mp;

use super::error::CodecError;
use super::model::Value;
use super::number::Number;
use super::types::Type;
use crate::path::{AttributePath, PathStep};

/// The extension cty writes for an unknown value: fixext1, code 0, payload 0.
fn unknown_ext() -> Mp {
    Mp::Ext(0, vec![0])
}

impl Value {
    /// Encodes this value as msgpack for type `ty`.
    pub fn to_msgpack(&self, ty: &Type) -> Result<Vec<u8>, CodecError> {
        let mp = encode(self, ty, &AttributePath::root())?;
        let mut out = Vec::new();
        rmpv::encode::write_value(&mut out, &mp)
            .map_err(|e| CodecError::new(&AttributePath::root(), format!("msgpack write: {e}")))?;
        Ok(out)
    }

    /// Decodes msgpack bytes holding a value of type `ty`.
    pub fn from_msgpack(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
        let root = AttributePath::root();
        let mut reader = bytes;
        let mp = rmpv::decode::read_value(&mut reader)
            .map_err(|e| CodecError::new(&root, format!("malformed msgpack: {e}")))?;
        if !reader.is_empty() {
            return Err(CodecError::new(
                &root,
                format!("{} unexpected bytes after the msgpack value", reader.len()),
            ));
        }
        decode(mp, ty, &root)
    }
}

fn kind_of(mp: &Mp) -> &'static str {
    match mp {
        Mp::Nil => "nil",
        Mp::Boolean(_) => "a bool",
        Mp::Integer(_) => "an integer",
        Mp::F32(_) | Mp::F64(_) => "a float",
        Mp::String(_) => "a string",
        Mp::Binary(_) => "binary data",
        Mp::Array(_) => "an array",
        Mp::Map(_) => "a map",
        Mp::Ext(..) => "an extension",
    }
}

fn decode(mp: Mp, ty: &Type, path: &AttributePath) -> Result<Value, CodecError> {
    if let Mp::Ext(..) = mp {
        // Any extension (0 = unknown, 12 = refined unknown, or a future one) is unknown.
        return Ok(Value::Unknown);
    }
    if *ty == Type::Dynamic {
        return decode_dynamic(mp, path);
    }
    if let Mp::Nil = mp {
        return Ok(Value::Null);
    }
    let wrong = |mp: &Mp| {
        Err(CodecError::new(
            path,
            format!("expected {}, found {}", ty.friendly_name(), kind_of(mp)),
        ))
    };
    match ty {
        Type::Bool => match mp {
            Mp::Boolean(b) => Ok(Value::Bool(b)),
            other => wrong(&other),
        },
        Type::Number => decode_number(mp, path).map(Value::Number),
        Type::String => match mp {
            Mp::String(s) => match s.into_str() {
                Some(s) => Ok(Value::String(s)),
                None => Err(CodecError::new(path, "string is not valid UTF-8")),
            },
            Mp::Binary(b) => String::from_utf8(b)
                .map(Value::String)
                .map_err(|_| CodecError::new(path, "string is not valid UTF-8")),
            other => wrong(&other),
        },
        Type::List(e) | Type::Set(e) => match mp {
            Mp::Array(items) => {
                let is_list = matches!(ty, Type::List(_));
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    let child = if is_list {
                        path.child(PathStep::ElementKeyInt(i as i64))
                    } else {
                        path.clone()
                    };
                    out.push(decode(item, e, &child)?);
                }
                Ok(if is_list {
                    Value::List(out)
                } else {
                    Value::set(out)
                })
            }
            other => wrong(&other),
        },
        Type::Tuple(ts) => match mp {
            Mp::Array(items) => {
                if items.len() != ts.len() {
                    return Err(CodecError::new(
                        path,
                        format!(
                            "a tuple of {} elements is required ({} given)",
                            ts.len(),
                            items.len()
                        ),
                    ));
                }
                items
                    .into_iter()
                    .zip(ts)
                    .enumerate()
                    .map(|(i, (item, t))| {
                        decode(item, t, &path.child(PathStep::ElementKeyInt(i as i64)))
                    })
                    .collect::<Result<_, _>>()
                    .map(Value::Tuple)
            }
            other => wrong(&other),
        },
        Type::Map(e) => match mp {
            Mp::Map(entries) => {
                let mut out = BTreeMap::new();
                for (k, v) in entries {
                    let key = map_key(k, path)?;
                    let child = path.child(PathStep::ElementKeyString(key.clone()));
                    out.insert(key, decode(v, e, &child)?);
                }
                Ok(Value::Map(out))
            }
            other => wrong(&other),
        },
        Type::Object(o) => match mp {
            Mp::Map(entries) => {
                if entries.len() != o.attributes.len() {
                    return Err(CodecError::new(
                        path,
                        format!(
                            "an object with {} attributes is required ({} given)",
                            o.attributes.len(),
                            entries.len()
                        ),
                    ));
                }
                let mut out = BTreeMap::new();
                for (k, v) in entries {
                    let key = map_key(k, path)?;
                    let Some(attr_ty) = o.attributes.get(&key) else {
                        return Err(CodecError::new(
                            path,
                            format!("unsupported attribute {key:?}"),
                        ));
                    };
                    let child = path.child(PathStep::Attribute(key.clone()));
                    let value = decode(v, attr_ty, &child)?;
                    if out.insert(key.clone(), value).is_some() {
                        return Err(CodecError::new(
                            path,
                            format!("duplicate attribute {key:?}"),
                        ));
                    }
                }
                Ok(Value::Object(out))
            }
            other => wrong(&other),
        },
        Type::Dynamic => unreachable!("dynamic handled above"),
    }
}

fn map_key(k: Mp, path: &AttributePath) -> Result<String, CodecError> {
    match k {
        Mp::String(s) => s
            .into_str()
            .ok_or_else(|| CodecError::new(path, "map key is not valid UTF-8")),
        Mp::Binary(b) => {
            String::from_utf8(b).map_err(|_| CodecError::new(path, "map key is not valid UTF-8"))
        }
        other => Err(CodecError::new(
            path,
            format!("map key must be a string, found {}", kind_of(&other)),
        )),
    }
}

fn decode_number(mp: Mp, path: &AttributePath) -> Result<Number, CodecError> {
    match mp {
        Mp::Integer(i) => match (i.as_i64(), i.as_u64()) {
            (Some(v), _) => Ok(Number::from(v)),
            (None, Some(v)) => Ok(Number::from(v)),
            _ => Err(CodecError::new(path, "integer out of range")),
        },
        Mp::F32(f) => Number::from_f64_exact(f64::from(f))
            .ok_or_else(|| CodecError::new(path, "NaN is not a valid number")),
        Mp::F64(f) => Number::from_f64_exact(f)
            .ok_or_else(|| CodecError::new(path, "NaN is not a valid number")),
        Mp::String(s) => {
            let text = s
                .as_str()
                .ok_or_else(|| CodecError::new(path, "number string is not valid UTF-8"))?;
            text.parse()
                .map_err(|e: super::number::ParseNumberError| CodecError::new(path, e.to_string()))
        }
        other => Err(CodecError::new(
            path,
            format!("expected number, found {}", kind_of(&other)),
        )),
    }
}

fn decode_dynamic(mp: Mp, path: &AttributePath) -> Result<Value, CodecError> {
    let items = match mp {
        Mp::Nil => return Ok(Value::Null),
        Mp::Array(items) if items.len() == 2 => items,
        other => {
            return Err(CodecError::new(
                path,
                format!(
                    "dynamic value must be a [type, value] array, found {}",
                    kind_of(&other)
                ),
            ))
        }
    };
    let mut items = items.into_iter();
    let type_json = match items.next() {
        Some(Mp::Binary(b)) => String::from_utf8(b).ok(),
        Some(Mp::String(s)) => s.into_str(),
        _ => None,
    }
    .ok_or_else(|| CodecError::new(path, "dynamic value type must be JSON text"))?;
    let ty = Type::from_json_str(&type_json).map_err(|e| CodecError::new(path, e.to_string()))?;
    let value = decode(items.next().unwrap_or(Mp::Nil), &ty, path)?;
    Ok(Value::dynamic(ty, value))
}

fn encode(value: &Value, ty: &Type, path: &AttributePath) -> Result<Mp, CodecError> {
    if *ty == Type::Dynamic {
        return encode_dynamic(value, path);
    }
    let wrong = |what: &str| {
        Err(CodecError::new(
            path,
            format!("cannot encode {what} as {}", ty.friendly_name()),
        ))
    };
    match (value, ty) {
        (Value::Dynamic { value, .. }, _) => encode(value, ty, path),
        (Value::Unknown, _) => Ok(unknown_ext()),
        (Value::Null, _) => Ok(Mp::Nil),
        (Value::Bool(b), Type::Bool) => Ok(Mp::Boolean(*b)),
        (Value::Number(n), Type::Number) => Ok(encode_number(n)),
        (Value::String(s), Type::String) => Ok(Mp::from(s.as_str())),
        (Value::List(v) | Value::Set(v) | Value::Tuple(v), Type::List(e)) => v
            .iter()
            .enumerate()
            .map(|(i, item)| encode(item, e, &path.child(PathStep::ElementKeyInt(i as i64))))
            .collect::<Result<_, _>>()
            .map(Mp::Array),
        (Value::List(v) | Value::Set(v) | Value::Tuple(v), Type::Set(e)) => {
            let mut sorted: Vec<&Value> = v.iter().collect();
            sorted.sort();
            sorted.dedup();
            sorted
                .into_iter()
                .map(|item| encode(item, e, path))
                .collect::<Result<_, _>>()
                .map(Mp::Array)
        }
        (Value::List(v) | Value::Tuple(v), Type::Tuple(ts)) => {
            if v.len() != ts.len() {
                return Err(CodecError::new(
                    path,
                    format!("tuple has {} elements, type needs {}", v.len(), ts.len()),
                ));
            }
            v.iter()
                .zip(ts)
                .enumerate()
                .map(|(i, (item, t))| {
                    encode(item, t, &path.child(PathStep::ElementKeyInt(i as i64)))
                })
                .collect::<Result<_, _>>()
                .map(Mp::Array)
        }
        (Value::Map(m) | Value::Object(m), Type::Map(e)) => m
            .iter()
            .map(|(k, v)| {
                let child = path.child(PathStep::ElementKeyString(k.clone()));
                Ok((Mp::from(k.as_str()), encode(v, e, &child)?))
            })
            .collect::<Result<_, _>>()
            .map(Mp::Map),
        (Value::Object(m) | Value::Map(m), Type::Object(o)) => {
            if let Some(extra) = m.keys().find(|k| !o.attributes.contains_key(*k)) {
                return Err(CodecError::new(
                    path,
                    format!("unsupported attribute {extra:?}"),
                ));
            }
            // Exactly one entry per attribute of the type; absent attributes are null.
            o.attributes
                .iter()
                .map(|(name, attr_ty)| {
                    let child = path.child(PathStep::Attribute(name.clone()));
                    let v = m.get(name).unwrap_or(&Value::Null);
                    Ok((Mp::from(name.as_str()), encode(v, attr_ty, &child)?))
                })
                .collect::<Result<_, _>>()
                .map(Mp::Map)
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

/// cty's rule: int when whole and within i64, float when exactly representable (and for
/// infinities), otherwise the decimal text.
fn encode_number(n: &Number) -> Mp {
    if let Some(i) = n.is_integer().then(|| n.to_i64()).flatten() {
        return Mp::from(i);
    }
    if n.is_infinite() {
        return Mp::F64(n.to_f64());
    }
    match n.to_f64_exact() {
        Some(f) => Mp::F64(f),
        None => Mp::from(n.to_string()),
    }
}

fn encode_dynamic(value: &Value, path: &AttributePath) -> Result<Mp, CodecError> {
    let (ty, inner) = match value {
        Value::Null => return Ok(Mp::Nil),
        Value::Unknown => return Ok(unknown_ext()),
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
        return encode_dynamic(inner, path);
    }
    Ok(Mp::Array(vec![
        Mp::Binary(ty.to_json_string().into_bytes()),
        encode(inner, &ty, path)?,
    ]))
}
