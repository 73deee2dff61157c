//! Terraform's own consistency rules (Terraform 1.0.3 `objchange.AssertPlanValid` and
//! `AssertObjectCompatible`), run by the runtime on every plan and apply result before it
//! answers Terraform. A provider bug then surfaces as a clear error naming the attribute
//! path and the rule, rather than Terraform's "Provider produced inconsistent result".

use std::fmt;

use super::sets::correlate;
use crate::diag::Diagnostic;
use crate::path::{AttributePath, PathStep};
use crate::schema::{Attribute, Block, NestingMode};
use crate::value::Value;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the resource object.
    pub path: AttributePath,
    /// The rule and the values involved.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl Violation {
    fn new(path: &AttributePath, message: impl Into<String>) -> Violation {
        Violation {
            path: path.clone(),
            message: message.into(),
        }
    }

    /// An error diagnostic for this violation in a plan of `resource_type`.
    pub fn plan_diagnostic(&self, resource_type: &str) -> Diagnostic {
        Diagnostic::error(
            "Provider produced invalid plan",
            format!(
                "The provider planned an invalid value for {resource_type}.{self}. This is a bug in the provider."
            ),
        )
        .at(self.path.clone())
    }

    /// An error diagnostic for this violation in an apply result of `resource_type`.
    pub fn apply_diagnostic(&self, resource_type: &str) -> Diagnostic {
        Diagnostic::error(
            "Provider produced inconsistent result after apply",
            format!(
                "When applying changes to {resource_type}, the provider produced an unexpected new value: {self}. This is a bug in the provider."
            ),
        )
        .at(self.path.clone())
    }
}

/// Checks a planned state the way Terraform does: it conforms to the schema type, every
/// non-computed attribute equals its configuration (or its prior value), unknowns only where
/// the provider may decide, nested block counts match, and every RequiresReplace path exists.
pub fn check_plan(
    block: &Block,
    prior: &Value,
    config: &Value,
    planned: &Value,
    requires_replace: &[AttributePath],
) -> Vec<Violation> {
    let root = AttributePath::root();
    let mut out = Vec::new();
    if let Err(e) = planned.check_conforms(&block.implied_type()) {
        out.push(Violation::new(
            &e.path,
            format!(
                "planned value does not conform to the schema: {}",
                e.message
            ),
        ));
        return out;
    }
    assert_plan_valid(block, prior, config, planned, &root, &mut out);
    for p in requires_replace {
        if !block.has_path(p) {
            out.push(Violation::new(
                p,
                "\"requires replacement\" indicated for a non-existent attribute path",
            ));
        }
    }
    out
}

/// Checks an apply result against the plan the way Terraform does: conforms to the type, is
/// wholly known, keeps every value that was known in the plan, and is null exactly when the
/// plan was (destroy).
pub fn check_apply(block: &Block, planned: &Value, new_state: &Value) -> Vec<Violation> {
    let root = AttributePath::root();
    let mut out = Vec::new();
    if planned.is_null() && !new_state.is_null() {
        out.push(Violation::new(
            &root,
            "the resource was planned for destruction but the result is not null",
        ));
        return out;
    }
    if let Err(e) = new_state.check_conforms(&block.implied_type()) {
        out.push(Violation::new(
            &e.path,
            format!("new state does not conform to the schema: {}", e.message),
        ));
        return out;
    }
    unknown_paths(new_state, &root, &mut out);
    assert_object_compatible(block, planned, new_state, &root, &mut out);
    out
}

fn unknown_paths(v: &Value, path: &AttributePath, out: &mut Vec<Violation>) {
    match v.inner() {
        Value::Unknown => out.push(Violation::new(
            path,
            "still unknown after apply: every value must be known",
        )),
        Value::List(items) | Value::Tuple(items) => {
            for (i, e) in items.iter().enumerate() {
                unknown_paths(e, &path.child(PathStep::ElementKeyInt(i as i64)), out);
            }
        }
        Value::Set(items) => {
            for e in items {
                unknown_paths(e, path, out);
            }
        }
        Value::Object(m) => {
            for (k, e) in m {
                unknown_paths(e, &path.child(PathStep::Attribute(k.clone())), out);
            }
        }
        Value::Map(m) => {
            for (k, e) in m {
                unknown_paths(e, &path.child(PathStep::ElementKeyString(k.clone())), out);
            }
        }
        _ => {}
    }
}

