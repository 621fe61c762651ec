//! The v2 `User` object (`v2-wire.md` §7.1) and the custom-data shapes (§7.2).

use serde_json::{json, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::User;
use tessera_core::model::{Application, ExternalIdentity, UserPool};
use tessera_core::service::authn::AuthEvent;
use tessera_core::service::udf::{UdfTarget, UdfValue};
use tessera_core::{Core, Result};

use crate::graphql;

/// A token to hand back in `User.token`, with its expiry (seconds since the epoch).
#[derive(Debug, Clone, Copy)]
pub struct TokenOut<'a> {
    pub token: &'a str,
    pub exp: i64,
}

/// The names of the `User` object's own fields, in byte order (a `Map` collected from keys
/// already in order is built in one pass). [`user_field`] gives each its value.
const USER_FIELDS: [&str; 53] = [
    "address",
    "arn",
    "birthdate",
    "blocked",
    "browser",
    "city",
    "company",
    "country",
    "createdAt",
    "device",
    "directManagement",
    "email",
    "emailVerified",
    "expiredAt",
    "externalId",
    "familyName",
    "formatted",
    "gender",
    "givenName",
    "id",
    "isDeleted",
    "lastIP",
    "lastLogin",
    "locale",
    "locality",
    "loginsCount",
    "middleName",
    "name",
    "nickname",
    "oauth",
    "openid",
    "password",
    "phone",
    "phoneCountryCode",
    "phoneVerified",
    "photo",
    "postalCode",
    "preferredUsername",
    "profile",
    "province",
    "region",
    "registerSource",
    "signedUp",
    "status",
    "streetAddress",
    "token",
    "tokenExpiredAt",
    "unionid",
    "updatedAt",
    "userPoolId",
    "username",
    "website",
    "zoneinfo",
];

/// One field's value, borrowed from the user where it can be.
enum Scalar<'a> {
    Str(Option<&'a str>),
    Owned(Option<String>),
    Bool(bool),
    Int(i64),
    List(&'a [String]),
}

impl Scalar<'_> {
    fn into_value(self) -> Value {
        match self {
            Scalar::Str(s) => s.map_or(Value::Null, |s| Value::String(s.to_owned())),
            Scalar::Owned(s) => s.map_or(Value::Null, Value::String),
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(i) => Value::from(i),
            Scalar::List(items) => json!(items),
        }
    }

    /// Written as `into_value` then `graphql::write_value` would write it.
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Scalar::Str(None) | Scalar::Owned(None) => out.extend_from_slice(b"null"),
            Scalar::Str(Some(s)) => graphql::write_str(s, out),
            Scalar::Owned(Some(s)) => graphql::write_str(s, out),
            Scalar::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Scalar::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Scalar::List(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    graphql::write_str(item, out);
                }
                out.push(b']');
            }
        }
    }
}

