//! The client against the real emulator binary (see `support/mod.rs`).

mod support;

use cloudcontrol::*;
use std::time::{Duration, Instant};
use support::{wait, Emulator};

const DC: &str = "NA9";

async fn domain(client: &Client, name: &str) -> NetworkDomain {
    let request = DeployNetworkDomain {
        datacenter_id: DC.into(),
        name: name.into(),
        description: "integration test".into(),
        kind: network_domain_types::ESSENTIALS.into(),
        tags: vec![],
    };
    client
        .deploy_network_domain(&request, &wait())
        .await
        .expect("deploy network domain")
}

fn vlan_request(domain: &NetworkDomain, name: &str, third_octet: u8) -> DeployVlan {
    DeployVlan {
        network_domain_id: domain.id.clone(),
        name: name.into(),
        description: String::new(),
        private_ipv4_network_address: format!("10.0.{third_octet}.0"),
        private_ipv4_prefix_size: 24,
        gateway: VlanGateway::Attached {
            gateway_addressing: "LOW".into(),
        },
    }
}

#[tokio::test]
async fn discovers_the_organisation_and_rejects_bad_credentials() {
    let emulator = Emulator::start(&[]);
    let client = emulator.client();
    let user = client.my_user().await.unwrap();
    assert_eq!(user.user_name, "demo");
    assert_eq!(client.org_id().await.unwrap(), user.organization.id);

    let bad = emulator.client_as("demo", "wrong-password");
    let err = bad
        .list_network_domains(&NetworkDomainFilter::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unauthorized {
                http_status: 401,
                ..
            }
        ),
        "{err}"
    );
    assert!(!err.to_string().contains("wrong-password"));
}

#[tokio::test]
async fn network_domain_lifecycle_and_not_found() {
    let emulator = Emulator::start(&[]);
    let client = emulator.client();
    let created = domain(&client, "nd-lifecycle").await;
    assert_eq!(created.state, ResourceState::Normal);
    assert_eq!(created.datacenter_id, DC);

    let filter = NetworkDomainFilter {
        name: Some("nd-lifecycle".into()),
        datacenter_id: Some(DC.into()),
    };
    let listed = client.list_network_domains(&filter).await.unwrap();
    assert_eq!(
        listed.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
        [created.id.as_str()]
    );

    let edit = EditNetworkDomain {
        id: created.id.clone(),
        description: Some("changed".into()),
        ..Default::default()
    };
    let edited = client.edit_network_domain(&edit, &wait()).await.unwrap();
    assert_eq!(edited.description, "changed");
    assert_eq!(edited.name, "nd-lifecycle");

    client
        .delete_network_domain(&created.id, &wait())
        .await
        .unwrap();
    assert_eq!(client.get_network_domain(&created.id).await.unwrap(), None);
    // Deleting it again finds it gone and is done (a delete whose answer was lost is retried
    // this way); changing it is an error, reported, never swallowed.
    client
        .delete_network_domain(&created.id, &wait())
        .await
        .unwrap();
    let edit = EditNetworkDomain {
        id: created.id.clone(),
        description: Some("gone".into()),
        ..Default::default()
    };
    let err = client
        .edit_network_domain(&edit, &wait())
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let api = err.api().unwrap();
    assert!(!api.message.is_empty());
}

