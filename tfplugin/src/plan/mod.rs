//! Planning (defaults, unknowns, UseStateForUnknown, RequiresReplace) and Terraform's plan and
//! apply consistency rules.

mod consistency;
mod engine;
mod sets;

pub use consistency::{check_apply, check_plan, Violation};
pub use engine::{plan_resource_change, PlannedChange};

#[cfg(test)]
mod consistency_tests;
