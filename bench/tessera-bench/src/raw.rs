//! The physical limits: how many argon2id hashes, RS256 signatures and verifications the
//! machine's cores do per second with nothing else on top. Every figure runs one thread per
//! core for a fixed time and counts completed operations.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::{Padding, Rsa};
use openssl::sign::{Signer, Verifier};
use serde::Serialize;
use tessera_core::crypto::password::{HashParams, PasswordHasher};

use crate::error::Result;

#[derive(Debug, Clone, Serialize)]
pub struct Rate {
    pub per_s: f64,
    pub threads: usize,
    pub seconds: f64,
    pub ops: u64,
}

/// Runs `op` on `threads` threads for `dur`; each thread first builds its own state with
/// `init` (keys, hashers), outside the timed part.
pub fn rate<S: Send, I, F>(threads: usize, dur: Duration, init: I, op: F) -> Result<Rate>
where
    I: Fn() -> Result<S> + Sync,
    F: Fn(&mut S) -> bool + Sync,
{
    let stop = AtomicBool::new(false);
    let ops = AtomicU64::new(0);
    let failed = AtomicU64::new(0);
    let started = std::thread::scope(|s| -> Result<Instant> {
        let mut states = Vec::with_capacity(threads);
        for _ in 0..threads {
            states.push(init()?);
        }
        let start = Instant::now();
        for mut st in states {
            let (stop, ops, failed, op) = (&stop, &ops, &failed, &op);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if op(&mut st) {
                        ops.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        std::thread::sleep(dur);
        stop.store(true, Ordering::Relaxed);
        Ok(start)
    })?;
    // Threads finish the operation in flight before they see `stop`: count until they did.
    let seconds = started.elapsed().as_secs_f64();
    let n = ops.load(Ordering::Relaxed);
    Ok(Rate {
        per_s: n as f64 / seconds,
        threads,
        seconds,
        ops: n,
    })
}

/// argon2id through Tessera's own hasher (RustCrypto `argon2`), at the server's parameters.
pub fn argon2_rustcrypto(params: HashParams, threads: usize, dur: Duration) -> Result<Rate> {
    rate(
        threads,
        dur,
        || Ok(PasswordHasher::new(params)?),
        |h| h.hash("correct horse battery staple").is_ok(),
    )
}

#[cfg(has_libargon2)]
mod ffi {
    use std::os::raw::{c_int, c_void};

    #[link(name = "argon2")]
    extern "C" {
        pub fn argon2id_hash_raw(
            t_cost: u32,
            m_cost: u32,
            parallelism: u32,
            pwd: *const c_void,
            pwdlen: usize,
            salt: *const c_void,
            saltlen: usize,
            hash: *mut c_void,
            hashlen: usize,
        ) -> c_int;
    }
}

/// argon2id through the reference C library (`libargon2`), same parameters, 32-byte output.
#[cfg(has_libargon2)]
pub fn argon2_libargon2(params: HashParams, threads: usize, dur: Duration) -> Result<Option<Rate>> {
    let pw = b"correct horse battery staple";
    let r = rate(
        threads,
        dur,
        || Ok(([0u8; 16], [0u8; 32])),
        |(salt, out)| {
            let _ = openssl::rand::rand_bytes(salt);
            // SAFETY: every pointer is valid for the length passed beside it for the whole
            // call, and the library writes at most `out.len()` bytes into `out`.
            let rc = unsafe {
                ffi::argon2id_hash_raw(
                    params.iterations,
                    params.memory_kib,
                    params.parallelism,
                    pw.as_ptr().cast(),
                    pw.len(),
                    salt.as_ptr().cast(),
                    salt.len(),
                    out.as_mut_ptr().cast(),
                    out.len(),
                )
            };
            rc == 0
        },
    )?;
    Ok(Some(r))
}

#[cfg(not(has_libargon2))]
pub fn argon2_libargon2(_: HashParams, _: usize, _: Duration) -> Result<Option<Rate>> {
    Ok(None)
}

/// A signing input the size of a Tessera user token's header and claims.
fn token_sized_input() -> Vec<u8> {
    vec![b'e'; 900]
}

/// RS256 (RSA-2048, PKCS#1 v1.5, SHA-256) signatures through OpenSSL, as Tessera signs.
pub fn rs256_sign(threads: usize, dur: Duration) -> Result<Rate> {
    let key = PKey::from_rsa(Rsa::generate(2048)?)?;
    let input = token_sized_input();
    rate(
        threads,
        dur,
        || Ok(()),
        |_| {
            Signer::new(MessageDigest::sha256(), &key)
                .and_then(|mut s| s.sign_oneshot_to_vec(&input))
                .is_ok()
        },
    )
}

/// RS256 verifications through OpenSSL, as Tessera verifies.
pub fn rs256_verify(threads: usize, dur: Duration) -> Result<Rate> {
    let key = PKey::from_rsa(Rsa::generate(2048)?)?;
    let input = token_sized_input();
    let sig = Signer::new(MessageDigest::sha256(), &key)?.sign_oneshot_to_vec(&input)?;
    rate(
        threads,
        dur,
        || Ok(()),
        |_| {
            Verifier::new(MessageDigest::sha256(), &key)
                .and_then(|mut v| v.verify_oneshot(&sig, &input))
                .unwrap_or(false)
        },
    )
}

/// RSA-2048 PKCS#1 v1.5 decryptions: the password transport every SDK login costs.
pub fn rsa_decrypt(threads: usize, dur: Duration) -> Result<Rate> {
    let rsa = Rsa::generate(2048)?;
    let mut ct = vec![0u8; rsa.size() as usize];
    let n = rsa.public_encrypt(b"correct horse", &mut ct, Padding::PKCS1)?;
    ct.truncate(n);
    let rsa = Arc::new(rsa);
    rate(
        threads,
        dur,
        || Ok(vec![0u8; 256]),
        |out| rsa.private_decrypt(&ct, out, Padding::PKCS1).is_ok(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_count_operations() {
        let r = rate(
            2,
            Duration::from_millis(50),
            || Ok(0u64),
            |n| {
                *n += 1;
                true
            },
        )
        .unwrap();
        assert!(r.ops > 0 && r.per_s > 0.0);
        assert_eq!(r.threads, 2);
    }

    #[test]
    fn libargon2_and_rustcrypto_agree_on_the_hash() {
        // Same password, salt and parameters give the same bytes: the two are
        // interchangeable behind Tessera's PHC strings.
        #[cfg(has_libargon2)]
        {
            use argon2_check::*;
            check();
        }
    }

    #[cfg(has_libargon2)]
    mod argon2_check {
        pub fn check() {
            let (t, m, p) = (1u32, 64u32, 1u32);
            let (pw, salt) = (b"password", b"somesaltsomesalt");
            let mut c_out = [0u8; 32];
            // SAFETY: valid pointers and lengths for the duration of the call.
            let rc = unsafe {
                super::super::ffi::argon2id_hash_raw(
                    t,
                    m,
                    p,
                    pw.as_ptr().cast(),
                    pw.len(),
                    salt.as_ptr().cast(),
                    salt.len(),
                    c_out.as_mut_ptr().cast(),
                    32,
                )
            };
            assert_eq!(rc, 0);
            let params = argon2::Params::new(m, t, p, Some(32)).unwrap();
            let a =
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
            let mut rust_out = [0u8; 32];
            a.hash_password_into(pw, salt, &mut rust_out).unwrap();
            assert_eq!(rust_out, c_out);
        }
    }
}
