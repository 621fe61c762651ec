use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor};

use crate::migrate;
use crate::sql_store::SqlStore;
use crate::sqlite_read_only::{ReadOnlyOpens, MAX_LIFETIME};
use crate::sqlite_reads::{self, SqliteReads};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Why a store could not be opened. Each message is one line that names the problem, for
/// start-up to print before it exits.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot connect to database {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("database migration failed on {url}: {reason}")]
    Migrate { url: String, reason: String },
    #[error("database {path} is read-only ({source}): tessera must be able to write it")]
    ReadOnly {
        path: String,
        source: std::io::Error,
    },
}

/// Hides a password in a database URL for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                url.to_owned()
            }
        }
        None => url.to_owned(),
    }
}

/// The SQLite URL for a data directory.
pub fn sqlite_url_for_dir(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("tessera.db").display())
}

impl SqlStore {
    /// Opens a SQLite store in `dir` (created if missing), migrated.
    pub async fn open_data_dir(dir: &Path) -> Result<SqlStore, ConnectError> {
        std::fs::create_dir_all(dir).map_err(|source| ConnectError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
        SqlStore::open(&sqlite_url_for_dir(dir)).await
    }

    /// Opens the database at `url`, applies pending migrations, and returns the store.
    pub async fn open(url: &str) -> Result<SqlStore, ConnectError> {
        sqlx::any::install_default_drivers();
        let shown = redact_url(url);
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(ConnectError::UnsupportedUrl(shown));
        };
        let options: AnyConnectOptions =
            url.parse()
                .map_err(|e: sqlx::Error| ConnectError::Connect {
                    url: shown.clone(),
                    reason: e.to_string(),
                })?;
        if backend == Backend::Sqlite {
            check_sqlite_writable(url, &options, &shown).await?;
        }
        let max = match backend {
            // SQLite has one writer; a few readers beside it are plenty.
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool_options = AnyPoolOptions::new()
            .max_connections(max)
            .min_connections(0)
            .max_lifetime(MAX_LIFETIME)
            .acquire_timeout(acquire_timeout(backend))
            // sqlx pings an idle connection before lending it out. A SQLite connection is a
            // file handle on a worker thread and cannot have gone away; its ping was a full
            // extra round trip to that thread before every statement. A PostgreSQL connection
            // can (server restart), so it keeps the check.
            .test_before_acquire(backend != Backend::Sqlite)
            .after_release(|conn, _meta| Box::pin(release_outside_transaction(conn)));
        let pool_options = match backend {
            Backend::Postgres => pool_options,
            Backend::Sqlite => {
                let opens = ReadOnlyOpens::new();
                let on_acquire = opens.clone();
                pool_options
                    .after_connect(move |conn, _meta| {
                        let opens = opens.clone();
                        Box::pin(async move {
                            conn.execute(SQLITE_BUSY_TIMEOUT).await?;
                            conn.execute(SQLITE_PRAGMAS).await?;
                            opens.after_connect(conn).await
                        })
                    })
                    .before_acquire(move |conn, _meta| {
                        let opens = on_acquire.clone();
                        Box::pin(async move { opens.before_acquire(conn).await })
                    })
            }
        };
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(|e| ConnectError::Connect {
                url: shown.clone(),
                reason: one_line(&e.to_string()),
            })?;
        migrate::run(&pool, backend)
            .await
            .map_err(|e| ConnectError::Migrate {
                url: shown.clone(),
                reason: one_line(&e.to_string()),
            })?;
        // On a SQLite file, the per-request reads get their own connections (sqlite_reads).
        let sqlite_reads = match backend {
            Backend::Sqlite => sqlite_reads::database_file(url).map(|f| SqliteReads::new(&f)),
            Backend::Postgres => None,
        };
        Ok(SqlStore::new(pool, backend, sqlite_reads))
    }
}

/// Whether a connection coming back to the pool may serve again: only outside any
/// transaction. A transaction dropped without commit or rollback (an error returned with `?`,
/// a cancelled request) has its `ROLLBACK` queued; the ping runs it. When that `ROLLBACK`
/// fails (seen on SQLite on a full disk and on files turned read-only: SQLite may roll a
/// transaction back on its own after SQLITE_FULL or SQLITE_IOERR, or leave it open), sqlx
/// still counts the transaction open and begins the next one on the connection as a
/// savepoint, whose `RELEASE` commits nothing while an outer transaction stays open: writes
/// acknowledged and never stored (`faults::sqlite_disk_full`). Such a connection is closed
/// instead, which ends any transaction it still holds, and the pool opens a new one. The
/// check is an atomic read except after such a drop.
async fn release_outside_transaction(conn: &mut sqlx::AnyConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    Ok(!conn.is_in_transaction())
}

/// Every SQLite connection's settings. WAL lets readers run beside the writer.
const SQLITE_PRAGMAS: &str =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

/// Makes writers from other processes (the CLI beside a server) wait, not fail. Set before
/// `SQLITE_PRAGMAS`: switching a fresh file to WAL takes the database lock, and without a
/// busy timeout a process opening the file beside another one's migrations fails at once
/// with "database is locked" (seen once in `store::migrations`, eight opens at once). Set
/// again after the read-only probe, which clears it.
pub(crate) const SQLITE_BUSY_TIMEOUT: &str = "PRAGMA busy_timeout = 10000";

/// Opens one connection to a SQLite file and takes the write lock for a moment, so that a
/// database Tessera cannot write stops start-up at once, saying why. Through the pool the
/// same failure is retried until the acquire timeout and then reported as a timeout; and
/// SQLite opens a write-protected file read-only without complaint, reporting "attempt to
/// write a readonly database" only at the first write, or "unable to open database file"
/// when the WAL index cannot be created beside it.
async fn check_sqlite_writable(
    url: &str,
    options: &AnyConnectOptions,
    shown: &str,
) -> Result<(), ConnectError> {
    let Some(file) = sqlite_reads::database_file(url) else {
        return Ok(()); // in memory: nothing on disk to be read-only
    };
    // The file system is asked first: when the WAL and its index were left behind
    // write-protected, SQLite can take the write lock in the index without writing to disk
    // and fails only at the first real write, so the probe below alone would pass.
    if let Some((path, source)) = read_only_reason(&file) {
        return Err(ConnectError::ReadOnly {
            path: path.display().to_string(),
            source,
        });
    }
    let probe = async {
        let mut conn: AnyConnection = options.connect().await?;
        conn.execute(SQLITE_BUSY_TIMEOUT).await?;
        conn.execute(SQLITE_PRAGMAS).await?;
        conn.execute("BEGIN IMMEDIATE").await?;
        conn.execute("ROLLBACK").await?;
        conn.close().await
    };
    let Err(e) = probe.await else {
        return Ok(());
    };
    Err(match read_only_reason(&file) {
        Some((path, source)) => ConnectError::ReadOnly {
            path: path.display().to_string(),
            source,
        },
        None => ConnectError::Connect {
            url: shown.to_owned(),
            reason: one_line(&e.to_string()),
        },
    })
}

/// Why a SQLite database cannot be written, if the file system says so: the file, its WAL
/// and index files, or the directory SQLite creates them in.
fn read_only_reason(file: &Path) -> Option<(PathBuf, std::io::Error)> {
    let mut files = vec![file.to_path_buf()];
    for suffix in ["-wal", "-shm"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        files.push(PathBuf::from(name));
    }
    for f in files.into_iter().filter(|f| f.exists()) {
        if let Err(e) = std::fs::OpenOptions::new().append(true).open(&f) {
            return Some((f, e));
        }
    }
    let dir = file.parent()?;
    let probe = dir.join(".tessera-write-check");
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            None
        }
        Err(e) => Some((dir.to_path_buf(), e)),
    }
}

/// How long a request waits for a connection before it fails with a storage error (the
/// wire's "system busy").
///
/// While PostgreSQL is down, sqlx retries a refused connection until this deadline, so it is
/// how long every request takes to fail during an outage. The v1 and v3 SDKs give up after
/// 10 s (their `timeout` default), so the answer must come well before that to be seen at
/// all: 5 s. A healthy server lends a connection in milliseconds; a queue of 5 s for one of
/// 16 connections means the database is gone or hopelessly overloaded. On SQLite, waits are
/// for the one writer behind `busy_timeout` (10 s), which this does not shorten.
fn acquire_timeout(backend: Backend) -> Duration {
    match backend {
        Backend::Sqlite => Duration::from_secs(10),
        Backend::Postgres => Duration::from_secs(5),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) type Pool = AnyPool;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
