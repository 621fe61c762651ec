//! Users: creation with the pool's rules, and password authentication.

use super::Core;
use crate::clock;
use crate::error::{Error, Result};
use crate::ids;
use crate::model::{LoginStats, Profile, User, UserPool, UserStatus};
use crate::rules::{identifiers, password_strength};
use crate::store::{LoginUpdate, UserLookup};

/// Who is creating the user: self-service registration follows the pool's password policy;
/// an administrator (or an import) may set any password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreatedBy {
    SelfService,
    Admin,
}

/// The caller-supplied part of a new user.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub phone_country_code: Option<String>,
    /// Plaintext; hashed here.
    pub password: Option<String>,
    /// An already-hashed password from an import (argon2/bcrypt/PBKDF2); verified as is and
    /// rehashed at the first login.
    pub password_hash: Option<String>,
    pub external_id: Option<String>,
    pub email_verified: Option<bool>,
    pub phone_verified: bool,
    pub register_source: Vec<String>,
    pub profile: Profile,
    pub primary_user_id: Option<String>,
    pub reset_password_on_next_login: bool,
}

/// The identifier a password login names.
#[derive(Debug, Clone)]
pub enum LoginId {
    Email(String),
    Username(String),
    Phone {
        number: String,
        country_code: Option<String>,
    },
    /// Email, username or phone, whichever matches (Authing's `account` login).
    Account(String),
}

impl LoginId {
    /// What a single "account" field holds: an email when it has an `@` (usernames and phone
    /// numbers never do, `rules::identifiers`), else a username or phone, whichever matches.
    pub fn typed(account: &str) -> LoginId {
        if account.contains('@') {
            LoginId::Email(account.to_owned())
        } else {
            LoginId::Account(account.to_owned())
        }
    }
}

/// Where a login came from, recorded on the user.
#[derive(Debug, Clone, Default)]
pub struct LoginContext {
    /// The application the login is for, recorded in the login history.
    pub app_id: Option<String>,
    pub ip: Option<String>,
    pub device: Option<String>,
    pub browser: Option<String>,
}

impl LoginContext {
    /// What a login from here at `at_ms` writes on the user row.
    pub(crate) fn login_update(&self, at_ms: i64) -> LoginUpdate {
        LoginUpdate {
            at_ms,
            app_id: self.app_id.clone(),
            ip: self.ip.clone(),
            device: self.device.clone(),
            browser: self.browser.clone(),
        }
    }
}

/// The in-memory user after a login was stored with `update`, as a fresh read would give it.
pub(crate) fn count_login(user: &mut User, update: LoginUpdate) {
    user.login.logins_count += 1;
    user.login.last_login = Some(update.at_ms);
    user.login.last_ip = update.ip;
    user.login.device = update.device;
    user.login.browser = update.browser;
}

