//! `GET /metrics` in the Prometheus text format: requests by route and status with their
//! latency (`requests.rs`), logins by outcome and the password-hash queue (counted by the
//! core, `tessera_core::stats`), and the store's connection pools.
//!
//! Not on the public listener unless asked for: by default it is served only on the
//! listener of `--metrics-listen`; `--metrics-token` also serves it on the public listener
//! to a caller with that Bearer token. Every value is this process's own, which is how
//! Prometheus wants it (it scrapes each process).

pub mod requests;
mod text;

use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use subtle::ConstantTimeEq;
use tessera_core::stats::LoginOutcome;
use tokio::time::Instant;

use crate::AppState;
use requests::{RequestStats, RouteKey, BUCKETS_US, UNMATCHED};
use text::Page;

/// The matched route's template, passed from the inner layer to the timing layer on the
/// response (the request, which carries it, is gone by then).
#[derive(Clone)]
struct RouteLabel(MatchedPath);

/// The GraphQL operation label a `/graphql` or `/graphql/v2` answer carries (see
/// [`requests::graphql_operation`]).
#[derive(Clone, Copy)]
pub(crate) struct GraphqlOperation(pub &'static str);

/// Inner layer (on the routes only, where the template is known): labels the response.
pub(crate) async fn label_route(
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    if let Some(m) = matched {
        res.extensions_mut().insert(RouteLabel(m));
    }
    res
}

/// Outer layer: times every request to its response head and counts it.
pub(crate) async fn count_requests(
    State(stats): State<Arc<RequestStats>>,
    req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let res = next.run(req).await;
    let route = res.extensions().get::<RouteLabel>();
    let key = RouteKey {
        route: route.map_or(UNMATCHED, |r| r.0.as_str()),
        operation: res.extensions().get::<GraphqlOperation>().map(|o| o.0),
    };
    stats.record(key, res.status().as_u16(), start.elapsed());
    res
}

/// The metrics listener's router: `/metrics` and nothing else.
pub fn private_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// `/metrics` on the public listener, when a token is configured.
pub(crate) fn public_routes() -> Router<AppState> {
    Router::new().route("/metrics", get(public_metrics))
}

async fn public_metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.options.metrics_token.as_deref() else {
        return crate::envelope::not_found().await;
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Constant time in the token's content; only a length mismatch answers early.
    if !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
        )
            .into_response();
    }
    metrics(State(state)).await
}

async fn metrics(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, text::CONTENT_TYPE)], render(&state)).into_response()
}

/// Wire names of the core's login outcomes.
fn outcome_label(o: LoginOutcome) -> &'static str {
    match o {
        LoginOutcome::Success => "success",
        LoginOutcome::WrongPassword => "wrong_password",
        LoginOutcome::UnknownUser => "unknown_user",
        LoginOutcome::NoPassword => "no_password",
        LoginOutcome::CaptchaRequired => "captcha_required",
        LoginOutcome::CaptchaWrong => "captcha_wrong",
        LoginOutcome::Locked => "locked",
        LoginOutcome::Blocked => "blocked",
        LoginOutcome::Denied => "denied",
        LoginOutcome::CodeWrong => "code_wrong",
        LoginOutcome::ActionRequired => "action_required",
        LoginOutcome::Error => "error",
    }
}

fn render(state: &AppState) -> String {
    let mut p = Page::default();
    render_requests(&mut p, &state.requests);

    let core = &state.core;
    p.family(
        "tessera_logins_total",
        "counter",
        "Logins by outcome, as the core decided it.",
    );
    for o in LoginOutcome::ALL {
        let n = core.login_count(o);
        p.sample("tessera_logins_total", &[("outcome", outcome_label(o))], n);
    }

    let q = core.hash_queue();
    p.family(
        "tessera_password_hashes_running",
        "gauge",
        "Password hashes running now on blocking threads.",
    );
    p.sample("tessera_password_hashes_running", &[], q.running);
    p.family(
        "tessera_password_hashes_waiting",
        "gauge",
        "Password hashes waiting for a free slot.",
    );
    p.sample("tessera_password_hashes_waiting", &[], q.waiting);
    p.family(
        "tessera_password_hash_slots",
        "gauge",
        "Password hashes that may run at once (one per core).",
    );
    p.sample("tessera_password_hash_slots", &[], q.slots);

    let pools = core.pool_usage();
    p.family(
        "tessera_db_connections",
        "gauge",
        "Database connections by pool and state.",
    );
    for u in &pools {
        p.sample(
            "tessera_db_connections",
            &[("pool", u.name), ("state", "in_use")],
            u.in_use,
        );
        p.sample(
            "tessera_db_connections",
            &[("pool", u.name), ("state", "idle")],
            u.idle,
        );
    }
    p.family(
        "tessera_db_connections_max",
        "gauge",
        "Most connections a pool opens (for sqlite-reads: keeps idle).",
    );
    for u in &pools {
        p.sample("tessera_db_connections_max", &[("pool", u.name)], u.max);
    }
    p.finish()
}

fn render_requests(p: &mut Page, stats: &RequestStats) {
    let routes: Vec<_> = stats.routes().collect();
    let labels = |r: &requests::RouteStats| -> Vec<(&'static str, String)> {
        let mut l = vec![("route", r.route.to_string())];
        if let Some(op) = r.operation {
            l.push(("operation", op.to_owned()));
        }
        l
    };
    p.family(
        "tessera_http_requests_total",
        "counter",
        "HTTP requests answered, by route template and status code.",
    );
    for r in &routes {
        let base = labels(r);
        for (status, n) in r.statuses() {
            let status = status.to_string();
            let mut l: Vec<(&str, &str)> = base.iter().map(|(k, v)| (*k, v.as_str())).collect();
            l.push(("status", &status));
            p.sample("tessera_http_requests_total", &l, n);
        }
    }
    let name = "tessera_http_request_duration_seconds";
    p.family(
        name,
        "histogram",
        "Time from a request's arrival to its response head, by route template.",
    );
    let bounds: Vec<String> = BUCKETS_US
        .iter()
        .map(|&us| (us as f64 / 1e6).to_string())
        .chain(std::iter::once("+Inf".to_owned()))
        .collect();
    for r in &routes {
        let base = labels(r);
        let base: Vec<(&str, &str)> = base.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut cumulative = 0;
        for (n, le) in r.buckets().iter().zip(&bounds) {
            cumulative += n;
            let mut l = base.clone();
            l.push(("le", le));
            p.sample(&format!("{name}_bucket"), &l, cumulative);
        }
        p.sample(&format!("{name}_sum"), &base, r.sum_seconds());
        p.sample(&format!("{name}_count"), &base, cumulative);
    }
}
