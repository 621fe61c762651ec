//! MFA settings (`v3-wire.md` §4 "Security settings & MFA" and "Applications"): which
//! second-factor kinds a pool's logins ask for (`getGlobalMfaSettings`,
//! `updateGlobalMfaSettings`, `closeGlobalMfaSettings`), an application's own list
//! (`updateApplicationMfaSettings`), and what a login of a user through an application would
//! show at the MFA step (`getMfaTriggerData`). The step itself is the core login's
//! (`tessera_core::service::mfa_login`). `FACE` is in the DTOs' enum but Tessera has no face
//! service: naming it is refused rather than stored and obeyed by nothing.
//! `setUsersMfaStatus` is not served: it records a trigger payload on a user, and nothing in
//! the core login would read it.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::service::mfa_factors::FactorKind;
use tessera_core::service::mfa_login::parse_admin_kinds;

use super::call::Mgmt;
use super::envelope::{ok, Reply};
use super::shapes::{resolve_user, UserIdType};
use crate::authing::errors::mfa_data;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-global-mfa-settings", get(get_global))
        .route("/api/v3/update-global-mfa-settings", post(update_global))
        .route("/api/v3/disable-global-mfa-settings", post(close_global))
        .route(
            "/api/v3/update-application-mfa-settings",
            post(update_application),
        )
        .route("/api/v3/get-mfa-trigger-data", get(trigger_data))
}

/// `MFASettingsDto`.
fn settings_dto(kinds: &[FactorKind]) -> Value {
    let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    json!({ "enabledFactors": names })
}

async fn get_global(m: Mgmt) -> Reply {
    let kinds = m
        .core()
        .global_mfa_settings(&m.admin)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, settings_dto(&kinds)))
}

/// `MFASettingsDto` as a request.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateGlobal {
    enabled_factors: Vec<String>,
}

async fn update_global(m: Mgmt) -> Reply {
    let r: UpdateGlobal = m.args().map_err(|e| m.fail(e))?;
    let kinds = parse_admin_kinds(&r.enabled_factors, "enabledFactors").map_err(|e| m.fail(e))?;
    let kinds = m
        .core()
        .set_global_mfa_settings(&m.admin, &kinds)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, settings_dto(&kinds)))
}

/// `MFADisableSettingsDto`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CloseGlobal {
    disable_factors: Vec<String>,
}

async fn close_global(m: Mgmt) -> Reply {
    let r: CloseGlobal = m.args().map_err(|e| m.fail(e))?;
    let kinds = parse_admin_kinds(&r.disable_factors, "disableFactors").map_err(|e| m.fail(e))?;
    let kinds = m
        .core()
        .disable_global_mfa_factors(&m.admin, &kinds)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, settings_dto(&kinds)))
}

/// `UpdateApplicationMfaSettingsDto`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateApplication {
    app_id: String,
    #[serde(default)]
    enabled_factors: Vec<String>,
    #[serde(default)]
    disabled_factors: Vec<String>,
}

async fn update_application(m: Mgmt) -> Reply {
    let r: UpdateApplication = m.args().map_err(|e| m.fail(e))?;
    let enable = parse_admin_kinds(&r.enabled_factors, "enabledFactors").map_err(|e| m.fail(e))?;
    let disable =
        parse_admin_kinds(&r.disabled_factors, "disabledFactors").map_err(|e| m.fail(e))?;
    let kinds = m
        .core()
        .update_app_mfa_settings(&m.admin, &r.app_id, &enable, &disable)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, settings_dto(&kinds)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TriggerQuery {
    app_id: String,
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
}

/// `GetMfaInfoDataDto`: the 1635 data of the v2 wire (`mfaToken` and the rest), with the
/// user's own phone as the DTO has it.
async fn trigger_data(m: Mgmt) -> Reply {
    let r: TriggerQuery = m.args().map_err(|e| m.fail(e))?;
    let core = m.core();
    let user = resolve_user(core, &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let challenge = core
        .mfa_trigger_data(&m.admin, &r.app_id, &user.id)
        .await
        .map_err(|e| m.fail(e))?;
    let mut data = mfa_data(&challenge);
    data["phone"] = json!(user.phone);
    data["phoneCountryCode"] = json!(user.phone_country_code);
    Ok(ok(m.lang, data))
}
