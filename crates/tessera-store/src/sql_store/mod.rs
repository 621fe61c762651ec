//! The `Store` implementation. Each method is one statement or one transaction whose first
//! statement writes (so SQLite takes its write lock up front instead of failing to upgrade a
//! read lock under contention).

use std::sync::Arc;

use async_trait::async_trait;
use tessera_core::model::keys::secret_names;
use tessera_core::model::{
    AccessKey, Application, ExternalIdentity, OidcSettings, PoolSettings, SigningKey, User,
    UserPool,
};
use tessera_core::store::{
    AppAndPool, LoginUpdate, NewPool, SessionKey, SessionRead, SessionValidity, Store, UserExtras,
    UserLookup,
};
use tessera_core::{clock, Error, Result, UniqueField};

use crate::connect::{Backend, Pool};
use crate::request_reads::{self, LookupKey};
use crate::rows::{self, col, to_json};
use crate::settings_memo::SettingsMemo;
use crate::sqlite_reads::SqliteReads;

/// Runs `$body` (a block that may use `?` and `return`, and ends in `Ok(…)`) in one
/// transaction named `$tx`, ended by [`finish`].
macro_rules! atomically {
    ($store:expr, $tx:ident, $body:block) => {{
        let mut $tx = $store
            .pool
            .begin()
            .await
            .map_err($crate::sql_store::db_err)?;
        let result: tessera_core::Result<_> = async { $body }.await;
        $crate::sql_store::finish($tx, result).await
    }};
}

mod accounts;
mod apps;
mod asa;
mod audit;
mod authorization;
mod devices;
mod directory;
mod events;
mod ext_oidc;
mod link_tickets;
mod oidc;
mod pool_admin;
mod posts;
mod principal;
mod provisioning;
mod public_accounts;
mod risk;
mod sod;
mod statement;
mod tenant_admins;
mod tenant_config;
mod tenants;
mod unit;
mod users;
mod webauthn;

#[derive(Clone)]
pub struct SqlStore {
    pool: Pool,
    backend: Backend,
    /// On SQLite (a database file), the per-request reads run here (see `sqlite_reads`).
    sqlite_reads: Option<Arc<SqliteReads>>,
    settings: Arc<SettingsMemo>,
    /// On SQLite, this process's writers of the login path take turns here
    /// ([`SqlStore::write_turn`]).
    write_gate: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlStore")
            .field("backend", &self.backend)
            .finish()
    }
}

impl SqlStore {
    pub(crate) fn new(pool: Pool, backend: Backend, sqlite_reads: Option<SqliteReads>) -> SqlStore {
        SqlStore {
            pool,
            backend,
            sqlite_reads: sqlite_reads.map(Arc::new),
            settings: Arc::new(SettingsMemo::new()),
            write_gate: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// A turn to write, on SQLite. SQLite has one writer; two connections of this process
    /// writing at once meet in its busy handler, which sleeps 1, 2, 5, 10… ms between tries
    /// (`sqliteDefaultBusyCallback`), so concurrent logins spent milliseconds asleep with
    /// the lock long free. Queued here, a writer gets the lock the moment the previous one
    /// is done. Only self-contained writes take a turn (one statement, or one transaction that
    /// calls nothing else that takes one), so a turn never waits on itself; other processes
    /// still meet in the busy handler. PostgreSQL locks rows, not the database: no turn.
    pub(crate) async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_gate.lock().await),
            Backend::Postgres => None,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for tests and tools that need raw SQL.
    pub fn pool(&self) -> &sqlx::AnyPool {
        &self.pool
    }

    /// Closes every connection (graceful shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Ends a transaction: commits on success, rolls back at once on failure. A dropped
/// transaction rolls back only when its connection is next used, and on SQLite would hold
/// the write lock until then.
pub(crate) async fn finish<T>(
    tx: sqlx::Transaction<'_, sqlx::Any>,
    result: Result<T>,
) -> Result<T> {
    match result {
        Ok(v) => {
            tx.commit().await.map_err(db_err)?;
            Ok(v)
        }
        Err(e) => {
            tx.rollback().await.map_err(db_err)?;
            Err(e)
        }
    }
}

/// Which unique index a violation hit, from PostgreSQL's index name or SQLite's
/// `UNIQUE constraint failed: table.col, …` message.
const UNIQUE_INDEXES: [(&str, &str, UniqueField); 5] = [
    ("users_email_uq", "users.email_key", UniqueField::Email),
    ("users_username_uq", "users.username", UniqueField::Username),
    ("users_phone_uq", "users.phone", UniqueField::Phone),
    (
        "users_external_id_uq",
        "users.external_id",
        UniqueField::ExternalId,
    ),
    (
        "external_identities_uq",
        "external_identities.user_id_in_idp",
        UniqueField::ExternalId,
    ),
];

/// Maps a database error to the core's error; a unique violation on a user or identity
/// names the field, so the caller answers with the right Authing code.
pub(crate) fn db_err(e: sqlx::Error) -> Error {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            let constraint = db.constraint().unwrap_or("");
            let message = db.message();
            let hit = UNIQUE_INDEXES
                .iter()
                .find(|(index, columns, _)| constraint == *index || message.contains(columns));
            if let Some((_, _, field)) = hit {
                return Error::AlreadyExists(*field);
            }
        }
    }
    Error::Storage(e.to_string())
}

