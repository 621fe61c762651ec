//! User-defined fields: definitions per target type and typed values (`v2-wire.md` §7.2).
//!
//! Values arrive JSON-encoded (the SDK sends `JSON.stringify(v)`), are checked against the
//! field's data type and stored in the form the SDKs decode: a STRING as the bare string,
//! NUMBER/BOOLEAN/OBJECT as JSON text, DATETIME as epoch-millisecond digits.

use serde_json::Value;

use super::account::SessionAhead;
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::model::ExternalIdentity;
use crate::principal::PoolAdmin;
use crate::rules::identifiers;
use crate::store::UdfDefinition;

/// The stored `(key, value)` pairs that a definition names, in definition order, with each
/// field's type and label.
fn defined_values(defs: Vec<UdfDefinition>, values: &[(String, String)]) -> Vec<UdfValue> {
    defs.into_iter()
        .filter_map(|d| {
            let value = values.iter().find(|(k, _)| *k == d.key)?.1.clone();
            Some(UdfValue {
                key: d.key,
                data_type: d.data_type,
                value,
                label: d.label,
            })
        })
        .collect()
}

/// Most fields one `setCustomFields` / `deleteCustomFields` call names.
pub const MAX_UDF_BATCH: usize = 100;

/// One field of a batch definition; absent parts keep the stored field's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdfSpec {
    pub target: UdfTarget,
    pub key: String,
    pub data_type: Option<UdfDataType>,
    pub label: Option<String>,
    /// The choices of a SELECT field as `(value, label)`.
    pub options: Option<Vec<(String, String)>>,
}

/// The user's built-in fields the v3 base-field API lists, each with whether the pool keeps
/// it unique. They are all text here.
pub const USER_BASE_FIELDS: [(&str, bool); 26] = [
    ("username", true),
    ("email", true),
    ("phone", true),
    ("externalId", true),
    ("name", false),
    ("nickname", false),
    ("photo", false),
    ("gender", false),
    ("birthdate", false),
    ("country", false),
    ("province", false),
    ("city", false),
    ("address", false),
    ("streetAddress", false),
    ("postalCode", false),
    ("company", false),
    ("givenName", false),
    ("familyName", false),
    ("middleName", false),
    ("preferredUsername", false),
    ("profile", false),
    ("website", false),
    ("zoneinfo", false),
    ("locale", false),
    ("formatted", false),
    ("region", false),
];

/// Where a pool's own labels of built-in user fields are kept: definitions of a target kind
/// no custom value can have (no [`UdfTarget`] names it), so they never carry values.
const USER_BASE_TARGET: &str = "USER_BASE";

/// A field key: not blank, short, no control characters.
fn checked_key(key: &str) -> Result<String> {
    let key = key.trim();
    if key.is_empty() {
        return Err(Error::MissingParameter("key"));
    }
    if key.len() > 64 || key.chars().any(char::is_control) {
        return Err(Error::InvalidParameter("key"));
    }
    Ok(key.to_owned())
}

