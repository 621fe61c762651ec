//! Storage of the directory aggregate: roles, groups and organization trees, their members
//! and assignments, and what the permission resolver reads about a user
//! ([`DirectoryStore::user_subjects`]). [`DirectoryTx`] is the same aggregate inside a unit
//! of work (see [`super::unit`]).
//!
//! Every method is scoped by `pool_id`: a row of another pool is treated as absent. Methods
//! that link two rows (an assignment, a membership) check both ends in the same transaction
//! and name the missing one: [`Error::UserNotFound`] for a user, [`Error::NotFound`] (a role,
//! group, node or org) for the others. A code collision is [`Error::Duplicate`]. Lists are
//! ordered by a unique key and come with their total.
//!
//! [`Error::UserNotFound`]: crate::Error::UserNotFound
//! [`Error::NotFound`]: crate::Error::NotFound
//! [`Error::Duplicate`]: crate::Error::Duplicate

use async_trait::async_trait;

use crate::error::Result;
use crate::model::directory::{Group, Node, NodeMembership, Org, Role, Subjects, TargetType};
use crate::model::directory_admin::{NodeChange, OrgRecord};
use crate::model::User;
use crate::service::paging::{Page, Paged};

/// Which end of the list comes first: creation order or its reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Oldest,
    Newest,
}

#[async_trait]
pub trait DirectoryStore: Send + Sync {
    // --- the resolver's input ---------------------------------------------------------

    /// The user's groups, nodes (with ancestors) and roles (direct and through groups and
    /// nodes, with and without role ancestors), read in one statement. `None` if the user
    /// is not in the pool.
    async fn user_subjects(&self, pool_id: &str, user_id: &str) -> Result<Option<Subjects>>;

    // --- roles ------------------------------------------------------------------------

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

    /// Roles, optionally of one namespace and whose code or name contains `keyword`
    /// (case-insensitive).
    async fn list_roles(
        &self,
        pool_id: &str,
        namespace: Option<&str>,
        keyword: Option<&str>,
        page: Page,
        order: Order,
    ) -> Result<Paged<Role>>;

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

    /// The users and/or departments (`kinds`) a role is given to directly, in the order
    /// they got it; `search` matches a part of a user's username, email, phone, nickname
    /// or name, or of a department's name.
    async fn role_assignments(
        &self,
        pool_id: &str,
        role_id: &str,
        kinds: &[TargetType],
        search: Option<&str>,
        page: Page,
    ) -> Result<Paged<crate::model::directory_admin::RoleAssignment>>;

    /// The departments (nodes) a role is given to directly, in the order they got it.
    async fn role_nodes(&self, pool_id: &str, role_id: &str, page: Page) -> Result<Paged<Node>>;

    /// The roles given directly to any of `targets`, each once.
    async fn roles_of_targets(
        &self,
        pool_id: &str,
        targets: &[(TargetType, String)],
    ) -> Result<Vec<String>>;

    /// `role_ids` and all their ancestors along `parent_id`.
    async fn role_lineage(&self, pool_id: &str, role_ids: &[String]) -> Result<Vec<String>>;

    // --- groups -----------------------------------------------------------------------

    async fn insert_group(&self, group: &Group) -> Result<()>;

    async fn get_group(&self, pool_id: &str, id: &str) -> Result<Option<Group>>;

    async fn find_group(&self, pool_id: &str, code: &str) -> Result<Option<Group>>;

    async fn groups_by_ids(&self, pool_id: &str, ids: &[String]) -> Result<Vec<Group>>;

    /// Groups, optionally those whose code or name contains `keyword` (case-insensitive).
    async fn list_groups(
        &self,
        pool_id: &str,
        keyword: Option<&str>,
        page: Page,
        order: Order,
    ) -> Result<Paged<Group>>;

    /// Writes the named columns and `updated_at`; returns the group as stored. A code taken
    /// in the pool is [`crate::Error::Duplicate`], a missing group [`crate::Error::NotFound`].
    async fn update_group(
        &self,
        pool_id: &str,
        group_id: &str,
        fields: &GroupFields,
        at: i64,
    ) -> Result<Group>;

