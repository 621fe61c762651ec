//! Serving one GraphQL request in the Authing shape, for every GraphQL façade (v1 at
//! `/graphql`, v2 at `/graphql/v2`): always HTTP 200; a failed root field is `null` in
//! `data` and an error whose `message` is the object `{code, message, data}` the SDKs read
//! (`v2-wire.md` §2.1, `v1-legacy-wire.md` §3). A successful answer has no `errors` key at
//! all: the legacy SDK rejects on any `errors`, even an empty list (`v1-legacy-wire.md` §3).

use std::future::Future;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use tessera_core::Error;

use super::Field;
use crate::authing::{errors, ErrorBody, Lang};
use crate::envelope::log_error;
use crate::metrics::requests::graphql_operation;

/// Largest accepted request body; the SDKs' documents are a few kilobytes.
pub const MAX_BODY: usize = 1024 * 1024 + 64 * 1024;

/// A root field's answer: a value, or an object that writes the fields selected of it.
pub enum Answer<'a> {
    Value(Value),
    Object(Box<dyn super::ObjectAnswer + Send + 'a>),
}

/// What a façade gives the executor: how to answer one root field.
pub trait RootResolver {
    fn resolve<'a>(
        &'a self,
        field: &'a Field,
    ) -> impl Future<Output = Result<Answer<'a>, Error>> + Send;
}

fn error_json(e: &Error, lang: Lang, path: Option<&str>) -> Value {
    log_error(e);
    json!({
        "message": ErrorBody::new(e, lang),
        "path": path.map(|p| vec![p]),
        "extensions": { "code": errors::code(e) },
    })
}

/// The answer refusing a whole request (no field was resolved).
pub fn failure(e: Error, lang: Lang) -> Response {
    Json(json!({ "errors": [error_json(&e, lang, None)], "data": {} })).into_response()
}

/// Answers the request `body`. `operation` is set to the metrics label of its first root
/// field once the document is read.
pub async fn execute<R: RootResolver + Sync>(
    resolver: &R,
    lang: Lang,
    body: &[u8],
    operation: &mut &'static str,
) -> Response {
    match prepare(body, operation) {
        Ok(op) => answer(resolver, lang, &op).await,
        Err(e) => failure(e, lang),
    }
}

/// Reads the request `body` into its operation, or the error that refuses it ([`failure`]).
/// `operation` is set to the metrics label of its first root field once the document is read.
pub fn prepare(body: &[u8], operation: &mut &'static str) -> Result<super::Operation, Error> {
    if body.len() > MAX_BODY {
        return Err(Error::InvalidParameter("body"));
    }
    let Ok(Value::Object(mut req)) = serde_json::from_slice::<Value>(body) else {
        return Err(Error::InvalidParameter("body"));
    };
    let variables = match req.remove("variables") {
        Some(Value::Object(v)) => v,
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(Error::InvalidParameter("variables")),
    };
    let Some(query) = req.get("query").and_then(Value::as_str) else {
        return Err(Error::MissingParameter("query"));
    };
    let op_name = req.get("operationName").and_then(Value::as_str);
    let op = match super::parse(query, op_name, &variables) {
        Ok(op) => op,
        Err(e) => {
            tracing::debug!(error = %e, "GraphQL document refused");
            return Err(Error::InvalidParameter(e.parameter()));
        }
    };
    *operation = op
        .fields
        .first()
        .map_or("other", |f| graphql_operation(&f.name));
    Ok(op)
}

/// Resolves every root field of `op` and writes the answer.
pub async fn answer<R: RootResolver + Sync>(
    resolver: &R,
    lang: Lang,
    op: &super::Operation,
) -> Response {
    // Every root field is resolved first (errors are known only then); the answer is then
    // written straight from the resolvers' values, cut to each field's selection on the way.
    let mut results = Vec::with_capacity(op.fields.len());
    for field in &op.fields {
        results.push(resolver.resolve(field).await);
    }
    let mut errors = Vec::new();
    let mut buf = Vec::with_capacity(2048);
    buf.extend_from_slice(b"{\"data\":{");
    let mut comma = false;
    let mut written: Vec<&str> = Vec::with_capacity(op.fields.len());
    for (field, result) in op.fields.iter().zip(&results) {
        let answer = match result {
            Ok(a) => Some(a),
            Err(e) => {
                errors.push(error_json(e, lang, Some(field.key())));
                None
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
        super::write_str(field.key(), &mut buf);
        buf.push(b':');
        match answer {
            Some(Answer::Value(v)) => super::write_projected(v, &field.selection, &mut buf),
            Some(Answer::Object(o)) => {
                super::write_object_answer(o.as_ref(), &field.selection, &mut buf);
            }
            None => buf.extend_from_slice(b"null"),
        }
    }
    buf.push(b'}');
    if !errors.is_empty() {
        buf.extend_from_slice(b",\"errors\":");
        super::write_value(&Value::Array(errors), &mut buf);
    }
    buf.push(b'}');
    ([(header::CONTENT_TYPE, "application/json")], buf).into_response()
}
