//! XML on `/caas/2.N/`: choosing the representation, writing documents and envelopes in the
//! `urn:didata.com:api:cloud:types` namespace, and reading XML request bodies into the same request
//! types as JSON.
//!
//! The handlers build every answer as JSON; [`write`] renders it the way the real API marshals the
//! same document as XML (as libcloud's recorded fixtures show):
//!
//! * an asset (a document root or a list item) keeps its scalar fields as child elements, except
//!   its identity, which is carried in attributes (`id`, `datacenterId`, a firewall rule's
//!   `ruleType`, a datacenter's `type`, an envelope's `requestId`);
//! * a nested value object (`cpu`, `disk`, `networkInfo`, `primaryNic`, `privateIpv4Range`,
//!   `info`, `property`, …) carries its scalar fields as attributes and its objects and arrays as
//!   child elements; a few nested objects are written like assets (`progress`, `diskSpeed`,
//!   `cpuSpeed`);
//! * an array becomes one element per item, named by the array's key;
//! * a list's root is the plural of its collection (`networkDomains`) with the paging fields
//!   (`pageNumber`, `pageCount`, `totalCount`, `pageSize`) as attributes.
//!
//! Request bodies are read by a small serde deserializer over the parsed element tree: an
//! element's attributes and child elements are its fields, a repeated element is an array, and
//! text is converted to whatever type the request field has.

use crate::envelope::ApiError;
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde_json::Value;
use std::fmt;

/// The namespace of every CaaS 2.x XML document.
pub const TYPES_NS: &str = "urn:didata.com:api:cloud:types";

/// A wire representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// `application/json`.
    #[default]
    Json,
    /// `application/xml` (or `text/xml`).
    Xml,
}

/// Classifies one media type (`application/xml; charset=utf-8` → `Some(Xml)`); `None` for
/// wildcards and for types that are neither.
fn media_format(media: &str) -> Option<Format> {
    let essence = media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/xml" || essence == "text/xml" || essence.ends_with("+xml") {
        Some(Format::Xml)
    } else if essence == "application/json" || essence.ends_with("+json") {
        Some(Format::Json)
    } else {
        None
    }
}

impl Format {
    /// The format of a request body, from its `Content-Type` (JSON unless it names XML).
    pub fn of_body(content_type: Option<&str>) -> Format {
        content_type.and_then(media_format).unwrap_or(Format::Json)
    }

    /// The format of the answer: the first of JSON or XML that `Accept` names; when `Accept` is
    /// absent or names neither (`*/*`), the format of the request's `Content-Type`.
    pub fn of_answer(accept: Option<&str>, content_type: Option<&str>) -> Format {
        accept
            .into_iter()
            .flat_map(|a| a.split(','))
            .find_map(media_format)
            .unwrap_or_else(|| Format::of_body(content_type))
    }

    /// The `Content-Type` of an answer in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Xml => "application/xml; charset=utf-8",
        }
    }
}

/// The paging fields of a list document, written as attributes of the list's root.
const PAGING: [&str; 4] = ["pageNumber", "pageCount", "totalCount", "pageSize"];

/// The root of a paged list of `collection` (`networkDomain` → `networkDomains`,
/// `reservedPublicIpv4Address` → `reservedPublicIpv4Addresses`).
pub fn list_root(collection: &str) -> String {
    if collection.ends_with('s') {
        format!("{collection}es")
    } else {
        format!("{collection}s")
    }
}

/// Escapes text for XML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Child elements that open the real documents, in their order.
const LEADING: [&str; 9] = [
    "operation",
    "responseCode",
    "message",
    "info",
    "warning",
    "error",
    "networkDomain",
    "name",
    "description",
];

/// The fields an asset element carries as attributes rather than child elements.
fn asset_attributes(element: &str) -> &'static [&'static str] {
    match element {
        "response" => &["requestId"],
        "tag" => &[],
        "datacenter" => &["id", "type"],
        "firewallRule" => &["id", "datacenterId", "ruleType"],
        // As libcloud's recorded rule lists show them.
        "antiAffinityRule" => &["id", "state", "created", "createTime", "datacenterId"],
        "consistencyGroupSnapshots" => crate::resources::consistency_group::SNAPSHOTS_ATTRIBUTES,
        // Reserved addresses: the address is the element's text (the JSON `value`).
        "ip" | "ipv4" | "ipv6" => &["datacenterId", "ipBlockId", "networkDomainId", "vlanId"],
        // An OVF package on the FTPS host: `name` element, times and status attributes (the
        // .NET client's `ovfPackages` contract); the datacenter is the emulator's addition.
        "ovfPackage" => &["lastModifiedTime", "expiryTime", "status", "datacenterId"],
        _ => &["id", "datacenterId"],
    }
}

