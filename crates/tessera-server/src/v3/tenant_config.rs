//! The pool's tenant and login-page configuration and the connections its tenants use
//! (`v3-wire.md` §4 Applications: `userpollTenantConfig`, `updateUserPoolTenantConfig`,
//! `updateLoginPageConfig`, `updateTenantQrCodeState`, `changeUserpoolTenanExtIdpConnState`,
//! `listTenantApplications`; ext-idp: `changeExtIdpConnAssociationState`,
//! `extIdpConnStateByApps`), over the core's `tenant_config` service, which also holds the
//! rules these settings govern.
//!
//! `UserPoolTenantConfigDto`'s fields with no setting in Tessera (custom CSS and loading,
//! Guard versions, portals) read as their defaults; its `loginConfig` shows what tenants'
//! logins offer: the basic methods, QR codes while their state is on, and the connections
//! the pool offers to its tenants.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tessera_core::service::apps_admin::AppView;
use tessera_core::service::paging::Page;
use tessera_core::service::tenant_config::{LoginDocument, TenantConfig};
use tessera_core::service::tenants::is_social_provider;
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{ok, success, Failure, Reply};
use super::tenants::{given, lenient_int, tenant_context};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/userpool-tenant-config", get(tenant_config))
        .route(
            "/api/v3/update-userpool-tenant-config",
            post(update_tenant_config),
        )
        .route("/api/v3/update-login-page-config", post(update_login_page))
        .route(
            "/api/v3/update-userpool-tenant-appqrcode-state",
            post(update_qrcode_state),
        )
        .route(
            "/api/v3/change-userpool-tenant-ext-idp-conn-state",
            post(change_offered_conns),
        )
        .route(
            "/api/v3/change-ext-idp-conn-association-state",
            post(change_association),
        )
        .route("/api/v3/ext-idp-conn-apps", get(conns_in_use))
        .route("/api/v3/list-tenant-applications", get(tenant_applications))
}

/// The basic login methods every login of the pool offers.
const BASIC_METHODS: [&str; 5] = [
    "PHONE_CODE",
    "EMAIL_CODE",
    "PHONE_PASSWORD",
    "EMAIL_PASSWORD",
    "USERNAME_PASSWORD",
];

fn doc_or(c: &TenantConfig, key: &str, default: Value) -> Value {
    c.tenant_login.get(key).cloned().unwrap_or(default)
}

/// `UserPoolTenantConfigDto`, and the other keys `updateUserPoolTenantConfig` set, so they
/// can be read back.
fn config_dto(c: &TenantConfig) -> Value {
    let mut methods: Vec<&str> = BASIC_METHODS.to_vec();
    if c.tenant_qrcode_enabled {
        methods.push("SELF_BUILT_APP_QRCODE");
    }
    let conns: Vec<Value> = c
        .offered_conns
        .iter()
        .map(|(idp, conn)| {
            json!({
                "isSocial": is_social_provider(&idp.kind),
                "extIdpId": idp.id,
                "extIdpType": idp.kind,
                "extIdpConnId": conn.id,
                "extIdpConnType": conn.kind,
                "extIdpConnIdentifier": conn.identifier,
                "extIdpConnDisplayName": conn.display_name,
                "extIdpConnLogo": conn.logo.clone().unwrap_or_default(),
                "enabled": true,
            })
        })
        .collect();
    let mut v = json!({
        "userPoolId": c.pool_id,
        "isUserPoolAsTenant": false,
        "enableSwitchType": "tenant-app",
        "css": "",
        "cssEnabled": false,
        "customLoading": "",
        "enableGuardVersionSwitch": false,
        "guardVersion": "v2",
        "loadingBackground": "",
        "enableCreateTenant": c.create_tenant_enabled(),
        "createTenantScenes": doc_or(c, "createTenantScenes", json!([])),
        "enableJoinTenant": c.join_tenant_enabled(),
        "joinTenantScenes": doc_or(c, "joinTenantScenes", json!([])),
        "enableVerifyDomain": c.verify_domain_enabled(),
        "verifyDomainScenes": doc_or(c, "verifyDomainScenes", json!([])),
        "ssoPageCustomizationSettings": doc_or(c, "ssoPageCustomizationSettings", json!({})),
        "enableMultipleTenantPortal": false,
        "loginConfig": {
            "mergeLoginAndRegisterPage": false,
            "enabledBasicLoginMethods": methods,
            "defaultLoginMethod": {
                "connectionType": "PASSWORD",
                "qrcodeType": null,
                "qrcodeExtIdpConnId": null,
                "adExtIdpConnId": null,
                "ldapExtIdpConnId": null,
            },
            "enabledExtIdpConns": conns,
            "showAuthorizationPage": false,
        },
    });
    if let Some(obj) = v.as_object_mut() {
        for key in [
            "tabMethodsSortConfig",
            "qrCodeSortConfig",
            "passwordTabConfig",
            "verifyCodeTabConfig",
            "config",
        ] {
            if let Some(value) = c.tenant_login.get(key) {
                obj.insert(key.into(), value.clone());
            }
        }
    }
    v
}

async fn tenant_config(m: Mgmt) -> Reply {
    let c = m
        .core()
        .pool_tenant_config(&m.admin)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, config_dto(&c)))
}

