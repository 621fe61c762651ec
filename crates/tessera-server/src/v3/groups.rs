//! Groups (`v3-wire.md` §4 "Groups") and the Users family's `getUserGroups`, over the core
//! services v2's `mc.groups` uses (`directory`, `directory_admin`, `directory_batches`).
//!
//! Tessera's groups are static: members are added and removed by hand. A group of another
//! type (Authing's dynamic groups, whose members follow rules) is refused at creation.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::model::directory::{Group, TargetType};
use tessera_core::service::directory::NewGroup;
use tessera_core::service::directory_admin::GroupUpdate;
use tessera_core::service::directory_batches::NewGroupWithData;
use tessera_core::service::paging::{Page, Paged, MAX_PAGE_SIZE};
use tessera_core::{Entity, Error};

use super::call::Mgmt;
use super::directory_dto::{
    authorized_dto, flatten_custom_data, group_dto, paged, users_page, v3_handler,
    with_group_custom_data, WireResourceType, WithFlags,
};
use super::envelope::{ok, success, Failure};
use super::shapes::{resolve_user, users_dto, UserIdType, UserParts};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-group", get(get_group))
        .route("/api/v3/list-groups", get(list_groups))
        .route("/api/v3/get-all-groups", get(get_all_groups))
        .route("/api/v3/create-group", post(create_group))
        .route(
            "/api/v3/create-or-update-group",
            post(create_or_update_group),
        )
        .route("/api/v3/create-groups-batch", post(create_groups_batch))
        .route("/api/v3/update-group", post(update_group))
        .route("/api/v3/delete-groups-batch", post(delete_groups_batch))
        .route("/api/v3/add-group-members", post(add_group_members))
        .route("/api/v3/remove-group-members", post(remove_group_members))
        .route("/api/v3/list-group-members", get(list_group_members))
        .route(
            "/api/v3/get-group-authorized-resources",
            get(group_authorized_resources),
        )
        .route("/api/v3/get-user-groups", get(get_user_groups))
}

/// The custom values a request sets, as `(key, value)`; absent or `null` sets none.
fn custom_values(v: Option<Value>) -> Result<Vec<(String, Value)>, Error> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => Ok(map.into_iter().collect()),
        Some(_) => Err(Error::InvalidParameter("customData")),
    }
}

