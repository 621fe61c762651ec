//! Department members (`v3-wire.md` §4 "Organizations & departments") and a user's
//! departments (`getUserDepartments`, `setUserDepartments` of the Users family), over the
//! core's memberships (`org_admin`, `membership`: one main department, only a joined one).

use std::collections::HashSet;

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::directory::UserDepartment;
use tessera_core::service::org_admin::OrgTree;
use tessera_core::service::paging::{Page, Paged, MAX_PAGE_SIZE};
use tessera_core::service::udf::UdfTarget;
use tessera_core::store::users::UserQuery;
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{ok, success, Failure, Reply};
use super::org::{custom_data, department, org_code, org_of, paged, DeptIdType};
use super::shapes::{resolve_user, users_dto, UserIdType, WithFlags};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v3/list-department-members",
            get(list_department_members),
        )
        .route(
            "/api/v3/list-department-member-ids",
            get(list_department_member_ids),
        )
        .route(
            "/api/v3/search-department-members",
            get(search_department_members),
        )
        .route(
            "/api/v3/add-department-members",
            post(add_department_members),
        )
        .route(
            "/api/v3/remove-department-members",
            post(remove_department_members),
        )
        .route("/api/v3/is-user-in-department", get(is_user_in_department))
        .route("/api/v3/get-user-departments", get(get_user_departments))
        .route("/api/v3/set-user-departments", post(set_user_departments))
}

