//! Registration whitelist (`v3-wire.md` §4 "Registration whitelist"): the pool's lists of
//! usernames, emails and phones allowed to register, over `service::settings` and
//! `service::pool_admin` (the lists `mc.whitelist` of the v2 SDK edits). Whether a list is
//! enforced is the pool's `whitelist` setting; a self-service registration of an
//! identifier an enforced list lacks is refused by the core's registration rule.
//!
//! `WhitelistListRespDto` declares one `WhitelistRespDto`, but a list has many entries:
//! every answer is the list's entries, `[{value, createdAt}]`, oldest first.
//!
//! The per-application lists (`addWhitelistOfApp`, `listWhitelistsOfApp`,
//! `deleteWhitelistOfApp`) are an application's own lists, over `service::app_whitelist`:
//! an application with entries of a type admits only those values to register through it,
//! on top of the pool's enforced list. They answer like the pool's: the list after an add,
//! `{success}` after a delete. An application of another pool is not found.

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
        .route("/api/v3/add-whitelist-of-app", post(add_of_app))
        .route("/api/v3/list-whitelist-of-app", get(list_of_app))
        .route("/api/v3/delete-whitelist-of-app", post(delete_of_app))
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

// --- one application's lists ---------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AppEditRequest {
    app_id: String,
    #[serde(rename = "type")]
    kind: Kind,
    #[serde(default)]
    list: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AppListRequest {
    app_id: String,
    #[serde(rename = "type")]
    kind: Kind,
}

async fn app_entries(m: &Mgmt, app_id: &str, kind: WhitelistType) -> Reply {
    let list = m
        .core()
        .app_whitelist(&m.admin, app_id, kind)
        .await
        .map_err(|e| m.fail(e))?;
    let dto: Vec<Value> = list
        .iter()
        .map(|e| json!({ "value": e.value, "createdAt": iso8601(e.created_at) }))
        .collect();
    Ok(ok(m.lang, dto))
}

/// Adds entries to the application's list (all or none); answers that list.
async fn add_of_app(m: Mgmt) -> Reply {
    let r: AppEditRequest = m.args().map_err(|e| m.fail(e))?;
    let kind = WhitelistType::from(r.kind);
    // An empty add would change nothing, and is more likely a caller's mistake.
    if r.list.is_empty() {
        return Err(m.fail(tessera_core::Error::MissingParameter("list")));
    }
    m.core()
        .add_app_whitelist(&m.admin, &r.app_id, kind, &r.list)
        .await
        .map_err(|e| m.fail(e))?;
    app_entries(&m, &r.app_id, kind).await
}

async fn list_of_app(m: Mgmt) -> Reply {
    let r: AppListRequest = m.args().map_err(|e| m.fail(e))?;
    app_entries(&m, &r.app_id, r.kind.into()).await
}

async fn delete_of_app(m: Mgmt) -> Reply {
    let r: AppEditRequest = m.args().map_err(|e| m.fail(e))?;
    if r.list.is_empty() {
        return Err(m.fail(tessera_core::Error::MissingParameter("list")));
    }
    m.core()
        .remove_app_whitelist(&m.admin, &r.app_id, r.kind.into(), &r.list)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}