/// The definition `spec` makes of the stored one (if any): a new field needs its data type;
/// choices belong to SELECT fields only and are kept as `[{value, label}]`, the form
/// [`to_stored`] checks values against.
fn definition_of(
    pool_id: &str,
    spec: UdfSpec,
    stored: Option<&UdfDefinition>,
) -> Result<UdfDefinition> {
    let key = checked_key(&spec.key)?;
    let data_type = match (spec.data_type, stored) {
        (Some(t), _) => t,
        (None, Some(d)) => UdfDataType::parse(&d.data_type).unwrap_or(UdfDataType::String),
        (None, None) => return Err(Error::MissingParameter("dataType")),
    };
    let label = match spec.label {
        Some(l) => {
            identifiers::text("label", &l)?;
            Some(l).filter(|l| !l.trim().is_empty())
        }
        None => stored.and_then(|d| d.label.clone()),
    };
    let options = match spec.options {
        Some(_) if data_type != UdfDataType::Select => {
            return Err(Error::InvalidParameter("options"))
        }
        Some(list) => {
            let mut seen: Vec<&str> = Vec::with_capacity(list.len());
            for (value, label) in &list {
                if value.is_empty() || seen.contains(&value.as_str()) {
                    return Err(Error::InvalidParameter("options"));
                }
                identifiers::text("options", value)?;
                identifiers::text("options", label)?;
                seen.push(value);
            }
            let json: Vec<Value> = list
                .iter()
                .map(|(value, label)| serde_json::json!({ "value": value, "label": label }))
                .collect();
            Some(Value::Array(json).to_string())
        }
        // A field that stops being a SELECT loses its choices.
        None if data_type != UdfDataType::Select => None,
        None => stored.and_then(|d| d.options.clone()),
    };
    Ok(UdfDefinition {
        pool_id: pool_id.to_owned(),
        target_type: spec.target.as_str().to_owned(),
        key,
        data_type: data_type.as_str().to_owned(),
        label,
        options,
    })
}

/// The choices of a SELECT definition as `(value, label)`; a choice stored as a bare string
/// is its own label.
pub fn select_options(def: &UdfDefinition) -> Vec<(String, String)> {
    def.options
        .as_deref()
        .and_then(|o| serde_json::from_str::<Vec<Value>>(o).ok())
        .unwrap_or_default()
        .iter()
        .filter_map(|o| match o {
            Value::String(s) => Some((s.clone(), s.clone())),
            Value::Object(m) => {
                let value = m.get("value")?.as_str()?.to_owned();
                let label = m
                    .get("label")
                    .and_then(Value::as_str)
                    .unwrap_or(&value)
                    .to_owned();
                Some((value, label))
            }
            _ => None,
        })
        .collect()
}

/// Largest stored value; an OBJECT is a small document, not a blob store.
pub const MAX_UDF_VALUE_LEN: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdfTarget {
    User,
    Role,
    Group,
    Node,
    Org,
    Application,
    /// The pool itself (the SDK's `UdfTargetType.Userpool`); its values' target id is the
    /// pool id.
    UserPool,
}

