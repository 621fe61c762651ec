//! The v3 signature canonicaliser (`v3-wire.md` §3.1) fed as a request arrives: the query
//! string and the JSON body through the parameter readers, the `date` and `x-authing-*`
//! headers, then `strings_to_sign`, and `parse_date` on the date header.
//!
//! Input: NUL-separated parts — method, header lines (`name: value`), path, raw query, body.
//! Oracles: no panic; one candidate (two for an empty parameter set, the second with a
//! trailing `?`), each starting with the upper-cased method; the result does not depend on
//! the order in which the parameters arrived (the canonical form sorts them).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_server::v3_signing::{
    body_members, parse_date, query_values, strings_to_sign, HeaderMap, HeaderName, HeaderValue,
    Signed,
};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(5, |b| *b == 0);
    let method = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let header_text = parts.next().unwrap_or_default();
    let path = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = parts.next().unwrap_or_default();

    let mut headers = HeaderMap::new();
    for line in header_text.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name),
            HeaderValue::from_bytes(value.trim_ascii()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    if let Some(date) = headers.get("date").and_then(|d| d.to_str().ok()) {
        let _ = parse_date(date);
    }
    let _ = parse_date(&query);

    let expect = |out: &[String], empty: bool| {
        assert_eq!(out.len(), if empty { 2 } else { 1 });
        let head = format!("{}\n", method.to_ascii_uppercase());
        assert!(out.iter().all(|s| s.starts_with(&head)));
    };

    if let Ok(mut q) = query_values(Some(&query)) {
        let out = strings_to_sign("GET", &headers, &path, Signed::Query(&q));
        let method_upper = strings_to_sign(&method, &headers, &path, Signed::Query(&q));
        expect(&method_upper, q.is_empty());
        assert_eq!(out.len(), method_upper.len());
        q.reverse();
        let reversed = strings_to_sign("GET", &headers, &path, Signed::Query(&q));
        assert_eq!(
            out, reversed,
            "parameter order changed the canonical string"
        );
    }
    if let Ok(mut members) = body_members(body) {
        let out = strings_to_sign(&method, &headers, &path, Signed::Body(&members.0));
        expect(&out, members.0.is_empty());
        members.0.reverse();
        let reversed = strings_to_sign(&method, &headers, &path, Signed::Body(&members.0));
        assert_eq!(out, reversed, "member order changed the canonical string");
    }
});
