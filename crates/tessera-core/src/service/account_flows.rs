//! The two-step account flows of the v3 AuthenticationClient (`v3-wire.md` §5.6): a
//! `verify-…-request` proves something (codes, a password) and buys a short-lived token; the
//! action spends it. Changing the email or phone, resetting the password, deleting the
//! account.
//!
//! A flow token is an RS256 JWT naming its kind, pool, user and — for an email or phone
//! change — the exact new address it proves, so nothing can be swapped after the proof. Its
//! single use and lifetime are a row in `verification_codes` (channel [`FLOW_CHANNEL`],
//! target = the token's `jti`), spent by the same atomic "consume" as a code: two requests
//! racing with one token cannot both pass, and every server process agrees.

use serde::Deserialize;
use serde_json::json;

use super::account::{EmailChange, PhoneChange, Session};
use super::codes::{CodePurpose, CodeTarget};
use super::guard::AttemptOutcome;
use super::Core;
use crate::clock;
use crate::crypto::{ct_eq, jwt};
use crate::error::{Error, Result};
use crate::ids;
use crate::model::{User, UserPool};
use crate::rules::password_strength;
use crate::store::CodeRecord;

/// The `verification_codes` channel flow tokens are kept under; no code is ever sent on it.
pub const FLOW_CHANNEL: &str = "flow-token";
/// How long a flow token lives: long enough to submit a form, short enough that a token
/// left in a log or a browser history is useless soon.
pub const FLOW_TOKEN_TTL_SECS: i64 = 300;

/// What a flow token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowKind {
    UpdateEmail,
    UpdatePhone,
    ResetPassword,
    DeleteAccount,
}

impl FlowKind {
    /// The token's `data.type` (never a user token's type, so it is no session) and the
    /// scene of its row.
    fn as_str(self) -> &'static str {
        match self {
            FlowKind::UpdateEmail => "v3-update-email",
            FlowKind::UpdatePhone => "v3-update-phone",
            FlowKind::ResetPassword => "v3-reset-password",
            FlowKind::DeleteAccount => "v3-delete-account",
        }
    }
}

/// A flow token as handed to the caller.
#[derive(Debug, Clone)]
pub struct FlowToken {
    pub token: String,
    /// Seconds from now (`tokenExpiresIn`).
    pub expires_in: i64,
}

/// How `verifyDeleteAccountRequest` proves the account holder.
#[derive(Debug, Clone)]
pub enum DeleteProof {
    /// A code of channel `CHANNEL_DELETE_ACCOUNT` sent to the account's own phone or email.
    Code { target: CodeTarget, code: String },
    /// The account's password (already decrypted by the façade).
    Password(String),
}

