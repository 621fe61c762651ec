//! The JSON the CLI prints (`--json`, and the credentials shown at first start): its own
//! shapes, so the core's types carry no output format. Credential field names are those of
//! the SDKs' options, so the output can be pasted into a client's configuration.

use serde::Serialize;
use tessera_core::service::keys::Rotation;
use tessera_core::service::pools::{PoolCredentials, PoolSummary};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialsJson<'a> {
    pub user_pool_id: &'a str,
    pub secret: &'a str,
    pub app_id: &'a str,
    pub app_secret: &'a str,
    pub app_host: &'a str,
    pub access_key_id: &'a str,
    pub access_key_secret: &'a str,
    pub public_key: &'a str,
}

impl<'a> From<&'a PoolCredentials> for CredentialsJson<'a> {
    fn from(c: &'a PoolCredentials) -> Self {
        CredentialsJson {
            user_pool_id: &c.user_pool_id,
            secret: &c.secret,
            app_id: &c.app_id,
            app_secret: &c.app_secret,
            app_host: &c.app_host,
            access_key_id: &c.access_key_id,
            access_key_secret: &c.access_key_secret,
            public_key: &c.public_key,
        }
    }
}

/// One line of `tessera pool list --json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolJson<'a> {
    pub user_pool_id: &'a str,
    pub name: &'a str,
    pub domain: &'a str,
    pub app_ids: &'a [String],
    pub user_count: i64,
    pub created_at: &'a str,
}

impl<'a> From<&'a PoolSummary> for PoolJson<'a> {
    fn from(p: &'a PoolSummary) -> Self {
        PoolJson {
            user_pool_id: &p.user_pool_id,
            name: &p.name,
            domain: &p.domain,
            app_ids: &p.app_ids,
            user_count: p.user_count,
            created_at: &p.created_at,
        }
    }
}

/// `tessera keys rotate --json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RotationJson<'a> {
    pub new_kid: &'a str,
    pub retired_kids: &'a [String],
    /// ms since the epoch.
    pub old_keys_verifiable_until: i64,
}

impl<'a> From<&'a Rotation> for RotationJson<'a> {
    fn from(r: &'a Rotation) -> Self {
        RotationJson {
            new_kid: &r.new_kid,
            retired_kids: &r.retired_kids,
            old_keys_verifiable_until: r.old_keys_verifiable_until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_use_the_sdk_option_names() {
        let c = PoolCredentials {
            user_pool_id: "p".into(),
            secret: "s".into(),
            app_id: "a".into(),
            app_secret: "as".into(),
            app_host: "http://h".into(),
            access_key_id: "k".into(),
            access_key_secret: "ks".into(),
            public_key: "pem".into(),
        };
        assert_eq!(
            serde_json::to_value(CredentialsJson::from(&c)).unwrap(),
            serde_json::json!({
                "userPoolId": "p", "secret": "s", "appId": "a", "appSecret": "as",
                "appHost": "http://h", "accessKeyId": "k", "accessKeySecret": "ks",
                "publicKey": "pem",
            })
        );
    }
}
