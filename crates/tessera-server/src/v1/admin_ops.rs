//! The pool administrator's user calls of the legacy SDK and the user's own profile reads
//! (`v1-legacy-wire.md` §9; seed 002 "获取单个用户资料", "一次性获取多个用户的资料",
//! "获取用户列表", "删除用户", "刷新用户 Token", "刷新用户三方 Token"): `user`, `userPatch`,
//! `users`, `removeUsers`, `refreshToken`, `refreshThirdPartyToken`. `updateUser` (profile,
//! password, logout) is `admin_update`. Each call proves its caller first (§10.3: the owner
//! token acts on its own pool only, a user token on its own user only), then calls one core
//! service and shapes the answer.

use serde_json::{json, Map, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::{ExternalIdentity, User};
use tessera_core::principal::PoolAdmin;
use tessera_core::service::account_mine::MyLoginFilter;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::service::udf::UdfTarget;
use tessera_core::service::user_admin::MAX_BATCH;
use tessera_core::store::users::{LoginEvent, LoginEventQuery, UserKey, UserQuery};
use tessera_core::{Error, Result};

use super::admin_update;
use super::args::{opt_bool, opt_int, opt_str, req_str};
use super::context::{Actor, V1Ctx};
use super::user_json::user_json;
use crate::authing::Lang;
use crate::graphql::Field;
use crate::v2::args::str_list;

pub async fn resolve(ctx: &V1Ctx, f: &Field) -> Option<Result<Value>> {
    let a = &f.args;
    Some(match f.name.as_str() {
        "user" => user(ctx, f).await,
        "userPatch" => user_patch(ctx, a).await,
        "users" => users(ctx, a).await,
        "removeUsers" => remove_users(ctx, a).await,
        "updateUser" => admin_update::update_user(ctx, a).await,
        "refreshToken" => refresh_token(ctx, a).await,
        "refreshThirdPartyToken" => refresh_third_party_token(ctx, a).await,
        _ => return None,
    })
}

/// The administrator of the pool the operation names (or of the caller's pool when it names
/// none). No token is 2020, a user token 1001, another pool's owner token 1001.
async fn admin_of<'a>(ctx: &'a V1Ctx, named: Option<&str>) -> Result<&'a PoolAdmin> {
    let admin = ctx.admin().await?;
    let pool = ctx.pool(named).await?;
    if admin.pool_id() != pool.id {
        return Err(Error::Forbidden);
    }
    Ok(admin)
}

/// How many logins `userLoginHistory` lists (the newest; `totalCount` counts them all).
const HISTORY_PAGE: Page = Page { page: 1, limit: 10 };

/// `userLoginHistory`: Tessera records successful logins only, so every entry is a success;
/// the legacy `result` text and `device` have no counterpart and stay null.
fn history_json(events: Paged<LoginEvent>) -> Value {
    let list: Vec<Value> = events
        .list
        .iter()
        .map(|e| {
            json!({
                "_id": e.id,
                "when": iso8601(e.at),
                "success": true,
                "ip": e.ip,
                "result": null,
                "device": null,
                "browser": e.user_agent,
            })
        })
        .collect();
    json!({ "totalCount": events.total_count, "list": list })
}

/// A stored custom value in its JSON type: the legacy `customData` is one object of the
/// user's custom fields.
fn typed_value(data_type: &str, stored: &str) -> Value {
    let parsed = match data_type {
        "NUMBER" => stored.parse::<serde_json::Number>().ok().map(Value::Number),
        "BOOLEAN" => stored.parse::<bool>().ok().map(Value::Bool),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(stored.to_owned()))
}

/// The external identity `thirdPartyIdentity` and `refreshThirdPartyToken` speak of: the
/// user's most recently updated social identity (the legacy API knew one per user).
fn latest_social(ids: &[ExternalIdentity]) -> Option<&ExternalIdentity> {
    ids.iter()
        .filter(|i| i.is_social)
        .max_by_key(|i| i.updated_at)
}

/// `thirdPartyIdentity`: what the core stores about the user's social identity. Tessera
/// stores a provider's tokens only when an administrator imported them with the identity,
/// and no expiry; the answer says what is stored and nothing more.
fn third_party_json(i: Option<&ExternalIdentity>) -> Value {
    match i {
        None => Value::Null,
        Some(i) => json!({
            "provider": i.provider,
            "accessToken": i.access_token,
            "refreshToken": i.refresh_token,
            "expiresIn": null,
            "updatedAt": iso8601(i.updated_at),
        }),
    }
}

