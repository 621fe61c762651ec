//! `mc.users` (`v2-wire.md` §6.1): GraphQL operations and REST routes over the pool's
//! users. Each parses, calls one core service and shapes the `User` the SDK reads.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::{Profile, User};
use tessera_core::principal::PoolAdmin;
use tessera_core::service::paging::Page;
use tessera_core::service::udf::UdfTarget;
use tessera_core::service::user_admin::{AdminCreate, NewIdentity};
use tessera_core::service::users::NewUser;
use tessera_core::store::users::{LoginEventQuery, SearchField, UdfCondition, UserKey, UserQuery};
use tessera_core::{Core, Error, Result};

use super::super::args::{self, obj, opt_bool, opt_int, opt_str, req_str, str_list};
use super::super::context::V2Ctx;
use super::super::shapes::ProfileInput;
use super::super::user_json::{self, udv_json, user_json, user_with_custom_data};
use super::{
    all, body, common_message, done, first, page_of, paged_json, query_pairs, Admin, Reply,
};
use crate::graphql::Field;
use crate::AppState;

pub async fn resolve(ctx: &V2Ctx, f: &Field) -> Option<Result<Value>> {
    let a = &f.args;
    Some(match f.name.as_str() {
        "createUser" | "createUserWithCustomData" => create_user(ctx, f).await,
        "updateUser" => update_user(ctx, a).await,
        "deleteUser" => delete_users(ctx, vec![req_id(a, "id")]).await,
        "deleteUsers" => match str_list(a, "ids") {
            Ok(ids) => delete_users(ctx, ids).await,
            Err(e) => Err(e),
        },
        "users" | "usersWithCustomData" => list_users(ctx, f, false).await,
        "archivedUsers" => list_users(ctx, f, true).await,
        "findUser" | "findUserWithCustomData" => find_user(ctx, f).await,
        "searchUser" | "searchUserWithCustomData" => search_users(ctx, f).await,
        "refreshToken" => refresh_token(ctx, a).await,
        "user" | "userWithCustomData" => user_detail(ctx, f).await,
        "userBatch" | "userBatchWithCustomData" => user_batch_gql(ctx, f).await,
        "sendFirstLoginVerifyEmail" => first_login_email(ctx, a).await,
        _ => return None,
    })
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/users/{id}", get(detail))
        .route("/api/v2/users/batch", post(batch))
        .route("/api/v2/users/filter", post(filter))
        .route("/api/v2/users/kick", post(kick))
        .route("/api/v2/users/login-status", get(login_status))
        .route("/api/v2/users/{id}/orgs", get(user_orgs))
        .route("/api/v2/users/identity/link", post(link_identity))
        .route("/api/v2/users/identity/unlink", post(unlink_identity))
        .route("/api/v2/analysis/user-action", get(user_actions))
        .route("/api/v2/analysis/total-login-count", get(app_login_count))
        .route(
            "/api/v2/analysis/exist-defined-field-count",
            get(udf_user_count),
        )
        .route("/api/v2/password/check", post(password_check))
}

