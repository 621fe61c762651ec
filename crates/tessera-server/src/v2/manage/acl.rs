//! `mc.acl` (`v2-wire.md` §6.3): resource namespaces, resources, grants and permission
//! checks, an application's access policy and its programmatic access accounts.
//!
//! Targets are named as the SDK names them: a user or node (`ORG`) by id, a role or group by
//! code (a role in the call's namespace, else the default one). `isAllowed` and every
//! "authorized resources" answer come from the core's one resolver.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::routing::{get, post, put};
use axum::Router;
use serde_json::{json, Map, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::directory::{ResourceAction, ResourceType, TargetType};
use tessera_core::model::directory_admin::ProgrammaticAccount;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::acl_admin::{
    AccessChange, AccessRuleView, GrantBatch, GrantTarget, ResourceInput,
};
use tessera_core::service::directory::DEFAULT_NAMESPACE;
use tessera_core::service::directory_admin::parse_resource_type;
use tessera_core::service::paging::Paged;
use tessera_core::{Error, Result};

use super::super::args::{opt_bool, opt_int, opt_str, page, req_str, str_list};
use super::super::context::V2Ctx;
use super::dir_common::{
    authorized_page, namespace_json, opt_target_type, query_args, resource_json, resource_type_arg,
    target_type,
};
use super::{body, common_message, done, paged_json, Admin, Reply};
use crate::graphql::Field;
use crate::AppState;

pub async fn resolve(ctx: &V2Ctx, f: &Field) -> Option<Result<Value>> {
    let a = &f.args;
    Some(match f.name.as_str() {
        "allow" => allow(ctx, a).await,
        "authorizeResource" => authorize_resource(ctx, a).await,
        "authorizedResources" => authorized_resources(ctx, a).await,
        "authorizedTargets" => authorized_targets(ctx, a).await,
        "isActionAllowed" => is_action_allowed(ctx, a).await,
        _ => return None,
    })
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/acl/is-allowed", post(is_allowed))
        .route(
            "/api/v2/acl/list-authorized-resources-batch",
            post(list_authorized_batch),
        )
        .route("/api/v2/acl/authorize-resources", post(authorize_resources))
        .route("/api/v2/acl/revoke-resources", post(revoke_resources))
        .route("/api/v2/acl/revoke-resource", post(revoke_resource))
        .route(
            "/api/v2/resources",
            get(list_resources).post(create_resource),
        )
        .route("/api/v2/resources/detail", get(resource_detail))
        .route(
            "/api/v2/resources/{code}",
            post(update_resource).delete(delete_resource),
        )
        .route(
            "/api/v2/resource-namespace/{pool_id}",
            get(list_namespaces).post(create_namespace),
        )
        .route(
            "/api/v2/resource-namespace/{pool_id}/code/{code}",
            put(update_namespace).delete(delete_namespace),
        )
        .route(
            "/api/v2/applications/{app_id}/authorization/records",
            get(access_records),
        )
        .route(
            "/api/v2/applications/{app_id}/authorization/{action}",
            post(change_access),
        )
        .route(
            "/api/v2/applications/{app_id}/programmatic-access-accounts",
            get(list_accounts).post(create_account),
        )
        .route(
            "/api/v2/applications/programmatic-access-accounts",
            axum::routing::patch(update_account).delete(delete_account),
        )
}

// --- GraphQL -------------------------------------------------------------------------------

async fn allow(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let mut users = str_list(a, "userIds")?;
    if let Some(u) = opt_str(a, "userId")?.filter(|u| !u.is_empty()) {
        users.insert(0, u);
    }
    let mut roles = str_list(a, "roleCodes")?;
    if let Some(r) = opt_str(a, "roleCode")?.filter(|r| !r.is_empty()) {
        roles.insert(0, r);
    }
    ctx.state
        .core
        .allow_action(
            pool,
            opt_str(a, "namespace")?.as_deref(),
            &req_str(a, "resource")?,
            &req_str(a, "action")?,
            &users,
            &roles,
        )
        .await?;
    Ok(common_message(ctx.lang))
}

fn actions(o: &Map<String, Value>) -> Result<Vec<String>> {
    str_list(o, "actions")
}

/// `authorizeResource(namespace, resource, resourceType, opts: [{targetType,
/// targetIdentifier, actions}])`: each target gets exactly these actions.
async fn authorize_resource(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let Some(Value::Array(opts)) = a.get("opts") else {
        return Err(Error::MissingParameter("opts"));
    };
    let mut targets = Vec::with_capacity(opts.len());
    for o in opts {
        let o = o.as_object().ok_or(Error::InvalidParameter("opts"))?;
        targets.push(GrantTarget {
            target_type: target_type(o, "targetType")?,
            identifier: req_str(o, "targetIdentifier")?,
            actions: actions(o)?,
        });
    }
    ctx.state
        .core
        .authorize_targets(
            pool,
            opt_str(a, "namespace")?
                .filter(|n| !n.is_empty())
                .as_deref()
                .unwrap_or(DEFAULT_NAMESPACE),
            &req_str(a, "resource")?,
            resource_type_arg(a)?,
            &targets,
        )
        .await?;
    Ok(common_message(ctx.lang))
}

/// What one target may do: through the resolver for users, with role parents, group roles
/// and node ancestors for the others.
async fn target_resources_json(
    ctx: &V2Ctx,
    pool: &PoolAdmin,
    o: &Map<String, Value>,
    namespace: Option<&str>,
    resource_type: Option<ResourceType>,
) -> Result<Value> {
    let core = &ctx.state.core;
    let t = target_type(o, "targetType")?;
    let id = core
        .target_id(pool, t, &req_str(o, "targetIdentifier")?, namespace)
        .await?;
    let list = core
        .target_resources(pool, t, &id, namespace, resource_type)
        .await?;
    Ok(authorized_page(&list))
}

async fn authorized_resources(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let ns = opt_str(a, "namespace")?.filter(|n| !n.is_empty());
    target_resources_json(ctx, pool, a, ns.as_deref(), resource_type_arg(a)?).await
}

/// `authorizedTargets(namespace, resource, resourceType, targetType, actions: {op, list})`.
async fn authorized_targets(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let actions = match a.get("actions") {
        Some(Value::Object(o)) => {
            let all = match opt_str(o, "op")?.as_deref() {
                Some("AND") => true,
                Some("OR") | None => false,
                Some(_) => return Err(Error::InvalidParameter("op")),
            };
            Some((all, str_list(o, "list")?))
        }
        None | Some(Value::Null) => None,
        Some(_) => return Err(Error::InvalidParameter("actions")),
    };
    let holders = ctx
        .state
        .core
        .resource_holders(
            pool,
            &req_str(a, "namespace")?,
            &req_str(a, "resource")?,
            resource_type_arg(a)?,
            opt_target_type(a, "targetType")?,
            actions,
        )
        .await?;
    let list: Vec<Value> = holders
        .iter()
        .map(|h| {
            json!({"targetType": h.target_type.as_str(), "targetIdentifier": h.identifier,
                   "actions": h.actions})
        })
        .collect();
    Ok(json!({ "totalCount": list.len(), "list": list }))
}

async fn is_action_allowed(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let ns = opt_str(a, "namespace")?.filter(|n| !n.is_empty());
    let allowed = ctx
        .state
        .core
        .is_allowed(
            &pool.id,
            &req_str(a, "userId")?,
            ns.as_deref(),
            &req_str(a, "resource")?,
            &req_str(a, "action")?,
        )
        .await?;
    Ok(Value::Bool(allowed))
}

// --- permission REST -----------------------------------------------------------------------

/// `POST /api/v2/acl/is-allowed {userId, resource, action, namespace}` → `{allowed}`.
/// Grants carry no tenant, so a `tenantId` does not change the answer.
async fn is_allowed(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let ns = opt_str(&b, "namespace")?.filter(|n| !n.is_empty());
            let allowed = admin
                .core()
                .is_allowed(
                    &admin.pool.id,
                    &req_str(&b, "userId")?,
                    ns.as_deref(),
                    &req_str(&b, "resource")?,
                    &req_str(&b, "action")?,
                )
                .await?;
            Ok(done(admin.lang(), json!({ "allowed": allowed })))
        })
        .await
}

