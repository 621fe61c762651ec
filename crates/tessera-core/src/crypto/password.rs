//! Password hashing.
//!
//! New passwords get argon2id (OWASP: m = 19 MiB, t = 2, p = 1 unless configured otherwise).
//! Imported hashes are verified in their own format, and [`Verification::needs_rehash`] tells the
//! caller to replace them with the current format once the plaintext is known, i.e. at login.
//!
//! Recognised stored formats:
//! * PHC argon2 (`$argon2id$…`, `$argon2i$…`, `$argon2d$…`), any parameters;
//! * bcrypt (`$2a$`, `$2b$`, `$2y$`, `$2x$`);
//! * PBKDF2 in PHC form (`$pbkdf2-sha256$i=N,l=L$salt$hash`, standard base64 without padding),
//!   passlib form (`$pbkdf2-sha256$N$salt$hash`, "adapted" base64 with `.` for `+`) and Django
//!   form (`pbkdf2_sha256$N$salt$hash`, salt as text, hash in standard base64); SHA-512 too.

use std::sync::{Arc, Mutex};

use argon2::password_hash::{PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use openssl::hash::MessageDigest;
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Argon2id cost parameters for new hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct HashParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for HashParams {
    /// OWASP Password Storage Cheat Sheet, first argon2id recommendation.
    fn default() -> Self {
        HashParams {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    pub matches: bool,
    /// The hash is in an older format or has other parameters than new hashes get.
    pub needs_rehash: bool,
}

#[derive(Clone)]
pub struct PasswordHasher {
    params: HashParams,
    argon2: Argon2<'static>,
    memory: Arc<MemoryPool>,
}

/// Argon2 working memory (19 MiB at the default parameters), reused from hash to hash.
///
/// The argon2 crate allocates and zeroes a fresh block array per hash; freed, it stays in
/// glibc's per-thread arenas, so a server whose logins ran on many blocking threads kept
/// hundreds of MB resident after a burst of logins. Reusing arrays of the configured size
/// keeps the resident memory at one array per concurrent hash and skips the zeroing (argon2
/// overwrites every block before reading it).
struct MemoryPool {
    blocks: usize,
    free: Mutex<Vec<Vec<Block>>>,
}

impl MemoryPool {
    /// Most arrays kept between hashes: one per core, as the core runs at most that many
    /// hashes at once.
    fn keep() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    }

    fn with<T>(&self, blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
        if blocks != self.blocks {
            // Another parameter set (an imported hash): not worth keeping.
            let mut mem = vec![Block::default(); blocks];
            return f(&mut mem);
        }
        let taken = self.free.lock().ok().and_then(|mut v| v.pop());
        let mut mem = taken.unwrap_or_else(|| vec![Block::default(); blocks]);
        let out = f(&mut mem);
        if let Ok(mut v) = self.free.lock() {
            if v.len() < Self::keep() {
                v.push(mem);
            }
        }
        out
    }
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish()
    }
}

/// The most memory one hash may use (1 GiB).
pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;

impl PasswordHasher {
    pub fn new(params: HashParams) -> Result<PasswordHasher> {
        // argon2 accepts up to 4 TiB per hash and allocates it only at the first hash, so a
        // typo would start a server that dies at its first login. Each of the `cores` hash
        // slots holds this much at once; 1 GiB per hash is 20 times OWASP's advice.
        if params.memory_kib > MAX_MEMORY_KIB {
            return Err(Error::Internal(format!(
                "invalid argon2 parameters: memory {} KiB is over the {MAX_MEMORY_KIB} KiB limit",
                params.memory_kib
            )));
        }
        let p = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| Error::Internal(format!("invalid argon2 parameters: {e}")))?;
        let blocks = p.block_count();
        Ok(PasswordHasher {
            params,
            argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, p),
            memory: Arc::new(MemoryPool {
                blocks,
                free: Mutex::new(Vec::new()),
            }),
        })
    }

    pub fn params(&self) -> HashParams {
        self.params
    }

    /// Hashes a new password with argon2id, as a PHC string
    /// (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`, the format the argon2 crate writes).
    /// CPU-bound: call from a blocking thread.
    pub fn hash(&self, password: &str) -> Result<String> {
        let mut salt = [0u8; 16];
        OsRng.fill_bytes(&mut salt);
        let mut out = [0u8; 32];
        let p = self.argon2_params();
        self.memory
            .with(p.block_count(), |mem| {
                self.argon2.hash_password_into_with_memory(
                    password.as_bytes(),
                    &salt,
                    &mut out,
                    mem,
                )
            })
            .map_err(|e| Error::Internal(format!("argon2 hashing failed: {e}")))?;
        let salt = SaltString::encode_b64(&salt)
            .map_err(|e| Error::Internal(format!("argon2 salt: {e}")))?;
        Ok(format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            p.m_cost(),
            p.t_cost(),
            p.p_cost(),
            salt.as_str(),
            STANDARD_NO_PAD.encode(out)
        ))
    }

    fn argon2_params(&self) -> &Params {
        self.argon2.params()
    }

    /// Verifies `password` against a stored hash of any recognised format. An unrecognised or
    /// corrupt stored hash never matches. CPU-bound: call from a blocking thread.
    pub fn verify(&self, password: &str, stored: &str) -> Verification {
        if stored.starts_with("$argon2") {
            return self.verify_argon2(password, stored);
        }
        let matches = if stored.starts_with("$2") {
            bcrypt::verify(password, stored).unwrap_or(false)
        } else if stored.starts_with("$pbkdf2-") || stored.starts_with("pbkdf2_") {
            verify_pbkdf2(password, stored).unwrap_or(false)
        } else {
            false
        };
        Verification {
            matches,
            needs_rehash: true,
        }
    }

    fn verify_argon2(&self, password: &str, stored: &str) -> Verification {
        let Ok(parsed) = PasswordHash::new(stored) else {
            return Verification {
                matches: false,
                needs_rehash: true,
            };
        };
        let matches = self.argon2_matches(password, &parsed).unwrap_or(false);
        let current = parsed.algorithm.as_str() == "argon2id"
            && Params::try_from(&parsed)
                .map(|p| {
                    p.m_cost() == self.params.memory_kib
                        && p.t_cost() == self.params.iterations
                        && p.p_cost() == self.params.parallelism
                })
                .unwrap_or(false);
        Verification {
            matches,
            needs_rehash: !current,
        }
    }
}

