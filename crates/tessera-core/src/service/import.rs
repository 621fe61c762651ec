//! Bulk user import: many users per call, one transaction per call.
//!
//! Each user is validated and normalised exactly as an administrator's `create_user` would
//! (identifiers, profile, password bounds), so an imported user is indistinguishable from one
//! created singly. Uniqueness stays the database's to enforce: a duplicate, against a stored
//! user or inside the batch, fails the whole batch and writes nothing.

use super::users::{prepare_user, CreatedBy, NewUser};
use super::Core;
use crate::clock;
use crate::error::{Error, Result};
use crate::model::{User, UserPool};

/// Most users one [`Core::import_users`] call takes: one transaction should stay short enough
/// not to hold SQLite's single write lock for long.
pub const MAX_IMPORT_BATCH: usize = 10_000;

impl Core {
    /// Imports `users` into `pool` in one transaction and returns them as stored. Users with
    /// a pre-hashed password (`password_hash`, any recognised format) or none are stored
    /// without hashing; plaintext passwords are hashed with argon2id on all cores first.
    pub async fn import_users(&self, pool: &UserPool, users: Vec<NewUser>) -> Result<Vec<User>> {
        self.import_users_as(pool, users, false).await
    }

    /// [`Core::import_users`], the users created as public (shared) accounts or not
    /// (`createPublicAccountsBatch`), in the same one transaction.
    pub(crate) async fn import_users_as(
        &self,
        pool: &UserPool,
        users: Vec<NewUser>,
        public_account: bool,
    ) -> Result<Vec<User>> {
        if users.len() > MAX_IMPORT_BATCH {
            return Err(Error::InvalidParameter("users"));
        }
        let now = clock::now_ms();
        let mut rows = Vec::with_capacity(users.len());
        let mut to_hash = Vec::new();
        for (i, new) in users.into_iter().enumerate() {
            let (mut user, plaintext) = prepare_user(pool, new, CreatedBy::Admin, now)?;
            user.public_account = public_account;
            if let Some(pw) = plaintext {
                to_hash.push((i, pw));
            }
            rows.push(user);
        }
        if !to_hash.is_empty() {
            let hasher = self.hasher.clone();
            let hashes = Core::blocking(move || hash_all(&hasher, to_hash)).await?;
            for (i, h) in hashes {
                rows[i].password_hash = Some(h);
            }
        }
        self.store.insert_users_bulk(&rows).await?;
        Ok(rows)
    }
}

/// Hashes on every core: an import of plaintext passwords is bound by argon2, not by I/O.
fn hash_all(
    hasher: &crate::crypto::password::PasswordHasher,
    work: Vec<(usize, String)>,
) -> Result<Vec<(usize, String)>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(work.len());
    let per = work.len().div_ceil(threads.max(1));
    std::thread::scope(|s| {
        let handles: Vec<_> = work
            .chunks(per.max(1))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|(i, pw)| hasher.hash(pw).map(|h| (*i, h)))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(work.len());
        for h in handles {
            let part = h
                .join()
                .map_err(|_| Error::Internal("a hashing thread panicked".into()))??;
            out.extend(part);
        }
        Ok(out)
    })
}
