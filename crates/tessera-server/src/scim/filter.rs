//! The parts of SCIM's filter and path grammar Tessera reads (RFC 7644 §3.4.2.2, §3.5.2):
//! `attrPath eq value` (the comparisons clients use to find a resource before creating
//! it), and PATCH paths `attr`, `attr.sub`, `attr[sub eq value]`, `attr[sub eq value].sub`,
//! optionally prefixed by a schema URN. Anything else is `invalidFilter` / `invalidPath`.

use serde_json::Value;

use super::error::{ScimError, ScimType};
use super::resources::{GROUP_SCHEMA, USER_SCHEMA};

/// Longest filter or path read.
pub const MAX_FILTER_LEN: usize = 1024;

/// `attrPath eq value`, the attribute path lowercased and without a core schema prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct Equality {
    pub attr: String,
    pub value: Value,
}

fn invalid_filter(detail: &str) -> ScimError {
    ScimError::bad(ScimType::InvalidFilter, detail.to_owned())
}

/// Strips the core schema URN a path may be qualified with (RFC 7644 §3.10).
fn unqualified(attr: &str) -> String {
    let lower = attr.to_lowercase();
    for schema in [USER_SCHEMA, GROUP_SCHEMA] {
        let prefix = format!("{}:", schema.to_lowercase());
        if let Some(rest) = lower.strip_prefix(&prefix) {
            return rest.to_owned();
        }
    }
    lower
}

fn is_attr_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':' | '$')
}

/// Reads a comparison value: a JSON string, number, `true`, `false` or `null`.
fn comp_value(s: &str) -> Option<Value> {
    let s = s.trim();
    if s.starts_with('"') {
        return match serde_json::from_str::<Value>(s) {
            Ok(v @ Value::String(_)) => Some(v),
            _ => None,
        };
    }
    match s.to_lowercase().as_str() {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        "null" => Some(Value::Null),
        _ => s.parse::<serde_json::Number>().ok().map(Value::Number),
    }
}

/// `attrPath eq value`.
pub fn equality(filter: &str) -> Result<Equality, ScimError> {
    if filter.len() > MAX_FILTER_LEN {
        return Err(ScimError::bad(ScimType::TooMany, "filter too long"));
    }
    let f = filter.trim();
    let attr_end = f
        .find(|c: char| !is_attr_char(c))
        .ok_or_else(|| invalid_filter("expected: attribute eq value"))?;
    let (attr, rest) = f.split_at(attr_end);
    let rest = rest.trim_start();
    let (op, value) = rest
        .split_once(char::is_whitespace)
        .ok_or_else(|| invalid_filter("expected: attribute eq value"))?;
    if attr.is_empty() {
        return Err(invalid_filter("missing attribute"));
    }
    if !op.eq_ignore_ascii_case("eq") {
        return Err(invalid_filter("only the eq operator is supported"));
    }
    let value = comp_value(value).ok_or_else(|| invalid_filter("invalid comparison value"))?;
    Ok(Equality {
        attr: unqualified(attr),
        value,
    })
}

/// A PATCH path.
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// The attribute, lowercased (an extension's URN when the path names one).
    pub attr: String,
    /// `[sub eq value]`.
    pub filter: Option<Equality>,
    /// The sub-attribute, lowercased.
    pub sub: Option<String>,
}

fn invalid_path(detail: &str) -> ScimError {
    ScimError::bad(ScimType::InvalidPath, detail.to_owned())
}

pub fn path(raw: &str) -> Result<Path, ScimError> {
    if raw.len() > MAX_FILTER_LEN {
        return Err(invalid_path("path too long"));
    }
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(invalid_path("empty path"));
    }
    let (head, filter, tail) = match raw.find('[') {
        Some(open) => {
            let close = raw
                .rfind(']')
                .filter(|c| *c > open)
                .ok_or_else(|| invalid_path("unclosed ["))?;
            let inner = equality(&raw[open + 1..close]).map_err(|_| invalid_path("bad filter"))?;
            let tail = raw[close + 1..].trim();
            let tail = match tail.strip_prefix('.') {
                Some(t) if !t.is_empty() => Some(t.to_lowercase()),
                None if tail.is_empty() => None,
                _ => return Err(invalid_path("bad sub-attribute")),
            };
            (&raw[..open], Some(inner), tail)
        }
        None => (raw, None, None),
    };
    if head.is_empty() || !head.chars().all(is_attr_char) {
        return Err(invalid_path("bad attribute"));
    }
    let head = unqualified(head);
    // An extension's attribute: `urn:…:User:attr` names `attr` inside the URN's object.
    let (attr, sub_of_head) = if head.starts_with("urn:") {
        match head.rsplit_once(':') {
            Some((urn, a)) => (urn.to_owned(), Some(a.to_owned())),
            None => (head, None),
        }
    } else {
        match head.split_once('.') {
            Some((a, s)) => (a.to_owned(), Some(s.to_owned())),
            None => (head, None),
        }
    };
    let sub = match (sub_of_head, tail) {
        (Some(_), Some(_)) => return Err(invalid_path("bad sub-attribute")),
        (a, b) => a.or(b),
    };
    Ok(Path { attr, filter, sub })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equality_reads_clients_filters() {
        let e = equality("userName eq \"Bjensen@Example.com\"").unwrap();
        assert_eq!(e.attr, "username");
        assert_eq!(e.value, json!("Bjensen@Example.com"));
        assert_eq!(
            equality("emails.value Eq \"a@b.c\"").unwrap().attr,
            "emails.value"
        );
        assert_eq!(
            equality("urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"x\"")
                .unwrap()
                .attr,
            "username"
        );
        assert_eq!(equality("active eq true").unwrap().value, json!(true));
        for bad in [
            "userName sw \"a\"",
            "userName eq",
            "userName eq \"a\" and active eq true",
            "eq \"a\"",
            "userName eq a",
            "(userName eq \"a\")",
        ] {
            assert!(equality(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_of_okta_and_entra() {
        assert_eq!(
            path("members[value eq \"abc\"]").unwrap(),
            Path {
                attr: "members".into(),
                filter: Some(Equality {
                    attr: "value".into(),
                    value: json!("abc")
                }),
                sub: None
            }
        );
        let p = path("emails[type eq \"work\"].value").unwrap();
        assert_eq!(
            (p.attr.as_str(), p.sub.as_deref()),
            ("emails", Some("value"))
        );
        let p = path("name.givenName").unwrap();
        assert_eq!(
            (p.attr.as_str(), p.sub.as_deref()),
            ("name", Some("givenname"))
        );
        let p =
            path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department").unwrap();
        assert_eq!(
            p.attr,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"
        );
        assert_eq!(p.sub.as_deref(), Some("department"));
        for bad in [
            "",
            "members[value eq \"a\"",
            "a b",
            "members[value sw \"a\"]",
        ] {
            assert!(path(bad).is_err(), "{bad}");
        }
    }
}
