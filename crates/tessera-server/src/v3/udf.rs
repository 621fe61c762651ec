//! Custom fields and custom data (`v3-wire.md` §4 "Custom fields (UDF) & custom data") over
//! the core's `udf` and `pool_admin` services, the ones v2's `mc.udf` calls.
//!
//! Fields are the pool's: a `tenantId`, when given, must name a tenant of the pool, and the
//! fields answered are the pool's. A field here has a key, a label, a data type and the
//! choices of an ENUM; it is never unique, encrypted or hidden, and users may set their own
//! values. A definition asking for anything else (a description, uniqueness, encryption,
//! hiding, validation rules, per-app fields, translations) is refused by name, never kept
//! in part.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tessera_core::model::directory::TargetType;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::service::udf::{
    select_options, UdfDataType, UdfSpec, UdfTarget, USER_BASE_FIELDS,
};
use tessera_core::store::UdfDefinition;
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{ok, success, Failure, Reply};
use super::shapes::typed_value;
use super::tenants::{given, not_kept, paged, tenant_context};
use crate::authing::Lang;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-custom-fields", get(get_custom_fields))
        .route("/api/v3/list-custom-fields", get(list_custom_fields))
        .route("/api/v3/set-custom-fields", post(set_custom_fields))
        .route("/api/v3/delete-custom-fields", post(delete_custom_fields))
        .route("/api/v3/set-custom-data", post(set_custom_data))
        .route("/api/v3/get-custom-data", get(get_custom_data))
        .route("/api/v3/get-user-base-fields", get(get_user_base_fields))
        .route("/api/v3/list-user-base-fields", get(list_user_base_fields))
        .route("/api/v3/set-user-base-fields", post(set_user_base_fields))
}

/// `TargetType` of the custom-field DTOs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum FieldTarget {
    User,
    Role,
    Group,
    Department,
}

impl FieldTarget {
    fn udf(self) -> UdfTarget {
        match self {
            FieldTarget::User => UdfTarget::User,
            FieldTarget::Role => UdfTarget::Role,
            FieldTarget::Group => UdfTarget::Group,
            FieldTarget::Department => UdfTarget::Node,
        }
    }

    fn wire(self) -> &'static str {
        match self {
            FieldTarget::User => "USER",
            FieldTarget::Role => "ROLE",
            FieldTarget::Group => "GROUP",
            FieldTarget::Department => "DEPARTMENT",
        }
    }

    fn directory(self) -> TargetType {
        match self {
            FieldTarget::User => TargetType::User,
            FieldTarget::Role => TargetType::Role,
            FieldTarget::Group => TargetType::Group,
            FieldTarget::Department => TargetType::OrgNode,
        }
    }
}

/// A field's data type as the v3 DTOs name it: a SELECT is an `ENUM` there.
fn wire_type(stored: &str) -> &str {
    if stored == "SELECT" {
        "ENUM"
    } else {
        stored
    }
}

/// The core's data type of a v3 name (`ENUM` and `SELECT` alike).
fn data_type(name: &str) -> Result<UdfDataType, Failure> {
    let core_name = if name == "ENUM" { "SELECT" } else { name };
    UdfDataType::parse(core_name).ok_or_else(|| Error::InvalidParameter("dataType").into())
}

/// `CustomFieldDto`.
fn field_dto(target: FieldTarget, d: &UdfDefinition) -> Value {
    let options: Vec<Value> = select_options(d)
        .into_iter()
        .map(|(value, label)| json!({ "value": value, "label": label }))
        .collect();
    json!({
        "targetType": target.wire(),
        "dataType": wire_type(&d.data_type),
        "key": d.key,
        "label": d.label.clone().unwrap_or_else(|| d.key.clone()),
        "description": null,
        "encrypted": false,
        "isUnique": false,
        "userEditable": true,
        "visibleInAdminConsole": true,
        "visibleInUserCenter": true,
        "options": options,
    })
}

