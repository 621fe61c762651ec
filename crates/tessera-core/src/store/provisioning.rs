//! Storage of provisioning connections and sync relations (migration 41,
//! `service::provisioning`). Every method takes the pool and treats a row of another pool as
//! absent.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::provisioning::{ProvisioningConnection, SyncKind, SyncRelation};
use crate::model::User;

#[async_trait]
pub trait ProvisioningStore: Send + Sync {
    /// The connection whose token has this SHA-256 digest (hex). Looking the digest up by
    /// an index compares no secret byte by byte in this process.
    async fn provisioning_connection_by_token(
        &self,
        token_digest: &str,
    ) -> Result<Option<ProvisioningConnection>>;
    /// The pool's connections, oldest first.
    async fn provisioning_connections(&self, pool_id: &str) -> Result<Vec<ProvisioningConnection>>;
    /// The relation of one upstream object.
    async fn sync_relation_by_external(
        &self,
        pool_id: &str,
        kind: SyncKind,
        provider: &str,
        external_id: &str,
    ) -> Result<Option<SyncRelation>>;
    /// Every relation of these targets (any provider), by provider then creation.
    async fn sync_relations_of(
        &self,
        pool_id: &str,
        kind: SyncKind,
        target_ids: &[String],
    ) -> Result<Vec<SyncRelation>>;
    /// The users whose username equals `username` ignoring ASCII case (SCIM's `userName` is
    /// `caseExact: false`, RFC 7643 §4.1.1), oldest first; at most `limit`.
    async fn users_by_username_ci(
        &self,
        pool_id: &str,
        username: &str,
        limit: i64,
    ) -> Result<Vec<User>>;
    /// The pool's users in creation order from `offset` on, at most `limit`.
    async fn users_from(&self, pool_id: &str, offset: i64, limit: i64) -> Result<Vec<User>>;
}

/// The same inside a unit of work (`Core::pool_write`), where uniqueness of a relation is
/// decided with its target's write.
#[async_trait]
pub trait ProvisioningTx: Send {
    async fn insert_provisioning_connection(
        &mut self,
        c: &ProvisioningConnection,
        token_digest: &str,
    ) -> Result<()>;
    /// Removes a connection; whether there was one. Its relations stay: they link objects,
    /// not a credential.
    async fn delete_provisioning_connection(&mut self, pool_id: &str, id: &str) -> Result<bool>;
    async fn sync_relation_of_target(
        &mut self,
        pool_id: &str,
        kind: SyncKind,
        provider: &str,
        target_id: &str,
    ) -> Result<Option<SyncRelation>>;
    async fn sync_relation_of_external(
        &mut self,
        pool_id: &str,
        kind: SyncKind,
        provider: &str,
        external_id: &str,
    ) -> Result<Option<SyncRelation>>;
    /// Adds a relation; one colliding with a stored one (either direction) is
    /// [`crate::Error::Duplicate`] of [`crate::Entity::SyncRelation`].
    async fn insert_sync_relation(&mut self, r: &SyncRelation) -> Result<()>;
    /// Removes the target's relation with one provider; whether there was one.
    async fn delete_sync_relation(
        &mut self,
        pool_id: &str,
        kind: SyncKind,
        provider: &str,
        target_id: &str,
    ) -> Result<bool>;
    /// Removes every relation of these targets (they are being deleted).
    async fn delete_sync_relations_to(
        &mut self,
        pool_id: &str,
        kind: SyncKind,
        target_ids: &[String],
    ) -> Result<()>;
}