/// A required id argument as a string ("" if absent, which lookups answer as not found).
fn req_id(a: &Map<String, Value>, key: &'static str) -> String {
    a.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The user JSON the management API answers with; custom data when the document asks.
async fn user_out(core: &Core, u: &User, with_custom_data: bool) -> Result<Value> {
    if with_custom_data {
        user_with_custom_data(core, u).await
    } else {
        Ok(user_json(u, None))
    }
}

/// Users as JSON; with custom data, the values of the whole page come from one query.
async fn users_out(
    core: &Core,
    pool: &PoolAdmin,
    users: &[User],
    with_custom_data: bool,
) -> Result<Vec<Value>> {
    let mut out: Vec<Value> = users.iter().map(|u| user_json(u, None)).collect();
    if with_custom_data && !users.is_empty() {
        let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
        let values = core.udf_values_batch(pool, UdfTarget::User, &ids).await?;
        for (v, u) in out.iter_mut().zip(users) {
            let list = values
                .iter()
                .find(|(id, _)| *id == u.id)
                .map(|(_, l)| l.as_slice())
                .unwrap_or_default();
            v["customData"] = udv_json(list);
        }
    }
    Ok(out)
}

fn wants_custom_data(f: &Field) -> bool {
    f.name.ends_with("WithCustomData")
        || f.child("customData").is_some()
        || f.child("list")
            .is_some_and(|l| l.child("customData").is_some())
}

// --- create / update / delete ---------------------------------------------------------------

/// `CreateUserInput` / `UpdateUserInput` profile fields, at the top level of the input.
fn profile_of(input: &Map<String, Value>) -> Result<Profile> {
    let mut fields = Map::new();
    for key in [
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
        "oauth",
    ] {
        if let Some(v) = input.get(key) {
            fields.insert(key.to_owned(), v.clone());
        }
    }
    serde_json::from_value::<ProfileInput>(Value::Object(fields))
        .map(Profile::from)
        .map_err(|_| Error::InvalidParameter("userInfo"))
}

fn opt_time(input: &Map<String, Value>, key: &'static str) -> Result<Option<i64>> {
    match opt_str(input, key)? {
        None => Ok(None),
        Some(s) => tessera_core::clock::parse_iso8601(&s)
            .map(Some)
            .ok_or(Error::InvalidParameter(key)),
    }
}

fn identity_of(v: &Map<String, Value>) -> Result<NewIdentity> {
    Ok(NewIdentity {
        provider: req_str(v, "provider")?,
        user_id_in_idp: req_str(v, "userIdInIdp")?,
        openid: opt_str(v, "openid")?,
        is_social: opt_bool(v, "isSocial")?,
        connection_id: opt_str(v, "connectionId")?.or(opt_str(v, "extIdpId")?),
        access_token: opt_str(v, "accessToken")?,
        refresh_token: opt_str(v, "refreshToken")?,
    })
}

async fn create_user(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let a = &f.args;
    let info = obj(a, "userInfo")?;
    let ip = ctx.client(None).await.ip;
    let register_source = match info.get("registerSource") {
        None | Some(Value::Null) => vec!["import:manual".to_owned()],
        Some(_) => str_list(info, "registerSource")?,
    };
    let new = NewUser {
        username: opt_str(info, "username")?.filter(|s| !s.is_empty()),
        email: opt_str(info, "email")?.filter(|s| !s.is_empty()),
        phone: opt_str(info, "phone")?.filter(|s| !s.is_empty()),
        phone_country_code: opt_str(info, "phoneCountryCode")?,
        password: args::opt_new_password(core, info, "password", ip.as_deref()).await?,
        password_hash: None,
        external_id: opt_str(info, "externalId")?.filter(|s| !s.is_empty()),
        email_verified: match info.get("emailVerified") {
            None | Some(Value::Null) => None,
            _ => Some(opt_bool(info, "emailVerified")?),
        },
        phone_verified: opt_bool(info, "phoneVerified")?,
        register_source,
        profile: profile_of(info)?,
        primary_user_id: None,
        reset_password_on_next_login: opt_bool(a, "resetPasswordOnFirstLogin")?,
    };
    let opts = AdminCreate {
        keep_password: opt_bool(a, "keepPassword")?,
        blocked: opt_bool(info, "blocked")?,
        unionid: opt_str(info, "unionid")?,
        openid: opt_str(info, "openid")?,
        logins_count: opt_int(info, "loginsCount")?,
        last_login: opt_time(info, "lastLogin")?,
        last_ip: opt_str(info, "lastIP")?,
        signed_up: opt_time(info, "signedUp")?,
        device: opt_str(info, "device")?,
        browser: opt_str(info, "browser")?,
        identity: match a.get("identity") {
            Some(Value::Object(i)) => Some(identity_of(i)?),
            None | Some(Value::Null) => None,
            Some(_) => return Err(Error::InvalidParameter("identity")),
        },
        ..AdminCreate::default()
    };
    // The user and its custom values are one unit of work of the core: a wrong value
    // creates nothing.
    let opts = AdminCreate {
        custom_data: args::custom_data(a)?,
        ..opts
    };
    let user = core.admin_create_user(pool, new, opts).await?;
    user_out(core, &user, wants_custom_data(f)).await
}

async fn update_user(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let id = req_str(a, "id")?;
    let input = obj(a, "input")?;
    let ip = ctx.client(None).await.ip;
    let password = args::opt_new_password(core, input, "password", ip.as_deref()).await?;
    let user = core.admin_update_user(pool, &id, input, password).await?;
    let mut v = user_json(&user, None);
    v["expiredAt"] = Value::Null;
    v["directManagement"] = Value::Null;
    Ok(v)
}

async fn delete_users(ctx: &V2Ctx, ids: Vec<String>) -> Result<Value> {
    let pool = ctx.admin().await?;
    ctx.state.core.delete_users(pool, &ids).await?;
    Ok(common_message(ctx.lang))
}

// --- lists and lookups ----------------------------------------------------------------------

async fn paged_users(
    core: &Core,
    pool: &PoolAdmin,
    q: &UserQuery,
    page: Page,
    with_custom_data: bool,
) -> Result<Value> {
    let p = core.query_users(pool, q, page).await?;
    let list = users_out(core, pool, &p.list, with_custom_data).await?;
    Ok(paged_json(tessera_core::service::paging::Paged {
        total_count: p.total_count,
        list,
    }))
}

async fn list_users(ctx: &V2Ctx, f: &Field, archived: bool) -> Result<Value> {
    let pool = ctx.admin().await?;
    let q = UserQuery {
        archived,
        exclude_in_org: opt_bool(&f.args, "excludeUsersInOrg")?,
        ..UserQuery::default()
    };
    paged_users(
        &ctx.state.core,
        pool,
        &q,
        args::page(&f.args)?,
        wants_custom_data(f),
    )
    .await
}

async fn find_user(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let a = &f.args;
    let found = if let Some(Value::Object(i)) = a.get("identity") {
        let provider = req_str(i, "provider")?;
        let id_in_idp = req_str(i, "userIdInIdp")?;
        core.user_by_identity(pool, &provider, &id_in_idp).await?
    } else {
        let mut found = None;
        for (key, k) in [
            ("username", UserKey::Username),
            ("email", UserKey::Email),
            ("phone", UserKey::Phone),
            ("externalId", UserKey::ExternalId),
        ] {
            if let Some(v) = opt_str(a, key)?.filter(|s| !s.is_empty()) {
                found = core.find_user_by(pool, k, &v).await?;
                break;
            }
        }
        found
    };
    match found {
        Some(u) => user_out(core, &u, wants_custom_data(f)).await,
        None => Ok(Value::Null),
    }
}

fn search_field(name: &str) -> Result<SearchField> {
    Ok(match name {
        "username" => SearchField::Username,
        "email" => SearchField::Email,
        "phone" => SearchField::Phone,
        "nickname" => SearchField::Nickname,
        "name" => SearchField::Name,
        "externalId" => SearchField::ExternalId,
        _ => return Err(Error::InvalidParameter("fields")),
    })
}

fn objects<'a>(
    a: &'a Map<String, Value>,
    key: &'static str,
) -> Result<Vec<&'a Map<String, Value>>> {
    match a.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_object().ok_or(Error::InvalidParameter(key)))
            .collect(),
        Some(_) => Err(Error::InvalidParameter(key)),
    }
}

