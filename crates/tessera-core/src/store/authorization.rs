//! Storage of the authorization aggregate: resource namespaces, resources, grants, policies
//! and their assignments, who may use which application (access rules and each
//! application's default), and programmatic access accounts.
//!
//! Every method is scoped by `pool_id` (another pool's row is absent) and is one
//! transaction. A write naming a target checks it in the same transaction and names a
//! missing one ([`Error::UserNotFound`], [`Error::NotFound`], [`Error::AppNotFound`]); a code
//! collision is [`Error::Duplicate`].
//!
//! [`Error::UserNotFound`]: crate::Error::UserNotFound
//! [`Error::NotFound`]: crate::Error::NotFound
//! [`Error::AppNotFound`]: crate::Error::AppNotFound
//! [`Error::Duplicate`]: crate::Error::Duplicate

use async_trait::async_trait;

use crate::error::Result;
use crate::model::directory::{
    AppAccessRule, Resource, ResourceAction, ResourceGrant, ResourceNamespace, ResourceType,
    TargetType,
};
use crate::model::directory_admin::{
    AppAccessRecord, GrantWrite, Policy, PolicyAssignment, PolicyStatement, ProgrammaticAccount,
};
use crate::service::paging::{Page, Paged};

/// A grant to write: replaces the actions of an existing grant of the same resource to the
/// same target.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub id: String,
    pub pool_id: String,
    pub namespace: String,
    pub resource: String,
    pub resource_type: ResourceType,
    pub target_type: TargetType,
    pub target_id: String,
    pub actions: Vec<String>,
    pub at: i64,
}

/// Which policy assignments to list.
#[derive(Debug, Clone, Default)]
pub struct AssignmentFilter {
    pub policy_id: Option<String>,
    pub target_type: Option<TargetType>,
    pub target_id: Option<String>,
}

#[async_trait]
pub trait AuthorizationStore: Send + Sync {
    // --- namespaces -------------------------------------------------------------------

    async fn insert_namespace(&self, namespace: &ResourceNamespace) -> Result<()>;

    /// Namespaces, optionally those whose code or name contains `keyword`
    /// (case-insensitive).
    async fn list_namespaces(
        &self,
        pool_id: &str,
        keyword: Option<&str>,
        page: Page,
    ) -> Result<Paged<ResourceNamespace>>;

    async fn find_namespace(&self, pool_id: &str, code: &str) -> Result<Option<ResourceNamespace>>;

    // --- resources --------------------------------------------------------------------

    async fn insert_resource(&self, resource: &Resource) -> Result<()>;

    async fn find_resource(
        &self,
        pool_id: &str,
        namespace: &str,
        code: &str,
    ) -> Result<Option<Resource>>;

    async fn get_resource(&self, pool_id: &str, id: &str) -> Result<Option<Resource>>;

    /// Resources of the given namespaces (none: every namespace), optionally of one type
    /// and whose code contains `keyword` (case-insensitive).
    async fn list_resources(
        &self,
        pool_id: &str,
        namespaces: &[String],
        resource_type: Option<crate::model::directory::ResourceType>,
        keyword: Option<&str>,
        page: Page,
    ) -> Result<Paged<Resource>>;

    /// Writes the named columns and `updated_at`; returns the resource as stored, or
    /// [`crate::Error::NotFound`].
    async fn update_resource(
        &self,
        pool_id: &str,
        resource_id: &str,
        fields: &ResourceFields,
        at: i64,
    ) -> Result<Resource>;

    // --- grants -----------------------------------------------------------------------

    /// Inserts the grant or replaces the actions (and recorded type) of the existing one.
    async fn upsert_grant(&self, grant: &NewGrant) -> Result<()>;

    /// Every grant to one of `targets`, optionally of one namespace, ordered by (namespace,
    /// resource, created_at, target).
    async fn grants_for_targets(
        &self,
        pool_id: &str,
        targets: &[(TargetType, String)],
        namespace: Option<&str>,
    ) -> Result<Vec<ResourceGrant>>;

    /// The grants on exactly this resource code, optionally to one type of target, ordered by
    /// (created_at, target type, target id).
    async fn grants_on_resource(
        &self,
        pool_id: &str,
        namespace: &str,
        resource: &str,
        target_type: Option<TargetType>,
    ) -> Result<Vec<ResourceGrant>>;

    // --- policies ---------------------------------------------------------------------

    async fn insert_policy(&self, policy: &Policy) -> Result<()>;

    async fn find_policy(
        &self,
        pool_id: &str,
        namespace: &str,
        code: &str,
    ) -> Result<Option<Policy>>;

    async fn list_policies(
        &self,
        pool_id: &str,
        namespace: Option<&str>,
        page: Page,
    ) -> Result<Paged<Policy>>;

    /// Writes the named columns and `updated_at`; returns the policy as stored. A code taken
    /// in the namespace is [`crate::Error::Duplicate`], a missing policy
    /// [`crate::Error::NotFound`].
    async fn update_policy(
        &self,
        pool_id: &str,
        policy_id: &str,
        fields: &PolicyFields,
        at: i64,
    ) -> Result<Policy>;

