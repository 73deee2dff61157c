//! The tfplugin runtime against the real Terraform 1.0.3 CLI: `terraform-provider-tftest`
//! (built on tfplugin, in `src/bin/`) installed from a filesystem mirror with no network,
//! driven through validate, plan, apply, update, replacement, import, data source reads and
//! destroy. The provider's "remote API" is a JSON file, so every step is checked on both
//! sides: what Terraform reports and what the provider actually did.

use anyhow::{ensure, Context, Result};
use e2e::terraform::{PlanOutcome, ProviderPackage, Workspace};
use serde_json::{json, Value as Json};

const SECRET: &str = "hunter2-do-not-print";

fn package() -> ProviderPackage {
    ProviderPackage::new(
        "example",
        "tftest",
        "0.1.0",
        env!("CARGO_BIN_EXE_terraform-provider-tftest"),
    )
}

/// A workspace with the provider installed by `terraform init` and its backend file path.
struct Setup {
    ws: Workspace,
    backend: std::path::PathBuf,
    package: ProviderPackage,
}

impl Setup {
    fn new(resources: &str) -> Result<Self> {
        let package = package();
        let ws = Workspace::new(&package)?;
        let backend = ws.scratch_path("backend.json");
        let setup = Setup {
            ws,
            backend,
            package,
        };
        setup.write(resources)?;
        let init = setup.ws.init()?;
        ensure!(
            init.stdout.contains("Installing example/tftest v0.1.0"),
            "init did not install the provider from the mirror:\n{init}"
        );
        Ok(setup)
    }

    /// Writes `main.tf`: the required_providers block, the provider block and `resources`.
    fn write(&self, resources: &str) -> Result<()> {
        let provider = format!(
            "provider \"tftest\" {{\n  backend_file = \"{}\"\n}}\n",
            self.backend.display()
        );
        self.ws.write_main_tf(&format!(
            "{}{provider}{resources}",
            self.package.required_providers_block()
        ))
    }

    /// The backend's things keyed by id.
    fn things(&self) -> Result<serde_json::Map<String, Json>> {
        let text = std::fs::read_to_string(&self.backend)
            .with_context(|| format!("reading {}", self.backend.display()))?;
        let parsed: Json = serde_json::from_str(&text)?;
        Ok(parsed["things"].as_object().cloned().unwrap_or_default())
    }

    /// The only thing in the backend, with its id.
    fn only_thing(&self) -> Result<(String, Json)> {
        let things = self.things()?;
        ensure!(
            things.len() == 1,
            "expected one thing, backend has {things:?}"
        );
        let (id, thing) = things.into_iter().next().expect("one thing");
        Ok((id, thing))
    }

    /// The decoded private state of `tftest_thing.<name>` from `terraform state pull`.
    fn private_state(&self, name: &str) -> Result<Json> {
        let pulled = self.ws.run(&["state", "pull"])?.ensure_success()?;
        let state: Json = serde_json::from_str(&pulled.stdout)?;
        let resource = state["resources"]
            .as_array()
            .and_then(|all| all.iter().find(|r| r["name"] == name))
            .with_context(|| format!("no resource {name} in {state}"))?;
        let encoded = resource["instances"][0]["private"]
            .as_str()
            .with_context(|| format!("no private state in {resource}"))?;
        let bytes = base64_decode(encoded)?;
        Ok(serde_json::from_slice(&bytes)?)
    }

    fn plan_is_empty(&self) -> Result<()> {
        let (outcome, output) = self.ws.plan(&[])?;
        ensure!(
            outcome == PlanOutcome::NoChanges,
            "expected an empty plan:\n{output}"
        );
        Ok(())
    }
}

