//! Schema type JSON strings: `"string"`, `["list","string"]`, `["object",{...}]`, ...

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use super::types::{ObjectType, Type};

/// A type JSON document that does not describe a cty type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid type JSON {json}: {reason}")]
pub struct TypeJsonError {
    /// The offending JSON fragment.
    pub json: String,
    /// Why it was rejected.
    pub reason: String,
}

impl TypeJsonError {
    fn new(json: &Json, reason: impl Into<String>) -> Self {
        TypeJsonError {
            json: json.to_string(),
            reason: reason.into(),
        }
    }
}

impl Type {
    /// The compact JSON form Terraform uses in schemas, e.g. `["map",["object",{"a":"number"}]]`.
    pub fn to_json_string(&self) -> String {
        self.to_json().to_string()
    }

    /// The JSON form as a `serde_json::Value`.
    pub fn to_json(&self) -> Json {
        match self {
            Type::Bool => Json::from("bool"),
            Type::Number => Json::from("number"),
            Type::String => Json::from("string"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(e) => Json::Array(vec!["list".into(), e.to_json()]),
            Type::Set(e) => Json::Array(vec!["set".into(), e.to_json()]),
            Type::Map(e) => Json::Array(vec!["map".into(), e.to_json()]),
            Type::Tuple(es) => Json::Array(vec![
                "tuple".into(),
                Json::Array(es.iter().map(Type::to_json).collect()),
            ]),
            Type::Object(o) => {
                let attrs: serde_json::Map<String, Json> = o
                    .attributes
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                let mut parts = vec!["object".into(), Json::Object(attrs)];
                if !o.optional.is_empty() {
                    parts.push(Json::Array(
                        o.optional.iter().map(|n| Json::from(n.as_str())).collect(),
                    ));
                }
                Json::Array(parts)
            }
        }
    }

    /// Parses a type JSON string (bytes of a schema attribute `type`).
    pub fn from_json_str(text: &str) -> Result<Type, TypeJsonError> {
        let json: Json = serde_json::from_str(text).map_err(|e| TypeJsonError {
            json: text.to_string(),
            reason: e.to_string(),
        })?;
        Type::from_json(&json)
    }

    /// Parses a type JSON value.
    pub fn from_json(json: &Json) -> Result<Type, TypeJsonError> {
        match json {
            Json::String(s) => match s.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(TypeJsonError::new(
                    json,
                    format!("unknown primitive type {other:?}"),
                )),
            },
            Json::Array(parts) => {
                let kind = parts
                    .first()
                    .and_then(Json::as_str)
                    .ok_or_else(|| TypeJsonError::new(json, "first element must be a type kind"))?;
                let arg = |n: usize| -> Result<&Json, TypeJsonError> {
                    parts.get(n).ok_or_else(|| {
                        TypeJsonError::new(json, format!("{kind} type needs argument {n}"))
                    })
                };
                let expect_len = |n: usize| -> Result<(), TypeJsonError> {
                    if parts.len() == n {
                        Ok(())
                    } else {
                        Err(TypeJsonError::new(
                            json,
                            format!("{kind} type needs {} arguments", n - 1),
                        ))
                    }
                };
                match kind {
                    "list" | "set" | "map" => {
                        expect_len(2)?;
                        let element = Box::new(Type::from_json(arg(1)?)?);
                        Ok(match kind {
                            "list" => Type::List(element),
                            "set" => Type::Set(element),
                            _ => Type::Map(element),
                        })
                    }
                    "tuple" => {
                        expect_len(2)?;
                        let elements = arg(1)?.as_array().ok_or_else(|| {
                            TypeJsonError::new(json, "tuple element types must be an array")
                        })?;
                        Ok(Type::Tuple(
                            elements
                                .iter()
                                .map(Type::from_json)
                                .collect::<Result<_, _>>()?,
                        ))
                    }
                    "object" => {
                        if parts.len() != 2 && parts.len() != 3 {
                            return Err(TypeJsonError::new(
                                json,
                                "object type needs attribute types and optionally optional names",
                            ));
                        }
                        let attrs = arg(1)?.as_object().ok_or_else(|| {
                            TypeJsonError::new(json, "object attribute types must be a JSON object")
                        })?;
                        let attributes: BTreeMap<String, Type> = attrs
                            .iter()
                            .map(|(k, t)| Ok((k.clone(), Type::from_json(t)?)))
                            .collect::<Result<_, TypeJsonError>>()?;
                        let mut optional = BTreeSet::new();
                        if let Some(names) = parts.get(2) {
                            let names = names.as_array().ok_or_else(|| {
                                TypeJsonError::new(
                                    json,
                                    "optional attribute names must be an array",
                                )
                            })?;
                            for n in names {
                                let n = n.as_str().ok_or_else(|| {
                                    TypeJsonError::new(
                                        json,
                                        "optional attribute name must be a string",
                                    )
                                })?;
                                if !attributes.contains_key(n) {
                                    return Err(TypeJsonError::new(
                                        json,
                                        format!("optional attribute {n:?} is not an attribute"),
                                    ));
                                }
                                optional.insert(n.to_string());
                            }
                        }
                        Ok(Type::Object(ObjectType {
                            attributes,
                            optional,
                        }))
                    }
                    other => Err(TypeJsonError::new(
                        json,
                        format!("unknown type kind {other:?}"),
                    )),
                }
            }
            _ => Err(TypeJsonError::new(
                json,
                "a type must be a string or an array",
            )),
        }
    }
}
