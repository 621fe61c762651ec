//! The logged-in user's own resources (`v3-wire.md` §5.6 "My resources", "Account
//! linking"): login history, logged-in and accessible applications, tenants, roles,
//! groups, departments, authorized resources, external identities. Each answer comes from
//! the core service the management API uses for the same question about a user, and has
//! the management side's DTO where the two match (`RoleDto`, `GroupDto`,
//! `UserDepartmentRespDto`, `AuthorizedResourceDto`, `IdentityDto`).

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tessera_core::clock::iso8601;
use tessera_core::service::account_mine::{MyApp, MyLoginFilter};
use tessera_core::service::paging::Page;
use tessera_core::service::tenants::is_social_provider;
use tessera_core::service::udf::UdfTarget;

use super::super::apps_access::subject_access_dto;
use super::super::apps_users::login_url;
use super::super::directory_dto::{authorized_dto, group_dto, role_dto};
use super::super::envelope::{done, ok, Reply};
use super::super::org_members::{sort_departments, Direction, UserDepartmentSort};
use super::super::shapes::{identities_dto, typed_value};
use super::call::AuthCall;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-my-login-history", get(login_history))
        .route("/api/v3/get-my-logged-in-apps", get(logged_in_apps))
        .route("/api/v3/get-my-accessible-apps", get(accessible_apps))
        .route("/api/v3/get-my-tenant-list", get(tenants))
        .route("/api/v3/get-my-role-list", get(roles))
        .route("/api/v3/get-my-group-list", get(groups))
        .route("/api/v3/get-my-department-list", get(departments))
        .route(
            "/api/v3/get-my-authorized-resources",
            get(authorized_resources),
        )
        .route("/api/v3/get-identities", get(identities))
        .route("/api/v3/unlink-extidp", post(unlink_ext_idp))
        .route("/api/v3/get-application-enabled-extidps", get(app_ext_idps))
        // `listSubjectAuth` (§5.6: a v2 path the v3 SDK calls with the user's token).
        .route(
            "/api/v2/applications/subject/person/list",
            post(subject_auth),
        )
}

/// `listSubjectAuth`: the user's access to each application of the pool with what decided
/// it (the management side's `detailAuthSubject` DTO per application, plus the logo and
/// type of `ListApplicationSubjectDataDto`). The SDK declares the answer `any`.
async fn subject_auth(call: AuthCall) -> Reply {
    let s = call.session().await?;
    let list = call
        .core()
        .my_app_access(&s)
        .await
        .map_err(|e| call.fail(e))?;
    let list: Vec<Value> = list
        .iter()
        .map(|a| {
            let mut v = subject_access_dto(a, &s.user().id);
            if let Some(o) = v.as_object_mut() {
                o.insert("logo".into(), json!(a.app.logo.clone().unwrap_or_default()));
                o.insert("appType".into(), json!("SELFBUILT"));
                o.insert("ext".into(), json!(""));
                o.insert("template".into(), json!(""));
            }
            v
        })
        .collect();
    Ok(ok(call.lang, json!({ "list": list })))
}

