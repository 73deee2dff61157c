//! Blocks and nested blocks, their implied cty type, value normalisation, configuration
//! validation and Terraform's own schema rules.

use std::collections::BTreeSet;

use super::attribute::{Attribute, DescriptionKind};
use crate::diag::Diagnostics;
use crate::path::{AttributePath, PathStep};
use crate::value::{ObjectType, Type, Value};

/// A versioned schema for a provider, resource or data source.
#[derive(Clone, Debug, Default)]
pub struct Schema {
    /// Schema version; bump it when the state layout changes (UpgradeResourceState).
    pub version: i64,
    /// The top-level block.
    pub block: Block,
}

impl Schema {
    /// A version-0 schema with `block`.
    pub fn new(block: Block) -> Schema {
        Schema { version: 0, block }
    }

    /// The same schema with another version.
    pub fn with_version(mut self, version: i64) -> Schema {
        self.version = version;
        self
    }
}

/// How instances of a nested block are collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NestingMode {
    /// At most one block; null when absent.
    Single,
    /// Exactly one block, never null (absent means all attributes null).
    Group,
    /// An ordered list of blocks.
    List,
    /// An unordered set of blocks.
    Set,
    /// Blocks keyed by label.
    Map,
}

/// A block: attributes plus nested block types.
#[derive(Clone, Debug, Default)]
pub struct Block {
    /// Attributes, in declaration order.
    pub attributes: Vec<Attribute>,
    /// Nested block types, in declaration order.
    pub block_types: Vec<NestedBlock>,
    /// Documentation text.
    pub description: String,
    /// How `description` is formatted.
    pub description_kind: DescriptionKind,
    /// Using the block produces a deprecation warning.
    pub deprecated: bool,
}

/// A nested block type inside a block.
#[derive(Clone, Debug)]
pub struct NestedBlock {
    /// The block type name, as written in configuration.
    pub type_name: String,
    /// The nested block's content.
    pub block: Block,
    /// How instances are collected.
    pub nesting: NestingMode,
    /// Fewest instances (0 = no minimum).
    pub min_items: i64,
    /// Most instances (0 = no maximum).
    pub max_items: i64,
}

impl Block {
    /// An empty block.
    pub fn new() -> Block {
        Block::default()
    }

    /// Adds an attribute.
    pub fn attribute(mut self, attribute: Attribute) -> Block {
        self.attributes.push(attribute);
        self
    }

    /// Adds a nested block type.
    pub fn block(mut self, nested: NestedBlock) -> Block {
        self.block_types.push(nested);
        self
    }

    /// Plain-text documentation.
    pub fn description(mut self, text: impl Into<String>) -> Block {
        self.description = text.into();
        self.description_kind = DescriptionKind::Plain;
        self
    }

    /// Markdown documentation.
    pub fn markdown_description(mut self, text: impl Into<String>) -> Block {
        self.description = text.into();
        self.description_kind = DescriptionKind::Markdown;
        self
    }

    /// Marks the block deprecated.
    pub fn deprecated(mut self) -> Block {
        self.deprecated = true;
        self
    }

    /// The attribute called `name`.
    pub fn get_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// The nested block type called `name`.
    pub fn get_block_type(&self, name: &str) -> Option<&NestedBlock> {
        self.block_types.iter().find(|b| b.type_name == name)
    }

    /// The object type values of this block have.
    pub fn implied_type(&self) -> Type {
        let mut object = ObjectType::default();
        for a in &self.attributes {
            object.attributes.insert(a.name.clone(), a.ty.clone());
        }
        for b in &self.block_types {
            object
                .attributes
                .insert(b.type_name.clone(), b.implied_type());
        }
        Type::Object(object)
    }

    /// True when `path` names an attribute (or something inside one) or a nested block of this
    /// schema; used to check RequiresReplace paths.
    pub fn has_path(&self, path: &AttributePath) -> bool {
        let mut block = self;
        let mut steps = path.steps().iter().peekable();
        while let Some(step) = steps.next() {
            let PathStep::Attribute(name) = step else {
                return false;
            };
            if block.get_attribute(name).is_some() {
                return true;
            }
            let Some(nested) = block.get_block_type(name) else {
                return false;
            };
            match nested.nesting {
                NestingMode::Single | NestingMode::Group => {}
                NestingMode::List | NestingMode::Set | NestingMode::Map => {
                    if !matches!(
                        steps.peek(),
                        None | Some(PathStep::ElementKeyInt(_) | PathStep::ElementKeyString(_))
                    ) {
                        return false;
                    }
                    steps.next();
                }
            }
            block = &nested.block;
        }
        true
    }

