//! Registration whitelist (`v3-wire.md` §4 "Registration whitelist"): the pool's lists of
//! usernames, emails and phones allowed to register, over `service::settings` and
//! `service::pool_admin` (the lists `mc.whitelist` of the v2 SDK edits). Whether a list is
//! enforced is the pool's `whitelist` setting; a self-service registration of an
//! identifier an enforced list lacks is refused by the core's registration rule.
//!
//! `WhitelistListRespDto` declares one `WhitelistRespDto`, but a list has many entries:
//! every answer is the list's entries, `[{value, createdAt}]`, oldest first.
//!
//! The per-application lists (`addWhitelistOfApp`, …) are not served: registration in
//! Tessera is a pool rule, and an application-level list would need its own storage and
//! rule.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::clock::iso8601;
use tessera_core::service::settings::WhitelistType;

use super::call::Mgmt;
use super::envelope::{ok, success, Reply};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/add-whitelist", post(add))
        .route("/api/v3/list-whitelist", get(list))
        .route("/api/v3/delete-whitelist", post(delete))
}

/// `type`: `USERNAME`, `EMAIL` or `PHONE`; anything else is refused by serde, naming the
/// variants.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "UPPERCASE")]
enum Kind {
    Username,
    Email,
    Phone,
}

impl From<Kind> for WhitelistType {
    fn from(k: Kind) -> WhitelistType {
        match k {
            Kind::Username => WhitelistType::Username,
            Kind::Email => WhitelistType::Email,
            Kind::Phone => WhitelistType::Phone,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EditRequest {
    #[serde(rename = "type")]
    kind: Kind,
    #[serde(default)]
    list: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListRequest {
    #[serde(rename = "type")]
    kind: Kind,
}

async fn entries(m: &Mgmt, kind: WhitelistType) -> Reply {
    let list = m
        .core()
        .whitelist(&m.admin, kind)
        .await
        .map_err(|e| m.fail(e))?;
    let dto: Vec<Value> = list
        .iter()
        .map(|e| json!({ "value": e.value, "createdAt": iso8601(e.created_at) }))
        .collect();
    Ok(ok(m.lang, dto))
}

/// Adds entries (all or none: one invalid value refuses the call); answers the list.
async fn add(m: Mgmt) -> Reply {
    let r: EditRequest = m.args().map_err(|e| m.fail(e))?;
    let kind = WhitelistType::from(r.kind);
    if r.list.is_empty() {
        return Err(m.fail(tessera_core::Error::MissingParameter("list")));
    }
    let values: Vec<&str> = r.list.iter().map(String::as_str).collect();
    m.core()
        .add_whitelist(m.admin.pool_id(), kind, &values)
        .await
        .map_err(|e| m.fail(e))?;
    entries(&m, kind).await
}

async fn list(m: Mgmt) -> Reply {
    let r: ListRequest = m.args().map_err(|e| m.fail(e))?;
    entries(&m, r.kind.into()).await
}

async fn delete(m: Mgmt) -> Reply {
    let r: EditRequest = m.args().map_err(|e| m.fail(e))?;
    if r.list.is_empty() {
        return Err(m.fail(tessera_core::Error::MissingParameter("list")));
    }
    m.core()
        .remove_whitelist(&m.admin, r.kind.into(), &r.list)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}
