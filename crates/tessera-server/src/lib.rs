#![recursion_limit = "256"]
//! Tessera's HTTP server: one axum router, one module per wire surface. Each module parses
//! its protocol, calls the [`tessera_core::Core`] services and formats the answer; no module
//! holds business rules.

pub mod authing;
mod caller;
mod captcha_font;
pub mod client_ip;
mod connections;
mod cors;
pub mod envelope;
/// Public only so that `fuzz/` can drive the document parser and the projection directly.
#[doc(hidden)]
pub mod graphql;
pub mod hosted;
mod http;
pub mod metrics;
mod oidc;
mod ops;
mod png;
/// Public for the v3 MFA handlers' `qrCodeDataUrl` (and reachable from tests and tools).
pub mod qr;
/// SCIM 2.0 provisioning (RFC 7643/7644) under `/scim/v2`.
mod scim;
mod v1;
mod v2;
mod v3;
/// Public only so that `fuzz/` can drive the v3 signature canonicaliser (`v3-wire.md` §3.1)
/// and the parameter readers it is fed by, as a request arrives.
#[doc(hidden)]
pub mod v3_signing {
    pub use crate::v3::params::{body_members, query_values, Members};
    pub use crate::v3::signature::{parse_date, strings_to_sign, QueryValue, Signed};
    pub use axum::http::{HeaderMap, HeaderName, HeaderValue};
}

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use client_ip::TrustedProxies;
pub use connections::ConnectionLimits;
use tessera_core::Core;
use tokio::net::TcpListener;

/// Settings of the HTTP layer that are not business rules.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Where uploaded files (avatars) are kept; served back under `/uploads/`.
    pub upload_dir: PathBuf,
    /// Largest accepted upload, in bytes.
    pub max_upload_bytes: usize,
    /// Proxies whose `X-Forwarded-For`, and whose callers' stated `clientIp`, are believed
    /// (`--trusted-proxy`). Empty: the socket peer is the client.
    pub trusted_proxies: TrustedProxies,
    /// Header- and body-read timeouts and the connection cap.
    pub connections: ConnectionLimits,
    /// With a token, `/metrics` is also served on the public listener to a caller with it as
    /// Bearer token (`--metrics-token`); without, it is not there (404).
    pub metrics_token: Option<String>,
    /// Who may frame the hosted pages (CSP `frame-ancestors` sources, checked by the
    /// configuration); `None` forbids framing.
    pub frame_ancestors: Option<String>,
}

impl ServerOptions {
    pub fn new(upload_dir: PathBuf) -> ServerOptions {
        ServerOptions {
            upload_dir,
            max_upload_bytes: 2 * 1024 * 1024,
            trusted_proxies: TrustedProxies::default(),
            connections: ConnectionLimits::default(),
            metrics_token: None,
            frame_ancestors: None,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub core: Arc<Core>,
    pub options: Arc<ServerOptions>,
    /// Requests by route, status and latency, for `/metrics`.
    pub requests: Arc<metrics::requests::RequestStats>,
}

impl AppState {
    pub fn new(core: Arc<Core>, options: ServerOptions) -> AppState {
        AppState {
            core,
            options: Arc::new(options),
            requests: Arc::default(),
        }
    }
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let max_upload = state.options.max_upload_bytes;
    let mut routes = Router::new()
        .merge(ops::routes())
        .merge(v1::routes())
        .merge(v2::routes(max_upload))
        .merge(v3::routes())
        .merge(scim::routes())
        .merge(oidc::routes(
            state.options.frame_ancestors.clone(),
            &state.core.issuer(),
        ));
    if state.options.metrics_token.is_some() {
        routes = routes.merge(metrics::public_routes());
    }
    let requests = Arc::clone(&state.requests);
    let routed = routes
        .route_layer(axum::middleware::from_fn(metrics::label_route))
        .fallback(envelope::not_found)
        .with_state(state);
    // The middleware every request passes wraps the router once, outermost first (paths
    // are normalised before anything reads them). Given
    // to `Router::layer` instead, each layer wraps every route in its own boxed service,
    // and a request cloned the whole nest of boxes again at each level (`from_fn` clones
    // its inner service per call): 44 allocations per request before its handler ran.
    let layered = tower::ServiceBuilder::new()
        .map_request(http::collapse_slashes)
        .layer(axum::middleware::from_fn_with_state(
            requests,
            metrics::count_requests,
        ))
        .layer(http::trace())
        .layer(axum::middleware::from_fn(cors::headers))
        .layer(axum::middleware::from_fn(envelope::wire_rejections))
        .service(routed);
    Router::new().fallback_service(layered)
}

/// Serves `/metrics` alone on `listener` (`--metrics-listen`) until `shutdown` resolves,
/// with the same connection limits as the public listener. `state` is the public
/// listener's, so its request counts are the ones shown.
pub async fn serve_metrics<F>(
    listener: TcpListener,
    state: AppState,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let limits = state.options.connections;
    connections::serve(listener, metrics::private_router(state), limits, shutdown).await
}

/// Serves until `shutdown` resolves, then stops accepting and lets in-flight requests finish.
pub async fn serve<F>(listener: TcpListener, state: AppState, shutdown: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let limits = state.options.connections;
    connections::serve(listener, router(state), limits, shutdown).await
}
