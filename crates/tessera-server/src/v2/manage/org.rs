//! `mc.org` (`v2-wire.md` §6.6): organizations with exactly one root node, nodes and their
//! moves, members and main departments, search, JSON import/export and authorized resources
//! by node.
//!
//! Every org answer carries `nodes` with `root` and `children` (child ids) so the SDK's
//! client-side `buildTree` finds one root and every child.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};
use tessera_core::model::directory::{NodeView, TargetType};
use tessera_core::principal::PoolAdmin;
use tessera_core::service::directory::NewNode;
use tessera_core::service::org_admin::{NodeUpdate, OrgTree};
use tessera_core::{Entity, Error, Result};

use super::super::args::{opt_bool, opt_int, opt_str, page, req_str, str_list};
use super::super::context::V2Ctx;
use super::super::directory_fields::{node_json, role_json};
use super::dir_common::{
    authorized_page, order, query_args, resource_type_arg, selects, sub_page, users_page,
};
use super::{body, common_message, done, paged_json, Admin, Reply};
use crate::graphql::Field;
use crate::AppState;

pub async fn resolve(ctx: &V2Ctx, f: &Field) -> Option<Result<Value>> {
    let a = &f.args;
    Some(match f.name.as_str() {
        "createOrg" => create(ctx, a).await,
        "deleteOrg" => delete_org(ctx, a).await,
        "orgs" => list(ctx, a).await,
        "org" => find(ctx, a).await,
        "addNode" => add_node(ctx, f, true).await,
        "addNodeV2" => add_node(ctx, f, false).await,
        "updateNode" => update_node(ctx, f).await,
        "moveNode" => move_node(ctx, a).await,
        "deleteNode" => delete_node(ctx, a).await,
        "nodeById" => node_by_id(ctx, f).await,
        "nodeByCode" => node_by_code(ctx, f).await,
        "rootNode" => root_node(ctx, a).await,
        "childrenNodes" => children(ctx, a).await,
        "isRootNode" => is_root(ctx, a).await,
        "searchNodes" => search(ctx, a).await,
        "addMember" => members(ctx, f, true).await,
        "removeMember" => members(ctx, f, false).await,
        "moveMembers" => move_members(ctx, a).await,
        "setMainDepartment" => main_department(ctx, a).await,
        _ => return None,
    })
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/orgs", get(all_orgs))
        .route("/api/v2/orgs/count", get(count))
        .route("/api/v2/orgs/import", post(import))
        .route("/api/v2/orgs/export", get(export))
        .route("/api/v2/orgs/by-tenant", get(by_tenant))
        .route(
            "/connections/enterprise/{provider}/start-sync",
            post(start_connector_sync),
        )
        .route("/api/v2/ad/sync", post(start_sync))
}

pub fn org_json(t: &OrgTree) -> Value {
    json!({
        "id": t.record.org.id,
        "rootNode": t.root().map(node_json),
        "nodes": t.nodes.iter().map(node_json).collect::<Vec<_>>(),
        "tenantId": t.record.tenant_id,
        "createdAt": tessera_core::clock::iso8601(t.record.org.created_at),
        "updatedAt": tessera_core::clock::iso8601(t.record.org.updated_at),
    })
}

