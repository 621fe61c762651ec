//! Tessera's storage: one SQL implementation of [`tessera_core::store::Store`] that runs on
//! SQLite (the embedded default) and PostgreSQL (production, several server processes).
//!
//! Both backends are reached through sqlx's `Any` driver with one SQL dialect: `$n`
//! placeholders, `TEXT`/`BIGINT` columns, `ON CONFLICT`. The schema lives in
//! `migrations/`, shared by both. On SQLite, the reads every request makes run the same
//! statements on rusqlite connections on the calling thread instead (`sqlite_reads`).

mod connect;
mod migrate;
mod request_reads;
mod rows;
mod settings_memo;
mod sql_store;
mod sqlite_read_only;
mod sqlite_reads;
mod wal_read_lock;

pub use connect::{Backend, ConnectError};
pub use sql_store::SqlStore;