/// Nested objects written like assets (scalar fields as child elements), with their attributes.
fn nested_asset_attributes(element: &str) -> Option<&'static [&'static str]> {
    match element {
        "progress" | "step" => Some(&[]),
        // An anti-affinity rule's server: `id` attribute, `name` and `description` elements.
        "serverSummary" => Some(&["id"]),
        "diskSpeed" | "cpuSpeed" => Some(&["id", "default", "available"]),
        // A virtual listener's pools: `id` and `name` attributes, the pool's settings as child
        // elements (libcloud's recorded listener list).
        "pool" | "clientClonePool" => Some(&["id", "name"]),
        // An SSL offload profile's certificate and chain: `id` and `expiryTime` attributes, the
        // `name` element (libcloud's recorded profiles).
        "sslDomainCertificate" | "sslCertificateChain" => Some(&["id", "expiryTime"]),
        _ => None,
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Renders a JSON document (or envelope) as the real API's XML.
///
/// `root` names the document element of a single asset or envelope (`server`, `response`);
/// `list_root` names the root of a paged list (`servers`) and is used when the document carries
/// the paging fields.
pub fn write(value: &Value, root: &str, list_root: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n");
    let Value::Object(fields) = value else {
        element(&mut out, root, value, true, true);
        return out;
    };
    if PAGING.iter().all(|p| fields.contains_key(*p)) {
        out.push('<');
        out.push_str(list_root);
        out.push_str(&format!(" xmlns=\"{TYPES_NS}\""));
        for p in PAGING {
            if let Some(t) = fields.get(p).and_then(scalar_text) {
                out.push_str(&format!(" {p}=\"{}\"", escape(&t)));
            }
        }
        out.push('>');
        for (key, items) in fields {
            if PAGING.contains(&key.as_str()) {
                continue;
            }
            match items {
                Value::Array(items) => {
                    for item in items {
                        element(&mut out, key, item, true, false);
                    }
                }
                other => element(&mut out, key, other, true, false),
            }
        }
        out.push_str(&format!("</{list_root}>"));
    } else {
        element(&mut out, root, value, true, true);
    }
    out
}

/// Writes one element. `asset` selects the asset rule (scalars as child elements except the
/// identity attributes); `namespaced` adds the `xmlns` declaration (document roots).
fn element(out: &mut String, name: &str, value: &Value, asset: bool, namespaced: bool) {
    out.push('<');
    out.push_str(name);
    if namespaced {
        out.push_str(&format!(" xmlns=\"{TYPES_NS}\""));
    }
    let fields = match value {
        Value::Object(fields) => fields,
        Value::Null => {
            out.push_str("/>");
            return;
        }
        scalar => {
            let text = scalar_text(scalar).unwrap_or_default();
            out.push_str(&format!(">{}</{name}>", escape(&text)));
            return;
        }
    };
    let attributes: Option<&[&str]> = if asset {
        Some(asset_attributes(name))
    } else {
        nested_asset_attributes(name)
            .or_else(|| crate::resources::consistency_group::xml_nested_attributes(name, fields))
    };
    let is_attribute = |key: &str, v: &Value| match attributes {
        Some(list) => list.contains(&key) && scalar_text(v).is_some(),
        None => scalar_text(v).is_some(),
    };
    // The JSON `value` of a reserved address is the element's text.
    let text_value = match (asset, name) {
        (true, "ip" | "ipv4" | "ipv6") => fields.get("value").and_then(scalar_text),
        _ => None,
    };
    // Identity attributes in their documented order (`id` before `datacenterId`), then the rest.
    let mut attribute_names: Vec<&str> = attributes
        .unwrap_or(&[])
        .iter()
        .copied()
        .filter(|k| fields.contains_key(*k))
        .collect();
    for key in fields.keys() {
        if !attribute_names.contains(&key.as_str()) {
            attribute_names.push(key);
        }
    }
    for key in attribute_names {
        let v = &fields[key];
        if text_value.is_some() && key == "value" {
            continue;
        }
        if is_attribute(key, v) {
            let t = scalar_text(v).unwrap_or_default();
            out.push_str(&format!(" {key}=\"{}\"", escape(&t)));
        }
    }
    let mut children: Vec<(&String, &Value)> = fields
        .iter()
        .filter(|(k, v)| {
            !(is_attribute(k, v) || v.is_null() || (text_value.is_some() && *k == "value"))
        })
        .collect();
    // The documents are built as JSON objects, which keep no order; lead with the elements the
    // real documents start with, the rest follow by name.
    children.sort_by_key(|(k, _)| LEADING.iter().position(|l| l == k).unwrap_or(LEADING.len()));
    if children.is_empty() && text_value.is_none() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    if let Some(t) = &text_value {
        out.push_str(&escape(t));
    }
    for (key, v) in children {
        match v {
            Value::Array(items) => {
                for item in items {
                    element(out, key, item, false, false);
                }
            }
            other => element(out, key, other, false, false),
        }
    }
    out.push_str(&format!("</{name}>"));
}

/// Reads an XML request body into `T`. The root element must be the operation's (`deployVlan`)
/// in the CaaS namespace; errors name the offending element or attribute.
pub fn parse_body<T: DeserializeOwned>(body: &[u8], operation: &str) -> Result<T, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| ApiError::invalid("body", format!("the XML body is not UTF-8: {e}")))?;
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(ApiError::invalid("body", "an XML request body is required"));
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Err(ApiError::invalid(
            "body",
            "the Content-Type says XML but the body is JSON; send XML or use Content-Type: application/json",
        ));
    }
    let doc = roxmltree::Document::parse(text)
        .map_err(|e| ApiError::invalid("body", format!("malformed XML: {e}")))?;
    let root = doc.root_element();
    let name = root.tag_name().name();
    if root.tag_name().namespace() != Some(TYPES_NS) {
        return Err(ApiError::invalid(
            name,
            format!("element <{name}> must be in the namespace {TYPES_NS}"),
        ));
    }
    if name != operation {
        return Err(ApiError::invalid(
            name,
            format!("unexpected root element <{name}>; this operation takes <{operation}>"),
        ));
    }
    serde_path_to_error::deserialize(NodeDe(root)).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path == "?" || path.is_empty() {
            name.to_string()
        } else {
            path
        };
        ApiError::invalid(&field, e.inner().to_string())
    })
}

