//! Pool connections that SQLite opened read-only while the database could not be written.
//!
//! SQLite opens a database file, and later its WAL, read-only without an error when the
//! operating system refuses write access ("opened for reading and writing if possible, or
//! reading only if the file is write protected", `sqlite3_open_v2`). A connection the pool
//! opens during such an outage (a full or remounted disk, an immutable file) stays read-only
//! for its whole life: after the disk is writable again, every write on it fails with
//! SQLITE_READONLY until the pool retires it, 30 minutes later.
//!
//! So each new connection is probed once; when one was opened read-only, connections are
//! probed again before they are lent out, and those still read-only are closed (the pool
//! opens fresh ones, which see the disk as it is now). Probing stops once every connection
//! opened before the last read-only one has been retired by `MAX_LIFETIME`. Rejecting the
//! connection at connect time instead would make sqlx retry the connect until the acquire
//! timeout, so every write during an outage would wait 10 s for its "busy" answer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::{AnyConnection, Executor};

/// The pool's `max_lifetime`: no connection is older than this.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// The SQLite result code family of "attempt to write a readonly database" (SQLITE_READONLY
/// and its extended codes, which share the low byte).
const SQLITE_READONLY: i64 = 8;

/// When this pool last opened a read-only connection.
#[derive(Clone)]
pub(crate) struct ReadOnlyOpens {
    origin: Instant,
    /// Milliseconds after `origin` plus one; 0 when never.
    last: Arc<AtomicU64>,
}

impl ReadOnlyOpens {
    pub(crate) fn new() -> ReadOnlyOpens {
        ReadOnlyOpens {
            origin: Instant::now(),
            last: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Probes a connection just opened, remembering when one is read-only. It is lent out all
    /// the same: its write fails at once with "busy", as writes on the other connections do.
    pub(crate) async fn after_connect(&self, conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
        if !writable(conn).await? {
            let now = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
            self.last.store(now.saturating_add(1), Ordering::Relaxed);
            tracing::warn!("SQLite opened a connection read-only: the database cannot be written");
        }
        Ok(())
    }

    /// Whether an idle connection may be lent out: false closes it. Costs one atomic load
    /// unless a read-only connection was opened within the pool's `MAX_LIFETIME`.
    pub(crate) async fn before_acquire(
        &self,
        conn: &mut AnyConnection,
    ) -> Result<bool, sqlx::Error> {
        let last = self.last.load(Ordering::Relaxed);
        if last == 0 {
            return Ok(true);
        }
        let since = self
            .origin
            .elapsed()
            .saturating_sub(Duration::from_millis(last - 1));
        if since > MAX_LIFETIME {
            return Ok(true);
        }
        writable(conn).await
    }
}

/// Whether the connection can write: a statement that writes nothing, in a write transaction
/// of its own. A read-only connection answers SQLITE_READONLY (even while another connection
/// holds the write lock); a writable one commits no page, so nothing reaches the WAL, or, with
/// no busy timeout, answers SQLITE_BUSY at once while a writer holds the lock, which means
/// writable too. (`BEGIN IMMEDIATE` alone is no probe: SQLite 3.46 grants it to a connection
/// opened read-only.) Before the migrations have run, the table is missing (SQLITE_ERROR):
/// that is the start-up connection, which `check_sqlite_writable` has already probed.
async fn writable(conn: &mut AnyConnection) -> Result<bool, sqlx::Error> {
    conn.execute("PRAGMA busy_timeout = 0").await?;
    let probe = conn
        .execute("DELETE FROM schema_migrations WHERE 0 = 1")
        .await;
    conn.execute(crate::connect::SQLITE_BUSY_TIMEOUT).await?;
    match probe {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(e)) => Ok(!is_read_only(e.code().as_deref())),
        Err(e) => Err(e),
    }
}

fn is_read_only(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<i64>().ok())
        .is_some_and(|c| c & 0xff == SQLITE_READONLY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_read_only_codes_are_read_only() {
        // SQLITE_READONLY, _RECOVERY (264), _CANTLOCK (520), _DIRECTORY (1544)
        for c in ["8", "264", "520", "1544"] {
            assert!(is_read_only(Some(c)), "{c}");
        }
        // SQLITE_BUSY (5), SQLITE_IOERR_WRITE (778), a PostgreSQL state, none
        for c in [Some("5"), Some("778"), Some("25006"), None] {
            assert!(!is_read_only(c), "{c:?}");
        }
    }
}