/// A node with the sub-fields the caller selects: `users(page, limit, includeChildrenNodes)`,
/// `authorizedResources(namespace, resourceType)`, `roles(namespace)`.
async fn node_full(ctx: &V2Ctx, pool: &PoolAdmin, n: &NodeView, f: &Field) -> Result<Value> {
    let core = &ctx.state.core;
    let mut v = node_json(n);
    if let Some(users) = f.child("users") {
        if opt_str(&users.args, "sortBy")?.is_some_and(|s| !s.is_empty() && s != "CREATEDAT_ASC") {
            // Members come in the order they joined; no other order has an index.
            return Err(Error::InvalidParameter("sortBy"));
        }
        let with_children = opt_bool(&users.args, "includeChildrenNodes")?;
        let found = core
            .node_users(
                pool,
                &n.node.id,
                with_children,
                false,
                sub_page(Some(users))?,
            )
            .await?;
        let cd = selects(users, &["list", "customData"]);
        v["users"] = users_page(core, pool, found, cd).await?;
    }
    if let Some(res) = f.child("authorizedResources") {
        let list = core
            .target_resources(
                pool,
                TargetType::OrgNode,
                &n.node.id,
                opt_str(&res.args, "namespace")?.as_deref(),
                resource_type_arg(&res.args)?,
            )
            .await?;
        v["authorizedResources"] = authorized_page(&list);
    }
    if let Some(roles) = f.child("roles") {
        let ns = opt_str(&roles.args, "namespace")?.filter(|s| !s.is_empty());
        let list = core.node_roles(&pool.id, &n.node.id, ns.as_deref()).await?;
        v["roles"] = json!({"totalCount": list.len(),
                            "list": list.iter().map(role_json).collect::<Vec<_>>()});
    }
    Ok(v)
}

fn new_node(a: &Map<String, Value>) -> Result<NewNode> {
    Ok(NewNode {
        name: req_str(a, "name")?,
        code: opt_str(a, "code")?,
        description: opt_str(a, "description")?,
        order: opt_int(a, "order")?,
        name_i18n: opt_str(a, "nameI18n")?,
        description_i18n: opt_str(a, "descriptionI18n")?,
    })
}

async fn create(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let tree = ctx
        .state
        .core
        .create_org_tree(pool, new_node(a)?, opt_str(a, "tenantId")?)
        .await?;
    Ok(org_json(&tree))
}

async fn delete_org(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    ctx.state.core.delete_org(pool, &req_str(a, "id")?).await?;
    Ok(common_message(ctx.lang))
}

async fn list(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let found = ctx
        .state
        .core
        .list_org_trees(pool, page(a)?, order(a)?)
        .await?;
    Ok(paged_json(found.map(|t| org_json(&t))))
}

async fn find(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let tree = ctx.state.core.org_tree(pool, &req_str(a, "id")?).await?;
    Ok(org_json(&tree))
}

/// `addNodeV2` answers the node; the older `addNode` the whole organization.
async fn add_node(ctx: &V2Ctx, f: &Field, whole_org: bool) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let a = &f.args;
    let org_id = req_str(a, "orgId")?;
    let node = core
        .add_org_node(
            pool,
            &org_id,
            opt_str(a, "parentNodeId")?.as_deref(),
            new_node(a)?,
        )
        .await?;
    if whole_org {
        return Ok(org_json(&core.org_tree(pool, &org_id).await?));
    }
    node_full(ctx, pool, &node, f).await
}

async fn update_node(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let a = &f.args;
    let node = ctx
        .state
        .core
        .update_org_node(
            pool,
            &req_str(a, "id")?,
            NodeUpdate {
                name: opt_str(a, "name")?,
                code: opt_str(a, "code")?,
                description: opt_str(a, "description")?,
                order: opt_int(a, "order")?,
                name_i18n: opt_str(a, "nameI18n")?,
                description_i18n: opt_str(a, "descriptionI18n")?,
                enabled: None,
            },
        )
        .await?;
    node_full(ctx, pool, &node, f).await
}

async fn move_node(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let tree = ctx
        .state
        .core
        .move_org_node(
            pool,
            &req_str(a, "orgId")?,
            &req_str(a, "nodeId")?,
            &req_str(a, "targetParentId")?,
        )
        .await?;
    Ok(org_json(&tree))
}

async fn delete_node(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    ctx.state
        .core
        .delete_org_node(pool, &req_str(a, "orgId")?, &req_str(a, "nodeId")?)
        .await?;
    Ok(common_message(ctx.lang))
}

