//! A local stand-in for WeChat's server APIs (`api.weixin.qq.com`), deterministic so tests
//! can predict every answer. The harness points the in-process server's WeChat client at it.
//!
//! - `GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`:
//!   `js_code` `wx-<x>` → `{openid: "openid-<x>", session_key: session_key_for(<x>)}` plus
//!   `unionid: "unionid-<x>"` when `<x>` starts with `u`; a code starting with `bad` (or any
//!   other code) → `{errcode: 40029, errmsg: "invalid code"}`; starting with `down` → HTTP 503.
//! - `GET /cgi-bin/token?grant_type=client_credential&appid&secret` →
//!   `{access_token: "mock-token-<appid>", expires_in: 7200}`.
//! - `POST /wxa/business/getuserphonenumber?access_token=mock-token-<appid>` body `{code}`:
//!   `phone-<digits>` → `{errcode: 0, phone_info: {phoneNumber, purePhoneNumber: <digits>,
//!   countryCode: "86", watermark: {appid: <appid>, timestamp: 1700000000}}}`; `bad…` or
//!   another code → 40029; `down…` → HTTP 503; a token it did not issue → 40001.
//!
//! - `GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code` (a
//!   mobile app's authorization code): `wx-<x>` → `{access_token: "mock-user-token-<x>",
//!   openid: "openid-<appid>-<x>", scope: "snsapi_userinfo", expires_in: 7200}` plus
//!   `unionid: "unionid-<x>"` when `<x>` starts with `u`; `bad…` or another code → 40029;
//!   `down…` → HTTP 503.
//! - `GET /sns/userinfo?access_token&openid`: `mock-user-token-<x>` with an openid ending in
//!   `-<x>` → `{openid, nickname: "nick-<x>", headimgurl:
//!   "https://wx.qlogo.cn/mock/<x>.png"}` plus the unionid as above; another token → 40001,
//!   another openid → 40003.
//!
//! For every API a secret starting with `bad` is refused with 40125 (invalid appsecret).
//!
//! The session key of `<x>` ([`session_key_for`]) is base64 of the first 16 bytes of
//! SHA-256(`"wechat-mock:" + <x>`); JS tests compute the same with
//! `js/test/wechat-mock.mjs` (`sessionKeyFor`, `encryptFor`).

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde_json::{json, Value};
use tokio::net::TcpListener;

/// The watermark timestamp of every phone number.
pub const PHONE_TIMESTAMP: i64 = 1_700_000_000;

/// The session key the mock gives the login code `wx-<x>`.
pub fn session_key_for(x: &str) -> String {
    key_of(&format!("wechat-mock:{x}"))
}

/// Base64 of the first 16 bytes of SHA-256(`seed`): the mocks' session keys.
pub fn key_of(seed: &str) -> String {
    // SHA-256 by the core's helper (lowercase hex).
    let hex = tessera_core::crypto::digest(seed);
    let bytes: Vec<u8> = (0..32)
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn refused(errcode: i64, errmsg: &str) -> Response {
    Json(json!({ "errcode": errcode, "errmsg": errmsg })).into_response()
}

fn down() -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, "WeChat mock: down").into_response()
}

type Params = Query<HashMap<String, String>>;

fn param<'a>(q: &'a Params, name: &str) -> &'a str {
    q.get(name).map(String::as_str).unwrap_or("")
}

/// The refusal of a request missing its app id or carrying a "bad" secret, if any.
fn check_app(q: &Params) -> Option<Response> {
    if param(q, "appid").is_empty() {
        return Some(refused(41002, "appid missing"));
    }
    if param(q, "secret").is_empty() {
        return Some(refused(41004, "appsecret missing"));
    }
    if param(q, "secret").starts_with("bad") {
        return Some(refused(40125, "invalid appsecret"));
    }
    None
}

