//! What the v3 directory families (roles, groups, resources and authorization) share: the
//! wire enums they read (`TargetType`, `ResourceType`), the DTOs they answer (`RoleDto`,
//! `GroupDto`, `ResourceDto`, `AuthorizedResourceDto`, `NamespaceDto`) and the handler
//! form they are written in.

use std::collections::HashMap;

use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::directory::{
    AuthorizedResource, Group, Resource, ResourceNamespace, ResourceType, Role, TargetType,
};
use tessera_core::model::User;
use tessera_core::service::paging::Paged;
use tessera_core::service::udf::UdfTarget;
use tessera_core::Core;

use super::call::Mgmt;
use super::envelope::Failure;
use super::shapes::{typed_value, users_dto, UserParts};

/// What a handler body yields before the failure is worded in the caller's language.
pub type Out = Result<Response, Failure>;

/// Declares `async fn $name(m: Mgmt) -> Reply` whose body uses `?` on core errors and
/// parameter errors alike (both become a [`Failure`]).
macro_rules! v3_handler {
    ($(#[$doc:meta])* $name:ident($m:ident) $body:block) => {
        $(#[$doc])*
        async fn $name($m: $crate::v3::call::Mgmt) -> $crate::v3::envelope::Reply {
            let out: $crate::v3::directory_dto::Out = async { $body }.await;
            out.map_err(|e| $m.fail(e))
        }
    };
}
pub(crate) use v3_handler;

/// `TargetDto.targetType`: who a role or a grant is given to (lower case is accepted too,
/// as the core's own reading of target types does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WireTarget {
    #[serde(alias = "user")]
    User,
    #[serde(alias = "role")]
    Role,
    #[serde(alias = "group")]
    Group,
    #[serde(alias = "department")]
    Department,
}

impl WireTarget {
    pub fn core(self) -> TargetType {
        match self {
            WireTarget::User => TargetType::User,
            WireTarget::Role => TargetType::Role,
            WireTarget::Group => TargetType::Group,
            WireTarget::Department => TargetType::OrgNode,
        }
    }
}

/// The v3 name of a target type (a node is a `DEPARTMENT`).
pub fn target_name(t: TargetType) -> &'static str {
    match t {
        TargetType::User => "USER",
        TargetType::Role => "ROLE",
        TargetType::Group => "GROUP",
        TargetType::OrgNode => "DEPARTMENT",
    }
}

/// `ResourceType` as the v3 wire spells it (SDK callers send `data` as well as `DATA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WireResourceType {
    #[serde(alias = "data")]
    Data,
    #[serde(alias = "api")]
    Api,
    #[serde(alias = "menu")]
    Menu,
    #[serde(alias = "button")]
    Button,
    #[serde(alias = "ui")]
    Ui,
}

impl WireResourceType {
    pub fn core(self) -> ResourceType {
        match self {
            WireResourceType::Data => ResourceType::Data,
            WireResourceType::Api => ResourceType::Api,
            WireResourceType::Menu => ResourceType::Menu,
            WireResourceType::Button => ResourceType::Button,
            WireResourceType::Ui => ResourceType::Ui,
        }
    }
}

/// `{totalCount, list}`.
pub fn paged(p: Paged<Value>) -> Value {
    json!({ "totalCount": p.total_count, "list": p.list })
}

/// The names of the namespaces `codes` name, by code (a namespace without a row, such as
/// the default one before anyone created it, is named by its code).
pub async fn namespace_names(
    m: &Mgmt,
    codes: Vec<String>,
) -> Result<HashMap<String, String>, Failure> {
    let mut out = HashMap::new();
    for code in codes {
        if out.contains_key(&code) {
            continue;
        }
        let name = m
            .core()
            .namespace_by_code(&m.admin, &code)
            .await?
            .and_then(|n| n.name)
            .unwrap_or_else(|| code.clone());
        out.insert(code, name);
    }
    Ok(out)
}

/// `RoleDto`. Tessera's roles are always enabled and never expire, so `status` is
/// `ENABLE` and there is no `disableTime`.
pub fn role_dto(r: &Role, names: &HashMap<String, String>) -> Value {
    json!({
        "id": r.id,
        "code": r.code,
        "name": r.name.clone().unwrap_or_default(),
        "description": r.description.clone().unwrap_or_default(),
        "namespace": r.namespace,
        "namespaceName": names.get(&r.namespace).cloned().unwrap_or_else(|| r.namespace.clone()),
        "status": "ENABLE",
        "enablePermissionApply": false,
    })
}

/// Roles as `RoleDto`s, each namespace's name read once, with Tessera's extension
/// `mutuallyExclusiveRoles` (`[{code, namespace}]`, the roles no user may hold with it).
pub async fn roles_dto(m: &Mgmt, roles: &[Role]) -> Result<Vec<Value>, Failure> {
    let codes = roles.iter().map(|r| r.namespace.clone()).collect();
    let names = namespace_names(m, codes).await?;
    let excluded = m.core().excluded_roles(&m.admin, roles).await?;
    Ok(roles
        .iter()
        .zip(excluded)
        .map(|(r, others)| {
            let mut dto = role_dto(r, &names);
            dto["mutuallyExclusiveRoles"] = others
                .iter()
                .map(|o| json!({ "code": o.code, "namespace": o.namespace }))
                .collect();
            dto
        })
        .collect())
}

