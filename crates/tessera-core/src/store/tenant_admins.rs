//! Storage of the administrators a pool gives its tenants — multi-tenant administrators and
//! cooperators (协作管理员) with the policies they hold — and of tenants' enterprise
//! certifications (migration 37).
//!
//! Every method takes the pool and treats a row of another pool as absent. A certification's
//! personal numbers reach the store only sealed (`crypto::sealing`); the core opens them.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::directory_admin::Policy;
use crate::service::paging::{Page, Paged};

/// A user's grant as a multi-tenant administrator or a cooperator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminGrant {
    pub user_id: String,
    /// Whether the administrator may also use the management API.
    pub api_authorized: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A cooperator as listed: the grant and whether the user is outside the pool's
/// organizations (a member of no department).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CooperatorGrant {
    pub grant: AdminGrant,
    pub external: bool,
}

/// Which grants a list keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrantFilter {
    /// Only users whose username, email, phone, nickname or name contains this text
    /// (case-insensitive).
    pub keyword: Option<String>,
    /// Cooperators only: only external (`Some(true)`) or internal (`Some(false)`) ones.
    pub external: Option<bool>,
}

/// A certification as stored: the personal numbers only as one sealed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCertification {
    pub pool_id: String,
    pub tenant_id: String,
    pub fields: CertificationFields,
    /// `reviewing`, `pass` or `-1`.
    pub status: String,
    pub review_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The submitted columns of a certification, written together by a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificationFields {
    pub business_name: String,
    pub business_license: String,
    pub business_registration_name: String,
    pub unified_social_credit: String,
    pub legal_representative_name: String,
    /// The national ID number, bank card number and reserved phone, sealed together.
    pub sealed_personal: String,
}

#[async_trait]
pub trait TenantAdminsStore: Send + Sync {
    /// One page of the pool's multi-tenant administrators, oldest grant first.
    async fn multi_tenant_admins(
        &self,
        pool_id: &str,
        filter: &GrantFilter,
        page: Page,
    ) -> Result<Paged<AdminGrant>>;
    async fn multi_tenant_admin(&self, pool_id: &str, user_id: &str) -> Result<Option<AdminGrant>>;
    /// The tenants the user administers, oldest membership first.
    async fn tenants_administered(&self, pool_id: &str, user_id: &str) -> Result<Vec<String>>;
    /// One page of the pool's cooperators, oldest grant first.
    async fn tenant_cooperators(
        &self,
        pool_id: &str,
        filter: &GrantFilter,
        page: Page,
    ) -> Result<Paged<CooperatorGrant>>;
    async fn tenant_cooperator(
        &self,
        pool_id: &str,
        user_id: &str,
    ) -> Result<Option<CooperatorGrant>>;
    /// The policies a cooperator holds, in the order they were given.
    async fn cooperator_policies(&self, pool_id: &str, user_id: &str) -> Result<Vec<Policy>>;
    async fn tenant_certification(
        &self,
        pool_id: &str,
        tenant_id: &str,
    ) -> Result<Option<StoredCertification>>;
}

/// The same inside a unit of work (`Core::pool_write`).
#[async_trait]
pub trait TenantAdminsTx: Send {
    /// Records the user as a multi-tenant administrator, or sets `api_authorized` and
    /// `updated_at` of the grant it holds.
    async fn put_multi_tenant_admin(
        &mut self,
        pool_id: &str,
        user_id: &str,
        api_authorized: bool,
        at: i64,
    ) -> Result<()>;
    /// Records the user as a cooperator (or sets `api_authorized` and `updated_at` of its
    /// grant) holding exactly `policy_ids`, in that order.
    async fn put_tenant_cooperator(
        &mut self,
        pool_id: &str,
        user_id: &str,
        api_authorized: bool,
        policy_ids: &[String],
        at: i64,
    ) -> Result<()>;
    /// The id of the pool's policy with this code in this namespace.
    async fn policy_id_by_code(
        &mut self,
        pool_id: &str,
        namespace: &str,
        code: &str,
    ) -> Result<Option<String>>;
    /// The tenant's certification's status, if it has one.
    async fn tenant_certification_status(
        &mut self,
        pool_id: &str,
        tenant_id: &str,
    ) -> Result<Option<String>>;
    async fn insert_tenant_certification(&mut self, c: &StoredCertification) -> Result<()>;
    /// Replaces the submitted columns and puts the certification back under review (its
    /// reason cleared); whether there was one.
    async fn resubmit_tenant_certification(
        &mut self,
        pool_id: &str,
        tenant_id: &str,
        fields: &CertificationFields,
        at: i64,
    ) -> Result<bool>;
    /// Sets the status and reason only while the status is still `from`; whether it was.
    async fn review_tenant_certification(
        &mut self,
        pool_id: &str,
        tenant_id: &str,
        from: &str,
        to: &str,
        reason: Option<&str>,
        at: i64,
    ) -> Result<bool>;
}
