//! Bulk paths of the storage interface: importing many users at once and paging through a
//! pool's users. Kept apart from the one-row methods of [`super::Store`] because their cost
//! model differs: a bulk insert is one transaction of multi-row statements, so a million
//! users load in minutes instead of hours of one-row round trips.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::User;

/// Where a page of users starts: after the user with this `(created_at, id)`.
#[derive(Debug, Clone, Copy)]
pub struct PageAfter<'a> {
    pub created_at: i64,
    pub id: &'a str,
}

#[async_trait]
pub trait BulkStore {
    /// Inserts `users` in one transaction with multi-row `INSERT`s: all of them or none.
    /// Uniqueness is enforced by the database exactly as for one insert, so a collision (with
    /// a stored user or inside the batch) fails the whole batch with
    /// [`crate::Error::AlreadyExists`] naming the field. Returns how many were inserted.
    async fn insert_users_bulk(&self, users: &[User]) -> Result<u64>;

    /// Up to `limit` users of a pool in `(created_at, id)` order, starting after `after` (or
    /// at the beginning). Keyset pagination: the cost of a page does not grow with its depth.
    async fn list_users_page(
        &self,
        pool_id: &str,
        after: Option<PageAfter<'_>>,
        limit: u32,
    ) -> Result<Vec<User>>;
}
