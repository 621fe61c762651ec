//! Organizations (`v3-wire.md` §4 "Organizations & departments"): `getOrganization`,
//! `listOrganizations`, `createOrganization`, … over the core's organization trees
//! (`org_admin`), the ones the v2 ManagementClient's `mc.org` edits.
//!
//! The v3 wire names an organization by its `organizationCode`, which is its root
//! department's code (unique per pool, checked by the core), and a department by its id
//! within that organization. The DTO shapes and the department handlers shared with
//! [`super::org_departments`] and [`super::org_members`] live here.
//!
//! Tessera has no department leaders, virtual departments, open department ids or posts: a
//! request that would set one is refused rather than dropped, and the DTOs leave those
//! fields absent (`isVirtualNode`/`isLeader` are `false`, which is what every Tessera
//! department is). A department's (and an organization's, its root's) enabled `status` is
//! stored and read back and filtered on; disabling one changes nothing else (its members,
//! subdepartments and access rules stay as they are).

use std::collections::HashSet;

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::directory::NodeView;
use tessera_core::model::provisioning::SyncKind;
use tessera_core::service::directory::NewNode;
use tessera_core::service::org_admin::{NodeUpdate, OrgTree};
use tessera_core::service::paging::{Page, Paged};
use tessera_core::service::udf::UdfTarget;
use tessera_core::store::directory::Order;
use tessera_core::{Entity, Error};

use super::call::Mgmt;
use super::envelope::{ok, success, Failure, Reply};
use super::shapes::typed_value;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-organization", get(get_organization))
        .route(
            "/api/v3/get-organization-batch",
            get(get_organizations_batch),
        )
        .route("/api/v3/list-organizations", get(list_organizations))
        .route("/api/v3/create-organization", post(create_organization))
        .route("/api/v3/update-organization", post(update_organization))
        .route("/api/v3/delete-organization", post(delete_organization))
        .route("/api/v3/search-organizations", get(search_organizations))
        .route(
            "/api/v3/update-organization-status",
            post(update_organization_status),
        )
}

// --- shared: finding and shaping -----------------------------------------------------------

/// `DeptIdType`: how `departmentId` is to be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeptIdType {
    #[default]
    DepartmentId,
    OpenDepartmentId,
    SyncRelation,
    CustomField,
    Code,
}

/// The organization `code` names; with a `tenant_id`, only one of that tenant.
pub async fn org_of(m: &Mgmt, code: &str, tenant_id: Option<&str>) -> Result<OrgTree, Failure> {
    let tree = m.core().org_by_code(&m.admin, code).await?;
    match tenant_id.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) if tree.record.tenant_id.as_deref() != Some(t) => {
            Err(Error::NotFound(Entity::Org).into())
        }
        _ => Ok(tree),
    }
}

/// The department of `tree` that `id` names, read as `ty` says: by id, by code, or by
/// `<provider>:<id in the upstream>` through the pool's sync relations.
pub async fn department<'t>(
    m: &Mgmt,
    tree: &'t OrgTree,
    id: &str,
    ty: DeptIdType,
) -> Result<&'t NodeView, Failure> {
    let id = id.trim();
    if id.is_empty() {
        return Err(Error::MissingParameter("departmentId").into());
    }
    let found = match ty {
        DeptIdType::DepartmentId => tree.nodes.iter().find(|n| n.node.id == id),
        DeptIdType::Code => tree
            .nodes
            .iter()
            .find(|n| n.node.code.as_deref() == Some(id)),
        DeptIdType::SyncRelation => {
            let target = m
                .core()
                .sync_relation_target(&m.admin, SyncKind::Department, id, "departmentId")
                .await?;
            target.and_then(|t| tree.nodes.iter().find(|n| n.node.id == t))
        }
        // Open ids and unique custom fields name departments of systems Tessera does not
        // hold.
        DeptIdType::OpenDepartmentId | DeptIdType::CustomField => {
            return Err(Error::InvalidParameter("departmentIdType").into())
        }
    };
    found.ok_or_else(|| Error::NotFound(Entity::OrgNode).into())
}

/// The organization's code (its root's).
pub fn org_code(tree: &OrgTree) -> Option<&str> {
    tree.root().and_then(|r| r.node.code.as_deref())
}

