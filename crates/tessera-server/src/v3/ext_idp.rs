//! External identity providers (`v3-wire.md` §4 "External identity providers") and the
//! users' links to them (`linkIdentity`, `unlinkIdentity`, `getUserLoggedinIdentities`),
//! over the core's `tenants` and `user_admin` services, the ones v2's `mc.tenant` and
//! `mc.users` call.
//!
//! A connection's `enabled` flag is one for the whole pool: `changeExtIdpConnState` checks
//! the application it names and switches the connection for all of them. Sign-in-only
//! connections and association challenges are not kept, so `loginOnly: true` is refused;
//! a connection's `associationMode` reads `field` when it matches users by profile fields.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tessera_core::model::tenant::{ExtIdp, ExtIdpConn};
use tessera_core::service::paging::{Page, Paged};
use tessera_core::service::tenants::{is_social_provider, ConnPatch, NewConn, NewExtIdp};
use tessera_core::service::user_admin::NewIdentity;
use tessera_core::{Entity, Error};

use super::call::Mgmt;
use super::envelope::{ok, success, Failure, Reply};
use super::shapes::{resolve_user, UserIdType};
use super::tenants::{given, lenient_int, not_kept, paged, tenant_context};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/list-ext-idp", get(list_ext_idp))
        .route("/api/v3/list-tenant-ext-idp", get(list_tenant_ext_idp))
        .route("/api/v3/get-ext-idp", get(get_ext_idp))
        .route("/api/v3/create-ext-idp", post(create_ext_idp))
        .route("/api/v3/update-ext-idp", post(update_ext_idp))
        .route("/api/v3/delete-ext-idp", post(delete_ext_idp))
        .route("/api/v3/create-ext-idp-conn", post(create_conn))
        .route("/api/v3/update-ext-idp-conn", post(update_conn))
        .route("/api/v3/delete-ext-idp-conn", post(delete_conn))
        .route("/api/v3/change-ext-idp-conn-state", post(change_conn_state))
        .route("/api/v3/link-identity", post(link_identity))
        .route("/api/v3/get-weixin-access-token", post(wechat_access_token))
        .route("/api/v3/unlink-identity", post(unlink_identity))
        .route(
            "/api/v3/get-user-logged-in-identities",
            get(logged_in_identities),
        )
}

/// `CreateExtIdpDto.type`: the provider types of the SDK.
const PROVIDER_TYPES: &[&str] = &[
    "oidc",
    "oauth2",
    "saml",
    "ldap",
    "ad",
    "cas",
    "azure-ad",
    "wechat",
    "google",
    "qq",
    "wechatwork",
    "dingtalk",
    "weibo",
    "github",
    "alipay",
    "apple",
    "baidu",
    "lark",
    "gitlab",
    "twitter",
    "facebook",
    "slack",
    "linkedin",
    "yidun",
    "qingcloud",
    "gitee",
    "instagram",
    "welink",
    "huawei",
    "honor",
    "xiaomi",
    "oppo",
    "aws",
    "amazon",
    "douyin",
    "kuaishou",
    "line",
    "sdbz",
    "zjzwfw",
    "zzding",
    "seeyona8v5",
];

/// `CreateExtIdpConnDto.type`: the connection types of the SDK.
const CONNECTION_TYPES: &[&str] = &[
    "oidc",
    "oauth",
    "saml",
    "ldap",
    "ad",
    "cas",
    "azure-ad",
    "alipay",
    "facebook",
    "facebook:mobile",
    "twitter",
    "google:mobile",
    "google",
    "wechat:pc",
    "wechat:mobile",
    "wechat:webpage-authorization",
    "wechatmp-qrcode",
    "wechat:miniprogram:default",
    "wechat:miniprogram:qrconnect",
    "wechat:miniprogram:app-launch",
    "github",
    "github:mobile",
    "qq",
    "qq:mobile",
    "wechatwork:corp:qrconnect",
    "wechatwork:agency:qrconnect",
    "wechatwork:service-provider:qrconnect",
    "wechatwork:mobile",
    "wechatwork:agency:mobile",
    "dingtalk",
    "dingtalk:mobile",
    "dingtalk:provider",
    "weibo",
    "weibo:mobile",
    "apple",
    "apple:web",
    "baidu",
    "baidu:mobile",
    "lark-internal",
    "lark-public",
    "lark-block",
    "gitlab",
    "gitlab:mobile",
    "linkedin",
    "linkedin:mobile",
    "slack",
    "slack:mobile",
    "yidun",
    "qingcloud",
    "gitee",
    "gitee:mobile",
    "instagram",
    "welink",
    "ad-kerberos",
    "huawei",
    "huawei:mobile",
    "honor",
    "xiaomi",
    "xiaomi:mobile",
    "aws",
    "amazon",
    "amazon:mobile",
    "douyin:mobile",
    "douyin:miniprogram:default",
    "kuaishou:mobile",
    "line:mobile",
    "oppo:mobile",
    "wechatwork:qrconnect:of:authing:agency",
    "sdbz",
    "zjzwfw-qrcode",
    "zzding",
    "seeyona8v5",
];

