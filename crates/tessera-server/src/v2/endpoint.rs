//! `POST /graphql/v2`: always HTTP 200; a failed root field is `null` in `data` and an error
//! whose `message` is the object `{code, message, data}` the SDKs read (`v2-wire.md` §2.1).

use axum::body::Bytes;
use axum::response::Response;
use serde_json::Value;
use tessera_core::Error;

use super::context::{V2Ctx, V2Start};
use crate::graphql::serve::{answer, failure, prepare, Answer, RootResolver};
use crate::graphql::Field;
use crate::metrics::GraphqlOperation;

pub use crate::graphql::serve::MAX_BODY;

impl RootResolver for V2Ctx {
    fn resolve<'a>(
        &'a self,
        field: &'a Field,
    ) -> impl std::future::Future<Output = Result<Answer<'a>, Error>> + Send {
        resolve(self, field)
    }
}

pub async fn handler(start: V2Start, body: Bytes) -> Response {
    // A request refused before its document is read is counted as `invalid`.
    let mut operation = "invalid";
    let lang = start.lang;
    let mut res = match prepare(&body, &mut operation) {
        Ok(op) => {
            // The token the request will check is read with its app and pool: the Bearer
            // (the whole user, for the session), or else `checkLoginStatus`'s argument (only
            // what decides validity).
            let checked = match (&start.bearer, op.fields.first()) {
                (Some(bearer), _) => Some((bearer.clone(), true)),
                (None, Some(f)) if f.name == "checkLoginStatus" => f
                    .args
                    .get("token")
                    .and_then(Value::as_str)
                    .filter(|t| !t.is_empty())
                    .map(|t| (t.to_owned(), false)),
                _ => None,
            };
            // The `user` query (`getCurrentUser`) answers with the user's identities and
            // custom data when selected: they are read in the same read as the session.
            let extras = match (&checked, op.fields.first()) {
                (Some((_, true)), Some(f)) if f.name == "user" => {
                    let (identities, custom) = (
                        f.child("identities").is_some(),
                        f.child("customData").is_some(),
                    );
                    (identities || custom).then_some((identities, custom))
                }
                _ => None,
            };
            let ctx = start
                .load_with(
                    checked.as_ref().map(|(t, whole)| (t.as_str(), *whole)),
                    extras,
                )
                .await;
            answer(&ctx, lang, &op).await
        }
        Err(e) => failure(e, lang),
    };
    res.extensions_mut().insert(GraphqlOperation(operation));
    res
}

/// Some operation names (`refreshToken`, `updateUser`, `udv`…) exist in both SDK clients
/// with different arguments: a verified pool administrator gets the management meaning;
/// anyone else, including a caller whose management token did not verify, the end user's
/// (which then answers with that token's own error). Operations only the management API has
/// still go there without a token, where they are refused with 2020 (no token) or 1001 (a
/// user's token).
///
/// The management operations are boxed (see [`super::auth_ops::resolve`]): their futures are
/// large, and an end user's request that never reaches them would otherwise carry them.
///
/// The end user's `user` query (`getCurrentUser`) answers with an object written as it is
/// selected ([`super::auth_ops::current_user`]); every other field with a value.
async fn resolve<'a>(ctx: &'a V2Ctx, field: &'a Field) -> Result<Answer<'a>, Error> {
    if field.name == "accessToken" || ctx.is_pool_admin().await {
        if let Some(r) = Box::pin(super::manage::resolve(ctx, field)).await {
            return r.map(Answer::Value);
        }
    }
    if field.name == "user" {
        return super::auth_ops::current_user(ctx, field).await;
    }
    if let Some(r) = super::auth_ops::resolve(ctx, field).await {
        return r.map(Answer::Value);
    }
    if let Some(r) = Box::pin(super::manage::resolve(ctx, field)).await {
        return r.map(Answer::Value);
    }
    Err(Error::InvalidParameter("operation"))
}
