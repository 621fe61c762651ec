//! The SDK password transport decoder (RSA PKCS#1 v1.5, `crypto/transport.rs`). SM2 has its
//! own target, `password_sm2`.
//!
//! The first byte picks a mode; the rest is the input:
//! - 0: the rest as the base64 text a client sends, to `decrypt` and `decrypt_new`;
//! - 1: the rest as a password, encrypted as the SDK does (sometimes one byte short, as the
//!   SDK sends one ciphertext in ~256), which must decrypt to itself;
//! - 2: a real ciphertext with bytes of the rest written over it: a login still gets an
//!   answer (a made-up password), never an error;
//! - other: the rest to the lenient CESU-8 decoder.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use openssl::base64;
use tessera_core::crypto::transport::{decode_cesu8_lenient, TransportKey};

static KEY: LazyLock<TransportKey> = LazyLock::new(|| {
    let pem = TransportKey::generate_pem().expect("generate a key");
    TransportKey::from_pem(&pem).expect("load the key")
});

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let key = &*KEY;
    match mode {
        0 => {
            let text = String::from_utf8_lossy(rest);
            let _ = key.decrypt(&text);
            let _ = key.decrypt_new(&text);
        }
        1 => {
            let Ok(password) = std::str::from_utf8(rest) else {
                return;
            };
            let Ok(b64) = TransportKey::encrypt_like_sdk(key.public_pem(), password) else {
                return; // longer than one block holds
            };
            let sent = strip_leading_zero(&b64);
            assert_eq!(key.decrypt(&sent).ok().as_deref(), Some(password));
            assert_eq!(key.decrypt_new(&sent).ok().as_deref(), Some(password));
        }
        2 => {
            let Ok(b64) = TransportKey::encrypt_like_sdk(key.public_pem(), "password") else {
                panic!("encrypting a short password failed");
            };
            let mut raw = base64::decode_block(&b64).expect("own base64");
            for pair in rest.chunks(2) {
                if let [at, byte] = pair {
                    let i = usize::from(*at) % raw.len();
                    raw[i] = *byte;
                }
            }
            let mangled = base64::encode_block(&raw);
            assert!(key.decrypt(&mangled).is_ok(), "a login must get an answer");
            let _ = key.decrypt_new(&mangled);
        }
        _ => {
            let s = decode_cesu8_lenient(rest);
            if let Ok(utf8) = std::str::from_utf8(rest) {
                assert_eq!(s, utf8);
            }
        }
    }
});

/// The SDK does not left-pad its ciphertext: drop a leading zero byte as it would.
fn strip_leading_zero(b64: &str) -> String {
    let raw = base64::decode_block(b64).expect("own base64");
    match raw.split_first() {
        Some((0, rest)) => base64::encode_block(rest),
        _ => b64.to_owned(),
    }
}
