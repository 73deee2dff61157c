//! Requests that reach the API but get no answer (the emulator's `lost_response` fault applies
//! the request and then closes the connection; `drop` closes it without applying anything):
//! the client learns what happened by reading the API, never creates anything twice, and
//! gives up only after a bounded number of resends.

mod support;

use cloudcontrol::*;
use support::{wait, Emulator};

const DC: &str = "NA9";

fn domain_request(name: &str) -> DeployNetworkDomain {
    DeployNetworkDomain {
        datacenter_id: DC.into(),
        name: name.into(),
        description: String::new(),
        kind: network_domain_types::ESSENTIALS.into(),
        tags: vec![],
    }
}

fn server_request(domain: &str, vlan: &str, image: &str, name: &str) -> DeployServer {
    DeployServer {
        name: name.into(),
        description: String::new(),
        image_id: image.into(),
        start: true,
        guest_customization: true,
        administrator_password: Some(Secret::new("Str0ng!Passw0rd")),
        cpu: None,
        memory_gb: None,
        primary_dns: None,
        secondary_dns: None,
        network_info: DeployNetworkInfo {
            network_domain_id: domain.into(),
            primary_nic: NicRequest {
                vlan_id: Some(vlan.into()),
                ..Default::default()
            },
            additional_nic: vec![],
        },
        disk: vec![],
        tags: vec![],
    }
}

fn web_rule(domain: &str, name: &str) -> CreateFirewallRule {
    CreateFirewallRule {
        network_domain_id: domain.into(),
        name: name.into(),
        action: FirewallAction::AcceptDecisively,
        enabled: true,
        placement: Placement {
            position: PlacementPosition::Last,
            relative_to_rule: None,
        },
        ip_version: IpVersion::Ipv4,
        protocol: Protocol::Tcp,
        source: FirewallScope::any(),
        destination: FirewallScope {
            ip: Some(IpScope::any()),
            port: Some(PortRange {
                begin: 443,
                end: None,
            }),
            ..Default::default()
        },
    }
}

/// `(operation path, responseCode)` of every logged POST whose path ends with `op`.
async fn posts(emulator: &Emulator, op: &str) -> Vec<String> {
    emulator
        .requests()
        .await
        .into_iter()
        .filter(|(method, path, _)| method == "POST" && path.ends_with(op))
        .map(|(_, _, code)| code)
        .collect()
}

