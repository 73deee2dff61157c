//! Where the API lives: a named region or a custom base URL.

use crate::error::{Error, Result};
use reqwest::Url;
use std::net::IpAddr;

/// A CloudControl geographic region and its API host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Short name used in configuration (`na`, `eu`, ...).
    pub name: &'static str,
    /// Human-readable name.
    pub display_name: &'static str,
    /// The region's API host name.
    pub host: &'static str,
}

/// The Dimension Data CloudControl regions (`https://api-<region>.dimensiondata.com`).
pub const REGIONS: &[Region] = &[
    Region {
        name: "na",
        display_name: "North America",
        host: "api-na.dimensiondata.com",
    },
    Region {
        name: "eu",
        display_name: "Europe",
        host: "api-eu.dimensiondata.com",
    },
    Region {
        name: "au",
        display_name: "Australia",
        host: "api-au.dimensiondata.com",
    },
    Region {
        name: "canberra",
        display_name: "Australia (Canberra)",
        host: "api-canberra.dimensiondata.com",
    },
    Region {
        name: "mea",
        display_name: "Middle East and Africa",
        host: "api-mea.dimensiondata.com",
    },
    Region {
        name: "ap",
        display_name: "Asia Pacific",
        host: "api-ap.dimensiondata.com",
    },
    Region {
        name: "latam",
        display_name: "South America",
        host: "api-latam.dimensiondata.com",
    },
    Region {
        name: "canada",
        display_name: "Canada",
        host: "api-canada.dimensiondata.com",
    },
];

/// The base URL every request is built on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    base: Url,
}

impl Endpoint {
    /// The endpoint of a named region (case-insensitive; a `dd-` prefix is accepted).
    pub fn region(name: &str) -> Result<Self> {
        let wanted = name.trim().to_ascii_lowercase();
        let wanted = wanted.strip_prefix("dd-").unwrap_or(&wanted);
        let region = REGIONS.iter().find(|r| r.name == wanted).ok_or_else(|| {
            let known: Vec<&str> = REGIONS.iter().map(|r| r.name).collect();
            Error::InvalidEndpoint {
                endpoint: name.to_owned(),
                reason: format!("unknown region; known regions are {}", known.join(", ")),
            }
        })?;
        let base = Url::parse(&format!("https://{}/", region.host)).map_err(|e| {
            Error::InvalidEndpoint {
                endpoint: name.to_owned(),
                reason: e.to_string(),
            }
        })?;
        Ok(Self { base })
    }

    /// A custom base URL. `https` is required, except that plain `http` is
    /// allowed for loopback hosts (a local emulator), where nothing leaves the machine.
    pub fn url(url: &str) -> Result<Self> {
        let invalid = |reason: String| Error::InvalidEndpoint {
            endpoint: url.to_owned(),
            reason,
        };
        let mut base = Url::parse(url.trim()).map_err(|e| invalid(e.to_string()))?;
        let host = base
            .host_str()
            .ok_or_else(|| invalid("the URL has no host".into()))?;
        match base.scheme() {
            "https" => {}
            "http" if is_loopback(host) => {}
            "http" => {
                return Err(invalid(
                    "plain http is only allowed for loopback hosts (127.0.0.1, ::1, localhost); use https"
                        .into(),
                ))
            }
            other => return Err(invalid(format!("unsupported scheme `{other}`; use https"))),
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(invalid(
                "credentials must not be embedded in the URL; use username/password".into(),
            ));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(invalid("the URL must not have a query or fragment".into()));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(Self { base })
    }

    /// The base URL (always ends with `/`).
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// A URL made of the base URL followed by `segments`, each percent-encoded
    /// as one path segment (so an id can never change the path's shape).
    pub(crate) fn join<'a>(&self, segments: impl IntoIterator<Item = &'a str>) -> Url {
        let mut url = self.base.clone();
        {
            let mut path = url
                .path_segments_mut()
                .expect("http(s) URLs can have paths");
            path.pop_if_empty();
            for segment in segments {
                path.push(segment);
            }
        }
        url
    }
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_dimension_data_hosts() {
        assert_eq!(
            Endpoint::region("eu").unwrap().base_url().as_str(),
            "https://api-eu.dimensiondata.com/"
        );
        assert_eq!(
            Endpoint::region("DD-NA").unwrap().base_url().as_str(),
            "https://api-na.dimensiondata.com/"
        );
        let err = Endpoint::region("mars").unwrap_err().to_string();
        assert!(
            err.contains("unknown region") && err.contains("canada"),
            "{err}"
        );
    }

    #[test]
    fn custom_urls_must_be_https_unless_loopback() {
        assert!(Endpoint::url("https://cloud.example.com").is_ok());
        assert!(Endpoint::url("http://127.0.0.1:8080").is_ok());
        assert!(Endpoint::url("http://[::1]:8080/").is_ok());
        assert!(Endpoint::url("http://localhost:1").is_ok());
        let err = Endpoint::url("http://cloud.example.com")
            .unwrap_err()
            .to_string();
        assert!(err.contains("loopback"), "{err}");
        assert!(Endpoint::url("ftp://127.0.0.1").is_err());
        assert!(Endpoint::url("not a url").is_err());
        assert!(Endpoint::url("https://user:pw@cloud.example.com").is_err());
    }

    #[test]
    fn join_encodes_each_segment_and_keeps_a_base_path() {
        let endpoint = Endpoint::url("https://proxy.example.com/cc").unwrap();
        let url = endpoint.join(["caas", "2.10", "org", "network", "vlan", "a/b?c"]);
        assert_eq!(
            url.as_str(),
            "https://proxy.example.com/cc/caas/2.10/org/network/vlan/a%2Fb%3Fc"
        );
        let root = Endpoint::url("http://127.0.0.1:9").unwrap();
        assert_eq!(
            root.join(["caas", "x"]).as_str(),
            "http://127.0.0.1:9/caas/x"
        );
    }
}
