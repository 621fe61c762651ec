//! Storage of the pool's logs: the admin audit log and the user action log.
//!
//! Both are append-only and read newest first, a page at a time, from an index on
//! `(pool_id, created_at)`; every other condition narrows that range. An administrator's
//! change made in a unit of work writes its record there too ([`AuditTx`]), so the record
//! commits or rolls back with the change.
//!
//! The user action log is two tables read as one: logins are the rows the login already
//! writes to the login history (with the user's counters, in one transaction), and the
//! other events are rows of their own.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::audit::{AuditRecord, OperationType, ResourceKind, UserAction, UserEvent};
use crate::service::paging::{Page, Paged};

/// Which records a page of the admin audit log holds. Conditions combine with AND; `None`
/// is no condition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub client_ip: Option<String>,
    pub operation_type: Option<OperationType>,
    pub resource_type: Option<ResourceKind>,
    pub success: Option<bool>,
    /// Inclusive bounds, ms since the epoch.
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub page: Page,
}

/// Which events a page of the user action log holds. Conditions combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserActionQuery {
    pub user_id: Option<String>,
    pub app_id: Option<String>,
    pub client_ip: Option<String>,
    pub event_type: Option<UserEvent>,
    pub success: Option<bool>,
    /// Inclusive bounds, ms since the epoch.
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub page: Page,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends a record outside a unit of work: for a change its own statement made (after
    /// it committed), or for a refused change.
    async fn insert_audit(&self, record: &AuditRecord) -> Result<()>;

    /// One page of the pool's audit records, newest first, and how many match in all.
    async fn audit_records(&self, pool_id: &str, q: &AuditQuery) -> Result<Paged<AuditRecord>>;

    /// Appends a user's action (not a login: the login history has those).
    async fn insert_user_action(&self, action: &UserAction) -> Result<()>;

    /// One page of the pool's user actions, logins included, newest first, and how many
    /// match in all.
    async fn user_actions(&self, pool_id: &str, q: &UserActionQuery) -> Result<Paged<UserAction>>;
}

/// The audit log inside a unit of work: the record of the change the unit makes.
#[async_trait]
pub trait AuditTx: Send {
    async fn insert_audit(&mut self, record: &AuditRecord) -> Result<()>;
    /// A user's own action (as [`AuditStore::insert_user_action`]), with the change it records.
    async fn insert_user_action_in_unit(&mut self, action: &UserAction) -> Result<()>;
}
