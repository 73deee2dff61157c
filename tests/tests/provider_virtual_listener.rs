//! `cloudcontrol_virtual_listener`, with the `cloudcontrol_vip_persistence_profile` and
//! `cloudcontrol_vip_irule` data sources, through the real Terraform CLI against the emulator:
//! create (the address taken from the domain's public IP block, traffic sent to a
//! `cloudcontrol_vip_pool`), empty re-plan, in-place edit (another pool among others),
//! replacement (another port; a configured private address), import without diff, drift, a
//! listener Terraform lost track of refused with its import command (and taken over when the
//! domain's creation journal lists it, then edited to the configuration), plan-time refusals
//! naming the attribute, the API's refusal, and destroy to an empty inventory.

use anyhow::{ensure, Context, Result};
use e2e::emulator::Emulator;
use e2e::provider::{
    ensure_no_changes, failed_plan, flat, id_of, plan_expecting, rewrite, workspace,
};
use e2e::terraform::PlanOutcome;
use serde_json::json;

/// An ADVANCED domain with a public IP block, two pools (`masters`, `standby`), the two catalog
/// lookups, and a STANDARD TCP listener `marathon` whose varying attributes are `listener` (HCL
/// lines).
fn config(listener: &str) -> String {
    format!(
        r#"
resource "cloudcontrol_network_domain" "nd" {{
  name       = "lb"
  datacenter = "NA9"
  type       = "ADVANCED"
}}

resource "cloudcontrol_public_ip_block" "block" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
}}

resource "cloudcontrol_vip_pool" "masters" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "masters"
}}

resource "cloudcontrol_vip_pool" "standby" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "standby"
}}

data "cloudcontrol_vip_persistence_profile" "source" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "CCDEFAULT.SourceAddress"
}}

data "cloudcontrol_vip_irule" "ips" {{
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "CCDEFAULT.Ips"
}}

resource "cloudcontrol_virtual_listener" "marathon" {{
  network_domain_id    = cloudcontrol_network_domain.nd.id
  protocol             = "TCP"
  optimization_profile = "TCP"
  {listener}
  # The address comes from the block, so the block comes first.
  depends_on = [cloudcontrol_public_ip_block.block]
}}
"#
    )
}

const FIRST: &str = r#"name                   = "marathon"
  description            = "Marathon on a stable address"
  port                   = 8080
  pool_id                = cloudcontrol_vip_pool.masters.id
  persistence_profile_id = data.cloudcontrol_vip_persistence_profile.source.id
  irule_ids              = [data.cloudcontrol_vip_irule.ips.id]"#;

/// The same listener, edited: another description, disabled, lower limits, the other pool,
/// no iRules, another source port rule.
const EDITED: &str = r#"name                     = "marathon"
  description              = "Marathon (paused)"
  port                     = 8080
  enabled                  = false
  connection_limit         = 5000
  connection_rate_limit    = 500
  source_port_preservation = "CHANGE"
  pool_id                  = cloudcontrol_vip_pool.standby.id
  persistence_profile_id   = data.cloudcontrol_vip_persistence_profile.source.id"#;

