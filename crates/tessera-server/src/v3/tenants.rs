//! Tenants and tenant members (`v3-wire.md` §4 "Tenants", "Tenant members") over the core's
//! `tenants` service, the one the v2 `mc.tenant` calls.
//!
//! In Tessera a tenant member is a user of the pool: the SDK's `linkUserId` and `memberId`
//! both name that user (`TenantUserDto.memberId` is the user id), and the member's profile
//! is the user's. Tenant settings Tessera does not keep (reject hint, source app, enterprise
//! domains, quotas, codes) are refused when given, never accepted and dropped.

use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Map, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::tenant::{Tenant, TenantMember};
use tessera_core::model::User;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::paging::{Page, Paged};
use tessera_core::service::tenants::{NewTenant, TenantPatch};
use tessera_core::service::user_admin::AdminCreate;
use tessera_core::service::users::NewUser;
use tessera_core::store::tenants::MemberFilter;
use tessera_core::{Core, Error};

use super::call::Mgmt;
use super::envelope::{done, ok, success, Failure, Reply};
use super::params::ParamError;
use super::shapes::user_dto;
use crate::authing::profile::ProfileInput;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/create-tenant", post(create_tenant))
        .route("/api/v3/update-tenant", post(update_tenant))
        .route("/api/v3/delete-tenant", post(delete_tenant))
        .route("/api/v3/list-tenants", get(list_tenants))
        .route("/api/v3/get-tenant", get(get_tenant))
        .route("/api/v3/get-tenant-little-info", get(get_tenant))
        .route("/api/v3/get-tenant-by-code", get(get_tenant_by_code))
        .route("/api/v3/list-tenant-admin", post(list_tenant_admin))
        .route("/api/v3/set-tenant-admin", post(set_tenant_admin))
        .route("/api/v3/delete-tenant-admin", post(delete_tenant_admin))
        .route("/api/v3/delete-tenant-user", post(delete_tenant_user))
        .route("/api/v3/add-tenant-users", post(add_tenant_users))
        .route("/api/v3/remove-tenant-users", post(remove_tenant_users))
        .route("/api/v3/update-tenant-user", post(update_tenant_user))
        .route("/api/v3/create-tenant-user", post(create_tenant_user))
        .route("/api/v3/list-tenant-users", post(list_tenant_users))
        .route("/api/v3/get-tenant-user", get(get_tenant_user))
}

// --- shared with the ext-idp and custom-field families -------------------------------------

/// A parameter Tessera has no place for: refused by name, so a caller never believes it
/// was kept.
pub(super) fn not_kept(field: &str) -> Failure {
    Failure::Params(ParamError::Shape(format!(
        "{field} is not supported by this server"
    )))
}

/// A page number or size sent as a number or, as several v3 DTOs type it, as digits.
pub(super) fn lenient_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IntOrText {
        Int(i64),
        Text(String),
    }
    match Option::<IntOrText>::deserialize(d)? {
        None => Ok(None),
        Some(IntOrText::Int(n)) => Ok(Some(n)),
        Some(IntOrText::Text(s)) if s.trim().is_empty() => Ok(None),
        Some(IntOrText::Text(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("page and limit must be whole numbers")),
    }
}

/// The tenant a call is about: its `tenantId` parameter, or else the tenant the client was
/// built for (the SDK's `tenantId` option, `m.tenant_id`).
pub(super) fn tenant_context(m: &Mgmt, param: &Option<String>) -> Option<String> {
    given(param.clone()).or_else(|| m.tenant_id.clone())
}

/// The `{totalCount, list}` of a v3 page.
pub(super) fn paged(p: Paged<Value>) -> Value {
    json!({ "totalCount": p.total_count, "list": p.list })
}

/// A non-blank text or nothing.
pub(super) fn given(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty())
}

// --- tenants -------------------------------------------------------------------------------

/// `TenantRespDto`. What Tessera does not keep about a tenant reads as absent.
fn tenant_dto(t: &Tenant, members_count: Option<i64>) -> Value {
    let mut v = json!({
        "tenantId": t.id,
        "userPoolId": t.pool_id,
        "name": t.name,
        "description": t.description,
        "logo": t.logo,
        "rejectHint": null,
        "appIds": t.app_ids,
        "creator": null,
        "sourceAppId": null,
        "source": null,
        "code": t.code,
        "host": null,
        "enterpriseDomains": [],
        "creatorDetail": null,
        "sourceAppDetail": null,
        "createdAt": iso8601(t.created_at),
        "updatedAt": iso8601(t.updated_at),
    });
    if let Some(n) = members_count {
        v["membersCount"] = json!(n);
    }
    v
}

