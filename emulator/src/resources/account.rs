//! The caller's account: `GET /caas/2.N/user/myUser` (JSON) and `GET /oec/0.9/myaccount` (XML).

use crate::accounts::Account;
use crate::xml::escape;
use serde_json::{json, Value};

/// `GET /caas/2.N/user/myUser`.
pub fn my_user(account: &Account) -> Value {
    json!({
        "userName": account.user,
        "fullName": format!("{} (emulated)", account.user),
        "firstName": account.user,
        "lastName": "Emulated",
        "emailAddress": format!("{}@example.invalid", account.user),
        "role": ["server", "network", "create image", "reports", "primary administrator"],
        "phone": {"countryCode": "1", "number": "5555550100"},
        "department": "",
        "customDefined1": "",
        "customDefined2": "",
        "organization": {
            "id": account.org_id,
            "name": format!("{} organisation", account.user),
            "homeGeoName": "North America",
            "homeGeoApiHost": "api-na.dimensiondata.com",
            "homeGeoId": "north_america",
        },
        "state": "NORMAL",
    })
}

/// `GET /oec/0.9/myaccount`: the v1 XML account document.
pub fn my_account_xml(account: &Account) -> String {
    let user = escape(&account.user);
    let roles: String = [
        "server",
        "network",
        "create image",
        "reports",
        "primary administrator",
    ]
    .iter()
    .map(|r| format!("<ns3:role><ns3:name>{r}</ns3:name></ns3:role>"))
    .collect();
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
            r#"<ns3:Account xmlns:ns2="http://oec.api.opsource.net/schemas/organization" "#,
            r#"xmlns:ns3="http://oec.api.opsource.net/schemas/directory">"#,
            "<ns3:userName>{user}</ns3:userName><ns3:fullName>{user} (emulated)</ns3:fullName>",
            "<ns3:firstName>{user}</ns3:firstName><ns3:lastName>Emulated</ns3:lastName>",
            "<ns3:emailAddress>{user}@example.invalid</ns3:emailAddress>",
            "<ns3:department></ns3:department><ns3:customDefined1></ns3:customDefined1>",
            "<ns3:customDefined2></ns3:customDefined2><ns3:orgId>{org}</ns3:orgId>",
            "<ns3:roles>{roles}</ns3:roles></ns3:Account>"
        ),
        user = user,
        org = escape(&account.org_id),
        roles = roles
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_names_the_org_and_escapes() {
        let mut a = Account::demo();
        a.user = "a<b".into();
        let xml = my_account_xml(&a);
        assert!(xml.contains(&format!("<ns3:orgId>{}</ns3:orgId>", a.org_id)));
        assert!(xml.contains("a&lt;b"));
    }
}
