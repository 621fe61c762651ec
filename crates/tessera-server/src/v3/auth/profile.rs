//! The logged-in user's own profile (`v3-wire.md` §5.6 "Profile & account", §6.2):
//! `get-profile`, `update-profile`, `update-password`. The caller is the user whose access
//! token `authorization` carries; every change is the core's self-service rule, the one the
//! v2 AuthenticationClient's `updateProfile` and `updatePassword` use.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tessera_core::service::account::Session;
use tessera_core::service::udf::UdfTarget;
use tessera_core::service::users::CreatedBy;
use tessera_core::Error;

use super::super::envelope::{done, ok, Reply};
use super::super::shapes::{identities_dto, typed_value, user_dto};
use super::call::AuthCall;
use super::password::{self, Encryption};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-profile", get(get_profile))
        .route("/api/v3/update-profile", post(update_profile))
        .route("/api/v3/update-password", post(update_password))
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ProfileQuery {
    #[serde(default)]
    with_custom_data: bool,
    #[serde(default)]
    with_identities: bool,
    #[serde(default)]
    with_department_ids: bool,
}

/// The session's user as a `UserDto`, with the parts asked for.
async fn own_user_dto(
    call: &AuthCall,
    s: &Session,
    user: &tessera_core::model::User,
    q: &ProfileQuery,
) -> Result<Value, Error> {
    let core = call.core();
    let (pool_id, user_id) = (&s.pool().id, &user.id);
    let mut v = user_dto(user);
    if q.with_custom_data {
        let values = core.udf_values(pool_id, UdfTarget::User, user_id).await?;
        let data: Map<String, Value> = values
            .iter()
            .map(|u| (u.key.clone(), typed_value(&u.data_type, &u.value)))
            .collect();
        v["customData"] = Value::Object(data);
    }
    if q.with_identities {
        v["identities"] = identities_dto(core, pool_id, user_id).await?;
    }
    if q.with_department_ids {
        let deps = core.user_departments(pool_id, user_id, None).await?;
        v["departmentIds"] = json!(deps.iter().map(|d| &d.node.node.id).collect::<Vec<_>>());
    }
    Ok(v)
}

async fn get_profile(call: AuthCall) -> Reply {
    let q: ProfileQuery = call.args()?;
    let s = call.session().await?;
    let v = own_user_dto(&call, &s, s.user(), &q)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, v))
}

/// `UpdateUserProfileDto`'s fields a user may set on themselves; `customData` goes to the
/// user's custom fields, checked against their definitions.
const PROFILE_FIELDS: [&str; 15] = [
    "name",
    "nickname",
    "photo",
    "externalId",
    "birthdate",
    "country",
    "province",
    "city",
    "address",
    "streetAddress",
    "postalCode",
    "gender",
    "username",
    "company",
    "identityNumber",
];

async fn update_profile(call: AuthCall) -> Reply {
    let body: Map<String, Value> = call.args()?;
    let s = call.session().await?;
    let core = call.core();
    let pool = s.pool();
    let mut changes = Map::new();
    for (k, v) in &body {
        match k.as_str() {
            "customData" => {}
            k if PROFILE_FIELDS.contains(&k) => {
                changes.insert(k.to_owned(), v.clone());
            }
            _ => return Err(call.fail(Error::InvalidParameter("UpdateUserProfileDto"))),
        }
    }
    let custom =
        super::signin::custom_data(body.get("customData").cloned()).map_err(|e| call.fail(e))?;
    // Custom values are validated before the profile is written, so a bad value changes
    // nothing.
    if !custom.is_empty() {
        core.validate_udf_values(&pool.id, UdfTarget::User, &custom)
            .await
            .map_err(|e| call.fail(e))?;
    }
    let user = core
        .update_profile(pool, &s.user().id, &changes, CreatedBy::SelfService)
        .await
        .map_err(|e| call.fail(e))?;
    if !custom.is_empty() {
        core.set_udf_values(&pool.id, UdfTarget::User, &user.id, &custom)
            .await
            .map_err(|e| call.fail(e))?;
    }
    let q = ProfileQuery {
        with_custom_data: !custom.is_empty(),
        ..ProfileQuery::default()
    };
    let v = own_user_dto(&call, &s, &user, &q)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, v))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdatePassword {
    new_password: String,
    old_password: Option<String>,
    password_encrypt_type: Option<Encryption>,
    /// From `verifyResetPasswordRequest`: proves the user instead of the old password.
    password_reset_token: Option<String>,
}

async fn update_password(call: AuthCall) -> Reply {
    let req: UpdatePassword = call.args()?;
    let s = call.session().await?;
    let core = call.core();
    let enc = req.password_encrypt_type.unwrap_or_default();
    let ip = call.client_ip();
    let new = password::to_set(core, enc, &req.new_password, ip.as_deref())
        .await
        .map_err(|e| call.fail(e))?;
    if let Some(token) = req.password_reset_token.filter(|t| !t.is_empty()) {
        core.update_password_with_reset_token(&s, &token, &new)
            .await
            .map_err(|e| call.fail(e))?;
        return Ok(done(call.lang));
    }
    // The mini-program encrypts only the new password (§6.2) while the Node SDK's caller may
    // encrypt both: an old password shaped like a ciphertext is decrypted, any other is
    // taken as sent.
    let old = match req.old_password.filter(|p| !p.is_empty()) {
        None => None,
        Some(p) if enc == Encryption::None => Some(p),
        Some(p) => Some(
            password::to_check_or_plain(core, enc, &p)
                .await
                .map_err(|e| call.fail(e))?,
        ),
    };
    core.update_password(s.pool(), &s.user().id, &new, old.as_deref())
        .await
        .map_err(|e| call.fail(e))?;
    Ok(done(call.lang))
}
