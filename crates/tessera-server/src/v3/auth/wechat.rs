//! The WeChat mini-program calls (`v3-wire.md` §5.6 "WeChat helpers", §6.2, §6.5; the
//! sign-in by a `wx.login` code is `mobile.rs`): the shared phone number itself,
//! decrypting the mini-program's `encryptedData`, the mini-program's own access token, and
//! binding WeChat to the signed-in user. The connection is named by `extIdpConnidentifier`; every rule — the
//! calls to WeChat, finding or creating the user, the one login — is the core's
//! (`Core::wechat_*`).

use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tessera_core::service::account::Session;
use tessera_core::wechat::WechatPhone;
use tessera_core::Error;

use super::super::envelope::{done, ok, Reply, V3Error};
use super::call::AuthCall;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-wechat-miniprogram-phone", post(phone))
        .route("/api/v3/decrypt-wechat-miniprogram-data", post(decrypt))
        .route("/api/v3/get-wechat-access-token", post(access_token))
        .route("/api/v3/get-wechat-access-token-info", post(access_token))
        .route("/connections/social/wechat-miniprogram/bind", post(bind))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhoneRequest {
    ext_idp_connidentifier: String,
    code: String,
}

/// `getPhone`: the number WeChat gives for the button's code, both as the OpenAPI's
/// `data` and as the mini-program SDK's `data.phone_info` (§6.2: emit both).
async fn phone(call: AuthCall) -> Reply {
    let req: PhoneRequest = call.args()?;
    let p = call
        .core()
        .wechat_phone(call.pool()?, &req.ext_idp_connidentifier, &req.code)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, phone_dto(&p)))
}

/// The number both as the OpenAPI's `data` and as the mini-program SDK's
/// `data.phone_info` (§6.2: emit both); Douyin's `getPhone` answers the same shape.
pub(super) fn phone_dto(p: &WechatPhone) -> Value {
    let info = json!({
        "phoneNumber": p.phone_number,
        "purePhoneNumber": p.pure_phone_number,
        "countryCode": p.country_code,
        "watermark": { "appid": p.watermark_appid, "timestamp": p.watermark_timestamp },
    });
    let mut data = info.clone();
    if let Some(o) = data.as_object_mut() {
        o.remove("watermark");
    }
    data["phone_info"] = info;
    data
}

/// Data a mini-program sealed, with a fresh login code: `decryptData` on WeChat and on
/// Douyin, and Douyin's `getPhone`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SealedRequest {
    pub ext_idp_connidentifier: String,
    pub code: String,
    pub iv: String,
    pub encrypted_data: String,
}

async fn decrypt(call: AuthCall) -> Reply {
    let req: SealedRequest = call.args()?;
    let data = call
        .core()
        .wechat_decrypt(
            call.pool()?,
            &req.ext_idp_connidentifier,
            &req.code,
            &req.encrypted_data,
            &req.iv,
        )
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, data))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccessTokenRequest {
    app_id: String,
    app_secret: String,
}

/// `getWechatMpAccessToken` / `getWechatMpAccessTokenInfo`: the access token of one of the
/// pool's mini-program connections, for its own id and secret only (never a proxy to
/// WeChat for credentials the pool does not hold). A caller naming no pool is not one of
/// its clients.
/// `GetWechatAccessTokenDataDto`, for this family and the management side's
/// `getWechatMpAccessTokenInfo`.
pub(in crate::v3) fn access_token_dto(t: &tessera_core::wechat::WechatAccessToken) -> Value {
    let expires_at = tessera_core::clock::now_ms() + t.expires_in.saturating_mul(1000);
    json!({ "accessToken": t.access_token, "expiresAt": expires_at })
}

async fn access_token(call: AuthCall) -> Reply {
    let pool = call.pool().map_err(|_| call.fail(Error::NotLoggedIn))?;
    let req: AccessTokenRequest = call.args()?;
    let t = call
        .core()
        .wechat_access_token(pool, &req.app_id, &req.app_secret)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, access_token_dto(&t)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BindRequest {
    code: String,
    ext_idp_connidentifier: Option<String>,
    #[serde(flatten)]
    _rest: Map<String, Value>,
}

/// What a mini-program's bind call names (`bindWxByCode`, and `bindPlatformByCode` on
/// Douyin): the signed-in user, the connection and a fresh login code.
pub(super) async fn bind_args(call: &AuthCall) -> Result<(Session, String, String), V3Error> {
    let req: BindRequest = call.args()?;
    let s = call.session().await?;
    let id = req
        .ext_idp_connidentifier
        .filter(|i| !i.is_empty())
        .ok_or_else(|| call.fail(Error::MissingParameter("extIdpConnidentifier")))?;
    Ok((s, id, req.code))
}

/// `bindWxByCode`: links the WeChat user of a fresh `wx.login` code to the signed-in user.
async fn bind(call: AuthCall) -> Reply {
    let (s, id, code) = bind_args(&call).await?;
    call.core()
        .wechat_bind(&s, &id, &code)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(done(call.lang))
}
