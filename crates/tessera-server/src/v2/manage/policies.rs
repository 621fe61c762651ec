//! `mc.policies` (`v2-wire.md` §6.11) and the policy calls of `mc.roles` and `mc.acl`:
//! policies by code within a namespace, and their assignments to users, roles, groups and
//! nodes (named as the wire names them: user and node ids, role and group codes).

use axum::extract::RawQuery;
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::directory_admin::{
    Policy, PolicyCondition, PolicyEffect, PolicyStatement,
};
use tessera_core::principal::PoolAdmin;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::service::policies::AssignmentView;
use tessera_core::{Error, Result};

use super::super::args::{opt_bool, opt_str, page, req_str, str_list};
use super::super::context::V2Ctx;
use super::dir_common::{opt_target_type, query_args, target_type};
use super::{common_message, done, paged_json, Admin, Reply};
use crate::graphql::Field;
use crate::AppState;

pub async fn resolve(ctx: &V2Ctx, f: &Field) -> Option<Result<Value>> {
    let a = &f.args;
    Some(match f.name.as_str() {
        "createPolicy" => create(ctx, f).await,
        "updatePolicy" => update(ctx, f).await,
        "deletePolicy" => delete(ctx, a, false).await,
        "deletePolicies" => delete(ctx, a, true).await,
        "policy" => detail(ctx, f).await,
        "policies" => list(ctx, a).await,
        "policyAssignments" => assignments(ctx, a).await,
        "addPolicyAssignments" => set_assignments(ctx, a, true).await,
        "removePolicyAssignments" => set_assignments(ctx, a, false).await,
        "enablePolicyAssignment" => enable(ctx, a, true).await,
        // Sic: the SDK's spelling.
        "disbalePolicyAssignment" | "disablePolicyAssignment" => enable(ctx, a, false).await,
        _ => return None,
    })
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v2/policies/assignments/by-target", get(by_target))
}

