use async_trait::async_trait;
use tessera_core::notify::{EmailMessage, Notifier, SmsMessage};
use tessera_core::Result;

/// For local development: writes each message, code included, to the server log at `info`.
/// Never configure it where the log is shared; it exists so that a fresh `tessera serve`
/// can complete a code login without any provider.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogNotifier;

#[async_trait]
impl Notifier for LogNotifier {
    async fn send_email(&self, msg: &EmailMessage) -> Result<()> {
        let (subject, body) = match &msg.custom {
            Some(c) => (c.subject.clone(), c.html.clone()),
            None => {
                let text = crate::email_text::render(msg);
                (text.subject.to_owned(), text.body)
            }
        };
        tracing::info!(
            target: "tessera::dev_delivery",
            to = %msg.to, scene = %msg.scene, subject = %subject, text = %body,
            "email not sent (no SMTP configured)"
        );
        Ok(())
    }

    async fn send_sms(&self, msg: &SmsMessage) -> Result<()> {
        tracing::info!(
            target: "tessera::dev_delivery",
            phone = %format!("{}{}", msg.phone_country_code, msg.phone),
            scene = %msg.scene, code = %msg.code,
            "SMS not sent (no SMS webhook configured)"
        );
        Ok(())
    }
}
