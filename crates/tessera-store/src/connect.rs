use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::migrate;
use crate::sql_store::SqlStore;
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
        let max = match backend {
            // SQLite has one writer; a few readers beside it are plenty.
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(10))
            // sqlx pings an idle connection before lending it out. A SQLite connection is a
            // file handle on a worker thread and cannot have gone away; its ping was a full
            // extra round trip to that thread before every statement. A PostgreSQL connection
            // can (server restart), so it keeps the check.
            .test_before_acquire(backend != Backend::Sqlite)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; busy_timeout makes writers
                        // from other processes (the CLI beside a server) wait, not fail.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
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
