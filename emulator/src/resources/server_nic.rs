//! Server NICs: addNic, removeNic, notifyNicIpChange, changeNetworkAdapter (all async on the server).

use super::server::{find as find_server, find_mut as find_server_mut};
use super::{check_id, new_id, vlan, Ctx, IdBody};
use crate::envelope::{Action, ApiError, Code, Reply};
use crate::lifecycle::{OpKind, State};
use crate::net;
use crate::store::{Counters, Org};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Network adapter types.
pub const ADAPTERS: &[&str] = &[
    "E1000",
    "E1000E",
    "VMXNET3",
    "ENHANCED_VMXNET2",
    "FLEXIBLE_PCNET32",
];

/// A stored NIC.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Nic {
    /// Id.
    pub id: String,
    /// VLAN id.
    pub vlan_id: String,
    /// Private IPv4 address.
    pub private_ipv4: Ipv4Addr,
    /// IPv6 address (from the VLAN's /64).
    pub ipv6: Ipv6Addr,
    /// Adapter type.
    pub adapter: String,
    /// MAC address.
    pub mac: String,
    /// Device key (4000 + index).
    pub key: u32,
    /// State.
    pub state: State,
}

impl Nic {
    /// The API's JSON shape.
    pub fn to_json(&self, org: &Org) -> Value {
        let vlan_name = org
            .vlans
            .get(&self.vlan_id)
            .map(|v| v.name.clone())
            .unwrap_or_default();
        json!({
            "id": self.id,
            "privateIpv4": self.private_ipv4.to_string(),
            "ipv6": net::ipv6_full(self.ipv6),
            "vlanId": self.vlan_id,
            "vlanName": vlan_name,
            "networkAdapter": self.adapter,
            "connected": true,
            "macAddress": self.mac,
            "key": self.key,
            "state": self.state.as_str(),
        })
    }
}

/// A NIC in a request: exactly one of `vlanId` / `privateIpv4` (both accepted when consistent).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NicBody {
    /// VLAN to attach to; the first free address is allocated.
    #[serde(default)]
    pub vlan_id: Option<String>,
    /// Address to use; the VLAN is inferred from it.
    #[serde(default)]
    pub private_ipv4: Option<String>,
    /// Adapter type.
    #[serde(default)]
    pub network_adapter: Option<String>,
    /// Connected flag (accepted, always true here).
    #[serde(default)]
    pub connected: Option<bool>,
}

fn check_adapter(field: &str, adapter: &str) -> Result<(), ApiError> {
    if ADAPTERS.contains(&adapter) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!("`{adapter}` must be one of {}", ADAPTERS.join(", ")),
        ))
    }
}

/// Resolves a NIC request inside network domain `nd_id` into a new NIC.
pub fn build(
    org: &Org,
    counters: &mut Counters,
    nd_id: &str,
    field: &str,
    body: &NicBody,
    taken: &BTreeSet<Ipv4Addr>,
    index: u32,
) -> Result<Nic, ApiError> {
    let adapter = body
        .network_adapter
        .clone()
        .unwrap_or_else(|| "VMXNET3".into());
    check_adapter(&format!("{field}.networkAdapter"), &adapter)?;
    let ip = match &body.private_ipv4 {
        Some(s) => Some(
            net::parse_ipv4(&format!("{field}.privateIpv4"), s)
                .map_err(|m| ApiError::new(Code::InvalidInputData, m))?,
        ),
        None => None,
    };
    let vlan = match (&body.vlan_id, ip) {
        (None, None) => {
            return Err(ApiError::invalid(
                field,
                "one of vlanId or privateIpv4 is required",
            ));
        }
        (Some(vid), _) => {
            let v = vlan::find(org, &format!("{field}.vlanId"), vid)?;
            if v.network_domain_id != nd_id {
                return Err(ApiError::invalid(
                    &format!("{field}.vlanId"),
                    format!("VLAN {vid} is not in network domain {nd_id}"),
                ));
            }
            v
        }
        (None, Some(ip)) => vlan::vlan_containing(org, nd_id, ip).ok_or_else(|| {
            ApiError::new(
                Code::IpAddressOutOfRange,
                format!(
                    "{field}.privateIpv4: {ip} is not inside any VLAN of network domain {nd_id}."
                ),
            )
        })?,
    };
    if vlan.state != State::Normal {
        return Err(ApiError::new(
            Code::ResourceBusy,
            format!("{field}: VLAN {} is {}.", vlan.id, vlan.state.as_str()),
        ));
    }
    let ip_field = format!("{field}.privateIpv4");
    let address = match ip {
        Some(ip) => {
            vlan::check_ipv4(org, vlan, &ip_field, ip, None)?;
            if taken.contains(&ip) {
                return Err(ApiError::new(
                    Code::IpAddressNotUnique,
                    format!("{ip_field}: {ip} is requested twice."),
                ));
            }
            ip
        }
        None => vlan::allocate_ipv4(org, vlan, &ip_field, taken)?,
    };
    counters.macs += 1;
    let m = counters.macs;
    Ok(Nic {
        id: new_id(),
        vlan_id: vlan.id.clone(),
        private_ipv4: address,
        ipv6: vlan.ipv6_for(address),
        adapter,
        mac: format!(
            "00:50:56:{:02x}:{:02x}:{:02x}",
            (m >> 16) & 0xff,
            (m >> 8) & 0xff,
            m & 0xff
        ),
        key: 4000 + index,
        state: State::Normal,
    })
}

