//! The directory: roles, groups, organization trees, resources, grants and application
//! access, and the one permission resolver every "what may this user do" question goes
//! through.
//!
//! The resolver starts from [`Subjects`]: the user, the user's groups, the nodes the user
//! belongs to with all their ancestors, and the roles given to any of those (plus, for
//! resource grants, every ancestor of those roles). Roles, resources, `is_allowed` and
//! application access are all answered from that one set, so they cannot disagree.

use std::collections::{BTreeMap, HashMap};

use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::model::directory::{
    default_access_allows, AppAccessRule, AuthorizedResource, Group, Node, NodeView, Org, Resource,
    ResourceAction, ResourceGrant, ResourceNamespace, ResourceType, Role, Subjects, TargetType,
    UserDepartment, ACCESS_POLICY_ALLOW_ALL, ACCESS_POLICY_DEFAULT_KEY, ACCESS_POLICY_DENY_ALL,
};
use crate::model::Application;
use crate::store::authorization::NewGrant;

/// The namespace of a role created without one.
pub const DEFAULT_NAMESPACE: &str = "default";
/// The largest page a list call serves.
pub const MAX_PAGE_LIMIT: i64 = 200;

pub(crate) const MAX_CODE_LEN: usize = 128;
pub(crate) const MAX_NAME_LEN: usize = 256;
pub(crate) const MAX_DESCRIPTION_LEN: usize = 4096;

