//! Invalid configurations fail at plan time with a diagnostic on the offending attribute,
//! before any API call that changes anything (checked in the emulator's request log).

use anyhow::{ensure, Result};
use e2e::emulator::Emulator;
use e2e::provider::{rewrite, workspace};

const ND: &str = "00000000-0000-0000-0000-000000000001";
const VLAN: &str = "00000000-0000-0000-0000-000000000002";

fn domain(attrs: &str) -> String {
    format!(
        "resource \"cloudcontrol_network_domain\" \"x\" {{\n  datacenter = \"NA9\"\n{attrs}\n}}\n"
    )
}

fn vlan(attrs: &str) -> String {
    format!("resource \"cloudcontrol_vlan\" \"x\" {{\n  network_domain_id = \"{ND}\"\n  name = \"v\"\n{attrs}\n}}\n")
}

fn server(attrs: &str, nic_ip: &str, disks: &str) -> String {
    format!(
        "resource \"cloudcontrol_server\" \"x\" {{\n  name = \"s\"\n  network_domain_id = \"{ND}\"\n  image_id = \"img\"\n{attrs}\n  primary_nic {{\n    vlan_id = \"{VLAN}\"\n{nic_ip}\n  }}\n{disks}\n}}\n"
    )
}

fn rule(attrs: &str, blocks: &str) -> String {
    format!("resource \"cloudcontrol_firewall_rule\" \"x\" {{\n  network_domain_id = \"{ND}\"\n{attrs}\n{blocks}\n}}\n")
}

