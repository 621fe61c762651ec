//! Compact JWS (RFC 7515) for the two algorithms Tessera issues: RS256 and HS256.
//!
//! Verification is always done against an algorithm the caller chose from its own
//! configuration, never the one the token names, so a token cannot downgrade itself.

use std::borrow::Cow;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openssl::hash::MessageDigest;
use openssl::pkey::{HasPublic, PKey, PKeyRef, Private, Public};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::{Signer, Verifier};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::ct_eq;
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// A token split into its parts; nothing in it is trusted until a `verify_*` call says so.
#[derive(Debug)]
pub struct Unverified<'t> {
    pub header: Header,
    signing_input: &'t str,
    signature: Cow<'t, [u8]>,
    payload: Cow<'t, [u8]>,
}

/// A token's parse kept beyond the borrow of its text, with the text itself: a request that
/// decoded a token early (to read its session ahead) checks it later without decoding it
/// again. Decoding is a pure function of the text, so [`Kept::of`] gives exactly what
/// [`parse`] would, and only for that same text.
#[derive(Clone)]
pub struct Kept {
    token: Box<str>,
    signing_len: usize,
    header: Header,
    signature: Vec<u8>,
    payload: Vec<u8>,
}

impl std::fmt::Debug for Kept {
    /// Never the token: it is a bearer credential (no token is ever logged).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl Kept {
    /// Whether `token` is the text this parse was kept from.
    pub fn is(&self, token: &str) -> bool {
        *self.token == *token
    }

    /// The parse of `token`, if it is the text this parse was kept from.
    pub fn of(&self, token: &str) -> Option<Unverified<'_>> {
        self.is(token).then(|| Unverified {
            header: self.header.clone(),
            signing_input: &self.token[..self.signing_len],
            signature: Cow::Borrowed(&self.signature),
            payload: Cow::Borrowed(&self.payload),
        })
    }
}

impl Unverified<'_> {
    /// Keeps this parse of `token`, the text it was parsed from, for a later [`Kept::of`];
    /// `None` if `token` is not that text.
    pub fn keep(self, token: &str) -> Option<Kept> {
        let signed = token
            .strip_prefix(self.signing_input)
            .is_some_and(|rest| rest.starts_with('.'));
        signed.then(|| Kept {
            token: token.into(),
            signing_len: self.signing_input.len(),
            header: self.header,
            signature: self.signature.into_owned(),
            payload: self.payload.into_owned(),
        })
    }

    /// The claims, for routing only (e.g. reading `aud` to find the verification key).
    pub fn claims_unverified<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.payload).map_err(|_| Error::TokenInvalid)
    }

    pub fn verify_rs256<K: HasPublic>(&self, key: &PKeyRef<K>) -> bool {
        if self.header.alg != "RS256" {
            return false;
        }
        let Ok(mut v) = Verifier::new(MessageDigest::sha256(), key) else {
            return false;
        };
        v.verify_oneshot(&self.signature, self.signing_input.as_bytes())
            .unwrap_or(false)
    }

    /// [`Self::verify_rs256`] with a key ring's public key, as RFC 8017 §8.2.2 verifies:
    /// the signature opened with the public key must be exactly the DER `DigestInfo` of the
    /// input's SHA-256. The same check as OpenSSL's `RSA_verify`, without building an EVP
    /// context per call (which cost more than half of the RSA operation itself).
    pub fn verify_rs256_public(&self, key: &Rsa<Public>) -> bool {
        if self.header.alg != "RS256" {
            return false;
        }
        let size = key.size() as usize;
        if self.signature.len() != size {
            return false;
        }
        let mut opened = vec![0u8; size];
        let Ok(n) = key.public_decrypt(&self.signature, &mut opened, Padding::PKCS1) else {
            return false;
        };
        let digest = openssl::sha::sha256(self.signing_input.as_bytes());
        // Signatures are public: no need for a constant-time comparison.
        opened[..n] == [&SHA256_DIGEST_INFO[..], &digest[..]].concat()
    }

    /// ES256 against the deployment's P-256 key, only for a token naming that key.
    pub fn verify_es256(&self, key: &super::ec::EcSigningKey) -> bool {
        self.header.alg == "ES256"
            && self.header.kid.as_deref() == Some(key.kid.as_str())
            && key.verify(self.signing_input.as_bytes(), &self.signature)
    }

    pub fn verify_hs256(&self, secret: &[u8]) -> bool {
        if self.header.alg != "HS256" {
            return false;
        }
        match hs256(secret, self.signing_input.as_bytes()) {
            Ok(mac) => ct_eq(&mac, &self.signature),
            Err(_) => false,
        }
    }
}

