//! The SDK password transport decoder for SM2 (`crypto/sm2.rs`, `v3-wire.md` §7.3).
//!
//! The key is the fixed throwaway key of `sm2.rs`'s interop vectors, so seeds that are real
//! `sm-crypto` ciphertexts reach the success path. The first byte picks a mode; the rest is
//! the input:
//! - 0: the rest as the hex text a client sends, to `decrypt`, `decrypt_new` and
//!   `decrypt_password`: any failure is `PasswordDecrypt`, and what decrypts to set decrypts
//!   alike to check;
//! - 1: the rest as a password, encrypted as the SDK does, which must decrypt to itself, also
//!   behind `sm2:` and with C1's `04` kept;
//! - other: a real ciphertext with bytes of the rest written over it: a login still gets an
//!   answer (a made-up password), never an error.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use tessera_core::crypto::sm2::{Sm2Key, MAX_PLAINTEXT};
use tessera_core::Error;

/// `sm2.rs`'s interop fixture: a throwaway key, used nowhere else.
const FIXTURE: &str = "af760ee4977807da8dd58daf8085b97bd531509fd572bcf737fe578509c13eeb";

static KEY: LazyLock<Sm2Key> = LazyLock::new(|| Sm2Key::from_hex(FIXTURE).expect("fixture key"));

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let key = &*KEY;
    match mode {
        0 => {
            let text = String::from_utf8_lossy(rest);
            let checked = key.decrypt_password(&text);
            assert!(matches!(checked, Ok(_) | Err(Error::PasswordDecrypt)));
            match key.decrypt_new(&text) {
                Ok(plain) => assert_eq!(checked.ok(), Some(plain)),
                Err(e) => assert!(matches!(e, Error::PasswordDecrypt)),
            }
            let _ = key.decrypt(&text);
        }
        1 => {
            if rest.len() > MAX_PLAINTEXT {
                return;
            }
            let sent = Sm2Key::encrypt(key.public_hex(), rest).expect("encrypt");
            assert_eq!(key.decrypt(&sent).ok().as_deref(), Some(rest));
            assert_eq!(
                key.decrypt(&format!("sm2:{sent}")).ok().as_deref(),
                Some(rest)
            );
            assert_eq!(
                key.decrypt(&format!("04{sent}")).ok().as_deref(),
                Some(rest)
            );
        }
        _ => {
            let sent = Sm2Key::encrypt(key.public_hex(), b"password").expect("encrypt");
            let mut hex = sent.into_bytes();
            for pair in rest.chunks(2) {
                if let [at, digit] = pair {
                    let i = usize::from(*at) % hex.len();
                    hex[i] = b"0123456789abcdef"[usize::from(*digit) % 16];
                }
            }
            let mangled = String::from_utf8(hex).expect("hex");
            assert!(
                key.decrypt_password(&mangled).is_ok(),
                "a login must get an answer"
            );
            let _ = key.decrypt_new(&mangled);
        }
    }
});
