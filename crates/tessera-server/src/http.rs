//! Cross-cutting HTTP plumbing: path normalisation, request tracing (CORS and nosniff:
//! `cors.rs`; connection limits: `connections.rs`).

use axum::body::Body;
use axum::extract::Request;
use axum::http::Uri;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// Collapses `//` in a request's path, before routing: the ManagementClient does not
/// normalise its `host`, so `https://x/` yields `https://x//graphql/v2` (`v2-wire.md` §1.1).
pub fn collapse_slashes(mut req: Request<Body>) -> Request<Body> {
    let path = req.uri().path();
    if path.contains("//") {
        let mut collapsed = String::with_capacity(path.len());
        let mut prev_slash = false;
        for c in path.chars() {
            if c == '/' && prev_slash {
                continue;
            }
            prev_slash = c == '/';
            collapsed.push(c);
        }
        let pq = match req.uri().query() {
            Some(q) => format!("{collapsed}?{q}"),
            None => collapsed,
        };
        let mut parts = req.uri().clone().into_parts();
        if let Ok(pq) = pq.parse() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
    }
    req
}

/// One span per request with method and path only: query strings and headers can carry
/// tokens and codes, and never reach the log.
type SpanFn = fn(&Request<Body>) -> Span;

pub fn trace() -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, SpanFn> {
    TraceLayer::new_for_http().make_span_with(make_span as SpanFn)
}

fn make_span(req: &Request<Body>) -> Span {
    tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn double_slashes_collapse_and_queries_survive() {
        let req = Request::builder()
            .uri("http://h//graphql//v2?x=1")
            .body(Body::empty())
            .unwrap();
        let out = collapse_slashes(req);
        assert_eq!(out.uri().path(), "/graphql/v2");
        assert_eq!(out.uri().query(), Some("x=1"));
    }
}
