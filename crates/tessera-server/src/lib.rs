//! Tessera's HTTP server: one axum router, one module per wire surface. Each module parses
//! its protocol, calls the [`tessera_core::Core`] services and formats the answer; no module
//! holds business rules.

pub mod envelope;
mod http;
mod oidc;
mod ops;
mod v2;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use tessera_core::Core;
use tokio::net::TcpListener;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub core: Arc<Core>,
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(ops::routes())
        .merge(v2::routes())
        .merge(oidc::routes())
        .fallback(envelope::not_found)
        .layer(http::cors())
        .layer(http::trace())
        .with_state(state)
}

/// Serves until `shutdown` resolves, then stops accepting and lets in-flight requests finish.
pub async fn serve<F>(listener: TcpListener, state: AppState, shutdown: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let app = http::normalize_paths(router(state));
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
