//! A local stand-in for Alipay's open-platform gateway (`openapi.alipay.com/gateway.do`),
//! deterministic so tests can predict every answer. It holds the application key pair of
//! the tests' Alipay connections ([`AlipayKeys`], handed to the JS tests in the fixtures as
//! `alipay.privateKey`/`alipay.publicKey`) and checks every request's RSA2 signature with the
//! public key, as Alipay does.
//!
//! - `POST /gateway.do` form `{app_id, method: "alipay.system.oauth.token", charset,
//!   sign_type: "RSA2", timestamp, version, grant_type: "authorization_code", code, sign}`:
//!   `code` `ali-<x>` → `{alipay_system_oauth_token_response: {user_id: "2088<x>",
//!   access_token, …}, sign}`; `down…` → HTTP 503; a bad signature → `error_response {code:
//!   "40002", sub_code: "isv.invalid-signature"}`; any other code → `error_response {code:
//!   "40002", sub_code: "isv.code-invalid"}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Public};
use openssl::rsa::Rsa;
use openssl::sign::Verifier;
use serde_json::json;
use tessera_core::crypto::alipay_sign::signing_content;

/// The application key pair of the tests' Alipay connections, PEM.
#[derive(Clone)]
pub struct AlipayKeys {
    pub private_pem: String,
    pub public_pem: String,
}

impl AlipayKeys {
    pub fn generate() -> Result<AlipayKeys, String> {
        let rsa = Rsa::generate(2048).map_err(|e| e.to_string())?;
        let key = PKey::from_rsa(rsa).map_err(|e| e.to_string())?;
        let pem = |b: Vec<u8>| String::from_utf8(b).map_err(|e| e.to_string());
        Ok(AlipayKeys {
            private_pem: pem(key.private_key_to_pem_pkcs8().map_err(|e| e.to_string())?)?,
            public_pem: pem(key.public_key_to_pem().map_err(|e| e.to_string())?)?,
        })
    }
}

fn refused(sub_code: &str) -> Response {
    Json(json!({
        "error_response": { "code": "40002", "msg": "Invalid Arguments", "sub_code": sub_code },
        "sign": "mock",
    }))
    .into_response()
}

/// `application/x-www-form-urlencoded`: `k=v` pairs, `+` a space, `%XX` a byte.
fn parse_form(body: &str) -> HashMap<String, String> {
    fn decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < b.len() => {
                    match std::str::from_utf8(&b[i + 1..i + 3])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                    {
                        Some(v) => {
                            out.push(v);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn signature_holds(public: &PKey<Public>, form: &HashMap<String, String>) -> bool {
    let Some(sig) = form
        .get("sign")
        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
    else {
        return false;
    };
    let params: Vec<(&str, &str)> = form
        .iter()
        .filter(|(k, _)| k.as_str() != "sign")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let content = signing_content(&params);
    Verifier::new(MessageDigest::sha256(), public)
        .and_then(|mut v| {
            v.update(content.as_bytes())?;
            v.verify(&sig)
        })
        .unwrap_or(false)
}

async fn gateway(State(public): State<Arc<PKey<Public>>>, body: String) -> Response {
    let form = parse_form(&body);
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    if get("code").starts_with("down") {
        return (StatusCode::SERVICE_UNAVAILABLE, "Alipay mock: down").into_response();
    }
    if get("method") != "alipay.system.oauth.token"
        || get("grant_type") != "authorization_code"
        || get("sign_type") != "RSA2"
    {
        return refused("isv.invalid-method");
    }
    if !signature_holds(&public, &form) {
        return refused("isv.invalid-signature");
    }
    let Some(x) = get("code").strip_prefix("ali-").filter(|x| !x.is_empty()) else {
        return refused("isv.code-invalid");
    };
    Json(json!({
        "alipay_system_oauth_token_response": {
            "user_id": format!("2088{x}"),
            "access_token": format!("mock-alipay-token-{x}"),
            "expires_in": 1296000,
            "refresh_token": format!("mock-alipay-refresh-{x}"),
            "re_expires_in": 2592000,
        },
        "sign": "mock",
    }))
    .into_response()
}

pub fn router(keys: &AlipayKeys) -> Result<Router, String> {
    let public =
        PKey::public_key_from_pem(keys.public_pem.as_bytes()).map_err(|e| e.to_string())?;
    Ok(Router::new()
        .route("/gateway.do", post(gateway))
        .with_state(Arc::new(public)))
}
