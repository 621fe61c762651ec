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
    /// With the deployment's P-256 key (published in the JWKS).
    ES256,
}

impl SigningAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::HS256 => "HS256",
            SigningAlg::ES256 => "ES256",
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
    /// The authorization code flow demands PKCE (RFC 7636) of this client. A client that
    /// authenticates with `none` (a public client) always needs it.
    pub require_pkce: bool,
    /// `code_challenge_method=plain` is accepted; otherwise only `S256`.
    pub allow_plain_pkce: bool,
    /// The user is not asked to consent to this (first-party) application's scopes.
    pub skip_consent: bool,
    /// The second-factor kinds (`OTP`/`SMS`/`EMAIL`) a login through this application asks
    /// for, replacing the pool's (`service::mfa_login`); `None` follows the pool. Kept in
    /// this document, which is read with the application itself, so that a login pays no
    /// extra read to learn it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_enabled_factors: Option<Vec<String>>,
}

impl OidcSettings {
    /// Whether the client proves itself with a secret at the token endpoint.
    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == "none"
    }

    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }

    /// `response_type` values are sets of words: `code id_token` equals `id_token code`.
    pub fn allows_response_type(&self, response_type: &str) -> bool {
        let mut asked: Vec<&str> = response_type.split_whitespace().collect();
        asked.sort_unstable();
        self.response_types.iter().any(|r| {
            let mut have: Vec<&str> = r.split_whitespace().collect();
            have.sort_unstable();
            have == asked
        })
    }
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
            require_pkce: false,
            allow_plain_pkce: false,
            skip_consent: false,
            mfa_enabled_factors: None,
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

impl Application {
    /// Whether `given` is this application's secret: the one comparison every way of
    /// presenting it uses (a v3 sign-in's body or `Basic`, the OpenID Provider's client
    /// authentication, an application principal), in constant time.
    pub fn secret_matches(&self, given: &str) -> bool {
        crate::crypto::ct_eq(given.as_bytes(), self.secret.as_bytes())
    }
}

/// A programmatic access key (v3 `accessKeyId` / `accessKeySecret`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    pub pool_id: String,
    /// The application whose programmatic access account this is; `None` for a key of the
    /// pool itself. Only a pool's keys administer the pool (v3 signatures and management
    /// tokens); an application's account is a client of the provider and nothing more.
    pub app_id: Option<String>,
    pub secret: String,
    pub enabled: bool,
    pub created_at: i64,
}
