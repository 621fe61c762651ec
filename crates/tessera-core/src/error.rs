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

#[derive(Debug, Clone, thiserror::Error)]
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
    /// A verification code was sent to this address for this scene moments ago.
    #[error("code sent too recently")]
    CodeSentTooRecently,
    #[error("{0} already exists")]
    Duplicate(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("profile update may not change the email")]
    EmailChangeRefused,
    #[error("profile update may not change the phone")]
    PhoneChangeRefused,
    #[error("old email must be verified")]
    OldEmailRequired,
    #[error("old phone must be verified")]
    OldPhoneRequired,
    #[error("old email does not match")]
    OldEmailMismatch,
    #[error("old phone does not match")]
    OldPhoneMismatch,
    #[error("new email equals old email")]
    SameEmail,
    #[error("new phone equals old phone")]
    SamePhone,
    #[error("email already bound")]
    EmailAlreadyBound,
    #[error("old password required")]
    OldPasswordRequired,
    #[error("old password wrong")]
    OldPasswordWrong,
    #[error("only login method left")]
    OnlyLoginMethod,
    #[error("no email bound")]
    NoEmailBound,
    #[error("no phone bound")]
    NoPhoneBound,
    #[error("email not verified")]
    EmailNotVerified,
    #[error("identity source not configured")]
    IdentitySourceNotConfigured,
    /// The administrator requires a new password before this login completes; `token` is the
    /// short-lived first-login token for `resetPasswordByFirstLoginToken`.
    #[error("password reset required")]
    PasswordResetRequired { token: String },
    #[error("not on the registration whitelist")]
    NotWhitelisted,
    #[error("file too large")]
    FileTooLarge,
    #[error("file type not allowed")]
    FileTypeRefused,
    /// One batch names more users than a single query may return.
    #[error("too many users in one query")]
    TooManyUsers,
    /// The row changed between the read a rule relied on and the write (another request
    /// set a new password meanwhile): nothing was written.
    #[error("changed concurrently")]
    ConcurrentChange,
    /// An application identifier (its domain label) is already used by another application.
    #[error("domain already taken")]
    DomainTaken,
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
            Error::CodeSentTooRecently => 500,
            Error::Duplicate(_) => 2026,
            Error::NotFound(_) => 404,
            Error::EmailChangeRefused => 2225,
            Error::PhoneChangeRefused => 2226,
            Error::OldEmailRequired => 2227,
            Error::OldPhoneRequired => 2228,
            Error::OldEmailMismatch => 2037,
            Error::OldPhoneMismatch => 2038,
            Error::SameEmail => 2229,
            Error::SamePhone => 2230,
            Error::EmailAlreadyBound => 2200,
            Error::OldPasswordRequired => 2201,
            Error::OldPasswordWrong => 2203,
            Error::OnlyLoginMethod => 2217,
            Error::NoEmailBound => 2219,
            Error::NoPhoneBound => 2219,
            Error::EmailNotVerified => 2023,
            Error::IdentitySourceNotConfigured => 1001,
            Error::PasswordResetRequired { .. } => 1639,
            Error::FileTooLarge | Error::FileTypeRefused => 2231,
            Error::NotWhitelisted => 2031,
            Error::TooManyUsers => 2030,
            Error::DomainTaken => 2039,
            Error::ConcurrentChange => 500,
        }
    }

    /// The `data` member of the error envelope, for errors that hand the client something to
    /// continue with.
    pub fn data(&self) -> Option<serde_json::Value> {
        match self {
            Error::PasswordResetRequired { token } => Some(serde_json::json!({ "token": token })),
            _ => None,
        }
    }

    /// The HTTP status for surfaces that use real statuses (v3 REST, OAuth). The v1/v2 façades
    /// always answer 200 because the SDKs only read the body of a 2xx response.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::Internal(_) | Error::Storage(_) => 500,
            Error::Forbidden => 403,
            Error::NotLoggedIn | Error::TokenExpired | Error::TokenInvalid => 401,
            Error::UserNotFound | Error::AppNotFound | Error::PoolNotFound | Error::NotFound(_) => {
                404
            }
            Error::AlreadyExists(_)
            | Error::Duplicate(_)
            | Error::EmailAlreadyBound
            | Error::DomainTaken
            | Error::ConcurrentChange => 409,
            Error::RegisterTooFrequent | Error::CodeSentTooRecently => 429,
            Error::FileTooLarge => 413,
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
            Error::CodeSentTooRecently => (
                "已发送验证码，还未失效，请稍后再试",
                "A code was sent moments ago; please wait before requesting another",
            ),
            Error::Duplicate(thing) => {
                return match lang {
                    Lang::ZhCn => format!("{} 已存在", label(thing, lang)),
                    Lang::EnUs => format!("{} already exists", label(thing, lang)),
                }
            }
            Error::NotFound(thing) => {
                return match lang {
                    Lang::ZhCn => format!("{} 不存在", label(thing, lang)),
                    Lang::EnUs => format!("{} does not exist", label(thing, lang)),
                }
            }
            Error::EmailChangeRefused => (
                "updateUser 接口不能直接修改邮箱，请使用 updateEmail 接口",
                "updateUser cannot change the email; use updateEmail",
            ),
            Error::PhoneChangeRefused => (
                "updateUser 接口不能直接修改手机号，请使用 updatePhone 接口",
                "updateUser cannot change the phone number; use updatePhone",
            ),
            Error::OldEmailRequired => (
                "修改邮箱必须验证原来的邮箱",
                "Changing the email requires verifying the original email",
            ),
            Error::OldPhoneRequired => (
                "修改手机号必须验证原来的手机号",
                "Changing the phone number requires verifying the original phone number",
            ),
            Error::OldEmailMismatch => (
                "填写的旧邮箱与实际邮箱不匹配",
                "The old email does not match the account's email",
            ),
            Error::OldPhoneMismatch => (
                "填写的旧手机与实际手机不匹配",
                "The old phone number does not match the account's phone number",
            ),
            Error::SameEmail => (
                "新邮箱和旧邮箱一样",
                "The new email is the same as the old one",
            ),
            Error::SamePhone => (
                "新手机号和旧手机号一样",
                "The new phone number is the same as the old one",
            ),
            Error::EmailAlreadyBound => ("该邮箱已被绑定", "This email is already bound"),
            Error::OldPasswordRequired => ("请输入原始密码", "Please enter the original password"),
            Error::OldPasswordWrong => ("原始密码错误", "The original password is wrong"),
            Error::OnlyLoginMethod => (
                "只有一种登录方式，不能解绑",
                "This is the only login method left, so it cannot be unbound",
            ),
            Error::NoEmailBound => ("此用户没有绑定邮箱", "This user has no email bound"),
            Error::NoPhoneBound => (
                "此用户没有绑定手机号",
                "This user has no phone number bound",
            ),
            Error::EmailNotVerified => (
                "邮箱未验证，请先验证邮箱后再登录",
                "The email is not verified; verify it before logging in",
            ),
            Error::IdentitySourceNotConfigured => {
                ("该身份源未配置", "This identity source is not configured")
            }
            Error::PasswordResetRequired { .. } => (
                "首次登录请先修改密码",
                "Please change your password before the first login",
            ),
            Error::FileTooLarge => ("文件过大", "The file is too large"),
            Error::TooManyUsers => (
                "一次性查询的用户不能超过 80 人",
                "At most 80 users can be queried at once",
            ),
            Error::NotWhitelisted => (
                "不在注册白名单中，无法注册",
                "Registration is restricted to the whitelist of this user pool",
            ),
            Error::FileTypeRefused => ("不支持的文件类型", "This file type is not allowed"),
            Error::DomainTaken => ("域名已被占用", "Domain already taken"),
            Error::ConcurrentChange => (
                "账号信息刚被修改，请重试",
                "The account was changed meanwhile; please try again",
            ),
        };
        match lang {
            Lang::ZhCn => zh.to_owned(),
            Lang::EnUs => en.to_owned(),
        }
    }
}

