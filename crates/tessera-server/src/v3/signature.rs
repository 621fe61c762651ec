//! The string a v3 management client signed (`v3-wire.md` §3.1), rebuilt from the request
//! as received. Pure: the core checks the key, the HMAC, the clock and the nonce.
//!
//! ```text
//! <METHOD>\n<name:value\n for date and every x-authing-* / x-genauth-* header, sorted><resource>
//! ```
//! The resource is the path, then `?k=v&…` over the parameters sorted by key: the query for
//! GET, the JSON body's top-level members otherwise (the SDK signs the object, not the
//! bytes). Strings are rendered raw, everything else as `JSON.stringify` wrote it — which is
//! the member's text on the wire, kept as a [`RawValue`].

use axum::http::HeaderMap;
use serde_json::value::RawValue;

/// The parameters the client signed.
pub enum Signed<'a> {
    /// GET: the decoded query; `k[]` pairs were collapsed into one array-valued key.
    Query(&'a [(String, QueryValue)]),
    /// Any other verb: the body's top-level members in wire order (none for an empty body).
    Body(&'a [(String, Box<RawValue>)]),
}

/// One query key's value(s).
#[derive(Debug, Clone, PartialEq)]
pub enum QueryValue {
    One(String),
    /// `k[]=a&k[]=b`, or a key repeated: the SDK had an array, which it signs as JSON.
    Many(Vec<String>),
}

/// The candidates the client may have signed: the canonical string, and for an empty body
/// also the variant with a trailing `?` (§3.1 case a: a body whose keys were all
/// `undefined` is sent as `{}` but signed as `<path>?`).
pub fn strings_to_sign(
    method: &str,
    headers: &HeaderMap,
    path: &str,
    params: Signed<'_>,
) -> Vec<String> {
    let head = format!(
        "{}\n{}",
        method.to_ascii_uppercase(),
        canonical_headers(headers)
    );
    let mut pairs: Vec<(&str, String)> = match params {
        Signed::Query(q) => q
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    QueryValue::One(s) => s.clone(),
                    QueryValue::Many(list) => {
                        serde_json::to_string(list).unwrap_or_else(|_| String::from("[]"))
                    }
                };
                (k.as_str(), v)
            })
            .collect(),
        Signed::Body(members) => members
            .iter()
            .map(|(k, raw)| (k.as_str(), render(raw)))
            .collect(),
    };
    // JavaScript's default sort: by UTF-16 code units.
    pairs.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
    if pairs.is_empty() {
        return vec![format!("{head}{path}"), format!("{head}{path}?")];
    }
    let query: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    vec![format!("{head}{path}?{}", query.join("&"))]
}

/// A body member as the SDK's `String(value)` / `JSON.stringify(value)` rendered it.
fn render(raw: &RawValue) -> String {
    let text = raw.get();
    if text.starts_with('"') {
        // A JSON string: its decoded content, not its quoted form.
        serde_json::from_str::<String>(text).unwrap_or_else(|_| text.to_owned())
    } else {
        text.to_owned()
    }
}

/// `name:value\n` for `date` and every `x-authing-` / `x-genauth-` header, sorted by name;
/// values with tabs and line breaks turned to spaces and trimmed.
fn canonical_headers(headers: &HeaderMap) -> String {
    let mut lines: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| {
            let n = name.as_str();
            n == "date" || n.starts_with("x-authing-") || n.starts_with("x-genauth-")
        })
        .map(|(name, value)| {
            let v = String::from_utf8_lossy(value.as_bytes())
                .replace(['\t', '\n', '\r', '\u{c}'], " ")
                .trim()
                .to_owned();
            (name.as_str().to_owned(), v)
        })
        .collect();
    lines.sort();
    lines
        .into_iter()
        .map(|(n, v)| format!("{n}:{v}\n"))
        .collect()
}

