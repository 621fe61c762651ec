//! The pool's tenant and login-page configuration (`v3-wire.md` §4 Applications:
//! `userpollTenantConfig`, `updateUserPoolTenantConfig`, `updateLoginPageConfig`,
//! `updateTenantQrCodeState`, `changeUserpoolTenanExtIdpConnState`, `listTenantApplications`;
//! ext-idp: `changeExtIdpConnAssociationState`, `extIdpConnStateByApps`), and the rules it
//! governs:
//!
//! - `enableJoinTenant` off: nobody joins a tenant by themselves — accepting a tenant
//!   invitation is refused before the login it takes ([`Core::refuse_tenant_join`]);
//! - the tenants' QR-code state off: a QR-code login made or exchanged for a tenant is
//!   refused ([`Core::refuse_tenant_qr_login`]);
//! - a login through a connection for a tenant ([`Core::refuse_conn_off_in_tenant`]): the
//!   tenant's own connections serve it, another tenant's never do, and one of the pool's
//!   serves it while the pool offers it to its tenants and the tenant has not dissociated it;
//! - the login page's `ssoPageCustomizationSettings` decide what the hosted login page shows
//!   ([`Core::login_page_settings`]).
//!
//! The configuration is one row per pool (`pool_tenant_configs`); a patch is merged into the
//! document as read and written back only if no other write came in between (a version check
//! on `updated_at`), retried a few times otherwise, so concurrent patches of different keys
//! both survive.

use serde_json::{Map, Value};

use super::apps_admin::AppView;
use super::audit::AuditEntry;
use super::paging::{Page, Paged};
use super::tenants::is_social_provider;
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result, TenantFeature};
use crate::model::audit::{OperationType, ResourceKind};
use crate::model::tenant::{ExtIdp, ExtIdpConn};
use crate::principal::PoolAdmin;
use crate::rules::identifiers;
use crate::store::tenant_config::{PoolTenantConfig, PoolTenantConfigFields};

/// The keys of `UpdateLoginConfig`, the document both `updateUserPoolTenantConfig` and
/// `updateLoginPageConfig` patch.
pub const LOGIN_CONFIG_KEYS: [&str; 12] = [
    "tabMethodsSortConfig",
    "qrCodeSortConfig",
    "ssoPageCustomizationSettings",
    "passwordTabConfig",
    "verifyCodeTabConfig",
    "config",
    "enableCreateTenant",
    "createTenantScenes",
    "enableJoinTenant",
    "joinTenantScenes",
    "enableVerifyDomain",
    "verifyDomainScenes",
];

/// The switches of `ssoPageCustomizationSettings` (`ISsoPageCustomizationSettingsDto`).
pub const PAGE_SWITCHES: [&str; 10] = [
    "hideIdp",
    "hideForgetPassword",
    "autoRegisterThenLogin",
    "hideSocialLogin",
    "hideLoginByPhoneCode",
    "hideRegister",
    "hideUserPasswordLogin",
    "hideWxMpScanLogin",
    "hideRegisterByPhone",
    "hideRegisterByEmail",
];

/// How large one value of the document may be, serialised: page settings, not content.
const MAX_VALUE_BYTES: usize = 8 * 1024;

/// How many connections one `changeUserpoolTenanExtIdpConnState` may name.
const MAX_CONNS: usize = 100;

/// How often a patch is tried when other writes come in between. Every round of racing
/// writers has one winner (the version only grows), so N concurrent writers finish within
/// N attempts: 5 left the sixth of six concurrent administrators refused (seen on
/// PostgreSQL in the store test's race); 32 covers any realistic number of administrators.
const ATTEMPTS: usize = 32;

/// Which document a patch is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginDocument {
    /// The login settings of tenants' logins (`updateUserPoolTenantConfig`).
    Tenants,
    /// The pool's hosted login page (`updateLoginPageConfig`).
    LoginPage,
}

