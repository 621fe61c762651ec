//! Roles (`v3-wire.md` §4 "Roles") and the Users family's `getUserRoles` / `hasAnyRole`,
//! over the core services v2's `mc.roles` uses (`directory_admin`, `directory_batches`).
//!
//! Separation of duties (`service::sod`): `createRole` / `updateRole` take an optional
//! `mutuallyExclusiveRoles: [{code, namespace}]` (an extension: the SDK passes the body
//! through), replacing the role's excluded set; the role DTO answers it back;
//! `checkMutualExclusion` asks whether any two roles exclude each other. Administrator roles:
//! `createAdminRole` (with Tessera's `policies: [policy code]` extension, the bundle a tenant
//! cooperator grant naming the role's code receives) / `deleteAdminRolesBatch`.

use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tessera_core::model::directory::TargetType;
use tessera_core::service::directory::NewRole;
use tessera_core::service::directory_admin::RoleUpdate;
use tessera_core::service::directory_batches::RoleRef;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::{Entity, Error};

use super::directory_dto::{
    paged, roles_dto, users_page, v3_handler, WireResourceType, WireTarget, WithFlags,
};
use super::envelope::{ok, success};
use super::shapes::{resolve_user, UserIdType};
use crate::authing::errors;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-role", get(get_role))
        .route("/api/v3/assign-role", post(assign_role))
        .route("/api/v3/assign-role-batch", post(assign_role_batch))
        .route("/api/v3/revoke-role", post(revoke_role))
        .route("/api/v3/revoke-role-batch", post(revoke_role_batch))
        .route(
            "/api/v3/get-role-authorized-resources",
            get(role_authorized_resources),
        )
        .route("/api/v3/list-role-members", get(list_role_members))
        .route("/api/v3/list-role-departments", get(list_role_departments))
        .route("/api/v3/list-role-assignments", get(list_role_assignments))
        .route("/api/v3/create-role", post(create_role))
        .route("/api/v3/list-roles", get(list_roles))
        .route("/api/v3/delete-roles-batch", post(delete_roles_batch))
        .route("/api/v3/create-roles-batch", post(create_roles_batch))
        .route("/api/v3/update-role", post(update_role))
        .route(
            "/api/v3/multiple-namespace-delete-roles-batch",
            post(delete_roles_of_namespaces),
        )
        .route("/api/v3/check-role-params", post(check_role_params))
        .route(
            "/api/v3/check-role-mutual-exclusion",
            post(check_mutual_exclusion),
        )
        .route("/api/v3/create-admin-role", post(create_admin_role))
        .route("/api/v3/delete-admin-roles", post(delete_admin_roles))
        .route("/api/v3/get-user-roles", get(get_user_roles))
        .route("/api/v3/has-any-role", post(has_any_role))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleKey {
    code: String,
    namespace: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TargetDto {
    target_type: WireTarget,
    target_identifier: String,
}

fn targets(list: &[TargetDto]) -> Vec<(TargetType, String)> {
    list.iter()
        .map(|t| (t.target_type.core(), t.target_identifier.clone()))
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleCodeDto {
    code: String,
    namespace: Option<String>,
}

fn role_refs(list: Vec<RoleCodeDto>) -> Vec<RoleRef> {
    list.into_iter()
        .map(|r| RoleRef {
            namespace: r.namespace,
            code: r.code,
        })
        .collect()
}

v3_handler!(get_role(m) {
    let r: RoleKey = m.args()?;
    let role = m.core().role_required(&m.admin, r.namespace.as_deref(), &r.code).await?;
    let mut list = roles_dto(&m, std::slice::from_ref(&role)).await?;
    Ok(ok(m.lang, list.pop()))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssignRole {
    targets: Vec<TargetDto>,
    code: String,
    namespace: Option<String>,
    /// Timed assignments: Tessera's assignments do not expire, so a time is refused rather
    /// than dropped.
    end_time: Option<serde_json::Value>,
    enable_time: Option<serde_json::Value>,
}

/// A role assignment that would start or end at a set time cannot be honoured.
fn untimed(
    end: &Option<serde_json::Value>,
    enable: &Option<serde_json::Value>,
) -> Result<(), Error> {
    let set = |v: &Option<serde_json::Value>| v.as_ref().is_some_and(|v| !v.is_null());
    if set(end) {
        return Err(Error::InvalidParameter("endTime"));
    }
    if set(enable) {
        return Err(Error::InvalidParameter("enableTime"));
    }
    Ok(())
}

v3_handler!(assign_role(m) {
    let r: AssignRole = m.args()?;
    untimed(&r.end_time, &r.enable_time)?;
    let roles = [RoleRef { namespace: r.namespace, code: r.code }];
    m.core().set_roles_of_targets(&m.admin, &roles, &targets(&r.targets), true).await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RevokeRole {
    targets: Vec<TargetDto>,
    code: String,
    namespace: Option<String>,
}

v3_handler!(revoke_role(m) {
    let r: RevokeRole = m.args()?;
    let roles = [RoleRef { namespace: r.namespace, code: r.code }];
    m.core().set_roles_of_targets(&m.admin, &roles, &targets(&r.targets), false).await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleBatch {
    targets: Vec<TargetDto>,
    roles: Vec<RoleCodeDto>,
}

v3_handler!(assign_role_batch(m) {
    let r: RoleBatch = m.args()?;
    let t = targets(&r.targets);
    m.core().set_roles_of_targets(&m.admin, &role_refs(r.roles), &t, true).await?;
    Ok(success(m.lang))
});

v3_handler!(revoke_role_batch(m) {
    let r: RoleBatch = m.args()?;
    let t = targets(&r.targets);
    m.core().set_roles_of_targets(&m.admin, &role_refs(r.roles), &t, false).await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleResources {
    code: String,
    namespace: Option<String>,
    resource_type: Option<WireResourceType>,
}

v3_handler!(
    /// What the role may do: its own grants and its parents' (the one resolver).
    role_authorized_resources(m) {
    let r: RoleResources = m.args()?;
    let core = m.core();
    let role = core.role_required(&m.admin, r.namespace.as_deref(), &r.code).await?;
    let list = core
        .target_resources(&m.admin, TargetType::Role, &role.id, None, r.resource_type.map(|t| t.core()))
        .await?;
    let list: Vec<_> = list
        .iter()
        .map(|a| json!({
            "resourceCode": a.code,
            "resourceType": a.resource_type.as_str(),
            "actions": a.actions,
            "apiIdentifier": a.api_identifier.clone().unwrap_or_default(),
        }))
        .collect();
    Ok(ok(m.lang, paged(Paged { total_count: list.len() as i64, list })))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleMembers {
    code: String,
    namespace: Option<String>,
    page: Option<i64>,
    limit: Option<i64>,
    #[serde(flatten)]
    with: WithFlags,
}

v3_handler!(
    /// The users the role is given to directly.
    list_role_members(m) {
    let r: RoleMembers = m.args()?;
    let page = Page::new(r.page, r.limit)?;
    let core = m.core();
    let role = core.role_required(&m.admin, r.namespace.as_deref(), &r.code).await?;
    let found = core.role_users(&m.admin, &role.id, None, page).await?;
    Ok(ok(m.lang, users_page(&m, found, r.with.parts()).await?))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleDepartments {
    code: String,
    namespace: Option<String>,
    page: Option<i64>,
    limit: Option<i64>,
}

v3_handler!(
    /// The departments the role is given to directly (`RoleDepartmentRespDto`).
    list_role_departments(m) {
    let r: RoleDepartments = m.args()?;
    let page = Page::new(r.page, r.limit)?;
    let core = m.core();
    let role = core.role_required(&m.admin, r.namespace.as_deref(), &r.code).await?;
    let found = core.role_departments(&m.admin, &role.id, page).await?;
    Ok(ok(m.lang, paged(found.map(|n| json!({
        "id": n.id,
        "code": n.code.unwrap_or_default(),
        "name": n.name,
        "description": n.description.unwrap_or_default(),
    })))))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleAssignments {
    page: Option<i64>,
    limit: Option<i64>,
    query: Option<String>,
    role_code: String,
    namespace_code: Option<String>,
    #[serde(default)]
    target_type: Vec<String>,
}

/// `targetType` of `listRoleAssignments`: users and/or departments (`ORG`).
fn assignment_kinds(names: &[String]) -> Result<Vec<TargetType>, Error> {
    names
        .iter()
        .map(|n| match n.trim() {
            "USER" => Ok(TargetType::User),
            "ORG" => Ok(TargetType::OrgNode),
            _ => Err(Error::InvalidParameter("targetType")),
        })
        .collect()
}

v3_handler!(
    /// The direct holders of a role, users and departments, one `RolePermissionListDto`
    /// each: the role's fields with the time of the assignment, plus who holds it
    /// (`targetType`, `targetIdentifier`, `targetName`), which that DTO leaves unnamed. The
    /// page is `{totalCount, data}` (§2.2).
    list_role_assignments(m) {
    let r: RoleAssignments = m.args()?;
    let page = Page::new(r.page, r.limit)?;
    let kinds = assignment_kinds(&r.target_type)?;
    let core = m.core();
    let role = core.role_required(&m.admin, r.namespace_code.as_deref(), &r.role_code).await?;
    let found = core
        .role_assignments(&m.admin, &role.id, &kinds, r.query.as_deref(), page)
        .await?;
    let data: Vec<_> = found
        .list
        .iter()
        .map(|a| json!({
            "roleId": role.id,
            "roleCode": role.code,
            "roleName": role.name.clone().unwrap_or_default(),
            "description": role.description.clone().unwrap_or_default(),
            "status": "ENABLE",
            "userPoolId": role.pool_id,
            "createdAt": tessera_core::clock::iso8601(a.assigned_at),
            "updatedAt": tessera_core::clock::iso8601(a.assigned_at),
            "targetType": if a.target_type == TargetType::User { "USER" } else { "ORG" },
            "targetIdentifier": a.target_id,
            "targetName": a.target_name,
        }))
        .collect();
    Ok(ok(m.lang, json!({ "totalCount": found.total_count, "data": data })))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRole {
    code: String,
    name: Option<String>,
    namespace: Option<String>,
    description: Option<String>,
    /// Roles do not expire in Tessera: a disable time is refused rather than dropped.
    disable_time: Option<serde_json::Value>,
    /// Tessera's extension: the roles no user may hold together with this one.
    mutually_exclusive_roles: Option<Vec<RoleCodeDto>>,
}

fn no_disable_time(v: &Option<serde_json::Value>) -> Result<(), Error> {
    match v {
        Some(serde_json::Value::Null) | None => Ok(()),
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => Ok(()),
        Some(_) => Err(Error::InvalidParameter("disableTime")),
    }
}

v3_handler!(create_role(m) {
    let r: CreateRole = m.args()?;
    no_disable_time(&r.disable_time)?;
    let new = NewRole {
        namespace: r.namespace,
        code: r.code,
        name: r.name,
        description: r.description,
        parent_code: None,
    };
    let role = match r.mutually_exclusive_roles {
        Some(list) => {
            m.core()
                .create_role_with_exclusions(&m.admin, new, &role_refs(list))
                .await?
        }
        None => m.core().create_role(m.admin.pool_id(), new).await?,
    };
    let mut list = roles_dto(&m, std::slice::from_ref(&role)).await?;
    Ok(ok(m.lang, list.pop()))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListRoles {
    page: Option<i64>,
    limit: Option<i64>,
    keywords: Option<String>,
    namespace: Option<String>,
}

v3_handler!(list_roles(m) {
    let r: ListRoles = m.args()?;
    let page = Page::new(r.page, r.limit)?;
    let found = m
        .core()
        .search_roles(&m.admin, r.namespace.as_deref(), r.keywords.as_deref(), page)
        .await?;
    let list = roles_dto(&m, &found.list).await?;
    Ok(ok(m.lang, paged(Paged { total_count: found.total_count, list })))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteRoles {
    code_list: Vec<String>,
    namespace: Option<String>,
}

v3_handler!(delete_roles_batch(m) {
    let r: DeleteRoles = m.args()?;
    m.core().delete_roles(&m.admin, r.namespace.as_deref(), &r.code_list).await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleListItem {
    code: String,
    name: Option<String>,
    description: Option<String>,
    namespace: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRolesBatch {
    list: Vec<RoleListItem>,
}

v3_handler!(create_roles_batch(m) {
    let r: CreateRolesBatch = m.args()?;
    let list = r
        .list
        .into_iter()
        .map(|i| NewRole {
            namespace: i.namespace,
            code: i.code,
            name: i.name,
            description: i.description,
            parent_code: None,
        })
        .collect();
    m.core().create_roles(&m.admin, list).await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateRole {
    code: String,
    new_code: String,
    name: String,
    namespace: Option<String>,
    description: Option<String>,
    /// Roles are always enabled in Tessera: `ENABLE` is accepted, anything else refused.
    status: Option<String>,
    disable_time: Option<serde_json::Value>,
    /// Tessera has no permission applications: only `false` is accepted.
    enable_permission_apply: Option<bool>,
    /// Tessera's extension: replaces the roles no user may hold together with this one.
    mutually_exclusive_roles: Option<Vec<RoleCodeDto>>,
}

v3_handler!(update_role(m) {
    let r: UpdateRole = m.args()?;
    if r.status.as_deref().is_some_and(|s| !s.trim().is_empty() && !s.eq_ignore_ascii_case("ENABLE")) {
        return Err(Error::InvalidParameter("status").into());
    }
    no_disable_time(&r.disable_time)?;
    if r.enable_permission_apply == Some(true) {
        return Err(Error::InvalidParameter("enablePermissionApply").into());
    }
    let excluded = r.mutually_exclusive_roles.map(role_refs);
    m.core()
        .update_role_with_exclusions(
            &m.admin,
            r.namespace.as_deref(),
            &r.code,
            RoleUpdate {
                new_code: Some(r.new_code),
                name: Some(r.name),
                description: r.description,
                parent_code: None,
            },
            excluded.as_deref(),
        )
        .await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleCodeAndNamespace {
    code: String,
    namespace: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteRolesOfNamespaces {
    role_list: Vec<RoleCodeAndNamespace>,
}

v3_handler!(delete_roles_of_namespaces(m) {
    let r: DeleteRolesOfNamespaces = m.args()?;
    let roles: Vec<RoleRef> = r
        .role_list
        .into_iter()
        .map(|i| RoleRef { namespace: Some(i.namespace), code: i.code })
        .collect();
    m.core().delete_roles_named(&m.admin, &roles).await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckRoleParams {
    code: String,
    namespace: String,
    #[allow(dead_code)] // role names need not be unique in Tessera
    name: Option<String>,
}

v3_handler!(
    /// Whether `createRole` would accept this code in this namespace, with the reason if
    /// not (the core's own refusal, worded).
    check_role_params(m) {
    let r: CheckRoleParams = m.args()?;
    let refusal = m.core().new_role_refusal(&m.admin, Some(&r.namespace), &r.code).await?;
    Ok(ok(m.lang, match refusal {
        None => json!({ "isValid": true, "message": "" }),
        Some(e) => json!({ "isValid": false, "message": errors::message(&e, m.lang) }),
    }))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckMutualExclusion {
    roles: Vec<RoleCodeDto>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MutualExclusionResult {
    exist_mutually_exclusive: bool,
}

v3_handler!(
    /// Whether any two of the roles exclude each other (every role must exist).
    check_mutual_exclusion(m) {
    let r: CheckMutualExclusion = m.args()?;
    let exclusive = m
        .core()
        .roles_mutually_exclusive(&m.admin, &role_refs(r.roles))
        .await?;
    Ok(ok(m.lang, MutualExclusionResult { exist_mutually_exclusive: exclusive }))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateAdminRole {
    name: String,
    code: String,
    description: Option<String>,
    /// Tessera's extension: policy codes the role bundles, for `createTenantCooperator`.
    #[serde(default)]
    policies: Vec<String>,
}

/// `RoleCheckParamsRespDto`'s data: whether the role was created, and if not why.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AdminRoleCheck {
    is_valid: bool,
    message: String,
}

v3_handler!(
    /// Creates an administrator role; a code already taken is `isValid: false` with the
    /// reason, not an error (as `checkRoleParams` answers).
    create_admin_role(m) {
    let r: CreateAdminRole = m.args()?;
    let made = m
        .core()
        .create_admin_role(&m.admin, &r.code, &r.name, r.description, &r.policies)
        .await?;
    Ok(ok(m.lang, match made {
        Some(_) => AdminRoleCheck { is_valid: true, message: String::new() },
        None => AdminRoleCheck {
            is_valid: false,
            message: errors::message(&Error::Duplicate(Entity::AdminRole), m.lang),
        },
    }))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteAdminRoles {
    code_list: Vec<String>,
}

v3_handler!(delete_admin_roles(m) {
    let r: DeleteAdminRoles = m.args()?;
    m.core().delete_admin_roles(&m.admin, &r.code_list).await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserRoles {
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
    namespace: Option<String>,
}

v3_handler!(
    /// Every role the user holds: given to the user, to the user's groups or departments.
    get_user_roles(m) {
    let r: UserRoles = m.args()?;
    let core = m.core();
    let u = resolve_user(core, &m.admin, &r.user_id, r.user_id_type).await?;
    let ns = r.namespace.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let roles = core.effective_roles(m.admin.pool_id(), &u.id, ns).await?;
    let list = roles_dto(&m, &roles).await?;
    Ok(ok(m.lang, paged(Paged { total_count: list.len() as i64, list })))
});

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct HasAnyRoleOptions {
    #[serde(default)]
    user_id_type: UserIdType,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HasAnyRole {
    roles: Vec<RoleCodeDto>,
    user_id: String,
    #[serde(default)]
    options: HasAnyRoleOptions,
}

v3_handler!(has_any_role(m) {
    let r: HasAnyRole = m.args()?;
    if r.roles.is_empty() {
        return Err(Error::MissingParameter("roles").into());
    }
    let core = m.core();
    let u = resolve_user(core, &m.admin, &r.user_id, r.options.user_id_type).await?;
    let refs = role_refs(r.roles);
    let has = core.holds_any_role(m.admin.pool_id(), &u.id, &refs).await?;
    Ok(ok(m.lang, json!({ "hasAnyRole": has })))
});

/// `getUserRoles` for another family's route (a public account's roles, `public_accounts.rs`).
pub(super) async fn user_roles(m: crate::v3::call::Mgmt) -> crate::v3::envelope::Reply {
    get_user_roles(m).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn timed_assignments_are_refused_not_dropped() {
        assert!(untimed(&None, &None).is_ok());
        assert!(untimed(&Some(Value::Null), &Some(Value::Null)).is_ok());
        assert!(matches!(
            untimed(&Some(json!(1_893_456_000_000_i64)), &None),
            Err(Error::InvalidParameter("endTime"))
        ));
        assert!(matches!(
            untimed(&None, &Some(json!("2030-01-01"))),
            Err(Error::InvalidParameter("enableTime"))
        ));
    }

    #[test]
    fn assignments_list_users_and_departments_only() {
        let names = |l: &[&str]| l.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            assignment_kinds(&names(&["USER", "ORG"])).unwrap(),
            [TargetType::User, TargetType::OrgNode]
        );
        assert!(assignment_kinds(&[]).unwrap().is_empty());
        assert!(assignment_kinds(&names(&["GROUP"])).is_err());
    }

    #[test]
    fn only_a_blank_disable_time_is_accepted() {
        assert!(no_disable_time(&None).is_ok());
        assert!(no_disable_time(&Some(json!(""))).is_ok());
        assert!(no_disable_time(&Some(Value::Null)).is_ok());
        assert!(no_disable_time(&Some(json!("1893456000000"))).is_err());
        assert!(no_disable_time(&Some(json!(0))).is_err());
    }

    #[test]
    fn targets_read_as_the_v3_wire_names_them() {
        let list: Vec<TargetDto> = serde_json::from_value(json!([
            { "targetType": "USER", "targetIdentifier": "u1" },
            { "targetType": "DEPARTMENT", "targetIdentifier": "n1" },
        ]))
        .unwrap();
        assert_eq!(
            targets(&list),
            [
                (TargetType::User, "u1".to_owned()),
                (TargetType::OrgNode, "n1".to_owned())
            ]
        );
        assert!(serde_json::from_value::<TargetDto>(
            json!({ "targetType": "ORG", "targetIdentifier": "n1" })
        )
        .is_err());
    }
}
