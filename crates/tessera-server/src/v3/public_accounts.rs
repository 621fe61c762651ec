//! Public (shared) accounts (`v3-wire.md` §4 "Public (shared) accounts"): `mc.listPublicAccounts`,
//! `createPublicAccount`, `bindUsersPublicAccount`, … A public account is a user, so these
//! handlers read their requests with the user handlers' structs (this is a child module of
//! `users.rs`) and call the core's public-account services (`service/public_accounts.rs`),
//! which keep every user rule; membership calls delegate to the directory handlers once the
//! user is known to be a public account.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{Map, Value};
use tessera_core::service::paging::{Page, Paged};
use tessera_core::store::users::{UserKey, UserQuery};
use tessera_core::Error;

use super::super::call::Mgmt;
use super::super::envelope::{ok, success, Reply, V3Error};
use super::super::shapes::{resolve_user, user_dto, users_dto, UserIdType, UserParts};
use super::{
    create_batch_of, create_one, delete_batch_of, list_matching, one_user, paged, update_one,
    GetUser, GetUserBatch, UpdateOptions, MAX_PUBLIC_BATCH,
};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/list-public-accounts", post(list))
        .route("/api/v3/get-public-account", get(get_one))
        .route("/api/v3/get-public-account-batch", get(get_batch))
        .route("/api/v3/create-public-account", post(create))
        .route("/api/v3/create-public-accounts-batch", post(create_batch))
        .route("/api/v3/update-public-account", post(update))
        .route("/api/v3/update-public-account-batch", post(update_batch))
        .route("/api/v3/delete-public-accounts-batch", post(delete_batch))
        .route("/api/v3/kick-public-accounts", post(kick))
        .route("/api/v3/transfer-into-public-account", post(change_into))
        .route("/api/v3/get-public-accounts-of-user", get(accounts_of_user))
        .route("/api/v3/get-users-of-public-account", get(users_of_account))
        .route("/api/v3/set-public-account-of-users", post(bind_users))
        .route("/api/v3/set-user-of-public-accounts", post(bind_accounts))
        .route("/api/v3/unbind-public-account-of-user", post(unbind))
        .route("/api/v3/get-roles-of-public-account", get(roles_of))
        .route("/api/v3/get-groups-of-public-account", get(groups_of))
        .route(
            "/api/v3/get-departments-of-public-account",
            get(departments_of),
        )
        .route(
            "/api/v3/set-public-account-of-departments",
            post(set_departments),
        )
        .route(
            "/api/v3/get-public-accounts-of-department",
            get(accounts_of_department),
        )
        .route("/api/v3/get-public-accounts-of-role", get(accounts_of_role))
        .route(
            "/api/v3/get-public-accounts-of-group",
            get(accounts_of_group),
        )
        .route("/api/v3/get-post-of-public-account", get(post_of))
        .route("/api/v3/set-public-account-of-post", post(set_post))
        .route("/api/v3/set-public-account-of-roles", post(set_roles))
        .route("/api/v3/set-public-account-of-groups", post(add_to_groups))
        .route("/api/v3/get-public-accounts-of-post", get(accounts_of_post))
        .route("/api/v3/unbind-public-account-of-post", post(unbind_post))
        .route("/api/v3/resign-public-account-batch", post(resign_batch))
}

/// The parts a public account's DTO carries by default (`PublicAccountDto` declares
/// `customData` and `departmentIds`).
fn parts(custom_data: bool, department_ids: bool) -> UserParts {
    UserParts {
        custom_data,
        identities: false,
        department_ids,
        posts: false,
    }
}

async fn list(m: Mgmt) -> Reply {
    list_matching(m, true).await
}

/// The public account a parameter names (by `userIdType`), or the failure to answer.
async fn account_of(
    m: &Mgmt,
    id: &str,
    ty: UserIdType,
) -> Result<tessera_core::model::User, V3Error> {
    let core = m.core();
    let u = resolve_user(core, &m.admin, id, ty)
        .await
        .map_err(|e| m.fail(e))?;
    core.public_account(&m.admin, &u.id)
        .await
        .map_err(|e| m.fail(e))
}

