//! Attributes: type, flags, descriptions, and per-attribute plan behaviours (RequiresReplace,
//! UseStateForUnknown, static defaults) and validators.

use std::fmt;
use std::sync::Arc;

use super::validators::Validator;
use crate::path::AttributePath;
use crate::value::{Type, Value};

/// How a description is formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DescriptionKind {
    /// Plain text.
    #[default]
    Plain,
    /// Markdown.
    Markdown,
}

/// What a conditional RequiresReplace sees when a value changes on update.
#[derive(Debug, Clone, Copy)]
pub struct ReplaceRequest<'a> {
    /// The attribute's path.
    pub path: &'a AttributePath,
    /// Its value in the prior state.
    pub prior: &'a Value,
    /// Its configured value.
    pub config: &'a Value,
    /// Its planned value (different from `prior`).
    pub planned: &'a Value,
}

/// A predicate deciding whether a change forces replacement.
pub type ReplaceIf = Arc<dyn Fn(&ReplaceRequest<'_>) -> bool + Send + Sync>;

/// When a change to an attribute forces the resource to be replaced.
#[derive(Clone)]
pub enum RequiresReplace {
    /// Any change to the planned value.
    Always,
    /// Only changes where the attribute is set in configuration.
    IfConfigured,
    /// Changes for which the predicate returns true.
    If(ReplaceIf),
}

impl fmt::Debug for RequiresReplace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequiresReplace::Always => f.write_str("Always"),
            RequiresReplace::IfConfigured => f.write_str("IfConfigured"),
            RequiresReplace::If(_) => f.write_str("If(<predicate>)"),
        }
    }
}

impl RequiresReplace {
    /// True when this change forces replacement.
    pub fn applies(&self, request: &ReplaceRequest<'_>) -> bool {
        match self {
            RequiresReplace::Always => true,
            RequiresReplace::IfConfigured => !request.config.is_null(),
            RequiresReplace::If(predicate) => predicate(request),
        }
    }
}

/// One attribute of a block.
#[derive(Clone, Debug)]
pub struct Attribute {
    /// Name (`^[a-z0-9_]+$`).
    pub name: String,
    /// Value type.
    pub ty: Type,
    /// Documentation text.
    pub description: String,
    /// How `description` is formatted.
    pub description_kind: DescriptionKind,
    /// Must be set in configuration.
    pub required: bool,
    /// May be set in configuration.
    pub optional: bool,
    /// The provider may set the value.
    pub computed: bool,
    /// Terraform hides the value in output.
    pub sensitive: bool,
    /// Using the attribute produces a deprecation warning.
    pub deprecated: bool,
    /// When a change forces replacement.
    pub requires_replace: Option<RequiresReplace>,
    /// Keep the prior state's value instead of "known after apply" on updates.
    pub use_state_for_unknown: bool,
    /// Planned when configuration leaves the attribute null (optional + computed).
    pub default: Option<Value>,
    /// Checks on configured values.
    pub validators: Vec<Arc<dyn Validator>>,
}

impl Attribute {
    /// An attribute of type `ty`. Set exactly one of required, optional, computed (or
    /// optional + computed) with the builder methods.
    pub fn new(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute {
            name: name.into(),
            ty,
            description: String::new(),
            description_kind: DescriptionKind::Plain,
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            deprecated: false,
            requires_replace: None,
            use_state_for_unknown: false,
            default: None,
            validators: Vec::new(),
        }
    }