/// Every attribute value and text of an XML body (for finding the ids a request names).
pub fn strings(body: &[u8]) -> Vec<String> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Vec::new();
    };
    let Ok(doc) = roxmltree::Document::parse(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for node in doc.descendants() {
        if node.is_element() {
            out.extend(node.attributes().map(|a| a.value().to_string()));
        } else if let Some(t) = node.text() {
            if !t.trim().is_empty() {
                out.push(t.trim().to_string());
            }
        }
    }
    out
}

/// The text of the root's child element `name`, if the body is XML and has one.
pub fn child_text(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let doc = roxmltree::Document::parse(text).ok()?;
    let child = doc
        .root_element()
        .children()
        .find(|c| c.is_element() && c.tag_name().name() == name)?;
    Some(child.text().unwrap_or("").to_string())
}

fn text_of(node: roxmltree::Node) -> String {
    node.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect()
}

/// A deserialization error while reading an XML body.
#[derive(Debug)]
pub struct DeError(String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

/// One field of an element: an attribute's value or the (possibly repeated) child elements.
enum Field<'a, 'input> {
    Attribute(&'a str),
    Elements(Vec<roxmltree::Node<'a, 'input>>),
}

/// An element's fields in document order: attributes first, then child elements grouped by name.
fn fields<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
) -> Result<Vec<(&'a str, Field<'a, 'input>)>, DeError> {
    let mut out: Vec<(&'a str, Field<'a, 'input>)> = Vec::new();
    for a in node.attributes() {
        // xsi:nil and other namespaced attributes are not fields.
        if a.namespace().is_none() {
            out.push((a.name(), Field::Attribute(a.value())));
        }
    }
    for c in node.children().filter(|c| c.is_element()) {
        let name = c.tag_name().name();
        if c.tag_name().namespace() != Some(TYPES_NS) {
            return Err(DeError(format!(
                "element <{name}> must be in the namespace {TYPES_NS}"
            )));
        }
        match out
            .iter_mut()
            .find(|(n, f)| *n == name && matches!(f, Field::Elements(_)))
        {
            Some((_, Field::Elements(v))) => v.push(c),
            _ => out.push((name, Field::Elements(vec![c]))),
        }
    }
    Ok(out)
}

/// Deserializes one element: a struct from its fields, a scalar from its text.
struct NodeDe<'a, 'input>(roxmltree::Node<'a, 'input>);

impl<'a, 'input> NodeDe<'a, 'input> {
    fn has_structure(&self) -> bool {
        self.0.children().any(|c| c.is_element())
            || self.0.attributes().any(|a| a.namespace().is_none())
    }

    fn scalar(&self) -> Result<TextDe, DeError> {
        if self.has_structure() {
            return Err(DeError(format!(
                "element <{}> must hold a value, not attributes or elements",
                self.0.tag_name().name()
            )));
        }
        Ok(TextDe(text_of(self.0)))
    }
}

macro_rules! via_text {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            self.scalar()?.$method(visitor)
        })*
    };
}

