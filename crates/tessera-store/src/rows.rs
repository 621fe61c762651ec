//! Row ⇄ model mapping, kept in one place so every query selects and binds users the same way.

use sqlx::any::AnyRow;
use sqlx::Row;
use tessera_core::model::{
    AccessKey, Application, ExternalIdentity, LoginStats, Profile, SigningKey, User, UserPool,
    UserStatus,
};
use tessera_core::{Error, Result};

pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(name)
        .map_err(|e| Error::Storage(format!("column {name}: {e}")))
}

/// Flags are stored as 0/1 (see the migration's header).
pub(crate) fn flag(row: &AnyRow, name: &str) -> Result<bool> {
    col::<i64>(row, name).map(|v| v != 0)
}

fn json<T: serde::de::DeserializeOwned>(row: &AnyRow, name: &str) -> Result<T> {
    let text: String = col(row, name)?;
    serde_json::from_str(&text).map_err(|e| Error::Storage(format!("column {name}: {e}")))
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))
}

pub(crate) const POOL_COLUMNS: &str =
    "id, name, domain, description, logo, secret, settings, created_at, updated_at";

pub(crate) fn pool(row: &AnyRow) -> Result<UserPool> {
    pool_named(row, &POOL_NAMES)
}

const POOL_NAMES: [&str; 9] = [
    "id",
    "name",
    "domain",
    "description",
    "logo",
    "secret",
    "settings",
    "created_at",
    "updated_at",
];

/// The pool columns under `p_` aliases, for a query that also selects an application's.
pub(crate) const POOL_COLUMNS_AS_P: &str = "p.id AS p_id, p.name AS p_name, \
    p.domain AS p_domain, p.description AS p_description, p.logo AS p_logo, \
    p.secret AS p_secret, p.settings AS p_settings, p.created_at AS p_created_at, \
    p.updated_at AS p_updated_at";

const POOL_NAMES_P: [&str; 9] = [
    "p_id",
    "p_name",
    "p_domain",
    "p_description",
    "p_logo",
    "p_secret",
    "p_settings",
    "p_created_at",
    "p_updated_at",
];

/// A pool selected with [`POOL_COLUMNS_AS_P`]; `None` when the join found none.
pub(crate) fn pool_p(row: &AnyRow) -> Result<Option<UserPool>> {
    match col::<Option<String>>(row, "p_id")? {
        Some(_) => pool_named(row, &POOL_NAMES_P).map(Some),
        None => Ok(None),
    }
}

fn pool_named(row: &AnyRow, n: &[&str; 9]) -> Result<UserPool> {
    Ok(UserPool {
        id: col(row, n[0])?,
        name: col(row, n[1])?,
        domain: col(row, n[2])?,
        description: col(row, n[3])?,
        logo: col(row, n[4])?,
        secret: col(row, n[5])?,
        settings: json(row, n[6])?,
        created_at: col(row, n[7])?,
        updated_at: col(row, n[8])?,
    })
}

pub(crate) const APP_COLUMNS: &str =
    "id, pool_id, name, identifier, description, logo, secret, oidc, created_at, updated_at";

/// [`APP_COLUMNS`] of the table aliased `a`, under their own names.
pub(crate) const APP_COLUMNS_AS_A: &str = "a.id, a.pool_id, a.name, a.identifier, \
    a.description, a.logo, a.secret, a.oidc, a.created_at, a.updated_at";

