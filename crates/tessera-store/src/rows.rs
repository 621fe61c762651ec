//! Row ⇄ model mapping, kept in one place so every query selects and binds users the same way.

use sqlx::any::AnyRow;
use sqlx::{Column, Row};
use tessera_core::model::tenant::MfaType;
use tessera_core::model::{
    AccessKey, Application, ExternalIdentity, LoginStats, OidcSettings, PoolSettings, Profile,
    SigningKey, User, UserMfaRule, UserPool, UserStatus,
};
use tessera_core::store::UdfDefinition;
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

/// Parses a JSON column's text; `name` is for the message.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(text: &str, name: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::Storage(format!("column {name}: {e}")))
}

/// A result row read by column position, so that one mapping per model serves both drivers:
/// sqlx's `Any` rows and the rusqlite rows of the SQLite read path (`sqlite_reads`).
pub(crate) trait Cols {
    fn text(&self, i: usize) -> Result<String>;
    fn opt_text(&self, i: usize) -> Result<Option<String>>;
    fn int(&self, i: usize) -> Result<i64>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;
    /// Hands column `i`'s text to `f`, borrowed where the driver allows it (JSON columns are
    /// parsed from it without a copy).
    fn with_text<T>(&self, i: usize, f: &dyn Fn(&str) -> Result<T>) -> Result<T>;
    /// Flags are stored as 0/1 (see the migration's header).
    fn flag(&self, i: usize) -> Result<bool> {
        self.int(i).map(|v| v != 0)
    }
}

fn any_get<'r, T>(row: &'r AnyRow, i: usize) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(i).map_err(|e| {
        let name = row.columns().get(i).map_or("?", |c| c.name());
        Error::Storage(format!("column {name}: {e}"))
    })
}

impl Cols for AnyRow {
    fn text(&self, i: usize) -> Result<String> {
        any_get(self, i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        any_get(self, i)
    }
    fn int(&self, i: usize) -> Result<i64> {
        any_get(self, i)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        any_get(self, i)
    }
    fn with_text<T>(&self, i: usize, f: &dyn Fn(&str) -> Result<T>) -> Result<T> {
        f(any_get::<&str>(self, i)?)
    }
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))
}

pub(crate) const POOL_COLUMNS: &str =
    "id, name, domain, description, logo, secret, settings, created_at, updated_at";

/// How many columns [`POOL_COLUMNS`] selects.
pub(crate) const POOL_COLUMN_COUNT: usize = 9;

pub(crate) fn pool(row: &AnyRow) -> Result<UserPool> {
    pool_at(row, 0, &|_, text| parse_json(text, "settings"))
}

/// The parse of a settings column from its row's id and its text: [`parse_json`], or the
/// store's memo of it (`settings_memo`).
pub(crate) type SettingsParse<'a, T> = &'a dyn Fn(&str, &str) -> Result<T>;

/// A pool selected with [`POOL_COLUMNS`] from column `at` on.
pub(crate) fn pool_at<C: Cols + ?Sized>(
    row: &C,
    at: usize,
    settings: SettingsParse<'_, PoolSettings>,
) -> Result<UserPool> {
    let id = row.text(at)?;
    Ok(UserPool {
        settings: row.with_text(at + 6, &|text| settings(&id, text))?,
        id,
        name: row.text(at + 1)?,
        domain: row.text(at + 2)?,
        description: row.opt_text(at + 3)?,
        logo: row.opt_text(at + 4)?,
        secret: row.text(at + 5)?,
        created_at: row.int(at + 7)?,
        updated_at: row.int(at + 8)?,
    })
}

pub(crate) const APP_COLUMNS: &str =
    "id, pool_id, name, identifier, description, logo, secret, oidc, created_at, updated_at";

/// How many columns [`APP_COLUMNS`] selects.
pub(crate) const APP_COLUMN_COUNT: usize = 10;

/// [`APP_COLUMNS`] of the table aliased `a`, then [`POOL_COLUMNS`] of the table aliased `p`.
pub(crate) const APP_AND_POOL_COLUMNS: &str = "a.id, a.pool_id, a.name, a.identifier, \
    a.description, a.logo, a.secret, a.oidc, a.created_at, a.updated_at, \
    p.id, p.name, p.domain, p.description, p.logo, p.secret, p.settings, p.created_at, \
    p.updated_at";

