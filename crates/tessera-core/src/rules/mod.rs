//! Business rules that need no storage: validation, normalisation, password strength.

pub mod identifiers;
pub mod password_strength;