async fn jscode2session(q: Params) -> Response {
    let code = param(&q, "js_code");
    if code.starts_with("down") {
        return down();
    }
    if let Some(r) = check_app(&q) {
        return r;
    }
    if param(&q, "grant_type") != "authorization_code" {
        return refused(40002, "invalid grant_type");
    }
    let Some(x) = code.strip_prefix("wx-").filter(|x| !x.is_empty()) else {
        return refused(40029, "invalid code");
    };
    let mut body = json!({
        "openid": format!("openid-{x}"),
        "session_key": session_key_for(x),
    });
    if x.starts_with('u') {
        body["unionid"] = Value::String(format!("unionid-{x}"));
    }
    Json(body).into_response()
}

async fn token(q: Params) -> Response {
    if param(&q, "appid").starts_with("down") {
        return down();
    }
    if let Some(r) = check_app(&q) {
        return r;
    }
    if param(&q, "grant_type") != "client_credential" {
        return refused(40002, "invalid grant_type");
    }
    Json(json!({
        "access_token": format!("mock-token-{}", param(&q, "appid")),
        "expires_in": 7200,
    }))
    .into_response()
}

async fn phone_number(q: Params, body: Option<Json<Value>>) -> Response {
    let code = body
        .as_ref()
        .and_then(|Json(b)| b.get("code"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if code.starts_with("down") {
        return down();
    }
    let Some(appid) = param(&q, "access_token").strip_prefix("mock-token-") else {
        return refused(40001, "invalid credential, access_token is invalid");
    };
    let digits = code
        .strip_prefix("phone-")
        .filter(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
    let Some(digits) = digits else {
        return refused(40029, "invalid code");
    };
    Json(json!({
        "errcode": 0,
        "errmsg": "ok",
        "phone_info": {
            "phoneNumber": digits,
            "purePhoneNumber": digits,
            "countryCode": "86",
            "watermark": { "appid": appid, "timestamp": PHONE_TIMESTAMP },
        },
    }))
    .into_response()
}

async fn oauth_access_token(q: Params) -> Response {
    let code = param(&q, "code");
    if code.starts_with("down") {
        return down();
    }
    if let Some(r) = check_app(&q) {
        return r;
    }
    if param(&q, "grant_type") != "authorization_code" {
        return refused(40002, "invalid grant_type");
    }
    let Some(x) = code.strip_prefix("wx-").filter(|x| !x.is_empty()) else {
        return refused(40029, "invalid code");
    };
    let mut body = json!({
        "access_token": format!("mock-user-token-{x}"),
        "expires_in": 7200,
        "refresh_token": format!("mock-refresh-{x}"),
        "openid": format!("openid-{}-{x}", param(&q, "appid")),
        "scope": "snsapi_userinfo",
    });
    if x.starts_with('u') {
        body["unionid"] = Value::String(format!("unionid-{x}"));
    }
    Json(body).into_response()
}

async fn userinfo(q: Params) -> Response {
    let Some(x) = param(&q, "access_token").strip_prefix("mock-user-token-") else {
        return refused(40001, "invalid credential, access_token is invalid");
    };
    let openid = param(&q, "openid");
    if !openid.ends_with(&format!("-{x}")) {
        return refused(40003, "invalid openid");
    }
    let mut body = json!({
        "openid": openid,
        "nickname": format!("nick-{x}"),
        "sex": 0,
        "headimgurl": format!("https://wx.qlogo.cn/mock/{x}.png"),
        "privilege": [],
    });
    if x.starts_with('u') {
        body["unionid"] = Value::String(format!("unionid-{x}"));
    }
    Json(body).into_response()
}

pub fn router() -> Router {
    Router::new()
        .route("/sns/jscode2session", get(jscode2session))
        .route("/cgi-bin/token", get(token))
        .route("/wxa/business/getuserphonenumber", post(phone_number))
        .route("/sns/oauth2/access_token", get(oauth_access_token))
        .route("/sns/userinfo", get(userinfo))
}

/// Serves `router` (this mock's, merged with the other providers' mocks: their paths do not
/// meet) on 127.0.0.1 at a free port; returns its address (the base URL is `http://<addr>`).
pub async fn start(router: Router) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            eprintln!("compat provider mock: server stopped: {e}");
        }
    });
    Ok(addr)
}
