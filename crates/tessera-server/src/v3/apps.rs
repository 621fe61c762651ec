//! Applications (`v3-wire.md` §4 "Applications"): the pool's applications — create, read,
//! list, update, delete, secret, active users, identifier check — over `service::apps_admin`
//! (the core the v2 `mc.applications` uses). Access policies are in `apps_access.rs`, the
//! user-side questions (which applications a user may use, is signed in to) in
//! `apps_users.rs`.
//!
//! Tessera's applications are OIDC/OAuth 2.0 clients of its one provider. Settings of
//! subsystems Tessera does not have (SAML, CAS and OAuth identity-provider modes, SSO
//! launchpad, application templates, custom login-page branding and register
//! configuration) are answered as off and refused when a caller turns them on, so no
//! setting is stored that nothing obeys.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::clock::iso8601;
use tessera_core::service::app_settings::OidcPatch;
use tessera_core::service::apps_admin::{AppUpdate, AppView, ClientKind, NewApp};
use tessera_core::service::paging::Page;
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{ok, success, Reply};
use super::shapes::{users_dto, UserParts};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-application", get(get_application))
        .route("/api/v3/list-applications", get(list_applications))
        .route("/api/v3/get-application-simple-info", get(get_simple))
        .route("/api/v3/list-application-simple-info", get(list_simple))
        .route("/api/v3/create-application", post(create_application))
        .route("/api/v3/update-application", post(update_application))
        .route("/api/v3/delete-application", post(delete_application))
        .route("/api/v3/get-application-secret", get(get_secret))
        .route("/api/v3/refresh-application-secret", post(refresh_secret))
        .route(
            "/api/v3/list-application-active-users",
            post(list_active_users),
        )
        .route("/api/v3/check-domain-available", post(check_domain))
}

// --- DTOs ----------------------------------------------------------------------------------

/// `loginConfig`: the hosted login's methods (password by email, phone or username; SMS
/// and email codes), and the consent page, which the application's `skip_consent` decides.
fn login_config(v: &AppView) -> Value {
    json!({
        "mergeLoginAndRegisterPage": false,
        "enabledBasicLoginMethods": [
            "PHONE_CODE", "EMAIL_CODE", "PHONE_PASSWORD", "EMAIL_PASSWORD", "USERNAME_PASSWORD",
        ],
        "defaultLoginMethod": { "connectionType": "PASSWORD" },
        "enabledExtIdpConns": [],
        "showAuthorizationPage": !v.app.oidc.skip_consent,
    })
}

/// `oidcConfig` under the OIDC client-metadata names (the v2 façade answers the same).
pub fn oidc_config(v: &AppView) -> Value {
    let a = &v.app;
    let o = &a.oidc;
    json!({
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
    })
}

/// `ApplicationDto`.
pub fn application_dto(v: &AppView) -> Value {
    let a = &v.app;
    json!({
        "appId": a.id,
        "appIdentifier": a.identifier,
        "appName": a.name,
        "appLogo": a.logo.clone().unwrap_or_default(),
        "appDescription": a.description,
        "appType": v.client_kind.as_str(),
        "userPoolId": a.pool_id,
        "isIntegrateApp": false,
        "defaultProtocol": "oidc",
        "redirectUris": a.oidc.redirect_uris,
        "logoutRedirectUris": a.oidc.post_logout_redirect_uris,
        "initLoginUri": "",
        "ssoEnabled": false,
        "ssoEnabledAt": null,
        "loginConfig": login_config(v),
        "registerConfig": {
            "enabledBasicRegisterMethods": ["EMAIL_PASSWORD", "PHONE_CODE", "EMAIL_CODE"],
            "defaultRegisterMethod": "PASSWORD",
        },
        "brandingConfig": {
            "customCSSEnabled": false,
            "guardVersion": "Advanced",
            "showChangeLanguageButton": true,
            "defaultLanguage": "zh-CN",
            "showForgetPasswordButton": true,
            "showEnterpriseConnections": false,
            "showSocialConnections": false,
            "showAgreement": false,
            "agreements": [],
        },
        "oidcConfig": oidc_config(v),
        "samlProviderEnabled": false,
        "oauthProviderEnabled": false,
        "casProviderEnabled": false,
        "customBrandingEnabled": false,
        "customSecurityEnabled": false,
        "createdAt": iso8601(a.created_at),
        "updatedAt": iso8601(a.updated_at),
    })
}

