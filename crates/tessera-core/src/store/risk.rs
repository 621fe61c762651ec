//! Storage of a pool's risk lists (IP and user blacklists and whitelists) and automatic
//! risk policies. Every method takes the pool; other pools' rows are absent.
//!
//! The login path reads at most one indexed statement per check: the entries whose network
//! is one of the networks containing the client's address ([`RiskStore::ip_entries_matching`],
//! by pool and network), the entries of one user ([`RiskStore::user_entries_of`], by pool
//! and user id), and, only after a failed login, the pool's policies.
//!
//! An entry is unique per (pool, network or user, list, add type): adding it again renews
//! it (limits, removal, expiry, time added) and keeps its id, and an entry a policy adds
//! never overwrites one an administrator added (nor the other way round).

use async_trait::async_trait;

use crate::error::Result;
use crate::model::risk::{IpListEntry, ListType, OptObject, RiskPolicy, UserListEntry};
use crate::service::paging::{Page, Paged};

#[async_trait]
pub trait RiskStore: Send + Sync {
    /// Adds or renews every entry, all or none.
    async fn put_ip_entries(&self, pool_id: &str, entries: &[IpListEntry]) -> Result<()>;
    /// One page of one list's entries still active at `now_ms`, oldest first.
    async fn ip_entries_page(
        &self,
        pool_id: &str,
        list: ListType,
        now_ms: i64,
        page: Page,
    ) -> Result<Paged<IpListEntry>>;
    /// Every entry (both lists, active or not) whose network key is one of `networks`
    /// ([`crate::model::risk::IpNet::key`]), in one indexed read.
    async fn ip_entries_matching(
        &self,
        pool_id: &str,
        networks: &[String],
    ) -> Result<Vec<IpListEntry>>;
    /// Deletes one entry; whether it existed.
    async fn delete_ip_entry(&self, pool_id: &str, id: &str) -> Result<bool>;

    /// One page of one list's entries still active at `now_ms`, oldest first.
    async fn user_entries_page(
        &self,
        pool_id: &str,
        list: ListType,
        now_ms: i64,
        page: Page,
    ) -> Result<Paged<UserListEntry>>;
    /// Every entry (both lists, active or not) of one user, in one indexed read.
    async fn user_entries_of(&self, pool_id: &str, user_id: &str) -> Result<Vec<UserListEntry>>;
    /// Deletes one entry; whether it existed.
    async fn delete_user_entry(&self, pool_id: &str, id: &str) -> Result<bool>;

    async fn insert_risk_policy(&self, policy: &RiskPolicy) -> Result<()>;
    /// One page of the policies counting `object`, oldest first.
    async fn risk_policies_page(
        &self,
        pool_id: &str,
        object: OptObject,
        page: Page,
    ) -> Result<Paged<RiskPolicy>>;
    /// Every policy of the pool, oldest first.
    async fn risk_policies(&self, pool_id: &str) -> Result<Vec<RiskPolicy>>;
    /// Deletes one policy; whether it existed.
    async fn delete_risk_policy(&self, pool_id: &str, id: &str) -> Result<bool>;
}

/// User list entries inside a unit of work: they name users, so adding them is checked
/// against the users in the same transaction, and they go when their user goes.
#[async_trait]
pub trait RiskTx: Send {
    /// Adds or renews every entry, all or none.
    async fn put_user_entries(&mut self, pool_id: &str, entries: &[UserListEntry]) -> Result<()>;
    /// Deletes every entry of these users.
    async fn delete_user_entries_of(&mut self, pool_id: &str, user_ids: &[String]) -> Result<()>;
    /// Counts one event in a rate window (as [`super::AccountStore::add_rate_event`]), with
    /// the change it limits.
    async fn add_rate_event_in_unit(
        &mut self,
        pool_id: &str,
        kind: &str,
        key: &str,
        at: i64,
    ) -> Result<()>;
}
