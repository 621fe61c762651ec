//! The one error type of the identity core.
//!
//! Every façade turns an [`Error`] into its own envelope, but the Authing numeric code, the HTTP
//! status and the human message come from here, so a rule produces the same answer on every
//! wire surface.

use std::fmt;

/// The language a caller asked for (`x-authing-lang`). Authing answers in Chinese by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    EnUs,
}

impl Lang {
    /// Reads an `x-authing-lang` / `Accept-Language` style value; anything unknown is zh-CN.
    pub fn from_header(value: Option<&str>) -> Lang {
        match value {
            Some(v) if v.trim().to_ascii_lowercase().starts_with("en") => Lang::EnUs,
            _ => Lang::ZhCn,
        }
    }
}

/// Which unique field of a user collided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    Email,
    Username,
    Phone,
    ExternalId,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("internal error: {0}")]
    Internal(String),
    #[error("storage error: {0}")]
    Storage(String),
    #[error("permission denied")]
    Forbidden,
    #[error("captcha required")]
    CaptchaRequired,
    #[error("captcha wrong")]
    CaptchaWrong,
    #[error("invalid email")]
    InvalidEmail,
    #[error("user not found")]
    UserNotFound,
    #[error("user blocked")]
    UserBlocked,
    #[error("wrong password")]
    WrongPassword,
    #[error("application not found")]
    AppNotFound,
    #[error("password decryption failed")]
    PasswordDecrypt,
    #[error("not logged in")]
    NotLoggedIn,
    #[error("user already exists ({0:?})")]
    AlreadyExists(UniqueField),
    #[error("account has no password")]
    NoPassword,
    #[error("password too short")]
    PasswordTooShort,
    #[error("password too weak")]
    PasswordTooWeak {
        message_zh: String,
        message_en: String,
    },
    #[error("registration disabled")]
    RegisterDisabled,
    #[error("registering too frequently")]
    RegisterTooFrequent,
    #[error("user pool not found")]
    PoolNotFound,
    #[error("token expired")]
    TokenExpired,
    #[error("token invalid")]
    TokenInvalid,
    #[error("missing parameter {0}")]
    MissingParameter(&'static str),
    #[error("invalid parameter {0}")]
    InvalidParameter(&'static str),
    #[error("invalid phone number")]
    InvalidPhone,
    #[error("verification code expired")]
    CodeExpired,
    #[error("verification code wrong")]
    CodeWrong,
}

impl Error {
    /// Authing's numeric code (`error-codes.md`).
    pub fn code(&self) -> i64 {
        match self {
            Error::Internal(_) | Error::Storage(_) => 1000,
            Error::Forbidden => 1001,
            Error::CaptchaRequired => 2000,
            Error::CaptchaWrong | Error::CodeWrong => 2001,
            Error::InvalidEmail => 2003,
            Error::UserNotFound => 2004,
            Error::UserBlocked => 2005,
            Error::WrongPassword => 2006,
            Error::AppNotFound => 2011,
            Error::PasswordDecrypt => 2016,
            Error::NotLoggedIn => 2020,
            Error::AlreadyExists(UniqueField::Username) => 2034,
            Error::AlreadyExists(UniqueField::Phone) => 2035,
            Error::AlreadyExists(UniqueField::Email) => 2026,
            Error::AlreadyExists(UniqueField::ExternalId) => 2026,
            Error::NoPassword => 2027,
            Error::InvalidPhone => 2028,
            Error::PasswordTooShort => 2029,
            Error::PasswordTooWeak { .. } => 2029,
            Error::RegisterDisabled => 2031,
            Error::RegisterTooFrequent => 2100,
            Error::PoolNotFound => 2224,
            Error::TokenExpired => 2206,
            Error::TokenInvalid => 2207,
            Error::MissingParameter(_) | Error::InvalidParameter(_) => 2231,
            Error::CodeExpired => 2300,
        }
    }

    /// The HTTP status for surfaces that use real statuses (v3 REST, OAuth). The v1/v2 façades
    /// always answer 200 because the SDKs only read the body of a 2xx response.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::Internal(_) | Error::Storage(_) => 500,
            Error::Forbidden => 403,
            Error::NotLoggedIn | Error::TokenExpired | Error::TokenInvalid => 401,
            Error::UserNotFound | Error::AppNotFound | Error::PoolNotFound => 404,
            Error::AlreadyExists(_) => 409,
            Error::RegisterTooFrequent => 429,
            _ => 400,
        }
    }

    /// True for failures of the server rather than of the request; only these are logged at
    /// error level.
    pub fn is_internal(&self) -> bool {
        matches!(self, Error::Internal(_) | Error::Storage(_))
    }

    pub fn message(&self, lang: Lang) -> String {
        let (zh, en): (&str, &str) = match self {
            Error::Internal(_) | Error::Storage(_) => (
                "系统繁忙，请稍后再试",
                "System busy, please try again later",
            ),
            Error::Forbidden => (
                "无权限执行此项操作",
                "No permission to perform this operation",
            ),
            Error::CaptchaRequired => (
                "账号异常，需要输入验证码",
                "Abnormal account activity: please enter the captcha",
            ),
            Error::CaptchaWrong => ("验证码验证失败", "Captcha verification failed"),
            Error::CodeWrong => ("验证码不正确", "Verification code is incorrect"),
            Error::InvalidEmail => ("邮箱格式不正确", "Invalid email format"),
            Error::UserNotFound => ("用户不存在", "User does not exist"),
            Error::UserBlocked => ("用户已被锁定", "User is locked"),
            Error::WrongPassword => ("密码不正确", "Incorrect password"),
            Error::AppNotFound => ("应用不存在", "Application does not exist"),
            Error::PasswordDecrypt => (
                "解密客户端密码出错",
                "Error decrypting the client-encrypted password",
            ),
            Error::NotLoggedIn => (
                "尚未登录，无权限访问此请求",
                "Not logged in; no permission to access this request",
            ),
            Error::AlreadyExists(UniqueField::Email) => (
                "用户已存在，请不要重复注册",
                "User already exists; do not register again",
            ),
            Error::AlreadyExists(UniqueField::Username) => {
                ("用户名已存在", "Username already exists")
            }
            Error::AlreadyExists(UniqueField::Phone) => {
                ("手机号已绑定", "Phone number is already bound")
            }
            Error::AlreadyExists(UniqueField::ExternalId) => (
                "用户已存在，请不要重复注册",
                "User already exists; do not register again",
            ),
            Error::NoPassword => (
                "该账号未设置密码，请通过其他方式登录",
                "This account has no password; log in another way",
            ),
            Error::InvalidPhone => (
                "请提供正确的手机号或邮箱",
                "Please provide a valid phone number or email",
            ),
            Error::PasswordTooShort => (
                "密码长度不能少于 6 位",
                "Password must be at least 6 characters long",
            ),
            Error::PasswordTooWeak {
                message_zh,
                message_en,
            } => {
                return match lang {
                    Lang::ZhCn => message_zh.clone(),
                    Lang::EnUs => message_en.clone(),
                }
            }
            Error::RegisterDisabled => (
                "应用已禁止注册用户",
                "Registration is disabled for this user pool",
            ),
            Error::RegisterTooFrequent => (
                "注册过于频繁，请稍候再试",
                "Registering too frequently; try again later",
            ),
            Error::PoolNotFound => ("用户池不存在", "User pool does not exist"),
            Error::TokenExpired => (
                "登录信息已过期, 需重新登录",
                "Login has expired; log in again",
            ),
            Error::TokenInvalid => (
                "登录信息有误, 需重新登录",
                "Login information is invalid; log in again",
            ),
            Error::MissingParameter(name) => {
                return match lang {
                    Lang::ZhCn => format!("请求参数不全：缺少 {name}"),
                    Lang::EnUs => format!("Request parameters are incomplete: {name} is missing"),
                }
            }
            Error::InvalidParameter(name) => {
                return match lang {
                    Lang::ZhCn => format!("参数 {name} 不合法"),
                    Lang::EnUs => format!("Parameter {name} is invalid"),
                }
            }
            Error::CodeExpired => ("验证码过期", "Verification code has expired"),
        };
        match lang {
            Lang::ZhCn => zh.to_owned(),
            Lang::EnUs => en.to_owned(),
        }
    }
}

