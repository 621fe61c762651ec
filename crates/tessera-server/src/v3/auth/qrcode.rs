//! QR-code login with the pool's own mobile app (`v3-wire.md` §5.6 Sign-in): the browser's
//! `geneQrCode` and `checkQrCodeStatus` (alias `getQrCodeStatus`), the app's
//! `changeQrCodeStatus` (alias `setQrCodeStatus`), and the backend's
//! `exchangeTokenSetWithQrCodeTicket`. The rules are the core's (`Core::qr_login_*`); the
//! exchange is the one core login.
//!
//! The code's image is served at `url` (`GET /api/v3/qrcode-image/{pool}/{id}`, PNG); what it
//! encodes is JSON the app reads, `{"scene":"APP_AUTH","qrcodeId":…,"userPoolId":…,
//! "appId":…}`: the app sends `qrcodeId` back with the user's token.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::service::qr_login::{QrAction, QrState, QrView};
use tessera_core::Error;

use super::super::call::lang_of;
use super::super::envelope::{done, ok, success, Failure, Reply, V3Error};
use super::call::AuthCall;
use super::signin::{login_failure, LoginTokens};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/gene-qrcode", post(generate))
        .route("/api/v3/check-qrcode-status", get(status))
        .route("/api/v3/get-qrcode-status", get(status))
        .route("/api/v3/change-qrcode-status", post(change))
        .route("/api/v3/set-qrcode-status", post(set))
        .route(
            "/api/v3/exchange-tokenset-with-qrcode-ticket",
            post(exchange),
        )
        .route("/api/v3/qrcode-image/{pool_id}/{id}", get(image))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum QrType {
    #[serde(rename = "MOBILE_APP")]
    MobileApp,
    #[serde(rename = "WECHAT_MINIPROGRAM")]
    WechatMiniprogram,
    #[serde(rename = "WECHAT_OFFICIAL_ACCOUNT")]
    WechatOfficialAccount,
}

#[derive(Debug, Deserialize)]
struct Generate {
    #[serde(rename = "type")]
    kind: QrType,
}

/// What the image encodes: the scene and the ids the app needs.
fn payload(pool_id: &str, app_id: &str, id: &str) -> String {
    json!({"scene": "APP_AUTH", "qrcodeId": id, "userPoolId": pool_id, "appId": app_id}).to_string()
}

async fn generate(call: AuthCall) -> Reply {
    let req: Generate = call.args()?;
    match req.kind {
        QrType::MobileApp => {}
        // A WeChat code is drawn by WeChat for a configured mini-program or official
        // account; no such connection takes part in QR logins here.
        QrType::WechatMiniprogram | QrType::WechatOfficialAccount => {
            return Err(call.fail(Error::IdentitySourceNotConfigured))
        }
    }
    let (pool, app) = (call.pool()?, call.app()?);
    let q = call
        .core()
        .qr_login_create_in(pool, app, call.tenant_id())
        .await
        .map_err(|e| call.fail(e))?;
    let url = format!(
        "{}/api/v3/qrcode-image/{}/{}",
        call.core().public_url(),
        q.pool_id,
        q.id
    );
    Ok(ok(call.lang, json!({ "qrcodeId": q.id, "url": url })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ById {
    qrcode_id: String,
}

async fn status(call: AuthCall) -> Reply {
    let req: ById = call.args()?;
    let view = call
        .core()
        .qr_login_status(call.pool()?, &req.qrcode_id)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, status_dto(view)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Change {
    qrcode_id: String,
    action: Action,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "UPPERCASE")]
enum Action {
    Scan,
    Confirm,
    Cancel,
}

async fn act(call: &AuthCall) -> Result<(), V3Error> {
    let req: Change = call.args()?;
    let s = call.session().await?;
    let action = match req.action {
        Action::Scan => QrAction::Scan,
        Action::Confirm => QrAction::Confirm,
        Action::Cancel => QrAction::Cancel,
    };
    call.core()
        .qr_login_act(&s, &req.qrcode_id, action)
        .await
        .map_err(|e| call.fail(e))
}

/// `changeQrCodeStatus`: the envelope only.
async fn change(call: AuthCall) -> Reply {
    act(&call).await?;
    Ok(done(call.lang))
}

/// `setQrCodeStatus`: `IsSuccessDto`.
async fn set(call: AuthCall) -> Reply {
    act(&call).await?;
    Ok(success(call.lang))
}

#[derive(Debug, Deserialize)]
struct Exchange {
    ticket: String,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The ticket for the token set. The application authenticates as it does at its token
/// endpoint: a confidential one with its secret (body or Basic), a public one by its id.
async fn exchange(call: AuthCall) -> Reply {
    let req: Exchange = call.args()?;
    let (pool, app) = (call.pool()?.clone(), call.app()?.clone());
    let proved =
        call.client_authenticated(req.client_id.as_deref(), req.client_secret.as_deref())?;
    if !proved && !app.oidc.is_public() {
        return Err(call.fail(Error::Forbidden));
    }
    let core = call.core();
    let event = core
        .qr_login_exchange_in(
            &pool,
            &app,
            &req.ticket,
            call.login_context(None, proved),
            call.tenant_id(),
        )
        .await
        .map_err(|e| call.fail(login_failure(e)))?;
    let tokens = core
        .oidc_tokens_for_event(&pool, &app, &event, None)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, LoginTokens::from(tokens)))
}

/// The code's image: a PNG of the JSON payload (`crate::qr`).
async fn image(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((pool_id, id)): Path<(String, String)>,
) -> Response {
    let lang = lang_of(&headers);
    let found = match state.core.qr_login_shown(&pool_id, &id).await {
        Ok(q) => q,
        Err(e) => return V3Error(Failure::Core(e), lang).into_response(),
    };
    let text = payload(&found.pool_id, &found.app_id, &found.id);
    match crate::qr::png(&text) {
        Some(png) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            png,
        )
            .into_response(),
        None => V3Error(Failure::Core(Error::Internal("QR encoding".into())), lang).into_response(),
    }
}

/// `CheckQRCodeStatusDataDto` of a code's state: the status, the scanner's brief profile once
/// scanned, the one-time ticket once confirmed (quick-authentication codes have none).
pub(super) fn status_dto(view: QrView) -> Value {
    let status = match view.state {
        QrState::Pending => "PENDING",
        QrState::Scanned => "SCANNED",
        QrState::Authorized => "AUTHORIZED",
        QrState::Cancelled => "CANCELLED",
        QrState::Expired => "EXPIRED",
    };
    let mut data = json!({ "status": status });
    if let Some(u) = view.user {
        data["briefUserInfo"] = json!({
            "displayName": u.display_name,
            "photo": u.photo.unwrap_or_default(),
        });
    }
    if let Some(t) = view.ticket {
        data["ticket"] = Value::String(t);
    }
    data
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_payload_is_json_naming_the_code_and_its_image_encodes() {
        let text = super::payload("pool", "app", "abcdef");
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["scene"], "APP_AUTH");
        assert_eq!(v["qrcodeId"], "abcdef");
        let png = crate::qr::png(&text).expect("encodes");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
}