    /// Brings a value into the exact shape Terraform expects for this block: every attribute
    /// and block type present (absent ones null), LIST/SET blocks an empty collection rather
    /// than null, GROUP blocks never null. A null value (no object) stays null.
    pub fn normalize(&self, value: &Value) -> Value {
        let entries = match value.inner() {
            Value::Object(m) | Value::Map(m) => m,
            other => return other.clone(),
        };
        let mut out = std::collections::BTreeMap::new();
        for a in &self.attributes {
            out.insert(
                a.name.clone(),
                entries.get(&a.name).cloned().unwrap_or(Value::Null),
            );
        }
        for b in &self.block_types {
            let v = entries.get(&b.type_name).unwrap_or(&Value::Null);
            out.insert(b.type_name.clone(), b.normalize(v));
        }
        Value::Object(out)
    }

    /// Runs every validator on the known, non-null values of `config`, and warns about
    /// deprecated attributes that are set. Returns the diagnostics, each with its path.
    pub fn validate_config(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        self.validate_at(config, &AttributePath::root(), &mut diags);
        diags
    }

    fn validate_at(&self, config: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if config.is_null() || config.is_unknown() {
            return;
        }
        for a in &self.attributes {
            let v = config.attr(&a.name);
            let p = path.child(PathStep::Attribute(a.name.clone()));
            if v.is_null() || v.is_unknown() {
                continue;
            }
            if a.deprecated {
                diags.warning_at(
                    p.clone(),
                    "Deprecated attribute",
                    format!("The attribute {p} is deprecated. Refer to the provider documentation for details."),
                );
            }
            if v.is_wholly_known() {
                for validator in &a.validators {
                    validator.validate(v, &p, diags);
                }
            }
        }
        for b in &self.block_types {
            let v = config.attr(&b.type_name);
            let p = path.child(PathStep::Attribute(b.type_name.clone()));
            match b.nesting {
                NestingMode::Single | NestingMode::Group => b.block.validate_at(v, &p, diags),
                NestingMode::List => {
                    for (i, e) in v.elements().iter().enumerate() {
                        b.block
                            .validate_at(e, &p.child(PathStep::ElementKeyInt(i as i64)), diags);
                    }
                }
                // Set elements have no address; report at the block.
                NestingMode::Set => {
                    for e in v.elements() {
                        b.block.validate_at(e, &p, diags);
                    }
                }
                NestingMode::Map => {
                    for (k, e) in v.entries().into_iter().flatten() {
                        b.block.validate_at(
                            e,
                            &p.child(PathStep::ElementKeyString(k.clone())),
                            diags,
                        );
                    }
                }
            }
        }
    }

