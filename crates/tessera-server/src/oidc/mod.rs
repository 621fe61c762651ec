//! The OIDC/OAuth2 façade: parses the protocol, calls `tessera_core::service::oidc`, and
//! formats (JSON with the RFCs' statuses, redirects, hosted pages). Served under `/oidc`
//! (issuer `PUBLIC_URL/oidc`) and, for the SDK's `protocol: 'oauth'`, the same endpoints
//! under `/oauth`.

mod account_pages;
mod browser;
mod endpoints;
mod ext_link;
mod invitation_page;
pub(crate) mod wire;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::envelope::V2Error;
use crate::AppState;

/// Bodies of the provider's endpoints are forms of a few fields. Up to this cap a body is
/// read whole and an oversized one refused by the handler with an OAuth error
/// (`wire::bounded`), leaving the connection usable; above it, the server stops reading.
const BODY_CAP: usize = 2 * 1024 * 1024;

/// The provider's routes. `frame_ancestors` (from the configuration) lets the named sites
/// frame the hosted pages; by default none may.
pub fn routes(frame_ancestors: Option<String>, issuer: &str) -> Router<AppState> {
    // A clone of `Bytes` shares the one copy.
    let doc = axum::body::Bytes::from(endpoints::discovery_document(issuer));
    let mut r = Router::new()
        .route("/", get(browser::landing))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/{app_id}/oidc/.well-known/jwks.json", get(jwks))
        .route(
            "/api/v2/oidc/validate_token",
            get(endpoints::validate_token),
        )
        .route(
            tessera_core::service::ext_oidc::START_PATH,
            get(ext_link::start),
        )
        .route(
            tessera_core::service::ext_oidc::CALLBACK_PATH,
            get(ext_link::callback),
        )
        .route(
            "/tenant-invitation",
            get(invitation_page::show).post(invitation_page::accept),
        )
        .route("/interaction/oidc/{id}", get(browser::interaction))
        .route("/interaction/oidc/{id}/login", post(browser::login))
        .route("/interaction/oidc/{id}/send-code", post(browser::send_code))
        .route("/interaction/oidc/{id}/confirm", post(browser::confirm))
        .route("/interaction/oidc/{id}/mfa", post(browser::mfa))
        .route("/interaction/oidc/{id}/mfa/send", post(browser::mfa_send))
        .route("/interaction/oidc/{id}/abort", post(browser::abort))
        .route(
            "/interaction/oidc/{id}/connections/oidc/{identifier}",
            get(ext_link::login_start),
        )
        .route(
            "/interaction/oidc/{id}/register",
            get(account_pages::register_form).post(account_pages::register),
        )
        .route(
            "/interaction/oidc/{id}/reset",
            get(account_pages::reset_form).post(account_pages::reset),
        )
        .route(
            "/interaction/oidc/{id}/reset/send",
            post(account_pages::reset_send),
        );
    for base in ["/oidc", "/oauth"] {
        r = r
            .route(&format!("{base}/.well-known/openid-configuration"), {
                let doc = doc.clone();
                get(move || {
                    let doc = doc.clone();
                    async move { endpoints::discovery(doc) }
                })
            })
            .route(&format!("{base}/.well-known/jwks.json"), get(jwks))
            .route(
                &format!("{base}/auth"),
                get(browser::authorize).post(browser::authorize),
            )
            .route(&format!("{base}/token"), post(endpoints::token))
            .route(
                &format!("{base}/me"),
                get(endpoints::userinfo).post(endpoints::userinfo),
            )
            .route(
                &format!("{base}/token/introspection"),
                post(endpoints::introspection),
            )
            .route(
                &format!("{base}/token/revocation"),
                post(endpoints::revocation),
            )
            .route(
                &format!("{base}/device/auth"),
                post(endpoints::device_authorization),
            )
            .route(
                &format!("{base}/device"),
                get(account_pages::device_form).post(account_pages::device_submit),
            )
            .route(
                &format!("{base}/session/end"),
                get(browser::end_session).post(browser::end_session),
            );
    }
    // The legacy SDK (3.22.3) posts its token and userinfo requests under `/oauth/oidc`
    // (`v1-legacy-wire.md` §8): the same endpoints.
    r = r.route("/oauth/oidc/token", post(endpoints::token)).route(
        "/oauth/oidc/me",
        get(endpoints::userinfo).post(endpoints::userinfo),
    );
    let r = r.layer(DefaultBodyLimit::max(BODY_CAP));
    match frame_ancestors {
        None => r,
        Some(sources) => {
            let sources: std::sync::Arc<str> = sources.into();
            r.layer(axum::middleware::map_response(move |res: Response| {
                let sources = sources.clone();
                async move { allow_framing(res, &sources) }
            }))
        }
    }
}

/// Replaces the pages' `frame-ancestors 'none'` with the configured sources, and drops
/// `X-Frame-Options: DENY`, which cannot name them.
fn allow_framing(mut res: Response, sources: &str) -> Response {
    let h = res.headers_mut();
    let csp = h
        .get(header::CONTENT_SECURITY_POLICY)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.replace(
                "frame-ancestors 'none'",
                &format!("frame-ancestors {sources}"),
            )
        });
    if let Some(v) = csp.and_then(|c| axum::http::HeaderValue::from_str(&c).ok()) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
        h.remove("x-frame-options");
    }
    res
}

async fn jwks(State(state): State<AppState>) -> Response {
    match state.core.jwks_json().await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "public, max-age=60"),
            ],
            body,
        )
            .into_response(),
        Err(e) => V2Error(e, Default::default()).into_response(),
    }
}
