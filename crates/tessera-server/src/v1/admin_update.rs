//! `updateUser(options: {…})`, the legacy SDK's `update` and `logout` (`v1-legacy-wire.md`
//! §9; seed 002 "修改密码", "修改用户资料", "退出"). The SDK builds the variable list from the
//! keys its caller gave, so any subset of the documented keys arrives. The pool's
//! administrator (owner token) or the user himself may call it; every key is checked before
//! the one core write, so a refused key leaves nothing applied.

use serde_json::{Map, Value};
use tessera_core::clock;
use tessera_core::service::account_update::{OwnAccountChange, OwnPassword};
use tessera_core::{Error, Result};

use super::args::{obj, opt_str, req_str};
use super::context::{Actor, V1Ctx};
use super::user_json::user_json;
use crate::v2::args::{opt_new_password, opt_password};

/// What `tokenExpiredAt` answers after a logout: a past instant, the one the SDK's own test
/// expects (`"2000-01-01T00:00:00+08:00"`, ISO-8601 with the offset Authing's servers used).
/// Tessera ends sessions by time ("every token issued before now"), not by storing an
/// expiry, so the exact past value carries no information; the SDK's value is the one
/// applications written against Authing compare with.
pub const LOGGED_OUT_AT: &str = "2000-01-01T00:00:00+08:00";

/// Keys that are profile fields, which the administrator and the user may both change.
const PROFILE_KEYS: [&str; 6] = [
    "username", "nickname", "company", "photo", "oauth", "browser",
];

/// Keys only the administrator may set (a user setting them on himself is 1001).
const ADMIN_KEYS: [&str; 3] = ["blocked", "isDeleted", "emailVerified"];

/// Keys that name the server's own record of the user: the caller cannot write them, and a
/// value for one is refused rather than ignored, so a caller learns it was not applied.
const RECORD_KEYS: [&str; 5] = ["token", "lastLogin", "lastIP", "signedUp", "loginsCount"];

/// Keys the SDK adds or that carry the password, read on their own.
const CONTROL_KEYS: [&str; 5] = [
    "_id",
    "registerInClient",
    "password",
    "oldPassword",
    "tokenExpiredAt",
];

/// What the keys of `options` ask for, once every key was checked.
#[derive(Debug, Default)]
struct Plan {
    /// Profile keys and, for the administrator, the admin flags, as given.
    fields: Map<String, Value>,
    end_sessions: bool,
}

fn present(v: Option<&Value>) -> bool {
    !matches!(v, None | Some(Value::Null))
}

/// Whether a `tokenExpiredAt` ends the user's sessions: `"0"` (what `logout` sends) or any
/// instant not in the future. A future expiry would be the server's record to keep, which
/// the caller cannot set (2231 naming the field), as is anything that is not a date.
fn ends_sessions(v: Option<&Value>) -> Result<bool> {
    let bad = Error::InvalidParameter("tokenExpiredAt");
    match v {
        None | Some(Value::Null) => Ok(false),
        Some(Value::String(s)) if s.trim() == "0" => Ok(true),
        Some(Value::String(s)) => match clock::parse_iso8601(s.trim()) {
            Some(at) if at <= clock::now_ms() => Ok(true),
            _ => Err(bad),
        },
        Some(_) => Err(bad),
    }
}

/// Checks every key of `options` for the caller (`admin` or the user himself) and sorts
/// them. Email and phone changes have their own verified operations (`updateEmail`,
/// `updatePhone`), so `updateUser` refuses them (2225, 2226), as the seed doc says.
fn plan(options: &Map<String, Value>, admin: bool) -> Result<Plan> {
    let mut p = Plan::default();
    for (key, value) in options {
        let k = key.as_str();
        if k == "email" && present(Some(value)) {
            return Err(Error::EmailChangeRefused);
        } else if k == "phone" && present(Some(value)) {
            return Err(Error::PhoneChangeRefused);
        } else if k == "email" || k == "phone" || CONTROL_KEYS.contains(&k) {
            continue;
        } else if let Some(rk) = RECORD_KEYS.iter().find(|r| **r == k) {
            if present(Some(value)) {
                return Err(Error::InvalidParameter(rk));
            }
        } else if ADMIN_KEYS.contains(&k) {
            if !admin && present(Some(value)) {
                return Err(Error::Forbidden);
            }
            if present(Some(value)) {
                p.fields.insert(key.clone(), value.clone());
            }
        } else if PROFILE_KEYS.contains(&k) {
            p.fields.insert(key.clone(), value.clone());
        } else {
            return Err(Error::InvalidParameter("options"));
        }
    }
    p.end_sessions = ends_sessions(options.get("tokenExpiredAt"))?;
    Ok(p)
}