impl<'de, 'a, 'input> de::Deserializer<'de> for NodeDe<'a, 'input> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        if self.has_structure() {
            self.deserialize_map(visitor)
        } else {
            visitor.visit_string(text_of(self.0))
        }
    }

    via_text!(deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_f32
        deserialize_f64 deserialize_char deserialize_str deserialize_string deserialize_bytes
        deserialize_byte_buf deserialize_identifier);

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_seq(Elements(vec![self.0].into_iter()))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(Fields {
            fields: fields(self.0)?.into_iter(),
            value: None,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let text = self.scalar()?.0;
        visitor.visit_enum(IntoDeserializer::<DeError>::into_deserializer(text))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

/// An element's fields as a serde map.
struct Fields<'a, 'input> {
    fields: std::vec::IntoIter<(&'a str, Field<'a, 'input>)>,
    value: Option<Field<'a, 'input>>,
}

impl<'de, 'a, 'input> de::MapAccess<'de> for Fields<'a, 'input> {
    type Error = DeError;

    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.fields.next() {
            Some((name, field)) => {
                self.value = Some(field);
                seed.deserialize(IntoDeserializer::<DeError>::into_deserializer(name))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: de::DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DeError> {
        match self.value.take() {
            Some(Field::Attribute(text)) => seed.deserialize(TextDe(text.to_string())),
            Some(Field::Elements(nodes)) => seed.deserialize(ElementsDe(nodes)),
            None => Err(DeError(
                "a field value was requested before its name".into(),
            )),
        }
    }
}

/// The elements of one name inside a parent: an array, or (when there is one) a single value.
struct ElementsDe<'a, 'input>(Vec<roxmltree::Node<'a, 'input>>);

impl<'a, 'input> ElementsDe<'a, 'input> {
    fn single(self) -> Result<NodeDe<'a, 'input>, DeError> {
        let n = self.0.len();
        let mut nodes = self.0.into_iter();
        match (nodes.next(), n) {
            (Some(node), 1) => Ok(NodeDe(node)),
            (Some(node), _) => Err(DeError(format!(
                "element <{}> appears {n} times but is allowed once",
                node.tag_name().name()
            ))),
            (None, _) => Err(DeError("missing element".into())),
        }
    }
}

macro_rules! via_single {
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            self.single()?.$method(visitor)
        })*
    };
}

impl<'de, 'a, 'input> de::Deserializer<'de> for ElementsDe<'a, 'input> {
    type Error = DeError;

    via_single!(deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string
        deserialize_bytes deserialize_byte_buf deserialize_identifier deserialize_unit
        deserialize_map deserialize_ignored_any);

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.single()?.deserialize_unit_struct(name, visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_seq(Elements(self.0.into_iter()))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.single()?.deserialize_struct(name, fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.single()?.deserialize_enum(name, variants, visitor)
    }
}

/// Repeated elements as a serde sequence.
struct Elements<'a, 'input>(std::vec::IntoIter<roxmltree::Node<'a, 'input>>);

impl<'de, 'a, 'input> de::SeqAccess<'de> for Elements<'a, 'input> {
    type Error = DeError;

    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.0.next() {
            Some(node) => seed.deserialize(NodeDe(node)).map(Some),
            None => Ok(None),
        }
    }
}

/// A text value (an attribute or a leaf element), converted to the type the field asks for.
struct TextDe(String);

impl TextDe {
    fn parse<T: std::str::FromStr>(&self, exp: &dyn de::Expected) -> Result<T, DeError> {
        self.0
            .trim()
            .parse()
            .map_err(|_| de::Error::invalid_value(de::Unexpected::Str(&self.0), exp))
    }
}

macro_rules! via_parse {
    ($($method:ident => $ty:ty, $visit:ident;)*) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let v: $ty = self.parse(&visitor)?;
            visitor.$visit(v)
        })*
    };
}

