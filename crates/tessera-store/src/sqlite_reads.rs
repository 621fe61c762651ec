//! The SQLite read path of the per-request reads (an application with its pool, a session's
//! user with its token's revocation, a user, identities, custom-field definitions).
//!
//! sqlx runs each SQLite connection on a worker thread of its own: every statement was a hand-off
//! to that thread and back (two thread switches, each a kernel wake-up), and its `Any` driver
//! copied every column into an intermediate row. Here the statements run on rusqlite
//! connections (the same `libsqlite3-sys`, so one SQLite in the binary), on the calling
//! thread, and decode straight from SQLite's row into the model (`rows::Cols`).
//!
//! Running on the calling (async worker) thread is sound because each statement is a read
//! through an index that returns at most a few rows, and in WAL mode a reader never waits for
//! the writer: it costs microseconds, less than the thread switches a hand-off would. Writes
//! stay on sqlx's pool. Nothing is kept between calls but open connections and prepared
//! statements: every call reads the database, so a change by another process is seen at once.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Row};
use tessera_core::model::{Application, ExternalIdentity, User, UserPool};
use tessera_core::store::{
    AppAndPool, CustomData, SessionKey, SessionRead, SessionValidity, UdfDefinition, UserExtras,
    UserLookup,
};
use tessera_core::{Error, Result};

use crate::request_reads::{
    find_user_sql, session_user_at, session_user_row, session_validity_at, session_validity_row,
    LookupKey, APP_AND_POOL_SQL, APP_POOL_SESSION_USER_SQL, APP_POOL_SESSION_VALIDITY_SQL,
    FIND_USER_SQL, IDENTITIES_SQL, REVOKED_SQL, SESSION_USER_SQL, SESSION_VALIDITY_SQL,
    UDF_DEFINITIONS_SQL,
};
use crate::rows::{self, Cols};
use crate::settings_memo::SettingsMemo;
use crate::wal_read_lock::WalReadLock;

/// Idle connections kept for reuse. Calls run on the async workers (one per core) and, rarely,
/// on a blocking thread; more idle connections than that would only hold memory.
const MAX_IDLE: usize = 4;

/// How long a read waits on a lock before failing. A WAL reader only meets one while another
/// connection recovers the WAL index after a crash, which is brief.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

fn read_err(e: rusqlite::Error) -> Error {
    Error::Storage(format!("sqlite read: {e}"))
}

impl Cols for Row<'_> {
    fn text(&self, i: usize) -> Result<String> {
        self.get(i).map_err(read_err)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        self.get(i).map_err(read_err)
    }
    fn int(&self, i: usize) -> Result<i64> {
        self.get(i).map_err(read_err)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        self.get(i).map_err(read_err)
    }
    fn with_text<T>(&self, i: usize, f: &dyn Fn(&str) -> Result<T>) -> Result<T> {
        let value = self.get_ref(i).map_err(read_err)?;
        f(value.as_str().map_err(|e| {
            read_err(rusqlite::Error::FromSqlConversionFailure(
                i,
                value.data_type(),
                Box::new(e),
            ))
        })?)
    }
}

/// A few read-only connections to one SQLite database file, lent out one call at a time.
pub(crate) struct SqliteReads {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// Connections lent out now, for `Store::pool_usage`.
    in_use: AtomicU64,
    sql: Statements,
    /// A read lock kept between reads while the database is not written (`wal_read_lock`).
    lock: WalReadLock,
}

/// The shared statements (`request_reads`) with SQLite's numbered parameters: `$n` is a
/// *named* parameter to SQLite, numbered by first appearance, while `?n` is parameter `n`.
struct Statements {
    app_and_pool: String,
    session_user: String,
    session_validity: String,
    app_pool_session_user: String,
    app_pool_session_validity: String,
    find_user: [String; 5],
    revoked: String,
    identities: String,
    udf_definitions: String,
}

/// `sql` with each `$n` written `?n`.
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

