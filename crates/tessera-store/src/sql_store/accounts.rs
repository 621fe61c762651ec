//! [`AccountStore`] on SQL.

use async_trait::async_trait;
use tessera_core::model::{User, UserPool};
use tessera_core::store::{
    AccountStore, CodeRecord, ProfileField, UdfDefinition, UserChange, UserField,
};
use tessera_core::{clock, Error, Result};

use super::{db_err, SqlStore};
use crate::rows::{self, col, to_json};

fn code(row: &sqlx::any::AnyRow) -> Result<CodeRecord> {
    Ok(CodeRecord {
        id: col(row, "id")?,
        pool_id: col(row, "pool_id")?,
        channel: col(row, "channel")?,
        target: col(row, "target")?,
        scene: col(row, "scene")?,
        code_hash: col(row, "code_hash")?,
        attempts: col(row, "attempts")?,
        max_attempts: col(row, "max_attempts")?,
        expires_at: col(row, "expires_at")?,
        created_at: col(row, "created_at")?,
    })
}

fn udf_definition(row: &sqlx::any::AnyRow) -> Result<UdfDefinition> {
    crate::rows::udf_definition_at(row, 0)
}

/// `$from, $from+1, …` for an IN list of `n` values.
fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait]
impl AccountStore for SqlStore {
    async fn update_pool(&self, p: &UserPool, expected_version: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE user_pools SET name = $1, description = $2, logo = $3, settings = $4, \
             updated_at = $5, domain = $6 WHERE id = $7 AND updated_at = $8",
        )
        .bind(&p.name)
        .bind(&p.description)
        .bind(&p.logo)
        .bind(to_json(&p.settings)?)
        .bind(p.updated_at)
        .bind(&p.domain)
        .bind(&p.id)
        .bind(expected_version)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 1 {
            return Ok(true);
        }
        let exists = sqlx::query("SELECT 1 AS one FROM user_pools WHERE id = $1")
            .bind(&p.id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        match exists {
            Some(_) => Ok(false),
            None => Err(Error::PoolNotFound),
        }
    }

