//! DTOs shared by several v3 families (`v3-wire.md` Appendix A): `UserDto` and how a
//! caller names a user (`userIdType`).

use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::provisioning::SyncKind;
use tessera_core::model::User;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::udf::UdfTarget;
use tessera_core::store::users::UserKey;
use tessera_core::{Core, Error, Result};

/// `UserIdType`: how `userId` is to be read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserIdType {
    #[default]
    UserId,
    ExternalId,
    Phone,
    Email,
    Username,
    /// `<provider>:<userIdInIdp>`.
    Identity,
    SyncRelation,
    CustomField,
}

/// The user `id` names, read as `ty` says; absent is [`Error::UserNotFound`].
pub async fn resolve_user(
    core: &Core,
    admin: &PoolAdmin,
    id: &str,
    ty: UserIdType,
) -> Result<User> {
    let key = match ty {
        UserIdType::UserId => UserKey::Id,
        UserIdType::ExternalId => UserKey::ExternalId,
        UserIdType::Phone => UserKey::Phone,
        UserIdType::Email => UserKey::Email,
        UserIdType::Username => UserKey::Username,
        UserIdType::Identity => {
            let (provider, in_idp) = id
                .split_once(':')
                .ok_or(Error::InvalidParameter("userId"))?;
            return core
                .user_by_identity(admin.pool(), provider, in_idp)
                .await?
                .ok_or(Error::UserNotFound);
        }
        // `<provider>:<userIdInIdp>`, a link an upstream directory made (SCIM provisioning).
        UserIdType::SyncRelation => {
            let target = core
                .sync_relation_target(admin, SyncKind::User, id, "userId")
                .await?
                .ok_or(Error::UserNotFound)?;
            return core
                .find_user_by(admin, UserKey::Id, &target)
                .await?
                .ok_or(Error::UserNotFound);
        }
        // A custom-field lookup needs a unique custom field, which Tessera does not have.
        UserIdType::CustomField => return Err(Error::InvalidParameter("userIdType")),
    };
    core.find_user_by(admin, key, id)
        .await?
        .ok_or(Error::UserNotFound)
}

/// Which optional parts of a `UserDto` the caller asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserParts {
    pub custom_data: bool,
    pub identities: bool,
    pub department_ids: bool,
    /// `withPost`: `postIdList`, the posts the user holds.
    pub posts: bool,
}

/// The parts of a `UserDto` the SDK's `with*` flags ask for, as every list and lookup of
/// users takes them (flattened into each request struct).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithFlags {
    #[serde(default)]
    pub with_custom_data: bool,
    #[serde(default)]
    pub with_identities: bool,
    #[serde(default)]
    pub with_department_ids: bool,
    #[serde(default)]
    pub with_post: bool,
}

impl WithFlags {
    pub fn parts(self) -> UserParts {
        UserParts {
            custom_data: self.with_custom_data,
            identities: self.with_identities,
            department_ids: self.with_department_ids,
            posts: self.with_post,
        }
    }
}

/// `UserDto` (Appendix A). A blocked user reads as `Suspended`, Authing's status for an
/// account an administrator disabled.
pub fn user_dto(u: &User) -> Value {
    let p = &u.profile;
    let ms = |t: Option<i64>| t.map(iso8601);
    let status = if u.blocked {
        "Suspended"
    } else {
        u.status.as_str()
    };
    let source = if u.register_source.iter().any(|s| s.starts_with("import")) {
        "excel"
    } else if u
        .register_source
        .iter()
        .any(|s| s.contains("admin") || s.contains("created"))
    {
        "adminCreated"
    } else {
        "register"
    };
    json!({
        "userId": u.id,
        "createdAt": iso8601(u.created_at),
        "updatedAt": iso8601(u.updated_at),
        "status": status,
        "workStatus": if u.status.as_str() == "Resigned" { "Closed" } else { "Active" },
        "externalId": u.external_id,
        "email": u.email,
        "phone": u.phone,
        "phoneCountryCode": u.phone_country_code,
        "username": u.username,
        "name": p.name,
        "nickname": p.nickname,
        "photo": p.photo,
        "loginsCount": u.login.logins_count,
        "lastLogin": ms(u.login.last_login),
        "lastIp": u.login.last_ip,
        "gender": p.gender.clone().unwrap_or_else(|| "U".to_owned()),
        "emailVerified": u.email_verified,
        "phoneVerified": u.phone_verified,
        "birthdate": p.birthdate,
        "country": p.country,
        "province": p.province,
        "city": p.city,
        "address": p.address,
        "streetAddress": p.street_address,
        "postalCode": p.postal_code,
        "company": p.company,
        "browser": u.login.browser,
        "device": u.login.device,
        "givenName": p.given_name,
        "familyName": p.family_name,
        "middleName": p.middle_name,
        "profile": p.profile,
        "preferredUsername": p.preferred_username,
        "website": p.website,
        "zoneinfo": p.zoneinfo,
        "locale": p.locale,
        "formatted": p.formatted,
        "region": p.region,
        "userSourceType": source,
        "registerSource": u.register_source,
        "resetPasswordOnNextLogin": u.reset_password_on_next_login,
        "signedUp": iso8601(u.signed_up),
    })
}

