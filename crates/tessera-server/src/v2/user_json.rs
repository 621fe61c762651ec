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
    json!({
        "id": u.id,
        "arn": u.arn(),
        "userPoolId": u.pool_id,
        "status": u.status.as_str(),
        "username": u.username,
        "email": u.email,
        "emailVerified": u.email_verified,
        "phone": u.phone,
        "phoneVerified": u.phone_verified,
        "phoneCountryCode": u.phone_country_code,
        "unionid": u.unionid,
        "openid": u.openid,
        "externalId": u.external_id,
        "registerSource": u.register_source,
        // Authing returned the hash here; a password hash never leaves Tessera.
        "password": null,
        "token": token.map(|t| t.token),
        "tokenExpiredAt": token.map(|t| iso8601(t.exp * 1000)),
        "loginsCount": u.login.logins_count,
        "lastLogin": ms(u.login.last_login),
        "lastIP": u.login.last_ip,
        "device": u.login.device,
        "browser": u.login.browser,
        "signedUp": iso8601(u.signed_up),
        "blocked": u.blocked,
        "isDeleted": u.is_deleted,
        "nickname": p.nickname,
        "photo": p.photo,
        "company": p.company,
        "name": p.name,
        "givenName": p.given_name,
        "familyName": p.family_name,
        "middleName": p.middle_name,
        "profile": p.profile,
        "preferredUsername": p.preferred_username,
        "website": p.website,
        "gender": p.gender.clone().unwrap_or_else(|| "U".to_owned()),
        "birthdate": p.birthdate,
        "zoneinfo": p.zoneinfo,
        "locale": p.locale,
        "address": p.address,
        "formatted": p.formatted,
        "streetAddress": p.street_address,
        "locality": p.locality,
        "region": p.region,
        "postalCode": p.postal_code,
        "city": p.city,
        "province": p.province,
        "country": p.country,
        "oauth": p.oauth,
        "createdAt": iso8601(u.created_at),
        "updatedAt": iso8601(u.updated_at),
        "expiredAt": null,
        "directManagement": null,
    })
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