#[derive(Deserialize)]
struct FlowClaims {
    sub: String,
    exp: i64,
    jti: String,
    data: FlowData,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FlowData {
    #[serde(rename = "type")]
    kind: String,
    user_pool_id: String,
    #[serde(default)]
    target: Option<String>,
}

/// What a spent token proved.
struct Spent {
    user_id: String,
    target: Option<String>,
}

/// The row's fingerprint of what the token binds: a token whose row was written for another
/// user or address (which a valid signature already rules out) does not match.
fn binding_hash(jti: &str, user_id: &str, target: Option<&str>) -> String {
    let text = format!("{jti}\n{user_id}\n{}", target.unwrap_or(""));
    ids::hex(&openssl::sha::sha256(text.as_bytes()))
}

/// A phone target as one string (`+86 13800138000`), the form a token binds.
fn phone_key(t: &CodeTarget) -> Result<String> {
    match t {
        CodeTarget::Phone {
            country_code,
            number,
        } => Ok(format!("{country_code} {number}")),
        CodeTarget::Email(_) => Err(Error::Internal("phone target expected".into())),
    }
}

fn phone_from_key(key: &str) -> Result<CodeTarget> {
    let (cc, number) = key.split_once(' ').ok_or(Error::TokenInvalid)?;
    Ok(CodeTarget::Phone {
        country_code: cc.to_owned(),
        number: number.to_owned(),
    })
}

/// The user's bound phone number as a code target.
fn own_phone(pool: &UserPool, user: &User) -> Result<CodeTarget> {
    let number = user.phone.as_deref().ok_or(Error::NoPhoneBound)?;
    CodeTarget::phone(pool, number, user.phone_country_code.as_deref())
}

impl Core {
    /// Issues a flow token of `kind` for one user (and address), and stores its single use.
    async fn issue_flow_token(
        &self,
        pool: &UserPool,
        user_id: &str,
        kind: FlowKind,
        target: Option<&str>,
    ) -> Result<FlowToken> {
        let iat = clock::now_secs();
        let exp = iat + FLOW_TOKEN_TTL_SECS;
        let jti = ids::new_url_token(16);
        let claims = json!({
            "sub": user_id,
            "iss": self.issuer(),
            "iat": iat,
            "exp": exp,
            "jti": jti,
            "data": {
                "type": kind.as_str(),
                "userPoolId": pool.id,
                "id": user_id,
                "target": target,
            },
        });
        let token = self.sign_rs256_current(&claims).await?;
        let now = clock::now_ms();
        let record = CodeRecord {
            id: ids::new_id(),
            pool_id: pool.id.clone(),
            channel: FLOW_CHANNEL.to_owned(),
            target: jti.clone(),
            scene: kind.as_str().to_owned(),
            code_hash: binding_hash(&jti, user_id, target),
            attempts: 0,
            max_attempts: 1,
            expires_at: exp * 1000,
            created_at: now,
        };
        // The jti is fresh, so no earlier row can make the insert refuse.
        if !self.store.insert_code(&record, now).await? {
            return Err(Error::Internal("flow token row not stored".into()));
        }
        Ok(FlowToken {
            token,
            expires_in: FLOW_TOKEN_TTL_SECS,
        })
    }

    /// Checks a flow token of `kind` in `pool` and uses it up. A token that is not ours, of
    /// another kind or pool is invalid; an expired or already spent one is expired.
    async fn spend_flow_token(
        &self,
        pool: &UserPool,
        token: &str,
        kind: FlowKind,
    ) -> Result<Spent> {
        let token = token.trim();
        if token.is_empty() {
            return Err(Error::MissingParameter("token"));
        }
        let parsed = jwt::parse(token).map_err(|_| Error::TokenInvalid)?;
        if !self.rs256_valid(&parsed).await? {
            return Err(Error::TokenInvalid);
        }
        let claims: FlowClaims = parsed
            .claims_unverified()
            .map_err(|_| Error::TokenInvalid)?;
        if claims.data.kind != kind.as_str() || claims.data.user_pool_id != pool.id {
            return Err(Error::TokenInvalid);
        }
        if claims.exp <= clock::now_secs() {
            return Err(Error::TokenExpired);
        }
        let rows = self
            .store
            .recent_codes(&pool.id, FLOW_CHANNEL, &claims.jti, &[kind.as_str()], 1)
            .await?;
        let now = clock::now_ms();
        // No unspent row: used already (or never stored by this server).
        let row = rows.first().ok_or(Error::TokenExpired)?;
        if row.expires_at <= now {
            return Err(Error::TokenExpired);
        }
        let expected = binding_hash(&claims.jti, &claims.sub, claims.data.target.as_deref());
        if !ct_eq(expected.as_bytes(), row.code_hash.as_bytes()) {
            return Err(Error::TokenInvalid);
        }
        if !self.store.consume_code(&row.id, now).await? {
            return Err(Error::TokenExpired);
        }
        Ok(Spent {
            user_id: claims.sub,
            target: claims.data.target,
        })
    }

    /// A token of `kind` spent by the session's own user; another user's token is refused
    /// before it is used up, so it stays good for its owner.
    async fn spend_own_flow_token(
        &self,
        s: &Session,
        token: &str,
        kind: FlowKind,
    ) -> Result<Spent> {
        let owner = self.flow_token_owner(s.pool(), token, kind).await?;
        if owner != s.user().id {
            return Err(Error::TokenInvalid);
        }
        self.spend_flow_token(s.pool(), token, kind).await
    }

