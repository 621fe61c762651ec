//! Storage of the directory: roles, groups, organizations, resources and grants, and who
//! may use which application. Split from [`super::Store`] so the directory can grow without
//! touching the user and credential methods.
//!
//! Every method is scoped by `pool_id`: a row of another pool is treated as absent. Methods
//! that link two rows (an assignment, a membership, a grant, an access rule) check both ends
//! in the same transaction and name the missing one: [`Error::UserNotFound`] for a user,
//! [`Error::NotFound`] (a role, group, node or org) for the others,
//! [`Error::AppNotFound`] for an application. A code collision is [`Error::Duplicate`].
//!
//! [`Error::UserNotFound`]: crate::Error::UserNotFound
//! [`Error::NotFound`]: crate::Error::NotFound
//! [`Error::AppNotFound`]: crate::Error::AppNotFound
//! [`Error::Duplicate`]: crate::Error::Duplicate

use async_trait::async_trait;

use crate::error::Result;
use crate::model::directory::{
    AppAccessRule, Group, Node, NodeMembership, Org, Resource, ResourceGrant, ResourceNamespace,
    ResourceType, Role, Subjects, TargetType,
};
use crate::model::Application;

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

#[async_trait]
pub trait DirectoryStore: Send + Sync {
    // --- the resolver's input --------------------------------------------------------------

    /// The user's groups, nodes (with ancestors) and roles (direct and through groups and
    /// nodes, with and without role ancestors), read in one statement. `None` if the user
    /// is not in the pool.
    async fn user_subjects(&self, pool_id: &str, user_id: &str) -> Result<Option<Subjects>>;

    // --- roles -----------------------------------------------------------------------------

    async fn insert_role(&self, role: &Role) -> Result<()>;
    async fn get_role(&self, pool_id: &str, id: &str) -> Result<Option<Role>>;
    async fn find_role(&self, pool_id: &str, namespace: &str, code: &str) -> Result<Option<Role>>;
    /// The roles with these ids, optionally of one namespace, ordered by (created_at, id).
    async fn roles_by_ids(
        &self,
        pool_id: &str,
        ids: &[String],
        namespace: Option<&str>,
    ) -> Result<Vec<Role>>;
    /// Gives the role to a user, group or node; assigning twice is not an error.
    async fn assign_role(
        &self,
        pool_id: &str,
        role_id: &str,
        target_type: TargetType,
        target_id: &str,
        at: i64,
    ) -> Result<()>;

    // --- groups ----------------------------------------------------------------------------

    async fn insert_group(&self, group: &Group) -> Result<()>;
    async fn get_group(&self, pool_id: &str, id: &str) -> Result<Option<Group>>;
    /// Adds every user or none (one unknown user rolls the whole call back).
    async fn add_group_members(
        &self,
        pool_id: &str,
        group_id: &str,
        user_ids: &[String],
        at: i64,
    ) -> Result<()>;
    /// The user's groups, ordered by (created_at, id) of the group.
    async fn user_groups(&self, pool_id: &str, user_id: &str) -> Result<Vec<Group>>;

    // --- organizations ---------------------------------------------------------------------

    /// Creates the organization with its root node.
    async fn insert_org(&self, org: &Org, root: &Node) -> Result<()>;
    /// Adds a node under `node.parent_id`, which must be a node of `node.org_id`.
    async fn insert_node(&self, node: &Node) -> Result<()>;
    async fn get_org(&self, pool_id: &str, id: &str) -> Result<Option<Org>>;
    async fn get_node(&self, pool_id: &str, id: &str) -> Result<Option<Node>>;
    /// The given nodes and all their ancestors, each once, in no particular order.
    async fn node_lineage(&self, pool_id: &str, node_ids: &[String]) -> Result<Vec<Node>>;
    /// `(parent id, child id)` for every direct child of the given nodes, in sibling order
    /// (sort order, created_at, id).
    async fn node_children(
        &self,
        pool_id: &str,
        node_ids: &[String],
    ) -> Result<Vec<(String, String)>>;
    /// Adds every user or none. With `is_main`, the node becomes each user's main
    /// department (and no other node of the pool stays main for that user).
    async fn add_node_members(
        &self,
        pool_id: &str,
        node_id: &str,
        user_ids: &[String],
        is_main: bool,
        at: i64,
    ) -> Result<()>;
    /// The user's departments, optionally of one organization: main department first, then
    /// by (joined_at, node id).
    async fn user_memberships(
        &self,
        pool_id: &str,
        user_id: &str,
        org_id: Option<&str>,
    ) -> Result<Vec<NodeMembership>>;

    // --- resources and grants --------------------------------------------------------------

    async fn insert_namespace(&self, namespace: &ResourceNamespace) -> Result<()>;
    async fn insert_resource(&self, resource: &Resource) -> Result<()>;
    async fn find_resource(
        &self,
        pool_id: &str,
        namespace: &str,
        code: &str,
    ) -> Result<Option<Resource>>;
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

    // --- application access ----------------------------------------------------------------

    /// Inserts or replaces the rule of (app, target), enabled.
    async fn set_app_access(&self, pool_id: &str, rule: &AppAccessRule, at: i64) -> Result<()>;
    /// Records the default of the app's access policy in its `config` document, keeping
    /// the other keys.
    async fn set_app_default_access(
        &self,
        pool_id: &str,
        app_id: &str,
        allow_all: bool,
        at: i64,
    ) -> Result<()>;
    /// Every application of the pool with its default (`true`: allow all), ordered by
    /// (created_at, id).
    async fn apps_with_default_access(&self, pool_id: &str) -> Result<Vec<(Application, bool)>>;
    /// The enabled access rules of any application of the pool naming one of `targets`.
    async fn app_access_rules(
        &self,
        pool_id: &str,
        targets: &[(TargetType, String)],
    ) -> Result<Vec<AppAccessRule>>;
}
