//! PATCH (RFC 7644 §3.5.2) applied to a resource's JSON, its keys lowercased. The result is
//! read back through the resource's typed input struct, so a patch can only produce what a
//! PUT could have sent. Attributes Tessera does not store are accepted and dropped there.

use serde_json::{Map, Value};

use super::error::{ScimError, ScimType};
use super::filter::{self, Equality, Path};
use super::resources::{lowercase_keys, PatchIn, PATCH_SCHEMA};

/// At most this many operations in one PATCH.
pub const MAX_OPERATIONS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

fn syntax(detail: &str) -> ScimError {
    ScimError::bad(ScimType::InvalidSyntax, detail.to_owned())
}

/// Attributes no client may write (RFC 7643 §3.1: `id` and `meta` are readOnly).
fn read_only(attr: &str) -> bool {
    matches!(attr, "id" | "meta" | "schemas")
}

fn matches(item: &Value, f: &Equality) -> bool {
    let Some(v) = item.as_object().and_then(|o| o.get(&f.attr)) else {
        return false;
    };
    match (v, &f.value) {
        // String comparisons are case-insensitive unless the attribute says otherwise; the
        // values filtered on in paths (`type`, `value` of members) are ids or keywords.
        (Value::String(a), Value::String(b)) => a == b || a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
    }
}

