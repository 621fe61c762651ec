//! The directory: roles, groups, organization trees, resources and the grants on them.

use serde::{Deserialize, Serialize};

/// Who a role, a resource grant or an application access rule is given to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetType {
    User,
    Role,
    Group,
    /// A node (department) of an organization tree.
    OrgNode,
}

impl TargetType {
    /// Whether a role can be assigned to this kind of target. A role cannot hold a role:
    /// a role's parent gives it another role's grants instead. The one statement of this
    /// rule; the store writes whatever assignments the core decided.
    pub fn can_hold_roles(self) -> bool {
        self != TargetType::Role
    }
    /// The wire name (Authing's `PolicyAssignmentTargetType`).
    pub fn as_str(self) -> &'static str {
        match self {
            TargetType::User => "USER",
            TargetType::Role => "ROLE",
            TargetType::Group => "GROUP",
            TargetType::OrgNode => "ORG",
        }
    }

    /// Reads a wire name. `NODE` and `DEPARTMENT` are accepted for the node because v3 and
    /// some SDK helpers use them for the same thing.
    pub fn parse(s: &str) -> Option<TargetType> {
        match s.trim().to_ascii_uppercase().as_str() {
            "USER" => Some(TargetType::User),
            "ROLE" => Some(TargetType::Role),
            "GROUP" => Some(TargetType::Group),
            "ORG" | "NODE" | "DEPARTMENT" => Some(TargetType::OrgNode),
            _ => None,
        }
    }
}

/// The kind of a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ResourceType {
    #[default]
    Data,
    Api,
    Menu,
    Ui,
    Button,
}

impl ResourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Data => "DATA",
            ResourceType::Api => "API",
            ResourceType::Menu => "MENU",
            ResourceType::Ui => "UI",
            ResourceType::Button => "BUTTON",
        }
    }

    /// Reads a type name case-insensitively (SDK callers send both `DATA` and `data`).
    pub fn parse(s: &str) -> Option<ResourceType> {
        match s.trim().to_ascii_uppercase().as_str() {
            "DATA" => Some(ResourceType::Data),
            "API" => Some(ResourceType::Api),
            "MENU" => Some(ResourceType::Menu),
            "UI" => Some(ResourceType::Ui),
            "BUTTON" => Some(ResourceType::Button),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub pool_id: String,
    pub namespace: String,
    pub code: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// A role inherits the resource grants of its parent (and of the parent's parent, …).
    pub parent_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub pool_id: String,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An organization: a tree of nodes with exactly one root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub id: String,
    pub pool_id: String,
    pub root_node_id: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One node (department) of an organization, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub id: String,
    pub pool_id: String,
    pub org_id: String,
    /// `None` only for the root.
    pub parent_id: Option<String>,
    pub name: String,
    /// JSON text, passed through as the client gave it.
    pub name_i18n: Option<String>,
    pub description: Option<String>,
    pub description_i18n: Option<String>,
    pub code: Option<String>,
    /// Position among its siblings.
    pub order: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// A disabled department (v3 `status: false`) is kept with its members; only its
    /// status reads differently. New nodes are enabled.
    pub enabled: bool,
}

/// A node with the tree facts the wire shapes carry, computed from its ancestors and
/// children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeView {
    pub node: Node,
    pub root: bool,
    /// Number of ancestors (0 for the root).
    pub depth: Option<i64>,
    /// Node ids from the root down to this node, both included.
    pub path: Vec<String>,
    /// The codes along `path` (a node without a code gives `None`).
    pub code_path: Vec<Option<String>>,
    pub name_path: Vec<String>,
    /// Ids of the direct children, in sibling order.
    pub children: Vec<String>,
}

/// A user's membership in a department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDepartment {
    pub node: NodeView,
    pub is_main: bool,
    pub joined_at: i64,
}

/// A membership row as the store returns it, before the tree facts are computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeMembership {
    pub node: Node,
    pub is_main: bool,
    pub joined_at: i64,
}

/// A resource namespace (Authing's permission group).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceNamespace {
    pub id: String,
    pub pool_id: String,
    pub code: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub app_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An action a resource declares. Stored as JSON `{name, description}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ResourceAction {
    pub name: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub id: String,
    pub pool_id: String,
    pub namespace: String,
    pub code: String,
    pub resource_type: ResourceType,
    pub description: Option<String>,
    pub actions: Vec<ResourceAction>,
    pub api_identifier: Option<String>,
    /// A display name, distinct from the code.
    pub name: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One grant of actions on a resource code (or a `books:*` pattern, or an instance such as
/// `books:1`) to one target, as the store returns it for the resolver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceGrant {
    pub namespace: String,
    pub resource: String,
    /// The type of the `resources` row with this exact code when there is one, otherwise
    /// the type recorded on the grant.
    pub resource_type: ResourceType,
    /// From the `resources` row with this exact code, if any.
    pub api_identifier: Option<String>,
    pub target_type: TargetType,
    pub target_id: String,
    pub actions: Vec<String>,
    pub created_at: i64,
}

/// A resource a user may act on, with every action granted through any path merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizedResource {
    pub namespace: String,
    pub code: String,
    pub resource_type: ResourceType,
    pub actions: Vec<String>,
    pub api_identifier: Option<String>,
}

/// Everything a user acts as, found by following memberships: the input of the one
/// permission resolver.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subjects {
    pub user_id: String,
    pub group_ids: Vec<String>,
    /// The nodes the user belongs to and all their ancestors.
    pub node_ids: Vec<String>,
    /// Roles assigned to the user, the user's groups or nodes (ancestors included).
    pub role_ids: Vec<String>,
    /// `role_ids` plus every ancestor role along the `parent_id` chains.
    pub inherited_role_ids: Vec<String>,
}

impl Subjects {
    /// The targets whose grants or rules apply to the user. Resource grants follow role
    /// parents (`with_role_ancestors`); application access rules name roles directly.
    pub fn targets(&self, with_role_ancestors: bool) -> Vec<(TargetType, String)> {
        let roles = if with_role_ancestors {
            &self.inherited_role_ids
        } else {
            &self.role_ids
        };
        let mut out = vec![(TargetType::User, self.user_id.clone())];
        out.extend(roles.iter().map(|id| (TargetType::Role, id.clone())));
        out.extend(
            self.group_ids
                .iter()
                .map(|id| (TargetType::Group, id.clone())),
        );
        out.extend(
            self.node_ids
                .iter()
                .map(|id| (TargetType::OrgNode, id.clone())),
        );
        out
    }
}

/// An allow or deny rule for one application and one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppAccessRule {
    pub app_id: String,
    pub target_type: TargetType,
    pub target_id: String,
    pub allow: bool,
}

/// `applications.config` key holding the default of the access policy.
pub const ACCESS_POLICY_DEFAULT_KEY: &str = "accessPolicyDefault";
pub const ACCESS_POLICY_ALLOW_ALL: &str = "ALLOW_ALL";
pub const ACCESS_POLICY_DENY_ALL: &str = "DENY_ALL";

/// Whether an application's `config` lets in the users no access rule names. Absent means
/// allow, so applications made before access rules existed stay usable.
pub fn default_access_allows(config: &serde_json::Map<String, serde_json::Value>) -> bool {
    config
        .get(ACCESS_POLICY_DEFAULT_KEY)
        .and_then(serde_json::Value::as_str)
        != Some(ACCESS_POLICY_DENY_ALL)
}
