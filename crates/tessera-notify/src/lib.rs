//! Delivery of the core's outgoing messages. The core decides what to send
//! ([`tessera_core::notify`]); this crate knows how: email over SMTP (lettre), SMS through an
//! HTTP webhook, push-login requests through another, or, for local development, the server
//! log (push logins need their webhook: without one they are refused). It also holds the
//! core's other outbound clients: WeChat's server APIs for mini-program logins
//! ([`WechatHttp`]), Douyin's ([`DouyinHttp`]) and Alipay's gateway ([`AlipayHttp`]).

pub mod alipay;
pub mod douyin;
pub mod email_text;
mod log;
pub mod oidc_upstream;
mod outbound;
mod smtp;
mod webhook;
pub mod wechat;

use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tessera_core::notify::{
    EmailMessage, EmailRoute, Notifier, PrincipalCheck, PrincipalVerdict, PushMessage, SmsMessage,
};
use tessera_core::{Error, Result};

pub use alipay::{AlipayHttp, DEFAULT_ALIPAY_GATEWAY};
pub use douyin::{DouyinHttp, DEFAULT_DOUYIN_API_BASE};
pub use log::LogNotifier;
pub use oidc_upstream::OidcHttp;
pub use smtp::{SmtpError, SmtpMailer};
pub use webhook::{PrincipalVerifier, PushWebhook, SmsWebhook};
pub use wechat::{WechatHttp, DEFAULT_WECHAT_API_BASE};

/// How the deployment delivers messages: each channel has its own provider, and a channel
/// without one writes to the log.
/// The deployment's channels, plus the pools' own providers (`customSMSProvider` and its
/// email counterpart), which take precedence for their pool's messages.
#[derive(Default)]
pub struct Delivery {
    pub email: Option<SmtpMailer>,
    pub sms: Option<SmsWebhook>,
    /// The push gateway's webhook; without one, push logins are refused.
    pub push: Option<PushWebhook>,
    /// The real-name verification provider; without one, principal authentications are
    /// refused.
    pub principal: Option<PrincipalVerifier>,
    /// Mailers and webhooks of pools' own providers, built once per distinct setting.
    pub routes: RouteCache,
}

#[derive(Default)]
pub struct RouteCache {
    mailers: Mutex<HashMap<EmailRoute, Arc<SmtpMailer>>>,
    webhooks: Mutex<HashMap<String, Arc<SmsWebhook>>>,
}

impl RouteCache {
    fn mailer(&self, r: &EmailRoute) -> Result<Arc<SmtpMailer>> {
        let mut map = self
            .mailers
            .lock()
            .map_err(|_| Error::Internal("mailer cache poisoned".into()))?;
        if let Some(m) = map.get(r) {
            return Ok(m.clone());
        }
        // The URL holds credentials: the error names the pool's provider, not the URL.
        let m =
            Arc::new(SmtpMailer::new(&r.smtp_url, &r.from).map_err(|_| {
                Error::Internal("the pool's SMTP provider is misconfigured".into())
            })?);
        map.insert(r.clone(), m.clone());
        Ok(m)
    }

    fn webhook(&self, url: &str) -> Result<Arc<SmsWebhook>> {
        let mut map = self
            .webhooks
            .lock()
            .map_err(|_| Error::Internal("webhook cache poisoned".into()))?;
        Ok(map
            .entry(url.to_owned())
            .or_insert_with(|| Arc::new(SmsWebhook::new(url)))
            .clone())
    }
}

#[async_trait]
impl Notifier for Delivery {
    async fn send_email(&self, msg: &EmailMessage) -> Result<()> {
        if let Some(r) = &msg.route {
            return self.routes.mailer(r)?.send(msg).await;
        }
        match &self.email {
            Some(m) => m.send(msg).await,
            None => LogNotifier.send_email(msg).await,
        }
    }

    async fn send_sms(&self, msg: &SmsMessage) -> Result<()> {
        if let Some(url) = &msg.webhook_url {
            return self.routes.webhook(url)?.send(msg).await;
        }
        match &self.sms {
            Some(w) => w.send(msg).await,
            None => LogNotifier.send_sms(msg).await,
        }
    }

    fn push_configured(&self) -> bool {
        self.push.is_some()
    }

    async fn send_push(&self, msg: &PushMessage) -> Result<()> {
        match &self.push {
            Some(w) => w.send(msg).await,
            None => Err(Error::PushNotConfigured),
        }
    }

    fn principal_verification_configured(&self) -> bool {
        self.principal.is_some()
    }

    async fn verify_principal(&self, check: &PrincipalCheck) -> Result<PrincipalVerdict> {
        match &self.principal {
            Some(v) => v.verify(check).await,
            None => Err(Error::Principal(
                tessera_core::PrincipalProblem::NotConfigured,
            )),
        }
    }
}
