//! Storage of public (shared) accounts' bindings: which personal users may switch their login
//! into which public account (`service::public_accounts`). The account itself is a user row
//! with [`crate::model::User::public_account`] set; a binding goes with either user.
//!
//! Every method takes the pool and treats other pools' rows as absent.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::User;
use crate::service::paging::{Page, Paged};

/// Which side of the binding a list starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingSide {
    /// The public accounts a personal user is bound to.
    AccountsOfUser,
    /// The personal users bound to a public account.
    UsersOfAccount,
}

#[async_trait]
pub trait PublicAccountsStore: Send + Sync {
    /// One page of the live users on the other side of `id`'s bindings, oldest binding first.
    async fn public_account_bindings(
        &self,
        pool_id: &str,
        side: BindingSide,
        id: &str,
        page: Page,
    ) -> Result<Paged<User>>;

    /// Whether the personal user `user_id` is bound to the public account `account_id`.
    async fn public_account_bound(
        &self,
        pool_id: &str,
        account_id: &str,
        user_id: &str,
    ) -> Result<bool>;
}

/// Public-account bindings inside a unit of work (`Core::pool_write`): the core checks both
/// ends' kinds under the pool's lock, then writes.
#[async_trait]
pub trait PublicAccountsTx: Send {
    /// The pool's live users among `ids`, each with whether it is a public account.
    async fn user_kinds(&mut self, pool_id: &str, ids: &[String]) -> Result<Vec<(String, bool)>>;
    /// Adds bindings `(account id, user id)`; a binding already there stays as it is.
    async fn insert_public_account_bindings(
        &mut self,
        pool_id: &str,
        pairs: &[(String, String)],
        at: i64,
    ) -> Result<()>;
    /// Removes one binding; whether it was there.
    async fn delete_public_account_binding(
        &mut self,
        pool_id: &str,
        account_id: &str,
        user_id: &str,
    ) -> Result<bool>;
    /// How many public accounts the user is bound to as a personal user.
    async fn count_bindings_of_user(&mut self, pool_id: &str, user_id: &str) -> Result<u64>;
    /// Sets the user's `public_account` flag alone (and `updated_at`); whether the user is
    /// a live user of the pool.
    async fn mark_public_account(&mut self, pool_id: &str, user_id: &str, at: i64) -> Result<bool>;
}