/// `user(id, registerInClient)`: the pool's administrator or the user himself. The parts
/// that cost a query of their own are read only when the document selects them. Tessera
/// keeps no geolocation of logins, so `userLocation` is an empty list.
async fn user(ctx: &V1Ctx, f: &Field) -> Result<Value> {
    let a = &f.args;
    let core = &ctx.state.core;
    let id = req_str(a, "id")?;
    let named = opt_str(a, "registerInClient")?;
    let actor = ctx.actor(named.as_deref(), &id).await?;
    let pool_id = match &actor {
        Actor::Admin(admin) => admin.pool_id().to_owned(),
        Actor::User(s) => s.pool().id.clone(),
    };
    let u = core.user_by_id(&pool_id, &id).await?;
    let mut v = user_json(&u, None);
    if f.child("userLoginHistory").is_some() {
        let events = match &actor {
            Actor::Admin(admin) => {
                let q = LoginEventQuery {
                    user_ids: vec![u.id.clone()],
                    ..LoginEventQuery::default()
                };
                core.login_events(admin, &q, HISTORY_PAGE).await?
            }
            Actor::User(s) => {
                core.my_login_history(s, &MyLoginFilter::default(), HISTORY_PAGE)
                    .await?
            }
        };
        v["userLoginHistory"] = history_json(events);
    }
    if f.child("userLocation").is_some() {
        v["userLocation"] = json!([]);
    }
    if f.child("thirdPartyIdentity").is_some() {
        let ids = core.identities(&pool_id, &u.id).await?;
        v["thirdPartyIdentity"] = third_party_json(latest_social(&ids));
    }
    if f.child("customData").is_some() {
        let values = core.udf_values(&pool_id, UdfTarget::User, &u.id).await?;
        let data: Map<String, Value> = values
            .iter()
            .map(|x| (x.key.clone(), typed_value(&x.data_type, &x.value)))
            .collect();
        v["customData"] = Value::Object(data);
    }
    Ok(v)
}

/// A user of a list (`userPatch`, `users`): the login history and locations of a whole page
/// would cost a query per user, and the seed doc's examples answer them as null in lists.
fn list_user_json(u: &User) -> Value {
    let mut v = user_json(u, None);
    v["userLocation"] = Value::Null;
    v["userLoginHistory"] = Value::Null;
    v
}

/// The ids of `userPatch(ids)`: comma-separated, blanks dropped, each once, at most
/// [`MAX_BATCH`] (more is refused, not cut).
fn patch_ids(raw: &str) -> Result<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    for id in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !ids.iter().any(|x| x == id) {
            ids.push(id.to_owned());
        }
        if ids.len() > MAX_BATCH {
            return Err(Error::InvalidParameter("ids"));
        }
    }
    Ok(ids)
}

/// `userPatch(ids)`: the users of the caller's pool among `ids`, in the order given; an id
/// that names nobody here (another pool's user included) is skipped, as the seed doc says
/// of invalid ids.
async fn user_patch(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let admin = admin_of(ctx, None).await?;
    let ids = patch_ids(&req_str(a, "ids")?)?;
    let users = ctx
        .state
        .core
        .users_by_key(admin, UserKey::Id, &ids)
        .await?;
    let list: Vec<Value> = users.iter().map(list_user_json).collect();
    Ok(json!({ "totalCount": list.len(), "list": list }))
}

/// `users(registerInClient, page, count, populate)`: one page of the pool's users, newest
/// first, with the paging rules of every other list (`page` from 1, `count` 1–1000).
/// `populate` asked Authing to join the legacy groups, which Tessera does not have.
async fn users(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let admin = admin_of(ctx, opt_str(a, "registerInClient")?.as_deref()).await?;
    // The page size is `count` on this wire: a refusal names it so.
    let page = Page::new(opt_int(a, "page")?, opt_int(a, "count")?).map_err(|e| match e {
        Error::InvalidParameter("limit") => Error::InvalidParameter("count"),
        e => e,
    })?;
    let _ = opt_bool(a, "populate")?;
    let p = ctx
        .state
        .core
        .query_users(admin, &UserQuery::default(), page)
        .await?;
    let list: Vec<Value> = p.list.iter().map(list_user_json).collect();
    Ok(json!({ "totalCount": p.total_count, "list": list }))
}

