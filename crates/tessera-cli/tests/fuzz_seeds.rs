//! Replays the committed fuzz seeds (`fuzz/seeds/`) through the functions the fuzz targets
//! drive, on stable and on every `cargo test`: cheap, and it catches a regression on a real
//! input without running `cargo fuzz`. The real inputs among them must also still be accepted.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use tessera_cli::config::{resolve_serve, FileConfig, ServeArgs};
use tessera_core::crypto::hmac_sha1_b64;
use tessera_core::crypto::jwt;
use tessera_core::crypto::sm2::Sm2Key;
use tessera_core::crypto::transport::{decode_cesu8_lenient, TransportKey};
use tessera_core::rules::identifiers;
use tessera_server::graphql;
use tessera_server::v3_signing::{
    body_members, parse_date, query_values, strings_to_sign, HeaderMap, HeaderName, HeaderValue,
    Signed,
};

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .map(|p: PathBuf| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("read seed"))
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

#[test]
fn graphql_seeds_parse_and_project() {
    for (name, bytes) in seeds("graphql") {
        let text = std::str::from_utf8(&bytes).expect("utf-8 document");
        let parsed = graphql::parse(text, None, &Map::new());
        // The SDK's own documents are what the server exists to answer.
        let op = match parsed {
            Ok(op) => op,
            Err(e) if !name.starts_with("sdk-") => {
                eprintln!("{name}: {e}");
                continue;
            }
            Err(e) => panic!("{name}: {e}"),
        };
        for field in &op.fields {
            for answer in [Value::Null, json!({}), json!([{ "id": "u1" }, 3])] {
                let mut out = Vec::new();
                graphql::write_projected(&answer, &field.selection, &mut out);
                serde_json::from_slice::<Value>(&out).expect("projection is JSON");
            }
        }
    }
}

#[test]
fn identifier_seeds_normalise() {
    for (name, bytes) in seeds("identifiers") {
        let text = String::from_utf8(bytes).expect("utf-8");
        let mut parts = text.splitn(3, '\0');
        let raw = parts.next().unwrap_or_default();
        let cc = parts.next();
        let default_cc = parts.next().unwrap_or("+86");
        let accepted = identifiers::email(raw).is_ok()
            || identifiers::phone(raw, cc, default_cc).is_ok()
            || identifiers::username(raw).is_ok();
        assert!(accepted, "{name}: a real identifier is refused");
        let _ = identifiers::country_code_norm(raw);
    }
}

#[test]
fn jwt_seeds_parse_and_never_verify() {
    for (name, bytes) in seeds("jwt") {
        let (mode, rest) = bytes.split_first().expect("mode byte");
        let text = std::str::from_utf8(rest).expect("utf-8");
        if *mode != 0 {
            serde_json::from_str::<Value>(text).expect("claims seed is JSON");
            continue;
        }
        let _ = jwt::claims_unverified_if::<Value>(text, "aud");
        if let Ok(token) = jwt::parse(text) {
            assert!(token.claims_unverified::<Value>().is_ok(), "{name}");
            assert!(!token.verify_hs256(b"fuzz-secret"), "{name}");
        }
    }
}

#[test]
fn password_transport_seeds_decode() {
    let key = TransportKey::from_pem(&TransportKey::generate_pem().expect("key")).expect("load");
    for (name, bytes) in seeds("password_transport") {
        let (mode, rest) = bytes.split_first().expect("mode byte");
        match mode {
            0 => {
                let text = String::from_utf8_lossy(rest);
                assert!(key.decrypt(&text).is_ok(), "{name}: a login gets an answer");
            }
            1 => {
                let password = std::str::from_utf8(rest).expect("utf-8 password");
                let sent =
                    TransportKey::encrypt_like_sdk(key.public_pem(), password).expect("encrypt");
                assert_eq!(key.decrypt_new(&sent).expect(&name), password);
            }
            _ => {
                let _ = decode_cesu8_lenient(rest);
            }
        }
    }
}

