//! Tenant departments (`v3-wire.md` §4 "Tenant departments"): members of a tenant joining
//! or leaving a department of one of the tenant's organizations.
//!
//! As in the Tenants family, a tenant member is a user of the pool: `linkUserIds` and
//! `memberIds` both name users (`TenantUserDto.memberId` is the user id). Each must be a
//! member of the tenant, and the organization must be the tenant's.

use std::collections::HashSet;

use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use tessera_core::{Entity, Error};

use super::call::Mgmt;
use super::envelope::{success, Failure, Reply};
use super::org::{department, org_of, DeptIdType};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v3/add-tenant-department-members",
            post(add_tenant_department_members),
        )
        .route(
            "/api/v3/remove-tenant-department-members",
            post(remove_tenant_department_members),
        )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TenantDepartmentMembers {
    organization_code: String,
    department_id: String,
    #[serde(default)]
    department_id_type: DeptIdType,
    #[serde(default)]
    link_user_ids: Vec<String>,
    #[serde(default)]
    member_ids: Vec<String>,
    tenant_id: Option<String>,
}

/// The tenant, the department's node id and the users, each checked: the organization is
/// the tenant's, every user a member of the tenant.
async fn resolve(m: &Mgmt) -> Result<(String, Vec<String>), Failure> {
    let r: TenantDepartmentMembers = m.args()?;
    // The body's tenant, or the one the SDK's `tenantId` option sends as a header.
    let tenant = r
        .tenant_id
        .as_deref()
        .or(m.tenant_id.as_deref())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(Error::MissingParameter("tenantId"))?
        .to_owned();
    let mut seen = HashSet::new();
    let users: Vec<String> = r
        .link_user_ids
        .iter()
        .chain(&r.member_ids)
        .map(|u| u.trim().to_owned())
        .filter(|u| seen.insert(u.clone()))
        .collect();
    if users.is_empty() || users.iter().any(String::is_empty) {
        return Err(Error::MissingParameter("linkUserIds").into());
    }
    // Checked against the tenant before the organization, so a tenant of another pool is
    // "not found" whatever the organization.
    m.core().tenant(&m.admin, &tenant).await?;
    let tree = org_of(m, &r.organization_code, Some(&tenant)).await?;
    let node = department(m, &tree, &r.department_id, r.department_id_type)
        .await?
        .node
        .id
        .clone();
    for u in &users {
        let tenants = m.core().user_tenants(&m.admin, u).await?;
        if !tenants.iter().any(|t| t.id == tenant) {
            return Err(Error::NotFound(Entity::TenantMember).into());
        }
    }
    Ok((node, users))
}

/// `addTenantDepartmentMembers`: all of them join, or none.
async fn add_tenant_department_members(m: Mgmt) -> Reply {
    let (node, users) = resolve(&m).await.map_err(|e| m.fail(e))?;
    m.core()
        .add_node_members(&m.admin.id, &node, &users, false)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

/// `removeTenantDepartmentMembers`.
async fn remove_tenant_department_members(m: Mgmt) -> Reply {
    let (node, users) = resolve(&m).await.map_err(|e| m.fail(e))?;
    m.core()
        .remove_org_members(&m.admin, &node, &users)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}