    /// How many assignments each policy has.
    async fn policy_assignment_counts(
        &self,
        pool_id: &str,
        policy_ids: &[String],
    ) -> Result<Vec<(String, i64)>>;

    /// Assigns every policy to every target (enabled), or nothing if a target is missing.
    async fn add_policy_assignments(
        &self,
        pool_id: &str,
        policy_ids: &[String],
        targets: &[(TargetType, String)],
        at: i64,
    ) -> Result<()>;

    async fn remove_policy_assignments(
        &self,
        pool_id: &str,
        policy_ids: &[String],
        targets: &[(TargetType, String)],
    ) -> Result<()>;

    /// Returns whether the assignment exists (and so was changed).
    async fn set_policy_assignment_enabled(
        &self,
        pool_id: &str,
        policy_id: &str,
        target: &(TargetType, String),
        enabled: bool,
    ) -> Result<bool>;

    /// Ordered by (policy created_at, policy id, assignment created_at, target).
    async fn policy_assignments(
        &self,
        pool_id: &str,
        filter: &AssignmentFilter,
        page: Page,
    ) -> Result<Paged<PolicyAssignment>>;

    // --- application access -----------------------------------------------------------

    /// Inserts or replaces the rule of (app, target), enabled.
    async fn set_app_access(&self, pool_id: &str, rule: &AppAccessRule, at: i64) -> Result<()>;

    /// The enabled access rules of any application of the pool naming one of `targets`.
    async fn app_access_rules(
        &self,
        pool_id: &str,
        targets: &[(TargetType, String)],
    ) -> Result<Vec<AppAccessRule>>;

    /// Whether the pool's application has any enabled access rule.
    async fn app_has_access_rules(&self, pool_id: &str, app_id: &str) -> Result<bool>;

    async fn app_access_records(
        &self,
        pool_id: &str,
        app_id: &str,
        page: Page,
    ) -> Result<Paged<AppAccessRecord>>;

    /// Every access rule (on or off) of the pool's applications that names this target,
    /// oldest first.
    async fn access_records_of_target(
        &self,
        pool_id: &str,
        target_type: TargetType,
        target_id: &str,
    ) -> Result<Vec<AppAccessRecord>>;

    /// One access rule of any of the pool's applications, by its id.
    async fn app_access_record(&self, pool_id: &str, id: &str) -> Result<Option<AppAccessRecord>>;

    /// Allows or denies the app to every target (enabled), or writes nothing.
    async fn set_app_access_rules(
        &self,
        pool_id: &str,
        app_id: &str,
        target_type: TargetType,
        target_ids: &[String],
        allow: bool,
        at: i64,
    ) -> Result<()>;

    /// Enables or disables the existing rules of the targets; a target without a rule is
    /// [`crate::Error::NotFound`] and nothing changes.
    async fn set_app_access_enabled(
        &self,
        pool_id: &str,
        app_id: &str,
        target_type: TargetType,
        target_ids: &[String],
        enabled: bool,
        at: i64,
    ) -> Result<()>;

    async fn delete_app_access_rules(
        &self,
        pool_id: &str,
        app_id: &str,
        target_type: TargetType,
        target_ids: &[String],
    ) -> Result<()>;

    // --- programmatic access accounts -------------------------------------------------

    async fn insert_programmatic_account(&self, account: &ProgrammaticAccount) -> Result<()>;

    async fn programmatic_accounts(
        &self,
        pool_id: &str,
        app_id: &str,
        page: Page,
    ) -> Result<Paged<ProgrammaticAccount>>;

    /// Changes the secret and/or the enabled flag; `None` if there is no such account.
    async fn update_programmatic_account(
        &self,
        pool_id: &str,
        id: &str,
        secret: Option<&str>,
        enabled: Option<bool>,
        at: i64,
    ) -> Result<Option<ProgrammaticAccount>>;

    /// Returns whether an account was deleted.
    async fn delete_programmatic_account(&self, pool_id: &str, id: &str) -> Result<bool>;
}

/// Changes to one namespace's own columns; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamespaceFields {
    pub code: Option<String>,
    pub name: Option<Option<String>>,
    pub description: Option<Option<String>>,
}

/// Changes to one resource's own columns; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceFields {
    pub resource_type: Option<ResourceType>,
    pub description: Option<Option<String>>,
    pub actions: Option<Vec<ResourceAction>>,
    pub api_identifier: Option<Option<String>>,
    pub name: Option<Option<String>>,
}

/// Changes to one policy's own columns; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyFields {
    pub code: Option<String>,
    pub description: Option<Option<String>>,
    pub statements: Option<Vec<PolicyStatement>>,
}

/// Rows of the pool keyed by a namespace code: they follow a namespace whose code changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceRows {
    Roles,
    Resources,
    Grants,
    Policies,
}

