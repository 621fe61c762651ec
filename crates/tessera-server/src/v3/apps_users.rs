//! The applications of one user (`v3-wire.md` §4 "Users": `getUserAccessibleApps`,
//! `getUserAuthorizedApps`, `getUserLoggedinApps`, `checkSessionStatus`): what the access
//! policies decide for the user (`Core::user_app_access`, the rule the login obeys) and
//! where the user holds a live login (`Core::user_login_status`, the rule of the v2
//! `checkLoginStatus`).

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::model::Application;

use super::call::Mgmt;
use super::envelope::{ok, Reply};
use super::shapes::{resolve_user, UserIdType};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-user-accessible-apps", get(accessible))
        .route("/api/v3/get-user-authorized-apps", get(authorized))
        .route("/api/v3/get-user-loggedin-apps", get(logged_in))
        .route("/api/v3/check-session-status", post(session_status))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UserRequest {
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
}

/// Where the user signs in to the application: the provider's authorization endpoint for
/// its first redirect URI (empty when it has none: nothing could receive the login).
pub(super) fn login_url(issuer: &str, app: &Application) -> String {
    let Some(redirect) = app.oidc.redirect_uris.first() else {
        return String::new();
    };
    let q = serde_urlencoded::to_string([
        ("client_id", app.id.as_str()),
        ("redirect_uri", redirect.as_str()),
        ("response_type", "code"),
        ("scope", "openid profile"),
    ])
    .unwrap_or_default();
    format!("{issuer}/auth?{q}")
}

/// `AppDto` / `UserLoggedInAppsDto` (the latter without the strategy).
pub(super) fn app_dto(issuer: &str, app: &Application, default_allow: Option<bool>) -> Value {
    let mut v = json!({
        "appId": app.id,
        "appName": app.name,
        "appLogo": app.logo.clone().unwrap_or_default(),
        "appLoginUrl": login_url(issuer, app),
    });
    if let Some(allow) = default_allow {
        v["appDefaultLoginStrategy"] = json!(if allow { "ALLOW_ALL" } else { "DENY_ALL" });
    }
    v
}

async fn by_policy(m: Mgmt, explicit_only: bool) -> Reply {
    let r: UserRequest = m.args().map_err(|e| m.fail(e))?;
    let core = m.core();
    let user = resolve_user(core, &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let decided = core
        .user_app_access(&m.admin, &user.id)
        .await
        .map_err(|e| m.fail(e))?;
    let issuer = oidc_base(&m);
    let list: Vec<Value> = decided
        .iter()
        .filter(|d| {
            if explicit_only {
                d.explicitly_allowed
            } else {
                d.accessible
            }
        })
        .map(|d| app_dto(&issuer, &d.app, Some(d.allow_all_by_default)))
        .collect();
    Ok(ok(m.lang, list))
}

/// The provider's base URL (its issuer), where its authorization endpoint lives.
pub(super) fn oidc_base(m: &Mgmt) -> String {
    m.core().issuer()
}

/// Every application the access policies let the user sign in to.
async fn accessible(m: Mgmt) -> Reply {
    by_policy(m, false).await
}

/// The applications a rule naming the user (or a role, group or department of theirs)
/// lets in, as opposed to the application's default.
async fn authorized(m: Mgmt) -> Reply {
    by_policy(m, true).await
}

async fn logged_in(m: Mgmt) -> Reply {
    let r: UserRequest = m.args().map_err(|e| m.fail(e))?;
    let core = m.core();
    let user = resolve_user(core, &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let apps = core
        .user_logged_in_apps(&m.admin, &user.id)
        .await
        .map_err(|e| m.fail(e))?;
    let issuer = oidc_base(&m);
    let list: Vec<Value> = apps
        .iter()
        .map(|v| app_dto(&issuer, &v.app, None))
        .collect();
    Ok(ok(m.lang, list))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SessionRequest {
    app_id: String,
    user_id: String,
}

async fn session_status(m: Mgmt) -> Reply {
    let r: SessionRequest = m.args().map_err(|e| m.fail(e))?;
    let active = m
        .core()
        .user_session_active(&m.admin, &r.user_id, &r.app_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, json!({ "active": active })))
}
