//! The bulk path of the storage interface: importing many users at once. Kept apart from the one-row methods of [`super::Store`] because their cost
//! model differs: a bulk insert is one transaction of multi-row statements, so a million
//! users load in minutes instead of hours of one-row round trips.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::User;

#[async_trait]
pub trait BulkStore {
    /// Inserts `users` in one transaction with multi-row `INSERT`s: all of them or none.
    /// Uniqueness is enforced by the database exactly as for one insert, so a collision (with
    /// a stored user or inside the batch) fails the whole batch with
    /// [`crate::Error::AlreadyExists`] naming the field. Returns how many were inserted.
    async fn insert_users_bulk(&self, users: &[User]) -> Result<u64>;
}
