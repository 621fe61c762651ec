//! Access keys (AK/SK) (`v3-wire.md` §4 "Access keys"): the pool's own keys, which sign v3
//! requests (§3.1) and buy management tokens (§3.2), over `service::access_keys`.
//!
//! Tessera has one kind of administrator per pool, so every key administers the whole
//! pool: `type` must be `userpool` (a tenant-scoped key would promise a narrower power than
//! it has), and `userId` only records which user of the pool the key was handed to.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::clock::iso8601;
use tessera_core::service::access_keys::NewAccessKey;
use tessera_core::store::pool_admin::PoolAccessKey;
use tessera_core::{Entity, Error};

use super::call::Mgmt;
use super::envelope::{done, ok, success, Reply};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/list-access-key", get(list))
        .route("/api/v3/get-access-key", get(get_one))
        .route("/api/v3/create-access-key", post(create))
        .route("/api/v3/update-access-key", post(update))
        .route("/api/v3/delete-access-key", post(delete))
}

/// The key's state as Authing spells it: `activated`, or `revoked` once disabled.
fn status(k: &PoolAccessKey) -> &'static str {
    if k.enabled {
        "activated"
    } else {
        "revoked"
    }
}

/// `ListAccessKeyRespDto` (and the get / create answers, which have the same fields).
/// `lastDate` is null: Tessera does not record when a key was last used.
fn key_dto(k: &PoolAccessKey) -> Value {
    json!({
        "accessKeyId": k.id,
        "accessKeySecret": k.secret,
        "userId": k.user_id,
        "createdAt": iso8601(k.created_at),
        "status": status(k),
        "lastDate": null,
        "userPoolId": k.pool_id,
        "enable": k.enabled,
    })
}

/// The one key type Tessera has.
const POOL_KEY_TYPE: &str = "userpool";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListRequest {
    user_id: Option<String>,
    tenant_id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    status: Vec<String>,
}

async fn list(m: Mgmt) -> Reply {
    let r: ListRequest = m.args().map_err(|e| m.fail(e))?;
    for s in &r.status {
        if !matches!(s.as_str(), "activated" | "revoked" | "staging") {
            return Err(m.fail(Error::InvalidParameter("status")));
        }
    }
    if r.kind.as_deref().is_some_and(|k| k != POOL_KEY_TYPE) {
        return Err(m.fail(Error::InvalidParameter("type")));
    }
    let keys = m
        .core()
        .pool_access_keys(&m.admin)
        .await
        .map_err(|e| m.fail(e))?;
    let list: Vec<Value> = keys
        .iter()
        // No key belongs to a tenant, so a tenant filter finds none.
        .filter(|_| r.tenant_id.is_none())
        .filter(|k| r.user_id.is_none() || k.user_id == r.user_id)
        .filter(|k| r.status.is_empty() || r.status.iter().any(|s| s == status(k)))
        .map(key_dto)
        .collect();
    Ok(ok(m.lang, list))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GetRequest {
    user_id: String,
    access_key_id: String,
}

/// A key is named by its id and its holder: a key handed to one user is not found under
/// another user's id; a key handed to nobody is named by the id alone.
async fn get_one(m: Mgmt) -> Reply {
    let r: GetRequest = m.args().map_err(|e| m.fail(e))?;
    let k = m
        .core()
        .pool_access_key(&m.admin, &r.access_key_id)
        .await
        .map_err(|e| m.fail(e))?;
    if k.user_id.as_ref().is_some_and(|u| *u != r.user_id) {
        return Err(m.fail(Error::NotFound(Entity::AccessKey)));
    }
    Ok(ok(m.lang, vec![key_dto(&k)]))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateRequest {
    #[serde(rename = "type")]
    kind: String,
    user_id: Option<String>,
    tenant_id: Option<String>,
}

async fn create(m: Mgmt) -> Reply {
    let r: CreateRequest = m.args().map_err(|e| m.fail(e))?;
    if r.kind != POOL_KEY_TYPE {
        return Err(m.fail(Error::InvalidParameter("type")));
    }
    if r.tenant_id.is_some() {
        return Err(m.fail(Error::InvalidParameter("tenantId")));
    }
    let k = m
        .core()
        .create_pool_access_key(
            &m.admin,
            NewAccessKey {
                user_id: r.user_id.filter(|u| !u.is_empty()),
            },
        )
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, vec![key_dto(&k)]))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateRequest {
    enable: bool,
    access_key_id: String,
}

async fn update(m: Mgmt) -> Reply {
    let r: UpdateRequest = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .set_pool_access_key_enabled(&m.admin, &r.access_key_id, r.enable)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DeleteRequest {
    access_key_id: String,
}

async fn delete(m: Mgmt) -> Reply {
    let r: DeleteRequest = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .delete_pool_access_key(&m.admin, &r.access_key_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}
