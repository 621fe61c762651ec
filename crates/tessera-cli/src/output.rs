//! The JSON the CLI prints (`--json`, and the credentials shown at first start): its own
//! shapes, so the core's types carry no output format. Credential field names are those of
//! the SDKs' options, so the output can be pasted into a client's configuration.

use serde::Serialize;
use tessera_core::model::Application;
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

/// An application as `tessera app create|update|list --json` print it: the OAuth client id
/// and its settings under the names the management API uses. The secret only at creation.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppJson<'a> {
    pub id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<&'a str>,
    pub name: &'a str,
    pub identifier: &'a str,
    pub user_pool_id: &'a str,
    pub redirect_uris: &'a [String],
    pub logout_redirect_uris: &'a [String],
    pub grant_types: &'a [String],
    pub response_types: &'a [String],
    pub token_endpoint_auth_method: &'a str,
    pub id_token_signed_response_alg: &'a str,
    pub id_token_expires_in: i64,
    pub access_token_expires_in: i64,
    pub refresh_token_expires_in: i64,
    pub require_pkce: bool,
    pub allow_plain_pkce: bool,
    pub skip_consent: bool,
}

impl<'a> From<&'a Application> for AppJson<'a> {
    fn from(a: &'a Application) -> Self {
        let o = &a.oidc;
        AppJson {
            id: &a.id,
            secret: None,
            name: &a.name,
            identifier: &a.identifier,
            user_pool_id: &a.pool_id,
            redirect_uris: &o.redirect_uris,
            logout_redirect_uris: &o.post_logout_redirect_uris,
            grant_types: &o.grant_types,
            response_types: &o.response_types,
            token_endpoint_auth_method: &o.token_endpoint_auth_method,
            id_token_signed_response_alg: o.id_token_signing_alg.as_str(),
            id_token_expires_in: o.id_token_lifetime,
            access_token_expires_in: o.access_token_lifetime,
            refresh_token_expires_in: o.refresh_token_lifetime,
            require_pkce: o.require_pkce,
            allow_plain_pkce: o.allow_plain_pkce,
            skip_consent: o.skip_consent,
        }
    }
}

impl<'a> AppJson<'a> {
    pub fn with_secret(a: &'a Application) -> Self {
        AppJson {
            secret: Some(&a.secret),
            ..AppJson::from(a)
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
