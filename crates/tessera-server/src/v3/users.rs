//! Users (`v3-wire.md` §4 "Users"): `mc.listUsers`, `getUser`, `createUser`, … over the core
//! services the v2 ManagementClient uses (`user_admin`, `account`, `directory`).

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::tenant::MfaType;
use tessera_core::model::{User, UserMfaRule};
use tessera_core::service::paging::{Page, Paged};
use tessera_core::service::udf::UdfTarget;
use tessera_core::service::user_admin::{AdminCreate, NewIdentity};
use tessera_core::service::users::NewUser;
use tessera_core::store::users::LoginEventQuery;
use tessera_core::store::users::{SearchField, UserKey, UserQuery};
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{ok, success, Failure, Reply};
use super::shapes::{resolve_user, user_dto, users_dto, UserIdType, UserParts, WithFlags};
use crate::authing::profile::ProfileInput;
use crate::AppState;

// Public accounts are users: their handlers read and shape them with this module's own
// request structs and helpers, as a child module may.
#[path = "public_accounts.rs"]
mod public_accounts;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(public_accounts::routes())
        .route(
            "/api/v3/list-users",
            post(list_users).get(list_users_legacy),
        )
        .route("/api/v3/get-user", get(get_user))
        .route("/api/v3/users/field/decrypt", post(user_field_decrypt))
        .route(
            "/api/v3/get-user-password-ciphertext",
            post(get_user_password_ciphertext),
        )
        .route(
            "/api/v3/batch-get-user-encrypt-password",
            post(get_user_encrypt_password_batch),
        )
        .route("/api/v3/get-user-batch", get(get_user_batch))
        .route("/api/v3/create-user", post(create_user))
        .route("/api/v3/create-users-batch", post(create_users_batch))
        .route("/api/v3/update-user", post(update_user))
        .route("/api/v3/update-user-batch", post(update_user_batch))
        .route("/api/v3/delete-users-batch", post(delete_users_batch))
        .route("/api/v3/is-user-exists", post(is_user_exists))
        .route("/api/v3/get-user-identities", get(get_user_identities))
        .route("/api/v3/list-archived-users", get(list_archived_users))
        .route("/api/v3/kick-users", post(kick_users))
        .route("/api/v3/resign-user", post(resign_user))
        .route("/api/v3/resign-user-batch", post(resign_user_batch))
        .route("/api/v3/get-user-login-history", get(login_history))
        .route("/api/v3/get-user-mfa-info", get(mfa_info))
        .route("/api/v3/get-mfa-status", get(mfa_status))
        .route("/api/v3/set-mfa-status", post(set_mfa_status))
        .route("/api/v3/import-otp", post(import_otp))
        .route("/api/v3/get-otp-secret-by-user", get(otp_secret))
}

fn paged(p: Paged<Value>) -> Value {
    json!({ "totalCount": p.total_count, "list": p.list })
}

// --- lists ---------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    page: Option<i64>,
    limit: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListOptions {
    #[serde(default)]
    pagination: Pagination,
    #[serde(default)]
    fuzzy_search_on: Vec<String>,
    #[serde(flatten)]
    with: WithFlags,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FilterItem {
    field: String,
    operator: String,
    #[serde(default)]
    value: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListUsersRequest {
    keywords: Option<String>,
    /// Seed 003's quick-start passes `{page, limit}` at the top level rather than in
    /// `options.pagination`; either is read, `options` first.
    page: Option<i64>,
    limit: Option<i64>,
    #[serde(default)]
    advanced_filter: Vec<FilterItem>,
    #[serde(default)]
    options: ListOptions,
}

fn search_field(name: &str) -> Result<Option<SearchField>, Error> {
    Ok(Some(match name {
        "username" => SearchField::Username,
        "email" => SearchField::Email,
        "phone" => SearchField::Phone,
        "nickname" => SearchField::Nickname,
        "name" => SearchField::Name,
        "externalId" => SearchField::ExternalId,
        // The user id is matched whole by `get-user`; a keyword never finds by it.
        "id" => return Ok(None),
        _ => return Err(Error::InvalidParameter("options.fuzzySearchOn")),
    }))
}

/// The strings of a filter value: one string or a list of strings.
fn filter_values(v: &Value) -> Result<Vec<String>, Error> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .ok_or(Error::InvalidParameter("advancedFilter.value"))
            })
            .collect(),
        _ => Err(Error::InvalidParameter("advancedFilter.value")),
    }
}

