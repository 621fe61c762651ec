//! Users (`v2-wire.md` §7, `domain-notes.md` §3) and their external identities.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserStatus {
    #[default]
    Activated,
    Suspended,
    Resigned,
    Archived,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Activated => "Activated",
            UserStatus::Suspended => "Suspended",
            UserStatus::Resigned => "Resigned",
            UserStatus::Archived => "Archived",
        }
    }

    pub fn parse(s: &str) -> Option<UserStatus> {
        Some(match s {
            "Activated" => UserStatus::Activated,
            "Suspended" => UserStatus::Suspended,
            "Resigned" => UserStatus::Resigned,
            "Archived" => UserStatus::Archived,
            _ => return None,
        })
    }
}

/// The OIDC standard-claim profile and other free-form attributes of a user. None of them is
/// unique; each is a column so that admin search can index what it needs. The camelCase serde
/// form is not stored anywhere: `update_profile_of` matches a profile update's keys with it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub nickname: Option<String>,
    pub photo: Option<String>,
    pub company: Option<String>,
    pub name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub middle_name: Option<String>,
    pub profile: Option<String>,
    pub preferred_username: Option<String>,
    pub website: Option<String>,
    /// `M`, `F` or `U`.
    pub gender: Option<String>,
    pub birthdate: Option<String>,
    pub zoneinfo: Option<String>,
    pub locale: Option<String>,
    pub address: Option<String>,
    pub formatted: Option<String>,
    pub street_address: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub country: Option<String>,
    /// Raw JSON profile from a social provider, as text.
    pub oauth: Option<String>,
}

/// Facts recorded at each successful login.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoginStats {
    pub logins_count: i64,
    pub last_login: Option<i64>,
    pub last_ip: Option<String>,
    pub device: Option<String>,
    pub browser: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub pool_id: String,
    /// Case-sensitive, unique per pool.
    pub username: Option<String>,
    /// Stored as given; uniqueness is on its lower-cased form.
    pub email: Option<String>,
    pub email_verified: bool,
    /// National number, unique per pool together with `phone_country_code`.
    pub phone: Option<String>,
    /// `+86` style; empty only when the user has no phone.
    pub phone_country_code: Option<String>,
    pub phone_verified: bool,
    pub unionid: Option<String>,
    pub openid: Option<String>,
    /// The id of this user in the customer's own system; unique per pool.
    pub external_id: Option<String>,
    pub status: UserStatus,
    pub blocked: bool,
    pub is_deleted: bool,
    /// e.g. `["basic:email"]`.
    pub register_source: Vec<String>,
    /// PHC string (or an imported bcrypt/PBKDF2 format); never leaves the core.
    pub password_hash: Option<String>,
    /// Set when an administrator requires a new password at the next login.
    pub reset_password_on_next_login: bool,
    /// A sub-account belongs to this primary user (`loginBySubAccount`).
    pub primary_user_id: Option<String>,
    pub profile: Profile,
    pub login: LoginStats,
    /// Tokens issued at or before this instant (ms) are dead: "log out everywhere" (kick,
    /// an administrator's `tokenExpiredAt`).
    pub tokens_valid_after: i64,
    pub signed_up: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The administrator's per-user MFA rules (`setUsersMfaStatus`); empty: the user
    /// follows the application's or the pool's kinds. A column of the user row, so the login
    /// reads them with the user (`service::mfa_login`).
    pub mfa_rules: Vec<UserMfaRule>,
    /// A public (shared) account (公共账号, `service::public_accounts`): personal users bound
    /// to it may switch their login into it. Otherwise a user like any other.
    pub public_account: bool,
}

/// One per-user MFA rule: `enabled` asks this user for `kind` at every login even when the
/// application or pool does not; not `enabled` never asks this user for it even when they
/// do. `sort` is the administrator's display order, kept as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserMfaRule {
    pub kind: super::tenant::MfaType,
    pub enabled: bool,
    pub sort: i64,
}

impl User {
    /// Authing's resource name for the user.
    pub fn arn(&self) -> String {
        User::arn_of(&self.pool_id, &self.id)
    }

    /// The resource name of the user `user_id` of the pool `pool_id`.
    pub fn arn_of(pool_id: &str, user_id: &str) -> String {
        format!("arn:cn:authing:{pool_id}:user:{user_id}")
    }
}

/// A link between a user and an identity at an external provider (social login, LDAP,
/// enterprise IdP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    pub id: String,
    pub pool_id: String,
    pub user_id: String,
    /// `wechat`, `github`, `ldap`, …
    pub provider: String,
    /// The identity-source connection this came through, if any.
    pub connection_id: Option<String>,
    pub user_id_in_idp: String,
    pub openid: Option<String>,
    pub is_social: bool,
    /// Raw profile from the provider, JSON text.
    pub user_info_in_idp: Option<String>,
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}
