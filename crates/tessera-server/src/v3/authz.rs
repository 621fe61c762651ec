//! Resources & authorization (classic RBAC) (`v3-wire.md` §4) and the Users family's
//! `getUserAuthorizedResources`, over the core services v2's `mc.acl` uses (`acl_admin`,
//! `directory`, `directory_batches`). Every permission answer comes from the one resolver.
//!
//! `associateTenantResource` links an application's resource with a tenant (the core's
//! `tenant_resources`); a resource DTO's `linkedToTenant` shows it.
//!
//! A resource or grant named without a namespace is in the default one, as roles are.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::model::directory::ResourceAction;
use tessera_core::service::acl_admin::{GrantBatch, ResourceInput};
use tessera_core::service::directory::{NewResource, DEFAULT_NAMESPACE};
use tessera_core::service::directory_batches::NewNamespace;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::{Entity, Error};

use super::directory_dto::{
    authorized_dto, common_resource_dto, namespace_dto, namespace_names, paged, resource_dto,
    target_name, v3_handler, WireResourceType, WireTarget,
};
use super::envelope::{ok, success};
use super::shapes::{resolve_user, UserIdType};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/create-resource", post(create_resource))
        .route(
            "/api/v3/create-resources-batch",
            post(create_resources_batch),
        )
        .route("/api/v3/get-resource", get(get_resource))
        .route("/api/v3/get-resources-batch", get(get_resources_batch))
        .route("/api/v3/list-common-resource", get(list_common_resource))
        .route("/api/v3/list-resources", get(list_resources))
        .route(
            "/api/v3/associate-tenant-resource",
            post(associate_tenant_resource),
        )
        .route("/api/v3/update-resource", post(update_resource))
        .route("/api/v3/delete-resource", post(delete_resource))
        .route(
            "/api/v3/delete-resources-batch",
            post(delete_resources_batch),
        )
        .route(
            "/api/v3/delete-common-resources-batch",
            post(delete_common_resources_batch),
        )
        .route("/api/v3/create-namespace", post(create_namespace))
        .route(
            "/api/v3/create-namespaces-batch",
            post(create_namespaces_batch),
        )
        .route("/api/v3/get-namespace", get(get_namespace))
        .route("/api/v3/get-namespaces-batch", get(get_namespaces_batch))
        .route("/api/v3/update-namespace", post(update_namespace))
        .route("/api/v3/delete-namespace", post(delete_namespace))
        .route(
            "/api/v3/delete-namespaces-batch",
            post(delete_namespaces_batch),
        )
        .route("/api/v3/list-namespaces", get(list_namespaces))
        .route("/api/v3/list-namespace-roles", get(list_namespace_roles))
        .route("/api/v3/authorize-resources", post(authorize_resources))
        .route(
            "/api/v3/get-authorized-resources",
            get(get_authorized_resources),
        )
        .route("/api/v3/is-action-allowed", post(is_action_allowed))
        .route(
            "/api/v3/get-resource-authorized-targets",
            post(resource_authorized_targets),
        )
        .route(
            "/api/v3/get-user-authorized-resources",
            get(user_authorized_resources),
        )
}

/// The namespace a request names; absent or blank is the default one.
fn ns_or_default(ns: Option<String>) -> String {
    ns.filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned())
}

/// A namespace filter: absent or blank filters nothing.
fn ns_filter(ns: &Option<String>) -> Option<&str> {
    ns.as_deref().map(str::trim).filter(|n| !n.is_empty())
}

// --- resources -----------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAction {
    name: String,
    description: Option<String>,
}

fn actions(list: Vec<WireAction>) -> Vec<ResourceAction> {
    list.into_iter()
        .map(|a| ResourceAction {
            name: a.name,
            description: a.description,
        })
        .collect()
}

/// `CreateResourceDto` (and, without `namespace`, `CreateResourceBatchItemDto`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateResource {
    #[serde(rename = "type")]
    kind: WireResourceType,
    code: String,
    description: Option<String>,
    name: Option<String>,
    #[serde(default)]
    actions: Vec<WireAction>,
    api_identifier: Option<String>,
    namespace: Option<String>,
}