async fn get_one(m: Mgmt) -> Reply {
    let r: GetUser = m.args().map_err(|e| m.fail(e))?;
    let u = account_of(&m, &r.user_id, r.user_id_type).await?;
    let parts = r.with.parts();
    one_user(&m, u, parts).await
}

async fn get_batch(m: Mgmt) -> Reply {
    let r: GetUserBatch = m.args().map_err(|e| m.fail(e))?;
    let key = match r.user_id_type {
        UserIdType::UserId => UserKey::Id,
        UserIdType::ExternalId => UserKey::ExternalId,
        UserIdType::Phone => UserKey::Phone,
        UserIdType::Email => UserKey::Email,
        UserIdType::Username => UserKey::Username,
        _ => return Err(m.fail(Error::InvalidParameter("userIdType"))),
    };
    let users = m
        .core()
        .public_accounts_by_key(&m.admin, key, &r.user_ids)
        .await
        .map_err(|e| m.fail(e))?;
    let list = users_dto(m.core(), &m.admin, &users, r.with.parts())
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, list))
}

async fn create(m: Mgmt) -> Reply {
    create_one(m, true).await
}

async fn create_batch(m: Mgmt) -> Reply {
    create_batch_of(m, true).await
}

fn update_options(m: &Mgmt, a: &Map<String, Value>) -> Result<UpdateOptions, V3Error> {
    match a.get("options") {
        None | Some(Value::Null) => Ok(UpdateOptions::default()),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| m.fail(super::super::params::ParamError::Shape(e.to_string()))),
    }
}