impl Statements {
    fn new() -> Statements {
        Statements {
            app_and_pool: numbered(&APP_AND_POOL_SQL),
            session_user: numbered(&SESSION_USER_SQL),
            session_validity: numbered(SESSION_VALIDITY_SQL),
            app_pool_session_user: numbered(&APP_POOL_SESSION_USER_SQL),
            app_pool_session_validity: numbered(&APP_POOL_SESSION_VALIDITY_SQL),
            find_user: FIND_USER_SQL.each_ref().map(|s| numbered(s)),
            revoked: numbered(REVOKED_SQL),
            identities: numbered(&IDENTITIES_SQL),
            udf_definitions: numbered(UDF_DEFINITIONS_SQL),
        }
    }
}

impl std::fmt::Debug for SqliteReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteReads")
            .field("path", &self.path)
            .finish()
    }
}

/// The first row of `sql` with `params` on `conn`, decoded by `decode`, or `None`.
fn first_row<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    decode: impl FnOnce(&Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(read_err)?;
    let mut rows = stmt.query(params).map_err(read_err)?;
    match rows.next().map_err(read_err)? {
        Some(row) => decode(row).map(Some),
        None => Ok(None),
    }
}

/// A user's custom-field values (the statement of `udf_values` in `sql_store/accounts.rs`).
const UDF_VALUES_SQL: &str = "SELECT key, value FROM udf_values WHERE pool_id = ?1 \
     AND target_type = ?2 AND target_id = ?3 ORDER BY key";

/// Every row of `sql` with `params` on `conn`, decoded by `decode`.
fn all_rows<T, P: rusqlite::Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    decode: impl Fn(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql).map_err(read_err)?;
    let mut rows = stmt.query(params).map_err(read_err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(read_err)? {
        out.push(decode(row)?);
    }
    Ok(out)
}

/// The database file of a `sqlite:` URL, or `None` for an in-memory database (which another
/// connection cannot open: its reads stay on sqlx's pool).
pub(crate) fn database_file(url: &str) -> Option<PathBuf> {
    use std::str::FromStr;
    if url.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
    let file = options.get_filename();
    (!file.as_os_str().is_empty()).then(|| file.to_path_buf())
}

impl SqliteReads {
    /// Reads from `path`, a database already created and migrated (connections open lazily).
    pub(crate) fn new(path: &Path) -> SqliteReads {
        SqliteReads {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::new()),
            in_use: AtomicU64::new(0),
            sql: Statements::new(),
            lock: WalReadLock::default(),
        }
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        // The list only ever holds whole connections, so a poisoned lock is still consistent.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn open(&self) -> Result<Connection> {
        // Read-write, not read-only: a WAL reader may need to create the shared-memory index.
        // `query_only` makes any write through this connection fail instead.
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(read_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(read_err)?;
        conn.pragma_update(None, "query_only", "ON")
            .map_err(read_err)?;
        Ok(conn)
    }

    /// Connections lent out and kept idle now. There is no cap on lent-out connections
    /// (each call on its own thread needs one), so `max` is the most kept idle.
    pub(crate) fn usage(&self) -> tessera_core::stats::PoolUsage {
        tessera_core::stats::PoolUsage {
            name: "sqlite-reads",
            in_use: self.in_use.load(Ordering::Relaxed),
            idle: self.idle().len() as u64,
            max: MAX_IDLE as u64,
        }
    }

    /// Runs `f` on an idle connection (or a new one), then keeps it for the next call. A
    /// connection left inside a transaction (a failed `COMMIT`) is closed instead of kept,
    /// which ends the transaction.
    fn with<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.lock.hold(|| self.open());
        let reused = self.idle().pop();
        let conn = match reused {
            Some(c) => c,
            None => self.open()?,
        };
        self.in_use.fetch_add(1, Ordering::Relaxed);
        let out = f(&conn);
        self.in_use.fetch_sub(1, Ordering::Relaxed);
        if conn.is_autocommit() {
            let mut idle = self.idle();
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        out
    }

