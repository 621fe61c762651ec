//! Reading GraphQL arguments and REST bodies: wrong types and missing values become the
//! Authing "incomplete/invalid parameters" error (2231) instead of a crash or a default.

use serde_json::{Map, Value};
use tessera_core::model::Profile;
use tessera_core::{Core, Error, Result};

use super::shapes::ProfileInput;

pub fn opt_str(obj: &Map<String, Value>, key: &'static str) -> Result<Option<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::InvalidParameter(key)),
    }
}

/// A string that must be present and non-empty.
pub fn req_str(obj: &Map<String, Value>, key: &'static str) -> Result<String> {
    opt_str(obj, key)?
        .filter(|s| !s.is_empty())
        .ok_or(Error::MissingParameter(key))
}

pub fn opt_bool(obj: &Map<String, Value>, key: &'static str) -> Result<bool> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(Error::InvalidParameter(key)),
    }
}

pub fn obj<'a>(args: &'a Map<String, Value>, key: &'static str) -> Result<&'a Map<String, Value>> {
    match args.get(key) {
        Some(Value::Object(m)) => Ok(m),
        None | Some(Value::Null) => Err(Error::MissingParameter(key)),
        Some(_) => Err(Error::InvalidParameter(key)),
    }
}

/// A password to check, as the SDKs send it: RSA-encrypted (PKCS#1 v1.5, base64). A
/// ciphertext not valid for our key becomes a password that cannot match.
pub async fn password(core: &Core, obj: &Map<String, Value>, key: &'static str) -> Result<String> {
    core.decrypt_password(&req_str(obj, key)?).await
}

pub async fn opt_password(
    core: &Core,
    obj: &Map<String, Value>,
    key: &'static str,
) -> Result<Option<String>> {
    match opt_str(obj, key)?.filter(|s| !s.is_empty()) {
        Some(c) => core.decrypt_password(&c).await.map(Some),
        None => Ok(None),
    }
}

/// A password to set (registration, reset, update): one that does not decrypt with our key
/// is 2016, within the client's budget (`Core::decrypt_new_password`). `ip` is the client
/// the budget is counted for.
pub async fn new_password(
    core: &Core,
    obj: &Map<String, Value>,
    key: &'static str,
    ip: Option<&str>,
) -> Result<String> {
    core.decrypt_new_password(&req_str(obj, key)?, ip).await
}

pub async fn opt_new_password(
    core: &Core,
    obj: &Map<String, Value>,
    key: &'static str,
    ip: Option<&str>,
) -> Result<Option<String>> {
    match opt_str(obj, key)?.filter(|s| !s.is_empty()) {
        Some(c) => core.decrypt_new_password(&c, ip).await.map(Some),
        None => Ok(None),
    }
}

/// `RegisterProfile`: the profile fields of a registration.
pub fn profile(obj: &Map<String, Value>) -> Result<Profile> {
    match obj.get("profile") {
        None | Some(Value::Null) => Ok(Profile::default()),
        Some(v @ Value::Object(_)) => serde_json::from_value::<ProfileInput>(v.clone())
            .map(Profile::from)
            .map_err(|_| Error::InvalidParameter("profile")),
        Some(_) => Err(Error::InvalidParameter("profile")),
    }
}

/// Custom data sent with a login or registration: `params` as the SDK's JSON text of
/// `[{key, value}]` (or that array itself, from REST bodies), or a `customData` object.
pub fn custom_data(obj: &Map<String, Value>) -> Result<Vec<(String, Value)>> {
    let mut out = Vec::new();
    let params = match obj.get("params") {
        Some(Value::String(s)) if !s.is_empty() => {
            serde_json::from_str::<Value>(s).map_err(|_| Error::InvalidParameter("params"))?
        }
        Some(v @ Value::Array(_)) => v.clone(),
        None | Some(Value::Null) | Some(Value::String(_)) => Value::Array(Vec::new()),
        Some(_) => return Err(Error::InvalidParameter("params")),
    };
    let Value::Array(items) = params else {
        return Err(Error::InvalidParameter("params"));
    };
    for item in items {
        let key = item
            .get("key")
            .and_then(Value::as_str)
            .ok_or(Error::InvalidParameter("params"))?;
        out.push((
            key.to_owned(),
            item.get("value").cloned().unwrap_or(Value::Null),
        ));
    }
    match obj.get("customData") {
        Some(Value::Object(m)) => out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
        None | Some(Value::Null) => {}
        Some(_) => return Err(Error::InvalidParameter("customData")),
    }
    Ok(out)
}

/// An integer argument; JSON numbers must be whole, REST query values arrive as strings.
pub fn opt_int(obj: &Map<String, Value>, key: &'static str) -> Result<Option<i64>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or(Error::InvalidParameter(key)),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| Error::InvalidParameter(key)),
        Some(_) => Err(Error::InvalidParameter(key)),
    }
}

/// `page` and `limit` (SDK defaults 1 and 10), validated.
pub fn page(obj: &Map<String, Value>) -> Result<tessera_core::service::paging::Page> {
    tessera_core::service::paging::Page::new(opt_int(obj, "page")?, opt_int(obj, "limit")?)
}

/// A list of strings (`ids`, `userIds`, `codeList`…): every element must be a string.
pub fn str_list(obj: &Map<String, Value>, key: &'static str) -> Result<Vec<String>> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or(Error::InvalidParameter(key))
            })
            .collect(),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(_) => Err(Error::InvalidParameter(key)),
    }
}

/// `udvList: [{key, value}]` of `setUdvBatch`, values JSON-decoded as the SDK encodes them.
pub fn udv_list(a: &Map<String, Value>) -> Result<Vec<(String, Value)>> {
    let list = match a.get("udvList") {
        Some(Value::Array(l)) => l,
        None | Some(Value::Null) => return Err(Error::MissingParameter("udvList")),
        Some(_) => return Err(Error::InvalidParameter("udvList")),
    };
    list.iter()
        .map(|item| {
            let item = item.as_object().ok_or(Error::InvalidParameter("udvList"))?;
            let raw = opt_str(item, "value")?.unwrap_or_default();
            Ok((
                req_str(item, "key")?,
                tessera_core::service::udf::decode_wire_value(&raw),
            ))
        })
        .collect()
}
