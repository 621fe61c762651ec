//! Applications: the OAuth/OIDC clients of a pool and the `appId` the AuthenticationClient uses.

use serde::{Deserialize, Serialize};

/// How tokens issued for an application are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SigningAlg {
    /// With the deployment's rotating RSA keys (published in the JWKS).
    #[default]
    RS256,
    /// With the application's secret, for back ends that verify with a shared secret.
    HS256,
}

impl SigningAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::HS256 => "HS256",
        }
    }
}

/// OIDC client settings. Stored as one JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OidcSettings {
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    /// `client_secret_post`, `client_secret_basic` or `none`.
    pub token_endpoint_auth_method: String,
    pub id_token_signing_alg: SigningAlg,
    /// Seconds.
    pub id_token_lifetime: i64,
    pub access_token_lifetime: i64,
    pub refresh_token_lifetime: i64,
}

impl Default for OidcSettings {
    fn default() -> Self {
        OidcSettings {
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            response_types: vec!["code".into()],
            token_endpoint_auth_method: "client_secret_post".into(),
            id_token_signing_alg: SigningAlg::RS256,
            id_token_lifetime: 1_209_600,
            access_token_lifetime: 1_209_600,
            refresh_token_lifetime: 2_592_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: String,
    pub pool_id: String,
    pub name: String,
    /// Unique label used in the application's default domain.
    pub identifier: String,
    pub description: Option<String>,
    pub logo: Option<String>,
    pub secret: String,
    pub oidc: OidcSettings,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A programmatic access key (v3 `accessKeyId` / `accessKeySecret`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    pub pool_id: String,
    pub secret: String,
    pub enabled: bool,
    pub created_at: i64,
}
