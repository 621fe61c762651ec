//! An external OpenID Provider's back-channel endpoints as the core needs them for a browser
//! flow through an `oidc` connection (`service::ext_oidc`): the token endpoint (an
//! authorization code exchanged, client authentication `client_secret_post`), the JWKS and
//! the userinfo endpoint. The core decides what to ask and checks every answer; an
//! [`OidcUpstreamApi`] implemented outside the core (`tessera-notify`, over HTTP) asks.

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::error::{Error, ProviderFailure, Result};

/// The back-channel calls. Implementations time out rather than hang, log no code, secret or
/// token (nor a URL, which may carry them), and turn an error answer of the provider into
/// [`ProviderFailure::Refused`] (with its HTTP status as the provider's code) and an
/// unreachable provider or an unreadable answer into [`ProviderFailure::Unavailable`].
#[async_trait]
pub trait OidcUpstreamApi: Send + Sync + 'static {
    /// POSTs `form` (`application/x-www-form-urlencoded`) to `token_endpoint`: the JSON
    /// object it answers.
    async fn token(
        &self,
        token_endpoint: &str,
        form: &[(&str, &str)],
    ) -> Result<Map<String, Value>>;

    /// GETs `url` (a JWKS or, with the user's access token as `bearer`, the userinfo
    /// endpoint): the JSON object it answers.
    async fn get_json(&self, url: &str, bearer: Option<&str>) -> Result<Map<String, Value>>;
}

/// The client of a deployment that configured none: every call is refused, nothing is sent.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoOidcUpstream;

#[async_trait]
impl OidcUpstreamApi for NoOidcUpstream {
    async fn token(&self, _: &str, _: &[(&str, &str)]) -> Result<Map<String, Value>> {
        Err(Error::Provider(ProviderFailure::NotConfigured))
    }

    async fn get_json(&self, _: &str, _: Option<&str>) -> Result<Map<String, Value>> {
        Err(Error::Provider(ProviderFailure::NotConfigured))
    }
}
