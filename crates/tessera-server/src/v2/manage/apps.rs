//! `mc.applications` (`v2-wire.md` §6.5): the pool's applications and their agreements,
//! all REST. Each handler parses, calls one core service and shapes what the SDK reads.
//!
//! An application's OAuth/OIDC client settings travel under the names Authing's console
//! uses (`redirectUris`, `grantTypes`, `idTokenExpiresIn`, …): create keeps every one it is
//! given, `POST` / `PUT /api/v2/applications/<id>` change the ones given, and the application
//! object answers them under the same names as well as in the SDK's `oidcConfig`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::routing::{get, patch, post, put};
use axum::Router;
use serde_json::{json, Map, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::tenant::Agreement;
use tessera_core::service::app_settings::OidcPatch;
use tessera_core::service::apps_admin::{AgreementPatch, AppType, AppUpdate, AppView, NewApp};
use tessera_core::{Entity, Error, Result};

use super::super::args::{opt_int, opt_str, req_str, str_list};
use super::super::user_json::user_json;
use super::tenants::tenant_json;
use super::{body, done, page_of, paged_json, query_pairs, Admin, Reply};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/applications", get(list).post(create))
        .route(
            "/api/v2/applications/{app_id}",
            get(find_by_id).post(update).put(update).delete(delete),
        )
        .route(
            "/api/v2/applications/{app_id}/active-users",
            get(active_users),
        )
        .route(
            "/api/v2/application/{app_id}/refresh-secret",
            patch(refresh_secret),
        )
        .route("/api/v2/application/{app_id}/tenants", get(app_tenants))
        .route(
            "/api/v2/applications/{app_id}/agreements",
            get(list_agreements).post(create_agreement),
        )
        .route(
            "/api/v2/applications/{app_id}/agreements/sort",
            post(sort_agreements),
        )
        .route(
            "/api/v2/applications/{app_id}/agreements/{agreement_id}",
            put(modify_agreement).delete(delete_agreement),
        )
}

/// The application as `IApplication` / `ApplicationDetail` name its fields.
pub fn app_json(v: &AppView) -> Value {
    let a = &v.app;
    let o = &a.oidc;
    json!({
        "id": a.id,
        "userPoolId": a.pool_id,
        "name": a.name,
        "identifier": a.identifier,
        "description": a.description,
        "logo": a.logo,
        "secret": a.secret,
        "redirectUris": o.redirect_uris,
        "logoutRedirectUris": o.post_logout_redirect_uris,
        "grantTypes": o.grant_types,
        "responseTypes": o.response_types,
        "tokenEndpointAuthMethod": o.token_endpoint_auth_method,
        "idTokenSignedResponseAlg": o.id_token_signing_alg.as_str(),
        "idTokenExpiresIn": o.id_token_lifetime,
        "accessTokenExpiresIn": o.access_token_lifetime,
        "refreshTokenExpiresIn": o.refresh_token_lifetime,
        "requirePkce": o.require_pkce,
        "allowPlainPkce": o.allow_plain_pkce,
        "skipConsent": o.skip_consent,
        "protocol": "oidc",
        "appType": v.app_type.as_str(),
        "oidcConfig": {
            "client_id": a.id,
            "redirect_uris": o.redirect_uris,
            "post_logout_redirect_uris": o.post_logout_redirect_uris,
            "grant_types": o.grant_types,
            "response_types": o.response_types,
            "token_endpoint_auth_method": o.token_endpoint_auth_method,
            "id_token_signed_response_alg": o.id_token_signing_alg.as_str(),
            "id_token_expire": o.id_token_lifetime,
            "access_token_expire": o.access_token_lifetime,
            "refresh_token_expire": o.refresh_token_lifetime,
            "require_pkce": o.require_pkce,
            "allow_plain_pkce": o.allow_plain_pkce,
            "skip_consent": o.skip_consent,
        },
        "permissionStrategy": {
            "defaultStrategy": if v.allow_all_by_default { "ALLOW_ALL" } else { "DENY_ALL" },
        },
        "createdAt": iso8601(a.created_at),
        "updatedAt": iso8601(a.updated_at),
    })
}

