//! Storage of users' real-name (principal) authentications (migration 39,
//! `service::principal`). Every method takes the pool and treats a row of another pool as
//! absent. The resident ID number or credit code reaches the store only sealed
//! (`crypto::sealing`); the core opens it.

use async_trait::async_trait;

use crate::error::Result;

/// A user's verified principal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPrincipal {
    pub pool_id: String,
    pub user_id: String,
    /// `P` (a person) or `E` (an enterprise).
    pub principal_type: String,
    pub principal_name: String,
    /// The ID number or unified social credit code, sealed.
    pub sealed_code: String,
    pub authenticated_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[async_trait]
pub trait PrincipalStore: Send + Sync {
    /// The user's verified principal, if any.
    async fn principal_authentication(
        &self,
        pool_id: &str,
        user_id: &str,
    ) -> Result<Option<StoredPrincipal>>;
}

/// The same inside a unit of work (`Core::pool_write`), where the "one per user, none
/// replaced unless asked" rule is decided.
#[async_trait]
pub trait PrincipalTx: Send {
    /// Whether the user has a verified principal.
    async fn has_principal_authentication(&mut self, pool_id: &str, user_id: &str) -> Result<bool>;
    /// Writes the user's principal, replacing any it had (the core decided it may).
    async fn put_principal_authentication(&mut self, p: &StoredPrincipal) -> Result<()>;
    /// Removes the user's principal; whether there was one.
    async fn delete_principal_authentication(
        &mut self,
        pool_id: &str,
        user_id: &str,
    ) -> Result<bool>;
}
