use serde_json::json;

use crate::outbound::Outbound;
use tessera_core::notify::{PrincipalCheck, PrincipalVerdict, PushMessage, SmsMessage};
use tessera_core::{Error, PrincipalProblem, Result};

fn client() -> Outbound {
    Outbound::with_timeout(std::time::Duration::from_secs(10))
}

/// POSTs `body` as JSON; any 2xx is delivered. Errors name the webhook's purpose, never its
/// URL (it may carry a token).
async fn post_json(
    client: &Outbound,
    url: &str,
    what: &str,
    body: &serde_json::Value,
) -> Result<()> {
    let resp =
        client.post(url).json(body).send().await.map_err(|e| {
            Error::Internal(format!("{what} webhook unreachable: {}", e.without_url()))
        })?;
    if !resp.status().is_success() {
        return Err(Error::Internal(format!(
            "{what} webhook answered HTTP {}",
            resp.status().as_u16()
        )));
    }
    Ok(())
}

/// SMS through an HTTP webhook: POSTs `{phone, phoneCountryCode, code, scene, userPoolId}`
/// (and a tenant import's `notice`) as JSON and treats any 2xx as delivered. The receiver talks to the actual SMS gateway.
#[derive(Debug, Clone)]
pub struct SmsWebhook {
    url: String,
    client: Outbound,
}

impl SmsWebhook {
    pub fn new(url: &str) -> SmsWebhook {
        SmsWebhook {
            url: url.to_owned(),
            client: client(),
        }
    }

    pub async fn send(&self, msg: &SmsMessage) -> Result<()> {
        let mut body = json!({
            "phone": msg.phone,
            "phoneCountryCode": msg.phone_country_code,
            "code": msg.code,
            "scene": msg.scene,
            "userPoolId": msg.pool_id,
        });
        // A tenant import's notice has no code: the receiver renders it from these fields,
        // or sends `text`, the words an email of it carries.
        if let (Some(n), Some(obj)) = (&msg.import_notice, body.as_object_mut()) {
            obj.insert(
                "notice".into(),
                json!({
                    "adminName": n.admin_name,
                    "userName": n.user_name,
                    "account": n.account,
                    "tenantName": n.tenant_name,
                    "tenantCode": n.tenant_code,
                    "isAdmin": n.is_admin,
                    "loginUrl": n.login_url,
                    "text": crate::email_text::notice_text(n),
                }),
            );
        }
        post_json(&self.client, &self.url, "SMS", &body).await
    }
}

/// Push-login requests through an HTTP webhook, the operator's push gateway (FCM, APNs…)
/// that reaches the user's signed-in app: POSTs `{userPoolId, appId, userId, pushCodeId,
/// expireTime, clientIp, userAgent}` as JSON and treats any 2xx as delivered.
#[derive(Debug, Clone)]
pub struct PushWebhook {
    url: String,
    client: Outbound,
}

impl PushWebhook {
    pub fn new(url: &str) -> PushWebhook {
        PushWebhook {
            url: url.to_owned(),
            client: client(),
        }
    }

    pub async fn send(&self, msg: &PushMessage) -> Result<()> {
        let body = json!({
            "userPoolId": msg.pool_id,
            "appId": msg.app_id,
            "userId": msg.user_id,
            "pushCodeId": msg.push_code_id,
            "expireTime": msg.expire_time,
            "clientIp": msg.client_ip,
            "userAgent": msg.user_agent,
        });
        post_json(&self.client, &self.url, "push", &body).await
    }
}

/// The provider's answer: `{verified: bool, reason?: string}`.
#[derive(serde::Deserialize)]
struct VerifyAnswer {
    verified: bool,
    #[serde(default)]
    reason: Option<String>,
}

/// Longest provider reason kept (for the log only).
const MAX_REASON_CHARS: usize = 200;

/// Real-name verification through the operator's provider (`--principal-verify-url`):
/// POSTs `{type, name, code, ext, userPoolId}` as JSON and reads `{verified, reason?}`. Any
/// other answer (unreachable, non-2xx, not that JSON) is
/// [`PrincipalProblem::Unavailable`]: never taken as verified.
#[derive(Debug, Clone)]
pub struct PrincipalVerifier {
    url: String,
    client: Outbound,
}

impl PrincipalVerifier {
    pub fn new(url: &str) -> PrincipalVerifier {
        PrincipalVerifier {
            url: url.to_owned(),
            client: client(),
        }
    }

    pub async fn verify(&self, check: &PrincipalCheck) -> Result<PrincipalVerdict> {
        let body = json!({
            "type": check.kind,
            "name": check.name,
            "code": check.code,
            "ext": check.ext,
            "userPoolId": check.pool_id,
        });
        let unavailable = |why: String| {
            // The URL may carry a token and the body a person's number: neither is logged.
            tracing::warn!(%why, "principal verification provider unavailable");
            Error::Principal(PrincipalProblem::Unavailable)
        };
        let resp = self
            .client
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| unavailable(e.without_url().to_string()))?;
        if !resp.status().is_success() {
            return Err(unavailable(format!("HTTP {}", resp.status().as_u16())));
        }
        let answer: VerifyAnswer = resp
            .json()
            .await
            .map_err(|e| unavailable(e.without_url().to_string()))?;
        Ok(PrincipalVerdict {
            verified: answer.verified,
            reason: answer
                .reason
                .map(|r| r.chars().take(MAX_REASON_CHARS).collect()),
        })
    }
}
