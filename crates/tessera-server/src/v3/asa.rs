//! ASA (form-filling SSO) accounts (`v3-wire.md` §4 "Applications", `createAsaAccount` …
//! `getAssignedAccount`), over `service::asa_accounts`: an application's accounts on a
//! third-party site, sealed at rest, and the users, roles, groups and departments each is
//! assigned to.
//!
//! Shapes: `AsaAccountDto {appId, accountId, accountInfo}`; `AsaAccountTargetDto
//! {targetType, targetIdentifier}` with users and departments by id, roles and groups by
//! code (the OpenAPI's `targetIdentifier` description). `getAssignedAccount` answers
//! `data: null` when the target has no account (`AsaAccountSingleNullableRespDto`). Batches
//! and pages follow the OpenAPI's bounds (100 accounts, 10 target items of 100 targets, pages
//! of 50); a larger one is refused, never cut. Every refusal writes nothing.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::model::directory::TargetType;
use tessera_core::service::asa_accounts::{AccountInfo, AsaAccount, AsaTarget};
use tessera_core::service::paging::Page;
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{ok, success, Reply};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/create-asa-account", post(create))
        .route("/api/v3/create-asa-accounts-batch", post(create_batch))
        .route("/api/v3/update-asa-account", post(update))
        .route("/api/v3/list-asa-accounts", get(list))
        .route("/api/v3/get-asa-account", get(get_one))
        .route("/api/v3/get-asa-accounts-batch", post(get_batch))
        .route("/api/v3/delete-asa-account", post(delete_one))
        .route("/api/v3/delete-asa-accounts-batch", post(delete_batch))
        .route("/api/v3/assign-asa-account", post(assign))
        .route("/api/v3/unassign-asa-account", post(unassign))
        .route("/api/v3/get-asa-account-assigned-targets", get(targets))
        .route("/api/v3/get-assigned-account", get(assigned))
}

/// `USER | ROLE | GROUP | DEPARTMENT` (serde refuses others, naming them).
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "UPPERCASE")]
enum Target {
    User,
    Role,
    Group,
    Department,
}

impl From<Target> for TargetType {
    fn from(t: Target) -> TargetType {
        match t {
            Target::User => TargetType::User,
            Target::Role => TargetType::Role,
            Target::Group => TargetType::Group,
            Target::Department => TargetType::OrgNode,
        }
    }
}

fn target_name(t: TargetType) -> &'static str {
    match t {
        TargetType::User => "USER",
        TargetType::Role => "ROLE",
        TargetType::Group => "GROUP",
        TargetType::OrgNode => "DEPARTMENT",
    }
}

/// `AsaAccountDto`.
fn account_dto(a: &AsaAccount) -> Value {
    json!({
        "appId": a.app_id,
        "accountId": a.id,
        "accountInfo": a.info.to_json(),
    })
}

fn target_dto(t: &AsaTarget) -> Value {
    json!({
        "targetType": target_name(t.target_type),
        "targetIdentifier": t.identifier,
    })
}

// --- accounts ------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateRequest {
    app_id: String,
    account_info: Value,
}