fn paged(total: i64, list: Vec<Value>) -> Value {
    json!({ "totalCount": total, "list": list })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginHistory {
    app_id: Option<String>,
    client_ip: Option<String>,
    success: Option<bool>,
    start: Option<i64>,
    end: Option<i64>,
    page: Option<i64>,
    limit: Option<i64>,
}

/// `LoginHistoryDto` page. The login history records successful logins only (failures are
/// counted by the guard, not kept per user), so `success: false` finds nothing.
async fn login_history(call: AuthCall) -> Reply {
    let r: LoginHistory = call.args()?;
    let page = Page::new(r.page, r.limit).map_err(|e| call.fail(e))?;
    let s = call.session().await?;
    if r.success == Some(false) {
        return Ok(ok(call.lang, paged(0, Vec::new())));
    }
    let core = call.core();
    let f = MyLoginFilter {
        app_id: r.app_id.filter(|a| !a.is_empty()),
        client_ip: r.client_ip.filter(|a| !a.is_empty()),
        start: r.start,
        end: r.end,
    };
    let events = core
        .my_login_history(&s, &f, page)
        .await
        .map_err(|e| call.fail(e))?;
    let issuer = core.issuer();
    let mut list = Vec::with_capacity(events.list.len());
    for e in &events.list {
        let app = match &e.app_id {
            Some(id) => core.app(id).await.ok().filter(|a| a.pool_id == s.pool().id),
            None => None,
        };
        list.push(json!({
            "userId": e.user_id,
            "appId": e.app_id.clone().unwrap_or_default(),
            "appName": app.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
            "appLogo": app.as_ref().and_then(|a| a.logo.clone()).unwrap_or_default(),
            "appLoginUrl": app.as_ref().map(|a| login_url(&issuer, a)).unwrap_or_default(),
            "loginAt": iso8601(e.at),
            "clientIp": e.ip.clone().unwrap_or_default(),
            "success": true,
            "userAgent": e.user_agent.clone().unwrap_or_default(),
            "parsedUserAgent": {},
            "loginMethod": "",
            "geoip": {},
        }));
    }
    Ok(ok(call.lang, paged(events.total_count, list)))
}

/// `LoggedInAppsDto` / `AccessibleAppsDto`.
fn app_dto(issuer: &str, a: &MyApp) -> Value {
    json!({
        "appId": a.app.id,
        "appName": a.app.name,
        "appLogo": a.app.logo.clone().unwrap_or_default(),
        "appLoginUrl": login_url(issuer, &a.app),
        "active": a.active,
    })
}

async fn logged_in_apps(call: AuthCall) -> Reply {
    let s = call.session().await?;
    let core = call.core();
    let apps = core.my_logged_in_apps(&s).await.map_err(|e| call.fail(e))?;
    let issuer = core.issuer();
    let list: Vec<Value> = apps.iter().map(|a| app_dto(&issuer, a)).collect();
    Ok(ok(call.lang, list))
}

async fn accessible_apps(call: AuthCall) -> Reply {
    let s = call.session().await?;
    let core = call.core();
    let apps = core
        .my_accessible_apps(&s)
        .await
        .map_err(|e| call.fail(e))?;
    let issuer = core.issuer();
    let list: Vec<Value> = apps.iter().map(|a| app_dto(&issuer, a)).collect();
    Ok(ok(call.lang, list))
}

/// `UserTenantListDto[]`.
async fn tenants(call: AuthCall) -> Reply {
    let s = call.session().await?;
    let list = call.core().my_tenants(&s).await.map_err(|e| call.fail(e))?;
    let list: Vec<Value> = list
        .iter()
        .map(|t| {
            json!({
                "tenantId": t.tenant.id,
                "tenantName": t.tenant.name,
                "joinAt": iso8601(t.joined_at),
            })
        })
        .collect();
    Ok(ok(call.lang, list))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleQuery {
    namespace: Option<String>,
}

/// `RoleDto[]`: the user's effective roles (given to the user, a group or a department of
/// theirs), of one namespace when asked.
async fn roles(call: AuthCall) -> Reply {
    let r: RoleQuery = call.args()?;
    let s = call.session().await?;
    let core = call.core();
    let ns = r
        .namespace
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let roles = core
        .effective_roles(&s.pool().id, &s.user().id, ns)
        .await
        .map_err(|e| call.fail(e))?;
    let codes: Vec<String> = roles.iter().map(|r| r.namespace.clone()).collect();
    let names = core
        .my_namespace_names(&s, &codes)
        .await
        .map_err(|e| call.fail(e))?;
    let list: Vec<Value> = roles.iter().map(|r| role_dto(r, &names)).collect();
    Ok(ok(call.lang, list))
}

/// `GroupDto[]` (members are not listed: the user asks about their groups, not about the
/// other members).
async fn groups(call: AuthCall) -> Reply {
    let s = call.session().await?;
    let groups = call
        .core()
        .user_groups(&s.pool().id, &s.user().id)
        .await
        .map_err(|e| call.fail(e))?;
    let list: Vec<Value> = groups.iter().map(|g| group_dto(g, Vec::new())).collect();
    Ok(ok(call.lang, list))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DepartmentQuery {
    page: Option<i64>,
    limit: Option<i64>,
    #[serde(default)]
    with_custom_data: bool,
    #[serde(default)]
    sort_by: UserDepartmentSort,
    #[serde(default)]
    order_by: Direction,
}

/// A page of `UserDepartmentRespDto`, sorted as the management side sorts a user's
/// departments; paths from the organization's root (whose code names the organization).
async fn departments(call: AuthCall) -> Reply {
    let r: DepartmentQuery = call.args()?;
    let page = Page::new(r.page, r.limit).map_err(|e| call.fail(e))?;
    let s = call.session().await?;
    let core = call.core();
    let pool_id = &s.pool().id;
    let mut deps = core
        .user_departments(pool_id, &s.user().id, None)
        .await
        .map_err(|e| call.fail(e))?;
    sort_departments(&mut deps, r.sort_by, r.order_by);
    let p = page.slice(&deps);
    let mut list = Vec::with_capacity(p.list.len());
    for d in &p.list {
        let v = &d.node;
        let n = &v.node;
        let mut dto = json!({
            "organizationCode": v.code_path.first().cloned().flatten(),
            "departmentId": n.id,
            "isRoot": n.parent_id.is_none(),
            "createdAt": iso8601(n.created_at),
            "name": n.name,
            "description": n.description.clone().unwrap_or_default(),
            "isLeader": false,
            "code": n.code,
            "isMainDepartment": d.is_main,
            "joinedAt": iso8601(d.joined_at),
            "isVirtualNode": false,
            "i18n": n.name_i18n.as_deref()
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                .map(|v| json!({ "name": v })),
            "departmentIdPath": v.path,
            "departmentCodePath": v.code_path,
            "departmentNamePath": v.name_path,
        });
        if r.with_custom_data {
            let values = core
                .udf_values(pool_id, UdfTarget::Node, &n.id)
                .await
                .map_err(|e| call.fail(e))?;
            let data: Map<String, Value> = values
                .iter()
                .map(|u| (u.key.clone(), typed_value(&u.data_type, &u.value)))
                .collect();
            dto["customData"] = Value::Object(data);
        }
        list.push(dto);
    }
    Ok(ok(call.lang, paged(p.total_count, list)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceQuery {
    namespace: Option<String>,
    resource_type: Option<String>,
}

/// `AuthorizedResourceDto` page from the one resolver; without a namespace, every
/// namespace.
async fn authorized_resources(call: AuthCall) -> Reply {
    let r: ResourceQuery = call.args()?;
    let s = call.session().await?;
    let ns = r
        .namespace
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let list = call
        .core()
        .authorized_resources(&s.pool().id, &s.user().id, ns, r.resource_type.as_deref())
        .await
        .map_err(|e| call.fail(e))?;
    let list: Vec<Value> = list.iter().map(authorized_dto).collect();
    Ok(ok(call.lang, paged(list.len() as i64, list)))
}

async fn identities(call: AuthCall) -> Reply {
    let s = call.session().await?;
    let v = identities_dto(call.core(), &s.pool().id, &s.user().id)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, v))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Unlink {
    ext_idp_id: String,
}

async fn unlink_ext_idp(call: AuthCall) -> Reply {
    let r: Unlink = call.args()?;
    let s = call.session().await?;
    call.core()
        .unlink_my_ext_idp(&s, &r.ext_idp_id)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(done(call.lang))
}

/// `ExtIdpInfoDto[]`: one entry per enabled connection of the pool's own providers. No
/// login is needed (a login page lists them); the application names the pool.
async fn app_ext_idps(call: AuthCall) -> Reply {
    let app = call.app()?;
    let idps = call
        .core()
        .app_enabled_ext_idps(app)
        .await
        .map_err(|e| call.fail(e))?;
    let mut list = Vec::new();
    for idp in &idps {
        for c in &idp.connections {
            list.push(json!({
                "identifier": c.identifier,
                "extIdpId": idp.id,
                "type": c.kind,
                "extIdpType": if is_social_provider(&idp.kind) { "social" } else { "enterprise" },
                "bindUrl": "",
                "name": c.display_name,
                "logo": c.logo.clone().unwrap_or_default(),
            }));
        }
    }
    Ok(ok(call.lang, list))
}
