//! A user's change of several parts of their own account at once (profile fields, a new
//! password, the end of their sessions), as the legacy SDK's `update` sends it: every rule is
//! checked first and the change is ONE write, so a refused part leaves nothing applied.

use serde_json::{Map, Value};

use super::account::apply_profile_changes;
use super::users::{CreatedBy, LoginContext};
use super::Core;
use crate::clock;
use crate::error::{Error, Result};
use crate::model::audit::UserEvent;
use crate::model::{User, UserPool};
use crate::rules::password_strength;
use crate::store::{UserChange, UserField};

/// A new password the user sets on themselves, with the current one as proof.
#[derive(Clone)]
pub struct OwnPassword {
    pub new: String,
    pub old: Option<String>,
}

/// Passwords only: never printed.
impl std::fmt::Debug for OwnPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OwnPassword(..)")
    }
}

/// What a user changes on their own account in one call.
#[derive(Debug, Clone, Default)]
pub struct OwnAccountChange {
    /// Profile fields as camelCase JSON, under the rules of [`Core::update_profile`].
    pub profile: Map<String, Value>,
    pub password: Option<OwnPassword>,
    /// Every token of the user issued until now stops working ("log out everywhere").
    pub end_sessions: bool,
}

impl Core {
    /// Applies `change` to the user's own account: the profile rules of a self-service
    /// update, the password rules of [`Core::update_password`] (the current password is
    /// required when one is set, the pool's strength rule applies), and the end of the
    /// user's sessions, all validated before the single write. The password part applies
    /// only while the stored password is still the one checked, as every self-service
    /// password change.
    pub async fn update_own_account(
        &self,
        pool: &UserPool,
        user_id: &str,
        change: OwnAccountChange,
    ) -> Result<User> {
        let before = self.user_by_id(&pool.id, user_id).await?;
        let mut after = before.clone();
        apply_profile_changes(&mut after, &change.profile, CreatedBy::SelfService)?;
        let mut extra = Vec::new();
        if let Some(pw) = &change.password {
            password_strength::enforce(&pool.settings, &pw.new)?;
            if let Some(stored) = before.password_hash.clone() {
                let old = pw
                    .old
                    .as_deref()
                    .filter(|p| !p.is_empty())
                    .ok_or(Error::OldPasswordRequired)?;
                if !self.password_matches(old, stored).await? {
                    return Err(Error::OldPasswordWrong);
                }
            }
            after.password_hash = Some(self.hash_password(pw.new.clone()).await?);
            after.reset_password_on_next_login = false;
            extra.push(UserField::PasswordSecurityLevel(Some(
                password_strength::security_level(&pw.new),
            )));
        }
        if change.end_sessions {
            after.tokens_valid_after = clock::now_ms();
        }
        let mut write = UserChange::between(&before, &after);
        if write.is_empty() {
            return Ok(before);
        }
        write.fields.extend(extra);
        if change.password.is_some() {
            // The old password was checked against the hash read above; a password someone
            // else set since then wins, and the one given is no longer the current one.
            write.expect_password = Some(before.password_hash.clone());
        }
        let changed = self
            .store
            .change_user(&pool.id, &before.id, &write, clock::now_ms())
            .await?
            .ok_or(match change.password {
                Some(_) => Error::OldPasswordWrong,
                None => Error::ConcurrentChange,
            })?;
        if change.password.is_some() {
            self.record_user_action(
                &pool.id,
                &before.id,
                UserEvent::PasswordChange,
                &LoginContext::default(),
            )
            .await?;
        }
        Ok(changed)
    }
}
