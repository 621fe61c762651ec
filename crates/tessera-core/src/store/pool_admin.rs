//! Storage of a pool's own lists and variables that the management API edits: whitelist
//! entries, custom-field definitions, environment variables and the pool's access keys.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::email_template::{EmailTemplate, EmailTemplateKind};

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

/// An access key of the pool itself (no application): its id and secret sign v3
/// management requests or buy management tokens for the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolAccessKey {
    pub id: String,
    pub pool_id: String,
    pub secret: String,
    pub enabled: bool,
    /// The user of the pool the administrator handed the key to, if any.
    pub user_id: Option<String>,
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

    /// Adds a key of the pool (no application).
    async fn insert_pool_access_key(&self, key: &PoolAccessKey) -> Result<()>;
    /// The pool's own keys (not its applications' accounts), oldest first.
    async fn pool_access_keys(&self, pool_id: &str) -> Result<Vec<PoolAccessKey>>;
    /// Sets one key's enabled flag; `false` if the pool has no such key.
    async fn set_pool_access_key_enabled(
        &self,
        pool_id: &str,
        id: &str,
        enabled: bool,
        at: i64,
    ) -> Result<bool>;
    /// Removes one key of the pool; `false` if there was none.
    async fn delete_pool_access_key(&self, pool_id: &str, id: &str) -> Result<bool>;

    /// The pool's stored email templates (kinds never customized are absent).
    async fn email_templates(&self, pool_id: &str) -> Result<Vec<EmailTemplate>>;
    async fn email_template(
        &self,
        pool_id: &str,
        kind: EmailTemplateKind,
    ) -> Result<Option<EmailTemplate>>;
    /// Inserts or replaces the pool's template of `t.kind`: the wire's update names every
    /// field of a template, so its row is written whole, and no other row is touched.
    async fn put_email_template(&self, pool_id: &str, t: &EmailTemplate) -> Result<()>;
}