/// Null for an unknown node, unless the caller asks for its members, resources or roles.
async fn node_or_null(
    ctx: &V2Ctx,
    pool: &PoolAdmin,
    node: Option<NodeView>,
    f: &Field,
) -> Result<Value> {
    match node {
        Some(n) => node_full(ctx, pool, &n, f).await,
        None if ["users", "authorizedResources", "roles"]
            .iter()
            .any(|c| f.child(c).is_some()) =>
        {
            Err(Error::NotFound(Entity::OrgNode))
        }
        None => Ok(Value::Null),
    }
}

async fn node_by_id(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let node = ctx
        .state
        .core
        .node_by_id(pool, &req_str(&f.args, "id")?)
        .await?;
    node_or_null(ctx, pool, node, f).await
}

async fn node_by_code(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let a = &f.args;
    let node = ctx
        .state
        .core
        .node_by_code(pool, &req_str(a, "orgId")?, &req_str(a, "code")?)
        .await?;
    node_or_null(ctx, pool, node, f).await
}

async fn root_node(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let node = ctx
        .state
        .core
        .root_node_of(pool, &req_str(a, "orgId")?)
        .await?;
    Ok(node_json(&node))
}

async fn children(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let nodes = ctx
        .state
        .core
        .child_nodes(pool, &req_str(a, "nodeId")?)
        .await?;
    Ok(Value::Array(nodes.iter().map(node_json).collect()))
}

async fn is_root(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let root = ctx
        .state
        .core
        .is_root_node(pool, &req_str(a, "orgId")?, &req_str(a, "nodeId")?)
        .await?;
    Ok(Value::Bool(root))
}

async fn search(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let nodes = ctx
        .state
        .core
        .search_org_nodes(pool, &req_str(a, "keyword")?)
        .await?;
    Ok(Value::Array(nodes.iter().map(node_json).collect()))
}

/// `addMember` / `removeMember(nodeId | orgId + nodeCode, userIds)`: the node with its
/// members after the change.
async fn members(ctx: &V2Ctx, f: &Field, add: bool) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let a = &f.args;
    if opt_bool(a, "isLeader")? {
        // Department leaders are not modelled: refuse rather than silently drop the flag.
        return Err(Error::InvalidParameter("isLeader"));
    }
    let node = match opt_str(a, "nodeId")?.filter(|n| !n.is_empty()) {
        Some(id) => core.node_required(pool, &id).await?,
        None => core
            .node_by_code(pool, &req_str(a, "orgId")?, &req_str(a, "nodeCode")?)
            .await?
            .ok_or(Error::NotFound(Entity::OrgNode))?,
    };
    let users = str_list(a, "userIds")?;
    if add {
        if users.len() > tessera_core::service::directory_admin::MAX_BATCH {
            return Err(Error::InvalidParameter("userIds"));
        }
        core.add_node_members(&pool.id, &node.node.id, &users, false)
            .await?;
    } else {
        core.remove_org_members(pool, &node.node.id, &users).await?;
    }
    let node = core.node_required(pool, &node.node.id).await?;
    node_full(ctx, pool, &node, f).await
}

async fn move_members(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    ctx.state
        .core
        .move_org_members(
            pool,
            &str_list(a, "userIds")?,
            &req_str(a, "sourceNodeId")?,
            &req_str(a, "targetNodeId")?,
        )
        .await?;
    Ok(common_message(ctx.lang))
}

async fn main_department(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    ctx.state
        .core
        .set_main_department(
            pool,
            &req_str(a, "userId")?,
            opt_str(a, "departmentId")?.as_deref(),
        )
        .await?;
    Ok(common_message(ctx.lang))
}

// --- REST ----------------------------------------------------------------------------------

async fn count(admin: Admin) -> Reply {
    admin
        .reply(async {
            let n = admin.core().count_orgs(&admin.pool).await?;
            Ok(done(admin.lang(), json!({ "count": n })))
        })
        .await
}