    /// Runs `f` inside one read transaction on one connection (one snapshot; the
    /// shared-memory read lock taken and released once), then ends it.
    fn in_transaction<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.with(|conn| {
            let mut begin = conn.prepare_cached("BEGIN").map_err(read_err)?;
            begin.execute([]).map_err(read_err)?;
            let read = f(conn);
            // Always ended: an open read transaction on a kept connection would hold its
            // snapshot, and with it the WAL, until the connection's next use (`with` closes
            // a connection that is still inside one). A failed statement may have ended it.
            let ended = if conn.is_autocommit() {
                Ok(())
            } else {
                conn.prepare_cached("COMMIT")
                    .and_then(|mut commit| commit.execute([]))
                    .map(drop)
                    .map_err(read_err)
            };
            let read = read?;
            ended.map(|()| read)
        })
    }

    /// One row of `sql` with `params`, decoded by `decode`, or `None`.
    fn one<T, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        decode: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<Option<T>> {
        self.with(|conn| first_row(conn, sql, params, decode))
    }

    /// Every row of `sql` with `params`, decoded by `decode`.
    fn all<T, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        decode: impl Fn(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.with(|conn| all_rows(conn, sql, params, decode))
    }

    pub(crate) fn app_and_pool(
        &self,
        memo: &SettingsMemo,
        app_id: &str,
    ) -> Result<Option<(Application, Option<UserPool>)>> {
        self.one(&self.sql.app_and_pool, [app_id], |row| {
            rows::app_and_pool(row, &|id, text| memo.app_oidc(id, text), &|id, text| {
                memo.pool_settings(id, text)
            })
        })
    }

    /// [`Self::app_and_pool`] and the session `key` in one statement (one snapshot; the
    /// shared-memory read lock taken and released once, and no `BEGIN` and `COMMIT`), and
    /// the user's extras when `key.extras` asks for them, in the same read transaction.
    pub(crate) fn app_and_pool_with_session(
        &self,
        memo: &SettingsMemo,
        app_id: &str,
        key: SessionKey<'_>,
    ) -> Result<(Option<AppAndPool>, SessionRead, Option<UserExtras>)> {
        match key.extras.filter(|_| key.whole_user) {
            None => self.with(|conn| {
                let (app, read) = self.app_pool_session(conn, memo, app_id, key)?;
                Ok((app, read, None))
            }),
            Some(want) => self.in_transaction(|conn| {
                let (app, read) = self.app_pool_session(conn, memo, app_id, key)?;
                let extras = match &read {
                    SessionRead::User(Some(_), _) => Some(self.extras_on(
                        conn,
                        key.pool_id,
                        key.user_id,
                        want.identities,
                        want.custom,
                    )?),
                    _ => None,
                };
                Ok((app, read, extras))
            }),
        }
    }

    /// The one statement of [`Self::app_and_pool_with_session`] on `conn`.
    fn app_pool_session(
        &self,
        conn: &Connection,
        memo: &SettingsMemo,
        app_id: &str,
        key: SessionKey<'_>,
    ) -> Result<(Option<AppAndPool>, SessionRead)> {
        let params = [key.pool_id, key.user_id, key.jti, app_id];
        let app = |row: &Row<'_>| -> Result<Option<AppAndPool>> {
            if row.opt_text(0)?.is_none() {
                return Ok(None);
            }
            rows::app_and_pool(row, &|id, text| memo.app_oidc(id, text), &|id, text| {
                memo.pool_settings(id, text)
            })
            .map(Some)
        };
        let at = rows::APP_AND_POOL_COLUMN_COUNT;
        let read = if key.whole_user {
            first_row(conn, &self.sql.app_pool_session_user, params, |row| {
                let (user, revoked) = session_user_at(row, at)?;
                Ok((app(row)?, SessionRead::User(user.map(Box::new), revoked)))
            })?
        } else {
            first_row(conn, &self.sql.app_pool_session_validity, params, |row| {
                let (validity, revoked) = session_validity_at(row, at)?;
                Ok((app(row)?, SessionRead::Validity(validity, revoked)))
            })?
        };
        read.ok_or_else(|| Error::Storage("session read returned no row".into()))
    }

    pub(crate) fn session_user(
        &self,
        pool_id: &str,
        user_id: &str,
        jti: &str,
    ) -> Result<(Option<User>, bool)> {
        self.one(&self.sql.session_user, [pool_id, user_id, jti], |row| {
            session_user_row(row)
        })?
        .ok_or_else(|| Error::Storage("session read returned no row".into()))
    }

    pub(crate) fn session_validity(
        &self,
        pool_id: &str,
        user_id: &str,
        jti: &str,
    ) -> Result<(Option<SessionValidity>, bool)> {
        self.one(&self.sql.session_validity, [pool_id, user_id, jti], |row| {
            session_validity_row(row)
        })?
        .ok_or_else(|| Error::Storage("session read returned no row".into()))
    }

    pub(crate) fn find_user(&self, pool_id: &str, by: UserLookup<'_>) -> Result<Option<User>> {
        let (i, key) = find_user_sql(by);
        let sql = &self.sql.find_user[i];
        let decode = |row: &Row<'_>| rows::user_at(row, 0);
        match key {
            LookupKey::One(a) => self.one(sql, [pool_id, a], decode),
            LookupKey::Two(a, b) => self.one(sql, [pool_id, a, b], decode),
        }
    }

    pub(crate) fn is_token_revoked(&self, jti: &str) -> Result<bool> {
        Ok(self.one(&self.sql.revoked, [jti], |_| Ok(()))?.is_some())
    }

    pub(crate) fn list_identities(
        &self,
        pool_id: &str,
        user_id: &str,
    ) -> Result<Vec<ExternalIdentity>> {
        self.all(&self.sql.identities, [pool_id, user_id], |row| {
            rows::identity_at(row, 0)
        })
    }

    /// [`tessera_core::store::Store::user_extras`] in one read transaction.
    pub(crate) fn user_extras(
        &self,
        pool_id: &str,
        user_id: &str,
        identities: bool,
        custom: Option<&str>,
    ) -> Result<UserExtras> {
        self.in_transaction(|conn| self.extras_on(conn, pool_id, user_id, identities, custom))
    }

    /// The statements of [`Self::user_extras`] on `conn`, inside the caller's transaction.
    fn extras_on(
        &self,
        conn: &Connection,
        pool_id: &str,
        user_id: &str,
        identities: bool,
        custom: Option<&str>,
    ) -> Result<UserExtras> {
        let mut out = UserExtras::default();
        if identities {
            out.identities = Some(all_rows(
                conn,
                &self.sql.identities,
                [pool_id, user_id],
                |row| rows::identity_at(row, 0),
            )?);
        }
        if let Some(target) = custom {
            let defs = all_rows(conn, &self.sql.udf_definitions, [pool_id, target], |row| {
                rows::udf_definition_at(row, 0)
            })?;
            let values = if defs.is_empty() {
                Vec::new()
            } else {
                all_rows(conn, UDF_VALUES_SQL, [pool_id, target, user_id], |row| {
                    Ok((row.text(0)?, row.text(1)?))
                })?
            };
            out.custom = Some(CustomData {
                definitions: defs,
                values,
            });
        }
        Ok(out)
    }

    pub(crate) fn list_udf_definitions(
        &self,
        pool_id: &str,
        target_type: &str,
    ) -> Result<Vec<UdfDefinition>> {
        self.all(&self.sql.udf_definitions, [pool_id, target_type], |row| {
            rows::udf_definition_at(row, 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn parameters_are_numbered_for_sqlite() {
        assert_eq!(
            numbered("SELECT $3, '$' FROM t WHERE a = $1 AND b = $12"),
            "SELECT ?3, '$' FROM t WHERE a = ?1 AND b = ?12"
        );
    }
}
