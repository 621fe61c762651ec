//! Storage of the management side of the directory: listing, editing and deleting roles,
//! groups, organizations, resources and grants, policies, application access records and
//! programmatic access accounts. Split from [`super::DirectoryStore`] (which serves the
//! resolver and the first writes) so the two can evolve without touching each other.
//!
//! The rules of [`super::directory`] hold here too: every method is scoped by `pool_id`
//! (another pool's row is absent), each method is one transaction, a missing end of a link is
//! named ([`Error::UserNotFound`], [`Error::NotFound`]), and a code collision is
//! [`Error::Duplicate`]. Deleting a role, group, node or organization removes everything that
//! names it (assignments, memberships, grants, access rules, policy assignments, custom data)
//! in the same transaction. Lists are ordered by a unique key and come with their total.
//!
//! [`Error::UserNotFound`]: crate::Error::UserNotFound
//! [`Error::NotFound`]: crate::Error::NotFound
//! [`Error::Duplicate`]: crate::Error::Duplicate

use async_trait::async_trait;

use crate::error::Result;
use crate::model::directory::{
    Group, Node, Resource, ResourceGrant, ResourceNamespace, Role, TargetType,
};
use crate::model::directory_admin::{
    AppAccessRecord, GrantWrite, NodeChange, OrgRecord, Policy, PolicyAssignment,
    ProgrammaticAccount, RoleChange,
};
use crate::model::{Application, User};
use crate::service::paging::{Page, Paged};

/// Which end of the list comes first: creation order or its reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Oldest,
    Newest,
}

/// Which policy assignments to list.
#[derive(Debug, Clone, Default)]
pub struct AssignmentFilter {
    pub policy_id: Option<String>,
    pub target_type: Option<TargetType>,
    pub target_id: Option<String>,
}

#[async_trait]
pub trait DirectoryAdminStore: Send + Sync {
    // --- roles -----------------------------------------------------------------------------

    async fn list_roles(
        &self,
        pool_id: &str,
        namespace: Option<&str>,
        page: Page,
        order: Order,
    ) -> Result<Paged<Role>>;
    /// Applies `change` and returns the role as stored. A parent must be a role of the same
    /// namespace and pool that is neither the role nor one of its descendants
    /// ([`crate::Error::RoleParentLoop`]), checked under a lock on the pool row
    /// so that two concurrent changes cannot close a loop together.
    async fn update_role(
        &self,
        pool_id: &str,
        role_id: &str,
        change: &RoleChange,
        at: i64,
    ) -> Result<Role>;
    /// Deletes the roles and everything naming them; children lose their parent.
    async fn delete_roles(&self, pool_id: &str, role_ids: &[String]) -> Result<()>;
    /// Gives every role to every target, or nothing if one end is missing.
    async fn assign_roles(
        &self,
        pool_id: &str,
        role_ids: &[String],
        targets: &[(TargetType, String)],
        at: i64,
    ) -> Result<()>;
    async fn revoke_roles(
        &self,
        pool_id: &str,
        role_ids: &[String],
        targets: &[(TargetType, String)],
    ) -> Result<()>;
    /// The users a role is given to directly, in the order they got it; `search` matches a
    /// part of the username, email, phone, nickname or name.
    async fn role_users(
        &self,
        pool_id: &str,
        role_id: &str,
        search: Option<&str>,
        page: Page,
    ) -> Result<Paged<User>>;
    /// The roles given directly to any of `targets`, each once.
    async fn roles_of_targets(
        &self,
        pool_id: &str,
        targets: &[(TargetType, String)],
    ) -> Result<Vec<String>>;
    /// `role_ids` and all their ancestors along `parent_id`.
    async fn role_lineage(&self, pool_id: &str, role_ids: &[String]) -> Result<Vec<String>>;

    // --- groups ----------------------------------------------------------------------------

