//! The load-balancer calls (nodes, pools, pool members, default health monitors) against the
//! real emulator binary (see `support/mod.rs`).

mod support;

use cloudcontrol::*;
use support::{wait, Emulator};

async fn advanced_domain(client: &Client, name: &str) -> NetworkDomain {
    let request = DeployNetworkDomain {
        datacenter_id: "NA9".into(),
        name: name.into(),
        description: String::new(),
        kind: network_domain_types::ADVANCED.into(),
        tags: vec![],
    };
    client
        .deploy_network_domain(&request, &wait())
        .await
        .expect("deploy network domain")
}

fn node_request(domain: &str, name: &str, address: &str) -> CreateVipNode {
    CreateVipNode {
        network_domain_id: domain.into(),
        name: name.into(),
        description: None,
        ipv4_address: Some(address.into()),
        ipv6_address: None,
        status: "ENABLED".into(),
        health_monitor_id: None,
        connection_limit: 20_000,
        connection_rate_limit: 2_000,
    }
}

#[tokio::test]
async fn nodes_pools_and_members_round_trip() {
    let emulator = Emulator::start(&[]);
    let client = emulator.client();
    let domain = advanced_domain(&client, "vip").await;
    let other = advanced_domain(&client, "vip-other").await;

    let monitors = client
        .list_default_health_monitors(&domain.id)
        .await
        .unwrap();
    assert!(monitors.len() >= 6, "{monitors:?}");
    let icmp = client
        .find_default_health_monitor(&domain.id, "CCDEFAULT.Icmp")
        .await
        .unwrap()
        .expect("CCDEFAULT.Icmp");
    let http = client
        .find_default_health_monitor(&domain.id, "CCDEFAULT.Http")
        .await
        .unwrap()
        .expect("CCDEFAULT.Http");
    assert!(icmp.node_compatible && http.pool_compatible);

    // Node: create, find, edit (monitor set, then cleared), read back.
    let mut request = node_request(&domain.id, "m1", "10.0.1.11");
    request.health_monitor_id = Some(icmp.id.clone());
    let node = client.create_vip_node(&request, &wait()).await.unwrap();
    assert_eq!(node.health_monitor_id(), Some(icmp.id.as_str()));
    let found = client.find_vip_node(&domain.id, "m1").await.unwrap();
    assert_eq!(found.map(|n| n.id), Some(node.id.clone()));
    let edit = EditVipNode {
        description: "first master".into(),
        status: "DISABLED".into(),
        health_monitor_id: None,
        connection_limit: 10,
        connection_rate_limit: 20,
    };
    let edited = client
        .edit_vip_node(&node.id, &edit, &wait())
        .await
        .unwrap();
    assert_eq!(
        (
            edited.health_monitor_id(),
            edited.status.as_str(),
            edited.connection_limit
        ),
        (None, "DISABLED", 10)
    );

    // Pool: create with a monitor, edit to two, then none.
    let pool = client
        .create_vip_pool(
            &CreateVipPool {
                network_domain_id: domain.id.clone(),
                name: "marathon".into(),
                description: None,
                load_balance_method: "ROUND_ROBIN".into(),
                health_monitor_id: vec![http.id.clone()],
                service_down_action: "NONE".into(),
                slow_ramp_time: 10,
            },
            &wait(),
        )
        .await
        .unwrap();
    assert_eq!(pool.health_monitor_ids(), std::slice::from_ref(&http.id));
    let mut pool_edit = EditVipPool {
        description: "d".into(),
        load_balance_method: "LEAST_CONNECTIONS_MEMBER".into(),
        health_monitor_id: Vec::new(),
        service_down_action: "RESELECT".into(),
        slow_ramp_time: 0,
    };
    let edited = client
        .edit_vip_pool(&pool.id, &pool_edit, &wait())
        .await
        .unwrap();
    assert!(edited.health_monitor.is_empty());
    pool_edit.health_monitor_id = vec![http.id.clone()];
    client
        .edit_vip_pool(&pool.id, &pool_edit, &wait())
        .await
        .unwrap();

    // Members: one on a port, one on any port; the status edit; found by identity.
    let member = client
        .add_vip_pool_member(
            &AddVipPoolMember {
                pool_id: pool.id.clone(),
                node_id: node.id.clone(),
                port: Some(8080),
                status: "ENABLED".into(),
            },
            &wait(),
        )
        .await
        .unwrap();
    assert_eq!(
        (member.pool.name.as_str(), member.node.name.as_str()),
        ("marathon", "m1")
    );
    let any = AddVipPoolMember {
        pool_id: pool.id.clone(),
        node_id: node.id.clone(),
        port: None,
        status: "DISABLED".into(),
    };
    let any = client.add_vip_pool_member(&any, &wait()).await.unwrap();
    let found = client
        .find_vip_pool_member(&pool.id, &node.id, None)
        .await
        .unwrap();
    assert_eq!(found.map(|m| m.id), Some(any.id.clone()));
    let edited = client
        .edit_vip_pool_member(&member.id, "FORCED_OFFLINE", &wait())
        .await
        .unwrap();
    assert_eq!(edited.status, "FORCED_OFFLINE");

    // A node of another domain: the API's refusal, with its code and field.
    let stranger = client
        .create_vip_node(&node_request(&other.id, "x1", "10.0.2.11"), &wait())
        .await
        .unwrap();
    let refused = client
        .add_vip_pool_member(
            &AddVipPoolMember {
                pool_id: pool.id.clone(),
                node_id: stranger.id.clone(),
                port: None,
                status: "ENABLED".into(),
            },
            &wait(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        refused.response_code(),
        Some("INVALID_INPUT_DATA"),
        "{refused}"
    );
    assert!(refused.to_string().contains("nodeId"), "{refused}");

    // A node still in a pool cannot go; once its members are removed it can, and a second
    // delete of anything gone is fine.
    let busy = client.delete_vip_node(&node.id, &wait()).await.unwrap_err();
    assert_eq!(busy.response_code(), Some("HAS_DEPENDENCY"), "{busy}");
    for id in [&member.id, &any.id] {
        client.remove_vip_pool_member(id, &wait()).await.unwrap();
        client.remove_vip_pool_member(id, &wait()).await.unwrap();
    }
    assert!(client
        .list_vip_pool_members(&pool.id)
        .await
        .unwrap()
        .is_empty());
    client.delete_vip_pool(&pool.id, &wait()).await.unwrap();
    client.delete_vip_node(&node.id, &wait()).await.unwrap();
    client.delete_vip_node(&stranger.id, &wait()).await.unwrap();
    assert!(client.get_vip_node(&node.id).await.unwrap().is_none());
    assert!(client.get_vip_pool(&pool.id).await.unwrap().is_none());

    // Every write went to its recorded path once (the second removes found nothing to do).
    let writes: Vec<String> = emulator
        .requests()
        .await
        .into_iter()
        .filter(|(method, path, _)| method == "POST" && path.contains("/networkDomainVip/"))
        .map(|(_, path, code)| format!("{} {code}", path.rsplit('/').next().unwrap_or_default()))
        .collect();
    assert_eq!(
        writes
            .iter()
            .filter(|w| w.starts_with("removePoolMember"))
            .count(),
        2,
        "{writes:?}"
    );
    assert!(
        writes.contains(&"addPoolMember INVALID_INPUT_DATA".to_owned()),
        "{writes:?}"
    );
    assert!(
        writes.contains(&"deleteNode HAS_DEPENDENCY".to_owned()),
        "{writes:?}"
    );
}
