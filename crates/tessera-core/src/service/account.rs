//! What a logged-in user does to their own account: profile, password, phone and email
//! (bind, unbind, update with old-address verification per pool setting), password resets by
//! code or by first-login token, account linking, the security summary, logout.

use serde_json::{Map, Value};

use super::codes::{CodePurpose, CodeTarget};
use super::login::FIRST_LOGIN_TOKEN;
use super::tokens::{TokenSubject, UserClaims};
use super::udf::UdfTarget;
use super::users::{validate_profile, CreatedBy, LoginContext};
use super::Core;
use crate::clock;
use crate::crypto::jwt;
use crate::error::{Error, Result};
use crate::model::audit::UserEvent;
use crate::model::Application;
use crate::model::{Profile, User, UserPool};
use crate::rules::{identifiers, password_strength};
use crate::store::{
    ExtrasWanted, SessionKey, SessionRead, SessionValidity, UserChange, UserExtras, UserField,
    UserLookup,
};
use crate::UniqueField;

/// A verified user token with the pool and the user it names. Only [`Core::session`] and
/// [`Core::session_in_pool`] build one and its fields are private, so holding a `Session`
/// proves the token was checked, and its user cannot be swapped for another.
#[derive(Clone)]
pub struct Session {
    pool: UserPool,
    user: User,
    subject: TokenSubject,
    token: String,
}

/// Ids only: the pool carries its secret, the user a password hash, the token is a bearer
/// credential.
impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("pool_id", &self.pool.id)
            .field("user_id", &self.user.id)
            .field("jti", &self.subject.jti)
            .finish()
    }
}

impl Session {
    pub fn pool(&self) -> &UserPool {
        &self.pool
    }

    /// The user as read when the token was checked.
    pub fn user(&self) -> &User {
        &self.user
    }

    pub fn subject(&self) -> &TokenSubject {
        &self.subject
    }

    /// The token the caller presented.
    pub fn token(&self) -> &str {
        &self.token
    }
}

/// `getSecurityLevel`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityLevel {
    pub score: i64,
    pub email: bool,
    pub phone: bool,
    pub password: bool,
    pub password_security_level: Option<i64>,
    pub mfa: bool,
}

/// `updatePhone` arguments.
#[derive(Debug, Clone, Default)]
pub struct PhoneChange {
    pub phone: String,
    pub country_code: Option<String>,
    pub code: String,
    pub old_phone: Option<String>,
    pub old_country_code: Option<String>,
    pub old_code: Option<String>,
}

/// `updateEmail` arguments.
#[derive(Debug, Clone, Default)]
pub struct EmailChange {
    pub email: String,
    pub code: String,
    pub old_email: Option<String>,
    pub old_code: Option<String>,
}