    async fn set_pool_secret(&self, pool_id: &str, secret: &str, at_ms: i64) -> Result<()> {
        // `updated_at` is the pool's version for read-modify-write updates: it must only
        // grow, or a writer holding an older read could find its version again (ABA) and
        // overwrite what changed in between.
        let n = sqlx::query(
            "UPDATE user_pools SET secret = $1, \
             updated_at = CASE WHEN updated_at >= $2 THEN updated_at + 1 ELSE $2 END \
             WHERE id = $3",
        )
        .bind(secret)
        .bind(at_ms)
        .bind(pool_id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 0 {
            return Err(Error::PoolNotFound);
        }
        Ok(())
    }

    async fn change_user(
        &self,
        pool_id: &str,
        user_id: &str,
        change: &UserChange,
        at_ms: i64,
    ) -> Result<Option<User>> {
        let (sql, values) = user_change_statement(change, at_ms)?;
        let mut q = sqlx::query(&sql);
        for v in values {
            q = match v {
                Val::Text(t) => q.bind(t),
                Val::Int(i) => q.bind(i),
                Val::NullInt => q.bind(Option::<i64>::None),
            };
        }
        let row = q
            .bind(pool_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        if let Some(row) = row {
            return rows::user(&row).map(Some);
        }
        // Nothing matched: either there is no such user, or the precondition failed.
        let exists = sqlx::query("SELECT 1 AS one FROM users WHERE pool_id = $1 AND id = $2")
            .bind(pool_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        match exists {
            Some(_) => Ok(None),
            None => Err(Error::UserNotFound),
        }
    }

    async fn password_security_level(&self, pool_id: &str, user_id: &str) -> Result<Option<i64>> {
        let row =
            sqlx::query("SELECT password_security_level FROM users WHERE pool_id = $1 AND id = $2")
                .bind(pool_id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
        match row {
            Some(r) => col(&r, "password_security_level"),
            None => Err(Error::UserNotFound),
        }
    }

    async fn insert_code(&self, c: &CodeRecord, not_since: i64) -> Result<bool> {
        // The insert goes first (and is undone if a recent code exists) so that SQLite takes
        // its write lock before reading: two racing sends then serialise on the lock.
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query(
            "INSERT INTO verification_codes (id, pool_id, channel, target, scene, code_hash, \
             attempts, max_attempts, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9)",
        )
        .bind(&c.id)
        .bind(&c.pool_id)
        .bind(&c.channel)
        .bind(&c.target)
        .bind(&c.scene)
        .bind(&c.code_hash)
        .bind(c.max_attempts)
        .bind(c.expires_at)
        .bind(c.created_at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let recent: i64 = col(
            &sqlx::query(
                "SELECT COUNT(*) AS n FROM verification_codes WHERE pool_id = $1 AND channel = $2 \
                 AND target = $3 AND scene = $4 AND created_at > $5 AND id <> $6",
            )
            .bind(&c.pool_id)
            .bind(&c.channel)
            .bind(&c.target)
            .bind(&c.scene)
            .bind(not_since)
            .bind(&c.id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?,
            "n",
        )?;
        if recent > 0 {
            tx.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn replace_code(&self, c: &CodeRecord) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query(
            "DELETE FROM verification_codes WHERE pool_id = $1 AND channel = $2 \
             AND target = $3 AND scene = $4 AND consumed_at IS NULL",
        )
        .bind(&c.pool_id)
        .bind(&c.channel)
        .bind(&c.target)
        .bind(&c.scene)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO verification_codes (id, pool_id, channel, target, scene, code_hash, \
             attempts, max_attempts, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9)",
        )
        .bind(&c.id)
        .bind(&c.pool_id)
        .bind(&c.channel)
        .bind(&c.target)
        .bind(&c.scene)
        .bind(&c.code_hash)
        .bind(c.max_attempts)
        .bind(c.expires_at)
        .bind(c.created_at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn recent_codes(
        &self,
        pool_id: &str,
        channel: &str,
        target: &str,
        scenes: &[&str],
        limit: i64,
    ) -> Result<Vec<CodeRecord>> {
        if scenes.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, pool_id, channel, target, scene, code_hash, attempts, max_attempts, \
             expires_at, created_at FROM verification_codes \
             WHERE pool_id = $1 AND channel = $2 AND target = $3 AND consumed_at IS NULL \
             AND scene IN ({}) ORDER BY created_at DESC, id DESC LIMIT {}",
            placeholders(4, scenes.len()),
            limit.clamp(1, 100)
        );
        let mut q = sqlx::query(&sql).bind(pool_id).bind(channel).bind(target);
        for s in scenes {
            q = q.bind(*s);
        }
        q.fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(code)
            .collect()
    }

    async fn bump_code_attempts(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE verification_codes SET attempts = attempts + 1 WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn consume_code(&self, id: &str, at: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE verification_codes SET consumed_at = $1 WHERE id = $2 AND consumed_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n == 1)
    }

    async fn add_rate_event(&self, pool_id: &str, kind: &str, key: &str, at: i64) -> Result<()> {
        let _turn = self.write_turn().await;
        add_rate_event_with(&self.pool, pool_id, kind, key, at).await
    }

    async fn count_rate_events(
        &self,
        pool_id: &str,
        kind: &str,
        key: &str,
        since: i64,
    ) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM rate_events \
             WHERE pool_id = $1 AND kind = $2 AND key = $3 AND at > $4",
        )
        .bind(pool_id)
        .bind(kind)
        .bind(key)
        .bind(since)
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)?;
        col(&row, "n")
    }

    async fn count_rate_events_by_key(
        &self,
        pool_id: &str,
        kind: &str,
        keys: &[&str],
        since: i64,
    ) -> Result<Vec<i64>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT key, COUNT(*) AS n FROM rate_events \
             WHERE pool_id = $1 AND kind = $2 AND at > $3 AND key IN ({}) GROUP BY key",
            placeholders(4, keys.len())
        );
        let mut q = sqlx::query(&sql).bind(pool_id).bind(kind).bind(since);
        for k in keys {
            q = q.bind(*k);
        }
        let rows = q.fetch_all(&self.pool).await.map_err(db_err)?;
        let mut counts = vec![0i64; keys.len()];
        for row in &rows {
            let key: String = col(row, "key")?;
            let n: i64 = col(row, "n")?;
            for (i, k) in keys.iter().enumerate() {
                if *k == key {
                    counts[i] = n;
                }
            }
        }
        Ok(counts)
    }

    async fn clear_rate_events(&self, pool_id: &str, kind: &str, key: &str) -> Result<()> {
        let _turn = self.write_turn().await;
        sqlx::query("DELETE FROM rate_events WHERE pool_id = $1 AND kind = $2 AND key = $3")
            .bind(pool_id)
            .bind(kind)
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn add_whitelist(
        &self,
        pool_id: &str,
        kind: &str,
        entries: &[(String, String)],
    ) -> Result<()> {
        let now = clock::now_ms();
        atomically!(self, tx, {
            for (value, key) in entries {
                sqlx::query(
                    "INSERT INTO whitelist_entries (pool_id, type, value, value_key, created_at, \
                     updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
                     ON CONFLICT (pool_id, type, value_key) DO NOTHING",
                )
                .bind(pool_id)
                .bind(kind)
                .bind(value)
                .bind(key)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
            Ok(())
        })
    }

    async fn is_whitelisted(&self, pool_id: &str, kind: &str, key: &str) -> Result<bool> {
        Ok(sqlx::query(
            "SELECT 1 AS one FROM whitelist_entries WHERE pool_id = $1 AND type = $2 \
             AND value_key = $3",
        )
        .bind(pool_id)
        .bind(kind)
        .bind(key)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .is_some())
    }

    async fn put_udf_definition(&self, d: &UdfDefinition) -> Result<()> {
        let now = clock::now_ms();
        sqlx::query(
            "INSERT INTO udf_definitions (pool_id, target_type, key, data_type, label, options, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             ON CONFLICT (pool_id, target_type, key) DO UPDATE SET data_type = $4, label = $5, \
             options = $6, updated_at = $7",
        )
        .bind(&d.pool_id)
        .bind(&d.target_type)
        .bind(&d.key)
        .bind(&d.data_type)
        .bind(&d.label)
        .bind(&d.options)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn list_udf_definitions(
        &self,
        pool_id: &str,
        target_type: &str,
    ) -> Result<Vec<UdfDefinition>> {
        if let Some(reads) = &self.sqlite_reads {
            return reads.list_udf_definitions(pool_id, target_type);
        }
        sqlx::query(crate::request_reads::UDF_DEFINITIONS_SQL)
            .bind(pool_id)
            .bind(target_type)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(udf_definition)
            .collect()
    }

    async fn udf_values(
        &self,
        pool_id: &str,
        target_type: &str,
        target_id: &str,
    ) -> Result<Vec<(String, String)>> {
        sqlx::query(
            "SELECT key, value FROM udf_values WHERE pool_id = $1 AND target_type = $2 \
             AND target_id = $3 ORDER BY key",
        )
        .bind(pool_id)
        .bind(target_type)
        .bind(target_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(|r| Ok((col(r, "key")?, col(r, "value")?)))
        .collect()
    }

    async fn set_udf_values(
        &self,
        pool_id: &str,
        target_type: &str,
        target_id: &str,
        values: &[(String, String)],
    ) -> Result<()> {
        let rows: Vec<(String, String, String)> = values
            .iter()
            .map(|(k, v)| (target_id.to_owned(), k.clone(), v.clone()))
            .collect();
        tessera_core::store::PoolAdminStore::set_udf_values_many(self, pool_id, target_type, &rows)
            .await
    }

    async fn remove_udf_value(
        &self,
        pool_id: &str,
        target_type: &str,
        target_id: &str,
        key: &str,
    ) -> Result<()> {
        sqlx::query(
            "DELETE FROM udf_values WHERE pool_id = $1 AND target_type = $2 AND target_id = $3 \
             AND key = $4",
        )
        .bind(pool_id)
        .bind(target_type)
        .bind(target_id)
        .bind(key)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }
}

/// A bound value of a dynamic statement.
enum Val {
    Text(Option<String>),
    Int(i64),
    NullInt,
}

fn profile_column(f: ProfileField) -> &'static str {
    match f {
        ProfileField::Nickname => "nickname",
        ProfileField::Photo => "photo",
        ProfileField::Company => "company",
        ProfileField::Name => "name",
        ProfileField::GivenName => "given_name",
        ProfileField::FamilyName => "family_name",
        ProfileField::MiddleName => "middle_name",
        ProfileField::Profile => "profile",
        ProfileField::PreferredUsername => "preferred_username",
        ProfileField::Website => "website",
        ProfileField::Gender => "gender",
        ProfileField::Birthdate => "birthdate",
        ProfileField::Zoneinfo => "zoneinfo",
        ProfileField::Locale => "locale",
        ProfileField::Address => "address",
        ProfileField::Formatted => "formatted",
        ProfileField::StreetAddress => "street_address",
        ProfileField::Locality => "locality",
        ProfileField::Region => "region",
        ProfileField::PostalCode => "postal_code",
        ProfileField::City => "city",
        ProfileField::Province => "province",
        ProfileField::Country => "country",
        ProfileField::Oauth => "oauth",
    }
}

/// [`user_change_statement`] run on one connection (a unit of work's): whether a row was
/// written.
pub(super) async fn change_user_on(
    conn: &mut sqlx::AnyConnection,
    pool_id: &str,
    user_id: &str,
    change: &UserChange,
    at_ms: i64,
) -> Result<bool> {
    let (sql, values) = user_change_statement(change, at_ms)?;
    let mut q = sqlx::query(&sql);
    for v in values {
        q = match v {
            Val::Text(t) => q.bind(t),
            Val::Int(i) => q.bind(i),
            Val::NullInt => q.bind(Option::<i64>::None),
        };
    }
    let row = q
        .bind(pool_id)
        .bind(user_id)
        .fetch_optional(conn)
        .await
        .map_err(db_err)?;
    Ok(row.is_some())
}

/// `UPDATE users SET <only the named columns>, updated_at … WHERE pool_id AND id [AND the
/// password is still the expected one] RETURNING <the row>`. Column names come from this
/// table, never from the caller; values are always bound. The pool id and user id are the
/// last two parameters.
fn user_change_statement(change: &UserChange, at_ms: i64) -> Result<(String, Vec<Val>)> {
    let mut sets: Vec<String> = Vec::new();
    let mut vals: Vec<Val> = Vec::new();
    let mut set = |column: &str, v: Val| {
        vals.push(v);
        sets.push(format!("{column} = ${}", vals.len()));
    };
    let flag = |b: bool| Val::Int(i64::from(b));
    for field in &change.fields {
        match field {
            UserField::Username(v) => set("username", Val::Text(v.clone())),
            UserField::Email(v) => {
                set("email", Val::Text(v.clone()));
                let key = v
                    .as_deref()
                    .map(tessera_core::rules::identifiers::email_key);
                set("email_key", Val::Text(key));
            }
            UserField::EmailVerified(b) => set("email_verified", flag(*b)),
            UserField::Phone {
                number,
                country_code,
            } => {
                set("phone", Val::Text(number.clone()));
                set("phone_country_code", Val::Text(country_code.clone()));
            }
            UserField::PhoneVerified(b) => set("phone_verified", flag(*b)),
            UserField::Unionid(v) => set("unionid", Val::Text(v.clone())),
            UserField::Openid(v) => set("openid", Val::Text(v.clone())),
            UserField::ExternalId(v) => set("external_id", Val::Text(v.clone())),
            UserField::Status(s) => set("status", Val::Text(Some(s.as_str().to_owned()))),
            UserField::Blocked(b) => set("blocked", flag(*b)),
            UserField::IsDeleted(b) => set("is_deleted", flag(*b)),
            UserField::RegisterSource(v) => set("register_source", Val::Text(Some(to_json(v)?))),
            UserField::PasswordHash(v) => {
                set("password_hash", Val::Text(v.clone()));
                set("password_updated_at", Val::Int(at_ms));
            }
            UserField::PasswordSecurityLevel(l) => set(
                "password_security_level",
                match l {
                    Some(l) => Val::Int(*l),
                    None => Val::NullInt,
                },
            ),
            UserField::ResetPasswordOnNextLogin(b) => set("reset_password_on_next_login", flag(*b)),
            UserField::PrimaryUserId(v) => set("primary_user_id", Val::Text(v.clone())),
            UserField::Profile(p, v) => set(profile_column(*p), Val::Text(v.clone())),
            UserField::LastIp(v) => set("last_ip", Val::Text(v.clone())),
            UserField::Device(v) => set("device", Val::Text(v.clone())),
            UserField::Browser(v) => set("browser", Val::Text(v.clone())),
            UserField::TokensValidAfter(t) => set("tokens_valid_after", Val::Int(*t)),
            UserField::MfaRules(r) => set("mfa_rules", Val::Text(rows::mfa_rules_json(r)?)),
            UserField::PublicAccount(b) => set("public_account", flag(*b)),
        }
    }
    set("updated_at", Val::Int(at_ms));
    let guard = match &change.expect_password {
        None => String::new(),
        Some(None) => " AND password_hash IS NULL".to_owned(),
        Some(Some(h)) => {
            vals.push(Val::Text(Some(h.clone())));
            format!(" AND password_hash = ${}", vals.len())
        }
    };
    let n = vals.len();
    let sql = format!(
        "UPDATE users SET {} WHERE pool_id = ${} AND id = ${}{guard} RETURNING {}",
        sets.join(", "),
        n + 1,
        n + 2,
        rows::USER_COLUMNS
    );
    Ok((sql, vals))
}

/// One event counted in a rate window.
pub(crate) async fn add_rate_event_with<'c, E>(
    exec: E,
    pool_id: &str,
    kind: &str,
    key: &str,
    at: i64,
) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query("INSERT INTO rate_events (pool_id, kind, key, at) VALUES ($1, $2, $3, $4)")
        .bind(pool_id)
        .bind(kind)
        .bind(key)
        .bind(at)
        .execute(exec)
        .await
        .map_err(db_err)?;
    Ok(())
}
