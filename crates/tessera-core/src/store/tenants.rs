//! Storage of the tenants aggregate: tenants and the applications they use, their members
//! and admins, and external identity providers with their connections.
//!
//! Every method takes the pool it acts in and treats a row of another pool as absent. Every
//! write that touches several rows runs in one transaction and writes nothing on error.

use async_trait::async_trait;

use crate::error::Result;
use serde_json::{Map, Value};

use crate::model::tenant::{
    ExtIdp, ExtIdpConn, NoticeChannel, Tenant, TenantImport, TenantImportUser, TenantInvitation,
    TenantMember,
};
use crate::service::paging::{Page, Paged};

#[async_trait]
pub trait TenantsStore: Send + Sync {
    // --- tenants ----------------------------------------------------------------------

    /// Inserts a tenant; every app id must be an application of the pool.
    async fn insert_tenant(&self, t: &Tenant) -> Result<()>;
    /// The pool's tenant invitations whose address contains `keyword` (case-insensitive),
    /// newest first.
    async fn tenant_invitations(
        &self,
        pool_id: &str,
        keyword: Option<&str>,
        page: Page,
    ) -> Result<Paged<TenantInvitation>>;
    /// The invitation of the pool whose token has this digest.
    async fn tenant_invitation_by_token(
        &self,
        pool_id: &str,
        token_hash: &str,
    ) -> Result<Option<TenantInvitation>>;

    async fn get_tenant(&self, pool_id: &str, id: &str) -> Result<Option<Tenant>>;

    // --- tenant imports ----------------------------------------------------------------

    /// The pool's tenant imports, newest first.
    async fn tenant_imports(&self, pool_id: &str, page: Page) -> Result<Paged<TenantImport>>;
    /// One import of the pool by its number.
    async fn tenant_import(&self, pool_id: &str, import_id: i64) -> Result<Option<TenantImport>>;
    /// One page of the users an import created, in the file's row order.
    async fn tenant_import_users(
        &self,
        pool_id: &str,
        import_id: i64,
        page: Page,
    ) -> Result<Paged<TenantImportUser>>;
    /// Stamps the import's rows `row_nos` as notified on `channel` at `at`.
    async fn mark_tenant_import_notified(
        &self,
        pool_id: &str,
        import_id: i64,
        row_nos: &[i64],
        channel: NoticeChannel,
        at: i64,
    ) -> Result<()>;
    /// The tenant of `pool_id` with this code (codes are unique per pool).
    async fn tenant_by_code(&self, pool_id: &str, code: &str) -> Result<Option<Tenant>>;

    /// The pool's tenants, oldest first (ties by id); with a keyword, only those whose name
    /// contains it (case-insensitive).
    async fn list_tenants(
        &self,
        pool_id: &str,
        keyword: Option<&str>,
        page: Page,
    ) -> Result<Paged<Tenant>>;

    /// Which of these resources (ids of the pool's) are associated with any tenant.
    async fn tenant_linked_resources(
        &self,
        pool_id: &str,
        resource_ids: &[String],
    ) -> Result<Vec<String>>;
    /// The tenants that use an application, oldest first.
    async fn tenants_of_app(&self, pool_id: &str, app_id: &str) -> Result<Vec<Tenant>>;

    /// The tenants a user is a member of, oldest membership first.
    async fn tenants_of_user(&self, pool_id: &str, user_id: &str) -> Result<Vec<Tenant>>;

    // --- members ----------------------------------------------------------------------

    /// One page of the tenant's members `filter` keeps, oldest first (ties by user id).
    async fn tenant_members(
        &self,
        pool_id: &str,
        tenant_id: &str,
        filter: &MemberFilter,
        page: Page,
    ) -> Result<Paged<TenantMember>>;

