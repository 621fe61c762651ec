//! Targeted writes to one user row.
//!
//! A service reads a user, applies its rules to a copy and may then spend a long time (two
//! argon2 hashes in `updatePassword`) before it writes. Rewriting the whole row at that point
//! would silently undo whatever another request changed meanwhile: an administrator's block,
//! a kick (`tokens_valid_after`), a password reset. So a write names only the columns it
//! means to change ([`UserChange::between`] derives them from the copy the rules edited), and
//! a write that depends on the password it checked says so ([`UserChange::expect_password`]):
//! the store applies it only if the stored hash is still that one.

use crate::model::{Profile, User, UserStatus};

/// Declares [`ProfileField`] with its list and its accessors from one table, so the variant
/// ↔ field pairing is written once.
macro_rules! profile_fields {
    ($($variant:ident => $field:ident,)*) => {
        /// A free-form profile attribute (each is its own column).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ProfileField {
            $($variant,)*
        }

        impl ProfileField {
            pub const ALL: &'static [ProfileField] = &[$(ProfileField::$variant,)*];

            /// This attribute's value in `p`.
            pub fn get(self, p: &Profile) -> &Option<String> {
                match self {
                    $(ProfileField::$variant => &p.$field,)*
                }
            }

            fn slot(self, p: &mut Profile) -> &mut Option<String> {
                match self {
                    $(ProfileField::$variant => &mut p.$field,)*
                }
            }
        }
    };
}

profile_fields! {
    Nickname => nickname,
    Photo => photo,
    Company => company,
    Name => name,
    GivenName => given_name,
    FamilyName => family_name,
    MiddleName => middle_name,
    Profile => profile,
    PreferredUsername => preferred_username,
    Website => website,
    Gender => gender,
    Birthdate => birthdate,
    Zoneinfo => zoneinfo,
    Locale => locale,
    Address => address,
    Formatted => formatted,
    StreetAddress => street_address,
    Locality => locality,
    Region => region,
    PostalCode => postal_code,
    City => city,
    Province => province,
    Country => country,
    Oauth => oauth,
}

/// One column (or column pair) of a user row set to a new value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserField {
    Username(Option<String>),
    /// The store keeps the normalised uniqueness key beside it.
    Email(Option<String>),
    EmailVerified(bool),
    /// Number and country code change together (uniqueness is on the pair).
    Phone {
        number: Option<String>,
        country_code: Option<String>,
    },
    PhoneVerified(bool),
    Unionid(Option<String>),
    Openid(Option<String>),
    ExternalId(Option<String>),
    Status(UserStatus),
    Blocked(bool),
    IsDeleted(bool),
    RegisterSource(Vec<String>),
    /// A new password hash (the store also stamps when it changed).
    PasswordHash(Option<String>),
    /// 1–3 as the strength rules grade the password that was set; `None` when unknown.
    PasswordSecurityLevel(Option<i64>),
    ResetPasswordOnNextLogin(bool),
    PrimaryUserId(Option<String>),
    Profile(ProfileField, Option<String>),
    LastIp(Option<String>),
    Device(Option<String>),
    Browser(Option<String>),
    TokensValidAfter(i64),
    /// The administrator's per-user MFA rules (`setUsersMfaStatus`).
    MfaRules(Vec<crate::model::UserMfaRule>),
    /// Whether the user is a public (shared) account (`changeIntoPublicAccount`).
    PublicAccount(bool),
}

/// A targeted change: only these columns are written (and `updated_at`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChange {
    pub fields: Vec<UserField>,
    /// `Some(h)`: apply only while the stored password hash is still `h` (`None` inside: no
    /// password set). A change that checked the current password carries it, so a password
    /// set by anyone else meanwhile wins over it.
    pub expect_password: Option<Option<String>>,
}

impl UserChange {
    pub fn new() -> UserChange {
        UserChange::default()
    }

