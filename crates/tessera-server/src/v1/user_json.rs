//! The v1 `ExtendUser` object (`v1-legacy-wire.md` §9, the selection sets S_LOGIN … S_FULL):
//! `_id` instead of `id`, `registerInClient` for the pool, `registerMethod` for where the
//! user came from. The SDK reads whatever it selected and parses nothing.

use serde_json::{json, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::User;

/// A token to hand back in `ExtendUser.token`, with its expiry (seconds since the epoch).
#[derive(Debug, Clone, Copy)]
pub struct TokenOut<'a> {
    pub token: &'a str,
    pub exp: i64,
}

/// Authing's legacy `registerMethod` (`default:username-password`, `oauth:wechat`…): ours
/// is the first registration source recorded, which names the same thing.
fn register_method(u: &User) -> Option<&str> {
    u.register_source.first().map(String::as_str)
}

pub fn user_json(u: &User, token: Option<TokenOut<'_>>) -> Value {
    let p = &u.profile;
    json!({
        "_id": u.id,
        "registerInClient": u.pool_id,
        "registerMethod": register_method(u),
        "email": u.email,
        "emailVerified": u.email_verified,
        "phone": u.phone,
        "unionid": u.unionid,
        "openid": u.openid,
        "username": u.username,
        "nickname": p.nickname,
        "company": p.company,
        "photo": p.photo,
        "oauth": p.oauth,
        "browser": u.login.browser,
        "device": u.login.device,
        // Authing returned the hash and its salt here; a password hash never leaves Tessera.
        "password": null,
        "salt": null,
        "token": token.map(|t| t.token),
        "tokenExpiredAt": token.map(|t| iso8601(t.exp * 1000)),
        "loginsCount": u.login.logins_count,
        "lastLogin": u.login.last_login.map(iso8601),
        "lastIP": u.login.last_ip,
        "signedUp": iso8601(u.signed_up),
        "blocked": u.blocked,
        "isDeleted": u.is_deleted,
        "name": p.name,
        "givenName": p.given_name,
        "familyName": p.family_name,
        "middleName": p.middle_name,
        "profile": p.profile,
        "preferredUsername": p.preferred_username,
        "website": p.website,
        "gender": p.gender,
        "birthdate": p.birthdate,
        "zoneinfo": p.zoneinfo,
        "locale": p.locale,
        "address": p.address,
        "formatted": p.formatted,
        "streetAddress": p.street_address,
        "locality": p.locality,
        "region": p.region,
        "postalCode": p.postal_code,
        "country": p.country,
        "updatedAt": iso8601(u.updated_at),
        // Legacy fields without a Tessera counterpart: the legacy groups, client types and
        // billing plans of Authing's own console (§9 S_FULL), and the legacy `metadata`
        // text (custom data is `customData`).
        "metadata": null,
        "group": null,
        "clientType": null,
        "systemApplicationType": null,
    })
}
