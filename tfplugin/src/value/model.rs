//! cty values and the accessors provider code uses to read and build them.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use super::number::Number;
use super::types::Type;
use crate::path::{AttributePath, PathStep};

/// A Terraform (cty) value.
///
/// Values do not carry their type: encoders and decoders are driven by a [`Type`] (usually a
/// schema block's implied type). The one exception is [`Value::Dynamic`], which records the
/// concrete type of a value stored where the schema says `dynamic`.
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// A null value of whatever type the context expects.
    #[default]
    Null,
    /// A value that will only be known after apply.
    Unknown,
    /// A known bool.
    Bool(bool),
    /// A known number.
    Number(Number),
    /// A known string.
    String(String),
    /// A known list.
    List(Vec<Value>),
    /// A known set (order is not significant; use [`Value::set`] to deduplicate).
    Set(Vec<Value>),
    /// A known map.
    Map(BTreeMap<String, Value>),
    /// A known object (or nested block instance).
    Object(BTreeMap<String, Value>),
    /// A known tuple.
    Tuple(Vec<Value>),
    /// A value with its concrete type, stored in a `dynamic` slot.
    Dynamic {
        /// The concrete type of `value`.
        ty: Type,
        /// The value, which may itself be null or unknown.
        value: Box<Value>,
    },
}

/// The null value, for returning references to absent attributes.
static NULL: Value = Value::Null;

impl Value {
    /// A string value.
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// A number value.
    pub fn number(n: impl Into<Number>) -> Value {
        Value::Number(n.into())
    }

    /// A list value.
    pub fn list<I: IntoIterator<Item = Value>>(elements: I) -> Value {
        Value::List(elements.into_iter().collect())
    }

    /// A set value, sorted and without duplicates.
    pub fn set<I: IntoIterator<Item = Value>>(elements: I) -> Value {
        let mut v: Vec<Value> = elements.into_iter().collect();
        v.sort();
        v.dedup();
        Value::Set(v)
    }