/// `UpdateUserPoolTenantLoginConfigDto` / `UpdateLoginConfigDto`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateLoginConfig {
    update: Option<Value>,
}

fn login_patch(r: UpdateLoginConfig) -> Result<Map<String, Value>, Error> {
    match r.update {
        None | Some(Value::Null) => Err(Error::MissingParameter("update")),
        Some(Value::Object(o)) => Ok(o),
        Some(_) => Err(Error::InvalidParameter("update")),
    }
}

async fn update_login_config(m: Mgmt, document: LoginDocument) -> Reply {
    let r: UpdateLoginConfig = m.args().map_err(|e| m.fail(e))?;
    let patch = login_patch(r).map_err(|e| m.fail(e))?;
    m.core()
        .update_login_config(&m.admin, document, patch)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

async fn update_tenant_config(m: Mgmt) -> Reply {
    update_login_config(m, LoginDocument::Tenants).await
}

async fn update_login_page(m: Mgmt) -> Reply {
    update_login_config(m, LoginDocument::LoginPage).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QrCodeState {
    enabled: bool,
}

async fn update_qrcode_state(m: Mgmt) -> Reply {
    let r: QrCodeState = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .set_tenant_qrcode_enabled(&m.admin, r.enabled)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OfferedConns {
    conn_ids: Vec<String>,
    enabled: bool,
}

async fn change_offered_conns(m: Mgmt) -> Reply {
    let r: OfferedConns = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .set_tenant_conns_offered(&m.admin, &r.conn_ids, r.enabled)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Association {
    id: String,
    association: bool,
    tenant_id: Option<String>,
}

async fn change_association(m: Mgmt) -> Reply {
    let r: Association = m.args().map_err(|e| m.fail(e))?;
    let tenant = tenant_context(&m, &r.tenant_id)
        .ok_or_else(|| m.fail(Error::MissingParameter("tenantId")))?;
    if r.id.trim().is_empty() {
        return Err(m.fail(Error::MissingParameter("id")));
    }
    m.core()
        .set_tenant_conn_associated(&m.admin, &tenant, &r.id, r.association)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

/// `social` | `enterprise`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Category {
    Social,
    Enterprise,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConnsInUse {
    id: Option<String>,
    tenant_id: Option<String>,
    app_id: Option<String>,
    #[serde(rename = "type")]
    category: Option<Category>,
}

/// The provider's connections that serve the application and/or the tenant named, one
/// `ExtIdpDto` each: `ExtIdpDto` has no state field, so a connection listed is one in use,
/// named by its id, display name, logo and connection type.
async fn conns_in_use(m: Mgmt) -> Reply {
    let r: ConnsInUse = m.args().map_err(|e| m.fail(e))?;
    let id = given(r.id).ok_or_else(|| m.fail(Error::MissingParameter("id")))?;
    let tenant = tenant_context(&m, &r.tenant_id);
    let (idp, conns) = m
        .core()
        .ext_idp_conns_in_use(
            &m.admin,
            &id,
            tenant.as_deref(),
            given(r.app_id).as_deref(),
            r.category.map(|c| c == Category::Social),
        )
        .await
        .map_err(|e| m.fail(e))?;
    let list: Vec<Value> = conns
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.display_name,
                "logo": c.logo.clone().unwrap_or_default(),
                "tenantId": tenant.clone().or_else(|| idp.tenant_id.clone()),
                "type": c.kind,
            })
        })
        .collect();
    Ok(ok(
        m.lang,
        json!({ "totalCount": list.len(), "list": list }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantApps {
    #[serde(default, deserialize_with = "lenient_int")]
    page: Option<i64>,
    #[serde(default, deserialize_with = "lenient_int")]
    limit: Option<i64>,
    keywords: Option<String>,
    sso_enabled: Option<Value>,
}

/// `sso_enabled` as the query carries it: `true`/`false`, as text or a boolean.
fn flag(v: Option<Value>) -> Result<bool, Failure> {
    match v {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(b),
        Some(Value::String(s)) => match s.trim() {
            "" | "false" => Ok(false),
            "true" => Ok(true),
            _ => Err(Error::InvalidParameter("sso_enabled").into()),
        },
        Some(_) => Err(Error::InvalidParameter("sso_enabled").into()),
    }
}

/// `TenantApplicationDto`.
fn tenant_app_dto(v: &AppView) -> Value {
    let a = &v.app;
    json!({
        "userPoolId": a.pool_id,
        "tenantAppId": a.id,
        "name": a.name,
        "description": a.description.clone().unwrap_or_default(),
        "logo": a.logo.clone().unwrap_or_default(),
        "applicationType": v.client_kind.as_str(),
        "ssoEnabled": false,
        "appId": a.id,
    })
}

async fn tenant_applications(m: Mgmt) -> Reply {
    let r: TenantApps = m.args().map_err(|e| m.fail(e))?;
    let sso_only = flag(r.sso_enabled).map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let p = m
        .core()
        .tenant_applications(&m.admin, given(r.keywords).as_deref(), sso_only, page)
        .await
        .map_err(|e| m.fail(e))?;
    let list: Vec<Value> = p.list.iter().map(tenant_app_dto).collect();
    Ok(ok(
        m.lang,
        json!({ "totalCount": p.total_count, "list": list }),
    ))
}
