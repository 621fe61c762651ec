//! `mc.tenant` (`v2-wire.md` §6.10) and `mc.users.getUserTenants`: tenants, members,
//! administrators and external identity providers, all REST.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::routing::{delete, get, post, put};
use axum::Router;
use serde_json::{json, Map, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::tenant::{ExtIdp, ExtIdpConn, Tenant, TenantMember};
use tessera_core::model::User;
use tessera_core::service::tenants::{
    ConnPatch, NewConn, NewExtIdp, NewTenant, TenantPatch, TENANT_CONFIG_KEYS,
};
use tessera_core::{Entity, Error, Result};

use super::super::args::{opt_str, req_str, str_list};
use super::super::user_json::user_json;
use super::{body, common_message, done, first, page_of, paged_json, query_pairs, Admin, Reply};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/tenants", get(list))
        .route("/api/v2/tenant", post(create))
        .route(
            "/api/v2/tenant/{id}",
            get(details).post(update).delete(remove),
        )
        .route("/api/v2/tenant/{id}/users", get(members))
        .route(
            "/api/v2/tenant/{id}/user",
            post(add_members).delete(remove_member),
        )
        .route("/api/v2/tenant/{id}/admin", put(set_admins))
        .route("/api/v2/tenant/{id}/admin/{user_id}", delete(remove_admin))
        .route("/api/v2/tenant/{id}/{user_id}", put(update_member))
        .route("/api/v2/users/{id}/tenants", get(user_tenants))
        .route("/api/v2/extIdp", get(list_ext_idps).post(create_ext_idp))
        .route(
            "/api/v2/extIdp/{id}",
            get(ext_idp_detail)
                .put(update_ext_idp)
                .delete(delete_ext_idp),
        )
        .route("/api/v2/extIdp/{id}/connState", put(ext_idp_conn_state))
        .route("/api/v2/extIdpConn", post(create_conn))
        .route(
            "/api/v2/extIdpConn/{id}",
            put(update_conn).delete(delete_conn),
        )
        .route("/api/v2/extIdpConn/{id}/state", put(conn_state))
        .route(
            "/api/v2/check/extIdpConn/identifier",
            post(check_identifier),
        )
}

/// `TenantInfo`: the record plus the login-page settings of its config document.
pub fn tenant_json(t: &Tenant) -> Value {
    let mut out = json!({
        "id": t.id,
        "userPoolId": t.pool_id,
        "name": t.name,
        "description": t.description,
        "logo": t.logo,
        "appIds": t.app_ids,
        "createdAt": iso8601(t.created_at),
        "updatedAt": iso8601(t.updated_at),
    });
    for key in TENANT_CONFIG_KEYS {
        out[key] = t.config.get(key).cloned().unwrap_or(Value::Null);
    }
    out
}

fn member_json(m: &TenantMember, u: &User) -> Value {
    json!({
        "tenantId": m.tenant_id,
        "userId": m.user_id,
        "isAdmin": m.is_admin,
        "enabled": m.enabled,
        "createdAt": iso8601(m.created_at),
        "user": user_json(u, None),
    })
}

fn conn_json(c: &ExtIdpConn) -> Value {
    json!({
        "id": c.id,
        "userPoolId": c.pool_id,
        "extIdpId": c.ext_idp_id,
        "type": c.kind,
        "identifier": c.identifier,
        "displayName": c.display_name,
        "fields": c.fields,
        "userMatchFields": c.user_match_fields,
        "logo": c.logo,
        "enabled": c.enabled,
        "createdAt": iso8601(c.created_at),
        "updatedAt": iso8601(c.updated_at),
    })
}

fn idp_json(i: &ExtIdp) -> Value {
    json!({
        "id": i.id,
        "userPoolId": i.pool_id,
        "tenantId": i.tenant_id,
        "name": i.name,
        "type": i.kind,
        "connections": i.connections.iter().map(conn_json).collect::<Vec<_>>(),
        "createdAt": iso8601(i.created_at),
        "updatedAt": iso8601(i.updated_at),
    })
}

/// `appIds`: the SDK types it as one string (comma-separated ids); an array is accepted too.
fn app_ids(b: &Map<String, Value>) -> Result<Option<Vec<String>>> {
    match b.get("appIds") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )),
        Some(Value::Array(_)) => str_list(b, "appIds").map(Some),
        Some(_) => Err(Error::InvalidParameter("appIds")),
    }
}

fn opt_object(b: &Map<String, Value>, key: &'static str) -> Result<Option<Map<String, Value>>> {
    match b.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m.clone())),
        Some(_) => Err(Error::InvalidParameter(key)),
    }
}

fn opt_str_list(b: &Map<String, Value>, key: &'static str) -> Result<Option<Vec<String>>> {
    match b.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(_)) => str_list(b, key).map(Some),
        Some(_) => Err(Error::InvalidParameter(key)),
    }
}

