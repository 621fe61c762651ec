//! Storage behind self-service account flows: profile and credential updates, verification
//! codes, rate windows, the registration whitelist and user-defined fields.
//!
//! Everything here is shared state of all server processes on one database: a code sent by
//! one process verifies on another, and a failure counted by one counts for all.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::{User, UserPool};
use crate::store::UserChange;

/// One stored verification code (SMS, email or captcha). Only its hash is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRecord {
    pub id: String,
    pub pool_id: String,
    /// `sms`, `email` or `captcha`.
    pub channel: String,
    /// Normalised address: `+86 13800138000`, a lower-cased email, or a client key.
    pub target: String,
    pub scene: String,
    pub code_hash: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub expires_at: i64,
    pub created_at: i64,
}

/// A user-defined field (`udf`) of a target type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdfDefinition {
    pub pool_id: String,
    /// `USER`, `ROLE`, `GROUP`, `NODE`, `ORG`, `APPLICATION`.
    pub target_type: String,
    pub key: String,
    /// `STRING`, `NUMBER`, `DATETIME`, `BOOLEAN`, `OBJECT`, `SELECT`.
    pub data_type: String,
    pub label: Option<String>,
    pub options: Option<String>,
}

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Writes a pool's editable fields (name, description, logo, domain, settings) and
    /// `updated_at`, only if the stored `updated_at` is still `expected_version` (the
    /// version the change was computed from). Returns false when it is not: another change
    /// landed meanwhile and nothing was written. A missing pool is
    /// [`crate::Error::PoolNotFound`]. The secret is not written here (see
    /// [`AccountStore::set_pool_secret`]).
    async fn update_pool(&self, pool: &UserPool, expected_version: i64) -> Result<bool>;
    /// Replaces the pool's secret, and nothing else.
    async fn set_pool_secret(&self, pool_id: &str, secret: &str, at_ms: i64) -> Result<()>;

    /// Writes only the columns `change` names, and `updated_at = at_ms`, in one statement,
    /// and returns the row as it is afterwards. `Ok(None)`: the change's precondition
    /// ([`UserChange::expect_password`]) no longer holds and nothing was written. A missing
    /// row is [`crate::Error::UserNotFound`]; unique violations come back as
    /// [`crate::Error::AlreadyExists`].
    async fn change_user(
        &self,
        pool_id: &str,
        user_id: &str,
        change: &UserChange,
        at_ms: i64,
    ) -> Result<Option<User>>;
    async fn password_security_level(&self, pool_id: &str, user_id: &str) -> Result<Option<i64>>;

    // --- verification codes ----------------------------------------------------------------

    /// Stores `code` unless a code for the same pool, channel, target and scene was created
    /// after `not_since` (the resend interval). Returns whether it was stored.
    async fn insert_code(&self, code: &CodeRecord, not_since: i64) -> Result<bool>;
    /// Stores `code` and deletes every other unconsumed code of the same pool, channel,
    /// target and scene, in one transaction: the target holds one live code at a time, so
    /// asking for codes again and again cannot pile up rows.
    async fn replace_code(&self, code: &CodeRecord) -> Result<()>;
    /// Unconsumed codes for the target in any of `scenes`, newest first, including expired
    /// and exhausted ones so the caller can say which.
    async fn recent_codes(
        &self,
        pool_id: &str,
        channel: &str,
        target: &str,
        scenes: &[&str],
        limit: i64,
    ) -> Result<Vec<CodeRecord>>;
    async fn bump_code_attempts(&self, id: &str) -> Result<()>;
    /// Marks a code used. Returns false if another request consumed it first.
    async fn consume_code(&self, id: &str, at: i64) -> Result<bool>;

    // --- rate windows ------------------------------------------------------------------------

    async fn add_rate_event(&self, pool_id: &str, kind: &str, key: &str, at: i64) -> Result<()>;
    async fn count_rate_events(
        &self,
        pool_id: &str,
        kind: &str,
        key: &str,
        since: i64,
    ) -> Result<i64>;
    /// [`AccountStore::count_rate_events`] for several keys of one kind in one read: the
    /// counts in the order of `keys` (0 for a key without events).
    async fn count_rate_events_by_key(
        &self,
        pool_id: &str,
        kind: &str,
        keys: &[&str],
        since: i64,
    ) -> Result<Vec<i64>>;
    async fn clear_rate_events(&self, pool_id: &str, kind: &str, key: &str) -> Result<()>;

    // --- whitelist ---------------------------------------------------------------------------

    /// Adds entries `(value, normalised key)`; existing keys are kept.
    async fn add_whitelist(
        &self,
        pool_id: &str,
        kind: &str,
        entries: &[(String, String)],
    ) -> Result<()>;
    async fn is_whitelisted(&self, pool_id: &str, kind: &str, key: &str) -> Result<bool>;

    // --- user-defined fields -----------------------------------------------------------------

    async fn put_udf_definition(&self, def: &UdfDefinition) -> Result<()>;
    async fn list_udf_definitions(
        &self,
        pool_id: &str,
        target_type: &str,
    ) -> Result<Vec<UdfDefinition>>;
    /// `(key, stored value)` pairs of one target.
    async fn udf_values(
        &self,
        pool_id: &str,
        target_type: &str,
        target_id: &str,
    ) -> Result<Vec<(String, String)>>;
    /// Upserts several values of one target in one transaction.
    async fn set_udf_values(
        &self,
        pool_id: &str,
        target_type: &str,
        target_id: &str,
        values: &[(String, String)],
    ) -> Result<()>;
    async fn remove_udf_value(
        &self,
        pool_id: &str,
        target_type: &str,
        target_id: &str,
        key: &str,
    ) -> Result<()>;
}