/// `advancedFilter` items the core's user query can answer: membership of departments,
/// groups and roles. Any other field is refused rather than ignored, so a filter never
/// silently widens to the whole pool.
fn apply_filter(q: &mut UserQuery, f: &FilterItem) -> Result<(), Error> {
    if !matches!(f.operator.as_str(), "EQUAL" | "IN" | "CONTAINS") {
        return Err(Error::InvalidParameter("advancedFilter.operator"));
    }
    let values = filter_values(&f.value)?;
    match f.field.as_str() {
        "department" => q.node_ids.extend(values),
        "group" => q.group_codes.extend(values),
        "role" => q
            .roles
            .extend(values.into_iter().map(|code| match code.split_once(':') {
                Some((ns, c)) => (ns.to_owned(), c.to_owned()),
                None => ("default".to_owned(), code),
            })),
        _ => return Err(Error::InvalidParameter("advancedFilter.field")),
    }
    Ok(())
}

async fn page_of_users(m: &Mgmt, q: &UserQuery, page: Page, parts: UserParts) -> Reply {
    let core = m.core();
    let p = core
        .query_users(&m.admin, q, page)
        .await
        .map_err(|e| m.fail(e))?;
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

async fn list_users(m: Mgmt) -> Reply {
    list_matching(m, false).await
}

/// `listUsers`, or with `public_accounts_only` `listPublicAccounts`, whose request is the
/// same (`public_accounts.rs`).
async fn list_matching(m: Mgmt, public_accounts_only: bool) -> Reply {
    let r: ListUsersRequest = m.args().map_err(|e| m.fail(e))?;
    let mut q = UserQuery {
        keyword: r.keywords.filter(|k| !k.trim().is_empty()),
        public_accounts_only,
        ..UserQuery::default()
    };
    for name in &r.options.fuzzy_search_on {
        if let Some(f) = search_field(name).map_err(|e| m.fail(e))? {
            q.fields.push(f);
        }
    }
    for f in &r.advanced_filter {
        apply_filter(&mut q, f).map_err(|e| m.fail(e))?;
    }
    let o = &r.options;
    let page = Page::new(o.pagination.page.or(r.page), o.pagination.limit.or(r.limit))
        .map_err(|e| m.fail(e))?;
    let parts = o.with.parts();
    page_of_users(&m, &q, page, parts).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyList {
    page: Option<i64>,
    limit: Option<i64>,
    #[serde(flatten)]
    with: WithFlags,
}

async fn list_users_legacy(m: Mgmt) -> Reply {
    let r: LegacyList = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let parts = r.with.parts();
    page_of_users(&m, &UserQuery::default(), page, parts).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArchivedList {
    page: Option<i64>,
    limit: Option<i64>,
}

async fn list_archived_users(m: Mgmt) -> Reply {
    let r: ArchivedList = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let q = UserQuery {
        archived: true,
        ..UserQuery::default()
    };
    let p = m
        .core()
        .query_users(&m.admin, &q, page)
        .await
        .map_err(|e| m.fail(e))?;
    let list = p
        .list
        .iter()
        .map(|u| json!({ "userId": u.id, "archivedAt": iso8601(u.updated_at) }))
        .collect();
    Ok(ok(
        m.lang,
        paged(Paged {
            total_count: p.total_count,
            list,
        }),
    ))
}

// --- one user ------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetUser {
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
    #[serde(flatten)]
    with: WithFlags,
}

async fn one_user(m: &Mgmt, u: User, parts: UserParts) -> Reply {
    let mut list = users_dto(m.core(), &m.admin, std::slice::from_ref(&u), parts)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, list.pop().unwrap_or(Value::Null)))
}