    /// The user a well-signed token of `kind` names, without spending it.
    async fn flow_token_owner(
        &self,
        pool: &UserPool,
        token: &str,
        kind: FlowKind,
    ) -> Result<String> {
        let parsed = jwt::parse(token.trim()).map_err(|_| Error::TokenInvalid)?;
        if !self.rs256_valid(&parsed).await? {
            return Err(Error::TokenInvalid);
        }
        let claims: FlowClaims = parsed
            .claims_unverified()
            .map_err(|_| Error::TokenInvalid)?;
        if claims.data.kind != kind.as_str() || claims.data.user_pool_id != pool.id {
            return Err(Error::TokenInvalid);
        }
        Ok(claims.sub)
    }

    /// The session's user as stored now (the session's copy may predate a change).
    async fn current_user(&self, s: &Session) -> Result<User> {
        self.user_by_id(&s.pool().id, &s.user().id).await
    }

    /// `verifyUpdateEmailRequest`: the checks of `updateEmail` (new address free and proven,
    /// the old one too when the pool requires it); the token names the new address.
    pub async fn verify_update_email_request(
        &self,
        s: &Session,
        change: &EmailChange,
    ) -> Result<FlowToken> {
        let user = self.current_user(s).await?;
        let address = self.prove_email_change(s.pool(), &user, change).await?;
        self.issue_flow_token(s.pool(), &user.id, FlowKind::UpdateEmail, Some(&address))
            .await
    }

    /// `updateEmail`: sets the address the token proved, if it is still free.
    pub async fn update_email_by_token(&self, s: &Session, token: &str) -> Result<User> {
        let spent = self
            .spend_own_flow_token(s, token, FlowKind::UpdateEmail)
            .await?;
        let address = spent.target.ok_or(Error::TokenInvalid)?;
        let before = self.user_by_id(&s.pool().id, &spent.user_id).await?;
        let target = CodeTarget::email(&address)?;
        self.ensure_email_free(s.pool(), &target).await?;
        self.store_new_email(&before, address).await
    }

    /// `verifyUpdatePhoneRequest`: the checks of `updatePhone`; the token names the number.
    pub async fn verify_update_phone_request(
        &self,
        s: &Session,
        change: &PhoneChange,
    ) -> Result<FlowToken> {
        let user = self.current_user(s).await?;
        let target = self.prove_phone_change(s.pool(), &user, change).await?;
        let key = phone_key(&target)?;
        self.issue_flow_token(s.pool(), &user.id, FlowKind::UpdatePhone, Some(&key))
            .await
    }

    /// `updatePhone`: sets the number the token proved, if it is still free.
    pub async fn update_phone_by_token(&self, s: &Session, token: &str) -> Result<User> {
        let spent = self
            .spend_own_flow_token(s, token, FlowKind::UpdatePhone)
            .await?;
        let target = phone_from_key(spent.target.as_deref().ok_or(Error::TokenInvalid)?)?;
        let before = self.user_by_id(&s.pool().id, &spent.user_id).await?;
        self.ensure_address_free(s.pool(), &target).await?;
        self.store_new_phone(&before, &target).await
    }

    /// `verifyResetPasswordRequest`: a reset code (channel `CHANNEL_RESET_PASSWORD`) of the
    /// account's phone or email proves the account; no login is needed (forgotten
    /// password). An address no account has is refused once its code checks out, so the
    /// code is the price of learning that.
    pub async fn verify_reset_password_request(
        &self,
        pool: &UserPool,
        target: &CodeTarget,
        code: &str,
    ) -> Result<FlowToken> {
        self.verify_code(pool, target, CodePurpose::ResetPassword, code)
            .await?;
        let user = self
            .find_by_address(pool, target)
            .await?
            .ok_or(Error::UserNotFound)?;
        self.issue_flow_token(pool, &user.id, FlowKind::ResetPassword, None)
            .await
    }

    /// `resetPassword`: the token's user gets the new password (the pool's rules first, so a
    /// weak password does not use the token up).
    pub async fn reset_password_with_token(
        &self,
        pool: &UserPool,
        token: &str,
        new_password: &str,
    ) -> Result<()> {
        password_strength::enforce(&pool.settings, new_password)?;
        let spent = self
            .spend_flow_token(pool, token, FlowKind::ResetPassword)
            .await?;
        let user = self.user_by_id(&pool.id, &spent.user_id).await?;
        self.set_password(pool, &user, new_password).await?;
        Ok(())
    }