/// `social` | `enterprise`, the SDK's category filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Category {
    Social,
    Enterprise,
}

impl Category {
    fn is_social(self) -> bool {
        self == Category::Social
    }
}

/// `ExtIdpDto`. A provider has no logo of its own here: it shows its first connection's.
fn idp_dto(i: &ExtIdp) -> Value {
    json!({
        "id": i.id,
        "name": i.name,
        "logo": i.connections.iter().find_map(|c| c.logo.clone()),
        "tenantId": i.tenant_id,
        "type": i.kind,
    })
}

/// `ExtIdpConnDetail`, with the settings and state Tessera keeps.
fn conn_dto(c: &ExtIdpConn) -> Value {
    json!({
        "id": c.id,
        "type": c.kind,
        "extIdpId": c.ext_idp_id,
        "logo": c.logo,
        "identifier": c.identifier,
        "displayName": c.display_name,
        "loginOnly": false,
        "associationMode": if c.user_match_fields.is_empty() { "none" } else { "field" },
        "challengeBindingMethods": [],
        "fields": c.fields,
        "userMatchFields": c.user_match_fields,
        "enabled": c.enabled,
    })
}

/// The provider `id` names, refused as not found when the caller's tenant or category says
/// it is not one of theirs.
async fn idp_in_scope(
    m: &Mgmt,
    id: &str,
    tenant_id: Option<&str>,
    category: Option<Category>,
) -> Result<ExtIdp, Failure> {
    let idp = m.core().ext_idp(&m.admin, id).await?;
    if tenant_id.is_some_and(|t| idp.tenant_id.as_deref() != Some(t)) {
        return Err(Error::NotFound(Entity::ExtIdp).into());
    }
    if category.is_some_and(|c| c.is_social() != is_social_provider(&idp.kind)) {
        return Err(Error::NotFound(Entity::ExtIdp).into());
    }
    Ok(idp)
}

/// Checks that an application the caller names is one of the pool's.
async fn app_in_pool(m: &Mgmt, app_id: Option<&str>) -> Result<(), Failure> {
    if let Some(a) = app_id {
        m.core().admin_app(&m.admin, a).await?;
    }
    Ok(())
}

// --- providers -----------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListExtIdp {
    tenant_id: Option<String>,
    app_id: Option<String>,
}