v3_handler!(create_resource(m) {
    let r: CreateResource = m.args()?;
    let made = m
        .core()
        .create_resource_full(
            &m.admin,
            ResourceInput {
                namespace: ns_or_default(r.namespace),
                code: r.code,
                resource_type: Some(r.kind.core()),
                description: r.description,
                actions: Some(actions(r.actions)),
                api_identifier: r.api_identifier,
                name: r.name,
            },
        )
        .await?;
    // Just made: no tenant holds it yet.
    Ok(ok(m.lang, resource_dto(&made, false)))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateResourcesBatch {
    list: Vec<CreateResource>,
    namespace: Option<String>,
}

v3_handler!(create_resources_batch(m) {
    let r: CreateResourcesBatch = m.args()?;
    let ns = ns_or_default(r.namespace);
    let list = r
        .list
        .into_iter()
        .map(|i| NewResource {
            namespace: i.namespace.filter(|n| !n.trim().is_empty()).unwrap_or_else(|| ns.clone()),
            code: i.code,
            resource_type: i.kind.core(),
            description: i.description,
            actions: actions(i.actions),
            api_identifier: i.api_identifier,
            name: i.name,
        })
        .collect();
    m.core().create_resources(&m.admin, list).await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceKey {
    code: String,
    namespace: Option<String>,
}

v3_handler!(get_resource(m) {
    let r: ResourceKey = m.args()?;
    let found = m
        .core()
        .resource_by_code(&m.admin, &ns_or_default(r.namespace), &r.code)
        .await?
        .ok_or(Error::NotFound(Entity::Resource))?;
    let linked = linked_ids(&m, std::slice::from_ref(&found)).await?;
    Ok(ok(m.lang, resource_dto(&found, linked.contains(&found.id))))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourcesBatch {
    namespace: Option<String>,
    code_list: Vec<String>,
}

v3_handler!(
    /// The resources of the list that exist, in the order asked.
    get_resources_batch(m) {
    let r: ResourcesBatch = m.args()?;
    if r.code_list.is_empty() {
        return Err(Error::MissingParameter("codeList").into());
    }
    if r.code_list.len() > tessera_core::service::directory_admin::MAX_BATCH {
        return Err(Error::InvalidParameter("codeList").into());
    }
    let ns = ns_or_default(r.namespace);
    let mut found = Vec::new();
    for code in &r.code_list {
        if let Some(x) = m.core().resource_by_code(&m.admin, &ns, code).await? {
            found.push(x);
        }
    }
    let linked = linked_ids(&m, &found).await?;
    let list: Vec<Value> = found
        .iter()
        .map(|x| resource_dto(x, linked.contains(&x.id)))
        .collect();
    Ok(ok(m.lang, list))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListCommonResource {
    page: Option<i64>,
    limit: Option<i64>,
    keyword: Option<String>,
    /// Namespace codes, comma-separated (the SDK types it as one string).
    namespace_code_list: Option<String>,
}

v3_handler!(
    /// Resources of every namespace (or of those listed) whose code contains `keyword`.
    list_common_resource(m) {
    let r: ListCommonResource = m.args()?;
    let page = Page::new(r.page, r.limit)?;
    let namespaces: Vec<String> = r
        .namespace_code_list
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let found = m
        .core()
        .search_resources(&m.admin, &namespaces, None, r.keyword.as_deref(), page)
        .await?;
    let codes = found.list.iter().map(|x| x.namespace.clone()).collect();
    let names = namespace_names(&m, codes).await?;
    let linked = linked_ids(&m, &found.list).await?;
    let list = found
        .list
        .iter()
        .map(|x| common_resource_dto(x, &names, linked.contains(&x.id)))
        .collect();
    Ok(ok(m.lang, paged(Paged { total_count: found.total_count, list })))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListResources {
    namespace: Option<String>,
    #[serde(rename = "type")]
    kind: Option<WireResourceType>,
    page: Option<i64>,
    limit: Option<i64>,
}

v3_handler!(list_resources(m) {
    let r: ListResources = m.args()?;
    let page = Page::new(r.page, r.limit)?;
    let found = m
        .core()
        .list_resources(&m.admin, ns_filter(&r.namespace), r.kind.map(|k| k.core()), page)
        .await?;
    let linked = linked_ids(&m, &found.list).await?;
    Ok(ok(m.lang, paged(found.map(|x| resource_dto(&x, linked.contains(&x.id))))))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateResource {
    code: String,
    description: Option<String>,
    name: Option<String>,
    actions: Option<Vec<WireAction>>,
    api_identifier: Option<String>,
    namespace: Option<String>,
    #[serde(rename = "type")]
    kind: Option<WireResourceType>,
}

v3_handler!(update_resource(m) {
    let r: UpdateResource = m.args()?;
    let updated = m
        .core()
        .update_resource(
            &m.admin,
            ResourceInput {
                namespace: ns_or_default(r.namespace),
                code: r.code,
                resource_type: r.kind.map(|k| k.core()),
                description: r.description,
                actions: r.actions.map(actions),
                api_identifier: r.api_identifier,
                name: r.name,
            },
        )
        .await?;
    let linked = linked_ids(&m, std::slice::from_ref(&updated)).await?;
    Ok(ok(m.lang, resource_dto(&updated, linked.contains(&updated.id))))
});

v3_handler!(delete_resource(m) {
    let r: ResourceKey = m.args()?;
    m.core().delete_resource(&m.admin, &ns_or_default(r.namespace), &r.code).await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteResourcesBatch {
    namespace: Option<String>,
    code_list: Option<Vec<String>>,
    ids: Option<Vec<String>>,
}

v3_handler!(
    /// Deletes the resources named by code (in one namespace) and/or by id, all or none.
    delete_resources_batch(m) {
    let r: DeleteResourcesBatch = m.args()?;
    let core = m.core();
    let ns = ns_or_default(r.namespace);
    let mut named: Vec<(String, String)> = r
        .code_list
        .unwrap_or_default()
        .into_iter()
        .map(|c| (ns.clone(), c))
        .collect();
    for id in r.ids.unwrap_or_default() {
        let found = core
            .resource_by_id(&m.admin, id.trim())
            .await?
            .ok_or(Error::NotFound(Entity::Resource))?;
        named.push((found.namespace, found.code));
    }
    core.delete_resources(&m.admin, &named).await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Ids {
    ids: Vec<String>,
}

v3_handler!(delete_common_resources_batch(m) {
    let r: Ids = m.args()?;
    m.core().delete_resources_by_id(&m.admin, &r.ids).await?;
    Ok(success(m.lang))
});

// --- namespaces ----------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateNamespace {
    code: String,
    name: Option<String>,
    description: Option<String>,
}

v3_handler!(create_namespace(m) {
    let r: CreateNamespace = m.args()?;
    let made = m
        .core()
        .create_namespace_full(&m.admin, &r.code, r.name, r.description)
        .await?;
    Ok(ok(m.lang, namespace_dto(&made)))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateNamespacesBatch {
    list: Vec<CreateNamespace>,
}

v3_handler!(create_namespaces_batch(m) {
    let r: CreateNamespacesBatch = m.args()?;
    let list = r
        .list
        .into_iter()
        .map(|n| NewNamespace { code: n.code, name: n.name, description: n.description })
        .collect();
    m.core().create_namespaces(&m.admin, list).await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Code {
    code: String,
}

v3_handler!(get_namespace(m) {
    let r: Code = m.args()?;
    let found = m
        .core()
        .namespace_by_code(&m.admin, &r.code)
        .await?
        .ok_or(Error::NotFound(Entity::Namespace))?;
    Ok(ok(m.lang, namespace_dto(&found)))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodeList {
    code_list: Vec<String>,
}

v3_handler!(
    /// The namespaces of the list that exist, in the order asked.
    get_namespaces_batch(m) {
    let r: CodeList = m.args()?;
    if r.code_list.is_empty() {
        return Err(Error::MissingParameter("codeList").into());
    }
    if r.code_list.len() > tessera_core::service::directory_admin::MAX_BATCH {
        return Err(Error::InvalidParameter("codeList").into());
    }
    let mut list = Vec::new();
    for code in &r.code_list {
        if let Some(found) = m.core().namespace_by_code(&m.admin, code).await? {
            list.push(namespace_dto(&found));
        }
    }
    Ok(ok(m.lang, list))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateNamespace {
    code: String,
    description: Option<String>,
    name: Option<String>,
    new_code: Option<String>,
}

v3_handler!(
    /// Renames (and re-describes) a namespace; a new code takes its roles, resources and
    /// grants along. Answers `UpdateNamespaceDto` as stored.
    update_namespace(m) {
    let r: UpdateNamespace = m.args()?;
    let updated = m
        .core()
        .update_namespace(&m.admin, &r.code, r.new_code, r.name, r.description)
        .await?;
    Ok(ok(m.lang, json!({
        "code": updated.code,
        "newCode": updated.code,
        "name": updated.name.unwrap_or_default(),
        "description": updated.description.unwrap_or_default(),
    })))
});

v3_handler!(delete_namespace(m) {
    let r: Code = m.args()?;
    m.core().delete_namespace(&m.admin, &r.code).await?;
    Ok(success(m.lang))
});

v3_handler!(delete_namespaces_batch(m) {
    let r: CodeList = m.args()?;
    m.core().delete_namespaces(&m.admin, &r.code_list).await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListNamespaces {
    page: Option<i64>,
    limit: Option<i64>,
    keywords: Option<String>,
}

v3_handler!(list_namespaces(m) {
    let r: ListNamespaces = m.args()?;
    let page = Page::new(r.page, r.limit)?;
    let found = m.core().search_namespaces(&m.admin, r.keywords.as_deref(), page).await?;
    Ok(ok(m.lang, paged(found.map(|n| namespace_dto(&n)))))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListNamespaceRoles {
    page: Option<i64>,
    limit: Option<i64>,
    code: String,
    keywords: Option<String>,
}

v3_handler!(list_namespace_roles(m) {
    let r: ListNamespaceRoles = m.args()?;
    let page = Page::new(r.page, r.limit)?;
    if r.code.trim().is_empty() {
        return Err(Error::MissingParameter("code").into());
    }
    let found = m
        .core()
        .search_roles(&m.admin, Some(&r.code), r.keywords.as_deref(), page)
        .await?;
    Ok(ok(m.lang, paged(found.map(|role| json!({
        "id": role.id,
        "code": role.code,
        "name": role.name.unwrap_or_default(),
        "description": role.description.unwrap_or_default(),
        "namespace": role.namespace,
        "updatedAt": tessera_core::clock::iso8601(role.updated_at),
    })))))
});

// --- grants and answers --------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceItem {
    code: String,
    actions: Vec<String>,
    resource_type: WireResourceType,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorizeItem {
    target_type: WireTarget,
    target_identifiers: Vec<String>,
    resources: Vec<ResourceItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorizeResources {
    list: Vec<AuthorizeItem>,
    namespace: Option<String>,
}

v3_handler!(
    /// Each target gets exactly the listed actions on each listed resource; all or nothing.
    authorize_resources(m) {
    let r: AuthorizeResources = m.args()?;
    let batches: Vec<GrantBatch> = r
        .list
        .into_iter()
        .map(|i| GrantBatch {
            target_type: i.target_type.core(),
            identifiers: i.target_identifiers,
            resources: i
                .resources
                .into_iter()
                .map(|x| (x.code, x.actions, Some(x.resource_type.core())))
                .collect(),
        })
        .collect();
    m.core()
        .grant_batches(&m.admin, &ns_or_default(r.namespace), &batches, false)
        .await?;
    Ok(success(m.lang))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetAuthorizedResources {
    target_type: WireTarget,
    target_identifier: String,
    namespace: Option<String>,
    resource_type: Option<WireResourceType>,
    resource_list: Option<Vec<String>>,
    /// Grants only allow in Tessera, so there are no denied resources to add.
    #[serde(default)]
    #[allow(dead_code)]
    with_denied: bool,
}

v3_handler!(
    /// What a user, role, group or department may do (the one resolver), optionally only
    /// for the listed resource codes.
    get_authorized_resources(m) {
    let r: GetAuthorizedResources = m.args()?;
    let core = m.core();
    let t = r.target_type.core();
    let ns = ns_filter(&r.namespace);
    let id = core.target_id(&m.admin, t, &r.target_identifier, ns).await?;
    let mut list = core
        .target_resources(&m.admin, t, &id, ns, r.resource_type.map(|k| k.core()))
        .await?;
    if let Some(wanted) = r.resource_list.filter(|l| !l.is_empty()) {
        list.retain(|x| wanted.contains(&x.code));
    }
    let list: Vec<Value> = list.iter().map(authorized_dto).collect();
    Ok(ok(m.lang, paged(Paged { total_count: list.len() as i64, list })))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IsActionAllowed {
    user_id: String,
    action: String,
    resource: String,
    namespace: Option<String>,
}

v3_handler!(is_action_allowed(m) {
    let r: IsActionAllowed = m.args()?;
    let core = m.core();
    let u = resolve_user(core, &m.admin, &r.user_id, UserIdType::UserId).await?;
    let allowed = core
        .is_allowed(m.admin.pool_id(), &u.id, ns_filter(&r.namespace), &r.resource, &r.action)
        .await?;
    Ok(ok(m.lang, json!({ "allowed": allowed })))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceTargets {
    resource: String,
    namespace: Option<String>,
    target_type: Option<WireTarget>,
    page: Option<i64>,
    limit: Option<i64>,
}

v3_handler!(
    /// Who holds a grant on exactly this resource code, one page of them.
    resource_authorized_targets(m) {
    let r: ResourceTargets = m.args()?;
    let page = Page::new(r.page, r.limit)?;
    let holders = m
        .core()
        .resource_holders(
            &m.admin,
            &ns_or_default(r.namespace),
            &r.resource,
            None,
            r.target_type.map(|t| t.core()),
            None,
        )
        .await?;
    let all: Vec<Value> = holders
        .iter()
        .map(|h| json!({
            "targetType": target_name(h.target_type),
            "targetIdentifier": h.identifier,
            "actions": h.actions,
        }))
        .collect();
    Ok(ok(m.lang, paged(page.slice(&all))))
});

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserResources {
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
    namespace: Option<String>,
    resource_type: Option<WireResourceType>,
}

v3_handler!(
    /// Everything the user may do, through every path (the one resolver).
    user_authorized_resources(m) {
    let r: UserResources = m.args()?;
    let core = m.core();
    let u = resolve_user(core, &m.admin, &r.user_id, r.user_id_type).await?;
    let list = core
        .authorized_resources(
            m.admin.pool_id(),
            &u.id,
            ns_filter(&r.namespace),
            r.resource_type.map(|k| k.core().as_str()),
        )
        .await?;
    let list: Vec<Value> = list.iter().map(authorized_dto).collect();
    Ok(ok(m.lang, paged(Paged { total_count: list.len() as i64, list })))
});

/// The ids among these resources that a tenant holds (`linkedToTenant`).
async fn linked_ids(
    m: &crate::v3::call::Mgmt,
    found: &[tessera_core::model::directory::Resource],
) -> tessera_core::Result<std::collections::HashSet<String>> {
    let ids: Vec<String> = found.iter().map(|x| x.id.clone()).collect();
    Ok(m.core()
        .tenant_linked_resources(&m.admin, &ids)
        .await?
        .into_iter()
        .collect())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssociateTenantResource {
    code: String,
    association: bool,
    app_id: String,
    tenant_id: Option<String>,
}

v3_handler!(
    /// `associateTenantResource`: the application's resource `code` associated with the
    /// tenant (`association: true`) or no longer (`false`). Tessera needs the tenant: an
    /// association without one names nobody.
    associate_tenant_resource(m) {
    let r: AssociateTenantResource = m.args()?;
    m.core()
        .associate_tenant_resource(
            &m.admin,
            r.tenant_id.as_deref(),
            &r.app_id,
            &r.code,
            r.association,
        )
        .await?;
    Ok(success(m.lang))
});
