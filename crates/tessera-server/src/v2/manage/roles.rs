//! `mc.roles` (`v2-wire.md` §6.2): roles by code within a namespace, their users, parents
//! and authorized resources; `assignRole` / `revokeRole` (also sent by
//! `mc.users.addRoles/removeRoles`). A role's custom data (`targetType: ROLE`) is served
//! with every other target's by `pool.rs`.

use axum::body::Bytes;
use axum::routing::post;
use axum::Router;
use serde_json::{Map, Value};
use tessera_core::service::directory::NewRole;
use tessera_core::service::directory_admin::{RoleHolders, RoleUpdate};
use tessera_core::{Entity, Error, Result};

use super::super::args::{opt_str, page, req_str, str_list};
use super::super::context::V2Ctx;
use super::super::directory_fields::role_json;
use super::dir_common::{
    authorized_page, order, resource_type_arg, role_full, selects, sub_page, users_page,
};
use super::{body, common_message, done, paged_json, Admin, Reply};
use crate::graphql::Field;
use crate::AppState;

pub async fn resolve(ctx: &V2Ctx, f: &Field) -> Option<Result<Value>> {
    let a = &f.args;
    Some(match f.name.as_str() {
        "createRole" => create(ctx, a).await,
        "updateRole" => update(ctx, a).await,
        "deleteRole" => delete(ctx, a, "code").await,
        "deleteRoles" => delete(ctx, a, "codeList").await,
        "role" => detail(ctx, f).await,
        "roles" => list(ctx, f).await,
        "assignRole" => holders(ctx, a, true).await,
        "revokeRole" => holders(ctx, a, false).await,
        _ => return None,
    })
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v2/roles/roleUsers", post(find_users))
}

async fn create(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let role = core
        .admin_create_role(
            pool,
            NewRole {
                namespace: opt_str(a, "namespace")?,
                code: req_str(a, "code")?,
                name: None,
                description: opt_str(a, "description")?,
                parent_code: opt_str(a, "parent")?,
            },
        )
        .await?;
    role_full(core, pool, &role).await
}

/// `updateRole`. Besides the SDK's `newCode` and `description` it takes `parent` (a role
/// code of the same namespace; `""` removes the parent), so role trees can be edited; a
/// parent that would close a loop is refused.
async fn update(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let ns = opt_str(a, "namespace")?;
    let role = core
        .update_role(
            pool,
            ns.as_deref(),
            &req_str(a, "code")?,
            RoleUpdate {
                new_code: opt_str(a, "newCode")?,
                description: opt_str(a, "description")?,
                parent_code: opt_str(a, "parent")?,
                ..RoleUpdate::default()
            },
        )
        .await?;
    role_full(core, pool, &role).await
}

async fn delete(ctx: &V2Ctx, a: &Map<String, Value>, key: &'static str) -> Result<Value> {
    let pool = ctx.admin().await?;
    let ns = opt_str(a, "namespace")?;
    let codes = if key == "code" {
        vec![req_str(a, "code")?]
    } else {
        str_list(a, "codeList")?
    };
    ctx.state
        .core
        .delete_roles(pool, ns.as_deref(), &codes)
        .await?;
    Ok(common_message(ctx.lang))
}

/// `role(code, namespace)`: null for an unknown code, unless the caller asks for the role's
/// users or resources, which an unknown role cannot list (404).
async fn detail(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let a = &f.args;
    let ns = opt_str(a, "namespace")?;
    let code = req_str(a, "code")?;
    let Some(role) = core.role_by_code(pool, ns.as_deref(), &code).await? else {
        if f.child("users").is_some() || f.child("authorizedResources").is_some() {
            return Err(Error::NotFound(Entity::Role));
        }
        return Ok(Value::Null);
    };
    let mut v = role_full(core, pool, &role).await?;
    if let Some(users) = f.child("users") {
        let page = sub_page(Some(users))?;
        let found = core.role_users(pool, &role.id, None, page).await?;
        let cd = selects(users, &["list", "customData"]);
        v["users"] = users_page(core, pool, found, cd).await?;
    }
    if let Some(res) = f.child("authorizedResources") {
        let ty = resource_type_arg(&res.args)?;
        let list = core
            .target_resources(
                pool,
                tessera_core::model::directory::TargetType::Role,
                &role.id,
                opt_str(&res.args, "namespace")?.as_deref(),
                ty,
            )
            .await?;
        v["authorizedResources"] = authorized_page(&list);
    }
    Ok(v)
}

async fn list(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let a = &f.args;
    let ns = opt_str(a, "namespace")?;
    let roles = core
        .list_roles(pool, ns.as_deref(), page(a)?, order(a)?)
        .await?;
    // A parent costs a lookup per role: only when the caller selects it.
    let with_parent = selects(f, &["list", "parent"]);
    let mut list = Vec::with_capacity(roles.list.len());
    for r in &roles.list {
        list.push(if with_parent {
            role_full(core, pool, r).await?
        } else {
            role_json(r)
        });
    }
    Ok(paged_json(tessera_core::service::paging::Paged {
        total_count: roles.total_count,
        list,
    }))
}

/// `assignRole` / `revokeRole`: `roleCode` and/or `roleCodes` to `userIds`, `groupCodes`
/// and `nodeCodes`, all or nothing.
async fn holders(ctx: &V2Ctx, a: &Map<String, Value>, assign: bool) -> Result<Value> {
    let pool = ctx.admin().await?;
    let ns = opt_str(a, "namespace")?;
    let mut codes = str_list(a, "roleCodes")?;
    if let Some(c) = opt_str(a, "roleCode")?.filter(|c| !c.is_empty()) {
        codes.insert(0, c);
    }
    let holders = RoleHolders {
        user_ids: str_list(a, "userIds")?,
        group_codes: str_list(a, "groupCodes")?,
        node_codes: str_list(a, "nodeCodes")?,
    };
    ctx.state
        .core
        .set_role_holders(pool, ns.as_deref(), &codes, &holders, assign)
        .await?;
    Ok(common_message(ctx.lang))
}

/// `POST /api/v2/roles/roleUsers {namespace, code, search, page, limit}`: the users of a
/// role, optionally matching `search`.
async fn find_users(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let core = admin.core();
            let ns = opt_str(&b, "namespace")?;
            let role = core
                .role_required(&admin.pool, ns.as_deref(), &req_str(&b, "code")?)
                .await?;
            let search = opt_str(&b, "search")?;
            let found = core
                .role_users(&admin.pool, &role.id, search.as_deref(), page(&b)?)
                .await?;
            let data = users_page(core, &admin.pool, found, false).await?;
            Ok(done(admin.lang(), data))
        })
        .await
}