async fn list_ext_idp(m: Mgmt) -> Reply {
    let r: ListExtIdp = m.args().map_err(|e| m.fail(e))?;
    app_in_pool(&m, r.app_id.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let list = m
        .core()
        .list_ext_idps(&m.admin, tenant_context(&m, &r.tenant_id).as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let list: Vec<Value> = list.iter().map(idp_dto).collect();
    Ok(ok(
        m.lang,
        paged(Paged {
            total_count: i64::try_from(list.len()).unwrap_or(i64::MAX),
            list,
        }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListTenantExtIdp {
    tenant_id: Option<String>,
    app_id: Option<String>,
    #[serde(rename = "type")]
    category: Option<Category>,
    #[serde(default, deserialize_with = "lenient_int")]
    page: Option<i64>,
    #[serde(default, deserialize_with = "lenient_int")]
    limit: Option<i64>,
}

async fn list_tenant_ext_idp(m: Mgmt) -> Reply {
    let r: ListTenantExtIdp = m.args().map_err(|e| m.fail(e))?;
    let page = Page::new(r.page, r.limit).map_err(|e| m.fail(e))?;
    app_in_pool(&m, r.app_id.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let p = m
        .core()
        .ext_idps_page(
            &m.admin,
            tenant_context(&m, &r.tenant_id).as_deref(),
            r.category.map(Category::is_social),
            page,
        )
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        paged(Paged {
            total_count: p.total_count,
            list: p.list.iter().map(idp_dto).collect(),
        }),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GetExtIdp {
    id: String,
    tenant_id: Option<String>,
    app_id: Option<String>,
    #[serde(rename = "type")]
    category: Option<Category>,
}

async fn get_ext_idp(m: Mgmt) -> Reply {
    let r: GetExtIdp = m.args().map_err(|e| m.fail(e))?;
    app_in_pool(&m, r.app_id.as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let idp = idp_in_scope(
        &m,
        &r.id,
        tenant_context(&m, &r.tenant_id).as_deref(),
        r.category,
    )
    .await
    .map_err(|e| m.fail(e))?;
    // Asked for one application, a connection is on when it is on pool-wide and that
    // application did not switch it off (`changeExtIdpConnState`).
    let off_in_app: Vec<String> = match r.app_id.as_deref() {
        Some(a) => m
            .core()
            .ext_idp_conn_states_in_app(&m.admin, a)
            .await
            .map_err(|e| m.fail(e))?
            .into_iter()
            .filter_map(|(conn, on)| (!on).then_some(conn))
            .collect(),
        None => Vec::new(),
    };
    let mut v = idp_dto(&idp);
    v["connections"] = Value::Array(
        idp.connections
            .iter()
            .map(|c| {
                let mut d = conn_dto(c);
                if off_in_app.contains(&c.id) {
                    d["enabled"] = json!(false);
                }
                d
            })
            .collect(),
    );
    // Tessera never adds a user to a tenant because they signed in through its provider.
    v["autoJoin"] = json!(false);
    Ok(ok(m.lang, v))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateExtIdp {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    tenant_id: Option<String>,
}

async fn create_ext_idp(m: Mgmt) -> Reply {
    let r: CreateExtIdp = m.args().map_err(|e| m.fail(e))?;
    if !PROVIDER_TYPES.contains(&r.kind.as_str()) {
        return Err(m.fail(Error::InvalidParameter("type")));
    }
    let new = NewExtIdp {
        tenant_id: tenant_context(&m, &r.tenant_id),
        name: r.name,
        kind: r.kind,
        connections: Vec::new(),
    };
    let idp = m
        .core()
        .create_ext_idp(&m.admin, new)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, idp_dto(&idp)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateExtIdp {
    id: String,
    name: String,
    tenant_id: Option<String>,
}

async fn update_ext_idp(m: Mgmt) -> Reply {
    let r: UpdateExtIdp = m.args().map_err(|e| m.fail(e))?;
    idp_in_scope(&m, &r.id, tenant_context(&m, &r.tenant_id).as_deref(), None)
        .await
        .map_err(|e| m.fail(e))?;
    let idp = m
        .core()
        .rename_ext_idp(&m.admin, &r.id, &r.name)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, idp_dto(&idp)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdRef {
    id: String,
    tenant_id: Option<String>,
}

async fn delete_ext_idp(m: Mgmt) -> Reply {
    let r: IdRef = m.args().map_err(|e| m.fail(e))?;
    idp_in_scope(&m, &r.id, tenant_context(&m, &r.tenant_id).as_deref(), None)
        .await
        .map_err(|e| m.fail(e))?;
    m.core()
        .delete_ext_idp(&m.admin, &r.id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

// --- connections ---------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateConn {
    ext_idp_id: String,
    #[serde(rename = "type")]
    kind: String,
    identifier: String,
    display_name: String,
    fields: Map<String, Value>,
    #[serde(default)]
    login_only: bool,
    logo: Option<String>,
    tenant_id: Option<String>,
}

async fn create_conn(m: Mgmt) -> Reply {
    let r: CreateConn = m.args().map_err(|e| m.fail(e))?;
    if !CONNECTION_TYPES.contains(&r.kind.as_str()) {
        return Err(m.fail(Error::InvalidParameter("type")));
    }
    if r.login_only {
        return Err(m.fail(not_kept("loginOnly")));
    }
    idp_in_scope(
        &m,
        &r.ext_idp_id,
        tenant_context(&m, &r.tenant_id).as_deref(),
        None,
    )
    .await
    .map_err(|e| m.fail(e))?;
    let new = NewConn {
        kind: r.kind,
        identifier: r.identifier,
        display_name: r.display_name,
        fields: r.fields,
        user_match_fields: Vec::new(),
        logo: given(r.logo),
    };
    let c = m
        .core()
        .create_ext_idp_conn(&m.admin, &r.ext_idp_id, new)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, conn_dto(&c)))
}

/// The connection `id` names, refused as not found outside the caller's tenant.
async fn conn_in_scope(m: &Mgmt, id: &str, tenant_id: Option<&str>) -> Result<(), Failure> {
    let c = m.core().ext_idp_conn(&m.admin, id).await?;
    if tenant_id.is_some() {
        idp_in_scope(m, &c.ext_idp_id, tenant_id, None)
            .await
            .map_err(|_| Failure::Core(Error::NotFound(Entity::ExtIdpConn)))?;
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateConn {
    id: String,
    display_name: String,
    fields: Map<String, Value>,
    logo: Option<String>,
    login_only: Option<bool>,
    tenant_id: Option<String>,
}

async fn update_conn(m: Mgmt) -> Reply {
    let r: UpdateConn = m.args().map_err(|e| m.fail(e))?;
    if r.login_only == Some(true) {
        return Err(m.fail(not_kept("loginOnly")));
    }
    conn_in_scope(&m, &r.id, tenant_context(&m, &r.tenant_id).as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    let patch = ConnPatch {
        display_name: Some(r.display_name),
        fields: Some(r.fields),
        user_match_fields: None,
        logo: given(r.logo),
    };
    let c = m
        .core()
        .update_ext_idp_conn(&m.admin, &r.id, patch)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, conn_dto(&c)))
}

async fn delete_conn(m: Mgmt) -> Reply {
    let r: IdRef = m.args().map_err(|e| m.fail(e))?;
    conn_in_scope(&m, &r.id, tenant_context(&m, &r.tenant_id).as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    m.core()
        .delete_ext_idp_conn(&m.admin, &r.id)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangeConnState {
    id: String,
    enabled: bool,
    app_id: String,
    tenant_id: Option<String>,
    #[serde(default)]
    app_ids: Vec<String>,
}

async fn change_conn_state(m: Mgmt) -> Reply {
    let r: ChangeConnState = m.args().map_err(|e| m.fail(e))?;
    conn_in_scope(&m, &r.id, tenant_context(&m, &r.tenant_id).as_deref())
        .await
        .map_err(|e| m.fail(e))?;
    // The state is the applications' own: `appId` and every one of `appIds`.
    let mut apps = r.app_ids;
    apps.push(r.app_id);
    let tenant = tenant_context(&m, &r.tenant_id);
    m.core()
        .set_ext_idp_conn_enabled(&m.admin, &r.id, &apps, tenant.as_deref(), r.enabled)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

// --- users' identities ---------------------------------------------------------------------

/// An identity's `type` (Authing's kind of id at the provider, `generic` when absent).
/// Tessera keeps one kind of identity, so only `generic` can be linked or unlinked.
fn generic_only(kind: Option<&str>) -> Result<(), Failure> {
    match kind {
        None | Some("generic") => Ok(()),
        Some(_) => Err(not_kept("type")),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinkIdentity {
    user_id: String,
    user_id_in_idp: String,
    ext_idp_id: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Deprecated by Authing ("may be anything"): the provider's type decides.
    #[allow(dead_code)]
    is_social: Option<bool>,
}

/// `linkIdentity`: the user gets an identity at the provider `extIdpId` names (its type is
/// the identity's provider); an identity someone already has is refused.
async fn link_identity(m: Mgmt) -> Reply {
    let r: LinkIdentity = m.args().map_err(|e| m.fail(e))?;
    generic_only(r.kind.as_deref()).map_err(|e| m.fail(e))?;
    let core = m.core();
    let idp = core
        .ext_idp(&m.admin, &r.ext_idp_id)
        .await
        .map_err(|e| m.fail(e))?;
    let user = resolve_user(core, &m.admin, &r.user_id, UserIdType::UserId)
        .await
        .map_err(|e| m.fail(e))?;
    let identity = NewIdentity {
        is_social: is_social_provider(&idp.kind),
        provider: idp.kind,
        user_id_in_idp: r.user_id_in_idp,
        connection_id: Some(idp.id),
        ..NewIdentity::default()
    };
    core.link_identity(&m.admin, &user.id, identity)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UnlinkIdentity {
    user_id: String,
    ext_idp_id: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Deprecated by Authing ("may be anything").
    #[allow(dead_code)]
    is_social: Option<bool>,
}

/// `unlinkIdentity`: every identity the user has through the provider (its own id or one
/// of its connections) goes; a user with none is "identity not found".
async fn unlink_identity(m: Mgmt) -> Reply {
    let r: UnlinkIdentity = m.args().map_err(|e| m.fail(e))?;
    generic_only(r.kind.as_deref()).map_err(|e| m.fail(e))?;
    let core = m.core();
    let idp = core
        .ext_idp(&m.admin, &r.ext_idp_id)
        .await
        .map_err(|e| m.fail(e))?;
    let user = resolve_user(core, &m.admin, &r.user_id, UserIdType::UserId)
        .await
        .map_err(|e| m.fail(e))?;
    let through: Vec<_> = core
        .identities(&m.admin.id, &user.id)
        .await
        .map_err(|e| m.fail(e))?
        .into_iter()
        .filter(|i| {
            i.connection_id
                .as_deref()
                .is_some_and(|c| c == idp.id || idp.connections.iter().any(|conn| conn.id == c))
        })
        .collect();
    if through.is_empty() {
        return Err(m.fail(Error::NotFound(Entity::ExternalIdentity)));
    }
    for i in through {
        core.unlink_identity(&m.admin, &user.id, &i.provider, &i.user_id_in_idp)
            .await
            .map_err(|e| m.fail(e))?;
    }
    Ok(success(m.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserRef {
    user_id: String,
    #[serde(default)]
    user_id_type: UserIdType,
}

/// `getUserLoggedinIdentities`: the user's identities with the provider each came through.
/// An identity whose provider is not (or no longer) configured shows its provider type.
async fn logged_in_identities(m: Mgmt) -> Reply {
    let r: UserRef = m.args().map_err(|e| m.fail(e))?;
    let core = m.core();
    let user = resolve_user(core, &m.admin, &r.user_id, r.user_id_type)
        .await
        .map_err(|e| m.fail(e))?;
    let ids = core
        .identities(&m.admin.id, &user.id)
        .await
        .map_err(|e| m.fail(e))?;
    let idps = core
        .list_ext_idps(&m.admin, None)
        .await
        .map_err(|e| m.fail(e))?;
    let list: Vec<Value> = ids
        .iter()
        .map(|i| {
            let via = i.connection_id.as_deref().and_then(|c| {
                idps.iter().find_map(|idp| {
                    if idp.id == c {
                        Some((idp, idp.connections.iter().find_map(|x| x.logo.clone())))
                    } else {
                        let conn = idp.connections.iter().find(|x| x.id == c)?;
                        Some((idp, conn.logo.clone()))
                    }
                })
            });
            let name = via
                .as_ref()
                .map_or(i.provider.as_str(), |(idp, _)| idp.name.as_str());
            json!({
                "identityId": i.id,
                "idpName": name,
                "idpNameEn": name,
                "idpLogo": via.as_ref().and_then(|(_, logo)| logo.clone()),
                "idpId": via
                    .as_ref()
                    .map_or(i.connection_id.clone(), |(idp, _)| Some(idp.id.clone())),
            })
        })
        .collect();
    Ok(ok(m.lang, list))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WechatAccessTokenArgs {
    app_id: String,
    app_secret: String,
}

/// `getWechatMpAccessTokenInfo`: the access token of one of the pool's WeChat mini-program
/// connections, for that connection's own id and secret (the core refuses any other pair
/// without calling WeChat).
async fn wechat_access_token(m: Mgmt) -> Reply {
    let a: WechatAccessTokenArgs = m.args().map_err(|e| m.fail(e))?;
    let t = m
        .core()
        .wechat_access_token(m.admin.pool(), &a.app_id, &a.app_secret)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, super::auth::wechat_access_token_dto(&t)))
}
