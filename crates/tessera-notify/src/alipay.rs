//! Alipay's open-platform gateway over HTTPS (reqwest): `alipay.system.oauth.token`, a form
//! POST of the common request parameters signed with RSA2 (`crypto::alipay_sign`), at a
//! gateway URL that defaults to Alipay's and that tests point at a local mock. The key,
//! code and tokens travel in the body, so neither a body nor an answer is ever logged: only
//! the method's name and Alipay's error `code`.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use tessera_core::alipay::{AlipayApi, AlipayUser};
use tessera_core::crypto::alipay_sign::{private_key, sign_rsa2, signing_content, url_encode};
use tessera_core::{Error, ProviderFailure, Result};
use time::{OffsetDateTime, UtcOffset};

use crate::outbound::Outbound;

/// Alipay's gateway.
pub const DEFAULT_ALIPAY_GATEWAY: &str = "https://openapi.alipay.com/gateway.do";

const METHOD: &str = "alipay.system.oauth.token";

/// An Alipay gateway client: one connection pool, a timeout on every call.
#[derive(Debug, Clone)]
pub struct AlipayHttp {
    gateway: String,
    client: Outbound,
}

/// `{alipay_system_oauth_token_response: {user_id, open_id, …}}` on success,
/// `{error_response: {code, msg, sub_code}}` on a refusal (Alipay open docs).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Answer {
    alipay_system_oauth_token_response: Option<TokenResponse>,
    error_response: Option<ErrorResponse>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenResponse {
    user_id: Option<String>,
    open_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ErrorResponse {
    code: String,
}

fn unavailable(why: &str) -> Error {
    tracing::warn!(method = METHOD, why, "Alipay gateway unavailable");
    Error::Provider(ProviderFailure::Unavailable)
}

/// Alipay's `timestamp`: `yyyy-MM-dd HH:mm:ss` in China time (UTC+8), per its common
/// request parameters.
fn timestamp() -> String {
    let offset = UtcOffset::from_hms(8, 0, 0).unwrap_or(UtcOffset::UTC);
    let t = OffsetDateTime::now_utc().to_offset(offset);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl AlipayHttp {
    /// A client of `gateway` (`https://openapi.alipay.com/gateway.do`, or a mock's URL).
    pub fn new(gateway: &str) -> AlipayHttp {
        // Below the SDKs' 10 s request timeout, so the caller hears the reason.
        let client = Outbound::with_timeout(Duration::from_secs(6));
        AlipayHttp {
            gateway: gateway.to_owned(),
            client,
        }
    }
}

#[async_trait]
impl AlipayApi for AlipayHttp {
    async fn oauth_token(
        &self,
        app_id: &str,
        key_text: &str,
        auth_code: &str,
    ) -> Result<AlipayUser> {
        // A key that cannot sign is the connection's configuration, not Alipay's answer.
        let key = private_key(key_text).map_err(|_| Error::IdentitySourceNotConfigured)?;
        let ts = timestamp();
        let mut params: Vec<(&str, &str)> = vec![
            ("app_id", app_id),
            ("method", METHOD),
            ("format", "JSON"),
            ("charset", "utf-8"),
            ("sign_type", "RSA2"),
            ("timestamp", &ts),
            ("version", "1.0"),
            ("grant_type", "authorization_code"),
            ("code", auth_code),
        ];
        let sign = sign_rsa2(&key, &signing_content(&params))
            .map_err(|_| Error::IdentitySourceNotConfigured)?;
        params.push(("sign", &sign));
        let form = params
            .iter()
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let resp = self
            .client
            .post(&self.gateway)
            .header(
                "content-type",
                "application/x-www-form-urlencoded;charset=utf-8",
            )
            .body(form)
            .send()
            .await
            .map_err(|e| unavailable(&e.without_url().to_string()))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(unavailable(&format!("HTTP {}", status.as_u16())));
        }
        let a: Answer = resp
            .json()
            .await
            .map_err(|_| unavailable("unreadable answer"))?;
        if let Some(e) = a.error_response.filter(|e| !e.code.is_empty()) {
            // Alipay's codes are numbers as text (`40002`); anything else counts as 0.
            let provider_code = e.code.parse().unwrap_or(0);
            tracing::info!(method = METHOD, code = %e.code, "Alipay refused");
            return Err(Error::Provider(ProviderFailure::Refused { provider_code }));
        }
        let t = a
            .alipay_system_oauth_token_response
            .ok_or_else(|| unavailable("no token response"))?;
        let user = AlipayUser {
            user_id: t.user_id.filter(|s| !s.is_empty()),
            open_id: t.open_id.filter(|s| !s.is_empty()),
        };
        if user.user_id.is_none() && user.open_id.is_none() {
            return Err(unavailable("no user_id or open_id"));
        }
        Ok(user)
    }
}
