//! Password hashes exported for a migration (v3 `getUserPasswordCiphertext`,
//! `getUserEncryptPasswordBatch`): a pool administrator reads the stored hash of a user's
//! password, to import it elsewhere (another Tessera pool's import takes it as
//! `password_hash`, and a login there verifies the original password against it).
//!
//! A hash is a secret, if a lesser one than the password, so the export is narrowed:
//! - only a [`PoolAdmin`] calls it (the management wire's signed or token-bearing
//!   administrator of the pool); a user, an application or another pool cannot;
//! - every export is written to the admin audit log (who, from where, which users) before
//!   any hash is returned: if the record cannot be written, nothing is returned;
//! - a batch names at most [`MAX_EXPORT_BATCH`] users, each of the pool, or nothing is
//!   returned;
//! - the value is the stored hash string as it is (argon2id PHC, or an imported bcrypt /
//!   PBKDF2 form not yet rehashed), never a plaintext: Tessera keeps no plaintext and no
//!   reversible encryption of a password. (Authing's "ciphertext" is the password
//!   encrypted with a customer key; Tessera has no such copy, and says so by answering the
//!   hash, which the receiving side imports as a hash.)
//! - a user without a password: the single export is [`Error::NoPassword`]; in a batch its
//!   value is absent (`None`), so one such user does not hide the others'.
//!
//! Nothing here logs a hash.

use super::audit::AuditEntry;
use super::Core;
use crate::error::{Error, Result};
use crate::model::audit::{OperationType, ResourceKind};
use crate::principal::PoolAdmin;
use crate::store::users::UserKey;

/// Most users one batch export names.
pub const MAX_EXPORT_BATCH: usize = 50;

/// One user's exported hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedHash {
    pub user_id: String,
    /// The stored hash; `None` for a user without a password.
    pub hash: Option<String>,
}

impl Core {
    /// The hashes of these users' passwords, in the order named (repeats once). Every id
    /// must be a user of the pool, or nothing is returned.
    pub async fn export_password_hashes(
        &self,
        admin: &PoolAdmin,
        user_ids: &[String],
    ) -> Result<Vec<ExportedHash>> {
        if user_ids.is_empty() || user_ids.iter().any(|i| i.trim().is_empty()) {
            return Err(Error::MissingParameter("userIds"));
        }
        if user_ids.len() > MAX_EXPORT_BATCH {
            return Err(Error::TooManyUsers);
        }
        let mut ids: Vec<String> = Vec::with_capacity(user_ids.len());
        for id in user_ids {
            crate::rules::identifiers::text("userIds", id)?;
            let id = id.trim().to_owned();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let entry = AuditEntry::new(OperationType::Export, ResourceKind::User)
            .targets(&ids)
            .param("fields", "passwordHash");
        let found = self.users_by_key(admin, UserKey::Id, &ids).await;
        let outcome = found.and_then(|users| {
            ids.iter()
                .map(|id| {
                    let u = users
                        .iter()
                        .find(|u| &u.id == id)
                        .ok_or(Error::UserNotFound)?;
                    Ok(ExportedHash {
                        user_id: u.id.clone(),
                        hash: u.password_hash.clone(),
                    })
                })
                .collect::<Result<Vec<_>>>()
        });
        // The record is written before anything is returned: an export that cannot be
        // recorded returns nothing (`audit` answers the store's error then).
        let (values, outcome) = match outcome {
            Ok(v) => (v, Ok(())),
            Err(e) => (Vec::new(), Err(e)),
        };
        self.audit(admin, entry, outcome).await?;
        Ok(values)
    }

    /// One user's hash; a user without a password is [`Error::NoPassword`].
    pub async fn export_password_hash(&self, admin: &PoolAdmin, user_id: &str) -> Result<String> {
        let mut out = self
            .export_password_hashes(admin, &[user_id.to_owned()])
            .await?;
        out.pop().and_then(|e| e.hash).ok_or(Error::NoPassword)
    }
}