/// A `date` header as epoch ms: an HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`, what the
/// Node SDK sends) or epoch milliseconds (the Java SDK).
pub fn parse_date(value: &str) -> Option<i64> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return v.parse().ok();
    }
    // IMF-fixdate: "Day, DD Mon YYYY HH:MM:SS GMT" (RFC 7231 §7.1.1.1).
    let rest = v.split_once(", ")?.1;
    let mut it = rest.split(' ');
    let day: i64 = it.next()?.parse().ok()?;
    let month = match it.next()? {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let year: i64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let m: i64 = hms.next()?.parse().ok()?;
    let s: i64 = hms.next()?.parse().ok()?;
    // An IMF-fixdate year has four digits (RFC 7231 §7.1.1.1); bounding it also keeps the
    // day arithmetic below from overflowing on an attacker's year.
    if it.next()? != "GMT"
        || !(1..=31).contains(&day)
        || !(1000..=9999).contains(&year)
        || !(0..=23).contains(&h)
        || !(0..=59).contains(&m)
        || !(0..=60).contains(&s)
    {
        return None;
    }
    Some((days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s) * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use tessera_core::crypto::hmac_sha1_b64;

    /// The headers of the spec's test vectors (§3.1).
    fn headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("date", "Wed, 21 Oct 2015 07:28:00 GMT"),
            (
                "x-authing-signature-nonce",
                "0123456789abcdef0123456789abcdef",
            ),
            ("x-authing-signature-method", "HMAC-SHA1"),
            ("x-authing-signature-version", "1.0"),
            ("x-authing-sdk-version", "authing-node-sdk:4.0.1"),
            ("x-authing-lang", "zh-CN"),
            ("content-type", "application/json"),
            ("accept", "application/json"),
        ] {
            h.insert(k, HeaderValue::from_static(v));
        }
        h
    }

    fn sign(s: &str) -> String {
        hmac_sha1_b64(b"my-user-pool-secret", s.as_bytes()).unwrap()
    }

    /// An order-preserving parse of a JSON object's top level, as the extractor does it.
    fn body(json: &str) -> Vec<(String, Box<RawValue>)> {
        crate::v3::params::body_members(json.as_bytes()).unwrap().0
    }

    #[test]
    fn the_spec_vectors_verify() {
        let h = headers();
        let b = body(r#"{"options":{"pagination":{"page":1,"limit":10}},"keywords":"bob"}"#);
        let s = strings_to_sign("POST", &h, "/api/v3/list-users", Signed::Body(&b));
        assert_eq!(s.len(), 1);
        assert!(s[0].ends_with(
            "/api/v3/list-users?keywords=bob&options={\"pagination\":{\"page\":1,\"limit\":10}}"
        ));
        assert_eq!(sign(&s[0]), "NSPYY4R4wEHu4ShI78xLMdPBVUU=");

        let q: Vec<(String, QueryValue)> = [
            ("userId", "u1"),
            ("userIdType", "user_id"),
            ("flatCustomData", "false"),
            ("withCustomData", "false"),
            ("withPost", "false"),
            ("withIdentities", "false"),
            ("withDepartmentIds", "false"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), QueryValue::One(v.to_string())))
        .collect();
        let s = strings_to_sign("GET", &h, "/api/v3/get-user", Signed::Query(&q));
        assert_eq!(sign(&s[0]), "cyf88l4ams14ZrvMIOmQwp/z36c=");

        let s = strings_to_sign("GET", &h, "/api/v3/list-groups", Signed::Query(&[]));
        assert_eq!(sign(&s[0]), "611JWsFm3RGXIqWDbad+ZO6+10s=");
        assert_eq!(s.len(), 2, "an empty parameter set may carry a trailing ?");
    }

    #[test]
    fn the_first_vector_signs_eight_lines() {
        // The spec calls it "seven lines" but lists eight (the verb, six headers, the
        // resource); the signature above verifies over the eight.
        let b = body(r#"{"options":{"pagination":{"page":1,"limit":10}},"keywords":"bob"}"#);
        let s = strings_to_sign("post", &headers(), "/api/v3/list-users", Signed::Body(&b));
        assert_eq!(s[0].lines().count(), 8);
        assert!(
            s[0].starts_with("POST\ndate:Wed, 21 Oct 2015 07:28:00 GMT\nx-authing-lang:zh-CN\n")
        );
    }

    #[test]
    fn arrays_strings_and_nulls_render_as_the_sdk_signs_them() {
        let b = body(r#"{"b":null,"a":"x y\u00e9","c":[1,"2"],"d":true}"#);
        let s = strings_to_sign("POST", &HeaderMap::new(), "/p", Signed::Body(&b));
        assert_eq!(s[0], "POST\n/p?a=x yé&b=null&c=[1,\"2\"]&d=true");
        let q = vec![(
            "ids".to_owned(),
            QueryValue::Many(vec!["a".into(), "b c".into()]),
        )];
        let s = strings_to_sign("GET", &HeaderMap::new(), "/p", Signed::Query(&q));
        assert_eq!(s[0], "GET\n/p?ids=[\"a\",\"b c\"]");
    }

    #[test]
    fn dates_parse_in_both_forms() {
        assert_eq!(
            parse_date("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(1_445_412_480_000)
        );
        assert_eq!(parse_date("1445412480000"), Some(1_445_412_480_000));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("Wed, 21 Foo 2015 07:28:00 GMT"), None);
        assert_eq!(
            parse_date("Wed, 21 Oct 99999999999999999 07:28:00 GMT"),
            None
        );
        assert_eq!(
            parse_date("Wed, 21 Oct -99999999999999999 07:28:00 GMT"),
            None
        );
        assert_eq!(
            parse_date("Wed, 21 Oct 2015 -9999999999999999:28:00 GMT"),
            None
        );
    }
}