/// How many columns [`APP_AND_POOL_COLUMNS`] selects.
pub(crate) const APP_AND_POOL_COLUMN_COUNT: usize = APP_COLUMN_COUNT + POOL_COLUMN_COUNT;

pub(crate) fn app(row: &AnyRow) -> Result<Application> {
    app_at(row, 0, &|_, text| parse_json(text, "oidc"))
}

/// An application selected with [`APP_COLUMNS`] from column `at` on.
pub(crate) fn app_at<C: Cols + ?Sized>(
    row: &C,
    at: usize,
    oidc: SettingsParse<'_, OidcSettings>,
) -> Result<Application> {
    let id = row.text(at)?;
    Ok(Application {
        oidc: row.with_text(at + 7, &|text| oidc(&id, text))?,
        id,
        pool_id: row.text(at + 1)?,
        name: row.text(at + 2)?,
        identifier: row.text(at + 3)?,
        description: row.opt_text(at + 4)?,
        logo: row.opt_text(at + 5)?,
        secret: row.text(at + 6)?,
        created_at: row.int(at + 8)?,
        updated_at: row.int(at + 9)?,
    })
}

/// An application and its pool selected with [`APP_AND_POOL_COLUMNS`] (a LEFT JOIN: the pool
/// is `None` when its row is missing).
pub(crate) fn app_and_pool<C: Cols + ?Sized>(
    row: &C,
    oidc: SettingsParse<'_, OidcSettings>,
    settings: SettingsParse<'_, PoolSettings>,
) -> Result<(Application, Option<UserPool>)> {
    let app = app_at(row, 0, oidc)?;
    let pool = match row.opt_text(APP_COLUMN_COUNT)? {
        Some(_) => Some(pool_at(row, APP_COLUMN_COUNT, settings)?),
        None => None,
    };
    Ok((app, pool))
}

pub(crate) fn access_key(row: &AnyRow) -> Result<AccessKey> {
    Ok(AccessKey {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        app_id: col(row, "app_id")?,
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
    created_at, updated_at, mfa_rules, public_account";

pub(crate) const USER_COLUMN_COUNT: usize = 54;

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
        .bind(u.updated_at)
        .bind(mfa_rules_json(&u.mfa_rules)?)
        .bind(i64::from(u.public_account)))
}

/// One per-user MFA rule as stored in `users.mfa_rules` (a JSON array; NULL when none).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredMfaRule {
    kind: String,
    enabled: bool,
    sort: i64,
}

/// `users.mfa_rules`: NULL when the user has no rule, so a user without one costs nothing.
pub(crate) fn mfa_rules_json(rules: &[UserMfaRule]) -> Result<Option<String>> {
    if rules.is_empty() {
        return Ok(None);
    }
    let stored: Vec<StoredMfaRule> = rules
        .iter()
        .map(|r| StoredMfaRule {
            kind: r.kind.as_str().to_owned(),
            enabled: r.enabled,
            sort: r.sort,
        })
        .collect();
    to_json(&stored).map(Some)
}

fn mfa_rules_of(text: Option<String>) -> Result<Vec<UserMfaRule>> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let stored: Vec<StoredMfaRule> = parse_json(&text, "mfa_rules")?;
    stored
        .into_iter()
        .map(|r| {
            Ok(UserMfaRule {
                kind: MfaType::parse(&r.kind)
                    .ok_or_else(|| Error::Storage(format!("mfa_rules: kind {}", r.kind)))?,
                enabled: r.enabled,
                sort: r.sort,
            })
        })
        .collect()
}

pub(crate) fn user(row: &AnyRow) -> Result<User> {
    user_at(row, 0)
}

