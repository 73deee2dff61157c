//! Virtual listeners and the load balancer catalogs through the client, against the real
//! emulator binary (see `support/mod.rs`): an address from the domain's public IP block, a
//! whole-content edit that clears references, refusals as typed API errors, and deletes.

mod support;

use cloudcontrol::*;
use support::{wait, Emulator};

async fn advanced_domain(client: &Client) -> NetworkDomain {
    let request = DeployNetworkDomain {
        datacenter_id: "NA9".into(),
        name: "nd-lb".into(),
        description: String::new(),
        kind: network_domain_types::ADVANCED.into(),
        tags: vec![],
    };
    client
        .deploy_network_domain(&request, &wait())
        .await
        .expect("deploy network domain")
}

fn listener(domain: &str, name: &str) -> CreateVirtualListener {
    CreateVirtualListener {
        network_domain_id: domain.into(),
        name: name.into(),
        description: None,
        listener_type: ListenerType::Standard,
        protocol: ListenerProtocol::Tcp,
        listener_ip_address: None,
        port: Some(8080),
        enabled: true,
        connection_limit: 20_000,
        connection_rate_limit: 2_000,
        source_port_preservation: SourcePortPreservation::Preserve,
        pool_id: None,
        client_clone_pool_id: None,
        persistence_profile_id: None,
        fallback_persistence_profile_id: None,
        optimization_profile: Some("TCP".into()),
        irule_ids: vec![],
    }
}

#[tokio::test]
async fn listener_lifecycle_with_catalog_references() {
    let emulator = Emulator::start(&["--public-ip-ratio", "off"]);
    let client = emulator.client();
    let nd = advanced_domain(&client).await;

    // The catalogs: names resolve to ids, with compatibility pairs.
    let profiles = client
        .list_default_persistence_profiles(&nd.id)
        .await
        .unwrap();
    let source = profiles
        .iter()
        .find(|p| p.name == "CCDEFAULT.SourceAddress")
        .expect("source address profile");
    assert!(source.fallback_compatible);
    assert!(source.supports(&ListenerType::Standard, &ListenerProtocol::Tcp));
    let irules = client.list_default_irules(&nd.id).await.unwrap();
    let ips = irules
        .iter()
        .find(|r| r.name() == "CCDEFAULT.Ips")
        .expect("IPS iRule");

    // Without a public IP block no address can be assigned: a typed refusal, nothing created.
    let refused = client
        .create_virtual_listener(&listener(&nd.id, "web"), &wait())
        .await
        .unwrap_err();
    assert_eq!(
        refused.response_code(),
        Some(response_codes::NO_IP_ADDRESS_AVAILABLE),
        "{refused}"
    );
    assert!(client
        .list_virtual_listeners(&nd.id)
        .await
        .unwrap()
        .is_empty());
    // A refusal is final: the create was sent once.
    let creates: Vec<String> = emulator
        .requests()
        .await
        .into_iter()
        .filter(|(method, path, _)| method == "POST" && path.ends_with("/createVirtualListener"))
        .map(|(_, _, code)| code)
        .collect();
    assert_eq!(creates, ["NO_IP_ADDRESS_AVAILABLE"]);

    let block = client
        .add_public_ip_block(&nd.id, &[], &wait())
        .await
        .unwrap();
    let mut request = listener(&nd.id, "web");
    request.persistence_profile_id = Some(source.id.clone());
    request.irule_ids = vec![ips.id().to_owned()];
    let created = client
        .create_virtual_listener(&request, &wait())
        .await
        .unwrap();
    assert_eq!(created.listener_ip_address, block.base_ip);
    assert_eq!(created.listener_ip_addressability, "PUBLIC_IP_BLOCK");
    assert_eq!(created.irule_ids(), [ips.id()]);
    let found = client
        .find_virtual_listener(&nd.id, "web")
        .await
        .unwrap()
        .expect("found by name");
    assert_eq!(found.id, created.id);

    // An edit sends the whole content: what it leaves unset is cleared.
    let mut edit = created.editable();
    edit.enabled = false;
    edit.description = "paused".into();
    edit.persistence_profile_id = None;
    edit.irule_ids.clear();
    let edited = client
        .edit_virtual_listener(&created.id, &edit, &wait())
        .await
        .unwrap();
    assert_eq!(edited.editable(), edit);
    assert!(edited.persistence_profile.is_none() && edited.irule.is_empty());

    // STANDARD TCP without an optimization profile is refused with the API's code.
    edit.optimization_profile = None;
    let refused = client
        .edit_virtual_listener(&created.id, &edit, &wait())
        .await
        .unwrap_err();
    assert_eq!(
        refused.response_code(),
        Some("CONFIGURATION_NOT_SUPPORTED"),
        "{refused}"
    );

    client
        .delete_virtual_listener(&created.id, &wait())
        .await
        .unwrap();
    assert!(client
        .get_virtual_listener(&created.id)
        .await
        .unwrap()
        .is_none());
    // Deleting what is already gone is fine.
    client
        .delete_virtual_listener(&created.id, &wait())
        .await
        .unwrap();
}
