//! Domain services. Each module adds methods to [`Core`] for one area.

pub mod access_keys;
pub mod account;
pub mod acl_admin;
pub mod admin;
pub mod app_settings;
pub mod apps_admin;
pub mod audit;
pub mod authn;
mod cascade;
pub mod codes;
mod core;
pub mod directory;
pub mod directory_admin;
pub mod directory_batches;
pub mod guard;
pub mod import;
pub mod keys;
pub mod login;
mod membership;
pub mod mfa_admin;
pub mod oidc;
pub mod org_admin;
pub mod paging;
pub mod policies;
pub mod pool_admin;
pub mod pools;
pub mod posts;
pub mod register;
pub mod risk;
pub mod settings;
pub mod tenants;
pub mod tokens;
pub mod udf;
pub mod user_admin;
pub mod users;

pub use self::core::{Core, CoreConfig};
