//! Explicit units of work.
//!
//! A rule that must hold across several rows — a role's parents never loop, a department is
//! never moved under itself — is decided by the core, inside one write transaction that
//! also makes the change: the store runs statements and answers structural questions
//! ("what are this role's ancestors?"), the core decides. Opening a unit locks the pool it is
//! about, so two racing edits of one pool's directory run one after the other and cannot
//! close a loop between them (each sees the other's committed change).
//!
//! Repositories are split by aggregate: [`DirectoryTx`] (roles, org tree) is the first;
//! others follow the same shape.

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;

use crate::error::Result;
use crate::model::directory::{Node, Role};

/// The future a unit-of-work closure returns; it may borrow the transaction only.
pub type UnitFuture<'t, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 't>>;

/// The storage side of units of work.
#[async_trait]
pub trait Units: Send + Sync {
    /// Opens a write transaction on `pool_id`'s data, holding the pool's write lock (on
    /// SQLite the database's, taken by the first statement so it cannot fail to upgrade
    /// later; on PostgreSQL the pool row's). A missing pool is
    /// [`crate::Error::PoolNotFound`].
    async fn begin_pool_write(&self, pool_id: &str) -> Result<Box<dyn WriteTx>>;
}

/// An open write transaction. Dropped without [`WriteTx::commit`], it writes nothing; the
/// core always ends it explicitly (see `Core::pool_write`) so that no lock outlives the unit.
#[async_trait]
pub trait WriteTx: DirectoryTx + Send {
    async fn commit(self: Box<Self>) -> Result<()>;
    async fn rollback(self: Box<Self>) -> Result<()>;
}

/// Changes to one role's own columns; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleFields {
    pub code: Option<String>,
    pub description: Option<Option<String>>,
    pub parent_id: Option<Option<String>>,
}

/// The directory aggregate (roles, org tree) inside a unit of work.
#[async_trait]
pub trait DirectoryTx: Send {
    async fn role(&mut self, pool_id: &str, role_id: &str) -> Result<Option<Role>>;
    /// `role_id` and its ancestors by `parent_id`, in no particular order; the walk stops at
    /// a root or at a role already seen (so a corrupt loop cannot make it run forever).
    async fn role_lineage(&mut self, pool_id: &str, role_id: &str) -> Result<Vec<String>>;
    /// Writes the named columns and `updated_at`; returns the role as stored. A code taken
    /// in the namespace is [`crate::Error::Duplicate`].
    async fn update_role_fields(
        &mut self,
        pool_id: &str,
        role_id: &str,
        fields: &RoleFields,
        at: i64,
    ) -> Result<Role>;

    async fn org_exists(&mut self, pool_id: &str, org_id: &str) -> Result<bool>;
    async fn node(&mut self, pool_id: &str, node_id: &str) -> Result<Option<Node>>;
    /// `node_id` and its ancestors by `parent_id`, in no particular order; the walk stops at
    /// the root or at a node already seen.
    async fn node_lineage(&mut self, pool_id: &str, node_id: &str) -> Result<Vec<String>>;
    async fn set_node_parent(
        &mut self,
        pool_id: &str,
        node_id: &str,
        parent_id: &str,
        at: i64,
    ) -> Result<()>;
}
