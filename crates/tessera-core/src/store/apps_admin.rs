//! Storage for the administrator's applications (with their agreements), tenants (with
//! members and external identity providers) and users' MFA factors. Split from
//! [`super::Store`] like the directory.
//!
//! Every method takes the pool it acts in and treats a row of another pool as absent, so a
//! management token of one pool can never reach another pool's rows through an id. Every
//! write that touches several rows runs in one transaction and writes nothing on error.

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::error::Result;
use crate::model::tenant::{
    Agreement, ExtIdp, ExtIdpConn, MfaFactor, MfaType, Tenant, TenantMember,
};
use crate::model::Application;
use crate::service::paging::{Page, Paged};

#[async_trait]
pub trait AppsAdminStore: Send + Sync {
    // --- applications ------------------------------------------------------------------------

    /// The pool's applications with their `config` documents, oldest first (ties by id).
    async fn list_apps_page(&self, pool_id: &str, page: Page) -> Result<Paged<AppWithConfig>>;
    /// An application of the pool with its `config` document.
    async fn app_with_config(&self, pool_id: &str, app_id: &str) -> Result<Option<AppWithConfig>>;
    /// Inserts an application; a taken identifier is [`crate::Error::DomainTaken`].
    async fn insert_app_checked(&self, app: &Application) -> Result<()>;
    /// Deletes an application with its agreements, access rules, access keys and resource
    /// namespace, and removes it from its tenants, in one transaction.
    async fn delete_app(&self, pool_id: &str, app_id: &str) -> Result<()>;
    async fn set_app_secret(
        &self,
        pool_id: &str,
        app_id: &str,
        secret: &str,
        at: i64,
    ) -> Result<()>;
    /// Sets one key of the application's `config` document, keeping the others.
    async fn set_app_config_value(
        &self,
        pool_id: &str,
        app_id: &str,
        key: &str,
        value: Value,
        at: i64,
    ) -> Result<()>;

    // --- agreements ----------------------------------------------------------------------------

    /// Inserts an agreement after the application's last one (its `order` is assigned here
    /// and returned).
    async fn insert_agreement(&self, a: &Agreement) -> Result<i64>;
    /// The application's agreements in display order.
    async fn list_agreements(&self, pool_id: &str, app_id: &str) -> Result<Vec<Agreement>>;
    /// Updates title, lang and required of an agreement of that application.
    async fn update_agreement(&self, a: &Agreement) -> Result<()>;
    async fn delete_agreement(&self, pool_id: &str, app_id: &str, id: i64) -> Result<()>;
    /// Gives the agreements the order of `ids`, which must name every agreement of the
    /// application exactly once.
    async fn sort_agreements(
        &self,
        pool_id: &str,
        app_id: &str,
        ids: &[i64],
        at: i64,
    ) -> Result<()>;

    // --- tenants ---------------------------------------------------------------------------------

    /// Inserts a tenant; every app id must be an application of the pool.
    async fn insert_tenant(&self, t: &Tenant) -> Result<()>;
    async fn get_tenant(&self, pool_id: &str, id: &str) -> Result<Option<Tenant>>;
    /// The pool's tenants, oldest first (ties by id).
    async fn list_tenants(&self, pool_id: &str, page: Page) -> Result<Paged<Tenant>>;
    /// Overwrites name, description, logo, app ids and config of an existing tenant.
    async fn update_tenant(&self, t: &Tenant) -> Result<()>;
    /// Deletes a tenant with its members and external identity providers.
    async fn delete_tenant(&self, pool_id: &str, id: &str) -> Result<()>;
    /// The tenants that use an application, oldest first.
    async fn tenants_of_app(&self, pool_id: &str, app_id: &str) -> Result<Vec<Tenant>>;
    /// The tenants a user is a member of, oldest membership first.
    async fn tenants_of_user(&self, pool_id: &str, user_id: &str) -> Result<Vec<Tenant>>;
    /// One page of a tenant's members, oldest first (ties by user id).
    async fn tenant_members(
        &self,
        pool_id: &str,
        tenant_id: &str,
        page: Page,
    ) -> Result<Paged<TenantMember>>;
    /// Adds users to a tenant (as admins if `admin`, which also promotes existing members);
    /// every user or none ([`crate::Error::UserNotFound`] if one is not in the pool).
    async fn add_tenant_members(
        &self,
        pool_id: &str,
        tenant_id: &str,
        user_ids: &[String],
        admin: bool,
        at: i64,
    ) -> Result<()>;
    async fn remove_tenant_member(
        &self,
        pool_id: &str,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<()>;
    /// Changes one flag of a member: `is_admin` or `enabled`.
    async fn set_tenant_member_flag(
        &self,
        pool_id: &str,
        tenant_id: &str,
        user_id: &str,
        flag: MemberFlag,
        value: bool,
    ) -> Result<()>;

    // --- external identity providers -----------------------------------------------------------

    /// Inserts a provider with its connections; a connection identifier already used in the
    /// pool is [`crate::Error::Duplicate`] and writes nothing.
    async fn insert_ext_idp(&self, idp: &ExtIdp) -> Result<()>;
    async fn get_ext_idp(&self, pool_id: &str, id: &str) -> Result<Option<ExtIdp>>;
    /// The providers of a tenant, or every provider of the pool when `tenant_id` is `None`,
    /// oldest first, with their connections.
    async fn list_ext_idps(&self, pool_id: &str, tenant_id: Option<&str>) -> Result<Vec<ExtIdp>>;
    async fn rename_ext_idp(&self, pool_id: &str, id: &str, name: &str, at: i64) -> Result<()>;
    /// Deletes a provider with its connections.
    async fn delete_ext_idp(&self, pool_id: &str, id: &str) -> Result<()>;
    async fn insert_ext_idp_conn(&self, c: &ExtIdpConn) -> Result<()>;
    async fn get_ext_idp_conn(&self, pool_id: &str, id: &str) -> Result<Option<ExtIdpConn>>;
    /// Overwrites display name, fields, user match fields and logo.
    async fn update_ext_idp_conn(&self, c: &ExtIdpConn) -> Result<()>;
    async fn delete_ext_idp_conn(&self, pool_id: &str, id: &str) -> Result<()>;
    async fn ext_idp_conn_identifier_taken(&self, pool_id: &str, identifier: &str) -> Result<bool>;
    /// Enables or disables one connection.
    async fn set_ext_idp_conn_enabled(
        &self,
        pool_id: &str,
        conn_id: &str,
        enabled: bool,
        at: i64,
    ) -> Result<()>;
    /// Enables or disables every connection of a provider.
    async fn set_ext_idp_conns_enabled(
        &self,
        pool_id: &str,
        ext_idp_id: &str,
        enabled: bool,
        at: i64,
    ) -> Result<()>;

    // --- MFA -----------------------------------------------------------------------------------

    async fn mfa_factors(&self, pool_id: &str, user_id: &str) -> Result<Vec<MfaFactor>>;
    /// Removes the user's factors of one kind; how many were removed.
    async fn delete_mfa_factors(&self, pool_id: &str, user_id: &str, kind: MfaType) -> Result<u64>;
    /// Stores the factor, replacing the user's factor of the same kind.
    async fn put_mfa_factor(&self, f: &MfaFactor) -> Result<()>;
}

/// An application and its `config` document (settings kept as JSON keys).
pub type AppWithConfig = (Application, Map<String, Value>);

/// A flag of a tenant membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberFlag {
    Admin,
    Enabled,
}
