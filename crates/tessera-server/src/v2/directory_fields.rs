//! The `User` sub-fields that read the directory — `roles(namespace)`,
//! `groups`, `departments(orgId)`, `authorizedResources(namespace, resourceType)` — and the
//! JSON shapes of roles and org nodes (`v2-wire.md` §7.3).

use serde_json::{json, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::directory::{NodeView, Role};
use tessera_core::{Core, Result};

use super::args::opt_str;
use crate::graphql::Field;

pub fn node_json(n: &NodeView) -> Value {
    let node = &n.node;
    json!({
        "id": node.id, "orgId": node.org_id, "name": node.name, "nameI18n": node.name_i18n,
        "description": node.description, "descriptionI18n": node.description_i18n,
        "order": node.order, "code": node.code, "root": n.root, "depth": n.depth,
        "path": n.path, "codePath": n.code_path, "namePath": n.name_path,
        "createdAt": iso8601(node.created_at), "updatedAt": iso8601(node.updated_at),
        "children": n.children, "isVirtualNode": false,
    })
}

pub fn role_json(r: &Role) -> Value {
    json!({
        "id": r.id, "namespace": r.namespace, "code": r.code,
        "arn": format!("arn:cn:authing:{}:role:{}", r.pool_id, r.id),
        "name": r.name, "description": r.description,
        "createdAt": iso8601(r.created_at), "updatedAt": iso8601(r.updated_at),
        "parent": null,
    })
}

fn page(list: Vec<Value>) -> Value {
    json!({ "totalCount": list.len(), "list": list })
}

/// Adds each selected directory field of the user to `v`, with its own arguments.
pub async fn add(core: &Core, pool: &str, user: &str, f: &Field, v: &mut Value) -> Result<()> {
    if let Some(sub) = f.child("roles") {
        let ns = opt_str(&sub.args, "namespace")?;
        let roles = core.effective_roles(pool, user, ns.as_deref()).await?;
        v["roles"] = page(roles.iter().map(role_json).collect());
    }
    if let Some(_sub) = f.child("groups") {
        let groups = core.user_groups(pool, user).await?;
        v["groups"] = page(
            groups
                .iter()
                .map(|g| {
                    json!({"code": g.code, "name": g.name, "description": g.description,
                           "createdAt": iso8601(g.created_at), "updatedAt": iso8601(g.updated_at)})
                })
                .collect(),
        );
    }
    if let Some(sub) = f.child("departments") {
        let org = opt_str(&sub.args, "orgId")?;
        let deps = core.user_departments(pool, user, org.as_deref()).await?;
        v["departments"] = page(
            deps.iter()
                .map(|d| {
                    json!({"department": node_json(&d.node), "isMainDepartment": d.is_main,
                           "joinedAt": iso8601(d.joined_at)})
                })
                .collect(),
        );
    }
    if let Some(sub) = f.child("authorizedResources") {
        let ns = opt_str(&sub.args, "namespace")?;
        let ty = opt_str(&sub.args, "resourceType")?;
        let list = core
            .authorized_resources(pool, user, ns.as_deref(), ty.as_deref())
            .await?;
        v["authorizedResources"] = page(
            list.iter()
                .map(|r| {
                    json!({"code": r.code, "type": r.resource_type.as_str(),
                           "actions": r.actions, "apiIdentifier": r.api_identifier})
                })
                .collect(),
        );
    }
    Ok(())
}
