//! The authenticated user and their organisation (`GET /caas/2.N/user/myUser`).

use crate::client::Client;
use crate::error::Result;
use serde::Deserialize;

/// The organisation a user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    /// The organisation id used in every `/caas/2.N/{orgId}/...` path.
    pub id: String,
    /// The organisation's name.
    #[serde(default)]
    pub name: String,
    /// The home geography's name.
    #[serde(default)]
    pub home_geo_name: Option<String>,
    /// The home geography's API host.
    #[serde(default)]
    pub home_geo_api_host: Option<String>,
}

/// The authenticated user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MyUser {
    /// Login name.
    pub user_name: String,
    /// Full name.
    #[serde(default)]
    pub full_name: String,
    /// E-mail address.
    #[serde(default)]
    pub email_address: String,
    /// The user's organisation.
    pub organization: Organization,
}

impl Client {
    /// The authenticated user (and so the organisation id). Fails with
    /// [`crate::Error::Unauthorized`] for bad credentials.
    pub async fn my_user(&self) -> Result<MyUser> {
        self.get_unscoped("GET user/myUser", &["user", "myUser"])
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_my_user() {
        let body = r#"{"userName":"ops","fullName":"Ops Team","firstName":"Ops","lastName":"Team",
            "emailAddress":"ops@example.com","role":[{"name":"server"}],"phone":{"countryCode":"1","number":"5550100"},
            "organization":{"id":"6ac1e746-b1ea-4da5-a24e-caf1a978789d","name":"Example Org",
            "homeGeoName":"Europe","homeGeoApiHost":"api-eu.dimensiondata.com","homeGeoId":"europe"},"state":"NORMAL"}"#;
        let user: MyUser = serde_json::from_str(body).unwrap();
        assert_eq!(user.user_name, "ops");
        assert_eq!(user.organization.id, "6ac1e746-b1ea-4da5-a24e-caf1a978789d");
        assert_eq!(
            user.organization.home_geo_api_host.as_deref(),
            Some("api-eu.dimensiondata.com")
        );
    }
}
