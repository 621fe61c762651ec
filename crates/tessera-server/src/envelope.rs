//! The v2 REST envelope `{code, message, data}` (`v2-wire.md` §2.2) and the request language.
//!
//! Business errors are HTTP 200 with an Authing code, because the SDK reads the body only of
//! a 2xx response.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::json;
use tessera_core::Error;

use crate::authing::{errors, ErrorBody, Lang, LogLabel};

/// The caller's language, from `x-authing-lang` (zh-CN unless it says English).
#[derive(Debug, Clone, Copy)]
pub struct RequestLang(pub Lang);

impl RequestLang {
    fn of(headers: &HeaderMap) -> RequestLang {
        let v = headers
            .get("x-authing-lang")
            .or_else(|| headers.get("accept-language"))
            .and_then(|v| v.to_str().ok());
        RequestLang(Lang::from_header(v))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestLang::of(&parts.headers))
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
        // `data` carries what a client continues with (1635's `mfaToken`, `v2-wire.md` §2.2).
        let data = errors::data(&err);
        Json(json!({ "code": code, "message": message, "data": data })).into_response()
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

/// The v2 surfaces answer a request their extractors refused with the wire's envelope. axum
/// answers such a rejection itself, before any handler runs, with a 4xx status and a
/// plain-text body the SDKs cannot read (`v2-wire.md` §2.1: a non-2xx answer throws
/// `ERR_BAD_REQUEST` without reading it): a body over the route's limit (413), a body that
/// failed or did not arrive in time (400), a malformed query string or path (400). Each
/// becomes HTTP 200 with 2231 (the parameter at fault invalid), in the GraphQL error shape
/// on `/graphql/v2`. Handlers themselves never answer plain text, so a plain-text 4xx is an
/// extractor's.
pub async fn wire_rejections(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let graphql = path == "/graphql/v2" || path == "/graphql";
    // The provider's endpoints answer such a rejection as an OAuth error (RFC 6749 §5.2).
    let oauth = path.starts_with("/oidc/") || path.starts_with("/oauth/");
    if oauth {
        let res = next.run(req).await;
        let plain_text = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain"));
        if !res.status().is_client_error() || !plain_text {
            return res;
        }
        let status = res.status();
        return (
            status,
            Json(json!({
                "error": "invalid_request",
                "error_description": "the request could not be read (too large or malformed)",
            })),
        )
            .into_response();
    }
    if !graphql && !path.starts_with("/api/v2/") {
        return next.run(req).await;
    }
    let RequestLang(lang) = RequestLang::of(req.headers());
    let res = next.run(req).await;
    let plain_text = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !res.status().is_client_error() || !plain_text {
        return res;
    }
    // The rejection's text names what it could not read; it is a line or two.
    let text = axum::body::to_bytes(res.into_body(), 4096)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let parameter = if text.contains("query string") {
        "query"
    } else if text.contains("path") && !text.contains("body") {
        "path"
    } else {
        "body"
    };
    tracing::debug!(reason = %text, "request refused before its handler");
    let err = Error::InvalidParameter(parameter);
    if graphql {
        let body = ErrorBody::new(&err, lang);
        Json(json!({
            "errors": [{ "message": body, "extensions": { "code": body.code } }],
            "data": {},
        }))
        .into_response()
    } else {
        V2Error(err, lang).into_response()
    }
}