/// `ApplicationSimpleInfoDto`.
fn simple_dto(v: &AppView) -> Value {
    let a = &v.app;
    json!({
        "appId": a.id,
        "appIdentifier": a.identifier,
        "appName": a.name,
        "appLogo": a.logo.clone().unwrap_or_default(),
        "appDescription": a.description,
        "appType": v.client_kind.as_str(),
        "isIntegrateApp": false,
    })
}

// --- reads ---------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AppIdRequest {
    app_id: String,
}

async fn app_of(m: &Mgmt) -> Result<AppView, super::envelope::V3Error> {
    let r: AppIdRequest = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .admin_app(&m.admin, &r.app_id)
        .await
        .map_err(|e| m.fail(e))
}

async fn get_application(m: Mgmt) -> Reply {
    let v = app_of(&m).await?;
    Ok(ok(m.lang, application_dto(&v)))
}

async fn get_simple(m: Mgmt) -> Reply {
    let v = app_of(&m).await?;
    Ok(ok(m.lang, simple_dto(&v)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListRequest {
    page: Option<i64>,
    limit: Option<i64>,
    #[serde(default)]
    is_integrate_app: bool,
    // Every Tessera application is self-built, so `true` and `false` find the same.
    #[serde(default)]
    #[allow(dead_code)]
    is_self_built_app: bool,
    #[serde(default)]
    sso_enabled: bool,
    keywords: Option<String>,
    #[serde(default)]
    all: bool,
}

/// One page of applications as `dto` shapes them. The SDK always sends the three filters,
/// `false` meaning "any": every Tessera application is self-built and none is an
/// integration or SSO-enabled, so asking for either of those finds none.
async fn list_with(m: Mgmt, dto: fn(&AppView) -> Value) -> Reply {
    let r: ListRequest = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let core = m.core();
    if r.is_integrate_app || r.sso_enabled {
        return Ok(ok(m.lang, json!({ "totalCount": 0, "list": [] })));
    }
    let keyword = r.keywords.as_deref();
    let found = if r.all {
        // Everything, in pages the store is allowed to answer.
        let mut list = Vec::new();
        let mut page = Page::new(Some(1), Some(tessera_core::service::paging::MAX_PAGE_SIZE))
            .map_err(|e| m.fail(e))?;
        loop {
            let p = core
                .admin_search_apps(&m.admin, keyword, page)
                .await
                .map_err(|e| m.fail(e))?;
            let n = p.list.len() as i64;
            list.extend(p.list);
            if n < page.limit || list.len() as i64 >= p.total_count {
                break;
            }
            page.page += 1;
        }
        json!({ "totalCount": list.len(), "list": list.iter().map(dto).collect::<Vec<_>>() })
    } else {
        let p = core
            .admin_search_apps(&m.admin, keyword, page)
            .await
            .map_err(|e| m.fail(e))?;
        json!({ "totalCount": p.total_count, "list": p.list.iter().map(dto).collect::<Vec<_>>() })
    };
    Ok(ok(m.lang, found))
}

async fn list_applications(m: Mgmt) -> Reply {
    list_with(m, application_dto).await
}

async fn list_simple(m: Mgmt) -> Reply {
    list_with(m, simple_dto).await
}

// --- create and update ---------------------------------------------------------------------

/// `oidcConfig` as given: the names `oidcConfig` answers with. `client_id` is the
/// application's id and cannot change; it is accepted so an answer can be sent back.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct OidcConfigInput {
    client_id: Option<String>,
    redirect_uris: Option<Vec<String>>,
    post_logout_redirect_uris: Option<Vec<String>>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    token_endpoint_auth_method: Option<String>,
    id_token_signed_response_alg: Option<String>,
    id_token_expire: Option<i64>,
    access_token_expire: Option<i64>,
    refresh_token_expire: Option<i64>,
    require_pkce: Option<bool>,
    allow_plain_pkce: Option<bool>,
    skip_consent: Option<bool>,
}

/// `loginConfig`: only the consent page is a setting here.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LoginConfigInput {
    show_authorization_page: Option<bool>,
    merge_login_and_register_page: Option<bool>,
}

/// The fields of `CreateApplicationDto` and `UpdateApplicationDto` together; each handler
/// checks the ones its DTO lacks are absent.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AppRequest {
    app_id: Option<String>,
    app_name: Option<String>,
    app_identifier: Option<String>,
    app_logo: Option<String>,
    app_description: Option<String>,
    app_type: Option<String>,
    default_protocol: Option<String>,
    redirect_uris: Option<Vec<String>>,
    logout_redirect_uris: Option<Vec<String>>,
    oidc_config: Option<OidcConfigInput>,
    login_config: Option<LoginConfigInput>,
    init_login_uri: Option<String>,
    sso_enabled: Option<bool>,
    sso_show_launchpad: Option<bool>,
    enable_permission_apply: Option<bool>,
    saml_provider_enabled: Option<bool>,
    oauth_provider_enabled: Option<bool>,
    cas_provider_enabled: Option<bool>,
    template: Option<Value>,
    template_data: Option<Value>,
    saml_config: Option<Value>,
    oauth_config: Option<Value>,
    cas_config: Option<Value>,
    register_config: Option<Value>,
    branding_config: Option<Value>,
}

