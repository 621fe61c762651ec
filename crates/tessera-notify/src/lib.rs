//! Delivery of the core's outgoing messages. The core decides what to send
//! ([`tessera_core::notify`]); this crate knows how: email over SMTP (lettre), SMS through an
//! HTTP webhook, or, for local development, the server log.

mod log;
mod smtp;
mod webhook;

use async_trait::async_trait;
use tessera_core::notify::{EmailMessage, Notifier, SmsMessage};
use tessera_core::Result;

pub use log::LogNotifier;
pub use smtp::{SmtpError, SmtpMailer};
pub use webhook::SmsWebhook;

/// How the deployment delivers messages: each channel has its own provider, and a channel
/// without one writes to the log.
#[derive(Default)]
pub struct Delivery {
    pub email: Option<SmtpMailer>,
    pub sms: Option<SmsWebhook>,
}

#[async_trait]
impl Notifier for Delivery {
    async fn send_email(&self, msg: &EmailMessage) -> Result<()> {
        match &self.email {
            Some(m) => m.send(msg).await,
            None => LogNotifier.send_email(msg).await,
        }
    }

    async fn send_sms(&self, msg: &SmsMessage) -> Result<()> {
        match &self.sms {
            Some(w) => w.send(msg).await,
            None => LogNotifier.send_sms(msg).await,
        }
    }
}