/// The DER prefix of a SHA-256 `DigestInfo` (RFC 8017 §9.2, note 1).
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// A base64url part of a token (no padding), decoded as strictly as the `base64` crate's
/// `URL_SAFE_NO_PAD` decodes (tested against it), with a vectorised decoder: every token check
/// decodes a ~1.6 kB Authing token, which the scalar decoder took about 12k instructions for
/// (callgrind, `checkLoginStatus`). `None` if it is not canonical base64url: a padding or
/// standard-alphabet character, a length of 1 modulo 4, or bits left set after the last byte.
fn decode_part(part: &str) -> Option<Vec<u8>> {
    let bytes = part.as_bytes();
    // The unused low bits of a final partial quantum must be zero (RFC 4648 §3.5 lets a
    // decoder reject otherwise, and `base64` does): one encoding per value.
    let unused_mask = match bytes.len() % 4 {
        2 => 0b1111,
        3 => 0b11,
        _ => 0,
    };
    if let Some(&last) = bytes.last().filter(|_| unused_mask != 0) {
        let value = match last {
            b'A'..=b'Z' => last - b'A',
            b'a'..=b'z' => last - b'a' + 26,
            b'0'..=b'9' => last - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        if value & unused_mask != 0 {
            return None;
        }
    }
    base64_simd::URL_SAFE_NO_PAD.decode_to_vec(bytes).ok()
}

/// Splits a compact JWS. Malformed input is [`Error::TokenInvalid`].
pub fn parse(token: &str) -> Result<Unverified<'_>> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::TokenInvalid);
    };
    let header: Header = decode_part(h)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(Error::TokenInvalid)?;
    let payload = decode_part(p).ok_or(Error::TokenInvalid)?;
    let signature = decode_part(s).ok_or(Error::TokenInvalid)?;
    Ok(Unverified {
        header,
        signing_input: &token[..h.len() + 1 + p.len()],
        signature: Cow::Owned(signature),
        payload: Cow::Owned(payload),
    })
}

/// The claims of a compact JWS without checking anything (not even its header), for routing
/// only; `None` if the token or its payload is malformed, or if the payload does not contain
/// `needle` (a cheap test that spares parsing the claims of most tokens).
pub fn claims_unverified_if<T: DeserializeOwned>(token: &str, needle: &str) -> Option<T> {
    let mut parts = token.split('.');
    let (Some(_), Some(p), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let payload = decode_part(p)?;
    let needle = needle.as_bytes();
    let first = needle.first()?;
    if !payload
        .windows(needle.len())
        .any(|w| w[0] == *first && w == needle)
    {
        return None;
    }
    serde_json::from_slice(&payload).ok()
}

fn encode_parts<C: Serialize>(header: &Header, claims: &C) -> Result<String> {
    let h = serde_json::to_vec(header).map_err(|e| Error::Internal(e.to_string()))?;
    let c = serde_json::to_vec(claims).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(h),
        URL_SAFE_NO_PAD.encode(c)
    ))
}

pub fn sign_rs256<C: Serialize>(claims: &C, kid: &str, key: &PKey<Private>) -> Result<String> {
    sign_rs256_typed(claims, kid, key, "JWT")
}

/// [`sign_rs256`] with a `typ` header of the caller's (RFC 9068's `at+jwt`).
pub fn sign_rs256_typed<C: Serialize>(
    claims: &C,
    kid: &str,
    key: &PKey<Private>,
    typ: &str,
) -> Result<String> {
    let header = Header {
        alg: "RS256".into(),
        kid: Some(kid.to_owned()),
        typ: Some(typ.to_owned()),
    };
    let input = encode_parts(&header, claims)?;
    let mut signer = Signer::new(MessageDigest::sha256(), key).map_err(ossl)?;
    let sig = signer.sign_oneshot_to_vec(input.as_bytes()).map_err(ossl)?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

/// ES256 with the deployment's P-256 key.
pub fn sign_es256<C: Serialize>(claims: &C, key: &super::ec::EcSigningKey) -> Result<String> {
    let header = Header {
        alg: "ES256".into(),
        kid: Some(key.kid.clone()),
        typ: Some("JWT".into()),
    };
    let input = encode_parts(&header, claims)?;
    let sig = key.sign(input.as_bytes())?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

pub fn sign_hs256<C: Serialize>(claims: &C, secret: &[u8]) -> Result<String> {
    let header = Header {
        alg: "HS256".into(),
        kid: None,
        typ: Some("JWT".into()),
    };
    let input = encode_parts(&header, claims)?;
    let mac = hs256(secret, input.as_bytes())?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac)))
}

