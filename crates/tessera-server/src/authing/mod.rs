//! The Authing wire facts every Authing façade (v1, v2, v3) shares: how a core
//! [`tessera_core::Error`] is said to an Authing SDK (numeric code, HTTP status, zh-CN/en-US
//! message, `data` member), and the caller's language. The core knows none of this; OIDC and
//! other protocols map the same errors their own way.

pub mod errors;
pub mod lang;
pub mod profile;
pub mod tenant_sheet;

pub use errors::{ErrorBody, LogLabel};
pub use lang::Lang;
