//! The v2 `User` object (`v2-wire.md` §7.1) and the custom-data shapes (§7.2).

use serde_json::{json, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::User;
use tessera_core::model::{Application, ExternalIdentity, UserPool};
use tessera_core::service::authn::AuthEvent;
use tessera_core::service::udf::{UdfTarget, UdfValue};
use tessera_core::{Core, Result};

/// A token to hand back in `User.token`, with its expiry (seconds since the epoch).
#[derive(Debug, Clone, Copy)]
pub struct TokenOut<'a> {
    pub token: &'a str,
    pub exp: i64,
}

pub fn user_json(u: &User, token: Option<TokenOut<'_>>) -> Value {
    let p = &u.profile;
    let ms = |t: Option<i64>| t.map(iso8601);
    // Collected, not built key by key: a `Map` (a B-tree) collected from keys already in
    // order is built in one pass, where fifty-three inserts each searched the tree. The keys are
    // listed in byte order for that; any order gives the same object.
    let fields = [
        ("address", json!(p.address)),
        ("arn", json!(u.arn())),
        ("birthdate", json!(p.birthdate)),
        ("blocked", json!(u.blocked)),
        ("browser", json!(u.login.browser)),
        ("city", json!(p.city)),
        ("company", json!(p.company)),
        ("country", json!(p.country)),
        ("createdAt", json!(iso8601(u.created_at))),
        ("device", json!(u.login.device)),
        ("directManagement", json!(null)),
        ("email", json!(u.email)),
        ("emailVerified", json!(u.email_verified)),
        ("expiredAt", json!(null)),
        ("externalId", json!(u.external_id)),
        ("familyName", json!(p.family_name)),
        ("formatted", json!(p.formatted)),
        (
            "gender",
            json!(p.gender.clone().unwrap_or_else(|| "U".to_owned())),
        ),
        ("givenName", json!(p.given_name)),
        ("id", json!(u.id)),
        ("isDeleted", json!(u.is_deleted)),
        ("lastIP", json!(u.login.last_ip)),
        ("lastLogin", json!(ms(u.login.last_login))),
        ("locale", json!(p.locale)),
        ("locality", json!(p.locality)),
        ("loginsCount", json!(u.login.logins_count)),
        ("middleName", json!(p.middle_name)),
        ("name", json!(p.name)),
        ("nickname", json!(p.nickname)),
        ("oauth", json!(p.oauth)),
        ("openid", json!(u.openid)),
        // Authing returned the hash here; a password hash never leaves Tessera.
        ("password", json!(null)),
        ("phone", json!(u.phone)),
        ("phoneCountryCode", json!(u.phone_country_code)),
        ("phoneVerified", json!(u.phone_verified)),
        ("photo", json!(p.photo)),
        ("postalCode", json!(p.postal_code)),
        ("preferredUsername", json!(p.preferred_username)),
        ("profile", json!(p.profile)),
        ("province", json!(p.province)),
        ("region", json!(p.region)),
        ("registerSource", json!(u.register_source)),
        ("signedUp", json!(iso8601(u.signed_up))),
        ("status", json!(u.status.as_str())),
        ("streetAddress", json!(p.street_address)),
        ("token", json!(token.map(|t| t.token))),
        (
            "tokenExpiredAt",
            json!(token.map(|t| iso8601(t.exp * 1000))),
        ),
        ("unionid", json!(u.unionid)),
        ("updatedAt", json!(iso8601(u.updated_at))),
        ("userPoolId", json!(u.pool_id)),
        ("username", json!(u.username)),
        ("website", json!(p.website)),
        ("zoneinfo", json!(p.zoneinfo)),
    ];
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// `UDV` / `customData` items: `{key, dataType, value, label}`.
pub fn udv_json(values: &[UdfValue]) -> Value {
    Value::Array(
        values
            .iter()
            .map(|v| json!({"key": v.key, "dataType": v.data_type, "value": v.value, "label": v.label}))
            .collect(),
    )
}

/// A user who just logged in or registered (an authentication event) in the v2 shape: the
/// User, with a v2 user token issued for the event when `issue_token`, `newlyCreated`, and
/// its custom data when the caller reads it.
pub async fn authenticated_json(
    core: &Core,
    pool: &UserPool,
    app: Option<&Application>,
    a: &AuthEvent,
    issue_token: bool,
    with_custom_data: bool,
) -> Result<Value> {
    let issued = match issue_token {
        true => Some(core.issue_v2_user_token(pool, app, a).await?),
        false => None,
    };
    let token = issued.as_ref().map(|t| TokenOut {
        token: &t.token,
        exp: t.exp,
    });
    let mut v = user_json(&a.user, token);
    v["newlyCreated"] = json!(a.newly_created);
    if with_custom_data {
        let values = core
            .udf_values(&a.user.pool_id, UdfTarget::User, &a.user.id)
            .await?;
        v["customData"] = udv_json(&values);
    }
    Ok(v)
}

/// `User.identities`: the user's links to external providers.
pub async fn identities_json(core: &Core, pool_id: &str, user_id: &str) -> Result<Value> {
    let ids = core.identities(pool_id, user_id).await?;
    Ok(identities_list_json(&ids))
}

/// The `identities` list of a user answer.
pub fn identities_list_json(ids: &[ExternalIdentity]) -> Value {
    Value::Array(
        ids.iter()
            .map(|i| {
                json!({
                    "openid": i.openid, "userIdInIdp": i.user_id_in_idp,
                    "userId": i.user_id, "connectionId": i.connection_id,
                    "isSocial": i.is_social, "provider": i.provider,
                    "type": if i.is_social { "social" } else { "enterprise" },
                    "userPoolId": i.pool_id, "extIdpId": i.connection_id,
                })
            })
            .collect(),
    )
}

/// A user with its custom data as the `UDV` list (the SDK turns it into an object).
pub async fn user_with_custom_data(core: &Core, u: &User) -> Result<Value> {
    let mut v = user_json(u, None);
    let values = core.udf_values(&u.pool_id, UdfTarget::User, &u.id).await?;
    v["customData"] = udv_json(&values);
    Ok(v)
}
