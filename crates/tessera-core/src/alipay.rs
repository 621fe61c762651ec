//! Alipay's open-platform gateway as the core needs it for the app login: an `auth_code`
//! the Alipay app gave the user's app turned into the user's ids (`alipay.system.oauth.token`).
//! The core decides when to ask; an [`AlipayApi`] implemented outside the core
//! (`tessera-notify`, over HTTP) signs the request with the application's private key and
//! asks. Failures come back as [`Error::Provider`], never as Alipay's words.

use async_trait::async_trait;

use crate::error::{Error, ProviderFailure, Result};

/// Who an `auth_code` belongs to. Alipay gives `user_id` (`2088…`) to older applications
/// and `open_id` to newer ones; at least one is present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlipayUser {
    pub user_id: Option<String>,
    pub open_id: Option<String>,
}

/// Alipay's gateway. Implementations time out rather than hang, log no key, code or token,
/// and turn Alipay's `error_response` into [`ProviderFailure::Refused`] and an unreachable
/// or unreadable answer into [`ProviderFailure::Unavailable`].
#[async_trait]
pub trait AlipayApi: Send + Sync + 'static {
    /// `alipay.system.oauth.token` with `grant_type=authorization_code`, signed (RSA2) with
    /// `private_key` (the application's, as [`crate::crypto::alipay_sign::private_key`]
    /// reads it).
    async fn oauth_token(
        &self,
        app_id: &str,
        private_key: &str,
        auth_code: &str,
    ) -> Result<AlipayUser>;
}

/// The client of a deployment that configured none: every call is refused.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAlipay;

#[async_trait]
impl AlipayApi for NoAlipay {
    async fn oauth_token(&self, _: &str, _: &str, _: &str) -> Result<AlipayUser> {
        Err(Error::Provider(ProviderFailure::NotConfigured))
    }
}