fn assert_plan_valid(
    block: &Block,
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<Violation>,
) {
    if planned.is_null() && !config.is_null() {
        out.push(Violation::new(
            path,
            "planned for absence but config wants existence",
        ));
        return;
    }
    if config.is_null() && !planned.is_null() {
        out.push(Violation::new(
            path,
            "planned for existence but config wants absence",
        ));
        return;
    }
    if planned.is_null() {
        return;
    }
    for a in &block.attributes {
        let p = path.child(PathStep::Attribute(a.name.clone()));
        assert_planned_value_valid(
            a,
            prior.attr(&a.name),
            config.attr(&a.name),
            planned.attr(&a.name),
            &p,
            out,
        );
    }
    for b in &block.block_types {
        let p = path.child(PathStep::Attribute(b.type_name.clone()));
        let planned_v = planned.attr(&b.type_name);
        let config_v = config.attr(&b.type_name);
        let prior_v = prior.attr(&b.type_name);
        if planned_v == config_v || config_v.is_unknown() {
            continue;
        }
        if planned_v.is_unknown() {
            out.push(Violation::new(&p, "attribute representing nested block must not be unknown itself; set nested attribute values to unknown instead"));
            continue;
        }
        match b.nesting {
            NestingMode::Single | NestingMode::Group => {
                assert_plan_valid(&b.block, prior_v, config_v, planned_v, &p, out)
            }
            NestingMode::List => {
                if planned_v.is_null() {
                    out.push(Violation::new(&p, "attribute representing a list of nested blocks must be empty to indicate no blocks, not null"));
                    continue;
                }
                let (planned_l, config_l) = (planned_v.elements(), config_v.elements());
                if planned_l.len() != config_l.len() {
                    out.push(Violation::new(
                        &p,
                        format!(
                            "block count in plan ({}) disagrees with count in config ({})",
                            planned_l.len(),
                            config_l.len()
                        ),
                    ));
                    continue;
                }
                for (i, (pe, ce)) in planned_l.iter().zip(config_l).enumerate() {
                    let ep = p.child(PathStep::ElementKeyInt(i as i64));
                    if pe.is_unknown() {
                        out.push(Violation::new(&ep, "element representing nested block must not be unknown itself; set nested attribute values to unknown instead"));
                        continue;
                    }
                    let prior_e = prior_v.elements().get(i).unwrap_or(&Value::Null);
                    assert_plan_valid(&b.block, prior_e, ce, pe, &ep, out);
                }
            }
            NestingMode::Map => {
                let empty = Default::default();
                let planned_m = planned_v.entries().unwrap_or(&empty);
                let config_m = config_v.entries().unwrap_or(&empty);
                for (k, pe) in planned_m {
                    let ep = p.child(PathStep::ElementKeyString(k.clone()));
                    let Some(ce) = config_m.get(k) else {
                        out.push(Violation::new(
                            &p,
                            format!("block key {k:?} from plan is not present in config"),
                        ));
                        continue;
                    };
                    if pe.is_unknown() {
                        out.push(Violation::new(&ep, "element representing nested block must not be unknown itself; set nested attribute values to unknown instead"));
                        continue;
                    }
                    assert_plan_valid(&b.block, prior_v.attr(k), ce, pe, &ep, out);
                }
                for k in config_m.keys() {
                    if !planned_m.contains_key(k) {
                        out.push(Violation::new(
                            &p,
                            format!("block key {k:?} from config is not present in plan"),
                        ));
                    }
                }
            }
            NestingMode::Set => {
                if planned_v.is_null() {
                    out.push(Violation::new(&p, "attribute representing a set of nested blocks must be empty to indicate no blocks, not null"));
                    continue;
                }
                for pe in planned_v.elements() {
                    if pe.is_unknown() {
                        out.push(Violation::new(&p, "element representing nested block must not be unknown itself; set nested attribute values to unknown instead"));
                    }
                }
                // Terraform trusts providers here; we go further where it is sound: every
                // planned element must correlate with a configured one by the attributes
                // configuration controls, and the counts must agree.
                let (planned_s, config_s) = (planned_v.elements(), config_v.elements());
                for pe in planned_s.iter().filter(|e| e.is_known()) {
                    if correlate(&b.block, pe, config_s).is_none() {
                        out.push(Violation::new(
                            &p,
                            format!("planned set element {pe} does not correspond to any block in config"),
                        ));
                    }
                }
                if planned_s.len() != config_s.len() {
                    out.push(Violation::new(
                        &p,
                        format!(
                            "block count in plan ({}) disagrees with count in config ({})",
                            planned_s.len(),
                            config_s.len()
                        ),
                    ));
                }
            }
        }
    }
}

