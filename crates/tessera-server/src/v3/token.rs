//! `POST /api/v3/get-management-token` (`v3-wire.md` §3.2): an access key and its secret
//! buy a management token for the Java, Go and Python SDKs and raw API callers.

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use serde_json::json;
use tessera_core::Error;

use super::call::lang_of;
use super::envelope::{ok, Failure, Reply, V3Error};
use super::params;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v3/get-management-token", post(management_token))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenRequest {
    access_key_id: String,
    access_key_secret: String,
}

async fn management_token(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Reply {
    let lang = lang_of(&headers);
    let fail = |f: Failure| V3Error(f, lang);
    let members = params::body_members(&bytes).map_err(|e| fail(e.into()))?;
    let args = params::body_object(&members).map_err(|e| fail(e.into()))?;
    let req: TokenRequest = params::typed(&args).map_err(|e| fail(e.into()))?;
    if req.access_key_id.is_empty() {
        return Err(fail(Error::MissingParameter("accessKeyId").into()));
    }
    let t = state
        .core
        .issue_access_key_token(&req.access_key_id, &req.access_key_secret)
        .await
        .map_err(|e| fail(e.into()))?;
    Ok(ok(
        lang,
        json!({ "access_token": t.token, "expires_in": t.exp - t.iat }),
    ))
}