#[derive(Debug, Clone, Default)]
pub struct NewRole {
    /// `None` or blank: [`DEFAULT_NAMESPACE`].
    pub namespace: Option<String>,
    pub code: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// The code of a role of the same namespace whose grants this role inherits.
    pub parent_code: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewGroup {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewNode {
    pub name: String,
    pub code: Option<String>,
    pub description: Option<String>,
    /// Position among siblings; `None` is 0.
    pub order: Option<i64>,
    /// JSON text, stored as given.
    pub name_i18n: Option<String>,
    pub description_i18n: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewResource {
    pub namespace: String,
    pub code: String,
    pub resource_type: ResourceType,
    pub description: Option<String>,
    pub actions: Vec<ResourceAction>,
    pub api_identifier: Option<String>,
    /// A display name; blank is none.
    pub name: Option<String>,
}

pub(crate) fn checked(value: &str, field: &'static str, max_len: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::MissingParameter(field));
    }
    if v.chars().count() > max_len || v.chars().any(char::is_control) {
        return Err(Error::InvalidParameter(field));
    }
    Ok(v.to_owned())
}

pub(crate) fn check_code(value: &str, field: &'static str) -> Result<String> {
    checked(value, field, MAX_CODE_LEN)
}

/// Blank means absent, as the SDKs send `""` for fields the caller left out.
pub(crate) fn optional(
    value: Option<String>,
    field: &'static str,
    max_len: usize,
) -> Result<Option<String>> {
    match value {
        Some(v) if !v.trim().is_empty() => checked(&v, field, max_len).map(Some),
        _ => Ok(None),
    }
}

/// Free text may hold line breaks, so only its length is limited.
pub(crate) fn description(value: Option<String>) -> Result<Option<String>> {
    match value {
        Some(v) if v.chars().count() > MAX_DESCRIPTION_LEN => {
            Err(Error::InvalidParameter("description"))
        }
        Some(v) if v.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

pub(crate) fn namespace_or_default(namespace: Option<String>) -> Result<String> {
    Ok(optional(namespace, "namespace", MAX_CODE_LEN)?
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned()))
}

/// True if a grant on `granted` covers `requested`: the same code, or a `books:*` pattern
/// and an instance `books:1` (or `*`, everything).
pub fn resource_matches(granted: &str, requested: &str) -> bool {
    if granted == requested || granted == "*" {
        return true;
    }
    match granted.strip_suffix('*') {
        Some(prefix) if prefix.ends_with(':') => requested.starts_with(prefix),
        _ => false,
    }
}

/// True if a granted action covers `requested`: the same action, `*`, or `books:*` for
/// `books:read`.
pub fn action_matches(granted: &str, requested: &str) -> bool {
    resource_matches(granted, requested)
}

/// [`Core::is_allowed`]'s decision over resources [`Core::authorized_resources`] found: a
/// matching code (or `books:*` pattern) granting the action, `*`, or a `books:*` action
/// pattern. Callers deciding many resources at once resolve once and ask this per resource.
pub fn grants_allow(resources: &[AuthorizedResource], resource: &str, action: &str) -> bool {
    resources.iter().any(|r| {
        resource_matches(&r.code, resource) && r.actions.iter().any(|a| action_matches(a, action))
    })
}

/// The actions `resources` grant on `resource` (through its own code or a pattern
/// covering it), deduplicated and sorted.
pub fn granted_actions(resources: &[AuthorizedResource], resource: &str) -> Vec<String> {
    let mut out: Vec<String> = resources
        .iter()
        .filter(|r| resource_matches(&r.code, resource))
        .flat_map(|r| r.actions.iter().cloned())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Merges grants into one entry per (namespace, code), actions deduplicated and sorted: the
/// grants reaching a user through several paths have no meaningful order among themselves
/// (they may share a timestamp), and a stable answer matters more than grant order.
/// The result is ordered by (namespace, code).
fn merge_grants(grants: Vec<ResourceGrant>) -> Vec<AuthorizedResource> {
    let mut merged: BTreeMap<(String, String), AuthorizedResource> = BTreeMap::new();
    for g in grants {
        let entry = merged
            .entry((g.namespace.clone(), g.resource.clone()))
            .or_insert_with(|| AuthorizedResource {
                namespace: g.namespace,
                code: g.resource,
                resource_type: g.resource_type,
                actions: Vec::new(),
                api_identifier: g.api_identifier,
            });
        for a in g.actions {
            if !entry.actions.contains(&a) {
                entry.actions.push(a);
            }
        }
    }
    let mut out: Vec<AuthorizedResource> = merged.into_values().collect();
    for r in &mut out {
        r.actions.sort_unstable();
    }
    out
}

/// Deny by any subject wins, then allow by any subject, then the application's default.
pub(crate) fn app_allowed(default_allow: bool, rules: &[&AppAccessRule]) -> bool {
    if rules.iter().any(|r| !r.allow) {
        false
    } else if rules.iter().any(|r| r.allow) {
        true
    } else {
        default_allow
    }
}

/// Nodes and child lists loaded for building [`NodeView`]s.
pub(crate) struct Tree {
    pub(crate) nodes: HashMap<String, Node>,
    pub(crate) children: HashMap<String, Vec<String>>,
}

impl Tree {
    /// Ids from the root down to `id`. The walk is bounded by the number of loaded nodes,
    /// so a corrupt parent cycle cannot loop.
    pub(crate) fn path(&self, id: &str) -> Vec<String> {
        let mut path = vec![id.to_owned()];
        let mut current = self.nodes.get(id).and_then(|n| n.parent_id.clone());
        while let Some(parent) = current {
            if path.len() > self.nodes.len() || path.contains(&parent) {
                break;
            }
            current = self.nodes.get(&parent).and_then(|n| n.parent_id.clone());
            path.push(parent);
        }
        path.reverse();
        path
    }

    pub(crate) fn view(&self, id: &str) -> Option<NodeView> {
        let node = self.nodes.get(id)?.clone();
        let path = self.path(id);
        let along: Vec<Option<&Node>> = path.iter().map(|p| self.nodes.get(p)).collect();
        Some(NodeView {
            root: node.parent_id.is_none(),
            depth: Some(path.len() as i64 - 1),
            code_path: along
                .iter()
                .map(|n| n.and_then(|n| n.code.clone()))
                .collect(),
            name_path: along
                .iter()
                .map(|n| n.map(|n| n.name.clone()).unwrap_or_default())
                .collect(),
            children: self.children.get(id).cloned().unwrap_or_default(),
            path,
            node,
        })
    }
}

impl Core {
    // --- the resolver ----------------------------------------------------------------------

    /// Everything the user acts as. Every read below starts here.
    async fn subjects(&self, pool_id: &str, user_id: &str) -> Result<Subjects> {
        self.store
            .user_subjects(pool_id, user_id)
            .await?
            .ok_or(Error::UserNotFound)
    }

    async fn ensure_user(&self, pool_id: &str, user_id: &str) -> Result<()> {
        self.user_by_id(pool_id, user_id).await.map(|_| ())
    }

    /// Roles given to the user, to the user's groups, or to a node the user belongs to or
    /// any ancestor of one; each once, ordered by (created_at, id). `None`: every namespace.
    pub async fn effective_roles(
        &self,
        pool_id: &str,
        user_id: &str,
        namespace: Option<&str>,
    ) -> Result<Vec<Role>> {
        let subjects = self.subjects(pool_id, user_id).await?;
        self.store
            .roles_by_ids(pool_id, &subjects.role_ids, namespace)
            .await
    }

    /// Whether the user holds (as [`Core::effective_roles`] finds) any of the roles, each
    /// named by namespace (absent: the default one) and code.
    pub async fn holds_any_role(
        &self,
        pool_id: &str,
        user_id: &str,
        roles: &[super::directory_batches::RoleRef],
    ) -> Result<bool> {
        let mut wanted = Vec::with_capacity(roles.len());
        for r in roles {
            wanted.push((
                namespace_or_default(r.namespace.clone())?,
                check_code(&r.code, "code")?,
            ));
        }
        let held = self.effective_roles(pool_id, user_id, None).await?;
        Ok(held.iter().any(|h| {
            wanted
                .iter()
                .any(|(ns, code)| h.namespace == *ns && h.code == *code)
        }))
    }

    /// Resources granted to the user, to an effective role or any of its parent roles, to
    /// the user's groups, or to the user's nodes and their ancestors; actions merged per
    /// (namespace, code), ordered by (namespace, code).
    pub async fn authorized_resources(
        &self,
        pool_id: &str,
        user_id: &str,
        namespace: Option<&str>,
        resource_type: Option<&str>,
    ) -> Result<Vec<AuthorizedResource>> {
        let wanted = match resource_type.map(str::trim) {
            Some(t) if !t.is_empty() => {
                Some(ResourceType::parse(t).ok_or(Error::InvalidParameter("resourceType"))?)
            }
            _ => None,
        };
        let subjects = self.subjects(pool_id, user_id).await?;
        self.resources_for_targets(pool_id, &subjects.targets(true), namespace, wanted)
            .await
    }

    /// The resolver's last step, shared by every "what may X do" question (a user here; a
    /// role, group or node in the management API): the grants to any of `targets`, merged
    /// per (namespace, code), optionally of one type.
    pub(crate) async fn resources_for_targets(
        &self,
        pool_id: &str,
        targets: &[(TargetType, String)],
        namespace: Option<&str>,
        wanted: Option<ResourceType>,
    ) -> Result<Vec<AuthorizedResource>> {
        let grants = self
            .store
            .grants_for_targets(pool_id, targets, namespace)
            .await?;
        let mut resources = merge_grants(grants);
        if let Some(t) = wanted {
            resources.retain(|r| r.resource_type == t);
        }
        Ok(resources)
    }

    /// Whether the user may perform `action` on `resource`, decided from
    /// [`Core::authorized_resources`]: a matching code (or `books:*` pattern) with the action,
    /// `*`, or a `books:*` action pattern.
    pub async fn is_allowed(
        &self,
        pool_id: &str,
        user_id: &str,
        namespace: Option<&str>,
        resource: &str,
        action: &str,
    ) -> Result<bool> {
        if resource.trim().is_empty() {
            return Err(Error::MissingParameter("resource"));
        }
        if action.trim().is_empty() {
            return Err(Error::MissingParameter("action"));
        }
        let resources = self
            .authorized_resources(pool_id, user_id, namespace, None)
            .await?;
        Ok(grants_allow(&resources, resource, action))
    }

    /// The user's departments, optionally of one organization, with their tree facts: main
    /// department first, then in the order joined.
    pub async fn user_departments(
        &self,
        pool_id: &str,
        user_id: &str,
        org_id: Option<&str>,
    ) -> Result<Vec<UserDepartment>> {
        self.ensure_user(pool_id, user_id).await?;
        let memberships = self
            .store
            .user_memberships(pool_id, user_id, org_id)
            .await?;
        let ids: Vec<String> = memberships.iter().map(|m| m.node.id.clone()).collect();
        let tree = self.tree(pool_id, &ids, &ids).await?;
        Ok(memberships
            .into_iter()
            .filter_map(|m| {
                Some(UserDepartment {
                    node: tree.view(&m.node.id)?,
                    is_main: m.is_main,
                    joined_at: m.joined_at,
                })
            })
            .collect())
    }

    /// For each department of the user, the nodes from its organization's root down to it.
    pub async fn user_orgs(&self, pool_id: &str, user_id: &str) -> Result<Vec<Vec<NodeView>>> {
        self.ensure_user(pool_id, user_id).await?;
        let memberships = self.store.user_memberships(pool_id, user_id, None).await?;
        let ids: Vec<String> = memberships.iter().map(|m| m.node.id.clone()).collect();
        let lineage: Vec<String> = self
            .store
            .node_lineage(pool_id, &ids)
            .await?
            .into_iter()
            .map(|n| n.id)
            .collect();
        let tree = self.tree(pool_id, &ids, &lineage).await?;
        Ok(memberships
            .iter()
            .map(|m| {
                tree.path(&m.node.id)
                    .iter()
                    .filter_map(|id| tree.view(id))
                    .collect()
            })
            .collect())
    }

    /// The user's groups, ordered by (created_at, id).
    pub async fn user_groups(&self, pool_id: &str, user_id: &str) -> Result<Vec<Group>> {
        self.ensure_user(pool_id, user_id).await?;
        self.store.user_groups(pool_id, user_id).await
    }

    /// The applications of the pool the user may use, one page of them, with the total.
    /// A deny rule naming the user, an effective role, a group or a node (or an ancestor
    /// node) wins; otherwise an allow rule; otherwise the application's default.
    pub async fn allowed_apps(
        &self,
        pool_id: &str,
        user_id: &str,
        page: i64,
        limit: i64,
    ) -> Result<(i64, Vec<Application>)> {
        if page < 1 {
            return Err(Error::InvalidParameter("page"));
        }
        if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
            return Err(Error::InvalidParameter("limit"));
        }
        let subjects = self.subjects(pool_id, user_id).await?;
        let rules = self
            .store
            .app_access_rules(pool_id, &subjects.targets(false))
            .await?;
        let mut by_app: HashMap<&str, Vec<&AppAccessRule>> = HashMap::new();
        for r in &rules {
            by_app.entry(r.app_id.as_str()).or_default().push(r);
        }
        let allowed: Vec<Application> = self
            .store
            .apps_with_config(pool_id)
            .await?
            .into_iter()
            .filter(|(app, config)| {
                let rules = by_app.get(app.id.as_str()).map_or(&[][..], Vec::as_slice);
                app_allowed(default_access_allows(config), rules)
            })
            .map(|(app, _)| app)
            .collect();
        let total = allowed.len() as i64;
        let skip = usize::try_from((page - 1).saturating_mul(limit)).unwrap_or(usize::MAX);
        let take = usize::try_from(limit).unwrap_or(0);
        Ok((total, allowed.into_iter().skip(skip).take(take).collect()))
    }

    /// The roles assigned to one department itself (not inherited), optionally of one
    /// namespace.
    pub async fn node_roles(
        &self,
        pool_id: &str,
        node_id: &str,
        namespace: Option<&str>,
    ) -> Result<Vec<Role>> {
        let ids = self
            .store
            .roles_of_targets(pool_id, &[(TargetType::OrgNode, node_id.to_owned())])
            .await?;
        self.store.roles_by_ids(pool_id, &ids, namespace).await
    }

    /// Whether the application's access policy lets the user in: the same rule as
    /// [`Core::allowed_apps`] for one application (a deny naming the user or one of their
    /// roles, groups or nodes wins, then an allow, then the application's default).
    pub async fn may_use_app(&self, pool_id: &str, user_id: &str, app_id: &str) -> Result<bool> {
        let Some((_, config)) = self.store.app_with_config(pool_id, app_id).await? else {
            return Err(Error::AppNotFound);
        };
        let default_allow = default_access_allows(&config);
        // Without an enabled rule the default decides, whatever the user's roles, groups
        // and departments: they are resolved (the dearest read of a login) only when a rule
        // could name one of them.
        if !self.store.app_has_access_rules(pool_id, app_id).await? {
            return Ok(default_allow);
        }
        let subjects = self.subjects(pool_id, user_id).await?;
        let rules = self
            .store
            .app_access_rules(pool_id, &subjects.targets(false))
            .await?;
        let mine: Vec<&AppAccessRule> = rules.iter().filter(|r| r.app_id == app_id).collect();
        Ok(app_allowed(default_allow, &mine))
    }

    /// Loads `view_ids`, their ancestors, and the children of `children_of`.
    pub(crate) async fn tree(
        &self,
        pool_id: &str,
        view_ids: &[String],
        children_of: &[String],
    ) -> Result<Tree> {
        let nodes = self
            .store
            .node_lineage(pool_id, view_ids)
            .await?
            .into_iter()
            .map(|n| (n.id.clone(), n))
            .collect();
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        for (parent, child) in self.store.node_children(pool_id, children_of).await? {
            children.entry(parent).or_default().push(child);
        }
        Ok(Tree { nodes, children })
    }

    pub(crate) async fn node_view(&self, pool_id: &str, node_id: &str) -> Result<NodeView> {
        let ids = [node_id.to_owned()];
        self.tree(pool_id, &ids, &ids)
            .await?
            .view(node_id)
            .ok_or(Error::NotFound(Entity::OrgNode))
    }

    // --- writes ----------------------------------------------------------------------------

    /// Creates a role. Its parent, if named, is a role of the same namespace; since the
    /// parent exists before the child, no cycle can form.
    pub async fn create_role(&self, pool_id: &str, new: NewRole) -> Result<Role> {
        self.pool(pool_id).await?;
        let role = self.role_row(pool_id, new, clock::now_ms()).await?;
        self.store.insert_role(&role).await?;
        Ok(role)
    }

    /// The row a new role is stored as, its fields checked and its parent found.
    pub(crate) async fn role_row(&self, pool_id: &str, new: NewRole, now: i64) -> Result<Role> {
        let namespace = namespace_or_default(new.namespace)?;
        let code = check_code(&new.code, "code")?;
        let parent_id = match optional(new.parent_code, "parent", MAX_CODE_LEN)? {
            Some(parent) => Some(
                self.store
                    .find_role(pool_id, &namespace, &parent)
                    .await?
                    .ok_or(Error::NotFound(Entity::Role))?
                    .id,
            ),
            None => None,
        };
        Ok(Role {
            id: ids::new_id(),
            pool_id: pool_id.to_owned(),
            namespace,
            code,
            name: optional(new.name, "name", MAX_NAME_LEN)?,
            description: description(new.description)?,
            parent_id,
            created_at: now,
            updated_at: now,
        })
    }

    /// Gives a role to a user, group or node (a role cannot hold a role: parents do that).
    pub async fn assign_role(
        &self,
        pool_id: &str,
        role_id: &str,
        target_type: TargetType,
        target_id: &str,
    ) -> Result<()> {
        if !target_type.can_hold_roles() {
            return Err(Error::RoleAssignedToRole);
        }
        // Under the separation-of-duties rules (`service::sod`), in one unit of work.
        self.assign_roles_checked(
            pool_id,
            vec![role_id.to_owned()],
            vec![(target_type, target_id.to_owned())],
        )
        .await
    }

    pub async fn create_group(&self, pool_id: &str, new: NewGroup) -> Result<Group> {
        self.pool(pool_id).await?;
        let group = Self::group_row(pool_id, new, clock::now_ms())?;
        self.store.insert_group(&group).await?;
        Ok(group)
    }

    /// The row a new group is stored as, its fields checked.
    pub(crate) fn group_row(pool_id: &str, new: NewGroup, now: i64) -> Result<Group> {
        Ok(Group {
            id: ids::new_id(),
            pool_id: pool_id.to_owned(),
            code: check_code(&new.code, "code")?,
            name: checked(&new.name, "name", MAX_NAME_LEN)?,
            description: description(new.description)?,
            created_at: now,
            updated_at: now,
        })
    }

    /// Adds all the users to the group, or none of them if one is unknown or would then
    /// hold two mutually exclusive roles (`service::sod`), in one unit of work.
    pub async fn add_group_members(
        &self,
        pool_id: &str,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<()> {
        if user_ids.is_empty() {
            return Err(Error::MissingParameter("userIds"));
        }
        let (pool, group_id, user_ids, at) = (
            pool_id.to_owned(),
            group_id.to_owned(),
            user_ids.to_vec(),
            clock::now_ms(),
        );
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                let found = tx
                    .existing_group_ids(&pool, std::slice::from_ref(&group_id))
                    .await?;
                if found.is_empty() {
                    return Err(Error::NotFound(Entity::Group));
                }
                for user_id in &user_ids {
                    if !tx.user_exists(&pool, user_id).await? {
                        return Err(Error::UserNotFound);
                    }
                }
                let held = super::sod::held_before(tx, &pool, &user_ids).await?;
                for user_id in &user_ids {
                    tx.add_group_member(&pool, &group_id, user_id, at).await?;
                }
                super::sod::verify(tx, &pool, held).await
            })
        })
        .await
    }