/// `{namespace, resourceType, targets: [{targetType, targetIdentifier}]}` → `{list: [one
/// PaginatedAuthorizedResources per target, in order]}`.
async fn list_authorized_batch(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let ns = opt_str(&b, "namespace")?.filter(|n| !n.is_empty());
            let ty = resource_type_arg(&b)?;
            let Some(Value::Array(targets)) = b.get("targets") else {
                return Err(Error::MissingParameter("targets"));
            };
            if targets.len() > tessera_core::service::directory_admin::MAX_BATCH {
                return Err(Error::InvalidParameter("targets"));
            }
            let mut list = Vec::with_capacity(targets.len());
            for t in targets {
                let o = t.as_object().ok_or(Error::InvalidParameter("targets"))?;
                let mut page =
                    target_resources_json(&admin.ctx, &admin.pool, o, ns.as_deref(), ty).await?;
                page["targetType"] = o.get("targetType").cloned().unwrap_or(Value::Null);
                page["targetIdentifier"] =
                    o.get("targetIdentifier").cloned().unwrap_or(Value::Null);
                list.push(page);
            }
            Ok(done(admin.lang(), json!({ "list": list })))
        })
        .await
}

/// `opts: [{targetType, targetIdentifiers, resources: [{code, actions, resourceType}]}]`.
fn grant_batches(b: &Map<String, Value>) -> Result<Vec<GrantBatch>> {
    let Some(Value::Array(opts)) = b.get("opts") else {
        return Err(Error::MissingParameter("opts"));
    };
    opts.iter()
        .map(|o| {
            let o = o.as_object().ok_or(Error::InvalidParameter("opts"))?;
            let Some(Value::Array(resources)) = o.get("resources") else {
                return Err(Error::MissingParameter("resources"));
            };
            let resources = resources
                .iter()
                .map(|r| {
                    let r = r.as_object().ok_or(Error::InvalidParameter("resources"))?;
                    Ok((
                        req_str(r, "code")?,
                        actions(r)?,
                        parse_resource_type(opt_str(r, "resourceType")?.as_deref())?,
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(GrantBatch {
                target_type: target_type(o, "targetType")?,
                identifiers: str_list(o, "targetIdentifiers")?,
                resources,
            })
        })
        .collect()
}

async fn grant_rest(
    admin: &Admin,
    bytes: &Bytes,
    revoke: bool,
) -> Result<axum::response::Response> {
    let b = body(bytes)?;
    admin
        .core()
        .grant_batches(
            &admin.pool,
            &req_str(&b, "namespace")?,
            &grant_batches(&b)?,
            revoke,
        )
        .await?;
    Ok(done(admin.lang(), true))
}

async fn authorize_resources(admin: Admin, bytes: Bytes) -> Reply {
    admin.reply(grant_rest(&admin, &bytes, false)).await
}

async fn revoke_resources(admin: Admin, bytes: Bytes) -> Reply {
    admin.reply(grant_rest(&admin, &bytes, true)).await
}

/// `{namespace, resource, opts: [{targetType, targetIdentifier}]}`: each target loses its
/// grant on the resource.
async fn revoke_resource(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let Some(Value::Array(opts)) = b.get("opts") else {
                return Err(Error::MissingParameter("opts"));
            };
            let targets = opts
                .iter()
                .map(|o| {
                    let o = o.as_object().ok_or(Error::InvalidParameter("opts"))?;
                    Ok((
                        target_type(o, "targetType")?,
                        req_str(o, "targetIdentifier")?,
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            admin
                .core()
                .revoke_targets(
                    &admin.pool,
                    &req_str(&b, "namespace")?,
                    &req_str(&b, "resource")?,
                    &targets,
                )
                .await?;
            Ok(done(admin.lang(), true))
        })
        .await
}

// --- resources -----------------------------------------------------------------------------

fn resource_actions(b: &Map<String, Value>) -> Result<Option<Vec<ResourceAction>>> {
    match b.get("actions") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                let o = i.as_object().ok_or(Error::InvalidParameter("actions"))?;
                Ok(ResourceAction {
                    name: req_str(o, "name")?,
                    description: opt_str(o, "description")?,
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(_) => Err(Error::InvalidParameter("actions")),
    }
}

fn resource_input(b: &Map<String, Value>, code: String) -> Result<ResourceInput> {
    Ok(ResourceInput {
        namespace: req_str(b, "namespace")?,
        code,
        resource_type: parse_resource_type(opt_str(b, "type")?.as_deref())?,
        description: opt_str(b, "description")?,
        actions: resource_actions(b)?,
        api_identifier: opt_str(b, "apiIdentifier")?,
        name: None,
    })
}

/// `GET /api/v2/resources?namespace&type&page&limit` → `{totalCount, list}`.
async fn list_resources(admin: Admin, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let q = query_args(&q)?;
            let ns = opt_str(&q, "namespace")?.filter(|n| !n.is_empty());
            let ty = parse_resource_type(opt_str(&q, "type")?.as_deref())?;
            let found = admin
                .core()
                .list_resources(&admin.pool, ns.as_deref(), ty, page(&q)?)
                .await?;
            Ok(done(
                admin.lang(),
                paged_json(found.map(|r| resource_json(&r))),
            ))
        })
        .await
}

/// `GET /api/v2/resources/detail?id=` or `?namespace=&code=`: the resource, or `null`.
async fn resource_detail(admin: Admin, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let q = query_args(&q)?;
            let core = admin.core();
            let found = match opt_str(&q, "id")?.filter(|i| !i.is_empty()) {
                Some(id) => core.resource_by_id(&admin.pool, &id).await?,
                None => {
                    core.resource_by_code(
                        &admin.pool,
                        &req_str(&q, "namespace")?,
                        &req_str(&q, "code")?,
                    )
                    .await?
                }
            };
            Ok(done(admin.lang(), found.as_ref().map(resource_json)))
        })
        .await
}

async fn create_resource(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let input = resource_input(&b, req_str(&b, "code")?)?;
            let r = admin
                .core()
                .create_resource_full(&admin.pool, input)
                .await?;
            Ok(done(admin.lang(), resource_json(&r)))
        })
        .await
}

async fn update_resource(admin: Admin, Path(code): Path<String>, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let r = admin
                .core()
                .update_resource(&admin.pool, resource_input(&b, code)?)
                .await?;
            Ok(done(admin.lang(), resource_json(&r)))
        })
        .await
}

