//! WeChat's server APIs over HTTPS (reqwest): `jscode2session`, `cgi-bin/token`,
//! `wxa/business/getuserphonenumber`, and the open platform's `sns/oauth2/access_token` and
//! `sns/userinfo`, at a base URL that defaults to WeChat's and that tests
//! point at a local mock. Secrets, codes and tokens travel in query strings and bodies, so
//! neither a URL nor a body is ever logged: only the API's name and WeChat's `errcode`.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;
use tessera_core::wechat::{
    WechatAccessToken, WechatApi, WechatOauth, WechatPhone, WechatProfile, WechatSession,
};
use tessera_core::{Error, ProviderFailure, Result};

use crate::outbound::Outbound;

/// WeChat's API host.
pub const DEFAULT_WECHAT_API_BASE: &str = "https://api.weixin.qq.com";

/// A WeChat API client: one connection pool, a timeout on every call.
#[derive(Debug, Clone)]
pub struct WechatHttp {
    base: String,
    client: Outbound,
}

/// Every field WeChat may answer; absent ones are defaults. `errcode` is 0 or absent on
/// success.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Answer {
    errcode: i64,
    openid: String,
    unionid: Option<String>,
    session_key: String,
    access_token: String,
    expires_in: i64,
    phone_info: Option<PhoneInfo>,
    nickname: Option<String>,
    headimgurl: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PhoneInfo {
    phone_number: String,
    pure_phone_number: String,
    country_code: String,
    watermark: Watermark,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Watermark {
    appid: String,
    timestamp: i64,
}

fn unavailable(api: &'static str, why: &str) -> Error {
    tracing::warn!(api, why, "WeChat API unavailable");
    Error::Provider(ProviderFailure::Unavailable)
}

impl WechatHttp {
    /// A client of `base` (`https://api.weixin.qq.com`, or a mock's URL), without a
    /// trailing slash needed.
    pub fn new(base: &str) -> WechatHttp {
        // Below the SDKs' 10 s request timeout, so the caller hears the reason.
        let client = Outbound::with_timeout(Duration::from_secs(6));
        WechatHttp {
            base: base.trim_end_matches('/').to_owned(),
            client,
        }
    }

    /// Reads WeChat's answer: HTTP failures and unreadable bodies are "unavailable", a
    /// non-zero `errcode` is a refusal carrying it (and the only thing logged of it).
    async fn answer(api: &'static str, sent: reqwest::RequestBuilder) -> Result<Answer> {
        let resp = sent
            .send()
            .await
            .map_err(|e| unavailable(api, &e.without_url().to_string()))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(unavailable(api, &format!("HTTP {}", status.as_u16())));
        }
        let answer: Answer = resp
            .json()
            .await
            .map_err(|_| unavailable(api, "unreadable answer"))?;
        if answer.errcode != 0 {
            tracing::info!(api, errcode = answer.errcode, "WeChat refused");
            return Err(Error::Provider(ProviderFailure::Refused {
                provider_code: answer.errcode,
            }));
        }
        Ok(answer)
    }
}

#[async_trait]
impl WechatApi for WechatHttp {
    async fn code_to_session(
        &self,
        appid: &str,
        secret: &str,
        code: &str,
    ) -> Result<WechatSession> {
        let req = self
            .client
            .get(format!("{}/sns/jscode2session", self.base))
            .query(&[
                ("appid", appid),
                ("secret", secret),
                ("js_code", code),
                ("grant_type", "authorization_code"),
            ]);
        let a = Self::answer("jscode2session", req).await?;
        if a.openid.is_empty() || a.session_key.is_empty() {
            return Err(unavailable("jscode2session", "no openid or session_key"));
        }
        Ok(WechatSession {
            openid: a.openid,
            unionid: a.unionid.filter(|u| !u.is_empty()),
            session_key: a.session_key,
        })
    }

    async fn access_token(&self, appid: &str, secret: &str) -> Result<WechatAccessToken> {
        let req = self
            .client
            .get(format!("{}/cgi-bin/token", self.base))
            .query(&[
                ("grant_type", "client_credential"),
                ("appid", appid),
                ("secret", secret),
            ]);
        let a = Self::answer("token", req).await?;
        if a.access_token.is_empty() {
            return Err(unavailable("token", "no access_token"));
        }
        Ok(WechatAccessToken {
            access_token: a.access_token,
            expires_in: a.expires_in,
        })
    }

    async fn phone_number(&self, access_token: &str, code: &str) -> Result<WechatPhone> {
        let req = self
            .client
            .post(format!("{}/wxa/business/getuserphonenumber", self.base))
            .query(&[("access_token", access_token)])
            .json(&json!({ "code": code }));
        let a = Self::answer("getuserphonenumber", req).await?;
        let p = a
            .phone_info
            .filter(|p| !p.pure_phone_number.is_empty())
            .ok_or_else(|| unavailable("getuserphonenumber", "no phone_info"))?;
        Ok(WechatPhone {
            phone_number: p.phone_number,
            pure_phone_number: p.pure_phone_number,
            country_code: p.country_code,
            watermark_appid: p.watermark.appid,
            watermark_timestamp: p.watermark.timestamp,
        })
    }

    async fn oauth_access_token(
        &self,
        appid: &str,
        secret: &str,
        code: &str,
    ) -> Result<WechatOauth> {
        let req = self
            .client
            .get(format!("{}/sns/oauth2/access_token", self.base))
            .query(&[
                ("appid", appid),
                ("secret", secret),
                ("code", code),
                ("grant_type", "authorization_code"),
            ]);
        let a = Self::answer("oauth2/access_token", req).await?;
        if a.openid.is_empty() || a.access_token.is_empty() {
            return Err(unavailable(
                "oauth2/access_token",
                "no openid or access_token",
            ));
        }
        Ok(WechatOauth {
            openid: a.openid,
            unionid: a.unionid.filter(|u| !u.is_empty()),
            access_token: a.access_token,
        })
    }

    async fn user_info(&self, access_token: &str, openid: &str) -> Result<WechatProfile> {
        let req = self
            .client
            .get(format!("{}/sns/userinfo", self.base))
            .query(&[("access_token", access_token), ("openid", openid)]);
        let a = Self::answer("userinfo", req).await?;
        let some = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        Ok(WechatProfile {
            nickname: some(a.nickname),
            photo: some(a.headimgurl),
            unionid: some(a.unionid),
        })
    }
}
