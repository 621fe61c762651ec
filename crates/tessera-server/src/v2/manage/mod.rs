//! The ManagementClient's half of the v2 façade (`v2-wire.md` §6): GraphQL operations and
//! REST routes that act on a whole pool with a management token (§3.1).
//!
//! Every operation starts with [`V2Ctx::admin`], which yields the verified [`PoolAdmin`] of
//! the one pool it may touch; every management service of the core takes it. Each submodule
//! owns one SDK module: it parses, calls the core and shapes the answer.

mod acl;
mod apps;
mod dir_common;
mod groups;
mod mfa;
mod org;
mod policies;
mod pool;
mod roles;
mod tenants;
mod users;

pub use users::admin_logout;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;
use axum::Router;
use serde_json::{json, Map, Value};
use tessera_core::principal::PoolAdmin;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::{Error, Result};

use super::context::V2Ctx;
use crate::authing::Lang;
use crate::envelope::{ok, V2Error};
use crate::graphql::Field;
use crate::AppState;

/// Resolves a management GraphQL root field, or `None` if no management module knows it.
pub async fn resolve(ctx: &V2Ctx, f: &Field) -> Option<Result<Value>> {
    if f.name == "accessToken" {
        return Some(access_token(ctx, &f.args).await);
    }
    if let Some(r) = users::resolve(ctx, f).await {
        return Some(r);
    }
    if let Some(r) = pool::resolve(ctx, f).await {
        return Some(r);
    }
    if let Some(r) = roles::resolve(ctx, f).await {
        return Some(r);
    }
    if let Some(r) = acl::resolve(ctx, f).await {
        return Some(r);
    }
    if let Some(r) = policies::resolve(ctx, f).await {
        return Some(r);
    }
    if let Some(r) = groups::resolve(ctx, f).await {
        return Some(r);
    }
    if let Some(r) = org::resolve(ctx, f).await {
        return Some(r);
    }
    None
}

/// Every management REST route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(users::routes())
        .merge(pool::routes())
        .merge(apps::routes())
        .merge(tenants::routes())
        .merge(mfa::routes())
        .merge(roles::routes())
        .merge(acl::routes())
        .merge(policies::routes())
        .merge(groups::routes())
        .merge(org::routes())
}

/// `query accessToken(userPoolId, secret)`: the pool secret buys a management token.
async fn access_token(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool_id = super::args::req_str(a, "userPoolId")?;
    let secret = super::args::req_str(a, "secret")?;
    let t = ctx
        .state
        .core
        .issue_management_token(&pool_id, &secret)
        .await?;
    Ok(json!({ "accessToken": t.token, "exp": t.exp, "iat": t.iat }))
}

/// A REST management call: the request context and the administrator its management token
/// proved, which reads as the pool it manages.
pub struct Admin {
    pub ctx: V2Ctx,
    pub pool: PoolAdmin,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = V2Error;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<Self, Self::Rejection> {
        let Ok(ctx) = V2Ctx::from_request_parts(parts, state).await;
        match ctx.admin().await {
            Ok(pool) => {
                let pool = pool.clone();
                Ok(Admin { ctx, pool })
            }
            Err(e) => Err(V2Error(e, ctx.lang)),
        }
    }
}

impl Admin {
    pub fn lang(&self) -> Lang {
        self.ctx.lang
    }

    pub fn core(&self) -> &tessera_core::Core {
        &self.ctx.state.core
    }

    /// Runs a handler body, turning its error into the envelope in the caller's language.
    pub async fn reply<F>(&self, f: F) -> Reply
    where
        F: std::future::Future<Output = Result<Response>>,
    {
        f.await.map_err(|e| V2Error(e, self.ctx.lang))
    }
}

pub type Reply = std::result::Result<Response, V2Error>;

/// The success envelope with the usual "success" message.
pub fn done<T: serde::Serialize>(lang: Lang, data: T) -> Response {
    ok(text(lang, "成功", "Success"), data)
}

pub fn text(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::ZhCn => zh,
        Lang::EnUs => en,
    }
}

/// `CommonMessage {code message}` as mutations without a payload answer.
pub fn common_message(lang: Lang) -> Value {
    json!({ "code": 200, "message": text(lang, "操作成功", "Success") })
}

/// `{totalCount, list}` as every paginated type has it.
pub fn paged_json(p: Paged<Value>) -> Value {
    json!({ "totalCount": p.total_count, "list": p.list })
}

/// Every `(key, value)` of a query string; `key[]=a&key[]=b` (axios arrays) keep all values.
pub fn query_pairs(raw: &Option<String>) -> Result<Vec<(String, String)>> {
    let pairs: Vec<(String, String)> = match raw {
        Some(q) => serde_urlencoded::from_str(q).map_err(|_| Error::InvalidParameter("query"))?,
        None => Vec::new(),
    };
    Ok(pairs
        .into_iter()
        .map(|(k, v)| (k.trim_end_matches("[]").to_owned(), v))
        .collect())
}

pub fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, v)| k == key && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

pub fn all(pairs: &[(String, String)], key: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, v)| k == key && !v.is_empty())
        .map(|(_, v)| v.clone())
        .collect()
}

pub fn page_of(pairs: &[(String, String)]) -> Result<Page> {
    let int = |key: &'static str| -> Result<Option<i64>> {
        first(pairs, key)
            .map(|v| v.parse::<i64>().map_err(|_| Error::InvalidParameter(key)))
            .transpose()
    };
    Page::new(int("page")?, int("limit")?)
}

/// A JSON body (empty is `{}`), refused if it is anything but an object.
pub fn body(bytes: &Bytes) -> Result<Map<String, Value>> {
    super::auth_rest::body(bytes)
}
