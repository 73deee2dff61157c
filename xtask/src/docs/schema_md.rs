//! Renders a block schema as the `## Schema` section of a registry page: Required, Optional
//! and Read-Only lists, then one anchored section per nested block (breadth first).

use std::collections::VecDeque;
use std::fmt::Write as _;

use crate::schema::{Attribute, Block, NestedBlock, NestingMode};

/// Which list an attribute or block goes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Required,
    Optional,
    ReadOnly,
}

impl Group {
    const ALL: [Group; 3] = [Group::Required, Group::Optional, Group::ReadOnly];

    fn title(self) -> &'static str {
        match self {
            Group::Required => "Required",
            Group::Optional => "Optional",
            Group::ReadOnly => "Read-Only",
        }
    }

    fn of_attribute(attribute: &Attribute) -> Group {
        if attribute.required {
            Group::Required
        } else if attribute.optional {
            Group::Optional
        } else {
            Group::ReadOnly
        }
    }

    fn of_block(nested: &NestedBlock) -> Group {
        if nested.min_items > 0 {
            Group::Required
        } else if is_read_only(&nested.block) {
            Group::ReadOnly
        } else {
            Group::Optional
        }
    }
}

/// A block none of whose contents can be configured (a computed-only block).
fn is_read_only(block: &Block) -> bool {
    block
        .attributes
        .values()
        .all(|a| !a.required && !a.optional)
        && block.block_types.values().all(|b| is_read_only(&b.block))
}

/// A nested block still to be documented: its dotted path and schema.
struct Pending<'a> {
    path: Vec<&'a str>,
    block: &'a Block,
}

impl Pending<'_> {
    fn anchor(&self) -> String {
        format!("nestedblock--{}", self.path.join("--"))
    }
}

/// The `## Schema` section for `block` (ends with a newline).
pub fn render(block: &Block) -> String {
    let mut out = String::from("## Schema\n");
    let mut queue = VecDeque::new();
    render_groups(&mut out, block, &[], "### ", &mut queue);
    while let Some(pending) = queue.pop_front() {
        let _ = write!(
            out,
            "\n<a id=\"{}\"></a>\n### Nested Schema for `{}`\n",
            pending.anchor(),
            pending.path.join(".")
        );
        let path = pending.path.clone();
        render_groups(&mut out, pending.block, &path, "", &mut queue);
    }
    out
}

/// Writes the Required / Optional / Read-Only lists of one block; nested blocks are queued.
fn render_groups<'a>(
    out: &mut String,
    block: &'a Block,
    path: &[&'a str],
    heading_prefix: &str,
    queue: &mut VecDeque<Pending<'a>>,
) {
    for group in Group::ALL {
        // Attributes and blocks interleaved in name order, as a reader scans for a name.
        let mut entries: Vec<(&str, String)> = Vec::new();
        for (name, attribute) in &block.attributes {
            if Group::of_attribute(attribute) == group {
                entries.push((name, attribute_line(name, attribute)));
            }
        }
        for (name, nested) in &block.block_types {
            if Group::of_block(nested) == group {
                let mut nested_path = path.to_vec();
                nested_path.push(name);
                let pending = Pending {
                    path: nested_path,
                    block: &nested.block,
                };
                entries.push((name, block_line(name, nested, &pending.anchor())));
                queue.push_back(pending);
            }
        }
        if entries.is_empty() {
            continue;
        }
        entries.sort_by(|a, b| a.0.cmp(b.0));
        if heading_prefix.is_empty() {
            let _ = write!(out, "\n{}:\n\n", group.title());
        } else {
            let _ = write!(out, "\n{heading_prefix}{}\n\n", group.title());
        }
        for (_, line) in entries {
            out.push_str(&line);
            out.push('\n');
        }
    }
}

/// `- `name` (Type, Sensitive) Description`
fn attribute_line(name: &str, attribute: &Attribute) -> String {
    let mut traits = vec![type_label(&attribute.cty_type)];
    if attribute.sensitive {
        traits.push("Sensitive".into());
    }
    if attribute.deprecated {
        traits.push("Deprecated".into());
    }
    let mut line = format!("- `{name}` ({})", traits.join(", "));
    if let Some(description) = description_text(attribute.description.as_deref()) {
        line.push(' ');
        line.push_str(&description);
    }
    line
}

