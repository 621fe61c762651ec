//! Device authorization (RFC 8628) for CLIs and TVs: the device gets a device code and a
//! short user code; the user enters the user code in a browser, logs in and approves; the
//! device's polls of the token endpoint then get tokens once.

use rand::rngs::OsRng;
use rand::Rng;

use super::client::{Client, ClientAuth};
use super::granted_scopes;
use super::session::ActiveSession;
use super::token::DEVICE_CODE_GRANT;
use crate::clock;
use crate::crypto::digest;
use crate::error::{protocol, Error, ProtocolError, Result};
use crate::ids;
use crate::model::Application;
use crate::store::oidc::{DeviceCode, DeviceDecision, DeviceStatus};
use crate::Core;

/// How long the user has to enter the code.
pub const DEVICE_CODE_TTL_S: i64 = 600;
/// The least time between two polls (RFC 8628 §3.2 default).
pub const POLL_INTERVAL_S: i64 = 5;

/// User codes avoid letters people confuse (RFC 8628 §6.1): 20 consonants, 8 of them, about
/// 34 bits — with the 10-minute life and the per-address budget of wrong entries
/// (`guard::DEVICE_MISS_BUDGET`), far beyond guessing.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";

/// The device authorization response (RFC 8628 §3.2), minus the URIs the façade adds.
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    pub device_code: String,
    /// As shown to the user: `XXXX-XXXX`.
    pub user_code: String,
    pub expires_in: i64,
    pub interval: i64,
}

fn new_user_code() -> String {
    let mut rng = OsRng;
    (0..8)
        .map(|_| USER_CODE_ALPHABET[rng.gen_range(0..USER_CODE_ALPHABET.len())] as char)
        .collect()
}

/// A user code as typed: case, spaces and dashes do not matter.
pub fn normalize_user_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The user code as displayed.
pub fn display_user_code(code: &str) -> String {
    if code.len() == 8 {
        format!("{}-{}", &code[..4], &code[4..])
    } else {
        code.to_owned()
    }
}

impl Core {
    /// The device authorization endpoint: a client allowed the device grant asks for codes.
    pub async fn oidc_device_authorize(
        &self,
        auth: ClientAuth,
        scope: Option<&str>,
    ) -> Result<DeviceAuthorization> {
        let client = self.oidc_client(&auth, false).await?;
        let Client::App { app, .. } = &client else {
            return Err(protocol(
                ProtocolError::UnauthorizedClient,
                "not an application",
            ));
        };
        if !app.oidc.allows_grant(DEVICE_CODE_GRANT) {
            return Err(protocol(
                ProtocolError::UnauthorizedClient,
                "this application may not use the device grant",
            ));
        }
        let now = clock::now_ms();
        let device_code = ids::new_url_token(32);
        for _ in 0..5 {
            let user_code = new_user_code();
            let d = DeviceCode {
                id: digest(&device_code),
                user_code: user_code.clone(),
                pool_id: app.pool_id.clone(),
                app_id: app.id.clone(),
                scope: granted_scopes(scope.unwrap_or("openid")).join(" "),
                created_at: now,
                expires_at: now + DEVICE_CODE_TTL_S * 1000,
                interval_s: POLL_INTERVAL_S,
                last_poll_at: None,
                status: DeviceStatus::Pending,
                user_id: None,
                sid: None,
                auth_time: None,
                amr: Vec::new(),
            };
            if self.store.insert_device_code(&d).await? {
                return Ok(DeviceAuthorization {
                    device_code,
                    user_code: display_user_code(&user_code),
                    expires_in: DEVICE_CODE_TTL_S,
                    interval: POLL_INTERVAL_S,
                });
            }
        }
        Err(Error::Internal("no free user code".into()))
    }

    /// The pending device request a user code names, with its application.
    pub async fn oidc_device_lookup(
        &self,
        typed: &str,
        ip: Option<&str>,
    ) -> Result<Option<(DeviceCode, Application)>> {
        // Wrong codes are counted against the client's address; over the budget every entry
        // is refused.
        self.check_device_code_budget(ip).await?;
        let code = normalize_user_code(typed);
        let found = if code.len() == 8 {
            self.store
                .device_by_user_code(&code, clock::now_ms())
                .await?
                .filter(|d| d.status == DeviceStatus::Pending)
        } else {
            None
        };
        let Some(d) = found else {
            self.record_device_code_miss(ip).await?;
            return Ok(None);
        };
        let Ok((app, _)) = self.app_and_pool(&d.app_id).await else {
            return Ok(None);
        };
        Ok(Some((d, app)))
    }

    /// The logged-in user's answer for a device. Only a user of the device's pool who may
    /// use its application can approve; false when the code is no longer pending.
    pub async fn oidc_device_decide(
        &self,
        d: &DeviceCode,
        s: &ActiveSession,
        approve: bool,
    ) -> Result<bool> {
        if s.user.pool_id != d.pool_id {
            return Ok(false);
        }
        let allowed = self.may_use_app(&d.pool_id, &s.user.id, &d.app_id).await?;
        let decision = DeviceDecision {
            approved: approve && allowed,
            user_id: s.user.id.clone(),
            sid: Some(s.session.sid.clone()),
            auth_time: s.session.auth_time,
            amr: s.session.amr.clone(),
        };
        self.store
            .decide_device_code(&d.user_code, &decision, clock::now_ms())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_are_typed_loosely() {
        let c = new_user_code();
        assert_eq!(c.len(), 8);
        assert!(c.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)));
        let shown = display_user_code(&c);
        assert_eq!(normalize_user_code(&shown.to_lowercase()), c);
        assert_eq!(normalize_user_code(" bcdf - ghjk "), "BCDFGHJK");
    }
}