/// The pool's configuration with its defaults filled in, and the connections it offers to
/// its tenants.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantConfig {
    pub pool_id: String,
    pub tenant_login: Map<String, Value>,
    pub login_page: Map<String, Value>,
    pub tenant_qrcode_enabled: bool,
    /// The pool's own connections (of no tenant's provider) switched on pool-wide and not
    /// withdrawn from tenants, each with its provider.
    pub offered_conns: Vec<(ExtIdp, ExtIdpConn)>,
}

impl TenantConfig {
    fn flag(&self, key: &str, default: bool) -> bool {
        self.tenant_login
            .get(key)
            .and_then(Value::as_bool)
            .unwrap_or(default)
    }

    /// `enableCreateTenant`; no self-service tenant creation exists, so it is kept only.
    pub fn create_tenant_enabled(&self) -> bool {
        self.flag("enableCreateTenant", false)
    }

    /// `enableJoinTenant`: on unless switched off, since invitations were accepted before
    /// the setting existed.
    pub fn join_tenant_enabled(&self) -> bool {
        self.flag("enableJoinTenant", true)
    }

    pub fn verify_domain_enabled(&self) -> bool {
        self.flag("enableVerifyDomain", false)
    }
}

/// What the hosted login page hides (`ssoPageCustomizationSettings` of the login page).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginPageSettings {
    pub hide_register: bool,
    pub hide_forget_password: bool,
    pub hide_login_by_phone_code: bool,
    pub hide_user_password_login: bool,
}

impl LoginPageSettings {
    fn of(doc: &Map<String, Value>) -> LoginPageSettings {
        let s = doc
            .get("ssoPageCustomizationSettings")
            .and_then(Value::as_object);
        let on = |k: &str| s.and_then(|s| s.get(k)).and_then(Value::as_bool) == Some(true);
        LoginPageSettings {
            hide_register: on("hideRegister"),
            hide_forget_password: on("hideForgetPassword"),
            hide_login_by_phone_code: on("hideLoginByPhoneCode"),
            hide_user_password_login: on("hideUserPasswordLogin"),
        }
    }
}

fn bounded(field: &'static str, v: &Value) -> Result<()> {
    let size = serde_json::to_string(v).map_or(usize::MAX, |s| s.len());
    if size > MAX_VALUE_BYTES {
        return Err(Error::InvalidParameter(field));
    }
    Ok(())
}

/// Checks an `UpdateLoginConfig` patch: known keys, each of its type.
pub fn check_login_patch(patch: &Map<String, Value>) -> Result<()> {
    for (k, v) in patch {
        let Some(key) = LOGIN_CONFIG_KEYS.iter().find(|n| **n == k.as_str()) else {
            return Err(Error::InvalidParameter("update"));
        };
        bounded(key, v)?;
        match *key {
            "enableCreateTenant" | "enableJoinTenant" | "enableVerifyDomain" => {
                if !v.is_boolean() {
                    return Err(Error::InvalidParameter(key));
                }
            }
            "createTenantScenes" | "joinTenantScenes" | "verifyDomainScenes" => {
                let items = v.as_array().ok_or(Error::InvalidParameter(key))?;
                for item in items {
                    let s = item.as_str().ok_or(Error::InvalidParameter(key))?;
                    identifiers::text(key, s)?;
                }
            }
            "ssoPageCustomizationSettings" => {
                let s = v.as_object().ok_or(Error::InvalidParameter(key))?;
                for (name, on) in s {
                    if !PAGE_SWITCHES.contains(&name.as_str()) || !on.is_boolean() {
                        return Err(Error::InvalidParameter(key));
                    }
                }
            }
            _ => {
                if !v.is_object() {
                    return Err(Error::InvalidParameter(key));
                }
            }
        }
    }
    Ok(())
}

impl Core {
    async fn stored_tenant_config(&self, pool_id: &str) -> Result<PoolTenantConfig> {
        Ok(self
            .store
            .pool_tenant_config(pool_id)
            .await?
            .unwrap_or_else(|| PoolTenantConfig {
                pool_id: pool_id.to_owned(),
                tenant_login: Map::new(),
                login_page: Map::new(),
                tenant_qrcode_enabled: true,
                updated_at: 0,
            }))
    }

