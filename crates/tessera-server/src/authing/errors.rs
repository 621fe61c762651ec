//! How the Authing wire says a core [`Error`]: the numeric code (`error-codes.md`), the HTTP
//! status of surfaces with real statuses, the zh-CN/en-US message and the `data` member.
//!
//! The v1/v2 façades answer HTTP 200 whatever the code, because the SDKs read the body of a
//! 2xx response only; v3 REST uses [`http_status`].

use std::fmt;

use serde::Serialize;
use serde_json::Value;
use tessera_core::error::{AccountInfoProblem, ImportProblem, RiskRefusal};
use tessera_core::service::mfa_factors::FactorKind;
use tessera_core::service::mfa_login::MfaChallenge;
use tessera_core::service::wechat_mobile::{LinkChallenge, LinkMethod};
use tessera_core::{
    Entity, Error, PasskeyProblem, PasswordRule, PrincipalProblem, ProtocolError, ProviderFailure,
    SignatureProblem, TenantFeature, UniqueField,
};

use super::lang::Lang;

/// The error object the SDKs read: `{code, message, data}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorBody {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

impl ErrorBody {
    pub fn new(e: &Error, lang: Lang) -> ErrorBody {
        ErrorBody {
            code: code(e),
            message: message(e, lang),
            data: data(e),
        }
    }
}

/// Authing's numeric code.
pub fn code(e: &Error) -> i64 {
    match e {
        Error::Internal(_) | Error::Storage(_) => 1000,
        Error::Forbidden => 1001,
        // The table has no code of its own for a risk-list refusal; "no permission to
        // perform this operation" is what it is (the message says which list refused).
        Error::RiskListed(_) => 1001,
        Error::CaptchaRequired => 2000,
        Error::CaptchaWrong | Error::CodeWrong => 2001,
        Error::InvalidEmail => 2003,
        Error::UserNotFound => 2004,
        Error::UserBlocked | Error::AccountLocked => 2005,
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
        Error::PasswordTooWeak(_) => 2029,
        Error::RegisterDisabled => 2031,
        Error::RegisterTooFrequent => 2100,
        Error::PoolNotFound => 2224,
        Error::TokenExpired => 2206,
        Error::TokenInvalid => 2207,
        Error::MissingParameter(_) | Error::InvalidParameter(_) => 2231,
        Error::CodeExpired => 2300,
        // `error-codes.md` has no code for a dead QR code: an invalid argument, the message
        // says which.
        Error::QrCodeExpired | Error::QrCodeUsed => 2231,
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
        Error::IdentitySourceNotConfigured | Error::PushNotConfigured => 1001,
        Error::TenantFeatureOff(_) => 1001,
        Error::Principal(PrincipalProblem::NotConfigured) => 1001,
        Error::Principal(PrincipalProblem::TooManyAttempts) => 2100,
        // No Authing code for a refused or unreachable verification, nor for one already
        // made: an invalid argument, the message says which (and the HTTP status, 409, that
        // an existing authentication is the conflict).
        Error::Principal(_) => 2231,
        // No Authing code for a review out of turn: an invalid argument, the message says
        // which, and the HTTP status (409) that the state is the conflict.
        Error::CertificationNotUnderReview => 2231,
        // No Authing code for a separation-of-duties refusal: an invalid argument (the
        // roles or targets named), the message says which rule, the HTTP status (409) that
        // it conflicts with what the users already hold.
        Error::RolesMutuallyExclusive => 2231,
        // WeChat, Douyin or Alipay refused the code or could not be asked: an invalid
        // argument for the caller (never a 5xx, issue 14); the message says which.
        Error::Provider(_) => 2231,
        // `error-codes.md`: "the account to bind is already bound (to someone)".
        Error::IdentityLinkedElsewhere => 2215,
        // `error-codes.md` has no WebAuthn codes: a credential the pool already has is a
        // duplicate (2026); passkeys unavailable on this deployment a refusal (1001); every
        // other refusal an invalid argument (2231), its message saying which check failed.
        Error::Passkey(PasskeyProblem::CredentialExists) => 2026,
        Error::Passkey(PasskeyProblem::Unavailable) => 1001,
        Error::Passkey(_) => 2231,
        // An ASA account's information out of shape or bounds: an invalid argument.
        Error::AsaAccountInfo(_) => 2231,
        // A tenant import's file refused: an invalid `excelUrl`, the message says why.
        Error::TenantImport(_) => 2231,
        Error::PasswordResetRequired { .. } => 1639,
        Error::FileTooLarge | Error::FileTypeRefused => 2231,
        Error::NotWhitelisted => 2031,
        Error::TooManyUsers => 2030,
        // No Authing code for it: the HTTP status says it, as on the websocket's refusal.
        Error::TooManySubscriptions | Error::TooManyUploads | Error::TooManyEvents => 429,
        Error::DomainTaken => 2039,
        // `v3-wire.md` §2 names 6001–6004 as the TOTP errors without saying which is which;
        // "too many attempts" takes the last until a capture says otherwise.
        Error::MfaAttemptsExceeded => 6004,
        // `v2-wire.md` §3.5 / §8: the MFA step of a login (1635, with `data.mfaToken`), a
        // wrong TOTP (6001) and a wrong recovery code (6002) per the MFA guide.
        Error::MfaRequired(_) => 1635,
        // The authentication OpenAPI's `WechatIdentityResolveRespDto` example: apiCode 1640
        // with statusCode 301, "需要执行账号身份绑定".
        Error::AccountLinkRequired(_) => 1640,
        Error::MfaCodeWrong => 6001,
        Error::MfaRecoveryCodeWrong => 6002,
        // Authing's "busy, try again" family (like a code requested too soon).
        Error::ConcurrentChange => 500,
        // Refusals Authing reports as an invalid or missing argument (2231).
        Error::RoleParentLoop
        | Error::NodeMoveLoop
        | Error::RootNodeDelete
        | Error::NodeWithoutParent
        | Error::RoleAssignedToRole
        | Error::MoveOfNonMember
        | Error::MainDepartmentNotJoined
        | Error::AgreementOrderMismatch => 2231,
        // An OAuth refusal reaching an Authing wire (the v3 sign-in's token profile): a bad
        // token is Authing's invalid token, anything else an invalid argument.
        Error::Protocol(ProtocolError::InvalidToken | ProtocolError::InvalidGrant, _) => 2207,
        Error::Protocol(..) => 2231,
        // `v3-wire.md` §2.1: 1300–1306.
        Error::Signature(p) => match p {
            SignatureProblem::Invalid | SignatureProblem::KeyDisabled => 1300,
            SignatureProblem::UnsupportedMethod => 1301,
            SignatureProblem::UnsupportedVersion => 1302,
            SignatureProblem::BadDate => 1303,
            SignatureProblem::MissingDate => 1304,
            SignatureProblem::Skewed => 1305,
            SignatureProblem::NonceReplayed => 1306,
        },
    }
}

