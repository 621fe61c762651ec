//! Permission checks of the logged-in user (`v3-wire.md` §5.6 "Permission checks"). Every
//! answer comes from the one resolver (`Core::authorized_resources` and `is_allowed`'s
//! decision, `directory::grants_allow`), scoped as Authing scopes these calls: to the
//! namespace of the application the request names (`x-authing-app-id`), whose code is the
//! application's id. Tessera's resources carry no STRING/ARRAY/TREE data type, so a string
//! or array resource is a resource code, and a tree resource is a `/`-separated path whose
//! ancestors' grants cover it; structures are reported as STRING resources.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::service::directory::granted_actions;

use super::super::envelope::{ok, Reply, V3Error};
use super::call::AuthCall;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v3/check-permission-string-resource",
            post(check_string),
        )
        .route("/api/v3/check-permission-array-resource", post(check_array))
        .route("/api/v3/check-permission-tree-resource", post(check_tree))
        .route("/api/v3/get-user-auth-resource-list", get(resource_list))
        .route(
            "/api/v3/get-user-auth-resource-permission-list",
            post(permission_list),
        )
        .route(
            "/api/v3/get-user-auth-resource-struct",
            post(resource_struct),
        )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Check {
    resources: Vec<String>,
    action: String,
}

/// `CheckResourcePermissionDataDto`.
async fn check(call: AuthCall, tree: bool) -> Reply {
    let r: Check = call.args()?;
    let s = call.session().await?;
    let ns = call.app()?.id.clone();
    let allowed = call
        .core()
        .check_my_permissions(&s, &ns, &r.resources, &r.action, tree)
        .await
        .map_err(|e| call.fail(e))?;
    let list: Vec<Value> = r
        .resources
        .iter()
        .zip(allowed)
        .map(|(res, enabled)| {
            json!({
                "namespaceCode": ns,
                "action": r.action,
                "resource": res,
                "enabled": enabled,
            })
        })
        .collect();
    Ok(ok(call.lang, json!({ "checkResultList": list })))
}

async fn check_string(call: AuthCall) -> Reply {
    check(call, false).await
}

async fn check_array(call: AuthCall) -> Reply {
    check(call, false).await
}

async fn check_tree(call: AuthCall) -> Reply {
    check(call, true).await
}

/// The session and the application's namespace.
async fn scope(
    call: &AuthCall,
) -> Result<(tessera_core::service::account::Session, String), V3Error> {
    let s = call.session().await?;
    let ns = call.app()?.id.clone();
    Ok((s, ns))
}

/// `GetUserAuthResourceListDataDto`: one entry for the application's namespace with every
/// resource granted there.
async fn resource_list(call: AuthCall) -> Reply {
    let (s, ns) = scope(&call).await?;
    let granted = call
        .core()
        .my_resources_in(&s, &ns)
        .await
        .map_err(|e| call.fail(e))?;
    let resources: Vec<Value> = granted
        .iter()
        .map(|r| {
            json!({
                "resourceCode": r.code,
                "resourceType": "STRING",
                "strAuthorize": { "value": r.code, "actions": r.actions },
            })
        })
        .collect();
    Ok(ok(
        call.lang,
        json!({ "userPermissionList": [{
            "userId": s.user().id,
            "namespaceCode": ns,
            "resourceList": resources,
        }] }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PermissionList {
    resources: Vec<String>,
}

/// `GetUserAuthResourcePermissionListDataDto`.
async fn permission_list(call: AuthCall) -> Reply {
    let r: PermissionList = call.args()?;
    let (s, ns) = scope(&call).await?;
    let actions = call
        .core()
        .my_resource_actions(&s, &ns, &r.resources)
        .await
        .map_err(|e| call.fail(e))?;
    let list: Vec<Value> = r
        .resources
        .iter()
        .zip(actions)
        .map(|(res, actions)| json!({ "namespaceCode": ns, "resource": res, "actions": actions }))
        .collect();
    Ok(ok(call.lang, json!({ "permissionList": list })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Struct {
    resource: String,
}

/// `GetUserAuthResourceStructDataDto` for one resource code: the actions granted on it.
async fn resource_struct(call: AuthCall) -> Reply {
    let r: Struct = call.args()?;
    if r.resource.trim().is_empty() {
        return Err(call.fail(tessera_core::Error::MissingParameter("resource")));
    }
    let (s, ns) = scope(&call).await?;
    let granted = call
        .core()
        .my_resources_in(&s, &ns)
        .await
        .map_err(|e| call.fail(e))?;
    let actions = granted_actions(&granted, &r.resource);
    Ok(ok(
        call.lang,
        json!({
            "namespaceCode": ns,
            "resourceCode": r.resource,
            "resourceType": "STRING",
            "strResourceAuthAction": { "value": r.resource, "actions": actions },
        }),
    ))
}