/// Which grants of a namespace a delete takes, by resource code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantsOn<'a> {
    /// Grants on exactly this resource code.
    Resource(&'a str),
    /// Grants on instances of the resource (`code:…`).
    InstancesOf(&'a str),
    /// Every grant of the namespace.
    Namespace,
}

/// The authorization aggregate inside a unit of work: the reads a rule needs and the writes
/// it decides (grant merging, namespace renames, cascades; see `service::cascade`).
#[async_trait]
pub trait AuthorizationTx: Send {
    /// [`AuthorizationStore::set_app_access_rules`] inside the unit of work.
    async fn put_access_rules(
        &mut self,
        pool_id: &str,
        app_id: &str,
        target_type: TargetType,
        target_ids: &[String],
        allow: bool,
        at: i64,
    ) -> Result<()>;
    /// [`AuthorizationStore::set_app_access_enabled`] inside the unit of work.
    async fn set_access_enabled(
        &mut self,
        pool_id: &str,
        app_id: &str,
        target_type: TargetType,
        target_ids: &[String],
        enabled: bool,
        at: i64,
    ) -> Result<()>;
    /// [`AuthorizationStore::delete_app_access_rules`] inside the unit of work.
    async fn drop_access_rules(
        &mut self,
        pool_id: &str,
        app_id: &str,
        target_type: TargetType,
        target_ids: &[String],
    ) -> Result<()>;
    /// The actions of the grant of `w.resource` to `w`'s target, if there is one.
    async fn grant_actions(&mut self, pool_id: &str, w: &GrantWrite)
        -> Result<Option<Vec<String>>>;
    /// Inserts the grant with `actions` (and `w.resource_type`) or replaces the actions of
    /// the existing one; a missing target is its not-found error.
    async fn put_grant(
        &mut self,
        pool_id: &str,
        w: &GrantWrite,
        actions: &[String],
        at: i64,
    ) -> Result<()>;
    async fn drop_grant(&mut self, pool_id: &str, w: &GrantWrite) -> Result<()>;
    /// Deletes grants of the namespace, chosen by `on`.
    async fn delete_grants_on(
        &mut self,
        pool_id: &str,
        namespace: &str,
        on: GrantsOn<'_>,
    ) -> Result<()>;
    /// Deletes every grant whose holder is one of `ids`, of type `target`.
    async fn delete_grants_to(
        &mut self,
        pool_id: &str,
        target: TargetType,
        ids: &[String],
    ) -> Result<()>;

    async fn namespace(&mut self, pool_id: &str, code: &str) -> Result<Option<ResourceNamespace>>;
    /// Inserts a namespace; a code taken in the pool is [`crate::Error::Duplicate`].
    async fn insert_namespace(&mut self, namespace: &ResourceNamespace) -> Result<()>;
    /// Inserts a resource; a code taken in its namespace is [`crate::Error::Duplicate`].
    async fn insert_resource(&mut self, resource: &Resource) -> Result<()>;
    /// Writes the named columns and `updated_at`; returns the namespace as stored. A code
    /// taken in the pool is [`crate::Error::Duplicate`].
    async fn update_namespace_fields(
        &mut self,
        pool_id: &str,
        namespace_id: &str,
        fields: &NamespaceFields,
        at: i64,
    ) -> Result<ResourceNamespace>;
    /// Moves the rows of `rows` from namespace `from` to namespace `to`.
    async fn move_namespace_rows(
        &mut self,
        pool_id: &str,
        rows: NamespaceRows,
        from: &str,
        to: &str,
    ) -> Result<()>;
    /// Deletes the namespace row; whether there was one.
    async fn delete_namespace(&mut self, pool_id: &str, code: &str) -> Result<bool>;
    /// Deletes the namespace's resources.
    async fn delete_resources_in(&mut self, pool_id: &str, namespace: &str) -> Result<()>;
    /// Deletes one resource; whether there was one.
    async fn delete_resource(&mut self, pool_id: &str, namespace: &str, code: &str)
        -> Result<bool>;

    async fn policy_ids_in_namespace(
        &mut self,
        pool_id: &str,
        namespace: &str,
    ) -> Result<Vec<String>>;
    /// Deletes every assignment of these policies.
    async fn delete_assignments_of_policies(
        &mut self,
        pool_id: &str,
        policy_ids: &[String],
    ) -> Result<()>;
    /// Deletes every policy assignment whose holder is one of `ids`, of type `target`.
    async fn delete_policy_assignments_to(
        &mut self,
        pool_id: &str,
        target: TargetType,
        ids: &[String],
    ) -> Result<()>;
    async fn delete_policies(&mut self, pool_id: &str, policy_ids: &[String]) -> Result<()>;

    /// Deletes every application access rule naming one of `ids`, of type `target`.
    async fn delete_access_rules_to(
        &mut self,
        pool_id: &str,
        target: TargetType,
        ids: &[String],
    ) -> Result<()>;
}
