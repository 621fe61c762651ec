//! Compact JWS parsing, claims and verification (`crypto/jwt.rs`) with fixed keys.
//!
//! The first byte picks a mode; the rest is the input:
//! - 0: the rest as a token: parse, read claims, verify with every key (none may accept a
//!   token nobody signed), and the routing read `claims_unverified_if`;
//! - other: the rest as JSON claims, signed with each key, which must then verify, and only
//!   with its own algorithm.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Rsa;
use serde_json::Value;
use tessera_core::crypto::jwt;

struct Keys {
    private: PKey<Private>,
    public: PKey<Public>,
    rsa_public: Rsa<Public>,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| {
    let rsa = Rsa::generate(2048).expect("generate");
    let public_der = rsa.public_key_to_der().expect("der");
    let rsa_public = Rsa::public_key_from_der(&public_der).expect("public");
    Keys {
        private: PKey::from_rsa(rsa).expect("pkey"),
        public: PKey::public_key_from_der(&public_der).expect("public pkey"),
        rsa_public,
    }
});

const SECRET: &[u8] = b"fuzz-secret";

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let keys = &*KEYS;
    if mode == 0 {
        let Ok(token) = std::str::from_utf8(rest) else {
            return;
        };
        let _ = jwt::claims_unverified_if::<Value>(token, "aud");
        let _ = jwt::claims_unverified_if::<Value>(token, "");
        let Ok(parsed) = jwt::parse(token) else {
            return;
        };
        let _ = parsed.claims_unverified::<Value>();
        // Forging a signature by mutation is out of reach: acceptance means a bug.
        assert!(!parsed.verify_rs256(&keys.public));
        assert!(!parsed.verify_rs256_public(&keys.rsa_public));
        assert!(!parsed.verify_hs256(SECRET));
        return;
    }
    let Ok(claims) = serde_json::from_slice::<Value>(rest) else {
        return;
    };
    let hs = jwt::sign_hs256(&claims, SECRET).expect("sign HS256");
    let parsed = jwt::parse(&hs).expect("parse own HS256");
    assert!(parsed.verify_hs256(SECRET));
    assert!(!parsed.verify_rs256_public(&keys.rsa_public));
    // What was signed is the claims as serialized: serde_json (without `float_roundtrip`)
    // may read a 17-digit float one ULP off, so compare with the claims read back the same way.
    let signed: Value =
        serde_json::from_slice(&serde_json::to_vec(&claims).expect("to_vec")).expect("own JSON");
    assert_eq!(parsed.claims_unverified::<Value>().ok(), Some(signed));
    let rs = jwt::sign_rs256(&claims, "kid", &keys.private).expect("sign RS256");
    let parsed = jwt::parse(&rs).expect("parse own RS256");
    assert!(parsed.verify_rs256(&keys.public));
    assert!(parsed.verify_rs256_public(&keys.rsa_public));
    assert!(!parsed.verify_hs256(SECRET));
});
