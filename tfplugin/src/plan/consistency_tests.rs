//! Accepting and rejecting cases for Terraform's plan and apply consistency rules.

use super::*;
use crate::path::AttributePath;
use crate::schema::{Attribute, Block, NestedBlock};
use crate::value::Value;

fn schema() -> Block {
    Block::new()
        .attribute(Attribute::id())
        .attribute(Attribute::string("name").required())
        .attribute(Attribute::number("size").optional_computed())
        .attribute(Attribute::string("secret").optional().sensitive())
        .attribute(Attribute::set("tags", crate::value::Type::String).optional())
        .block(NestedBlock::list(
            "disk",
            Block::new()
                .attribute(Attribute::number("size_gb").required())
                .attribute(Attribute::string("disk_id").computed()),
        ))
        .block(NestedBlock::set(
            "rule",
            Block::new()
                .attribute(Attribute::number("port").required())
                .attribute(Attribute::string("rule_id").computed()),
        ))
}

fn obj(pairs: Vec<(&str, Value)>) -> Value {
    schema().normalize(&Value::object(pairs))
}

fn messages(v: &[Violation]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

fn config() -> Value {
    obj(vec![
        ("name", "web".into()),
        (
            "disk",
            Value::list([Value::object([("size_gb", Value::from(10))])]),
        ),
        (
            "rule",
            Value::set([Value::object([("port", Value::from(22))])]),
        ),
    ])
}

fn good_plan() -> Value {
    obj(vec![
        ("id", Value::Unknown),
        ("name", "web".into()),
        ("size", Value::Unknown),
        (
            "disk",
            Value::list([Value::object([
                ("size_gb", Value::from(10)),
                ("disk_id", Value::Unknown),
            ])]),
        ),
        (
            "rule",
            Value::set([Value::object([
                ("port", Value::from(22)),
                ("rule_id", Value::Unknown),
            ])]),
        ),
    ])
}

#[test]
fn accepts_a_valid_create_plan() {
    let v = check_plan(&schema(), &Value::Null, &config(), &good_plan(), &[]);
    assert!(v.is_empty(), "{v:?}");
}

#[test]
fn planned_value_must_match_config() {
    let mut plan = good_plan();
    plan.set_attr("name", "changed");
    let v = check_plan(&schema(), &Value::Null, &config(), &plan, &[]);
    assert_eq!(
        messages(&v),
        ["name: planned value \"changed\" does not match config value \"web\""]
    );
    let d = v[0].plan_diagnostic("cc_server");
    assert_eq!(d.attribute, Some(AttributePath::attribute("name")));
    assert!(d.detail.contains("cc_server.name: planned value"));
}

#[test]
fn non_computed_attributes_cannot_be_set_by_the_provider() {
    let mut plan = good_plan();
    plan.set_attr("secret", "s3cret");
    let v = check_plan(&schema(), &Value::Null, &config(), &plan, &[]);
    // Sensitive values are never shown.
    assert_eq!(
        messages(&v),
        ["secret: sensitive planned value for a non-computed attribute"]
    );
    let mut plan = good_plan();
    plan.set_attr("tags", Value::set([Value::Unknown]));
    let v = check_plan(&schema(), &Value::Null, &config(), &plan, &[]);
    assert_eq!(
        messages(&v),
        ["tags: planned value toset([(unknown)]) for a non-computed attribute"]
    );
}

#[test]
fn computed_and_prior_values_are_allowed() {
    // optional+computed set in config must match config...
    let mut cfg = config();
    cfg.set_attr("size", 5);
    let mut plan = good_plan();
    plan.set_attr("size", 6);
    let v = check_plan(&schema(), &Value::Null, &cfg, &plan, &[]);
    assert_eq!(
        messages(&v),
        ["size: planned value 6 does not match config value 5"]
    );
    // ...but keeping a non-null prior value is the "semantically equal" escape hatch.
    let mut prior = plan.clone();
    prior.set_attr("id", "i-1");
    let v = check_plan(&schema(), &prior, &cfg, &plan, &[]);
    assert!(v.is_empty(), "{v:?}");
    // A computed attribute null in config may take any value, known or unknown.
    let mut plan = good_plan();
    plan.set_attr("id", "i-1");
    assert!(check_plan(&schema(), &Value::Null, &config(), &plan, &[]).is_empty());
}

#[test]
fn nested_block_rules() {
    let mut plan = good_plan();
    plan.set_attr("disk", Value::Null);
    let v = check_plan(&schema(), &Value::Null, &config(), &plan, &[]);
    assert!(messages(&v)[0].contains("must be empty to indicate no blocks, not null"));
    let mut plan = good_plan();
    plan.set_attr("disk", Value::List(vec![]));
    let v = check_plan(&schema(), &Value::Null, &config(), &plan, &[]);
    assert_eq!(
        messages(&v),
        ["disk: block count in plan (0) disagrees with count in config (1)"]
    );
    let mut plan = good_plan();
    plan.set_attr("disk", Value::list([Value::Unknown]));
    let v = check_plan(&schema(), &Value::Null, &config(), &plan, &[]);
    assert!(messages(&v)[0].starts_with("disk[0]: element representing nested block"));
    let mut plan = good_plan();
    plan.set_attr("disk", Value::Unknown);
    assert_eq!(
        check_plan(&schema(), &Value::Null, &config(), &plan, &[]).len(),
        1
    );
    let mut plan = good_plan();
    plan.set_attr(
        "disk",
        Value::list([Value::object([
            ("size_gb", Value::from(99)),
            ("disk_id", Value::Unknown),
        ])]),
    );
    let v = check_plan(&schema(), &Value::Null, &config(), &plan, &[]);
    assert_eq!(
        messages(&v),
        ["disk[0].size_gb: planned value 99 does not match config value 10"]
    );
}

#[test]
fn set_elements_must_correspond_to_config() {
    let mut plan = good_plan();
    plan.set_attr(
        "rule",
        Value::set([Value::object([
            ("port", Value::from(23)),
            ("rule_id", Value::Unknown),
        ])]),
    );
    let v = check_plan(&schema(), &Value::Null, &config(), &plan, &[]);
    assert!(messages(&v)[0].starts_with("rule: planned set element"));
    let mut plan = good_plan();
    plan.set_attr("rule", Value::Null);
    let v = check_plan(&schema(), &Value::Null, &config(), &plan, &[]);
    assert!(messages(&v)[0].contains("set of nested blocks must be empty"));
}

#[test]
fn plan_must_conform_and_replace_paths_must_exist() {
    let mut plan = good_plan();
    plan.set_attr("name", 5);
    let v = check_plan(&schema(), &Value::Null, &config(), &plan, &[]);
    assert!(messages(&v)[0].starts_with("name: planned value does not conform"));
    let v = check_plan(
        &schema(),
        &Value::Null,
        &config(),
        &good_plan(),
        &[
            AttributePath::attribute("nope"),
            AttributePath::attribute("name"),
        ],
    );
    assert_eq!(
        messages(&v),
        ["nope: \"requires replacement\" indicated for a non-existent attribute path"]
    );
    // Destroy: config and plan null is fine; plan null with config set is not.
    assert!(check_plan(&schema(), &good_plan(), &Value::Null, &Value::Null, &[]).is_empty());
    assert_eq!(
        check_plan(&schema(), &Value::Null, &config(), &Value::Null, &[]).len(),
        1
    );
}

fn applied() -> Value {
    obj(vec![
        ("id", "i-1".into()),
        ("name", "web".into()),
        ("size", Value::from(42)),
        (
            "disk",
            Value::list([Value::object([
                ("size_gb", Value::from(10)),
                ("disk_id", Value::from("d-1")),
            ])]),
        ),
        (
            "rule",
            Value::set([Value::object([
                ("port", Value::from(22)),
                ("rule_id", Value::from("r-1")),
            ])]),
        ),
    ])
}

#[test]
fn apply_result_fills_unknowns_only() {
    assert!(check_apply(&schema(), &good_plan(), &applied()).is_empty());
    let mut bad = applied();
    bad.set_attr("name", "other");
    assert_eq!(
        messages(&check_apply(&schema(), &good_plan(), &bad)),
        ["name: was \"web\", but now \"other\""]
    );
    let mut bad = applied();
    bad.set_attr("tags", Value::set(["x".into()]));
    assert_eq!(
        messages(&check_apply(&schema(), &good_plan(), &bad)),
        ["tags: was null, but now toset([\"x\"])"]
    );
    let d = check_apply(&schema(), &good_plan(), &bad)[0].apply_diagnostic("cc_server");
    assert_eq!(
        d.summary,
        "Provider produced inconsistent result after apply"
    );
}

#[test]
fn apply_result_must_be_wholly_known() {
    let mut bad = applied();
    bad.set_attr("id", Value::Unknown);
    assert_eq!(
        messages(&check_apply(&schema(), &good_plan(), &bad)),
        ["id: still unknown after apply: every value must be known"]
    );
}

#[test]
fn apply_result_blocks_and_sets() {
    let mut bad = applied();
    bad.set_attr("disk", Value::List(vec![]));
    assert_eq!(
        messages(&check_apply(&schema(), &good_plan(), &bad)),
        ["disk: block count changed from 1 to 0"]
    );
    let mut bad = applied();
    bad.set_attr(
        "rule",
        Value::set([
            Value::object([("port", Value::from(22)), ("rule_id", Value::from("r-1"))]),
            Value::object([("port", Value::from(23)), ("rule_id", Value::from("r-2"))]),
        ]),
    );
    let v = messages(&check_apply(&schema(), &good_plan(), &bad));
    assert!(
        v.iter()
            .any(|m| m.contains("correlated with no element in plan")),
        "{v:?}"
    );
    assert!(v
        .iter()
        .any(|m| m.contains("block set length changed from 1 to 2")));
    // A sensitive attribute's values are never disclosed.
    let mut plan = good_plan();
    plan.set_attr("secret", "a");
    let mut bad = applied();
    bad.set_attr("secret", "b");
    assert_eq!(
        messages(&check_apply(&schema(), &plan, &bad)),
        ["secret: inconsistent values for sensitive attribute"]
    );
}

#[test]
fn delete_must_return_null() {
    assert!(check_apply(&schema(), &Value::Null, &Value::Null).is_empty());
    assert_eq!(check_apply(&schema(), &Value::Null, &applied()).len(), 1);
    assert_eq!(
        messages(&check_apply(&schema(), &good_plan(), &Value::Null)),
        ["root resource was present, but now absent"]
    );
}

#[test]
fn engine_plans_pass_the_checks() {
    let cfg = config();
    let change = plan_resource_change(&schema(), &Value::Null, &cfg, &cfg);
    let v = check_plan(
        &schema(),
        &Value::Null,
        &cfg,
        &change.planned,
        &change.requires_replace,
    );
    assert!(v.is_empty(), "{v:?}");
    assert!(check_apply(&schema(), &change.planned, &applied()).is_empty());
}
