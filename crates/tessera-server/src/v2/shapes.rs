//! Typed JSON shapes of v2 answers and inputs: separate from the core's models and from the
//! database JSON some of those models are stored as, so a stored field name can change
//! without changing the wire, and the other way round.

use serde::Serialize;
use tessera_core::model::pool::{
    CustomPasswordStrength, LoginFailStrategy, PasswordUpdatePolicy, WhitelistConfig,
};
use tessera_core::model::{ProviderSettings, RateCheck};
use tessera_core::service::account::SecurityLevel;

/// `frequentRegisterCheck`, `loginFailCheck`, `loginPasswordFailCheck`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RateCheckJson {
    pub enabled: bool,
    pub time_interval: i64,
    pub limit: i64,
}

impl From<&RateCheck> for RateCheckJson {
    fn from(c: &RateCheck) -> Self {
        RateCheckJson {
            enabled: c.enabled,
            time_interval: c.time_interval,
            limit: c.limit,
        }
    }
}

/// `loginFailStrategy`.
pub fn login_fail_strategy(s: LoginFailStrategy) -> &'static str {
    match s {
        LoginFailStrategy::Captcha => "captcha",
        LoginFailStrategy::BlockAccount => "block-account",
    }
}

/// The pool's `whitelist` switches.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhitelistJson {
    pub phone_enabled: bool,
    pub email_enabled: bool,
    pub username_enabled: bool,
}

impl From<&WhitelistConfig> for WhitelistJson {
    fn from(w: &WhitelistConfig) -> Self {
        WhitelistJson {
            phone_enabled: w.phone_enabled,
            email_enabled: w.email_enabled,
            username_enabled: w.username_enabled,
        }
    }
}

/// `customSMSProvider` / `customEmailProvider`: `config` is JSON text.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderJson {
    pub enabled: bool,
    pub provider: String,
    pub config: String,
}

impl From<&ProviderSettings> for ProviderJson {
    fn from(p: &ProviderSettings) -> Self {
        ProviderJson {
            enabled: p.enabled,
            provider: p.provider.clone(),
            config: p.config.clone(),
        }
    }
}

/// `customPasswordStrength`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomPasswordStrengthJson {
    pub enabled: bool,
    pub regex: String,
    pub message_zh: String,
    pub message_en: String,
}

impl From<&CustomPasswordStrength> for CustomPasswordStrengthJson {
    fn from(c: &CustomPasswordStrength) -> Self {
        CustomPasswordStrengthJson {
            enabled: c.enabled,
            regex: c.regex.clone(),
            message_zh: c.message_zh.clone(),
            message_en: c.message_en.clone(),
        }
    }
}

/// `passwordUpdatePolicy`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordUpdatePolicyJson {
    pub enabled: bool,
    pub forced_cycle: i64,
    pub difference_cycle: i64,
}

impl From<&PasswordUpdatePolicy> for PasswordUpdatePolicyJson {
    fn from(p: &PasswordUpdatePolicy) -> Self {
        PasswordUpdatePolicyJson {
            enabled: p.enabled,
            forced_cycle: p.forced_cycle,
            difference_cycle: p.difference_cycle,
        }
    }
}

/// `getSecurityLevel`'s `data`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityLevelJson {
    pub score: i64,
    pub email: bool,
    pub phone: bool,
    pub password: bool,
    pub password_security_level: Option<i64>,
    pub mfa: bool,
}

impl From<&SecurityLevel> for SecurityLevelJson {
    fn from(l: &SecurityLevel) -> Self {
        SecurityLevelJson {
            score: l.score,
            email: l.email,
            phone: l.phone,
            password: l.password,
            password_security_level: l.password_security_level,
            mfa: l.mfa,
        }
    }
}

pub use crate::authing::profile::ProfileInput;

#[cfg(test)]
mod tests {
    use serde_json::{json, to_value};
    use tessera_core::model::PoolSettings;

    use super::*;

    #[test]
    fn pool_settings_answer_with_the_sdk_names() {
        let mut s = PoolSettings::default();
        s.custom_password_strength.message_zh = "zh".into();
        s.custom_sms_provider.provider = "webhook".into();
        assert_eq!(
            to_value(RateCheckJson::from(&s.login_password_fail_check)).unwrap(),
            json!({"enabled": false, "timeInterval": 300, "limit": 5})
        );
        assert_eq!(
            to_value(WhitelistJson::from(&s.whitelist)).unwrap(),
            json!({"phoneEnabled": false, "emailEnabled": false, "usernameEnabled": false})
        );
        assert_eq!(
            to_value(ProviderJson::from(&s.custom_sms_provider)).unwrap(),
            json!({"enabled": false, "provider": "webhook", "config": ""})
        );
        assert_eq!(
            to_value(CustomPasswordStrengthJson::from(
                &s.custom_password_strength
            ))
            .unwrap(),
            json!({"enabled": false, "regex": "", "messageZh": "zh", "messageEn": ""})
        );
        assert_eq!(
            to_value(PasswordUpdatePolicyJson::from(&s.password_update_policy)).unwrap(),
            json!({"enabled": false, "forcedCycle": 0, "differenceCycle": 0})
        );
        assert_eq!(
            login_fail_strategy(LoginFailStrategy::BlockAccount),
            "block-account"
        );
    }

    #[test]
    fn profile_input_reads_the_sdk_names() {
        let p: ProfileInput = serde_json::from_value(json!({
            "nickname": "Ann", "givenName": "A", "postalCode": "100000", "unknown": 1
        }))
        .unwrap();
        let p = tessera_core::model::Profile::from(p);
        assert_eq!(p.nickname.as_deref(), Some("Ann"));
        assert_eq!(p.given_name.as_deref(), Some("A"));
        assert_eq!(p.postal_code.as_deref(), Some("100000"));
        assert!(serde_json::from_value::<ProfileInput>(json!({"nickname": 1})).is_err());
    }

    #[test]
    fn security_level_answers_with_the_sdk_names() {
        let level = SecurityLevel {
            score: 70,
            email: true,
            phone: false,
            password: true,
            password_security_level: Some(2),
            mfa: false,
        };
        assert_eq!(
            to_value(SecurityLevelJson::from(&level)).unwrap(),
            json!({"score": 70, "email": true, "phone": false, "password": true,
                   "passwordSecurityLevel": 2, "mfa": false})
        );
    }
}