/// A stored i18n JSON text under the wire's key (`{name: LangObject}`).
fn i18n(stored: Option<&str>, key: &str) -> Value {
    match stored.and_then(|s| serde_json::from_str::<Value>(s).ok()) {
        Some(v) => json!({ key: v }),
        None => Value::Null,
    }
}

/// The `LangObject` of a request's i18n (`{name: …}` / `{organizationName: …}`) as the
/// text the core stores; an i18n object without it is refused.
pub fn i18n_text(
    v: Option<&Value>,
    key: &str,
    field: &'static str,
) -> Result<Option<String>, Failure> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => match o.get(key) {
            Some(lang @ Value::Object(_)) => Ok(Some(lang.to_string())),
            _ => Err(Error::InvalidParameter(field).into()),
        },
        Some(_) => Err(Error::InvalidParameter(field).into()),
    }
}

/// Refuses a non-empty list of something Tessera does not hold (leaders, posts).
pub fn none_of(v: &Option<Vec<String>>, field: &'static str) -> Result<(), Failure> {
    match v {
        Some(list) if !list.is_empty() => Err(Error::InvalidParameter(field).into()),
        _ => Ok(()),
    }
}

/// Refuses a non-blank value of something Tessera does not hold (open department ids).
pub fn blank(v: &Option<String>, field: &'static str) -> Result<(), Failure> {
    match v {
        Some(s) if !s.trim().is_empty() => Err(Error::InvalidParameter(field).into()),
        _ => Ok(()),
    }
}

/// The number of members of a node (with its descendants' when asked, each user once).
pub async fn members_count(m: &Mgmt, node_id: &str, descendants: bool) -> Result<i64, Failure> {
    let one = Page::new(Some(1), Some(1))?;
    Ok(m.core()
        .node_users(&m.admin, node_id, descendants, false, one)
        .await?
        .total_count)
}

/// Custom values of several targets as `{id: {key: value}}` objects.
pub async fn custom_data(
    m: &Mgmt,
    target: UdfTarget,
    ids: &[String],
) -> Result<Vec<(String, Value)>, Failure> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let values = m.core().udf_values_batch(&m.admin, target, ids).await?;
    Ok(ids
        .iter()
        .map(|id| {
            let mut data = Map::new();
            if let Some((_, list)) = values.iter().find(|(t, _)| t == id) {
                for item in list {
                    data.insert(item.key.clone(), typed_value(&item.data_type, &item.value));
                }
            }
            (id.clone(), Value::Object(data))
        })
        .collect())
}

/// A request's `customData` as the pairs the core validates and stores.
pub fn custom_pairs(v: Option<&Value>) -> Result<Vec<(String, Value)>, Failure> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(o)) => Ok(o.clone().into_iter().collect()),
        Some(_) => Err(Error::InvalidParameter("customData").into()),
    }
}

/// `DepartmentDto` of `node`, a node of `tree`.
pub async fn department_dto(
    m: &Mgmt,
    tree: &OrgTree,
    node: &NodeView,
    with_custom_data: bool,
) -> Result<Value, Failure> {
    Ok(
        departments_dto(m, tree, std::slice::from_ref(node), with_custom_data)
            .await?
            .pop()
            .unwrap_or(Value::Null),
    )
}

/// `DepartmentDto`s of nodes of `tree`; custom data of the whole list from one query.
pub async fn departments_dto(
    m: &Mgmt,
    tree: &OrgTree,
    nodes: &[NodeView],
    with_custom_data: bool,
) -> Result<Vec<Value>, Failure> {
    let code = org_code(tree);
    let custom = if with_custom_data {
        let ids: Vec<String> = nodes.iter().map(|n| n.node.id.clone()).collect();
        custom_data(m, UdfTarget::Node, &ids).await?
    } else {
        Vec::new()
    };
    let mut out = Vec::with_capacity(nodes.len());
    for v in nodes {
        let n = &v.node;
        let parent = n
            .parent_id
            .as_deref()
            .and_then(|p| tree.nodes.iter().find(|x| x.node.id == p));
        let mut dto = json!({
            "organizationCode": code,
            "departmentId": n.id,
            "createdAt": iso8601(n.created_at),
            "updatedAt": iso8601(n.updated_at),
            "name": n.name,
            "description": n.description,
            "parentDepartmentId": n.parent_id,
            "code": n.code,
            "parentDepartmentCode": parent.and_then(|p| p.node.code.clone()),
            "membersCount": members_count(m, &n.id, false).await?,
            "hasChildren": !v.children.is_empty(),
            "isVirtualNode": false,
            "status": n.enabled,
            "i18n": i18n(n.name_i18n.as_deref(), "name"),
        });
        if with_custom_data {
            if let Some((_, c)) = custom.iter().find(|(id, _)| *id == n.id) {
                dto["customData"] = c.clone();
            }
        }
        out.push(dto);
    }
    Ok(out)
}