/// The organization and the id of the department a request names.
async fn node_of(
    m: &Mgmt,
    org: &str,
    id: &str,
    ty: DeptIdType,
    tenant: Option<&str>,
) -> Result<(OrgTree, String), Failure> {
    let tree = org_of(m, org, tenant).await?;
    let id = department(m, &tree, id, ty).await?.node.id.clone();
    Ok((tree, id))
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Asc,
    #[default]
    Desc,
}

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
enum MemberSort {
    Default,
    #[default]
    JoinDepartmentAt,
    #[serde(rename = "userId")]
    UserId,
    #[serde(rename = "createAt")]
    CreateAt,
    #[serde(rename = "updatedAt")]
    UpdatedAt,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListMembers {
    organization_code: String,
    department_id: String,
    #[serde(default)]
    sort_by: MemberSort,
    #[serde(default)]
    order_by: Direction,
    #[serde(default)]
    department_id_type: DeptIdType,
    #[serde(default)]
    include_children_departments: bool,
    page: Option<i64>,
    limit: Option<i64>,
    #[serde(flatten)]
    with: WithFlags,
    tenant_id: Option<String>,
}

/// `listDepartmentMembers`: a page of members in the order they joined (the store's
/// membership index); other orders are refused rather than answered in this one.
async fn list_department_members(m: Mgmt) -> Reply {
    let r: ListMembers = m.args().map_err(|e| m.fail(e))?;
    if !matches!(
        r.sort_by,
        MemberSort::Default | MemberSort::JoinDepartmentAt
    ) {
        return Err(m.fail(Error::InvalidParameter("sortBy")));
    }
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let (_, id) = node_of(
        &m,
        &r.organization_code,
        &r.department_id,
        r.department_id_type,
        r.tenant_id.as_deref(),
    )
    .await
    .map_err(|e| m.fail(e))?;
    let core = m.core();
    let newest_first = r.order_by == Direction::Desc;
    let p = core
        .node_users(
            &m.admin,
            &id,
            r.include_children_departments,
            newest_first,
            page,
        )
        .await
        .map_err(|e| m.fail(e))?;
    let parts = r.with.parts();
    let list = users_dto(core, &m.admin, &p.list, parts)
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MemberIds {
    organization_code: String,
    department_id: String,
    #[serde(default)]
    department_id_type: DeptIdType,
    tenant_id: Option<String>,
}

/// Most ids `listDepartmentMemberIds` answers (it has no paging).
const MAX_MEMBER_IDS: i64 = 100_000;

/// `listDepartmentMemberIds`: the ids of the department's direct members, in join order.
async fn list_department_member_ids(m: Mgmt) -> Reply {
    let r: MemberIds = m.args().map_err(|e| m.fail(e))?;
    let (_, id) = node_of(
        &m,
        &r.organization_code,
        &r.department_id,
        r.department_id_type,
        r.tenant_id.as_deref(),
    )
    .await
    .map_err(|e| m.fail(e))?;
    let mut ids: Vec<String> = Vec::new();
    let mut n = 1;
    loop {
        let page = Page::new(Some(n), Some(MAX_PAGE_SIZE)).map_err(|e| m.fail(e))?;
        let p = m
            .core()
            .node_users(&m.admin, &id, false, false, page)
            .await
            .map_err(|e| m.fail(e))?;
        let last = (p.list.len() as i64) < MAX_PAGE_SIZE;
        ids.extend(p.list.into_iter().map(|u| u.id));
        if last || ids.len() as i64 >= MAX_MEMBER_IDS {
            break;
        }
        n += 1;
    }
    Ok(ok(m.lang, ids))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchMembers {
    organization_code: String,
    department_id: String,
    keywords: String,
    page: Option<i64>,
    limit: Option<i64>,
    #[serde(default)]
    department_id_type: DeptIdType,
    #[serde(default)]
    include_children_departments: bool,
    #[serde(flatten)]
    with: WithFlags,
    tenant_id: Option<String>,
}

/// `searchDepartmentMembers`: members (of the subtree when asked) matching the keywords,
/// through the core's user query restricted to those departments.
async fn search_department_members(m: Mgmt) -> Reply {
    let r: SearchMembers = m.args().map_err(|e| m.fail(e))?;
    let keyword = r.keywords.trim();
    if keyword.is_empty() {
        return Err(m.fail(Error::MissingParameter("keywords")));
    }
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let (tree, id) = node_of(
        &m,
        &r.organization_code,
        &r.department_id,
        r.department_id_type,
        r.tenant_id.as_deref(),
    )
    .await
    .map_err(|e| m.fail(e))?;
    let node_ids = if r.include_children_departments {
        tree.nodes
            .iter()
            .filter(|n| n.path.contains(&id))
            .map(|n| n.node.id.clone())
            .collect()
    } else {
        vec![id]
    };
    let q = UserQuery {
        keyword: Some(keyword.to_owned()),
        node_ids,
        ..UserQuery::default()
    };
    let core = m.core();
    let p = core
        .query_users(&m.admin, &q, page)
        .await
        .map_err(|e| m.fail(e))?;
    let parts = r.with.parts();
    let list = users_dto(core, &m.admin, &p.list, parts)
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangeMembers {
    user_ids: Vec<String>,
    organization_code: String,
    department_id: String,
    #[serde(default)]
    department_id_type: DeptIdType,
    tenant_id: Option<String>,
}

fn unique(ids: &[String]) -> Result<Vec<String>, Failure> {
    let mut seen = HashSet::new();
    let out: Vec<String> = ids
        .iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| seen.insert(s.clone()))
        .collect();
    if out.is_empty() || out.iter().any(String::is_empty) {
        return Err(Error::MissingParameter("userIds").into());
    }
    Ok(out)
}

/// `addDepartmentMembers`: every user joins, or none (an unknown user refuses the batch).
async fn add_department_members(m: Mgmt) -> Reply {
    let r: ChangeMembers = m.args().map_err(|e| m.fail(e))?;
    let users = unique(&r.user_ids).map_err(|e| m.fail(e))?;
    let (_, id) = node_of(
        &m,
        &r.organization_code,
        &r.department_id,
        r.department_id_type,
        r.tenant_id.as_deref(),
    )
    .await
    .map_err(|e| m.fail(e))?;
    m.core()
        .add_node_members(&m.admin.id, &id, &users, false)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

/// `removeDepartmentMembers`: every user must exist in the pool.
async fn remove_department_members(m: Mgmt) -> Reply {
    let r: ChangeMembers = m.args().map_err(|e| m.fail(e))?;
    let users = unique(&r.user_ids).map_err(|e| m.fail(e))?;
    let (_, id) = node_of(
        &m,
        &r.organization_code,
        &r.department_id,
        r.department_id_type,
        r.tenant_id.as_deref(),
    )
    .await
    .map_err(|e| m.fail(e))?;
    m.core()
        .remove_org_members(&m.admin, &id, &users)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IsUserIn {
    user_id: String,
    organization_code: String,
    department_id: String,
    #[serde(default)]
    department_id_type: DeptIdType,
    #[serde(default)]
    include_children_departments: bool,
    tenant_id: Option<String>,
}

/// `isUserInDepartment`: a member of the department (or, when asked, of one below it).
async fn is_user_in_department(m: Mgmt) -> Reply {
    let r: IsUserIn = m.args().map_err(|e| m.fail(e))?;
    let (tree, id) = node_of(
        &m,
        &r.organization_code,
        &r.department_id,
        r.department_id_type,
        r.tenant_id.as_deref(),
    )
    .await
    .map_err(|e| m.fail(e))?;
    let deps = m
        .core()
        .user_departments(&m.admin.id, r.user_id.trim(), Some(&tree.record.org.id))
        .await
        .map_err(|e| m.fail(e))?;
    // Paths from the whole tree (the membership's own view knows only its node).
    let inside = deps.iter().any(|d| {
        d.node.node.id == id
            || (r.include_children_departments
                && tree
                    .nodes
                    .iter()
                    .find(|n| n.node.id == d.node.node.id)
                    .is_some_and(|n| n.path.contains(&id)))
    });
    Ok(ok(m.lang, json!({ "inDepartment": inside })))
}

// --- a user's departments ------------------------------------------------------------------

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserDepartmentSort {
    DepartmentCreatedAt,
    #[default]
    JoinDepartmentAt,
    DepartmentName,
    /// Spelled as the SDK spells it.
    DepartmemtCode,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetUserDepartments {
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
    page: Option<i64>,
    limit: Option<i64>,
    #[serde(default)]
    with_custom_data: bool,
    #[serde(default)]
    with_department_paths: bool,
    #[serde(default)]
    sort_by: UserDepartmentSort,
    #[serde(default)]
    order_by: Direction,
}

pub(crate) fn sort_departments(
    deps: &mut [UserDepartment],
    by: UserDepartmentSort,
    dir: Direction,
) {
    deps.sort_by(|a, b| {
        let (x, y) = (&a.node.node, &b.node.node);
        let o = match by {
            UserDepartmentSort::DepartmentCreatedAt => x.created_at.cmp(&y.created_at),
            UserDepartmentSort::JoinDepartmentAt => a.joined_at.cmp(&b.joined_at),
            UserDepartmentSort::DepartmentName => x.name.cmp(&y.name),
            UserDepartmentSort::DepartmemtCode => x.code.cmp(&y.code),
        }
        .then_with(|| x.id.cmp(&y.id));
        if dir == Direction::Desc {
            o.reverse()
        } else {
            o
        }
    });
}

/// `getUserDepartments`: a page of `UserDepartmentRespDto`, paths from each
/// organization's whole tree.
async fn get_user_departments(m: Mgmt) -> Reply {
    let r: GetUserDepartments = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let core = m.core();
    let user = resolve_user(core, &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let mut deps = core
        .user_departments(&m.admin.id, &user.id, None)
        .await
        .map_err(|e| m.fail(e))?;
    sort_departments(&mut deps, r.sort_by, r.order_by);
    let p = page.slice(&deps);
    let mut trees: Vec<OrgTree> = Vec::new();
    for d in &p.list {
        if !trees.iter().any(|t| t.record.org.id == d.node.node.org_id) {
            trees.push(
                core.org_tree(&m.admin, &d.node.node.org_id)
                    .await
                    .map_err(|e| m.fail(e))?,
            );
        }
    }
    let custom = if r.with_custom_data {
        let ids: Vec<String> = p.list.iter().map(|d| d.node.node.id.clone()).collect();
        custom_data(&m, UdfTarget::Node, &ids)
            .await
            .map_err(|e| m.fail(e))?
    } else {
        Vec::new()
    };
    let mut list = Vec::with_capacity(p.list.len());
    for d in &p.list {
        let n = &d.node.node;
        let tree = trees.iter().find(|t| t.record.org.id == n.org_id);
        let view = tree.and_then(|t| t.nodes.iter().find(|v| v.node.id == n.id));
        let mut dto = json!({
            "organizationCode": tree.and_then(org_code),
            "departmentId": n.id,
            "isRoot": n.parent_id.is_none(),
            "createdAt": iso8601(n.created_at),
            "name": n.name,
            "description": n.description,
            "isLeader": false,
            "code": n.code,
            "isMainDepartment": d.is_main,
            "joinedAt": iso8601(d.joined_at),
            "isVirtualNode": false,
            "i18n": n.name_i18n.as_deref()
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                .map(|v| json!({ "name": v })),
        });
        if let (true, Some(v)) = (r.with_department_paths, view) {
            dto["departmentIdPath"] = json!(v.path);
            dto["departmentCodePath"] = json!(v.code_path);
            dto["departmentNamePath"] = json!(v.name_path);
        }
        if let Some((_, c)) = custom.iter().find(|(id, _)| *id == n.id) {
            dto["customData"] = c.clone();
        }
        list.push(dto);
    }
    Ok(ok(
        m.lang,
        paged(Paged {
            total_count: p.total_count,
            list,
        }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetUserDepartment {
    department_id: String,
    #[serde(default)]
    is_leader: bool,
    #[serde(default)]
    is_main_department: bool,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SetUserDepartmentsOptions {
    #[serde(default)]
    user_id_type: UserIdType,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetUserDepartments {
    user_id: String,
    departments: Vec<SetUserDepartment>,
    #[serde(default)]
    options: SetUserDepartmentsOptions,
}

/// `setUserDepartments`: the user's departments become exactly these, in one unit of work.
async fn set_user_departments(m: Mgmt) -> Reply {
    let r: SetUserDepartments = m.args().map_err(|e| m.fail(e))?;
    if r.departments.iter().any(|d| d.is_leader) {
        // Tessera has no department leaders.
        return Err(m.fail(Error::InvalidParameter("isLeader")));
    }
    let core = m.core();
    let user = resolve_user(core, &m.admin, &r.user_id, r.options.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let wanted = r
        .departments
        .into_iter()
        .map(|d| (d.department_id, d.is_main_department))
        .collect();
    core.set_user_departments(&m.admin, &user.id, wanted)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

/// `getUserDepartments` for another family's route (`public_accounts.rs`).
pub(super) async fn user_departments(m: Mgmt) -> Reply {
    get_user_departments(m).await
}

/// `setUserDepartments` for another family's route (`public_accounts.rs`).
pub(super) async fn set_departments_of_user(m: Mgmt) -> Reply {
    set_user_departments(m).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_core::model::directory::{Node, NodeView};

    fn dep(id: &str, name: &str, code: Option<&str>, created: i64, joined: i64) -> UserDepartment {
        UserDepartment {
            node: NodeView {
                node: Node {
                    id: id.into(),
                    pool_id: "p".into(),
                    org_id: "o".into(),
                    parent_id: None,
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
                depth: None,
                path: vec![],
                code_path: vec![],
                name_path: vec![],
                children: vec![],
            },
            is_main: false,
            joined_at: joined,
        }
    }

    fn order(by: UserDepartmentSort, dir: Direction) -> Vec<String> {
        let mut deps = vec![
            dep("a", "Ops", Some("z"), 3, 10),
            dep("b", "Admin", None, 1, 30),
            dep("c", "Sales", Some("m"), 2, 20),
        ];
        sort_departments(&mut deps, by, dir);
        deps.into_iter().map(|d| d.node.node.id).collect()
    }

    #[test]
    fn sorts_a_users_departments_as_asked() {
        use Direction::{Asc, Desc};
        use UserDepartmentSort::*;
        assert_eq!(order(JoinDepartmentAt, Desc), ["b", "c", "a"]);
        assert_eq!(order(JoinDepartmentAt, Asc), ["a", "c", "b"]);
        assert_eq!(order(DepartmentCreatedAt, Asc), ["b", "c", "a"]);
        assert_eq!(order(DepartmentName, Asc), ["b", "a", "c"]);
        // No code sorts before any code.
        assert_eq!(order(DepartmemtCode, Asc), ["b", "c", "a"]);
    }

    #[test]
    fn member_ids_are_unique_and_present() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            unique(&ids(&["u1", " u1", "u2"])).ok(),
            Some(ids(&["u1", "u2"]))
        );
        assert!(unique(&[]).is_err());
        assert!(unique(&ids(&["u1", " "])).is_err());
    }
}
