//! (filled in by its own change)

use serde_json::Value;
use tessera_core::Result;

use super::context::V1Ctx;
use crate::graphql::Field;

pub async fn resolve(_ctx: &V1Ctx, _f: &Field) -> Option<Result<Value>> {
    None
}