/// Finds the server owning NIC `nic_id`.
fn server_of_nic<'a>(
    org: &'a Org,
    field: &str,
    nic_id: &str,
) -> Result<&'a super::server::Server, ApiError> {
    check_id(field, nic_id)?;
    org.servers
        .values()
        .find(|s| s.nics().any(|n| n.id == nic_id))
        .ok_or_else(|| ApiError::not_found("NIC", nic_id))
}

fn nic_mut<'a>(s: &'a mut super::server::Server, nic_id: &str) -> Option<&'a mut Nic> {
    if s.primary_nic.id == nic_id {
        Some(&mut s.primary_nic)
    } else {
        s.additional_nics.iter_mut().find(|n| n.id == nic_id)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AddBody {
    server_id: String,
    nic: NicBody,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct IpChangeBody {
    nic_id: String,
    #[serde(default)]
    private_ipv4: Option<String>,
    #[serde(default)]
    ipv6: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AdapterBody {
    nic_id: String,
    network_adapter: String,
}

/// `POST server/addNic`.
pub fn add(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: AddBody = ctx.body()?;
    let s = find_server(ctx.org, "serverId", &body.server_id)?;
    super::mcp1_network::refuse_nic_change(s, "serverId")?;
    s.check_idle()?;
    super::consistency_group::check_server_change(ctx.org, &s.id, "addNic")?;
    let count = s.nics().count();
    if count >= 10 {
        return Err(ApiError::new(
            Code::ExceedsLimit,
            format!(
                "serverId: Server {} already has {count} NICs (at most 10).",
                s.id
            ),
        ));
    }
    let nd_id = s.network_domain_id.clone();
    let nic = build(
        ctx.org,
        ctx.counters,
        &nd_id,
        "nic",
        &body.nic,
        &BTreeSet::new(),
        count as u32,
    )?;
    let nic_id = nic.id.clone();
    let s = find_server_mut(ctx.org, &body.server_id)?;
    s.begin(OpKind::NicChange, "ADD_NIC", ctx.call, None);
    s.additional_nics.push(Nic {
        state: State::PendingAdd,
        ..nic
    });
    Ok(Reply::Action(
        Action::in_progress(
            "ADD_NIC",
            format!(
                "Request to Add NIC to Server (Id: {}) has been accepted and is being processed.",
                body.server_id
            ),
        )
        .info("nicId", nic_id),
    ))
}

/// `POST server/removeNic`: only additional NICs can be removed.
pub fn remove(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IdBody = ctx.body()?;
    let s = server_of_nic(ctx.org, "id", &body.id)?;
    super::mcp1_network::refuse_nic_change(s, "id")?;
    s.check_idle()?;
    super::consistency_group::check_server_change(ctx.org, &s.id, "removeNic")?;
    if s.primary_nic.id == body.id {
        return Err(ApiError::new(
            Code::OperationNotSupported,
            format!(
                "id: NIC {} is the primary NIC and cannot be removed.",
                body.id
            ),
        ));
    }
    let sid = s.id.clone();
    let s = find_server_mut(ctx.org, &sid)?;
    s.begin(OpKind::NicChange, "REMOVE_NIC", ctx.call, None);
    if let Some(n) = nic_mut(s, &body.id) {
        n.state = State::PendingDelete;
    }
    Ok(Reply::Action(Action::in_progress(
        "REMOVE_NIC",
        format!(
            "Request to Remove NIC (Id: {}) has been accepted and is being processed.",
            body.id
        ),
    )))
}

/// `POST server/notifyNicIpChange`: a no-op change is accepted.
pub fn notify_ip_change(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: IpChangeBody = ctx.body()?;
    let s = server_of_nic(ctx.org, "nicId", &body.nic_id)?;
    super::mcp1_network::refuse_nic_change(s, "nicId")?;
    s.check_idle()?;
    super::consistency_group::check_server_change(ctx.org, &s.id, "notifyNicIpChange")?;
    let nic = s
        .nics()
        .find(|n| n.id == body.nic_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("NIC", &body.nic_id))?;
    let v = vlan::find(ctx.org, "nicId", &nic.vlan_id)?;
    let new_ipv4 = match &body.private_ipv4 {
        Some(text) => {
            let ip = net::parse_ipv4("privateIpv4", text)
                .map_err(|m| ApiError::new(Code::InvalidInputData, m))?;
            vlan::check_ipv4(ctx.org, v, "privateIpv4", ip, Some(&nic.id))?;
            ip
        }
        None => nic.private_ipv4,
    };
    let new_ipv6 = match &body.ipv6 {
        Some(text) => {
            let ip: Ipv6Addr = text.parse().map_err(|_| {
                ApiError::invalid("ipv6", format!("`{text}` is not a valid IPv6 address"))
            })?;
            let mask = !u128::from(u64::MAX);
            if u128::from(ip) & mask != u128::from(v.ipv6_prefix) & mask {
                return Err(ApiError::new(
                    Code::IpAddressOutOfRange,
                    format!(
                        "ipv6: {ip} is outside the VLAN's /64 {}.",
                        net::ipv6_full(v.ipv6_prefix)
                    ),
                ));
            }
            let clash = ctx
                .org
                .servers
                .values()
                .flat_map(|s| s.nics())
                .any(|n| n.id != nic.id && n.ipv6 == ip);
            if clash {
                return Err(ApiError::new(
                    Code::IpAddressNotUnique,
                    format!("ipv6: {ip} is already in use."),
                ));
            }
            ip
        }
        None => nic.ipv6,
    };
    let sid = s.id.clone();
    let s = find_server_mut(ctx.org, &sid)?;
    s.begin(
        OpKind::NicChange,
        "NOTIFY_NIC_IP_ADDRESS_CHANGE",
        ctx.call,
        None,
    );
    if let Some(n) = nic_mut(s, &body.nic_id) {
        n.private_ipv4 = new_ipv4;
        n.ipv6 = new_ipv6;
        n.state = State::PendingChange;
    }
    Ok(Reply::Action(Action::in_progress(
        "NOTIFY_NIC_IP_ADDRESS_CHANGE",
        format!("Request to notify IP address change of NIC (Id: {}) has been accepted and is being processed.", body.nic_id),
    )))
}

/// `POST server/changeNetworkAdapter`.
pub fn change_adapter(ctx: &mut Ctx) -> Result<Reply, ApiError> {
    let body: AdapterBody = ctx.body()?;
    check_adapter("networkAdapter", &body.network_adapter)?;
    let s = server_of_nic(ctx.org, "nicId", &body.nic_id)?;
    super::mcp1_network::refuse_nic_change(s, "nicId")?;
    s.check_idle()?;
    let sid = s.id.clone();
    let s = find_server_mut(ctx.org, &sid)?;
    s.begin(OpKind::NicChange, "CHANGE_NETWORK_ADAPTER", ctx.call, None);
    if let Some(n) = nic_mut(s, &body.nic_id) {
        n.adapter = body.network_adapter.clone();
        n.state = State::PendingChange;
    }
    Ok(Reply::Action(Action::in_progress(
        "CHANGE_NETWORK_ADAPTER",
        format!("Request to change the network adapter of NIC (Id: {}) has been accepted and is being processed.", body.nic_id),
    )))
}