async fn search_users(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let a = &f.args;
    let keyword = opt_str(a, "query")?.unwrap_or_default();
    if keyword.chars().count() > 128 {
        return Err(Error::InvalidParameter("query"));
    }
    let fields = str_list(a, "fields")?
        .iter()
        .map(|s| search_field(s))
        .collect::<Result<Vec<_>>>()?;
    let mut direct = Vec::new();
    let mut with_children = Vec::new();
    for d in objects(a, "departmentOpts")? {
        let Some(id) = opt_str(d, "departmentId")? else {
            continue;
        };
        if opt_bool(d, "includeChildrenDepartments")? {
            with_children.push(id);
        } else {
            direct.push(id);
        }
    }
    if !with_children.is_empty() {
        direct.extend(core.node_descendants(pool, &with_children).await?);
    }
    let group_codes = objects(a, "groupOpts")?
        .into_iter()
        .filter_map(|g| opt_str(g, "code").transpose())
        .collect::<Result<Vec<_>>>()?;
    let roles = objects(a, "roleOpts")?
        .into_iter()
        .map(|r| {
            Ok((
                opt_str(r, "namespace")?.unwrap_or_else(|| "default".to_owned()),
                req_str(r, "code")?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    let q = UserQuery {
        keyword: Some(keyword).filter(|k| !k.is_empty()),
        fields,
        node_ids: direct,
        group_codes,
        roles,
        ..UserQuery::default()
    };
    paged_users(core, pool, &q, args::page(a)?, wants_custom_data(f)).await
}

async fn refresh_token(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let user = core.user_by_id(&pool.id, &req_str(a, "id")?).await?;
    let t = core.issue_user_token(pool, None, &user).await?;
    Ok(json!({ "token": t.token, "iat": t.iat, "exp": t.exp }))
}

/// `user(id)`: one user with whatever directory sub-fields the document selects
/// (`getUserGroups`, `getUserRoles`, `getUserDepartments`, `listUserAuthorizedResources`).
async fn user_detail(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let Some(user) = core
        .find_user_by(pool, UserKey::Id, &req_id(&f.args, "id"))
        .await?
    else {
        return Ok(Value::Null);
    };
    let mut v = user_out(core, &user, wants_custom_data(f)).await?;
    if f.child("identities").is_some() {
        v["identities"] = user_json::identities_json(core, &pool.id, &user.id).await?;
    }
    super::super::directory_fields::add(core, &pool.id, &user.id, f, &mut v).await?;
    Ok(v)
}

fn batch_key(kind: Option<&str>) -> Result<UserKey> {
    Ok(match kind.unwrap_or("id") {
        "id" => UserKey::Id,
        "username" => UserKey::Username,
        "email" => UserKey::Email,
        "phone" => UserKey::Phone,
        "externalId" => UserKey::ExternalId,
        _ => return Err(Error::InvalidParameter("type")),
    })
}

async fn user_batch_gql(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let key = batch_key(opt_str(&f.args, "type")?.as_deref())?;
    let users = core
        .users_by_key(pool, key, &str_list(&f.args, "ids")?)
        .await?;
    Ok(Value::Array(
        users_out(core, pool, &users, wants_custom_data(f)).await?,
    ))
}

async fn first_login_email(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let core = &ctx.state.core;
    let user = core.user_by_id(&pool.id, &req_str(a, "userId")?).await?;
    let app = core.app(&req_str(a, "appId")?).await?;
    if app.pool_id != pool.id {
        return Err(Error::AppNotFound);
    }
    let email = user.email.clone().ok_or(Error::NoEmailBound)?;
    core.send_email_code(pool, &email, "VERIFY_EMAIL").await?;
    Ok(common_message(ctx.lang))
}

// --- REST -----------------------------------------------------------------------------------

async fn detail(admin: Admin, Path(id): Path<String>, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let pairs = query_pairs(&q)?;
            let with_cd = first(&pairs, "with_custom_data") == Some("true");
            let user = admin.core().user_by_id(&admin.pool.id, &id).await?;
            Ok(done(
                admin.lang(),
                user_out(admin.core(), &user, with_cd).await?,
            ))
        })
        .await
}

async fn batch(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let key = batch_key(opt_str(&b, "type")?.as_deref())?;
            let users = admin
                .core()
                .users_by_key(&admin.pool, key, &str_list(&b, "ids")?)
                .await?;
            let list = users_out(
                admin.core(),
                &admin.pool,
                &users,
                opt_bool(&b, "withCustomData")?,
            )
            .await?;
            Ok(done(admin.lang(), list))
        })
        .await
}