fn req_bool(b: &Map<String, Value>, key: &'static str) -> Result<bool> {
    match b.get(key) {
        Some(Value::Bool(v)) => Ok(*v),
        None | Some(Value::Null) => Err(Error::MissingParameter(key)),
        Some(_) => Err(Error::InvalidParameter(key)),
    }
}

fn new_conn(b: &Map<String, Value>) -> Result<NewConn> {
    Ok(NewConn {
        kind: req_str(b, "type")?,
        identifier: req_str(b, "identifier")?,
        display_name: req_str(b, "displayName")?,
        fields: opt_object(b, "fields")?.unwrap_or_default(),
        user_match_fields: opt_str_list(b, "userMatchFields")?.unwrap_or_default(),
        logo: opt_str(b, "logo")?,
    })
}

/// The SDK builds `?tenantId=${tenantId}` even when it has none, sending "undefined".
fn tenant_param(pairs: &[(String, String)]) -> Option<&str> {
    first(pairs, "tenantId").filter(|t| *t != "undefined" && *t != "null")
}

async fn list(admin: Admin, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let page = page_of(&query_pairs(&q)?)?;
            let tenants = admin.core().list_tenants(&admin.pool, page).await?;
            Ok(done(
                admin.lang(),
                paged_json(tenants.map(|t| tenant_json(&t))),
            ))
        })
        .await
}

async fn create(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let new = NewTenant {
                name: req_str(&b, "name")?,
                app_ids: app_ids(&b)?.unwrap_or_default(),
                logo: opt_str(&b, "logo")?,
                description: opt_str(&b, "description")?,
            };
            let t = admin.core().create_tenant(&admin.pool, new).await?;
            Ok(done(admin.lang(), tenant_json(&t)))
        })
        .await
}

async fn details(admin: Admin, Path(id): Path<String>) -> Reply {
    admin
        .reply(async {
            let t = admin.core().tenant(&admin.pool, &id).await?;
            Ok(done(admin.lang(), tenant_json(&t)))
        })
        .await
}

/// `tenant.update` and `tenant.config` share this route.
async fn update(admin: Admin, Path(id): Path<String>, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let mut config = Map::new();
            for key in TENANT_CONFIG_KEYS {
                if let Some(v) = b.get(key).filter(|v| !v.is_null()) {
                    config.insert(key.to_owned(), v.clone());
                }
            }
            let patch = TenantPatch {
                name: opt_str(&b, "name")?,
                app_ids: app_ids(&b)?,
                logo: opt_str(&b, "logo")?,
                description: opt_str(&b, "description")?,
                config,
            };
            let t = admin.core().update_tenant(&admin.pool, &id, patch).await?;
            Ok(done(admin.lang(), tenant_json(&t)))
        })
        .await
}

async fn remove(admin: Admin, Path(id): Path<String>) -> Reply {
    admin
        .reply(async {
            admin.core().delete_tenant(&admin.pool, &id).await?;
            Ok(done(admin.lang(), common_message(admin.lang())))
        })
        .await
}

async fn members(admin: Admin, Path(id): Path<String>, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let page = page_of(&query_pairs(&q)?)?;
            let m = admin.core().tenant_members(&admin.pool, &id, page).await?;
            Ok(done(
                admin.lang(),
                paged_json(m.map(|(m, u)| member_json(&m, &u))),
            ))
        })
        .await
}

async fn add_members(admin: Admin, Path(id): Path<String>, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let ids = str_list(&b, "userIds")?;
            admin
                .core()
                .add_tenant_members(&admin.pool, &id, &ids)
                .await?;
            let t = admin.core().tenant(&admin.pool, &id).await?;
            Ok(done(admin.lang(), tenant_json(&t)))
        })
        .await
}

async fn remove_member(admin: Admin, Path(id): Path<String>, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let pairs = query_pairs(&q)?;
            let user = first(&pairs, "userId").ok_or(Error::MissingParameter("userId"))?;
            admin
                .core()
                .remove_tenant_member(&admin.pool, &id, user)
                .await?;
            Ok(done(admin.lang(), true))
        })
        .await
}

async fn set_admins(admin: Admin, Path(id): Path<String>, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let ids = str_list(&b, "userIds")?;
            admin
                .core()
                .set_tenant_admins(&admin.pool, &id, &ids)
                .await?;
            Ok(done(admin.lang(), true))
        })
        .await
}

async fn remove_admin(admin: Admin, Path((id, user_id)): Path<(String, String)>) -> Reply {
    admin
        .reply(async {
            admin
                .core()
                .remove_tenant_admin(&admin.pool, &id, &user_id)
                .await?;
            Ok(done(admin.lang(), true))
        })
        .await
}

async fn update_member(
    admin: Admin,
    Path((id, user_id)): Path<(String, String)>,
    bytes: Bytes,
) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let enabled = req_bool(&b, "isEnabled")?;
            admin
                .core()
                .set_tenant_member_enabled(&admin.pool, &id, &user_id, enabled)
                .await?;
            Ok(done(admin.lang(), true))
        })
        .await
}

