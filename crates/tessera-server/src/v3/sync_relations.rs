//! Sync relations (上下游同步, `v3-wire.md` "Users" and "Organizations & departments"):
//! `getUserSyncRelations`, `deleteUserSyncRelations`, `getDepartmentSyncRelations`,
//! `deleteDepartmentSyncRelations`. The relations are the links an upstream directory made
//! while provisioning the pool (`/scim/v2`, `tessera_core::service::provisioning`).
//! `UserSyncRelationDto {provider, userIdInIdp, userInfoInIdp}` serves both kinds (the SDK
//! declares one DTO); `userInfoInIdp` is the user's `UserDto`, or the department's
//! `DepartmentDto`, as the other methods answer them. Deleting unlinks; the user or
//! department stays.

use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tessera_core::model::provisioning::SyncKind;
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{ok, success, Reply};
use super::org::{department, department_dto, org_of, DeptIdType};
use super::shapes::{resolve_user, users_dto, UserIdType, UserParts};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-user-sync-relations", get(user_relations))
        .route(
            "/api/v3/delete-user-sync-relations",
            post(delete_user_relation),
        )
        .route(
            "/api/v3/get-department-sync-relations",
            get(department_relations),
        )
        .route(
            "/api/v3/delete-department-sync-relations",
            post(delete_department_relation),
        )
}

/// `UserSyncRelationDto`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelationDto {
    provider: String,
    user_id_in_idp: String,
    user_info_in_idp: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UserQuery {
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
}

async fn user_relations(m: Mgmt) -> Reply {
    let r: UserQuery = m.args().map_err(|e| m.fail(e))?;
    let core = m.core();
    let user = resolve_user(core, &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let relations = core
        .user_sync_relations(&m.admin, &user.id)
        .await
        .map_err(|e| m.fail(e))?;
    let dto = users_dto(
        core,
        &m.admin,
        std::slice::from_ref(&user),
        UserParts::default(),
    )
    .await
    .map_err(|e| m.fail(e))?
    .pop()
    .unwrap_or(Value::Null);
    let list: Vec<RelationDto> = relations
        .into_iter()
        .map(|rel| RelationDto {
            provider: rel.provider,
            user_id_in_idp: rel.external_id,
            user_info_in_idp: dto.clone(),
        })
        .collect();
    Ok(ok(m.lang, list))
}

/// `DeleteUserSyncRelationReqDto`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteUser {
    provider: String,
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
}

async fn delete_user_relation(m: Mgmt) -> Reply {
    let r: DeleteUser = m.args().map_err(|e| m.fail(e))?;
    let core = m.core();
    let user = resolve_user(core, &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    core.delete_sync_relation(&m.admin, SyncKind::User, &r.provider, &user.id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DepartmentQuery {
    organization_code: String,
    /// Absent or `root`: the organization's root.
    department_id: Option<String>,
    #[serde(default)]
    department_id_type: DeptIdType,
    #[serde(default)]
    with_custom_data: bool,
    tenant_id: Option<String>,
}

async fn department_relations(m: Mgmt) -> Reply {
    let r: DepartmentQuery = m.args().map_err(|e| m.fail(e))?;
    let tree = org_of(&m, &r.organization_code, r.tenant_id.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let node = match r.department_id.as_deref().map(str::trim) {
        None | Some("") | Some("root") => tree
            .root()
            .ok_or_else(|| m.fail(Error::NotFound(tessera_core::Entity::Org)))?,
        Some(id) => department(&m, &tree, id, r.department_id_type)
            .await
            .map_err(|e| m.fail(e))?,
    };
    let relations = m
        .core()
        .department_sync_relations(&m.admin, &node.node.id)
        .await
        .map_err(|e| m.fail(e))?;
    let dto = department_dto(&m, &tree, node, r.with_custom_data)
        .await
        .map_err(|e| m.fail(e))?;
    let list: Vec<RelationDto> = relations
        .into_iter()
        .map(|rel| RelationDto {
            provider: rel.provider,
            user_id_in_idp: rel.external_id,
            user_info_in_idp: dto.clone(),
        })
        .collect();
    Ok(ok(m.lang, list))
}

/// `DeleteDepartmentSyncRelationReqDto`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteDepartment {
    provider: String,
    department_id: String,
    organization_code: String,
    #[serde(default)]
    department_id_type: DeptIdType,
}

async fn delete_department_relation(m: Mgmt) -> Reply {
    let r: DeleteDepartment = m.args().map_err(|e| m.fail(e))?;
    let tree = org_of(&m, &r.organization_code, None)
        .await
        .map_err(|e| m.fail(e))?;
    let node = department(&m, &tree, &r.department_id, r.department_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    m.core()
        .delete_sync_relation(&m.admin, SyncKind::Department, &r.provider, &node.node.id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}
