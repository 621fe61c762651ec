//! Tenant invitations (`v3-wire.md` "Tenants", "Tenant members"): `generateInviteTenantUserLink`,
//! `listInviteTennatUserRecords` and `sendInviteTenantUserEmail` over the core's
//! `tenant_invitations` service.
//!
//! `SendInviteTenantUserEmailDto` declares no field (catalog and OpenAPI alike) while its
//! summary says it emails invitations to several addresses; Tessera reads the fields of
//! `GenerateInviteTenantUserLink` for it (`emails`, `appId`, `tenantId`, `validityTerm`).
//! `validityTerm` is typed as a string with no unit or values; Tessera reads whole days,
//! 1 to 30. An invitation's link carries a token kept only as its digest, so the link is in
//! the answer that creates it and in the email, and `inviteLink` of a listed record is empty.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::clock::{self, iso8601};
use tessera_core::model::tenant::TenantInvitation;
use tessera_core::rules::identifiers;
use tessera_core::service::paging::Page;
use tessera_core::service::tenant_invitations::{parse_validity_days, InvitationState};
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{ok, success, Reply};
use super::tenants::{given, lenient_int, paged, tenant_context};
use crate::authing::errors;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/generate-invite-tenant-user-link", post(generate))
        .route("/api/v3/list-invite-tenant-user-records", get(list))
        .route("/api/v3/send-invite-tenant-user-email", post(send))
}

/// `InviteTenantUserRecord`; `verifiedStatus` is `pending`, `activated` or `expired`.
fn record_dto(inv: &TenantInvitation, link: &str, now_ms: i64) -> Value {
    let status = match InvitationState::of(inv, now_ms) {
        InvitationState::Pending => "pending",
        InvitationState::Accepted => "activated",
        InvitationState::Expired => "expired",
    };
    json!({
        "recordId": inv.record_id,
        "inviteAccount": inv.email,
        "verifiedStatus": status,
        "inviteLink": link,
        "createdAt": iso8601(inv.created_at),
        "activatedAt": inv.accepted_at.map(iso8601),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Invite {
    validity_term: Option<String>,
    emails: Option<Vec<String>>,
    app_id: Option<String>,
    tenant_id: Option<String>,
}

struct Checked {
    tenant_id: String,
    app_id: String,
    emails: Vec<String>,
    days: i64,
}

fn check(m: &Mgmt, r: Invite) -> Result<Checked, Error> {
    let days = parse_validity_days(
        &given(r.validity_term).ok_or(Error::MissingParameter("validityTerm"))?,
    )?;
    let app_id = given(r.app_id).ok_or(Error::MissingParameter("appId"))?;
    let tenant_id = tenant_context(m, &r.tenant_id).ok_or(Error::MissingParameter("tenantId"))?;
    let emails = r.emails.ok_or(Error::MissingParameter("emails"))?;
    Ok(Checked {
        tenant_id,
        app_id,
        emails,
        days,
    })
}

/// `generateInviteTenantUserLink`: one invitation (and link) per valid address; an address
/// that is not one is listed in `errMsgs` and the others are invited.
async fn generate(m: Mgmt) -> Reply {
    let r: Invite = m.args().map_err(|e| m.fail(e))?;
    let c = check(&m, r).map_err(|e| m.fail(e))?;
    let batch = m
        .core()
        .invite_tenant_users(&m.admin, &c.tenant_id, &c.app_id, &c.emails, c.days, false)
        .await
        .map_err(|e| m.fail(e))?;
    let now = clock::now_ms();
    let list: Vec<Value> = batch
        .issued
        .iter()
        .map(|i| record_dto(&i.invitation, &i.link, now))
        .collect();
    let err_msgs: Vec<Value> = batch
        .refused
        .iter()
        .map(|(email, e)| json!({ "email": email, "message": errors::message(e, m.lang) }))
        .collect();
    Ok(ok(m.lang, json!({ "errMsgs": err_msgs, "list": list })))
}

/// `sendInviteTenantUserEmail`: every address must be one (else nothing is written), then
/// each is invited and emailed its link.
async fn send(m: Mgmt) -> Reply {
    let r: Invite = m.args().map_err(|e| m.fail(e))?;
    let c = check(&m, r).map_err(|e| m.fail(e))?;
    if c.emails.iter().any(|e| identifiers::email(e).is_err()) {
        return Err(m.fail(Error::InvalidParameter("emails")));
    }
    m.core()
        .invite_tenant_users(&m.admin, &c.tenant_id, &c.app_id, &c.emails, c.days, true)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListRecords {
    keywords: Option<String>,
    #[serde(default, deserialize_with = "lenient_int")]
    page: Option<i64>,
    #[serde(default, deserialize_with = "lenient_int")]
    limit: Option<i64>,
}

/// `listInviteTennatUserRecords`: the pool's invitations whose address contains `keywords`,
/// newest first.
async fn list(m: Mgmt) -> Reply {
    let r: ListRecords = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let keyword = given(r.keywords);
    let p = m
        .core()
        .tenant_invitations(&m.admin, keyword.as_deref(), page)
        .await
        .map_err(|e| m.fail(e))?;
    let now = clock::now_ms();
    Ok(ok(m.lang, paged(p.map(|inv| record_dto(&inv, "", now)))))
}