/// `- `name` (Block List, Max: 1) Description (see below for nested schema)`
fn block_line(name: &str, nested: &NestedBlock, anchor: &str) -> String {
    let mut label = match nested.nesting_mode {
        NestingMode::Single | NestingMode::Group => "Block".to_owned(),
        NestingMode::List => "Block List".to_owned(),
        NestingMode::Set => "Block Set".to_owned(),
        NestingMode::Map => "Block Map".to_owned(),
    };
    if matches!(
        nested.nesting_mode,
        NestingMode::Single | NestingMode::Group
    ) {
        label.push_str(if nested.min_items > 0 {
            ", Required"
        } else {
            ", Optional"
        });
    } else {
        if nested.min_items > 0 {
            let _ = write!(label, ", Min: {}", nested.min_items);
        }
        if nested.max_items > 0 {
            let _ = write!(label, ", Max: {}", nested.max_items);
        }
    }
    if nested.block.deprecated {
        label.push_str(", Deprecated");
    }
    let mut line = format!("- `{name}` ({label})");
    if let Some(description) = description_text(nested.block.description.as_deref()) {
        line.push(' ');
        line.push_str(&description);
    }
    let _ = write!(line, " (see [below for nested schema](#{anchor}))");
    line
}

/// A description on one list line: trimmed, inner newlines folded, `None` if blank.
fn description_text(description: Option<&str>) -> Option<String> {
    let text = description?.trim();
    if text.is_empty() {
        return None;
    }
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The human name of a cty type in its JSON form: `String`, `List of Number`, `Map of String`.
pub fn type_label(cty_type: &serde_json::Value) -> String {
    match cty_type {
        serde_json::Value::String(primitive) => match primitive.as_str() {
            "string" => "String".into(),
            "number" => "Number".into(),
            "bool" => "Boolean".into(),
            "dynamic" => "Dynamic".into(),
            other => other.to_owned(),
        },
        serde_json::Value::Array(parts) => {
            let kind = parts.first().and_then(|k| k.as_str()).unwrap_or("");
            let element = parts.get(1);
            match (kind, element) {
                ("list", Some(element)) => format!("List of {}", type_label(element)),
                ("set", Some(element)) => format!("Set of {}", type_label(element)),
                ("map", Some(element)) => format!("Map of {}", type_label(element)),
                ("object", _) => "Object".into(),
                ("tuple", _) => "Tuple".into(),
                _ => cty_type.to_string(),
            }
        }
        _ => cty_type.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn block(value: serde_json::Value) -> Block {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn labels_cty_types() {
        assert_eq!(type_label(&json!("string")), "String");
        assert_eq!(type_label(&json!("bool")), "Boolean");
        assert_eq!(type_label(&json!(["list", "number"])), "List of Number");
        assert_eq!(
            type_label(&json!(["map", ["set", "string"]])),
            "Map of Set of String"
        );
        assert_eq!(type_label(&json!(["object", {"a": "string"}])), "Object");
    }

    #[test]
    fn groups_attributes_marks_sensitive_and_documents_nested_blocks_with_anchors() {
        let schema = block(json!({
            "attributes": {
                "name": {"type": "string", "required": true, "description": "Name."},
                "admin_password": {"type": "string", "optional": true, "sensitive": true},
                "id": {"type": "string", "computed": true, "description": "Id."},
                "cpu_count": {"type": "number", "optional": true, "computed": true}
            },
            "block_types": {
                "primary_nic": {"nesting_mode": "list", "min_items": 1, "max_items": 1,
                    "block": {"attributes": {
                        "vlan_id": {"type": "string", "required": true},
                        "mac": {"type": "string", "computed": true}
                    }, "block_types": {"tags": {"nesting_mode": "set", "block": {
                        "attributes": {"key": {"type": "string", "required": true}}}}}}},
                "timeouts": {"nesting_mode": "single", "block": {"attributes": {
                    "create": {"type": "string", "optional": true}}}}
            }
        }));
        let expected = "\
## Schema

### Required

- `name` (String) Name.
- `primary_nic` (Block List, Min: 1, Max: 1) (see [below for nested schema](#nestedblock--primary_nic))

### Optional

- `admin_password` (String, Sensitive)
- `cpu_count` (Number)
- `timeouts` (Block, Optional) (see [below for nested schema](#nestedblock--timeouts))

### Read-Only

- `id` (String) Id.

<a id=\"nestedblock--primary_nic\"></a>
### Nested Schema for `primary_nic`

Required:

- `vlan_id` (String)

Optional:

- `tags` (Block Set) (see [below for nested schema](#nestedblock--primary_nic--tags))

Read-Only:

- `mac` (String)

<a id=\"nestedblock--timeouts\"></a>
### Nested Schema for `timeouts`

Optional:

- `create` (String)

<a id=\"nestedblock--primary_nic--tags\"></a>
### Nested Schema for `primary_nic.tags`

Required:

- `key` (String)
";
        assert_eq!(render(&schema), expected);
    }

    #[test]
    fn folds_multi_line_descriptions_onto_the_list_line() {
        let schema = block(json!({"attributes": {
            "a": {"type": "string", "optional": true, "description": "  First line.\n  Second.  "}
        }}));
        assert!(render(&schema).contains("- `a` (String) First line. Second.\n"));
    }
}
