//! The oauth endpoint's root fields (`v1-legacy-wire.md` §2, §9; the SDK sends them to
//! `host.oauth`, which a deployment points at the same `/graphql`): directory logins
//! (`loginByAd`, `LoginByLDAP`), the applications a user authorized
//! (`GetUserAuthorizedApps`) and withdrawing one (`RevokeUserAuthorizedApp`).

use serde_json::{json, Map, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::UserPool;
use tessera_core::principal::Principal;
use tessera_core::service::oidc::authorized_apps::AuthorizedApp;
use tessera_core::service::oidc::CODE_TTL_MS;
use tessera_core::{Error, Result};

use super::args::{opt_int, opt_str, req_str};
use super::context::{Actor, V1Ctx};
use crate::graphql::Field;

pub async fn resolve(ctx: &V1Ctx, f: &Field) -> Option<Result<Value>> {
    let a = &f.args;
    Some(match f.name.as_str() {
        "loginByAd" => login_by_ad(ctx, a).await,
        "LoginByLDAP" => login_by_ldap(ctx, a).await,
        "GetUserAuthorizedApps" => authorized_apps(ctx, a).await,
        "RevokeUserAuthorizedApp" => revoke_authorized_app(ctx, a).await,
        _ => return None,
    })
}

/// `loginByAd(username, password, adConnectorId)` (§9). Tessera has no Active Directory
/// connector yet: after checking the arguments, the same clear refusal as the v2 façade's
/// directory login. The SDK sends no pool variable the operation declares (`clientId` is
/// undeclared), so the pool is the token's; without a token no pool has a connector either.
/// The password (plaintext here, §6) is read for presence only and never logged.
async fn login_by_ad(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    req_str(a, "username")?;
    req_str(a, "password")?;
    req_str(a, "adConnectorId")?;
    match ctx.pool(None).await {
        Ok(_) | Err(Error::PoolNotFound) => Err(Error::IdentitySourceNotConfigured),
        Err(e) => Err(e),
    }
}

/// `LoginByLDAP(username, clientId, password, browser)` (§9): as `loginByAd`, for the pool
/// `clientId` names (checked against the caller's token).
async fn login_by_ldap(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    req_str(a, "username")?;
    req_str(a, "password")?;
    ctx.pool(opt_str(a, "clientId")?.as_deref()).await?;
    Err(Error::IdentitySourceNotConfigured)
}

/// The user an operation is about: `userId`, or, when the SDK sends none, the logged-in
/// user himself.
async fn user_id(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<String> {
    if let Some(id) = opt_str(a, "userId")?.filter(|s| !s.trim().is_empty()) {
        return Ok(id);
    }
    match ctx.principal().await {
        Principal::User(s) => Ok(s.user().id.clone()),
        _ => Err(Error::MissingParameter("userId")),
    }
}

/// The pool of an operation on the user `user_id`, for its administrator or the user
/// himself only (§10.3).
async fn actor_pool(ctx: &V1Ctx, named: Option<&str>, user_id: &str) -> Result<UserPool> {
    Ok(match ctx.actor(named, user_id).await? {
        Actor::Admin(a) => a.pool().clone(),
        Actor::User(s) => s.pool().clone(),
    })
}

/// An application as the SDK's `OIDCApps` selection names its fields (§9, Authing's OIDC
/// client document: snake_case, lifetimes in seconds). `domain` was the application's label
/// under Authing's domain: ours is its `identifier`. Tessera has no CAS, so `cas_expire` is
/// null; a deleted application takes its authorizations with it, so `isDeleted` is false.
fn oidc_app_json(x: &AuthorizedApp) -> Value {
    let (a, o) = (&x.app, &x.app.oidc);
    json!({
        "_id": a.id,
        "name": a.name,
        "client_id": a.id,
        "domain": a.identifier,
        "description": a.description,
        "redirect_uris": o.redirect_uris,
        "grant_types": o.grant_types,
        "response_types": o.response_types,
        "token_endpoint_auth_method": o.token_endpoint_auth_method,
        "id_token_signed_response_alg": o.id_token_signing_alg.as_str(),
        "image": a.logo,
        "authorization_code_expire": CODE_TTL_MS / 1000,
        "access_token_expire": o.access_token_lifetime,
        "id_token_expire": o.id_token_lifetime,
        "refresh_token_expire": o.refresh_token_lifetime,
        "cas_expire": null,
        "scope": x.scope,
        "when": iso8601(x.at),
        "isDeleted": false,
    })
}

/// `GetUserAuthorizedApps(clientId, userId, page, count)` (§9; `clientId` is the pool):
/// the applications the user authorized (consented to, or holding a live grant for him),
/// for the pool's administrator or the user himself.
async fn authorized_apps(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let user_id = user_id(ctx, a).await?;
    let named = opt_str(a, "clientId")?;
    let pool = actor_pool(ctx, named.as_deref(), &user_id).await?;
    let page = opt_int(a, "page")?.unwrap_or(1);
    let count = opt_int(a, "count")?.unwrap_or(10);
    let (total, apps) = ctx
        .state
        .core
        .user_authorized_apps(&pool, &user_id, page, count)
        .await?;
    Ok(json!({
        // Authing kept its older OAuth applications apart from its OIDC ones; Tessera has
        // one kind of application, an OpenID Connect client, so every one is in OIDCApps.
        "OAuthApps": [],
        "OIDCApps": apps.iter().map(oidc_app_json).collect::<Vec<_>>(),
        "totalCount": total,
    }))
}

/// `RevokeUserAuthorizedApp(userPoolId, userId, appId)` (§9): withdraws the user's consent
/// to the application and ends every grant he gave it, so its refresh tokens stop working
/// and its next authorization asks for consent again. An authorization has no id of its
/// own here (it is the user's and the application's), so `_id` is the application's.
async fn revoke_authorized_app(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let user_id = user_id(ctx, a).await?;
    let app_id = req_str(a, "appId")?;
    let named = opt_str(a, "userPoolId")?;
    let pool = actor_pool(ctx, named.as_deref(), &user_id).await?;
    let r = ctx
        .state
        .core
        .revoke_user_authorized_app(&pool, &user_id, &app_id)
        .await?;
    Ok(json!({
        "isRevoked": r.revoked,
        "_id": app_id,
        "scope": r.scope,
        "appId": app_id,
        "userId": user_id,
        "type": "oidc",
        "when": r.at.map(iso8601),
    }))
}
