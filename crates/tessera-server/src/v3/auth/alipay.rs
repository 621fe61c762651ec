//! `getAlipayAuthInfo` (`v3-wire.md` §5.3, GET `/api/v3/get-alipay-authinfo`): the signed
//! `authInfo` the Alipay app SDK needs to start the login of the connection
//! `extIdpConnidentifier`. The sign-in with the `authCode` it returns is `mobile.rs`. The
//! parameters and the signing are the core's (`Core::alipay_auth_info`).

use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::json;

use super::super::envelope::{ok, Reply};
use super::call::AuthCall;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v3/get-alipay-authinfo", get(auth_info))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthInfoRequest {
    ext_idp_connidentifier: String,
}

/// `AlipayAuthInfoDataDto {authInfo}`.
async fn auth_info(call: AuthCall) -> Reply {
    let req: AuthInfoRequest = call.args()?;
    let info = call
        .core()
        .alipay_auth_info(call.pool()?, &req.ext_idp_connidentifier)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, json!({ "authInfo": info })))
}
