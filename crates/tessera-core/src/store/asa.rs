//! Storage of ASA (form-filling SSO) accounts: an application's accounts on a third-party
//! site, their information sealed (the store never sees it in the clear), and the targets
//! (users, roles, groups, departments) each account is assigned to.
//!
//! Every method takes the pool and the application it acts in and treats a row of another
//! pool or application as absent. Targets are stored by id; the core turns role and group
//! codes into ids before it writes.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::directory::TargetType;
use crate::service::paging::{Page, Paged};

/// An account as stored: its information only as the sealed text (`crypto::sealing`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAsaAccount {
    pub pool_id: String,
    pub app_id: String,
    pub id: String,
    pub sealed_info: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One target an account is assigned to. A target holds at most one account per
/// application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsaAssignment {
    pub account_id: String,
    pub target_type: TargetType,
    pub target_id: String,
    pub created_at: i64,
}

#[async_trait]
pub trait AsaStore: Send + Sync {
    async fn asa_account(
        &self,
        pool_id: &str,
        app_id: &str,
        id: &str,
    ) -> Result<Option<StoredAsaAccount>>;
    /// The accounts among `ids` that exist, in no particular order.
    async fn asa_accounts_by_ids(
        &self,
        pool_id: &str,
        app_id: &str,
        ids: &[String],
    ) -> Result<Vec<StoredAsaAccount>>;
    /// One page of the application's accounts, oldest first.
    async fn asa_accounts_page(
        &self,
        pool_id: &str,
        app_id: &str,
        page: Page,
    ) -> Result<Paged<StoredAsaAccount>>;
    /// One page of the targets an account is assigned to, oldest assignment first.
    async fn asa_account_targets(
        &self,
        pool_id: &str,
        app_id: &str,
        account_id: &str,
        page: Page,
    ) -> Result<Paged<AsaAssignment>>;
    /// The application's assignments to any of `targets`, in no particular order.
    async fn asa_assignments_of(
        &self,
        pool_id: &str,
        app_id: &str,
        targets: &[(TargetType, String)],
    ) -> Result<Vec<AsaAssignment>>;
}

/// ASA accounts inside a unit of work (`Core::pool_write`).
#[async_trait]
pub trait AsaTx: Send {
    async fn insert_asa_accounts(&mut self, accounts: &[StoredAsaAccount]) -> Result<()>;
    /// Replaces an account's sealed information; whether the account exists.
    async fn update_asa_account(
        &mut self,
        pool_id: &str,
        app_id: &str,
        id: &str,
        sealed_info: &str,
        at: i64,
    ) -> Result<bool>;
    /// How many of `ids` (distinct) are accounts of the application.
    async fn count_asa_accounts(
        &mut self,
        pool_id: &str,
        app_id: &str,
        ids: &[String],
    ) -> Result<u64>;
    /// Deletes these accounts of the application and their assignments.
    async fn delete_asa_accounts(
        &mut self,
        pool_id: &str,
        app_id: &str,
        ids: &[String],
    ) -> Result<()>;
    /// Deletes every account of the application and their assignments (the application
    /// goes, `service::cascade`).
    async fn delete_asa_of_app(&mut self, pool_id: &str, app_id: &str) -> Result<()>;
    /// Whether the user, role, group or node `id` is in the pool.
    async fn asa_target_exists(&mut self, pool_id: &str, t: TargetType, id: &str) -> Result<bool>;
    /// Assigns the account to these targets of one type; a target that held another
    /// account of the application holds this one instead.
    async fn put_asa_assignments(
        &mut self,
        pool_id: &str,
        app_id: &str,
        account_id: &str,
        t: TargetType,
        ids: &[String],
        at: i64,
    ) -> Result<()>;
    /// Removes the account's assignments to these targets; others are left alone.
    async fn drop_asa_assignments(
        &mut self,
        pool_id: &str,
        app_id: &str,
        account_id: &str,
        t: TargetType,
        ids: &[String],
    ) -> Result<()>;
    /// Deletes every assignment (of any application) to these targets (they go,
    /// `service::cascade::forget_targets`).
    async fn delete_asa_assignments_to(
        &mut self,
        pool_id: &str,
        t: TargetType,
        ids: &[String],
    ) -> Result<()>;
}
