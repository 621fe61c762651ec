//! Business rules that need no storage: validation, normalisation, password strength, a
//! pool's allowed origins.

pub mod identifiers;
pub mod origins;
pub mod password_strength;