impl PasswordHasher {
    /// Recomputes a stored argon2 hash with the parameters, algorithm and version encoded in
    /// it, and compares in constant time. `None` when the string is not a usable argon2 hash.
    fn argon2_matches(&self, password: &str, parsed: &PasswordHash<'_>) -> Option<bool> {
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::default(),
        };
        let params = Params::try_from(parsed).ok()?;
        let expected = parsed.hash?;
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
        let mut out = vec![0u8; expected.len()];
        let blocks = params.block_count();
        let argon2 = Argon2::new(algorithm, version, params);
        self.memory
            .with(blocks, |mem| {
                argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, mem)
            })
            .ok()?;
        Some(openssl::memcmp::eq(&out, expected.as_bytes()))
    }
}

struct Pbkdf2Hash {
    digest: MessageDigest,
    iterations: usize,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

fn digest_named(name: &str) -> Option<MessageDigest> {
    match name {
        "sha256" => Some(MessageDigest::sha256()),
        "sha512" => Some(MessageDigest::sha512()),
        "sha1" => Some(MessageDigest::sha1()),
        _ => None,
    }
}

/// passlib's "adapted base64": standard alphabet with `.` instead of `+`, no padding.
fn ab64_decode(s: &str) -> Option<Vec<u8>> {
    STANDARD_NO_PAD.decode(s.replace('.', "+")).ok()
}

fn parse_pbkdf2(stored: &str) -> Option<Pbkdf2Hash> {
    if let Some(rest) = stored.strip_prefix("pbkdf2_") {
        // Django: pbkdf2_sha256$<iterations>$<salt text>$<base64 hash>
        let mut parts = rest.splitn(4, '$');
        let digest = digest_named(parts.next()?)?;
        let iterations = parts.next()?.parse().ok()?;
        let salt = parts.next()?.as_bytes().to_vec();
        let hash = STANDARD.decode(parts.next()?).ok()?;
        return Some(Pbkdf2Hash {
            digest,
            iterations,
            salt,
            hash,
        });
    }
    let rest = stored.strip_prefix("$pbkdf2-")?;
    let mut parts = rest.split('$');
    let digest = digest_named(parts.next()?)?;
    let params = parts.next()?;
    let salt = parts.next()?;
    let hash = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    if let Ok(iterations) = params.parse::<usize>() {
        // passlib
        return Some(Pbkdf2Hash {
            digest,
            iterations,
            salt: ab64_decode(salt)?,
            hash: ab64_decode(hash)?,
        });
    }
    // PHC: i=<iterations>[,l=<length>]
    let mut iterations = None;
    for kv in params.split(',') {
        if let Some(v) = kv.strip_prefix("i=") {
            iterations = v.parse().ok();
        }
    }
    Some(Pbkdf2Hash {
        digest,
        iterations: iterations?,
        salt: STANDARD_NO_PAD.decode(salt).ok()?,
        hash: STANDARD_NO_PAD.decode(hash).ok()?,
    })
}

fn verify_pbkdf2(password: &str, stored: &str) -> Option<bool> {
    let h = parse_pbkdf2(stored)?;
    // Refuse absurd work factors from a hostile import rather than burn a core for minutes.
    if h.hash.is_empty() || h.hash.len() > 128 || h.iterations == 0 || h.iterations > 10_000_000 {
        return None;
    }
    let mut out = vec![0u8; h.hash.len()];
    openssl::pkcs5::pbkdf2_hmac(
        password.as_bytes(),
        &h.salt,
        h.iterations,
        h.digest,
        &mut out,
    )
    .ok()?;
    Some(openssl::memcmp::eq(&out, &h.hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> PasswordHasher {
        PasswordHasher::new(HashParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[test]
    fn default_parameters_are_owasp() {
        let p = HashParams::default();
        assert_eq!((p.memory_kib, p.iterations, p.parallelism), (19456, 2, 1));
        let h = PasswordHasher::new(p).unwrap().hash("x").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
    }

    #[test]
    fn argon2id_round_trip_and_wrong_password() {
        let h = fast();
        let stored = h.hash("correct horse").unwrap();
        assert_eq!(
            h.verify("correct horse", &stored),
            Verification {
                matches: true,
                needs_rehash: false
            }
        );
        assert!(!h.verify("Correct horse", &stored).matches);
    }

    #[test]
    fn phc_strings_interoperate_with_the_argon2_crate() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let h = fast();
        let ours = h.hash("pw-1").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"pw-1", &parsed).is_ok());
        for alg in [Algorithm::Argon2id, Algorithm::Argon2i, Algorithm::Argon2d] {
            let salt = SaltString::generate(&mut OsRng);
            let theirs = Argon2::new(alg, Version::V0x13, Params::new(1024, 1, 1, None).unwrap())
                .hash_password(b"pw-2", &salt)
                .unwrap()
                .to_string();
            assert!(h.verify("pw-2", &theirs).matches, "{theirs}");
            assert!(!h.verify("pw-3", &theirs).matches, "{theirs}");
        }
        // The reused working memory gives the same answers hash after hash.
        for _ in 0..3 {
            assert!(h.verify("pw-1", &ours).matches);
        }
    }

    #[test]
    fn other_argon2_parameters_verify_and_ask_for_rehash() {
        let stored = fast().hash("pw123456").unwrap();
        let v = PasswordHasher::new(HashParams::default())
            .unwrap()
            .verify("pw123456", &stored);
        assert!(v.matches);
        assert!(v.needs_rehash);
    }

    #[test]
    fn bcrypt_variants_verify_and_ask_for_rehash() {
        let h = fast();
        let b = bcrypt::hash_with_result("hunter22", 4).unwrap();
        for prefix in ["2a", "2b", "2y"] {
            let stored = b.format_for_version(match prefix {
                "2a" => bcrypt::Version::TwoA,
                "2b" => bcrypt::Version::TwoB,
                _ => bcrypt::Version::TwoY,
            });
            assert!(stored.starts_with(&format!("${prefix}$")));
            let v = h.verify("hunter22", &stored);
            assert!(v.matches && v.needs_rehash, "{prefix}");
            assert!(!h.verify("hunter23", &stored).matches);
        }
    }

    fn pbkdf2(pw: &str, salt: &[u8], iters: usize, md: MessageDigest, len: usize) -> Vec<u8> {
        let mut out = vec![0u8; len];
        openssl::pkcs5::pbkdf2_hmac(pw.as_bytes(), salt, iters, md, &mut out).unwrap();
        out
    }

    #[test]
    fn pbkdf2_phc_passlib_and_django_forms() {
        let h = fast();
        let salt = b"saltsaltsalt1234";
        let d256 = pbkdf2("s3cret!", salt, 1000, MessageDigest::sha256(), 32);
        let phc = format!(
            "$pbkdf2-sha256$i=1000,l=32${}${}",
            STANDARD_NO_PAD.encode(salt),
            STANDARD_NO_PAD.encode(&d256)
        );
        let passlib = format!(
            "$pbkdf2-sha256$1000${}${}",
            STANDARD_NO_PAD.encode(salt).replace('+', "."),
            STANDARD_NO_PAD.encode(&d256).replace('+', ".")
        );
        let django = format!(
            "pbkdf2_sha256$1000$saltsaltsalt1234${}",
            STANDARD.encode(&d256)
        );
        let d512 = pbkdf2("s3cret!", salt, 1000, MessageDigest::sha512(), 64);
        let phc512 = format!(
            "$pbkdf2-sha512$i=1000,l=64${}${}",
            STANDARD_NO_PAD.encode(salt),
            STANDARD_NO_PAD.encode(&d512)
        );
        for stored in [&phc, &passlib, &django, &phc512] {
            let v = h.verify("s3cret!", stored);
            assert!(v.matches && v.needs_rehash, "{stored}");
            assert!(!h.verify("s3cret?", stored).matches, "{stored}");
        }
    }

    #[test]
    fn garbage_never_matches() {
        let h = fast();
        for stored in [
            "",
            "plaintext",
            "$argon2id$broken",
            "$2b$04$short",
            "$pbkdf2-sha256$i=0$$",
            "$pbkdf2-md5$1$a$b",
        ] {
            assert!(!h.verify("plaintext", stored).matches, "{stored}");
        }
    }
}
