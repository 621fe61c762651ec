//! Pool password-strength levels (`domain-notes.md` §2).

use regex::Regex;

use crate::error::{Error, Result};
use crate::model::pool::PoolSettings;

/// Passwords are bounded: argon2 hashes any length, but nobody types a megabyte.
pub const MAX_PASSWORD_LEN: usize = 1024;

const LOW_ZH: &str = "密码长度至少为 6 位";
const LOW_EN: &str = "Passwords must be at least 6 characters long";
const MEDIUM_ZH: &str = "请使用至少 6 位字符作为密码，须包含英文、数字与符号中的两种";
const MEDIUM_EN: &str =
    "Passwords must be at least 6 characters long and contain two of letters, digits and symbols";
const HIGH_ZH: &str = "请使用至少 6 位字符作为密码，须同时包含英文、数字与符号";
const HIGH_EN: &str =
    "Passwords must be at least 6 characters long and contain letters, digits and symbols";

/// The verdict of a strength check, with its message in both languages (empty when valid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Strength {
    pub valid: bool,
    pub message_zh: String,
    pub message_en: String,
}

fn classes(password: &str) -> usize {
    let letters = password.chars().any(|c| c.is_ascii_alphabetic());
    let digits = password.chars().any(|c| c.is_ascii_digit());
    let symbols = password
        .chars()
        .any(|c| !c.is_ascii_alphanumeric() && !c.is_whitespace() && !c.is_alphabetic());
    usize::from(letters) + usize::from(digits) + usize::from(symbols)
}

/// The account-security level of a password, as the SDK's `computedPasswordSecurityLevel`
/// computes it: 3 with lower and upper case letters and digits and ≥ 12 characters, 2 with
/// letters and digits and ≥ 8, otherwise 1.
pub fn security_level(password: &str) -> i64 {
    let len = password.chars().count();
    let lower = password.chars().any(|c| c.is_ascii_lowercase());
    let upper = password.chars().any(|c| c.is_ascii_uppercase());
    let digit = password.chars().any(|c| c.is_ascii_digit());
    if lower && upper && digit && len >= 12 {
        3
    } else if (lower || upper) && digit && len >= 8 {
        2
    } else {
        1
    }
}

/// Checks a password against the pool's level.
pub fn check(settings: &PoolSettings, password: &str) -> Strength {
    let len = password.chars().count();
    let fail = |zh: &str, en: &str| Strength {
        valid: false,
        message_zh: zh.to_owned(),
        message_en: en.to_owned(),
    };
    if password.is_empty() {
        return fail("请输入密码", "Please enter a password");
    }
    if password.len() > MAX_PASSWORD_LEN {
        return fail("密码过长", "Password is too long");
    }
    match settings.password_strength {
        0 => {}
        1 if len < 6 => return fail(LOW_ZH, LOW_EN),
        2 if len < 6 || classes(password) < 2 => return fail(MEDIUM_ZH, MEDIUM_EN),
        3 if len < 6 || classes(password) < 3 => return fail(HIGH_ZH, HIGH_EN),
        4 => {
            let custom = &settings.custom_password_strength;
            // An invalid admin regex refuses every password rather than accepting every one.
            let ok = Regex::new(&custom.regex)
                .map(|re| re.is_match(password))
                .unwrap_or(false);
            if !ok {
                let zh = if custom.message_zh.is_empty() {
                    HIGH_ZH
                } else {
                    &custom.message_zh
                };
                let en = if custom.message_en.is_empty() {
                    HIGH_EN
                } else {
                    &custom.message_en
                };
                return fail(zh, en);
            }
        }
        _ => {}
    }
    Strength {
        valid: true,
        message_zh: String::new(),
        message_en: String::new(),
    }
}

/// [`check`] as an error for the register/reset/update paths.
pub fn enforce(settings: &PoolSettings, password: &str) -> Result<()> {
    let s = check(settings, password);
    if s.valid {
        Ok(())
    } else if settings.password_strength == 1 {
        Err(Error::PasswordTooShort)
    } else {
        Err(Error::PasswordTooWeak {
            message_zh: s.message_zh,
            message_en: s.message_en,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(n: u8) -> PoolSettings {
        PoolSettings {
            password_strength: n,
            ..PoolSettings::default()
        }
    }

    #[test]
    fn levels_zero_to_three() {
        assert!(check(&level(0), "a").valid);
        assert!(!check(&level(0), "").valid);
        assert!(!check(&level(1), "abcde").valid);
        assert!(check(&level(1), "abcdef").valid);
        assert!(!check(&level(2), "abcdefgh").valid);
        assert!(check(&level(2), "abcdef1").valid);
        assert!(check(&level(2), "abc!def").valid);
        assert_eq!(check(&level(2), "abcdefgh").message_zh, MEDIUM_ZH);
        assert!(!check(&level(3), "abcdef1").valid);
        assert!(check(&level(3), "abcde1!").valid);
        assert!(
            check(&level(3), "abcde1，").valid,
            "full-width punctuation is a symbol"
        );
    }

    #[test]
    fn custom_regex_and_its_message() {
        let mut s = level(4);
        s.custom_password_strength.regex = "^[0-9]{8}$".into();
        s.custom_password_strength.message_en = "eight digits".into();
        assert!(check(&s, "12345678").valid);
        let bad = check(&s, "1234567");
        assert!(!bad.valid);
        assert_eq!(bad.message_en, "eight digits");
        s.custom_password_strength.regex = "(".into();
        assert!(!check(&s, "anything").valid);
    }

    #[test]
    fn enforce_maps_to_error_codes() {
        assert_eq!(enforce(&level(1), "abc").unwrap_err().code(), 2029);
        let e = enforce(&level(3), "abcdef").unwrap_err();
        assert_eq!(e.message(crate::Lang::ZhCn), HIGH_ZH);
        assert!(enforce(&level(3), "abc12!x").is_ok());
    }
}