/// The HTTP status for surfaces that use real statuses (v3 REST).
pub fn http_status(e: &Error) -> u16 {
    match e {
        Error::Internal(_) | Error::Storage(_) => 500,
        Error::Forbidden
        | Error::RiskListed(_)
        | Error::MfaRequired(_)
        | Error::TenantFeatureOff(_) => 403,
        // Not a failure but "one more step", as `WechatIdentityResolveRespDto` has it.
        Error::AccountLinkRequired(_) => 301,
        Error::Signature(_) => 401,
        Error::NotLoggedIn | Error::TokenExpired | Error::TokenInvalid => 401,
        Error::UserNotFound | Error::AppNotFound | Error::PoolNotFound | Error::NotFound(_) => 404,
        Error::AlreadyExists(_)
        | Error::IdentityLinkedElsewhere
        | Error::Duplicate(_)
        | Error::EmailAlreadyBound
        | Error::DomainTaken
        | Error::CertificationNotUnderReview
        | Error::RolesMutuallyExclusive
        | Error::Principal(PrincipalProblem::AlreadyAuthenticated)
        | Error::ConcurrentChange => 409,
        Error::RegisterTooFrequent
        | Error::CodeSentTooRecently
        | Error::AccountLocked
        | Error::MfaAttemptsExceeded
        | Error::TooManySubscriptions
        | Error::TooManyUploads
        | Error::TooManyEvents
        | Error::Principal(PrincipalProblem::TooManyAttempts) => 429,
        Error::FileTooLarge => 413,
        Error::Passkey(PasskeyProblem::CredentialExists) => 409,
        // A verified-looking assertion that does not prove the user: refused as a login is.
        Error::Passkey(
            PasskeyProblem::UnknownCredential
            | PasskeyProblem::UserHandleMismatch
            | PasskeyProblem::BadSignature
            | PasskeyProblem::SignCountRegressed,
        ) => 403,
        Error::Passkey(PasskeyProblem::Unavailable) => 501,
        _ => 400,
    }
}

/// The `data` member of the error object, for errors that hand the client something to
/// continue with.
pub fn data(e: &Error) -> Option<Value> {
    match e {
        Error::PasswordResetRequired { token } => Some(serde_json::json!({ "token": token })),
        Error::MfaRequired(c) => Some(mfa_data(c)),
        Error::AccountLinkRequired(c) => Some(link_data(c)),
        _ => None,
    }
}

/// The `data` of 1640 (`WechatIdentityResolveRespDataDto`): the ticket as `key`, the ways
/// to prove an existing account in the OpenAPI example's spelling (`methods`), and the ids
/// of the users WeChat's unionid names (`accounts`).
pub fn link_data(c: &LinkChallenge) -> Value {
    let methods: Vec<&str> = c
        .methods
        .iter()
        .map(|m| match m {
            LinkMethod::PhoneCode => "phone-code",
            LinkMethod::EmailCode => "email-code",
            LinkMethod::UsernamePassword => "username-password",
            LinkMethod::EmailPassword => "email-password",
            LinkMethod::PhonePassword => "phone-password",
        })
        .collect();
    serde_json::json!({
        "key": c.ticket,
        "methods": methods,
        "accounts": c.candidates,
    })
}