async fn delete_resource(admin: Admin, Path(code): Path<String>, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let q = query_args(&q)?;
            admin
                .core()
                .delete_resource(&admin.pool, &req_str(&q, "namespace")?, &code)
                .await?;
            Ok(done(admin.lang(), true))
        })
        .await
}

// --- namespaces ----------------------------------------------------------------------------

/// The pool in a namespace path must be the one the management token manages.
fn same_pool(admin: &Admin, pool_id: &str) -> Result<()> {
    if pool_id == admin.pool.id {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// `GET /api/v2/resource-namespace/<pool>?page&limit` → `{total, list}` (the SDK's
/// `Namespaces` type says `total`; `totalCount` is there too, as on every other list).
async fn list_namespaces(
    admin: Admin,
    Path(pool_id): Path<String>,
    RawQuery(q): RawQuery,
) -> Reply {
    admin
        .reply(async {
            same_pool(&admin, &pool_id)?;
            let q = query_args(&q)?;
            let found = admin.core().list_namespaces(&admin.pool, page(&q)?).await?;
            let list: Vec<Value> = found.list.iter().map(namespace_json).collect();
            Ok(done(
                admin.lang(),
                json!({"total": found.total_count, "totalCount": found.total_count, "list": list}),
            ))
        })
        .await
}

async fn create_namespace(admin: Admin, Path(pool_id): Path<String>, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            same_pool(&admin, &pool_id)?;
            let b = body(&bytes)?;
            let ns = admin
                .core()
                .create_namespace_full(
                    &admin.pool,
                    &req_str(&b, "code")?,
                    opt_str(&b, "name")?,
                    opt_str(&b, "description")?,
                )
                .await?;
            Ok(done(admin.lang(), namespace_json(&ns)))
        })
        .await
}