/// `removeUsers(ids, registerInClient, operator)`: deletes the users with everything they
/// hold, in one transaction; every id must be a user of the pool (otherwise nothing is
/// deleted). `operator` named the console user acting; the audit log records the pool
/// administrator the owner token proves, not a name the caller chooses.
async fn remove_users(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let admin = admin_of(ctx, opt_str(a, "registerInClient")?.as_deref()).await?;
    let _ = opt_str(a, "operator")?;
    let mut ids: Vec<String> = Vec::new();
    for id in str_list(a, "ids")? {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.len() > MAX_BATCH {
        return Err(Error::InvalidParameter("ids"));
    }
    ctx.state.core.delete_users(admin, &ids).await?;
    Ok(Value::Array(
        ids.into_iter().map(|id| json!({ "_id": id })).collect(),
    ))
}

/// `refreshToken(client, user)`: a new user token for a user of the pool (the token the
/// 4.x ManagementClient's `refreshToken` issues), usable as a session at once.
async fn refresh_token(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let admin = admin_of(ctx, opt_str(a, "client")?.as_deref()).await?;
    let core = &ctx.state.core;
    let user = core.user_by_id(&admin.id, &req_str(a, "user")?).await?;
    let t = core.issue_user_token(admin, None, &user).await?;
    Ok(json!({ "token": t.token, "iat": t.iat, "exp": t.exp }))
}

fn no_refresh_message(lang: Lang, provider: Option<&str>) -> String {
    match (lang, provider) {
        (Lang::ZhCn, Some(p)) => format!("无法刷新 {p} token：Tessera 不保存身份源的刷新令牌"),
        (Lang::EnUs, Some(p)) => format!(
            "Cannot refresh the {p} token: Tessera keeps no refresh tokens of identity providers"
        ),
        (Lang::ZhCn, None) => "该用户没有绑定社会化登录身份".to_owned(),
        (Lang::EnUs, None) => "The user has no social login identity".to_owned(),
    }
}

/// `refreshThirdPartyToken(userPoolId, userId)`. Authing refreshed the provider's access
/// token of the user's social login with the refresh token it kept. Tessera's social logins
/// keep no provider tokens (an imported identity may carry some, but Tessera never calls a
/// provider's token endpoint on a user's behalf), so no refresh can happen: the answer says
/// so truthfully (`refreshSuccess: false`, which provider, why) instead of pretending, and
/// carries no token. A user of another pool is not found.
async fn refresh_third_party_token(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let admin = admin_of(ctx, opt_str(a, "userPoolId")?.as_deref()).await?;
    let core = &ctx.state.core;
    let user = core.user_by_id(&admin.id, &req_str(a, "userId")?).await?;
    let ids = core.identities(&admin.id, &user.id).await?;
    let latest = latest_social(&ids);
    let provider = latest.map(|i| i.provider.as_str());
    Ok(json!({
        "refreshSuccess": false,
        "message": no_refresh_message(ctx.lang, provider),
        "provider": provider,
        "refreshToken": null,
        "accessToken": null,
        "updatedAt": latest.map(|i| iso8601(i.updated_at)),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_ids_are_trimmed_deduplicated_and_bounded() {
        assert_eq!(patch_ids("a, b,,a ,c").unwrap(), vec!["a", "b", "c"]);
        assert!(patch_ids("").unwrap().is_empty());
        let many: Vec<String> = (0..=MAX_BATCH).map(|i| format!("id{i}")).collect();
        assert!(matches!(
            patch_ids(&many.join(",")),
            Err(Error::InvalidParameter("ids"))
        ));
        let at_bound: Vec<String> = (0..MAX_BATCH).map(|i| format!("id{i}")).collect();
        assert_eq!(patch_ids(&at_bound.join(",")).unwrap().len(), MAX_BATCH);
    }

    #[test]
    fn custom_values_keep_their_type() {
        assert_eq!(typed_value("NUMBER", "42"), json!(42));
        assert_eq!(typed_value("BOOLEAN", "true"), json!(true));
        assert_eq!(typed_value("STRING", "42"), json!("42"));
        assert_eq!(typed_value("NUMBER", "x"), json!("x"));
    }
}
