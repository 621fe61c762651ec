//! `POST /graphql/v2`: always HTTP 200; a failed root field is `null` in `data` and an error
//! whose `message` is the object `{code, message, data}` the SDKs read (`v2-wire.md` §2.1).

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use tessera_core::Error;

use super::context::V2Ctx;
use crate::authing::{errors, ErrorBody, Lang};
use crate::envelope::log_error;
use crate::graphql::{self, Field};

/// Largest accepted request body; the SDK's documents are a few kilobytes.
pub const MAX_BODY: usize = 1024 * 1024 + 64 * 1024;

fn error_json(e: &Error, lang: Lang, path: Option<&str>) -> Value {
    log_error(e);
    json!({
        "message": ErrorBody::new(e, lang),
        "path": path.map(|p| vec![p]),
        "extensions": { "code": errors::code(e) },
    })
}

fn failure(e: Error, lang: Lang) -> Response {
    Json(json!({ "errors": [error_json(&e, lang, None)], "data": {} })).into_response()
}

pub async fn handler(ctx: V2Ctx, body: Bytes) -> Response {
    let lang = ctx.lang;
    if body.len() > MAX_BODY {
        return failure(Error::InvalidParameter("body"), lang);
    }
    let Ok(Value::Object(mut req)) = serde_json::from_slice::<Value>(&body) else {
        return failure(Error::InvalidParameter("body"), lang);
    };
    let variables = match req.remove("variables") {
        Some(Value::Object(v)) => v,
        None | Some(Value::Null) => Map::new(),
        Some(_) => return failure(Error::InvalidParameter("variables"), lang),
    };
    let Some(query) = req.get("query").and_then(Value::as_str) else {
        return failure(Error::MissingParameter("query"), lang);
    };
    let op_name = req.get("operationName").and_then(Value::as_str);
    let op = match graphql::parse(query, op_name, &variables) {
        Ok(op) => op,
        Err(e) => {
            tracing::debug!(error = %e, "GraphQL document refused");
            return failure(Error::InvalidParameter(e.parameter()), lang);
        }
    };
    let mut data = Map::new();
    let mut errors = Vec::new();
    for field in &op.fields {
        match resolve(&ctx, field).await {
            Ok(v) => {
                data.insert(
                    field.key().to_owned(),
                    graphql::project(v, &field.selection),
                );
            }
            Err(e) => {
                errors.push(error_json(&e, lang, Some(field.key())));
                data.insert(field.key().to_owned(), Value::Null);
            }
        }
    }
    let mut out = Map::new();
    if !errors.is_empty() {
        out.insert("errors".into(), Value::Array(errors));
    }
    out.insert("data".into(), Value::Object(data));
    answer(&Value::Object(out))
}

/// The answer as JSON, written into a buffer sized for a user object: axum's `Json` starts at
/// 128 bytes and grows by copying, several times for most answers.
fn answer(v: &Value) -> Response {
    let mut buf = Vec::with_capacity(2048);
    match serde_json::to_writer(&mut buf, v) {
        Ok(()) => ([(header::CONTENT_TYPE, "application/json")], buf).into_response(),
        // A `Value` always serialises; should that change, axum's own path reports it.
        Err(_) => Json(v).into_response(),
    }
}

/// Some operation names (`refreshToken`, `updateUser`, `udv`…) exist in both SDK clients
/// with different arguments: a verified pool administrator gets the management meaning;
/// anyone else, including a caller whose management token did not verify, the end user's
/// (which then answers with that token's own error). Operations only the management API has
/// still go there without a token, where they are refused with 2020 (no token) or 1001 (a
/// user's token).
async fn resolve(ctx: &V2Ctx, field: &Field) -> Result<Value, Error> {
    if field.name == "accessToken" || ctx.is_pool_admin().await {
        if let Some(r) = super::manage::resolve(ctx, field).await {
            return r;
        }
    }
    if let Some(r) = super::auth_ops::resolve(ctx, field).await {
        return r;
    }
    if let Some(r) = super::manage::resolve(ctx, field).await {
        return r;
    }
    Err(Error::InvalidParameter("operation"))
}
