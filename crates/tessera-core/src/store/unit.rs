//! Explicit units of work.
//!
//! A rule that must hold across several rows — a role's parents never loop, a department is
//! never moved under itself — is decided by the core, inside one write transaction that
//! also makes the change: the store runs statements and answers structural questions
//! ("what are this role's ancestors?"), the core decides. Opening a unit locks the pool it is
//! about, so two racing edits of one pool's directory run one after the other and cannot
//! close a loop between them (each sees the other's committed change).
//!
//! Repositories are split by aggregate, and each aggregate's module holds its transactional
//! repository next to its store trait: [`DirectoryTx`] (roles, org tree) is the first;
//! others follow the same shape.

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;

use super::apps::AppsTx;
use super::asa::AsaTx;
use super::audit::AuditTx;
use super::authorization::AuthorizationTx;
use super::directory::DirectoryTx;
use super::posts::PostsTx;
use super::principal::PrincipalTx;
use super::provisioning::ProvisioningTx;
use super::public_accounts::PublicAccountsTx;
use super::risk::RiskTx;
use super::sod::SodTx;
use super::tenant_admins::TenantAdminsTx;
use super::tenants::TenantsTx;
use super::users::UsersTx;
use crate::error::Result;

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
pub trait WriteTx:
    DirectoryTx
    + AuthorizationTx
    + AppsTx
    + AsaTx
    + TenantsTx
    + TenantAdminsTx
    + UsersTx
    + PostsTx
    + PrincipalTx
    + ProvisioningTx
    + PublicAccountsTx
    + RiskTx
    + SodTx
    + CustomDataTx
    + AuditTx
    + Send
{
    async fn commit(self: Box<Self>) -> Result<()>;
    async fn rollback(self: Box<Self>) -> Result<()>;
}

/// Custom-field values inside a unit of work: they name their target by id, so they go
/// when the target goes (and can come with it, in the unit that creates it). Field
/// definitions are read and written here when a batch of them must be decided against what
/// is stored, under the pool's lock.
#[async_trait]
pub trait CustomDataTx: Send {
    /// Writes (inserts or replaces) values, each `(target id, key, stored value)`, of one
    /// UDF target kind; the values were checked against the definitions by the core.
    async fn put_custom_data(
        &mut self,
        pool_id: &str,
        target_kind: &str,
        rows: &[(String, String, String)],
        at: i64,
    ) -> Result<()>;
    /// Deletes the values of these targets of one UDF target kind (`"ROLE"`, `"ORG"`, …).
    async fn delete_custom_data(
        &mut self,
        pool_id: &str,
        target_kind: &str,
        ids: &[String],
    ) -> Result<()>;
    /// The field definitions of one target kind, oldest first.
    async fn udf_definitions(
        &mut self,
        pool_id: &str,
        target_kind: &str,
    ) -> Result<Vec<super::UdfDefinition>>;
    /// Creates a definition or sets the type, label and choices of the stored one.
    async fn put_udf_definition(&mut self, def: &super::UdfDefinition, at: i64) -> Result<()>;
    /// Deletes every value of one field.
    async fn delete_udf_values_of(
        &mut self,
        pool_id: &str,
        target_kind: &str,
        key: &str,
    ) -> Result<()>;
    /// Deletes one definition (its values first, see [`CustomDataTx::delete_udf_values_of`]);
    /// whether there was one.
    async fn delete_udf_definition(
        &mut self,
        pool_id: &str,
        target_kind: &str,
        key: &str,
    ) -> Result<bool>;
}
