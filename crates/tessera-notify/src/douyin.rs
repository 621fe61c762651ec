//! Douyin's server API over HTTPS (reqwest): `apps/v2/jscode2session`, at a base URL that
//! defaults to Douyin's (`developer.toutiao.com`) and that tests point at a local mock. The
//! secret and code travel in the body, so neither a URL nor a body is ever logged: only the
//! API's name and Douyin's `err_no`.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;
use tessera_core::douyin::{DouyinApi, DouyinSession};
use tessera_core::{Error, ProviderFailure, Result};

use crate::outbound::Outbound;

/// Douyin's open API host for mini-programs.
pub const DEFAULT_DOUYIN_API_BASE: &str = "https://developer.toutiao.com";

/// A Douyin API client: one connection pool, a timeout on every call.
#[derive(Debug, Clone)]
pub struct DouyinHttp {
    base: String,
    client: Outbound,
}

/// `{err_no, err_tips, data: {session_key, openid, unionid, anonymous_openid}}`; `err_no` is
/// 0 on success (Douyin open docs, `jscode2session` v2).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Answer {
    err_no: i64,
    data: Option<SessionData>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SessionData {
    session_key: String,
    openid: String,
    unionid: Option<String>,
}

fn unavailable(why: &str) -> Error {
    tracing::warn!(api = "jscode2session", why, "Douyin API unavailable");
    Error::Provider(ProviderFailure::Unavailable)
}

impl DouyinHttp {
    /// A client of `base` (`https://developer.toutiao.com`, or a mock's URL).
    pub fn new(base: &str) -> DouyinHttp {
        // Below the SDKs' 10 s request timeout, so the caller hears the reason.
        let client = Outbound::with_timeout(Duration::from_secs(6));
        DouyinHttp {
            base: base.trim_end_matches('/').to_owned(),
            client,
        }
    }
}

#[async_trait]
impl DouyinApi for DouyinHttp {
    async fn code_to_session(
        &self,
        appid: &str,
        secret: &str,
        code: &str,
    ) -> Result<DouyinSession> {
        let resp = self
            .client
            .post(format!("{}/api/apps/v2/jscode2session", self.base))
            .json(&json!({ "appid": appid, "secret": secret, "code": code, "anonymous_code": "" }))
            .send()
            .await
            .map_err(|e| unavailable(&e.without_url().to_string()))?;
        let status = resp.status();
        // Douyin answers a refusal with HTTP 200 and an `err_no`; anything else not 2xx is
        // an outage.
        if !status.is_success() {
            return Err(unavailable(&format!("HTTP {}", status.as_u16())));
        }
        let a: Answer = resp
            .json()
            .await
            .map_err(|_| unavailable("unreadable answer"))?;
        if a.err_no != 0 {
            tracing::info!(api = "jscode2session", err_no = a.err_no, "Douyin refused");
            return Err(Error::Provider(ProviderFailure::Refused {
                provider_code: a.err_no,
            }));
        }
        let d = a
            .data
            .filter(|d| !d.openid.is_empty() && !d.session_key.is_empty())
            .ok_or_else(|| unavailable("no openid or session_key"))?;
        Ok(DouyinSession {
            openid: d.openid,
            unionid: d.unionid.filter(|u| !u.is_empty()),
            session_key: d.session_key,
        })
    }
}