fn refuse_on(flag: Option<bool>, field: &'static str) -> Result<(), Error> {
    if flag == Some(true) {
        return Err(Error::InvalidParameter(field));
    }
    Ok(())
}

fn refuse_given(v: &Option<Value>, field: &'static str) -> Result<(), Error> {
    if v.as_ref().is_some_and(|v| !v.is_null()) {
        return Err(Error::InvalidParameter(field));
    }
    Ok(())
}

impl AppRequest {
    /// Refuses what Tessera's applications cannot be; reads the OIDC client settings.
    fn oidc_patch(&mut self) -> Result<OidcPatch, Error> {
        refuse_on(self.sso_enabled, "ssoEnabled")?;
        refuse_on(self.sso_show_launchpad, "ssoShowLaunchpad")?;
        refuse_on(self.enable_permission_apply, "enablePermissionApply")?;
        refuse_on(self.saml_provider_enabled, "samlProviderEnabled")?;
        refuse_on(self.oauth_provider_enabled, "oauthProviderEnabled")?;
        refuse_on(self.cas_provider_enabled, "casProviderEnabled")?;
        refuse_given(&self.template, "template")?;
        refuse_given(&self.template_data, "templateData")?;
        refuse_given(&self.saml_config, "samlConfig")?;
        refuse_given(&self.oauth_config, "oauthConfig")?;
        refuse_given(&self.cas_config, "casConfig")?;
        refuse_given(&self.register_config, "registerConfig")?;
        refuse_given(&self.branding_config, "brandingConfig")?;
        if self
            .init_login_uri
            .as_deref()
            .is_some_and(|u| !u.is_empty())
        {
            return Err(Error::InvalidParameter("initLoginUri"));
        }
        // The provider answers at `/oidc` and, for plain OAuth 2.0 clients, `/oauth`.
        if let Some(p) = &self.default_protocol {
            if !matches!(p.as_str(), "oidc" | "oauth") {
                return Err(Error::InvalidParameter("defaultProtocol"));
            }
        }
        let o = self.oidc_config.take().unwrap_or_default();
        if o.redirect_uris.is_some() && self.redirect_uris.is_some() {
            // Two lists for one setting: which one was meant is unknowable.
            return Err(Error::InvalidParameter("redirectUris"));
        }
        if o.post_logout_redirect_uris.is_some() && self.logout_redirect_uris.is_some() {
            return Err(Error::InvalidParameter("logoutRedirectUris"));
        }
        let mut skip_consent = o.skip_consent;
        if let Some(l) = &self.login_config {
            refuse_on(l.merge_login_and_register_page, "loginConfig")?;
            if let Some(show) = l.show_authorization_page {
                if skip_consent.is_some_and(|skip| skip == show) {
                    return Err(Error::InvalidParameter("loginConfig.showAuthorizationPage"));
                }
                skip_consent = Some(!show);
            }
        }
        let _ = o.client_id;
        Ok(OidcPatch {
            redirect_uris: o.redirect_uris.or(self.redirect_uris.take()),
            post_logout_redirect_uris: o
                .post_logout_redirect_uris
                .or(self.logout_redirect_uris.take()),
            grant_types: o.grant_types,
            response_types: o.response_types,
            token_endpoint_auth_method: o.token_endpoint_auth_method,
            id_token_signing_alg: o.id_token_signed_response_alg,
            id_token_lifetime: o.id_token_expire,
            access_token_lifetime: o.access_token_expire,
            refresh_token_lifetime: o.refresh_token_expire,
            require_pkce: o.require_pkce,
            allow_plain_pkce: o.allow_plain_pkce,
            skip_consent,
        })
    }
}

