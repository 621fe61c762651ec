//! Tessera's storage: one SQL implementation of [`tessera_core::store::Store`] that runs on
//! SQLite (the embedded default) and PostgreSQL (production, several server processes).
//!
//! Both backends are reached through sqlx's `Any` driver with one SQL dialect: `$n`
//! placeholders, `TEXT`/`BIGINT` columns, `ON CONFLICT`. The schema lives in
//! `migrations/`, shared by both.

mod connect;
mod migrate;
mod rows;
mod sql_store;

pub use connect::{Backend, ConnectError};
pub use sql_store::SqlStore;
