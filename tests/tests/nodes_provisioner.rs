//! The provisioner on the 12 real test nodes, in one scenario so the nodes' slowest work (twelve
//! parallel Docker installs) is paid once: stage 1 converges the base role from fresh nodes and
//! checks its hardening and idempotence (`base.rs`), stage 2 adds the Mesos roles and runs the
//! cluster through apps, a rolling change, failover and re-bootstraps (`mesos.rs`).

#[path = "nodes_provisioner/base.rs"]
mod base;
#[path = "nodes_provisioner/mesos.rs"]
mod mesos;

use e2e::nodes;

#[test]
fn base_role_then_mesos_cluster_on_12_nodes() {
    let Some(nodes) = nodes::acquire() else {
        return;
    };
    let base_time = base::scenario(nodes);
    mesos::scenario(nodes, base_time);
}