/// `IdentityDto` for each of the user's links to external providers.
pub async fn identities_dto(core: &Core, pool_id: &str, user_id: &str) -> Result<Value> {
    let ids = core.identities(pool_id, user_id).await?;
    Ok(Value::Array(
        ids.iter()
            .map(|i| {
                json!({
                    "identityId": i.id,
                    "extIdpId": i.connection_id.clone().unwrap_or_default(),
                    "provider": i.provider,
                    "type": if i.is_social { "social" } else { "enterprise" },
                    "userIdInIdp": i.user_id_in_idp,
                    "userInfoInIdp": i.user_info_in_idp.as_deref()
                        .and_then(|s| serde_json::from_str::<Value>(s).ok())
                        .unwrap_or(Value::Null),
                    "originConnIds": i.connection_id.iter().collect::<Vec<_>>(),
                })
            })
            .collect(),
    ))
}

/// Users as `UserDto`s with the parts asked for; custom data of the whole list comes from
/// one query.
pub async fn users_dto(
    core: &Core,
    admin: &PoolAdmin,
    users: &[User],
    parts: UserParts,
) -> Result<Vec<Value>> {
    let mut out: Vec<Value> = users.iter().map(user_dto).collect();
    if parts.custom_data && !users.is_empty() {
        let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
        let values = core.udf_values_batch(admin, UdfTarget::User, &ids).await?;
        for (v, u) in out.iter_mut().zip(users) {
            let mut data = serde_json::Map::new();
            if let Some((_, list)) = values.iter().find(|(id, _)| *id == u.id) {
                for item in list {
                    data.insert(item.key.clone(), typed_value(&item.data_type, &item.value));
                }
            }
            v["customData"] = Value::Object(data);
        }
    }
    if parts.posts && !users.is_empty() {
        let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
        let links = core.user_post_ids(admin, &ids).await?;
        for (v, u) in out.iter_mut().zip(users) {
            let held: Vec<&String> = links
                .iter()
                .filter(|(user, _)| *user == u.id)
                .map(|(_, post)| post)
                .collect();
            v["postIdList"] = json!(held);
        }
    }
    for (v, u) in out.iter_mut().zip(users) {
        if parts.identities {
            v["identities"] = identities_dto(core, &admin.id, &u.id).await?;
        }
        if parts.department_ids {
            let deps = core.user_departments(&admin.id, &u.id, None).await?;
            v["departmentIds"] = json!(deps.iter().map(|d| &d.node.node.id).collect::<Vec<_>>());
            v["mainDepartmentId"] = json!(deps.iter().find(|d| d.is_main).map(|d| &d.node.node.id));
        }
    }
    Ok(out)
}

/// A stored custom value in its JSON type (v3 `customData` is a plain object).
pub fn typed_value(data_type: &str, stored: &str) -> Value {
    match data_type {
        "NUMBER" => stored
            .parse::<serde_json::Number>()
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(stored.to_owned())),
        "BOOLEAN" => match stored {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => Value::String(other.to_owned()),
        },
        _ => Value::String(stored.to_owned()),
    }
}
