//! Content-Security-Policies for the hosted pages that end at a client: a form whose answer
//! redirects to the client's redirect URI, and the form_post response page.
//!
//! Why a page's policy names the client at all: Chrome and Safari apply `form-action` to
//! every redirect that follows a form submission, so a sign-in or consent form posting to
//! `'self'` whose answer is a 302 to `https://client.example/cb` is blocked unless
//! `form-action` also allows the client (w3c/webappsec-csp#8; Firefox does not check
//! redirects). The redirect URI is the one of the request being served, so a loopback
//! client's port (RFC 8252) is the one it listens on.

use thiserror::Error;

/// Why a policy could not be written.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CspError {
    /// A script nonce must be base64 (or base64url) text, as it is copied into the policy.
    #[error("a script nonce must be 1 to 256 base64 characters")]
    BadNonce,
}

/// [`super::html::CSP`] with `form-action` also allowing `redirect_uri`'s origin, for pages whose form
/// submission is answered with a redirect to that URI. When the origin cannot be written as
/// a CSP source (an IPv6 literal, user info, characters outside the source grammar) the
/// policy has no `form-action` at all: a browser that checks redirects would otherwise block
/// the client, and the pages carry no injected forms for the directive to stop since every
/// value in them is escaped.
pub fn with_redirect_target(redirect_uri: &str) -> String {
    policy(form_action(redirect_uri).as_deref(), None)
}

/// The policy of the form_post response page: its one inline script, marked with `nonce`,
/// may run, and its form may post to `redirect_uri` (same fallback as
/// [`with_redirect_target`]).
pub fn form_post(nonce: &str, redirect_uri: &str) -> Result<String, CspError> {
    if !valid_nonce(nonce) {
        return Err(CspError::BadNonce);
    }
    Ok(policy(form_action(redirect_uri).as_deref(), Some(nonce)))
}

/// The hosted pages' policy with the given `form-action` sources (none: no directive) and
/// script nonce (none: no scripts, as `default-src 'none'` covers scripts).
fn policy(form_action: Option<&str>, script_nonce: Option<&str>) -> String {
    let mut p = String::from("default-src 'none'; ");
    if let Some(nonce) = script_nonce {
        p.push_str("script-src 'nonce-");
        p.push_str(nonce);
        p.push_str("'; ");
    }
    p.push_str("style-src 'unsafe-inline'; img-src 'self' data: https:; ");
    if let Some(sources) = form_action {
        p.push_str("form-action ");
        p.push_str(sources);
        p.push_str("; ");
    }
    p.push_str("frame-ancestors 'none'; base-uri 'none'");
    p
}

fn form_action(redirect_uri: &str) -> Option<String> {
    source_of(redirect_uri).map(|s| format!("'self' {s}"))
}

/// The CSP source expression for the origin of `uri`: `scheme://host[:port]` for http(s),
/// `scheme:` for a native app's private-use scheme (RFC 8252 §7.1). Schemes that run or
/// embed content (`javascript:`, `data:`…) are never written.
fn source_of(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once(':')?;
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    match scheme.as_str() {
        "http" | "https" => {
            let after = rest.strip_prefix("//")?;
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            let authority = &after[..end];
            let (host, port) = match authority.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            };
            // CSP host-part: labels of letters, digits and '-' (no brackets, so no IPv6).
            let host_ok = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'));
            let port_ok = match port {
                Some(p) => !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()),
                None => true,
            };
            if !host_ok || !port_ok {
                return None;
            }
            let host = host.to_ascii_lowercase();
            Some(match port {
                Some(p) => format!("{scheme}://{host}:{p}"),
                None => format!("{scheme}://{host}"),
            })
        }
        "javascript" | "vbscript" | "data" | "blob" | "filesystem" | "about" => None,
        _ => Some(format!("{scheme}:")),
    }
}

/// base64 / base64url text of a sensible length: nothing that could end the quoted source.
fn valid_nonce(nonce: &str) -> bool {
    (1..=256).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosted::html::CSP;

    #[test]
    fn the_plain_policy_is_the_pages_csp() {
        assert_eq!(policy(Some("'self'"), None), CSP);
    }

    #[test]
    fn a_redirect_target_adds_its_origin() {
        assert_eq!(
            with_redirect_target("https://App.Example.com/cb?x=1#f"),
            CSP.replace(
                "form-action 'self'",
                "form-action 'self' https://app.example.com"
            )
        );
        assert!(with_redirect_target("http://127.0.0.1:51234/callback")
            .contains("form-action 'self' http://127.0.0.1:51234;"));
        assert!(with_redirect_target("https://a.example:8443")
            .contains("form-action 'self' https://a.example:8443;"));
        assert!(with_redirect_target("com.example.app:/oauth2redirect")
            .contains("form-action 'self' com.example.app:;"));
    }

    #[test]
    fn an_origin_that_is_no_csp_source_drops_form_action() {
        for uri in [
            "http://[::1]:8080/cb",
            "https://user@host.example/cb",
            "https://bad;host.example/",
            "https://host.example:80x/",
            "https:///nohost",
            "javascript:alert(1)",
            "data:text/html,x",
            "not a uri",
            "https://a b/",
        ] {
            let p = with_redirect_target(uri);
            assert!(!p.contains("form-action"), "{uri}: {p}");
            assert!(p.contains("frame-ancestors 'none'"), "{uri}: {p}");
        }
    }

    #[test]
    fn form_post_allows_one_nonce() {
        let p = form_post("AbC+/_-09==", "https://rp.example/cb").expect("nonce is valid");
        assert!(p.contains("script-src 'nonce-AbC+/_-09=='; "));
        assert!(p.contains("form-action 'self' https://rp.example;"));
        assert!(p.starts_with("default-src 'none'; "));
        assert_eq!(
            form_post("", "https://rp.example/cb"),
            Err(CspError::BadNonce)
        );
        assert_eq!(
            form_post("x' 'unsafe-inline", "https://rp.example/cb"),
            Err(CspError::BadNonce)
        );
        assert_eq!(
            form_post(&"a".repeat(257), "https://rp.example/cb"),
            Err(CspError::BadNonce)
        );
    }
}