/// A tenant the caller names must be one of the pool's (the fields stay the pool's).
async fn tenant_in_pool(m: &Mgmt, tenant_id: Option<&str>) -> Result<(), Failure> {
    if let Some(t) = tenant_id.filter(|t| !t.is_empty()) {
        m.core().tenant(&m.admin, t).await?;
    }
    Ok(())
}

async fn fields_of(m: &Mgmt, target: FieldTarget) -> Result<Vec<UdfDefinition>, Failure> {
    Ok(m.core().udf_definitions(&m.admin, target.udf()).await?)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetFields {
    target_type: FieldTarget,
    tenant_id: Option<String>,
}

async fn get_custom_fields(m: Mgmt) -> Reply {
    let r: GetFields = m.args().map_err(|e| m.fail(e))?;
    tenant_in_pool(&m, tenant_context(&m, &r.tenant_id).as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let defs = fields_of(&m, r.target_type).await.map_err(|e| m.fail(e))?;
    let list: Vec<Value> = defs.iter().map(|d| field_dto(r.target_type, d)).collect();
    Ok(ok(m.lang, list))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListFields {
    target_type: FieldTarget,
    data_type: String,
    tenant_id: Option<String>,
    page: Option<i64>,
    limit: Option<i64>,
    user_visible: Option<bool>,
    admin_visible: Option<bool>,
    access_control: Option<bool>,
    keyword: Option<String>,
    #[allow(dead_code)] // labels have one language here
    lang: Option<String>,
}

/// `listCustFields`: one page of the fields of a target and data type. The SDK declares the
/// answer as its own query echoed back (`ListCustomFieldsDto`); a page of `CustomFieldDto`s
/// is what the call is for, so that is the answer, as every other v3 list gives it.
async fn list_custom_fields(m: Mgmt) -> Reply {
    let r: ListFields = m.args().map_err(|e| m.fail(e))?;
    let ty = data_type(&r.data_type).map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    tenant_in_pool(&m, tenant_context(&m, &r.tenant_id).as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    // Every field is visible to users and administrators, and none is access-controlled.
    let none_match = r.user_visible == Some(false)
        || r.admin_visible == Some(false)
        || r.access_control == Some(true);
    let keyword = given(r.keyword).map(|k| k.to_lowercase());
    let defs: Vec<UdfDefinition> = if none_match {
        Vec::new()
    } else {
        fields_of(&m, r.target_type)
            .await
            .map_err(|e| m.fail(e))?
            .into_iter()
            .filter(|d| d.data_type == ty.as_str())
            .filter(|d| {
                keyword.as_deref().is_none_or(|k| {
                    d.key.to_lowercase().contains(k)
                        || d.label
                            .as_deref()
                            .is_some_and(|l| l.to_lowercase().contains(k))
                })
            })
            .collect()
    };
    let p = page.slice(&defs);
    let list = p.list.iter().map(|d| field_dto(r.target_type, d)).collect();
    Ok(ok(
        m.lang,
        paged(Paged {
            total_count: p.total_count,
            list,
        }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChoiceInput {
    value: String,
    label: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetField {
    target_type: FieldTarget,
    key: String,
    data_type: Option<String>,
    label: Option<String>,
    description: Option<String>,
    encrypted: Option<bool>,
    is_unique: Option<bool>,
    user_editable: Option<bool>,
    visible_in_admin_console: Option<bool>,
    visible_in_user_center: Option<bool>,
    validate_rules: Option<Value>,
    app_ids: Option<Vec<String>>,
    desensitization: Option<bool>,
    options: Option<Vec<ChoiceInput>>,
    i18n: Option<Value>,
}

impl SetField {
    /// The first setting this field asks for that Tessera's fields cannot have.
    fn unkept(&self) -> Option<&'static str> {
        let is_empty = |v: &Option<Value>| match v {
            None | Some(Value::Null) => true,
            Some(Value::Array(a)) => a.is_empty(),
            Some(Value::Object(o)) => o.is_empty(),
            Some(_) => false,
        };
        [
            ("description", given(self.description.clone()).is_some()),
            ("encrypted", self.encrypted == Some(true)),
            ("isUnique", self.is_unique == Some(true)),
            ("userEditable", self.user_editable == Some(false)),
            (
                "visibleInAdminConsole",
                self.visible_in_admin_console == Some(false),
            ),
            (
                "visibleInUserCenter",
                self.visible_in_user_center == Some(false),
            ),
            ("validateRules", !is_empty(&self.validate_rules)),
            (
                "appIds",
                self.app_ids.as_ref().is_some_and(|a| !a.is_empty()),
            ),
            ("desensitization", self.desensitization == Some(true)),
            ("i18n", !is_empty(&self.i18n)),
        ]
        .into_iter()
        .find_map(|(name, asked)| asked.then_some(name))
    }

    fn spec(self) -> Result<UdfSpec, Failure> {
        if let Some(name) = self.unkept() {
            return Err(not_kept(name));
        }
        Ok(UdfSpec {
            target: self.target_type.udf(),
            key: self.key,
            data_type: self.data_type.as_deref().map(data_type).transpose()?,
            label: self.label,
            options: self.options.map(|list| {
                list.into_iter()
                    .map(|c| {
                        let label = c.label.unwrap_or_else(|| c.value.clone());
                        (c.value, label)
                    })
                    .collect()
            }),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetFields {
    list: Vec<SetField>,
    tenant_id: Option<String>,
}

async fn set_custom_fields(m: Mgmt) -> Reply {
    let r: SetFields = m.args().map_err(|e| m.fail(e))?;
    tenant_in_pool(&m, tenant_context(&m, &r.tenant_id).as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let mut targets = Vec::with_capacity(r.list.len());
    let mut specs = Vec::with_capacity(r.list.len());
    for f in r.list {
        targets.push(f.target_type);
        specs.push(f.spec().map_err(|e| m.fail(e))?);
    }
    let defs = m
        .core()
        .define_udfs(&m.admin, specs)
        .await
        .map_err(|e| m.fail(e))?;
    let list: Vec<Value> = targets
        .iter()
        .zip(&defs)
        .map(|(t, d)| field_dto(*t, d))
        .collect();
    Ok(ok(m.lang, list))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteField {
    target_type: FieldTarget,
    key: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteFields {
    tenant_id: Option<String>,
    list: Vec<DeleteField>,
}

async fn delete_custom_fields(m: Mgmt) -> Reply {
    let r: DeleteFields = m.args().map_err(|e| m.fail(e))?;
    tenant_in_pool(&m, tenant_context(&m, &r.tenant_id).as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let fields: Vec<(UdfTarget, String)> = r
        .list
        .into_iter()
        .map(|f| (f.target_type.udf(), f.key))
        .collect();
    m.core()
        .remove_udfs(&m.admin, &fields)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

// --- custom data ---------------------------------------------------------------------------

/// The id of the target a v3 call names: a user or department by id, a role by code (in
/// `namespace`, the default one without), a group by code.
async fn target_id(
    m: &Mgmt,
    target: FieldTarget,
    identifier: &str,
    namespace: Option<&str>,
) -> Result<String, Failure> {
    Ok(m.core()
        .target_id(&m.admin, target.directory(), identifier, namespace)
        .await?)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DataItem {
    key: String,
    value: Value,
    #[allow(dead_code)] // values are the pool's, whatever tenant the item names
    tenant_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetData {
    list: Vec<DataItem>,
    target_identifier: String,
    target_type: FieldTarget,
    tenant_id: Option<String>,
    namespace: Option<String>,
}

/// `setCustomData`: every value is checked against its field before any is written.
async fn set_custom_data(m: Mgmt) -> Reply {
    let r: SetData = m.args().map_err(|e| m.fail(e))?;
    if r.list.is_empty() {
        return Err(m.fail(Error::MissingParameter("list")));
    }
    tenant_in_pool(&m, tenant_context(&m, &r.tenant_id).as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let ns = given(r.namespace);
    let id = target_id(&m, r.target_type, &r.target_identifier, ns.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let values: Vec<(String, Value)> = r.list.into_iter().map(|i| (i.key, i.value)).collect();
    m.core()
        .set_udf_values(&m.admin.id, r.target_type.udf(), &id, &values)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetData {
    tenant_id: Option<String>,
    target_type: FieldTarget,
    target_identifier: String,
    namespace: Option<String>,
}

/// `getCustomData`: the target's values as one object, each in its field's JSON type.
async fn get_custom_data(m: Mgmt) -> Reply {
    let r: GetData = m.args().map_err(|e| m.fail(e))?;
    tenant_in_pool(&m, tenant_context(&m, &r.tenant_id).as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let ns = given(r.namespace);
    let id = target_id(&m, r.target_type, &r.target_identifier, ns.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let values = m
        .core()
        .udf_values(&m.admin.id, r.target_type.udf(), &id)
        .await
        .map_err(|e| m.fail(e))?;
    let mut data = Map::new();
    for v in values {
        data.insert(v.key, typed_value(&v.data_type, &v.value));
    }
    Ok(ok(m.lang, Value::Object(data)))
}

// --- built-in user fields ------------------------------------------------------------------

/// The default label of a built-in user field in the caller's language.
fn base_label(key: &str, lang: Lang) -> &'static str {
    let (zh, en) = match key {
        "username" => ("用户名", "Username"),
        "email" => ("邮箱", "Email"),
        "phone" => ("手机号", "Phone"),
        "externalId" => ("外部 ID", "External ID"),
        "name" => ("姓名", "Name"),
        "nickname" => ("昵称", "Nickname"),
        "photo" => ("头像", "Photo"),
        "gender" => ("性别", "Gender"),
        "birthdate" => ("生日", "Birthdate"),
        "country" => ("国家", "Country"),
        "province" => ("省份", "Province"),
        "city" => ("城市", "City"),
        "address" => ("地址", "Address"),
        "streetAddress" => ("街道地址", "Street address"),
        "postalCode" => ("邮政编码", "Postal code"),
        "company" => ("公司", "Company"),
        "givenName" => ("名", "Given name"),
        "familyName" => ("姓", "Family name"),
        "middleName" => ("中间名", "Middle name"),
        "preferredUsername" => ("希望被称呼的名字", "Preferred username"),
        "profile" => ("个人资料", "Profile"),
        "website" => ("个人网站", "Website"),
        "zoneinfo" => ("时区", "Time zone"),
        "locale" => ("区域", "Locale"),
        "formatted" => ("标准完整地址", "Formatted address"),
        "region" => ("地域", "Region"),
        _ => ("", ""),
    };
    lang.pick(zh, en)
}

/// Every built-in user field as a `CustomFieldDto`, with the pool's own label where it set
/// one. Identifiers are changed through their own flows, so users edit only the profile.
async fn base_fields(m: &Mgmt) -> Result<Vec<Value>, Failure> {
    let labels = m.core().user_base_field_labels(&m.admin).await?;
    Ok(USER_BASE_FIELDS
        .iter()
        .map(|(key, unique)| {
            let label = labels
                .iter()
                .find(|(k, _)| k == key)
                .map_or_else(|| base_label(key, m.lang).to_owned(), |(_, l)| l.clone());
            json!({
                "targetType": "USER",
                "dataType": "STRING",
                "key": key,
                "label": label,
                "description": null,
                "encrypted": false,
                "isUnique": unique,
                "userEditable": !unique,
                "visibleInAdminConsole": true,
                "visibleInUserCenter": true,
                "options": [],
            })
        })
        .collect())
}

async fn get_user_base_fields(m: Mgmt) -> Reply {
    let list = base_fields(&m).await.map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, list))
}

/// `listUserBaseFields`: one page of the built-in fields, which are the user's and all text;
/// the answer is a page of `CustomFieldDto`s, as for `listCustFields`.
async fn list_user_base_fields(m: Mgmt) -> Reply {
    let r: ListFields = m.args().map_err(|e| m.fail(e))?;
    let ty = data_type(&r.data_type).map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    tenant_in_pool(&m, tenant_context(&m, &r.tenant_id).as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let none_match = r.target_type != FieldTarget::User
        || ty != UdfDataType::String
        || r.user_visible == Some(false)
        || r.admin_visible == Some(false)
        || r.access_control == Some(true);
    let keyword = given(r.keyword).map(|k| k.to_lowercase());
    let all: Vec<Value> = if none_match {
        Vec::new()
    } else {
        base_fields(&m)
            .await
            .map_err(|e| m.fail(e))?
            .into_iter()
            .filter(|f| {
                keyword.as_deref().is_none_or(|k| {
                    ["key", "label"]
                        .iter()
                        .any(|n| f[*n].as_str().is_some_and(|s| s.to_lowercase().contains(k)))
                })
            })
            .collect()
    };
    Ok(ok(m.lang, paged(page.slice(&all))))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetBaseField {
    key: String,
    label: Option<String>,
    description: Option<String>,
    user_editable: Option<bool>,
    visible_in_admin_console: Option<bool>,
    visible_in_user_center: Option<bool>,
    i18n: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetBaseFields {
    list: Vec<SetBaseField>,
}

/// `setUserBaseFields`: a pool relabels built-in fields (an empty label restores the
/// default). Their type, uniqueness, editability and visibility are Tessera's and cannot be
/// changed, so asking for another value is refused by name.
async fn set_user_base_fields(m: Mgmt) -> Reply {
    let r: SetBaseFields = m.args().map_err(|e| m.fail(e))?;
    let mut labels = Vec::with_capacity(r.list.len());
    for f in r.list {
        let unique = USER_BASE_FIELDS
            .iter()
            .find(|(k, _)| *k == f.key)
            .map(|(_, u)| *u)
            .ok_or_else(|| m.fail(Error::InvalidParameter("key")))?;
        let unkept = [
            ("description", given(f.description.clone()).is_some()),
            ("userEditable", f.user_editable.is_some_and(|e| e == unique)),
            (
                "visibleInAdminConsole",
                f.visible_in_admin_console == Some(false),
            ),
            (
                "visibleInUserCenter",
                f.visible_in_user_center == Some(false),
            ),
            ("i18n", !matches!(&f.i18n, None | Some(Value::Null))),
        ]
        .into_iter()
        .find_map(|(name, asked)| asked.then_some(name));
        if let Some(name) = unkept {
            return Err(m.fail(not_kept(name)));
        }
        labels.push((f.key, f.label));
    }
    m.core()
        .set_user_base_field_labels(&m.admin, &labels)
        .await
        .map_err(|e| m.fail(e))?;
    let list = base_fields(&m).await.map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_base_field_has_labels() {
        for (key, _) in USER_BASE_FIELDS {
            assert!(!base_label(key, Lang::ZhCn).is_empty(), "{key}");
            assert!(!base_label(key, Lang::EnUs).is_empty(), "{key}");
        }
    }

    #[test]
    fn enum_is_select() {
        assert_eq!(data_type("ENUM").unwrap(), UdfDataType::Select);
        assert_eq!(data_type("NUMBER").unwrap(), UdfDataType::Number);
        assert!(data_type("COLOR").is_err());
        assert_eq!(wire_type("SELECT"), "ENUM");
    }

    #[test]
    fn settings_a_field_cannot_have_are_named() {
        let f: SetField = serde_json::from_value(json!({
            "targetType": "USER", "key": "k", "isUnique": true,
        }))
        .unwrap();
        assert_eq!(f.unkept(), Some("isUnique"));
        let f: SetField = serde_json::from_value(json!({
            "targetType": "USER", "key": "k", "visibleInUserCenter": true, "encrypted": false,
        }))
        .unwrap();
        assert_eq!(f.unkept(), None);
    }
}
