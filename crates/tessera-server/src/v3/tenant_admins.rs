//! Tenant administrators and enterprise certification (`v3-wire.md` §4 "Tenants"):
//! `createMultipleTenantAdmin`, `listMultipleTenantAdmin`, `getMultipleTenantAdmin`,
//! `createTenantCooperator`, `listTenantCooperators`, `getTenantCooperator`,
//! `getTenantCooperatorMenu` over `service::tenant_admins`, and
//! `createTenantEnterpriseCertification`, `updateTenantEnterpriseCertification`,
//! `reviewTenantEnterpriseCertification`, `getTenantEnterpriseCertification` over
//! `service::tenant_certification`.
//!
//! What the DTOs leave open, decided here:
//! - `getMultipleTenantAdmin` answers a page, as its DTO says: the one administrator, or an
//!   empty page for a user of the pool who is none. `MultipleTenantAdminDto` gains
//!   `tenantIds`, the tenants the user administers now.
//! - `TenantCooperatorSingleDto`: `getTenantCooperator` lists the held policies' ids in
//!   `list`, `getTenantCooperatorMenu` the menu they allow (resources); both put the codes in
//!   `authorizedPoliciesCode`. `TenantCooperatorDto.type` is `cooperator`; `tenantUser` is
//!   absent (a cooperator is the pool's, of no tenant).
//! - `getTenantEnterpriseCertification` answers the envelope with the
//!   `TenantEnterpriseCertificationRespDto` as `data`, like every v3 answer; the ID, card and
//!   phone numbers come masked (see `service::tenant_certification` for why).

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::clock::iso8601;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::service::tenant_admins::{
    MultiTenantAdmin, NewCooperator, NewMultiTenantAdmin, NoticeChannels,
};
use tessera_core::service::tenant_certification::{CertificationForm, CertificationStatus, Review};
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{done, ok, success, Reply};
use super::shapes::user_dto;
use super::tenants::{given, lenient_int, paged};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v3/create-multiple-tenant-admin",
            post(create_multiple_tenant_admin),
        )
        .route(
            "/api/v3/list-multiple-tenant-admins",
            get(list_multiple_tenant_admins),
        )
        .route(
            "/api/v3/get-multiple-tenant-admin",
            get(get_multiple_tenant_admin),
        )
        .route("/api/v3/create-tenant-cooperator", post(create_cooperator))
        .route("/api/v3/list-tenant-cooperators", get(list_cooperators))
        .route("/api/v3/get-tenant-cooperator", get(get_cooperator))
        .route(
            "/api/v3/get-tenant-cooperator-menu",
            get(get_cooperator_menu),
        )
        .route(
            "/api/v3/create-tenant-enterprise-certification",
            post(create_certification),
        )
        .route(
            "/api/v3/update-tenant-enterprise-certification",
            post(update_certification),
        )
        .route(
            "/api/v3/review-tenant-enterprise-certification",
            post(review_certification),
        )
        .route(
            "/api/v3/get-tenant-enterprise-certification",
            get(get_certification),
        )
}

// --- multi-tenant administrators ----------------------------------------------------------

/// What both grants (`createMultipleTenantAdmin`, `createTenantCooperator`) say beside what
/// they grant: the user, `apiAuthorized` and the channels of the notice.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Grantee {
    #[serde(default)]
    user_id: String,
    #[serde(default)]
    api_authorized: bool,
    #[serde(default)]
    send_phone_notification: bool,
    #[serde(default)]
    send_email_notification: bool,
}

