//! Row 2: `terraform plan` (with its refresh) of a configuration of N servers, each with a NAT
//! rule and a firewall rule, and the public IP blocks the NAT rules need, at N = 12, 100 and 300
//! (`--quick`: 12 and 100). The configuration is applied first on an instant emulator (time
//! scale 0); the plan is then timed and its requests counted in the emulator's request log.
//! Target: at most one GET per resource per refresh. The provider's sign-in (`user/myUser`) and
//! the image data source (`image/osImage`) are counted apart: they are once per plan, not per
//! resource.

use crate::cluster;
use crate::table::{Figure, Verdict};
use anyhow::{ensure, Context, Result};
use e2e::emulator::Emulator;
use e2e::terraform::PlanOutcome;
use std::time::Instant;

/// The configuration: one network domain and VLAN, `servers` servers, a public IP block per two
/// servers, and a NAT rule and an inbound SSH firewall rule per server.
pub fn configuration(servers: usize) -> String {
    format!(
        r#"
variable "admin_password" {{
  type      = string
  sensitive = true
}}

data "cloudcontrol_image" "os" {{
  name       = "Rocky Linux 8 64-bit 2 CPU"
  datacenter = "NA9"
}}

resource "cloudcontrol_network_domain" "scale" {{
  name       = "bench-scale"
  datacenter = "NA9"
}}

resource "cloudcontrol_vlan" "scale" {{
  network_domain_id = cloudcontrol_network_domain.scale.id
  name              = "bench-scale"
  ipv4_base_address = "10.20.0.0"
  ipv4_prefix_size  = 22
}}

resource "cloudcontrol_server" "node" {{
  count = {servers}

  name              = "node${{count.index}}"
  network_domain_id = cloudcontrol_network_domain.scale.id
  image_id          = data.cloudcontrol_image.os.id
  admin_password    = var.admin_password

  primary_nic {{
    vlan_id      = cloudcontrol_vlan.scale.id
    private_ipv4 = cidrhost("10.20.0.0/22", 10 + count.index)
  }}
}}

resource "cloudcontrol_public_ip_block" "scale" {{
  count             = ceil({servers} / 2)
  network_domain_id = cloudcontrol_network_domain.scale.id
  depends_on        = [cloudcontrol_server.node]
}}

resource "cloudcontrol_nat_rule" "node" {{
  count             = {servers}
  network_domain_id = cloudcontrol_network_domain.scale.id
  internal_ipv4     = cloudcontrol_server.node[count.index].primary_ipv4
  depends_on        = [cloudcontrol_public_ip_block.scale]
}}

resource "cloudcontrol_firewall_rule" "ssh" {{
  count             = {servers}
  network_domain_id = cloudcontrol_network_domain.scale.id
  name              = "node${{count.index}}_ssh"
  action            = "ACCEPT_DECISIVELY"
  ip_version        = "IPV4"
  protocol          = "TCP"

  destination {{
    ip   = cloudcontrol_nat_rule.node[count.index].external_ipv4
    port = 22
  }}
}}
"#
    )
}

/// One size's measurement.
struct Size {
    servers: usize,
    resources: usize,
    wall: f64,
    resource_gets: usize,
    once_gets: usize,
    other: usize,
    /// Resource GETs by API collection (`network/natRule`), most first.
    by_collection: Vec<(String, usize)>,
}

/// `network/natRule` of `/caas/2.9/ORG/network/natRule/ID` (ids and query dropped).
fn collection(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('?')
        .next()
        .unwrap_or_default()
        .split('/')
        .collect();
    // "", "caas", "2.9", org, area, collection, ...
    parts
        .get(4..6)
        .map_or_else(|| path.to_owned(), |p| p.join("/"))
}