    /// `updatePassword` with `passwordResetToken` instead of the old password: the token
    /// must be the session user's own.
    pub async fn update_password_with_reset_token(
        &self,
        s: &Session,
        token: &str,
        new_password: &str,
    ) -> Result<()> {
        password_strength::enforce(&s.pool().settings, new_password)?;
        let spent = self
            .spend_own_flow_token(s, token, FlowKind::ResetPassword)
            .await?;
        let user = self.user_by_id(&s.pool().id, &spent.user_id).await?;
        self.set_password(s.pool(), &user, new_password).await?;
        Ok(())
    }

    /// `verifyDeleteAccountRequest`: a delete-account code sent to the account's own phone
    /// or email, or its password.
    pub async fn verify_delete_account_request(
        &self,
        s: &Session,
        proof: DeleteProof,
    ) -> Result<FlowToken> {
        let pool = s.pool();
        let user = self.current_user(s).await?;
        match proof {
            DeleteProof::Code { target, code } => {
                let own = match &target {
                    CodeTarget::Email(key) => {
                        let mine = user.email.as_deref().ok_or(Error::NoEmailBound)?;
                        crate::rules::identifiers::email_key(mine) == *key
                    }
                    CodeTarget::Phone { .. } => own_phone(pool, &user)? == target,
                };
                // A code sent to someone else's address proves nothing about this account.
                if !own {
                    return Err(Error::Forbidden);
                }
                self.verify_code(pool, &target, CodePurpose::DeleteAccount, &code)
                    .await?;
            }
            DeleteProof::Password(password) => {
                let stored = user.password_hash.clone().ok_or(Error::NoPassword)?;
                // Counted as a login attempt of the account: a stolen session cannot guess
                // the password here beyond the budget the login allows.
                let account = super::login::account_keys_of(&user)
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| user.id.clone());
                let attempt = self.login_attempt(pool, &account, None, None, None).await?;
                let matches = self.password_matches(&password, stored).await?;
                let outcome = if matches {
                    AttemptOutcome::Success
                } else {
                    AttemptOutcome::Failure
                };
                self.login_attempt_done(pool, attempt, outcome).await?;
                if !matches {
                    return Err(Error::WrongPassword);
                }
            }
        }
        self.issue_flow_token(pool, &user.id, FlowKind::DeleteAccount, None)
            .await
    }

    /// `deleteAccount`: the session's user goes, with everything the user delete cascade
    /// takes, in one unit of work; the session's tokens die with the user.
    pub async fn delete_account(&self, s: &Session, token: &str) -> Result<()> {
        let spent = self
            .spend_own_flow_token(s, token, FlowKind::DeleteAccount)
            .await?;
        let pool_id = s.pool().id.clone();
        let ids = vec![spent.user_id];
        self.pool_write(&pool_id.clone(), move |tx| {
            Box::pin(async move { super::cascade::delete_users(tx, &pool_id, &ids).await })
        })
        .await
    }

    /// `unbindEmail`: a code of channel `CHANNEL_UNBIND_EMAIL` sent to the bound address
    /// proves the holder; the last way to log in is never unbound.
    pub async fn unbind_my_email(&self, s: &Session, code: &str) -> Result<User> {
        let user = self.current_user(s).await?;
        let email = user.email.as_deref().ok_or(Error::NoEmailBound)?;
        let target = CodeTarget::email(email)?;
        self.verify_code(s.pool(), &target, CodePurpose::Unbind, code)
            .await?;
        self.unbind_email(s.pool(), &user.id).await
    }

    /// `unbindPhone`: a code of channel `CHANNEL_UNBIND_PHONE` sent to the bound number.
    pub async fn unbind_my_phone(&self, s: &Session, code: &str) -> Result<User> {
        let user = self.current_user(s).await?;
        let target = own_phone(s.pool(), &user)?;
        self.verify_code(s.pool(), &target, CodePurpose::Unbind, code)
            .await?;
        self.unbind_phone(s.pool(), &user.id).await
    }

    /// `validatePassword`: whether a password meets the pool's password rules. It checks no
    /// account's password (that would be a login without its guards).
    pub fn validate_password(&self, pool: &UserPool, password: &str) -> Result<bool> {
        match password_strength::enforce(&pool.settings, password) {
            Ok(()) => Ok(true),
            Err(Error::PasswordTooShort | Error::PasswordTooWeak(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}
