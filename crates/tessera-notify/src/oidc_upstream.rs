//! External OpenID Providers' back channels over HTTP(S) (reqwest, the shared outbound
//! client): the token endpoint, JWKS and userinfo of an `oidc` connection. Codes, secrets and
//! tokens travel in bodies and headers and a configured URL may carry anything, so neither a
//! URL nor a body is logged: only which call failed and the HTTP status.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value};
use tessera_core::oidc_upstream::OidcUpstreamApi;
use tessera_core::{Error, ProviderFailure, Result};

use crate::outbound::Outbound;

/// An OpenID Provider client: a timeout on every call.
#[derive(Debug, Clone)]
pub struct OidcHttp {
    client: Outbound,
}

impl Default for OidcHttp {
    fn default() -> Self {
        OidcHttp::new()
    }
}

fn unavailable(call: &'static str, why: &str) -> Error {
    tracing::warn!(call, why, "OIDC provider unavailable");
    Error::Provider(ProviderFailure::Unavailable)
}

impl OidcHttp {
    pub fn new() -> OidcHttp {
        // A browser waits on the callback: a provider that does not answer within this is
        // reported as down rather than leaving the page hanging.
        OidcHttp {
            client: Outbound::with_timeout(Duration::from_secs(8)),
        }
    }

    /// The JSON object answered: a transport failure or an unreadable body is
    /// "unavailable", an HTTP error status a refusal carrying the status.
    async fn answer(
        call: &'static str,
        sent: reqwest::RequestBuilder,
    ) -> Result<Map<String, Value>> {
        let resp = sent
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| unavailable(call, &e.without_url().to_string()))?;
        let status = resp.status();
        if status.is_server_error() {
            return Err(unavailable(call, &format!("HTTP {}", status.as_u16())));
        }
        if !status.is_success() {
            tracing::info!(call, status = status.as_u16(), "OIDC provider refused");
            return Err(Error::Provider(ProviderFailure::Refused {
                provider_code: i64::from(status.as_u16()),
            }));
        }
        match resp.json::<Value>().await {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(unavailable(call, "unreadable answer")),
        }
    }
}

#[async_trait]
impl OidcUpstreamApi for OidcHttp {
    async fn token(
        &self,
        token_endpoint: &str,
        form: &[(&str, &str)],
    ) -> Result<Map<String, Value>> {
        let req = self.client.post(token_endpoint).form(form);
        Self::answer("token", req).await
    }

    async fn get_json(&self, url: &str, bearer: Option<&str>) -> Result<Map<String, Value>> {
        let mut req = self.client.get(url);
        let call = match bearer {
            Some(t) => {
                req = req.bearer_auth(t);
                "userinfo"
            }
            None => "jwks",
        };
        Self::answer(call, req).await
    }
}
