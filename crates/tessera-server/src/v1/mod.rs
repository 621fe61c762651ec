//! The legacy v1 façade (`authing-js-sdk@3.22.3`, `new Authing({userPoolId, secret})`,
//! `v1-legacy-wire.md`): the users and oauth GraphQL endpoints, both served at `/graphql`
//! (a deployment points the SDK's `host.user` and `host.oauth` there), the SMS REST calls
//! the SDK derives from `host.user`, and `/system/status` for its preflight. The OIDC calls
//! it sends to `baseUrl` (`/oauth/oidc/token`, `/oauth/oidc/me`) are the provider's (`oidc`).
//!
//! Like every façade it parses, resolves its caller into a principal (`context`), calls one
//! core service and formats; the operations are grouped by what they do: `auth_ops`
//! (construction, login, registration, session checks), `admin_ops` (the pool
//! administrator's user calls and the user's own profile), `account_ops` (codes, email and
//! phone changes, password reset), `oauth_ops` (the oauth endpoint's operations), `rest`
//! (the REST calls).

mod account_ops;
mod admin_ops;
mod admin_update;
mod args;
mod auth_ops;
mod context;
mod oauth_ops;
mod rest;
mod user_json;

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use tessera_core::Error;

use crate::graphql::serve::{execute, Answer, RootResolver, MAX_BODY};
use crate::graphql::Field;
use crate::metrics::GraphqlOperation;
use crate::AppState;
use context::V1Ctx;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/graphql",
            post(handler).layer(DefaultBodyLimit::max(MAX_BODY)),
        )
        .merge(rest::routes())
}

impl RootResolver for V1Ctx {
    async fn resolve<'a>(&'a self, field: &'a Field) -> Result<Answer<'a>, Error> {
        resolve(self, field).await.map(Answer::Value)
    }
}

async fn handler(ctx: V1Ctx, body: Bytes) -> Response {
    let mut operation = "invalid";
    let mut res = execute(&ctx, ctx.lang, &body, &mut operation).await;
    res.extensions_mut().insert(GraphqlOperation(operation));
    res
}

/// One root field of either endpoint (§9: one schema serves both, as the SDK's own test
/// configuration assumes).
async fn resolve(ctx: &V1Ctx, f: &Field) -> Result<Value, Error> {
    if let Some(r) = auth_ops::resolve(ctx, f).await {
        return r;
    }
    if let Some(r) = admin_ops::resolve(ctx, f).await {
        return r;
    }
    if let Some(r) = account_ops::resolve(ctx, f).await {
        return r;
    }
    if let Some(r) = oauth_ops::resolve(ctx, f).await {
        return r;
    }
    Err(Error::InvalidParameter("operation"))
}