    /// Removes the users from the group; users who are not members are ignored.
    async fn remove_group_members(
        &self,
        pool_id: &str,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<()>;

    /// The members, in the order they joined.
    async fn group_users(&self, pool_id: &str, group_id: &str, page: Page) -> Result<Paged<User>>;

    /// The user's groups, ordered by (created_at, id) of the group.
    async fn user_groups(&self, pool_id: &str, user_id: &str) -> Result<Vec<Group>>;

    // --- organizations ----------------------------------------------------------------

    /// Creates the organization with its root node.
    async fn insert_org(&self, org: &Org, root: &Node) -> Result<()>;

    /// Creates an organization with a whole tree: `nodes[0]` is the root, every other node
    /// comes after its parent. A tenant, if named, must be a tenant of the pool.
    async fn insert_org_tree(
        &self,
        org: &crate::model::directory::Org,
        tenant_id: Option<&str>,
        nodes: &[Node],
    ) -> Result<()>;

    async fn get_org(&self, pool_id: &str, id: &str) -> Result<Option<Org>>;

    async fn get_org_record(&self, pool_id: &str, org_id: &str) -> Result<Option<OrgRecord>>;

    async fn list_orgs(&self, pool_id: &str, page: Page, order: Order) -> Result<Paged<OrgRecord>>;

    async fn count_orgs(&self, pool_id: &str) -> Result<i64>;

    async fn orgs_of_tenant(&self, pool_id: &str, tenant_id: &str) -> Result<Vec<OrgRecord>>;

    /// Adds a node under `node.parent_id`, which must be a node of `node.org_id`.
    async fn insert_node(&self, node: &Node) -> Result<()>;

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

    /// Every node of the given organizations.
    async fn org_nodes(&self, pool_id: &str, org_ids: &[String]) -> Result<Vec<Node>>;

    /// Writes the columns `change` names and `updated_at`; returns the node as stored.
    async fn update_node(
        &self,
        pool_id: &str,
        node_id: &str,
        change: &NodeChange,
        at: i64,
    ) -> Result<Node>;

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

    /// The members of the node (and of its descendants with `with_descendants`, each user
    /// once), in the order they joined (latest first with `newest_first`).
    async fn node_users(
        &self,
        pool_id: &str,
        node_id: &str,
        with_descendants: bool,
        newest_first: bool,
        page: Page,
    ) -> Result<Paged<User>>;

    /// The user's departments, optionally of one organization: main department first, then
    /// by (joined_at, node id).
    async fn user_memberships(
        &self,
        pool_id: &str,
        user_id: &str,
        org_id: Option<&str>,
    ) -> Result<Vec<NodeMembership>>;

    // --- custom data of several targets -----------------------------------------------

    /// `(target id, key, stored value)` of every value of the given targets.
    async fn udf_values_of(
        &self,
        pool_id: &str,
        target_type: &str,
        target_ids: &[String],
    ) -> Result<Vec<(String, String, String)>>;
}

/// Changes to one role's own columns; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleFields {
    pub code: Option<String>,
    pub name: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub parent_id: Option<Option<String>>,
}

/// Changes to one group's own columns; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupFields {
    pub code: Option<String>,
    pub name: Option<String>,
    pub description: Option<Option<String>>,
}

/// The directory aggregate (roles, groups, org tree) inside a unit of work. Besides the
/// reads a rule needs, it offers the deletes a cascade is made of; which of them run when a
/// role, group, node or organization goes is decided by the core (`service::cascade`).
#[async_trait]
pub trait DirectoryTx: Send {
    async fn role(&mut self, pool_id: &str, role_id: &str) -> Result<Option<Role>>;
    /// Inserts a role; a code taken in its namespace is [`crate::Error::Duplicate`].
    async fn insert_role(&mut self, role: &Role) -> Result<()>;
    /// Inserts a group; a code taken in the pool is [`crate::Error::Duplicate`].
    async fn insert_group(&mut self, group: &Group) -> Result<()>;
    /// Writes the named columns and `updated_at`; returns the group as stored. A code taken
    /// in the pool is [`crate::Error::Duplicate`], a missing group [`crate::Error::NotFound`].
    async fn update_group_fields(
        &mut self,
        pool_id: &str,
        group_id: &str,
        fields: &GroupFields,
        at: i64,
    ) -> Result<Group>;
    /// `role_id` and its ancestors by `parent_id`, in no particular order; the walk stops at
    /// a root or at a role already seen (so a corrupt loop cannot make it run forever).
    async fn role_lineage(&mut self, pool_id: &str, role_id: &str) -> Result<Vec<String>>;
    /// Writes the named columns and `updated_at`; returns the role as stored. A code taken
    /// in the namespace is [`crate::Error::Duplicate`].
    async fn update_role_fields(
        &mut self,
        pool_id: &str,
        role_id: &str,
        fields: &RoleFields,
        at: i64,
    ) -> Result<Role>;

    async fn org_exists(&mut self, pool_id: &str, org_id: &str) -> Result<bool>;
    async fn node(&mut self, pool_id: &str, node_id: &str) -> Result<Option<Node>>;
    /// `node_id` and its ancestors by `parent_id`, in no particular order; the walk stops at
    /// the root or at a node already seen.
    async fn node_lineage(&mut self, pool_id: &str, node_id: &str) -> Result<Vec<String>>;
    async fn set_node_parent(
        &mut self,
        pool_id: &str,
        node_id: &str,
        parent_id: &str,
        at: i64,
    ) -> Result<()>;
    /// Writes only the fields `change` names (and `updated_at`); the node as stored after.
    async fn update_node_fields(
        &mut self,
        pool_id: &str,
        node_id: &str,
        change: &NodeChange,
        at: i64,
    ) -> Result<Node>;