/// An update item's account: it must be a public account before anything is written.
async fn check_item(
    m: &Mgmt,
    item: &Map<String, Value>,
    opts: &UpdateOptions,
) -> Result<(), V3Error> {
    let id = item
        .get("userId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| m.fail(Error::MissingParameter("userId")))?;
    account_of(m, id, opts.user_id_type).await.map(drop)
}

async fn update(m: Mgmt) -> Reply {
    let opts = update_options(&m, m.raw_args())?;
    check_item(&m, m.raw_args(), &opts).await?;
    let user = update_one(&m, m.raw_args(), &opts)
        .await
        .map_err(|e| m.fail(e))?;
    one_user(&m, user, parts(true, false)).await
}

async fn update_batch(m: Mgmt) -> Reply {
    let a = m.raw_args();
    let opts = update_options(&m, a)?;
    let Some(Value::Array(list)) = a.get("list") else {
        return Err(m.fail(Error::MissingParameter("list")));
    };
    if list.len() > MAX_PUBLIC_BATCH {
        return Err(m.fail(Error::TooManyUsers));
    }
    let mut items = Vec::with_capacity(list.len());
    for v in list {
        let Value::Object(o) = v else {
            return Err(m.fail(Error::InvalidParameter("list")));
        };
        // Every item names a public account, or none is updated.
        check_item(&m, o, &opts).await?;
        items.push(o);
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(user_dto(
            &update_one(&m, item, &opts).await.map_err(|e| m.fail(e))?,
        ));
    }
    Ok(ok(m.lang, out))
}

async fn delete_batch(m: Mgmt) -> Reply {
    delete_batch_of(m, true).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Kick {
    user_id: String,
    app_ids: Vec<String>,
    #[serde(default)]
    options: super::DeleteOptions,
}

/// `kickPublicAccounts`: as `kickUsers`, every session of the account ends whichever
/// applications are named (sessions are per user in Tessera).
async fn kick(m: Mgmt) -> Reply {
    let r: Kick = m.args().map_err(|e| m.fail(e))?;
    if r.app_ids.is_empty() {
        return Err(m.fail(Error::MissingParameter("appIds")));
    }
    let u = account_of(&m, &r.user_id, r.options.user_id_type).await?;
    m.core()
        .kick_public_account(&m.admin, &u.id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserIdOnly {
    user_id: String,
}

async fn change_into(m: Mgmt) -> Reply {
    let r: UserIdOnly = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .change_into_public_account(&m.admin, &r.user_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OfUser {
    user_id: String,
    page: Option<i64>,
    limit: Option<i64>,
}

/// A page of bound users. The SDK sends no page: its default is the largest page, so the
/// call answers every binding of an ordinary account at once.
fn binding_page(page: Option<i64>, limit: Option<i64>) -> Result<Page, Error> {
    Page::new(
        page,
        Some(limit.unwrap_or(tessera_core::service::paging::MAX_PAGE_SIZE)),
    )
}

async fn page_dto(m: &Mgmt, p: Paged<tessera_core::model::User>) -> Reply {
    let list = users_dto(m.core(), &m.admin, &p.list, parts(false, false))
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

async fn accounts_of_user(m: Mgmt) -> Reply {
    let r: OfUser = m.args().map_err(|e| m.fail(e))?;
    let page = binding_page(r.page, r.limit).map_err(|e| m.fail(e))?;
    let p = m
        .core()
        .public_accounts_of_user(&m.admin, &r.user_id, page)
        .await
        .map_err(|e| m.fail(e))?;
    page_dto(&m, p).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OfAccount {
    public_account_id: String,
    page: Option<i64>,
    limit: Option<i64>,
}

async fn users_of_account(m: Mgmt) -> Reply {
    let r: OfAccount = m.args().map_err(|e| m.fail(e))?;
    let page = binding_page(r.page, r.limit).map_err(|e| m.fail(e))?;
    let p = m
        .core()
        .users_of_public_account(&m.admin, &r.public_account_id, page)
        .await
        .map_err(|e| m.fail(e))?;
    page_dto(&m, p).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BindUsers {
    public_account_id: String,
    user_ids: Vec<String>,
}

async fn bind_users(m: Mgmt) -> Reply {
    let r: BindUsers = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .bind_users_to_public_account(&m.admin, &r.public_account_id, &r.user_ids)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BindAccounts {
    user_id: String,
    public_account_ids: Vec<String>,
}

async fn bind_accounts(m: Mgmt) -> Reply {
    let r: BindAccounts = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .bind_user_to_public_accounts(&m.admin, &r.user_id, &r.public_account_ids)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Unbind {
    user_id: String,
    public_account_id: String,
}

async fn unbind(m: Mgmt) -> Reply {
    let r: Unbind = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .unbind_user_from_public_account(&m.admin, &r.public_account_id, &r.user_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

// --- memberships: the directory's handlers, once the user is a public account -------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Named {
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
    #[serde(default)]
    options: Option<NamedOptions>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct NamedOptions {
    #[serde(default)]
    user_id_type: Option<UserIdType>,
}

/// Refuses the call unless its `userId` (by `userIdType`, top level or in `options`) names a
/// public account.
async fn require_account(m: &Mgmt) -> Result<(), V3Error> {
    let n: Named = serde_json::from_value(Value::Object(m.raw_args().clone()))
        .map_err(|e| m.fail(super::super::params::ParamError::Shape(e.to_string())))?;
    let ty = n
        .options
        .and_then(|o| o.user_id_type)
        .unwrap_or(n.user_id_type);
    account_of(m, &n.user_id, ty).await.map(drop)
}

async fn roles_of(m: Mgmt) -> Reply {
    require_account(&m).await?;
    super::super::roles::user_roles(m).await
}

async fn groups_of(m: Mgmt) -> Reply {
    require_account(&m).await?;
    super::super::groups::user_groups(m).await
}

async fn departments_of(m: Mgmt) -> Reply {
    require_account(&m).await?;
    super::super::org_members::user_departments(m).await
}

async fn post_of(m: Mgmt) -> Reply {
    require_account(&m).await?;
    super::super::posts::first_post_of_user(m).await
}

async fn set_post(m: Mgmt) -> Reply {
    require_account(&m).await?;
    super::super::posts::connect_user_to_post(m).await
}

async fn set_departments(m: Mgmt) -> Reply {
    require_account(&m).await?;
    super::super::org_members::set_departments_of_user(m).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OfDepartment {
    department_id: String,
    page: Option<i64>,
    limit: Option<i64>,
}

async fn accounts_of_department(m: Mgmt) -> Reply {
    let r: OfDepartment = m.args().map_err(|e| m.fail(e))?;
    let core = m.core();
    core.node_required(&m.admin, &r.department_id)
        .await
        .map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let q = UserQuery {
        node_ids: vec![r.department_id],
        ..UserQuery::default()
    };
    let p = core
        .list_public_accounts(&m.admin, &q, page)
        .await
        .map_err(|e| m.fail(e))?;
    page_dto(&m, p).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OfRole {
    role_id: String,
    page: Option<i64>,
    limit: Option<i64>,
}

async fn accounts_of_role(m: Mgmt) -> Reply {
    let r: OfRole = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let p = m
        .core()
        .public_accounts_of_role(&m.admin, &r.role_id, page)
        .await
        .map_err(|e| m.fail(e))?;
    page_dto(&m, p).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OfGroup {
    group_id: String,
    page: Option<i64>,
    limit: Option<i64>,
}

async fn accounts_of_group(m: Mgmt) -> Reply {
    let r: OfGroup = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let p = m
        .core()
        .public_accounts_of_group(&m.admin, &r.group_id, page)
        .await
        .map_err(|e| m.fail(e))?;
    page_dto(&m, p).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetRoles {
    user_id: String,
    role_ids: Vec<String>,
}

async fn set_roles(m: Mgmt) -> Reply {
    let r: SetRoles = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .assign_roles_to_public_account(&m.admin, &r.user_id, &r.role_ids)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResignAccounts {
    user_ids: Vec<String>,
    #[serde(default)]
    user_id_type: UserIdType,
}

/// `resignPublicAccountBatch`: `resignUserBatch` for public accounts only. Every id is
/// checked to be a public account before any is archived; the check cannot go stale, since
/// nothing turns a public account back into a personal user.
async fn resign_batch(m: Mgmt) -> Reply {
    let r: ResignAccounts = m.args().map_err(|e| m.fail(e))?;
    if r.user_ids.is_empty() {
        return Err(m.fail(Error::MissingParameter("userIds")));
    }
    let mut ids = Vec::with_capacity(r.user_ids.len());
    for id in &r.user_ids {
        ids.push(account_of(&m, id, r.user_id_type).await?.id);
    }
    m.core()
        .archive_users(&m.admin, &ids)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, serde_json::json!({ "success": true })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetGroups {
    user_id: String,
    group_ids: Vec<String>,
}

/// `getPublicAccountOfGroups` (its path says what it does: `set-public-account-of-groups`,
/// "公共账号添加批量分组"): adds the account to the groups, all or none.
async fn add_to_groups(m: Mgmt) -> Reply {
    let r: SetGroups = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .add_public_account_to_groups(&m.admin, &r.user_id, &r.group_ids)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OfPost {
    post_id: String,
    page: Option<i64>,
    limit: Option<i64>,
}

/// `getPublicAccountsOfPost`: the SDK sends only `postId`, so the default page is the
/// largest one (as for the binding lists).
async fn accounts_of_post(m: Mgmt) -> Reply {
    let r: OfPost = m.args().map_err(|e| m.fail(e))?;
    let page = binding_page(r.page, r.limit).map_err(|e| m.fail(e))?;
    let p = m
        .core()
        .public_accounts_of_post(&m.admin, &r.post_id, page)
        .await
        .map_err(|e| m.fail(e))?;
    page_dto(&m, p).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UnbindPost {
    user_id: String,
    post_id: String,
}

/// `unbindPublicAccountOfPost`: removes one post from the account, keeping its others.
async fn unbind_post(m: Mgmt) -> Reply {
    let r: UnbindPost = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .unlink_public_account_post(&m.admin, &r.user_id, &r.post_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}
