//! Storage of a pool's own lists and variables that the management API edits: whitelist
//! entries, custom-field definitions and environment variables.

use async_trait::async_trait;

use crate::error::Result;

/// One whitelist entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhitelistEntry {
    pub value: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One environment variable; `value` is JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    pub key: String,
    pub value: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[async_trait]
pub trait PoolAdminStore: Send + Sync {
    /// The entries of one list, oldest first.
    async fn list_whitelist(&self, pool_id: &str, kind: &str) -> Result<Vec<WhitelistEntry>>;
    /// Removes the entries with these normalised keys; absent ones are ignored.
    async fn remove_whitelist(&self, pool_id: &str, kind: &str, keys: &[String]) -> Result<()>;
    /// Removes a custom field and, through the foreign key, every value of it.
    async fn remove_udf_definition(
        &self,
        pool_id: &str,
        target_type: &str,
        key: &str,
    ) -> Result<bool>;
    /// Writes `(target id, key, stored value)` rows of one target type, all or none.
    async fn set_udf_values_many(
        &self,
        pool_id: &str,
        target_type: &str,
        rows: &[(String, String, String)],
    ) -> Result<()>;
    async fn list_env(&self, pool_id: &str) -> Result<Vec<EnvVar>>;
    /// Inserts or replaces one variable.
    async fn put_env(&self, pool_id: &str, key: &str, value: &str, at: i64) -> Result<()>;
    async fn remove_env(&self, pool_id: &str, key: &str) -> Result<bool>;
}
