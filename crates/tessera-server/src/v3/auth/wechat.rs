//! The WeChat mini-program calls (`v3-wire.md` §5.3 `signin-by-mobile`, §5.6 "WeChat
//! helpers", §6.2, §6.5): sign-in by a `wx.login` code (with or without the phone number
//! the user shared) or a WeChat mobile app's authorization code, the shared phone number
//! itself, decrypting the mini-program's
//! `encryptedData`, the mini-program's own access token, and binding WeChat to the
//! signed-in user. The connection is named by `extIdpConnidentifier`; every rule — the
//! calls to WeChat, finding or creating the user, the one login — is the core's
//! (`Core::wechat_*`).

use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tessera_core::service::login::LoginOptions;
use tessera_core::Error;

use super::super::envelope::{done, ok, Reply};
use super::call::AuthCall;
use super::signin::{custom_data, login_failure, LoginTokens};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/signin-by-mobile", post(signin_by_mobile))
        .route("/api/v3/get-wechat-miniprogram-phone", post(phone))
        .route("/api/v3/decrypt-wechat-miniprogram-data", post(decrypt))
        .route("/api/v3/get-wechat-access-token", post(access_token))
        .route("/api/v3/get-wechat-access-token-info", post(access_token))
        .route("/connections/social/wechat-miniprogram/bind", post(bind))
}

/// `encryptedData: ""` and `iv: ""` mean "not supplied" (§9.11).
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CodePayload {
    code: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PhoneCode {
    code: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CodeAndPhonePayload {
    wx_login_info: CodePayload,
    wx_phone_info: PhoneCode,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct MobileOptions {
    scope: Option<String>,
    custom_data: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SigninByMobile {
    ext_idp_connidentifier: String,
    connection: String,
    wechat_mini_program_code_payload: Option<CodePayload>,
    wechat_mini_program_code_and_phone_payload: Option<CodeAndPhonePayload>,
    /// `connection: "wechat"` (a WeChat mobile app): `SignInByWechatPayloadDto`.
    wechat_payload: Option<CodePayload>,
    options: Option<MobileOptions>,
    #[serde(rename = "client_id")]
    client_id: Option<String>,
    #[serde(rename = "client_secret")]
    client_secret: Option<String>,
}

async fn signin_by_mobile(call: AuthCall) -> Reply {
    let req: SigninByMobile = call.args()?;
    let (pool, app) = (call.pool()?.clone(), call.app()?.clone());
    let proved =
        call.client_authenticated(req.client_id.as_deref(), req.client_secret.as_deref())?;
    let opts = req.options.unwrap_or_default();
    let login = LoginOptions {
        client: call.login_context(None, proved),
        custom_data: custom_data(opts.custom_data).map_err(|e| call.fail(e))?,
        ..LoginOptions::default()
    };
    let core = call.core();
    let id = req.ext_idp_connidentifier.as_str();
    let event = match req.connection.as_str() {
        "wechat_mini_program_code" => {
            let p = req.wechat_mini_program_code_payload.ok_or_else(|| {
                call.fail(Error::MissingParameter("wechatMiniProgramCodePayload"))
            })?;
            core.wechat_login_by_code(&pool, Some(&app), id, &p.code, login)
                .await
        }
        "wechat_mini_program_code_and_phone" => {
            let p = req
                .wechat_mini_program_code_and_phone_payload
                .ok_or_else(|| {
                    call.fail(Error::MissingParameter(
                        "wechatMiniProgramCodeAndPhonePayload",
                    ))
                })?;
            core.wechat_login_by_code_and_phone(
                &pool,
                Some(&app),
                id,
                &p.wx_login_info.code,
                &p.wx_phone_info.code,
                login,
            )
            .await
        }
        // A WeChat mobile app (`wechat_mobile.rs` shares the core flow): this call has no
        // linking step to offer, so a person linked to no user is registered under the
        // pool's rules, as a mini-program login does.
        "wechat" => {
            let p = req
                .wechat_payload
                .ok_or_else(|| call.fail(Error::MissingParameter("wechatPayload")))?;
            core.wechat_mobile_login(&pool, Some(&app), Some(id), &p.code, false, login)
                .await
        }
        // The other mobile connections (Apple, Alipay, WeChat Work, Lark, Douyin, the
        // social networks…) and the encrypted-phone variant are identity sources Tessera
        // does not connect to.
        _ => return Err(call.fail(Error::IdentitySourceNotConfigured)),
    }
    .map_err(|e| call.fail(login_failure(e)))?;
    let tokens = core
        .oidc_tokens_for_event(&pool, &app, &event, opts.scope.as_deref())
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, LoginTokens::from(tokens)))
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
    Ok(ok(call.lang, data))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DecryptRequest {
    ext_idp_connidentifier: String,
    code: String,
    iv: String,
    encrypted_data: String,
}

async fn decrypt(call: AuthCall) -> Reply {
    let req: DecryptRequest = call.args()?;
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

/// `bindWxByCode`: links the WeChat user of a fresh `wx.login` code to the signed-in user.
async fn bind(call: AuthCall) -> Reply {
    let req: BindRequest = call.args()?;
    let s = call.session().await?;
    let id = req
        .ext_idp_connidentifier
        .filter(|i| !i.is_empty())
        .ok_or_else(|| call.fail(Error::MissingParameter("extIdpConnidentifier")))?;
    call.core()
        .wechat_bind(&s, &id, &req.code)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(done(call.lang))
}
