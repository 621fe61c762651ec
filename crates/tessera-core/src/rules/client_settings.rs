//! What an application may hold as OAuth/OIDC client settings (its `OidcSettings`): redirect
//! URIs a browser may be sent to, the grant and response types the provider knows, the token
//! endpoint's client authentication, the ID token's signature and token lifetimes.
//!
//! Each check refuses a bad value with [`Error::InvalidParameter`] naming the setting the way
//! the management API names it, and normalises what it accepts (trimmed, no duplicates).

use crate::error::{Error, Result};
use crate::model::SigningAlg;
use crate::rules::identifiers::MAX_TEXT_LEN;

/// The grant types the provider implements (RFC 6749, RFC 8628 and Authing's token exchange).
pub const GRANT_TYPES: [&str; 7] = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "password",
    "implicit",
    "urn:ietf:params:oauth:grant-type:device_code",
    "http://authing.cn/oidc/grant_type/authing_token",
];

/// Token endpoint client authentication methods (RFC 7591 §2); `none` is a public client.
pub const AUTH_METHODS: [&str; 3] = ["client_secret_post", "client_secret_basic", "none"];

/// Lifetimes are at least one second and at most ten years of 365 days.
pub const MIN_LIFETIME_SECS: i64 = 1;
pub const MAX_LIFETIME_SECS: i64 = 10 * 365 * 24 * 3600;

/// An application's URI lists stay small: the whole settings document is read on every
/// authorization request.
pub const MAX_URIS: usize = 100;

/// The words a `response_type` is made of (OAuth 2.0 Multiple Response Types); `none`
/// stands alone.
const RESPONSE_WORDS: [&str; 3] = ["code", "id_token", "token"];

/// Redirect (or post-logout redirect) URIs, each absolute and without a fragment
/// (RFC 6749 §3.1.2): `https`; `http` only to the loopback host (`localhost`, `127.0.0.1`,
/// `[::1]`, RFC 8252 §7.3); or a native app's private-use scheme, which RFC 8252 §7.1 makes
/// a reverse domain name, so it contains a dot (`com.example.app:/cb`). The dot also keeps
/// out `javascript:`, `data:` and `file:`. Duplicates are dropped, order kept.
pub fn redirect_uris(field: &'static str, uris: &[String]) -> Result<Vec<String>> {
    if uris.len() > MAX_URIS {
        return Err(Error::InvalidParameter(field));
    }
    let mut out: Vec<String> = Vec::with_capacity(uris.len());
    for uri in uris {
        let uri = uri.trim();
        if !redirect_uri_ok(uri) {
            return Err(Error::InvalidParameter(field));
        }
        if !out.iter().any(|u| u == uri) {
            out.push(uri.to_owned());
        }
    }
    Ok(out)
}

fn redirect_uri_ok(uri: &str) -> bool {
    if uri.is_empty()
        || uri.len() > MAX_TEXT_LEN
        || uri.contains('#')
        || uri.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return false;
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() {
        return false;
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => authority(rest).is_some_and(|host| !host.is_empty()),
        "http" => authority(rest).is_some_and(is_loopback),
        _ => scheme.contains('.'),
    }
}

/// The host of `//host[:port]/…`, or `None` when the part after the scheme is not an
/// authority, has user information (which makes `https://good@evil` read as `good`), or has
/// a port that is not a number.
fn authority(rest: &str) -> Option<&str> {
    let rest = rest.strip_prefix("//")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains('@') {
        return None;
    }
    // An IPv6 literal holds colons of its own; the port comes after its `]`.
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let close = v6.find(']')?;
            let after = &v6[close + 1..];
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':')?),
            };
            (&authority[..close + 2], port)
        }
        None => match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    if port.is_some_and(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    Some(host)
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "[::1]"
}

/// Grant types, each one the provider implements. At least one: a client without any could
/// obtain no token at all.
pub fn grant_types(grants: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(grants.len());
    for g in grants {
        let g = g.trim();
        if !GRANT_TYPES.contains(&g) {
            return Err(Error::InvalidParameter("grantTypes"));
        }
        if !out.iter().any(|o| o == g) {
            out.push(g.to_owned());
        }
    }
    if out.is_empty() {
        return Err(Error::InvalidParameter("grantTypes"));
    }
    Ok(out)
}

/// Response types: each a set of `code`, `id_token` and `token` with no word twice, or
/// `none` alone. Stored with single spaces in the order given; a set given twice (in any
/// order) is kept once.
pub fn response_types(types: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(types.len());
    let mut seen: Vec<Vec<&str>> = Vec::with_capacity(types.len());
    for t in types {
        let words: Vec<&str> = t.split_whitespace().collect();
        let mut set = words.clone();
        set.sort_unstable();
        let distinct = set.windows(2).all(|w| w[0] != w[1]);
        let valid = match words.as_slice() {
            [] => false,
            ["none"] => true,
            _ => distinct && words.iter().all(|w| RESPONSE_WORDS.contains(w)),
        };
        if !valid {
            return Err(Error::InvalidParameter("responseTypes"));
        }
        if !seen.contains(&set) {
            out.push(words.join(" "));
            seen.push(set);
        }
    }
    Ok(out)
}

