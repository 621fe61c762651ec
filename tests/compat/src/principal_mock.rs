//! A local stand-in for the operator's real-name verification provider
//! (`--principal-verify-url`, `tessera_notify::PrincipalVerifier`), deterministic so tests
//! can predict every answer. The harness points the server's verifier at it.
//!
//! - `POST /principal/verify` JSON `{type, name, code, ext, userPoolId}`: verifies exactly
//!   the pairs of [`KNOWN`] (`{verified: true}`); a name starting with `down` → HTTP 503;
//!   anything else → `{verified: false, reason: "mismatch"}`.
//! - `GET /principal/calls?userPoolId=` → `[{type, name, userPoolId}]`: the questions asked
//!   for that pool, so a test can prove that a request was refused before the provider was
//!   asked (the number is not echoed).

use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

/// The pairs the mock verifies: `(type, name, code)`.
pub const KNOWN: [(&str, &str, &str); 2] = [
    ("P", "张三", "11010519491231002X"),
    ("E", "Tessera 测试企业", "91350100M000100Y43"),
];

type Calls = Arc<Mutex<Vec<Value>>>;

pub fn router() -> Router {
    Router::new()
        .route("/principal/verify", post(verify))
        .route("/principal/calls", get(calls))
        .with_state(Calls::default())
}

async fn verify(State(calls): State<Calls>, Json(b): Json<Value>) -> Response {
    let text = |k: &str| b.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let (kind, name, code) = (text("type"), text("name"), text("code"));
    if let Ok(mut c) = calls.lock() {
        c.push(json!({ "type": kind, "name": name, "userPoolId": text("userPoolId") }));
    }
    if name.starts_with("down") {
        return (StatusCode::SERVICE_UNAVAILABLE, "principal mock: down").into_response();
    }
    let verified = KNOWN
        .iter()
        .any(|(t, n, c)| *t == kind && *n == name && *c == code);
    if verified {
        Json(json!({ "verified": true })).into_response()
    } else {
        Json(json!({ "verified": false, "reason": "mismatch" })).into_response()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallsQuery {
    user_pool_id: String,
}

async fn calls(State(calls): State<Calls>, Query(q): Query<CallsQuery>) -> Response {
    let list: Vec<Value> = calls
        .lock()
        .map(|c| {
            c.iter()
                .filter(|v| v["userPoolId"] == q.user_pool_id.as_str())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    Json(list).into_response()
}