    pub fn set(mut self, field: UserField) -> UserChange {
        self.fields.push(field);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The columns in which `after` (a copy the rules edited) differs from `before` (the row
    /// as read). Login statistics, ids and creation facts are never part of it: they have
    /// their own writes.
    pub fn between(before: &User, after: &User) -> UserChange {
        let mut c = UserChange::new();
        let mut f = |changed: bool, field: UserField| {
            if changed {
                c.fields.push(field);
            }
        };
        f(
            before.username != after.username,
            UserField::Username(after.username.clone()),
        );
        f(
            before.email != after.email,
            UserField::Email(after.email.clone()),
        );
        f(
            before.email_verified != after.email_verified,
            UserField::EmailVerified(after.email_verified),
        );
        f(
            before.phone != after.phone || before.phone_country_code != after.phone_country_code,
            UserField::Phone {
                number: after.phone.clone(),
                country_code: after.phone_country_code.clone(),
            },
        );
        f(
            before.phone_verified != after.phone_verified,
            UserField::PhoneVerified(after.phone_verified),
        );
        f(
            before.unionid != after.unionid,
            UserField::Unionid(after.unionid.clone()),
        );
        f(
            before.openid != after.openid,
            UserField::Openid(after.openid.clone()),
        );
        f(
            before.external_id != after.external_id,
            UserField::ExternalId(after.external_id.clone()),
        );
        f(
            before.status != after.status,
            UserField::Status(after.status),
        );
        f(
            before.blocked != after.blocked,
            UserField::Blocked(after.blocked),
        );
        f(
            before.is_deleted != after.is_deleted,
            UserField::IsDeleted(after.is_deleted),
        );
        f(
            before.register_source != after.register_source,
            UserField::RegisterSource(after.register_source.clone()),
        );
        f(
            before.password_hash != after.password_hash,
            UserField::PasswordHash(after.password_hash.clone()),
        );
        f(
            before.reset_password_on_next_login != after.reset_password_on_next_login,
            UserField::ResetPasswordOnNextLogin(after.reset_password_on_next_login),
        );
        f(
            before.primary_user_id != after.primary_user_id,
            UserField::PrimaryUserId(after.primary_user_id.clone()),
        );
        for &p in ProfileField::ALL {
            let (b, a) = (p.get(&before.profile), p.get(&after.profile));
            f(b != a, UserField::Profile(p, a.clone()));
        }
        f(
            before.login.last_ip != after.login.last_ip,
            UserField::LastIp(after.login.last_ip.clone()),
        );
        f(
            before.login.device != after.login.device,
            UserField::Device(after.login.device.clone()),
        );
        f(
            before.login.browser != after.login.browser,
            UserField::Browser(after.login.browser.clone()),
        );
        f(
            before.tokens_valid_after != after.tokens_valid_after,
            UserField::TokensValidAfter(after.tokens_valid_after),
        );
        f(
            before.mfa_rules != after.mfa_rules,
            UserField::MfaRules(after.mfa_rules.clone()),
        );
        f(
            before.public_account != after.public_account,
            UserField::PublicAccount(after.public_account),
        );
        c
    }

    /// Applies the change to an in-memory copy (what the row holds after a successful write,
    /// for the fields written).
    pub fn apply_to(&self, user: &mut User) {
        for field in &self.fields {
            match field.clone() {
                UserField::Username(v) => user.username = v,
                UserField::Email(v) => user.email = v,
                UserField::EmailVerified(v) => user.email_verified = v,
                UserField::Phone {
                    number,
                    country_code,
                } => {
                    user.phone = number;
                    user.phone_country_code = country_code;
                }
                UserField::PhoneVerified(v) => user.phone_verified = v,
                UserField::Unionid(v) => user.unionid = v,
                UserField::Openid(v) => user.openid = v,
                UserField::ExternalId(v) => user.external_id = v,
                UserField::Status(v) => user.status = v,
                UserField::Blocked(v) => user.blocked = v,
                UserField::IsDeleted(v) => user.is_deleted = v,
                UserField::RegisterSource(v) => user.register_source = v,
                UserField::PasswordHash(v) => user.password_hash = v,
                UserField::PasswordSecurityLevel(_) => {}
                UserField::ResetPasswordOnNextLogin(v) => user.reset_password_on_next_login = v,
                UserField::PrimaryUserId(v) => user.primary_user_id = v,
                UserField::Profile(p, v) => *p.slot(&mut user.profile) = v,
                UserField::LastIp(v) => user.login.last_ip = v,
                UserField::Device(v) => user.login.device = v,
                UserField::Browser(v) => user.login.browser = v,
                UserField::TokensValidAfter(v) => user.tokens_valid_after = v,
                UserField::MfaRules(v) => user.mfa_rules = v,
                UserField::PublicAccount(v) => user.public_account = v,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: "u".into(),
            pool_id: "p".into(),
            username: Some("alice".into()),
            email: None,
            email_verified: false,
            phone: None,
            phone_country_code: None,
            phone_verified: false,
            unionid: None,
            openid: None,
            external_id: None,
            status: UserStatus::Activated,
            blocked: false,
            is_deleted: false,
            register_source: vec![],
            password_hash: Some("h0".into()),
            reset_password_on_next_login: false,
            primary_user_id: None,
            profile: Profile::default(),
            login: Default::default(),
            tokens_valid_after: 0,
            signed_up: 0,
            created_at: 0,
            updated_at: 0,
            mfa_rules: vec![],
            public_account: false,
        }
    }

    #[test]
    fn only_changed_columns_are_written() {
        let before = user();
        let mut after = before.clone();
        after.profile.nickname = Some("Al".into());
        after.password_hash = Some("h1".into());
        let c = UserChange::between(&before, &after);
        assert_eq!(
            c.fields,
            vec![
                UserField::PasswordHash(Some("h1".into())),
                UserField::Profile(ProfileField::Nickname, Some("Al".into())),
            ]
        );
        // An unchanged copy writes nothing, so it cannot undo anyone's change.
        assert!(UserChange::between(&before, &before.clone()).is_empty());
    }

    #[test]
    fn applying_a_change_reproduces_the_edit() {
        let before = user();
        let mut after = before.clone();
        after.blocked = true;
        after.phone = Some("13800138000".into());
        after.phone_country_code = Some("+86".into());
        after.profile.city = Some("Hangzhou".into());
        after.tokens_valid_after = 42;
        let c = UserChange::between(&before, &after);
        let mut applied = before.clone();
        c.apply_to(&mut applied);
        assert_eq!(applied, after);
    }
}