    /// `userpollTenantConfig`: the configuration with its defaults, and the connections the
    /// pool offers to its tenants.
    pub async fn pool_tenant_config(&self, pool: &PoolAdmin) -> Result<TenantConfig> {
        let stored = self.stored_tenant_config(&pool.id).await?;
        let withdrawn: Vec<String> = self
            .store
            .tenant_conn_offers(&pool.id)
            .await?
            .into_iter()
            .filter(|(_, on)| !on)
            .map(|(id, _)| id)
            .collect();
        let mut offered_conns = Vec::new();
        for idp in self.store.list_ext_idps(&pool.id, None).await? {
            if idp.tenant_id.is_some() {
                continue;
            }
            for c in &idp.connections {
                if c.enabled && !withdrawn.contains(&c.id) {
                    offered_conns.push((idp.clone(), c.clone()));
                }
            }
        }
        Ok(TenantConfig {
            pool_id: stored.pool_id,
            tenant_login: stored.tenant_login,
            login_page: stored.login_page,
            tenant_qrcode_enabled: stored.tenant_qrcode_enabled,
            offered_conns,
        })
    }

    /// Writes one change of the configuration row under the version check, retried when
    /// another write came in between; `change` sees the row as stored each time.
    async fn change_tenant_config(
        &self,
        pool_id: &str,
        change: impl Fn(&PoolTenantConfig) -> PoolTenantConfigFields,
    ) -> Result<()> {
        for _ in 0..ATTEMPTS {
            let row = self.store.pool_tenant_config(pool_id).await?;
            let fields = match &row {
                Some(r) => change(r),
                None => change(&PoolTenantConfig {
                    pool_id: pool_id.to_owned(),
                    tenant_login: Map::new(),
                    login_page: Map::new(),
                    tenant_qrcode_enabled: true,
                    updated_at: 0,
                }),
            };
            let expected = row.as_ref().map(|r| r.updated_at);
            // The version only grows, even if the clock steps back.
            let at = clock::now_ms().max(expected.unwrap_or(0) + 1);
            match self
                .store
                .put_pool_tenant_config(pool_id, &fields, expected, at)
                .await
            {
                Err(Error::ConcurrentChange) => continue,
                other => return other.map(|_| ()),
            }
        }
        Err(Error::ConcurrentChange)
    }

