//! The planning engine: from prior state, configuration and Terraform's proposed new state
//! to the planned state and the attribute paths that force replacement.
//!
//! It follows terraform-plugin-framework's documented pipeline:
//! 1. start from the proposed new state, normalised to the schema's exact shape;
//! 2. plan static defaults where configuration leaves an attribute null;
//! 3. if the plan differs from the prior state (always on create), mark every computed
//!    attribute whose configuration is null (and that has no default) as unknown;
//! 4. UseStateForUnknown puts prior values back over those unknowns;
//! 5. RequiresReplace collects the paths whose planned value differs from the prior one.
//!
//! Resource-specific logic (a resource's own ModifyPlan) runs after this, and the runtime
//! checks the final plan with [`super::consistency::check_plan`].

use super::sets::correlate;
use crate::path::{AttributePath, PathStep};
use crate::schema::{Block, NestingMode, ReplaceRequest};
use crate::value::Value;

/// The outcome of planning one resource change.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedChange {
    /// The planned new state (null when the resource is being destroyed).
    pub planned: Value,
    /// Attribute paths whose change forces replacement (empty on create and destroy).
    pub requires_replace: Vec<AttributePath>,
}

/// Plans a change for a resource with schema `block`. `prior` is null on create and
/// `proposed` is null on destroy.
pub fn plan_resource_change(
    block: &Block,
    prior: &Value,
    config: &Value,
    proposed: &Value,
) -> PlannedChange {
    if proposed.is_null() || config.is_null() {
        return PlannedChange {
            planned: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    let prior = block.normalize(prior);
    let config = block.normalize(config);
    let mut planned = block.normalize(proposed);
    drop_removed_single_blocks(block, &config, &mut planned);
    apply_defaults(block, &config, &mut planned);
    if planned != prior {
        mark_computed_unknown(block, &config, &mut planned);
    }
    use_state_for_unknown(block, &prior, &config, &mut planned);
    let mut requires_replace = Vec::new();
    if !prior.is_null() {
        collect_replacements(
            block,
            &prior,
            &config,
            &planned,
            &AttributePath::root(),
            &mut requires_replace,
        );
    }
    PlannedChange {
        planned,
        requires_replace,
    }
}

/// Calls `f` for each (config, planned) pair of nested block instances of `nested` type,
/// correlating by index (LIST), key (MAP), identity (SINGLE/GROUP) or content (SET).
fn for_each_instance(
    nesting: NestingMode,
    child: &Block,
    config: &Value,
    planned: &mut Value,
    mut f: impl FnMut(&Value, &mut Value),
) {
    match nesting {
        NestingMode::Single | NestingMode::Group => {
            if planned.is_null() || planned.is_unknown() {
                return;
            }
            f(config, planned);
        }
        NestingMode::List => {
            if let Value::List(items) = planned {
                for (i, item) in items.iter_mut().enumerate() {
                    f(config.elements().get(i).unwrap_or(&Value::Null), item);
                }
            }
        }
        NestingMode::Map => {
            if let Value::Map(items) = planned {
                for (k, item) in items.iter_mut() {
                    f(config.attr(k), item);
                }
            }
        }
        NestingMode::Set => {
            if let Value::Set(items) = planned {
                let configs = config.elements();
                for item in items.iter_mut() {
                    let matched = correlate(child, item, configs).unwrap_or(&Value::Null);
                    f(matched, item);
                }
                // Elements may have changed: keep the set canonical.
                let all = std::mem::take(items);
                *planned = Value::set(all);
            }
        }
    }
}

/// Terraform before 1.3 proposes a NestingSingle block removed from configuration as an
/// object of nulls (hashicorp/terraform#32460), then rejects that very plan with "planned
/// for existence but config wants absence". Plan what the configuration says: no block.
fn drop_removed_single_blocks(block: &Block, config: &Value, planned: &mut Value) {
    let Some(entries) = planned.entries_mut() else {
        return;
    };
    for b in &block.block_types {
        let config_b = config.attr(&b.type_name);
        let Some(v) = entries.get_mut(&b.type_name) else {
            continue;
        };
        if b.nesting == NestingMode::Single && config_b.is_null() {
            *v = Value::Null;
            continue;
        }
        for_each_instance(b.nesting, &b.block, config_b, v, |c, p| {
            drop_removed_single_blocks(&b.block, c, p)
        });
    }
}

fn apply_defaults(block: &Block, config: &Value, planned: &mut Value) {
    let Some(entries) = planned.entries_mut() else {
        return;
    };
    for a in &block.attributes {
        if let Some(default) = &a.default {
            if config.attr(&a.name).is_null() {
                entries.insert(a.name.clone(), default.clone());
            }
        }
    }
    for b in &block.block_types {
        if let Some(v) = entries.get_mut(&b.type_name) {
            for_each_instance(b.nesting, &b.block, config.attr(&b.type_name), v, |c, p| {
                apply_defaults(&b.block, c, p)
            });
        }
    }
}

fn mark_computed_unknown(block: &Block, config: &Value, planned: &mut Value) {
    let Some(entries) = planned.entries_mut() else {
        return;
    };
    for a in &block.attributes {
        if a.computed && a.default.is_none() && config.attr(&a.name).is_null() {
            entries.insert(a.name.clone(), Value::Unknown);
        }
    }
    for b in &block.block_types {
        if let Some(v) = entries.get_mut(&b.type_name) {
            for_each_instance(b.nesting, &b.block, config.attr(&b.type_name), v, |c, p| {
                mark_computed_unknown(&b.block, c, p)
            });
        }
    }
}

fn use_state_for_unknown(block: &Block, prior: &Value, config: &Value, planned: &mut Value) {
    if prior.is_null() {
        return;
    }
    let Some(entries) = planned.entries_mut() else {
        return;
    };
    for a in &block.attributes {
        if !a.use_state_for_unknown || config.attr(&a.name).is_unknown() {
            continue;
        }
        let prior_v = prior.attr(&a.name);
        if let Some(v) = entries.get_mut(&a.name) {
            if v.is_unknown() && !prior_v.is_null() {
                *v = prior_v.clone();
            }
        }
    }
    for b in &block.block_types {
        let prior_b = prior.attr(&b.type_name);
        let config_b = config.attr(&b.type_name);
        let Some(v) = entries.get_mut(&b.type_name) else {
            continue;
        };
        match (b.nesting, v) {
            (NestingMode::Single | NestingMode::Group, v) if v.entries().is_some() => {
                use_state_for_unknown(&b.block, prior_b, config_b, v)
            }
            (NestingMode::List, Value::List(items)) => {
                for (i, item) in items.iter_mut().enumerate() {
                    let p = prior_b.elements().get(i).unwrap_or(&Value::Null);
                    let c = config_b.elements().get(i).unwrap_or(&Value::Null);
                    use_state_for_unknown(&b.block, p, c, item);
                }
            }
            (NestingMode::Map, Value::Map(items)) => {
                for (k, item) in items.iter_mut() {
                    use_state_for_unknown(&b.block, prior_b.attr(k), config_b.attr(k), item);
                }
            }
            // Set elements have no stable identity across prior and plan.
            _ => {}
        }
    }
}

fn collect_replacements(
    block: &Block,
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<AttributePath>,
) {
    if prior.is_null() || planned.is_null() {
        return;
    }
    for a in &block.attributes {
        let Some(rule) = &a.requires_replace else {
            continue;
        };
        let (prior_v, planned_v) = (prior.attr(&a.name), planned.attr(&a.name));
        if prior_v == planned_v {
            continue;
        }
        let attr_path = path.child(PathStep::Attribute(a.name.clone()));
        let request = ReplaceRequest {
            path: &attr_path,
            prior: prior_v,
            config: config.attr(&a.name),
            planned: planned_v,
        };
        if rule.applies(&request) {
            out.push(attr_path);
        }
    }
    for b in &block.block_types {
        let block_path = path.child(PathStep::Attribute(b.type_name.clone()));
        let (prior_b, config_b, planned_b) = (
            prior.attr(&b.type_name),
            config.attr(&b.type_name),
            planned.attr(&b.type_name),
        );
        match b.nesting {
            NestingMode::Single | NestingMode::Group => {
                collect_replacements(&b.block, prior_b, config_b, planned_b, &block_path, out)
            }
            NestingMode::List => {
                for (i, item) in planned_b.elements().iter().enumerate() {
                    let p = prior_b.elements().get(i).unwrap_or(&Value::Null);
                    let c = config_b.elements().get(i).unwrap_or(&Value::Null);
                    let item_path = block_path.child(PathStep::ElementKeyInt(i as i64));
                    collect_replacements(&b.block, p, c, item, &item_path, out);
                }
            }
            NestingMode::Map => {
                for (k, item) in planned_b.entries().into_iter().flatten() {
                    let item_path = block_path.child(PathStep::ElementKeyString(k.clone()));
                    collect_replacements(
                        &b.block,
                        prior_b.attr(k),
                        config_b.attr(k),
                        item,
                        &item_path,
                        out,
                    );
                }
            }
            NestingMode::Set => {
                // Set elements cannot be addressed: a changed set whose block has any
                // replacing attribute replaces the resource, reported at the block.
                let replacing = b
                    .block
                    .attributes
                    .iter()
                    .any(|a| a.requires_replace.is_some());
                if replacing && prior_b != planned_b {
                    out.push(block_path);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Attribute, NestedBlock};

    fn schema() -> Block {
        Block::new()
            .attribute(Attribute::id())
            .attribute(Attribute::string("name").required().requires_replace())
            .attribute(Attribute::number("size").default(42))
            .attribute(Attribute::string("ip").computed())
            .attribute(Attribute::string("note").optional())
            .block(NestedBlock::list(
                "disk",
                Block::new()
                    .attribute(Attribute::number("size_gb").required().requires_replace())
                    .attribute(Attribute::string("disk_id").computed()),
            ))
    }

    fn obj(pairs: Vec<(&str, Value)>) -> Value {
        schema().normalize(&Value::object(pairs))
    }

    #[test]
    fn create_marks_computed_unknown_and_applies_defaults() {
        let config = obj(vec![
            ("name", "web".into()),
            (
                "disk",
                Value::list([Value::object([("size_gb", Value::from(10))])]),
            ),
        ]);
        let change = plan_resource_change(&schema(), &Value::Null, &config, &config);
        let p = &change.planned;
        assert!(p.attr("id").is_unknown());
        assert!(p.attr("ip").is_unknown());
        assert_eq!(p.attr("size"), &Value::from(42));
        assert!(p.attr("note").is_null());
        assert!(p.attr("disk").elements()[0].attr("disk_id").is_unknown());
        assert!(change.requires_replace.is_empty());
    }

    fn prior() -> Value {
        obj(vec![
            ("id", "i-1".into()),
            ("name", "web".into()),
            ("size", Value::from(42)),
            ("ip", "10.0.0.5".into()),
            (
                "disk",
                Value::list([Value::object([
                    ("size_gb", Value::from(10)),
                    ("disk_id", Value::from("d-1")),
                ])]),
            ),
        ])
    }

    /// What Terraform proposes: config merged with prior values for computed attributes.
    fn proposed(config: &Value) -> Value {
        let mut p = config.clone();
        let prior = prior();
        for name in ["id", "ip", "size"] {
            if config.attr(name).is_null() {
                p.set_attr(name, prior.attr(name).clone());
            }
        }
        let mut disks = config.attr("disk").elements().to_vec();
        for (i, d) in disks.iter_mut().enumerate() {
            if let Some(pd) = prior.attr("disk").elements().get(i) {
                d.set_attr("disk_id", pd.attr("disk_id").clone());
            }
        }
        p.set_attr("disk", Value::List(disks));
        p
    }

    #[test]
    fn no_change_keeps_prior_values() {
        let config = obj(vec![
            ("name", "web".into()),
            (
                "disk",
                Value::list([Value::object([("size_gb", Value::from(10))])]),
            ),
        ]);
        let change = plan_resource_change(&schema(), &prior(), &config, &proposed(&config));
        assert_eq!(change.planned, prior());
        assert!(change.requires_replace.is_empty());
    }

    #[test]
    fn update_marks_unknown_except_use_state_for_unknown() {
        let config = obj(vec![
            ("name", "web".into()),
            ("note", "hello".into()),
            (
                "disk",
                Value::list([Value::object([("size_gb", Value::from(10))])]),
            ),
        ]);
        let change = plan_resource_change(&schema(), &prior(), &config, &proposed(&config));
        let p = &change.planned;
        assert_eq!(p.attr("id"), &Value::from("i-1"), "UseStateForUnknown");
        assert!(p.attr("ip").is_unknown());
        assert_eq!(p.attr("note"), &Value::from("hello"));
        assert!(change.requires_replace.is_empty());
    }

    #[test]
    fn requires_replace_paths_at_every_level() {
        let config = obj(vec![
            ("name", "db".into()),
            (
                "disk",
                Value::list([Value::object([("size_gb", Value::from(20))])]),
            ),
        ]);
        let change = plan_resource_change(&schema(), &prior(), &config, &proposed(&config));
        let paths: Vec<String> = change
            .requires_replace
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(paths, ["name", "disk[0].size_gb"]);
        for p in &change.requires_replace {
            assert!(schema().has_path(p));
        }
    }

    #[test]
    fn destroy_plans_null() {
        let change = plan_resource_change(&schema(), &prior(), &Value::Null, &Value::Null);
        assert!(change.planned.is_null());
        assert!(change.requires_replace.is_empty());
    }

    /// Terraform 1.0.3 proposes `timeouts = {create = null}` after the block was removed
    /// from configuration; the plan must say "absent", as the configuration does.
    #[test]
    fn removed_single_block_is_planned_absent() {
        let block = Block::new()
            .attribute(Attribute::string("name").required())
            .block(crate::schema::timeouts_block(&[
                crate::schema::TimeoutOp::Create,
            ]))
            .block(NestedBlock::list(
                "disk",
                Block::new().block(NestedBlock::single(
                    "tuning",
                    Block::new().attribute(Attribute::string("mode").optional()),
                )),
            ));
        let all_null = |b: &Block| b.normalize(&Value::object::<_, &str>([]));
        let timeouts = &block.get_block_type("timeouts").unwrap().block;
        let tuning = &block.get_block_type("disk").unwrap().block.block_types[0].block;
        let prior = block.normalize(&Value::object([
            ("name", Value::from("web")),
            ("timeouts", Value::object([("create", Value::from("5m"))])),
            (
                "disk",
                Value::list([Value::object([(
                    "tuning",
                    Value::object([("mode", Value::from("fast"))]),
                )])]),
            ),
        ]));
        let config = block.normalize(&Value::object([
            ("name", Value::from("web")),
            ("disk", Value::list([Value::object::<_, &str>([])])),
        ]));
        let proposed = block.normalize(&Value::object([
            ("name", Value::from("web")),
            ("timeouts", all_null(timeouts)),
            (
                "disk",
                Value::list([Value::object([("tuning", all_null(tuning))])]),
            ),
        ]));
        let change = plan_resource_change(&block, &prior, &config, &proposed);
        assert!(change.planned.attr("timeouts").is_null());
        assert!(change.planned.attr("disk").elements()[0]
            .attr("tuning")
            .is_null());
        let violations = crate::plan::check_plan(
            &block,
            &prior,
            &config,
            &change.planned,
            &change.requires_replace,
        );
        assert!(violations.is_empty(), "{violations:?}");
    }

    #[test]
    fn set_blocks_correlate_with_config() {
        let block = Block::new()
            .attribute(Attribute::string("name").required())
            .block(NestedBlock::set(
                "rule",
                Block::new()
                    .attribute(Attribute::number("port").required())
                    .attribute(Attribute::string("rule_id").computed())
                    .attribute(Attribute::string("proto").default("tcp")),
            ));
        let config = block.normalize(&Value::object([
            ("name", Value::from("fw")),
            (
                "rule",
                Value::set([
                    Value::object([("port", Value::from(80))]),
                    Value::object([("port", Value::from(443)), ("proto", "udp".into())]),
                ]),
            ),
        ]));
        let change = plan_resource_change(&block, &Value::Null, &config, &config);
        let rules = change.planned.attr("rule").elements();
        assert_eq!(rules.len(), 2);
        for r in rules {
            assert!(r.attr("rule_id").is_unknown());
            let expected = if r.attr("port").as_i64() == Some(80) {
                "tcp"
            } else {
                "udp"
            };
            assert_eq!(r.attr("proto").as_str(), Some(expected));
        }
    }
}
