//! Rules CloudControl enforces that can be checked without calling the API, as plain
//! functions (unit-tested below) and as schema [`Validator`]s that report them on the
//! offending attribute at plan time.

use std::net::Ipv4Addr;

use tfplugin::schema::Validator;
use tfplugin::{AttributePath, Diagnostics, Value};

/// Longest name the API accepts for network domains, VLANs and servers.
pub const MAX_NAME_LEN: usize = 75;
/// Longest firewall rule name the API accepts.
pub const MAX_FIREWALL_RULE_NAME_LEN: usize = 75;
/// Longest IP address or port list name (the API publishes no limit; the emulator's reading).
pub const MAX_LIST_NAME_LEN: usize = 75;
/// Most entries in one IP address or port list (the emulator's reading).
pub const MAX_LIST_ENTRIES: usize = 500;
/// Shortest and longest VLAN prefix sizes CloudControl supports.
pub const VLAN_PREFIX_RANGE: (i64, i64) = (16, 30);
/// Server sizing limits of MCP 2.0 datacenters.
pub const CPU_RANGE: (i64, i64) = (1, 32);
/// Memory limits in GB.
pub const MEMORY_GB_RANGE: (i64, i64) = (1, 256);
/// Disk size limits in GB.
pub const DISK_GB_RANGE: (i64, i64) = (10, 1000);
/// Largest sum of additional (non-OS) disks per server in GB.
pub const MAX_ADDITIONAL_STORAGE_GB: i64 = 14_000;
/// The SCSI id VMware reserves for the controller itself.
pub const RESERVED_SCSI_ID: i64 = 7;
/// Highest SCSI id on a controller.
pub const MAX_SCSI_ID: i64 = 15;

/// A display name: not blank, no surrounding spaces, no control characters, at most `max` characters.
pub fn check_name(name: &str, max: usize) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("must not be empty or blank".into());
    }
    if name.trim() != name {
        return Err(format!("{name:?} must not start or end with spaces"));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("{name:?} must not contain control characters"));
    }
    let len = name.chars().count();
    if len > max {
        return Err(format!("must be at most {max} characters, got {len}"));
    }
    Ok(())
}