fn hs256(secret: &[u8], data: &[u8]) -> Result<Vec<u8>> {
    let key = PKey::hmac(secret).map_err(ossl)?;
    let mut signer = Signer::new(MessageDigest::sha256(), &key).map_err(ossl)?;
    signer.sign_oneshot_to_vec(data).map_err(ossl)
}

fn ossl(e: openssl::error::ErrorStack) -> Error {
    Error::Internal(format!("openssl: {e}"))
}

/// A public JWK (RFC 7517) for an RSA verification key.
pub fn rsa_jwk<K: HasPublic>(kid: &str, key: &PKeyRef<K>) -> Result<serde_json::Value> {
    let rsa = key.rsa().map_err(ossl)?;
    Ok(serde_json::json!({
        "kty": "RSA",
        "use": "sig",
        "alg": "RS256",
        "kid": kid,
        "n": URL_SAFE_NO_PAD.encode(rsa.n().to_vec()),
        "e": URL_SAFE_NO_PAD.encode(rsa.e().to_vec()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::rsa::Rsa;
    use serde_json::json;

    fn rsa() -> PKey<Private> {
        PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap()
    }

    /// The vectorised decoder accepts exactly what the `base64` crate's strict
    /// `URL_SAFE_NO_PAD` accepts, with the same bytes: every length (each tail), every
    /// final character, padding, the standard alphabet, whitespace and other bytes.
    #[test]
    fn parts_decode_as_the_strict_decoder_decodes_them() {
        use rand::{Rng, RngCore};
        let mut rng = rand::thread_rng();
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= .\n";
        let mut cases: Vec<String> = Vec::new();
        for len in 0..80 {
            let mut raw = vec![0u8; len];
            rng.fill_bytes(&mut raw);
            let good = URL_SAFE_NO_PAD.encode(&raw);
            // Every last character in place of the real one.
            for &c in alphabet.iter() {
                let mut t = good.clone().into_bytes();
                if let Some(last) = t.last_mut() {
                    *last = c;
                }
                cases.push(String::from_utf8(t).unwrap());
            }
            cases.push(good.clone());
            cases.push(format!("{good}="));
            cases.push(format!("{good}=="));
            // A random character anywhere.
            for _ in 0..20 {
                let mut t = good.clone().into_bytes();
                if !t.is_empty() {
                    let i = rng.gen_range(0..t.len());
                    t[i] = alphabet[rng.gen_range(0..alphabet.len())];
                }
                cases.push(String::from_utf8(t).unwrap());
            }
        }
        for case in &cases {
            assert_eq!(
                decode_part(case),
                URL_SAFE_NO_PAD.decode(case).ok(),
                "{case:?}"
            );
        }
    }

    #[test]
    fn rs256_round_trip_and_tamper() {
        let key = rsa();
        let t = sign_rs256(&json!({"sub":"u1","exp":1}), "k1", &key).unwrap();
        let u = parse(&t).unwrap();
        assert_eq!(u.header.kid.as_deref(), Some("k1"));
        assert!(u.verify_rs256(&key));
        assert!(!u.verify_rs256(&rsa()), "another key must not verify");
        let v: serde_json::Value = u.claims_unverified().unwrap();
        assert_eq!(v["sub"], "u1");

        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"sub":"admin","exp":1}"#);
        parts[1] = &forged;
        let tampered = parts.join(".");
        assert!(!parse(&tampered).unwrap().verify_rs256(&key));
    }

    #[test]
    fn a_kept_parse_answers_only_for_its_own_text() {
        let key = rsa();
        let t = sign_rs256(&json!({"sub":"u1","exp":1}), "k1", &key).unwrap();
        let other = sign_rs256(&json!({"sub":"u2","exp":1}), "k1", &key).unwrap();
        // Kept for a text it was not parsed from: nothing is kept.
        assert!(parse(&t).unwrap().keep(&other).is_none());
        let kept = parse(&t).unwrap().keep(&t).unwrap();
        assert!(kept.is(&t) && !kept.is(&other));
        assert!(kept.of(&other).is_none());
        let again = kept.of(&t).unwrap();
        assert!(again.verify_rs256(&key));
        assert!(again.verify_rs256_public(&public(&key)));
        let v: serde_json::Value = again.claims_unverified().unwrap();
        assert_eq!(v["sub"], "u1");
        // The token never shows in its debug form.
        assert!(!format!("{kept:?}").contains(&t[..20]));
    }

    fn public(key: &PKey<Private>) -> Rsa<Public> {
        let rsa = key.rsa().unwrap();
        Rsa::from_public_components(rsa.n().to_owned().unwrap(), rsa.e().to_owned().unwrap())
            .unwrap()
    }

    #[test]
    fn the_direct_rs256_check_agrees_with_openssl() {
        let key = rsa();
        let other = rsa();
        let t = sign_rs256(&json!({"sub":"u1","exp":1}), "k1", &key).unwrap();
        let u = parse(&t).unwrap();
        assert!(u.verify_rs256(&key) && u.verify_rs256_public(&public(&key)));
        assert!(!u.verify_rs256_public(&public(&other)));

        // A changed payload, a changed signature, a short one: refused by both.
        let (head, sig) = t.rsplit_once('.').unwrap();
        let (h, _) = head.split_once('.').unwrap();
        let forged = format!(
            "{h}.{}.{sig}",
            URL_SAFE_NO_PAD.encode(br#"{"sub":"admin"}"#)
        );
        let mut raw = URL_SAFE_NO_PAD.decode(sig).unwrap();
        raw[10] ^= 1;
        let flipped = format!("{head}.{}", URL_SAFE_NO_PAD.encode(&raw));
        let short = format!("{head}.{}", URL_SAFE_NO_PAD.encode(&raw[1..]));
        for bad in [forged, flipped, short] {
            let u = parse(&bad).unwrap();
            assert!(!u.verify_rs256(&key), "{bad}");
            assert!(!u.verify_rs256_public(&public(&key)), "{bad}");
        }

        // An RSA signature over another digest (SHA-512) is not an RS256 signature.
        let input = head.as_bytes();
        let mut signer = Signer::new(MessageDigest::sha512(), &key).unwrap();
        let sha512 = signer.sign_oneshot_to_vec(input).unwrap();
        let other_digest = format!("{head}.{}", URL_SAFE_NO_PAD.encode(sha512));
        assert!(!parse(&other_digest)
            .unwrap()
            .verify_rs256_public(&public(&key)));
        // An HS256 token never passes, whatever key is tried.
        let hs = sign_hs256(&json!({"sub":"u1"}), b"k").unwrap();
        assert!(!parse(&hs).unwrap().verify_rs256_public(&public(&key)));
    }

    #[test]
    fn hs256_round_trip_and_algorithm_pinning() {
        let t = sign_hs256(&json!({"sub":"u1"}), b"app-secret").unwrap();
        let u = parse(&t).unwrap();
        assert!(u.verify_hs256(b"app-secret"));
        assert!(!u.verify_hs256(b"other"));
        // An HS256 token never passes an RS256 check, whatever key is tried.
        assert!(!u.verify_rs256(&rsa()));
    }

    #[test]
    fn signatures_of_any_length_are_rejected_without_panic() {
        let t = sign_hs256(&json!({"a":1}), b"k").unwrap();
        let head = t.rsplit_once('.').unwrap().0;
        for sig in [
            "",
            "AA",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            let token = format!("{head}.{sig}");
            let u = parse(&token).unwrap();
            assert!(!u.verify_hs256(b"k"));
        }
    }

    #[test]
    fn malformed_tokens_are_invalid_tokens() {
        for t in ["", "a.b", "a.b.c.d", "!!.e30.AA", "e30.!!.AA"] {
            let e = parse(t).map(|_| ()).unwrap_err();
            assert!(matches!(e, Error::TokenInvalid), "{t}: {e:?}");
        }
    }

    #[test]
    fn jwk_has_modulus_and_exponent() {
        let key = rsa();
        let jwk = rsa_jwk("k1", &key).unwrap();
        assert_eq!(jwk["e"], "AQAB");
        assert_eq!(jwk["kid"], "k1");
        assert!(jwk["n"].as_str().unwrap().len() > 300);
    }
}