pub fn auth_method(method: &str) -> Result<String> {
    let method = method.trim();
    if !AUTH_METHODS.contains(&method) {
        return Err(Error::InvalidParameter("tokenEndpointAuthMethod"));
    }
    Ok(method.to_owned())
}

pub fn signing_alg(alg: &str) -> Result<SigningAlg> {
    match alg.trim() {
        "RS256" => Ok(SigningAlg::RS256),
        "HS256" => Ok(SigningAlg::HS256),
        "ES256" => Ok(SigningAlg::ES256),
        _ => Err(Error::InvalidParameter("idTokenSignedResponseAlg")),
    }
}

/// A token lifetime in seconds.
pub fn lifetime(field: &'static str, secs: i64) -> Result<i64> {
    if !(MIN_LIFETIME_SECS..=MAX_LIFETIME_SECS).contains(&secs) {
        return Err(Error::InvalidParameter(field));
    }
    Ok(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uris(list: &[&str]) -> Result<Vec<String>> {
        let owned: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        redirect_uris("redirectUris", &owned)
    }

    #[test]
    fn redirect_uris_accepted() {
        for ok in [
            "https://example.com/cb",
            "https://example.com:8443/cb?x=1",
            "HTTPS://Example.com",
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8080/cb",
            "http://LOCALHOST",
            "com.example.app:/oauth2redirect",
            "com.example.app://cb",
        ] {
            assert_eq!(uris(&[ok]).unwrap(), vec![ok.to_owned()], "{ok}");
        }
    }

    #[test]
    fn redirect_uris_refused() {
        for bad in [
            "",
            "/relative/cb",
            "example.com/cb",
            "https://example.com/cb#frag",
            "https://",
            "https:///path",
            "https://user@evil.com/cb",
            "https://example.com:port/cb",
            "http://example.com/cb",
            "http://localhost.evil.com/cb",
            "http://127.0.0.2/cb",
            "http://[::2]/cb",
            "javascript:alert(1)",
            "data:text/html,x",
            "file:///etc/passwd",
            "myapp:/cb",
            "https://example.com/a b",
            "1com.example:/cb",
        ] {
            let e = uris(&[bad]);
            assert!(
                matches!(e, Err(Error::InvalidParameter("redirectUris"))),
                "{bad}: {e:?}"
            );
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_TEXT_LEN));
        assert!(uris(&[&long]).is_err());
        let many: Vec<String> = (0..=MAX_URIS)
            .map(|i| format!("https://example.com/{i}"))
            .collect();
        assert!(redirect_uris("redirectUris", &many).is_err());
    }

    #[test]
    fn redirect_uris_are_trimmed_and_deduplicated() {
        assert_eq!(
            uris(&[" https://a.com/cb ", "https://a.com/cb", "https://b.com"]).unwrap(),
            vec!["https://a.com/cb", "https://b.com"]
        );
        assert!(uris(&[]).unwrap().is_empty());
    }

    #[test]
    fn grant_types_are_the_known_ones() {
        let given: Vec<String> = GRANT_TYPES.iter().map(|s| s.to_string()).collect();
        assert_eq!(grant_types(&given).unwrap(), given);
        let dup = vec!["password".to_owned(), " password".to_owned()];
        assert_eq!(grant_types(&dup).unwrap(), vec!["password"]);
        for bad in [vec!["token".to_owned()], vec!["".to_owned()], Vec::new()] {
            assert!(matches!(
                grant_types(&bad),
                Err(Error::InvalidParameter("grantTypes"))
            ));
        }
    }

    #[test]
    fn response_types_are_combinations() {
        let given = ["code", "id_token token", "code  id_token token", "none"];
        let given: Vec<String> = given.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            response_types(&given).unwrap(),
            vec!["code", "id_token token", "code id_token token", "none"]
        );
        let same = vec!["code id_token".to_owned(), "id_token code".to_owned()];
        assert_eq!(response_types(&same).unwrap(), vec!["code id_token"]);
        for bad in ["", "code code", "none code", "device", "Code"] {
            assert!(
                matches!(
                    response_types(&[bad.to_owned()]),
                    Err(Error::InvalidParameter("responseTypes"))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn methods_algs_and_lifetimes() {
        assert_eq!(auth_method("none").unwrap(), "none");
        assert!(auth_method("private_key_jwt").is_err());
        assert_eq!(signing_alg("HS256").unwrap(), SigningAlg::HS256);
        assert!(signing_alg("none").is_err());
        assert_eq!(lifetime("x", 1).unwrap(), 1);
        assert_eq!(lifetime("x", MAX_LIFETIME_SECS).unwrap(), MAX_LIFETIME_SECS);
        assert!(lifetime("x", 0).is_err());
        assert!(lifetime("x", MAX_LIFETIME_SECS + 1).is_err());
    }
}
