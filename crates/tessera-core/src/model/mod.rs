//! Domain types. Plain data: no I/O, no wire formats.

pub mod application;
pub mod audit;
pub mod directory;
pub mod directory_admin;
pub mod email_template;
pub mod keys;
pub mod pool;
pub mod post;
pub mod provisioning;
pub mod risk;
pub mod tenant;
pub mod user;

pub use application::{AccessKey, Application, OidcSettings, SigningAlg};
pub use keys::SigningKey;
pub use pool::{PoolSettings, ProviderSettings, RateCheck, UserPool};
pub use user::{ExternalIdentity, LoginStats, Profile, User, UserMfaRule, UserStatus};