    /// One membership, if the user is a member of the tenant.
    async fn tenant_member(
        &self,
        pool_id: &str,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<Option<TenantMember>>;

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

    // --- external identity providers --------------------------------------------------

    /// Inserts a provider with its connections; a connection identifier already used in the
    /// pool is [`crate::Error::Duplicate`] and writes nothing.
    async fn insert_ext_idp(&self, idp: &ExtIdp) -> Result<()>;

    async fn get_ext_idp(&self, pool_id: &str, id: &str) -> Result<Option<ExtIdp>>;

    /// The providers of a tenant, or every provider of the pool when `tenant_id` is `None`,
    /// oldest first, with their connections.
    async fn list_ext_idps(&self, pool_id: &str, tenant_id: Option<&str>) -> Result<Vec<ExtIdp>>;

    async fn rename_ext_idp(&self, pool_id: &str, id: &str, name: &str, at: i64) -> Result<()>;

    async fn insert_ext_idp_conn(&self, c: &ExtIdpConn) -> Result<()>;

    async fn get_ext_idp_conn(&self, pool_id: &str, id: &str) -> Result<Option<ExtIdpConn>>;

    /// Writes the named columns and `updated_at`; returns the connection as stored, or
    /// [`crate::Error::NotFound`].
    async fn update_ext_idp_conn(
        &self,
        pool_id: &str,
        conn_id: &str,
        fields: &ExtIdpConnFields,
        at: i64,
    ) -> Result<ExtIdpConn>;

    async fn delete_ext_idp_conn(&self, pool_id: &str, id: &str) -> Result<()>;

    async fn ext_idp_conn_identifier_taken(&self, pool_id: &str, identifier: &str) -> Result<bool>;

    /// The pool's connection with this identifier (unique in the pool), if any.
    async fn ext_idp_conn_by_identifier(
        &self,
        pool_id: &str,
        identifier: &str,
    ) -> Result<Option<ExtIdpConn>>;

    /// The pool's connections of one kind (`wechat:miniprogram:default`…), oldest first.
    async fn ext_idp_conns_of_kind(&self, pool_id: &str, kind: &str) -> Result<Vec<ExtIdpConn>>;

    /// Enables or disables one connection.
    async fn set_ext_idp_conn_enabled(
        &self,
        pool_id: &str,
        conn_id: &str,
        enabled: bool,
        at: i64,
    ) -> Result<()>;

    /// Switches one connection on or off in each of `app_ids` (applications of the pool);
    /// switching it on in an application also switches it on pool-wide, since a login
    /// there needs both. [`crate::Error::NotFound`] for an unknown connection.
    async fn set_ext_idp_conn_apps_enabled(
        &self,
        pool_id: &str,
        conn_id: &str,
        app_ids: &[String],
        enabled: bool,
        at: i64,
    ) -> Result<()>;

    /// The connection's own state in one application, if one was set.
    async fn ext_idp_conn_app_enabled(
        &self,
        pool_id: &str,
        conn_id: &str,
        app_id: &str,
    ) -> Result<Option<bool>>;

    /// Every connection state set in one application: `(connection id, on)`.
    async fn ext_idp_conn_app_states(
        &self,
        pool_id: &str,
        app_id: &str,
    ) -> Result<Vec<(String, bool)>>;

    /// Enables or disables every connection of a provider.
    async fn set_ext_idp_conns_enabled(
        &self,
        pool_id: &str,
        ext_idp_id: &str,
        enabled: bool,
        at: i64,
    ) -> Result<()>;
}

/// Which members of a tenant a list keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberFilter {
    /// Only the tenant's administrators.
    pub admins_only: bool,
    /// Only members whose username, email, phone, nickname or name contains this text
    /// (case-insensitive).
    pub keyword: Option<String>,
}

/// A flag of a tenant membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberFlag {
    Admin,
    Enabled,
}

/// Changes to one tenant's own columns; `None` leaves a column as it is. `config` is the
/// whole document to store: the core merges a patch into the stored one inside the unit of
/// work that writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantFields {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub logo: Option<Option<String>>,
    /// Every id must be an application of the pool ([`crate::Error::AppNotFound`]).
    pub app_ids: Option<Vec<String>>,
    pub config: Option<Map<String, Value>>,
}