fn statements(a: &Map<String, Value>) -> Result<Option<Vec<PolicyStatement>>> {
    let items = match a.get("statements") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(Error::InvalidParameter("statements")),
    };
    items
        .iter()
        .map(|s| {
            let o = s.as_object().ok_or(Error::InvalidParameter("statements"))?;
            let effect = match opt_str(o, "effect")?.filter(|e| !e.is_empty()) {
                Some(e) => PolicyEffect::parse(&e).ok_or(Error::InvalidParameter("effect"))?,
                None => PolicyEffect::Allow,
            };
            let condition = match o.get("condition") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(c)) => c
                    .iter()
                    .map(|c| {
                        let c = c.as_object().ok_or(Error::InvalidParameter("condition"))?;
                        Ok(PolicyCondition {
                            param: req_str(c, "param")?,
                            operator: req_str(c, "operator")?,
                            value: c.get("value").cloned().unwrap_or(Value::Null),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?,
                Some(_) => return Err(Error::InvalidParameter("condition")),
            };
            Ok(PolicyStatement {
                resource: req_str(o, "resource")?,
                actions: str_list(o, "actions")?,
                effect,
                condition,
            })
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

fn policy_json(p: &Policy) -> Value {
    json!({
        "id": p.id, "namespace": p.namespace, "code": p.code, "isDefault": false,
        "description": p.description,
        "statements": p.statements.iter().map(|s| json!({
            "resource": s.resource, "actions": s.actions, "effect": s.effect.as_str(),
            "condition": s.condition.iter().map(|c| json!({
                "param": c.param, "operator": c.operator, "value": c.value,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "createdAt": iso8601(p.created_at), "updatedAt": iso8601(p.updated_at),
    })
}

fn assignment_json(v: &AssignmentView) -> Value {
    let a = &v.assignment;
    json!({
        "code": a.policy_code, "namespace": a.namespace, "policyId": a.policy_id,
        "targetType": a.target_type.as_str(), "targetIdentifier": v.identifier,
        "enabled": a.enabled, "assignedAt": iso8601(a.created_at),
    })
}

/// A policy with the extra fields the caller selects (`assignmentsCount`,
/// `assignments(page, limit)`).
async fn policy_full(ctx: &V2Ctx, pool: &PoolAdmin, p: &Policy, f: &Field) -> Result<Value> {
    let core = &ctx.state.core;
    let mut v = policy_json(p);
    if f.child("assignmentsCount").is_some() {
        v["assignmentsCount"] = json!(core.policy_assignment_count(pool, p).await?);
    }
    if let Some(sub) = f.child("assignments") {
        let page = Page::new(
            super::super::args::opt_int(&sub.args, "page")?,
            super::super::args::opt_int(&sub.args, "limit")?,
        )?;
        let found = core
            .policy_assignments(pool, Some(&p.namespace), Some(&p.code), None, None, page)
            .await?;
        v["assignments"] = Value::Array(found.list.iter().map(assignment_json).collect());
    }
    Ok(v)
}

async fn create(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let a = &f.args;
    let p = ctx
        .state
        .core
        .create_policy(
            pool,
            opt_str(a, "namespace")?.as_deref(),
            &req_str(a, "code")?,
            opt_str(a, "description")?,
            statements(a)?.ok_or(Error::MissingParameter("statements"))?,
        )
        .await?;
    policy_full(ctx, pool, &p, f).await
}

async fn update(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let a = &f.args;
    let p = ctx
        .state
        .core
        .update_policy(
            pool,
            opt_str(a, "namespace")?.as_deref(),
            &req_str(a, "code")?,
            opt_str(a, "description")?,
            statements(a)?,
            opt_str(a, "newCode")?,
        )
        .await?;
    policy_full(ctx, pool, &p, f).await
}

async fn delete(ctx: &V2Ctx, a: &Map<String, Value>, many: bool) -> Result<Value> {
    let pool = ctx.admin().await?;
    let codes = if many {
        str_list(a, "codeList")?
    } else {
        vec![req_str(a, "code")?]
    };
    ctx.state
        .core
        .delete_policies(pool, opt_str(a, "namespace")?.as_deref(), &codes)
        .await?;
    Ok(common_message(ctx.lang))
}

async fn detail(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let pool = ctx.admin().await?;
    let a = &f.args;
    match ctx
        .state
        .core
        .policy_by_code(
            pool,
            opt_str(a, "namespace")?.as_deref(),
            &req_str(a, "code")?,
        )
        .await?
    {
        Some(p) => policy_full(ctx, pool, &p, f).await,
        None => Ok(Value::Null),
    }
}

async fn list(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let found = ctx
        .state
        .core
        .list_policies(pool, opt_str(a, "namespace")?.as_deref(), page(a)?)
        .await?;
    Ok(paged_json(found.map(|p| policy_json(&p))))
}

async fn assignments(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.admin().await?;
    let found = ctx
        .state
        .core
        .policy_assignments(
            pool,
            opt_str(a, "namespace")?.as_deref(),
            opt_str(a, "code")?.as_deref(),
            opt_target_type(a, "targetType")?,
            opt_str(a, "targetIdentifier")?.as_deref(),
            page(a)?,
        )
        .await?;
    Ok(paged_json(found.map(|v| assignment_json(&v))))
}

async fn set_assignments(ctx: &V2Ctx, a: &Map<String, Value>, add: bool) -> Result<Value> {
    let pool = ctx.admin().await?;
    // Node assignments reach sub-departments as node grants do; the flag changes nothing.
    opt_bool(a, "inheritByChildren")?;
    ctx.state
        .core
        .set_policy_assignments(
            pool,
            opt_str(a, "namespace")?.as_deref(),
            &str_list(a, "policies")?,
            target_type(a, "targetType")?,
            &str_list(a, "targetIdentifiers")?,
            add,
        )
        .await?;
    Ok(common_message(ctx.lang))
}

async fn enable(ctx: &V2Ctx, a: &Map<String, Value>, enabled: bool) -> Result<Value> {
    let pool = ctx.admin().await?;
    ctx.state
        .core
        .set_policy_assignment_enabled(
            pool,
            opt_str(a, "namespace")?.as_deref(),
            &req_str(a, "policy")?,
            target_type(a, "targetType")?,
            &req_str(a, "targetIdentifier")?,
            enabled,
        )
        .await?;
    Ok(common_message(ctx.lang))
}

/// `GET /api/v2/policies/assignments/by-target?namespace&policy_code&target_type`
/// (`acl.getPoliciesAssignmentsCondition`): the policy with its statements (and their
/// conditions) and its assignments to targets of that type.
async fn by_target(admin: Admin, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let q = query_args(&q)?;
            let core = admin.core();
            let ns = opt_str(&q, "namespace")?;
            let policy = core
                .policy_required(&admin.pool, ns.as_deref(), &req_str(&q, "policy_code")?)
                .await?;
            let t = opt_target_type(&q, "target_type")?;
            let mut list = Vec::new();
            let mut page_no = 1;
            // Every assignment of the policy to that type, read page by page.
            loop {
                let p = Page::new(
                    Some(page_no),
                    Some(tessera_core::service::paging::MAX_PAGE_SIZE),
                )?;
                let found: Paged<AssignmentView> = core
                    .policy_assignments(
                        &admin.pool,
                        Some(&policy.namespace),
                        Some(&policy.code),
                        t,
                        None,
                        p,
                    )
                    .await?;
                let n = found.list.len();
                list.extend(found.list.iter().map(assignment_json));
                if (n as i64) < p.limit {
                    break;
                }
                page_no += 1;
            }
            Ok(done(
                admin.lang(),
                json!({"policy": policy_json(&policy), "totalCount": list.len(), "list": list}),
            ))
        })
        .await
}