/// The value of the `User` field `name` (one of [`USER_FIELDS`]), or `None` for another name.
fn user_field<'a>(name: &str, u: &'a User, token: Option<TokenOut<'a>>) -> Option<Scalar<'a>> {
    let p = &u.profile;
    let s = |v: &'a Option<String>| Scalar::Str(v.as_deref());
    Some(match name {
        "address" => s(&p.address),
        "arn" => Scalar::Owned(Some(u.arn())),
        "birthdate" => s(&p.birthdate),
        "blocked" => Scalar::Bool(u.blocked),
        "browser" => s(&u.login.browser),
        "city" => s(&p.city),
        "company" => s(&p.company),
        "country" => s(&p.country),
        "createdAt" => Scalar::Owned(Some(iso8601(u.created_at))),
        "device" => s(&u.login.device),
        // Authing returned the hash in `password`; a password hash never leaves Tessera.
        "directManagement" | "expiredAt" | "password" => Scalar::Str(None),
        "email" => s(&u.email),
        "emailVerified" => Scalar::Bool(u.email_verified),
        "externalId" => s(&u.external_id),
        "familyName" => s(&p.family_name),
        "formatted" => s(&p.formatted),
        "gender" => Scalar::Str(Some(p.gender.as_deref().unwrap_or("U"))),
        "givenName" => s(&p.given_name),
        "id" => Scalar::Str(Some(&u.id)),
        "isDeleted" => Scalar::Bool(u.is_deleted),
        "lastIP" => s(&u.login.last_ip),
        "lastLogin" => Scalar::Owned(u.login.last_login.map(iso8601)),
        "locale" => s(&p.locale),
        "locality" => s(&p.locality),
        "loginsCount" => Scalar::Int(u.login.logins_count),
        "middleName" => s(&p.middle_name),
        "name" => s(&p.name),
        "nickname" => s(&p.nickname),
        "oauth" => s(&p.oauth),
        "openid" => s(&u.openid),
        "phone" => s(&u.phone),
        "phoneCountryCode" => s(&u.phone_country_code),
        "phoneVerified" => Scalar::Bool(u.phone_verified),
        "photo" => s(&p.photo),
        "postalCode" => s(&p.postal_code),
        "preferredUsername" => s(&p.preferred_username),
        "profile" => s(&p.profile),
        "province" => s(&p.province),
        "region" => s(&p.region),
        "registerSource" => Scalar::List(&u.register_source),
        "signedUp" => Scalar::Owned(Some(iso8601(u.signed_up))),
        "status" => Scalar::Str(Some(u.status.as_str())),
        "streetAddress" => s(&p.street_address),
        "token" => Scalar::Str(token.map(|t| t.token)),
        "tokenExpiredAt" => Scalar::Owned(token.map(|t| iso8601(t.exp * 1000))),
        "unionid" => s(&u.unionid),
        "updatedAt" => Scalar::Owned(Some(iso8601(u.updated_at))),
        "userPoolId" => Scalar::Str(Some(&u.pool_id)),
        "username" => s(&u.username),
        "website" => s(&p.website),
        "zoneinfo" => s(&p.zoneinfo),
        _ => return None,
    })
}

pub fn user_json(u: &User, token: Option<TokenOut<'_>>) -> Value {
    Value::Object(
        USER_FIELDS
            .iter()
            .map(|&name| {
                let v = user_field(name, u, token).map_or(Value::Null, Scalar::into_value);
                (name.to_owned(), v)
            })
            .collect(),
    )
}

/// A `User` answer written field by field as the query selects them, without building the
/// object first: what [`user_json`] gives, with `extra` fields added over it (custom data,
/// identities, directory fields), projected as `graphql::write_projected` projects a value.
/// `getCurrentUser` answers with it on every request; building and then reading the
/// 53-entry map cost more than the rest of its answer (callgrind).
pub struct UserAnswer<'a> {
    pub user: &'a User,
    pub token: Option<TokenOut<'a>>,
    pub extra: serde_json::Map<String, Value>,
}