#[test]
fn password_sm2_seeds_decode() {
    // The target's key: `sm2.rs`'s throwaway interop fixture, so `sm-crypto`'s ciphertexts
    // among the seeds decrypt.
    let key = Sm2Key::from_hex("af760ee4977807da8dd58daf8085b97bd531509fd572bcf737fe578509c13eeb")
        .expect("fixture key");
    for (name, bytes) in seeds("password_sm2") {
        let (mode, rest) = bytes.split_first().expect("mode byte");
        match mode {
            0 => {
                let text = String::from_utf8_lossy(rest);
                let checked = key.decrypt_password(&text);
                if name.starts_with("decrypt-sm-crypto") {
                    let set = key.decrypt_new(&text).expect(&name);
                    assert_eq!(checked.expect(&name), set, "{name}");
                } else {
                    assert!(
                        matches!(checked, Ok(_) | Err(tessera_core::Error::PasswordDecrypt)),
                        "{name}"
                    );
                }
            }
            1 => {
                let sent = Sm2Key::encrypt(key.public_hex(), rest).expect("encrypt");
                assert_eq!(key.decrypt(&sent).expect(&name), rest, "{name}");
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
                    "{name}: a login gets an answer"
                );
            }
        }
    }
}

#[test]
fn config_seeds_load_and_resolve() {
    for (name, bytes) in seeds("config") {
        let text = std::str::from_utf8(&bytes).expect("utf-8");
        let file = FileConfig::parse(text, &name).unwrap_or_else(|e| panic!("{e}"));
        resolve_serve(ServeArgs::default(), None, None, None, &file)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

/// The request parts of a `signature` seed: method, headers, path, query, body.
fn signature_parts(bytes: &[u8]) -> (String, HeaderMap, String, String, Vec<u8>) {
    let mut parts = bytes.splitn(5, |b| *b == 0);
    let mut next = || parts.next().unwrap_or_default().to_vec();
    let method = String::from_utf8(next()).expect("method");
    let header_text = String::from_utf8(next()).expect("headers");
    let path = String::from_utf8(next()).expect("path");
    let query = String::from_utf8(next()).expect("query");
    let body = next();
    let mut headers = HeaderMap::new();
    for line in header_text.lines() {
        let (name, value) = line.split_once(':').expect("name: value");
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_str(value.trim()).expect("header value"),
        );
    }
    (method, headers, path, query, body)
}

#[test]
fn signature_seeds_canonicalise_and_the_spec_vectors_verify() {
    // `v3-wire.md` §3.1's test vectors, signed with the spec's example secret.
    let vectors = [
        ("sdk-list-users", "NSPYY4R4wEHu4ShI78xLMdPBVUU="),
        ("sdk-get-user", "cyf88l4ams14ZrvMIOmQwp/z36c="),
        ("sdk-list-groups", "611JWsFm3RGXIqWDbad+ZO6+10s="),
    ];
    for (name, bytes) in seeds("signature") {
        let (method, headers, path, query, body) = signature_parts(&bytes);
        if let Some(date) = headers.get("date") {
            assert!(
                parse_date(date.to_str().expect("ascii")).is_some(),
                "{name}"
            );
        }
        let q = query_values(Some(&query)).expect("query");
        let members = body_members(&body).expect("body");
        let signed = if method == "GET" {
            Signed::Query(&q)
        } else {
            Signed::Body(&members.0)
        };
        let candidates = strings_to_sign(&method, &headers, &path, signed);
        assert!(candidates[0].starts_with(&format!("{method}\n")), "{name}");
        if let Some((_, want)) = vectors.iter().find(|(n, _)| *n == name) {
            let got =
                hmac_sha1_b64(b"my-user-pool-secret", candidates[0].as_bytes()).expect("hmac");
            assert_eq!(&got, want, "{name}");
        }
    }
}
