//! Departments (`v3-wire.md` §4 "Organizations & departments"): one department, its
//! children, its subtree, searches, and edits — each a node of an organization tree of the
//! core's `org_admin`, found within the organization the request names.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::Value;
use tessera_core::model::directory::NodeView;
use tessera_core::service::directory::NewNode;
use tessera_core::service::org_admin::{NodeUpdate, OrgTree};
use tessera_core::service::paging::{Page, Paged};
use tessera_core::service::udf::UdfTarget;
use tessera_core::{Entity, Error};

use super::apps_users::{app_dto, oidc_base};
use super::call::Mgmt;
use super::envelope::{done, ok, success, Failure, Reply};
use super::org::{
    blank, custom_pairs, department, department_dto, departments_dto, i18n_text, none_of, org_of,
    paged, DeptIdType,
};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-department", get(get_department))
        .route("/api/v3/get-department-by-id", get(get_department_by_id))
        .route("/api/v3/create-department", post(create_department))
        .route(
            "/api/v3/create-department-tree",
            post(create_department_tree),
        )
        .route("/api/v3/update-department", post(update_department))
        .route("/api/v3/delete-department", post(delete_department))
        .route("/api/v3/search-departments", post(search_departments))
        .route(
            "/api/v3/search-departments-list",
            post(search_departments_list),
        )
        .route(
            "/api/v3/list-children-departments",
            get(list_children_departments),
        )
        .route("/api/v3/get-all-departments", get(get_all_departments))
        .route("/api/v3/get-parent-department", get(get_parent_department))
        .route("/api/v3/update-department-status", post(update_node_status))
        .route(
            "/api/v3/get-department-available-app",
            post(get_department_all_app),
        )
}

// --- reads ---------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetDepartment {
    organization_code: Option<String>,
    department_id: Option<String>,
    department_code: Option<String>,
    #[serde(default)]
    department_id_type: DeptIdType,
    #[serde(default)]
    with_custom_data: bool,
    tenant_id: Option<String>,
}

/// `getDepartment`: by id (or as `departmentIdType` says) or by `departmentCode`, within
/// the organization named.
async fn get_department(m: Mgmt) -> Reply {
    let r: GetDepartment = m.args().map_err(|e| m.fail(e))?;
    let code = r
        .organization_code
        .as_deref()
        .ok_or(Error::MissingParameter("organizationCode"))
        .map_err(|e| m.fail(e))?;
    let tree = org_of(&m, code, r.tenant_id.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let node = match (&r.department_id, &r.department_code) {
        (Some(id), _) if !id.trim().is_empty() => {
            department(&m, &tree, id, r.department_id_type).await
        }
        (_, Some(c)) => department(&m, &tree, c, DeptIdType::Code).await,
        _ => Err(Error::MissingParameter("departmentId").into()),
    }
    .map_err(|e| m.fail(e))?;
    let dto = department_dto(&m, &tree, node, r.with_custom_data)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, dto))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetDepartmentById {
    department_id: String,
    #[serde(default)]
    app_type_list: Vec<String>,
    #[serde(default)]
    with_custom_data: bool,
    tenant_id: Option<String>,
}

/// `getDepartmentById`: a department of any organization of the pool.
async fn get_department_by_id(m: Mgmt) -> Reply {
    let r: GetDepartmentById = m.args().map_err(|e| m.fail(e))?;
    if !r.app_type_list.is_empty() {
        // The department's available applications by type is an Authing console view
        // Tessera does not keep.
        return Err(m.fail(Error::InvalidParameter("appTypeList")));
    }
    let core = m.core();
    let node = core
        .node_required(&m.admin, &r.department_id)
        .await
        .map_err(|e| m.fail(e))?;
    let tree = core
        .org_tree(&m.admin, &node.node.org_id)
        .await
        .map_err(|e| m.fail(e))?;
    if let Some(t) = r
        .tenant_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if tree.record.tenant_id.as_deref() != Some(t) {
            return Err(m.fail(Error::NotFound(Entity::OrgNode)));
        }
    }
    let node = department(&m, &tree, &node.node.id, DeptIdType::DepartmentId)
        .await
        .map_err(|e| m.fail(e))?;
    let dto = department_dto(&m, &tree, node, r.with_custom_data)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, dto))
}