async fn get_user(m: Mgmt) -> Reply {
    let r: GetUser = m.args().map_err(|e| m.fail(e))?;
    let u = resolve_user(m.core(), &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let parts = r.with.parts();
    one_user(&m, u, parts).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetUserBatch {
    user_ids: Vec<String>,
    #[serde(default)]
    user_id_type: UserIdType,
    #[serde(flatten)]
    with: WithFlags,
}

async fn get_user_batch(m: Mgmt) -> Reply {
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
        .users_by_key(&m.admin, key, &r.user_ids)
        .await
        .map_err(|e| m.fail(e))?;
    let parts = r.with.parts();
    let list = users_dto(m.core(), &m.admin, &users, parts)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, list))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserRef {
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
}

async fn get_user_identities(m: Mgmt) -> Reply {
    let r: UserRef = m.args().map_err(|e| m.fail(e))?;
    let core = m.core();
    let u = resolve_user(core, &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let ids = super::shapes::identities_dto(core, &m.admin.id, &u.id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, ids))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IsUserExists {
    username: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    external_id: Option<String>,
}

/// `isUserExists`: the same check as the v2 `isUserExists` (`Core::user_exists`).
async fn is_user_exists(m: Mgmt) -> Reply {
    let r: IsUserExists = m.args().map_err(|e| m.fail(e))?;
    let exists = m
        .core()
        .user_exists(
            m.admin.pool(),
            r.username.as_deref(),
            r.email.as_deref(),
            r.phone.as_deref(),
            r.external_id.as_deref(),
        )
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, json!({ "exists": exists })))
}

// --- create / update / delete ----------------------------------------------------------------