/// `AgreementDetail`: the id is a number on the wire.
fn agreement_json(a: &Agreement) -> Value {
    json!({
        "id": a.id,
        "appId": a.app_id,
        "userPoolId": a.pool_id,
        "title": a.title,
        "lang": a.lang,
        "required": a.required,
        "order": a.order,
        "createdAt": iso8601(a.created_at),
        "updatedAt": iso8601(a.updated_at),
    })
}

/// A boolean that keeps "absent" apart from `false`.
fn tri_bool(b: &Map<String, Value>, key: &'static str) -> Result<Option<bool>> {
    match b.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(v)) => Ok(Some(*v)),
        Some(_) => Err(Error::InvalidParameter(key)),
    }
}

/// A list of strings that keeps "absent" apart from empty (which clears the list).
fn opt_str_list(b: &Map<String, Value>, key: &'static str) -> Result<Option<Vec<String>>> {
    match b.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => str_list(b, key).map(Some),
    }
}

/// The OIDC client settings a create or update body gives, by the console's names.
fn oidc_patch(b: &Map<String, Value>) -> Result<OidcPatch> {
    Ok(OidcPatch {
        redirect_uris: opt_str_list(b, "redirectUris")?,
        post_logout_redirect_uris: opt_str_list(b, "logoutRedirectUris")?,
        grant_types: opt_str_list(b, "grantTypes")?,
        response_types: opt_str_list(b, "responseTypes")?,
        token_endpoint_auth_method: opt_str(b, "tokenEndpointAuthMethod")?,
        id_token_signing_alg: opt_str(b, "idTokenSignedResponseAlg")?,
        id_token_lifetime: opt_int(b, "idTokenExpiresIn")?,
        access_token_lifetime: opt_int(b, "accessTokenExpiresIn")?,
        refresh_token_lifetime: opt_int(b, "refreshTokenExpiresIn")?,
        require_pkce: tri_bool(b, "requirePkce")?,
        allow_plain_pkce: tri_bool(b, "allowPlainPkce")?,
        skip_consent: tri_bool(b, "skipConsent")?,
    })
}

/// An agreement id from the path; anything but a number names no agreement.
fn agreement_id(raw: &str) -> Result<i64> {
    raw.parse::<i64>()
        .map_err(|_| Error::NotFound(Entity::Agreement))
}

async fn list(admin: Admin, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let page = page_of(&query_pairs(&q)?)?;
            let apps = admin.core().admin_list_apps(&admin.pool, page).await?;
            Ok(done(admin.lang(), paged_json(apps.map(|a| app_json(&a)))))
        })
        .await
}

async fn create(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let new = NewApp {
                name: req_str(&b, "name")?,
                identifier: opt_str(&b, "identifier")?.filter(|s| !s.is_empty()),
                description: opt_str(&b, "description")?,
                logo: opt_str(&b, "logo")?,
                oidc: oidc_patch(&b)?,
                client_kind: None,
            };
            let app = admin.core().admin_create_app(&admin.pool, new).await?;
            Ok(done(admin.lang(), app_json(&app)))
        })
        .await
}

async fn find_by_id(admin: Admin, Path(app_id): Path<String>) -> Reply {
    admin
        .reply(async {
            let app = admin.core().admin_app(&admin.pool, &app_id).await?;
            Ok(done(admin.lang(), app_json(&app)))
        })
        .await
}

/// `POST` (and `PUT`) `/api/v2/applications/<id>`: `changeApplicationType`'s `{appType}`,
/// the ACL's `{permissionStrategy}`, and the application's own fields, each optional.
async fn update(admin: Admin, Path(app_id): Path<String>, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            // `acl.updateDefaultApplicationAccessPolicy` posts to this route too.
            if let Some(allow_all) = super::acl::default_strategy(&b)? {
                admin
                    .core()
                    .set_app_default_strategy(&admin.pool, &app_id, allow_all)
                    .await?;
                let app = admin.core().admin_app(&admin.pool, &app_id).await?;
                return Ok(done(admin.lang(), app_json(&app)));
            }
            // Everything is read before anything is written, so a bad type writes nothing.
            let app_type = opt_str(&b, "appType")?
                .map(|t| AppType::parse(&t).ok_or(Error::InvalidParameter("appType")))
                .transpose()?;
            let change = AppUpdate {
                name: opt_str(&b, "name")?,
                description: opt_str(&b, "description")?,
                logo: opt_str(&b, "logo")?,
                oidc: oidc_patch(&b)?,
            };
            let core = admin.core();
            let mut app = core.admin_update_app(&admin.pool, &app_id, change).await?;
            if let Some(t) = app_type {
                app = core.change_app_type(&admin.pool, &app_id, t).await?;
            }
            Ok(done(admin.lang(), app_json(&app)))
        })
        .await
}

