//! WeChat's server APIs as the core needs them: for mini-program logins, a login code turned
//! into the user's ids and session key, the mini-program's access token, and a phone-number
//! code turned into the number; for mobile apps (the open platform), an authorization code
//! turned into the user's ids and an access token, and that token into the profile. The core decides when to ask; a [`WechatApi`] implemented
//! outside the core (`tessera-notify`, over HTTP) asks. Failures come back as
//! [`Error::Provider`], never as WeChat's words.

use async_trait::async_trait;

use crate::error::{Error, ProviderFailure, Result};

/// What a mini-program login code proved (`jscode2session`).
#[derive(Clone, PartialEq, Eq)]
pub struct WechatSession {
    /// The user's id within this mini-program.
    pub openid: String,
    /// The user's id across the WeChat open-platform account's apps, when it has one.
    pub unionid: Option<String>,
    /// Base64 of the 16-byte AES key of the user's encrypted data (a secret: never logged).
    pub session_key: String,
}

/// Ids only: the session key is a secret.
impl std::fmt::Debug for WechatSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatSession")
            .field("openid", &self.openid)
            .field("unionid", &self.unionid)
            .finish_non_exhaustive()
    }
}

/// A mini-program's access token for WeChat's server APIs.
#[derive(Clone, PartialEq, Eq)]
pub struct WechatAccessToken {
    pub access_token: String,
    /// Lifetime in seconds from when it was issued.
    pub expires_in: i64,
}

impl std::fmt::Debug for WechatAccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatAccessToken")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// A phone number WeChat vouched for (`getuserphonenumber`'s `phone_info`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WechatPhone {
    /// As the user sees it; with the country code for numbers outside mainland China.
    pub phone_number: String,
    /// Without the country code.
    pub pure_phone_number: String,
    /// Digits only (`86`), as WeChat gives it.
    pub country_code: String,
    /// The mini-program the number was given to.
    pub watermark_appid: String,
    /// When WeChat gave it (seconds).
    pub watermark_timestamp: i64,
}

/// What a mobile app's authorization code proved (`sns/oauth2/access_token`).
#[derive(Clone, PartialEq, Eq)]
pub struct WechatOauth {
    /// The user's id within this mobile app.
    pub openid: String,
    /// The user's id across the open-platform account's apps, when it has one.
    pub unionid: Option<String>,
    /// The user's access token for `sns/userinfo` (a secret: never logged).
    pub access_token: String,
}

impl std::fmt::Debug for WechatOauth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatOauth")
            .field("openid", &self.openid)
            .field("unionid", &self.unionid)
            .finish_non_exhaustive()
    }
}

/// The profile `sns/userinfo` gives (the fields Tessera keeps).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WechatProfile {
    pub nickname: Option<String>,
    /// The avatar's URL (`headimgurl`).
    pub photo: Option<String>,
    pub unionid: Option<String>,
}

/// WeChat's server APIs. Implementations time out rather than hang, log no secret, code or
/// token, and turn WeChat's `errcode` into [`ProviderFailure::Refused`] and an unreachable or
/// unreadable answer into [`ProviderFailure::Unavailable`].
#[async_trait]
pub trait WechatApi: Send + Sync + 'static {
    /// `jscode2session`: the login code of `appid` (authenticated by `secret`).
    async fn code_to_session(&self, appid: &str, secret: &str, code: &str)
        -> Result<WechatSession>;

    /// `cgi-bin/token`: an access token of `appid`.
    async fn access_token(&self, appid: &str, secret: &str) -> Result<WechatAccessToken>;

    /// `wxa/business/getuserphonenumber`: the number a phone-number button's code stands for.
    async fn phone_number(&self, access_token: &str, code: &str) -> Result<WechatPhone>;

    /// `sns/oauth2/access_token`: a mobile app's authorization `code` of `appid`
    /// (authenticated by `secret`).
    async fn oauth_access_token(
        &self,
        appid: &str,
        secret: &str,
        code: &str,
    ) -> Result<WechatOauth>;

    /// `sns/userinfo`: the profile of `openid` under the user's access token.
    async fn user_info(&self, access_token: &str, openid: &str) -> Result<WechatProfile>;
}

/// The client of a deployment that configured none: every call is refused, and nothing is
/// sent anywhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoWechat;

#[async_trait]
impl WechatApi for NoWechat {
    async fn code_to_session(&self, _: &str, _: &str, _: &str) -> Result<WechatSession> {
        Err(Error::Provider(ProviderFailure::NotConfigured))
    }

    async fn access_token(&self, _: &str, _: &str) -> Result<WechatAccessToken> {
        Err(Error::Provider(ProviderFailure::NotConfigured))
    }

    async fn phone_number(&self, _: &str, _: &str) -> Result<WechatPhone> {
        Err(Error::Provider(ProviderFailure::NotConfigured))
    }

    async fn oauth_access_token(&self, _: &str, _: &str, _: &str) -> Result<WechatOauth> {
        Err(Error::Provider(ProviderFailure::NotConfigured))
    }

    async fn user_info(&self, _: &str, _: &str) -> Result<WechatProfile> {
        Err(Error::Provider(ProviderFailure::NotConfigured))
    }
}
