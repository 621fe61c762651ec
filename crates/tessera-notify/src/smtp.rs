use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tessera_core::model::email_template::RenderedEmail;
use tessera_core::notify::EmailMessage;
use tessera_core::{Error, Result};

use crate::email_text;

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("invalid SMTP URL: {0}")]
    Url(String),
    #[error("invalid sender address {0:?}")]
    From(String),
}

/// Email over SMTP. The URL follows lettre: `smtp://host:port` (plain, for local sinks and
/// relays on the same host), `smtp://user:pass@host:587?tls=required` (STARTTLS),
/// `smtps://host:465` (implicit TLS).
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from)
            .finish()
    }
}

impl SmtpMailer {
    pub fn new(url: &str, from: &str) -> Result<SmtpMailer, SmtpError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| SmtpError::Url(e.to_string()))?
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|_| SmtpError::From(from.to_owned()))?;
        Ok(SmtpMailer { transport, from })
    }

    /// Sends a verification-code email: the pool's template as the core rendered it, or
    /// else this crate's words ([`email_text::render`]).
    pub async fn send(&self, msg: &EmailMessage) -> Result<()> {
        if let Some(custom) = &msg.custom {
            return self.send_custom(&msg.to, custom).await;
        }
        let text = email_text::render(msg);
        self.send_text(&msg.to, text.subject, text.body).await
    }

    /// Sends a pool's rendered template as HTML. Its sender is a display name: the address
    /// stays this mailer's, which the SMTP server accepts mail from.
    async fn send_custom(&self, to: &str, custom: &RenderedEmail) -> Result<()> {
        let to = to.parse::<Mailbox>().map_err(|_| Error::InvalidEmail)?;
        let from = match custom.sender.trim() {
            "" => self.from.clone(),
            name => Mailbox::new(Some(name.to_owned()), self.from.email.clone()),
        };
        let email = Message::builder()
            .from(from)
            .to(to)
            .subject(custom.subject.as_str())
            .header(ContentType::TEXT_HTML)
            .body(custom.html.clone())
            .map_err(|e| Error::Internal(format!("building email: {e}")))?;
        self.transport
            .send(email)
            .await
            .map_err(|e| Error::Internal(format!("SMTP delivery failed: {e}")))?;
        Ok(())
    }

    /// Sends one plain-text email.
    pub async fn send_text(&self, to: &str, subject: &str, body: String) -> Result<()> {
        let to = to.parse::<Mailbox>().map_err(|_| Error::InvalidEmail)?;
        let email = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body)
            .map_err(|e| Error::Internal(format!("building email: {e}")))?;
        self.transport
            .send(email)
            .await
            .map_err(|e| Error::Internal(format!("SMTP delivery failed: {e}")))?;
        Ok(())
    }
}
