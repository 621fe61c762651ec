use serde_json::json;
use tessera_core::notify::SmsMessage;
use tessera_core::{Error, Result};

/// SMS through an HTTP webhook: POSTs `{phone, phoneCountryCode, code, scene, userPoolId}` as
/// JSON and treats any 2xx as delivered. The receiver talks to the actual SMS gateway.
#[derive(Debug, Clone)]
pub struct SmsWebhook {
    url: String,
    client: reqwest::Client,
}

impl SmsWebhook {
    pub fn new(url: &str) -> SmsWebhook {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        SmsWebhook {
            url: url.to_owned(),
            client,
        }
    }

    pub async fn send(&self, msg: &SmsMessage) -> Result<()> {
        let body = json!({
            "phone": msg.phone,
            "phoneCountryCode": msg.phone_country_code,
            "code": msg.code,
            "scene": msg.scene,
            "userPoolId": msg.pool_id,
        });
        let resp = self
            .client
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                Error::Internal(format!("SMS webhook unreachable: {}", e.without_url()))
            })?;
        if !resp.status().is_success() {
            return Err(Error::Internal(format!(
                "SMS webhook answered HTTP {}",
                resp.status().as_u16()
            )));
        }
        Ok(())
    }
}