fn assert_planned_value_valid(
    attr: &Attribute,
    prior: &Value,
    config: &Value,
    planned: &Value,
    path: &AttributePath,
    out: &mut Vec<Violation>,
) {
    if planned == config {
        return;
    }
    if planned == prior && !prior.is_null() && !config.is_null() {
        // The provider kept a semantically equal prior value.
        return;
    }
    if attr.computed && config.is_null() {
        return;
    }
    let message = if config.is_null() {
        if attr.sensitive {
            "sensitive planned value for a non-computed attribute".to_string()
        } else {
            format!("planned value {planned} for a non-computed attribute")
        }
    } else if attr.sensitive {
        if prior.is_null() {
            "sensitive planned value does not match config value".to_string()
        } else {
            "sensitive planned value does not match config value nor prior value".to_string()
        }
    } else if prior.is_null() {
        format!("planned value {planned} does not match config value {config}")
    } else {
        format!(
            "planned value {planned} does not match config value {config} nor prior value {prior}"
        )
    };
    out.push(Violation::new(path, message));
}

fn assert_object_compatible(
    block: &Block,
    planned: &Value,
    actual: &Value,
    path: &AttributePath,
    out: &mut Vec<Violation>,
) {
    let at_root = if path.is_empty() {
        "root resource "
    } else {
        ""
    };
    if planned.is_null() && !actual.is_null() {
        out.push(Violation::new(
            path,
            format!("{at_root}was absent, but now present"),
        ));
        return;
    }
    if actual.is_null() && !planned.is_null() {
        out.push(Violation::new(
            path,
            format!("{at_root}was present, but now absent"),
        ));
        return;
    }
    if planned.is_null() {
        return;
    }
    for a in &block.attributes {
        let p = path.child(PathStep::Attribute(a.name.clone()));
        let mut found = Vec::new();
        assert_value_compatible(planned.attr(&a.name), actual.attr(&a.name), &p, &mut found);
        if a.sensitive && !found.is_empty() {
            out.push(Violation::new(
                &p,
                "inconsistent values for sensitive attribute",
            ));
        } else {
            out.extend(found);
        }
    }
    for b in &block.block_types {
        let p = path.child(PathStep::Attribute(b.type_name.clone()));
        let (planned_v, actual_v) = (planned.attr(&b.type_name), actual.attr(&b.type_name));
        match b.nesting {
            NestingMode::Single | NestingMode::Group => {
                assert_object_compatible(&b.block, planned_v, actual_v, &p, out)
            }
            NestingMode::List => {
                if !planned_v.is_known() || planned_v.is_null() || actual_v.is_null() {
                    continue;
                }
                let (pl, al) = (planned_v.elements(), actual_v.elements());
                if pl.len() != al.len() {
                    out.push(Violation::new(
                        &p,
                        format!("block count changed from {} to {}", pl.len(), al.len()),
                    ));
                    continue;
                }
                for (i, (pe, ae)) in pl.iter().zip(al).enumerate() {
                    let ep = p.child(PathStep::ElementKeyInt(i as i64));
                    assert_object_compatible(&b.block, pe, ae, &ep, out);
                }
            }
            NestingMode::Map => {
                if !planned_v.is_known() || planned_v.is_null() || actual_v.is_null() {
                    continue;
                }
                let empty = Default::default();
                let pm = planned_v.entries().unwrap_or(&empty);
                let am = actual_v.entries().unwrap_or(&empty);
                for (k, pe) in pm {
                    let ep = p.child(PathStep::ElementKeyString(k.clone()));
                    match am.get(k) {
                        Some(ae) => assert_object_compatible(&b.block, pe, ae, &ep, out),
                        None => {
                            out.push(Violation::new(&ep, format!("block key {k:?} has vanished")))
                        }
                    }
                }
                for k in am.keys().filter(|k| !pm.contains_key(*k)) {
                    out.push(Violation::new(
                        &p,
                        format!("new block key {k:?} has appeared"),
                    ));
                }
            }
            NestingMode::Set => {
                if !planned_v.is_known() || planned_v.is_null() || actual_v.is_null() {
                    continue;
                }
                assert_set_compatible(
                    planned_v.elements(),
                    actual_v.elements(),
                    &p,
                    out,
                    |pe, ae| {
                        let mut errs = Vec::new();
                        assert_object_compatible(&b.block, pe, ae, &p, &mut errs);
                        errs.is_empty()
                    },
                );
                let (pl, al) = (planned_v.elements().len(), actual_v.elements().len());
                if pl < al {
                    out.push(Violation::new(
                        &p,
                        format!("block set length changed from {pl} to {al}"),
                    ));
                }
            }
        }
    }
}