/// Runs row 2.
pub fn run(quick: bool) -> Result<Vec<Figure>> {
    let sizes: &[usize] = if quick { &[12, 100] } else { &[12, 100, 300] };
    let mut measured = Vec::new();
    for &servers in sizes {
        eprintln!("  {servers} servers: applying, then planning");
        measured.push(one_size(servers)?);
    }
    let mut figures = Vec::new();
    let base = &measured[0];
    for m in &measured {
        let per = m.resource_gets as f64 / m.resources as f64;
        figures.push(
            Figure::new(
                &format!("2.plan{}.gets", m.servers),
                2,
                &format!("terraform plan, {} servers + NAT + firewall: GETs per resource per refresh", m.servers),
                format!("{per:.3}"),
                "<= 1.00",
            )
            .judged(per, Verdict::of(per <= 1.0))
            .note(format!(
                "{} GETs for {} resources ({}), plus {} once per plan (sign-in, image data source); {} other requests",
                m.resource_gets,
                m.resources,
                m.by_collection
                    .iter()
                    .map(|(c, n)| format!("{c} {n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                m.once_gets,
                m.other
            )),
        );
        let growth = m.wall / base.wall;
        let per_resource_ms = m.wall * 1000.0 / m.resources as f64;
        figures.push(
            Figure::new(
                &format!("2.plan{}.wall", m.servers),
                2,
                &format!("terraform plan, {} servers: wall time", m.servers),
                format!("{:.1} s", m.wall),
                "recorded (growth)",
            )
            .judged(m.wall, Verdict::Recorded)
            .note(format!(
                "{} resources, {per_resource_ms:.1} ms per resource; {growth:.2}x the {}-server plan for {:.1}x the resources",
                m.resources,
                base.servers,
                m.resources as f64 / base.resources as f64
            )),
        );
    }
    Ok(figures)
}

fn one_size(servers: usize) -> Result<Size> {
    let emulator = Emulator::start_with(&["--time-scale", "0", "--request-log-size", "200000"])?;
    let mut ws = e2e::provider::workspace(&emulator, &configuration(servers))?;
    cluster::set_server_password(&mut ws);
    ws.apply(&[])
        .with_context(|| format!("applying {servers} servers"))?;
    let resources = cluster::instances(&ws)?.len();
    let seq = emulator.last_seq()?;
    let started = Instant::now();
    let (outcome, _) = ws.plan(&[])?;
    let wall = started.elapsed().as_secs_f64();
    ensure!(
        outcome == PlanOutcome::NoChanges,
        "the plan of {servers} servers right after its apply proposes changes"
    );
    let entries = emulator.requests_since(seq)?;
    let (mut resource_gets, mut once_gets, mut other) = (0, 0, 0);
    let mut by: std::collections::BTreeMap<String, usize> = Default::default();
    for e in &entries {
        let path = e["path"].as_str().unwrap_or_default();
        if e["method"] != "GET" {
            other += 1;
        } else if path.contains("/user/myUser") || path.contains("/image/osImage") {
            once_gets += 1;
        } else {
            resource_gets += 1;
            *by.entry(collection(path)).or_default() += 1;
        }
    }
    let mut by_collection: Vec<(String, usize)> = by.into_iter().collect();
    by_collection.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    Ok(Size {
        servers,
        resources,
        wall,
        resource_gets,
        once_gets,
        other,
        by_collection,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collections_drop_ids_and_queries() {
        assert_eq!(
            collection("/caas/2.9/org/network/natRule/abc"),
            "network/natRule"
        );
        assert_eq!(
            collection("/caas/2.9/org/server/server?networkDomainId=x"),
            "server/server"
        );
    }

    #[test]
    fn the_configuration_scales_every_resource_with_the_servers() {
        let hcl = configuration(300);
        assert!(hcl.contains("count = 300"));
        assert!(hcl.contains("count             = ceil(300 / 2)"));
        assert_eq!(hcl.matches("count             = 300").count(), 2);
        // 300 addresses from .10 fit a /22
        assert!(hcl.contains("ipv4_prefix_size  = 22"));
    }
}