/// One group as `GroupDto`, with its custom data when asked for.
async fn one_group(m: &Mgmt, g: &Group, custom_data: bool) -> Result<Value, Failure> {
    let mut dtos = vec![group_dto(g, Vec::new())];
    if custom_data {
        with_group_custom_data(m.core(), m, std::slice::from_ref(g), &mut dtos).await?;
    }
    Ok(dtos.pop().unwrap_or(Value::Null))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetGroup {
    code: String,
    #[serde(default)]
    with_custom_data: bool,
}

v3_handler!(get_group(m) {
    let r: GetGroup = m.args()?;
    let g = m.core().group_required(&m.admin, &r.code).await?;
    Ok(ok(m.lang, one_group(&m, &g, r.with_custom_data).await?))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListGroups {
    keywords: Option<String>,
    page: Option<i64>,
    limit: Option<i64>,
    /// Metadata sources are the sync center's; Tessera's groups have none.
    #[serde(default)]
    #[allow(dead_code)]
    with_metadata: bool,
    #[serde(default)]
    with_custom_data: bool,
    #[serde(default)]
    flat_custom_data: bool,
}

v3_handler!(list_groups(m) {
    let r: ListGroups = m.args()?;
    let page = Page::new(r.page, r.limit)?;
    let found = m.core().search_groups(&m.admin, r.keywords.as_deref(), page).await?;
    let mut list: Vec<Value> = found.list.iter().map(|g| group_dto(g, Vec::new())).collect();
    if r.with_custom_data {
        with_group_custom_data(m.core(), &m, &found.list, &mut list).await?;
        if r.flat_custom_data {
            list.iter_mut().for_each(flatten_custom_data);
        }
    }
    Ok(ok(m.lang, paged(Paged { total_count: found.total_count, list })))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetAllGroups {
    #[serde(default)]
    fetch_members: bool,
    #[serde(default)]
    with_custom_data: bool,
}

v3_handler!(
    /// Every group of the pool, read page by page, with their members when asked for.
    get_all_groups(m) {
    let r: GetAllGroups = m.args()?;
    let core = m.core();
    let mut groups: Vec<Group> = Vec::new();
    for n in 1.. {
        let page = Page::new(Some(n), Some(MAX_PAGE_SIZE))?;
        let found = core.search_groups(&m.admin, None, page).await?;
        let done = found.list.len() < MAX_PAGE_SIZE as usize;
        groups.extend(found.list);
        if done {
            break;
        }
    }
    let mut list = Vec::with_capacity(groups.len());
    for g in &groups {
        let members = if r.fetch_members {
            let mut users = Vec::new();
            for n in 1.. {
                let page = Page::new(Some(n), Some(MAX_PAGE_SIZE))?;
                let found = core.group_users(&m.admin, &g.id, page).await?;
                let done = found.list.len() < MAX_PAGE_SIZE as usize;
                users.extend(found.list);
                if done {
                    break;
                }
            }
            users_dto(core, &m.admin, &users, UserParts::default()).await?
        } else {
            Vec::new()
        };
        list.push(group_dto(g, members));
    }
    if r.with_custom_data {
        with_group_custom_data(core, &m, &groups, &mut list).await?;
    }
    Ok(ok(m.lang, list))
});

/// `CreateGroupReqDto`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateGroup {
    #[serde(rename = "type")]
    kind: String,
    description: Option<String>,
    name: String,
    code: String,
    custom_data: Option<Value>,
}

/// Only static groups exist in Tessera.
fn static_kind(kind: &str) -> Result<(), Error> {
    if kind.trim().eq_ignore_ascii_case("static") {
        Ok(())
    } else {
        Err(Error::InvalidParameter("type"))
    }
}

impl CreateGroup {
    /// The group and its custom values, as the core's batch takes them.
    fn new_group(self) -> Result<NewGroupWithData, Error> {
        static_kind(&self.kind)?;
        Ok(NewGroupWithData {
            custom_data: custom_values(self.custom_data)?,
            group: NewGroup {
                code: self.code,
                name: self.name,
                description: self.description,
            },
        })
    }
}

/// Creates one group with its custom values (one unit of work: a bad value leaves no group).
async fn create_one(m: &Mgmt, r: CreateGroup) -> Result<Group, Failure> {
    let mut made = m
        .core()
        .create_groups(&m.admin, vec![r.new_group()?])
        .await?;
    made.pop()
        .ok_or(Failure::Core(Error::NotFound(Entity::Group)))
}

v3_handler!(create_group(m) {
    let r: CreateGroup = m.args()?;
    let with_data = r.custom_data.is_some();
    let g = create_one(&m, r).await?;
    Ok(ok(m.lang, one_group(&m, &g, with_data).await?))
});

v3_handler!(
    /// Creates the group, or changes the name and description of the group with this code.
    create_or_update_group(m) {
    let r: CreateGroup = m.args()?;
    let core = m.core();
    let (created, g) = match core.group_by_code(&m.admin, &r.code).await? {
        None => (true, create_one(&m, r).await?),
        Some(_) => {
            static_kind(&r.kind)?;
            let g = core
                .update_group(&m.admin, &r.code, GroupUpdate {
                    new_code: None,
                    name: Some(r.name),
                    description: r.description,
                })
                .await?;
            (false, g)
        }
    };
    Ok(ok(m.lang, json!({ "created": created, "data": group_dto(&g, Vec::new()) })))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateGroupsBatch {
    list: Vec<CreateGroup>,
}

v3_handler!(
    /// Creates every group, with its custom values, or none.
    create_groups_batch(m) {
    let r: CreateGroupsBatch = m.args()?;
    let with_data = r.list.iter().any(|g| g.custom_data.is_some());
    let list = r.list.into_iter().map(CreateGroup::new_group).collect::<Result<Vec<_>, _>>()?;
    let made = m.core().create_groups(&m.admin, list).await?;
    let mut dtos: Vec<Value> = made.iter().map(|g| group_dto(g, Vec::new())).collect();
    if with_data {
        with_group_custom_data(m.core(), &m, &made, &mut dtos).await?;
    }
    Ok(ok(m.lang, dtos))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateGroup {
    description: Option<String>,
    code: String,
    name: Option<String>,
    new_code: Option<String>,
    custom_data: Option<Value>,
}

v3_handler!(
    /// Changes the group and sets its custom values together (one unit of work).
    update_group(m) {
    let r: UpdateGroup = m.args()?;
    let values = custom_values(r.custom_data)?;
    let update = GroupUpdate { new_code: r.new_code, name: r.name, description: r.description };
    let g = m.core().update_group_with_data(&m.admin, &r.code, update, &values).await?;
    Ok(ok(m.lang, one_group(&m, &g, !values.is_empty()).await?))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodeList {
    code_list: Vec<String>,
}

v3_handler!(delete_groups_batch(m) {
    let r: CodeList = m.args()?;
    m.core().delete_groups(&m.admin, &r.code_list).await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupMembers {
    user_ids: Vec<String>,
    code: String,
}

v3_handler!(add_group_members(m) {
    let r: GroupMembers = m.args()?;
    let core = m.core();
    let g = core.group_required(&m.admin, &r.code).await?;
    core.add_group_members(m.admin.pool_id(), &g.id, &r.user_ids).await?;
    Ok(success(m.lang))
});

v3_handler!(remove_group_members(m) {
    let r: GroupMembers = m.args()?;
    let core = m.core();
    let g = core.group_required(&m.admin, &r.code).await?;
    core.remove_group_members(&m.admin, &g.id, &r.user_ids).await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListGroupMembers {
    code: String,
    page: Option<i64>,
    limit: Option<i64>,
    #[serde(flatten)]
    with: WithFlags,
}

v3_handler!(list_group_members(m) {
    let r: ListGroupMembers = m.args()?;
    let page = Page::new(r.page, r.limit)?;
    let core = m.core();
    let g = core.group_required(&m.admin, &r.code).await?;
    let found = core.group_users(&m.admin, &g.id, page).await?;
    Ok(ok(m.lang, users_page(&m, found, r.with.parts()).await?))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroupResources {
    code: String,
    namespace: Option<String>,
    resource_type: Option<WireResourceType>,
}

v3_handler!(
    /// What the group may do: its own grants and those of its roles (the one resolver).
    group_authorized_resources(m) {
    let r: GroupResources = m.args()?;
    let core = m.core();
    let g = core.group_required(&m.admin, &r.code).await?;
    let ns = r.namespace.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let list = core
        .target_resources(&m.admin, TargetType::Group, &g.id, ns, r.resource_type.map(|t| t.core()))
        .await?;
    Ok(ok(m.lang, list.iter().map(authorized_dto).collect::<Vec<_>>()))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserGroups {
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
}

v3_handler!(get_user_groups(m) {
    let r: UserGroups = m.args()?;
    let core = m.core();
    let u = resolve_user(core, &m.admin, &r.user_id, r.user_id_type).await?;
    let groups = core.user_groups(m.admin.pool_id(), &u.id).await?;
    let list: Vec<Value> = groups.iter().map(|g| group_dto(g, Vec::new())).collect();
    Ok(ok(m.lang, paged(Paged { total_count: list.len() as i64, list })))
});

/// `getUserGroups` for another family's route (a public account's groups, `public_accounts.rs`).
pub(super) async fn user_groups(m: crate::v3::call::Mgmt) -> crate::v3::envelope::Reply {
    get_user_groups(m).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_static_groups_exist() {
        assert!(static_kind("static").is_ok());
        assert!(static_kind(" STATIC ").is_ok());
        assert!(matches!(
            static_kind("dynamic"),
            Err(Error::InvalidParameter("type"))
        ));
        assert!(static_kind("").is_err());
    }

    #[test]
    fn custom_data_is_an_object_or_nothing() {
        assert!(custom_values(None).unwrap().is_empty());
        assert!(custom_values(Some(Value::Null)).unwrap().is_empty());
        assert_eq!(
            custom_values(Some(json!({ "a": 1, "b": "x" }))).unwrap(),
            [("a".to_owned(), json!(1)), ("b".to_owned(), json!("x"))]
        );
        assert!(custom_values(Some(json!("a=1"))).is_err());
        assert!(custom_values(Some(json!([1]))).is_err());
    }
}
