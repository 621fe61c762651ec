//! Tenants (`mc.tenant`): tenants of a pool with the applications they use, their members
//! and administrators, and their external identity providers with connections.
//!
//! Every id is looked up inside the caller's pool; a tenant, provider or connection of
//! another pool is answered as not found.

use serde_json::{Map, Value};

use super::paging::{Page, Paged};
use super::user_admin::MAX_BATCH;
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::model::tenant::{ExtIdp, ExtIdpConn, Tenant, TenantMember};
use crate::model::User;
use crate::principal::PoolAdmin;
use crate::rules::identifiers;
use crate::store::tenants::{ExtIdpConnFields, MemberFilter, MemberFlag, TenantFields};
use crate::store::users::UserKey;
use crate::store::UserLookup;

/// The login-page settings a tenant keeps in its `config` document (`TenantInfo`).
pub const TENANT_CONFIG_KEYS: [&str; 8] = [
    "css",
    "ssoPageCustomizationSettings",
    "defaultLoginTab",
    "defaultRegisterTab",
    "passwordTabConfig",
    "loginTabs",
    "registerTabs",
    "extendsFields",
];

/// A tenant as `tenant.create` gives it.
#[derive(Debug, Clone, Default)]
pub struct NewTenant {
    pub name: String,
    pub app_ids: Vec<String>,
    pub logo: Option<String>,
    pub description: Option<String>,
}

/// The changes of `tenant.update` / `tenant.config`; absent fields keep their value.
#[derive(Debug, Clone, Default)]
pub struct TenantPatch {
    pub name: Option<String>,
    pub app_ids: Option<Vec<String>>,
    pub logo: Option<String>,
    pub description: Option<String>,
    /// Keys of [`TENANT_CONFIG_KEYS`] to set.
    pub config: Map<String, Value>,
}

/// One connection of `createExtIdp` / `createExtIdpConnection`.
#[derive(Debug, Clone, Default)]
pub struct NewConn {
    pub kind: String,
    pub identifier: String,
    pub display_name: String,
    pub fields: Map<String, Value>,
    pub user_match_fields: Vec<String>,
    pub logo: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewExtIdp {
    pub tenant_id: Option<String>,
    pub name: String,
    pub kind: String,
    pub connections: Vec<NewConn>,
}

/// The changes of `updateExtIdpConnection`; absent fields keep their value.
#[derive(Debug, Clone, Default)]
pub struct ConnPatch {
    pub display_name: Option<String>,
    pub fields: Option<Map<String, Value>>,
    pub user_match_fields: Option<Vec<String>>,
    pub logo: Option<String>,
}

/// Provider types that sign in a company's own directory (Authing's "enterprise" identity
/// sources); every other provider is a consumer ("social") one.
const ENTERPRISE_PROVIDERS: [&str; 16] = [
    "oidc",
    "oauth2",
    "saml",
    "ldap",
    "ad",
    "ad-kerberos",
    "cas",
    "azure-ad",
    "wechatwork",
    "dingtalk",
    "lark",
    "welink",
    "sdbz",
    "zjzwfw",
    "zzding",
    "seeyona8v5",
];

/// Whether a provider type (`ExtIdp::kind`) is a social one rather than an enterprise one.
pub fn is_social_provider(kind: &str) -> bool {
    !ENTERPRISE_PROVIDERS.contains(&kind)
}

/// A required short text: present, not blank, bounded.
fn required_text(field: &'static str, value: &str) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::MissingParameter(field));
    }
    identifiers::text(field, v)?;
    if v.chars().any(char::is_control) {
        return Err(Error::InvalidParameter(field));
    }
    Ok(v.to_owned())
}

fn optional_text(field: &'static str, value: Option<String>) -> Result<Option<String>> {
    match value {
        Some(v) => {
            identifiers::text(field, &v)?;
            Ok(Some(v))
        }
        None => Ok(None),
    }
}

