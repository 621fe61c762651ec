//! A user's real-name (principal) authentication, administered (`v3-wire.md` "Users"):
//! `getUserPrincipalAuthenticationInfo` (a page of at most one entry: a user has at most
//! one authentication; no entry while it has none) and `resetUserPrincipalAuthenticationInfo`
//! (the user may authenticate again). The core decides (`tessera_core::service::principal`);
//! the number is answered masked.

use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use tessera_core::clock::iso8601;

use super::call::Mgmt;
use super::envelope::{ok, success, Reply};
use super::shapes::{resolve_user, UserIdType};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-user-principal-authentication-info", get(info))
        .route(
            "/api/v3/reset-user-principal-authentication-info",
            post(reset),
        )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InfoQuery {
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
}

/// `PrincipalAuthenticationInfoDto`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InfoDto {
    authenticated: bool,
    principal_type: &'static str,
    principal_code: String,
    principal_name: String,
    authenticated_at: String,
}

/// `PrincipalAuthenticationInfoPagingDto`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InfoPage {
    total_count: usize,
    list: Vec<InfoDto>,
}

async fn info(m: Mgmt) -> Reply {
    let r: InfoQuery = m.args().map_err(|e| m.fail(e))?;
    let core = m.core();
    let user = resolve_user(core, &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let p = core
        .user_principal(&m.admin, &user.id)
        .await
        .map_err(|e| m.fail(e))?;
    let list: Vec<InfoDto> = p
        .into_iter()
        .map(|p| InfoDto {
            authenticated: true,
            principal_type: p.kind.as_str(),
            principal_code: p.code_masked,
            principal_name: p.name,
            authenticated_at: iso8601(p.authenticated_at),
        })
        .collect();
    Ok(ok(
        m.lang,
        InfoPage {
            total_count: list.len(),
            list,
        },
    ))
}

/// `ResetUserPrincipalAuthenticationInfoOptionsDto`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResetOptions {
    #[serde(default)]
    user_id_type: UserIdType,
}

/// `ResetUserPrincipalAuthenticationInfoDto`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResetBody {
    user_id: String,
    #[serde(default)]
    options: Option<ResetOptions>,
}

/// Resetting a user with no authentication succeeds too: afterwards the user has none,
/// which is what was asked.
async fn reset(m: Mgmt) -> Reply {
    let r: ResetBody = m.args().map_err(|e| m.fail(e))?;
    let ty = r.options.unwrap_or_default().user_id_type;
    let core = m.core();
    let user = resolve_user(core, &m.admin, &r.user_id, ty)
        .await
        .map_err(|e| m.fail(e))?;
    core.reset_principal(&m.admin, &user.id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}