#[test]
fn virtual_listener_lifecycle() -> Result<()> {
    let emulator = Emulator::start()?;
    let org = emulator.org_id()?;
    let ws = workspace(&emulator, &config(FIRST))?;
    let listener_path =
        |id: &str| format!("/caas/2.10/{org}/networkDomainVip/virtualListener/{id}");

    // Create: the address is the block's first; the catalogs' ids reached the API.
    ws.apply(&[])?;
    ensure_no_changes(&ws, "create")?;
    let address = "cloudcontrol_virtual_listener.marathon";
    let listener = ws.resource_values(address)?.context("listener in state")?;
    let block = ws
        .resource_values("cloudcontrol_public_ip_block.block")?
        .context("block in state")?;
    ensure!(
        listener["listener_ip_address"] == block["base_ip"]
            && listener["listener_ip_addressability"] == "PUBLIC_IP_BLOCK",
        "{listener}"
    );
    let id = id_of(&ws, address)?;
    let (_, doc) = emulator.request("GET", &listener_path(&id), None)?;
    ensure!(
        doc["persistenceProfile"]["name"] == "CCDEFAULT.SourceAddress"
            && doc["irule"][0]["name"] == "CCDEFAULT.Ips"
            && doc["port"] == 8080
            && doc["pool"]["name"] == "masters"
            && doc["connectionLimit"] == 20000
            && doc["optimizationProfile"] == "TCP",
        "{doc}"
    );

    // In place: one editVirtualListener call, the same listener.
    rewrite(&ws, &config(EDITED))?;
    plan_expecting(&ws, "0 to add, 1 to change, 0 to destroy")?;
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    let calls = emulator.mutations_since(seq)?;
    ensure!(
        calls.len() == 1 && calls[0].ends_with("/networkDomainVip/editVirtualListener"),
        "the in-place change called {calls:?}"
    );
    ensure!(id_of(&ws, address)? == id, "the listener was replaced");
    let (_, doc) = emulator.request("GET", &listener_path(&id), None)?;
    ensure!(
        doc["enabled"] == false
            && doc["connectionLimit"] == 5000
            && doc["sourcePortPreservation"] == "CHANGE"
            && doc["irule"] == json!([])
            && doc["pool"]["name"] == "standby"
            && doc["description"] == "Marathon (paused)",
        "{doc}"
    );
    ensure_no_changes(&ws, "the in-place change")?;

    // Replacement: another port is another listener (on the same free address).
    let moved = EDITED.replace("port                     = 8080", "port = 8081");
    rewrite(&ws, &config(&moved))?;
    let plan = plan_expecting(&ws, "1 to add, 0 to change, 1 to destroy")?;
    ensure!(
        plan.stdout.contains(&format!("{address} must be replaced")),
        "{plan}"
    );
    ws.apply(&[])?;
    let replaced = id_of(&ws, address)?;
    ensure!(replaced != id, "the listener was not replaced");
    ensure_no_changes(&ws, "the replacement")?;

    // A configured address differing from the assigned one is a new listener too: a private
    // address outside the domain's VLANs.
    let private = format!("{moved}\n  listener_ip_address = \"10.20.30.40\"");
    rewrite(&ws, &config(&private))?;
    let plan = plan_expecting(&ws, "1 to add, 0 to change, 1 to destroy")?;
    ensure!(
        plan.stdout.contains(&format!("{address} must be replaced")),
        "{plan}"
    );
    ws.apply(&[])?;
    let replaced = id_of(&ws, address)?;
    let (_, doc) = emulator.request("GET", &listener_path(&replaced), None)?;
    ensure!(
        doc["listenerIpAddress"] == "10.20.30.40"
            && doc["listenerIpAddressability"] == "PRIVATE_RFC1918",
        "{doc}"
    );
    ensure_no_changes(&ws, "the move to a private address")?;

    // Import into an empty state: no diff.
    ws.run(&["state", "rm", address])?.ensure_success()?;
    ws.import(address, &replaced)
        .context("importing the listener")?;
    let (outcome, plan) = ws.plan(&[])?;
    ensure!(
        outcome == PlanOutcome::NoChanges,
        "plan after import: {plan}"
    );

    // Drift: an edit behind Terraform's back is put back in place; a listener deleted behind
    // its back is created again.
    emulator.action(
        "networkDomainVip/editVirtualListener",
        json!({"id": replaced, "enabled": true, "poolId": {"nil": true},
               "persistenceProfileId": {"nil": true}}),
    )?;
    plan_expecting(&ws, "0 to add, 1 to change, 0 to destroy")?;
    ws.apply(&[])?;
    let (_, doc) = emulator.request("GET", &listener_path(&replaced), None)?;
    ensure!(
        doc["enabled"] == false
            && doc["pool"]["name"] == "standby"
            && doc["persistenceProfile"]["name"] == "CCDEFAULT.SourceAddress",
        "{doc}"
    );
    emulator.action(
        "networkDomainVip/deleteVirtualListener",
        json!({"id": replaced}),
    )?;
    plan_expecting(&ws, "1 to add, 0 to change, 0 to destroy")?;
    ws.apply(&[])?;
    ensure_no_changes(&ws, "re-creating after drift")?;

    // Terraform loses track of the listener (its create finished normally, so the domain's
    // creation journal no longer lists it): the next create finds it by name, does not take it
    // over or create another, and names the import command, which brings it back.
    let kept = id_of(&ws, address)?;
    ws.run(&["state", "rm", address])?.ensure_success()?;
    let seq = emulator.last_seq()?;
    let failed = ws.try_apply(&[])?;
    let text = flat(&failed);
    ensure!(failed.code != 0, "the listener must be refused: {failed}");
    for part in [
        "Virtual listener already exists",
        "named \"marathon\"",
        &format!("(id {kept})"),
        &format!("terraform import 'ADDRESS' {kept}"),
    ] {
        ensure!(text.contains(part), "missing {part:?} in: {text}");
    }
    let creates: Vec<String> = emulator
        .mutations_since(seq)?
        .into_iter()
        .filter(|m| m.ends_with("/createVirtualListener"))
        .collect();
    ensure!(creates.is_empty(), "created again: {creates:?}");
    ws.import(address, &kept)?;
    ensure_no_changes(&ws, "the import the refusal named")?;

    // As a provider killed mid-apply leaves it: the listener exists, Terraform did not record
    // it, the domain's creation journal lists its create, and it is not yet what the
    // configuration says. It is taken over (no second create) and edited to the configuration.
    ws.run(&["state", "rm", address])?.ensure_success()?;
    let domain = id_of(&ws, "cloudcontrol_network_domain.nd")?;
    emulator.action(
        "tag/applyTags",
        json!({"assetType": "NETWORK_DOMAIN", "assetId": domain,
               "tag": [{"tagKeyName": "terraform-provider-cloudcontrol.creating",
                        "value": json!(["vl:marathon"]).to_string()}]}),
    )?;
    emulator.action(
        "networkDomainVip/editVirtualListener",
        json!({"id": kept, "connectionLimit": 777}),
    )?;
    let seq = emulator.last_seq()?;
    ws.apply(&[])?;
    ensure!(
        id_of(&ws, address)? == kept,
        "the listener was not taken over"
    );
    let calls: Vec<String> = emulator
        .mutations_since(seq)?
        .into_iter()
        .filter(|m| m.contains("/networkDomainVip/"))
        .collect();
    ensure!(
        calls.len() == 1 && calls[0].ends_with("/editVirtualListener"),
        "the take-over called {calls:?}"
    );
    ensure_no_changes(&ws, "the take-over")?;

    // Destroy leaves nothing behind (the block and pools go after the listener that uses them).
    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}

