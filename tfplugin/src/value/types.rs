//! cty types: the static shapes Terraform values conform to.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A cty type, as used in schema attribute `type` fields and for decoding values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    /// `bool`
    Bool,
    /// `number` (arbitrary precision decimal)
    Number,
    /// `string`
    String,
    /// `dynamic` (cty's DynamicPseudoType): the concrete type travels with the value.
    Dynamic,
    /// `["list", T]`
    List(Box<Type>),
    /// `["set", T]`
    Set(Box<Type>),
    /// `["map", T]`
    Map(Box<Type>),
    /// `["object", {...}]`, optionally with a list of optional attribute names.
    Object(ObjectType),
    /// `["tuple", [...]]`
    Tuple(Vec<Type>),
}

/// The attribute types of an object type, plus the names of optional attributes
/// (the three-element `["object", {...}, ["name", ...]]` form).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ObjectType {
    /// Attribute name to attribute type.
    pub attributes: BTreeMap<String, Type>,
    /// Names of attributes that may be omitted in configuration.
    pub optional: BTreeSet<String>,
}

impl ObjectType {
    /// An object type with the given attributes and no optional attributes.
    pub fn new<I, K>(attributes: I) -> Self
    where
        I: IntoIterator<Item = (K, Type)>,
        K: Into<String>,
    {
        ObjectType {
            attributes: attributes.into_iter().map(|(k, t)| (k.into(), t)).collect(),
            optional: BTreeSet::new(),
        }
    }
}

impl Type {
    /// `["list", element]`
    pub fn list(element: Type) -> Type {
        Type::List(Box::new(element))
    }

    /// `["set", element]`
    pub fn set(element: Type) -> Type {
        Type::Set(Box::new(element))
    }

    /// `["map", element]`
    pub fn map(element: Type) -> Type {
        Type::Map(Box::new(element))
    }

    /// `["object", {...}]` from (name, type) pairs.
    pub fn object<I, K>(attributes: I) -> Type
    where
        I: IntoIterator<Item = (K, Type)>,
        K: Into<String>,
    {
        Type::Object(ObjectType::new(attributes))
    }

    /// `["tuple", [...]]`
    pub fn tuple(elements: Vec<Type>) -> Type {
        Type::Tuple(elements)
    }

    /// True for bool, number and string.
    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::Bool | Type::Number | Type::String)
    }

    /// True for list, set and map.
    pub fn is_collection(&self) -> bool {
        matches!(self, Type::List(_) | Type::Set(_) | Type::Map(_))
    }

    /// The element type of a list, set or map.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(e) | Type::Set(e) | Type::Map(e) => Some(e),
            _ => None,
        }
    }

    /// The type of attribute `name` when this is an object type.
    pub fn attribute_type(&self, name: &str) -> Option<&Type> {
        match self {
            Type::Object(o) => o.attributes.get(name),
            _ => None,
        }
    }

    /// True when the type contains `dynamic` anywhere.
    pub fn has_dynamic(&self) -> bool {
        match self {
            Type::Dynamic => true,
            Type::Bool | Type::Number | Type::String => false,
            Type::List(e) | Type::Set(e) | Type::Map(e) => e.has_dynamic(),
            Type::Object(o) => o.attributes.values().any(Type::has_dynamic),
            Type::Tuple(es) => es.iter().any(Type::has_dynamic),
        }
    }

    /// A short human name, e.g. `list of string`, as used in error messages.
    pub fn friendly_name(&self) -> String {
        match self {
            Type::Bool => "bool".into(),
            Type::Number => "number".into(),
            Type::String => "string".into(),
            Type::Dynamic => "dynamic".into(),
            Type::List(e) => format!("list of {}", e.friendly_name()),
            Type::Set(e) => format!("set of {}", e.friendly_name()),
            Type::Map(e) => format!("map of {}", e.friendly_name()),
            Type::Object(_) => "object".into(),
            Type::Tuple(_) => "tuple".into(),
        }
    }
}

impl fmt::Display for Type {
    /// Displays the compact JSON type string, e.g. `["list","string"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json_string())
    }
}