/// A firewall rule name: letters, digits, `_` and `.`, starting with a letter or `_`,
/// not starting with the reserved `CCDEFAULT.` prefix.
pub fn check_firewall_rule_name(name: &str) -> Result<(), String> {
    let Some(first) = name.chars().next() else {
        return Err("must not be empty".into());
    };
    if !(first.is_ascii_alphabetic() || first == '_') {
        return Err(format!("{name:?} must start with a letter or `_`"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.'))
    {
        return Err(format!(
            "{name:?} contains {bad:?}; only letters, digits, `_` and `.` are allowed"
        ));
    }
    if name.len() > MAX_FIREWALL_RULE_NAME_LEN {
        return Err(format!(
            "must be at most {MAX_FIREWALL_RULE_NAME_LEN} characters, got {}",
            name.len()
        ));
    }
    if name.to_ascii_uppercase().starts_with("CCDEFAULT.") {
        return Err("must not start with `CCDEFAULT.`, which is reserved for default rules".into());
    }
    Ok(())
}

/// An IP address or port list name: letters, digits, `_`, `.` and `-`, starting with a letter
/// (no public client documents the API's rule; this is the emulator's reading).
pub fn check_list_name(name: &str) -> Result<(), String> {
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(format!("{name:?} must start with a letter"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(format!(
            "{name:?} contains {bad:?}; only letters, digits, `_`, `.` and `-` are allowed"
        ));
    }
    if name.len() > MAX_LIST_NAME_LEN {
        return Err(format!(
            "must be at most {MAX_LIST_NAME_LEN} characters, got {}",
            name.len()
        ));
    }
    Ok(())
}

/// The administrator password policy for guest OS customisation: at least 8 characters
/// with an upper-case letter, a lower-case letter, a digit and a special character.
pub fn check_password(password: &str) -> Result<(), String> {
    let mut missing = Vec::new();
    if !password.chars().any(|c| c.is_ascii_uppercase()) {
        missing.push("an upper-case letter");
    }
    if !password.chars().any(|c| c.is_ascii_lowercase()) {
        missing.push("a lower-case letter");
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        missing.push("a digit");
    }
    if !password.chars().any(|c| !c.is_alphanumeric()) {
        missing.push("a special character");
    }
    let len = password.chars().count();
    if len < 8 {
        return Err(format!("must be at least 8 characters long, got {len}"));
    }
    if !missing.is_empty() {
        return Err(format!("must contain {}", missing.join(", ")));
    }
    Ok(())
}

/// The network mask of a prefix length.
fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

/// A VLAN's private IPv4 network: a prefix size CloudControl supports, the base being the
/// network address of the prefix, and not a reserved range.
pub fn check_vlan_network(base: Ipv4Addr, prefix: i64) -> Result<(), String> {
    let (min, max) = VLAN_PREFIX_RANGE;
    if !(min..=max).contains(&prefix) {
        return Err(format!(
            "prefix size must be between {min} and {max}, got {prefix}"
        ));
    }
    let prefix = prefix as u8;
    let network = u32::from(base) & mask(prefix);
    if network != u32::from(base) {
        return Err(format!(
            "{base} is not the network address of a /{prefix}; use {}",
            Ipv4Addr::from(network)
        ));
    }
    let o = base.octets();
    let reserved = o[0] == 0
        || o[0] == 127
        || o[0] >= 224
        || (o[0] == 169 && o[1] == 254)
        || (o[0] == 100 && (64..128).contains(&o[1]));
    if reserved {
        return Err(format!(
            "{base}/{prefix} is reserved (this network, loopback, link-local, multicast or the 100.64.0.0/10 transit space)"
        ));
    }
    Ok(())
}

/// Whether `ip` can be a server address in the VLAN `base/prefix`: inside the network
/// and neither the network, broadcast nor a gateway address (`.1`–`.3` for LOW gateway
/// addressing, the top three for HIGH).
pub fn check_ip_in_vlan(
    ip: Ipv4Addr,
    base: Ipv4Addr,
    prefix: u8,
    gateway_addressing: &str,
) -> Result<(), String> {
    let m = mask(prefix);
    let first = u32::from(base) & m;
    let last = first | !m;
    let v = u32::from(ip);
    if v & m != first {
        return Err(format!(
            "{ip} is outside the VLAN's network {base}/{prefix}"
        ));
    }
    let reserved = v == first
        || v == last
        || if gateway_addressing.eq_ignore_ascii_case("HIGH") {
            v >= last - 3
        } else {
            v <= first + 3
        };
    if reserved {
        return Err(format!(
            "{ip} is reserved in {base}/{prefix} (network, broadcast or gateway addresses with {gateway_addressing} gateway addressing)"
        ));
    }
    Ok(())
}

/// A TCP/UDP port range `begin[..end]`.
pub fn check_port_range(begin: i64, end: Option<i64>) -> Result<(), String> {
    if !(1..=65535).contains(&begin) {
        return Err(format!("port must be between 1 and 65535, got {begin}"));
    }
    if let Some(end) = end {
        if !(1..=65535).contains(&end) {
            return Err(format!("port_end must be between 1 and 65535, got {end}"));
        }
        if end <= begin {
            return Err(format!(
                "port_end ({end}) must be greater than port ({begin})"
            ));
        }
    }
    Ok(())
}

/// Schema validator for [`check_name`].
#[derive(Debug, Clone, Copy)]
pub struct NameRule(pub usize);

/// Schema validator for [`check_firewall_rule_name`].
#[derive(Debug, Clone, Copy)]
pub struct FirewallRuleNameRule;

/// Schema validator for [`check_list_name`].
#[derive(Debug, Clone, Copy)]
pub struct ListNameRule;

/// Schema validator for [`check_password`].
#[derive(Debug, Clone, Copy)]
pub struct PasswordRule;

/// Schema validator for SCSI ids: `0..=15` except the reserved 7.
#[derive(Debug, Clone, Copy)]
pub struct ScsiIdRule;

fn report(result: Result<(), String>, path: &AttributePath, diags: &mut Diagnostics) {
    if let Err(rule) = result {
        diags.error_at(
            path.clone(),
            "Invalid attribute value",
            format!("{path} {rule}"),
        );
    }
}

impl Validator for NameRule {
    fn description(&self) -> String {
        format!(
            "a name of 1 to {} characters without surrounding spaces",
            self.0
        )
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            report(check_name(s, self.0), path, diags);
        }
    }
}

impl Validator for FirewallRuleNameRule {
    fn description(&self) -> String {
        "letters, digits, `_` and `.`, starting with a letter or `_`".into()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            report(check_firewall_rule_name(s), path, diags);
        }
    }
}

impl Validator for ListNameRule {
    fn description(&self) -> String {
        "letters, digits, `_`, `.` and `-`, starting with a letter".into()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(s) = value.as_str() {
            report(check_list_name(s), path, diags);
        }
    }
}

impl Validator for PasswordRule {
    fn description(&self) -> String {
        "at least 8 characters with upper- and lower-case letters, a digit and a special character"
            .into()
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        // The rule is reported without echoing the password.
        if let Some(s) = value.as_str() {
            report(check_password(s), path, diags);
        }
    }
}

impl Validator for ScsiIdRule {
    fn description(&self) -> String {
        format!("a SCSI id between 0 and {MAX_SCSI_ID}, except {RESERVED_SCSI_ID}")
    }

    fn validate(&self, value: &Value, path: &AttributePath, diags: &mut Diagnostics) {
        if let Some(id) = value.as_i64() {
            let result = if !(0..=MAX_SCSI_ID).contains(&id) {
                Err(format!("must be between 0 and {MAX_SCSI_ID}, got {id}"))
            } else if id == RESERVED_SCSI_ID {
                Err(format!(
                    "cannot be {RESERVED_SCSI_ID}: the controller itself uses it"
                ))
            } else {
                Ok(())
            };
            report(result, path, diags);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn names() {
        assert!(check_name("web", 75).is_ok());
        assert!(check_name("", 75).unwrap_err().contains("empty"));
        assert!(check_name("  ", 75).unwrap_err().contains("empty"));
        assert!(check_name(" web", 75).unwrap_err().contains("spaces"));
        assert!(check_name(&"x".repeat(76), 75).unwrap_err().contains("75"));
        assert!(check_name("a\tb", 75).unwrap_err().contains("control"));
    }

    #[test]
    fn firewall_rule_names() {
        assert!(check_firewall_rule_name("allow_ssh.v4").is_ok());
        assert!(check_firewall_rule_name("_x").is_ok());
        assert!(check_firewall_rule_name("1abc")
            .unwrap_err()
            .contains("start"));
        assert!(check_firewall_rule_name("allow ssh")
            .unwrap_err()
            .contains("' '"));
        assert!(check_firewall_rule_name("CCDEFAULT.x")
            .unwrap_err()
            .contains("reserved"));
        assert!(check_firewall_rule_name(&"a".repeat(76)).is_err());
    }

    #[test]
    fn passwords() {
        assert!(check_password("Passw0rd!").is_ok());
        assert!(check_password("Pa0!").unwrap_err().contains("at least 8"));
        let e = check_password("password").unwrap_err();
        assert!(e.contains("upper-case") && e.contains("digit") && e.contains("special"));
        assert!(
            !e.contains("password"),
            "the password itself is never echoed: {e}"
        );
    }

    #[test]
    fn vlan_networks() {
        assert!(check_vlan_network(ip("10.0.1.0"), 24).is_ok());
        assert!(check_vlan_network(ip("10.0.1.0"), 23)
            .unwrap_err()
            .contains("10.0.0.0"));
        assert!(check_vlan_network(ip("10.0.0.0"), 31)
            .unwrap_err()
            .contains("between"));
        assert!(check_vlan_network(ip("10.0.0.0"), 8).is_err());
        assert!(check_vlan_network(ip("100.64.0.0"), 24)
            .unwrap_err()
            .contains("reserved"));
        assert!(check_vlan_network(ip("127.0.0.0"), 24).is_err());
    }

    #[test]
    fn addresses_inside_vlans() {
        assert!(check_ip_in_vlan(ip("10.0.1.10"), ip("10.0.1.0"), 24, "LOW").is_ok());
        assert!(check_ip_in_vlan(ip("10.0.2.10"), ip("10.0.1.0"), 24, "LOW")
            .unwrap_err()
            .contains("outside"));
        assert!(check_ip_in_vlan(ip("10.0.1.2"), ip("10.0.1.0"), 24, "LOW")
            .unwrap_err()
            .contains("reserved"));
        assert!(check_ip_in_vlan(ip("10.0.1.2"), ip("10.0.1.0"), 24, "HIGH").is_ok());
        assert!(check_ip_in_vlan(ip("10.0.1.253"), ip("10.0.1.0"), 24, "HIGH").is_err());
        assert!(check_ip_in_vlan(ip("10.0.1.255"), ip("10.0.1.0"), 24, "LOW").is_err());
    }

    #[test]
    fn port_ranges() {
        assert!(check_port_range(22, None).is_ok());
        assert!(check_port_range(8000, Some(8080)).is_ok());
        assert!(check_port_range(0, None).is_err());
        assert!(check_port_range(70000, None).is_err());
        assert!(check_port_range(8080, Some(8000))
            .unwrap_err()
            .contains("greater"));
    }
}