/// The checks a session passes on every request, with the answer each failure gives: a revoked
/// token or one issued before the user's sessions were ended is expired; an unknown, blocked or
/// deleted user makes it invalid.
fn still_valid(subject: &TokenSubject, user: Option<SessionValidity>, revoked: bool) -> Result<()> {
    if revoked {
        return Err(Error::TokenExpired);
    }
    let user = user.ok_or(Error::TokenInvalid)?;
    if user.blocked || user.is_deleted {
        return Err(Error::TokenInvalid);
    }
    if subject.issued_ms <= user.tokens_valid_after {
        return Err(Error::TokenExpired);
    }
    Ok(())
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A session read ahead, in the same read as the request's application and pool
/// ([`Core::app_and_pool_ahead`]): what the store held for the pool, user and token id that
/// a token's claims name, read before the token was verified. It answers only for a
/// verified token naming the same three; anything else is read again.
#[derive(Debug, Clone)]
pub struct SessionAhead {
    pool_id: String,
    user_id: String,
    jti: String,
    read: SessionRead,
    /// The user's extras read with it ([`Core::user_extras_ahead`]).
    extras: Option<UserExtras>,
    /// The token's decoding, done to read its claims: its check reuses it, for that same
    /// token text only ([`jwt::Kept::of`]).
    parsed: Option<(jwt::Kept, UserClaims)>,
}

impl SessionAhead {
    /// Whether this was read for `token`, which then presented itself as a user token
    /// (not a proof of anything: the token is not verified yet).
    pub fn is_for(&self, token: &str) -> bool {
        self.parsed.as_ref().is_some_and(|(kept, _)| kept.is(token))
    }

    /// The decoding of `token` made for the read-ahead, if `token` is the token it read for.
    pub(crate) fn parsed_for(&self, token: &str) -> Option<(jwt::Unverified<'_>, UserClaims)> {
        let (kept, claims) = self.parsed.as_ref()?;
        Some((kept.of(token)?, claims.clone()))
    }

    /// The extras read ahead for user `user_id` of `pool_id`, when they hold what is asked.
    pub(crate) fn extras_for(
        &self,
        pool_id: &str,
        user_id: &str,
        identities: bool,
        custom: bool,
    ) -> Option<&UserExtras> {
        let e = self.extras.as_ref()?;
        let covers = (!identities || e.identities.is_some()) && (!custom || e.custom.is_some());
        (covers && self.pool_id == pool_id && self.user_id == user_id).then_some(e)
    }

    fn for_subject(&self, subject: &TokenSubject, pool_id: &str) -> Option<&SessionRead> {
        (self.pool_id == pool_id && self.user_id == subject.user_id && self.jti == subject.jti)
            .then_some(&self.read)
    }
}

impl Core {
    /// The application `app_id` and its pool (`None` when the app's pool row is missing),
    /// read together with the session of `token` when it presents itself as a user token:
    /// the whole user when `whole_user`, else only what decides validity. One read instead
    /// of two for a request that names its app and presents a token; nothing of the token
    /// is trusted before [`Core::session_in_pool_ahead`] or
    /// [`Core::session_status_in_pool_ahead`] verifies it.
    pub async fn app_and_pool_ahead(
        &self,
        app_id: &str,
        token: Option<&str>,
        whole_user: bool,
    ) -> Result<((Application, Option<UserPool>), Option<SessionAhead>)> {
        self.app_and_pool_ahead_with(app_id, token, whole_user, None)
            .await
    }

    /// [`Core::app_and_pool_ahead`] reading, with the whole user, the extras a request will
    /// answer with ([`Core::user_extras_ahead`]): identities and custom data as `extras`
    /// says (`(identities, custom)`), in the same read.
    pub async fn app_and_pool_ahead_with(
        &self,
        app_id: &str,
        token: Option<&str>,
        whole_user: bool,
        extras: Option<(bool, bool)>,
    ) -> Result<((Application, Option<UserPool>), Option<SessionAhead>)> {
        let claims = token.and_then(|t| Some((t, super::tokens::parse_user_token(t).ok()?)));
        let key = claims
            .as_ref()
            .filter(|(_, (_, c))| c.kind() == super::tokens::USER_TOKEN_TYPE)
            .and_then(|(_, (_, c))| c.session_key());
        let Some((pool_id, user_id, jti)) = key else {
            let found = self.store.get_app_and_pool(app_id).await?;
            return Ok((found.ok_or(Error::AppNotFound)?, None));
        };
        let key = SessionKey {
            pool_id,
            user_id,
            jti,
            whole_user,
            extras: extras.map(|(identities, custom)| ExtrasWanted {
                identities,
                custom: custom.then_some(UdfTarget::User.as_str()),
            }),
        };
        let (found, read, extras) = self.store.app_and_pool_with_session(app_id, key).await?;
        let (pool_id, user_id, jti) = (pool_id.to_owned(), user_id.to_owned(), jti.to_owned());
        let parsed = claims.and_then(|(t, (parsed, c))| Some((parsed.keep(t)?, c)));
        let ahead = SessionAhead {
            pool_id,
            user_id,
            jti,
            read,
            extras,
            parsed,
        };
        Ok((found.ok_or(Error::AppNotFound)?, Some(ahead)))
    }

    /// Resolves a Bearer token to its session. `pool_id`, when the request names a pool (by
    /// its app), must be the token's pool.
    pub async fn session(&self, token: &str, pool_id: Option<&str>) -> Result<Session> {
        let subject = self.session_subject(token, pool_id, None).await?;
        let pool = self.pool(&subject.pool_id).await?;
        self.session_of(subject, pool, token, None).await
    }

    /// [`Core::session`] for a request that already holds its pool (read from its app): the
    /// token must belong to that pool, which is not read a second time.
    pub async fn session_in_pool(&self, token: &str, pool: &UserPool) -> Result<Session> {
        self.session_in_pool_ahead(token, pool, None).await
    }

    /// [`Core::session_in_pool`] with the session read ahead with the request's pool.
    pub async fn session_in_pool_ahead(
        &self,
        token: &str,
        pool: &UserPool,
        ahead: Option<&SessionAhead>,
    ) -> Result<Session> {
        let subject = self.session_subject(token, Some(&pool.id), ahead).await?;
        self.session_of(subject, pool.clone(), token, ahead).await
    }

    /// A session from either kind of user token this server issues, as the v3
    /// authentication API receives them (`v3-wire.md` §5.1, §6.2: the access token of the
    /// v3 sign-in, or a v1/v2 login's token, sent raw or after `Bearer`). An OIDC access
    /// token passes every check of [`Core::oidc_check_access_token`] — signature, issuer,
    /// expiry, its grant not revoked, its user not blocked or logged out since — and must
    /// belong to `pool`; any failure is [`Error::TokenInvalid`].
    pub async fn session_from_any_token(&self, token: &str, pool: &UserPool) -> Result<Session> {
        let is_access_token = crate::crypto::jwt::parse(token)
            .is_ok_and(|p| p.header.typ.as_deref() == Some(super::oidc::claims::ACCESS_TOKEN_TYP));
        if !is_access_token {
            return self.session_in_pool(token, pool).await;
        }
        self.session_from_access_token(token, Some(pool)).await
    }

    /// The session of a user's OIDC access token, after every check of
    /// [`Core::oidc_check_access_token`] (one verification and one read of its grant), then
    /// its user. `pool`, when the request already holds one, must be the token's; without
    /// it the grant's pool is read (the legacy wire names no pool: an SDK that logged in
    /// through OIDC sends the access token as its user token). Any failure is
    /// [`Error::TokenInvalid`].
    pub async fn session_from_access_token(
        &self,
        token: &str,
        pool: Option<&UserPool>,
    ) -> Result<Session> {
        let (claims, grant) = self
            .oidc_check_access_token(token)
            .await
            .map_err(|_| Error::TokenInvalid)?;
        // A client-credentials token speaks for no user.
        let grant = grant.ok_or(Error::TokenInvalid)?;
        if grant.user_id.as_deref() != Some(claims.sub.as_str()) {
            return Err(Error::TokenInvalid);
        }
        let pool = match pool {
            Some(p) if p.id == grant.pool_id => p.clone(),
            Some(_) => return Err(Error::TokenInvalid),
            None => self
                .pool(&grant.pool_id)
                .await
                .map_err(|_| Error::TokenInvalid)?,
        };
        let user = self
            .user_in_pool(&pool.id, &claims.sub)
            .await
            .map_err(|_| Error::TokenInvalid)?;
        Ok(Session {
            pool,
            user,
            subject: TokenSubject {
                user_id: claims.sub,
                pool_id: grant.pool_id,
                app_id: Some(claims.client_id),
                jti: claims.jti,
                iat: claims.iat,
                exp: claims.exp,
                issued_ms: claims.iat.saturating_mul(1000),
            },
            token: token.to_owned(),
        })
    }

    /// [`Core::session`] (`pool` given: [`Core::session_in_pool`]) for a token already parsed
    /// by [`parse_user_token`](super::tokens::parse_user_token).
    pub(crate) async fn session_of_parsed(
        &self,
        token: &str,
        parsed: &crate::crypto::jwt::Unverified<'_>,
        claims: super::tokens::UserClaims,
        pool: Option<&UserPool>,
        ahead: Option<&SessionAhead>,
    ) -> Result<Session> {
        let subject = self.verify_parsed_user_token(parsed, claims).await?;
        let subject = self
            .subject_in_pool(subject, pool.map(|p| p.id.as_str()))
            .await?;
        let pool = match pool {
            Some(p) => p.clone(),
            None => self.pool(&subject.pool_id).await?,
        };
        self.session_of(subject, pool, token, ahead).await
    }

    /// The token's signature, expiry and pool; its revocation is read with the user in
    /// [`Core::session_of`]. A token of another pool is checked for revocation first, so the
    /// answer is the one [`Core::verify_user_token_in_pool`] gives.
    /// A decoding already made for `ahead` is used rather than decoding `token` again.
    async fn session_subject(
        &self,
        token: &str,
        pool_id: Option<&str>,
        ahead: Option<&SessionAhead>,
    ) -> Result<TokenSubject> {
        let subject = match ahead.and_then(|a| a.parsed_for(token)) {
            Some((parsed, claims)) => self.verify_parsed_user_token(&parsed, claims).await?,
            None => self.verify_user_token_unrevoked(token).await?,
        };
        self.subject_in_pool(subject, pool_id).await
    }

    async fn subject_in_pool(
        &self,
        subject: TokenSubject,
        pool_id: Option<&str>,
    ) -> Result<TokenSubject> {
        if pool_id.is_some_and(|p| p != subject.pool_id) {
            if self.store.is_token_revoked(&subject.jti).await? {
                return Err(Error::TokenExpired);
            }
            return Err(Error::TokenInvalid);
        }
        Ok(subject)
    }

    /// Reads the user and the token's revocation in one statement, then applies every check
    /// of a session: revoked, unknown, blocked or deleted user, tokens ended after `iat`.
    async fn session_of(
        &self,
        subject: TokenSubject,
        pool: UserPool,
        token: &str,
        ahead: Option<&SessionAhead>,
    ) -> Result<Session> {
        let (user, revoked) = match ahead.and_then(|a| a.for_subject(&subject, &pool.id)) {
            Some(SessionRead::User(user, revoked)) => (user.as_deref().cloned(), *revoked),
            _ => {
                self.store
                    .find_session_user(&pool.id, &subject.user_id, &subject.jti)
                    .await?
            }
        };
        still_valid(&subject, user.as_ref().map(SessionValidity::of), revoked)?;
        let user = user.ok_or(Error::TokenInvalid)?;
        Ok(Session {
            pool,
            user,
            subject,
            token: token.to_owned(),
        })
    }

    /// Whether `token` is a live session in `pool` (`checkLoginStatus`): every check of
    /// [`Core::session_in_pool`], reading only the columns that decide them.
    pub async fn session_status_in_pool(
        &self,
        token: &str,
        pool: &UserPool,
    ) -> Result<TokenSubject> {
        self.session_status_in_pool_ahead(token, pool, None).await
    }

    /// [`Core::session_status_in_pool`] with the session read ahead with the request's pool.
    pub async fn session_status_in_pool_ahead(
        &self,
        token: &str,
        pool: &UserPool,
        ahead: Option<&SessionAhead>,
    ) -> Result<TokenSubject> {
        let subject = self.session_subject(token, Some(&pool.id), ahead).await?;
        let (validity, revoked) = match ahead.and_then(|a| a.for_subject(&subject, &pool.id)) {
            Some(SessionRead::Validity(validity, revoked)) => (*validity, *revoked),
            Some(SessionRead::User(user, revoked)) => {
                (user.as_deref().map(SessionValidity::of), *revoked)
            }
            None => {
                self.store
                    .session_validity(&pool.id, &subject.user_id, &subject.jti)
                    .await?
            }
        };
        still_valid(&subject, validity, revoked)?;
        Ok(subject)
    }

    /// Revokes the session's token, and records the logout in the user action log under
    /// the application the token was issued for.
    pub async fn logout(&self, session: &Session) -> Result<()> {
        self.revoke_user_token(&session.subject).await?;
        let client = LoginContext {
            app_id: session.subject.app_id.clone(),
            ..LoginContext::default()
        };
        self.record_user_action(
            &session.pool.id,
            &session.user.id,
            UserEvent::Logout,
            &client,
        )
        .await
    }

    pub async fn user_by_id(&self, pool_id: &str, user_id: &str) -> Result<User> {
        self.store
            .find_user(pool_id, UserLookup::Id(user_id))
            .await?
            .ok_or(Error::UserNotFound)
    }

    /// Writes what the rules changed between `before` (the row as read) and `after`, and
    /// nothing else, so a concurrent change to another field (an administrator's block, a
    /// kick) survives. A self-service password change applies only while the stored
    /// password is still the one read ([`Error::ConcurrentChange`] otherwise), so it never
    /// undoes a password an administrator set meanwhile. Returns the row as stored.
    pub(crate) async fn save_user(
        &self,
        before: &User,
        after: &User,
        by: CreatedBy,
    ) -> Result<User> {
        let mut change = UserChange::between(before, after);
        if change.is_empty() {
            return Ok(after.clone());
        }
        let password_changes = change
            .fields
            .iter()
            .any(|f| matches!(f, UserField::PasswordHash(_)));
        if password_changes && by == CreatedBy::SelfService {
            change.expect_password = Some(before.password_hash.clone());
        }
        self.store
            .change_user(&after.pool_id, &after.id, &change, clock::now_ms())
            .await?
            .ok_or(Error::ConcurrentChange)
    }

    /// Applies a partial update given as camelCase JSON (`UpdateUserInput`). A user may not
    /// change their own email or phone this way; an administrator may.
    pub async fn update_profile(
        &self,
        pool: &UserPool,
        user_id: &str,
        changes: &Map<String, Value>,
        by: CreatedBy,
    ) -> Result<User> {
        let user = self.user_by_id(&pool.id, user_id).await?;
        self.update_profile_of(&user, user.clone(), changes, by)
            .await
    }

    /// Applies the profile part of an update to `user` (the row as read, or as an
    /// administrator's rules already edited it) and stores what changed since `before`.
    pub(crate) async fn update_profile_of(
        &self,
        before: &User,
        mut user: User,
        changes: &Map<String, Value>,
        by: CreatedBy,
    ) -> Result<User> {
        apply_profile_changes(&mut user, changes, by)?;
        self.save_user(before, &user, by).await
    }

    /// Sets a user's own new password: only the password columns, and only while the stored
    /// password is still the one `user` was read with. Every way a user sets their own
    /// password comes here, and is recorded in the user action log.
    pub(crate) async fn set_password(
        &self,
        pool: &UserPool,
        user: &User,
        password: &str,
    ) -> Result<User> {
        password_strength::enforce(&pool.settings, password)?;
        let hash = self.hash_password(password.to_owned()).await?;
        let change = UserChange {
            fields: vec![
                UserField::PasswordHash(Some(hash)),
                UserField::ResetPasswordOnNextLogin(false),
                UserField::PasswordSecurityLevel(Some(password_strength::security_level(password))),
            ],
            expect_password: Some(user.password_hash.clone()),
        };
        let changed = self
            .store
            .change_user(&pool.id, &user.id, &change, clock::now_ms())
            .await?
            .ok_or(Error::ConcurrentChange)?;
        let client = LoginContext::default();
        self.record_user_action(&pool.id, &user.id, UserEvent::PasswordChange, &client)
            .await?;
        Ok(changed)
    }

    /// `updatePassword`: the old password is required when one is set.
    pub async fn update_password(
        &self,
        pool: &UserPool,
        user_id: &str,
        new_password: &str,
        old_password: Option<&str>,
    ) -> Result<User> {
        let user = self.user_by_id(&pool.id, user_id).await?;
        if let Some(stored) = user.password_hash.clone() {
            let old = old_password
                .filter(|p| !p.is_empty())
                .ok_or(Error::OldPasswordRequired)?;
            if !self.password_matches(old, stored).await? {
                return Err(Error::OldPasswordWrong);
            }
        }
        // The old password was checked against the hash read above; if someone set another
        // password since, the old password given is no longer the current one.
        match self.set_password(pool, &user, new_password).await {
            Err(Error::ConcurrentChange) => Err(Error::OldPasswordWrong),
            other => other,
        }
    }

    /// `resetPassword` by a phone or email code; returns the user as changed.
    pub async fn reset_password_by_code(
        &self,
        pool: &UserPool,
        target: &CodeTarget,
        code: &str,
        new_password: &str,
    ) -> Result<User> {
        password_strength::enforce(&pool.settings, new_password)?;
        self.verify_code(pool, target, CodePurpose::ResetPassword, code)
            .await?;
        let user = self
            .find_by_address(pool, target)
            .await?
            .ok_or(Error::UserNotFound)?;
        self.set_password(pool, &user, new_password).await
    }

    /// `resetPasswordByFirstLoginToken` and `resetPasswordByForceResetToken` (which also
    /// checks the current password). The token works once.
    pub async fn reset_password_by_token(
        &self,
        token: &str,
        old_password: Option<&str>,
        new_password: &str,
    ) -> Result<()> {
        let subject = self.verify_purpose_token(token, FIRST_LOGIN_TOKEN).await?;
        let pool = self.pool(&subject.pool_id).await?;
        let user = self.user_by_id(&pool.id, &subject.user_id).await?;
        if let Some(old) = old_password {
            let stored = user.password_hash.clone().ok_or(Error::NoPassword)?;
            if !self.password_matches(old, stored).await? {
                return Err(Error::OldPasswordWrong);
            }
        }
        password_strength::enforce(&pool.settings, new_password)?;
        self.spend_purpose_token(&subject).await?;
        match self.set_password(&pool, &user, new_password).await {
            Err(Error::ConcurrentChange) if old_password.is_some() => Err(Error::OldPasswordWrong),
            other => other.map(|_| ()),
        }
    }

    /// `bindPhone`: a first phone number, proven by a code.
    pub async fn bind_phone(
        &self,
        pool: &UserPool,
        user_id: &str,
        phone: &str,
        country_code: Option<&str>,
        code: &str,
    ) -> Result<User> {
        let before = self.user_by_id(&pool.id, user_id).await?;
        let mut user = before.clone();
        if user.phone.is_some() {
            return Err(Error::AlreadyExists(UniqueField::Phone));
        }
        let target = CodeTarget::phone(pool, phone, country_code)?;
        self.ensure_address_free(pool, &target).await?;
        self.verify_code(pool, &target, CodePurpose::Bind, code)
            .await?;
        set_phone(&mut user, &target);
        self.save_user(&before, &user, CreatedBy::SelfService).await
    }

    /// `unbindPhone`, refused when it is the last way to log in.
    pub async fn unbind_phone(&self, pool: &UserPool, user_id: &str) -> Result<User> {
        let before = self.user_by_id(&pool.id, user_id).await?;
        let mut user = before.clone();
        if user.phone.is_none() {
            return Err(Error::NoPhoneBound);
        }
        if user.email.is_none() && user.username.is_none() && !self.has_identities(&user).await? {
            return Err(Error::OnlyLoginMethod);
        }
        user.phone = None;
        user.phone_country_code = None;
        user.phone_verified = false;
        self.save_user(&before, &user, CreatedBy::SelfService).await
    }

    /// `updatePhone`: the new number's code, and the old number's when the pool requires it.
    pub async fn update_phone(
        &self,
        pool: &UserPool,
        user_id: &str,
        change: &PhoneChange,
    ) -> Result<User> {
        let before = self.user_by_id(&pool.id, user_id).await?;
        let target = self.prove_phone_change(pool, &before, change).await?;
        self.store_new_phone(&before, &target).await
    }

    /// The checks of [`Core::update_phone`] without the write: the new number is free and
    /// proven by its code, the old one too when the pool requires it (both codes used up).
    /// Returns the new number.
    pub(crate) async fn prove_phone_change(
        &self,
        pool: &UserPool,
        user: &User,
        change: &PhoneChange,
    ) -> Result<CodeTarget> {
        let target = CodeTarget::phone(pool, &change.phone, change.country_code.as_deref())?;
        let old = match (&user.phone_country_code, &user.phone) {
            (Some(cc), Some(n)) => Some(CodeTarget::Phone {
                country_code: cc.clone(),
                number: n.clone(),
            }),
            _ => None,
        };
        if old.as_ref() == Some(&target) {
            return Err(Error::SamePhone);
        }
        let old_proof = match (&old, pool.settings.verify_old_phone) {
            (Some(current), true) => {
                let (Some(old_phone), Some(old_code)) =
                    (non_empty(&change.old_phone), non_empty(&change.old_code))
                else {
                    return Err(Error::OldPhoneRequired);
                };
                let given = CodeTarget::phone(pool, old_phone, change.old_country_code.as_deref())?;
                if &given != current {
                    return Err(Error::OldPhoneMismatch);
                }
                Some((given, old_code.to_owned()))
            }
            _ => None,
        };
        self.ensure_address_free(pool, &target).await?;
        if let Some((t, c)) = &old_proof {
            self.verify_code(pool, t, CodePurpose::VerifyOld, c).await?;
        }
        self.verify_code(pool, &target, CodePurpose::Bind, &change.code)
            .await?;
        Ok(target)
    }

    /// `bindEmail`: a first email, proven by a code.
    pub async fn bind_email(
        &self,
        pool: &UserPool,
        user_id: &str,
        email: &str,
        code: &str,
    ) -> Result<User> {
        let before = self.user_by_id(&pool.id, user_id).await?;
        let mut user = before.clone();
        if user.email.is_some() {
            return Err(Error::EmailAlreadyBound);
        }
        let (address, _) = identifiers::email(email)?;
        let target = CodeTarget::email(email)?;
        self.ensure_email_free(pool, &target).await?;
        self.verify_code(pool, &target, CodePurpose::Bind, code)
            .await?;
        user.email = Some(address);
        user.email_verified = true;
        self.save_user(&before, &user, CreatedBy::SelfService)
            .await
            .map_err(email_taken)
    }

    pub async fn unbind_email(&self, pool: &UserPool, user_id: &str) -> Result<User> {
        let before = self.user_by_id(&pool.id, user_id).await?;
        let mut user = before.clone();
        if user.email.is_none() {
            return Err(Error::NoEmailBound);
        }
        if user.phone.is_none() && user.username.is_none() && !self.has_identities(&user).await? {
            return Err(Error::OnlyLoginMethod);
        }
        user.email = None;
        user.email_verified = false;
        self.save_user(&before, &user, CreatedBy::SelfService).await
    }

    /// A `CHANGE_EMAIL` code for the user `user_id` (the legacy `sendChangeEmailVerifyCode`):
    /// to the address he will change to, which must be free ([`Error::EmailAlreadyBound`]
    /// otherwise, as [`Core::update_email`] would refuse it anyway), or to his current
    /// address, whose code proves it when the pool verifies the old email.
    pub async fn send_change_email_code(
        &self,
        pool: &UserPool,
        user_id: &str,
        email: &str,
    ) -> Result<()> {
        let user = self.user_by_id(&pool.id, user_id).await?;
        let target = CodeTarget::email(email)?;
        let own = user.email.as_deref().map(identifiers::email_key);
        if own.as_deref() != Some(identifiers::email_key(email).as_str()) {
            self.ensure_email_free(pool, &target).await?;
        }
        self.send_email_code(pool, email, "CHANGE_EMAIL").await
    }

    /// `updateEmail`: the new address's code, and the old one's when the pool requires it.
    pub async fn update_email(
        &self,
        pool: &UserPool,
        user_id: &str,
        change: &EmailChange,
    ) -> Result<User> {
        let before = self.user_by_id(&pool.id, user_id).await?;
        let address = self.prove_email_change(pool, &before, change).await?;
        self.store_new_email(&before, address).await
    }

    /// Sets a proven new email on the user as read in `before`.
    pub(crate) async fn store_new_email(&self, before: &User, address: String) -> Result<User> {
        let mut user = before.clone();
        user.email = Some(address);
        user.email_verified = true;
        self.save_user(before, &user, CreatedBy::SelfService)
            .await
            .map_err(email_taken)
    }

    /// Sets a proven new phone number on the user as read in `before`.
    pub(crate) async fn store_new_phone(&self, before: &User, target: &CodeTarget) -> Result<User> {
        let mut user = before.clone();
        set_phone(&mut user, target);
        self.save_user(before, &user, CreatedBy::SelfService).await
    }

    /// The checks of [`Core::update_email`] without the write: the new address is free and
    /// proven by its code, the old one too when the pool requires it (both codes used up).
    /// Returns the new address as it will be stored.
    pub(crate) async fn prove_email_change(
        &self,
        pool: &UserPool,
        user: &User,
        change: &EmailChange,
    ) -> Result<String> {
        let (address, key) = identifiers::email(&change.email)?;
        let target = CodeTarget::Email(key.clone());
        let current = user.email.as_deref().map(identifiers::email_key);
        if current.as_deref() == Some(key.as_str()) {
            return Err(Error::SameEmail);
        }
        let old_proof = match (&current, pool.settings.verify_old_email) {
            (Some(current), true) => {
                let (Some(old_email), Some(old_code)) =
                    (non_empty(&change.old_email), non_empty(&change.old_code))
                else {
                    return Err(Error::OldEmailRequired);
                };
                if identifiers::email_key(old_email) != *current {
                    return Err(Error::OldEmailMismatch);
                }
                Some((CodeTarget::Email(current.clone()), old_code.to_owned()))
            }
            _ => None,
        };
        self.ensure_email_free(pool, &target).await?;
        if let Some((t, c)) = &old_proof {
            self.verify_code(pool, t, CodePurpose::VerifyOld, c).await?;
        }
        self.verify_code(pool, &target, CodePurpose::Bind, &change.code)
            .await?;
        Ok(address)
    }

    pub(crate) async fn ensure_email_free(
        &self,
        pool: &UserPool,
        target: &CodeTarget,
    ) -> Result<()> {
        self.ensure_address_free(pool, target)
            .await
            .map_err(email_taken)
    }

    pub(crate) async fn has_identities(&self, user: &User) -> Result<bool> {
        Ok(!self
            .store
            .list_identities(&user.pool_id, &user.id)
            .await?
            .is_empty())
    }

    /// `linkAccount`: moves the secondary account's external identities to the primary
    /// account and deletes the secondary account, with everything that names it (the same
    /// cascade as an administrator's deletion: role and group memberships, risk-list
    /// entries, post and ASA assignments), in one unit of work. Both tokens must be valid in
    /// one pool.
    pub async fn link_accounts(&self, primary_token: &str, secondary_token: &str) -> Result<()> {
        let primary = self.session(primary_token, None).await?;
        let secondary = self
            .session(secondary_token, Some(&primary.pool.id))
            .await?;
        if primary.user.id == secondary.user.id {
            return Err(Error::InvalidParameter("secondaryUserToken"));
        }
        let pool_id = primary.pool.id.clone();
        let (from, to) = (secondary.user.id.clone(), primary.user.id.clone());
        self.pool_write(&primary.pool.id, move |tx| {
            Box::pin(async move {
                tx.move_identities(&pool_id, &from, &to).await?;
                super::cascade::delete_users(tx, &pool_id, &[from]).await
            })
        })
        .await?;
        self.revoke_user_token(&secondary.subject).await
    }

    pub async fn security_level(&self, pool: &UserPool, user: &User) -> Result<SecurityLevel> {
        let level = self
            .store
            .password_security_level(&pool.id, &user.id)
            .await?;
        let email = user.email.is_some();
        let phone = user.phone.is_some();
        let password = user.password_hash.is_some();
        // Any enrolled factor (TOTP, SMS, email) is a second factor.
        let mfa = !self.store.mfa_factors(&pool.id, &user.id).await?.is_empty();
        let mut score = 20;
        score += if mfa { 20 } else { 0 };
        score += if email { 15 } else { 0 };
        score += if phone { 15 } else { 0 };
        score += if password {
            15 + 5 * level.unwrap_or(1)
        } else {
            0
        };
        Ok(SecurityLevel {
            score: score.min(100),
            email,
            phone,
            password,
            password_security_level: level,
            mfa,
        })
    }

    /// `isUserExists`: true if any of the given identifiers belongs to a user.
    pub async fn user_exists(
        &self,
        pool: &UserPool,
        username: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<bool> {
        if let Some(u) = username.filter(|s| !s.is_empty()) {
            if self
                .store
                .find_user(&pool.id, UserLookup::Username(u))
                .await?
                .is_some()
            {
                return Ok(true);
            }
        }
        if let Some(e) = email.filter(|s| !s.is_empty()) {
            let key = identifiers::email_key(e);
            if self
                .store
                .find_user(&pool.id, UserLookup::Email(&key))
                .await?
                .is_some()
            {
                return Ok(true);
            }
        }
        if let Some(p) = phone.filter(|s| !s.is_empty()) {
            if let Ok(target) = CodeTarget::phone(pool, p, None) {
                if self.find_by_address(pool, &target).await?.is_some() {
                    return Ok(true);
                }
            }
        }
        if let Some(x) = external_id.filter(|s| !s.is_empty()) {
            if self
                .store
                .find_user(&pool.id, UserLookup::ExternalId(x))
                .await?
                .is_some()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Binding an email someone else has is [`Error::EmailAlreadyBound`], not "user exists".
fn email_taken(e: Error) -> Error {
    match e {
        Error::AlreadyExists(UniqueField::Email) => Error::EmailAlreadyBound,
        other => other,
    }
}

fn set_phone(user: &mut User, target: &CodeTarget) {
    if let CodeTarget::Phone {
        country_code,
        number,
    } = target
    {
        user.phone = Some(number.clone());
        user.phone_country_code = Some(country_code.clone());
        user.phone_verified = true;
    }
}

/// The profile part of an update given as camelCase JSON (`UpdateUserInput`), applied to
/// `user` in memory: every rule of [`Core::update_profile`] except the write, so a caller
/// that changes more in the same write (a password, the end of the sessions) validates
/// everything before anything is stored.
pub(crate) fn apply_profile_changes(
    user: &mut User,
    changes: &Map<String, Value>,
    by: CreatedBy,
) -> Result<()> {
    // A present key is a change: a string sets it, null clears it, anything else is wrong.
    let text = |key: &str| -> Result<Option<Option<String>>> {
        match changes.get(key) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(_) => Err(Error::InvalidParameter("UpdateUserInput")),
        }
    };
    if by == CreatedBy::SelfService {
        if let Some(Some(e)) = text("email")? {
            if user.email.as_deref() != Some(e.as_str()) {
                return Err(Error::EmailChangeRefused);
            }
        }
        if let Some(Some(p)) = text("phone")? {
            if user.phone.as_deref() != Some(p.as_str()) {
                return Err(Error::PhoneChangeRefused);
            }
        }
        for k in [
            "unionid",
            "openid",
            "emailVerified",
            "phoneVerified",
            "blocked",
        ] {
            if changes.contains_key(k) {
                return Err(Error::Forbidden);
            }
        }
    }
    if let Some(u) = text("username")? {
        user.username = match u {
            Some(u) if !u.trim().is_empty() => Some(identifiers::username(&u)?),
            _ => None,
        };
    }
    let mut profile = serde_json::to_value(&user.profile)
        .map_err(|e| Error::Internal(format!("profile: {e}")))?;
    if let Value::Object(p) = &mut profile {
        for key in p.clone().keys() {
            if let Some(v) = text(key)? {
                p.insert(key.clone(), v.map_or(Value::Null, Value::String));
            }
        }
    }
    user.profile = serde_json::from_value::<Profile>(profile)
        .map_err(|_| Error::InvalidParameter("profile"))?;
    validate_profile(&user.profile)?;
    for (key, slot) in [
        ("device", &mut user.login.device),
        ("browser", &mut user.login.browser),
        ("lastIP", &mut user.login.last_ip),
    ] {
        if let Some(v) = text(key)? {
            if let Some(s) = &v {
                identifiers::text(key, s)?;
            }
            *slot = v;
        }
    }
    if let Some(v) = changes.get("lastIp").and_then(Value::as_str) {
        identifiers::text("lastIp", v)?;
        user.login.last_ip = Some(v.to_owned());
    }
    Ok(())
}
