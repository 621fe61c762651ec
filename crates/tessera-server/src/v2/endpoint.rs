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
use crate::metrics::requests::graphql_operation;
use crate::metrics::GraphqlOperation;

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
    // A request refused before its document is read is counted as `invalid`.
    let mut operation = "invalid";
    let mut res = answer(ctx, body, &mut operation).await;
    res.extensions_mut().insert(GraphqlOperation(operation));
    res
}

async fn answer(ctx: V2Ctx, body: Bytes, operation: &mut &'static str) -> Response {
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
    *operation = op
        .fields
        .first()
        .map_or("other", |f| graphql_operation(&f.name));
    // Every root field is resolved first (errors are known only then); the answer is then
    // written straight from the resolvers' values, cut to each field's selection on the way.
    let mut results = Vec::with_capacity(op.fields.len());
    for field in &op.fields {
        results.push(resolve(&ctx, field).await);
    }
    let mut errors = Vec::new();
    let mut buf = Vec::with_capacity(2048);
    buf.extend_from_slice(b"{\"data\":{");
    let mut comma = false;
    let mut written: Vec<&str> = Vec::with_capacity(op.fields.len());
    for (field, result) in op.fields.iter().zip(&results) {
        let value = match result {
            Ok(v) => v,
            Err(e) => {
                errors.push(error_json(e, lang, Some(field.key())));
                &Value::Null
            }
        };
        // A response key answered twice at the root is written once (the first answer).
        if written.contains(&field.key()) {
            continue;
        }
        written.push(field.key());
        if comma {
            buf.push(b',');
        }
        comma = true;
        graphql::write_str(field.key(), &mut buf);
        buf.push(b':');
        graphql::write_projected(value, &field.selection, &mut buf);
    }
    buf.push(b'}');
    if !errors.is_empty() {
        buf.extend_from_slice(b",\"errors\":");
        graphql::write_value(&Value::Array(errors), &mut buf);
    }
    buf.push(b'}');
    ([(header::CONTENT_TYPE, "application/json")], buf).into_response()
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
