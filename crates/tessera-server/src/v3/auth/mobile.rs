//! `signin-by-mobile` (`v3-wire.md` §5.3, §6.2): the sign-in of the mobile and
//! mini-program identity sources Tessera connects to — WeChat and Douyin mini-programs (a
//! `wx.login`/`tt.login` code, with or without the phone number the user shared), a WeChat
//! mobile app (its open-platform authorization code) and the Alipay app (the `authCode` its SDK returned). The connection is named by
//! `extIdpConnidentifier`; every rule — asking the provider, finding or creating the user,
//! the one login — is the core's (`Core::wechat_*`, `Core::douyin_*`, `Core::alipay_login`).

use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use serde_json::Value;
use tessera_core::service::login::LoginOptions;
use tessera_core::Error;

use super::super::envelope::{ok, Reply};
use super::call::AuthCall;
use super::signin::{custom_data, login_failure, LoginTokens};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v3/signin-by-mobile", post(signin_by_mobile))
}

/// A login code. `encryptedData: ""` and `iv: ""` come with it and mean "not supplied"
/// (§9.11); the sign-in needs only the code.
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

/// Douyin's phone button data, sealed under the login's session key.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct SealedPhone {
    encrypted_data: String,
    iv: String,
}

/// `douyinMiniProgramCodeAndPhonePayload {loginParams{code, …}, phoneParams{encryptedData,
/// iv}}` (§5.3).
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DouyinCodeAndPhonePayload {
    login_params: CodePayload,
    phone_params: SealedPhone,
}

/// `SignInByAlipayPayloadDto {authCode}`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AlipayPayload {
    auth_code: String,
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
    douyin_mini_program_code_payload: Option<CodePayload>,
    douyin_mini_program_code_and_phone_payload: Option<DouyinCodeAndPhonePayload>,
    alipay_payload: Option<AlipayPayload>,
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
        tenant_id: call.tenant_id().map(str::to_owned),
        ..LoginOptions::default()
    };
    let core = call.core();
    let id = req.ext_idp_connidentifier.as_str();
    let missing = |name: &'static str| call.fail(Error::MissingParameter(name));
    let event = match req.connection.as_str() {
        "wechat_mini_program_code" => {
            let p = req
                .wechat_mini_program_code_payload
                .ok_or_else(|| missing("wechatMiniProgramCodePayload"))?;
            core.wechat_login_by_code(&pool, Some(&app), id, &p.code, login)
                .await
        }
        "wechat_mini_program_code_and_phone" => {
            let p = req
                .wechat_mini_program_code_and_phone_payload
                .ok_or_else(|| missing("wechatMiniProgramCodeAndPhonePayload"))?;
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
        "douyin_mini_program_code" => {
            let p = req
                .douyin_mini_program_code_payload
                .ok_or_else(|| missing("douyinMiniProgramCodePayload"))?;
            core.douyin_login_by_code(&pool, Some(&app), id, &p.code, login)
                .await
        }
        "douyin_mini_program_code_and_phone" => {
            let p = req
                .douyin_mini_program_code_and_phone_payload
                .ok_or_else(|| missing("douyinMiniProgramCodeAndPhonePayload"))?;
            let phone = (
                p.phone_params.encrypted_data.as_str(),
                p.phone_params.iv.as_str(),
            );
            core.douyin_login_by_code_and_phone(
                &pool,
                Some(&app),
                id,
                &p.login_params.code,
                phone,
                login,
            )
            .await
        }
        // A WeChat mobile app (`wechat_mobile.rs` shares the core flow): this call has no
        // linking step to offer, so a person linked to no user is registered under the
        // pool's rules, as a mini-program login does.
        "wechat" => {
            let p = req.wechat_payload.ok_or_else(|| missing("wechatPayload"))?;
            core.wechat_mobile_login(&pool, Some(&app), Some(id), &p.code, false, login)
                .await
        }
        "alipay" => {
            let p = req.alipay_payload.ok_or_else(|| missing("alipayPayload"))?;
            core.alipay_login(&pool, Some(&app), id, &p.auth_code, login)
                .await
        }
        // The other mobile connections (Apple, WeChat Work, Lark, the social networks…) and
        // WeChat's encrypted-phone variant are identity sources Tessera does not connect to.
        _ => return Err(call.fail(Error::IdentitySourceNotConfigured)),
    }
    .map_err(|e| call.fail(login_failure(e)))?;
    let tokens = core
        .oidc_tokens_for_event(&pool, &app, &event, opts.scope.as_deref())
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, LoginTokens::from(tokens)))
}