    pub(crate) fn node_from(
        new: NewNode,
        pool_id: &str,
        org_id: &str,
        parent_id: Option<String>,
    ) -> Result<Node> {
        let now = clock::now_ms();
        Ok(Node {
            id: ids::new_id(),
            pool_id: pool_id.to_owned(),
            org_id: org_id.to_owned(),
            parent_id,
            name: checked(&new.name, "name", MAX_NAME_LEN)?,
            name_i18n: optional_json(new.name_i18n, "nameI18n")?,
            description: description(new.description)?,
            description_i18n: optional_json(new.description_i18n, "descriptionI18n")?,
            code: optional(new.code, "code", MAX_CODE_LEN)?,
            order: new.order.unwrap_or(0),
            created_at: now,
            updated_at: now,
            enabled: true,
        })
    }

    /// Creates an organization and its one root node.
    pub async fn create_org(&self, pool_id: &str, root: NewNode) -> Result<(Org, NodeView)> {
        self.pool(pool_id).await?;
        let org_id = ids::new_id();
        let root = Self::node_from(root, pool_id, &org_id, None)?;
        let org = Org {
            id: org_id,
            pool_id: pool_id.to_owned(),
            root_node_id: root.id.clone(),
            created_at: root.created_at,
            updated_at: root.created_at,
        };
        self.store.insert_org(&org, &root).await?;
        let view = NodeView {
            root: true,
            depth: Some(0),
            path: vec![root.id.clone()],
            code_path: vec![root.code.clone()],
            name_path: vec![root.name.clone()],
            children: Vec::new(),
            node: root,
        };
        Ok((org, view))
    }

