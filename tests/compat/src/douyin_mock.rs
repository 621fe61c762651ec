//! A local stand-in for Douyin's mini-program server API (`developer.toutiao.com`),
//! deterministic so tests can predict every answer. The harness points the in-process
//! server's Douyin client at it.
//!
//! - `POST /api/apps/v2/jscode2session` JSON `{appid, secret, code, anonymous_code}`:
//!   `code` `tt-<x>` → `{err_no: 0, err_tips: "success", data: {openid: "tt-openid-<x>",
//!   session_key: session_key_for(<x>), unionid, anonymous_openid: ""}}` with `unionid:
//!   "tt-unionid-<x>"` when `<x>` starts with `u` (else empty, as Douyin leaves it);
//!   a code starting with `down` → HTTP 503; any other code → `err_no: 40018` (bad code); a
//!   secret starting with `bad` → `err_no: 40015`; no appid → `err_no: 40014`.
//!
//! The session key of `<x>` is base64 of the first 16 bytes of SHA-256(`"douyin-mock:" +
//! <x>`); JS tests compute the same with `js/test/douyin-mock.mjs`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

/// The session key the mock gives the login code `tt-<x>`.
pub fn session_key_for(x: &str) -> String {
    super::wechat_mock::key_of(&format!("douyin-mock:{x}"))
}

fn refused(err_no: i64, tips: &str) -> Response {
    Json(json!({ "err_no": err_no, "err_tips": tips, "data": null })).into_response()
}

async fn jscode2session(body: Option<Json<Value>>) -> Response {
    let text = |k: &str| {
        body.as_ref()
            .and_then(|Json(b)| b.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let code = text("code");
    if code.starts_with("down") {
        return (StatusCode::SERVICE_UNAVAILABLE, "Douyin mock: down").into_response();
    }
    if text("appid").is_empty() {
        return refused(40014, "bad appid");
    }
    if text("secret").is_empty() || text("secret").starts_with("bad") {
        return refused(40015, "bad secret");
    }
    let Some(x) = code.strip_prefix("tt-").filter(|x| !x.is_empty()) else {
        return refused(40018, "bad code");
    };
    let unionid = if x.starts_with('u') {
        format!("tt-unionid-{x}")
    } else {
        String::new()
    };
    Json(json!({
        "err_no": 0,
        "err_tips": "success",
        "data": {
            "session_key": session_key_for(x),
            "openid": format!("tt-openid-{x}"),
            "anonymous_openid": "",
            "unionid": unionid,
        },
    }))
    .into_response()
}

pub fn router() -> Router {
    Router::new().route("/api/apps/v2/jscode2session", post(jscode2session))
}
