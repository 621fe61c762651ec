//! Douyin's (ByteDance's) server API as the core needs it for mini-program logins: a login
//! code turned into the user's ids and session key (`jscode2session`). The core decides when
//! to ask; a [`DouyinApi`] implemented outside the core (`tessera-notify`, over HTTP) asks.
//! Failures come back as [`Error::Provider`], never as Douyin's words.

use async_trait::async_trait;

use crate::error::{Error, ProviderFailure, Result};

/// What a Douyin mini-program login code proved (`apps/v2/jscode2session`'s `data`).
#[derive(Clone, PartialEq, Eq)]
pub struct DouyinSession {
    /// The user's id within this mini-program.
    pub openid: String,
    /// The user's id across the developer's apps, when Douyin gives one.
    pub unionid: Option<String>,
    /// Base64 of the 16-byte AES key of the user's encrypted data (a secret: never logged).
    pub session_key: String,
}

/// Ids only: the session key is a secret.
impl std::fmt::Debug for DouyinSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DouyinSession")
            .field("openid", &self.openid)
            .field("unionid", &self.unionid)
            .finish_non_exhaustive()
    }
}

/// Douyin's server API. Implementations time out rather than hang, log no secret or code,
/// and turn Douyin's `err_no` into [`ProviderFailure::Refused`] and an unreachable or
/// unreadable answer into [`ProviderFailure::Unavailable`].
#[async_trait]
pub trait DouyinApi: Send + Sync + 'static {
    /// `apps/v2/jscode2session`: the `tt.login` code of `appid` (authenticated by `secret`).
    async fn code_to_session(&self, appid: &str, secret: &str, code: &str)
        -> Result<DouyinSession>;
}

/// The client of a deployment that configured none: every call is refused, and nothing is
/// sent anywhere.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoDouyin;

#[async_trait]
impl DouyinApi for NoDouyin {
    async fn code_to_session(&self, _: &str, _: &str, _: &str) -> Result<DouyinSession> {
        Err(Error::Provider(ProviderFailure::NotConfigured))
    }
}