/// A user selected with [`USER_COLUMNS`] from column `at` on.
pub(crate) fn user_at<C: Cols + ?Sized>(row: &C, at: usize) -> Result<User> {
    let c = |i: usize| at + i;
    let status = row.with_text(c(12), &|s| Ok(UserStatus::parse(s).unwrap_or_default()))?;
    Ok(User {
        id: row.text(c(0))?,
        pool_id: row.text(c(1))?,
        username: row.opt_text(c(2))?,
        email: row.opt_text(c(3))?,
        // c(4) is email_key, derived from email when written.
        email_verified: row.flag(c(5))?,
        phone: row.opt_text(c(6))?,
        phone_country_code: row.opt_text(c(7))?,
        phone_verified: row.flag(c(8))?,
        unionid: row.opt_text(c(9))?,
        openid: row.opt_text(c(10))?,
        external_id: row.opt_text(c(11))?,
        status,
        blocked: row.flag(c(13))?,
        is_deleted: row.flag(c(14))?,
        register_source: row.with_text(c(15), &|t| parse_json(t, "register_source"))?,
        password_hash: row.opt_text(c(16))?,
        reset_password_on_next_login: row.flag(c(17))?,
        primary_user_id: row.opt_text(c(18))?,
        profile: Profile {
            nickname: row.opt_text(c(19))?,
            photo: row.opt_text(c(20))?,
            company: row.opt_text(c(21))?,
            name: row.opt_text(c(22))?,
            given_name: row.opt_text(c(23))?,
            family_name: row.opt_text(c(24))?,
            middle_name: row.opt_text(c(25))?,
            profile: row.opt_text(c(26))?,
            preferred_username: row.opt_text(c(27))?,
            website: row.opt_text(c(28))?,
            gender: row.opt_text(c(29))?,
            birthdate: row.opt_text(c(30))?,
            zoneinfo: row.opt_text(c(31))?,
            locale: row.opt_text(c(32))?,
            address: row.opt_text(c(33))?,
            formatted: row.opt_text(c(34))?,
            street_address: row.opt_text(c(35))?,
            locality: row.opt_text(c(36))?,
            region: row.opt_text(c(37))?,
            postal_code: row.opt_text(c(38))?,
            city: row.opt_text(c(39))?,
            province: row.opt_text(c(40))?,
            country: row.opt_text(c(41))?,
            oauth: row.opt_text(c(42))?,
        },
        login: LoginStats {
            logins_count: row.int(c(43))?,
            last_login: row.opt_int(c(44))?,
            last_ip: row.opt_text(c(45))?,
            device: row.opt_text(c(46))?,
            browser: row.opt_text(c(47))?,
        },
        tokens_valid_after: row.int(c(48))?,
        signed_up: row.int(c(49))?,
        created_at: row.int(c(50))?,
        updated_at: row.int(c(51))?,
        mfa_rules: mfa_rules_of(row.opt_text(c(52))?)?,
        public_account: row.flag(c(53))?,
    })
}

pub(crate) const IDENTITY_COLUMNS: &str = "id, pool_id, user_id, provider, connection_id, \
    user_id_in_idp, openid, is_social, user_info_in_idp, access_token, refresh_token, \
    created_at, updated_at";

pub(crate) fn identity(row: &AnyRow) -> Result<ExternalIdentity> {
    identity_at(row, 0)
}

/// An identity selected with [`IDENTITY_COLUMNS`] from column `at` on.
pub(crate) fn identity_at<C: Cols + ?Sized>(row: &C, at: usize) -> Result<ExternalIdentity> {
    let connection_id = row.text(at + 4)?;
    Ok(ExternalIdentity {
        id: row.text(at)?,
        pool_id: row.text(at + 1)?,
        user_id: row.text(at + 2)?,
        provider: row.text(at + 3)?,
        connection_id: (!connection_id.is_empty()).then_some(connection_id),
        user_id_in_idp: row.text(at + 5)?,
        openid: row.opt_text(at + 6)?,
        is_social: row.flag(at + 7)?,
        user_info_in_idp: row.opt_text(at + 8)?,
        access_token: row.opt_text(at + 9)?,
        refresh_token: row.opt_text(at + 10)?,
        created_at: row.int(at + 11)?,
        updated_at: row.int(at + 12)?,
    })
}

/// A custom-field definition selected as `pool_id, target_type, key, data_type, label,
/// options` from column `at` on.
pub(crate) fn udf_definition_at<C: Cols + ?Sized>(row: &C, at: usize) -> Result<UdfDefinition> {
    Ok(UdfDefinition {
        pool_id: row.text(at)?,
        target_type: row.text(at + 1)?,
        key: row.text(at + 2)?,
        data_type: row.text(at + 3)?,
        label: row.opt_text(at + 4)?,
        options: row.opt_text(at + 5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(list: &str) -> usize {
        list.split(',').count()
    }

    /// Rows are decoded by position: the counts must be those of the lists.
    #[test]
    fn column_counts_match_the_lists() {
        assert_eq!(count(APP_COLUMNS), APP_COLUMN_COUNT);
        assert_eq!(count(POOL_COLUMNS), POOL_COLUMN_COUNT);
        assert_eq!(count(APP_AND_POOL_COLUMNS), APP_AND_POOL_COLUMN_COUNT);
    }
}