    /// A string attribute.
    pub fn string(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::String)
    }

    /// A number attribute (use [`Value::as_i64`] for whole numbers).
    pub fn number(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::Number)
    }

    /// A bool attribute.
    pub fn bool(name: impl Into<String>) -> Attribute {
        Attribute::new(name, Type::Bool)
    }

    /// A list attribute.
    pub fn list(name: impl Into<String>, element: Type) -> Attribute {
        Attribute::new(name, Type::list(element))
    }

    /// A set attribute.
    pub fn set(name: impl Into<String>, element: Type) -> Attribute {
        Attribute::new(name, Type::set(element))
    }

    /// A map attribute.
    pub fn map(name: impl Into<String>, element: Type) -> Attribute {
        Attribute::new(name, Type::map(element))
    }

    /// The conventional computed `id` attribute: a string the provider assigns at create
    /// time and keeps across updates.
    pub fn id() -> Attribute {
        Attribute::string("id")
            .computed()
            .use_state_for_unknown()
            .description("Identifier of the resource, assigned by the provider.")
    }

    /// Must be set in configuration.
    pub fn required(mut self) -> Attribute {
        self.required = true;
        self.optional = false;
        self.computed = false;
        self
    }

    /// May be set in configuration.
    pub fn optional(mut self) -> Attribute {
        self.optional = true;
        self.required = false;
        self
    }

    /// Set by the provider.
    pub fn computed(mut self) -> Attribute {
        self.computed = true;
        self.required = false;
        self
    }

    /// May be set in configuration; otherwise the provider sets it.
    pub fn optional_computed(self) -> Attribute {
        self.optional().computed()
    }

    /// Hidden in Terraform's output.
    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }

    /// Marks the attribute deprecated.
    pub fn deprecated(mut self) -> Attribute {
        self.deprecated = true;
        self
    }

    /// Plain-text documentation.
    pub fn description(mut self, text: impl Into<String>) -> Attribute {
        self.description = text.into();
        self.description_kind = DescriptionKind::Plain;
        self
    }

    /// Markdown documentation.
    pub fn markdown_description(mut self, text: impl Into<String>) -> Attribute {
        self.description = text.into();
        self.description_kind = DescriptionKind::Markdown;
        self
    }

    /// Any change forces replacement of the resource.
    pub fn requires_replace(mut self) -> Attribute {
        self.requires_replace = Some(RequiresReplace::Always);
        self
    }

    /// A change forces replacement only while the attribute is set in configuration.
    pub fn requires_replace_if_configured(mut self) -> Attribute {
        self.requires_replace = Some(RequiresReplace::IfConfigured);
        self
    }

    /// A change forces replacement when `predicate` says so.
    pub fn requires_replace_if<F>(mut self, predicate: F) -> Attribute
    where
        F: Fn(&ReplaceRequest<'_>) -> bool + Send + Sync + 'static,
    {
        self.requires_replace = Some(RequiresReplace::If(Arc::new(predicate)));
        self
    }

    /// On updates, plan the prior value instead of "known after apply".
    pub fn use_state_for_unknown(mut self) -> Attribute {
        self.use_state_for_unknown = true;
        self
    }

    /// A static default planned when configuration leaves the attribute null. Makes the
    /// attribute optional + computed, as Terraform requires for provider-set values.
    pub fn default(mut self, value: impl Into<Value>) -> Attribute {
        self.default = Some(value.into());
        self.optional_computed()
    }

    /// Adds a validator.
    pub fn validator(mut self, validator: impl Validator + 'static) -> Attribute {
        self.validators.push(Arc::new(validator));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::validators::string_length;

    #[test]
    fn builder_reads_like_the_schema() {
        let a = Attribute::string("name")
            .required()
            .requires_replace()
            .validator(string_length(1, 64))
            .description("Server name");
        assert!(a.required && !a.optional && !a.computed);
        assert!(matches!(a.requires_replace, Some(RequiresReplace::Always)));
        assert_eq!(a.validators.len(), 1);
        let d = Attribute::number("size").default(42);
        assert!(d.optional && d.computed && !d.required);
        assert_eq!(d.default, Some(Value::from(42)));
        let id = Attribute::id();
        assert!(id.computed && id.use_state_for_unknown && !id.optional);
    }

    #[test]
    fn conditional_replacement() {
        let a = Attribute::number("size")
            .optional()
            .requires_replace_if(|r| {
                // Only shrinking forces replacement.
                r.planned.as_i64() < r.prior.as_i64()
            });
        let rr = a.requires_replace.unwrap();
        let path = AttributePath::attribute("size");
        let req = |prior: i64, planned: i64| {
            let (prior, planned) = (Value::from(prior), Value::from(planned));
            rr.applies(&ReplaceRequest {
                path: &path,
                prior: &prior,
                config: &planned,
                planned: &planned,
            })
        };
        assert!(req(20, 10));
        assert!(!req(10, 20));
        let configured = RequiresReplace::IfConfigured;
        let v = Value::from(1);
        assert!(!configured.applies(&ReplaceRequest {
            path: &path,
            prior: &v,
            config: &Value::Null,
            planned: &Value::Unknown,
        }));
    }
}