/// A short label used in logs: never includes request data, so it cannot leak secrets.
pub struct LogLabel<'a>(pub &'a Error);

impl fmt::Display for LogLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "code={} {}", self.0.code(), self.0)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lang_defaults_to_chinese() {
        assert_eq!(Lang::from_header(None), Lang::ZhCn);
        assert_eq!(Lang::from_header(Some("fr-FR")), Lang::ZhCn);
        assert_eq!(Lang::from_header(Some("en-US")), Lang::EnUs);
        assert_eq!(Lang::from_header(Some("EN")), Lang::EnUs);
    }

    #[test]
    fn codes_follow_the_authing_table() {
        assert_eq!(Error::UserNotFound.code(), 2004);
        assert_eq!(Error::AlreadyExists(UniqueField::Username).code(), 2034);
        assert_eq!(Error::AlreadyExists(UniqueField::Phone).code(), 2035);
        assert_eq!(Error::PasswordDecrypt.code(), 2016);
        assert_eq!(Error::TokenExpired.code(), 2206);
        assert_eq!(Error::TokenInvalid.code(), 2207);
        assert_eq!(Error::PoolNotFound.code(), 2224);
    }

    #[test]
    fn messages_come_in_both_languages() {
        assert_eq!(Error::UserNotFound.message(Lang::ZhCn), "用户不存在");
        assert_eq!(
            Error::UserNotFound.message(Lang::EnUs),
            "User does not exist"
        );
        assert!(Error::MissingParameter("email")
            .message(Lang::EnUs)
            .contains("email"));
    }

    #[test]
    fn internal_detail_never_reaches_the_message() {
        let e = Error::Storage("connection refused to 10.0.0.1".into());
        assert!(!e.message(Lang::EnUs).contains("10.0.0.1"));
        assert_eq!(e.http_status(), 500);
    }
}