/// The `data` of 1635 (`v2-wire.md` §2.1, §3.5): the ticket as `mfaToken`, the user's names
/// the login page greets them with, and what it may ask for (`applicationMfa`, the shape of
/// v3's `ApplicationMfaDto`; the masked phone and address as in v3's `GetMfaInfoDataDto`).
pub fn mfa_data(c: &MfaChallenge) -> Value {
    let policies: Vec<Value> = c
        .kinds
        .iter()
        .enumerate()
        .map(|(i, k)| serde_json::json!({ "mfaPolicy": k.as_str(), "status": 1, "sort": i }))
        .collect();
    serde_json::json!({
        "mfaToken": c.ticket,
        "nickname": c.nickname,
        "email": c.email,
        "username": c.username,
        "avatar": c.photo,
        "mfaPhone": c.masked_phone,
        "mfaPhoneCountryCode": c.phone_country_code,
        "mfaEmail": c.masked_email,
        "totpMfaEnabled": c.kinds.contains(&FactorKind::Otp),
        "faceMfaEnabled": false,
        "applicationMfa": policies,
    })
}

/// The message in the caller's language. Internal detail never reaches it.
pub fn message(e: &Error, lang: Lang) -> String {
    let (zh, en): (&str, &str) = match e {
        Error::Internal(_) | Error::Storage(_) => (
            "系统繁忙，请稍后再试",
            "System busy, please try again later",
        ),
        Error::Forbidden => (
            "无权限执行此项操作",
            "No permission to perform this operation",
        ),
        Error::RiskListed(RiskRefusal::IpLogin) => (
            "当前 IP 已被禁止登录",
            "Logins from this IP address are not allowed",
        ),
        Error::RiskListed(RiskRefusal::IpRegister) => (
            "当前 IP 已被禁止注册",
            "Registration from this IP address is not allowed",
        ),
        Error::RiskListed(RiskRefusal::UserLogin) => (
            "该账号已被禁止登录",
            "This account is not allowed to log in",
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
        Error::AccountLocked => (
            "登录失败次数过多，账号已被锁定，请稍后再试",
            "Too many failed logins: the account is locked, try again later",
        ),
        Error::MfaAttemptsExceeded => (
            "MFA 验证码错误次数过多，请稍后再试",
            "Too many wrong MFA codes: try again later",
        ),
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
        Error::AlreadyExists(UniqueField::Username) => ("用户名已存在", "Username already exists"),
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
        Error::PasswordTooWeak(rule) => return password_rule(rule, lang),
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
        Error::MissingParameter(name) => return missing_parameter(name, lang),
        Error::InvalidParameter(name) => return invalid_parameter(name, lang),
        // The protocol's own description (English, as the RFCs word theirs).
        Error::Protocol(_, why) => return why.to_string(),
        Error::Signature(p) => match p {
            SignatureProblem::Invalid => ("签名校验失败", "Signature verification failed"),
            SignatureProblem::KeyDisabled => ("AccessKey 已被禁用", "The access key is disabled"),
            SignatureProblem::UnsupportedMethod => (
                "不支持的签名方法，请使用 HMAC-SHA1",
                "Unsupported signature method: use HMAC-SHA1",
            ),
            SignatureProblem::UnsupportedVersion => (
                "不支持的签名版本，请使用 1.0",
                "Unsupported signature version: use 1.0",
            ),
            SignatureProblem::BadDate => ("date 请求头格式不正确", "Malformed date header"),
            SignatureProblem::MissingDate => ("缺少 date 请求头", "Missing date header"),
            SignatureProblem::Skewed => (
                "请求时间与服务器时间相差过大",
                "Request date is too far from the server's clock",
            ),
            SignatureProblem::NonceReplayed => (
                "签名随机数已被使用，请勿重放请求",
                "Signature nonce already used: the request was replayed",
            ),
        },
        Error::CodeExpired => ("验证码过期", "Verification code has expired"),
        Error::CodeSentTooRecently => (
            "已发送验证码，还未失效，请稍后再试",
            "A code was sent moments ago; please wait before requesting another",
        ),
        Error::Duplicate(entity) => {
            let (zh, en) = entity_label(*entity);
            let label = lang.pick(zh, en);
            return match lang {
                Lang::ZhCn => format!("{label} 已存在"),
                Lang::EnUs => format!("{label} already exists"),
            };
        }
        // `PubEventRespDataDto`'s own example words it so.
        Error::NotFound(Entity::EventType) => ("事件未定义", "Event is not defined"),
        Error::NotFound(entity) => {
            let (zh, en) = entity_label(*entity);
            let label = lang.pick(zh, en);
            return match lang {
                Lang::ZhCn => format!("{label} 不存在"),
                Lang::EnUs => format!("{label} does not exist"),
            };
        }
        Error::EmailChangeRefused => (
            "updateUser 接口不能直接修改邮箱，请使用 updateEmail 接口。",
            "updateUser cannot change the email; use updateEmail",
        ),
        Error::PhoneChangeRefused => (
            "updateUser 接口不能直接修改手机号，请使用 updatePhone 接口。",
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
        Error::PushNotConfigured => ("未配置推送登录", "Push login is not configured"),
        Error::Principal(PrincipalProblem::NotConfigured) => (
            "未配置实名认证服务，无法进行主体认证",
            "Principal authentication is not available: no verification provider is configured",
        ),
        Error::Principal(PrincipalProblem::Unavailable) => (
            "实名认证服务暂不可用，请稍后再试",
            "The verification provider is unavailable; try again later",
        ),
        Error::Principal(PrincipalProblem::NotVerified) => (
            "主体认证未通过：名称与证件号码不匹配",
            "Principal authentication failed: the name and number were not verified",
        ),
        Error::Principal(PrincipalProblem::AlreadyAuthenticated) => (
            "该用户已完成主体认证，需管理员重置后才能重新认证",
            "The user is already authenticated; an administrator must reset it first",
        ),
        Error::Principal(PrincipalProblem::TooManyAttempts) => (
            "今日主体认证尝试次数过多，请明天再试",
            "Too many principal authentication attempts today; try again tomorrow",
        ),
        Error::QrCodeExpired => ("二维码已过期", "The QR code has expired"),
        Error::QrCodeUsed => ("二维码已被使用", "The QR code has already been used"),
        Error::RolesMutuallyExclusive => (
            "角色互斥：用户不能同时拥有互斥的角色",
            "Mutually exclusive roles: a user cannot hold both roles of a separation-of-duties rule",
        ),
        Error::CertificationNotUnderReview => (
            "只有审核中的企业认证可以审核",
            "Only an enterprise certification under review can be reviewed",
        ),
        Error::TenantFeatureOff(TenantFeature::Join) => (
            "该用户池不允许用户自行加入租户",
            "Joining a tenant is switched off in this user pool",
        ),
        Error::TenantFeatureOff(TenantFeature::QrLogin) => (
            "该用户池的租户未开启扫码登录",
            "QR-code login is switched off for this user pool's tenants",
        ),
        Error::Provider(ProviderFailure::Refused { .. }) => (
            "身份源（微信、抖音或支付宝）拒绝了请求，请重新获取 code",
            "The identity provider (WeChat, Douyin or Alipay) refused the request; get a new code and try again",
        ),
        Error::Provider(ProviderFailure::Unavailable) => (
            "身份源（微信、抖音或支付宝）服务暂不可用，请稍后再试",
            "The identity provider (WeChat, Douyin or Alipay) is unavailable; try again later",
        ),
        Error::Provider(ProviderFailure::NotConfigured) => {
            (
            "未配置该身份源的接口",
            "No API client is configured for this identity provider",
        )
        }
        Error::IdentityLinkedElsewhere => (
            "该身份已绑定其他账号",
            "This identity is already bound to another account",
        ),
        Error::Passkey(p) => passkey_message(*p),
        Error::MfaRequired(_) => ("请输入二次认证安全码", "Please enter the MFA code"),
        Error::AccountLinkRequired(_) => (
            "需要执行账号身份绑定",
            "Bind this identity to an account to finish signing in",
        ),
        Error::MfaCodeWrong => ("安全码错误，请重新输入", "Wrong MFA code, please try again"),
        Error::MfaRecoveryCodeWrong => ("恢复代码错误", "Wrong recovery code"),
        Error::AsaAccountInfo(p) => return account_info_message(*p, lang),
        Error::TenantImport(p) => return import_message(*p, lang),
        Error::PasswordResetRequired { .. } => (
            "首次登录请先修改密码",
            "Please change your password before the first login",
        ),
        Error::FileTooLarge => ("文件过大", "The file is too large"),
        Error::TooManySubscriptions => (
            "事件订阅连接过多，请关闭不用的订阅后重试",
            "Too many event subscriptions are open; close unused ones and try again",
        ),
        Error::TooManyUploads => (
            "上传过于频繁，请稍候再试",
            "Too many uploads from this address; try again later",
        ),
        Error::TooManyEvents => (
            "事件发布过于频繁，请稍候再试",
            "Too many events published; try again later",
        ),
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
        // Structural refusals Authing words as an invalid (or missing) SDK argument.
        Error::RoleParentLoop => return invalid_parameter("parent", lang),
        Error::NodeMoveLoop => return invalid_parameter("targetParentId", lang),
        Error::RootNodeDelete => return invalid_parameter("nodeId", lang),
        Error::NodeWithoutParent => return missing_parameter("parentNodeId", lang),
        Error::RoleAssignedToRole => return invalid_parameter("targetType", lang),
        Error::MoveOfNonMember => return invalid_parameter("userIds", lang),
        Error::MainDepartmentNotJoined => return invalid_parameter("departmentId", lang),
        Error::AgreementOrderMismatch => return invalid_parameter("ids", lang),
    };
    lang.pick(zh, en).to_owned()
}

/// Why a tenant import's file was refused, naming the column in the caller's language.
fn import_message(p: ImportProblem, lang: Lang) -> String {
    use super::tenant_sheet::label;
    match (p, lang) {
        (ImportProblem::Unreadable, Lang::ZhCn) => {
            "无法读取文件，请按导入模板上传 .xlsx 或 .csv 文件".to_owned()
        }
        (ImportProblem::Unreadable, Lang::EnUs) => {
            "The file cannot be read: upload the import template as .xlsx or .csv".to_owned()
        }
        (ImportProblem::NoRows, Lang::ZhCn) => "文件中没有可导入的数据行".to_owned(),
        (ImportProblem::NoRows, Lang::EnUs) => "The file has no rows to import".to_owned(),
        (ImportProblem::TooManyRows, Lang::ZhCn) => format!(
            "一次最多导入 {} 行",
            tessera_core::service::tenant_import::MAX_IMPORT_ROWS
        ),
        (ImportProblem::TooManyRows, Lang::EnUs) => format!(
            "At most {} rows can be imported at once",
            tessera_core::service::tenant_import::MAX_IMPORT_ROWS
        ),
        (ImportProblem::MissingColumn(f), Lang::ZhCn) => format!("缺少列「{}」", label(f, lang)),
        (ImportProblem::MissingColumn(f), Lang::EnUs) => {
            format!("The column \"{}\" is missing", label(f, lang))
        }
        (ImportProblem::Row { row, field }, Lang::ZhCn) => {
            format!(
                "第 {row} 行的「{}」缺失或不合法，未导入任何数据",
                label(field, lang)
            )
        }
        (ImportProblem::Row { row, field }, Lang::EnUs) => format!(
            "Row {row}: \"{}\" is missing or invalid; nothing was imported",
            label(field, lang)
        ),
    }
}

/// Which WebAuthn check refused, for the developer wiring a client (nothing here is
/// secret: the checks are the public steps of WebAuthn §7).
fn passkey_message(p: PasskeyProblem) -> (&'static str, &'static str) {
    match p {
        PasskeyProblem::Unavailable => (
            "当前部署的公开地址不是域名，无法使用通行密钥（WebAuthn）",
            "Passkeys (WebAuthn) need a domain as the deployment's public address",
        ),
        PasskeyProblem::TicketInvalid => (
            "WebAuthn ticket 无效、已使用或已过期",
            "The WebAuthn ticket is invalid, used or expired",
        ),
        PasskeyProblem::Malformed => (
            "WebAuthn 凭证格式不正确",
            "The WebAuthn credential is malformed",
        ),
        PasskeyProblem::UnsupportedAlgorithm => (
            "不支持该认证器的密钥算法（仅支持 ES256 与 RS256）",
            "Unsupported key algorithm (ES256 and RS256 are supported)",
        ),
        PasskeyProblem::WrongType => (
            "clientDataJSON 的 type 不正确",
            "The clientDataJSON type is wrong for this ceremony",
        ),
        PasskeyProblem::ChallengeMismatch => (
            "WebAuthn challenge 不匹配",
            "The WebAuthn challenge does not match",
        ),
        PasskeyProblem::OriginRefused => (
            "WebAuthn 请求来源（origin）不被允许",
            "The WebAuthn origin is not allowed",
        ),
        PasskeyProblem::RpIdMismatch => (
            "WebAuthn RP ID 不匹配",
            "The WebAuthn relying party id does not match",
        ),
        PasskeyProblem::UserNotPresent => (
            "认证器未确认用户在场",
            "The authenticator did not confirm user presence",
        ),
        PasskeyProblem::AttestationInvalid => (
            "认证器证明（attestation）校验失败",
            "The attestation statement does not verify",
        ),
        PasskeyProblem::CredentialExists => (
            "该认证器凭证已绑定",
            "This credential is already registered",
        ),
        PasskeyProblem::UnknownCredential => ("WebAuthn 凭证不存在", "Unknown WebAuthn credential"),
        PasskeyProblem::UserHandleMismatch => (
            "WebAuthn 用户标识不匹配",
            "The WebAuthn user handle does not match the credential",
        ),
        PasskeyProblem::BadSignature => (
            "WebAuthn 签名校验失败",
            "The WebAuthn signature does not verify",
        ),
        PasskeyProblem::SignCountRegressed => (
            "认证器签名计数异常，疑似被克隆，已拒绝登录",
            "The authenticator's signature counter went backwards (possible clone): login refused",
        ),
    }
}

fn missing_parameter(name: &str, lang: Lang) -> String {
    match lang {
        Lang::ZhCn => format!("请求参数不全：缺少 {name}"),
        Lang::EnUs => format!("Request parameters are incomplete: {name} is missing"),
    }
}

/// Why an ASA account's `accountInfo` was refused, with the bound it broke.
fn account_info_message(p: AccountInfoProblem, lang: Lang) -> String {
    use tessera_core::service::asa_accounts::{MAX_FIELDS, MAX_KEY_CHARS, MAX_VALUE_CHARS};
    match (p, lang) {
        (AccountInfoProblem::NotAnObject, Lang::ZhCn) => {
            "accountInfo 必须是对象（字段名到字符串值）".to_owned()
        }
        (AccountInfoProblem::NotAnObject, Lang::EnUs) => {
            "accountInfo must be an object of string fields".to_owned()
        }
        (AccountInfoProblem::NoFields, Lang::ZhCn) => "accountInfo 至少需要一个字段".to_owned(),
        (AccountInfoProblem::NoFields, Lang::EnUs) => {
            "accountInfo must have at least one field".to_owned()
        }
        (AccountInfoProblem::TooManyFields, Lang::ZhCn) => {
            format!("accountInfo 最多 {MAX_FIELDS} 个字段")
        }
        (AccountInfoProblem::TooManyFields, Lang::EnUs) => {
            format!("accountInfo may have at most {MAX_FIELDS} fields")
        }
        (AccountInfoProblem::KeyLength, Lang::ZhCn) => {
            format!("accountInfo 的字段名长度须为 1 到 {MAX_KEY_CHARS} 个字符")
        }
        (AccountInfoProblem::KeyLength, Lang::EnUs) => {
            format!("accountInfo field names must be 1 to {MAX_KEY_CHARS} characters long")
        }
        (AccountInfoProblem::ValueNotString, Lang::ZhCn) => {
            "accountInfo 的字段值必须是字符串".to_owned()
        }
        (AccountInfoProblem::ValueNotString, Lang::EnUs) => {
            "accountInfo field values must be strings".to_owned()
        }
        (AccountInfoProblem::ValueTooLong, Lang::ZhCn) => {
            format!("accountInfo 的字段值最多 {MAX_VALUE_CHARS} 个字符")
        }
        (AccountInfoProblem::ValueTooLong, Lang::EnUs) => {
            format!("accountInfo field values may be at most {MAX_VALUE_CHARS} characters long")
        }
    }
}

fn invalid_parameter(name: &str, lang: Lang) -> String {
    match lang {
        Lang::ZhCn => format!("参数 {name} 不合法"),
        Lang::EnUs => format!("Parameter {name} is invalid"),
    }
}

const PASSWORD_LOW: (&str, &str) = (
    "密码长度至少为 6 位",
    "Passwords must be at least 6 characters long",
);
const PASSWORD_MEDIUM: (&str, &str) = (
    "请使用至少 6 位字符作为密码，须包含英文、数字与符号中的两种",
    "Passwords must be at least 6 characters long and contain two of letters, digits and symbols",
);
const PASSWORD_HIGH: (&str, &str) = (
    "请使用至少 6 位字符作为密码，须同时包含英文、数字与符号",
    "Passwords must be at least 6 characters long and contain letters, digits and symbols",
);

/// What a broken password rule is called: the `checkPasswordStrength` message and the
/// message of the 2029 error. A pool's own pattern uses the pool's message of the caller's
/// language, or the high level's when the pool gave none.
pub fn password_rule(rule: &PasswordRule, lang: Lang) -> String {
    let (zh, en): (&str, &str) = match rule {
        PasswordRule::Required => ("请输入密码", "Please enter a password"),
        PasswordRule::TooLong => ("密码过长", "Password is too long"),
        PasswordRule::MinLength => PASSWORD_LOW,
        PasswordRule::TwoClasses => PASSWORD_MEDIUM,
        PasswordRule::ThreeClasses => PASSWORD_HIGH,
        PasswordRule::PoolPattern {
            message_zh,
            message_en,
        } => (
            if message_zh.is_empty() {
                PASSWORD_HIGH.0
            } else {
                message_zh
            },
            if message_en.is_empty() {
                PASSWORD_HIGH.1
            } else {
                message_en
            },
        ),
    };
    lang.pick(zh, en).to_owned()
}

/// How a [`Error::NotFound`] / [`Error::Duplicate`] names what it is about, in zh-CN and
/// en-US. Where Authing's console has a Chinese name the zh-CN label uses it; the others are
/// the SDK's own argument names in both languages.
fn entity_label(entity: Entity) -> (&'static str, &'static str) {
    match entity {
        Entity::Role => ("角色", "role"),
        Entity::RoleCode => ("角色 code", "role code"),
        Entity::Group => ("分组", "group"),
        Entity::GroupCode => ("分组 code", "group code"),
        Entity::OrgNode => ("部门", "node"),
        Entity::OrgNodeCode => ("部门 code", "department code"),
        Entity::Org => ("组织机构", "org"),
        Entity::OrgCode => ("组织机构 code", "organization code"),
        Entity::Namespace => ("权限分组", "namespace"),
        Entity::NamespaceCode => ("权限分组 code", "namespace code"),
        Entity::Resource => ("资源", "resource"),
        Entity::ResourceCode => ("资源 code", "resource code"),
        Entity::Policy => ("策略", "policy"),
        Entity::PolicyCode => ("策略 code", "policy code"),
        Entity::ResourceGrant => ("授权记录", "grant"),
        Entity::PolicyAssignment => ("策略授权", "policy assignment"),
        Entity::AccessRule => ("应用访问控制策略", "access rule"),
        Entity::ProgrammaticAccessAccount => ("编程访问账号", "programmatic access account"),
        Entity::AccessKey => ("AccessKey", "access key"),
        Entity::Tenant => ("租户", "tenant"),
        Entity::TenantMember => ("member", "member"),
        Entity::ExtIdp => ("extIdp", "extIdp"),
        Entity::ExtIdpConn => ("extIdpConn", "extIdpConn"),
        Entity::ExtIdpConnIdentifier => ("identifier", "identifier"),
        Entity::Agreement => ("agreement", "agreement"),
        Entity::UdfDefinition => ("udf", "udf"),
        Entity::UdfTarget => ("target", "target"),
        Entity::ExternalIdentity => ("identity", "identity"),
        Entity::EnvVar => ("env", "env"),
        Entity::PoolDomain => ("domain", "domain"),
        Entity::MfaFactor => ("MFA 因素", "MFA factor"),
        Entity::Post => ("岗位", "post"),
        Entity::PostCode => ("岗位 code", "post code"),
        Entity::IpListEntry => ("ipList", "ipList"),
        Entity::UserListEntry => ("userList", "userList"),
        Entity::RiskPolicy => ("riskListPolicy", "riskListPolicy"),
        Entity::QrLogin => ("二维码", "QR code"),
        Entity::PushLogin => ("推送码", "Push code"),
        Entity::AsaAccount => ("ASA 账号", "ASA account"),
        Entity::Device => ("设备", "device"),
        Entity::ExtOidcFlow => ("身份源绑定请求", "identity provider link request"),
        Entity::EventApp => ("事件应用", "event app"),
        Entity::EventType => ("事件", "event"),
        Entity::TenantCooperator => ("协作管理员", "cooperator"),
        Entity::AdminRole => ("管理员角色", "admin role"),
        Entity::TenantCertification => ("租户企业认证", "tenant enterprise certification"),
        Entity::TenantImport => ("导入记录", "import record"),
        Entity::SyncRelation => ("同步关联", "sync relation"),
        Entity::ProvisioningConnection => ("同步连接", "provisioning connection"),
    }
}

/// A short label used in logs: the Authing code and the core's description, never request
/// data, so it cannot leak secrets.
pub struct LogLabel<'a>(pub &'a Error);

impl fmt::Display for LogLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "code={} {}", code(self.0), self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mfa_step_is_1635_with_the_ticket_as_mfa_token() {
        let c = MfaChallenge {
            ticket: "t-1".into(),
            expires_at_ms: 0,
            kinds: vec![FactorKind::Otp, FactorKind::Sms],
            enabled: vec![FactorKind::Otp, FactorKind::Sms],
            masked_phone: Some("138****8000".into()),
            phone_country_code: Some("+86".into()),
            masked_email: None,
            nickname: None,
            username: Some("ann".into()),
            email: Some("ann@example.com".into()),
            photo: None,
        };
        let e = Error::MfaRequired(Box::new(c));
        assert_eq!(code(&e), 1635);
        assert_eq!(message(&e, Lang::ZhCn), "请输入二次认证安全码");
        let d = data(&e).unwrap();
        assert_eq!(d["mfaToken"], "t-1");
        assert_eq!(d["email"], "ann@example.com");
        assert_eq!(d["applicationMfa"][1]["mfaPolicy"], "SMS");
        // The ticket never reaches a log line.
        assert!(!LogLabel(&e).to_string().contains("t-1"));
        assert!(!format!("{e:?}").contains("t-1"));
        assert_eq!(code(&Error::MfaCodeWrong), 6001);
        assert_eq!(code(&Error::MfaRecoveryCodeWrong), 6002);
    }

    #[test]
    fn codes_follow_the_authing_table() {
        assert_eq!(code(&Error::UserNotFound), 2004);
        assert_eq!(code(&Error::AlreadyExists(UniqueField::Username)), 2034);
        assert_eq!(code(&Error::AlreadyExists(UniqueField::Phone)), 2035);
        assert_eq!(code(&Error::PasswordDecrypt), 2016);
        assert_eq!(code(&Error::AccountLocked), 2005);
        assert_eq!(http_status(&Error::AccountLocked), 429);
        assert_eq!(code(&Error::TokenExpired), 2206);
        assert_eq!(code(&Error::TokenInvalid), 2207);
        assert_eq!(code(&Error::PoolNotFound), 2224);
        assert_eq!(code(&Error::PasswordTooShort), 2029);
        assert_eq!(
            code(&Error::PasswordTooWeak(PasswordRule::TwoClasses)),
            2029
        );
        assert_eq!(code(&Error::NotFound(Entity::Role)), 404);
        assert_eq!(code(&Error::Duplicate(Entity::RoleCode)), 2026);
        assert_eq!(code(&Error::RoleParentLoop), 2231);
    }

    #[test]
    fn messages_come_in_both_languages() {
        assert_eq!(message(&Error::UserNotFound, Lang::ZhCn), "用户不存在");
        assert_eq!(
            message(&Error::UserNotFound, Lang::EnUs),
            "User does not exist"
        );
        assert!(message(&Error::MissingParameter("email"), Lang::EnUs).contains("email"));
    }

    #[test]
    fn directory_labels_follow_the_language() {
        assert_eq!(
            message(&Error::NotFound(Entity::Role), Lang::ZhCn),
            "角色 不存在"
        );
        assert_eq!(
            message(&Error::NotFound(Entity::Role), Lang::EnUs),
            "role does not exist"
        );
        assert_eq!(
            message(&Error::Duplicate(Entity::RoleCode), Lang::EnUs),
            "role code already exists"
        );
        assert_eq!(
            message(&Error::Duplicate(Entity::RoleCode), Lang::ZhCn),
            "角色 code 已存在"
        );
        assert_eq!(
            message(&Error::NotFound(Entity::ExtIdpConn), Lang::ZhCn),
            "extIdpConn 不存在"
        );
    }

    #[test]
    fn structural_refusals_name_the_sdk_argument() {
        assert_eq!(
            message(&Error::RoleParentLoop, Lang::ZhCn),
            "参数 parent 不合法"
        );
        assert_eq!(
            message(&Error::NodeMoveLoop, Lang::EnUs),
            "Parameter targetParentId is invalid"
        );
        assert_eq!(
            message(&Error::NodeWithoutParent, Lang::ZhCn),
            "请求参数不全：缺少 parentNodeId"
        );
    }

    #[test]
    fn password_rules_have_the_level_messages() {
        let e = Error::PasswordTooWeak(PasswordRule::ThreeClasses);
        assert_eq!(message(&e, Lang::ZhCn), PASSWORD_HIGH.0);
        assert_eq!(
            message(
                &Error::PasswordTooWeak(PasswordRule::TwoClasses),
                Lang::ZhCn
            ),
            "请使用至少 6 位字符作为密码，须包含英文、数字与符号中的两种"
        );
        let own = PasswordRule::PoolPattern {
            message_zh: String::new(),
            message_en: "eight digits".into(),
        };
        assert_eq!(password_rule(&own, Lang::EnUs), "eight digits");
        assert_eq!(password_rule(&own, Lang::ZhCn), PASSWORD_HIGH.0);
        assert_eq!(
            message(&Error::PasswordTooShort, Lang::ZhCn),
            "密码长度不能少于 6 位"
        );
    }

    #[test]
    fn internal_detail_never_reaches_the_message() {
        let e = Error::Storage("connection refused to 10.0.0.1".into());
        assert!(!message(&e, Lang::EnUs).contains("10.0.0.1"));
        assert_eq!(http_status(&e), 500);
        assert_eq!(ErrorBody::new(&e, Lang::EnUs).code, 1000);
    }

    #[test]
    fn risk_list_refusals_say_which_list() {
        let ip = Error::RiskListed(RiskRefusal::IpLogin);
        assert_eq!((code(&ip), http_status(&ip)), (1001, 403));
        assert_eq!(message(&ip, Lang::ZhCn), "当前 IP 已被禁止登录");
        assert_eq!(
            message(&Error::RiskListed(RiskRefusal::IpRegister), Lang::EnUs),
            "Registration from this IP address is not allowed"
        );
        assert_eq!(
            message(&Error::RiskListed(RiskRefusal::UserLogin), Lang::ZhCn),
            "该账号已被禁止登录"
        );
        assert_eq!(
            message(&Error::NotFound(Entity::RiskPolicy), Lang::EnUs),
            "riskListPolicy does not exist"
        );
    }

    #[test]
    fn a_reset_hands_over_its_token() {
        let e = Error::PasswordResetRequired {
            token: "first-login".into(),
        };
        assert_eq!(
            ErrorBody::new(&e, Lang::ZhCn).data,
            Some(serde_json::json!({ "token": "first-login" }))
        );
        assert_eq!(code(&e), 1639);
    }
}