    /// Terraform's schema rules (`configschema.InternalValidate`, enforced by Terraform 1.1+
    /// when it loads a provider). Returns every violation, naming the element.
    pub fn internal_validate(&self) -> Result<(), Vec<String>> {
        let mut errors = Vec::new();
        self.internal_validate_at("", &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn internal_validate_at(&self, prefix: &str, errors: &mut Vec<String>) {
        let valid_name = |n: &str| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        };
        let mut seen = BTreeSet::new();
        for a in &self.attributes {
            let name = format!("{prefix}{}", a.name);
            if !valid_name(&a.name) {
                errors.push(format!(
                    "{name}: name may contain only lowercase letters, digits and underscores"
                ));
            }
            if !seen.insert(a.name.as_str()) {
                errors.push(format!("{name}: defined more than once"));
            }
            if !a.optional && !a.required && !a.computed {
                errors.push(format!("{name}: must set optional, required or computed"));
            }
            if a.optional && a.required {
                errors.push(format!("{name}: cannot be both optional and required"));
            }
            if a.computed && a.required {
                errors.push(format!("{name}: cannot be both computed and required"));
            }
            if a.default.is_some() && !(a.optional && a.computed) {
                errors.push(format!("{name}: a default needs optional + computed"));
            }
            if let Some(d) = &a.default {
                if let Err(e) = d.check_conforms(&a.ty) {
                    errors.push(format!("{name}: default value is invalid: {e}"));
                }
            }
        }
        for b in &self.block_types {
            let name = format!("{prefix}{}", b.type_name);
            if !valid_name(&b.type_name) {
                errors.push(format!(
                    "{name}: name may contain only lowercase letters, digits and underscores"
                ));
            }
            if !seen.insert(b.type_name.as_str()) {
                errors.push(format!("{name}: defined more than once"));
            }
            if b.min_items < 0 || b.max_items < 0 {
                errors.push(format!(
                    "{name}: min_items and max_items cannot be negative"
                ));
            }
            match b.nesting {
                NestingMode::Single => {
                    if b.min_items != b.max_items || b.min_items > 1 {
                        errors.push(format!(
                            "{name}: SINGLE blocks need min_items = max_items = 0 or 1"
                        ));
                    }
                }
                NestingMode::Group | NestingMode::Map => {
                    if b.min_items != 0 || b.max_items != 0 {
                        errors.push(format!(
                            "{name}: GROUP and MAP blocks cannot set min_items or max_items"
                        ));
                    }
                }
                NestingMode::List | NestingMode::Set => {
                    if b.max_items != 0 && b.min_items > b.max_items {
                        errors.push(format!("{name}: min_items is greater than max_items"));
                    }
                }
            }
            if b.nesting == NestingMode::Set && b.block.implied_type().has_dynamic() {
                errors.push(format!(
                    "{name}: SET blocks cannot contain dynamic attributes"
                ));
            }
            b.block.internal_validate_at(&format!("{name}."), errors);
        }
    }
}

impl NestedBlock {
    /// A nested block type.
    pub fn new(type_name: impl Into<String>, nesting: NestingMode, block: Block) -> NestedBlock {
        NestedBlock {
            type_name: type_name.into(),
            block,
            nesting,
            min_items: 0,
            max_items: 0,
        }
    }

    /// At most one block (null when absent).
    pub fn single(type_name: impl Into<String>, block: Block) -> NestedBlock {
        NestedBlock::new(type_name, NestingMode::Single, block)
    }

    /// Exactly one block, all-null attributes when absent.
    pub fn group(type_name: impl Into<String>, block: Block) -> NestedBlock {
        NestedBlock::new(type_name, NestingMode::Group, block)
    }

    /// An ordered list of blocks.
    pub fn list(type_name: impl Into<String>, block: Block) -> NestedBlock {
        NestedBlock::new(type_name, NestingMode::List, block)
    }

    /// An unordered set of blocks.
    pub fn set(type_name: impl Into<String>, block: Block) -> NestedBlock {
        NestedBlock::new(type_name, NestingMode::Set, block)
    }

    /// Blocks keyed by label.
    pub fn map(type_name: impl Into<String>, block: Block) -> NestedBlock {
        NestedBlock::new(type_name, NestingMode::Map, block)
    }

    /// Sets the minimum number of blocks.
    pub fn min_items(mut self, n: i64) -> NestedBlock {
        self.min_items = n;
        self
    }

    /// Sets the maximum number of blocks.
    pub fn max_items(mut self, n: i64) -> NestedBlock {
        self.max_items = n;
        self
    }

    /// The type of this block type's value inside its parent object.
    pub fn implied_type(&self) -> Type {
        let object = self.block.implied_type();
        match self.nesting {
            NestingMode::Single | NestingMode::Group => object,
            NestingMode::List => Type::list(object),
            NestingMode::Set => Type::set(object),
            NestingMode::Map => Type::map(object),
        }
    }

