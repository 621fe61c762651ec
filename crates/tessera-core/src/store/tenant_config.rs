//! Storage of the pool's tenant and login-page configuration (`service::tenant_config`): the
//! configuration row, written under a version check, and the connection states for tenants —
//! the pool's offer of a connection to its tenants and each tenant's own association.
//!
//! Every method takes the pool it acts in and treats a row of another pool as absent.

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::error::Result;

/// The pool's tenant and login-page configuration as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolTenantConfig {
    pub pool_id: String,
    /// What `updateUserPoolTenantConfig` set: the login settings of tenants' logins.
    pub tenant_login: Map<String, Value>,
    /// What `updateLoginPageConfig` set: the pool's hosted login page.
    pub login_page: Map<String, Value>,
    /// Whether a tenant's login may use QR codes (`updateTenantQrCodeState`).
    pub tenant_qrcode_enabled: bool,
    /// The version: only ever grows.
    pub updated_at: i64,
}

/// The columns one write changes; `None` keeps a column (or, for a first write, takes its
/// default: empty documents, QR codes on).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolTenantConfigFields {
    pub tenant_login: Option<Map<String, Value>>,
    pub login_page: Option<Map<String, Value>>,
    pub tenant_qrcode_enabled: Option<bool>,
}

/// What decides whether a tenant may use a connection of the pool: the pool's offer to its
/// tenants and the tenant's own association, each `None` where none was set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TenantConnRule {
    pub offered: Option<bool>,
    pub associated: Option<bool>,
}

#[async_trait]
pub trait TenantConfigStore: Send + Sync {
    async fn pool_tenant_config(&self, pool_id: &str) -> Result<Option<PoolTenantConfig>>;

    /// Writes the named columns and `updated_at = at` if the stored version is still
    /// `expected` (`None`: there is no row yet); otherwise writes nothing and fails with
    /// [`crate::Error::ConcurrentChange`].
    async fn put_pool_tenant_config(
        &self,
        pool_id: &str,
        fields: &PoolTenantConfigFields,
        expected: Option<i64>,
        at: i64,
    ) -> Result<PoolTenantConfig>;

    /// Offers (or withdraws) connections of the pool to its tenants, all or none:
    /// [`crate::Error::NotFound`] if one is not a connection of the pool.
    async fn set_tenant_conns_offered(
        &self,
        pool_id: &str,
        conn_ids: &[String],
        offered: bool,
        at: i64,
    ) -> Result<()>;

    /// The pool's offers set so far: `(connection id, offered)`.
    async fn tenant_conn_offers(&self, pool_id: &str) -> Result<Vec<(String, bool)>>;

    /// Associates a tenant of the pool with a connection of the pool, or ends it
    /// ([`crate::Error::NotFound`] for an unknown tenant or connection).
    async fn set_tenant_conn_associated(
        &self,
        pool_id: &str,
        tenant_id: &str,
        conn_id: &str,
        associated: bool,
        at: i64,
    ) -> Result<()>;

    /// The associations one tenant set: `(connection id, associated)`.
    async fn tenant_conn_associations(
        &self,
        pool_id: &str,
        tenant_id: &str,
    ) -> Result<Vec<(String, bool)>>;

    /// What the login path reads for one tenant and connection, in one read.
    async fn tenant_conn_rule(
        &self,
        pool_id: &str,
        tenant_id: &str,
        conn_id: &str,
    ) -> Result<TenantConnRule>;
}