async fn update_namespace(
    admin: Admin,
    Path((pool_id, code)): Path<(String, String)>,
    bytes: Bytes,
) -> Reply {
    admin
        .reply(async {
            same_pool(&admin, &pool_id)?;
            let b = body(&bytes)?;
            let ns = admin
                .core()
                .update_namespace(
                    &admin.pool,
                    &code,
                    opt_str(&b, "code")?,
                    opt_str(&b, "name")?,
                    opt_str(&b, "description")?,
                )
                .await?;
            Ok(done(admin.lang(), namespace_json(&ns)))
        })
        .await
}

async fn delete_namespace(admin: Admin, Path((pool_id, code)): Path<(String, String)>) -> Reply {
    admin
        .reply(async {
            same_pool(&admin, &pool_id)?;
            admin.core().delete_namespace(&admin.pool, &code).await?;
            Ok(done(admin.lang(), true))
        })
        .await
}

// --- application access policy -------------------------------------------------------------

fn rule_json(v: &AccessRuleView) -> Value {
    let r = &v.record;
    json!({
        "id": r.id, "appId": r.app_id,
        "targetType": r.target_type.as_str(), "targetIdentifier": v.identifier,
        "effect": if r.allow { "ALLOW" } else { "DENY" }, "enabled": r.enabled,
        // A node's rule always covers its sub-departments (the resolver walks ancestors).
        "inheritByChildren": r.target_type == TargetType::OrgNode,
        "assignedAt": iso8601(r.created_at),
        "createdAt": iso8601(r.created_at), "updatedAt": iso8601(r.updated_at),
    })
}

async fn access_records(admin: Admin, Path(app_id): Path<String>, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let q = query_args(&q)?;
            let found = admin
                .core()
                .app_access_rules_page(&admin.pool, &app_id, page(&q)?)
                .await?;
            Ok(done(admin.lang(), paged_json(found.map(|r| rule_json(&r)))))
        })
        .await
}

