//! Cryptography: password hashing, the SDKs' password transport encryption, JWS and the
//! signing key ring. Everything here is synchronous and CPU-bound; services call the expensive
//! parts from blocking threads.

pub mod jwt;
pub mod keyring;
pub mod password;
pub mod rsa_check;
pub mod transport;

/// Constant-time equality of secrets. Unequal lengths answer false at once: lengths of our
/// secrets are public.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && openssl::memcmp::eq(a, b)
}
