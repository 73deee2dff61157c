//! The provider schema as `terraform providers schema -json` reports it, and how we obtain it:
//! the real Terraform CLI loading the built provider from a private filesystem mirror, exactly
//! as a user's Terraform would.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use terraform_cli::{ProviderPackage, Workspace};

/// Registry namespace of the provider's source address.
pub const NAMESPACE: &str = "cloudcontrol";
/// Provider type name (the prefix of every resource type).
pub const PROVIDER_NAME: &str = "cloudcontrol";
/// The full source address, the key of `provider_schemas`.
pub const SOURCE_ADDRESS: &str = "registry.terraform.io/cloudcontrol/cloudcontrol";

/// Top level of `terraform providers schema -json`.
#[derive(Debug, Deserialize)]
pub struct ProvidersSchema {
    /// Schemas by provider source address.
    #[serde(default)]
    pub provider_schemas: BTreeMap<String, ProviderSchema>,
}

/// One provider's schemas.
#[derive(Debug, Deserialize)]
pub struct ProviderSchema {
    /// The provider configuration block.
    pub provider: SchemaEntry,
    /// Resource schemas by type name.
    #[serde(default)]
    pub resource_schemas: BTreeMap<String, SchemaEntry>,
    /// Data source schemas by type name.
    #[serde(default)]
    pub data_source_schemas: BTreeMap<String, SchemaEntry>,
}

/// A versioned block schema.
#[derive(Debug, Deserialize)]
pub struct SchemaEntry {
    /// The top-level block.
    pub block: Block,
}

/// A configuration block: attributes and nested block types.
#[derive(Debug, Default, Deserialize)]
pub struct Block {
    /// Attributes by name.
    #[serde(default)]
    pub attributes: BTreeMap<String, Attribute>,
    /// Nested block types by name.
    #[serde(default)]
    pub block_types: BTreeMap<String, NestedBlock>,
    /// Description text.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether the block is deprecated.
    #[serde(default)]
    pub deprecated: bool,
}

/// One attribute.
#[derive(Debug, Deserialize)]
pub struct Attribute {
    /// The cty type in its JSON form (`"string"`, `["list","string"]`, ...).
    #[serde(rename = "type", default)]
    pub cty_type: serde_json::Value,
    /// Description text.
    #[serde(default)]
    pub description: Option<String>,
    /// Must be set in configuration.
    #[serde(default)]
    pub required: bool,
    /// May be set in configuration.
    #[serde(default)]
    pub optional: bool,
    /// Terraform hides the value in output.
    #[serde(default)]
    pub sensitive: bool,
    /// Deprecated attribute.
    #[serde(default)]
    pub deprecated: bool,
}

/// A nested block type.
#[derive(Debug, Deserialize)]
pub struct NestedBlock {
    /// How the block nests.
    pub nesting_mode: NestingMode,
    /// The nested block's own schema.
    pub block: Block,
    /// Minimum number of blocks (0 when absent).
    #[serde(default)]
    pub min_items: u64,
    /// Maximum number of blocks (0 means unlimited).
    #[serde(default)]
    pub max_items: u64,
}

/// Nesting modes of blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NestingMode {
    /// At most one block, an object.
    Single,
    /// Exactly one block, never null.
    Group,
    /// An ordered list of blocks.
    List,
    /// An unordered set of blocks.
    Set,
    /// Labelled blocks.
    Map,
}

/// Obtains the schema of the provider binary at `binary` (installed as `version`) by running
/// `terraform init` and `terraform providers schema -json` in a throwaway working directory.
pub fn fetch(binary: &Path, version: &str) -> Result<ProviderSchema> {
    let package = ProviderPackage::new(NAMESPACE, PROVIDER_NAME, version, binary);
    let workspace = Workspace::new(&package)?;
    workspace.write_main_tf(&package.required_providers_block())?;
    workspace
        .init()
        .context("installing the provider from the filesystem mirror")?;
    let output = workspace
        .run(&["providers", "schema", "-json"])?
        .ensure_success()
        .context("reading the provider schema")?;
    parse(&output.stdout)
}

/// Parses `terraform providers schema -json` output and picks our provider's schema.
pub fn parse(json: &str) -> Result<ProviderSchema> {
    let mut all: ProvidersSchema =
        serde_json::from_str(json).context("parsing `terraform providers schema -json` output")?;
    match all.provider_schemas.remove(SOURCE_ADDRESS) {
        Some(schema) => Ok(schema),
        None => bail!(
            "the schema output has no provider {SOURCE_ADDRESS} (found: {})",
            all.provider_schemas
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_terraform_schema_json() {
        let json = r#"{
          "format_version": "0.2",
          "provider_schemas": {
            "registry.terraform.io/cloudcontrol/cloudcontrol": {
              "provider": {"version": 0, "block": {"attributes": {
                "password": {"type": "string", "optional": true, "sensitive": true}
              }, "description_kind": "plain"}},
              "resource_schemas": {"cloudcontrol_vlan": {"version": 0, "block": {
                "attributes": {"id": {"type": "string", "computed": true}},
                "block_types": {"timeouts": {"nesting_mode": "single", "block": {
                  "attributes": {"create": {"type": "string", "optional": true}}}}},
                "description": "A VLAN."
              }}}
            }
          }
        }"#;
        let schema = parse(json).unwrap();
        assert!(schema.provider.block.attributes["password"].sensitive);
        let vlan = &schema.resource_schemas["cloudcontrol_vlan"].block;
        assert_eq!(vlan.description.as_deref(), Some("A VLAN."));
        assert_eq!(
            vlan.block_types["timeouts"].nesting_mode,
            NestingMode::Single
        );
        assert!(schema.data_source_schemas.is_empty());
    }

    #[test]
    fn names_the_providers_found_when_ours_is_missing() {
        let json = r#"{"format_version":"0.2","provider_schemas":{
          "registry.terraform.io/example/other":{"provider":{"version":0,"block":{}}}}}"#;
        let error = parse(json).unwrap_err().to_string();
        assert!(
            error.contains("registry.terraform.io/example/other"),
            "{error}"
        );
    }
}