/// `PwdEnc`: how a password in the request is protected in transit (one reading for the
/// management and the authentication APIs).
use super::auth::password::Encryption as PasswordEncryption;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CreateOptions {
    #[serde(default)]
    keep_password: bool,
    #[serde(default)]
    reset_password_on_first_login: bool,
    #[serde(default)]
    password_encrypt_type: PasswordEncryption,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateIdentity {
    ext_idp_id: Option<String>,
    provider: String,
    user_id_in_idp: String,
    access_token: Option<String>,
    refresh_token: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// `CreateUserInfoDto` (the create and batch-create item).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateUserInfo {
    status: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    phone_country_code: Option<String>,
    username: Option<String>,
    external_id: Option<String>,
    email_verified: Option<bool>,
    #[serde(default)]
    phone_verified: bool,
    password: Option<String>,
    #[serde(default)]
    custom_data: Option<Map<String, Value>>,
    #[serde(default)]
    identities: Vec<CreateIdentity>,
    #[serde(default)]
    department_ids: Vec<String>,
    #[serde(default)]
    tenant_ids: Vec<String>,
    #[serde(flatten)]
    profile: ProfileInput,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateUser {
    #[serde(flatten)]
    info: CreateUserInfo,
    #[serde(default)]
    options: CreateOptions,
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty())
}

/// A password as sent: plain, or encrypted with the deployment's RSA or SM2 key.
async fn password_of(
    m: &Mgmt,
    pw: Option<String>,
    enc: PasswordEncryption,
) -> Result<Option<String>, Failure> {
    let Some(pw) = nonempty(pw) else {
        return Ok(None);
    };
    let ip = m.facts.client_ip.map(|i| i.to_string());
    Ok(Some(
        super::auth::password::to_set(m.core(), enc, &pw, ip.as_deref()).await?,
    ))
}

/// The core's new user from a `CreateUserInfoDto`, and what goes with it.
async fn new_user(
    m: &Mgmt,
    info: CreateUserInfo,
    opts: &CreateOptions,
) -> Result<(NewUser, AdminCreate, Map<String, Value>, Vec<String>), Failure> {
    if !info.tenant_ids.is_empty() {
        // Tenants are joined through the tenant member API; a create that names them would
        // otherwise claim a membership it did not make.
        return Err(Error::InvalidParameter("tenantIds").into());
    }
    if info.identities.len() > 1 {
        return Err(Error::InvalidParameter("identities").into());
    }
    let blocked = match info.status.as_deref() {
        None | Some("Activated") => false,
        Some("Suspended") => true,
        Some(_) => return Err(Error::InvalidParameter("status").into()),
    };
    let password = password_of(m, info.password, opts.password_encrypt_type).await?;
    let identity = info.identities.into_iter().next().map(|i| NewIdentity {
        provider: i.provider,
        user_id_in_idp: i.user_id_in_idp,
        openid: None,
        is_social: i.kind.as_deref() != Some("enterprise"),
        connection_id: i.ext_idp_id,
        access_token: i.access_token,
        refresh_token: i.refresh_token,
    });
    let new = NewUser {
        username: nonempty(info.username),
        email: nonempty(info.email),
        phone: nonempty(info.phone),
        phone_country_code: nonempty(info.phone_country_code),
        password,
        password_hash: None,
        external_id: nonempty(info.external_id),
        email_verified: info.email_verified,
        phone_verified: info.phone_verified,
        register_source: vec!["adminCreated".to_owned()],
        profile: info.profile.into(),
        primary_user_id: None,
        reset_password_on_next_login: opts.reset_password_on_first_login,
    };
    let admin = AdminCreate {
        keep_password: opts.keep_password,
        blocked,
        identity,
        ..AdminCreate::default()
    };
    Ok((
        new,
        admin,
        info.custom_data.unwrap_or_default(),
        info.department_ids,
    ))
}

async fn create_user(m: Mgmt) -> Reply {
    create_one(m, false).await
}

/// `createUser`, and `createPublicAccount` (`public`): the same body and the same steps,
/// the account made a public one by the core.
async fn create_one(m: Mgmt, public: bool) -> Reply {
    let r: CreateUser = m.args().map_err(|e| m.fail(e))?;
    let core = m.core();
    let (new, opts, custom, departments) = new_user(&m, r.info, &r.options)
        .await
        .map_err(|e| m.fail(e))?;
    let with_departments = !departments.is_empty();
    // The user, its custom data and its departments are one unit of work of the core.
    let opts = AdminCreate {
        custom_data: custom.into_iter().collect(),
        departments,
        ..opts
    };
    let user = if public {
        core.create_public_account(&m.admin, new, opts).await
    } else {
        core.admin_create_user(&m.admin, new, opts).await
    }
    .map_err(|e| m.fail(e))?;
    let parts = UserParts {
        custom_data: true,
        identities: false,
        department_ids: with_departments,
        posts: false,
    };
    one_user(&m, user, parts).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateUsersBatch {
    list: Vec<CreateUserInfo>,
    #[serde(default)]
    options: CreateOptions,
}

/// Most users one batch creates: Authing's batch limit for user lookups, kept for creation
/// so one call stays one short transaction.
const MAX_CREATE_BATCH: usize = 80;

async fn create_users_batch(m: Mgmt) -> Reply {
    create_batch_of(m, false).await
}

/// The wire's `maxItems` for a batch of public accounts.
const MAX_PUBLIC_BATCH: usize = 50;

/// `createUsersBatch`, and `createPublicAccountsBatch` (`public`): users only, in one
/// transaction of the core.
async fn create_batch_of(m: Mgmt, public: bool) -> Reply {
    let r: CreateUsersBatch = m.args().map_err(|e| m.fail(e))?;
    if r.list.is_empty() {
        return Err(m.fail(Error::MissingParameter("list")));
    }
    let max = if public {
        MAX_PUBLIC_BATCH.min(MAX_CREATE_BATCH)
    } else {
        MAX_CREATE_BATCH
    };
    if r.list.len() > max {
        return Err(m.fail(Error::TooManyUsers));
    }
    if r.options.keep_password {
        return Err(m.fail(Error::InvalidParameter("options.keepPassword")));
    }
    let mut news = Vec::with_capacity(r.list.len());
    for info in r.list {
        let (new, opts, custom, departments) = new_user(&m, info, &r.options)
            .await
            .map_err(|e| m.fail(e))?;
        // One transaction writes users only: the extras of a single create are refused
        // rather than half-applied.
        if !custom.is_empty() {
            return Err(m.fail(Error::InvalidParameter("list.customData")));
        }
        if !departments.is_empty() {
            return Err(m.fail(Error::InvalidParameter("list.departmentIds")));
        }
        if opts.identity.is_some() {
            return Err(m.fail(Error::InvalidParameter("list.identities")));
        }
        if opts.blocked {
            return Err(m.fail(Error::InvalidParameter("list.status")));
        }
        news.push(new);
    }
    let core = m.core();
    let users = if public {
        core.create_public_accounts(&m.admin, news).await
    } else {
        core.import_users(m.admin.pool(), news).await
    }
    .map_err(|e| m.fail(e))?;
    let list: Vec<Value> = users.iter().map(user_dto).collect();
    Ok(ok(m.lang, list))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct UpdateOptions {
    #[serde(default)]
    user_id_type: UserIdType,
    #[serde(default)]
    reset_password_on_next_login: Option<bool>,
    #[serde(default)]
    password_encrypt_type: PasswordEncryption,
}

/// The `UpdateUserReqDto` members the core's admin update reads, by their shared names.
const UPDATABLE: &[&str] = &[
    "email",
    "phone",
    "phoneCountryCode",
    "username",
    "externalId",
    "emailVerified",
    "phoneVerified",
    "nickname",
    "photo",
    "company",
    "name",
    "givenName",
    "familyName",
    "middleName",
    "profile",
    "preferredUsername",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "address",
    "formatted",
    "streetAddress",
    "locality",
    "region",
    "postalCode",
    "city",
    "province",
    "country",
    "browser",
    "device",
];

async fn update_one(
    m: &Mgmt,
    item: &Map<String, Value>,
    opts: &UpdateOptions,
) -> Result<User, Failure> {
    let user_id = item
        .get("userId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(Error::MissingParameter("userId"))?;
    let core = m.core();
    let user = resolve_user(core, &m.admin, user_id, opts.user_id_type).await?;
    let mut changes = Map::new();
    for key in UPDATABLE {
        if let Some(v) = item.get(*key) {
            changes.insert((*key).to_owned(), v.clone());
        }
    }
    match item.get("status") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s == "Suspended" => {
            changes.insert("blocked".into(), Value::Bool(true));
        }
        Some(Value::String(s)) if s == "Activated" => {
            changes.insert("blocked".into(), Value::Bool(false));
        }
        Some(_) => return Err(Error::InvalidParameter("status").into()),
    }
    let password = password_of(
        m,
        match item.get("password") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(Error::InvalidParameter("password").into()),
        },
        opts.password_encrypt_type,
    )
    .await?;
    let custom: Vec<(String, Value)> = match item.get("customData") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Object(o)) => o.clone().into_iter().collect(),
        Some(_) => return Err(Error::InvalidParameter("customData").into()),
    };
    core.validate_udf_values(&m.admin.id, UdfTarget::User, &custom)
        .await?;
    if let Some(reset) = opts.reset_password_on_next_login {
        changes.insert("resetPasswordOnNextLogin".into(), Value::Bool(reset));
    }
    let updated = core
        .admin_update_user(&m.admin, &user.id, &changes, password)
        .await?;
    if !custom.is_empty() {
        core.set_udf_values(&m.admin.id, UdfTarget::User, &user.id, &custom)
            .await?;
    }
    Ok(updated)
}