/// `GroupDto` / `ResGroupDto`. Tessera's groups are static (members are added by hand), and
/// none comes from a metadata source.
pub fn group_dto(g: &Group, members: Vec<Value>) -> Value {
    json!({
        "id": g.id,
        "code": g.code,
        "name": g.name,
        "description": g.description.clone().unwrap_or_default(),
        "type": "static",
        "metadataSource": [],
        "members": members,
    })
}

/// Adds `customData` (plain object of typed values) to each group DTO.
pub async fn with_group_custom_data(
    core: &Core,
    m: &Mgmt,
    groups: &[Group],
    dtos: &mut [Value],
) -> Result<(), Failure> {
    if groups.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = groups.iter().map(|g| g.id.clone()).collect();
    let values = core
        .udf_values_batch(&m.admin, UdfTarget::Group, &ids)
        .await?;
    for (dto, (_, list)) in dtos.iter_mut().zip(values) {
        let mut data = serde_json::Map::new();
        for item in list {
            data.insert(item.key.clone(), typed_value(&item.data_type, &item.value));
        }
        dto["customData"] = Value::Object(data);
    }
    Ok(())
}

/// `flatCustomData`: the custom values as members of the DTO itself, where they do not
/// shadow one of its own fields.
pub fn flatten_custom_data(dto: &mut Value) {
    let Some(obj) = dto.as_object_mut() else {
        return;
    };
    if let Some(Value::Object(data)) = obj.remove("customData") {
        for (k, v) in data {
            obj.entry(k).or_insert(v);
        }
    }
}

/// `ResourceDto`; `linked`: whether a tenant holds the resource (`associateTenantResource`).
pub fn resource_dto(r: &Resource, linked: bool) -> Value {
    json!({
        "code": r.code,
        "name": r.name.clone().unwrap_or_default(),
        "description": r.description.clone().unwrap_or_default(),
        "type": r.resource_type.as_str(),
        "actions": r.actions.iter().map(|a| json!({
            "name": a.name,
            "description": a.description.clone().unwrap_or_default(),
        })).collect::<Vec<_>>(),
        "apiIdentifier": r.api_identifier.clone().unwrap_or_default(),
        "namespace": r.namespace,
        "linkedToTenant": linked,
    })
}

/// `CommonResourceDto`: a `ResourceDto` with its id, pool, namespace name and times.
pub fn common_resource_dto(r: &Resource, names: &HashMap<String, String>, linked: bool) -> Value {
    let mut v = resource_dto(r, linked);
    v["id"] = json!(r.id);
    v["userPoolId"] = json!(r.pool_id);
    v["namespaceName"] = json!(names
        .get(&r.namespace)
        .cloned()
        .unwrap_or_else(|| r.namespace.clone()));
    v["createdAt"] = json!(iso8601(r.created_at));
    v["updatedAt"] = json!(iso8601(r.updated_at));
    v
}

/// `AuthorizedResourceDto`. Grants only allow (denials are not stored), and carry no
/// conditions.
pub fn authorized_dto(r: &AuthorizedResource) -> Value {
    json!({
        "resourceCode": r.code,
        "resourceType": r.resource_type.as_str(),
        "apiIdentifier": r.api_identifier.clone().unwrap_or_default(),
        "actions": r.actions,
        "effect": "ALLOW",
        "condition": [],
        "namespace": r.namespace,
    })
}

/// `NamespaceDto`.
pub fn namespace_dto(n: &ResourceNamespace) -> Value {
    json!({
        "code": n.code,
        "name": n.name.clone().unwrap_or_default(),
        "description": n.description.clone().unwrap_or_default(),
    })
}

pub use super::shapes::WithFlags;

/// A page of users as `{totalCount, list: UserDto[]}`.
pub async fn users_page(m: &Mgmt, p: Paged<User>, parts: UserParts) -> Result<Value, Failure> {
    let list = users_dto(m.core(), &m.admin, &p.list, parts).await?;
    Ok(paged(Paged {
        total_count: p.total_count,
        list,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_custom_data_never_shadows_a_field() {
        let mut dto = json!({ "code": "g", "customData": { "code": "x", "team": "blue" } });
        flatten_custom_data(&mut dto);
        assert_eq!(dto, json!({ "code": "g", "team": "blue" }));
        let mut plain = json!({ "code": "g" });
        flatten_custom_data(&mut plain);
        assert_eq!(plain, json!({ "code": "g" }));
    }

    #[test]
    fn a_department_is_a_node_both_ways() {
        for t in [
            WireTarget::User,
            WireTarget::Role,
            WireTarget::Group,
            WireTarget::Department,
        ] {
            let name = target_name(t.core());
            let back: WireTarget = serde_json::from_value(json!(name)).unwrap();
            assert_eq!(back, t);
        }
        assert_eq!(target_name(TargetType::OrgNode), "DEPARTMENT");
    }

    #[test]
    fn resource_types_are_the_catalog_enum() {
        for (wire, core) in [
            ("DATA", ResourceType::Data),
            ("API", ResourceType::Api),
            ("MENU", ResourceType::Menu),
            ("BUTTON", ResourceType::Button),
            ("UI", ResourceType::Ui),
        ] {
            let t: WireResourceType = serde_json::from_value(json!(wire)).unwrap();
            assert_eq!(t.core(), core);
            assert_eq!(core.as_str(), wire);
        }
        let lower: WireResourceType = serde_json::from_value(json!("menu")).unwrap();
        assert_eq!(lower, WireResourceType::Menu);
        assert!(serde_json::from_value::<WireResourceType>(json!("Data")).is_err());
        assert!(serde_json::from_value::<WireResourceType>(json!("ROBOT")).is_err());
    }
}
