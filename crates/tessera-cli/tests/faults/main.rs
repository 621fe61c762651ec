//! Faults under the real `tessera serve`: the database going away or refusing writes, and a
//! shutdown with a request in flight. Each test runs the binary as an operator would and
//! breaks its surroundings for real (a private PostgreSQL stopped with `pg_ctl -m immediate`,
//! files made immutable, a full tmpfs, SIGTERM).
//!
//! None of them skips: a missing tool or privilege fails with a message naming it.

mod graceful_shutdown;
mod postgres_outage;
mod sqlite_disk_full;
mod sqlite_read_only;
mod support;
