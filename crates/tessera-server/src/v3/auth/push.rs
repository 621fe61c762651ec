//! Push login (`v3-wire.md` §5.6 Sign-in): the browser's `signInByPush` and
//! `checkPushCodeStatus`, the user's app's `changePushCodeStatus` (alias `setPushCodeStatus`)
//! and `getPushLoginRelationApps`. The rules are the core's (`Core::push_login_*`); the poll
//! that collects a confirmed push is the one core login, and its token set is the password
//! sign-in's (`LoginTokens`, the application's token profile).

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::service::push_login::{PushAnswer, PushState};
use tessera_core::Error;

use super::super::envelope::{done, ok, success, Reply, V3Error};
use super::call::AuthCall;
use super::signin::{login_failure, LoginTokens};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/signin-by-push", post(request))
        .route("/api/v3/check-pushcode-status", get(status))
        .route("/api/v3/change-pushcode-status", post(change))
        .route("/api/v3/set-pushcode-status", post(set))
        .route("/api/v3/get-pushlogin-relation-apps", post(relation_apps))
}

/// `SignInByPushOptionsDto`. `context` is the pipeline context of Authing's hosted flows;
/// no pipeline runs here, so it changes nothing (as for `signInByCredentials`).
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PushOptions {
    scope: Option<String>,
    custom_data: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignInByPush {
    account: String,
    options: Option<PushOptions>,
}

async fn request(call: AuthCall) -> Reply {
    let req: SignInByPush = call.args()?;
    let opts = req.options.unwrap_or_default();
    // Custom-field values are written by the login that sets them; a push's login happens
    // at a later poll that carries none, so values here would be silently lost: refused.
    if opts
        .custom_data
        .as_ref()
        .is_some_and(|v| !v.is_null() && v.as_object().is_none_or(|m| !m.is_empty()))
    {
        return Err(call.fail(Error::InvalidParameter("customData")));
    }
    let scope = opts
        .scope
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    let (pool, app) = (call.pool()?, call.app()?);
    let client = call.login_context(None, false);
    let code = call
        .core()
        .push_login_request(pool, app, &req.account, scope.as_deref(), &client)
        .await
        .map_err(|e| call.fail(login_failure(e)))?;
    Ok(ok(
        call.lang,
        json!({ "pushCodeId": code.id, "expireTime": code.expires_at }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ById {
    push_code_id: String,
}

async fn status(call: AuthCall) -> Reply {
    let req: ById = call.args()?;
    let (pool, app) = (call.pool()?.clone(), call.app()?.clone());
    let core = call.core();
    let view = core
        .push_login_status(
            &pool,
            &app,
            &req.push_code_id,
            call.login_context(None, false),
        )
        .await
        .map_err(|e| call.fail(login_failure(e)))?;
    let status = match view.state {
        PushState::Pushed => "PUSHED",
        PushState::Authorized => "AUTHORIZED",
        PushState::Cancelled => "CANCELLED",
        PushState::Expired => "EXPIRED",
    };
    let mut data = json!({ "status": status });
    if let Some(login) = view.login {
        let tokens = core
            .oidc_tokens_for_event(&pool, &app, &login.event, login.scope.as_deref())
            .await
            .map_err(|e| call.fail(e))?;
        data["tokenSet"] = serde_json::to_value(LoginTokens::from(tokens))
            .map_err(|e| call.fail(Error::Internal(e.to_string())))?;
    }
    Ok(ok(call.lang, data))
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "UPPERCASE")]
enum Action {
    Confirm,
    Cancel,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Change {
    push_code_id: String,
    action: Action,
}

async fn act(call: &AuthCall) -> Result<(), V3Error> {
    let req: Change = call.args()?;
    let s = call.session().await?;
    let answer = match req.action {
        Action::Confirm => PushAnswer::Confirm,
        Action::Cancel => PushAnswer::Cancel,
    };
    call.core()
        .push_login_answer(&s, &req.push_code_id, answer)
        .await
        .map_err(|e| call.fail(e))
}

/// `changePushCodeStatus`: the envelope only.
async fn change(call: AuthCall) -> Reply {
    act(&call).await?;
    Ok(done(call.lang))
}

/// `setPushCodeStatus`: `IsSuccessDto`.
async fn set(call: AuthCall) -> Reply {
    act(&call).await?;
    Ok(success(call.lang))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RelationApps {
    app_id: String,
    push_code_id: String,
}

/// `getPushLoginRelationApps`, asked by the user's app with their token: the applications
/// the push signs in to, for the app to show which one is asking.
async fn relation_apps(call: AuthCall) -> Reply {
    let req: RelationApps = call.args()?;
    let s = call.session().await?;
    let app_ids = call
        .core()
        .push_login_apps(&s, &req.app_id, &req.push_code_id)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, json!({ "appIds": app_ids })))
}
