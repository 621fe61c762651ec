//! Authentication events: what a completed login or registration established, apart from any
//! token.
//!
//! Every rule of a login (captcha, failure counting, blocked or archived users, the forced
//! first-login password change, unverified email, the application's access policy) runs
//! before an [`AuthEvent`] exists, once, in the core. Turning the event into credentials is a
//! second step with one profile per wire — the Authing v1/v2 user token
//! ([`Core::issue_v2_user_token`]), later the v3 token set, OIDC ID/access/refresh tokens,
//! SAML assertions and CAS tickets — so no protocol inherits another's token.

use super::users::LoginContext;
use crate::model::User;

/// How the user proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// A password (by email, username, phone or sub-account).
    Password,
    /// A one-time code sent by SMS.
    SmsCode,
    /// A one-time code sent by email.
    EmailCode,
    /// Approved on another device where the user is signed in (a QR code scanned and
    /// confirmed in the mobile app).
    OtherDevice,
    /// An external identity provider (a WeChat mini-program login).
    External,
    /// A WebAuthn credential (passkey): proof of possession of a key an authenticator holds.
    Passkey,
    /// The authenticator tested that the user was present (WebAuthn's UP flag).
    UserPresence,
    /// A TOTP code of the user's authenticator app (the MFA step, `mfa_login`).
    Totp,
    /// The recovery code of the user's TOTP factor (the MFA step).
    RecoveryCode,
    /// A switch from a personal user's live session into a public (shared) account bound
    /// to that user (`service::public_accounts`).
    AccountSwitch,
}

impl AuthMethod {
    /// The RFC 8176 authentication method reference (`amr`) value.
    pub fn amr(self) -> &'static str {
        match self {
            AuthMethod::Password => "pwd",
            AuthMethod::SmsCode => "sms",
            AuthMethod::EmailCode => "otp",
            // RFC 8176 §2: "mca", multiple-channel authentication — the browser's session is
            // vouched for over the app's channel.
            AuthMethod::OtherDevice => "mca",
            // RFC 8176 has no value for a federated login; "fed" is the one in use.
            AuthMethod::External => "fed",
            // RFC 8176 §2: "hwk", proof of possession of a hardware-secured key, and "user",
            // a user presence test. A platform authenticator may keep the key in software;
            // WebAuthn does not say, and "swk" would understate a security key.
            AuthMethod::Passkey => "hwk",
            AuthMethod::UserPresence => "user",
            // RFC 8176 §2: "otp", a one-time password (RFC 6238 included).
            AuthMethod::Totp => "otp",
            // RFC 8176 has no value for a recovery code; it is a single-use code the user
            // holds, which "otp" describes.
            AuthMethod::RecoveryCode => "otp",
            // RFC 8176 has no value for it; the login is vouched for by another account's
            // session, which none of its values describes.
            AuthMethod::AccountSwitch => "switch",
        }
    }

    /// The method an `amr` value stands for, as stored with a login stopped at the MFA
    /// step (its first factors). `otp` reads back as an email code, the only first factor
    /// that writes it.
    pub fn from_amr(amr: &str) -> Option<AuthMethod> {
        Some(match amr {
            "pwd" => AuthMethod::Password,
            "sms" => AuthMethod::SmsCode,
            "otp" => AuthMethod::EmailCode,
            "mca" => AuthMethod::OtherDevice,
            "fed" => AuthMethod::External,
            "hwk" => AuthMethod::Passkey,
            "user" => AuthMethod::UserPresence,
            "switch" => AuthMethod::AccountSwitch,
            _ => return None,
        })
    }
}

/// A completed authentication: who, how, when, through which application and from where.
#[derive(Debug, Clone)]
pub struct AuthEvent {
    /// The user as stored after the login was recorded.
    pub user: User,
    pub methods: Vec<AuthMethod>,
    /// When the authentication completed (ms); OIDC's `auth_time`.
    pub at_ms: i64,
    pub app_id: Option<String>,
    pub client: LoginContext,
    /// The user was created by this event (registration, or a login that auto-registered).
    pub newly_created: bool,
    /// The event counted as a login (logins count, last login, the login history). A
    /// registration without `forceLogin` authenticates the user without counting one.
    pub login_recorded: bool,
}