    /// `updateUserPoolTenantConfig` / `updateLoginPageConfig`: the keys of `patch` replace
    /// theirs in the document; the others keep theirs.
    pub async fn update_login_config(
        &self,
        pool: &PoolAdmin,
        document: LoginDocument,
        patch: Map<String, Value>,
    ) -> Result<()> {
        check_login_patch(&patch)?;
        let field = match document {
            LoginDocument::Tenants => "tenantConfig",
            LoginDocument::LoginPage => "loginPageConfig",
        };
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::UserPool)
            .target(pool.pool_id())
            .fields([field]);
        let done = self
            .change_tenant_config(&pool.id, |row| {
                let mut fields = PoolTenantConfigFields::default();
                let base = match document {
                    LoginDocument::Tenants => &row.tenant_login,
                    LoginDocument::LoginPage => &row.login_page,
                };
                let mut doc = base.clone();
                doc.extend(patch.clone());
                match document {
                    LoginDocument::Tenants => fields.tenant_login = Some(doc),
                    LoginDocument::LoginPage => fields.login_page = Some(doc),
                }
                fields
            })
            .await;
        self.audit(pool, entry, done).await
    }

    /// `updateTenantQrCodeState`.
    pub async fn set_tenant_qrcode_enabled(&self, pool: &PoolAdmin, enabled: bool) -> Result<()> {
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::UserPool)
            .target(pool.pool_id())
            .fields(["tenantAppQrcodeState"]);
        let done = self
            .change_tenant_config(&pool.id, |_| PoolTenantConfigFields {
                tenant_qrcode_enabled: Some(enabled),
                ..PoolTenantConfigFields::default()
            })
            .await;
        self.audit(pool, entry, done).await
    }

    /// `changeUserpoolTenanExtIdpConnState`: offers connections of the pool to its tenants,
    /// or withdraws them; all or none.
    pub async fn set_tenant_conns_offered(
        &self,
        pool: &PoolAdmin,
        conn_ids: &[String],
        offered: bool,
    ) -> Result<()> {
        if conn_ids.is_empty() {
            return Err(Error::MissingParameter("connIds"));
        }
        if conn_ids.len() > MAX_CONNS {
            return Err(Error::InvalidParameter("connIds"));
        }
        let mut ids = conn_ids.to_vec();
        ids.sort();
        ids.dedup();
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::UserPool)
            .target(pool.pool_id())
            .fields(["tenantExtIdpConns"]);
        let done = self
            .store
            .set_tenant_conns_offered(&pool.id, &ids, offered, clock::now_ms())
            .await;
        self.audit(pool, entry, done).await
    }

    /// `changeExtIdpConnAssociationState`: whether a tenant uses a connection.
    pub async fn set_tenant_conn_associated(
        &self,
        pool: &PoolAdmin,
        tenant_id: &str,
        conn_id: &str,
        associated: bool,
    ) -> Result<()> {
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::UserPool)
            .target(pool.pool_id())
            .fields(["tenantExtIdpConnAssociation"]);
        let done = self
            .store
            .set_tenant_conn_associated(&pool.id, tenant_id, conn_id, associated, clock::now_ms())
            .await;
        self.audit(pool, entry, done).await
    }

    /// Whether a tenant may log in through a connection, by the rule in the module header.
    async fn conn_usable_in_tenant(
        &self,
        pool_id: &str,
        tenant_id: &str,
        idp: &ExtIdp,
        conn: &ExtIdpConn,
    ) -> Result<bool> {
        if !conn.enabled {
            return Ok(false);
        }
        match idp.tenant_id.as_deref() {
            Some(owner) => Ok(owner == tenant_id),
            None => {
                let rule = self
                    .store
                    .tenant_conn_rule(pool_id, tenant_id, &conn.id)
                    .await?;
                Ok(rule.offered != Some(false) && rule.associated != Some(false))
            }
        }
    }

    /// A login through connection `conn_id` for tenant `tenant_id` is refused unless the
    /// tenant may use it: as if the tenant had no such source.
    pub(crate) async fn refuse_conn_off_in_tenant(
        &self,
        pool_id: &str,
        tenant_id: &str,
        conn_id: &str,
    ) -> Result<()> {
        self.store
            .get_tenant(pool_id, tenant_id)
            .await?
            .ok_or(Error::NotFound(Entity::Tenant))?;
        let conn = self
            .store
            .get_ext_idp_conn(pool_id, conn_id)
            .await?
            .ok_or(Error::IdentitySourceNotConfigured)?;
        let idp = self
            .store
            .get_ext_idp(pool_id, &conn.ext_idp_id)
            .await?
            .ok_or(Error::IdentitySourceNotConfigured)?;
        if self
            .conn_usable_in_tenant(pool_id, tenant_id, &idp, &conn)
            .await?
        {
            Ok(())
        } else {
            Err(Error::IdentitySourceNotConfigured)
        }
    }

    /// Refused while the pool keeps users from joining tenants by themselves.
    pub(crate) async fn refuse_tenant_join(&self, pool_id: &str) -> Result<()> {
        let stored = self.stored_tenant_config(pool_id).await?;
        let on = stored
            .tenant_login
            .get("enableJoinTenant")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        if on {
            Ok(())
        } else {
            Err(Error::TenantFeatureOff(TenantFeature::Join))
        }
    }

    /// A QR-code login for a tenant of the pool: refused while the tenants' QR-code login is
    /// switched off, and for a tenant the pool does not have.
    pub(crate) async fn refuse_tenant_qr_login(
        &self,
        pool_id: &str,
        tenant_id: &str,
    ) -> Result<()> {
        self.store
            .get_tenant(pool_id, tenant_id)
            .await?
            .ok_or(Error::NotFound(Entity::Tenant))?;
        if self
            .stored_tenant_config(pool_id)
            .await?
            .tenant_qrcode_enabled
        {
            Ok(())
        } else {
            Err(Error::TenantFeatureOff(TenantFeature::QrLogin))
        }
    }

    /// `extIdpConnStateByApps`: the connections of provider `ext_idp_id` that serve logins by
    /// `app_id` (on pool-wide and not switched off in the application) and for `tenant_id`
    /// (by the tenant rule), with their provider; only a social or an enterprise provider's
    /// when `social` says so.
    pub async fn ext_idp_conns_in_use(
        &self,
        pool: &PoolAdmin,
        ext_idp_id: &str,
        tenant_id: Option<&str>,
        app_id: Option<&str>,
        social: Option<bool>,
    ) -> Result<(ExtIdp, Vec<ExtIdpConn>)> {
        let idp = self.ext_idp(pool, ext_idp_id).await?;
        if let Some(t) = tenant_id {
            self.tenant(pool, t).await?;
        }
        let app_states = match app_id {
            Some(a) => self.ext_idp_conn_states_in_app(pool, a).await?,
            None => Vec::new(),
        };
        if social.is_some_and(|s| is_social_provider(&idp.kind) != s) {
            return Ok((idp, Vec::new()));
        }
        let mut list = Vec::new();
        for c in &idp.connections {
            if !c.enabled || app_states.iter().any(|(id, on)| *id == c.id && !on) {
                continue;
            }
            if let Some(t) = tenant_id {
                if !self.conn_usable_in_tenant(&pool.id, t, &idp, c).await? {
                    continue;
                }
            }
            list.push(c.clone());
        }
        Ok((idp, list))
    }

    /// `listTenantApplications`: one page of the pool's applications, which tenants may all
    /// be given, whose name or identifier contains `keyword`. No Tessera application is an
    /// SSO one, so asking for those finds none.
    pub async fn tenant_applications(
        &self,
        pool: &PoolAdmin,
        keyword: Option<&str>,
        sso_only: bool,
        page: Page,
    ) -> Result<Paged<AppView>> {
        if let Some(k) = keyword {
            identifiers::text("keywords", k)?;
        }
        if sso_only {
            return Ok(Paged {
                total_count: 0,
                list: Vec::new(),
            });
        }
        self.admin_search_apps(pool, keyword, page).await
    }

    /// What the pool's hosted login page hides (`updateLoginPageConfig`).
    pub async fn login_page_settings(&self, pool_id: &str) -> Result<LoginPageSettings> {
        Ok(LoginPageSettings::of(
            &self.stored_tenant_config(pool_id).await?.login_page,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn login_patches_are_checked_key_by_key() {
        assert!(check_login_patch(&patch(json!({
            "enableJoinTenant": false,
            "joinTenantScenes": ["console"],
            "ssoPageCustomizationSettings": {"hideRegister": true},
            "config": {"global": {}}
        })))
        .is_ok());
        for bad in [
            json!({"unknown": 1}),
            json!({"enableJoinTenant": "no"}),
            json!({"joinTenantScenes": [1]}),
            json!({"joinTenantScenes": "console"}),
            json!({"ssoPageCustomizationSettings": {"hideRegister": "yes"}}),
            json!({"ssoPageCustomizationSettings": {"showEverything": true}}),
            json!({"config": []}),
            json!({"config": {"global": "x".repeat(MAX_VALUE_BYTES)}}),
        ] {
            assert!(check_login_patch(&patch(bad.clone())).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_page_reads_its_switches() {
        let s = LoginPageSettings::of(&patch(json!({
            "ssoPageCustomizationSettings": {"hideRegister": true, "hideForgetPassword": false}
        })));
        assert!(s.hide_register);
        assert!(!s.hide_forget_password);
        assert_eq!(
            LoginPageSettings::of(&Map::new()),
            LoginPageSettings::default()
        );
    }
}
