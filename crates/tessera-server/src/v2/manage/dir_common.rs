//! Shapes and argument readers shared by the directory's management modules (roles, ACL,
//! groups, org, policies): paged users, authorized resources, roles with their parent,
//! groups, resources, targets and orders as the wire spells them.

use serde_json::{json, Map, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::directory::{
    AuthorizedResource, Group, Resource, ResourceNamespace, Role, TargetType,
};
use tessera_core::model::User;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::directory_admin::parse_resource_type;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::service::udf::UdfTarget;
use tessera_core::store::directory::Order;
use tessera_core::{Core, Error, Result};

use super::super::args::{opt_int, opt_str};
use super::super::directory_fields::role_json;
use super::super::user_json::{udv_json, user_json};
use crate::graphql::Field;

/// `targetType` (`PolicyAssignmentTargetType`): USER, ROLE, GROUP or ORG (a node).
/// `AK_SK` targets (machine keys) hold no grants here and are refused.
pub fn target_type(a: &Map<String, Value>, key: &'static str) -> Result<TargetType> {
    let s = opt_str(a, key)?.ok_or(Error::MissingParameter(key))?;
    TargetType::parse(&s).ok_or(Error::InvalidParameter(key))
}

pub fn opt_target_type(a: &Map<String, Value>, key: &'static str) -> Result<Option<TargetType>> {
    match opt_str(a, key)?.filter(|s| !s.trim().is_empty()) {
        Some(s) => TargetType::parse(&s)
            .map(Some)
            .ok_or(Error::InvalidParameter(key)),
        None => Ok(None),
    }
}

/// `sortBy`: creation order either way. The updated-at orders have no index behind them
/// and are refused rather than served by sorting a whole pool.
pub fn order(a: &Map<String, Value>) -> Result<Order> {
    match opt_str(a, "sortBy")?.as_deref() {
        None | Some("") | Some("CREATEDAT_ASC") => Ok(Order::Oldest),
        Some("CREATEDAT_DESC") => Ok(Order::Newest),
        Some(_) => Err(Error::InvalidParameter("sortBy")),
    }
}

/// `page`/`limit` of a sub-field such as `users(page, limit)`.
pub fn sub_page(f: Option<&Field>) -> Result<Page> {
    match f {
        Some(f) => Page::new(opt_int(&f.args, "page")?, opt_int(&f.args, "limit")?),
        None => Ok(Page::default()),
    }
}

pub fn resource_type_arg(
    a: &Map<String, Value>,
) -> Result<Option<tessera_core::model::directory::ResourceType>> {
    parse_resource_type(opt_str(a, "resourceType")?.as_deref())
}

/// A REST query string as an object of strings, so the argument readers of `args` apply
/// (a repeated key keeps its last value).
pub fn query_args(raw: &Option<String>) -> Result<Map<String, Value>> {
    Ok(super::query_pairs(raw)?
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect())
}

/// True if `f` selects `path` (e.g. `["users", "list", "customData"]`).
pub fn selects(f: &Field, path: &[&str]) -> bool {
    let mut cur = f;
    for name in path {
        match cur.child(name) {
            Some(c) => cur = c,
            None => return false,
        }
    }
    true
}

/// A page of users in the `USER` shape, with `customData` when the caller selects it.
pub async fn users_page(
    core: &Core,
    pool: &PoolAdmin,
    page: Paged<User>,
    with_custom_data: bool,
) -> Result<Value> {
    let mut values = if with_custom_data {
        let ids: Vec<String> = page.list.iter().map(|u| u.id.clone()).collect();
        core.udf_values_batch(pool, UdfTarget::User, &ids)
            .await?
            .into_iter()
            .collect::<std::collections::HashMap<_, _>>()
    } else {
        Default::default()
    };
    let list: Vec<Value> = page
        .list
        .iter()
        .map(|u| {
            let mut v = user_json(u, None);
            if with_custom_data {
                v["customData"] = udv_json(&values.remove(&u.id).unwrap_or_default());
            }
            v
        })
        .collect();
    Ok(json!({ "totalCount": page.total_count, "list": list }))
}

pub fn authorized_json(r: &AuthorizedResource) -> Value {
    json!({"code": r.code, "type": r.resource_type.as_str(), "actions": r.actions,
           "apiIdentifier": r.api_identifier, "namespace": r.namespace})
}

/// `PaginatedAuthorizedResources`: every resource at once (the wire has no paging here).
pub fn authorized_page(list: &[AuthorizedResource]) -> Value {
    json!({ "totalCount": list.len(), "list": list.iter().map(authorized_json).collect::<Vec<_>>() })
}

/// A role with its parent, as `createRole`, `role` and `updateRole` select it.
pub async fn role_full(core: &Core, pool: &PoolAdmin, r: &Role) -> Result<Value> {
    let mut v = role_json(r);
    if let Some(parent) = core.role_parent(pool, r).await? {
        v["parent"] = role_json(&parent);
    }
    Ok(v)
}

pub fn group_json(g: &Group) -> Value {
    json!({"id": g.id, "code": g.code, "name": g.name, "description": g.description,
           "createdAt": iso8601(g.created_at), "updatedAt": iso8601(g.updated_at)})
}

pub fn resource_json(r: &Resource) -> Value {
    json!({
        "id": r.id, "userPoolId": r.pool_id, "namespace": r.namespace, "code": r.code,
        "type": r.resource_type.as_str(), "description": r.description,
        "actions": r.actions.iter().map(|a| json!({"name": a.name, "description": a.description})).collect::<Vec<_>>(),
        "apiIdentifier": r.api_identifier,
        "createdAt": iso8601(r.created_at), "updatedAt": iso8601(r.updated_at),
    })
}

pub fn namespace_json(n: &ResourceNamespace) -> Value {
    json!({
        "id": n.id, "userPoolId": n.pool_id, "code": n.code, "name": n.name,
        "description": n.description, "appId": n.app_id, "status": 1,
        "createdAt": iso8601(n.created_at), "updatedAt": iso8601(n.updated_at),
    })
}