    /// The normalised value of this block type (see [`Block::normalize`]).
    pub fn normalize(&self, value: &Value) -> Value {
        match (self.nesting, value.inner()) {
            (_, Value::Unknown) => Value::Unknown,
            (NestingMode::Single, Value::Null) => Value::Null,
            (NestingMode::Single, v) => self.block.normalize(v),
            (NestingMode::Group, Value::Null) => {
                self.block.normalize(&Value::Object(Default::default()))
            }
            (NestingMode::Group, v) => self.block.normalize(v),
            (NestingMode::List, Value::Null) => Value::List(Vec::new()),
            (NestingMode::Set, Value::Null) => Value::Set(Vec::new()),
            (NestingMode::Map, Value::Null) => Value::Map(Default::default()),
            (NestingMode::List, v) => Value::List(
                v.elements()
                    .iter()
                    .map(|e| self.block.normalize(e))
                    .collect(),
            ),
            (NestingMode::Set, v) => {
                Value::set(v.elements().iter().map(|e| self.block.normalize(e)))
            }
            (NestingMode::Map, v) => Value::Map(
                v.entries()
                    .into_iter()
                    .flatten()
                    .map(|(k, e)| (k.clone(), self.block.normalize(e)))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::validators::{int_between, string_length};

    fn server() -> Block {
        Block::new()
            .attribute(Attribute::id())
            .attribute(
                Attribute::string("name")
                    .required()
                    .validator(string_length(1, 5)),
            )
            .block(
                NestedBlock::list(
                    "disk",
                    Block::new().attribute(
                        Attribute::number("size_gb")
                            .required()
                            .validator(int_between(10, 100)),
                    ),
                )
                .min_items(1),
            )
            .block(NestedBlock::single(
                "nic",
                Block::new().attribute(Attribute::string("vlan").optional()),
            ))
            .block(NestedBlock::group(
                "opts",
                Block::new().attribute(Attribute::bool("fast").optional()),
            ))
    }

    #[test]
    fn implied_type_covers_attributes_and_blocks() {
        let ty = server().implied_type();
        assert_eq!(
            ty.to_json_string(),
            r#"["object",{"disk":["list",["object",{"size_gb":"number"}]],"id":"string","name":"string","nic":["object",{"vlan":"string"}],"opts":["object",{"fast":"bool"}]}]"#
        );
    }

    #[test]
    fn normalize_fills_the_exact_shape() {
        let v = server().normalize(&Value::object([("name", Value::from("a"))]));
        assert!(v.attr("id").is_null());
        assert_eq!(v.attr("disk"), &Value::List(vec![]));
        assert!(v.attr("nic").is_null());
        assert_eq!(v.attr("opts"), &Value::object([("fast", Value::Null)]));
        assert!(v.check_conforms(&server().implied_type()).is_ok());
        assert!(server().normalize(&Value::Null).is_null());
    }

    #[test]
    fn validate_config_reports_paths() {
        let config = server().normalize(&Value::object([
            ("name", Value::from("toolong")),
            (
                "disk",
                Value::list([
                    Value::object([("size_gb", Value::from(20))]),
                    Value::object([("size_gb", Value::from(5))]),
                    Value::object([("size_gb", Value::Unknown)]),
                ]),
            ),
        ]));
        let diags = server().validate_config(&config);
        let paths: Vec<String> = diags
            .iter()
            .map(|d| d.attribute.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(paths, ["name", "disk[1].size_gb"]);
    }

    #[test]
    fn has_path_follows_blocks() {
        let b = server();
        assert!(b.has_path(&AttributePath::attribute("name")));
        assert!(b.has_path(&AttributePath::attribute("disk").index(0).attr("size_gb")));
        assert!(b.has_path(&AttributePath::attribute("nic").attr("vlan")));
        assert!(!b.has_path(&AttributePath::attribute("nope")));
        assert!(!b.has_path(&AttributePath::attribute("disk").attr("size_gb")));
    }

    #[test]
    fn internal_validate_enforces_terraform_rules() {
        assert_eq!(server().internal_validate(), Ok(()));
        let mut both = Attribute::string("y");
        both.required = true;
        both.optional = true;
        let bad = Block::new()
            .attribute(Attribute::string("Name").required())
            .attribute(Attribute::string("x"))
            .attribute(both)
            .attribute(Attribute::string("z").optional().default(1))
            .block(NestedBlock::single("s", Block::new()).max_items(2))
            .block(NestedBlock::group("g", Block::new()).min_items(1))
            .block(
                NestedBlock::list("l", Block::new())
                    .min_items(3)
                    .max_items(2),
            )
            .block(NestedBlock::set(
                "d",
                Block::new().attribute(Attribute::new("v", Type::Dynamic).optional()),
            ));
        let errors = bad.internal_validate().unwrap_err();
        let expected = [
            "Name: name may contain only",
            "x: must set optional, required or computed",
            "y: cannot be both optional and required",
            "z: default value is invalid",
            "s: SINGLE blocks",
            "g: GROUP and MAP blocks",
            "l: min_items is greater than max_items",
            "d: SET blocks cannot contain dynamic",
        ];
        for e in expected {
            assert!(
                errors.iter().any(|x| x.starts_with(e)),
                "missing {e}: {errors:?}"
            );
        }
    }
}