/// `users.filter`: `filter` is a list of `[field, op, value]`, where `field` is
/// `{type: "userDefinedFields", value: <udf key>}` or `{type: <other>, value: "app"}` and
/// `op` is `EQ` or `NEQ`.
async fn filter(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let mut q = UserQuery::default();
            let conditions = match b.get("filter") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(c)) => c.clone(),
                Some(_) => return Err(Error::InvalidParameter("filter")),
            };
            for c in &conditions {
                let bad = || Error::InvalidParameter("filter");
                let parts = c.as_array().filter(|p| p.len() == 3).ok_or_else(bad)?;
                let field = parts[0].as_object().ok_or_else(bad)?;
                let kind = field.get("type").and_then(Value::as_str).ok_or_else(bad)?;
                let name = field.get("value").and_then(Value::as_str).ok_or_else(bad)?;
                let negate = match parts[1].as_str() {
                    Some("EQ") => false,
                    Some("NEQ") => true,
                    _ => return Err(bad()),
                };
                match (kind, name) {
                    ("userDefinedFields", key) => {
                        let stored = admin
                            .core()
                            .validate_udf_values(
                                &admin.pool.id,
                                UdfTarget::User,
                                &[(key.to_owned(), parts[2].clone())],
                            )
                            .await?;
                        let (key, value) = stored.into_iter().next().ok_or_else(bad)?;
                        q.udf.push(UdfCondition { key, value, negate });
                    }
                    (_, "app") if !negate => {
                        let id = match &parts[2] {
                            Value::String(s) => s.clone(),
                            Value::Object(o) => o
                                .get("id")
                                .and_then(Value::as_str)
                                .ok_or_else(bad)?
                                .to_owned(),
                            _ => return Err(bad()),
                        };
                        q.logged_in_app = Some(id);
                    }
                    _ => return Err(bad()),
                }
            }
            let page = Page::new(opt_int(&b, "page")?, opt_int(&b, "limit")?)?;
            let out = paged_users(admin.core(), &admin.pool, &q, page, false).await?;
            Ok(done(admin.lang(), out))
        })
        .await
}

