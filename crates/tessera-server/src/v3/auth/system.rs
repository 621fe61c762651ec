//! `GET /api/v3/system` (`v3-wire.md` §7.1): the deployment's password-encryption public
//! keys, at the top level where both SDKs read them (`body.rsa.publicKey`,
//! `body.sm2.publicKey`), and again under the envelope's `data` for generic clients.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::super::call::lang_of;
use super::super::envelope::{Failure, V3Error};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v3/system", get(system))
}

async fn system(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    let rsa = match state.core.password_public_key_pem().await {
        Ok(pem) => pem.to_owned(),
        Err(e) => return V3Error(Failure::Core(e), lang).into_response(),
    };
    let info = json!({
        "rsa": { "publicKey": rsa },
        "version": {
            "server": env!("CARGO_PKG_VERSION"),
            "console": env!("CARGO_PKG_VERSION"),
            "login": env!("CARGO_PKG_VERSION"),
        },
        "publicIps": [],
    });
    let mut body = info.clone();
    body["statusCode"] = json!(200);
    body["apiCode"] = json!(0);
    body["message"] = json!(lang.pick("操作成功", "Success"));
    body["data"] = info;
    Json(body).into_response()
}
