//! Security settings & MFA (`v3-wire.md` §4 "Security settings & MFA"): the pool's login
//! and registration rules under the v3 names, over the same partial pool update the v2
//! `updateUserpool` uses (`Core::update_pool`: read-modify-write with a version check, every
//! value checked, a refused update writes nothing). The global MFA settings, which the core
//! login's MFA step obeys, are `mfa_settings`.
//!
//! Only settings the core enforces are accepted. Features Tessera does not have (cookie
//! lifetimes, QR-code login, self-service unlock, account switching, completing a password
//! after a code login, robot-verification schedules) are answered as off and refused when a
//! caller asks to turn them on, rather than stored and ignored.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tessera_core::model::pool::LoginFailStrategy;
use tessera_core::model::{PoolSettings, RateCheck};
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{ok, Reply};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-security-settings", get(get_settings))
        .route("/api/v3/update-security-settings", post(update_settings))
}

// --- security settings ---------------------------------------------------------------------

fn window(c: &RateCheck) -> Value {
    json!({ "enabled": c.enabled, "limit": c.limit, "timeInterval": c.time_interval, "unit": "S" })
}

/// `SecuritySettingsDto`. `allowedOrigins` is one origin per line, as the DTO's string.
fn settings_dto(s: &PoolSettings) -> Value {
    json!({
        "allowedOrigins": s.allowed_origins,
        "authingTokenExpiresIn": s.token_expires_after,
        "verifyCodeLength": s.verify_code_length,
        "verifyCodeMaxAttempts": s.verify_code_max_attempts,
        "changeEmailStrategy": { "verifyOldEmail": s.verify_old_email },
        "changePhoneStrategy": { "verifyOldPhone": s.verify_old_phone },
        "registerDisabled": s.register_disabled,
        "registerAnomalyDetection": {
            "enabled": s.frequent_register_check.enabled,
            "limit": s.frequent_register_check.limit,
            "timeInterval": s.frequent_register_check.time_interval,
        },
        "completePasswordAfterPassCodeLogin": false,
        "loginAnomalyDetection": {
            "loginFailStrategy": match s.login_fail_strategy {
                LoginFailStrategy::Captcha => "captcha",
                LoginFailStrategy::BlockAccount => "block-account",
            },
            "loginFailCheck": window(&s.login_fail_check),
            "loginPasswordFailCheck": window(&s.login_password_fail_check),
        },
        "loginRequireEmailVerified": s.login_require_email_verified,
        "selfUnlockAccount": { "enabled": false, "strategy": "captcha" },
        "enableLoginAccountSwitch": false,
        "qrcodeLoginStrategy": null,
    })
}

async fn get_settings(m: Mgmt) -> Reply {
    let pool = m
        .core()
        .pool(m.admin.pool_id())
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, settings_dto(&pool.settings)))
}