/// App ids without repeats, in the order given.
fn dedup(ids: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

fn check_members_batch(user_ids: &[String]) -> Result<()> {
    if user_ids.is_empty() {
        return Err(Error::MissingParameter("userIds"));
    }
    if user_ids.len() > MAX_BATCH {
        return Err(Error::TooManyUsers);
    }
    Ok(())
}

impl NewConn {
    fn into_conn(self, pool_id: &str, ext_idp_id: &str, at: i64) -> Result<ExtIdpConn> {
        for f in &self.user_match_fields {
            identifiers::text("userMatchFields", f)?;
        }
        Ok(ExtIdpConn {
            id: ids::new_id(),
            pool_id: pool_id.to_owned(),
            ext_idp_id: ext_idp_id.to_owned(),
            kind: required_text("type", &self.kind)?,
            identifier: required_text("identifier", &self.identifier)?,
            display_name: required_text("displayName", &self.display_name)?,
            fields: self.fields,
            user_match_fields: self.user_match_fields,
            logo: optional_text("logo", self.logo)?,
            enabled: true,
            created_at: at,
            updated_at: at,
        })
    }
}

impl Core {
    pub async fn tenant(&self, pool: &PoolAdmin, id: &str) -> Result<Tenant> {
        self.store
            .get_tenant(&pool.id, id)
            .await?
            .ok_or(Error::NotFound(Entity::Tenant))
    }

    /// `getTenantByCode`.
    pub async fn tenant_by_code(&self, pool: &PoolAdmin, code: &str) -> Result<Tenant> {
        self.store
            .tenant_by_code(&pool.id, code)
            .await?
            .ok_or(Error::NotFound(Entity::Tenant))
    }

    pub async fn list_tenants(&self, pool: &PoolAdmin, page: Page) -> Result<Paged<Tenant>> {
        self.store.list_tenants(&pool.id, None, page).await
    }

    /// The pool's tenants whose name contains `keyword` (all of them without one).
    pub async fn search_tenants(
        &self,
        pool: &PoolAdmin,
        keyword: Option<&str>,
        page: Page,
    ) -> Result<Paged<Tenant>> {
        if let Some(k) = keyword {
            identifiers::text("keywords", k)?;
        }
        self.store.list_tenants(&pool.id, keyword, page).await
    }

    /// Creates a tenant; every app id must be an application of the pool ([`Error::AppNotFound`]).
    pub async fn create_tenant(&self, pool: &PoolAdmin, new: NewTenant) -> Result<Tenant> {
        let now = clock::now_ms();
        let t = Tenant {
            id: ids::new_id(),
            pool_id: pool.id.clone(),
            name: required_text("name", &new.name)?,
            // 40 random bits as hex: a collision within one pool is vanishingly unlikely,
            // and the store's unique index refuses one rather than let a code name two.
            code: ids::new_secret(5),
            description: optional_text("description", new.description)?,
            logo: optional_text("logo", new.logo)?,
            app_ids: dedup(new.app_ids),
            config: Map::new(),
            created_at: now,
            updated_at: now,
        };
        self.store.insert_tenant(&t).await?;
        Ok(t)
    }

    pub async fn update_tenant(
        &self,
        pool: &PoolAdmin,
        id: &str,
        patch: TenantPatch,
    ) -> Result<Tenant> {
        let t = self.tenant(pool, id).await?;
        let mut fields = TenantFields {
            name: match patch.name {
                Some(name) => Some(required_text("name", &name)?),
                None => None,
            },
            app_ids: patch.app_ids.map(dedup),
            logo: optional_text("logo", patch.logo)?.map(Some),
            description: optional_text("description", patch.description)?.map(Some),
            config: None,
        };
        for (k, v) in &patch.config {
            if !TENANT_CONFIG_KEYS.contains(&k.as_str()) {
                return Err(Error::InvalidParameter("config"));
            }
            let size = serde_json::to_string(v).map_or(usize::MAX, |s| s.len());
            if size > identifiers::MAX_TEXT_LEN {
                return Err(Error::InvalidParameter("config"));
            }
        }
        let (pool_id, at) = (pool.id.clone(), clock::now_ms());
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move {
                // The config patch is merged into the document as stored now, under the
                // pool's lock, so a concurrent change of another key is kept.
                if !patch.config.is_empty() {
                    let mut config = tx
                        .tenant(&pool_id, &t.id)
                        .await?
                        .ok_or(Error::NotFound(Entity::Tenant))?
                        .config;
                    config.extend(patch.config);
                    fields.config = Some(config);
                }
                tx.update_tenant_fields(&pool_id, &t.id, &fields, at).await
            })
        })
        .await
    }

    /// Deletes a tenant with its members and external identity providers.
    pub async fn delete_tenant(&self, pool: &PoolAdmin, id: &str) -> Result<()> {
        let (pool_id, id) = (pool.id.clone(), id.to_owned());
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move { super::cascade::delete_tenant(tx, &pool_id, &id).await })
        })
        .await
    }

    /// One page of a tenant's members with their users, in the order they joined.
    pub async fn tenant_members(
        &self,
        pool: &PoolAdmin,
        tenant_id: &str,
        page: Page,
    ) -> Result<Paged<(TenantMember, User)>> {
        self.tenant_members_matching(pool, tenant_id, &MemberFilter::default(), page)
            .await
    }

    /// One page of the members `filter` keeps (admins only, a keyword in the user's
    /// identifiers or names) with their users, in the order they joined.
    pub async fn tenant_members_matching(
        &self,
        pool: &PoolAdmin,
        tenant_id: &str,
        filter: &MemberFilter,
        page: Page,
    ) -> Result<Paged<(TenantMember, User)>> {
        if let Some(k) = &filter.keyword {
            identifiers::text("keywords", k)?;
        }
        self.tenant(pool, tenant_id).await?;
        let members = self
            .store
            .tenant_members(&pool.id, tenant_id, filter, page)
            .await?;
        let ids: Vec<String> = members.list.iter().map(|m| m.user_id.clone()).collect();
        let users = self.store.users_by_key(&pool.id, UserKey::Id, &ids).await?;
        let list = members
            .list
            .into_iter()
            .filter_map(|m| {
                let u = users.iter().find(|u| u.id == m.user_id)?.clone();
                Some((m, u))
            })
            .collect();
        Ok(Paged {
            total_count: members.total_count,
            list,
        })
    }

    /// One member of a tenant with the user ([`Entity::TenantMember`] if the user is not a
    /// member, or not of the pool).
    pub async fn tenant_member(
        &self,
        pool: &PoolAdmin,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<(TenantMember, User)> {
        self.tenant(pool, tenant_id).await?;
        let m = self
            .store
            .tenant_member(&pool.id, tenant_id, user_id)
            .await?
            .ok_or(Error::NotFound(Entity::TenantMember))?;
        let u = self
            .store
            .find_user(&pool.id, UserLookup::Id(user_id))
            .await?
            .ok_or(Error::NotFound(Entity::TenantMember))?;
        Ok((m, u))
    }

    /// Adds users to a tenant, all or none ([`Error::UserNotFound`] if one is not in the
    /// pool); with `admin` each becomes (or stays) an admin, members already there included.
    async fn put_tenant_members(
        &self,
        pool: &PoolAdmin,
        tenant_id: &str,
        user_ids: &[String],
        admin: bool,
    ) -> Result<()> {
        let (pool_id, tenant_id, user_ids, at) = (
            pool.id.clone(),
            tenant_id.to_owned(),
            user_ids.to_vec(),
            clock::now_ms(),
        );
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move {
                if tx.tenant(&pool_id, &tenant_id).await?.is_none() {
                    return Err(Error::NotFound(Entity::Tenant));
                }
                for user_id in &user_ids {
                    if !tx.user_exists(&pool_id, user_id).await? {
                        return Err(Error::UserNotFound);
                    }
                    tx.add_tenant_member(&pool_id, &tenant_id, user_id, at)
                        .await?;
                    if admin {
                        tx.set_tenant_admin(&pool_id, &tenant_id, user_id).await?;
                    }
                }
                Ok(())
            })
        })
        .await
    }

    /// Adds users to a tenant: all of them or none ([`Error::UserNotFound`] if one is not in
    /// the pool).
    pub async fn add_tenant_members(
        &self,
        pool: &PoolAdmin,
        tenant_id: &str,
        user_ids: &[String],
    ) -> Result<()> {
        check_members_batch(user_ids)?;
        self.put_tenant_members(pool, tenant_id, user_ids, false)
            .await
    }

    pub async fn remove_tenant_member(
        &self,
        pool: &PoolAdmin,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<()> {
        self.tenant(pool, tenant_id).await?;
        self.store
            .remove_tenant_member(&pool.id, tenant_id, user_id)
            .await
    }

    /// Ends several memberships of a tenant: all of them, or none if one of the users is not
    /// a member ([`Entity::TenantMember`]).
    pub async fn remove_tenant_members(
        &self,
        pool: &PoolAdmin,
        tenant_id: &str,
        user_ids: &[String],
    ) -> Result<()> {
        check_members_batch(user_ids)?;
        let (pool_id, tenant_id, user_ids) =
            (pool.id.clone(), tenant_id.to_owned(), user_ids.to_vec());
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move {
                if tx.tenant(&pool_id, &tenant_id).await?.is_none() {
                    return Err(Error::NotFound(Entity::Tenant));
                }
                for user_id in &user_ids {
                    // A refusal drops the unit of work, so the removals before it roll back.
                    if !tx
                        .remove_tenant_member(&pool_id, &tenant_id, user_id)
                        .await?
                    {
                        return Err(Error::NotFound(Entity::TenantMember));
                    }
                }
                Ok(())
            })
        })
        .await
    }

    /// Makes users administrators of a tenant, adding those who are not members yet.
    pub async fn set_tenant_admins(
        &self,
        pool: &PoolAdmin,
        tenant_id: &str,
        user_ids: &[String],
    ) -> Result<()> {
        check_members_batch(user_ids)?;
        self.put_tenant_members(pool, tenant_id, user_ids, true)
            .await
    }

    /// Takes the administrator role away; the user stays a member.
    pub async fn remove_tenant_admin(
        &self,
        pool: &PoolAdmin,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<()> {
        self.tenant(pool, tenant_id).await?;
        self.store
            .set_tenant_member_flag(&pool.id, tenant_id, user_id, MemberFlag::Admin, false)
            .await
    }

    pub async fn set_tenant_member_enabled(
        &self,
        pool: &PoolAdmin,
        tenant_id: &str,
        user_id: &str,
        enabled: bool,
    ) -> Result<()> {
        self.tenant(pool, tenant_id).await?;
        self.store
            .set_tenant_member_flag(&pool.id, tenant_id, user_id, MemberFlag::Enabled, enabled)
            .await
    }

    /// The tenants a user of the pool belongs to ([`Error::UserNotFound`] for a user of
    /// another pool).
    pub async fn user_tenants(&self, pool: &PoolAdmin, user_id: &str) -> Result<Vec<Tenant>> {
        self.store
            .find_user(&pool.id, UserLookup::Id(user_id))
            .await?
            .ok_or(Error::UserNotFound)?;
        self.store.tenants_of_user(&pool.id, user_id).await
    }

    // --- external identity providers -------------------------------------------------------

    pub async fn ext_idp(&self, pool: &PoolAdmin, id: &str) -> Result<ExtIdp> {
        self.store
            .get_ext_idp(&pool.id, id)
            .await?
            .ok_or(Error::NotFound(Entity::ExtIdp))
    }

    /// A tenant's providers, or every provider of the pool without a tenant id.
    pub async fn list_ext_idps(
        &self,
        pool: &PoolAdmin,
        tenant_id: Option<&str>,
    ) -> Result<Vec<ExtIdp>> {
        if let Some(t) = tenant_id {
            self.tenant(pool, t).await?;
        }
        self.store.list_ext_idps(&pool.id, tenant_id).await
    }

    /// One page of a tenant's providers (or the pool's without a tenant id), only the
    /// social or only the enterprise ones when `social` says so. A pool has a handful of
    /// providers, so the page is cut from the whole list.
    pub async fn ext_idps_page(
        &self,
        pool: &PoolAdmin,
        tenant_id: Option<&str>,
        social: Option<bool>,
        page: Page,
    ) -> Result<Paged<ExtIdp>> {
        let all: Vec<ExtIdp> = self
            .list_ext_idps(pool, tenant_id)
            .await?
            .into_iter()
            .filter(|i| social.is_none_or(|s| is_social_provider(&i.kind) == s))
            .collect();
        Ok(page.slice(&all))
    }

    /// Creates a provider with its connections; one taken identifier writes nothing.
    pub async fn create_ext_idp(&self, pool: &PoolAdmin, new: NewExtIdp) -> Result<ExtIdp> {
        let now = clock::now_ms();
        let id = ids::new_id();
        let mut connections = Vec::with_capacity(new.connections.len());
        for c in new.connections {
            let c = c.into_conn(&pool.id, &id, now)?;
            if connections
                .iter()
                .any(|o: &ExtIdpConn| o.identifier == c.identifier)
            {
                return Err(Error::Duplicate(Entity::ExtIdpConnIdentifier));
            }
            connections.push(c);
        }
        let idp = ExtIdp {
            id,
            pool_id: pool.id.clone(),
            tenant_id: new.tenant_id.filter(|t| !t.is_empty()),
            name: required_text("name", &new.name)?,
            kind: required_text("type", &new.kind)?,
            connections,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_ext_idp(&idp).await?;
        Ok(idp)
    }

    pub async fn rename_ext_idp(&self, pool: &PoolAdmin, id: &str, name: &str) -> Result<ExtIdp> {
        let name = required_text("name", name)?;
        self.store
            .rename_ext_idp(&pool.id, id, &name, clock::now_ms())
            .await?;
        self.ext_idp(pool, id).await
    }

    pub async fn delete_ext_idp(&self, pool: &PoolAdmin, id: &str) -> Result<()> {
        let (pool_id, id) = (pool.id.clone(), id.to_owned());
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move { super::cascade::delete_ext_idp(tx, &pool_id, &id).await })
        })
        .await
    }

    pub async fn create_ext_idp_conn(
        &self,
        pool: &PoolAdmin,
        ext_idp_id: &str,
        new: NewConn,
    ) -> Result<ExtIdpConn> {
        let c = new.into_conn(&pool.id, ext_idp_id, clock::now_ms())?;
        self.store.insert_ext_idp_conn(&c).await?;
        Ok(c)
    }

    pub async fn ext_idp_conn(&self, pool: &PoolAdmin, id: &str) -> Result<ExtIdpConn> {
        self.store
            .get_ext_idp_conn(&pool.id, id)
            .await?
            .ok_or(Error::NotFound(Entity::ExtIdpConn))
    }

    pub async fn update_ext_idp_conn(
        &self,
        pool: &PoolAdmin,
        id: &str,
        patch: ConnPatch,
    ) -> Result<ExtIdpConn> {
        let c = self.ext_idp_conn(pool, id).await?;
        if let Some(m) = &patch.user_match_fields {
            for f in m {
                identifiers::text("userMatchFields", f)?;
            }
        }
        let fields = ExtIdpConnFields {
            display_name: match patch.display_name {
                Some(d) => Some(required_text("displayName", &d)?),
                None => None,
            },
            fields: patch.fields,
            user_match_fields: patch.user_match_fields,
            logo: optional_text("logo", patch.logo)?.map(Some),
        };
        self.store
            .update_ext_idp_conn(&pool.id, &c.id, &fields, clock::now_ms())
            .await
    }

    pub async fn delete_ext_idp_conn(&self, pool: &PoolAdmin, id: &str) -> Result<()> {
        self.store.delete_ext_idp_conn(&pool.id, id).await
    }

    /// Whether a connection of the pool already uses `identifier`.
    pub async fn ext_idp_conn_identifier_taken(
        &self,
        pool: &PoolAdmin,
        identifier: &str,
    ) -> Result<bool> {
        let identifier = required_text("identifier", identifier)?;
        self.store
            .ext_idp_conn_identifier_taken(&pool.id, &identifier)
            .await
    }

    /// Checks the application and tenant a state change names: both must be of the pool.
    async fn check_state_scope(
        &self,
        pool: &PoolAdmin,
        app_id: Option<&str>,
        tenant_id: Option<&str>,
    ) -> Result<()> {
        if let Some(a) = app_id {
            self.admin_app(pool, a).await?;
        }
        if let Some(t) = tenant_id {
            self.tenant(pool, t).await?;
        }
        Ok(())
    }

    /// Switches a connection on or off: in each application of `apps` when there are any
    /// (`changeExtIdpConnState` names one), else pool-wide. A login through the connection by
    /// an application needs both on ([`Core::refuse_conn_off_in_app`]); switching it on in an
    /// application switches it on pool-wide too, and applications with no state of their
    /// own follow the pool-wide one.
    pub async fn set_ext_idp_conn_enabled(
        &self,
        pool: &PoolAdmin,
        conn_id: &str,
        apps: &[String],
        tenant_id: Option<&str>,
        enabled: bool,
    ) -> Result<()> {
        for a in apps {
            self.check_state_scope(pool, Some(a), None).await?;
        }
        self.check_state_scope(pool, None, tenant_id).await?;
        let now = clock::now_ms();
        if apps.is_empty() {
            return self
                .store
                .set_ext_idp_conn_enabled(&pool.id, conn_id, enabled, now)
                .await;
        }
        let mut apps = apps.to_vec();
        apps.sort();
        apps.dedup();
        self.store
            .set_ext_idp_conn_apps_enabled(&pool.id, conn_id, &apps, enabled, now)
            .await
    }

    /// The connection states an application set for itself: `(connection id, on)`. A
    /// connection is on for the application when it is on pool-wide and not off here.
    pub async fn ext_idp_conn_states_in_app(
        &self,
        pool: &PoolAdmin,
        app_id: &str,
    ) -> Result<Vec<(String, bool)>> {
        self.admin_app(pool, app_id).await?;
        self.store.ext_idp_conn_app_states(&pool.id, app_id).await
    }

    /// A login through connection `conn_id` by `app_id` is refused when the connection is
    /// switched off in that application: as if the application had no such source.
    pub(crate) async fn refuse_conn_off_in_app(
        &self,
        pool_id: &str,
        conn_id: &str,
        app_id: &str,
    ) -> Result<()> {
        match self
            .store
            .ext_idp_conn_app_enabled(pool_id, conn_id, app_id)
            .await?
        {
            Some(false) => Err(Error::IdentitySourceNotConfigured),
            _ => Ok(()),
        }
    }

    pub async fn set_ext_idp_conns_enabled(
        &self,
        pool: &PoolAdmin,
        ext_idp_id: &str,
        app_id: Option<&str>,
        tenant_id: Option<&str>,
        enabled: bool,
    ) -> Result<()> {
        self.check_state_scope(pool, app_id, tenant_id).await?;
        self.store
            .set_ext_idp_conns_enabled(&pool.id, ext_idp_id, enabled, clock::now_ms())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::is_social_provider;

    #[test]
    fn providers_are_social_or_enterprise() {
        assert!(is_social_provider("wechat"));
        assert!(is_social_provider("github"));
        assert!(!is_social_provider("oidc"));
        assert!(!is_social_provider("wechatwork"));
        assert!(!is_social_provider("saml"));
    }
}