fn profile_texts(p: &Profile) -> [(&'static str, &Option<String>); 24] {
    [
        ("nickname", &p.nickname),
        ("photo", &p.photo),
        ("company", &p.company),
        ("name", &p.name),
        ("givenName", &p.given_name),
        ("familyName", &p.family_name),
        ("middleName", &p.middle_name),
        ("profile", &p.profile),
        ("preferredUsername", &p.preferred_username),
        ("website", &p.website),
        ("gender", &p.gender),
        ("birthdate", &p.birthdate),
        ("zoneinfo", &p.zoneinfo),
        ("locale", &p.locale),
        ("address", &p.address),
        ("formatted", &p.formatted),
        ("streetAddress", &p.street_address),
        ("locality", &p.locality),
        ("region", &p.region),
        ("postalCode", &p.postal_code),
        ("city", &p.city),
        ("province", &p.province),
        ("country", &p.country),
        ("oauth", &p.oauth),
    ]
}

/// Checks every free-text profile field's length.
pub fn validate_profile(p: &Profile) -> Result<()> {
    for (name, value) in profile_texts(p) {
        if let Some(v) = value {
            // `oauth` holds a provider's whole JSON profile; allow it more room.
            let limit = if name == "oauth" {
                64 * 1024
            } else {
                identifiers::MAX_TEXT_LEN
            };
            if v.len() > limit {
                return Err(Error::InvalidParameter(name));
            }
        }
    }
    if let Some(g) = &p.gender {
        if !matches!(g.as_str(), "M" | "F" | "U" | "") {
            return Err(Error::InvalidParameter("gender"));
        }
    }
    Ok(())
}

/// Validates and normalises `new` into a user row of `pool` created at `now`. A plaintext
/// password is checked (the pool's policy for self-service, bounds for an administrator) and
/// handed back unhashed, so the caller decides where the hash runs; an imported hash is
/// stored as is.
pub(crate) fn prepare_user(
    pool: &UserPool,
    new: NewUser,
    by: CreatedBy,
    now: i64,
) -> Result<(User, Option<String>)> {
    prepare(pool, new, by, now, true)
}

/// [`prepare_user`] for a user who signs in through a linked external identity (a WeChat
/// mini-program user): it may have no username, email, phone or external id of its own.
pub(crate) fn prepare_linked_user(pool: &UserPool, new: NewUser, now: i64) -> Result<User> {
    let (user, _) = prepare(pool, new, CreatedBy::SelfService, now, false)?;
    Ok(user)
}

fn prepare(
    pool: &UserPool,
    new: NewUser,
    by: CreatedBy,
    now: i64,
    needs_identifier: bool,
) -> Result<(User, Option<String>)> {
    let username = new
        .username
        .as_deref()
        .map(identifiers::username)
        .transpose()?;
    let email = new
        .email
        .as_deref()
        .map(identifiers::email)
        .transpose()?
        .map(|(e, _)| e);
    let (phone_country_code, phone) = match new.phone.as_deref() {
        Some(p) => {
            let (cc, n) = identifiers::phone(
                p,
                new.phone_country_code.as_deref(),
                &pool.settings.default_phone_country_code,
            )?;
            (Some(cc), Some(n))
        }
        None => (None, None),
    };
    if let Some(x) = &new.external_id {
        identifiers::text("externalId", x)?;
    }
    validate_profile(&new.profile)?;
    if needs_identifier
        && username.is_none()
        && email.is_none()
        && phone.is_none()
        && new.external_id.is_none()
    {
        return Err(Error::MissingParameter("username/email/phone"));
    }

    let (password_hash, plaintext) = match (new.password, new.password_hash) {
        (Some(pw), _) => {
            if by == CreatedBy::SelfService {
                password_strength::enforce(&pool.settings, &pw)?;
            } else if pw.is_empty() || pw.len() > password_strength::MAX_PASSWORD_LEN {
                return Err(Error::InvalidParameter("password"));
            }
            (None, Some(pw))
        }
        (None, Some(imported)) => {
            if imported.len() > 512 {
                return Err(Error::InvalidParameter("password"));
            }
            (Some(imported), None)
        }
        (None, None) => (None, None),
    };

    let user = User {
        id: ids::new_id(),
        pool_id: pool.id.clone(),
        username,
        email,
        email_verified: new
            .email_verified
            .unwrap_or(pool.settings.email_verified_default),
        phone,
        phone_country_code,
        phone_verified: new.phone_verified,
        unionid: None,
        openid: None,
        external_id: new.external_id,
        status: UserStatus::Activated,
        blocked: false,
        is_deleted: false,
        register_source: new.register_source,
        password_hash,
        reset_password_on_next_login: new.reset_password_on_next_login,
        primary_user_id: new.primary_user_id,
        profile: new.profile,
        login: LoginStats::default(),
        tokens_valid_after: 0,
        signed_up: now,
        created_at: now,
        updated_at: now,
        mfa_rules: vec![],
        public_account: false,
    };
    Ok((user, plaintext))
}

impl Core {
    /// Validates, normalises, hashes and inserts a user. Uniqueness is the store's to enforce,
    /// so a race between two registrations ends with one [`Error::AlreadyExists`].
    pub async fn create_user(&self, pool: &UserPool, new: NewUser, by: CreatedBy) -> Result<User> {
        let user = self.build_user(pool, new, by).await?;
        self.store.insert_user(&user).await?;
        Ok(user)
    }

    /// Validates, normalises and hashes a new user without storing it, for callers that
    /// store more in the same transaction.
    pub(crate) async fn build_user(
        &self,
        pool: &UserPool,
        new: NewUser,
        by: CreatedBy,
    ) -> Result<User> {
        let (mut user, plaintext) = prepare_user(pool, new, by, clock::now_ms())?;
        if let Some(pw) = plaintext {
            let hasher = self.hasher.clone();
            user.password_hash = Some(self.hashing(move || hasher.hash(&pw)).await?);
        }
        Ok(user)
    }

    /// Finds the user a login names.
    pub async fn find_login_user(&self, pool: &UserPool, id: &LoginId) -> Result<Option<User>> {
        let store = &self.store;
        match id {
            LoginId::Email(e) => {
                let (_, key) = identifiers::email(e)?;
                store.find_user(&pool.id, UserLookup::Email(&key)).await
            }
            LoginId::Username(u) => {
                let u = identifiers::username(u)?;
                store.find_user(&pool.id, UserLookup::Username(&u)).await
            }
            LoginId::Phone {
                number,
                country_code,
            } => {
                let (cc, n) = identifiers::phone(
                    number,
                    country_code.as_deref(),
                    &pool.settings.default_phone_country_code,
                )?;
                store
                    .find_user(
                        &pool.id,
                        UserLookup::Phone {
                            country_code: &cc,
                            number: &n,
                        },
                    )
                    .await
            }
            LoginId::Account(a) => {
                if let Ok((_, key)) = identifiers::email(a) {
                    if let Some(u) = store.find_user(&pool.id, UserLookup::Email(&key)).await? {
                        return Ok(Some(u));
                    }
                }
                if let Ok(u) = identifiers::username(a) {
                    if let Some(u) = store.find_user(&pool.id, UserLookup::Username(&u)).await? {
                        return Ok(Some(u));
                    }
                }
                if let Ok((cc, n)) =
                    identifiers::phone(a, None, &pool.settings.default_phone_country_code)
                {
                    return store
                        .find_user(
                            &pool.id,
                            UserLookup::Phone {
                                country_code: &cc,
                                number: &n,
                            },
                        )
                        .await;
                }
                Ok(None)
            }
        }
    }

    /// Checks a password login and records it. Costs one password hash; an imported or
    /// outdated hash is replaced by a current argon2id hash while the plaintext is at hand.
    pub async fn authenticate_password(
        &self,
        pool: &UserPool,
        id: &LoginId,
        password: String,
        ctx: &LoginContext,
    ) -> Result<User> {
        let mut user = self.verify_password(pool, id, password).await?;
        self.record_login(pool, &mut user, ctx).await?;
        Ok(user)
    }

    /// Finds the user a login names and checks the password, without recording a login.
    ///
    /// A missing user still costs a hash, so response time does not reveal which accounts
    /// exist.
    pub async fn verify_password(
        &self,
        pool: &UserPool,
        id: &LoginId,
        password: String,
    ) -> Result<User> {
        let user = self.find_login_user(pool, id).await?;
        self.check_password_of(pool, user, password).await
    }

    /// [`Core::verify_password`] for the user a login names, already looked up (`None`: no
    /// such account), so a login can apply a rule to the account before its password.
    pub(crate) async fn check_password_of(
        &self,
        pool: &UserPool,
        user: Option<User>,
        password: String,
    ) -> Result<User> {
        let Some(mut user) = user else {
            let hasher = self.hasher.clone();
            self.hashing(move || {
                hasher.hash(&password)?;
                Ok(())
            })
            .await?;
            return Err(Error::UserNotFound);
        };
        let Some(stored) = user.password_hash.clone() else {
            return Err(Error::NoPassword);
        };
        let hasher = self.hasher.clone();
        let (verification, rehash) = self
            .hashing(move || {
                let v = hasher.verify(&password, &stored);
                let rehash = if v.matches && v.needs_rehash {
                    Some(hasher.hash(&password)?)
                } else {
                    None
                };
                Ok((v, rehash))
            })
            .await?;
        if !verification.matches {
            return Err(Error::WrongPassword);
        }
        // An archived (resigned) user no longer exists for logins.
        if user.is_deleted {
            return Err(Error::UserNotFound);
        }
        if user.blocked || user.status == UserStatus::Suspended {
            return Err(Error::UserBlocked);
        }
        if let Some(h) = rehash {
            // Only while the stored hash is still the one just verified: a password set
            // meanwhile (an administrator's reset) must not be replaced by the old one.
            let change = crate::store::UserChange {
                fields: vec![crate::store::UserField::PasswordHash(Some(h))],
                expect_password: Some(user.password_hash.clone()),
            };
            if let Some(stored) = self
                .store
                .change_user(&pool.id, &user.id, &change, clock::now_ms())
                .await?
            {
                user = stored;
            }
        }
        Ok(user)
    }

    /// Records a completed login on the user row and in `user`; returns its time (ms).
    pub async fn record_login(
        &self,
        pool: &UserPool,
        user: &mut User,
        ctx: &LoginContext,
    ) -> Result<i64> {
        let update = ctx.login_update(clock::now_ms());
        self.store.record_login(&pool.id, &user.id, &update).await?;
        let at_ms = update.at_ms;
        count_login(user, update);
        Ok(at_ms)
    }

    /// Whether `password` matches a stored hash (off the async workers). For re-checks of a
    /// logged-in user's current password; logins go through [`Core::verify_password`].
    pub(crate) async fn password_matches(&self, password: &str, stored: String) -> Result<bool> {
        let hasher = self.hasher.clone();
        let password = password.to_owned();
        self.hashing(move || Ok(hasher.verify(&password, &stored).matches))
            .await
    }

    /// Hashes a new password (off the async workers).
    pub(crate) async fn hash_password(&self, password: String) -> Result<String> {
        let hasher = self.hasher.clone();
        self.hashing(move || hasher.hash(&password)).await
    }
}
