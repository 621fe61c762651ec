//! Domain services. Each module adds methods to [`Core`] for one area.

mod core;
pub mod directory;
pub mod keys;
pub mod pools;
pub mod tokens;
pub mod users;

pub use self::core::{Core, CoreConfig};
