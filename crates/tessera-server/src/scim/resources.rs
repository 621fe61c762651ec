//! Typed SCIM resources (RFC 7643): what is read from clients and what is answered.
//!
//! Attribute names are case-insensitive (RFC 7643 §2.1), so a request body is read after
//! every object key is lowercased ([`lowercase_keys`]); the input structs name their
//! fields in lowercase. Answers use the canonical camelCase names.

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// Every object key of `v`, at any depth, in lowercase.
pub fn lowercase_keys(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.into_iter()
                .map(|(k, v)| (k.to_lowercase(), lowercase_keys(v)))
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(lowercase_keys).collect()),
        other => other,
    }
}

/// A boolean as JSON `true`/`false` or, as Microsoft Entra ID sends it in PATCH, the
/// strings `"True"`/`"False"` (any case).
pub fn bool_like<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(de::Error::custom("active must be a boolean")),
    }
}

/// The `name` complex attribute.
#[derive(Debug, Default, Deserialize)]
pub struct NameIn {
    #[serde(rename = "givenname")]
    pub given_name: Option<String>,
    #[serde(rename = "familyname")]
    pub family_name: Option<String>,
    pub formatted: Option<String>,
}

/// One value of a multi-valued attribute (`emails`, `phoneNumbers`, `members`).
#[derive(Debug, Default, Deserialize)]
pub struct MultiIn {
    pub value: Option<Value>,
    #[serde(default, deserialize_with = "bool_like")]
    pub primary: Option<bool>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

impl MultiIn {
    pub fn text(&self) -> Option<String> {
        match &self.value {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            _ => None,
        }
    }
}

/// The primary value of a multi-valued attribute, or its first one (RFC 7643 §2.4: at
/// most one is primary).
pub fn primary(values: &Option<Vec<MultiIn>>) -> Option<String> {
    let values = values.as_ref()?;
    values
        .iter()
        .find(|v| v.primary == Some(true))
        .or_else(|| values.first())
        .and_then(MultiIn::text)
}

/// A User as a client sends it (POST, PUT, or rebuilt after a PATCH). Unknown attributes
/// (other schemas, `nickName`, `title`…) are ignored: Tessera does not store them.
#[derive(Debug, Default, Deserialize)]
pub struct UserIn {
    #[serde(rename = "username")]
    pub user_name: Option<String>,
    pub name: Option<NameIn>,
    #[serde(rename = "displayname")]
    pub display_name: Option<String>,
    pub emails: Option<Vec<MultiIn>>,
    #[serde(rename = "phonenumbers")]
    pub phone_numbers: Option<Vec<MultiIn>>,
    #[serde(default, deserialize_with = "bool_like")]
    pub active: Option<bool>,
    #[serde(rename = "externalid")]
    pub external_id: Option<String>,
    pub password: Option<String>,
}

/// A Group as a client sends it.
#[derive(Debug, Default, Deserialize)]
pub struct GroupIn {
    #[serde(rename = "displayname")]
    pub display_name: Option<String>,
    #[serde(rename = "externalid")]
    pub external_id: Option<String>,
    pub members: Option<Vec<MultiIn>>,
}

/// One operation of a PATCH (RFC 7644 §3.5.2).
#[derive(Debug, Deserialize)]
pub struct PatchOpIn {
    pub op: String,
    pub path: Option<String>,
    pub value: Option<Value>,
}

/// A PATCH request body.
#[derive(Debug, Deserialize)]
pub struct PatchIn {
    pub schemas: Vec<String>,
    #[serde(rename = "operations")]
    pub operations: Vec<PatchOpIn>,
}

/// `meta` (RFC 7643 §3.1).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    pub resource_type: &'static str,
    pub created: String,
    pub last_modified: String,
    pub location: String,
    /// A weak entity tag from the last modification (RFC 7644 §3.14).
    pub version: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NameOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MultiOut {
    pub value: String,
    pub primary: bool,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Debug, Serialize)]
pub struct MemberOut {
    pub value: String,
    #[serde(rename = "$ref")]
    pub reference: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserOut {
    pub schemas: Vec<&'static str>,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub user_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<NameOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub emails: Vec<MultiOut>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phone_numbers: Vec<MultiOut>,
    pub active: bool,
    pub meta: Meta,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupOut {
    pub schemas: Vec<&'static str>,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<Vec<MemberOut>>,
    pub meta: Meta,
}

/// A list answer (RFC 7644 §3.4.2).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListOut<T> {
    pub schemas: [&'static str; 1],
    pub total_results: i64,
    pub start_index: i64,
    pub items_per_page: usize,
    #[serde(rename = "Resources")]
    pub resources: Vec<T>,
}