pub(crate) fn app(row: &AnyRow) -> Result<Application> {
    Ok(Application {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        name: col(row, "name")?,
        identifier: col(row, "identifier")?,
        description: col(row, "description")?,
        logo: col(row, "logo")?,
        secret: col(row, "secret")?,
        oidc: json(row, "oidc")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

pub(crate) fn access_key(row: &AnyRow) -> Result<AccessKey> {
    Ok(AccessKey {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        secret: col(row, "secret")?,
        enabled: flag(row, "enabled")?,
        created_at: col(row, "created_at")?,
    })
}

pub(crate) fn signing_key(row: &AnyRow) -> Result<SigningKey> {
    Ok(SigningKey {
        kid: col(row, "kid")?,
        private_pem: col(row, "private_pem")?,
        created_at: col(row, "created_at")?,
        retire_at: col(row, "retire_at")?,
    })
}

/// Every user column, in the order [`bind_user`] binds them.
pub(crate) const USER_COLUMNS: &str = "id, pool_id, username, email, email_key, email_verified, \
    phone, phone_country_code, phone_verified, unionid, openid, external_id, status, blocked, \
    is_deleted, register_source, password_hash, reset_password_on_next_login, primary_user_id, \
    nickname, photo, company, name, given_name, family_name, middle_name, profile, \
    preferred_username, website, gender, birthdate, zoneinfo, locale, address, formatted, \
    street_address, locality, region, postal_code, city, province, country, oauth, \
    logins_count, last_login, last_ip, device, browser, tokens_valid_after, signed_up, \
    created_at, updated_at";

pub(crate) const USER_COLUMN_COUNT: usize = 52;

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

pub(crate) fn bind_user<'q>(q: AnyQuery<'q>, u: &'q User) -> Result<AnyQuery<'q>> {
    let p = &u.profile;
    let email_key = u
        .email
        .as_deref()
        .map(tessera_core::rules::identifiers::email_key);
    Ok(q.bind(&u.id)
        .bind(&u.pool_id)
        .bind(&u.username)
        .bind(&u.email)
        .bind(email_key)
        .bind(i64::from(u.email_verified))
        .bind(&u.phone)
        .bind(&u.phone_country_code)
        .bind(i64::from(u.phone_verified))
        .bind(&u.unionid)
        .bind(&u.openid)
        .bind(&u.external_id)
        .bind(u.status.as_str())
        .bind(i64::from(u.blocked))
        .bind(i64::from(u.is_deleted))
        .bind(to_json(&u.register_source)?)
        .bind(&u.password_hash)
        .bind(i64::from(u.reset_password_on_next_login))
        .bind(&u.primary_user_id)
        .bind(&p.nickname)
        .bind(&p.photo)
        .bind(&p.company)
        .bind(&p.name)
        .bind(&p.given_name)
        .bind(&p.family_name)
        .bind(&p.middle_name)
        .bind(&p.profile)
        .bind(&p.preferred_username)
        .bind(&p.website)
        .bind(&p.gender)
        .bind(&p.birthdate)
        .bind(&p.zoneinfo)
        .bind(&p.locale)
        .bind(&p.address)
        .bind(&p.formatted)
        .bind(&p.street_address)
        .bind(&p.locality)
        .bind(&p.region)
        .bind(&p.postal_code)
        .bind(&p.city)
        .bind(&p.province)
        .bind(&p.country)
        .bind(&p.oauth)
        .bind(u.login.logins_count)
        .bind(u.login.last_login)
        .bind(&u.login.last_ip)
        .bind(&u.login.device)
        .bind(&u.login.browser)
        .bind(u.tokens_valid_after)
        .bind(u.signed_up)
        .bind(u.created_at)
        .bind(u.updated_at))
}

pub(crate) fn user(row: &AnyRow) -> Result<User> {
    let status: String = col(row, "status")?;
    Ok(User {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        username: col(row, "username")?,
        email: col(row, "email")?,
        email_verified: flag(row, "email_verified")?,
        phone: col(row, "phone")?,
        phone_country_code: col(row, "phone_country_code")?,
        phone_verified: flag(row, "phone_verified")?,
        unionid: col(row, "unionid")?,
        openid: col(row, "openid")?,
        external_id: col(row, "external_id")?,
        status: UserStatus::parse(&status).unwrap_or_default(),
        blocked: flag(row, "blocked")?,
        is_deleted: flag(row, "is_deleted")?,
        register_source: json(row, "register_source")?,
        password_hash: col(row, "password_hash")?,
        reset_password_on_next_login: flag(row, "reset_password_on_next_login")?,
        primary_user_id: col(row, "primary_user_id")?,
        profile: Profile {
            nickname: col(row, "nickname")?,
            photo: col(row, "photo")?,
            company: col(row, "company")?,
            name: col(row, "name")?,
            given_name: col(row, "given_name")?,
            family_name: col(row, "family_name")?,
            middle_name: col(row, "middle_name")?,
            profile: col(row, "profile")?,
            preferred_username: col(row, "preferred_username")?,
            website: col(row, "website")?,
            gender: col(row, "gender")?,
            birthdate: col(row, "birthdate")?,
            zoneinfo: col(row, "zoneinfo")?,
            locale: col(row, "locale")?,
            address: col(row, "address")?,
            formatted: col(row, "formatted")?,
            street_address: col(row, "street_address")?,
            locality: col(row, "locality")?,
            region: col(row, "region")?,
            postal_code: col(row, "postal_code")?,
            city: col(row, "city")?,
            province: col(row, "province")?,
            country: col(row, "country")?,
            oauth: col(row, "oauth")?,
        },
        login: LoginStats {
            logins_count: col(row, "logins_count")?,
            last_login: col(row, "last_login")?,
            last_ip: col(row, "last_ip")?,
            device: col(row, "device")?,
            browser: col(row, "browser")?,
        },
        tokens_valid_after: col(row, "tokens_valid_after")?,
        signed_up: col(row, "signed_up")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}

pub(crate) const IDENTITY_COLUMNS: &str = "id, pool_id, user_id, provider, connection_id, \
    user_id_in_idp, openid, is_social, user_info_in_idp, access_token, refresh_token, \
    created_at, updated_at";

pub(crate) fn identity(row: &AnyRow) -> Result<ExternalIdentity> {
    let connection_id: String = col(row, "connection_id")?;
    Ok(ExternalIdentity {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        user_id: col(row, "user_id")?,
        provider: col(row, "provider")?,
        connection_id: (!connection_id.is_empty()).then_some(connection_id),
        user_id_in_idp: col(row, "user_id_in_idp")?,
        openid: col(row, "openid")?,
        is_social: flag(row, "is_social")?,
        user_info_in_idp: col(row, "user_info_in_idp")?,
        access_token: col(row, "access_token")?,
        refresh_token: col(row, "refresh_token")?,
        created_at: col(row, "created_at")?,
        updated_at: col(row, "updated_at")?,
    })
}
