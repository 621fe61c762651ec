//! User pools and their security settings (`domain-notes.md` §1).

use serde::{Deserialize, Serialize};

/// Default user-token lifetime: 15 days, as Authing.
pub const DEFAULT_TOKEN_EXPIRES_AFTER: i64 = 15 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPool {
    pub id: String,
    pub name: String,
    /// The pool's unique domain label (Authing's `domain`); defaults to a slug of the id.
    pub domain: String,
    pub description: Option<String>,
    pub logo: Option<String>,
    /// The management secret (`ManagementClient({ userPoolId, secret })`).
    pub secret: String,
    pub settings: PoolSettings,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A rate window used by the login-failure and registration-frequency checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateCheck {
    pub enabled: bool,
    /// Window length in seconds.
    pub time_interval: i64,
    pub limit: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhitelistConfig {
    pub phone_enabled: bool,
    pub email_enabled: bool,
    pub username_enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomPasswordStrength {
    pub enabled: bool,
    pub regex: String,
    pub message_zh: String,
    pub message_en: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordUpdatePolicy {
    pub enabled: bool,
    /// Force a change after this many days (0 = never).
    pub forced_cycle: i64,
    /// Refuse reusing one of the last N passwords (0 = off).
    pub difference_cycle: i64,
}

/// A pool's own delivery provider (`customSMSProvider`, and the email counterpart), with
/// `config` kept as JSON text whose keys depend on `provider`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProviderSettings {
    pub enabled: bool,
    /// `webhook` for SMS (`{"url"}`), `smtp` for email (`{"url", "from"}`).
    pub provider: String,
    pub config: String,
}

/// Login-failure strategy: ask for a captcha, or lock the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LoginFailStrategy {
    #[default]
    Captcha,
    BlockAccount,
}

/// Every pool-level switch that changes login or registration behaviour. Stored as one JSON
/// document (`user_pools.settings`) so that adding a setting needs no migration; unknown or
/// missing keys take defaults. The serde names here and in the nested types are that stored
/// document's: renaming one breaks existing databases. (`updateUserpool` still merges its
/// input over this form, `service::pool_admin`; the answers have their own shapes in the
/// server.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PoolSettings {
    pub register_disabled: bool,
    pub show_wx_qr_code_when_register_disabled: bool,
    pub email_verified_default: bool,
    pub send_welcome_email: bool,
    pub login_require_email_verified: bool,
    pub frequent_register_check: RateCheck,
    pub login_fail_check: RateCheck,
    pub login_fail_strategy: LoginFailStrategy,
    pub login_password_fail_check: RateCheck,
    pub whitelist: WhitelistConfig,
    pub verify_old_email: bool,
    pub verify_old_phone: bool,
    /// 0 none, 1 low, 2 medium, 3 high, 4 custom regex.
    pub password_strength: u8,
    pub custom_password_strength: CustomPasswordStrength,
    pub password_update_policy: PasswordUpdatePolicy,
    /// User-token lifetime in seconds.
    pub token_expires_after: i64,
    /// Newline-separated CORS allow-list; empty allows every origin.
    pub allowed_origins: String,
    pub verify_code_length: u8,
    pub verify_code_max_attempts: u8,
    /// Seconds a verification code stays valid.
    pub verify_code_expires_after: i64,
    /// Seconds before a new code may be sent to the same address for the same scene.
    pub verify_code_resend_interval: i64,
    /// Default country code for phone numbers given without one.
    pub default_phone_country_code: String,
    #[serde(rename = "customSMSProvider")]
    pub custom_sms_provider: ProviderSettings,
    pub custom_email_provider: ProviderSettings,
    /// The second-factor kinds (`OTP`, `SMS`, `EMAIL`) a login of this pool asks for when
    /// the user has enrolled one (v3 global MFA settings, `service::mfa_login`); empty: no
    /// MFA step. An application may have its own list.
    pub mfa_enabled_factors: Vec<String>,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            register_disabled: false,
            show_wx_qr_code_when_register_disabled: false,
            email_verified_default: false,
            send_welcome_email: false,
            login_require_email_verified: false,
            frequent_register_check: RateCheck {
                enabled: false,
                time_interval: 300,
                limit: 3,
            },
            // On for every new pool: 5 failures of one account within 15 minutes and its
            // logins need a captcha (`service::guard` also counts per client address and
            // pool-wide). Without solving captchas that allows 20 guesses an hour on an
            // account, within OWASP ASVS 4.0 V2.2.1 ("no more than 100 failed attempts per
            // hour is possible on a single account"), while a user who mistypes a few times
            // is never stopped. Pools stored with the check off keep it off.
            login_fail_check: RateCheck {
                enabled: true,
                time_interval: 15 * 60,
                limit: 5,
            },
            login_fail_strategy: LoginFailStrategy::Captcha,
            login_password_fail_check: RateCheck {
                enabled: false,
                time_interval: 300,
                limit: 5,
            },
            whitelist: WhitelistConfig::default(),
            verify_old_email: true,
            verify_old_phone: true,
            password_strength: 0,
            custom_password_strength: CustomPasswordStrength::default(),
            password_update_policy: PasswordUpdatePolicy::default(),
            token_expires_after: DEFAULT_TOKEN_EXPIRES_AFTER,
            allowed_origins: String::new(),
            verify_code_length: 6,
            verify_code_max_attempts: 5,
            verify_code_expires_after: 300,
            verify_code_resend_interval: 60,
            default_phone_country_code: "+86".to_owned(),
            custom_sms_provider: ProviderSettings::default(),
            custom_email_provider: ProviderSettings::default(),
            mfa_enabled_factors: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_survive_json_and_missing_keys_take_defaults() {
        let s = PoolSettings {
            register_disabled: true,
            password_strength: 3,
            ..PoolSettings::default()
        };
        let text = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<PoolSettings>(&text).unwrap(), s);
        let partial: PoolSettings = serde_json::from_str(r#"{"registerDisabled":true}"#).unwrap();
        assert!(partial.register_disabled);
        assert!(partial.verify_old_email);
        assert_eq!(partial.token_expires_after, DEFAULT_TOKEN_EXPIRES_AFTER);
        // A new pool (or a stored document without the key) checks login failures.
        assert_eq!(
            partial.login_fail_check,
            RateCheck {
                enabled: true,
                time_interval: 900,
                limit: 5
            }
        );
        assert_eq!(partial.login_fail_strategy, LoginFailStrategy::Captcha);
        let off: PoolSettings = serde_json::from_str(
            r#"{"loginFailCheck":{"enabled":false,"timeInterval":300,"limit":3}}"#,
        )
        .unwrap();
        assert!(!off.login_fail_check.enabled, "a stored choice is kept");
    }

    /// A document as databases hold it today: its names must keep loading.
    #[test]
    fn stored_names_keep_loading() {
        let stored = r#"{"registerDisabled":true,"loginFailStrategy":"block-account",
            "frequentRegisterCheck":{"enabled":true,"timeInterval":60,"limit":2},
            "whitelist":{"phoneEnabled":true,"emailEnabled":false,"usernameEnabled":false},
            "customPasswordStrength":{"enabled":true,"regex":"^a","messageZh":"z",
                "messageEn":"e"},
            "passwordUpdatePolicy":{"enabled":true,"forcedCycle":30,"differenceCycle":3},
            "customSMSProvider":{"enabled":true,"provider":"webhook","config":"{}"},
            "customEmailProvider":{"enabled":false,"provider":"smtp","config":""},
            "verifyCodeResendInterval":90,"defaultPhoneCountryCode":"+1"}"#;
        let s: PoolSettings = serde_json::from_str(stored).unwrap();
        assert!(s.register_disabled);
        assert_eq!(s.login_fail_strategy, LoginFailStrategy::BlockAccount);
        assert_eq!(s.frequent_register_check.time_interval, 60);
        assert!(s.whitelist.phone_enabled);
        assert_eq!(s.custom_password_strength.message_en, "e");
        assert_eq!(s.password_update_policy.difference_cycle, 3);
        assert_eq!(s.custom_sms_provider.provider, "webhook");
        assert_eq!(s.custom_email_provider.provider, "smtp");
        assert_eq!(s.verify_code_resend_interval, 90);
        assert_eq!(s.default_phone_country_code, "+1");
        let back = serde_json::to_value(&s).unwrap();
        assert_eq!(back["customSMSProvider"]["config"], "{}");
        assert_eq!(back["loginFailStrategy"], "block-account");
    }
}