#[test]
fn bad_listeners_fail_with_the_attribute_named() -> Result<()> {
    let emulator = Emulator::start()?;
    let domain = r#"
resource "cloudcontrol_network_domain" "nd" {
  name       = "lb-bad"
  datacenter = "NA9"
  type       = "ADVANCED"
}

data "cloudcontrol_vip_persistence_profile" "cookie" {
  network_domain_id = cloudcontrol_network_domain.nd.id
  name              = "CCDEFAULT.Cookie"
}

resource "cloudcontrol_network_domain" "basic" {
  name       = "lb-basic"
  datacenter = "NA9"
}

resource "cloudcontrol_network_domain" "other" {
  name       = "lb-other"
  datacenter = "NA9"
  type       = "ADVANCED"
}

resource "cloudcontrol_vip_pool" "elsewhere" {
  network_domain_id = cloudcontrol_network_domain.other.id
  name              = "elsewhere"
}
"#;
    let ws = workspace(&emulator, domain)?;
    // The domain exists before the listeners are planned, so the catalog checks can run.
    ws.apply(&[])?;
    let listener_in = |domain: &str, body: &str| {
        format!(
            r#"resource "cloudcontrol_virtual_listener" "x" {{
  network_domain_id = cloudcontrol_network_domain.{domain}.id
  name              = "x"
  {body}
}}"#
        )
    };
    let listener = |body: &str| listener_in("nd", body);
    let cases = [
        (
            r#"type = "PERFORMANCE_LAYER_4"
  protocol = "SMTP""#,
            "protocol SMTP is not accepted for type PERFORMANCE_LAYER_4",
        ),
        (
            r#"protocol = "HTTP""#,
            "optimization_profile is required for type STANDARD and protocol HTTP",
        ),
        (
            r#"protocol = "UDP"
  port     = 0"#,
            "port must be a whole number between 1 and 65535, got 0",
        ),
        (
            r#"protocol            = "UDP"
  listener_ip_address = "10.0.0.256""#,
            "listener_ip_address must be an IPv4 address",
        ),
        (
            r#"protocol         = "UDP"
  connection_limit = 100001"#,
            "connection_limit must be a whole number between 1 and 100000",
        ),
        (
            r#"protocol                        = "UDP"
  fallback_persistence_profile_id = "5e1d0b2c-0000-4000-8000-000000000001""#,
            "fallback_persistence_profile_id needs persistence_profile_id to be set",
        ),
        (
            r#"protocol               = "UDP"
  persistence_profile_id = data.cloudcontrol_vip_persistence_profile.cookie.id"#,
            "CCDEFAULT.Cookie cannot be used with a STANDARD UDP listener",
        ),
    ];
    let mut cases: Vec<(String, &str)> = cases
        .into_iter()
        .map(|(body, expected)| (listener(body), expected))
        .collect();
    // What the plan reads from the API: an ESSENTIALS domain, a pool of another domain.
    cases.push((
        listener_in("basic", r#"protocol = "UDP""#),
        "is ESSENTIALS; load-balancer objects need an ADVANCED or ENTERPRISE network domain",
    ));
    cases.push((
        listener(
            r#"protocol = "UDP"
  pool_id  = cloudcontrol_vip_pool.elsewhere.id"#,
        ),
        "can only use its own domain's pools",
    ));
    for (hcl, expected) in cases {
        rewrite(&ws, &format!("{domain}\n{hcl}"))?;
        let text = failed_plan(&ws).with_context(|| format!("planned {hcl}"))?;
        ensure!(text.contains(expected), "expected {expected:?}: {text}");
    }

    // Apply time: the domain has no public IP block, so no address can be assigned.
    rewrite(
        &ws,
        &format!("{domain}\n{}", listener(r#"protocol = "UDP""#)),
    )?;
    let out = ws.try_apply(&[])?;
    ensure!(
        out.code != 0 && flat(&out).contains("NO_IP_ADDRESS_AVAILABLE"),
        "{out}"
    );
    ensure!(
        ws.resource_values("cloudcontrol_virtual_listener.x")?
            .is_none(),
        "a refused listener is in state"
    );
    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}

#[test]
fn the_documentation_example_applies_and_destroys() -> Result<()> {
    let emulator = Emulator::start()?;
    let example = e2e::terraform::workspace_root()
        .join("examples/resources/cloudcontrol_virtual_listener/resource.tf");
    let hcl = std::fs::read_to_string(&example)
        .with_context(|| format!("reading {}", example.display()))?;
    let ws = workspace(&emulator, &hcl)?;
    ws.apply(&[])?;
    ensure_no_changes(&ws, "applying the example")?;
    let listener = ws
        .resource_values("cloudcontrol_virtual_listener.marathon")?
        .context("listener in state")?;
    let pool = id_of(&ws, "cloudcontrol_vip_pool.marathon_masters")?;
    ensure!(listener["pool_id"] == pool.as_str(), "{listener}");
    ws.destroy()?;
    let inventory = emulator.inventory()?;
    ensure!(inventory["totalAssets"] == 0, "left behind: {inventory}");
    Ok(())
}
