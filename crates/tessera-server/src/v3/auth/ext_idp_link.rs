//! `generateLinkExtIdpUrl` (`v3-wire.md` §5, GET `/api/v3/generate-link-extidp-url`): the link
//! that takes the browser of the user an ID token names to the external OpenID Provider of
//! an `oidc` connection and back (`Core::ext_oidc_link_url`; the browser half is
//! `oidc/ext_link.rs`). The query names the application (`app_id`), which must be the one
//! `x-authing-app-id` names when the header is sent. `target_url` (one of the application's
//! redirect URIs) is where the browser lands after the link; with `need_url_redirect` the
//! answer is the redirect to the link itself instead of `{url}`. `need_form_post` and
//! `only_redirect_token` choose how a login hands its tokens to `target_url`; a link hands
//! over no token, so they change nothing here.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::Error;

use super::super::envelope::{ok, Reply};
use super::call::AuthCall;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v3/generate-link-extidp-url", get(link_url))
}

#[derive(Debug, Deserialize)]
struct LinkUrlRequest {
    #[serde(default)]
    ext_idp_conn_identifier: String,
    #[serde(default)]
    app_id: String,
    #[serde(default)]
    id_token: String,
    #[serde(default)]
    need_url_redirect: Option<Value>,
    #[serde(default)]
    target_url: Option<String>,
}

/// A flag as a query carries it: `true`/`1`, as text or typed.
fn flag(v: &Option<Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.trim(), "true" | "1"),
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

/// `GenerateBindExtIdpLinkDataDto {url}`.
async fn link_url(call: AuthCall) -> Reply {
    let req: LinkUrlRequest = call.args()?;
    let app_id = req.app_id.trim();
    if app_id.is_empty() {
        return Err(call.fail(Error::MissingParameter("app_id")));
    }
    let core = call.core();
    let (app, pool) = match call.app_opt() {
        Some(a) if a.id == app_id => (a.clone(), call.pool()?.clone()),
        Some(_) => return Err(call.fail(Error::InvalidParameter("app_id"))),
        None => core.app_and_pool(app_id).await.map_err(|e| call.fail(e))?,
    };
    let url = core
        .ext_oidc_link_url(
            &pool,
            &app,
            req.ext_idp_conn_identifier.trim(),
            req.id_token.trim(),
            req.target_url.as_deref(),
        )
        .await
        .map_err(|e| call.fail(e))?;
    if flag(&req.need_url_redirect) {
        let mut res = StatusCode::FOUND.into_response();
        let location = HeaderValue::from_str(&url)
            .map_err(|_| call.fail(Error::Internal("link URL is not a header value".into())))?;
        res.headers_mut().insert(header::LOCATION, location);
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(res);
    }
    Ok(ok(call.lang, json!({ "url": url })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_as_the_query_sends_them() {
        assert!(flag(&Some(Value::String("true".into()))));
        assert!(flag(&Some(Value::Bool(true))));
        assert!(!flag(&Some(Value::String("false".into()))));
        assert!(!flag(&None));
    }
}