async fn user_tenants(admin: Admin, Path(id): Path<String>) -> Reply {
    admin
        .reply(async {
            let tenants = admin.core().user_tenants(&admin.pool, &id).await?;
            Ok(done(
                admin.lang(),
                tenants.iter().map(tenant_json).collect::<Vec<_>>(),
            ))
        })
        .await
}

async fn list_ext_idps(admin: Admin, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let pairs = query_pairs(&q)?;
            let list = admin
                .core()
                .list_ext_idps(&admin.pool, tenant_param(&pairs))
                .await?;
            Ok(done(
                admin.lang(),
                list.iter().map(idp_json).collect::<Vec<_>>(),
            ))
        })
        .await
}

async fn ext_idp_detail(admin: Admin, Path(id): Path<String>) -> Reply {
    admin
        .reply(async {
            let i = admin.core().ext_idp(&admin.pool, &id).await?;
            Ok(done(admin.lang(), idp_json(&i)))
        })
        .await
}

async fn create_ext_idp(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let connections = match b.get("connections") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|c| match c {
                        Value::Object(m) => new_conn(m),
                        _ => Err(Error::InvalidParameter("connections")),
                    })
                    .collect::<Result<Vec<_>>>()?,
                Some(_) => return Err(Error::InvalidParameter("connections")),
            };
            let new = NewExtIdp {
                tenant_id: opt_str(&b, "tenantId")?,
                name: req_str(&b, "name")?,
                kind: req_str(&b, "type")?,
                connections,
            };
            let i = admin.core().create_ext_idp(&admin.pool, new).await?;
            Ok(done(admin.lang(), idp_json(&i)))
        })
        .await
}

async fn update_ext_idp(admin: Admin, Path(id): Path<String>, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let i = admin
                .core()
                .rename_ext_idp(&admin.pool, &id, &req_str(&b, "name")?)
                .await?;
            Ok(done(admin.lang(), idp_json(&i)))
        })
        .await
}

async fn delete_ext_idp(admin: Admin, Path(id): Path<String>) -> Reply {
    admin
        .reply(async {
            admin.core().delete_ext_idp(&admin.pool, &id).await?;
            Ok(done(admin.lang(), true))
        })
        .await
}

async fn create_conn(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let idp = req_str(&b, "extIdpId")?;
            let c = admin
                .core()
                .create_ext_idp_conn(&admin.pool, &idp, new_conn(&b)?)
                .await?;
            Ok(done(admin.lang(), conn_json(&c)))
        })
        .await
}

async fn update_conn(admin: Admin, Path(id): Path<String>, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let patch = ConnPatch {
                display_name: opt_str(&b, "displayName")?,
                fields: opt_object(&b, "fields")?,
                user_match_fields: opt_str_list(&b, "userMatchFields")?,
                logo: opt_str(&b, "logo")?,
            };
            let c = admin
                .core()
                .update_ext_idp_conn(&admin.pool, &id, patch)
                .await?;
            Ok(done(admin.lang(), conn_json(&c)))
        })
        .await
}

async fn delete_conn(admin: Admin, Path(id): Path<String>) -> Reply {
    admin
        .reply(async {
            admin.core().delete_ext_idp_conn(&admin.pool, &id).await?;
            Ok(done(admin.lang(), true))
        })
        .await
}

/// Succeeds when the identifier is free and fails (2026) when a connection uses it; the SDK
/// turns that into `false` / `true` ("does it conflict?", §6.10).
async fn check_identifier(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let identifier = req_str(&b, "identifier")?;
            if admin
                .core()
                .ext_idp_conn_identifier_taken(&admin.pool, &identifier)
                .await?
            {
                return Err(Error::Duplicate(Entity::ExtIdpConnIdentifier));
            }
            Ok(done(admin.lang(), true))
        })
        .await
}

async fn conn_state(admin: Admin, Path(id): Path<String>, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let app = opt_str(&b, "appId")?;
            let tenant = opt_str(&b, "tenantId")?;
            admin
                .core()
                .set_ext_idp_conn_enabled(
                    &admin.pool,
                    &id,
                    &app.into_iter().collect::<Vec<_>>(),
                    tenant.as_deref(),
                    req_bool(&b, "enabled")?,
                )
                .await?;
            Ok(done(admin.lang(), true))
        })
        .await
}

async fn ext_idp_conn_state(admin: Admin, Path(id): Path<String>, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let app = opt_str(&b, "appId")?;
            let tenant = opt_str(&b, "tenantId")?;
            admin
                .core()
                .set_ext_idp_conns_enabled(
                    &admin.pool,
                    &id,
                    app.as_deref(),
                    tenant.as_deref(),
                    req_bool(&b, "enabled")?,
                )
                .await?;
            Ok(done(admin.lang(), true))
        })
        .await
}
