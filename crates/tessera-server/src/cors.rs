//! Headers every answer carries: `X-Content-Type-Options: nosniff`, and CORS by the
//! request's pool.
//!
//! The SDKs run axios with `withCredentials` (`v2-wire.md` §1.5), so an allowed origin is
//! echoed (never `*`) with `Access-Control-Allow-Credentials: true`. Which origins are
//! allowed is the pool's `allowedOrigins` ([`tessera_core::rules::origins`]; empty allows
//! all). The pool is the one the handler read for the request (`V2Ctx` records it in
//! [`RequestPool`]), so deciding costs no read of its own; a disallowed origin gets no CORS
//! header, and the browser keeps the answer from the page.
//!
//! Two cases know no pool:
//! - A preflight (`OPTIONS` with `Access-Control-Request-Method`) carries no `x-authing-*`
//!   values, only their names, so it is answered for any origin: it only lets the browser
//!   send the request, whose answer is then judged by its pool.
//! - A request whose handler reads no pool (the public key, an application's public
//!   configuration, OIDC, health) keeps the answer open to any origin: nothing in it is a
//!   pool's to restrict, and Tessera sets no cookies a credentialed call could carry.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tessera_core::model::UserPool;

/// The request headers a browser may send: the SDKs' `x-authing-*`, the token and JSON.
const ALLOW_HEADERS: &str = "authorization,content-type,x-authing-app-id,\
x-authing-userpool-id,x-authing-app-tenant-id,x-authing-request-from,x-authing-sdk-version,\
x-authing-lang,x-authing-sdk-type,x-authing-tenant-id";
const ALLOW_METHODS: &str = "GET,POST,PUT,PATCH,DELETE,OPTIONS";
const MAX_AGE: Duration = Duration::from_secs(600);

/// The `allowedOrigins` of the pool a request's handler read, put in the request's
/// extensions for it to fill (only for requests that carry an `Origin`).
#[derive(Clone, Default)]
pub struct RequestPool(Arc<OnceLock<String>>);

impl RequestPool {
    /// Records the request's pool; the first one recorded counts.
    pub fn record(&self, pool: &UserPool) {
        let _ = self.0.set(pool.settings.allowed_origins.clone());
    }
}

/// The middleware: nosniff on everything, preflights answered, CORS by the request's pool.
pub async fn headers(mut req: Request, next: Next) -> Response {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let Some(origin) = origin else {
        let mut res = next.run(req).await;
        nosniff(res.headers_mut());
        return res;
    };
    if req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        return preflight(origin);
    }
    let pool = RequestPool::default();
    req.extensions_mut().insert(pool.clone());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    nosniff(h);
    h.append(header::VARY, HeaderValue::from_static("origin"));
    let allowed = match (pool.0.get(), origin.to_str()) {
        (Some(list), Ok(o)) => tessera_core::rules::origins::allows(list, o),
        (None, _) => true,
        (Some(_), Err(_)) => false,
    };
    if allowed {
        allow(h, origin);
    }
    res
}

fn preflight(origin: HeaderValue) -> Response {
    let mut res = StatusCode::NO_CONTENT.into_response();
    let h = res.headers_mut();
    nosniff(h);
    allow(h, origin);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOW_METHODS),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from(MAX_AGE.as_secs()),
    );
    h.insert(
        header::VARY,
        HeaderValue::from_static(
            "origin, access-control-request-method, access-control-request-headers",
        ),
    );
    res
}

fn allow(h: &mut HeaderMap, origin: HeaderValue) {
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
}

fn nosniff(h: &mut HeaderMap) {
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}
