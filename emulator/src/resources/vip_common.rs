//! What the network-domain VIP resources (nodes, pools, pool members, virtual listeners) share:
//! the `networkDomainVip` area, the domain check, admin statuses and the numeric limits.

use super::{check_name, network_domain, Ctx};
use crate::envelope::{ApiError, Code};
use crate::lifecycle::State;
use crate::store::Org;

/// The API area of every VIP operation.
pub const AREA: &str = "networkDomainVip";

/// Longest VIP object name we accept (the API does not publish one; this is our reading).
pub const MAX_NAME_LEN: usize = 255;

/// Longest description.
pub const MAX_DESCRIPTION_LEN: usize = 255;

/// Admin statuses of nodes and pool members.
pub const STATUSES: &[&str] = &["ENABLED", "DISABLED", "FORCED_OFFLINE"];

/// Connection limit range (nodes, listeners).
pub const CONNECTION_LIMIT: (i64, i64) = (1, 100_000);

/// Connection rate limit range (nodes, listeners).
pub const CONNECTION_RATE_LIMIT: (i64, i64) = (1, 4_000);

/// The network domain a VIP object is created in: it must exist, be NORMAL and not be of the
/// ESSENTIALS type (VIP needs ADVANCED; we also accept ENTERPRISE). Returns (id, datacenter id).
pub fn domain(ctx: &Ctx, id: &str) -> Result<(String, String), ApiError> {
    let nd = network_domain::find(ctx.org, "networkDomainId", id)?;
    if nd.state != State::Normal {
        return Err(ApiError::busy("Network Domain", &nd.id, nd.state.as_str()));
    }
    if nd.plan == "ESSENTIALS" {
        return Err(ApiError::new(
            Code::OperationNotSupported,
            format!(
                "networkDomainId: Network Domain {} is of type ESSENTIALS; load balancing needs an ADVANCED network domain.",
                nd.id
            ),
        ));
    }
    Ok((nd.id.clone(), nd.datacenter_id.clone()))
}

/// Validates a name and description.
pub fn check_texts(name: &str, description: Option<&str>) -> Result<(), ApiError> {
    check_name("name", name, MAX_NAME_LEN)?;
    check_description(description)
}

/// Validates an optional description.
pub fn check_description(description: Option<&str>) -> Result<(), ApiError> {
    match description {
        Some(d) if d.chars().count() > MAX_DESCRIPTION_LEN => Err(ApiError::invalid(
            "description",
            format!("must be at most {MAX_DESCRIPTION_LEN} characters"),
        )),
        _ => Ok(()),
    }
}

/// Refuses a name already taken by an object of the same kind in the domain.
pub fn unique_name(taken: bool, kind: &str, name: &str, domain: &str) -> Result<(), ApiError> {
    if taken {
        return Err(ApiError::new(
            Code::NameNotUnique,
            format!("name: a {kind} named '{name}' already exists in Network Domain {domain}."),
        ));
    }
    Ok(())
}

/// Validates one of `allowed` (exact, upper case), naming `field`.
pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<String, ApiError> {
    if allowed.contains(&value) {
        Ok(value.to_string())
    } else {
        Err(ApiError::invalid(
            field,
            format!("`{value}` is not one of {}", allowed.join(", ")),
        ))
    }
}

/// Validates an integer within `(min, max)`, naming `field`.
pub fn in_range(field: &str, value: i64, (min, max): (i64, i64)) -> Result<u32, ApiError> {
    if value < min || value > max {
        return Err(ApiError::invalid(
            field,
            format!("{value} must be between {min} and {max}"),
        ));
    }
    u32::try_from(value).map_err(|_| ApiError::invalid(field, format!("{value} is out of range")))
}

/// A `{"nil": true}` value that clears a nullable field on edit, or the field's new value.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub enum Nullable<T> {
    /// Clear the field.
    Nil {
        /// Must be true.
        nil: bool,
    },
    /// Set the field.
    Value(T),
}

impl<T> Nullable<T> {
    /// `None` to clear, `Some` to set; `{"nil": false}` is refused.
    pub fn into_option(self, field: &str) -> Result<Option<T>, ApiError> {
        match self {
            Nullable::Nil { nil: true } => Ok(None),
            Nullable::Nil { nil: false } => Err(ApiError::invalid(field, "`nil` may only be true")),
            Nullable::Value(v) => Ok(Some(v)),
        }
    }
}

/// Number of VIP objects (nodes, pools, members, listeners, SSL certificates, chains and offload
/// profiles) left in a network domain.
pub fn objects_in(org: &Org, domain: &str) -> usize {
    org.vip_nodes
        .values()
        .filter(|n| n.network_domain_id == domain)
        .count()
        + org
            .vip_pools
            .values()
            .filter(|p| p.network_domain_id == domain)
            .count()
        + org
            .vip_pool_members
            .values()
            .filter(|m| m.network_domain_id == domain)
            .count()
        + org
            .virtual_listeners
            .values()
            .filter(|l| l.network_domain_id == domain)
            .count()
        + super::ssl_common::objects_in(org, domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_choices() {
        assert_eq!(in_range("x", 5, (1, 10)).unwrap(), 5);
        assert!(in_range("x", 0, (1, 10)).is_err());
        assert!(in_range("x", 11, (1, 10)).is_err());
        assert!(one_of("status", "ENABLED", STATUSES).is_ok());
        assert!(one_of("status", "enabled", STATUSES).is_err());
    }

    #[test]
    fn nullable_reads_nil_and_values() {
        let n: Nullable<String> = serde_json::from_str(r#"{"nil": true}"#).unwrap();
        assert!(n.into_option("f").unwrap().is_none());
        let v: Nullable<String> = serde_json::from_str(r#""abc""#).unwrap();
        assert_eq!(v.into_option("f").unwrap().as_deref(), Some("abc"));
        let bad: Nullable<String> = serde_json::from_str(r#"{"nil": false}"#).unwrap();
        assert!(bad.into_option("f").is_err());
    }
}
