//! One WAL read lock of this process held between request reads, so that those reads do not
//! take and release the file lock behind it each time.
//!
//! Why: in WAL mode every read transaction takes a read-mark slot of the `-shm` index. SQLite's
//! unix VFS backs a slot with a POSIX lock (`fcntl`) taken when the first connection of the
//! process takes the slot and released when the last one lets go, both under one
//! process-wide mutex (`unixShmLock`, sqlite3.c 3.46). Request reads are short and run on
//! each async worker, so nearly every one took and released that file lock itself, and the
//! other worker waited on the mutex meanwhile: 1.4 `fcntl` and 1.2 `futex` calls per
//! `checkLoginStatus` (`strace -c`). While one connection of the process keeps a read
//! transaction open on the slot the reads pick, they only count themselves in and out
//! (none of either call; about 10% less server CPU per `checkLoginStatus`).
//!
//! What it costs, and how it is bounded: the kept transaction's snapshot is never served to
//! anyone (each request still reads in a transaction of its own, which sees every commit of
//! every process), but a reader keeps a checkpoint from copying frames past its snapshot and
//! from restarting the WAL. So the lock is held only while reads come, is let go
//! [`GAP_MS`] before the end of every [`PERIOD_MS`] of the system clock, and is not taken
//! again before the period ends. Every process on the database (SQLite's WAL only works
//! between processes of one host, which share the clock) leaves the same gap, in which a
//! checkpoint after a commit can copy everything and the next write can restart the WAL.
//! A reader picks the slot whose mark is the newest frame, as the keeper did when it took
//! the lock; after a write the kept slot is stale, so reads take a lock of their own again
//! until the next period.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;
use tessera_core::Result;

/// The lock is held for at most one period of the system clock.
pub(crate) const PERIOD_MS: u64 = 250;

/// The end of every period in which no process holds it (longer than a thread's wake-up is
/// late under load, so that the gap is not missed).
pub(crate) const GAP_MS: u64 = 20;

/// After a hold in which the database was written, the lock is not taken for this long.
pub(crate) const QUIET_MS: u64 = 2 * PERIOD_MS;

/// The system clock in milliseconds.
fn now_ms() -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    u64::try_from(now.as_millis()).unwrap_or(u64::MAX)
}

/// Where in its period the system clock is, in milliseconds.
#[cfg(test)]
fn phase_ms() -> u64 {
    now_ms() % PERIOD_MS
}

/// The read lock of one database file, shared by its request reads.
#[derive(Default)]
pub(crate) struct WalReadLock {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The connection that holds the lock, kept between holds (closed if it fails).
    conn: Mutex<Option<Connection>>,
    held: AtomicBool,
    /// The database's `data_version` seen by the kept transaction.
    version: AtomicI64,
    /// Not taken before this time (system clock, milliseconds).
    quiet_until: AtomicU64,
}

impl WalReadLock {
    /// Takes the lock for the rest of this period unless it is held or the period is in its
    /// gap; `open` opens the connection the first time. Costs one atomic load while held. A
    /// failure is not the read's: the read goes on without the lock.
    pub(crate) fn hold(&self, open: impl FnOnce() -> Result<Connection>) {
        if self.inner.held.load(Ordering::Acquire) {
            return;
        }
        let now = now_ms();
        let phase = now % PERIOD_MS;
        if phase >= PERIOD_MS - GAP_MS || now < self.inner.quiet_until.load(Ordering::Relaxed) {
            return;
        }
        // Another thread taking or letting go of it: this read does without.
        let Ok(mut slot) = self.inner.conn.try_lock() else {
            return;
        };
        if self.inner.held.load(Ordering::Acquire) {
            return;
        }
        let conn = match slot.take() {
            Some(c) => c,
            None => match open() {
                Ok(c) => c,
                Err(_) => return,
            },
        };
        // `BEGIN` is deferred: reading the schema cookie starts the read transaction,
        // picking the read-mark slot as any reader would now.
        let version = conn
            .execute_batch("BEGIN; PRAGMA schema_version;")
            .and_then(|()| conn.query_row("PRAGMA data_version", [], |r| r.get(0)));
        let Ok(version) = version else {
            return; // the connection is closed, which ends whatever it began
        };
        self.inner.version.store(version, Ordering::Relaxed);
        *slot = Some(conn);
        self.inner.held.store(true, Ordering::Release);
        drop(slot);
        let until_gap = PERIOD_MS - GAP_MS - phase;
        let inner = Arc::clone(&self.inner);
        let spawned = std::thread::Builder::new()
            .name("wal-read-lock".into())
            .spawn(move || {
                std::thread::sleep(Duration::from_millis(until_gap));
                inner.release();
            });
        if spawned.is_err() {
            self.inner.release();
        }
    }

    /// Whether the lock is held now.
    #[cfg(test)]
    fn is_held(&self) -> bool {
        self.inner.held.load(Ordering::Acquire)
    }
}