    /// Adds a node under `parent_node_id`, a node of `org_id`.
    pub async fn add_node(
        &self,
        pool_id: &str,
        org_id: &str,
        parent_node_id: &str,
        new: NewNode,
    ) -> Result<NodeView> {
        let node = Self::node_from(new, pool_id, org_id, Some(parent_node_id.to_owned()))?;
        self.store.insert_node(&node).await?;
        self.node_view(pool_id, &node.id).await
    }

    /// Adds all the users to the node, or none of them if one is unknown. With `is_main`
    /// the node becomes their main department.
    pub async fn add_node_members(
        &self,
        pool_id: &str,
        node_id: &str,
        user_ids: &[String],
        is_main: bool,
    ) -> Result<()> {
        if user_ids.is_empty() {
            return Err(Error::MissingParameter("userIds"));
        }
        let (pool, node_id, user_ids, at) = (
            pool_id.to_owned(),
            node_id.to_owned(),
            user_ids.to_vec(),
            clock::now_ms(),
        );
        self.pool_write(pool_id, move |tx| {
            Box::pin(async move {
                super::membership::add_node_members(tx, &pool, &node_id, &user_ids, is_main, at)
                    .await
            })
        })
        .await
    }

    pub async fn create_namespace(
        &self,
        pool_id: &str,
        code: &str,
        name: Option<String>,
    ) -> Result<ResourceNamespace> {
        self.pool(pool_id).await?;
        let now = clock::now_ms();
        let ns = ResourceNamespace {
            id: ids::new_id(),
            pool_id: pool_id.to_owned(),
            code: check_code(code, "code")?,
            name: optional(name, "name", MAX_NAME_LEN)?,
            description: None,
            app_id: None,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_namespace(&ns).await?;
        Ok(ns)
    }

    pub async fn create_resource(&self, pool_id: &str, new: NewResource) -> Result<Resource> {
        self.pool(pool_id).await?;
        let resource = Self::resource_row(pool_id, new, clock::now_ms())?;
        self.store.insert_resource(&resource).await?;
        Ok(resource)
    }

    /// The row a new resource is stored as, its fields checked and its actions named once.
    pub(crate) fn resource_row(pool_id: &str, new: NewResource, now: i64) -> Result<Resource> {
        let mut actions: Vec<ResourceAction> = Vec::with_capacity(new.actions.len());
        for a in new.actions {
            let name = check_code(&a.name, "actions")?;
            if actions.iter().any(|x| x.name == name) {
                continue;
            }
            actions.push(ResourceAction {
                name,
                description: description(a.description)?,
            });
        }
        Ok(Resource {
            id: ids::new_id(),
            pool_id: pool_id.to_owned(),
            namespace: check_code(&new.namespace, "namespace")?,
            code: check_code(&new.code, "code")?,
            resource_type: new.resource_type,
            description: description(new.description)?,
            actions,
            api_identifier: optional(new.api_identifier, "apiIdentifier", MAX_DESCRIPTION_LEN)?,
            name: optional(new.name, "name", MAX_NAME_LEN)?,
            created_at: now,
            updated_at: now,
        })
    }

    /// Grants `actions` on a resource to a target, replacing the actions of an earlier grant
    /// of the same resource to the same target. The resource may be a `books:*` pattern or a
    /// `books:1` instance without a `resources` row; its type comes from the `resources` row
    /// (exact code, else the code before the first `:`), else DATA.
    pub async fn authorize_resource(
        &self,
        pool_id: &str,
        namespace: &str,
        resource_code: &str,
        target_type: TargetType,
        target_id: &str,
        actions: Vec<String>,
    ) -> Result<()> {
        self.authorize_resource_typed(
            pool_id,
            namespace,
            resource_code,
            None,
            target_type,
            target_id,
            actions,
        )
        .await
    }

    /// [`Core::authorize_resource`] with the type the request names, which wins over the
    /// `resources` rows.
    #[allow(clippy::too_many_arguments)]
    pub async fn authorize_resource_typed(
        &self,
        pool_id: &str,
        namespace: &str,
        resource_code: &str,
        resource_type: Option<ResourceType>,
        target_type: TargetType,
        target_id: &str,
        actions: Vec<String>,
    ) -> Result<()> {
        let namespace = check_code(namespace, "namespace")?;
        let resource = check_code(resource_code, "resource")?;
        let target_id = check_code(target_id, "targetIdentifier")?;
        let mut granted: Vec<String> = Vec::with_capacity(actions.len());
        for a in &actions {
            let a = check_code(a, "actions")?;
            if !granted.contains(&a) {
                granted.push(a);
            }
        }
        let resource_type = match resource_type {
            Some(t) => t,
            None => self.declared_type(pool_id, &namespace, &resource).await?,
        };
        self.store
            .upsert_grant(&NewGrant {
                id: ids::new_id(),
                pool_id: pool_id.to_owned(),
                namespace,
                resource,
                resource_type,
                target_type,
                target_id,
                actions: granted,
                at: clock::now_ms(),
            })
            .await
    }

    /// The type of the resource a grant names: its own row, else its base resource's
    /// (`books` for `books:1` or `books:*`), else DATA.
    pub(crate) async fn declared_type(
        &self,
        pool_id: &str,
        namespace: &str,
        code: &str,
    ) -> Result<ResourceType> {
        if let Some(r) = self.store.find_resource(pool_id, namespace, code).await? {
            return Ok(r.resource_type);
        }
        if let Some((base, _)) = code.split_once(':') {
            if let Some(r) = self.store.find_resource(pool_id, namespace, base).await? {
                return Ok(r.resource_type);
            }
        }
        Ok(ResourceType::default())
    }

    /// Allows or denies one application to a user, role, group or node (a node's rule
    /// covers its descendants' members too).
    pub async fn set_app_access(
        &self,
        pool_id: &str,
        app_id: &str,
        target_type: TargetType,
        target_id: &str,
        allow: bool,
    ) -> Result<()> {
        let rule = AppAccessRule {
            app_id: app_id.to_owned(),
            target_type,
            target_id: target_id.to_owned(),
            allow,
        };
        self.store
            .set_app_access(pool_id, &rule, clock::now_ms())
            .await
    }

    /// Sets what an application's access policy decides for users no rule names.
    pub async fn set_app_default_access(
        &self,
        pool_id: &str,
        app_id: &str,
        allow_all: bool,
    ) -> Result<()> {
        let value = if allow_all {
            ACCESS_POLICY_ALLOW_ALL
        } else {
            ACCESS_POLICY_DENY_ALL
        };
        self.store
            .set_app_config_value(
                pool_id,
                app_id,
                ACCESS_POLICY_DEFAULT_KEY,
                value.into(),
                clock::now_ms(),
            )
            .await
    }
}

/// i18n fields are JSON documents; anything else is refused rather than stored and served
/// back broken.
pub(crate) fn optional_json(value: Option<String>, field: &'static str) -> Result<Option<String>> {
    match value {
        Some(v) if !v.trim().is_empty() => {
            if v.chars().count() > MAX_DESCRIPTION_LEN
                || serde_json::from_str::<serde_json::Value>(&v).is_err()
            {
                return Err(Error::InvalidParameter(field));
            }
            Ok(Some(v))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(ns: &str, code: &str, actions: &[&str], t: ResourceType) -> ResourceGrant {
        ResourceGrant {
            namespace: ns.into(),
            resource: code.into(),
            resource_type: t,
            api_identifier: None,
            target_type: TargetType::User,
            target_id: "u".into(),
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            created_at: 0,
        }
    }

    #[test]
    fn patterns_cover_instances_only() {
        assert!(resource_matches("books:*", "books:1"));
        assert!(resource_matches("books:1", "books:1"));
        assert!(resource_matches("*", "anything"));
        assert!(!resource_matches("books:*", "books"));
        assert!(!resource_matches("books:*", "bookshelf:1"));
        assert!(!resource_matches("books:1", "books:2"));
        assert!(!resource_matches("book*", "books"));
        assert!(action_matches("books:*", "books:read"));
        assert!(action_matches("*", "books:read"));
        assert!(!action_matches("books:read", "books:delete"));
    }

    #[test]
    fn grants_merge_per_namespace_and_code() {
        let merged = merge_grants(vec![
            grant("a", "books:1", &["read", "update"], ResourceType::Data),
            grant("a", "books:1", &["update", "delete"], ResourceType::Data),
            grant("b", "books:1", &["read"], ResourceType::Api),
            grant("a", "menu", &[], ResourceType::Menu),
        ]);
        let keys: Vec<(&str, &str)> = merged
            .iter()
            .map(|r| (r.namespace.as_str(), r.code.as_str()))
            .collect();
        assert_eq!(keys, [("a", "books:1"), ("a", "menu"), ("b", "books:1")]);
        assert_eq!(merged[0].actions, ["delete", "read", "update"]);
        assert_eq!(merged[2].resource_type, ResourceType::Api);
    }

    #[test]
    fn deny_wins_then_allow_then_default() {
        let allow = AppAccessRule {
            app_id: "a".into(),
            target_type: TargetType::User,
            target_id: "u".into(),
            allow: true,
        };
        let deny = AppAccessRule {
            allow: false,
            ..allow.clone()
        };
        assert!(!app_allowed(true, &[&allow, &deny]));
        assert!(app_allowed(false, &[&allow]));
        assert!(app_allowed(true, &[]));
        assert!(!app_allowed(false, &[]));
    }
}
