//! Business rules that need no storage: validation, normalisation, password strength, a
//! pool's allowed origins, an application's OAuth/OIDC client settings.

pub mod china_ids;
pub mod client_settings;
pub mod email_template;
pub mod identifiers;
pub mod origins;
pub mod password_strength;
pub mod user_agent;