#[tokio::test]
async fn vlan_lifecycle_including_expansion() {
    let emulator = Emulator::start(&[]);
    let client = emulator.client();
    let nd = domain(&client, "nd-vlan").await;
    let vlan = client
        .deploy_vlan(&vlan_request(&nd, "web", 2), &wait())
        .await
        .unwrap();
    assert_eq!(vlan.private_ipv4_range.address, "10.0.2.0");
    assert_eq!(vlan.ipv4_gateway_address.as_deref(), Some("10.0.2.1"));
    assert!(vlan.ipv6_range.is_some());

    let edit = EditVlan {
        id: vlan.id.clone(),
        name: Some("web2".into()),
        ..Default::default()
    };
    assert_eq!(client.edit_vlan(&edit, &wait()).await.unwrap().name, "web2");

    let expanded = client.expand_vlan(&vlan.id, 23, &wait()).await.unwrap();
    assert_eq!(expanded.private_ipv4_range.prefix_size, 23);

    let filter = VlanFilter {
        network_domain_id: Some(nd.id.clone()),
        name: Some("web2".into()),
    };
    assert_eq!(client.list_vlans(&filter).await.unwrap().len(), 1);

    // A domain with a VLAN cannot go; the error says why and is not swallowed.
    let err = client
        .delete_network_domain(&nd.id, &wait())
        .await
        .unwrap_err();
    assert!(err.api().is_some(), "{err}");

    client.delete_vlan(&vlan.id, &wait()).await.unwrap();
    assert_eq!(client.get_vlan(&vlan.id).await.unwrap(), None);
    client.delete_network_domain(&nd.id, &wait()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_vlan_deploys_queue_on_the_organisation_lock() {
    // Realistic (scaled) durations so deploys overlap for real.
    let emulator = Emulator::start_with(&["--time-scale", "0.01"], &[]);
    let client = emulator.client();
    let nd = domain(&client, "nd-busy").await;
    let started = Instant::now();
    let deploys = (1..=6u8).map(|i| {
        let client = client.clone();
        let request = vlan_request(&nd, &format!("vlan-{i}"), i);
        async move { client.deploy_vlan(&request, &wait()).await }
    });
    let results = futures_join_all(deploys).await;
    for result in &results {
        assert!(result.is_ok(), "{:?}", result.as_ref().err());
    }
    let busy = emulator
        .requests()
        .await
        .into_iter()
        .filter(|(_, _, code)| code == "RESOURCE_BUSY")
        .count();
    assert_eq!(
        busy, 0,
        "the organisation lock should have kept every deploy from meeting RESOURCE_BUSY"
    );
    let vlans = client
        .list_vlans(&VlanFilter {
            network_domain_id: Some(nd.id.clone()),
            name: None,
        })
        .await
        .unwrap();
    assert_eq!(vlans.len(), 6);
    eprintln!("6 concurrent VLAN deploys took {:?}", started.elapsed());
    let deletes = vlans.iter().map(|v| {
        let client = client.clone();
        let id = v.id.clone();
        async move { client.delete_vlan(&id, &wait()).await }
    });
    for result in futures_join_all(deletes).await {
        result.unwrap();
    }
    client.delete_network_domain(&nd.id, &wait()).await.unwrap();
}

/// Runs futures concurrently as tasks and collects their outputs in order.
async fn futures_join_all<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.expect("task panicked"));
    }
    outputs
}

#[tokio::test]
async fn busy_answers_are_retried_until_the_other_operation_ends() {
    let emulator = Emulator::start_with(&["--time-scale", "0.01"], &[]);
    let client = emulator.client();
    let nd = domain(&client, "nd-retry").await;
    // A second process (simulated by a second endpoint spelling, so it does
    // not share this process's lock) starts a VLAN deploy; ours must wait it out.
    let other = Client::builder(
        Endpoint::url(&emulator.url.replace("127.0.0.1", "localhost")).unwrap(),
        "demo",
        Secret::new("demo"),
    )
    .build()
    .unwrap();
    let theirs = vlan_request(&nd, "theirs", 1);
    let options = wait();
    let (a, b) = tokio::join!(other.deploy_vlan(&theirs, &options), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        client
            .deploy_vlan(&vlan_request(&nd, "ours", 2), &wait())
            .await
    });
    a.unwrap();
    b.unwrap();
    let deploys: Vec<String> = emulator
        .requests()
        .await
        .into_iter()
        .filter(|(method, path, _)| method == "POST" && path.ends_with("/network/deployVlan"))
        .map(|(_, _, code)| code)
        .collect();
    assert!(
        deploys.iter().any(|c| c == "RESOURCE_BUSY"),
        "the test never met RESOURCE_BUSY: {deploys:?}"
    );
    assert_eq!(
        deploys.iter().filter(|c| *c == "IN_PROGRESS").count(),
        2,
        "{deploys:?}"
    );
}

