//! A server's CPU shape over HTTP: images carry their own CPU count, cores per socket and speed;
//! a deploy takes whatever its `cpu` leaves out from the image; CPU speeds must be offered by the
//! datacenter; `reconfigureServer` keeps what it is not told to change; and a running server only
//! takes more CPUs or memory (the emulator's reading of the power rules, see the README).

mod common;

use common::{assert_error, emulator, Emu};
use serde_json::{json, Value};

/// The 4-CPU image whose CPUs sit two to a socket.
const TWO_PER_SOCKET: &str = "RedHat 8 64-bit 4 CPU";

/// A deploy body for `image` on the VLAN, with `cpu` when given.
fn deploy_body(nd: &str, vlan: &str, image: &str, start: bool, cpu: Option<Value>) -> Value {
    let mut body = json!({"name": "s", "imageId": image, "start": start,
        "administratorPassword": "Passw0rd!",
        "networkInfo": {"networkDomainId": nd, "primaryNic": {"vlanId": vlan}}});
    if let Some(cpu) = cpu {
        body["cpu"] = cpu;
    }
    body
}

/// The server's `cpu` object and memory.
async fn sizing(emu: &Emu, id: &str) -> (Value, Value) {
    let (status, v) = emu.get(&format!("server/server/{id}")).await;
    assert_eq!(status, 200, "{v}");
    (v["cpu"].clone(), v["memoryGb"].clone())
}

/// A network domain and VLAN in NA9 with the id of the two-per-socket image there.
async fn setup(emu: &Emu) -> (String, String, String) {
    let nd = emu.domain("cpu", "NA9").await;
    let vlan = emu.vlan(&nd, "v", "10.0.1.0", 24).await;
    let image = emu.image(TWO_PER_SOCKET, "NA9").await;
    (nd, vlan, image)
}

#[tokio::test]
async fn images_carry_their_cpu_shape_and_deploys_inherit_it() {
    let emu = emulator(&[]).await;
    let (nd, vlan, image) = setup(&emu).await;
    let (_, v) = emu.get(&format!("image/osImage/{image}")).await;
    assert_eq!(
        v["cpu"],
        json!({"count": 4, "speed": "STANDARD", "coresPerSocket": 2})
    );
    assert_eq!(v["memoryGb"], 8);
    let centos = emu.image("CentOS 7 64-bit 2 CPU", "NA9").await;
    let (_, v) = emu.get(&format!("image/osImage/{centos}")).await;
    assert_eq!(
        v["cpu"],
        json!({"count": 2, "speed": "STANDARD", "coresPerSocket": 1})
    );

    // No `cpu` at all: the image's shape.
    let s = emu
        .ok(
            "server/deployServer",
            deploy_body(&nd, &vlan, &image, false, None),
        )
        .await;
    assert_eq!(
        sizing(&emu, &s).await,
        (
            json!({"count": 4, "speed": "STANDARD", "coresPerSocket": 2}),
            json!(8)
        )
    );
    // Part of `cpu`: the rest from the image.
    for (cpu, expected) in [
        (
            json!({"count": 8}),
            json!({"count": 8, "speed": "STANDARD", "coresPerSocket": 2}),
        ),
        (
            json!({"speed": "HIGHPERFORMANCE"}),
            json!({"count": 4, "speed": "HIGHPERFORMANCE", "coresPerSocket": 2}),
        ),
        (
            json!({"coresPerSocket": 4}),
            json!({"count": 4, "speed": "STANDARD", "coresPerSocket": 4}),
        ),
        (
            json!({"count": 6, "speed": "HIGHPERFORMANCE"}),
            json!({"count": 6, "speed": "HIGHPERFORMANCE", "coresPerSocket": 2}),
        ),
        (
            json!({}),
            json!({"count": 4, "speed": "STANDARD", "coresPerSocket": 2}),
        ),
    ] {
        let s = emu
            .ok(
                "server/deployServer",
                deploy_body(&nd, &vlan, &image, false, Some(cpu.clone())),
            )
            .await;
        assert_eq!(
            sizing(&emu, &s).await.0,
            expected,
            "deployed with cpu {cpu}"
        );
    }
    // A 1-per-socket image keeps deploying as before.
    let s = emu
        .ok(
            "server/deployUncustomizedServer",
            json!({"name": "u", "imageId": centos, "start": false,
                   "networkInfo": {"networkDomainId": nd, "primaryNic": {"vlanId": vlan}}}),
        )
        .await;
    assert_eq!(
        sizing(&emu, &s).await.0,
        json!({"count": 2, "speed": "STANDARD", "coresPerSocket": 1})
    );
}

