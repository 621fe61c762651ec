//! Pool password-strength levels (`domain-notes.md` §2).

use regex::Regex;

use crate::error::{Error, Result};
use crate::model::pool::PoolSettings;

/// Passwords are bounded: argon2 hashes any length, but nobody types a megabyte.
pub const MAX_PASSWORD_LEN: usize = 1024;

/// The rule a refused password broke; façades word it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordRule {
    /// The password is empty.
    Required,
    /// Longer than [`MAX_PASSWORD_LEN`] bytes.
    TooLong,
    /// Level 1: at least 6 characters.
    MinLength,
    /// Level 2: at least 6 characters, of two of letters, digits and symbols.
    TwoClasses,
    /// Level 3: at least 6 characters, with letters, digits and symbols.
    ThreeClasses,
    /// Level 4: the pool's own pattern, with the messages the pool gave for it (each empty
    /// when the pool gave none).
    PoolPattern {
        message_zh: String,
        message_en: String,
    },
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

/// Checks a password against the pool's level: the rule it breaks, if any.
pub fn check(settings: &PoolSettings, password: &str) -> Result<(), PasswordRule> {
    let len = password.chars().count();
    if password.is_empty() {
        return Err(PasswordRule::Required);
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(PasswordRule::TooLong);
    }
    match settings.password_strength {
        1 if len < 6 => Err(PasswordRule::MinLength),
        2 if len < 6 || classes(password) < 2 => Err(PasswordRule::TwoClasses),
        3 if len < 6 || classes(password) < 3 => Err(PasswordRule::ThreeClasses),
        4 => {
            let custom = &settings.custom_password_strength;
            // An invalid admin regex refuses every password rather than accepting every one.
            let ok = Regex::new(&custom.regex)
                .map(|re| re.is_match(password))
                .unwrap_or(false);
            if ok {
                Ok(())
            } else {
                Err(PasswordRule::PoolPattern {
                    message_zh: custom.message_zh.clone(),
                    message_en: custom.message_en.clone(),
                })
            }
        }
        _ => Ok(()),
    }
}

/// [`check`] as an error for the register/reset/update paths. Level 1 refuses every bad
/// password as too short ([`Error::PasswordTooShort`]), as Authing does.
pub fn enforce(settings: &PoolSettings, password: &str) -> Result<()> {
    match check(settings, password) {
        Ok(()) => Ok(()),
        Err(_) if settings.password_strength == 1 => Err(Error::PasswordTooShort),
        Err(rule) => Err(Error::PasswordTooWeak(rule)),
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
        assert!(check(&level(0), "a").is_ok());
        assert_eq!(check(&level(0), ""), Err(PasswordRule::Required));
        assert_eq!(check(&level(1), "abcde"), Err(PasswordRule::MinLength));
        assert!(check(&level(1), "abcdef").is_ok());
        assert_eq!(check(&level(2), "abcdefgh"), Err(PasswordRule::TwoClasses));
        assert!(check(&level(2), "abcdef1").is_ok());
        assert!(check(&level(2), "abc!def").is_ok());
        assert_eq!(check(&level(3), "abcdef1"), Err(PasswordRule::ThreeClasses));
        assert!(check(&level(3), "abcde1!").is_ok());
        assert!(
            check(&level(3), "abcde1\u{ff0c}").is_ok(),
            "full-width punctuation is a symbol"
        );
        let long = "a1!".repeat(MAX_PASSWORD_LEN);
        assert_eq!(check(&level(0), &long), Err(PasswordRule::TooLong));
    }

    #[test]
    fn custom_regex_and_its_message() {
        let mut s = level(4);
        s.custom_password_strength.regex = "^[0-9]{8}$".into();
        s.custom_password_strength.message_en = "eight digits".into();
        assert!(check(&s, "12345678").is_ok());
        assert_eq!(
            check(&s, "1234567"),
            Err(PasswordRule::PoolPattern {
                message_zh: String::new(),
                message_en: "eight digits".into(),
            })
        );
        s.custom_password_strength.regex = "(".into();
        assert!(check(&s, "anything").is_err());
    }

    #[test]
    fn enforce_names_the_broken_rule() {
        assert!(matches!(
            enforce(&level(1), "abc"),
            Err(Error::PasswordTooShort)
        ));
        assert!(matches!(
            enforce(&level(1), ""),
            Err(Error::PasswordTooShort)
        ));
        assert!(matches!(
            enforce(&level(3), "abcdef"),
            Err(Error::PasswordTooWeak(PasswordRule::ThreeClasses))
        ));
        assert!(enforce(&level(3), "abc12!x").is_ok());
    }
}
