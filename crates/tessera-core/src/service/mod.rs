//! Domain services. Each module adds methods to [`Core`] for one area.

pub mod account;
pub mod codes;
mod core;
pub mod directory;
mod guard;
pub mod import;
pub mod keys;
pub mod login;
pub mod pools;
pub mod register;
pub mod settings;
pub mod tokens;
pub mod udf;
pub mod users;

pub use self::core::{Core, CoreConfig};