#[tokio::test]
async fn deploy_refuses_a_cpu_shape_it_cannot_build() {
    let emu = emulator(&[]).await;
    let (nd, vlan, image) = setup(&emu).await;
    let refused = |cpu: Value| deploy_body(&nd, &vlan, &image, true, Some(cpu));

    // The image's two cores per socket do not divide 3.
    let r = emu
        .post("server/deployServer", refused(json!({"count": 3})))
        .await;
    assert_eq!(
        assert_error(&r, 400, "INVALID_INPUT_DATA"),
        "cpu.coresPerSocket: the image's 2 cores per socket do not divide cpu.count 3; give cpu.coresPerSocket as well"
    );
    let r = emu
        .post(
            "server/deployServer",
            refused(json!({"count": 4, "coresPerSocket": 3})),
        )
        .await;
    assert_eq!(
        assert_error(&r, 400, "INVALID_INPUT_DATA"),
        "cpu.coresPerSocket: 3 must divide the CPU count 4"
    );
    let r = emu
        .post("server/deployServer", refused(json!({"count": 40})))
        .await;
    assert!(assert_error(&r, 400, "EXCEEDS_LIMIT").starts_with("cpu.count"));
    // A speed NA9 does not offer (ECONOMY is a disk speed).
    let r = emu
        .post("server/deployServer", refused(json!({"speed": "ECONOMY"})))
        .await;
    assert_eq!(
        assert_error(&r, 400, "INVALID_INPUT_DATA"),
        "cpu.speed: CPU speed `ECONOMY` is not available in NA9; available: STANDARD, HIGHPERFORMANCE"
    );
    // The datacenter lists what it offers.
    let (_, v) = emu.get("infrastructure/datacenter?id=NA9").await;
    let offered: Vec<(&str, bool)> = v["datacenter"][0]["hypervisor"]["cpuSpeed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["available"] == true))
        .collect();
    assert_eq!(offered, [("STANDARD", true), ("HIGHPERFORMANCE", true)]);
    // Nothing was deployed.
    let (_, servers) = emu.get("server/server").await;
    assert_eq!(servers["totalCount"], 0, "{servers}");
}

#[tokio::test]
async fn reconfigure_keeps_what_it_is_not_told_to_change() {
    let emu = emulator(&[]).await;
    let (nd, vlan, image) = setup(&emu).await;
    let s = emu
        .ok(
            "server/deployServer",
            deploy_body(&nd, &vlan, &image, false, None),
        )
        .await;

    // cpuCount alone keeps the cores per socket and the speed.
    emu.ok("server/reconfigureServer", json!({"id": s, "cpuCount": 8}))
        .await;
    assert_eq!(
        sizing(&emu, &s).await,
        (
            json!({"count": 8, "speed": "STANDARD", "coresPerSocket": 2}),
            json!(8)
        )
    );
    // ... and is refused when those cores do not divide the new count.
    let r = emu
        .post("server/reconfigureServer", json!({"id": s, "cpuCount": 3}))
        .await;
    assert_eq!(
        assert_error(&r, 400, "INVALID_INPUT_DATA"),
        "coresPerSocket: the server's current 2 cores per socket do not divide cpuCount 3; give coresPerSocket as well"
    );
    let r = emu
        .post(
            "server/reconfigureServer",
            json!({"id": s, "cpuCount": 6, "coresPerSocket": 4}),
        )
        .await;
    assert_eq!(
        assert_error(&r, 400, "INVALID_INPUT_DATA"),
        "coresPerSocket: 4 must divide the CPU count 6"
    );
    let r = emu
        .post(
            "server/reconfigureServer",
            json!({"id": s, "cpuSpeed": "TURBO"}),
        )
        .await;
    assert_eq!(
        assert_error(&r, 400, "INVALID_INPUT_DATA"),
        "cpuSpeed: CPU speed `TURBO` is not available in NA9; available: STANDARD, HIGHPERFORMANCE"
    );
    // The refusals changed nothing.
    assert_eq!(
        sizing(&emu, &s).await.0,
        json!({"count": 8, "speed": "STANDARD", "coresPerSocket": 2})
    );
    // Memory alone keeps the CPU; the speed alone keeps count and cores.
    emu.ok("server/reconfigureServer", json!({"id": s, "memoryGb": 12}))
        .await;
    emu.ok(
        "server/reconfigureServer",
        json!({"id": s, "cpuSpeed": "HIGHPERFORMANCE"}),
    )
    .await;
    assert_eq!(
        sizing(&emu, &s).await,
        (
            json!({"count": 8, "speed": "HIGHPERFORMANCE", "coresPerSocket": 2}),
            json!(12)
        )
    );
    // An odd count with the cores given with it.
    emu.ok(
        "server/reconfigureServer",
        json!({"id": s, "cpuCount": 3, "coresPerSocket": 1}),
    )
    .await;
    assert_eq!(
        sizing(&emu, &s).await.0,
        json!({"count": 3, "speed": "HIGHPERFORMANCE", "coresPerSocket": 1})
    );
}

#[tokio::test]
async fn a_running_server_takes_only_more_cpus_and_memory() {
    let emu = emulator(&[]).await;
    let (nd, vlan, image) = setup(&emu).await;
    let s = emu
        .ok(
            "server/deployServer",
            deploy_body(&nd, &vlan, &image, true, None),
        )
        .await;
    let (_, v) = emu.get(&format!("server/server/{s}")).await;
    assert_eq!(v["started"], true);

    // Hot-add: more CPUs and more memory.
    emu.ok(
        "server/reconfigureServer",
        json!({"id": s, "cpuCount": 8, "memoryGb": 16}),
    )
    .await;
    emu.ok("server/reconfigureServer", json!({"id": s, "cpuCount": 10}))
        .await;
    // Values equal to the current ones are no change.
    emu.ok(
        "server/reconfigureServer",
        json!({"id": s, "cpuCount": 10, "coresPerSocket": 2, "cpuSpeed": "STANDARD", "memoryGb": 16}),
    )
    .await;
    let hot = (
        json!({"count": 10, "speed": "STANDARD", "coresPerSocket": 2}),
        json!(16),
    );
    assert_eq!(sizing(&emu, &s).await, hot);

    // Everything else needs the server stopped.
    let started =
        format!("Server with id {s} is started but must be stopped to perform this operation");
    let tail = "Please Power Off or Shutdown the Server (as appropriate) and try again.";
    for (body, change) in [
        (
            json!({"id": s, "cpuCount": 4}),
            "lowering cpuCount from 10 to 4",
        ),
        (
            json!({"id": s, "memoryGb": 8}),
            "lowering memoryGb from 16 to 8",
        ),
        (
            json!({"id": s, "coresPerSocket": 5}),
            "changing coresPerSocket from 2 to 5",
        ),
        (
            json!({"id": s, "cpuSpeed": "HIGHPERFORMANCE"}),
            "changing cpuSpeed from STANDARD to HIGHPERFORMANCE",
        ),
        (
            json!({"id": s, "cpuCount": 12, "memoryGb": 8}),
            "lowering memoryGb from 16 to 8",
        ),
        (
            json!({"id": s, "cpuCount": 2, "coresPerSocket": 1}),
            "lowering cpuCount from 10 to 2, changing coresPerSocket from 2 to 1",
        ),
    ] {
        let r = emu.post("server/reconfigureServer", body.clone()).await;
        assert_eq!(
            assert_error(&r, 400, "SERVER_STARTED"),
            format!("{started} ({change}). {tail}"),
            "{body}"
        );
    }
    assert_eq!(sizing(&emu, &s).await, hot, "a refusal changed the server");

    // Stopped, it takes all of them at once.
    emu.ok("server/shutdownServer", json!({"id": s})).await;
    emu.ok(
        "server/reconfigureServer",
        json!({"id": s, "cpuCount": 2, "coresPerSocket": 1, "cpuSpeed": "HIGHPERFORMANCE", "memoryGb": 4}),
    )
    .await;
    assert_eq!(
        sizing(&emu, &s).await,
        (
            json!({"count": 2, "speed": "HIGHPERFORMANCE", "coresPerSocket": 1}),
            json!(4)
        )
    );
    emu.ok("server/startServer", json!({"id": s})).await;
    let (_, v) = emu.get(&format!("server/server/{s}")).await;
    assert_eq!(v["started"], true);
}
