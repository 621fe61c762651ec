//! `mc.users` (`v2-wire.md` §6.1).

use axum::Router;
use serde_json::Value;
use tessera_core::Result;

use super::super::context::V2Ctx;
use crate::graphql::Field;
use crate::AppState;

pub async fn resolve(ctx: &V2Ctx, f: &Field) -> Option<Result<Value>> {
    let _ = (ctx, f);
    None
}

pub fn routes() -> Router<AppState> {
    Router::new()
}