static APP_INSERT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "INSERT INTO applications ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        rows::APP_COLUMNS
    )
});

fn insert_app_query<'q>(
    sql: &'q str,
    a: &'q Application,
) -> Result<sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>> {
    Ok(sqlx::query(sql)
        .bind(&a.id)
        .bind(&a.pool_id)
        .bind(&a.name)
        .bind(&a.identifier)
        .bind(&a.description)
        .bind(&a.logo)
        .bind(&a.secret)
        .bind(to_json(&a.oidc)?)
        .bind(a.created_at)
        .bind(a.updated_at))
}

async fn insert_pool_rows(tx: &mut sqlx::Transaction<'_, sqlx::Any>, new: &NewPool) -> Result<()> {
    let p = &new.pool;
    sqlx::query(&format!(
        "INSERT INTO user_pools ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        rows::POOL_COLUMNS
    ))
    .bind(&p.id)
    .bind(&p.name)
    .bind(&p.domain)
    .bind(&p.description)
    .bind(&p.logo)
    .bind(&p.secret)
    .bind(to_json(&p.settings)?)
    .bind(p.created_at)
    .bind(p.updated_at)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    insert_app_query(&APP_INSERT, &new.app)?
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    let k = &new.access_key;
    sqlx::query(
        "INSERT INTO access_keys (id, pool_id, secret, enabled, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&k.id)
    .bind(&k.pool_id)
    .bind(&k.secret)
    .bind(i64::from(k.enabled))
    .bind(k.created_at)
    .execute(&mut **tx)
    .await
    .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl Store for SqlStore {
    fn pool_usage(&self) -> Vec<tessera_core::stats::PoolUsage> {
        // `size` counts open connections, idle ones included; both are atomics in sqlx.
        let size = u64::from(self.pool.size());
        let idle = self.pool.num_idle() as u64;
        let mut usage = vec![tessera_core::stats::PoolUsage {
            name: "main",
            in_use: size.saturating_sub(idle),
            idle,
            max: u64::from(self.pool.options().get_max_connections()),
        }];
        if let Some(reads) = &self.sqlite_reads {
            usage.push(reads.usage());
        }
        usage
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(db_err)
    }

    async fn get_secret(&self, name: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM deployment_secrets WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.map(|r| col(&r, "value")).transpose()
    }

    async fn put_secret_if_absent(&self, name: &str, value: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO deployment_secrets (name, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value)
        .bind(clock::now_ms())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        self.get_secret(name)
            .await?
            .ok_or_else(|| Error::Storage(format!("secret {name} vanished after insert")))
    }

    async fn put_secret(&self, name: &str, value: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO deployment_secrets (name, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .bind(clock::now_ms())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn list_signing_keys(&self) -> Result<Vec<SigningKey>> {
        sqlx::query(
            "SELECT kid, private_pem, created_at, retire_at FROM signing_keys ORDER BY created_at, kid",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(rows::signing_key)
        .collect()
    }

    async fn add_first_signing_key(&self, key: &SigningKey) -> Result<bool> {
        atomically!(self, tx, {
            // The marker row serialises racing first starts: only its inserter adds a key.
            let claimed = sqlx::query(
                "INSERT INTO deployment_secrets (name, value, created_at) VALUES ('first_signing_key', $1, $2) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(&key.kid)
            .bind(clock::now_ms())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected()
                == 1;
            if claimed {
                sqlx::query(
                    "INSERT INTO signing_keys (kid, private_pem, created_at, retire_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(&key.kid)
                .bind(&key.private_pem)
                .bind(key.created_at)
                .bind(key.retire_at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            }
            Ok(claimed)
        })
    }

    async fn rotate_signing_key(&self, key: &SigningKey, retire_at: i64) -> Result<()> {
        atomically!(self, tx, {
            sqlx::query("UPDATE signing_keys SET retire_at = $1 WHERE retire_at IS NULL")
                .bind(retire_at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            sqlx::query(
                "INSERT INTO signing_keys (kid, private_pem, created_at, retire_at) VALUES ($1, $2, $3, NULL)",
            )
            .bind(&key.kid)
            .bind(&key.private_pem)
            .bind(key.created_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            Ok(())
        })
    }

    async fn delete_retired_signing_keys(&self, now_ms: i64) -> Result<u64> {
        sqlx::query("DELETE FROM signing_keys WHERE retire_at IS NOT NULL AND retire_at <= $1")
            .bind(now_ms)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
            .map_err(db_err)
    }

    async fn create_pool(&self, new: &NewPool) -> Result<()> {
        atomically!(self, tx, {
            insert_pool_rows(&mut tx, new).await?;
            Ok(())
        })
    }

    async fn bootstrap_pool(&self, new: &NewPool) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        let claimed = sqlx::query(
            "INSERT INTO deployment_secrets (name, value, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(secret_names::BOOTSTRAPPED)
        .bind(&new.pool.id)
        .bind(clock::now_ms())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected()
            == 1;
        if !claimed {
            tx.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        // A store that already has pools (made with `tessera pool create`) is not empty:
        // remember that bootstrap ran, but add nothing.
        let existing: i64 = col(
            &sqlx::query("SELECT COUNT(*) AS n FROM user_pools")
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?,
            "n",
        )?;
        if existing > 0 {
            tx.commit().await.map_err(db_err)?;
            return Ok(false);
        }
        insert_pool_rows(&mut tx, new).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn get_pool(&self, id: &str) -> Result<Option<UserPool>> {
        sqlx::query(&format!(
            "SELECT {} FROM user_pools WHERE id = $1",
            rows::POOL_COLUMNS
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(rows::pool)
        .transpose()
    }

    async fn list_pools(&self) -> Result<Vec<UserPool>> {
        sqlx::query(&format!(
            "SELECT {} FROM user_pools ORDER BY created_at, id",
            rows::POOL_COLUMNS
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(rows::pool)
        .collect()
    }

    async fn max_token_lifetime_secs(&self) -> Result<i64> {
        let mut max = tessera_core::model::pool::DEFAULT_TOKEN_EXPIRES_AFTER;
        for r in sqlx::query("SELECT settings FROM user_pools")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
        {
            let text: String = col(&r, "settings")?;
            if let Ok(s) = serde_json::from_str::<PoolSettings>(&text) {
                max = max.max(s.token_expires_after);
            }
        }
        for r in sqlx::query("SELECT oidc FROM applications")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
        {
            let text: String = col(&r, "oidc")?;
            if let Ok(o) = serde_json::from_str::<OidcSettings>(&text) {
                max = max.max(o.id_token_lifetime).max(o.access_token_lifetime);
            }
        }
        Ok(max)
    }

    async fn insert_app(&self, app: &Application) -> Result<()> {
        insert_app_query(&APP_INSERT, app)?
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn get_app(&self, id: &str) -> Result<Option<Application>> {
        sqlx::query(&format!(
            "SELECT {} FROM applications WHERE id = $1",
            rows::APP_COLUMNS
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(rows::app)
        .transpose()
    }

    async fn get_app_and_pool(&self, id: &str) -> Result<Option<(Application, Option<UserPool>)>> {
        let memo = &self.settings;
        if let Some(reads) = &self.sqlite_reads {
            return reads.app_and_pool(memo, id);
        }
        sqlx::query(&request_reads::APP_AND_POOL_SQL)
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .map(|row| {
                rows::app_and_pool(&row, &|id, text| memo.app_oidc(id, text), &|id, text| {
                    memo.pool_settings(id, text)
                })
            })
            .transpose()
    }

    async fn app_and_pool_with_session(
        &self,
        app_id: &str,
        session: SessionKey<'_>,
    ) -> Result<(Option<AppAndPool>, SessionRead, Option<UserExtras>)> {
        if let Some(reads) = &self.sqlite_reads {
            return reads.app_and_pool_with_session(&self.settings, app_id, session);
        }
        // PostgreSQL: two statements on the pool, as before; its reads take no locks.
        tessera_core::store::app_and_pool_then_session(self, app_id, session).await
    }

    async fn list_apps(&self, pool_id: &str) -> Result<Vec<Application>> {
        sqlx::query(&format!(
            "SELECT {} FROM applications WHERE pool_id = $1 ORDER BY created_at, id",
            rows::APP_COLUMNS
        ))
        .bind(pool_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?
        .iter()
        .map(rows::app)
        .collect()
    }

    async fn get_access_key(&self, id: &str) -> Result<Option<AccessKey>> {
        sqlx::query(
            "SELECT id, pool_id, app_id, secret, enabled, created_at FROM access_keys WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(rows::access_key)
        .transpose()
    }

    async fn remember_nonce(&self, key_id: &str, nonce: &str, expires_at: i64) -> Result<bool> {
        let now = clock::now_ms();
        // Expired nonces go now and then, not on every call: about one call in 64 (by the
        // clock's low bits, which are as good as random for spreading the purge).
        if now % 64 == 0 {
            sqlx::query("DELETE FROM signature_nonces WHERE expires_at < $1")
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
        }
        let done = sqlx::query(
            "INSERT INTO signature_nonces (key_id, nonce, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key_id, nonce) DO NOTHING",
        )
        .bind(key_id)
        .bind(nonce)
        .bind(expires_at)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_user(&self, user: &User) -> Result<()> {
        insert_user_with(&self.pool, user).await
    }

    async fn find_user(&self, pool_id: &str, by: UserLookup<'_>) -> Result<Option<User>> {
        if let Some(reads) = &self.sqlite_reads {
            return reads.find_user(pool_id, by);
        }
        let (i, key) = request_reads::find_user_sql(by);
        let q = sqlx::query(&request_reads::FIND_USER_SQL[i]).bind(pool_id);
        let q = match key {
            LookupKey::One(a) => q.bind(a),
            LookupKey::Two(a, b) => q.bind(a).bind(b),
        };
        q.fetch_optional(&self.pool)
            .await
            .map_err(db_err)?
            .as_ref()
            .map(rows::user)
            .transpose()
    }

    async fn record_login(&self, pool_id: &str, user_id: &str, u: &LoginUpdate) -> Result<()> {
        let _turn = self.write_turn().await;
        // The counters and the history row (the user action log) change together.
        atomically!(self, tx, {
            record_login_with(&mut tx, pool_id, user_id, u).await
        })
    }

    async fn count_users(&self, pool_id: &str) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE pool_id = $1")
            .bind(pool_id)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        col(&row, "n")
    }

    async fn insert_identity(&self, i: &ExternalIdentity) -> Result<()> {
        insert_identity_with(&self.pool, i).await
    }

    async fn user_extras(
        &self,
        pool_id: &str,
        user_id: &str,
        identities: bool,
        custom: Option<&str>,
    ) -> Result<UserExtras> {
        if let Some(reads) = &self.sqlite_reads {
            return reads.user_extras(pool_id, user_id, identities, custom);
        }
        tessera_core::store::user_extras_one_by_one(self, pool_id, user_id, identities, custom)
            .await
    }

    async fn list_identities(&self, pool_id: &str, user_id: &str) -> Result<Vec<ExternalIdentity>> {
        if let Some(reads) = &self.sqlite_reads {
            return reads.list_identities(pool_id, user_id);
        }
        sqlx::query(&request_reads::IDENTITIES_SQL)
            .bind(pool_id)
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(rows::identity)
            .collect()
    }

    async fn find_user_by_identity(
        &self,
        pool_id: &str,
        provider: &str,
        user_id_in_idp: &str,
    ) -> Result<Option<User>> {
        let cols: Vec<String> = rows::USER_COLUMNS
            .split(',')
            .map(|c| format!("u.{}", c.trim()))
            .collect();
        sqlx::query(&format!(
            "SELECT {} FROM users u JOIN external_identities i ON i.user_id = u.id \
             WHERE i.pool_id = $1 AND i.provider = $2 AND i.user_id_in_idp = $3 \
             ORDER BY i.created_at LIMIT 1",
            cols.join(", ")
        ))
        .bind(pool_id)
        .bind(provider)
        .bind(user_id_in_idp)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(rows::user)
        .transpose()
    }

    async fn find_user_by_conn_identity(
        &self,
        pool_id: &str,
        provider: &str,
        connection_id: &str,
        user_id_in_idp: &str,
    ) -> Result<Option<User>> {
        let cols: Vec<String> = rows::USER_COLUMNS
            .split(',')
            .map(|c| format!("u.{}", c.trim()))
            .collect();
        sqlx::query(&format!(
            "SELECT {} FROM users u JOIN external_identities i ON i.user_id = u.id \
             WHERE i.pool_id = $1 AND i.provider = $2 AND i.connection_id = $3 \
             AND i.user_id_in_idp = $4",
            cols.join(", ")
        ))
        .bind(pool_id)
        .bind(provider)
        .bind(connection_id)
        .bind(user_id_in_idp)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?
        .as_ref()
        .map(rows::user)
        .transpose()
    }

    async fn revoke_token(&self, jti: &str, pool_id: &str, expires_at_ms: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO revoked_tokens (jti, pool_id, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (jti) DO NOTHING",
        )
        .bind(jti)
        .bind(pool_id)
        .bind(expires_at_ms)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn find_session_user(
        &self,
        pool_id: &str,
        user_id: &str,
        jti: &str,
    ) -> Result<(Option<User>, bool)> {
        if let Some(reads) = &self.sqlite_reads {
            return reads.session_user(pool_id, user_id, jti);
        }
        let row = sqlx::query(&request_reads::SESSION_USER_SQL)
            .bind(pool_id)
            .bind(user_id)
            .bind(jti)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        request_reads::session_user_row(&row)
    }

    async fn session_validity(
        &self,
        pool_id: &str,
        user_id: &str,
        jti: &str,
    ) -> Result<(Option<SessionValidity>, bool)> {
        if let Some(reads) = &self.sqlite_reads {
            return reads.session_validity(pool_id, user_id, jti);
        }
        let row = sqlx::query(request_reads::SESSION_VALIDITY_SQL)
            .bind(pool_id)
            .bind(user_id)
            .bind(jti)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        request_reads::session_validity_row(&row)
    }

    async fn is_token_revoked(&self, jti: &str) -> Result<bool> {
        if let Some(reads) = &self.sqlite_reads {
            return reads.is_token_revoked(jti);
        }
        let row = sqlx::query(request_reads::REVOKED_SQL)
            .bind(jti)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(row.is_some())
    }

    async fn purge_expired(&self, now_ms: i64) -> Result<u64> {
        let day = 86_400_000;
        let statements: [(&str, i64); 21] = [
            ("DELETE FROM revoked_tokens WHERE expires_at < $1", now_ms),
            // Codes and refresh tokens go with their grants (ON DELETE CASCADE); a grant
            // lives as long as anything issued under it.
            ("DELETE FROM oidc_grants WHERE expires_at < $1", now_ms),
            // A device forgotten by time: no grant left (the statement above ran first) and
            // no sign-in for 90 days. A user's list shows where they are or were lately
            // signed in, not every browser they ever used.
            (
                "DELETE FROM user_devices WHERE last_login_at < $1 AND NOT EXISTS \
                 (SELECT 1 FROM oidc_grants g WHERE g.pool_id = user_devices.pool_id \
                 AND g.user_id = user_devices.user_id AND g.device_id = user_devices.device_id)",
                now_ms - 90 * day,
            ),
            ("DELETE FROM oidc_codes WHERE expires_at < $1", now_ms - day),
            (
                "DELETE FROM oidc_refresh_tokens WHERE expires_at < $1",
                now_ms,
            ),
            ("DELETE FROM oidc_sessions WHERE expires_at < $1", now_ms),
            (
                "DELETE FROM oidc_interactions WHERE expires_at < $1",
                now_ms,
            ),
            (
                "DELETE FROM oidc_device_codes WHERE expires_at < $1",
                now_ms,
            ),
            (
                "DELETE FROM verification_codes WHERE expires_at < $1",
                now_ms - day,
            ),
            ("DELETE FROM sessions WHERE expires_at < $1", now_ms),
            ("DELETE FROM mfa_enrollments WHERE expires_at < $1", now_ms),
            (
                "DELETE FROM webauthn_ceremonies WHERE expires_at < $1",
                now_ms,
            ),
            ("DELETE FROM mfa_tickets WHERE expires_at < $1", now_ms),
            ("DELETE FROM link_tickets WHERE expires_at < $1", now_ms),
            ("DELETE FROM ext_oidc_flows WHERE expires_at < $1", now_ms),
            // An unaccepted invitation stays listed (as expired) for 30 days past its expiry.
            (
                "DELETE FROM tenant_invitations WHERE accepted_at IS NULL AND expires_at < $1",
                now_ms - 30 * day,
            ),
            // Published events: a subscriber reads what was published after it subscribed,
            // within a second or so; an hour keeps late readers served and the table small.
            (
                "DELETE FROM events WHERE created_at < $1",
                now_ms - 3_600_000,
            ),
            // QR-code and push logins: inert once expired.
            ("DELETE FROM qr_logins WHERE expires_at < $1", now_ms),
            ("DELETE FROM rate_events WHERE at < $1", now_ms - 7 * day),
            // Risk-list entries whose scheduled removal has come (0 = never).
            (
                "DELETE FROM risk_ip_entries WHERE expire_at > 0 AND expire_at < $1",
                now_ms,
            ),
            (
                "DELETE FROM risk_user_entries WHERE expire_at > 0 AND expire_at < $1",
                now_ms,
            ),
        ];
        let mut total = 0;
        for (sql, cutoff) in statements {
            total += sqlx::query(sql)
                .bind(cutoff)
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
        }
        Ok(total)
    }
}

/// Inserts a user through any executor (the pool, or a transaction that writes more).
pub(crate) async fn insert_user_with<'c, E>(exec: E, user: &User) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let placeholders: Vec<String> = (1..=rows::USER_COLUMN_COUNT)
        .map(|i| format!("${i}"))
        .collect();
    let sql = format!(
        "INSERT INTO users ({}) VALUES ({})",
        rows::USER_COLUMNS,
        placeholders.join(", ")
    );
    rows::bind_user(sqlx::query(&sql), user)?
        .execute(exec)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Inserts an external identity through any executor.
pub(crate) async fn insert_identity_with<'c, E>(exec: E, i: &ExternalIdentity) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    sqlx::query(&format!(
        "INSERT INTO external_identities ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        rows::IDENTITY_COLUMNS
    ))
    .bind(&i.id)
    .bind(&i.pool_id)
    .bind(&i.user_id)
    .bind(&i.provider)
    .bind(i.connection_id.clone().unwrap_or_default())
    .bind(&i.user_id_in_idp)
    .bind(&i.openid)
    .bind(i64::from(i.is_social))
    .bind(&i.user_info_in_idp)
    .bind(&i.access_token)
    .bind(&i.refresh_token)
    .bind(i.created_at)
    .bind(i.updated_at)
    .execute(exec)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// A login counted on the user and added to the login history, on `conn` (a transaction:
/// the two writes belong together).
pub(crate) async fn record_login_with(
    conn: &mut sqlx::AnyConnection,
    pool_id: &str,
    user_id: &str,
    u: &LoginUpdate,
) -> Result<()> {
    sqlx::query(
        "UPDATE users SET logins_count = logins_count + 1, last_login = $1, last_ip = $2, \
         device = $3, browser = $4 WHERE pool_id = $5 AND id = $6",
    )
    .bind(u.at_ms)
    .bind(&u.ip)
    .bind(&u.device)
    .bind(&u.browser)
    .bind(pool_id)
    .bind(user_id)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    sqlx::query(
        "INSERT INTO login_history (id, pool_id, user_id, app_id, success, method, code, ip, \
         user_agent, created_at) VALUES ($1, $2, $3, $4, 1, 'login', NULL, $5, $6, $7)",
    )
    .bind(tessera_core::ids::new_id())
    .bind(pool_id)
    .bind(user_id)
    .bind(&u.app_id)
    .bind(&u.ip)
    .bind(&u.browser)
    .bind(u.at_ms)
    .execute(&mut *conn)
    .await
    .map_err(db_err)?;
    Ok(())
}