async fn kick(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            admin
                .core()
                .end_user_sessions(&admin.pool, &str_list(&b, "userIds")?)
                .await?;
            Ok(done(admin.lang(), Value::Null))
        })
        .await
}

/// `GET /logout?userId=&appId=` with a management token: ends the user's sessions.
pub async fn admin_logout(admin: Admin, q: Option<String>) -> Reply {
    admin
        .reply(async {
            let pairs = query_pairs(&q)?;
            let user = first(&pairs, "userId").ok_or(Error::MissingParameter("userId"))?;
            admin
                .core()
                .end_user_sessions(&admin.pool, &[user.to_owned()])
                .await?;
            Ok(done(admin.lang(), Value::Null))
        })
        .await
}

async fn login_status(admin: Admin, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let pairs = query_pairs(&q)?;
            let user_id = first(&pairs, "userId").ok_or(Error::MissingParameter("userId"))?;
            let app_id = first(&pairs, "appId");
            let core = admin.core();
            let s = core.user_login_status(&admin.pool, user_id, app_id).await?;
            let application = match &s.app_id {
                Some(id) => core
                    .app(id)
                    .await
                    .ok()
                    .filter(|a| a.pool_id == admin.pool.id)
                    .map(|a| json!({"id": a.id, "name": a.name})),
                None => None,
            };
            Ok(done(
                admin.lang(),
                json!({
                    "isLogin": s.is_login,
                    "user": user_json(&s.user, None),
                    "application": application,
                }),
            ))
        })
        .await
}

async fn user_orgs(admin: Admin, Path(id): Path<String>) -> Reply {
    admin
        .reply(async {
            let core = admin.core();
            let user = core.user_by_id(&admin.pool.id, &id).await?;
            let orgs = core.user_orgs(&admin.pool.id, &user.id).await?;
            let out: Vec<Value> = orgs
                .iter()
                .map(|path| {
                    Value::Array(
                        path.iter()
                            .map(super::super::directory_fields::node_json)
                            .collect(),
                    )
                })
                .collect();
            Ok(done(admin.lang(), out))
        })
        .await
}

/// The identity of `linkIdentity` / `unlinkIdentity` bodies (`type` is the provider).
fn link_body(b: &Map<String, Value>) -> Result<(String, NewIdentity)> {
    let user_id = req_str(b, "userId")?;
    let identity = NewIdentity {
        provider: opt_str(b, "type")?
            .or(opt_str(b, "provider")?)
            .filter(|s| !s.is_empty())
            .ok_or(Error::MissingParameter("type"))?,
        user_id_in_idp: req_str(b, "userIdInIdp")?,
        openid: None,
        is_social: opt_bool(b, "isSocial")?,
        connection_id: opt_str(b, "extIdpId")?.or(opt_str(b, "identifier")?),
        access_token: None,
        refresh_token: None,
    };
    Ok((user_id, identity))
}

async fn link_identity(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let (user_id, identity) = link_body(&body(&bytes)?)?;
            admin
                .core()
                .link_identity(&admin.pool, &user_id, identity)
                .await?;
            Ok(done(admin.lang(), Value::Null))
        })
        .await
}