fn assert_value_compatible(
    planned: &Value,
    actual: &Value,
    path: &AttributePath,
    out: &mut Vec<Violation>,
) {
    if planned.is_unknown() {
        // Anything goes for values the plan left open.
        return;
    }
    if actual.is_null() {
        if !planned.is_null() {
            out.push(Violation::new(path, format!("was {planned}, but now null")));
        }
        return;
    }
    if planned.is_null() {
        out.push(Violation::new(path, format!("was null, but now {actual}")));
        return;
    }
    if actual.is_unknown() {
        out.push(Violation::new(path, "was known, but now unknown"));
        return;
    }
    match (planned.inner(), actual.inner()) {
        (Value::List(pl), Value::List(al)) | (Value::Tuple(pl), Value::Tuple(al)) => {
            for (i, pe) in pl.iter().enumerate() {
                let ep = path.child(PathStep::ElementKeyInt(i as i64));
                match al.get(i) {
                    Some(ae) => assert_value_compatible(pe, ae, &ep, out),
                    None => out.push(Violation::new(path, format!("element {i} has vanished"))),
                }
            }
            for i in pl.len()..al.len() {
                out.push(Violation::new(
                    path,
                    format!("new element {i} has appeared"),
                ));
            }
        }
        (Value::Map(pm), Value::Map(am)) | (Value::Object(pm), Value::Object(am)) => {
            let object = matches!(planned.inner(), Value::Object(_));
            for (k, pe) in pm {
                let ep = path.child(if object {
                    PathStep::Attribute(k.clone())
                } else {
                    PathStep::ElementKeyString(k.clone())
                });
                match am.get(k) {
                    Some(ae) => assert_value_compatible(pe, ae, &ep, out),
                    None => out.push(Violation::new(path, format!("element {k:?} has vanished"))),
                }
            }
            for k in am.keys().filter(|k| !pm.contains_key(*k)) {
                out.push(Violation::new(
                    path,
                    format!("new element {k:?} has appeared"),
                ));
            }
        }
        (Value::Set(ps), Value::Set(as_)) => {
            assert_set_compatible(ps, as_, path, out, |pe, ae| {
                let mut errs = Vec::new();
                assert_value_compatible(pe, ae, path, &mut errs);
                errs.is_empty()
            });
            if ps.len() < as_.len() {
                out.push(Violation::new(
                    path,
                    format!("length changed from {} to {}", ps.len(), as_.len()),
                ));
            }
        }
        (p, a) => {
            if p != a {
                out.push(Violation::new(
                    path,
                    format!("was {planned}, but now {actual}"),
                ));
            }
        }
    }
}

fn assert_set_compatible(
    planned: &[Value],
    actual: &[Value],
    path: &AttributePath,
    out: &mut Vec<Violation>,
    compatible: impl Fn(&Value, &Value) -> bool,
) {
    let mut planned_ok = vec![false; planned.len()];
    let mut actual_ok = vec![false; actual.len()];
    for (pi, pe) in planned.iter().enumerate() {
        for (ai, ae) in actual.iter().enumerate() {
            if compatible(pe, ae) {
                planned_ok[pi] = true;
                actual_ok[ai] = true;
            }
        }
    }
    let before = out.len();
    for (pe, ok) in planned.iter().zip(&planned_ok) {
        if !ok {
            out.push(Violation::new(
                path,
                format!("planned set element {pe} does not correlate with any element in actual"),
            ));
        }
    }
    if out.len() > before {
        return;
    }
    for (ae, ok) in actual.iter().zip(&actual_ok) {
        if !ok {
            out.push(Violation::new(
                path,
                format!("provider produced set element {ae} correlated with no element in plan"),
            ));
        }
    }
}