/// What a [`Error::NotFound`] / [`Error::Duplicate`] names, in either language: the label
/// may be given in either, and is said in the caller's. Unknown labels pass unchanged.
const LABELS: [(&str, &str); 18] = [
    ("角色 code", "role code"),
    ("分组 code", "group code"),
    ("部门 code", "department code"),
    ("权限分组 code", "namespace code"),
    ("资源 code", "resource code"),
    ("策略 code", "policy code"),
    ("授权记录", "grant"),
    ("角色", "role"),
    ("分组", "group"),
    ("部门", "node"),
    ("组织机构", "org"),
    ("权限分组", "namespace"),
    ("资源", "resource"),
    ("策略", "policy"),
    ("租户", "tenant"),
    ("应用访问控制策略", "access rule"),
    ("策略授权", "policy assignment"),
    ("编程访问账号", "programmatic access account"),
];

fn label(thing: &str, lang: Lang) -> &str {
    match LABELS.iter().find(|(zh, en)| *zh == thing || *en == thing) {
        Some((zh, _)) if lang == Lang::ZhCn => zh,
        Some((_, en)) => en,
        None => thing,
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
    fn directory_labels_follow_the_language() {
        assert_eq!(Error::NotFound("role").message(Lang::ZhCn), "角色 不存在");
        assert_eq!(
            Error::NotFound("role").message(Lang::EnUs),
            "role does not exist"
        );
        assert_eq!(
            Error::Duplicate("角色 code").message(Lang::EnUs),
            "role code already exists"
        );
        assert_eq!(
            Error::Duplicate("角色 code").message(Lang::ZhCn),
            "角色 code 已存在"
        );
    }

    #[test]
    fn internal_detail_never_reaches_the_message() {
        let e = Error::Storage("connection refused to 10.0.0.1".into());
        assert!(!e.message(Lang::EnUs).contains("10.0.0.1"));
        assert_eq!(e.http_status(), 500);
    }
}