impl graphql::ObjectAnswer for UserAnswer<'_> {
    fn write_field(&self, name: &str, selection: &[graphql::Field], out: &mut Vec<u8>) {
        if let Some(v) = self.extra.get(name) {
            graphql::write_projected(v, selection, out);
            return;
        }
        match user_field(name, self.user, self.token) {
            // A scalar: a sub-selection on it is ignored, as `write_projected` ignores it.
            Some(scalar) => scalar.write(out),
            None => out.extend_from_slice(b"null"),
        }
    }

    fn to_value(&self) -> Value {
        let mut v = user_json(self.user, self.token);
        if let Value::Object(map) = &mut v {
            map.extend(self.extra.clone());
        }
        v
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphql::{write_object_answer, write_projected};
    use tessera_core::model::{LoginStats, Profile, UserStatus};

    /// `user_json` as it was written before [`USER_FIELDS`] and [`user_field`] (one
    /// `json!` per field): the reference both are held to.
    fn reference_user_json(u: &User, token: Option<TokenOut<'_>>) -> Value {
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

    fn full_user() -> User {
        let t = |s: &str| Some(format!("{s} \"q\" \\ \u{1} 中文"));
        User {
            id: "u1".into(),
            pool_id: "p1".into(),
            username: t("name"),
            email: t("e@x.io"),
            email_verified: true,
            phone: t("138"),
            phone_country_code: t("+86"),
            phone_verified: true,
            unionid: t("union"),
            openid: t("open"),
            external_id: t("ext"),
            status: UserStatus::Suspended,
            blocked: true,
            is_deleted: false,
            register_source: vec!["import:manual".into(), "basic:email".into()],
            password_hash: t("hash"),
            reset_password_on_next_login: true,
            primary_user_id: None,
            profile: Profile {
                nickname: t("nick"),
                photo: t("photo"),
                company: t("co"),
                name: t("n"),
                given_name: t("g"),
                family_name: t("f"),
                middle_name: t("m"),
                profile: t("pr"),
                preferred_username: t("pu"),
                website: t("w"),
                gender: t("M"),
                birthdate: t("b"),
                zoneinfo: t("z"),
                locale: t("l"),
                address: t("a"),
                formatted: t("fo"),
                street_address: t("s"),
                locality: t("lo"),
                region: t("r"),
                postal_code: t("pc"),
                city: t("c"),
                province: t("pv"),
                country: t("cn"),
                oauth: t("oa"),
            },
            login: LoginStats {
                logins_count: -7,
                last_login: Some(1_700_000_000_123),
                last_ip: t("1.2.3.4"),
                device: t("d"),
                browser: t("br"),
            },
            tokens_valid_after: 0,
            signed_up: 1_600_000_000_000,
            created_at: 1_600_000_000_001,
            updated_at: 1_600_000_000_002,
            mfa_rules: Vec::new(),
            public_account: false,
        }
    }

    fn sparse_user() -> User {
        User {
            username: None,
            email: None,
            phone: None,
            phone_country_code: None,
            unionid: None,
            openid: None,
            external_id: None,
            register_source: Vec::new(),
            profile: Profile::default(),
            login: LoginStats::default(),
            status: UserStatus::Activated,
            ..full_user()
        }
    }

    /// Every field of the User, plus what a query may add or get wrong: aliases, a key
    /// selected twice (merged sub-selections), a field the User does not have, a
    /// sub-selection on a scalar, and the extras (custom data, identities).
    const DOCS: [&str; 3] = [
        "{ user { address arn birthdate blocked browser city company country createdAt device \
           directManagement email emailVerified expiredAt externalId familyName formatted \
           gender givenName id isDeleted lastIP lastLogin locale locality loginsCount \
           middleName name nickname oauth openid password phone phoneCountryCode \
           phoneVerified photo postalCode preferredUsername profile province region \
           registerSource signedUp status streetAddress token tokenExpiredAt unionid \
           updatedAt userPoolId username website zoneinfo \
           customData { key value dataType label } identities { provider userId } } }",
        "{ user { a: id id b: email nope registerSource { x } identities { provider } \
           identities { userId } phoneCountryCode phoneCountryCode customData { key } } }",
        "{ user }",
    ];

    #[test]
    fn the_user_answer_writes_what_user_json_projects() {
        let mut extra = serde_json::Map::new();
        extra.insert(
            "customData".into(),
            json!([{"key": "k", "value": "v", "dataType": "STRING", "label": null}]),
        );
        extra.insert(
            "identities".into(),
            json!([{"provider": "github", "userId": "u1"}, {"provider": "x", "userId": null}]),
        );
        let token = TokenOut {
            token: "t.o.k",
            exp: 1_700_000_999,
        };
        for user in [full_user(), sparse_user()] {
            for (token, extra) in [(Some(token), extra.clone()), (None, Default::default())] {
                // The fields as the reference builds them, then the extras over them.
                let mut reference = reference_user_json(&user, token);
                for (k, v) in &extra {
                    reference[k] = v.clone();
                }
                assert_eq!(user_json(&user, token), reference_user_json(&user, token));
                let answer = UserAnswer {
                    user: &user,
                    token,
                    extra: extra.clone(),
                };
                for doc in DOCS {
                    let op = crate::graphql::parse(doc, None, &Default::default()).unwrap();
                    let selection = &op.fields[0].selection;
                    let (mut want, mut got) = (Vec::new(), Vec::new());
                    write_projected(&reference, selection, &mut want);
                    write_object_answer(&answer, selection, &mut got);
                    assert_eq!(
                        String::from_utf8(got).unwrap(),
                        String::from_utf8(want).unwrap(),
                        "{doc}"
                    );
                }
            }
        }
    }
}