impl Grantee {
    fn channels(&self) -> NoticeChannels {
        NoticeChannels {
            email: self.send_email_notification,
            sms: self.send_phone_notification,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateMultipleTenantAdmin {
    #[serde(default)]
    tenant_ids: Vec<String>,
    #[serde(flatten)]
    to: Grantee,
}

async fn create_multiple_tenant_admin(m: Mgmt) -> Reply {
    let r: CreateMultipleTenantAdmin = m.args().map_err(|e| m.fail(e))?;
    let new = NewMultiTenantAdmin {
        notify: r.to.channels(),
        user_id: r.to.user_id,
        tenant_ids: r.tenant_ids,
        api_authorized: r.to.api_authorized,
    };
    m.core()
        .create_multi_tenant_admin(&m.admin, new)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

/// `MultipleTenantAdminDto`, with the tenants administered.
fn multi_admin_dto(a: &MultiTenantAdmin) -> Value {
    let u = &a.user;
    json!({
        "userId": u.id,
        "name": u.profile.name.clone().unwrap_or_default(),
        "phone": u.phone.clone().unwrap_or_default(),
        "email": u.email.clone().unwrap_or_default(),
        "apiAuthorized": a.api_authorized,
        "lastLogin": u.login.last_login.map(iso8601).unwrap_or_default(),
        "tenantIds": a.tenant_ids,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    keywords: Option<String>,
    external: Option<bool>,
    #[serde(default, deserialize_with = "lenient_int")]
    page: Option<i64>,
    #[serde(default, deserialize_with = "lenient_int")]
    limit: Option<i64>,
}

async fn list_multiple_tenant_admins(m: Mgmt) -> Reply {
    let r: ListQuery = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let keyword = given(r.keywords);
    let p = m
        .core()
        .multi_tenant_admins(&m.admin, keyword.as_deref(), page)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        paged(Paged {
            total_count: p.total_count,
            list: p.list.iter().map(multi_admin_dto).collect(),
        }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserRef {
    #[serde(default)]
    user_id: String,
}

async fn get_multiple_tenant_admin(m: Mgmt) -> Reply {
    let r: UserRef = m.args().map_err(|e| m.fail(e))?;
    let one = m
        .core()
        .multi_tenant_admin(&m.admin, &r.user_id)
        .await
        .map_err(|e| m.fail(e))?;
    let list: Vec<Value> = one.iter().map(multi_admin_dto).collect();
    Ok(ok(
        m.lang,
        paged(Paged {
            total_count: list.len() as i64,
            list,
        }),
    ))
}

// --- cooperators --------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateCooperator {
    #[serde(default)]
    policies: Vec<String>,
    #[serde(flatten)]
    to: Grantee,
}

async fn create_cooperator(m: Mgmt) -> Reply {
    let r: CreateCooperator = m.args().map_err(|e| m.fail(e))?;
    let new = NewCooperator {
        notify: r.to.channels(),
        user_id: r.to.user_id,
        policies: r.policies,
        api_authorized: r.to.api_authorized,
    };
    m.core()
        .create_tenant_cooperator(&m.admin, new)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

async fn list_cooperators(m: Mgmt) -> Reply {
    let r: ListQuery = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let keyword = given(r.keywords);
    let p = m
        .core()
        .tenant_cooperators(&m.admin, keyword.as_deref(), r.external, page)
        .await
        .map_err(|e| m.fail(e))?;
    let list = p
        .list
        .iter()
        .map(|c| {
            json!({
                "userId": c.user.id,
                "type": "cooperator",
                "external": c.external,
                "apiAuthorized": c.api_authorized,
                "user": user_dto(&c.user),
            })
        })
        .collect();
    Ok(ok(
        m.lang,
        paged(Paged {
            total_count: p.total_count,
            list,
        }),
    ))
}

async fn get_cooperator(m: Mgmt) -> Reply {
    let r: UserRef = m.args().map_err(|e| m.fail(e))?;
    let rights = m
        .core()
        .tenant_cooperator_rights(&m.admin, &r.user_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        json!({ "list": rights.policy_ids, "authorizedPoliciesCode": rights.policy_codes }),
    ))
}

async fn get_cooperator_menu(m: Mgmt) -> Reply {
    let r: UserRef = m.args().map_err(|e| m.fail(e))?;
    let rights = m
        .core()
        .tenant_cooperator_rights(&m.admin, &r.user_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        json!({ "list": rights.menu, "authorizedPoliciesCode": rights.policy_codes }),
    ))
}

// --- enterprise certification -------------------------------------------------------------

/// `CreateTenantEnterpriseCertificationBodyDto`; a missing field reaches the core empty and
/// is refused there by its name.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CertificationBody {
    #[serde(default)]
    tenant_id: String,
    #[serde(default)]
    business_name: String,
    #[serde(default)]
    business_license: String,
    #[serde(default)]
    business_registration_name: String,
    #[serde(default)]
    unified_social_credit: String,
    #[serde(default)]
    legal_representative_name: String,
    #[serde(default)]
    national_identification_number: String,
    #[serde(default)]
    personal_bank_card_number: String,
    #[serde(default)]
    bank_reserved_phone: String,
}

impl CertificationBody {
    fn split(self) -> (String, CertificationForm) {
        (
            self.tenant_id,
            CertificationForm {
                business_name: self.business_name,
                business_license: self.business_license,
                business_registration_name: self.business_registration_name,
                unified_social_credit: self.unified_social_credit,
                legal_representative_name: self.legal_representative_name,
                national_id: self.national_identification_number,
                bank_card: self.personal_bank_card_number,
                reserved_phone: self.bank_reserved_phone,
            },
        )
    }
}

async fn create_certification(m: Mgmt) -> Reply {
    let r: CertificationBody = m.args().map_err(|e| m.fail(e))?;
    let (tenant_id, form) = r.split();
    m.core()
        .submit_tenant_certification(&m.admin, &tenant_id, form)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

async fn update_certification(m: Mgmt) -> Reply {
    let r: CertificationBody = m.args().map_err(|e| m.fail(e))?;
    let (tenant_id, form) = r.split();
    m.core()
        .resubmit_tenant_certification(&m.admin, &tenant_id, form)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReviewBody {
    #[serde(default)]
    tenant_id: String,
    enterprise_certification_status: Option<String>,
    review_reason: Option<String>,
}

async fn review_certification(m: Mgmt) -> Reply {
    let r: ReviewBody = m.args().map_err(|e| m.fail(e))?;
    let status = r
        .enterprise_certification_status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| m.fail(Error::MissingParameter("enterpriseCertificationStatus")))?;
    // A reviewer decides `pass` or `-1`; the other states are not decisions.
    let review = match CertificationStatus::parse(status) {
        Some(CertificationStatus::Passed) => Review::Pass {
            reason: r.review_reason,
        },
        Some(CertificationStatus::Refused) => Review::Refuse {
            reason: r.review_reason.unwrap_or_default(),
        },
        _ => return Err(m.fail(Error::InvalidParameter("enterpriseCertificationStatus"))),
    };
    m.core()
        .review_tenant_certification(&m.admin, &r.tenant_id, review)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
struct CertificationQuery {
    #[serde(default)]
    tenant_id: String,
}

async fn get_certification(m: Mgmt) -> Reply {
    let r: CertificationQuery = m.args().map_err(|e| m.fail(e))?;
    let c = m
        .core()
        .tenant_certification(&m.admin, &r.tenant_id)
        .await
        .map_err(|e| m.fail(e))?;
    let mut v = json!({ "enterpriseCertificationStatus": c.status.as_str() });
    if let Some(s) = &c.submitted {
        v = json!({
            "businessName": s.business_name,
            "businessLicense": s.business_license,
            "updatedAt": iso8601(s.updated_at),
            "businessRegistrationName": s.business_registration_name,
            "unifiedSocialCredit": s.unified_social_credit,
            "legalRepresentativeName": s.legal_representative_name,
            "nationalIdentificationNumber": s.national_id_masked,
            "personalBankCardNumber": s.bank_card_masked,
            "bankReservedPhone": s.reserved_phone_masked,
            "reviewReason": s.review_reason,
            "enterpriseCertificationStatus": c.status.as_str(),
        });
    }
    Ok(ok(m.lang, v))
}