/// The identity of a multi-valued attribute's value, for `add`'s "no duplicates" (RFC
/// 7644 §3.5.2.1).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a.get("value"), b.get("value")) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn apply_one(
    doc: &mut Map<String, Value>,
    op: Op,
    path: &Path,
    value: Option<Value>,
) -> Result<(), ScimError> {
    if read_only(&path.attr) {
        return Err(ScimError::bad(
            ScimType::Mutability,
            format!("{} is read-only", path.attr),
        ));
    }
    let value = value.map(lowercase_keys);
    if op != Op::Remove && value.is_none() {
        return Err(syntax("add and replace need a value"));
    }
    match (&path.filter, &path.sub) {
        (None, None) => match op {
            Op::Remove => match (doc.get_mut(&path.attr), value) {
                // Entra removes members by listing them: `{op: remove, path: members,
                // value: [{value: id}]}`.
                (Some(Value::Array(items)), Some(Value::Array(gone))) => {
                    items.retain(|i| !gone.iter().any(|g| same_value(i, g)));
                }
                _ => {
                    doc.remove(&path.attr);
                }
            },
            Op::Add => {
                let value = value.unwrap_or(Value::Null);
                match (doc.get_mut(&path.attr), value) {
                    (Some(Value::Array(items)), Value::Array(new)) => {
                        for n in new {
                            if !items.iter().any(|i| same_value(i, &n)) {
                                items.push(n);
                            }
                        }
                    }
                    (Some(Value::Object(o)), Value::Object(new)) => o.extend(new),
                    (_, v) => {
                        doc.insert(path.attr.clone(), v);
                    }
                }
            }
            Op::Replace => {
                let value = value.unwrap_or(Value::Null);
                match (doc.get_mut(&path.attr), value) {
                    (Some(Value::Object(o)), Value::Object(new)) => o.extend(new),
                    (_, v) => {
                        doc.insert(path.attr.clone(), v);
                    }
                }
            }
        },
        (None, Some(sub)) => {
            let entry = doc
                .entry(path.attr.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            match entry {
                Value::Object(o) => match op {
                    Op::Remove => {
                        o.remove(sub);
                    }
                    Op::Add | Op::Replace => {
                        o.insert(sub.clone(), value.unwrap_or(Value::Null));
                    }
                },
                // `emails.value` without a filter: every value of the attribute.
                Value::Array(items) => {
                    for item in items.iter_mut() {
                        if let Value::Object(o) = item {
                            match op {
                                Op::Remove => {
                                    o.remove(sub);
                                }
                                Op::Add | Op::Replace => {
                                    o.insert(sub.clone(), value.clone().unwrap_or(Value::Null));
                                }
                            }
                        }
                    }
                }
                _ => {
                    return Err(ScimError::bad(
                        ScimType::InvalidPath,
                        "not a complex attribute",
                    ))
                }
            }
        }
        (Some(f), sub) => {
            let entry = doc
                .entry(path.attr.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(items) = entry else {
                return Err(ScimError::bad(
                    ScimType::InvalidPath,
                    "not a multi-valued attribute",
                ));
            };
            let hits = items.iter().filter(|i| matches(i, f)).count();
            match (op, sub) {
                (Op::Remove, None) => items.retain(|i| !matches(i, f)),
                (Op::Remove, Some(sub)) => {
                    for i in items.iter_mut().filter(|i| matches(i, f)) {
                        if let Value::Object(o) = i {
                            o.remove(sub);
                        }
                    }
                }
                (_, Some(sub)) => {
                    if hits == 0 {
                        // Entra sets `emails[type eq "work"].value` on a user that has no such
                        // value yet: the value is created with the filter's attribute.
                        let mut o = Map::new();
                        o.insert(f.attr.clone(), f.value.clone());
                        items.push(Value::Object(o));
                    }
                    for i in items.iter_mut().filter(|i| matches(i, f)) {
                        if let Value::Object(o) = i {
                            o.insert(sub.clone(), value.clone().unwrap_or(Value::Null));
                        }
                    }
                }
                (_, None) => {
                    if hits == 0 {
                        return Err(ScimError::bad(
                            ScimType::NoTarget,
                            "no value matches the path's filter",
                        ));
                    }
                    let new = value.unwrap_or(Value::Null);
                    for i in items.iter_mut().filter(|i| matches(i, f)) {
                        match (i, &new) {
                            (Value::Object(o), Value::Object(n)) => o.extend(n.clone()),
                            (i, n) => *i = n.clone(),
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// The resource `current` (as it is answered) with the PATCH request `body` applied, read
/// back as the full replacement `R` a PUT would carry; `kind` names it in the error.
pub fn patched<R: serde::de::DeserializeOwned>(
    current: &impl serde::Serialize,
    body: Value,
    kind: &str,
) -> Result<R, ScimError> {
    let doc = serde_json::to_value(current).map_err(|_| {
        ScimError::status(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
        )
    })?;
    let mut doc = match lowercase_keys(doc) {
        Value::Object(o) => o,
        _ => Map::new(),
    };
    apply(&mut doc, body)?;
    serde_json::from_value(Value::Object(doc)).map_err(|e| {
        ScimError::bad(
            ScimType::InvalidValue,
            format!("the patched {kind} is invalid: {e}"),
        )
    })
}

/// Applies a PATCH request (`body` already parsed) to `doc`.
pub fn apply(doc: &mut Map<String, Value>, body: Value) -> Result<(), ScimError> {
    let body: PatchIn = serde_json::from_value(lowercase_keys(body))
        .map_err(|e| syntax(&format!("not a PatchOp request: {e}")))?;
    if !body
        .schemas
        .iter()
        .any(|s| s.eq_ignore_ascii_case(PATCH_SCHEMA))
    {
        return Err(syntax("schemas must name the PatchOp message"));
    }
    if body.operations.is_empty() {
        return Err(syntax("no operations"));
    }
    if body.operations.len() > MAX_OPERATIONS {
        return Err(ScimError::bad(ScimType::TooMany, "too many operations"));
    }
    for o in body.operations {
        let op = match o.op.to_ascii_lowercase().as_str() {
            "add" => Op::Add,
            "replace" => Op::Replace,
            "remove" => Op::Remove,
            _ => return Err(syntax("op must be add, replace or remove")),
        };
        match o.path.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => apply_one(doc, op, &filter::path(p)?, o.value)?,
            None => {
                // Without a path the value is an object of attributes (RFC 7644 §3.5.2.1,
                // §3.5.2.3), each key itself a path (Entra sends `name.givenName`; Okta
                // `{"active": false}`).
                if op == Op::Remove {
                    return Err(ScimError::bad(ScimType::NoTarget, "remove needs a path"));
                }
                let Some(Value::Object(attrs)) = o.value else {
                    return Err(syntax("a value object is required without a path"));
                };
                for (k, v) in attrs {
                    apply_one(doc, op, &filter::path(&k)?, Some(v))?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Map<String, Value> {
        lowercase_keys(json!({
            "userName": "bjensen",
            "active": true,
            "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
            "members": [{"value": "u1"}, {"value": "u2"}],
        }))
        .as_object()
        .cloned()
        .unwrap()
    }

    fn patch(ops: Value) -> Value {
        json!({"schemas": [PATCH_SCHEMA], "Operations": ops})
    }

    #[test]
    fn okta_and_entra_shapes() {
        let mut d = doc();
        apply(
            &mut d,
            patch(json!([{"op": "replace", "value": {"active": false}}])),
        )
        .unwrap();
        assert_eq!(d["active"], json!(false));
        apply(
            &mut d,
            patch(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        )
        .unwrap();
        assert_eq!(d["active"], json!("False"));
        apply(
            &mut d,
            patch(json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "n@example.com"}])),
        )
        .unwrap();
        assert_eq!(d["emails"][0]["value"], json!("n@example.com"));
        apply(
            &mut d,
            patch(json!([{"op": "Add", "value": {"name.givenName": "Barbara"}}])),
        )
        .unwrap();
        assert_eq!(d["name"]["givenname"], json!("Barbara"));
        apply(
            &mut d,
            patch(json!([{"op": "remove", "path": "members[value eq \"u1\"]"}])),
        )
        .unwrap();
        assert_eq!(d["members"], json!([{"value": "u2"}]));
        apply(&mut d, patch(json!([{"op": "add", "path": "members", "value": [{"value": "u2"}, {"value": "u3"}]}]))).unwrap();
        assert_eq!(d["members"], json!([{"value": "u2"}, {"value": "u3"}]));
        apply(
            &mut d,
            patch(json!([{"op": "Remove", "path": "members", "value": [{"value": "u3"}]}])),
        )
        .unwrap();
        assert_eq!(d["members"], json!([{"value": "u2"}]));
    }

    #[test]
    fn refusals() {
        let mut d = doc();
        let e = apply(
            &mut d,
            patch(json!([{"op": "replace", "path": "id", "value": "x"}])),
        )
        .unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::Mutability));
        let e = apply(&mut d, patch(json!([{"op": "move", "path": "x"}]))).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
        let e = apply(&mut d, json!({"Operations": []})).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
        let e = apply(&mut d, patch(json!([{"op": "replace", "path": "members[value eq \"zz\"]", "value": {"value": "a"}}]))).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::NoTarget));
    }
}
