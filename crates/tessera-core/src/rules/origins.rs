//! A pool's allow-list of web origins (`allowedOrigins`, the console's 安全域): which
//! browser pages may read the answers to their calls.
//!
//! The list is one entry per line (commas and spaces also separate, as people paste
//! them). Empty allows every origin, as Authing does for a pool that never set one. An entry
//! is an origin (`https://app.example.com`, `http://localhost:3000`), optionally with `*` as
//! the leftmost host label(s) (`https://*.example.com`: any subdomain, not the domain
//! itself), or without a scheme (`app.example.com`: either scheme), or `*` alone (every
//! origin). Scheme and host compare case-insensitively; a port must match exactly, and an
//! entry without one matches the scheme's default port only, as the browser leaves it out
//! of `Origin`.

/// Whether `origin` (a browser's `Origin` value) may read answers under `list`.
pub fn allows(list: &str, origin: &str) -> bool {
    let mut entries = list
        .split(|c: char| c == '\n' || c == '\r' || c == ',' || c.is_whitespace())
        .filter(|e| !e.is_empty())
        .peekable();
    if entries.peek().is_none() {
        return true;
    }
    let Some(origin) = Origin::parse(origin) else {
        return false;
    };
    entries.any(|e| e == "*" || Origin::parse(e).is_some_and(|e| e.admits(&origin)))
}

struct Origin {
    scheme: Option<String>,
    host: String,
    port: Option<String>,
}

impl Origin {
    /// `scheme://host[:port]`, or `host[:port]` without a scheme; a trailing `/` is
    /// tolerated, any other path is not an origin.
    fn parse(text: &str) -> Option<Origin> {
        let text = text.trim().trim_end_matches('/');
        let (scheme, rest) = match text.split_once("://") {
            Some((s, rest)) => (Some(s.to_ascii_lowercase()), rest),
            None => (None, text),
        };
        if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
            return None;
        }
        // An IPv6 host is bracketed: its colons are not the port's.
        let (host, port) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains(']') => (&rest[..i], Some(rest[i + 1..].to_owned())),
            _ => (rest, None),
        };
        if host.is_empty() || port.as_deref().is_some_and(|p| p.is_empty()) {
            return None;
        }
        let port = match (scheme.as_deref(), port.as_deref()) {
            (Some("http"), Some("80")) | (Some("https"), Some("443")) => None,
            _ => port,
        };
        Some(Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// Whether this allow-list entry admits `origin`.
    fn admits(&self, origin: &Origin) -> bool {
        let scheme_ok = self.scheme.is_none() || self.scheme == origin.scheme;
        let host_ok = match self.host.strip_prefix("*.") {
            Some(domain) => origin
                .host
                .strip_suffix(domain)
                .and_then(|sub| sub.strip_suffix('.'))
                .is_some_and(|sub| !sub.is_empty()),
            None => self.host == origin.host,
        };
        scheme_ok && host_ok && self.port == origin.port
    }
}

#[cfg(test)]
mod tests {
    use super::allows;

    #[test]
    fn an_empty_list_allows_every_origin() {
        assert!(allows("", "https://evil.example"));
        assert!(allows(" \n\n ", "https://evil.example"));
    }

    #[test]
    fn exact_origins_compare_scheme_host_and_port() {
        let list = "https://app.example.com\nhttp://localhost:3000\n";
        assert!(allows(list, "https://app.example.com"));
        assert!(allows(list, "https://APP.example.com"));
        assert!(allows(list, "https://app.example.com:443"));
        assert!(allows(list, "http://localhost:3000"));
        assert!(!allows(list, "http://app.example.com"), "another scheme");
        assert!(
            !allows(list, "https://app.example.com:8443"),
            "another port"
        );
        assert!(!allows(list, "http://localhost:3001"));
        assert!(!allows(list, "https://app.example.com.evil.net"));
        assert!(!allows(list, "null"));
        assert!(!allows(list, ""));
    }

    #[test]
    fn wildcards_match_subdomains_only() {
        let list = "https://*.example.com";
        assert!(allows(list, "https://a.example.com"));
        assert!(allows(list, "https://a.b.example.com"));
        assert!(!allows(list, "https://example.com"));
        assert!(!allows(list, "https://aexample.com"));
        assert!(!allows(list, "https://a.example.com.evil.net"));
        assert!(!allows(list, "http://a.example.com"));
        assert!(allows("*", "https://anything.example"));
    }

    #[test]
    fn entries_without_a_scheme_and_other_separators() {
        let list = "app.example.com, https://b.example.com/  [::1]:8080";
        assert!(allows(list, "http://app.example.com"));
        assert!(allows(list, "https://app.example.com"));
        assert!(allows(list, "https://b.example.com"));
        assert!(allows(list, "http://[::1]:8080"));
        assert!(!allows(list, "http://[::1]:8081"));
        assert!(!allows(
            "https://a.example.com/path",
            "https://a.example.com"
        ));
    }
}