async fn update_user(m: Mgmt) -> Reply {
    let opts: UpdateOptions = match m.raw_args().get("options") {
        None | Some(Value::Null) => UpdateOptions::default(),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| m.fail(super::params::ParamError::Shape(e.to_string())))?,
    };
    let user = update_one(&m, m.raw_args(), &opts)
        .await
        .map_err(|e| m.fail(e))?;
    one_user(
        &m,
        user,
        UserParts {
            custom_data: true,
            ..UserParts::default()
        },
    )
    .await
}

async fn update_user_batch(m: Mgmt) -> Reply {
    let a = m.raw_args();
    let opts: UpdateOptions = match a.get("options") {
        None | Some(Value::Null) => UpdateOptions::default(),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| m.fail(super::params::ParamError::Shape(e.to_string())))?,
    };
    let Some(Value::Array(list)) = a.get("list") else {
        return Err(m.fail(Error::MissingParameter("list")));
    };
    if list.len() > MAX_CREATE_BATCH {
        return Err(m.fail(Error::TooManyUsers));
    }
    let mut items = Vec::with_capacity(list.len());
    for v in list {
        let Value::Object(o) = v else {
            return Err(m.fail(Error::InvalidParameter("list")));
        };
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteUsers {
    user_ids: Vec<String>,
    #[serde(default)]
    options: DeleteOptions,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DeleteOptions {
    #[serde(default)]
    user_id_type: UserIdType,
}

async fn delete_users_batch(m: Mgmt) -> Reply {
    delete_batch_of(m, false).await
}

/// `deleteUsersBatch`, and `deletePublicAccountsBatch` (`public`: every id must name a
/// public account, checked by the core).
async fn delete_batch_of(m: Mgmt, public: bool) -> Reply {
    let r: DeleteUsers = m.args().map_err(|e| m.fail(e))?;
    let mut ids = Vec::with_capacity(r.user_ids.len());
    for id in &r.user_ids {
        let u = resolve_user(m.core(), &m.admin, id, r.options.user_id_type)
            .await
            .map_err(|e| m.fail(e))?;
        ids.push(u.id);
    }
    let core = m.core();
    if public {
        core.delete_public_accounts(&m.admin, &ids).await
    } else {
        core.delete_users(&m.admin, &ids).await
    }
    .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KickUsers {
    user_id: String,
    #[serde(default)]
    app_ids: Vec<String>,
    #[serde(default)]
    options: DeleteOptions,
}

/// `kickUsers`: the user's sessions end. Tessera's sessions are per user, not per app: a
/// kick from any app ends them all, which is the safe reading of "log this user out".
async fn kick_users(m: Mgmt) -> Reply {
    let r: KickUsers = m.args().map_err(|e| m.fail(e))?;
    let u = resolve_user(m.core(), &m.admin, &r.user_id, r.options.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let _ = r.app_ids;
    m.core()
        .end_user_sessions(&m.admin, &[u.id])
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

// --- login history and MFA ------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginHistory {
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
    app_id: Option<String>,
    client_ip: Option<String>,
    start: Option<i64>,
    end: Option<i64>,
    page: Option<i64>,
    limit: Option<i64>,
}

/// `getUserLoginHistory`: the user's successful logins, newest first, as the core records
/// them at every login (`UserLoginHistoryDto`).
async fn login_history(m: Mgmt) -> Reply {
    let r: LoginHistory = m.args().map_err(|e| m.fail(e))?;
    let core = m.core();
    let u = resolve_user(core, &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let q = LoginEventQuery {
        user_ids: vec![u.id],
        app_ids: r.app_id.into_iter().collect(),
        ip: r.client_ip,
        start: r.start,
        end: r.end,
    };
    let events = core
        .login_events(&m.admin, &q, page)
        .await
        .map_err(|e| m.fail(e))?;
    let mut list = Vec::with_capacity(events.list.len());
    for e in &events.list {
        let app = match &e.app_id {
            Some(id) => core.app(id).await.ok().filter(|a| a.pool_id == m.admin.id),
            None => None,
        };
        list.push(json!({
            "appId": e.app_id,
            "appName": app.as_ref().map(|a| a.name.clone()),
            "appLogo": app.as_ref().and_then(|a| a.logo.clone()),
            "appLoginUrl": app.as_ref().map(|a| super::apps_users::login_url(&core.issuer(), a)),
            "clientIp": e.ip,
            "userAgent": e.user_agent,
            "time": iso8601(e.at),
        }));
    }
    Ok(ok(
        m.lang,
        paged(Paged {
            total_count: events.total_count,
            list,
        }),
    ))
}

/// `getUserMfaInfo`: which factors the user has bound. SMS and email MFA read as enabled for
/// a factor the user enrolled (`enroll-factor`) and also for a verified phone or email, which
/// they would use.
async fn mfa_info(m: Mgmt) -> Reply {
    let r: UserRef = m.args().map_err(|e| m.fail(e))?;
    let core = m.core();
    let u = resolve_user(core, &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let st = core
        .mfa_status(&m.admin, &u.id)
        .await
        .map_err(|e| m.fail(e))?;
    let word = |on: bool| if on { "ENABLED" } else { "DISABLED" };
    Ok(ok(
        m.lang,
        json!({
            "totpStatus": word(st.otp),
            "faceMfaStatus": word(st.face),
            // An enrolled factor (the user's own `enroll-factor`) or a verified contact.
            "smsMfaStatus": word(st.sms || (u.phone.is_some() && u.phone_verified)),
            "emailMfaStatus": word(st.email || (u.email.is_some() && u.email_verified)),
        }),
    ))
}

/// `getUserMfaStatus` (`GetMfaInfoDataDto`): the factors and the contacts MFA would use.
async fn mfa_status(m: Mgmt) -> Reply {
    let r: UserRef = m.args().map_err(|e| m.fail(e))?;
    let core = m.core();
    let u = resolve_user(core, &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let st = core
        .mfa_status(&m.admin, &u.id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        json!({
            "mfaToken": "",
            "mfaPhone": if u.phone_verified { u.phone.clone() } else { None },
            "mfaPhoneCountryCode": if u.phone_verified { u.phone_country_code.clone() } else { None },
            "mfaEmail": if u.email_verified { u.email.clone() } else { None },
            "nickname": u.profile.nickname,
            "username": u.username,
            "phone": u.phone,
            "phoneCountryCode": u.phone_country_code,
            "faceMfaEnabled": st.face,
            "totpMfaEnabled": st.otp,
            "applicationMfa": u.mfa_rules.iter().map(|r| json!({
                "mfaPolicy": r.kind.as_str(),
                "status": i64::from(r.enabled),
                "sort": r.sort,
            })).collect::<Vec<Value>>(),
        }),
    ))
}

/// `ApplicationMfaDto` (`v3-wire.md` "Users", `setUsersMfaStatus`): a kind, 1 (asked) or 0
/// (not asked), and a display order.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApplicationMfa {
    mfa_policy: String,
    status: i64,
    #[serde(default)]
    sort: i64,
}

/// `GetMfaInfoDataDto` as `setUsersMfaStatus` sends it. Only `applicationMfa` is a setting;
/// the other fields (`mfaToken`, the names, phone and address, `totpMfaEnabled`) describe
/// the user and their bound factors, which change through their own methods, so they are
/// read past as a round trip of `getUserMfaStatus` sends them back.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MfaTriggerData {
    application_mfa: Option<Vec<ApplicationMfa>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetMfaStatus {
    mfa_trigger_data: Option<MfaTriggerData>,
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
}

/// `setUsersMfaStatus`: the user's own MFA rules, which every later login of the user applies
/// over the application's or pool's kinds (`service::mfa_login`).
async fn set_mfa_status(m: Mgmt) -> Reply {
    let r: SetMfaStatus = m.args().map_err(|e| m.fail(e))?;
    let list = r
        .mfa_trigger_data
        .and_then(|d| d.application_mfa)
        .ok_or_else(|| m.fail(Error::MissingParameter("mfaTriggerData.applicationMfa")))?;
    let mut rules = Vec::with_capacity(list.len());
    for a in list {
        let kind = MfaType::parse(a.mfa_policy.trim())
            .ok_or_else(|| m.fail(Error::InvalidParameter("applicationMfa.mfaPolicy")))?;
        let enabled = match a.status {
            1 => true,
            0 => false,
            _ => return Err(m.fail(Error::InvalidParameter("applicationMfa.status"))),
        };
        rules.push(UserMfaRule {
            kind,
            enabled,
            sort: a.sort,
        });
    }
    let core = m.core();
    let u = resolve_user(core, &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    core.set_user_mfa_rules(&m.admin, &u.id, rules)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtpData {
    secret: String,
    recovery_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtpItem {
    user_id: String,
    otp: OtpData,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImportOtp {
    list: Vec<OtpItem>,
}

/// `importOtp`: every user is checked before the first secret is stored, so a list naming
/// an unknown user imports nothing.
async fn import_otp(m: Mgmt) -> Reply {
    let r: ImportOtp = m.args().map_err(|e| m.fail(e))?;
    if r.list.is_empty() {
        return Err(m.fail(Error::MissingParameter("list")));
    }
    if r.list.len() > MAX_CREATE_BATCH {
        return Err(m.fail(Error::TooManyUsers));
    }
    let core = m.core();
    for item in &r.list {
        if item.otp.secret.is_empty() {
            return Err(m.fail(Error::MissingParameter("otp.secret")));
        }
        resolve_user(core, &m.admin, &item.user_id, UserIdType::UserId)
            .await
            .map_err(|e| m.fail(e))?;
    }
    for item in &r.list {
        core.import_totp(
            &m.admin,
            &item.user_id,
            &item.otp.secret,
            item.otp.recovery_code.as_deref(),
        )
        .await
        .map_err(|e| m.fail(e))?;
    }
    Ok(super::envelope::done(m.lang))
}

async fn otp_secret(m: Mgmt) -> Reply {
    let r: UserRef = m.args().map_err(|e| m.fail(e))?;
    let core = m.core();
    let u = resolve_user(core, &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let secret = core
        .otp_secret(&m.admin, &u.id)
        .await
        .map_err(|e| m.fail(e))?
        .ok_or_else(|| m.fail(Error::NotFound(tessera_core::Entity::MfaFactor)))?;
    Ok(ok(m.lang, json!({ "secret": secret })))
}

// --- resignation -----------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Resign {
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResignBatch {
    user_ids: Vec<String>,
    #[serde(default)]
    user_id_type: UserIdType,
}

/// Archives the users (`resignUser`): they can no longer log in and are listed by
/// `listArchivedUsers`. Every id is resolved before the first is archived.
async fn resign(
    m: &Mgmt,
    ids: &[String],
    ty: UserIdType,
) -> Result<Value, super::envelope::V3Error> {
    let mut resolved = Vec::with_capacity(ids.len());
    for id in ids {
        resolved.push(
            resolve_user(m.core(), &m.admin, id, ty)
                .await
                .map_err(|e| m.fail(e))?
                .id,
        );
    }
    m.core()
        .archive_users(&m.admin, &resolved)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(json!({ "success": true }))
}

/// Served to both SDKs: authing-js-sdk 4.x's `users.resignUser` calls this v3 path with its
/// v2 management token and reads the v2 `code` (`envelope::dual`).
async fn resign_user(m: Result<Mgmt, super::envelope::V3Error>) -> axum::response::Response {
    match m {
        Err(e) => {
            let lang = e.1;
            super::envelope::dual(lang, Err(e))
        }
        Ok(m) => {
            let r = match m.args::<Resign>() {
                Ok(r) => resign(&m, std::slice::from_ref(&r.user_id), r.user_id_type).await,
                Err(e) => Err(m.fail(e)),
            };
            super::envelope::dual(m.lang, r)
        }
    }
}

async fn resign_user_batch(m: Result<Mgmt, super::envelope::V3Error>) -> axum::response::Response {
    match m {
        Err(e) => {
            let lang = e.1;
            super::envelope::dual(lang, Err(e))
        }
        Ok(m) => {
            let r = match m.args::<ResignBatch>() {
                Ok(r) if r.user_ids.is_empty() => Err(m.fail(Error::MissingParameter("userIds"))),
                Ok(r) => resign(&m, &r.user_ids, r.user_id_type).await,
                Err(e) => Err(m.fail(e)),
            };
            super::envelope::dual(m.lang, r)
        }
    }
}

// --- password hashes exported for a migration ---------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PasswordCiphertext {
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
}

/// `getUserPasswordCiphertext`: the user's stored password hash (the core's
/// `password_export`: administrator only, audited, never a plaintext); a user without a
/// password is refused.
async fn get_user_password_ciphertext(m: Mgmt) -> Reply {
    let r: PasswordCiphertext = m.args().map_err(|e| m.fail(e))?;
    let core = m.core();
    let user = resolve_user(core, &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let hash = core
        .export_password_hash(&m.admin, &user.id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, json!({ "ciphertext": hash })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EncryptPasswordBatch {
    user_ids: Vec<String>,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct EncryptedPassword {
    user_id: String,
    encrypted_password: String,
}

/// `getUserEncryptPasswordBatch`: one `{userId, encryptedPassword}` per user named (the
/// catalog's item DTO, in a list since a batch has many); a user without a password has an
/// empty value. At most 50 users, all of the pool, or none is answered.
async fn get_user_encrypt_password_batch(m: Mgmt) -> Reply {
    let r: EncryptPasswordBatch = m.args().map_err(|e| m.fail(e))?;
    let list = m
        .core()
        .export_password_hashes(&m.admin, &r.user_ids)
        .await
        .map_err(|e| m.fail(e))?;
    let out: Vec<EncryptedPassword> = list
        .into_iter()
        .map(|e| EncryptedPassword {
            user_id: e.user_id,
            encrypted_password: e.hash.unwrap_or_default(),
        })
        .collect();
    Ok(ok(m.lang, out))
}

// --- userFieldDecrypt ------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FieldDecrypt {
    data: Vec<FieldDecryptItem>,
    private_key: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FieldDecryptItem {
    user_id: Option<String>,
    field_name: Option<String>,
    encrypted_content: String,
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct FieldDecrypted {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field_name: Option<String>,
    decrypted_content: String,
}

/// `userFieldDecrypt`: the contents opened with the private key sent (RSA PEM or SM2 hex;
/// the core's `field_decrypt`), all or none. The key is never logged nor echoed.
async fn user_field_decrypt(m: Mgmt) -> Reply {
    use tessera_core::service::field_decrypt::EncryptedField;
    let r: FieldDecrypt = m.args().map_err(|e| m.fail(e))?;
    let fields = r
        .data
        .into_iter()
        .map(|i| EncryptedField {
            user_id: i.user_id,
            field_name: i.field_name,
            content: i.encrypted_content,
        })
        .collect();
    let out = m
        .core()
        .decrypt_user_fields(&m.admin, fields, r.private_key)
        .await
        .map_err(|e| m.fail(e))?;
    let list: Vec<FieldDecrypted> = out
        .into_iter()
        .map(|d| FieldDecrypted {
            user_id: d.user_id,
            field_name: d.field_name,
            decrypted_content: d.content,
        })
        .collect();
    Ok(ok(m.lang, list))
}