/// `OrganizationDto`s; an organization's members are those of its whole tree.
async fn orgs_dto(
    m: &Mgmt,
    trees: &[OrgTree],
    with_custom_data: bool,
) -> Result<Vec<Value>, Failure> {
    let custom = if with_custom_data {
        let ids: Vec<String> = trees.iter().map(|t| t.record.org.id.clone()).collect();
        custom_data(m, UdfTarget::Org, &ids).await?
    } else {
        Vec::new()
    };
    let mut out = Vec::with_capacity(trees.len());
    for t in trees {
        let Some(root) = t.root() else {
            return Err(Error::NotFound(Entity::Org).into());
        };
        let n = &root.node;
        let mut dto = json!({
            "organizationCode": n.code,
            "organizationName": n.name,
            "description": n.description,
            "createdAt": iso8601(t.record.org.created_at),
            "updatedAt": iso8601(n.updated_at.max(t.record.org.updated_at)),
            "departmentId": n.id,
            "hasChildren": !root.children.is_empty(),
            "membersCount": members_count(m, &n.id, true).await?,
            "isVirtualNode": false,
            "status": n.enabled,
            "i18n": i18n(n.name_i18n.as_deref(), "organizationName"),
            "tenantId": t.record.tenant_id,
        });
        if with_custom_data {
            if let Some((_, c)) = custom.iter().find(|(id, _)| *id == t.record.org.id) {
                dto["customData"] = c.clone();
            }
        }
        out.push(dto);
    }
    Ok(out)
}

pub fn paged(p: Paged<Value>) -> Value {
    json!({ "totalCount": p.total_count, "list": p.list })
}

// --- organizations -------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetOrganization {
    organization_code: String,
    #[serde(default)]
    with_custom_data: bool,
    tenant_id: Option<String>,
}

