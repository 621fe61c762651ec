//! The v3 SDK methods (`catalog.json`, written by `scripts/v3-catalog` from the spec's
//! catalog of authing-node-sdk 4.0.x): names for refusals of methods Tessera does not serve,
//! and the type of each GET query field, so a typed request struct receives `page=2` as a
//! number and `userIds[]=a` as a list.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

/// One SDK method.
#[derive(Debug, Deserialize)]
pub struct Method {
    pub client: Client,
    pub method: String,
    pub verb: String,
    pub path: String,
    pub family: String,
    pub query: HashMap<String, QueryType>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Client {
    Management,
    Authentication,
}

/// A query field's type as the SDK declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QueryType {
    String,
    Number,
    Boolean,
    List,
}

static METHODS: LazyLock<Vec<Method>> = LazyLock::new(|| {
    // The file is part of the binary and checked by a test below: it parses.
    serde_json::from_str(include_str!("catalog.json")).unwrap_or_default()
});

/// Every method of the catalog.
#[cfg(test)]
pub fn methods() -> &'static [Method] {
    &METHODS
}

/// The method a verb and path name, preferring the management client's.
pub fn find(verb: &str, path: &str) -> Option<&'static Method> {
    let mut found = METHODS
        .iter()
        .filter(|m| m.verb.eq_ignore_ascii_case(verb) && m.path == path);
    let first = found.next()?;
    if first.client == Client::Management {
        return Some(first);
    }
    Some(
        found
            .find(|m| m.client == Client::Management)
            .unwrap_or(first),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_parses_and_is_complete() {
        let all = methods();
        // authing-node-sdk 4.0.x: 497 ManagementClient and 122 generated
        // AuthenticationClient methods (`v3-wire.md` §4, §5.6).
        assert_eq!(all.len(), 619);
        let mgmt = all
            .iter()
            .filter(|m| m.client == Client::Management)
            .count();
        assert_eq!(mgmt, 497);
        let m = find("GET", "/api/v3/get-user").expect("getUser");
        assert_eq!(m.method, "getUser");
        assert_eq!(m.query.get("withCustomData"), Some(&QueryType::Boolean));
        assert_eq!(
            find("POST", "/api/v3/list-users").unwrap().method,
            "listUsers"
        );
        assert_eq!(
            find("GET", "/api/v3/list-users").unwrap().method,
            "listUsersLegacy"
        );
    }
}