async fn create(m: Mgmt) -> Reply {
    let r: CreateRequest = m.args().map_err(|e| m.fail(e))?;
    let info = AccountInfo::from_json(&r.account_info).map_err(|e| m.fail(e))?;
    let a = m
        .core()
        .create_asa_account(&m.admin, &r.app_id, info)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, account_dto(&a)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BatchItem {
    account_info: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateBatchRequest {
    app_id: String,
    list: Vec<BatchItem>,
}

async fn create_batch(m: Mgmt) -> Reply {
    let r: CreateBatchRequest = m.args().map_err(|e| m.fail(e))?;
    let infos = r
        .list
        .iter()
        .map(|i| AccountInfo::from_json(&i.account_info))
        .collect::<Result<Vec<_>, Error>>()
        .map_err(|e| m.fail(e))?;
    m.core()
        .create_asa_accounts(&m.admin, &r.app_id, infos)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateRequest {
    app_id: String,
    account_id: String,
    account_info: Value,
}

async fn update(m: Mgmt) -> Reply {
    let r: UpdateRequest = m.args().map_err(|e| m.fail(e))?;
    let info = AccountInfo::from_json(&r.account_info).map_err(|e| m.fail(e))?;
    let a = m
        .core()
        .update_asa_account(&m.admin, &r.app_id, &r.account_id, info)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, account_dto(&a)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ListRequest {
    app_id: String,
    page: Option<i64>,
    limit: Option<i64>,
}

async fn list(m: Mgmt) -> Reply {
    let r: ListRequest = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let p = m
        .core()
        .asa_accounts_page(&m.admin, &r.app_id, page)
        .await
        .map_err(|e| m.fail(e))?;
    let list: Vec<Value> = p.list.iter().map(account_dto).collect();
    Ok(ok(
        m.lang,
        json!({ "totalCount": p.total_count, "list": list }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OneRequest {
    app_id: String,
    account_id: String,
}

async fn get_one(m: Mgmt) -> Reply {
    let r: OneRequest = m.args().map_err(|e| m.fail(e))?;
    let a = m
        .core()
        .asa_account(&m.admin, &r.app_id, &r.account_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, account_dto(&a)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IdsRequest {
    app_id: String,
    account_ids: Vec<String>,
}

async fn get_batch(m: Mgmt) -> Reply {
    let r: IdsRequest = m.args().map_err(|e| m.fail(e))?;
    let list = m
        .core()
        .asa_accounts_by_ids(&m.admin, &r.app_id, &r.account_ids)
        .await
        .map_err(|e| m.fail(e))?;
    let dto: Vec<Value> = list.iter().map(account_dto).collect();
    Ok(ok(m.lang, dto))
}

async fn delete_one(m: Mgmt) -> Reply {
    let r: OneRequest = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .delete_asa_accounts(&m.admin, &r.app_id, std::slice::from_ref(&r.account_id))
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

async fn delete_batch(m: Mgmt) -> Reply {
    let r: IdsRequest = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .delete_asa_accounts(&m.admin, &r.app_id, &r.account_ids)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

// --- assignments ---------------------------------------------------------------------------

/// `AssignAsaAccountItem`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TargetItem {
    target_type: Target,
    target_identifiers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AssignRequest {
    app_id: String,
    account_id: String,
    targets: Vec<TargetItem>,
}

fn target_items(r: AssignRequest) -> (String, String, Vec<(TargetType, Vec<String>)>) {
    let items = r
        .targets
        .into_iter()
        .map(|i| (i.target_type.into(), i.target_identifiers))
        .collect();
    (r.app_id, r.account_id, items)
}

async fn assign(m: Mgmt) -> Reply {
    let r: AssignRequest = m.args().map_err(|e| m.fail(e))?;
    let (app_id, account_id, items) = target_items(r);
    m.core()
        .assign_asa_account(&m.admin, &app_id, &account_id, &items)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

async fn unassign(m: Mgmt) -> Reply {
    let r: AssignRequest = m.args().map_err(|e| m.fail(e))?;
    let (app_id, account_id, items) = target_items(r);
    m.core()
        .unassign_asa_account(&m.admin, &app_id, &account_id, &items)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TargetsRequest {
    app_id: String,
    account_id: String,
    page: Option<i64>,
    limit: Option<i64>,
}

async fn targets(m: Mgmt) -> Reply {
    let r: TargetsRequest = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let p = m
        .core()
        .asa_account_targets(&m.admin, &r.app_id, &r.account_id, page)
        .await
        .map_err(|e| m.fail(e))?;
    let list: Vec<Value> = p.list.iter().map(target_dto).collect();
    Ok(ok(
        m.lang,
        json!({ "totalCount": p.total_count, "list": list }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AssignedRequest {
    app_id: String,
    target_type: Target,
    target_identifier: String,
}

async fn assigned(m: Mgmt) -> Reply {
    let r: AssignedRequest = m.args().map_err(|e| m.fail(e))?;
    let a = m
        .core()
        .assigned_asa_account(
            &m.admin,
            &r.app_id,
            r.target_type.into(),
            &r.target_identifier,
        )
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, a.as_ref().map(account_dto)))
}
