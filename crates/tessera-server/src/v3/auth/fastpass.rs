//! Quick authentication from the personal center (`v3-wire.md` §5.6 Sign-in): the signed-in
//! web user's `geneFastpassQrcodeInfo` and `getAppLoginQrCodeStatus`, and the scanning
//! app's `getFastpassParams` and `qrCodeAppLogin`. The rules are the core's
//! (`Core::fastpass_*`); the app's login is the one core login, and its token set is the
//! password sign-in's (`LoginTokens`, the application's token profile).
//!
//! The app sends no secret (the SDK adds none to these calls): the code, a one-time bearer
//! credential the signed-in user handed over, is what proves the login, as a QR code's
//! confirmation does.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::Error;

use super::super::envelope::{ok, Reply};
use super::call::AuthCall;
use super::qrcode::status_dto;
use super::signin::{login_failure, LoginTokens};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/gene-fastpass-qrcode-info", post(generate))
        .route("/api/v3/get-fastpass-client-apps", get(relation_apps))
        .route("/api/v3/qrcode-app-login", post(app_login))
        .route("/api/v3/get-app-login-qrcode-status", get(status))
}

/// What the QR data calls this use, so the scanning app knows what it read.
const SCENE: &str = "FASTPASS";

/// `SignInFastpassOptionsDto`. `context` is the pipeline context of Authing's hosted flows;
/// no pipeline runs here, so it changes nothing (as for `signInByCredentials`).
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct FastpassOptions {
    scope: Option<String>,
    custom_data: Option<Value>,
}

#[derive(Debug, Deserialize, Default)]
struct SignInFastpass {
    options: Option<FastpassOptions>,
}

/// `FastpassUserInfoDto`: `photo` is required, so an absent one is empty.
fn info(id: &str, display_name: &str, photo: Option<&str>) -> Value {
    json!({ "id": id, "displayName": display_name, "photo": photo.unwrap_or_default() })
}

async fn generate(call: AuthCall) -> Reply {
    let req: SignInFastpass = call.args()?;
    let opts = req.options.unwrap_or_default();
    // Custom-field values are written by the login that sets them; this code's login
    // happens later, in an app that sends none, so values here would be lost: refused.
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
    let s = call.session().await?;
    let app = call.app()?;
    let code = call
        .core()
        .fastpass_create(&s, app, scope.as_deref())
        .await
        .map_err(|e| call.fail(e))?;
    let pool = s.pool();
    Ok(ok(
        call.lang,
        json!({
            "scene": SCENE,
            "qrcodeId": code.id,
            "apiHost": call.core().public_url(),
            "user": info(&code.user_id, &code.user.display_name, code.user.photo.as_deref()),
            "appId": code.app_id,
            "userpool": info(&pool.id, &pool.name, pool.logo.as_deref()),
        }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RelationApps {
    qrcode_id: String,
    app_id: String,
}

/// `getFastpassParams`: `FastpassQRCodeRelationAppDto` for each application the code can
/// log in to.
async fn relation_apps(call: AuthCall) -> Reply {
    let req: RelationApps = call.args()?;
    let apps = call
        .core()
        .fastpass_apps(call.pool()?, &req.app_id, &req.qrcode_id)
        .await
        .map_err(|e| call.fail(e))?;
    let list: Vec<Value> = apps
        .iter()
        .map(|a| json!({ "id": a.id, "name": a.name, "logo": a.logo.clone().unwrap_or_default() }))
        .collect();
    Ok(ok(call.lang, json!({ "relationApps": list })))
}

#[derive(Debug, Deserialize, Clone, Copy)]
enum Action {
    #[serde(rename = "APP_LOGIN")]
    AppLogin,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppLogin {
    qrcode_id: String,
    action: Action,
}

/// `qrCodeAppLogin`: the token set of the code's user for the application asking.
async fn app_login(call: AuthCall) -> Reply {
    let req: AppLogin = call.args()?;
    let Action::AppLogin = req.action;
    let (pool, app) = (call.pool()?.clone(), call.app()?.clone());
    let core = call.core();
    let login = core
        .fastpass_login(&pool, &app, &req.qrcode_id, call.login_context(None, false))
        .await
        .map_err(|e| call.fail(login_failure(e)))?;
    let tokens = core
        .oidc_tokens_for_event(&pool, &app, &login.event, login.scope.as_deref())
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, LoginTokens::from(tokens)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ById {
    qrcode_id: String,
}

/// `getAppLoginQrCodeStatus`: `CheckQRCodeStatusDataDto` without ticket or token set (the
/// web user is signed in already; the tokens went to the app).
async fn status(call: AuthCall) -> Reply {
    let req: ById = call.args()?;
    let view = call
        .core()
        .fastpass_status(call.pool()?, &req.qrcode_id)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, status_dto(view)))
}
