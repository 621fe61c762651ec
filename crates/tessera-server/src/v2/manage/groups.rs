//! `mc.groups` (`v2-wire.md` §6.4): groups by code, their members and authorized
//! resources; `addUserToGroup` / `removeUserFromGroup` (also sent by
//! `mc.users.addGroup/removeGroup`).

use axum::Router;
use serde_json::{Map, Value};
use tessera_core::model::directory::TargetType;
use tessera_core::service::directory::NewGroup;
use tessera_core::service::directory_admin::GroupUpdate;
use tessera_core::service::paging::Paged;
use tessera_core::{Entity, Error, Result};

use super::super::args::{opt_str, page, req_str, str_list};
use super::super::context::V2Ctx;
use super::dir_common::{
    authorized_page, group_json, order, resource_type_arg, selects, sub_page, users_page,
};
use super::{common_message, paged_json};
use crate::graphql::Field;
use crate::AppState;

pub async fn resolve(ctx: &V2Ctx, f: &Field) -> Option<Result<Value>> {
    let a = &f.args;
    Some(match f.name.as_str() {
        "createGroup" => create(ctx, a).await,
        "updateGroup" => update(ctx, a).await,
        "deleteGroups" => delete(ctx, a).await,
        "group" => detail(ctx, f).await,
        "groups" => list(ctx, a).await,
        "addUserToGroup" => members(ctx, a, true).await,
        "removeUserFromGroup" => members(ctx, a, false).await,
        _ => return None,
    })
}

pub fn routes() -> Router<AppState> {
    Router::new()
}

async fn create(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let group = ctx
        .state
        .core
        .admin_create_group(
            pool,
            NewGroup {
                code: req_str(a, "code")?,
                name: req_str(a, "name")?,
                description: opt_str(a, "description")?,
            },
        )
        .await?;
    Ok(group_json(&group))
}

async fn update(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let group = ctx
        .state
        .core
        .update_group(
            pool,
            &req_str(a, "code")?,
            GroupUpdate {
                new_code: opt_str(a, "newCode")?,
                name: opt_str(a, "name")?,
                description: opt_str(a, "description")?,
            },
        )
        .await?;
    Ok(group_json(&group))
}

async fn delete(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    ctx.state
        .core
        .delete_groups(pool, &str_list(a, "codeList")?)
        .await?;
    Ok(common_message(ctx.lang))
}

/// `group(code)`: null for an unknown code, unless the caller asks for the group's users or
/// resources, which an unknown group cannot list (404).
async fn detail(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let Some(group) = core.group_by_code(pool, &req_str(&f.args, "code")?).await? else {
        if f.child("users").is_some() || f.child("authorizedResources").is_some() {
            return Err(Error::NotFound(Entity::Group));
        }
        return Ok(Value::Null);
    };
    let mut v = group_json(&group);
    if let Some(users) = f.child("users") {
        let found = core
            .group_users(pool, &group.id, sub_page(Some(users))?)
            .await?;
        let cd = selects(users, &["list", "customData"]);
        v["users"] = users_page(core, pool, found, cd).await?;
    }
    if let Some(res) = f.child("authorizedResources") {
        let list = core
            .target_resources(
                pool,
                TargetType::Group,
                &group.id,
                opt_str(&res.args, "namespace")?.as_deref(),
                resource_type_arg(&res.args)?,
            )
            .await?;
        v["authorizedResources"] = authorized_page(&list);
    }
    Ok(v)
}

/// `groups(page, limit, sortBy)`, or with `userId` the groups of one user.
async fn list(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let page = page(a)?;
    let groups = match opt_str(a, "userId")?.filter(|u| !u.is_empty()) {
        Some(user) => page.slice(&core.user_groups(&pool.id, &user).await?),
        None => core.list_groups(pool, page, order(a)?).await?,
    };
    Ok(paged_json(Paged {
        total_count: groups.total_count,
        list: groups.list.iter().map(group_json).collect(),
    }))
}

async fn members(ctx: &V2Ctx, a: &Map<String, Value>, add: bool) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let group = core.group_required(pool, &req_str(a, "code")?).await?;
    let users = str_list(a, "userIds")?;
    if add {
        core.add_group_members(&pool.id, &group.id, &users).await?;
    } else {
        core.remove_group_members(pool, &group.id, &users).await?;
    }
    Ok(common_message(ctx.lang))
}