#[tokio::test]
async fn server_lifecycle_with_disks_power_and_monitoring() {
    let emulator = Emulator::start(&[]);
    let client = emulator.client();
    let nd = domain(&client, "nd-server").await;
    let vlan = client
        .deploy_vlan(&vlan_request(&nd, "app", 5), &wait())
        .await
        .unwrap();

    let images = client.list_images(ImageKind::Os, Some(DC)).await.unwrap();
    let image = images
        .iter()
        .find(|i| i.guest.os_customization && i.operating_system().family == "UNIX")
        .expect("a customisable UNIX image");
    let found = client
        .find_image(ImageKind::Os, &image.name, DC)
        .await
        .unwrap()
        .expect("find by name");
    assert_eq!(found.id, image.id);
    assert_eq!(
        client
            .find_image(ImageKind::Os, "No Such Image 99", DC)
            .await
            .unwrap(),
        None
    );
    assert!(client
        .get_image(ImageKind::Os, &image.id)
        .await
        .unwrap()
        .is_some());

    let request = DeployServer {
        name: "app-01".into(),
        description: "integration".into(),
        image_id: image.id.clone(),
        start: true,
        guest_customization: true,
        administrator_password: Some(Secret::new("Str0ng!Passw0rd")),
        cpu: Some(CpuRequest {
            count: 2,
            cores_per_socket: 1,
            speed: "STANDARD".into(),
        }),
        memory_gb: Some(4),
        primary_dns: None,
        secondary_dns: None,
        network_info: DeployNetworkInfo {
            network_domain_id: nd.id.clone(),
            primary_nic: NicRequest {
                vlan_id: Some(vlan.id.clone()),
                private_ipv4: Some("10.0.5.10".into()),
                network_adapter: None,
            },
            additional_nic: vec![],
        },
        disk: vec![],
        tags: vec![],
    };
    let server = client.deploy_server(&request, &wait()).await.unwrap();
    assert!(server.started && server.deployed);
    assert_eq!(
        server.network_info.primary_nic.private_ipv4.as_deref(),
        Some("10.0.5.10")
    );
    assert_eq!(server.image_id(), Some(image.id.as_str()));

    let listed = client
        .list_servers(&ServerFilter {
            network_domain_id: Some(nd.id.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);

    // Disks need a stopped server: the API says so, and the error names it.
    let add = AddDisk {
        server_id: server.id.clone(),
        size_gb: 20,
        speed: "STANDARD".into(),
        position: None,
    };
    let err = client.add_disk(&add, &wait()).await.unwrap_err();
    assert!(err.api().is_some(), "{err}");

    let stopped = client.power_off_server(&server.id, &wait()).await.unwrap();
    assert!(!stopped.started);
    let (disk_id, with_disk) = client.add_disk(&add, &wait()).await.unwrap();
    assert_eq!(with_disk.disk(&disk_id).unwrap().size_gb, 20);
    let grown = client
        .expand_disk(&server.id, &disk_id, 40, &wait())
        .await
        .unwrap();
    assert_eq!(grown.disk(&disk_id).unwrap().size_gb, 40);
    let fast = client
        .change_disk_speed(&server.id, &disk_id, "HIGHPERFORMANCE", &wait())
        .await
        .unwrap();
    assert_eq!(fast.disk(&disk_id).unwrap().speed, "HIGHPERFORMANCE");

    let reconfigure = ReconfigureServer {
        id: server.id.clone(),
        cpu_count: Some(4),
        memory_gb: Some(8),
        ..Default::default()
    };
    let bigger = client
        .reconfigure_server(&reconfigure, &wait())
        .await
        .unwrap();
    assert_eq!((bigger.cpu.count, bigger.memory_gb), (4, 8));

    let running = client.start_server(&server.id, &wait()).await.unwrap();
    assert!(running.started);
    let monitored = client
        .enable_server_monitoring(&server.id, "ESSENTIALS", &wait())
        .await
        .unwrap();
    assert_eq!(monitored.monitoring_plan(), Some("ESSENTIALS"));
    let changed = client
        .change_server_monitoring_plan(&server.id, "ADVANCED", &wait())
        .await
        .unwrap();
    assert_eq!(changed.monitoring_plan(), Some("ADVANCED"));
    let unmonitored = client
        .disable_server_monitoring(&server.id, &wait())
        .await
        .unwrap();
    assert_eq!(unmonitored.monitoring_plan(), None);

    let renamed = client
        .edit_server_metadata(
            &EditServerMetadata {
                id: server.id.clone(),
                name: Some("app-02".into()),
                description: None,
            },
            &wait(),
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "app-02");

    client.power_off_server(&server.id, &wait()).await.unwrap();
    client.delete_server(&server.id, &wait()).await.unwrap();
    assert_eq!(client.get_server(&server.id).await.unwrap(), None);
    client.delete_vlan(&vlan.id, &wait()).await.unwrap();
    client.delete_network_domain(&nd.id, &wait()).await.unwrap();
}

#[tokio::test]
async fn public_ips_nat_and_firewall_rules() {
    let emulator = Emulator::start(&["--public-ip-ratio", "off"]);
    let client = emulator.client();
    let nd = domain(&client, "nd-edge").await;

    let block = client
        .add_public_ip_block(&nd.id, &[], &wait())
        .await
        .unwrap();
    assert_eq!(block.size, 2);
    assert_eq!(client.list_public_ip_blocks(&nd.id).await.unwrap().len(), 1);

    let nat = client
        .create_nat_rule(
            &CreateNatRule {
                network_domain_id: nd.id.clone(),
                internal_ip: "10.0.9.10".into(),
                external_ip: None,
            },
            &wait(),
        )
        .await
        .unwrap();
    assert_eq!(nat.internal_ip, "10.0.9.10");
    assert!(!nat.external_ip.is_empty());
    let reserved = client.list_reserved_public_ips(&nd.id).await.unwrap();
    assert!(
        reserved.iter().any(|ip| ip.value == nat.external_ip),
        "{reserved:?}"
    );

    // The platform's default rules page through a small page size.
    let defaults = client.list_firewall_rules(&nd.id).await.unwrap();
    let small_pages = Client::builder(
        Endpoint::url(&emulator.url).unwrap(),
        "demo",
        Secret::new("demo"),
    )
    .page_size(2)
    .build()
    .unwrap();
    let paged = small_pages.list_firewall_rules(&nd.id).await.unwrap();
    assert!(defaults.len() >= 3, "{defaults:?}");
    assert_eq!(paged, defaults);

    let rule = |name: &str, placement: Placement| CreateFirewallRule {
        network_domain_id: nd.id.clone(),
        name: name.into(),
        action: FirewallAction::AcceptDecisively,
        enabled: true,
        placement,
        ip_version: IpVersion::Ipv4,
        protocol: Protocol::Tcp,
        source: FirewallScope::any(),
        destination: FirewallScope {
            ip: Some(IpScope {
                address: nat.external_ip.clone(),
                prefix_size: None,
            }),
            port: Some(PortRange {
                begin: 443,
                end: None,
            }),
            ..Default::default()
        },
    };
    let first = client
        .create_firewall_rule(
            &rule(
                "https.in",
                Placement {
                    position: PlacementPosition::First,
                    relative_to_rule: None,
                },
            ),
            &wait(),
        )
        .await
        .unwrap();
    let second = client
        .create_firewall_rule(
            &rule(
                "https.in.after",
                Placement {
                    position: PlacementPosition::After,
                    relative_to_rule: Some("https.in".into()),
                },
            ),
            &wait(),
        )
        .await
        .unwrap();
    assert_eq!(
        first.destination.port,
        Some(PortRange {
            begin: 443,
            end: None
        })
    );
    let disabled = client
        .set_firewall_rule_enabled(&first.id, false, &wait())
        .await
        .unwrap();
    assert!(!disabled.enabled);
    let order: Vec<String> = client
        .list_firewall_rules(&nd.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    let pos = |n: &str| order.iter().position(|x| x == n).unwrap();
    assert!(pos("https.in") < pos("https.in.after"), "{order:?}");

    // A duplicate name is refused with the API's code and message.
    let err = client
        .create_firewall_rule(
            &rule(
                "https.in",
                Placement {
                    position: PlacementPosition::Last,
                    relative_to_rule: None,
                },
            ),
            &wait(),
        )
        .await
        .unwrap_err();
    assert!(err.api().is_some(), "{err}");

    for id in [&first.id, &second.id] {
        client.delete_firewall_rule(id, &wait()).await.unwrap();
    }
    client.delete_nat_rule(&nat.id, &wait()).await.unwrap();
    assert_eq!(client.get_nat_rule(&nat.id).await.unwrap(), None);
    client
        .remove_public_ip_block(&block.id, &wait())
        .await
        .unwrap();
    client.delete_network_domain(&nd.id, &wait()).await.unwrap();
}

#[tokio::test]
async fn datacenters_are_listed_with_limits() {
    let emulator = Emulator::start(&[]);
    let client = emulator.client();
    let all = client.list_datacenters().await.unwrap();
    assert!(all.iter().any(|dc| dc.id == DC));
    let na9 = client.get_datacenter(DC).await.unwrap().unwrap();
    assert!(na9.limit("MAX_CPU_COUNT").is_some_and(|n| n > 0), "{na9:?}");
    assert!(na9.offers_disk_speed("STANDARD"));
    assert_eq!(client.get_datacenter("XX1").await.unwrap(), None);
}

#[tokio::test]
async fn cancellation_and_timeouts_stop_long_waits() {
    // Real-time durations: a deploy takes long enough to cancel.
    let emulator = Emulator::start_with(&["--time-scale", "1"], &[]);
    let client = emulator.client();
    let request = DeployNetworkDomain {
        datacenter_id: DC.into(),
        name: "nd-slow".into(),
        description: String::new(),
        kind: network_domain_types::ESSENTIALS.into(),
        tags: vec![],
    };
    let err = client
        .deploy_network_domain(&request, &WaitOptions::new(Duration::from_millis(400)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert!(
        err.resource_id().is_some(),
        "a timed-out deploy still names what it created: {err}"
    );

    // That deploy is still running on the platform, so this one meets
    // RESOURCE_BUSY and backs off; cancelling ends the backoff promptly.
    let request = DeployNetworkDomain {
        name: "nd-slow-2".into(),
        ..request
    };
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        cancel.cancel();
    });
    let started = Instant::now();
    let err = client
        .deploy_network_domain(
            &request,
            &WaitOptions::new(Duration::from_secs(120)).with_cancel(token),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Cancelled { .. }), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

async fn unix_image(client: &Client) -> Image {
    let images = client.list_images(ImageKind::Os, Some(DC)).await.unwrap();
    images
        .into_iter()
        .find(|i| i.guest.os_customization && i.operating_system().family == "UNIX")
        .expect("a customisable UNIX image")
}

fn server_request(nd: &NetworkDomain, vlan: &Vlan, image: &Image, name: &str) -> DeployServer {
    DeployServer {
        name: name.into(),
        description: String::new(),
        image_id: image.id.clone(),
        start: true,
        guest_customization: true,
        administrator_password: Some(Secret::new("Str0ng!Passw0rd")),
        cpu: None,
        memory_gb: None,
        primary_dns: None,
        secondary_dns: None,
        network_info: DeployNetworkInfo {
            network_domain_id: nd.id.clone(),
            primary_nic: NicRequest {
                vlan_id: Some(vlan.id.clone()),
                ..Default::default()
            },
            additional_nic: vec![],
        },
        disk: vec![],
        tags: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_with_twelve_servers_comes_and_goes_under_injected_faults() {
    // Busy answers, the API's sporadic UNEXPECTED_ERROR and HTTP 500s on a
    // fifth of the requests: retries must absorb all of them.
    let emulator = Emulator::start_with(
        &[
            "--time-scale",
            "0.002",
            "--faults",
            "busy=0.1,unexpected=0.05,5xx=0.05,seed=11",
        ],
        &[],
    );
    let client = emulator.client();
    let started = Instant::now();
    let nd = domain(&client, "nd-twelve").await;
    let vlan = client
        .deploy_vlan(&vlan_request(&nd, "nodes", 8), &wait())
        .await
        .unwrap();
    let image = unix_image(&client).await;
    let deploys = (1..=12).map(|i| {
        let client = client.clone();
        let request = server_request(&nd, &vlan, &image, &format!("node-{i:02}"));
        async move { client.deploy_server(&request, &wait()).await }
    });
    let servers: Vec<Server> = futures_join_all(deploys)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let deployed_in = started.elapsed();
    let mut addresses: Vec<_> = servers
        .iter()
        .filter_map(|s| s.network_info.primary_nic.private_ipv4.clone())
        .collect();
    addresses.sort();
    addresses.dedup();
    assert_eq!(addresses.len(), 12, "each server has its own address");

    let deletes = servers.iter().map(|s| {
        let client = client.clone();
        let id = s.id.clone();
        async move {
            client.power_off_server(&id, &wait()).await?;
            client.delete_server(&id, &wait()).await
        }
    });
    for result in futures_join_all(deletes).await {
        result.unwrap();
    }
    client.delete_vlan(&vlan.id, &wait()).await.unwrap();
    client.delete_network_domain(&nd.id, &wait()).await.unwrap();
    let log = emulator.requests().await;
    let faults = log
        .iter()
        .filter(|(_, _, c)| c == "RESOURCE_BUSY" || c == "UNEXPECTED_ERROR")
        .count();
    eprintln!(
        "12 servers deployed in {deployed_in:?}, all gone after {:?}; {} requests, {faults} injected busy/unexpected answers absorbed",
        started.elapsed(),
        log.len()
    );
    assert!(faults > 0, "the fault injection never fired");
    assert!(client
        .list_network_domains(&NetworkDomainFilter::default())
        .await
        .unwrap()
        .is_empty());
}