/// (what is wrong, configuration, the attribute line the diagnostic must point at, a word of the rule)
fn cases() -> Vec<(&'static str, String, &'static str, &'static str)> {
    let disk = |scsi: u32, size: u32| {
        format!("  disk {{\n    scsi_id = {scsi}\n    size_gb = {size}\n  }}\n")
    };
    let ok_rule = "  name = \"ok\"\n  protocol = \"TCP\"";
    vec![
        ("blank domain name", domain("  name = \"  \""), "name = \"  \"", "empty"),
        ("long domain name", domain(&format!("  name = \"{}\"", "n".repeat(80))), "name = \"nnnn", "75"),
        ("unknown domain type", domain("  name = \"d\"\n  type = \"PREMIUM\""), "type = \"PREMIUM\"", "ESSENTIALS"),
        ("VLAN prefix too long", vlan("  ipv4_base_address = \"10.0.0.0\"\n  ipv4_prefix_size = 31"), "ipv4_prefix_size = 31", "30"),
        ("VLAN prefix too short", vlan("  ipv4_base_address = \"10.0.0.0\"\n  ipv4_prefix_size = 8"), "ipv4_prefix_size = 8", "16"),
        ("VLAN base not an address", vlan("  ipv4_base_address = \"10.0.0.300\"\n  ipv4_prefix_size = 24"), "ipv4_base_address = \"10.0.0.300\"", "IPv4"),
        ("VLAN base not the network address", vlan("  ipv4_base_address = \"10.0.1.5\"\n  ipv4_prefix_size = 24"), "ipv4_base_address = \"10.0.1.5\"", "10.0.1.0"),
        ("VLAN in transit space", vlan("  ipv4_base_address = \"100.64.0.0\"\n  ipv4_prefix_size = 24"), "ipv4_base_address = \"100.64.0.0\"", "reserved"),
        ("VLAN gateway addressing", vlan("  ipv4_base_address = \"10.0.0.0\"\n  ipv4_prefix_size = 24\n  gateway_addressing = \"MIDDLE\""), "gateway_addressing = \"MIDDLE\"", "LOW"),
        ("too many CPUs", server("  cpu_count = 64", "", &disk(0, 10)), "cpu_count = 64", "32"),
        ("no memory", server("  memory_gb = 0", "", &disk(0, 10)), "memory_gb = 0", "256"),
        ("cores not dividing the CPU count", server("  cpu_count = 4\n  cores_per_socket = 3", "", ""), "cores_per_socket = 3", "divide"),
        ("disk too small", server("", "", &format!("{}{}", disk(0, 10), disk(1, 5))), "size_gb = 5", "1000"),
        ("disk too large", server("", "", &format!("{}{}", disk(0, 10), disk(1, 2000))), "size_gb = 2000", "1000"),
        ("reserved SCSI id", server("", "", &format!("{}{}", disk(0, 10), disk(7, 20))), "scsi_id = 7", "controller"),
        ("duplicate SCSI id", server("", "", &format!("{}{}", disk(0, 10), disk(0, 20))), "scsi_id = 0", "twice"),
        ("short password", server("  admin_password = \"Ab1!\"", "", &disk(0, 10)), "admin_password", "8 characters"),
        ("weak password", server("  admin_password = \"alllowercase1!\"", "", &disk(0, 10)), "admin_password", "upper-case"),
        ("NIC address not IPv4", server("", "    private_ipv4 = \"10.0.0.x\"", &disk(0, 10)), "private_ipv4 = \"10.0.0.x\"", "IPv4"),
        ("unknown monitoring plan", server("  monitoring_plan = \"GOLD\"", "", &disk(0, 10)), "monitoring_plan = \"GOLD\"", "ADVANCED"),
        ("firewall name starts with a digit", rule("  name = \"1rule\"\n  protocol = \"TCP\"", ""), "name = \"1rule\"", "start"),
        ("firewall name with a space", rule("  name = \"allow ssh\"\n  protocol = \"TCP\"", ""), "name = \"allow ssh\"", "only letters"),
        ("firewall default prefix", rule("  name = \"CCDEFAULT.x\"\n  protocol = \"TCP\"", ""), "name = \"CCDEFAULT.x\"", "reserved"),
        ("port out of range", rule(ok_rule, "  destination {\n    port = 70000\n  }"), "port = 70000", "65535"),
        ("port range backwards", rule(ok_rule, "  destination {\n    port = 8080\n    port_end = 8000\n  }"), "port_end = 8000", "greater"),
        ("port on ICMP", rule("  name = \"ok\"\n  protocol = \"ICMP\"", "  destination {\n    port = 22\n  }"), "port = 22", "TCP and UDP"),
        ("source prefix without address", rule(ok_rule, "  source {\n    prefix_size = 24\n  }"), "prefix_size = 24", "needs"),
        ("BEFORE without a rule", rule("  name = \"ok\"\n  protocol = \"TCP\"\n  placement = \"BEFORE\"", ""), "placement = \"BEFORE\"", "relative_to_rule"),
        ("NAT internal address", "resource \"cloudcontrol_nat_rule\" \"x\" {\n  network_domain_id = \"nd\"\n  internal_ipv4 = \"300.1.1.1\"\n}\n".into(), "internal_ipv4 = \"300.1.1.1\"", "IPv4"),
    ]
}

#[test]
fn invalid_configurations_fail_at_plan_without_changes() -> Result<()> {
    let emulator = Emulator::start()?;
    let ws = workspace(&emulator, "")?;
    let cases = cases();
    ensure!(cases.len() >= 20);
    let mut failures = Vec::new();
    for (what, config, line, rule) in &cases {
        rewrite(&ws, config)?;
        let before = emulator.last_seq()?;
        let out = ws.run(&["plan", "-input=false", "-no-color"])?;
        let text = out.combined();
        let mutations = emulator.mutations_since(before)?;
        if out.code != 1 || !text.contains("Error:") {
            failures.push(format!("{what}: plan did not fail:\n{text}"));
        } else if !text.contains(line) {
            failures.push(format!(
                "{what}: the diagnostic does not point at `{line}`:\n{text}"
            ));
        } else if !text.contains(rule) {
            failures.push(format!(
                "{what}: the diagnostic does not explain the rule ({rule}):\n{text}"
            ));
        }
        if !mutations.is_empty() {
            failures.push(format!(
                "{what}: changing API calls during plan: {mutations:?}"
            ));
        }
    }
    ensure!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    Ok(())
}
