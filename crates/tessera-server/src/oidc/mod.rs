//! The OIDC/OAuth2 façade. For now: the JWKS, which every token verifier needs.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::envelope::V2Error;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/oidc/.well-known/jwks.json", get(jwks))
        .route("/.well-known/jwks.json", get(jwks))
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