impl<'de> de::Deserializer<'de> for TextDe {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_string(self.0)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // xsd:boolean: true, false, 1, 0.
        match self.0.trim() {
            "true" | "1" => visitor.visit_bool(true),
            "false" | "0" => visitor.visit_bool(false),
            _ => Err(de::Error::invalid_value(
                de::Unexpected::Str(&self.0),
                &"true or false",
            )),
        }
    }

    via_parse! {
        deserialize_i8 => i8, visit_i8;
        deserialize_i16 => i16, visit_i16;
        deserialize_i32 => i32, visit_i32;
        deserialize_i64 => i64, visit_i64;
        deserialize_u8 => u8, visit_u8;
        deserialize_u16 => u16, visit_u16;
        deserialize_u32 => u32, visit_u32;
        deserialize_u64 => u64, visit_u64;
        deserialize_f32 => f32, visit_f32;
        deserialize_f64 => f64, visit_f64;
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_some(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_enum(IntoDeserializer::<DeError>::into_deserializer(self.0))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Nic {
        #[serde(default)]
        vlan_id: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Info {
        network_domain_id: String,
        primary_nic: Nic,
        #[serde(default)]
        additional_nic: Option<Vec<Nic>>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Deploy {
        name: String,
        #[serde(default)]
        description: Option<String>,
        start: bool,
        #[serde(default)]
        memory_gb: Option<u32>,
        network_info: Info,
    }

    const DEPLOY: &str = r#"<deployServer xmlns="urn:didata.com:api:cloud:types"><name>web</name><description /><start>true</start><memoryGb>4</memoryGb><networkInfo networkDomainId="nd"><primaryNic><vlanId>v1</vlanId></primaryNic><additionalNic><vlanId>v2</vlanId></additionalNic><additionalNic><vlanId>v3</vlanId></additionalNic></networkInfo></deployServer>"#;

    #[test]
    fn bodies_read_into_the_json_request_types() {
        let d: Deploy = parse_body(DEPLOY.as_bytes(), "deployServer").unwrap();
        assert_eq!(d.name, "web");
        assert_eq!(d.description.as_deref(), Some(""));
        assert!(d.start);
        assert_eq!(d.memory_gb, Some(4));
        assert_eq!(d.network_info.network_domain_id, "nd");
        assert_eq!(d.network_info.primary_nic.vlan_id.as_deref(), Some("v1"));
        let extra = d.network_info.additional_nic.unwrap();
        assert_eq!(extra.len(), 2);
        assert_eq!(extra[1].vlan_id.as_deref(), Some("v3"));
    }

    #[test]
    fn bad_bodies_name_the_element() {
        let unknown = DEPLOY.replace("<memoryGb>4</memoryGb>", "<memoryGB>4</memoryGB>");
        let e = parse_body::<Deploy>(unknown.as_bytes(), "deployServer").unwrap_err();
        assert!(e.message.contains("memoryGB"), "{}", e.message);
        let bad = DEPLOY.replace("<memoryGb>4</memoryGb>", "<memoryGb>four</memoryGb>");
        let e = parse_body::<Deploy>(bad.as_bytes(), "deployServer").unwrap_err();
        assert!(e.message.starts_with("memoryGb:"), "{}", e.message);
        let e = parse_body::<Deploy>(b"{\"name\": \"x\"}", "deployServer").unwrap_err();
        assert!(e.message.contains("body is JSON"), "{}", e.message);
        let e = parse_body::<Deploy>(&DEPLOY.as_bytes()[..40], "deployServer").unwrap_err();
        assert!(e.message.contains("malformed XML"), "{}", e.message);
        let e = parse_body::<Deploy>(DEPLOY.as_bytes(), "deployVlan").unwrap_err();
        assert!(e.message.starts_with("deployServer:"), "{}", e.message);
        let twice = DEPLOY.replace("<name>web</name>", "<name>a</name><name>b</name>");
        let e = parse_body::<Deploy>(twice.as_bytes(), "deployServer").unwrap_err();
        assert!(
            e.message.contains("<name> appears 2 times"),
            "{}",
            e.message
        );
        let foreign = DEPLOY.replace(" xmlns=\"urn:didata.com:api:cloud:types\"", "");
        let e = parse_body::<Deploy>(foreign.as_bytes(), "deployServer").unwrap_err();
        assert!(e.message.contains("namespace"), "{}", e.message);
    }

    #[test]
    fn list_roots_are_plurals() {
        assert_eq!(list_root("networkDomain"), "networkDomains");
        assert_eq!(list_root("tag"), "tags");
        assert_eq!(
            list_root("reservedPrivateIpv4Address"),
            "reservedPrivateIpv4Addresses"
        );
    }

    #[test]
    fn negotiation() {
        use Format::*;
        assert_eq!(Format::of_answer(None, Some("application/xml")), Xml);
        assert_eq!(Format::of_answer(Some("*/*"), Some("application/xml")), Xml);
        assert_eq!(Format::of_answer(Some("*/*"), None), Json);
        assert_eq!(Format::of_answer(None, None), Json);
        assert_eq!(
            Format::of_answer(Some("application/json"), Some("application/xml")),
            Json
        );
        assert_eq!(
            Format::of_answer(Some("text/xml;q=0.9"), Some("application/json")),
            Xml
        );
        assert_eq!(Format::of_body(Some("application/xml; charset=utf-8")), Xml);
        assert_eq!(Format::of_body(Some("text/plain")), Json);
    }

    #[test]
    fn documents_split_attributes_and_elements_like_the_real_api() {
        let vlan = json!({"id": "v", "datacenterId": "NA9", "name": "a&b",
            "networkDomain": {"id": "n", "name": "nd"},
            "privateIpv4Range": {"address": "10.0.0.0", "prefixSize": 24}, "state": "NORMAL"});
        let x = write(&vlan, "vlan", "vlans");
        assert!(
            x.contains(
                r#"<vlan xmlns="urn:didata.com:api:cloud:types" id="v" datacenterId="NA9">"#
            ),
            "{x}"
        );
        assert!(x.contains("<name>a&amp;b</name>"), "{x}");
        assert!(x.contains(r#"<networkDomain id="n" name="nd"/>"#), "{x}");
        assert!(
            x.contains(r#"<privateIpv4Range address="10.0.0.0" prefixSize="24"/>"#),
            "{x}"
        );
        let list = json!({"vlan": [vlan], "pageNumber": 1, "pageCount": 1, "totalCount": 1, "pageSize": 250});
        let x = write(&list, "vlan", "vlans");
        assert!(x.contains(r#"<vlans xmlns="urn:didata.com:api:cloud:types" pageNumber="1" pageCount="1" totalCount="1" pageSize="250"><vlan id="v""#), "{x}");
        let envelope = json!({"operation": "DEPLOY_VLAN", "responseCode": "IN_PROGRESS", "message": "m",
            "info": [{"name": "vlanId", "value": "v"}], "warning": [], "error": [], "requestId": "r"});
        let x = write(&envelope, "response", "responses");
        assert!(x.contains(r#"<response xmlns="urn:didata.com:api:cloud:types" requestId="r"><operation>DEPLOY_VLAN</operation>"#), "{x}");
        assert!(x.contains(r#"<info name="vlanId" value="v"/>"#), "{x}");
        roxmltree::Document::parse(&x).unwrap();
    }
}