    /// The ids of the namespace's roles.
    async fn role_ids_in_namespace(
        &mut self,
        pool_id: &str,
        namespace: &str,
    ) -> Result<Vec<String>>;
    /// Clears `parent_id` of every role whose parent is one of `parent_ids`.
    async fn unparent_roles(&mut self, pool_id: &str, parent_ids: &[String]) -> Result<()>;
    /// Deletes every assignment of these roles (to anyone).
    async fn delete_assignments_of_roles(
        &mut self,
        pool_id: &str,
        role_ids: &[String],
    ) -> Result<()>;
    /// Deletes every role assignment whose holder is one of `ids`, of type `target`.
    async fn delete_role_assignments_to(
        &mut self,
        pool_id: &str,
        target: TargetType,
        ids: &[String],
    ) -> Result<()>;
    async fn delete_roles(&mut self, pool_id: &str, role_ids: &[String]) -> Result<()>;

    async fn delete_group_members(&mut self, pool_id: &str, group_ids: &[String]) -> Result<()>;
    async fn delete_groups(&mut self, pool_id: &str, group_ids: &[String]) -> Result<()>;
    /// The root department of every organization of the pool, each with its
    /// organization's tenant (`createDepartmentTree` finds its organization among them).
    async fn org_roots(&mut self, pool_id: &str) -> Result<Vec<(Node, Option<String>)>>;
    /// The direct children of a node, in no particular order.
    async fn child_nodes(&mut self, pool_id: &str, parent_id: &str) -> Result<Vec<Node>>;
    /// Inserts an organization with only its root (`root.id` is `org.root_node_id`),
    /// optionally of a tenant of the pool (an unknown one is
    /// [`crate::Error::NotFound`] of [`crate::Entity::Tenant`]).
    async fn insert_org_in_unit(
        &mut self,
        org: &Org,
        tenant_id: Option<&str>,
        root: &Node,
    ) -> Result<()>;
    /// Inserts a node under its parent, a node of the same organization and pool (else
    /// [`crate::Error::NotFound`] of [`crate::Entity::OrgNode`]).
    async fn insert_node_in_unit(&mut self, node: &Node) -> Result<()>;
    /// Which of `ids` are groups of the pool, each once.
    async fn existing_group_ids(&mut self, pool_id: &str, ids: &[String]) -> Result<Vec<String>>;
    /// Makes the user (of the pool, checked by the core) a member of the group (of the
    /// pool, checked by the core); already a member, nothing changes.
    async fn add_group_member(
        &mut self,
        pool_id: &str,
        group_id: &str,
        user_id: &str,
        at: i64,
    ) -> Result<()>;

    /// The ids of every node of the organization.
    async fn org_node_ids(&mut self, pool_id: &str, org_id: &str) -> Result<Vec<String>>;
    /// `node_id` and every node below it.
    async fn node_subtree(&mut self, pool_id: &str, node_id: &str) -> Result<Vec<String>>;
    async fn delete_node_members(&mut self, pool_id: &str, node_ids: &[String]) -> Result<()>;
    async fn delete_nodes(&mut self, pool_id: &str, node_ids: &[String]) -> Result<()>;
    async fn delete_org(&mut self, pool_id: &str, org_id: &str) -> Result<()>;

    async fn user_exists(&mut self, pool_id: &str, user_id: &str) -> Result<bool>;
    /// Whether the user is a member of the node, and if so whether it is their main one.
    async fn node_membership(
        &mut self,
        pool_id: &str,
        node_id: &str,
        user_id: &str,
    ) -> Result<Option<bool>>;
    /// Makes the user a member of the node (not main); already a member, nothing changes.
    async fn add_node_member(
        &mut self,
        pool_id: &str,
        node_id: &str,
        user_id: &str,
        at: i64,
    ) -> Result<()>;
    async fn remove_node_member(
        &mut self,
        pool_id: &str,
        node_id: &str,
        user_id: &str,
    ) -> Result<()>;
    /// Sets the main flag of one membership.
    async fn set_member_main(
        &mut self,
        pool_id: &str,
        node_id: &str,
        user_id: &str,
        is_main: bool,
    ) -> Result<()>;
    /// Clears the main flag of every membership of the user except the one in `keep`.
    async fn clear_main_except(
        &mut self,
        pool_id: &str,
        user_id: &str,
        keep: Option<&str>,
    ) -> Result<()>;
    /// The ids of every node the user is a member of, in id order.
    async fn user_node_ids(&mut self, pool_id: &str, user_id: &str) -> Result<Vec<String>>;
}