impl Inner {
    /// Ends the kept transaction. A connection whose `COMMIT` fails is closed, which ends it.
    /// When the database was written meanwhile (by any connection of any process), the lock
    /// is not taken again for [`QUIET_MS`]: while writes go on, a kept slot is stale at once
    /// (reads take locks of their own anyway) and only holds checkpoints back.
    fn release(&self) {
        let mut slot = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(conn) = slot.take() {
            if conn.is_autocommit() || conn.execute_batch("COMMIT").is_ok() {
                let now: rusqlite::Result<i64> =
                    conn.query_row("PRAGMA data_version", [], |r| r.get(0));
                if now.map_or(true, |v| v != self.version.load(Ordering::Relaxed)) {
                    self.quiet_until
                        .store(now_ms().saturating_add(QUIET_MS), Ordering::Relaxed);
                }
                *slot = Some(conn);
            }
        }
        self.held.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::time::Instant;

    fn wal_db(dir: &Path) -> PathBuf {
        let path = dir.join("t.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER);")
            .unwrap();
        path
    }

    fn opener(path: &Path) -> impl Fn() -> Result<Connection> + '_ {
        move || Connection::open(path).map_err(|e| tessera_core::Error::Storage(e.to_string()))
    }

    fn wait_for_hold(lock: &WalReadLock, path: &Path) {
        for _ in 0..200 {
            lock.hold(opener(path));
            if lock.is_held() {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("the lock was never taken");
    }

    #[test]
    fn the_lock_is_let_go_by_the_gap_and_blocks_no_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = wal_db(dir.path());
        let lock = WalReadLock::default();
        wait_for_hold(&lock, &path);
        // A reader does not block a writer in WAL mode.
        let w = Connection::open(&path).unwrap();
        w.execute("INSERT INTO t VALUES (1)", []).unwrap();
        // Let go by the gap: a checkpoint that needs every reader gone then completes.
        std::thread::sleep(Duration::from_millis(PERIOD_MS));
        assert!(!lock.is_held());
        let busy: i64 = w
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(busy, 0);
    }

    #[test]
    fn a_write_during_a_hold_keeps_it_off_for_a_while() {
        let dir = tempfile::tempdir().unwrap();
        let path = wal_db(dir.path());
        let lock = WalReadLock::default();
        wait_for_hold(&lock, &path);
        let w = Connection::open(&path).unwrap();
        w.execute("INSERT INTO t VALUES (1)", []).unwrap();
        while lock.is_held() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let released = Instant::now();
        // Past the gap, and still within the quiet time: not taken.
        std::thread::sleep(Duration::from_millis(GAP_MS + 5));
        lock.hold(opener(&path));
        assert!(!lock.is_held() || released.elapsed() >= Duration::from_millis(QUIET_MS));
        // Taken again once the quiet time is over and nothing was written.
        std::thread::sleep(Duration::from_millis(QUIET_MS));
        wait_for_hold(&lock, &path);
    }

    #[test]
    fn it_is_not_taken_in_the_gap() {
        let dir = tempfile::tempdir().unwrap();
        let path = wal_db(dir.path());
        let lock = WalReadLock::default();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            let before = phase_ms();
            if (PERIOD_MS - GAP_MS + 1..PERIOD_MS - 4).contains(&before) {
                lock.hold(opener(&path));
                // Still in the same gap afterwards: it was asked for in the gap.
                if phase_ms() >= before {
                    assert!(!lock.is_held());
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        panic!("never asked in a gap");
    }

    /// Reads without pause beside writes without pause: the WAL is still restarted from its
    /// beginning now and then (checkpoint starvation would grow it without bound). Holding
    /// the lock throughout (no gap, no quiet time) fails this: no restart in 4 s.
    #[test]
    fn the_wal_restarts_under_reads_and_writes_that_never_pause() {
        let dir = tempfile::tempdir().unwrap();
        let path = wal_db(dir.path());
        let lock = Arc::new(WalReadLock::default());
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (lock, stop, path) = (Arc::clone(&lock), Arc::clone(&stop), path.clone());
            std::thread::spawn(move || {
                let c = Connection::open(&path).unwrap();
                let mut held = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    lock.hold(opener(&path));
                    held += u64::from(lock.is_held());
                    let _: i64 = c
                        .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                        .unwrap();
                }
                held
            })
        };
        while !lock.is_held() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let w = Connection::open(&path).unwrap();
        w.execute_batch("PRAGMA synchronous = NORMAL").unwrap();
        let deadline = Instant::now() + Duration::from_secs(4);
        let (mut last_log, mut restarts) = (0i64, 0u32);
        while Instant::now() < deadline && restarts < 20 {
            for i in 0..20 {
                w.execute("INSERT INTO t VALUES (?1)", [i]).unwrap();
            }
            let log: i64 = w
                .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
                .unwrap();
            if log < last_log {
                restarts += 1;
            }
            last_log = log;
        }
        stop.store(true, Ordering::Relaxed);
        let held = reader.join().unwrap();
        assert!(held > 0, "the reads never held the lock");
        assert!(restarts >= 20, "the WAL restarted {restarts} times in 4 s");
    }
}
