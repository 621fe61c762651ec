//! The administrator's view of users' MFA factors (`mc.mfa`): which factors a user has
//! bound, unbinding one, and importing a TOTP secret from another system. The second factors
//! a pool's logins ask for (v3 global MFA settings) are `mfa_login`'s.

use super::Core;
use crate::clock;
use crate::error::{Error, Result};
use crate::ids;
use crate::model::tenant::{MfaFactor, MfaType};
use crate::model::{User, UserMfaRule, UserPool};
use crate::principal::PoolAdmin;
use crate::rules::identifiers;
use crate::store::{UserChange, UserField, UserLookup};

/// Which factors a user has bound (`{OTP, FACE}` on the v2 wire; SMS and EMAIL factors are
/// the ones the user enrolled for themselves, `mfa_factors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MfaStatus {
    pub otp: bool,
    pub face: bool,
    pub sms: bool,
    pub email: bool,
}

impl Core {
    async fn check_user(&self, pool: &UserPool, user_id: &str) -> Result<()> {
        self.store
            .find_user(&pool.id, UserLookup::Id(user_id))
            .await?
            .ok_or(Error::UserNotFound)
            .map(|_| ())
    }

    pub async fn mfa_status(&self, pool: &PoolAdmin, user_id: &str) -> Result<MfaStatus> {
        self.check_user(pool, user_id).await?;
        let factors = self.store.mfa_factors(&pool.id, user_id).await?;
        let bound = |k: MfaType| factors.iter().any(|f| f.kind == k && f.enabled);
        Ok(MfaStatus {
            otp: bound(MfaType::Otp),
            face: bound(MfaType::Face),
            sms: bound(MfaType::Sms),
            email: bound(MfaType::Email),
        })
    }

    /// `setUsersMfaStatus`: replaces the user's own MFA rules, which the MFA step of every
    /// later login of the user applies over the application's or pool's kinds
    /// (`mfa_login::user_kinds`); an empty list removes them. One rule per kind; FACE is
    /// refused as in the pool's settings, since no login can ask for it. A targeted write of
    /// the one column, so a concurrent change to the rest of the user row is kept.
    pub async fn set_user_mfa_rules(
        &self,
        pool: &PoolAdmin,
        user_id: &str,
        rules: Vec<UserMfaRule>,
    ) -> Result<User> {
        for (i, r) in rules.iter().enumerate() {
            if r.kind == MfaType::Face || rules[..i].iter().any(|o| o.kind == r.kind) {
                return Err(Error::InvalidParameter("applicationMfa"));
            }
        }
        self.check_user(pool, user_id).await?;
        let change = UserChange::new().set(UserField::MfaRules(rules));
        self.store
            .change_user(&pool.id, user_id, &change, clock::now_ms())
            .await?
            .ok_or(Error::UserNotFound)
    }

    /// Unbinds the user's factor of one kind; unbinding an unbound kind changes nothing.
    pub async fn unbind_mfa(&self, pool: &PoolAdmin, user_id: &str, kind: MfaType) -> Result<()> {
        self.check_user(pool, user_id).await?;
        self.store
            .delete_mfa_factors(&pool.id, user_id, kind)
            .await
            .map(|_| ())
    }

    /// Stores a TOTP secret (and recovery code) exactly as given and enables it, replacing
    /// the user's previous TOTP factor, so codes from the user's existing authenticator app
    /// keep working.
    pub async fn import_totp(
        &self,
        pool: &PoolAdmin,
        user_id: &str,
        secret: &str,
        recovery_code: Option<&str>,
    ) -> Result<MfaFactor> {
        if secret.is_empty() {
            return Err(Error::MissingParameter("secret"));
        }
        identifiers::text("secret", secret)?;
        if let Some(r) = recovery_code {
            identifiers::text("recoveryCode", r)?;
        }
        self.check_user(pool, user_id).await?;
        let f = MfaFactor {
            id: ids::new_id(),
            pool_id: pool.id.clone(),
            user_id: user_id.to_owned(),
            kind: MfaType::Otp,
            secret: Some(secret.to_owned()),
            recovery: recovery_code.map(str::to_owned),
            enabled: true,
            created_at: clock::now_ms(),
            target: None,
            recovery_hash: None,
            last_step: None,
        };
        self.store.put_mfa_factor(&f).await?;
        Ok(f)
    }
}

impl Core {
    /// The user's TOTP secret, as bound or imported (`getOtpSecretByUser`): an
    /// administrator moving users to another system needs it, as with `import_totp` the
    /// other way. `None` when the user has no TOTP factor.
    pub async fn otp_secret(&self, pool: &PoolAdmin, user_id: &str) -> Result<Option<String>> {
        self.check_user(pool, user_id).await?;
        let factors = self.store.mfa_factors(&pool.id, user_id).await?;
        Ok(factors
            .into_iter()
            .find(|f| f.kind == MfaType::Otp && f.enabled)
            .and_then(|f| f.secret))
    }
}