async fn create_application(m: Mgmt) -> Reply {
    let mut r: AppRequest = m.args().map_err(|e| m.fail(e))?;
    let built = (|| {
        if r.app_id.is_some() {
            return Err(Error::InvalidParameter("appId"));
        }
        let name = r
            .app_name
            .clone()
            .ok_or(Error::MissingParameter("appName"))?;
        let client_kind = r
            .app_type
            .as_deref()
            .map(|t| ClientKind::parse(t).ok_or(Error::InvalidParameter("appType")))
            .transpose()?;
        let oidc = r.oidc_patch()?;
        Ok(NewApp {
            name,
            identifier: r.app_identifier.clone().filter(|s| !s.is_empty()),
            description: r.app_description.clone(),
            logo: r.app_logo.clone(),
            oidc,
            client_kind,
        })
    })();
    let new = built.map_err(|e| m.fail(e))?;
    let v = m
        .core()
        .admin_create_app(&m.admin, new)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, application_dto(&v)))
}

async fn update_application(m: Mgmt) -> Reply {
    let mut r: AppRequest = m.args().map_err(|e| m.fail(e))?;
    let app_id = r
        .app_id
        .clone()
        .ok_or(Error::MissingParameter("appId"))
        .map_err(|e| m.fail(e))?;
    let current = m
        .core()
        .admin_app(&m.admin, &app_id)
        .await
        .map_err(|e| m.fail(e))?;
    let built = (|| {
        // The identifier names the application's domain; Tessera does not rename it, but
        // an update that sends the current one back (read, change, write) is fine.
        if r.app_identifier
            .as_deref()
            .is_some_and(|i| !i.eq_ignore_ascii_case(&current.app.identifier))
        {
            return Err(Error::InvalidParameter("appIdentifier"));
        }
        if r.app_type
            .as_deref()
            .is_some_and(|t| t != current.client_kind.as_str())
        {
            return Err(Error::InvalidParameter("appType"));
        }
        let oidc = r.oidc_patch()?;
        Ok(AppUpdate {
            name: r.app_name.clone(),
            description: r.app_description.clone(),
            logo: r.app_logo.clone(),
            oidc,
        })
    })();
    let change = built.map_err(|e| m.fail(e))?;
    m.core()
        .admin_update_app(&m.admin, &app_id, change)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

async fn delete_application(m: Mgmt) -> Reply {
    let r: AppIdRequest = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .admin_delete_app(&m.admin, &r.app_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

// --- secret, users, identifiers ------------------------------------------------------------

async fn get_secret(m: Mgmt) -> Reply {
    let v = app_of(&m).await?;
    Ok(ok(m.lang, json!({ "secret": v.app.secret })))
}

async fn refresh_secret(m: Mgmt) -> Reply {
    let r: AppIdRequest = m.args().map_err(|e| m.fail(e))?;
    let v = m
        .core()
        .refresh_app_secret(&m.admin, &r.app_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, json!({ "secret": v.app.secret })))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Pagination {
    page: Option<i64>,
    limit: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ActiveUsersOptions {
    #[serde(default)]
    pagination: Pagination,
    #[serde(default)]
    with_custom_data: bool,
    #[serde(default)]
    with_identities: bool,
    #[serde(default)]
    with_department_ids: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ActiveUsersRequest {
    app_id: String,
    #[serde(default)]
    options: ActiveUsersOptions,
}

/// Users who have signed in to the application (the login history's users).
async fn list_active_users(m: Mgmt) -> Reply {
    let r: ActiveUsersRequest = m.args().map_err(|e| m.fail(e))?;
    let o = &r.options;
    let page = Page::new(o.pagination.page, o.pagination.limit).map_err(|e| m.fail(e))?;
    let core = m.core();
    let p = core
        .app_active_users(&m.admin, &r.app_id, page)
        .await
        .map_err(|e| m.fail(e))?;
    let parts = UserParts {
        custom_data: o.with_custom_data,
        identities: o.with_identities,
        department_ids: o.with_department_ids,
        posts: false,
    };
    let list = users_dto(core, &m.admin, &p.list, parts)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        json!({ "totalCount": p.total_count, "list": list }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DomainRequest {
    domain: String,
}

/// Whether `domain` could be a new application's identifier (`appIdentifier`, the label
/// of its domain); a malformed one is refused, not "unavailable".
async fn check_domain(m: Mgmt) -> Reply {
    let r: DomainRequest = m.args().map_err(|e| m.fail(e))?;
    let available = m
        .core()
        .app_identifier_available(&r.domain)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, json!({ "available": available })))
}
