//! What the management API adds to the directory: policies and their assignments, the records
//! of an application's access policy, programmatic access accounts, and the edits the
//! management calls make.

use serde::{Deserialize, Serialize};

use super::directory::{Org, ResourceType, TargetType};

/// A condition of a policy statement (`{param, operator, value}`), kept as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyCondition {
    pub param: String,
    pub operator: String,
    pub value: serde_json::Value,
}

/// `ALLOW` or `DENY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum PolicyEffect {
    #[default]
    Allow,
    Deny,
}

impl PolicyEffect {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyEffect::Allow => "ALLOW",
            PolicyEffect::Deny => "DENY",
        }
    }

    pub fn parse(s: &str) -> Option<PolicyEffect> {
        match s.trim().to_ascii_uppercase().as_str() {
            "ALLOW" => Some(PolicyEffect::Allow),
            "DENY" => Some(PolicyEffect::Deny),
            _ => None,
        }
    }
}

/// One statement of a policy; stored as JSON in `policies.statements`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyStatement {
    pub resource: String,
    pub actions: Vec<String>,
    pub effect: PolicyEffect,
    #[serde(default)]
    pub condition: Vec<PolicyCondition>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub id: String,
    pub pool_id: String,
    pub namespace: String,
    pub code: String,
    pub description: Option<String>,
    pub statements: Vec<PolicyStatement>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A policy given to a target, as stored (the target by id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyAssignment {
    pub policy_id: String,
    pub policy_code: String,
    pub namespace: String,
    pub target_type: TargetType,
    pub target_id: String,
    pub enabled: bool,
    pub created_at: i64,
}

/// One rule of an application's access policy with its state, for the records list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppAccessRecord {
    pub id: String,
    pub app_id: String,
    pub target_type: TargetType,
    pub target_id: String,
    pub allow: bool,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A programmatic access account of an application (a key pair machines use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammaticAccount {
    pub id: String,
    pub pool_id: String,
    pub app_id: String,
    pub secret: String,
    pub enabled: bool,
    pub remarks: Option<String>,
    /// Seconds the tokens it obtains live.
    pub token_lifetime: i64,
    pub user_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An organization with the tenant it belongs to, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgRecord {
    pub org: Org,
    pub tenant_id: Option<String>,
}

/// What a grant write does to the grant of (namespace, resource, target).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantOp {
    /// Creates the grant or replaces its actions.
    Replace(Vec<String>),
    /// Creates the grant or adds the actions it lacks.
    Add(Vec<String>),
    /// Removes these actions; a grant left without actions is deleted.
    Remove(Vec<String>),
    /// Deletes the grant.
    Delete,
}

/// One change of a resource grant; a batch of them is written in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantWrite {
    pub namespace: String,
    pub resource: String,
    pub resource_type: ResourceType,
    pub target_type: TargetType,
    /// An id: user, role, group or node.
    pub target_id: String,
    pub op: GrantOp,
}

/// Fields of a node to change; `None` keeps the field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeChange {
    pub name: Option<String>,
    pub code: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub order: Option<i64>,
    pub name_i18n: Option<Option<String>>,
    pub description_i18n: Option<Option<String>>,
    /// Enabled (`true`) or disabled.
    pub enabled: Option<bool>,
}

/// One holder of a role as the role's assignment list shows it: who, named how, since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleAssignment {
    pub target_type: crate::model::directory::TargetType,
    pub target_id: String,
    /// A user's username (else email, phone or name), a department's name.
    pub target_name: Option<String>,
    pub assigned_at: i64,
}
