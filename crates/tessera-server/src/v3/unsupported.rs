//! Every `/api/v3/*` path no family module serves: the SDK method it belongs to, named in a
//! 501 envelope, or a 404 envelope for a path no SDK method has (`v3-wire.md` §2.1: the SDK
//! throws on an HTTP error status, so the answer is HTTP 200 either way).

use axum::http::{HeaderMap, Method, Uri};
use axum::routing::{any, post};
use axum::Router;

use super::call::lang_of;
use super::catalog;
use super::envelope::{Failure, Reply, V3Error};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/{*rest}", any(unsupported))
        // `getRowBatch` posts here, without the `/api/v3` prefix (§4, §9.3).
        .route("/get-row-batch", post(unsupported))
        // The AuthenticationClient's paths outside `/api/v3` (§5.6) that nothing serves:
        // the WeChat mobile ones `auth/wechat_mobile.rs` has no route for (`authByCode`,
        // hidden from the SDK).
        .route("/api/v2/ecConn/wechatMobile/{*rest}", any(unsupported))
}

async fn unsupported(method: Method, uri: Uri, headers: HeaderMap) -> Reply {
    let lang = lang_of(&headers);
    let failure = match catalog::find(method.as_str(), uri.path()) {
        Some(m) => Failure::Unsupported {
            method: m.method.clone(),
            family: m.family.clone(),
        },
        None => Failure::UnknownEndpoint,
    };
    Err(V3Error(failure, lang))
}
