//! Audit logs (`v3-wire.md` §4 "Audit logs", 2 methods): what administrators changed and
//! what users did, as the core records them (`service/audit.rs`).

use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::audit::{AuditRecord, OperationType, ResourceKind, UserAction, UserEvent};
use tessera_core::service::paging::Page;
use tessera_core::store::audit::{AuditQuery, UserActionQuery};
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{ok, Reply};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-admin-audit-logs", post(admin_logs))
        .route("/api/v3/get-user-action-logs", post(user_logs))
}

/// `ListWebhooksDto`: the SDK types both members `any`; numbers or numeric strings.
#[derive(Deserialize, Default)]
struct Pagination {
    page: Option<Value>,
    limit: Option<Value>,
}

fn number(v: &Option<Value>, field: &'static str) -> Result<Option<i64>, Error> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or(Error::InvalidParameter(field)),
        Some(Value::String(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| Error::InvalidParameter(field)),
        Some(_) => Err(Error::InvalidParameter(field)),
    }
}

fn page_of(p: &Option<Pagination>) -> Result<Page, Error> {
    match p {
        None => Page::new(None, None),
        Some(p) => Page::new(number(&p.page, "page")?, number(&p.limit, "limit")?),
    }
}

/// Authing's resource names for the kinds the core records (`AdminAuditLogDto.resourceType`).
fn resource_name(r: ResourceKind) -> &'static str {
    match r {
        ResourceKind::User => "user",
        ResourceKind::UserPool => "userpool",
        ResourceKind::Role => "role",
        ResourceKind::Group => "userGroup",
        ResourceKind::Application => "application",
        ResourceKind::Tenant => "tenant",
        ResourceKind::Cooperator => "cooperator",
        ResourceKind::AdminRole => "adminRole",
    }
}

fn event_name(e: UserEvent) -> &'static str {
    match e {
        UserEvent::Login => "login",
        UserEvent::Logout => "logout",
        UserEvent::Register => "register",
        UserEvent::PasswordChange => "updateUserPassword",
        UserEvent::PasskeyRegister => "bindWebAuthn",
        UserEvent::PasskeyCloneSuspected => "webAuthnCloneSuspected",
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdminLogs {
    client_ip: Option<String>,
    operation_type: Option<String>,
    resource_type: Option<String>,
    success: Option<bool>,
    start: Option<i64>,
    end: Option<i64>,
    pagination: Option<Pagination>,
}

fn record_dto(r: &AuditRecord) -> Value {
    json!({
        // Tessera's administrators are credentials, not users: the proof stands for who.
        "adminUserId": tessera_core::model::audit::proof_name(r.proof),
        "adminUserAvatar": "",
        "adminUserDisplayName": tessera_core::model::audit::proof_name(r.proof),
        "clientIp": r.client_ip,
        "operationType": r.operation.as_str(),
        "resourceType": resource_name(r.resource),
        "eventDetails": r.target_ids.join(","),
        "operationParam": serde_json::to_string(&r.params).unwrap_or_default(),
        "success": r.success,
        "userAgent": r.user_agent.clone().unwrap_or_default(),
        "timestamp": iso8601(r.at),
        "requestId": r.id,
    })
}

async fn admin_logs(m: Mgmt) -> Reply {
    let r: AdminLogs = m.args().map_err(|e| m.fail(e))?;
    let operation_type = match r.operation_type.as_deref() {
        None | Some("all") | Some("") => None,
        Some(o) => Some(
            OperationType::parse(o)
                .ok_or_else(|| m.fail(Error::InvalidParameter("operationType")))?,
        ),
    };
    let resource_type = match r.resource_type.as_deref() {
        None | Some("all") | Some("") => None,
        Some(t) => Some(
            ResourceKind::ALL
                .iter()
                .copied()
                .find(|k| resource_name(*k) == t)
                .ok_or_else(|| m.fail(Error::InvalidParameter("resourceType")))?,
        ),
    };
    let q = AuditQuery {
        client_ip: r.client_ip.filter(|s| !s.is_empty()),
        operation_type,
        resource_type,
        success: r.success,
        start: r.start,
        end: r.end,
        page: page_of(&r.pagination).map_err(|e| m.fail(e))?,
    };
    let p = m
        .core()
        .admin_audit_logs(&m.admin, &q)
        .await
        .map_err(|e| m.fail(e))?;
    let list: Vec<Value> = p.list.iter().map(record_dto).collect();
    Ok(ok(
        m.lang,
        json!({ "totalCount": p.total_count, "list": list }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserLogs {
    client_ip: Option<String>,
    event_type: Option<String>,
    user_id: Option<String>,
    app_id: Option<String>,
    success: Option<bool>,
    start: Option<i64>,
    end: Option<i64>,
    pagination: Option<Pagination>,
}

async fn action_dto(m: &Mgmt, a: &UserAction) -> Value {
    let core = m.core();
    let user = core.user_by_id(&m.admin.id, &a.user_id).await.ok();
    let app = match &a.app_id {
        Some(id) => core.app(id).await.ok().filter(|x| x.pool_id == m.admin.id),
        None => None,
    };
    json!({
        "userId": a.user_id,
        "userAvatar": user.as_ref().and_then(|u| u.profile.photo.clone()).unwrap_or_default(),
        "userDisplayName": user.as_ref().and_then(|u| u.profile.nickname.clone()
            .or_else(|| u.username.clone()).or_else(|| u.email.clone())).unwrap_or_default(),
        "userLoginsCount": user.as_ref().map(|u| u.login.logins_count).unwrap_or(0),
        "appId": a.app_id.clone().unwrap_or_default(),
        "appName": app.as_ref().map(|x| x.name.clone()).unwrap_or_default(),
        "appLogo": app.as_ref().and_then(|x| x.logo.clone()).unwrap_or_default(),
        "appLoginUrl": app.as_ref().map(|x| super::apps_users::login_url(&core.issuer(), x)).unwrap_or_default(),
        "clientIp": a.client_ip,
        "eventType": event_name(a.event),
        "success": a.success,
        "userAgent": a.user_agent.clone().unwrap_or_default(),
        "timestamp": iso8601(a.at),
        "requestId": a.id,
    })
}

async fn user_logs(m: Mgmt) -> Reply {
    let r: UserLogs = m.args().map_err(|e| m.fail(e))?;
    let event_type = match r.event_type.as_deref() {
        None | Some("") => None,
        Some(e) => Some(
            UserEvent::ALL
                .iter()
                .copied()
                .find(|k| event_name(*k) == e)
                .ok_or_else(|| m.fail(Error::InvalidParameter("eventType")))?,
        ),
    };
    let q = UserActionQuery {
        user_id: r.user_id.filter(|s| !s.is_empty()),
        app_id: r.app_id.filter(|s| !s.is_empty()),
        client_ip: r.client_ip.filter(|s| !s.is_empty()),
        event_type,
        success: r.success,
        start: r.start,
        end: r.end,
        page: page_of(&r.pagination).map_err(|e| m.fail(e))?,
    };
    let p = m
        .core()
        .user_action_logs(&m.admin, &q)
        .await
        .map_err(|e| m.fail(e))?;
    let mut list = Vec::with_capacity(p.list.len());
    for a in &p.list {
        list.push(action_dto(&m, a).await);
    }
    Ok(ok(
        m.lang,
        json!({ "totalCount": p.total_count, "list": list }),
    ))
}