/// Changes to one external IdP connection's own columns; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExtIdpConnFields {
    pub display_name: Option<String>,
    pub fields: Option<Map<String, Value>>,
    pub user_match_fields: Option<Vec<String>>,
    pub logo: Option<Option<String>>,
}

/// Rows that belong to one tenant and go with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantRows {
    /// The connections of the tenant's providers.
    ExtIdpConns,
    ExtIdps,
    Members,
}

/// The tenants aggregate inside a unit of work.
#[async_trait]
pub trait TenantsTx: Send {
    async fn tenant(&mut self, pool_id: &str, id: &str) -> Result<Option<Tenant>>;
    /// Writes the named columns and `updated_at`; returns the tenant as stored.
    async fn update_tenant_fields(
        &mut self,
        pool_id: &str,
        id: &str,
        fields: &TenantFields,
        at: i64,
    ) -> Result<Tenant>;
    /// The tenants whose application list names `app_id`.
    async fn tenants_using_app(&mut self, pool_id: &str, app_id: &str) -> Result<Vec<Tenant>>;
    /// Associates a resource of the pool with a tenant of the pool (the core checked the
    /// tenant; the resource is checked here: gone, it is [`crate::Error::NotFound`]), or with
    /// `linked` false ends the association. Either holding already, nothing changes.
    async fn set_tenant_resource(
        &mut self,
        pool_id: &str,
        tenant_id: &str,
        resource_id: &str,
        linked: bool,
        at: i64,
    ) -> Result<()>;
    /// Deletes the tenant's rows of one kind.
    async fn delete_tenant_rows(&mut self, pool_id: &str, id: &str, rows: TenantRows)
        -> Result<()>;
    /// Makes the user a member (not an admin, enabled); already a member, nothing changes.
    async fn add_tenant_member(
        &mut self,
        pool_id: &str,
        tenant_id: &str,
        user_id: &str,
        at: i64,
    ) -> Result<()>;
    /// Ends one membership; whether there was one.
    async fn remove_tenant_member(
        &mut self,
        pool_id: &str,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<bool>;
    /// Makes a member an admin of the tenant.
    async fn set_tenant_admin(
        &mut self,
        pool_id: &str,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<()>;
    /// Deletes the connections of one provider.
    async fn delete_ext_idp_conns_of(&mut self, pool_id: &str, ext_idp_id: &str) -> Result<()>;
    /// Deletes one provider row; whether there was one.
    async fn delete_ext_idp(&mut self, pool_id: &str, id: &str) -> Result<bool>;
    /// Organizations outlive their tenant: they stop naming it.
    async fn detach_orgs(&mut self, pool_id: &str, tenant_id: &str) -> Result<()>;
    async fn delete_tenant(&mut self, pool_id: &str, id: &str) -> Result<()>;
    /// Inserts a tenant inside the unit (every app id must be an application of the pool).
    async fn insert_tenant_in_unit(&mut self, t: &Tenant) -> Result<()>;
    /// The pool's highest import number, 0 when none (under the pool's write lock, so the
    /// next number is this plus one).
    async fn last_tenant_import_id(&mut self, pool_id: &str) -> Result<i64>;
    /// Records an import with its users' rows.
    async fn insert_tenant_import(
        &mut self,
        import: &TenantImport,
        users: &[TenantImportUser],
    ) -> Result<()>;
    /// The pool's highest invitation number, 0 when none (under the pool's write lock, so
    /// the next number is this plus one).
    async fn last_invitation_record_id(&mut self, pool_id: &str) -> Result<i64>;
    async fn insert_tenant_invitation(&mut self, inv: &TenantInvitation) -> Result<()>;
    /// Marks the invitation with this token digest accepted by `user_id` at `at` if it is
    /// still pending and unexpired; whether it was (a used or expired one is left as it is).
    async fn accept_tenant_invitation(
        &mut self,
        pool_id: &str,
        token_hash: &str,
        user_id: &str,
        at: i64,
    ) -> Result<bool>;
}