async fn unlink_identity(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let (user_id, i) = link_body(&body(&bytes)?)?;
            admin
                .core()
                .unlink_identity(&admin.pool, &user_id, &i.provider, &i.user_id_in_idp)
                .await?;
            Ok(done(admin.lang(), Value::Null))
        })
        .await
}

/// The login history in the shape `listUserActions` reads.
async fn user_actions(admin: Admin, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let pairs = query_pairs(&q)?;
            let prefix = format!("arn:cn:authing:{}:user:", admin.pool.id);
            let user_ids = all(&pairs, "operator_arn")
                .into_iter()
                .map(|arn| {
                    arn.strip_prefix(&prefix)
                        .map(str::to_owned)
                        .ok_or(Error::InvalidParameter("operator_arn"))
                })
                .collect::<Result<Vec<_>>>()?;
            let ms = |key: &'static str| -> Result<Option<i64>> {
                first(&pairs, key)
                    .map(|v| v.parse::<i64>().map_err(|_| Error::InvalidParameter(key)))
                    .transpose()
            };
            let names = all(&pairs, "operation_name");
            let query = LoginEventQuery {
                user_ids,
                app_ids: all(&pairs, "app_id"),
                ip: first(&pairs, "clientip").map(str::to_owned),
                start: ms("start")?,
                end: ms("end")?,
            };
            let page = page_of(&pairs)?;
            let core = admin.core();
            // Logins are the actions recorded; asking only for other operations finds none.
            let events = if names.is_empty() || names.iter().any(|n| n == "login") {
                core.login_events(&admin.pool, &query, page).await?
            } else {
                tessera_core::service::paging::Paged {
                    total_count: 0,
                    list: Vec::new(),
                }
            };
            let exclude_non_app = first(&pairs, "exclude_non_app_records") == Some("1");
            let mut list = Vec::new();
            for e in events.list {
                if exclude_non_app && e.app_id.is_none() {
                    continue;
                }
                let user = core.user_by_id(&admin.pool.id, &e.user_id).await.ok();
                let app = match &e.app_id {
                    Some(id) => core.app(id).await.ok(),
                    None => None,
                };
                let display = user.as_ref().and_then(|u| {
                    u.username
                        .clone()
                        .or(u.email.clone())
                        .or(u.phone.clone())
                        .or(u.profile.nickname.clone())
                });
                list.push(json!({
                    "userpool_id": admin.pool.id,
                    "user": {"id": e.user_id, "displayName": display},
                    "geoip": {"ip": e.ip, "city_name": null, "region_name": null},
                    "operation_desc": "登录",
                    "operation_name": "login",
                    "timestamp": iso8601(e.at),
                    "app_id": e.app_id,
                    "app": app.map(|a| json!({"name": a.name})),
                }));
            }
            Ok(done(
                admin.lang(),
                json!({"list": list, "totalCount": events.total_count}),
            ))
        })
        .await
}

async fn app_login_count(admin: Admin, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let pairs = query_pairs(&q)?;
            let app = first(&pairs, "appId").ok_or(Error::MissingParameter("appId"))?;
            let n = admin.core().app_login_user_count(&admin.pool, app).await?;
            Ok(done(
                admin.lang(),
                json!({ "list": [{"appId": app, "count": n}], "totalCount": n }),
            ))
        })
        .await
}

async fn udf_user_count(admin: Admin, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let pairs = query_pairs(&q)?;
            let key = first(&pairs, "definedFieldKey")
                .ok_or(Error::MissingParameter("definedFieldKey"))?;
            let n = admin.core().udf_user_count(&admin.pool, key).await?;
            Ok(done(admin.lang(), json!({ "key": key, "count": n })))
        })
        .await
}

/// `isPasswordValid`: the pool's password rule applied to a candidate password.
async fn password_check(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let password = req_str(&b, "password")?;
            let (valid, message) = match tessera_core::rules::password_strength::enforce(
                &admin.pool.settings,
                &password,
            ) {
                Ok(()) => (true, String::new()),
                Err(e) => (false, crate::authing::errors::message(&e, admin.lang())),
            };
            Ok(done(
                admin.lang(),
                json!([{ "valid": valid, "message": message }]),
            ))
        })
        .await
}
