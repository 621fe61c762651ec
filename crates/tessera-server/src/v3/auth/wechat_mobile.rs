//! WeChat mobile-app sign-in and account linking (`v3-wire.md` "Account linking (ext-idp,
//! WeChat mobile)"): `authByCodeIdentity` and the six calls that spend its `key`
//! (`registerNewUser`, `bindByEmailCode`, `bindByPhoneCode`, `bindByAccount`,
//! `selectAccount`, `bindByAccountId`). Every rule is the core's (`Core::wechat_mobile_*`).
//!
//! Answers: the v3 envelope with `data` the token set (§1's recommendation for these bare
//! declared DTOs). A person linked to no user gets the authentication OpenAPI's
//! `WechatIdentityResolveRespDto`: statusCode 301, apiCode 1640, `data {key, methods,
//! accounts}`, and `uniqueId` (the OpenAPI's example gives it the key's value: it is the key).
//! The `action` each linking call must carry is named in the SDK without its values; it is
//! required and not interpreted — the path already says what the call does.

use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use tessera_core::service::login::LoginOptions;
use tessera_core::service::wechat_mobile::LinkProof;
use tessera_core::Error;

use super::super::envelope::{ok, Reply, V3Error};
use super::call::AuthCall;
use super::signin::{custom_data, login_failure, LoginTokens};
use crate::AppState;

const BASE: &str = "/api/v2/ecConn/wechatMobile";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{BASE}/authByCodeIdentity"), post(auth_by_code))
        .route(&format!("{BASE}/register"), post(register))
        .route(&format!("{BASE}/byEmailCode"), post(by_email_code))
        .route(&format!("{BASE}/byPhoneCode"), post(by_phone_code))
        .route(&format!("{BASE}/byAccount"), post(by_account))
        .route(&format!("{BASE}/select"), post(select))
        .route(&format!("{BASE}/byAccountId"), post(by_account_id))
}

/// `SignInOptionsDto`, the parts a token set needs.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Options {
    scope: Option<String>,
    custom_data: Option<Value>,
}

/// `WechatMobileAuthByCodeIdentityInput`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthByCode {
    code: String,
    app_id: Option<String>,
    conn_id: Option<String>,
    options: Option<Options>,
}

/// What every linking call carries.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Ticket {
    key: String,
    action: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByEmailCode {
    #[serde(flatten)]
    ticket: Ticket,
    code: String,
    email: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByPhoneCode {
    #[serde(flatten)]
    ticket: Ticket,
    code: String,
    phone: String,
    phone_country_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ByAccount {
    #[serde(flatten)]
    ticket: Ticket,
    account: String,
    password: String,
}

/// `selectAccount` names the account as `account`, `bindByAccountId` as `accountId`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ById {
    #[serde(flatten)]
    ticket: Ticket,
    account: Option<String>,
    account_id: Option<String>,
}

/// The token set of a sign-in, or the linking challenge as `WechatIdentityResolveRespDto`.
async fn answer(
    call: &AuthCall,
    event: tessera_core::Result<tessera_core::service::authn::AuthEvent>,
    scope: Option<&str>,
) -> Reply {
    let event = match event {
        Ok(e) => e,
        Err(Error::AccountLinkRequired(c)) => {
            let key = c.ticket.clone();
            let mut body = V3Error(Error::AccountLinkRequired(c).into(), call.lang).body();
            body["uniqueId"] = Value::String(key);
            return Ok(Json(body).into_response());
        }
        Err(e) => return Err(call.fail(login_failure(e))),
    };
    let (pool, app) = (call.pool()?, call.app()?);
    let tokens = call
        .core()
        .oidc_tokens_for_event(pool, app, &event, scope)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, LoginTokens::from(tokens)))
}

async fn auth_by_code(call: AuthCall) -> Reply {
    let req: AuthByCode = call.args()?;
    let (pool, app) = (call.pool()?, call.app()?);
    // The body's `appId` may only repeat the application the request is made for.
    if let Some(id) = req
        .app_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if id != app.id {
            return Err(call.fail(Error::InvalidParameter("appId")));
        }
    }
    let opts = req.options.unwrap_or_default();
    let login = LoginOptions {
        client: call.login_context(None, false),
        custom_data: custom_data(opts.custom_data).map_err(|e| call.fail(e))?,
        ..LoginOptions::default()
    };
    let event = call
        .core()
        .wechat_mobile_login(
            pool,
            Some(app),
            req.conn_id.as_deref(),
            &req.code,
            true,
            login,
        )
        .await;
    answer(&call, event, opts.scope.as_deref()).await
}

/// Spends the ticket with `proof` and answers the token set.
async fn link(call: &AuthCall, ticket: Ticket, proof: LinkProof) -> Reply {
    if ticket.action.trim().is_empty() {
        return Err(call.fail(Error::MissingParameter("action")));
    }
    let (pool, app) = (call.pool()?, call.app()?);
    let login = LoginOptions {
        client: call.login_context(None, false),
        ..LoginOptions::default()
    };
    let event = call
        .core()
        .wechat_mobile_link(pool, Some(app), &ticket.key, proof, login)
        .await;
    answer(call, event, None).await
}

async fn register(call: AuthCall) -> Reply {
    let t: Ticket = call.args()?;
    link(&call, t, LinkProof::Register).await
}

async fn by_email_code(call: AuthCall) -> Reply {
    let r: ByEmailCode = call.args()?;
    let proof = LinkProof::EmailCode {
        email: r.email,
        code: r.code,
    };
    link(&call, r.ticket, proof).await
}

async fn by_phone_code(call: AuthCall) -> Reply {
    let r: ByPhoneCode = call.args()?;
    let proof = LinkProof::PhoneCode {
        phone: r.phone,
        country_code: r.phone_country_code,
        code: r.code,
    };
    link(&call, r.ticket, proof).await
}

async fn by_account(call: AuthCall) -> Reply {
    let r: ByAccount = call.args()?;
    let proof = LinkProof::Password {
        account: r.account,
        password: r.password,
    };
    link(&call, r.ticket, proof).await
}

async fn select(call: AuthCall) -> Reply {
    let r: ById = call.args()?;
    let id = r
        .account
        .ok_or_else(|| call.fail(Error::MissingParameter("account")))?;
    link(&call, r.ticket, LinkProof::Candidate(id)).await
}

async fn by_account_id(call: AuthCall) -> Reply {
    let r: ById = call.args()?;
    let id = r
        .account_id
        .ok_or_else(|| call.fail(Error::MissingParameter("accountId")))?;
    link(&call, r.ticket, LinkProof::Candidate(id)).await
}
