//! Whole registry pages: front matter, title, description, example, schema, import.

use std::fmt::Write as _;

use super::schema_md;
use crate::schema::Block;

/// What a page documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageKind {
    /// `docs/index.md`.
    Provider,
    /// `docs/resources/<name>.md`.
    Resource,
    /// `docs/data-sources/<name>.md`.
    DataSource,
}

impl PageKind {
    fn label(self) -> &'static str {
        match self {
            PageKind::Provider => "Provider",
            PageKind::Resource => "Resource",
            PageKind::DataSource => "Data Source",
        }
    }
}

/// Everything one page is made of.
#[derive(Debug)]
pub struct PageInput<'a> {
    /// Provider, resource or data source.
    pub kind: PageKind,
    /// `cloudcontrol` for the index, else the type name.
    pub name: &'a str,
    /// The schema block.
    pub block: &'a Block,
    /// The example configuration, if there is one.
    pub example: Option<&'a str>,
    /// The import command example (resources only), if there is one.
    pub import: Option<&'a str>,
    /// What a create does with an asset an interrupted apply left behind (resources only,
    /// Markdown), if documented.
    pub interrupted: Option<&'a str>,
}

/// Renders a page (ends with exactly one newline).
pub fn render(input: &PageInput<'_>, provider_binary_name: &str) -> String {
    let description = input
        .block
        .description
        .as_deref()
        .map(str::trim)
        .unwrap_or("");
    let (page_title, heading) = match input.kind {
        PageKind::Provider => (
            format!("{} Provider", input.name),
            format!("{} Provider", input.name),
        ),
        kind => (
            format!("{} {} - {provider_binary_name}", input.name, kind.label()),
            format!("{} ({})", input.name, kind.label()),
        ),
    };
    let mut out = String::new();
    out.push_str("---\n");
    let _ = writeln!(out, "page_title: {}", yaml_quoted(&page_title));
    out.push_str("subcategory: \"\"\n");
    out.push_str(&front_matter_description(description));
    out.push_str("---\n\n");
    let _ = writeln!(out, "# {heading}\n");
    if !description.is_empty() {
        let _ = writeln!(out, "{description}\n");
    }
    if let Some(example) = input.example {
        let _ = writeln!(out, "## Example Usage\n\n```terraform\n{example}\n```\n");
    }
    out.push_str(&schema_md::render(input.block));
    if let Some(import) = input.import {
        let _ = write!(
            out,
            "\n## Import\n\nAn existing {} is brought under Terraform's management by its id:\n\n```shell\n{import}\n```\n",
            input.name
        );
    }
    if let Some(interrupted) = input.interrupted {
        let _ = write!(out, "\n## Interrupted applies\n\n{interrupted}\n");
    }
    out
}

/// `description: |-` with the text indented, or an empty string scalar.
fn front_matter_description(description: &str) -> String {
    if description.is_empty() {
        return "description: \"\"\n".into();
    }
    let mut out = String::from("description: |-\n");
    for line in description.lines() {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "  {line}");
        }
    }
    out
}

/// A YAML double-quoted scalar.
fn yaml_quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vlan_block() -> Block {
        serde_json::from_value(serde_json::json!({
            "description": "A VLAN in a network domain.",
            "attributes": {"name": {"type": "string", "required": true}}
        }))
        .unwrap()
    }

    #[test]
    fn resource_page_has_front_matter_example_schema_and_import() {
        let block = vlan_block();
        let page = render(
            &PageInput {
                kind: PageKind::Resource,
                name: "cloudcontrol_vlan",
                block: &block,
                example: Some("resource \"cloudcontrol_vlan\" \"web\" {}"),
                import: Some("terraform import cloudcontrol_vlan.web 0a1b"),
                interrupted: Some("Taken over when marked."),
            },
            "terraform-provider-cloudcontrol",
        );
        let expected = "\
---
page_title: \"cloudcontrol_vlan Resource - terraform-provider-cloudcontrol\"
subcategory: \"\"
description: |-
  A VLAN in a network domain.
---

# cloudcontrol_vlan (Resource)

A VLAN in a network domain.

## Example Usage

```terraform
resource \"cloudcontrol_vlan\" \"web\" {}
```

## Schema

### Required

- `name` (String)

## Import

An existing cloudcontrol_vlan is brought under Terraform's management by its id:

```shell
terraform import cloudcontrol_vlan.web 0a1b
```

## Interrupted applies

Taken over when marked.
";
        assert_eq!(page, expected);
    }

    #[test]
    fn provider_page_without_example_or_description() {
        let block = Block::default();
        let page = render(
            &PageInput {
                kind: PageKind::Provider,
                name: "cloudcontrol",
                block: &block,
                example: None,
                import: None,
                interrupted: None,
            },
            "terraform-provider-cloudcontrol",
        );
        assert!(page.starts_with(
            "---\npage_title: \"cloudcontrol Provider\"\nsubcategory: \"\"\ndescription: \"\"\n---\n\n# cloudcontrol Provider\n\n## Schema\n"
        ));
        assert!(!page.contains("## Example Usage"));
        assert!(!page.contains("## Import"));
    }

    #[test]
    fn multi_line_description_is_a_yaml_block() {
        assert_eq!(
            front_matter_description("One.\n\nTwo."),
            "description: |-\n  One.\n\n  Two.\n"
        );
    }
}