async fn get_organization(m: Mgmt) -> Reply {
    let r: GetOrganization = m.args().map_err(|e| m.fail(e))?;
    let tree = org_of(&m, &r.organization_code, r.tenant_id.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let mut list = orgs_dto(&m, std::slice::from_ref(&tree), r.with_custom_data)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, list.pop().unwrap_or(Value::Null)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetOrganizationsBatch {
    organization_code_list: Vec<String>,
    #[serde(default)]
    with_custom_data: bool,
    tenant_id: Option<String>,
}

/// Most codes one batch reads.
const MAX_CODES: usize = 100;

/// The organizations found, in the order asked, each once; unknown codes are left out (as
/// `getUserBatch` leaves out unknown users).
async fn get_organizations_batch(m: Mgmt) -> Reply {
    let r: GetOrganizationsBatch = m.args().map_err(|e| m.fail(e))?;
    if r.organization_code_list.is_empty() {
        return Err(m.fail(Error::MissingParameter("organizationCodeList")));
    }
    if r.organization_code_list.len() > MAX_CODES {
        return Err(m.fail(Error::InvalidParameter("organizationCodeList")));
    }
    let mut seen = HashSet::new();
    let mut trees = Vec::new();
    for code in &r.organization_code_list {
        if !seen.insert(code.trim()) {
            continue;
        }
        match org_of(&m, code, r.tenant_id.as_deref()).await {
            Ok(t) => trees.push(t),
            Err(Failure::Core(Error::NotFound(Entity::Org))) => {}
            Err(e) => return Err(m.fail(e)),
        }
    }
    let list = orgs_dto(&m, &trees, r.with_custom_data)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, list))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListOrganizations {
    page: Option<i64>,
    limit: Option<i64>,
    #[serde(default)]
    fetch_all: bool,
    #[serde(default)]
    with_custom_data: bool,
    tenant_id: Option<String>,
    status: Option<bool>,
}

async fn list_organizations(m: Mgmt) -> Reply {
    let r: ListOrganizations = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let core = m.core();
    let tenant = r
        .tenant_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let trees = if let Some(want) = r.status {
        // A status filter reads every organization (of the tenant) and pages what passes:
        // the status is the root department's.
        let all = match tenant {
            Some(t) => core.orgs_of_tenant(&m.admin, t).await,
            None => core.all_org_trees(&m.admin).await,
        }
        .map_err(|e| m.fail(e))?;
        let kept: Vec<OrgTree> = all
            .into_iter()
            .filter(|t| t.root().is_some_and(|r| r.node.enabled == want))
            .collect();
        if r.fetch_all {
            Paged {
                total_count: kept.len() as i64,
                list: kept,
            }
        } else {
            page.slice(&kept)
        }
    } else if let Some(t) = tenant {
        let all = core
            .orgs_of_tenant(&m.admin, t)
            .await
            .map_err(|e| m.fail(e))?;
        if r.fetch_all {
            Paged {
                total_count: all.len() as i64,
                list: all,
            }
        } else {
            page.slice(&all)
        }
    } else if r.fetch_all {
        let all = core.all_org_trees(&m.admin).await.map_err(|e| m.fail(e))?;
        Paged {
            total_count: all.len() as i64,
            list: all,
        }
    } else {
        core.list_org_trees(&m.admin, page, Order::Oldest)
            .await
            .map_err(|e| m.fail(e))?
    };
    let list = orgs_dto(&m, &trees.list, r.with_custom_data)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        paged(Paged {
            total_count: trees.total_count,
            list,
        }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateOrganization {
    organization_name: String,
    organization_code: String,
    description: Option<String>,
    open_department_id: Option<String>,
    i18n: Option<Value>,
    tenant_id: Option<String>,
    post_id_list: Option<Vec<String>>,
}

async fn create_organization(m: Mgmt) -> Reply {
    let r: CreateOrganization = m.args().map_err(|e| m.fail(e))?;
    let root = (|| {
        blank(&r.open_department_id, "openDepartmentId")?;
        none_of(&r.post_id_list, "postIdList")?;
        if r.organization_name.trim().is_empty() {
            return Err(Failure::from(Error::MissingParameter("organizationName")));
        }
        Ok(NewNode {
            name: r.organization_name.clone(),
            code: Some(r.organization_code.clone()),
            description: r.description.clone(),
            order: None,
            name_i18n: i18n_text(r.i18n.as_ref(), "organizationName", "i18n")?,
            description_i18n: None,
        })
    })()
    .map_err(|e| m.fail(e))?;
    let tenant = r.tenant_id.filter(|t| !t.trim().is_empty());
    let tree = m
        .core()
        .create_coded_org(&m.admin, root, tenant)
        .await
        .map_err(|e| m.fail(e))?;
    let mut list = orgs_dto(&m, std::slice::from_ref(&tree), false)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, list.pop().unwrap_or(Value::Null)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateOrganization {
    organization_code: String,
    organization_new_code: Option<String>,
    organization_name: Option<String>,
    description: Option<String>,
    open_department_id: Option<String>,
    leader_user_ids: Option<Vec<String>>,
    i18n: Option<Value>,
    tenant_id: Option<String>,
    post_id_list: Option<Vec<String>>,
}

async fn update_organization(m: Mgmt) -> Reply {
    let r: UpdateOrganization = m.args().map_err(|e| m.fail(e))?;
    let update = (|| {
        blank(&r.open_department_id, "openDepartmentId")?;
        none_of(&r.leader_user_ids, "leaderUserIds")?;
        none_of(&r.post_id_list, "postIdList")?;
        Ok::<_, Failure>(NodeUpdate {
            name: r.organization_name.clone(),
            code: r.organization_new_code.clone(),
            description: r.description.clone(),
            order: None,
            name_i18n: i18n_text(r.i18n.as_ref(), "organizationName", "i18n")?,
            description_i18n: None,
            enabled: None,
        })
    })()
    .map_err(|e| m.fail(e))?;
    if update.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        return Err(m.fail(Error::InvalidParameter("organizationName")));
    }
    let tree = org_of(&m, &r.organization_code, r.tenant_id.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let tree = m
        .core()
        .update_coded_org(&m.admin, &tree, update)
        .await
        .map_err(|e| m.fail(e))?;
    let mut list = orgs_dto(&m, std::slice::from_ref(&tree), false)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, list.pop().unwrap_or(Value::Null)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteOrganization {
    organization_code: String,
    tenant_id: Option<String>,
}

async fn delete_organization(m: Mgmt) -> Reply {
    let r: DeleteOrganization = m.args().map_err(|e| m.fail(e))?;
    let tree = org_of(&m, &r.organization_code, r.tenant_id.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    m.core()
        .delete_org(&m.admin, &tree.record.org.id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchOrganizations {
    keywords: String,
    page: Option<i64>,
    limit: Option<i64>,
    #[serde(default)]
    with_custom_data: bool,
    tenant_id: Option<String>,
}

/// Organizations whose name or code contains the keywords (the core's node search, kept to
/// roots).
async fn search_organizations(m: Mgmt) -> Reply {
    let r: SearchOrganizations = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let core = m.core();
    let found = core
        .search_org_nodes(&m.admin, &r.keywords)
        .await
        .map_err(|e| m.fail(e))?;
    let tenant = r
        .tenant_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let mut trees = Vec::new();
    for n in found.iter().filter(|n| n.node.parent_id.is_none()) {
        let t = core
            .org_tree(&m.admin, &n.node.org_id)
            .await
            .map_err(|e| m.fail(e))?;
        if tenant.is_none_or(|want| t.record.tenant_id.as_deref() == Some(want)) {
            trees.push(t);
        }
    }
    let p = page.slice(&trees);
    let list = orgs_dto(&m, &p.list, r.with_custom_data)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        paged(Paged {
            total_count: p.total_count,
            list,
        }),
    ))
}

// --- organization status -------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateOrganizationStatus {
    root_node_id: String,
    status: Option<Value>,
}

/// `UpdateOrganizationStatusReqDto.status` is declared a string: `"true"` / `"false"` (any
/// case, blanks trimmed) or a JSON boolean, which some callers send. Anything else —
/// including a missing status, since there is then nothing to set — is refused.
fn status_of(v: Option<&Value>) -> Result<bool, Error> {
    match v {
        None | Some(Value::Null) => Err(Error::MissingParameter("status")),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            "" => Err(Error::MissingParameter("status")),
            _ => Err(Error::InvalidParameter("status")),
        },
        Some(_) => Err(Error::InvalidParameter("status")),
    }
}

/// `updateOrganizationStatus`: enables or disables an organization, named by its root
/// department's id (a department that is not a root is not an organization: not found).
async fn update_organization_status(m: Mgmt) -> Reply {
    let r: UpdateOrganizationStatus = m.args().map_err(|e| m.fail(e))?;
    let enabled = status_of(r.status.as_ref()).map_err(|e| m.fail(e))?;
    if r.root_node_id.trim().is_empty() {
        return Err(m.fail(Error::MissingParameter("rootNodeId")));
    }
    let core = m.core();
    let node = core
        .node_required(&m.admin, &r.root_node_id)
        .await
        .map_err(|e| m.fail(e))?;
    if node.node.parent_id.is_some() {
        return Err(m.fail(Error::NotFound(Entity::Org)));
    }
    let update = NodeUpdate {
        enabled: Some(enabled),
        ..NodeUpdate::default()
    };
    core.update_org_node(&m.admin, &node.node.id, update)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organization_status_reads_strings_and_booleans() {
        assert_eq!(status_of(Some(&json!("true"))).ok(), Some(true));
        assert_eq!(status_of(Some(&json!(" FALSE "))).ok(), Some(false));
        assert_eq!(status_of(Some(&json!(false))).ok(), Some(false));
        for bad in [json!("yes"), json!(1), json!(["true"])] {
            assert!(matches!(
                status_of(Some(&bad)),
                Err(Error::InvalidParameter("status"))
            ));
        }
        for missing in [None, Some(json!(null)), Some(json!("  "))] {
            assert!(matches!(
                status_of(missing.as_ref()),
                Err(Error::MissingParameter("status"))
            ));
        }
    }
}