/// Standard base64 with padding, as Terraform writes private state.
fn base64_decode(text: &str) -> Result<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = ALPHABET
            .iter()
            .position(|c| *c == byte)
            .with_context(|| format!("invalid base64 in {text:?}"))?;
        buffer = (buffer << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// The lifecycle test's resource; `timeouts` adds the `timeouts` block.
fn thing_config(zone: &str, size: u32, timeouts: bool) -> String {
    let timeouts = if timeouts {
        "\n  timeouts {\n    create = \"2m\"\n  }\n"
    } else {
        ""
    };
    format!(
        r#"resource "tftest_thing" "a" {{
  name   = "alpha"
  zone   = "{zone}"
  size   = {size}
  secret = "{SECRET}"

  rule {{
    port = 80
  }}
  rule {{
    port     = 53
    protocol = "udp"
  }}
{timeouts}}}
"#
    )
}

#[test]
fn full_lifecycle_apply_update_replace_destroy() -> Result<()> {
    let setup = Setup::new(&thing_config("zone-a", 3, true))?;
    let validate = setup.ws.validate()?.ensure_success()?;
    ensure!(
        validate.stdout.contains("The configuration is valid"),
        "{validate}"
    );

    let (outcome, plan) = setup.ws.plan(&[])?;
    ensure!(outcome == PlanOutcome::Changes, "{plan}");
    ensure!(
        plan.stdout.contains("1 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );
    ensure!(
        !plan.combined().contains(SECRET) && plan.stdout.contains("(sensitive value)"),
        "the sensitive attribute leaked or was not masked in the plan:\n{plan}"
    );

    let apply = setup.ws.apply(&[])?;
    ensure!(
        !apply.combined().contains(SECRET),
        "secret printed by apply:\n{apply}"
    );
    let (id, thing) = setup.only_thing()?;
    ensure!(id == "thing-1", "unexpected id {id}");
    ensure!(thing["name"] == "alpha" && thing["zone"] == "zone-a" && thing["size"] == 3);
    ensure!(
        thing["secret"] == SECRET,
        "the provider received the secret: {thing}"
    );
    ensure!(
        thing["rules"] == json!([{"port": 80, "protocol": "tcp"}, {"port": 53, "protocol": "udp"}]),
        "nested blocks with their default: {thing}"
    );
    ensure!(
        thing["create_timeout_seconds"] == 120,
        "timeouts block reached create: {thing}"
    );
    let state = setup
        .ws
        .resource_values("tftest_thing.a")?
        .context("no state")?;
    ensure!(
        state["id"] == "thing-1" && state["revision"] == 1,
        "{state}"
    );
    let created_at = state["created_at"].clone();
    ensure!(created_at.is_string(), "{state}");
    ensure!(setup.private_state("a")? == json!({"revision": 1}));
    setup.plan_is_empty()?;

    // In place: same id and created_at (UseStateForUnknown), new revision (computed).
    // Removing the timeouts block too: Terraform 1.0.3 proposes it as an object of nulls.
    setup.write(&thing_config("zone-a", 4, false))?;
    let (outcome, plan) = setup.ws.plan(&[])?;
    ensure!(outcome == PlanOutcome::Changes, "{plan}");
    ensure!(
        plan.stdout.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    ensure!(
        plan.stdout.contains("~ revision") && plan.stdout.contains("known after apply"),
        "{plan}"
    );
    ensure!(
        !plan.stdout.contains("~ id") && !plan.stdout.contains("~ created_at"),
        "{plan}"
    );
    setup.ws.apply(&[])?;
    let (id, thing) = setup.only_thing()?;
    ensure!(
        id == "thing-1" && thing["size"] == 4 && thing["revision"] == 2,
        "{thing}"
    );
    let state = setup
        .ws
        .resource_values("tftest_thing.a")?
        .context("no state")?;
    ensure!(
        state["created_at"] == created_at && state["revision"] == 2,
        "{state}"
    );
    ensure!(setup.private_state("a")? == json!({"revision": 2}));
    setup.plan_is_empty()?;

    // RequiresReplace on zone.
    setup.write(&thing_config("zone-b", 4, false))?;
    let (outcome, plan) = setup.ws.plan(&[])?;
    ensure!(outcome == PlanOutcome::Changes, "{plan}");
    ensure!(plan.stdout.contains("must be replaced"), "{plan}");
    ensure!(plan.stdout.contains("# forces replacement"), "{plan}");
    ensure!(
        plan.stdout.contains("1 to add, 0 to change, 1 to destroy"),
        "{plan}"
    );
    setup.ws.apply(&[])?;
    let (id, thing) = setup.only_thing()?;
    ensure!(
        id == "thing-2" && thing["zone"] == "zone-b",
        "{id}: {thing}"
    );
    setup.plan_is_empty()?;

    setup.ws.destroy()?;
    ensure!(
        setup.things()?.is_empty(),
        "destroy left {:?}",
        setup.things()?
    );
    Ok(())
}

#[test]
fn import_by_id_then_plan_is_empty() -> Result<()> {
    let setup = Setup::new(
        r#"resource "tftest_thing" "imported" {
  name        = "beta"
  description = "made elsewhere"
  secret      = "s"
  rule {
    port = 443
  }
}
"#,
    )?;
    let backend = json!({"next_id": 7, "things": {"thing-7": {
        "name": "beta", "zone": "zone-a", "size": 1, "description": "made elsewhere",
        "secret": "s", "rules": [{"port": 443, "protocol": "tcp"}],
        "created_at": "1600000000", "revision": 5, "create_timeout_seconds": null
    }}});
    std::fs::write(&setup.backend, backend.to_string())?;
    let import = setup.ws.import("tftest_thing.imported", "thing-7")?;
    ensure!(import.stdout.contains("Import successful"), "{import}");
    let state = setup
        .ws
        .resource_values("tftest_thing.imported")?
        .context("no state after import")?;
    ensure!(
        state["id"] == "thing-7" && state["revision"] == 5,
        "{state}"
    );
    ensure!(state["created_at"] == "1600000000", "{state}");
    ensure!(setup.private_state("imported")? == json!({"revision": 5}));
    setup.plan_is_empty()?;

    let missing = setup
        .ws
        .run(&["import", "-no-color", "tftest_thing.other", "thing-99"])?;
    ensure!(
        missing.code != 0,
        "importing a missing id must fail:\n{missing}"
    );
    Ok(())
}

#[test]
fn validation_errors_name_the_attribute() -> Result<()> {
    let setup = Setup::new(
        r#"resource "tftest_thing" "bad" {
  name = "Not_Valid"
  size = 1000
  rule {
    port = 70000
  }
}
"#,
    )?;
    let validate = setup.ws.validate()?;
    ensure!(validate.code == 1, "validate must fail:\n{validate}");
    let output = validate.combined();
    // Terraform quotes the configuration line of each diagnostic's attribute path.
    for line in ["name = \"Not_Valid\"", "size = 1000", "port = 70000"] {
        ensure!(
            output.contains(line),
            "no diagnostic points at `{line}`:\n{validate}"
        );
    }
    ensure!(output.contains("Invalid attribute value"), "{validate}");
    ensure!(
        output.contains("64") && output.contains("65535"),
        "the rule is named:\n{validate}"
    );
    ensure!(!setup.backend.exists(), "nothing was applied");
    Ok(())
}

#[test]
fn data_source_reads_the_backend() -> Result<()> {
    let setup = Setup::new(
        r#"data "tftest_things" "b" {
  zone = "zone-b"
}

output "ids" {
  value = data.tftest_things.b.ids
}

output "names" {
  value = data.tftest_things.b.names
}
"#,
    )?;
    let backend = json!({"next_id": 3, "things": {
        "thing-1": {"name": "one", "zone": "zone-a"},
        "thing-2": {"name": "two", "zone": "zone-b"},
        "thing-3": {"name": "three", "zone": "zone-b"}
    }});
    std::fs::write(&setup.backend, backend.to_string())?;
    setup.ws.apply(&[])?;
    let outputs = setup.ws.run(&["output", "-json"])?.ensure_success()?;
    let outputs: Json = serde_json::from_str(&outputs.stdout)?;
    ensure!(
        outputs["ids"]["value"] == json!(["thing-2", "thing-3"]),
        "{outputs}"
    );
    ensure!(
        outputs["names"]["value"] == json!({"thing-2": "two", "thing-3": "three"}),
        "{outputs}"
    );
    setup.plan_is_empty()?;
    Ok(())
}