impl UdfTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            UdfTarget::User => "USER",
            UdfTarget::Role => "ROLE",
            UdfTarget::Group => "GROUP",
            UdfTarget::Node => "NODE",
            UdfTarget::Org => "ORG",
            UdfTarget::Application => "APPLICATION",
            UdfTarget::UserPool => "USERPOOL",
        }
    }

    pub fn parse(s: &str) -> Option<UdfTarget> {
        Some(match s {
            "USER" => UdfTarget::User,
            "ROLE" => UdfTarget::Role,
            "GROUP" => UdfTarget::Group,
            "NODE" => UdfTarget::Node,
            "ORG" => UdfTarget::Org,
            "APPLICATION" => UdfTarget::Application,
            "USERPOOL" => UdfTarget::UserPool,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdfDataType {
    String,
    Number,
    Datetime,
    Boolean,
    Object,
    Select,
}

impl UdfDataType {
    pub fn as_str(self) -> &'static str {
        match self {
            UdfDataType::String => "STRING",
            UdfDataType::Number => "NUMBER",
            UdfDataType::Datetime => "DATETIME",
            UdfDataType::Boolean => "BOOLEAN",
            UdfDataType::Object => "OBJECT",
            UdfDataType::Select => "SELECT",
        }
    }

    pub fn parse(s: &str) -> Option<UdfDataType> {
        Some(match s {
            "STRING" => UdfDataType::String,
            "NUMBER" => UdfDataType::Number,
            "DATETIME" => UdfDataType::Datetime,
            "BOOLEAN" => UdfDataType::Boolean,
            "OBJECT" => UdfDataType::Object,
            "SELECT" => UdfDataType::Select,
            _ => return None,
        })
    }
}

/// One custom value of a target: its key, its field's data type, the value as text, and the
/// field's label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdfValue {
    pub key: String,
    pub data_type: String,
    pub value: String,
    pub label: Option<String>,
}

/// Converts a decoded JSON value to the stored form of `data_type`, or refuses it.
fn to_stored(def: &UdfDefinition, value: &Value) -> Result<String> {
    let bad = || Error::InvalidParameter("value");
    let ty = UdfDataType::parse(&def.data_type).unwrap_or(UdfDataType::String);
    let stored = match (ty, value) {
        (UdfDataType::String, Value::String(s)) => s.clone(),
        (UdfDataType::String, Value::Number(n)) => n.to_string(),
        (UdfDataType::String, Value::Bool(b)) => b.to_string(),
        (UdfDataType::Number, Value::Number(n)) => n.to_string(),
        (UdfDataType::Number, Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|_| s.trim().to_owned())
            .ok_or_else(bad)?,
        (UdfDataType::Boolean, Value::Bool(b)) => b.to_string(),
        (UdfDataType::Boolean, Value::String(s)) if s == "true" || s == "false" => s.clone(),
        (UdfDataType::Datetime, Value::Number(n)) => n.as_i64().ok_or_else(bad)?.to_string(),
        (UdfDataType::Datetime, Value::String(s)) => match s.parse::<i64>() {
            Ok(ms) => ms.to_string(),
            Err(_) => clock::parse_iso8601(s).ok_or_else(bad)?.to_string(),
        },
        (UdfDataType::Object, v @ (Value::Object(_) | Value::Array(_))) => v.to_string(),
        (UdfDataType::Select, Value::String(s)) => {
            let allowed = def
                .options
                .as_deref()
                .and_then(|o| serde_json::from_str::<Vec<Value>>(o).ok());
            if let Some(options) = allowed {
                let ok = options.iter().any(|o| {
                    o.as_str() == Some(s.as_str())
                        || o.get("value").and_then(Value::as_str) == Some(s.as_str())
                });
                if !ok {
                    return Err(bad());
                }
            }
            s.clone()
        }
        _ => return Err(bad()),
    };
    if stored.len() > MAX_UDF_VALUE_LEN {
        return Err(bad());
    }
    Ok(stored)
}

/// Decodes an SDK-encoded value: JSON text, or (for callers that send it bare) the raw text.
pub fn decode_wire_value(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
}

impl Core {
    /// Defines or changes several fields in one unit of work: each is decided against the
    /// field as stored under the pool's lock, and one refusal writes none.
    pub async fn define_udfs(
        &self,
        pool: &PoolAdmin,
        specs: Vec<UdfSpec>,
    ) -> Result<Vec<UdfDefinition>> {
        if specs.is_empty() {
            return Err(Error::MissingParameter("list"));
        }
        if specs.len() > MAX_UDF_BATCH {
            return Err(Error::InvalidParameter("list"));
        }
        let (pool_id, at) = (pool.id.clone(), clock::now_ms());
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move {
                let mut stored: Vec<(UdfTarget, Vec<UdfDefinition>)> = Vec::new();
                let mut defs: Vec<UdfDefinition> = Vec::with_capacity(specs.len());
                for spec in specs {
                    if !stored.iter().any(|(t, _)| *t == spec.target) {
                        let list = tx.udf_definitions(&pool_id, spec.target.as_str()).await?;
                        stored.push((spec.target, list));
                    }
                    let existing = stored
                        .iter()
                        .find(|(t, _)| *t == spec.target)
                        .and_then(|(_, list)| list.iter().find(|d| d.key == spec.key.trim()));
                    let def = definition_of(&pool_id, spec, existing)?;
                    if defs
                        .iter()
                        .any(|d| d.key == def.key && d.target_type == def.target_type)
                    {
                        return Err(Error::InvalidParameter("list"));
                    }
                    defs.push(def);
                }
                for d in &defs {
                    tx.put_udf_definition(d, at).await?;
                }
                Ok(defs)
            })
        })
        .await
    }

    /// Removes several fields with their values in one unit of work; one unknown field
    /// removes none.
    pub async fn remove_udfs(
        &self,
        pool: &PoolAdmin,
        fields: &[(UdfTarget, String)],
    ) -> Result<()> {
        if fields.is_empty() {
            return Err(Error::MissingParameter("list"));
        }
        if fields.len() > MAX_UDF_BATCH {
            return Err(Error::InvalidParameter("list"));
        }
        let (pool_id, fields) = (pool.id.clone(), fields.to_vec());
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move {
                for (i, (target, key)) in fields.iter().enumerate() {
                    // Named twice in the list: the first time removed it.
                    if fields[..i].iter().any(|(t, k)| t == target && k == key) {
                        continue;
                    }
                    tx.delete_udf_values_of(&pool_id, target.as_str(), key)
                        .await?;
                    if !tx
                        .delete_udf_definition(&pool_id, target.as_str(), key)
                        .await?
                    {
                        return Err(Error::NotFound(Entity::UdfDefinition));
                    }
                }
                Ok(())
            })
        })
        .await
    }

    /// The pool's own labels of built-in user fields, by key (fields it never relabelled are
    /// absent).
    pub async fn user_base_field_labels(&self, pool: &PoolAdmin) -> Result<Vec<(String, String)>> {
        Ok(self
            .store
            .list_udf_definitions(&pool.id, USER_BASE_TARGET)
            .await?
            .into_iter()
            .filter_map(|d| Some((d.key, d.label?)))
            .collect())
    }

    /// Relabels built-in user fields in one unit of work; every key must be one of
    /// [`USER_BASE_FIELDS`] and every label a short text, or nothing is written. An empty
    /// label restores the default.
    pub async fn set_user_base_field_labels(
        &self,
        pool: &PoolAdmin,
        labels: &[(String, Option<String>)],
    ) -> Result<()> {
        if labels.is_empty() {
            return Err(Error::MissingParameter("list"));
        }
        if labels.len() > MAX_UDF_BATCH {
            return Err(Error::InvalidParameter("list"));
        }
        for (i, (key, label)) in labels.iter().enumerate() {
            if !USER_BASE_FIELDS.iter().any(|(k, _)| k == key) {
                return Err(Error::InvalidParameter("key"));
            }
            if labels[..i].iter().any(|(k, _)| k == key) {
                return Err(Error::InvalidParameter("list"));
            }
            if let Some(l) = label {
                identifiers::text("label", l)?;
            }
        }
        let (pool_id, at) = (pool.id.clone(), clock::now_ms());
        let labels = labels.to_vec();
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move {
                for (key, label) in labels {
                    match label.filter(|l| !l.trim().is_empty()) {
                        Some(label) => {
                            let def = UdfDefinition {
                                pool_id: pool_id.clone(),
                                target_type: USER_BASE_TARGET.to_owned(),
                                key,
                                data_type: UdfDataType::String.as_str().to_owned(),
                                label: Some(label),
                                options: None,
                            };
                            tx.put_udf_definition(&def, at).await?;
                        }
                        None => {
                            tx.delete_udf_definition(&pool_id, USER_BASE_TARGET, &key)
                                .await?;
                        }
                    }
                }
                Ok(())
            })
        })
        .await
    }

    pub async fn define_udf(
        &self,
        pool_id: &str,
        target: UdfTarget,
        key: &str,
        data_type: UdfDataType,
        label: &str,
    ) -> Result<UdfDefinition> {
        let key = key.trim();
        if key.is_empty() || key.len() > 64 || key.chars().any(char::is_control) {
            return Err(Error::InvalidParameter("key"));
        }
        self.pool(pool_id).await?;
        let def = UdfDefinition {
            pool_id: pool_id.to_owned(),
            target_type: target.as_str().to_owned(),
            key: key.to_owned(),
            data_type: data_type.as_str().to_owned(),
            label: Some(label.to_owned()).filter(|l| !l.is_empty()),
            options: None,
        };
        self.store.put_udf_definition(&def).await?;
        Ok(def)
    }

    /// The target's values, in definition order, with each field's type and label.
    pub async fn udf_values(
        &self,
        pool_id: &str,
        target: UdfTarget,
        target_id: &str,
    ) -> Result<Vec<UdfValue>> {
        let defs = self
            .store
            .list_udf_definitions(pool_id, target.as_str())
            .await?;
        // Only defined keys are answered: without definitions there is nothing to read.
        if defs.is_empty() {
            return Ok(Vec::new());
        }
        let values = self
            .store
            .udf_values(pool_id, target.as_str(), target_id)
            .await?;
        Ok(defined_values(defs, &values))
    }

    /// A user's external identities (when `identities`) and custom data (when `custom`, as
    /// [`Core::udf_values`] gives it), read together: what an answer about the user adds
    /// to its row.
    pub async fn user_extras(
        &self,
        pool_id: &str,
        user_id: &str,
        identities: bool,
        custom: bool,
    ) -> Result<(Option<Vec<ExternalIdentity>>, Option<Vec<UdfValue>>)> {
        self.user_extras_ahead(pool_id, user_id, identities, custom, None)
            .await
    }

    /// [`Core::user_extras`], answered from `ahead` when the request's first read already
    /// read them for this user ([`Core::app_and_pool_ahead_with`]; the caller's session was
    /// verified from that same read).
    pub async fn user_extras_ahead(
        &self,
        pool_id: &str,
        user_id: &str,
        identities: bool,
        custom: bool,
        ahead: Option<&SessionAhead>,
    ) -> Result<(Option<Vec<ExternalIdentity>>, Option<Vec<UdfValue>>)> {
        let read_ahead = ahead.and_then(|a| a.extras_for(pool_id, user_id, identities, custom));
        let extras = match read_ahead {
            Some(e) => e.clone(),
            None => {
                let target = custom.then_some(UdfTarget::User.as_str());
                self.store
                    .user_extras(pool_id, user_id, identities, target)
                    .await?
            }
        };
        let custom = extras
            .custom
            .filter(|_| custom)
            .map(|c| defined_values(c.definitions, &c.values));
        Ok((extras.identities.filter(|_| identities), custom))
    }

    /// Checks every `(key, decoded value)` against the definitions and returns the stored
    /// forms; nothing is written unless all of them are valid.
    pub async fn validate_udf_values(
        &self,
        pool_id: &str,
        target: UdfTarget,
        values: &[(String, Value)],
    ) -> Result<Vec<(String, String)>> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        if values.len() > 100 {
            return Err(Error::InvalidParameter("udvList"));
        }
        let defs = self
            .store
            .list_udf_definitions(pool_id, target.as_str())
            .await?;
        values
            .iter()
            .map(|(key, value)| {
                let def = defs
                    .iter()
                    .find(|d| d.key == *key)
                    .ok_or(Error::InvalidParameter("key"))?;
                Ok((key.clone(), to_stored(def, value)?))
            })
            .collect()
    }

    /// Validates and writes several values of one target at once.
    pub async fn set_udf_values(
        &self,
        pool_id: &str,
        target: UdfTarget,
        target_id: &str,
        values: &[(String, Value)],
    ) -> Result<Vec<UdfValue>> {
        let stored = self.validate_udf_values(pool_id, target, values).await?;
        self.store
            .set_udf_values(pool_id, target.as_str(), target_id, &stored)
            .await?;
        self.udf_values(pool_id, target, target_id).await
    }

    pub async fn remove_udf_value(
        &self,
        pool_id: &str,
        target: UdfTarget,
        target_id: &str,
        key: &str,
    ) -> Result<Vec<UdfValue>> {
        self.store
            .remove_udf_value(pool_id, target.as_str(), target_id, key)
            .await?;
        self.udf_values(pool_id, target, target_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(ty: &str) -> UdfDefinition {
        UdfDefinition {
            pool_id: "p".into(),
            target_type: "USER".into(),
            key: "k".into(),
            data_type: ty.into(),
            label: None,
            options: None,
        }
    }

    #[test]
    fn values_are_stored_as_the_sdk_decodes_them() {
        assert_eq!(
            to_stored(
                &def("STRING"),
                &json!("\u{534e}\u{4e2d}\u{79d1}\u{6280}\u{5927}\u{5b66}")
            )
            .unwrap(),
            "\u{534e}\u{4e2d}\u{79d1}\u{6280}\u{5927}\u{5b66}"
        );
        assert_eq!(to_stored(&def("NUMBER"), &json!(20)).unwrap(), "20");
        assert_eq!(to_stored(&def("BOOLEAN"), &json!(true)).unwrap(), "true");
        assert_eq!(
            to_stored(&def("DATETIME"), &json!("2021-01-01T00:00:00.000Z")).unwrap(),
            "1609459200000"
        );
        assert_eq!(
            to_stored(&def("OBJECT"), &json!({"a":1})).unwrap(),
            r#"{"a":1}"#
        );
    }

    #[test]
    fn wrong_types_are_refused() {
        assert!(to_stored(&def("NUMBER"), &json!("abc")).is_err());
        assert!(to_stored(&def("BOOLEAN"), &json!(1)).is_err());
        assert!(to_stored(&def("OBJECT"), &json!("x")).is_err());
        assert!(to_stored(&def("STRING"), &json!("x".repeat(MAX_UDF_VALUE_LEN + 1))).is_err());
    }

    fn spec(ty: Option<UdfDataType>, options: Option<Vec<(String, String)>>) -> UdfSpec {
        UdfSpec {
            target: UdfTarget::User,
            key: " school ".into(),
            data_type: ty,
            label: None,
            options,
        }
    }

    #[test]
    fn batch_definitions_keep_what_they_do_not_name() {
        let e = definition_of("p", spec(None, None), None).unwrap_err();
        assert!(matches!(e, Error::MissingParameter("dataType")));
        let choice = vec![("a".to_owned(), "A".to_owned())];
        let made = definition_of("p", spec(Some(UdfDataType::Select), Some(choice)), None).unwrap();
        assert_eq!(made.key, "school");
        assert_eq!(
            select_options(&made),
            vec![("a".to_owned(), "A".to_owned())]
        );
        let stored = UdfDefinition {
            label: Some("School".into()),
            ..made
        };
        let relabelled = definition_of("p", spec(None, None), Some(&stored)).unwrap();
        assert_eq!(relabelled.label.as_deref(), Some("School"));
        assert_eq!(relabelled.options, stored.options);
        let retyped = definition_of("p", spec(Some(UdfDataType::String), None), Some(&stored));
        assert_eq!(retyped.unwrap().options, None);
        let bad = definition_of(
            "p",
            spec(
                Some(UdfDataType::Number),
                Some(vec![("1".into(), "one".into())]),
            ),
            None,
        );
        assert!(matches!(bad, Err(Error::InvalidParameter("options"))));
        let twice = vec![
            ("a".to_owned(), "A".to_owned()),
            ("a".to_owned(), "B".to_owned()),
        ];
        let dup = definition_of("p", spec(Some(UdfDataType::Select), Some(twice)), None);
        assert!(matches!(dup, Err(Error::InvalidParameter("options"))));
    }

    #[test]
    fn wire_values_decode_json_or_fall_back_to_text() {
        assert_eq!(decode_wire_value("\"abc\""), json!("abc"));
        assert_eq!(decode_wire_value("20"), json!(20));
        assert_eq!(decode_wire_value("abc"), json!("abc"));
    }
}
