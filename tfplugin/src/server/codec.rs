//! DynamicValue decoding and encoding against a schema's implied type.

use crate::diag::Diagnostic;
use crate::proto::tfplugin6 as pb;
use crate::value::{Type, Value};

/// Decodes a value Terraform sent: msgpack when present, JSON as the fallback, and an
/// absent value as null. `what` names the value in the error (e.g. "prior state").
pub fn decode(
    dynamic: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostic> {
    let Some(dynamic) = dynamic else {
        return Ok(Value::Null);
    };
    let decoded = if !dynamic.msgpack.is_empty() {
        Value::from_msgpack(&dynamic.msgpack, ty)
    } else if !dynamic.json.is_empty() {
        Value::from_json(&dynamic.json, ty)
    } else {
        return Ok(Value::Null);
    };
    decoded.map_err(|error| {
        let diagnostic = Diagnostic::error(
            format!("Invalid {what} from Terraform"),
            format!("The {what} does not match the provider's schema: {error}"),
        );
        if error.path.is_empty() {
            diagnostic
        } else {
            diagnostic.at(error.path.clone())
        }
    })
}

/// Encodes a value for Terraform as msgpack. `what` names the value in the error.
pub fn encode(value: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostic> {
    let msgpack = value.to_msgpack(ty).map_err(|error| {
        let diagnostic = Diagnostic::error(
            format!("Provider produced an invalid {what}"),
            format!(
                "The {what} does not conform to the resource schema: {error}. \
                 This is a bug in the provider."
            ),
        );
        if error.path.is_empty() {
            diagnostic
        } else {
            diagnostic.at(error.path.clone())
        }
    })?;
    Ok(pb::DynamicValue {
        msgpack,
        json: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object_type() -> Type {
        Type::object([("name", Type::String), ("size", Type::Number)])
    }

    #[test]
    fn absent_and_empty_values_are_null() {
        assert!(decode(None, &object_type(), "config").unwrap().is_null());
        let empty = pb::DynamicValue::default();
        assert!(decode(Some(&empty), &object_type(), "config")
            .unwrap()
            .is_null());
    }

    #[test]
    fn msgpack_round_trips_and_json_is_a_fallback() {
        let value = Value::object([("name", Value::string("a")), ("size", Value::Unknown)]);
        let encoded = encode(&value, &object_type(), "planned state").unwrap();
        let decoded = decode(Some(&encoded), &object_type(), "planned state").unwrap();
        assert_eq!(decoded, value);
        let json = pb::DynamicValue {
            msgpack: Vec::new(),
            json: br#"{"name":"b","size":3}"#.to_vec(),
        };
        let decoded = decode(Some(&json), &object_type(), "config").unwrap();
        assert_eq!(decoded.attr("name").as_str(), Some("b"));
    }

    #[test]
    fn schema_mismatch_is_a_diagnostic() {
        let json = pb::DynamicValue {
            msgpack: Vec::new(),
            json: br#"{"name":"b","size":"not a number"}"#.to_vec(),
        };
        let err = decode(Some(&json), &object_type(), "config").unwrap_err();
        assert!(err.summary.contains("Invalid config"), "{err}");
    }
}
