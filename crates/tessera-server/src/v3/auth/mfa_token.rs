//! `POST /mfa/token/introspection` (`verifyMfaToken`, `v3-wire.md` §9.2): whether an MFA
//! token is active. The SDK posts no body (its argument is ignored), so no token reaches
//! the server to be looked at, and the v3 sign-in never hands one out (it refuses a user
//! who needs a second factor, `signin`; the v2 logins' 1635 tickets are completed through
//! `ac.mfa`): the honest answer to every request is RFC 7662's inactive token.

use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/mfa/token/introspection", post(introspect))
}

async fn introspect() -> Json<Value> {
    Json(json!({ "active": false }))
}