    async fn list_groups(&self, pool_id: &str, page: Page, order: Order) -> Result<Paged<Group>>;
    async fn find_group(&self, pool_id: &str, code: &str) -> Result<Option<Group>>;
    async fn groups_by_ids(&self, pool_id: &str, ids: &[String]) -> Result<Vec<Group>>;
    /// Writes code, name and description of the group (matched by pool and id).
    async fn update_group(&self, group: &Group) -> Result<()>;
    async fn delete_groups(&self, pool_id: &str, group_ids: &[String]) -> Result<()>;
    /// Removes the users from the group; users who are not members are ignored.
    async fn remove_group_members(
        &self,
        pool_id: &str,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<()>;
    /// The members, in the order they joined.
    async fn group_users(&self, pool_id: &str, group_id: &str, page: Page) -> Result<Paged<User>>;

    // --- organizations ---------------------------------------------------------------------

    /// Creates an organization with a whole tree: `nodes[0]` is the root, every other node
    /// comes after its parent. A tenant, if named, must be a tenant of the pool.
    async fn insert_org_tree(
        &self,
        org: &crate::model::directory::Org,
        tenant_id: Option<&str>,
        nodes: &[Node],
    ) -> Result<()>;
    async fn get_org_record(&self, pool_id: &str, org_id: &str) -> Result<Option<OrgRecord>>;
    async fn list_orgs(&self, pool_id: &str, page: Page, order: Order) -> Result<Paged<OrgRecord>>;
    async fn orgs_of_tenant(&self, pool_id: &str, tenant_id: &str) -> Result<Vec<OrgRecord>>;
    /// Every node of the given organizations.
    async fn org_nodes(&self, pool_id: &str, org_ids: &[String]) -> Result<Vec<Node>>;
    async fn delete_org(&self, pool_id: &str, org_id: &str) -> Result<()>;
    async fn update_node(
        &self,
        pool_id: &str,
        node_id: &str,
        change: &NodeChange,
        at: i64,
    ) -> Result<Node>;
    /// Moves a node under `parent_id` of the same organization. Moving a node under itself
    /// or a descendant (the root included: everything is its descendant) is
    /// [`crate::Error::NodeMoveLoop`]; checked under a lock on the
    /// organization row.
    async fn move_node(
        &self,
        pool_id: &str,
        org_id: &str,
        node_id: &str,
        parent_id: &str,
        at: i64,
    ) -> Result<()>;
    /// Deletes a node that is not the root, with its whole subtree.
    async fn delete_node(&self, pool_id: &str, org_id: &str, node_id: &str) -> Result<()>;
    async fn find_node_by_code(
        &self,
        pool_id: &str,
        org_id: &str,
        code: &str,
    ) -> Result<Option<Node>>;
    /// Every node of the pool with exactly this code (codes are unique per organization).
    async fn nodes_with_code(&self, pool_id: &str, code: &str) -> Result<Vec<Node>>;
    /// Nodes of the pool whose name or code contains `keyword`, at most `limit`, ordered by
    /// (name, id).
    async fn search_nodes(&self, pool_id: &str, keyword: &str, limit: i64) -> Result<Vec<Node>>;
    async fn remove_node_members(
        &self,
        pool_id: &str,
        node_id: &str,
        user_ids: &[String],
    ) -> Result<()>;
    /// Moves the users from one node to another; a user who had `from` as main department
    /// gets `to` as main department.
    async fn move_node_members(
        &self,
        pool_id: &str,
        user_ids: &[String],
        from: &str,
        to: &str,
        at: i64,
    ) -> Result<()>;
    /// The members of the node (and of its descendants with `with_descendants`, each user
    /// once), in the order they joined.
    async fn node_users(
        &self,
        pool_id: &str,
        node_id: &str,
        with_descendants: bool,
        page: Page,
    ) -> Result<Paged<User>>;
    /// Makes `node_id` the user's main department (the user must be a member), or with
    /// `None` leaves the user without one.
    async fn set_main_department(
        &self,
        pool_id: &str,
        user_id: &str,
        node_id: Option<&str>,
    ) -> Result<()>;
    async fn count_orgs(&self, pool_id: &str) -> Result<i64>;

    // --- namespaces, resources and grants --------------------------------------------------

    async fn list_namespaces(&self, pool_id: &str, page: Page) -> Result<Paged<ResourceNamespace>>;
    async fn find_namespace(&self, pool_id: &str, code: &str) -> Result<Option<ResourceNamespace>>;
    /// Writes the namespace (matched by pool and id); a new code is carried over to the
    /// roles, resources, grants and policies of the old one.
    async fn update_namespace(&self, ns: &ResourceNamespace, old_code: &str) -> Result<()>;
    /// Deletes the namespace with its roles, resources, grants and policies.
    async fn delete_namespace(&self, pool_id: &str, code: &str) -> Result<()>;
    async fn list_resources(
        &self,
        pool_id: &str,
        namespace: Option<&str>,
        resource_type: Option<crate::model::directory::ResourceType>,
        page: Page,
    ) -> Result<Paged<Resource>>;
    async fn get_resource(&self, pool_id: &str, id: &str) -> Result<Option<Resource>>;
    /// Writes type, description, actions and API identifier (matched by pool and id).
    async fn update_resource(&self, resource: &Resource) -> Result<()>;
    /// Deletes the resource and the grants on it and on its instances (`code:…`).
    async fn delete_resource(&self, pool_id: &str, namespace: &str, code: &str) -> Result<()>;
    /// Applies every write or none (a missing target names itself).
    async fn apply_grants(&self, pool_id: &str, writes: &[GrantWrite], at: i64) -> Result<()>;
    /// The grants on exactly this resource code, optionally to one type of target, ordered by
    /// (created_at, target type, target id).
    async fn grants_on_resource(
        &self,
        pool_id: &str,
        namespace: &str,
        resource: &str,
        target_type: Option<TargetType>,
    ) -> Result<Vec<ResourceGrant>>;

    // --- application access ----------------------------------------------------------------

    async fn app_access_records(
        &self,
        pool_id: &str,
        app_id: &str,
        page: Page,
    ) -> Result<Paged<AppAccessRecord>>;
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
    /// The application with its default (`true`: allow all).
    async fn app_with_default_access(
        &self,
        pool_id: &str,
        app_id: &str,
    ) -> Result<Option<(Application, bool)>>;

    // --- programmatic access accounts ------------------------------------------------------

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

    // --- policies --------------------------------------------------------------------------

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
    /// Writes code, description and statements (matched by pool and id).
    async fn update_policy(&self, policy: &Policy) -> Result<()>;
    async fn delete_policies(&self, pool_id: &str, policy_ids: &[String]) -> Result<()>;
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

    // --- custom data of several targets ----------------------------------------------------

    /// `(target id, key, stored value)` of every value of the given targets.
    async fn udf_values_of(
        &self,
        pool_id: &str,
        target_type: &str,
        target_ids: &[String],
    ) -> Result<Vec<(String, String, String)>>;
}