/// `allowedOrigins`: the update DTO's list, or the one-per-line string the answer carries.
#[derive(Deserialize)]
#[serde(untagged)]
enum Origins {
    List(Vec<String>),
    Lines(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VerifyOldEmail {
    verify_old_email: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VerifyOldPhone {
    verify_old_phone: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Window {
    enabled: bool,
    limit: i64,
    time_interval: i64,
    /// `S`, `M` or `H`: the unit of `timeInterval` (seconds when absent).
    unit: Option<String>,
}

impl Window {
    fn seconds(&self, field: &'static str) -> Result<Value, Error> {
        let factor = match self.unit.as_deref().map(str::to_ascii_uppercase).as_deref() {
            None | Some("S") => 1,
            Some("M") => 60,
            Some("H") => 3600,
            Some(_) => return Err(Error::InvalidParameter(field)),
        };
        let secs = self
            .time_interval
            .checked_mul(factor)
            .ok_or(Error::InvalidParameter(field))?;
        Ok(json!({ "enabled": self.enabled, "limit": self.limit, "timeInterval": secs }))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
enum FailStrategy {
    Captcha,
    BlockAccount,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LoginAnomaly {
    login_fail_strategy: Option<FailStrategy>,
    login_fail_check: Option<Window>,
    login_password_fail_check: Option<Window>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SelfUnlock {
    enabled: bool,
    #[allow(dead_code)] // any strategy of a switched-off feature is the same nothing
    strategy: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateSettings {
    allowed_origins: Option<Origins>,
    authing_token_expires_in: Option<i64>,
    verify_code_length: Option<i64>,
    verify_code_max_attempts: Option<i64>,
    change_email_strategy: Option<VerifyOldEmail>,
    change_phone_strategy: Option<VerifyOldPhone>,
    register_disabled: Option<bool>,
    register_anomaly_detection: Option<Window>,
    login_anomaly_detection: Option<LoginAnomaly>,
    login_require_email_verified: Option<bool>,
    complete_password_after_pass_code_login: Option<bool>,
    enable_login_account_switch: Option<bool>,
    self_unlock_account: Option<SelfUnlock>,
    cookie_settings: Option<Value>,
    qrcode_login_strategy: Option<Value>,
}

/// The `updateUserpool` input (the core's names) for a v3 update; features Tessera lacks
/// may only be asked for as off.
fn pool_input(r: UpdateSettings) -> Result<Map<String, Value>, Error> {
    if r.complete_password_after_pass_code_login == Some(true) {
        return Err(Error::InvalidParameter(
            "completePasswordAfterPassCodeLogin",
        ));
    }
    if r.enable_login_account_switch == Some(true) {
        return Err(Error::InvalidParameter("enableLoginAccountSwitch"));
    }
    if r.self_unlock_account.is_some_and(|s| s.enabled) {
        return Err(Error::InvalidParameter("selfUnlockAccount"));
    }
    if r.cookie_settings.is_some_and(|v| !v.is_null()) {
        return Err(Error::InvalidParameter("cookieSettings"));
    }
    if r.qrcode_login_strategy.is_some_and(|v| !v.is_null()) {
        return Err(Error::InvalidParameter("qrcodeLoginStrategy"));
    }
    let mut input = Map::new();
    let mut put = |k: &str, v: Value| {
        input.insert(k.to_owned(), v);
    };
    match r.allowed_origins {
        Some(Origins::List(list)) => put("allowedOrigins", Value::from(list.join("\n"))),
        Some(Origins::Lines(s)) => put("allowedOrigins", Value::from(s)),
        None => {}
    }
    if let Some(v) = r.authing_token_expires_in {
        put("tokenExpiresAfter", v.into());
    }
    if let Some(v) = r.verify_code_length {
        put("verifyCodeLength", v.into());
    }
    if let Some(v) = r.verify_code_max_attempts {
        put("verifyCodeMaxAttempts", v.into());
    }
    if let Some(v) = r.change_email_strategy {
        put(
            "changeEmailStrategy",
            json!({ "verifyOldEmail": v.verify_old_email }),
        );
    }
    if let Some(v) = r.change_phone_strategy {
        put(
            "changePhoneStrategy",
            json!({ "verifyOldPhone": v.verify_old_phone }),
        );
    }
    if let Some(v) = r.register_disabled {
        put("registerDisabled", v.into());
    }
    if let Some(w) = r.register_anomaly_detection {
        put(
            "frequentRegisterCheck",
            w.seconds("registerAnomalyDetection")?,
        );
    }
    if let Some(a) = r.login_anomaly_detection {
        if let Some(s) = a.login_fail_strategy {
            let s = match s {
                FailStrategy::Captcha => "captcha",
                FailStrategy::BlockAccount => "block-account",
            };
            put("loginFailStrategy", s.into());
        }
        if let Some(w) = a.login_fail_check {
            put("loginFailCheck", w.seconds("loginFailCheck")?);
        }
        if let Some(w) = a.login_password_fail_check {
            put(
                "loginPasswordFailCheck",
                w.seconds("loginPasswordFailCheck")?,
            );
        }
    }
    if let Some(v) = r.login_require_email_verified {
        put("loginRequireEmailVerified", v.into());
    }
    Ok(input)
}

async fn update_settings(m: Mgmt) -> Reply {
    let r: UpdateSettings = m.args().map_err(|e| m.fail(e))?;
    let input = pool_input(r).map_err(|e| m.fail(e))?;
    let pool = m
        .core()
        .update_pool(&m.admin, &input)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, settings_dto(&pool.settings)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(v: Value) -> Result<Map<String, Value>, Error> {
        pool_input(serde_json::from_value(v).expect("request"))
    }

    #[test]
    fn v3_names_become_the_pool_update_names() {
        let i = input(json!({
            "allowedOrigins": ["https://a.com", "https://b.com"],
            "authingTokenExpiresIn": 3600,
            "registerDisabled": true,
            "registerAnomalyDetection": {"enabled": true, "limit": 2, "timeInterval": 5, "unit": "M"},
            "loginAnomalyDetection": {"loginFailStrategy": "block-account"},
            "changeEmailStrategy": {"verifyOldEmail": false},
        }))
        .unwrap();
        assert_eq!(i["allowedOrigins"], "https://a.com\nhttps://b.com");
        assert_eq!(i["tokenExpiresAfter"], 3600);
        assert_eq!(i["registerDisabled"], true);
        assert_eq!(i["frequentRegisterCheck"]["timeInterval"], 300);
        assert_eq!(i["loginFailStrategy"], "block-account");
        assert_eq!(i["changeEmailStrategy"]["verifyOldEmail"], false);
    }

    #[test]
    fn features_tessera_lacks_may_only_be_off() {
        assert!(input(json!({"enableLoginAccountSwitch": false})).is_ok());
        assert!(input(json!({"enableLoginAccountSwitch": true})).is_err());
        assert!(
            input(json!({"selfUnlockAccount": {"enabled": true, "strategy": "captcha"}})).is_err()
        );
        assert!(input(json!({"qrcodeLoginStrategy": {"qrcodeExpiresIn": 1}})).is_err());
        assert!(input(json!({"registerAnomalyDetection":
            {"enabled": true, "limit": 2, "timeInterval": 5, "unit": "fortnight"}}))
        .is_err());
    }
}