    /// A map value.
    pub fn map<I, K>(entries: I) -> Value
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<String>,
    {
        Value::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// An object value.
    pub fn object<I, K>(attributes: I) -> Value
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<String>,
    {
        Value::Object(attributes.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A tuple value.
    pub fn tuple<I: IntoIterator<Item = Value>>(elements: I) -> Value {
        Value::Tuple(elements.into_iter().collect())
    }

    /// A value placed in a `dynamic` slot, remembering its concrete type.
    pub fn dynamic(ty: Type, value: Value) -> Value {
        Value::Dynamic {
            ty,
            value: Box::new(value),
        }
    }

    /// The value itself, or the wrapped value of a [`Value::Dynamic`].
    pub fn inner(&self) -> &Value {
        match self {
            Value::Dynamic { value, .. } => value.inner(),
            other => other,
        }
    }

    /// True for null (also a null wrapped in `Dynamic`).
    pub fn is_null(&self) -> bool {
        matches!(self.inner(), Value::Null)
    }

    /// True for unknown (also an unknown wrapped in `Dynamic`).
    pub fn is_unknown(&self) -> bool {
        matches!(self.inner(), Value::Unknown)
    }

    /// True unless the value itself is unknown (elements may still be unknown).
    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// True when neither the value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self.inner() {
            Value::Unknown => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// The string, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self.inner() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bool, if this is a known bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self.inner() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is a known number.
    pub fn as_number(&self) -> Option<&Number> {
        match self.inner() {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The number as `i64`, if it is a whole number in range.
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::to_i64)
    }

    /// The number as `u64`, if it is a non-negative whole number in range.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_number().and_then(Number::to_u64)
    }

    /// The number as the nearest `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().map(Number::to_f64)
    }

    /// The elements of a known list, set or tuple; empty for anything else (including null).
    pub fn elements(&self) -> &[Value] {
        match self.inner() {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => v,
            _ => &[],
        }
    }

    /// The entries of a known map or object.
    pub fn entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self.inner() {
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Mutable entries of a known map or object.
    pub fn entries_mut(&mut self) -> Option<&mut BTreeMap<String, Value>> {
        match self {
            Value::Dynamic { value, .. } => value.entries_mut(),
            Value::Map(m) | Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The attribute (or map entry) `name`, if present.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.entries().and_then(|m| m.get(name))
    }

    /// The attribute (or map entry) `name`; null when absent or when this value is not an
    /// object. Lets resource code read optional attributes without `Option` plumbing.
    pub fn attr(&self, name: &str) -> &Value {
        self.get(name).unwrap_or(&NULL)
    }

    /// Sets attribute `name` of an object (or entry of a map). A null value becomes an empty
    /// object first. Returns `false` (and changes nothing) for any other kind of value.
    pub fn set_attr(&mut self, name: impl Into<String>, value: impl Into<Value>) -> bool {
        if self.is_null() {
            *self = Value::Object(BTreeMap::new());
        }
        match self.entries_mut() {
            Some(m) => {
                m.insert(name.into(), value.into());
                true
            }
            None => false,
        }
    }

    /// The instances of nested block `name`: list/set elements, map values, or the single
    /// object of a SINGLE/GROUP block (none when null).
    pub fn blocks<'a>(&'a self, name: &str) -> Box<dyn Iterator<Item = &'a Value> + 'a> {
        let v = self.attr(name).inner();
        match v {
            Value::List(e) | Value::Set(e) | Value::Tuple(e) => Box::new(e.iter()),
            Value::Map(m) => Box::new(m.values()),
            Value::Object(_) => Box::new(std::iter::once(v)),
            _ => Box::new(std::iter::empty()),
        }
    }

    /// The value at `path`, if every step exists.
    pub fn get_path(&self, path: &AttributePath) -> Option<&Value> {
        let mut current = self;
        for step in path.steps() {
            current = match (step, current.inner()) {
                (PathStep::Attribute(n), Value::Object(m))
                | (PathStep::ElementKeyString(n), Value::Map(m)) => m.get(n)?,
                (PathStep::ElementKeyInt(i), Value::List(v) | Value::Tuple(v)) => {
                    v.get(usize::try_from(*i).ok()?)?
                }
                _ => return None,
            };
        }
        Some(current)
    }

    /// Rank of the variant in the canonical order.
    fn rank(&self) -> u8 {
        match self {
            Value::Null => 0,
            Value::Unknown => 1,
            Value::Bool(_) => 2,
            Value::Number(_) => 3,
            Value::String(_) => 4,
            Value::List(_) => 5,
            Value::Set(_) => 6,
            Value::Map(_) => 7,
            Value::Object(_) => 8,
            Value::Tuple(_) => 9,
            Value::Dynamic { .. } => 10,
        }
    }
}

fn sorted(v: &[Value]) -> Vec<&Value> {
    let mut s: Vec<&Value> = v.iter().collect();
    s.sort();
    s
}

impl Ord for Value {
    /// A total order used to keep sets canonical. Sets compare as sorted sequences, so two
    /// sets with the same elements in a different order are equal.
    fn cmp(&self, other: &Value) -> Ordering {
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Number(a), Value::Number(b)) => a.cmp(b),
            (Value::String(a), Value::String(b)) => a.cmp(b),
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => a.cmp(b),
            (Value::Set(a), Value::Set(b)) => sorted(a).cmp(&sorted(b)),
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => a.cmp(b),
            (Value::Dynamic { ty: ta, value: va }, Value::Dynamic { ty: tb, value: vb }) => {
                ta.cmp(tb).then_with(|| va.cmp(vb))
            }
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Value) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Value {
    /// Exact equality (cty's RawEquals): unknown equals unknown, sets ignore order.
    fn eq(&self, other: &Value) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::String(s.clone())
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(n.into())
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Value {
        Value::Number(n.into())
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::Number(n.into())
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::Number(n.into())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    /// `None` becomes null.
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Null, Into::into)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    /// A vector becomes a list.
    fn from(v: Vec<T>) -> Value {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

/// Builds an object value one attribute at a time.
#[derive(Debug, Clone, Default)]
pub struct ObjectBuilder(BTreeMap<String, Value>);

impl ObjectBuilder {
    /// An empty object.
    pub fn new() -> ObjectBuilder {
        ObjectBuilder::default()
    }

    /// Adds (or replaces) attribute `name`.
    pub fn attr(mut self, name: impl Into<String>, value: impl Into<Value>) -> ObjectBuilder {
        self.0.insert(name.into(), value.into());
        self
    }

    /// The finished object.
    pub fn build(self) -> Value {
        Value::Object(self.0)
    }
}

impl fmt::Display for Value {
    /// A compact HCL-like rendering for error messages: `"x"`, `42`, `null`,
    /// `(unknown)`, `["a", "b"]`, `{ a = 1 }`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn seq(f: &mut fmt::Formatter<'_>, open: &str, v: &[Value], close: &str) -> fmt::Result {
            f.write_str(open)?;
            for (i, e) in v.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{e}")?;
            }
            f.write_str(close)
        }
        match self {
            Value::Null => f.write_str("null"),
            Value::Unknown => f.write_str("(unknown)"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::List(v) | Value::Tuple(v) => seq(f, "[", v, "]"),
            Value::Set(v) => seq(f, "toset([", v, "])"),
            Value::Map(m) | Value::Object(m) => {
                if m.is_empty() {
                    return f.write_str("{}");
                }
                f.write_str("{ ")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                f.write_str(" }")
            }
            Value::Dynamic { value, .. } => write!(f, "{value}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_ignore_order_and_duplicates() {
        let a = Value::set(["b".into(), "a".into(), "a".into()]);
        let b = Value::Set(vec!["a".into(), "b".into()]);
        let c = Value::Set(vec!["b".into(), "a".into()]);
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(a.elements().len(), 2);
        assert_ne!(Value::list(["a".into()]), Value::set(["a".into()]));
    }

    #[test]
    fn accessors_read_nested_values() {
        let v = ObjectBuilder::new()
            .attr("name", "web")
            .attr("size", 42)
            .attr("on", true)
            .attr("nothing", Value::Null)
            .attr(
                "disk",
                Value::list([Value::object([("size_gb", Value::from(10))])]),
            )
            .build();
        assert_eq!(v.attr("name").as_str(), Some("web"));
        assert_eq!(v.attr("size").as_i64(), Some(42));
        assert_eq!(v.attr("on").as_bool(), Some(true));
        assert!(v.attr("nothing").is_null());
        assert!(v.attr("missing").is_null());
        assert_eq!(v.blocks("disk").count(), 1);
        let p = AttributePath::attribute("disk").index(0).attr("size_gb");
        assert_eq!(v.get_path(&p).and_then(Value::as_i64), Some(10));
        assert!(v
            .get_path(&AttributePath::attribute("disk").index(3))
            .is_none());
    }

    #[test]
    fn wholly_known_looks_inside() {
        let v = Value::object([("a", Value::list([Value::Unknown]))]);
        assert!(v.is_known());
        assert!(!v.is_wholly_known());
        assert!(Value::dynamic(Type::String, Value::Unknown).is_unknown());
    }

    #[test]
    fn set_attr_builds_objects() {
        let mut v = Value::Null;
        assert!(v.set_attr("id", "x"));
        assert_eq!(v.attr("id").as_str(), Some("x"));
        let mut s = Value::from("text");
        assert!(!s.set_attr("id", "x"));
    }

    #[test]
    fn displays_compactly() {
        let v = Value::object([
            ("a", Value::from(1)),
            ("b", Value::list(["x".into(), Value::Unknown])),
        ]);
        assert_eq!(v.to_string(), "{ a = 1, b = [\"x\", (unknown)] }");
    }
}