/// A department named in an organization (the common query of most department reads).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InDepartment {
    organization_code: String,
    department_id: String,
    #[serde(default)]
    department_id_type: DeptIdType,
    #[serde(default)]
    with_custom_data: bool,
    tenant_id: Option<String>,
    status: Option<bool>,
    /// Read for its type only: no Tessera department is virtual, so excluding them
    /// changes nothing.
    #[serde(default)]
    #[allow(dead_code)]
    exclude_virtual_node: bool,
    #[serde(default)]
    only_virtual_node: bool,
}

async fn tree_and_node(m: &Mgmt, r: &InDepartment) -> Result<(OrgTree, String), Failure> {
    let tree = org_of(m, &r.organization_code, r.tenant_id.as_deref()).await?;
    let id = department(m, &tree, &r.department_id, r.department_id_type)
        .await?
        .node
        .id
        .clone();
    Ok((tree, id))
}

/// `listChildrenDepartments`: the direct children, in sibling order.
async fn list_children_departments(m: Mgmt) -> Reply {
    let r: InDepartment = m.args().map_err(|e| m.fail(e))?;
    let (tree, id) = tree_and_node(&m, &r).await.map_err(|e| m.fail(e))?;
    // No Tessera department is virtual: asking only for those finds none.
    let children: Vec<NodeView> = if r.only_virtual_node {
        Vec::new()
    } else {
        tree.nodes
            .iter()
            .filter(|n| n.node.parent_id.as_deref() == Some(id.as_str()))
            .filter(|n| r.status.is_none_or(|want| n.node.enabled == want))
            .cloned()
            .collect()
    };
    let list = departments_dto(&m, &tree, &children, r.with_custom_data)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        paged(Paged {
            total_count: list.len() as i64,
            list,
        }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetAllDepartments {
    organization_code: String,
    department_id: Option<String>,
    #[serde(default)]
    department_id_type: DeptIdType,
    #[serde(default)]
    with_custom_data: bool,
    tenant_id: Option<String>,
}

/// `getAllDepartments`: every department under a department (`root`, the default, is the
/// organization's root), the department itself excluded, breadth first.
async fn get_all_departments(m: Mgmt) -> Reply {
    let r: GetAllDepartments = m.args().map_err(|e| m.fail(e))?;
    let tree = org_of(&m, &r.organization_code, r.tenant_id.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let top = match r.department_id.as_deref().map(str::trim) {
        None | Some("") | Some("root") => tree.root().map(|n| n.node.id.clone()),
        Some(id) => Some(
            department(&m, &tree, id, r.department_id_type)
                .await
                .map_err(|e| m.fail(e))?
                .node
                .id
                .clone(),
        ),
    }
    .ok_or_else(|| m.fail(Error::NotFound(Entity::OrgNode)))?;
    let under: Vec<NodeView> = tree
        .nodes
        .iter()
        .filter(|n| n.node.id != top && n.path.contains(&top))
        .cloned()
        .collect();
    let list = departments_dto(&m, &tree, &under, r.with_custom_data)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        paged(Paged {
            total_count: list.len() as i64,
            list,
        }),
    ))
}

/// `getParentDepartment`: the parent's `DepartmentDto`; an organization's root has none
/// (`data: null`).
async fn get_parent_department(m: Mgmt) -> Reply {
    let r: InDepartment = m.args().map_err(|e| m.fail(e))?;
    let (tree, id) = tree_and_node(&m, &r).await.map_err(|e| m.fail(e))?;
    let parent = tree
        .nodes
        .iter()
        .find(|n| n.node.id == id)
        .and_then(|n| n.node.parent_id.as_deref())
        .and_then(|p| tree.nodes.iter().find(|n| n.node.id == p));
    match parent {
        None => Ok(ok(m.lang, Value::Null)),
        Some(p) => {
            let dto = department_dto(&m, &tree, p, r.with_custom_data)
                .await
                .map_err(|e| m.fail(e))?;
            Ok(ok(m.lang, dto))
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchDepartments {
    keywords: String,
    organization_code: String,
    #[serde(default)]
    with_custom_data: bool,
    tenant_id: Option<String>,
}

/// `searchDepartments`: departments of the organization whose name or code contains the
/// keywords (the core's node search).
async fn search_departments(m: Mgmt) -> Reply {
    let r: SearchDepartments = m.args().map_err(|e| m.fail(e))?;
    let tree = org_of(&m, &r.organization_code, r.tenant_id.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let found = m
        .core()
        .search_org_nodes(&m.admin, &r.keywords)
        .await
        .map_err(|e| m.fail(e))?;
    let nodes: Vec<NodeView> = found
        .iter()
        .filter_map(|f| tree.nodes.iter().find(|n| n.node.id == f.node.id))
        .cloned()
        .collect();
    let list = departments_dto(&m, &tree, &nodes, r.with_custom_data)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, list))
}

// --- searchDepartmentsList: filters and sorts over one organization ------------------------

#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
struct FilterItem {
    field: String,
    operator: FilterOp,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum FilterOp {
    Between,
    Equal,
    In,
    Lesser,
    Greater,
    Contains,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
enum SortField {
    UpdatedAt,
    CreatedAt,
    Name,
}

#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
enum SortOrder {
    #[serde(alias = "asc")]
    #[serde(rename = "ASC")]
    Asc,
    #[serde(alias = "desc")]
    #[serde(rename = "DESC")]
    Desc,
}

#[derive(Deserialize, Debug, Clone, Copy)]
struct SortItem {
    field: SortField,
    order: SortOrder,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchDepartmentsList {
    organization_code: String,
    #[serde(default)]
    with_custom_data: bool,
    page: Option<i64>,
    limit: Option<i64>,
    #[serde(default)]
    advanced_filter: Vec<FilterItem>,
    sort_by: Option<SortField>,
    order_by: Option<SortOrder>,
    #[serde(default)]
    sort: Vec<SortItem>,
    tenant_id: Option<String>,
}

/// A department field a filter may test: text, a time in epoch milliseconds, or a flag.
enum FieldValue<'a> {
    Text(Option<&'a str>),
    Time(i64),
    Flag(bool),
}

fn field_of<'a>(n: &'a NodeView, field: &str) -> Result<FieldValue<'a>, Error> {
    let node = &n.node;
    Ok(match field {
        "name" => FieldValue::Text(Some(&node.name)),
        "code" => FieldValue::Text(node.code.as_deref()),
        "description" => FieldValue::Text(node.description.as_deref()),
        "departmentId" => FieldValue::Text(Some(&node.id)),
        "parentDepartmentId" => FieldValue::Text(node.parent_id.as_deref()),
        "createdAt" => FieldValue::Time(node.created_at),
        "updatedAt" => FieldValue::Time(node.updated_at),
        "status" => FieldValue::Flag(node.enabled),
        _ => return Err(Error::InvalidParameter("advancedFilter.field")),
    })
}

fn texts(v: &Value) -> Result<Vec<&str>, Error> {
    match v {
        Value::String(s) => Ok(vec![s]),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .ok_or(Error::InvalidParameter("advancedFilter.value"))
            })
            .collect(),
        _ => Err(Error::InvalidParameter("advancedFilter.value")),
    }
}

fn millis(v: &Value) -> Result<i64, Error> {
    v.as_i64()
        .ok_or(Error::InvalidParameter("advancedFilter.value"))
}

/// Whether `n` passes one filter; a filter that does not fit its field is refused, never
/// read as "matches everything".
fn passes(n: &NodeView, f: &FilterItem) -> Result<bool, Error> {
    let bad = Error::InvalidParameter("advancedFilter.operator");
    Ok(match field_of(n, &f.field)? {
        FieldValue::Text(t) => {
            let t = t.unwrap_or("");
            match f.operator {
                FilterOp::Equal => texts(&f.value)?.first().is_some_and(|v| *v == t),
                FilterOp::In => texts(&f.value)?.contains(&t),
                FilterOp::Contains => {
                    let t = t.to_lowercase();
                    texts(&f.value)?
                        .iter()
                        .any(|v| t.contains(&v.to_lowercase()))
                }
                _ => return Err(bad),
            }
        }
        FieldValue::Time(t) => match f.operator {
            FilterOp::Equal => t == millis(&f.value)?,
            FilterOp::Lesser => t < millis(&f.value)?,
            FilterOp::Greater => t > millis(&f.value)?,
            FilterOp::Between => match f.value.as_array().map(Vec::as_slice) {
                Some([a, b]) => (millis(a)?..=millis(b)?).contains(&t),
                _ => return Err(Error::InvalidParameter("advancedFilter.value")),
            },
            FilterOp::In => f
                .value
                .as_array()
                .ok_or(Error::InvalidParameter("advancedFilter.value"))?
                .iter()
                .map(millis)
                .collect::<Result<Vec<_>, _>>()?
                .contains(&t),
            FilterOp::Contains => return Err(bad),
        },
        FieldValue::Flag(b) => match (f.operator, f.value.as_bool()) {
            (FilterOp::Equal, Some(want)) => b == want,
            (FilterOp::Equal, None) => return Err(Error::InvalidParameter("advancedFilter.value")),
            _ => return Err(bad),
        },
    })
}

/// The nodes passing every filter, sorted by `sort` (then `sortBy`/`orderBy`), ties kept
/// in tree order.
fn filter_and_sort(
    nodes: &[NodeView],
    filters: &[FilterItem],
    sort: &[SortItem],
) -> Result<Vec<NodeView>, Error> {
    let mut out = Vec::new();
    for n in nodes {
        let mut keep = true;
        for f in filters {
            // Every filter is checked on every node, so a malformed one is refused even
            // when an earlier filter already excluded the node.
            keep &= passes(n, f)?;
        }
        if keep {
            out.push(n.clone());
        }
    }
    out.sort_by(|a, b| {
        sort.iter()
            .map(|s| {
                let o = match s.field {
                    SortField::UpdatedAt => a.node.updated_at.cmp(&b.node.updated_at),
                    SortField::CreatedAt => a.node.created_at.cmp(&b.node.created_at),
                    SortField::Name => a.node.name.cmp(&b.node.name),
                };
                if s.order == SortOrder::Desc {
                    o.reverse()
                } else {
                    o
                }
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Ok(out)
}

/// `searchDepartmentsList`: a page of the organization's departments that pass the
/// filters (answered as the list itself, as the SDK's `DepartmentListRespDto` says).
async fn search_departments_list(m: Mgmt) -> Reply {
    let r: SearchDepartmentsList = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let tree = org_of(&m, &r.organization_code, r.tenant_id.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let mut sort = r.sort.clone();
    if let Some(field) = r.sort_by {
        sort.push(SortItem {
            field,
            order: r.order_by.unwrap_or(SortOrder::Desc),
        });
    }
    let found = filter_and_sort(&tree.nodes, &r.advanced_filter, &sort).map_err(|e| m.fail(e))?;
    let p = page.slice(&found);
    let list = departments_dto(&m, &tree, &p.list, r.with_custom_data)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, list))
}

// --- writes --------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateDepartment {
    organization_code: String,
    name: String,
    parent_department_id: String,
    open_department_id: Option<String>,
    description: Option<String>,
    code: Option<String>,
    #[serde(default)]
    is_virtual_node: bool,
    i18n: Option<Value>,
    custom_data: Option<Value>,
    #[serde(default)]
    department_id_type: DeptIdType,
    post_id_list: Option<Vec<String>>,
    tenant_id: Option<String>,
}

/// `createDepartment`: a department under `parentDepartmentId` (read as
/// `departmentIdType` says) with its custom values, which are checked before anything is
/// written.
async fn create_department(m: Mgmt) -> Reply {
    let r: CreateDepartment = m.args().map_err(|e| m.fail(e))?;
    let (new, custom) = (|| {
        blank(&r.open_department_id, "openDepartmentId")?;
        none_of(&r.post_id_list, "postIdList")?;
        if r.is_virtual_node {
            return Err(Failure::from(Error::InvalidParameter("isVirtualNode")));
        }
        if r.name.trim().is_empty() {
            return Err(Error::MissingParameter("name").into());
        }
        Ok((
            NewNode {
                name: r.name.clone(),
                code: r.code.clone().filter(|c| !c.trim().is_empty()),
                description: r.description.clone(),
                order: None,
                name_i18n: i18n_text(r.i18n.as_ref(), "name", "i18n")?,
                description_i18n: None,
            },
            custom_pairs(r.custom_data.as_ref())?,
        ))
    })()
    .map_err(|e| m.fail(e))?;
    let core = m.core();
    let tree = org_of(&m, &r.organization_code, r.tenant_id.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let parent = department(&m, &tree, &r.parent_department_id, r.department_id_type)
        .await
        .map_err(|e| m.fail(e))?
        .node
        .id
        .clone();
    core.validate_udf_values(&m.admin.id, UdfTarget::Node, &custom)
        .await
        .map_err(|e| m.fail(e))?;
    let node = core
        .add_org_node(&m.admin, &tree.record.org.id, Some(&parent), new)
        .await
        .map_err(|e| m.fail(e))?;
    if !custom.is_empty() {
        core.set_udf_values(&m.admin.id, UdfTarget::Node, &node.node.id, &custom)
            .await
            .map_err(|e| m.fail(e))?;
    }
    let tree = core
        .org_tree(&m.admin, &tree.record.org.id)
        .await
        .map_err(|e| m.fail(e))?;
    let node = department(&m, &tree, &node.node.id, DeptIdType::DepartmentId)
        .await
        .map_err(|e| m.fail(e))?;
    let dto = department_dto(&m, &tree, node, !custom.is_empty())
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, dto))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateDepartment {
    organization_code: String,
    department_id: String,
    leader_user_ids: Option<Vec<String>>,
    description: Option<String>,
    code: Option<String>,
    i18n: Option<Value>,
    status: Option<bool>,
    name: Option<String>,
    #[serde(default)]
    department_id_type: DeptIdType,
    parent_department_id: Option<String>,
    custom_data: Option<Value>,
    post_id_list: Option<Vec<String>>,
    tenant_id: Option<String>,
}

/// `updateDepartment`: the fields named and a move under another department of the same
/// organization (one unit of work in the core), then custom values, which are checked
/// before anything is written.
async fn update_department(m: Mgmt) -> Reply {
    let r: UpdateDepartment = m.args().map_err(|e| m.fail(e))?;
    let (update, custom) = (|| {
        none_of(&r.leader_user_ids, "leaderUserIds")?;
        none_of(&r.post_id_list, "postIdList")?;
        if r.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(Failure::from(Error::InvalidParameter("name")));
        }
        Ok((
            NodeUpdate {
                name: r.name.clone(),
                code: r.code.clone(),
                description: r.description.clone(),
                order: None,
                name_i18n: i18n_text(r.i18n.as_ref(), "name", "i18n")?,
                description_i18n: None,
                enabled: r.status,
            },
            custom_pairs(r.custom_data.as_ref())?,
        ))
    })()
    .map_err(|e| m.fail(e))?;
    let core = m.core();
    let tree = org_of(&m, &r.organization_code, r.tenant_id.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let node = department(&m, &tree, &r.department_id, r.department_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let id = node.node.id.clone();
    let is_root = node.root;
    let new_parent = match r.parent_department_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(
            department(&m, &tree, p, r.department_id_type)
                .await
                .map_err(|e| m.fail(e))?
                .node
                .id
                .clone(),
        ),
    };
    core.validate_udf_values(&m.admin.id, UdfTarget::Node, &custom)
        .await
        .map_err(|e| m.fail(e))?;
    let org_id = tree.record.org.id.clone();
    if is_root && update.code.is_some() {
        // The root's code is the organization's: it stays unique among organizations.
        // (A root never moves: asking for it is refused by the core first.)
        if new_parent.is_some() {
            core.edit_org_node(
                &m.admin,
                &org_id,
                &id,
                NodeUpdate::default(),
                new_parent.as_deref(),
            )
            .await
            .map_err(|e| m.fail(e))?;
        }
        core.update_coded_org(&m.admin, &tree, update)
            .await
            .map_err(|e| m.fail(e))?;
    } else {
        // Fields and move in one unit of work: a refused move changes no field.
        core.edit_org_node(&m.admin, &org_id, &id, update, new_parent.as_deref())
            .await
            .map_err(|e| m.fail(e))?;
    }
    if !custom.is_empty() {
        core.set_udf_values(&m.admin.id, UdfTarget::Node, &id, &custom)
            .await
            .map_err(|e| m.fail(e))?;
    }
    let tree = core
        .org_tree(&m.admin, &tree.record.org.id)
        .await
        .map_err(|e| m.fail(e))?;
    let node = department(&m, &tree, &id, DeptIdType::DepartmentId)
        .await
        .map_err(|e| m.fail(e))?;
    let dto = department_dto(&m, &tree, node, !custom.is_empty())
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, dto))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteDepartment {
    organization_code: String,
    department_id: String,
    #[serde(default)]
    department_id_type: DeptIdType,
    tenant_id: Option<String>,
}

/// `deleteDepartment`: the department with its subtree (the root goes only with its
/// organization).
async fn delete_department(m: Mgmt) -> Reply {
    let r: DeleteDepartment = m.args().map_err(|e| m.fail(e))?;
    let tree = org_of(&m, &r.organization_code, r.tenant_id.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let id = department(&m, &tree, &r.department_id, r.department_id_type)
        .await
        .map_err(|e| m.fail(e))?
        .node
        .id
        .clone();
    m.core()
        .delete_org_node(&m.admin, &tree.record.org.id, &id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

// --- the applications of a department -------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DepartmentApps {
    department_id: String,
    tenant_id: Option<String>,
    #[serde(default)]
    app_type_list: Vec<String>,
    /// Read for its type only: applications carry no custom data.
    #[serde(default)]
    #[allow(dead_code)]
    with_custom_data: bool,
}

/// `getDepartmentAllApp`: the pool's applications a member of the department may use by
/// what the department gives — the rules naming it or an ancestor, then each application's
/// default (the core's one access decision, `Core::node_app_access`).
///
/// The SDK declares the answer a `DepartmentSingleRespDto`, which is a mistake of its spec
/// (a department is not a list of applications): Authing answers a list of `AppDto`s
/// `{appId, appName, appLogo, appLoginUrl, appDefaultLoginStrategy}`, and so does this.
/// Every Tessera application is `SELFBUILT`: an `appTypeList` without it finds none.
async fn get_department_all_app(m: Mgmt) -> Reply {
    let r: DepartmentApps = m.args().map_err(|e| m.fail(e))?;
    for t in &r.app_type_list {
        if !matches!(t.as_str(), "INTEGRATED" | "SELFBUILT" | "APP_PANEL") {
            return Err(m.fail(Error::InvalidParameter("appTypeList")));
        }
    }
    let self_built = r.app_type_list.is_empty() || r.app_type_list.iter().any(|t| t == "SELFBUILT");
    if r.department_id.trim().is_empty() {
        return Err(m.fail(Error::MissingParameter("departmentId")));
    }
    let core = m.core();
    if let Some(t) = r
        .tenant_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let node = core
            .node_required(&m.admin, &r.department_id)
            .await
            .map_err(|e| m.fail(e))?;
        let tree = core
            .org_tree(&m.admin, &node.node.org_id)
            .await
            .map_err(|e| m.fail(e))?;
        if tree.record.tenant_id.as_deref() != Some(t) {
            return Err(m.fail(Error::NotFound(Entity::OrgNode)));
        }
    }
    let decided = core
        .node_app_access(&m.admin, &r.department_id)
        .await
        .map_err(|e| m.fail(e))?;
    let issuer = oidc_base(&m);
    let list: Vec<Value> = decided
        .iter()
        .filter(|d| self_built && d.accessible)
        .map(|d| app_dto(&issuer, &d.app, Some(d.allow_all_by_default)))
        .collect();
    Ok(ok(m.lang, list))
}

// --- status ----------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateNodeStatus {
    department_id: String,
    status: bool,
}

/// `updateNodeStatus`: enables or disables one department of any organization of the pool
/// (its subdepartments keep their own status). Answers the envelope alone.
async fn update_node_status(m: Mgmt) -> Reply {
    let r: UpdateNodeStatus = m.args().map_err(|e| m.fail(e))?;
    if r.department_id.trim().is_empty() {
        return Err(m.fail(Error::MissingParameter("departmentId")));
    }
    let update = NodeUpdate {
        enabled: Some(r.status),
        ..NodeUpdate::default()
    };
    m.core()
        .update_org_node(&m.admin, &r.department_id, update)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Number};
    use tessera_core::model::directory::Node;

    fn view(id: &str, name: &str, code: Option<&str>, created: i64) -> NodeView {
        NodeView {
            node: Node {
                id: id.into(),
                pool_id: "p".into(),
                org_id: "o".into(),
                parent_id: Some("root".into()),
                name: name.into(),
                name_i18n: None,
                description: None,
                description_i18n: None,
                code: code.map(Into::into),
                order: 0,
                created_at: created,
                updated_at: created,
                enabled: true,
            },
            root: false,
            depth: Some(1),
            path: vec!["root".into(), id.into()],
            code_path: vec![],
            name_path: vec![],
            children: vec![],
        }
    }

    fn filter(v: Value) -> FilterItem {
        serde_json::from_value(v).unwrap()
    }

    fn ids(v: &[NodeView]) -> Vec<&str> {
        v.iter().map(|n| n.node.id.as_str()).collect()
    }

    #[test]
    fn filters_by_text_and_time_and_sorts() {
        let nodes = vec![
            view("a", "Sales", Some("s"), 10),
            view("b", "Sales East", None, 20),
            view("c", "Ops", Some("o"), 30),
        ];
        let contains = filter(json!({"field": "name", "operator": "CONTAINS", "value": "sales"}));
        assert_eq!(
            ids(&filter_and_sort(&nodes, std::slice::from_ref(&contains), &[]).unwrap()),
            ["a", "b"]
        );
        let in_codes = filter(json!({"field": "code", "operator": "IN", "value": ["o", "s"]}));
        assert_eq!(
            ids(&filter_and_sort(&nodes, &[in_codes], &[]).unwrap()),
            ["a", "c"]
        );
        let between =
            filter(json!({"field": "createdAt", "operator": "BETWEEN", "value": [15, 30]}));
        assert_eq!(
            ids(&filter_and_sort(&nodes, &[between], &[]).unwrap()),
            ["b", "c"]
        );
        let desc = SortItem {
            field: SortField::CreatedAt,
            order: SortOrder::Desc,
        };
        assert_eq!(
            ids(&filter_and_sort(&nodes, &[contains], &[desc]).unwrap()),
            ["b", "a"]
        );
        let mut off = nodes.clone();
        off[1].node.enabled = false;
        let disabled = filter(json!({"field": "status", "operator": "EQUAL", "value": false}));
        assert_eq!(
            ids(&filter_and_sort(&off, &[disabled], &[]).unwrap()),
            ["b"]
        );
    }

    #[test]
    fn refuses_filters_that_do_not_fit() {
        let nodes = vec![view("a", "Sales", None, 10)];
        for f in [
            json!({"field": "nope", "operator": "EQUAL", "value": "x"}),
            json!({"field": "name", "operator": "GREATER", "value": "x"}),
            json!({"field": "createdAt", "operator": "CONTAINS", "value": 1}),
            json!({"field": "createdAt", "operator": "BETWEEN", "value": [1]}),
            json!({"field": "name", "operator": "IN", "value": 3}),
            json!({"field": "status", "operator": "EQUAL", "value": "false"}),
            json!({"field": "status", "operator": "IN", "value": [true]}),
        ] {
            assert!(
                filter_and_sort(&nodes, &[filter(f.clone())], &[]).is_err(),
                "{f}"
            );
        }
        assert!(serde_json::from_value::<FilterItem>(
            json!({"field": "name", "operator": "LIKE", "value": "x"})
        )
        .is_err());
    }

    #[test]
    fn numbers_are_millis() {
        assert_eq!(millis(&Value::Number(Number::from(5))).ok(), Some(5));
        assert!(millis(&json!("5")).is_err());
    }
}

// --- createDepartmentTree ------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateDepartmentTree {
    name: String,
    #[serde(default)]
    children: Vec<String>,
    members: Option<TreeMemberDto>,
    tenant_id: Option<String>,
}

/// `UserInfoDto`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TreeMemberDto {
    username: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    phone_country_code: Option<String>,
    name: Option<String>,
    gender: Option<TreeGender>,
    country: Option<String>,
    province: Option<String>,
    city: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
enum TreeGender {
    M,
    F,
    U,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct TreeResult {
    add_user: u64,
    update_user: u64,
    add_department: u64,
    update_department: u64,
}

/// `createDepartmentTree`: the meaning Tessera gives the wire's shape is the core's
/// (`service/department_tree.rs`): `name` the organization (by its root's name), each child
/// a `/`-separated path of departments below it, `members` one user placed in the root.
async fn create_department_tree(m: Mgmt) -> Reply {
    use tessera_core::service::department_tree::{DepartmentTree, TreeMember};
    let r: CreateDepartmentTree = m.args().map_err(|e| m.fail(e))?;
    let member = r.members.map(|u| TreeMember {
        username: u.username,
        email: u.email,
        phone: u.phone,
        phone_country_code: u.phone_country_code,
        name: u.name,
        gender: u.gender.map(|g| {
            match g {
                TreeGender::M => "M",
                TreeGender::F => "F",
                TreeGender::U => "U",
            }
            .to_owned()
        }),
        country: u.country,
        province: u.province,
        city: u.city,
    });
    let counts = m
        .core()
        .create_department_tree(
            &m.admin,
            DepartmentTree {
                name: r.name,
                children: r.children,
                member,
                tenant_id: r.tenant_id,
            },
        )
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        TreeResult {
            add_user: counts.added_users,
            update_user: counts.updated_users,
            add_department: counts.added_departments,
            update_department: counts.updated_departments,
        },
    ))
}