/// Every create, change and delete the provider uses, each answer lost after the request took
/// effect: everything completes, and each create ran exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_survives_a_lost_answer_without_repeating_itself() {
    let ops = [
        "deployNetworkDomain",
        "deployVlan",
        "deployServer",
        "powerOffServer",
        "addDisk",
        "startServer",
        "addPublicIpBlock",
        "createNatRule",
        "createFirewallRule",
        "editFirewallRule",
        "createTagKey",
        "applyTags",
        "deleteFirewallRule",
        "deleteNatRule",
        "removePublicIpBlock",
        "deleteServer",
        "deleteVlan",
        "deleteNetworkDomain",
    ];
    let faults = format!("lost_response=1,ops={}", ops.join("+"));
    let emulator = Emulator::start(&["--public-ip-ratio", "off", "--faults", &faults]);
    let client = emulator.client();

    let nd = client
        .deploy_network_domain(&domain_request("nd-lost"), &wait())
        .await
        .unwrap();
    let vlan = client
        .deploy_vlan(
            &DeployVlan {
                network_domain_id: nd.id.clone(),
                name: "nodes".into(),
                description: String::new(),
                private_ipv4_network_address: "10.0.7.0".into(),
                private_ipv4_prefix_size: 24,
                gateway: VlanGateway::Attached {
                    gateway_addressing: "LOW".into(),
                },
            },
            &wait(),
        )
        .await
        .unwrap();
    let image = client
        .find_image(ImageKind::Os, "CentOS 7 64-bit 2 CPU", DC)
        .await
        .unwrap()
        .expect("the CentOS image");
    let server = client
        .deploy_server(&server_request(&nd.id, &vlan.id, &image.id, "web"), &wait())
        .await
        .unwrap();
    assert!(server.started && server.deployed);
    client.power_off_server(&server.id, &wait()).await.unwrap();
    let (disk_id, with_disk) = client
        .add_disk(
            &AddDisk {
                server_id: server.id.clone(),
                size_gb: 20,
                speed: "STANDARD".into(),
                position: None,
            },
            &wait(),
        )
        .await
        .unwrap();
    assert!(with_disk.disk(&disk_id).is_some());
    assert!(
        client
            .start_server(&server.id, &wait())
            .await
            .unwrap()
            .started
    );

    let block = client
        .add_public_ip_block(&nd.id, &[], &wait())
        .await
        .unwrap();
    let nat = client
        .create_nat_rule(
            &CreateNatRule {
                network_domain_id: nd.id.clone(),
                internal_ip: "10.0.7.10".into(),
                external_ip: None,
            },
            &wait(),
        )
        .await
        .unwrap();
    let rule = client
        .create_firewall_rule(&web_rule(&nd.id, "https.in"), &wait())
        .await
        .unwrap();
    assert!(
        !client
            .set_firewall_rule_enabled(&rule.id, false, &wait())
            .await
            .unwrap()
            .enabled
    );
    let key = client
        .create_tag_key(
            &CreateTagKey {
                name: "owner".into(),
                description: String::new(),
                value_required: false,
                display_on_report: false,
            },
            &wait(),
        )
        .await
        .unwrap();
    let owner = [TagValue {
        tag_key_name: key.name.clone(),
        value: "ops".into(),
    }];
    client
        .apply_tags(TagAssetType::Server, &server.id, &owner, &wait())
        .await
        .unwrap();
    let tags = client
        .list_asset_tags(TagAssetType::Server, &server.id, Some("owner"))
        .await
        .unwrap();
    assert_eq!(tags.len(), 1);

    // Exactly one of everything, although no create was ever answered.
    assert_eq!(
        client
            .list_vlans(&VlanFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    let servers = client.list_servers(&ServerFilter::default()).await.unwrap();
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0].disks().len(), 2, "one added disk");
    assert_eq!(
        client.list_public_ip_blocks(&nd.id).await.unwrap(),
        vec![block.clone()]
    );
    assert_eq!(client.list_nat_rules(&nd.id).await.unwrap().len(), 1);
    let client_rules = client
        .list_firewall_rules(&nd.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.rule_type.as_deref() != Some("DEFAULT_RULE"))
        .count();
    assert_eq!(client_rules, 1);

    client
        .delete_firewall_rule(&rule.id, &wait())
        .await
        .unwrap();
    client.delete_nat_rule(&nat.id, &wait()).await.unwrap();
    client
        .remove_public_ip_block(&block.id, &wait())
        .await
        .unwrap();
    client.power_off_server(&server.id, &wait()).await.unwrap();
    client.delete_server(&server.id, &wait()).await.unwrap();
    client.delete_vlan(&vlan.id, &wait()).await.unwrap();
    client.delete_network_domain(&nd.id, &wait()).await.unwrap();
    assert!(client
        .list_network_domains(&NetworkDomainFilter::default())
        .await
        .unwrap()
        .is_empty());

    for op in ops {
        let sent = posts(&emulator, op).await;
        assert!(
            !sent.is_empty() && sent.iter().all(|c| c.starts_with("LOST_RESPONSE:")),
            "{op}: every answer should have been lost, got {sent:?}"
        );
        if op.starts_with("deploy") || op.starts_with("create") || op.starts_with("add") {
            assert_eq!(
                sent.len(),
                1,
                "{op} was sent again after it took effect: {sent:?}"
            );
        }
    }
}

/// A create whose connection is dropped before the API sees it is sent again; one that never
/// gets through fails after a bounded number of resends, naming the operation, and leaves
/// nothing behind.
#[tokio::test]
async fn dropped_requests_are_resent_a_bounded_number_of_times() {
    let emulator = Emulator::start(&["--faults", "drop=1,ops=createFirewallRule"]);
    let client = emulator.client();
    let nd = client
        .deploy_network_domain(&domain_request("nd-dropped"), &wait())
        .await
        .unwrap();
    let err = client
        .create_firewall_rule(&web_rule(&nd.id, "never"), &wait())
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    assert!(err.to_string().contains("CREATE_FIREWALL_RULE"), "{err}");
    let sent = posts(&emulator, "createFirewallRule").await;
    assert_eq!(sent.len(), 5, "one attempt and four resends: {sent:?}");
    assert!(client
        .find_firewall_rule(&nd.id, "never")
        .await
        .unwrap()
        .is_none());

    // Half the creates dropped: each rule is there exactly once in the end.
    let emulator = Emulator::start(&["--faults", "drop=0.5,ops=createFirewallRule,seed=4"]);
    let client = emulator.client();
    let nd = client
        .deploy_network_domain(&domain_request("nd-half"), &wait())
        .await
        .unwrap();
    for i in 0..6 {
        client
            .create_firewall_rule(&web_rule(&nd.id, &format!("rule{i}")), &wait())
            .await
            .unwrap();
    }
    let sent = posts(&emulator, "createFirewallRule").await;
    assert!(sent.iter().any(|c| c == "DROPPED"), "{sent:?}");
    let rules = client.list_firewall_rules(&nd.id).await.unwrap();
    for i in 0..6 {
        let name = format!("rule{i}");
        assert_eq!(rules.iter().filter(|r| r.name == name).count(), 1, "{name}");
    }
}
