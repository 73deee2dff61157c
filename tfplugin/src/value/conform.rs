//! Type conformance checks and type inference for values.

use super::error::CodecError;
use super::model::Value;
use super::types::{ObjectType, Type};
use crate::path::{AttributePath, PathStep};

impl Value {
    /// Checks that this value has exactly the shape of `ty`: the right kind at every level and,
    /// for objects, exactly the type's attributes. Null and unknown conform to any type.
    pub fn check_conforms(&self, ty: &Type) -> Result<(), CodecError> {
        conforms(self, ty, &AttributePath::root())
    }

    /// The type of this value when it can be told from the value alone: primitives, objects
    /// and tuples of inferable values, and non-empty collections whose elements all infer to
    /// the same type. `Dynamic` values report their recorded type. Null, unknown and empty
    /// collections give `None`.
    pub fn infer_type(&self) -> Option<Type> {
        match self {
            Value::Null | Value::Unknown => None,
            Value::Bool(_) => Some(Type::Bool),
            Value::Number(_) => Some(Type::Number),
            Value::String(_) => Some(Type::String),
            Value::Dynamic { ty, .. } => Some(ty.clone()),
            Value::Object(m) => Some(Type::Object(ObjectType::new(
                m.iter()
                    .map(|(k, v)| Some((k.clone(), v.infer_type()?)))
                    .collect::<Option<Vec<_>>>()?,
            ))),
            Value::Tuple(v) => Some(Type::Tuple(
                v.iter().map(Value::infer_type).collect::<Option<_>>()?,
            )),
            Value::List(v) | Value::Set(v) => {
                let element = common_type(v.iter())?;
                Some(match self {
                    Value::List(_) => Type::list(element),
                    _ => Type::set(element),
                })
            }
            Value::Map(m) => Some(Type::map(common_type(m.values())?)),
        }
    }
}

fn common_type<'a>(mut values: impl Iterator<Item = &'a Value>) -> Option<Type> {
    let first = values.next()?.infer_type()?;
    for v in values {
        if v.infer_type()? != first {
            return None;
        }
    }
    Some(first)
}

fn conforms(value: &Value, ty: &Type, path: &AttributePath) -> Result<(), CodecError> {
    let mismatch = |what: &str| {
        Err(CodecError::new(
            path,
            format!("{what} does not conform to type {}", ty.friendly_name()),
        ))
    };
    match (value, ty) {
        (Value::Null | Value::Unknown, _) => Ok(()),
        (Value::Dynamic { value, ty: inner }, Type::Dynamic) => conforms(value, inner, path),
        (_, Type::Dynamic) => Ok(()),
        (Value::Dynamic { value, .. }, _) => conforms(value, ty, path),
        (Value::Bool(_), Type::Bool)
        | (Value::Number(_), Type::Number)
        | (Value::String(_), Type::String) => Ok(()),
        (Value::List(v), Type::List(e)) | (Value::Set(v), Type::Set(e)) => {
            for (i, element) in v.iter().enumerate() {
                let step = match value {
                    Value::List(_) => PathStep::ElementKeyInt(i as i64),
                    // Set elements have no key; report them at the set itself.
                    _ => {
                        conforms(element, e, path)?;
                        continue;
                    }
                };
                conforms(element, e, &path.child(step))?;
            }
            Ok(())
        }
        (Value::Map(m), Type::Map(e)) => {
            for (k, v) in m {
                conforms(v, e, &path.child(PathStep::ElementKeyString(k.clone())))?;
            }
            Ok(())
        }
        (Value::Object(m), Type::Object(o)) => {
            for (name, attr_ty) in &o.attributes {
                let child = path.child(PathStep::Attribute(name.clone()));
                match m.get(name) {
                    Some(v) => conforms(v, attr_ty, &child)?,
                    None => return Err(CodecError::new(&child, "attribute is missing")),
                }
            }
            if let Some(extra) = m.keys().find(|k| !o.attributes.contains_key(*k)) {
                return Err(CodecError::new(
                    path,
                    format!("unsupported attribute {extra:?}"),
                ));
            }
            Ok(())
        }
        (Value::Tuple(v), Type::Tuple(ts)) => {
            if v.len() != ts.len() {
                return Err(CodecError::new(
                    path,
                    format!("tuple has {} elements, type needs {}", v.len(), ts.len()),
                ));
            }
            for (i, (element, t)) in v.iter().zip(ts).enumerate() {
                conforms(element, t, &path.child(PathStep::ElementKeyInt(i as i64)))?;
            }
            Ok(())
        }
        (Value::Bool(_), _) => mismatch("a bool"),
        (Value::Number(_), _) => mismatch("a number"),
        (Value::String(_), _) => mismatch("a string"),
        (Value::List(_), _) => mismatch("a list"),
        (Value::Set(_), _) => mismatch("a set"),
        (Value::Map(_), _) => mismatch("a map"),
        (Value::Object(_), _) => mismatch("an object"),
        (Value::Tuple(_), _) => mismatch("a tuple"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_matching_shapes() {
        let ty = Type::object([
            ("a", Type::list(Type::String)),
            ("b", Type::map(Type::Number)),
        ]);
        let v = Value::object([
            ("a", Value::list(["x".into(), Value::Unknown])),
            ("b", Value::Null),
        ]);
        assert!(v.check_conforms(&ty).is_ok());
    }

    #[test]
    fn rejects_wrong_kinds_and_attributes() {
        let ty = Type::object([("a", Type::list(Type::String))]);
        let err = Value::object([("a", Value::list([Value::from(1)]))])
            .check_conforms(&ty)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "at a[0]: a number does not conform to type string"
        );
        let err = Value::object([("b", Value::Null)])
            .check_conforms(&ty)
            .unwrap_err();
        assert_eq!(err.to_string(), "at a: attribute is missing");
        let err = Value::object([("a", Value::Null), ("b", Value::Null)])
            .check_conforms(&ty)
            .unwrap_err();
        assert!(err.message.contains("unsupported attribute \"b\""));
    }

    #[test]
    fn infers_types() {
        let v = Value::object([
            ("n", Value::from(1)),
            ("l", Value::list(["a".into(), "b".into()])),
        ]);
        assert_eq!(
            v.infer_type(),
            Some(Type::object([
                ("n", Type::Number),
                ("l", Type::list(Type::String))
            ]))
        );
        assert_eq!(Value::list(["a".into(), Value::from(1)]).infer_type(), None);
        assert_eq!(Value::List(vec![]).infer_type(), None);
    }
}