async fn delete(admin: Admin, Path(app_id): Path<String>) -> Reply {
    admin
        .reply(async {
            admin.core().admin_delete_app(&admin.pool, &app_id).await?;
            Ok(done(admin.lang(), true))
        })
        .await
}

async fn active_users(admin: Admin, Path(app_id): Path<String>, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let page = page_of(&query_pairs(&q)?)?;
            let users = admin
                .core()
                .app_active_users(&admin.pool, &app_id, page)
                .await?;
            Ok(done(
                admin.lang(),
                paged_json(users.map(|u| user_json(&u, None))),
            ))
        })
        .await
}

async fn refresh_secret(admin: Admin, Path(app_id): Path<String>) -> Reply {
    admin
        .reply(async {
            let app = admin
                .core()
                .refresh_app_secret(&admin.pool, &app_id)
                .await?;
            Ok(done(admin.lang(), app_json(&app)))
        })
        .await
}

async fn app_tenants(admin: Admin, Path(app_id): Path<String>) -> Reply {
    admin
        .reply(async {
            let (app, tenants) = admin.core().app_tenants(&admin.pool, &app_id).await?;
            let mut out = app_json(&app);
            out["tenants"] = Value::Array(tenants.iter().map(tenant_json).collect());
            Ok(done(admin.lang(), out))
        })
        .await
}

async fn list_agreements(admin: Admin, Path(app_id): Path<String>) -> Reply {
    admin
        .reply(async {
            let list = admin.core().list_agreements(&admin.pool, &app_id).await?;
            Ok(done(
                admin.lang(),
                json!({
                    "totalCount": list.len(),
                    "list": list.iter().map(agreement_json).collect::<Vec<_>>(),
                }),
            ))
        })
        .await
}

async fn create_agreement(admin: Admin, Path(app_id): Path<String>, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let title = req_str(&b, "title")?;
            // The SDK fills in these defaults; other callers get the same ones.
            let lang = opt_str(&b, "lang")?.unwrap_or_else(|| "zh-CN".to_owned());
            let required = tri_bool(&b, "required")?.unwrap_or(true);
            let a = admin
                .core()
                .create_agreement(&admin.pool, &app_id, &title, &lang, required)
                .await?;
            Ok(done(admin.lang(), agreement_json(&a)))
        })
        .await
}

async fn modify_agreement(
    admin: Admin,
    Path((app_id, id)): Path<(String, String)>,
    bytes: Bytes,
) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let patch = AgreementPatch {
                title: opt_str(&b, "title")?,
                lang: opt_str(&b, "lang")?,
                required: tri_bool(&b, "required")?,
            };
            let a = admin
                .core()
                .modify_agreement(&admin.pool, &app_id, agreement_id(&id)?, patch)
                .await?;
            Ok(done(admin.lang(), agreement_json(&a)))
        })
        .await
}

async fn delete_agreement(admin: Admin, Path((app_id, id)): Path<(String, String)>) -> Reply {
    admin
        .reply(async {
            admin
                .core()
                .delete_agreement(&admin.pool, &app_id, agreement_id(&id)?)
                .await?;
            Ok(done(admin.lang(), true))
        })
        .await
}

async fn sort_agreements(admin: Admin, Path(app_id): Path<String>, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let ids = match b.get("ids") {
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| match v {
                        Value::Number(n) => n.as_i64(),
                        Value::String(s) => s.parse().ok(),
                        _ => None,
                    })
                    .collect::<Option<Vec<i64>>>()
                    .ok_or(Error::InvalidParameter("ids"))?,
                None | Some(Value::Null) => return Err(Error::MissingParameter("ids")),
                Some(_) => return Err(Error::InvalidParameter("ids")),
            };
            admin
                .core()
                .sort_agreements(&admin.pool, &app_id, &ids)
                .await?;
            Ok(done(admin.lang(), true))
        })
        .await
}
