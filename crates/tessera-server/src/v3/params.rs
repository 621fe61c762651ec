//! A v3 request's parameters: the decoded query of a GET, the JSON object of any other verb.
//!
//! Both are kept in the form the signature needs (wire order, raw member text) and turned
//! into one JSON object that a handler deserializes into its typed request struct. Query
//! values are typed by the SDK catalog (`catalog.rs`): numbers and booleans arrive as text.

use std::fmt;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::catalog::{self, QueryType};
use super::signature::QueryValue;

/// A JSON object's top-level members in wire order, each as its raw text.
#[derive(Debug, Default)]
pub struct Members(pub Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Members, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Box<RawValue>>()? {
                    if out.iter().any(|(seen, _): &(String, _)| *seen == k) {
                        return Err(de::Error::custom(format!("duplicate member {k}")));
                    }
                    out.push((k, v));
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Why the parameters could not be read; the message names the field.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ParamError {
    #[error("the body is not a JSON object: {0}")]
    Body(String),
    #[error("the query string cannot be decoded")]
    Query,
    #[error("{field} must be {expected}")]
    Type {
        field: String,
        expected: &'static str,
    },
    #[error("{0}")]
    Shape(String),
}

/// A body's members (an empty body is an empty object).
pub fn body_members(bytes: &[u8]) -> Result<Members, ParamError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Members::default());
    }
    serde_json::from_slice(bytes).map_err(|e| ParamError::Body(e.to_string()))
}

/// A query string's pairs, `+` as space; `k[]=` and repeated keys collapse into one list.
pub fn query_values(raw: Option<&str>) -> Result<Vec<(String, QueryValue)>, ParamError> {
    let pairs: Vec<(String, String)> = match raw {
        Some(q) => serde_urlencoded::from_str(q).map_err(|_| ParamError::Query)?,
        None => Vec::new(),
    };
    let mut out: Vec<(String, QueryValue)> = Vec::new();
    for (k, v) in pairs {
        let (key, listed) = match k.strip_suffix("[]") {
            Some(base) => (base.to_owned(), true),
            None => (k, false),
        };
        match out.iter_mut().find(|(seen, _)| *seen == key) {
            Some((_, QueryValue::Many(list))) => list.push(v),
            Some((_, slot @ QueryValue::One(_))) => {
                if let QueryValue::One(first) = slot.clone() {
                    *slot = QueryValue::Many(vec![first, v]);
                }
            }
            None if listed => out.push((key, QueryValue::Many(vec![v]))),
            None => out.push((key, QueryValue::One(v))),
        }
    }
    Ok(out)
}

/// The body as one JSON object.
pub fn body_object(members: &Members) -> Result<Map<String, Value>, ParamError> {
    let mut map = Map::new();
    for (k, raw) in &members.0 {
        let v: Value =
            serde_json::from_str(raw.get()).map_err(|e| ParamError::Body(e.to_string()))?;
        map.insert(k.clone(), v);
    }
    Ok(map)
}

/// The query as one JSON object, typed by the catalog's declaration of `verb path`. An
/// empty value is absent (axios sends `k=` for an empty string, which no field means).
pub fn query_object(
    verb: &str,
    path: &str,
    values: &[(String, QueryValue)],
) -> Result<Map<String, Value>, ParamError> {
    let types = catalog::find(verb, path).map(|m| &m.query);
    let mut map = Map::new();
    for (k, v) in values {
        let ty = types
            .and_then(|t| t.get(k))
            .copied()
            .unwrap_or(QueryType::String);
        let value = match (ty, v) {
            (QueryType::List, QueryValue::Many(list)) => {
                Value::Array(list.iter().cloned().map(Value::String).collect())
            }
            // Some clients send `k=a,b` instead of repeating the key (§9.8).
            (QueryType::List, QueryValue::One(s)) if s.is_empty() => continue,
            (QueryType::List, QueryValue::One(s)) => Value::Array(
                s.split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| Value::String(p.to_owned()))
                    .collect(),
            ),
            (_, QueryValue::Many(_)) => {
                return Err(ParamError::Type {
                    field: k.clone(),
                    expected: "a single value",
                })
            }
            (_, QueryValue::One(s)) if s.is_empty() => continue,
            (QueryType::String, QueryValue::One(s)) => Value::String(s.clone()),
            (QueryType::Number, QueryValue::One(s)) => {
                let n: serde_json::Number = s.parse().map_err(|_| ParamError::Type {
                    field: k.clone(),
                    expected: "a number",
                })?;
                Value::Number(n)
            }
            (QueryType::Boolean, QueryValue::One(s)) => match s.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => {
                    return Err(ParamError::Type {
                        field: k.clone(),
                        expected: "true or false",
                    })
                }
            },
        };
        map.insert(k.clone(), value);
    }
    Ok(map)
}

/// Deserializes the parameters into a handler's request struct. serde's message names the
/// field and what it expected.
pub fn typed<T: DeserializeOwned>(args: &Map<String, Value>) -> Result<T, ParamError> {
    T::deserialize(Value::Object(args.clone())).map_err(|e| ParamError::Shape(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axios_arrays_and_spaces_are_read() {
        let q = query_values(Some("userIds%5B%5D=a&userIds%5B%5D=b+c&page=2")).unwrap();
        assert_eq!(
            q[0],
            (
                "userIds".into(),
                QueryValue::Many(vec!["a".into(), "b c".into()])
            )
        );
        let o = query_object("GET", "/api/v3/get-user-batch", &q).unwrap();
        assert_eq!(o["userIds"], serde_json::json!(["a", "b c"]));
        let o = query_object(
            "GET",
            "/api/v3/list-users",
            &query_values(Some("page=2&limit=5&withCustomData=true")).unwrap(),
        )
        .unwrap();
        assert_eq!(o["page"], 2);
        assert_eq!(o["withCustomData"], true);
    }

    #[test]
    fn typed_query_values_are_checked() {
        let bad = query_values(Some("page=two")).unwrap();
        let e = query_object("GET", "/api/v3/list-users", &bad).unwrap_err();
        assert_eq!(e.to_string(), "page must be a number");
        let comma = query_values(Some("userIds=a,b")).unwrap();
        let o = query_object("GET", "/api/v3/get-user-batch", &comma).unwrap();
        assert_eq!(o["userIds"], serde_json::json!(["a", "b"]));
    }

    #[test]
    fn bodies_keep_wire_order_and_refuse_non_objects() {
        let m = body_members(br#"{"z":1,"a":{"y":2,"b":3}}"#).unwrap();
        assert_eq!(m.0[0].0, "z");
        assert_eq!(m.0[1].1.get(), r#"{"y":2,"b":3}"#);
        assert!(body_members(b"[1]").is_err());
        assert!(body_members(b"{\"a\":1,\"a\":2}").is_err());
        assert!(body_members(b"").unwrap().0.is_empty());
    }
}
