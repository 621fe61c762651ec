//! The v2 REST envelope `{code, message, data}` (`v2-wire.md` §2.2) and the request language.
//!
//! Business errors are HTTP 200 with an Authing code, because the SDK reads the body only of
//! a 2xx response.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::json;
use tessera_core::Error;

use crate::authing::{errors, Lang, LogLabel};

/// The caller's language, from `x-authing-lang` (zh-CN unless it says English).
#[derive(Debug, Clone, Copy)]
pub struct RequestLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for RequestLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let v = parts
            .headers
            .get("x-authing-lang")
            .or_else(|| parts.headers.get("accept-language"))
            .and_then(|v| v.to_str().ok());
        Ok(RequestLang(Lang::from_header(v)))
    }
}

/// A successful v2 REST answer.
pub fn ok<T: Serialize>(message: &str, data: T) -> Response {
    Json(json!({ "code": 200, "message": message, "data": data })).into_response()
}

/// A failed v2 REST answer: HTTP 200, the Authing code, the message in the caller's language.
pub struct V2Error(pub Error, pub Lang);

impl IntoResponse for V2Error {
    fn into_response(self) -> Response {
        let V2Error(err, lang) = self;
        log_error(&err);
        let (code, message) = (errors::code(&err), errors::message(&err, lang));
        Json(json!({ "code": code, "message": message, "data": null })).into_response()
    }
}

/// Internal failures are logged with their detail; request errors only by code.
pub fn log_error(err: &Error) {
    if err.is_internal() {
        tracing::error!(error = %err, "request failed");
    } else {
        tracing::debug!(error = %LogLabel(err), "request refused");
    }
}

pub async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "code": 404, "message": "Not Found", "data": null })),
    )
        .into_response()
}