/// `POST …/authorization/{allow|deny|enable-effect|disable-effect|revoke}
/// {targetType, targetIdentifiers, namespace}`.
async fn change_access(
    admin: Admin,
    Path((app_id, action)): Path<(String, String)>,
    bytes: Bytes,
) -> Reply {
    admin
        .reply(async {
            let change = match action.as_str() {
                "allow" => AccessChange::Allow,
                "deny" => AccessChange::Deny,
                "enable-effect" => AccessChange::Enable,
                "disable-effect" => AccessChange::Disable,
                "revoke" => AccessChange::Revoke,
                _ => return Err(Error::InvalidParameter("action")),
            };
            let b = body(&bytes)?;
            // A node's rule reaches its sub-departments whatever the caller asks: that is
            // how the one resolver reads node rules.
            opt_bool(&b, "inheritByChildren")?;
            admin
                .core()
                .change_app_access(
                    &admin.pool,
                    &app_id,
                    target_type(&b, "targetType")?,
                    &str_list(&b, "targetIdentifiers")?,
                    opt_str(&b, "namespace")?.as_deref(),
                    change,
                )
                .await?;
            Ok(done(admin.lang(), common_message(admin.lang())))
        })
        .await
}

/// The default of an application's access policy that a `POST /api/v2/applications/<id>`
/// body sets (`updateDefaultApplicationAccessPolicy`: `{permissionStrategy:
/// {defaultStrategy}}`), or `None` when the body is about something else. The route is
/// served by `apps.rs`, which shares it with `changeApplicationType`.
pub fn default_strategy(b: &Map<String, Value>) -> Result<Option<bool>> {
    let strategy = match b.get("permissionStrategy") {
        Some(Value::Object(s)) => opt_str(s, "defaultStrategy")?,
        None | Some(Value::Null) => return Ok(None),
        Some(_) => return Err(Error::InvalidParameter("permissionStrategy")),
    };
    match strategy.as_deref() {
        Some("ALLOW_ALL") => Ok(Some(true)),
        Some("DENY_ALL") => Ok(Some(false)),
        None => Err(Error::MissingParameter("defaultStrategy")),
        Some(_) => Err(Error::InvalidParameter("defaultStrategy")),
    }
}

// --- programmatic access accounts ----------------------------------------------------------

fn account_json(a: &ProgrammaticAccount) -> Value {
    json!({
        "id": a.id, "appId": a.app_id, "userPoolId": a.pool_id, "secret": a.secret,
        "remarks": a.remarks, "tokenLifetime": a.token_lifetime, "enabled": a.enabled,
        "userId": a.user_id,
        "createdAt": iso8601(a.created_at), "updatedAt": iso8601(a.updated_at),
    })
}

async fn list_accounts(admin: Admin, Path(app_id): Path<String>, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let q = query_args(&q)?;
            let found: Paged<ProgrammaticAccount> = admin
                .core()
                .programmatic_accounts(&admin.pool, &app_id, page(&q)?)
                .await?;
            Ok(done(
                admin.lang(),
                paged_json(found.map(|a| account_json(&a))),
            ))
        })
        .await
}

async fn create_account(admin: Admin, Path(app_id): Path<String>, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let a = admin
                .core()
                .create_programmatic_account(
                    &admin.pool,
                    &app_id,
                    opt_int(&b, "tokenLifetime")?,
                    opt_str(&b, "remarks")?,
                )
                .await?;
            Ok(done(admin.lang(), account_json(&a)))
        })
        .await
}

/// `PATCH …/programmatic-access-accounts {id, secret}` (refresh) or `{id, enabled}`.
async fn update_account(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let secret = if b.contains_key("secret") {
                Some(opt_str(&b, "secret")?)
            } else {
                None
            };
            let enabled = match b.get("enabled") {
                None | Some(Value::Null) => None,
                Some(Value::Bool(e)) => Some(*e),
                Some(_) => return Err(Error::InvalidParameter("enabled")),
            };
            let a = admin
                .core()
                .update_programmatic_account(
                    &admin.pool,
                    &req_str(&b, "id")?,
                    secret.as_ref().map(Option::as_deref),
                    enabled,
                )
                .await?;
            Ok(done(admin.lang(), account_json(&a)))
        })
        .await
}

async fn delete_account(admin: Admin, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let q = query_args(&q)?;
            admin
                .core()
                .delete_programmatic_account(&admin.pool, &req_str(&q, "id")?)
                .await?;
            Ok(done(admin.lang(), true))
        })
        .await
}