/// `GET /api/v2/orgs?page&limit`: one page of organizations (the SDK's `getAllOrgs` takes
/// the total from `orgs/count`).
async fn all_orgs(admin: Admin, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let q = query_args(&q)?;
            let found = admin
                .core()
                .list_org_trees(&admin.pool, page(&q)?, order(&q)?)
                .await?;
            let list: Vec<Value> = found.list.iter().map(org_json).collect();
            Ok(done(admin.lang(), list))
        })
        .await
}

/// `POST /api/v2/orgs/import {filetype: "json", file: <tree>}` (the tree as an object or as
/// its JSON text).
async fn import(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            match opt_str(&b, "filetype")?.as_deref() {
                None | Some("json") => {}
                Some(_) => return Err(Error::InvalidParameter("filetype")),
            }
            let doc = match b.get("file") {
                Some(v @ Value::Object(_)) => v.clone(),
                Some(Value::String(s)) => {
                    serde_json::from_str(s).map_err(|_| Error::InvalidParameter("file"))?
                }
                None | Some(Value::Null) => return Err(Error::MissingParameter("file")),
                Some(_) => return Err(Error::InvalidParameter("file")),
            };
            let tree = admin.core().import_org(&admin.pool, &doc).await?;
            Ok(done(admin.lang(), org_json(&tree)))
        })
        .await
}

/// An organization as a nested tree in the import format (so an export imports back),
/// built bottom-up without recursion.
fn nested(t: &OrgTree) -> Value {
    let mut built: HashMap<&str, Value> = HashMap::new();
    for n in t.nodes.iter().rev() {
        let node = &n.node;
        let i18n = |s: &Option<String>| {
            s.as_deref()
                .map(|s| serde_json::from_str::<Value>(s).unwrap_or(Value::String(s.to_owned())))
        };
        let children: Vec<Value> = n
            .children
            .iter()
            .filter_map(|c| built.remove(c.as_str()))
            .collect();
        built.insert(
            node.id.as_str(),
            json!({
                "id": node.id, "name": node.name, "code": node.code,
                "description": node.description, "order": node.order,
                "nameI18n": i18n(&node.name_i18n),
                "descriptionI18n": i18n(&node.description_i18n),
                "children": children,
            }),
        );
    }
    let mut root = t
        .root()
        .and_then(|r| built.remove(r.node.id.as_str()))
        .unwrap_or(Value::Null);
    if let Value::Object(m) = &mut root {
        m.insert("orgId".into(), json!(t.record.org.id));
    }
    root
}

/// `GET /api/v2/orgs/export[?org_id=]`: the organizations as nested trees, always a list.
async fn export(admin: Admin, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let q = query_args(&q)?;
            let core = admin.core();
            let trees = match opt_str(&q, "org_id")?.filter(|o| !o.is_empty()) {
                Some(id) => vec![core.org_tree(&admin.pool, &id).await?],
                None => core.all_org_trees(&admin.pool).await?,
            };
            let list: Vec<Value> = trees.iter().map(nested).collect();
            Ok(done(admin.lang(), list))
        })
        .await
}

/// `GET /api/v2/orgs/by-tenant?tenant_id=`: the tenant's organizations.
async fn by_tenant(admin: Admin, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let q = query_args(&q)?;
            let trees = admin
                .core()
                .orgs_of_tenant(&admin.pool, &req_str(&q, "tenant_id")?)
                .await?;
            let list: Vec<Value> = trees.iter().map(org_json).collect();
            Ok(done(admin.lang(), list))
        })
        .await
}

/// `startSync`: synchronizing from WeCom, DingTalk or AD needs a connector to that
/// directory, which Tessera does not have; the caller learns so instead of a success that
/// synchronized nothing.
async fn start_sync(admin: Admin) -> Reply {
    admin
        .reply(async { Err(Error::IdentitySourceNotConfigured) })
        .await
}

async fn start_connector_sync(admin: Admin, Path(_provider): Path<String>) -> Reply {
    start_sync(admin).await
}