async fn members_count(core: &Core, admin: &PoolAdmin, tenant_id: &str) -> Result<i64, Error> {
    let one = Page::new(Some(1), Some(1))?;
    Ok(core
        .tenant_members(admin, tenant_id, one)
        .await?
        .total_count)
}

/// The one logo a tenant keeps, from the SDK's `logo: string[]`.
fn one_logo(logo: Option<Vec<String>>) -> Result<Option<String>, Failure> {
    match logo {
        None => Ok(None),
        Some(list) if list.len() > 1 => Err(Error::InvalidParameter("logo").into()),
        Some(list) => Ok(list.into_iter().next()),
    }
}

/// The `CreateTenantDto` / `UpdateTenantDto` members Tessera cannot keep.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Unkept {
    reject_hint: Option<String>,
    source_app_id: Option<String>,
    enterprise_domains: Option<Vec<String>>,
    expire_time: Option<String>,
    mau_amount: Option<i64>,
    member_amount: Option<i64>,
    admin_amount: Option<i64>,
}

impl Unkept {
    fn check(&self) -> Result<(), Failure> {
        let named = [
            ("rejectHint", given(self.reject_hint.clone()).is_some()),
            ("sourceAppId", given(self.source_app_id.clone()).is_some()),
            (
                "enterpriseDomains",
                self.enterprise_domains
                    .as_ref()
                    .is_some_and(|d| !d.is_empty()),
            ),
            ("expireTime", given(self.expire_time.clone()).is_some()),
            ("mauAmount", self.mau_amount.is_some()),
            ("memberAmount", self.member_amount.is_some()),
            ("adminAmount", self.admin_amount.is_some()),
        ];
        match named.iter().find(|(_, set)| *set) {
            Some((field, _)) => Err(not_kept(field)),
            None => Ok(()),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateTenant {
    name: String,
    app_ids: Vec<String>,
    logo: Option<Vec<String>>,
    description: Option<String>,
    #[serde(flatten)]
    unkept: Unkept,
}

async fn create_tenant(m: Mgmt) -> Reply {
    let r: CreateTenant = m.args().map_err(|e| m.fail(e))?;
    r.unkept.check().map_err(|e| m.fail(e))?;
    let new = NewTenant {
        name: r.name,
        app_ids: r.app_ids,
        logo: one_logo(r.logo).map_err(|e| m.fail(e))?,
        description: r.description,
    };
    let t = m
        .core()
        .create_tenant(&m.admin, new)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, tenant_dto(&t, None)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateTenant {
    tenant_id: String,
    name: Option<String>,
    app_ids: Option<Vec<String>>,
    logo: Option<Vec<String>>,
    description: Option<String>,
    #[serde(flatten)]
    unkept: Unkept,
}

async fn update_tenant(m: Mgmt) -> Reply {
    let r: UpdateTenant = m.args().map_err(|e| m.fail(e))?;
    r.unkept.check().map_err(|e| m.fail(e))?;
    let patch = TenantPatch {
        name: r.name,
        app_ids: r.app_ids,
        logo: one_logo(r.logo).map_err(|e| m.fail(e))?,
        description: r.description,
        config: Map::new(),
    };
    m.core()
        .update_tenant(&m.admin, &r.tenant_id, patch)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TenantRef {
    tenant_id: String,
}

async fn delete_tenant(m: Mgmt) -> Reply {
    let r: TenantRef = m.args().map_err(|e| m.fail(e))?;
    m.core()
        .delete_tenant(&m.admin, &r.tenant_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListTenants {
    keywords: Option<String>,
    #[serde(default)]
    with_members_count: bool,
    #[serde(default, deserialize_with = "lenient_int")]
    page: Option<i64>,
    #[serde(default, deserialize_with = "lenient_int")]
    limit: Option<i64>,
    source: Option<Value>,
}

async fn list_tenants(m: Mgmt) -> Reply {
    let r: ListTenants = m.args().map_err(|e| m.fail(e))?;
    if r.source.is_some() {
        // Tessera does not record where a tenant came from, so it cannot filter by it.
        return Err(m.fail(not_kept("source")));
    }
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let core = m.core();
    let keyword = given(r.keywords);
    let p = core
        .search_tenants(&m.admin, keyword.as_deref(), page)
        .await
        .map_err(|e| m.fail(e))?;
    let mut list = Vec::with_capacity(p.list.len());
    for t in &p.list {
        let count = if r.with_members_count {
            Some(
                members_count(core, &m.admin, &t.id)
                    .await
                    .map_err(|e| m.fail(e))?,
            )
        } else {
            None
        };
        list.push(tenant_dto(t, count));
    }
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
struct GetTenant {
    tenant_id: String,
    #[serde(default)]
    with_members_count: bool,
}

/// `getTenant` and `getTenantLittleInfo`: Tessera's tenant has no larger form.
async fn get_tenant(m: Mgmt) -> Reply {
    let r: GetTenant = m.args().map_err(|e| m.fail(e))?;
    let t = m
        .core()
        .tenant(&m.admin, &r.tenant_id)
        .await
        .map_err(|e| m.fail(e))?;
    let count = if r.with_members_count {
        Some(
            members_count(m.core(), &m.admin, &t.id)
                .await
                .map_err(|e| m.fail(e))?,
        )
    } else {
        None
    };
    Ok(ok(m.lang, tenant_dto(&t, count)))
}

#[derive(Deserialize)]
struct ByCode {
    code: String,
}

/// `getTenantByCode`: the code Tessera generated when the tenant was created.
async fn get_tenant_by_code(m: Mgmt) -> Reply {
    let r: ByCode = m.args().map_err(|e| m.fail(e))?;
    let t = m
        .core()
        .tenant_by_code(&m.admin, &r.code)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, tenant_dto(&t, None)))
}

// --- members -------------------------------------------------------------------------------

/// `TenantUserDto`: the user as `UserDto` names it, plus the membership.
fn tenant_user_dto(member: &TenantMember, u: &User, pool_id: &str) -> Value {
    let mut v = user_dto(u);
    v["userPoolId"] = json!(pool_id);
    v["tenantId"] = json!(member.tenant_id);
    v["memberId"] = json!(u.id);
    v["linkUserId"] = json!(u.id);
    v["isTenantAdmin"] = json!(member.is_admin);
    v["enabled"] = json!(member.enabled);
    v["joinedAt"] = json!(iso8601(member.created_at));
    v["lastLoginApp"] = Value::Null;
    v
}

/// `linkUserIds` and `memberIds` together: both name users of the pool here.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MemberBatch {
    tenant_id: String,
    #[serde(default)]
    link_user_ids: Vec<String>,
    #[serde(default)]
    member_ids: Vec<String>,
}

impl MemberBatch {
    /// The users named, each once; none at all is refused by the SDK's field name.
    fn user_ids(&self) -> Result<Vec<String>, Failure> {
        let mut out: Vec<String> = Vec::new();
        for id in self.link_user_ids.iter().chain(&self.member_ids) {
            if !out.contains(id) {
                out.push(id.clone());
            }
        }
        if out.is_empty() {
            return Err(Error::MissingParameter("linkUserIds").into());
        }
        Ok(out)
    }
}

/// One member named by `linkUserId` or `memberId` (the same user when both are given).
fn one_member(link_user_id: Option<String>, member_id: Option<String>) -> Result<String, Failure> {
    match (given(link_user_id), given(member_id)) {
        (Some(a), Some(b)) if a != b => Err(Error::InvalidParameter("memberId").into()),
        (Some(a), _) | (None, Some(a)) => Ok(a),
        (None, None) => Err(Error::MissingParameter("linkUserId").into()),
    }
}

fn page_of_members(m: &Mgmt, p: Paged<(TenantMember, User)>) -> Reply {
    let list = p
        .list
        .iter()
        .map(|(member, u)| tenant_user_dto(member, u, &m.admin.id))
        .collect();
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
struct ListTenantAdmin {
    tenant_id: String,
    keywords: Option<String>,
    #[serde(default, deserialize_with = "lenient_int")]
    page: Option<i64>,
    #[serde(default, deserialize_with = "lenient_int")]
    limit: Option<i64>,
}

async fn list_tenant_admin(m: Mgmt) -> Reply {
    let r: ListTenantAdmin = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    let filter = MemberFilter {
        admins_only: true,
        keyword: given(r.keywords),
    };
    let p = m
        .core()
        .tenant_members_matching(&m.admin, &r.tenant_id, &filter, page)
        .await
        .map_err(|e| m.fail(e))?;
    page_of_members(&m, p)
}

async fn set_tenant_admin(m: Mgmt) -> Reply {
    let r: MemberBatch = m.args().map_err(|e| m.fail(e))?;
    let ids = r.user_ids().map_err(|e| m.fail(e))?;
    m.core()
        .set_tenant_admins(&m.admin, &r.tenant_id, &ids)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OneMember {
    tenant_id: String,
    link_user_id: Option<String>,
    member_id: Option<String>,
}

async fn delete_tenant_admin(m: Mgmt) -> Reply {
    let r: OneMember = m.args().map_err(|e| m.fail(e))?;
    let user_id = one_member(r.link_user_id, r.member_id).map_err(|e| m.fail(e))?;
    m.core()
        .remove_tenant_admin(&m.admin, &r.tenant_id, &user_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

async fn remove_members(m: &Mgmt) -> Result<(), Failure> {
    let r: MemberBatch = m.args()?;
    m.core()
        .remove_tenant_members(&m.admin, &r.tenant_id, &r.user_ids()?)
        .await?;
    Ok(())
}

async fn delete_tenant_user(m: Mgmt) -> Reply {
    remove_members(&m).await.map_err(|e| m.fail(e))?;
    Ok(done(m.lang))
}

async fn remove_tenant_users(m: Mgmt) -> Reply {
    remove_members(&m).await.map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddTenantUsers {
    tenant_id: String,
    link_user_ids: Vec<String>,
}

async fn add_tenant_users(m: Mgmt) -> Reply {
    let r: AddTenantUsers = m.args().map_err(|e| m.fail(e))?;
    if r.link_user_ids.is_empty() {
        return Err(m.fail(Error::MissingParameter("linkUserIds")));
    }
    m.core()
        .add_tenant_members(&m.admin, &r.tenant_id, &r.link_user_ids)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

/// The `TenantUserDto` members an `updates` object may change: the member's profile, which
/// is the user's.
const MEMBER_UPDATABLE: &[&str] = &[
    "email",
    "phone",
    "phoneCountryCode",
    "username",
    "name",
    "nickname",
    "photo",
    "gender",
    "birthdate",
    "country",
    "province",
    "city",
    "address",
    "streetAddress",
    "postalCode",
    "givenName",
    "familyName",
    "middleName",
    "preferredUsername",
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateTenantUser {
    tenant_id: String,
    updates: Map<String, Value>,
    link_user_id: Option<String>,
    member_id: Option<String>,
}

async fn update_tenant_user(m: Mgmt) -> Reply {
    let r: UpdateTenantUser = m.args().map_err(|e| m.fail(e))?;
    let user_id = one_member(r.link_user_id, r.member_id).map_err(|e| m.fail(e))?;
    if r.updates.is_empty() {
        return Err(m.fail(Error::MissingParameter("updates")));
    }
    if let Some(k) = r
        .updates
        .keys()
        .find(|k| !MEMBER_UPDATABLE.contains(&k.as_str()))
    {
        return Err(m.fail(ParamError::Shape(format!(
            "updates.{k} is not a member field this server can change"
        ))));
    }
    let core = m.core();
    // Only a member of this tenant is changed through it.
    core.tenant_member(&m.admin, &r.tenant_id, &user_id)
        .await
        .map_err(|e| m.fail(e))?;
    core.admin_update_user(&m.admin, &user_id, &r.updates, None)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CreateTenantUserOptions {
    #[serde(default)]
    keep_password: bool,
    #[serde(default)]
    auto_generate_password: bool,
    #[serde(default)]
    reset_password_on_first_login: bool,
    password_encrypt_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateTenantUser {
    tenant_id: String,
    email: Option<String>,
    phone: Option<String>,
    phone_country_code: Option<String>,
    username: Option<String>,
    password: Option<String>,
    salt: Option<String>,
    #[serde(default)]
    options: CreateTenantUserOptions,
    #[serde(flatten)]
    profile: ProfileInput,
}

async fn create_tenant_user(m: Mgmt) -> Reply {
    let r: CreateTenantUser = m.args().map_err(|e| m.fail(e))?;
    if !matches!(r.profile.gender.as_deref(), Some("M" | "F" | "U")) {
        return Err(m.fail(Error::InvalidParameter("gender")));
    }
    let o = &r.options;
    if given(r.salt.clone()).is_some() {
        return Err(m.fail(not_kept("salt")));
    }
    if o.auto_generate_password {
        return Err(m.fail(not_kept("options.autoGeneratePassword")));
    }
    // The member's password arrives as typed: the RSA and SM2 forms are the users family's.
    if o.password_encrypt_type
        .as_deref()
        .is_some_and(|t| t != "none")
    {
        return Err(m.fail(not_kept("options.passwordEncryptType")));
    }
    let core = m.core();
    // The tenant is checked first, so a bad tenant id creates no user.
    core.tenant(&m.admin, &r.tenant_id)
        .await
        .map_err(|e| m.fail(e))?;
    let new = NewUser {
        username: given(r.username),
        email: given(r.email),
        phone: given(r.phone),
        phone_country_code: given(r.phone_country_code),
        password: given(r.password),
        register_source: vec!["adminCreated".to_owned()],
        profile: r.profile.into(),
        reset_password_on_next_login: o.reset_password_on_first_login,
        ..NewUser::default()
    };
    // The user and its membership are one unit of work of the core: a tenant that went
    // away since the check above creates no user.
    let opts = AdminCreate {
        keep_password: o.keep_password,
        tenant_id: Some(r.tenant_id.clone()),
        ..AdminCreate::default()
    };
    let user = core
        .admin_create_user(&m.admin, new, opts)
        .await
        .map_err(|e| m.fail(e))?;
    let (member, u) = core
        .tenant_member(&m.admin, &r.tenant_id, &user.id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, tenant_user_dto(&member, &u, &m.admin.id)))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Pagination {
    page: Option<i64>,
    limit: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ListTenantUsersOptions {
    #[serde(default)]
    pagination: Pagination,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListTenantUsers {
    tenant_id: String,
    keywords: Option<String>,
    #[serde(default)]
    options: ListTenantUsersOptions,
}

async fn list_tenant_users(m: Mgmt) -> Reply {
    let r: ListTenantUsers = m.args().map_err(|e| m.fail(e))?;
    let p = &r.options.pagination;
    let page = Page::new(p.page, p.limit).map_err(|e| m.fail(e))?;
    let filter = MemberFilter {
        admins_only: false,
        keyword: given(r.keywords),
    };
    let found = m
        .core()
        .tenant_members_matching(&m.admin, &r.tenant_id, &filter, page)
        .await
        .map_err(|e| m.fail(e))?;
    page_of_members(&m, found)
}

async fn get_tenant_user(m: Mgmt) -> Reply {
    let r: OneMember = m.args().map_err(|e| m.fail(e))?;
    let user_id = one_member(r.link_user_id, r.member_id).map_err(|e| m.fail(e))?;
    let (member, u) = m
        .core()
        .tenant_member(&m.admin, &r.tenant_id, &user_id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, tenant_user_dto(&member, &u, &m.admin.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_is_named_once() {
        assert_eq!(one_member(Some("u".into()), None).unwrap(), "u");
        assert_eq!(one_member(None, Some("u".into())).unwrap(), "u");
        assert_eq!(one_member(Some("u".into()), Some("u".into())).unwrap(), "u");
        assert!(one_member(Some("u".into()), Some("v".into())).is_err());
        assert!(one_member(Some(" ".into()), None).is_err());
    }

    #[test]
    fn unkept_tenant_settings_are_refused_by_name() {
        let u = Unkept {
            mau_amount: Some(3),
            ..Unkept::default()
        };
        match u.check() {
            Err(Failure::Params(p)) => assert!(p.to_string().contains("mauAmount")),
            _ => panic!("mauAmount must be refused"),
        }
        assert!(Unkept::default().check().is_ok());
    }

    #[test]
    fn pages_read_numbers_and_digits() {
        #[derive(Deserialize)]
        struct P {
            #[serde(default, deserialize_with = "lenient_int")]
            page: Option<i64>,
        }
        let p: P = serde_json::from_value(json!({"page": "2"})).unwrap();
        assert_eq!(p.page, Some(2));
        let p: P = serde_json::from_value(json!({"page": 3})).unwrap();
        assert_eq!(p.page, Some(3));
        let p: P = serde_json::from_value(json!({})).unwrap();
        assert_eq!(p.page, None);
        assert!(serde_json::from_value::<P>(json!({"page": "two"})).is_err());
    }
}