/// `updateUser(options)`. The administrator's change is the 4.x ManagementClient's
/// `updateUser` (any password, no old one needed; the block and soft-delete flags); the
/// user's is the self-service change (the old password is required when one is set, the
/// pool's password rule applies). A `tokenExpiredAt` of `"0"` or a past date is `logout`:
/// every token of the user issued until now stops working, and the answer's
/// `tokenExpiredAt` is [`LOGGED_OUT_AT`].
pub async fn update_user(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let core = &ctx.state.core;
    let options = obj(a, "options")?;
    let id = req_str(options, "_id")?;
    let named = opt_str(options, "registerInClient")?;
    let actor = ctx.actor(named.as_deref(), &id).await?;
    let admin = matches!(actor, Actor::Admin(_));
    let plan = plan(options, admin)?;
    let pool_id = match &actor {
        Actor::Admin(a) => a.pool_id().to_owned(),
        Actor::User(s) => s.pool().id.clone(),
    };
    let ip = ctx.client(&pool_id, None).await.ip;
    let new_password = opt_new_password(core, options, "password", ip.as_deref()).await?;
    let user = match actor {
        Actor::Admin(pool) => {
            let mut changes = plan.fields;
            if plan.end_sessions {
                // The core's admin update ends the sessions for any past `tokenExpiredAt`.
                changes.insert(
                    "tokenExpiredAt".to_owned(),
                    Value::String(clock::iso8601(clock::now_ms())),
                );
            }
            // The administrator sets a password without knowing the old one (as the 4.x
            // ManagementClient does); an `oldPassword` he sends proves nothing and is unused.
            core.admin_update_user(pool, &id, &changes, new_password)
                .await?
        }
        Actor::User(s) => {
            let password = match new_password {
                Some(new) => Some(OwnPassword {
                    new,
                    old: opt_password(core, options, "oldPassword").await?,
                }),
                None => None,
            };
            let change = OwnAccountChange {
                profile: plan.fields,
                password,
                end_sessions: plan.end_sessions,
            };
            core.update_own_account(s.pool(), &s.user().id, change)
                .await?
        }
    };
    let mut v = user_json(&user, None);
    if plan.end_sessions {
        v["tokenExpiredAt"] = Value::String(LOGGED_OUT_AT.to_owned());
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opts(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn email_and_phone_are_refused_with_their_own_codes() {
        let o = opts(json!({"_id": "u", "nickname": "n", "email": "a@b.c"}));
        assert!(matches!(plan(&o, true), Err(Error::EmailChangeRefused)));
        let o = opts(json!({"_id": "u", "phone": "13800000000"}));
        assert!(matches!(plan(&o, false), Err(Error::PhoneChangeRefused)));
        // An absent value is no change.
        let o = opts(json!({"_id": "u", "email": null, "nickname": "n"}));
        assert_eq!(plan(&o, false).unwrap().fields.len(), 1);
    }

    #[test]
    fn the_servers_record_is_refused_by_name() {
        for k in RECORD_KEYS {
            let o = opts(json!({"_id": "u", k: "x"}));
            assert!(
                matches!(plan(&o, true), Err(Error::InvalidParameter(n)) if n == k),
                "{k}"
            );
        }
        let o = opts(json!({"_id": "u", "somethingElse": 1}));
        assert!(matches!(
            plan(&o, true),
            Err(Error::InvalidParameter("options"))
        ));
    }

    #[test]
    fn admin_flags_are_the_administrators() {
        let o = opts(json!({"_id": "u", "blocked": true}));
        assert!(matches!(plan(&o, false), Err(Error::Forbidden)));
        assert_eq!(plan(&o, true).unwrap().fields["blocked"], json!(true));
        let o = opts(json!({"_id": "u", "isDeleted": false}));
        assert!(matches!(plan(&o, false), Err(Error::Forbidden)));
    }

    #[test]
    fn token_expiry_zero_or_past_is_logout_and_future_is_refused() {
        let at = |v: Value| ends_sessions(Some(&v));
        assert!(at(json!("0")).unwrap());
        assert!(at(json!("2000-01-01T00:00:00+08:00")).unwrap());
        assert!(!ends_sessions(None).unwrap());
        assert!(matches!(
            at(json!("2999-01-01T00:00:00Z")),
            Err(Error::InvalidParameter("tokenExpiredAt"))
        ));
        assert!(at(json!("tomorrow")).is_err());
        assert!(at(json!(0)).is_err());
    }
}
