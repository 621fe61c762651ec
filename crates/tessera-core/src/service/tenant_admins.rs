//! Administrators a pool gives its tenants (v3 "Tenants": `createMultipleTenantAdmin`,
//! `listMultipleTenantAdmin`, `getMultipleTenantAdmin`, `createTenantCooperator`,
//! `listTenantCooperators`, `getTenantCooperator`, `getTenantCooperatorMenu`).
//!
//! Authing's console has its own accounts; Tessera has none, so both kinds of administrator
//! are users of the pool:
//!
//! - A **multi-tenant administrator** is a user made administrator of several tenants at
//!   once: in one unit of work the user becomes (or stays) a member and an administrator
//!   (`TenantMember::is_admin`) of every tenant named — exactly what `setTenantAdmin` does
//!   for one tenant —, and the grant itself (with `apiAuthorized`) is recorded. The
//!   tenants' member lists, `listTenantAdmin` and the user's own tenant list show it.
//!   Granting again adds tenants and sets `apiAuthorized`; nothing here takes rights away.
//! - A **cooperator** (a cooperating administrator) is a user given policies of the pool
//!   (`service::policies`, by code in the default namespace): the set is replaced whole on
//!   each grant. Its "menu" is what those policies allow: the resources of their `ALLOW`
//!   statements, less those a `DENY` statement of the same policies names. A deleted policy
//!   is no longer held. Tessera answers permission questions from grants only (see
//!   `service::policies`), so these policies are records: nothing in Tessera is allowed or
//!   refused because a user is a cooperator.
//! - A cooperator is **external** when the user belongs to no department of the pool's
//!   organizations (not on the staff).
//!
//! Every user and tenant is looked up in the administrator's pool: another pool's is
//! unknown. A grant can notify the user by email and/or SMS (`notify::AdminNotice`); asking
//! for a channel the user has no address on refuses the call before anything is written.
//! Every grant is one audited unit of work.

use super::audit::AuditEntry;
use super::directory::DEFAULT_NAMESPACE;
use super::directory_admin::unique;
use super::paging::{Page, Paged};
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::model::audit::{OperationType, ResourceKind};
use crate::model::directory_admin::{PolicyEffect, PolicyStatement};
use crate::model::User;
use crate::notify::{AdminNotice, EmailMessage, SmsMessage, ADMIN_NOTICE_SCENE};
use crate::principal::PoolAdmin;
use crate::rules::identifiers;
use crate::store::tenant_admins::{AdminGrant, GrantFilter};
use crate::store::users::UserKey;
use crate::store::UserLookup;

/// At most this many tenants in one multi-tenant administrator grant.
pub const MAX_TENANTS: usize = 100;
/// At most this many policies held by one cooperator.
pub const MAX_POLICIES: usize = 100;
/// The longest policy code accepted (`service::directory`'s code bound).
const MAX_POLICY_CODE: usize = 128;

/// Which channels a grant's notice goes through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoticeChannels {
    pub email: bool,
    pub sms: bool,
}

/// `createMultipleTenantAdmin`.
#[derive(Debug, Clone, Default)]
pub struct NewMultiTenantAdmin {
    pub user_id: String,
    pub tenant_ids: Vec<String>,
    pub api_authorized: bool,
    pub notify: NoticeChannels,
}

/// `createTenantCooperator`.
#[derive(Debug, Clone, Default)]
pub struct NewCooperator {
    pub user_id: String,
    /// Policy codes of the default namespace.
    pub policies: Vec<String>,
    pub api_authorized: bool,
    pub notify: NoticeChannels,
}

/// A multi-tenant administrator with its user and the tenants it administers now.
#[derive(Debug, Clone)]
pub struct MultiTenantAdmin {
    pub user: User,
    pub api_authorized: bool,
    pub tenant_ids: Vec<String>,
    pub created_at: i64,
}

/// A cooperator with its user.
#[derive(Debug, Clone)]
pub struct Cooperator {
    pub user: User,
    pub api_authorized: bool,
    pub external: bool,
    pub created_at: i64,
}

/// What a cooperator holds: its policies (ids and codes, in the order given) and the menu
/// they allow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CooperatorRights {
    pub policy_ids: Vec<String>,
    pub policy_codes: Vec<String>,
    pub menu: Vec<String>,
}

/// The resources the statements allow: `ALLOW` resources in order, each once, less any a
/// `DENY` names (a denial wins, as in Authing's policy language).
fn menu_of<'a>(statements: impl Iterator<Item = &'a PolicyStatement> + Clone) -> Vec<String> {
    let denied: Vec<&str> = statements
        .clone()
        .filter(|s| s.effect == PolicyEffect::Deny)
        .map(|s| s.resource.as_str())
        .collect();
    let mut out: Vec<String> = Vec::new();
    for s in statements.filter(|s| s.effect == PolicyEffect::Allow) {
        if !denied.contains(&s.resource.as_str()) && !out.contains(&s.resource) {
            out.push(s.resource.clone());
        }
    }
    out
}

fn required_id(field: &'static str, v: &str) -> Result<String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(Error::MissingParameter(field));
    }
    identifiers::text(field, v)?;
    Ok(v.to_owned())
}

fn keyword(k: Option<&str>) -> Result<Option<String>> {
    match k.map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => {
            identifiers::text("keywords", k)?;
            Ok(Some(k.to_owned()))
        }
        None => Ok(None),
    }
}

impl Core {
    /// The pool's user `user_id`, refusing an unknown one (another pool's included) and a
    /// channel asked for that the user has no address on.
    async fn grantee(
        &self,
        admin: &PoolAdmin,
        user_id: &str,
        notify: NoticeChannels,
    ) -> Result<User> {
        let user_id = required_id("userId", user_id)?;
        let user = self
            .store
            .find_user(admin.pool_id(), UserLookup::Id(&user_id))
            .await?
            .ok_or(Error::UserNotFound)?;
        if notify.email && user.email.as_deref().is_none_or(str::is_empty) {
            return Err(Error::NoEmailBound);
        }
        if notify.sms && user.phone.as_deref().is_none_or(str::is_empty) {
            return Err(Error::NoPhoneBound);
        }
        Ok(user)
    }

    /// Sends a grant's notice through the channels asked for, after the grant committed (a
    /// notice never announces a refused grant). The grant stands whatever the delivery: an
    /// undelivered notice is logged for the operator, each channel tried on its own, and the
    /// call still answers that the grant was made, so a caller does not retry a grant that
    /// exists.
    async fn send_admin_notice(
        &self,
        admin: &PoolAdmin,
        user: &User,
        notify: NoticeChannels,
        notice: AdminNotice,
    ) {
        let pool = admin.pool();
        let undelivered = |channel: &str, e: Error| {
            tracing::warn!(
                pool = %pool.id,
                user = %user.id,
                channel,
                error = %e,
                "an administrator grant's notice was not delivered; the grant stands"
            );
        };
        if notify.email {
            if let Some(to) = user.email.clone() {
                let sent = self
                    .notifier
                    .send_email(&EmailMessage {
                        pool_id: pool.id.clone(),
                        to,
                        code: String::new(),
                        valid_minutes: 0,
                        scene: ADMIN_NOTICE_SCENE.to_owned(),
                        route: super::pool_admin::email_route(pool),
                        custom: None,
                        invitation: None,
                        notice: Some(notice),
                        import_notice: None,
                    })
                    .await;
                if let Err(e) = sent {
                    undelivered("email", e);
                }
            }
        }
        if notify.sms {
            if let Some(phone) = user.phone.clone() {
                let sent = self
                    .notifier
                    .send_sms(&SmsMessage {
                        pool_id: pool.id.clone(),
                        phone,
                        phone_country_code: user
                            .phone_country_code
                            .clone()
                            .unwrap_or_else(|| "+86".to_owned()),
                        code: String::new(),
                        scene: ADMIN_NOTICE_SCENE.to_owned(),
                        webhook_url: super::pool_admin::sms_route(pool),
                        import_notice: None,
                    })
                    .await;
                if let Err(e) = sent {
                    undelivered("sms", e);
                }
            }
        }
    }

    /// `createMultipleTenantAdmin`: makes the user an administrator of every tenant named,
    /// all or none ([`Entity::Tenant`] when one is not the pool's), and records the grant.
    pub async fn create_multi_tenant_admin(
        &self,
        admin: &PoolAdmin,
        new: NewMultiTenantAdmin,
    ) -> Result<()> {
        if new.tenant_ids.is_empty() {
            return Err(Error::MissingParameter("tenantIds"));
        }
        if new.tenant_ids.len() > MAX_TENANTS {
            return Err(Error::InvalidParameter("tenantIds"));
        }
        let mut tenant_ids = Vec::with_capacity(new.tenant_ids.len());
        for t in &new.tenant_ids {
            tenant_ids.push(required_id("tenantIds", t)?);
        }
        let tenant_ids = unique(&tenant_ids);
        let user = self.grantee(admin, &new.user_id, new.notify).await?;
        let entry = AuditEntry::new(OperationType::Create, ResourceKind::Tenant)
            .target(&user.id)
            .targets(&tenant_ids)
            .param("grant", "multipleTenantAdmin")
            .param("apiAuthorized", &new.api_authorized.to_string());
        let (pool_id, user_id, api, at) = (
            admin.pool_id().to_owned(),
            user.id.clone(),
            new.api_authorized,
            clock::now_ms(),
        );
        let ids = tenant_ids.clone();
        let names = self
            .audited_write(admin, entry, move |tx| {
                Box::pin(async move {
                    // Checked under the pool's lock with the writes, so a user or tenant
                    // deleted meanwhile is refused rather than half-granted.
                    if !tx.user_exists(&pool_id, &user_id).await? {
                        return Err(Error::UserNotFound);
                    }
                    let mut names = Vec::with_capacity(ids.len());
                    for tenant_id in &ids {
                        let tenant = tx
                            .tenant(&pool_id, tenant_id)
                            .await?
                            .ok_or(Error::NotFound(Entity::Tenant))?;
                        tx.add_tenant_member(&pool_id, tenant_id, &user_id, at)
                            .await?;
                        tx.set_tenant_admin(&pool_id, tenant_id, &user_id).await?;
                        names.push(tenant.name);
                    }
                    tx.put_multi_tenant_admin(&pool_id, &user_id, api, at)
                        .await?;
                    Ok(names)
                })
            })
            .await?;
        self.send_admin_notice(
            admin,
            &user,
            new.notify,
            AdminNotice::TenantAdmin { tenants: names },
        )
        .await;
        Ok(())
    }

    async fn with_users<G, T>(
        &self,
        admin: &PoolAdmin,
        grants: Vec<G>,
        user_id: impl Fn(&G) -> &str,
        make: impl Fn(G, User) -> T,
    ) -> Result<Vec<T>> {
        let ids: Vec<String> = grants.iter().map(|g| user_id(g).to_owned()).collect();
        let users = self
            .store
            .users_by_key(admin.pool_id(), UserKey::Id, &ids)
            .await?;
        Ok(grants
            .into_iter()
            .filter_map(|g| {
                let u = users.iter().find(|u| u.id == user_id(&g))?.clone();
                Some(make(g, u))
            })
            .collect())
    }

    async fn multi_tenant_admin_view(
        &self,
        admin: &PoolAdmin,
        g: AdminGrant,
        user: User,
    ) -> Result<MultiTenantAdmin> {
        let tenant_ids = self
            .store
            .tenants_administered(admin.pool_id(), &g.user_id)
            .await?;
        Ok(MultiTenantAdmin {
            user,
            api_authorized: g.api_authorized,
            tenant_ids,
            created_at: g.created_at,
        })
    }

    /// `listMultipleTenantAdmin`: one page of the pool's multi-tenant administrators, oldest
    /// grant first, with a keyword over the user's identifiers and names.
    pub async fn multi_tenant_admins(
        &self,
        admin: &PoolAdmin,
        keywords: Option<&str>,
        page: Page,
    ) -> Result<Paged<MultiTenantAdmin>> {
        let filter = GrantFilter {
            keyword: keyword(keywords)?,
            external: None,
        };
        let p = self
            .store
            .multi_tenant_admins(admin.pool_id(), &filter, page)
            .await?;
        let pairs = self
            .with_users(admin, p.list, |g| g.user_id.as_str(), |g, u| (g, u))
            .await?;
        let mut list = Vec::with_capacity(pairs.len());
        for (g, u) in pairs {
            list.push(self.multi_tenant_admin_view(admin, g, u).await?);
        }
        Ok(Paged {
            total_count: p.total_count,
            list,
        })
    }

    /// `getMultipleTenantAdmin`: the user's grant, `None` for a user of the pool who holds
    /// none; an unknown user is [`Error::UserNotFound`].
    pub async fn multi_tenant_admin(
        &self,
        admin: &PoolAdmin,
        user_id: &str,
    ) -> Result<Option<MultiTenantAdmin>> {
        let user = self
            .grantee(admin, user_id, NoticeChannels::default())
            .await?;
        match self
            .store
            .multi_tenant_admin(admin.pool_id(), &user.id)
            .await?
        {
            Some(g) => Ok(Some(self.multi_tenant_admin_view(admin, g, user).await?)),
            None => Ok(None),
        }
    }

    /// `createTenantCooperator`: the user holds exactly these policies of the pool (codes of
    /// the default namespace, or an administrator role's code standing for the policies it
    /// bundles; an unknown one refuses the call and writes nothing).
    pub async fn create_tenant_cooperator(
        &self,
        admin: &PoolAdmin,
        new: NewCooperator,
    ) -> Result<()> {
        if new.policies.is_empty() {
            return Err(Error::MissingParameter("policies"));
        }
        if new.policies.len() > MAX_POLICIES {
            return Err(Error::InvalidParameter("policies"));
        }
        let mut codes = Vec::with_capacity(new.policies.len());
        for c in &new.policies {
            let c = required_id("policies", c)?;
            if c.chars().count() > MAX_POLICY_CODE {
                return Err(Error::InvalidParameter("policies"));
            }
            codes.push(c);
        }
        let codes = unique(&codes);
        let user = self.grantee(admin, &new.user_id, new.notify).await?;
        let entry = AuditEntry::new(OperationType::Create, ResourceKind::Cooperator)
            .target(&user.id)
            .param("policies", &codes.join(","))
            .param("apiAuthorized", &new.api_authorized.to_string());
        let (pool_id, user_id, api, at) = (
            admin.pool_id().to_owned(),
            user.id.clone(),
            new.api_authorized,
            clock::now_ms(),
        );
        let wanted = codes.clone();
        self.audited_write(admin, entry, move |tx| {
            Box::pin(async move {
                if !tx.user_exists(&pool_id, &user_id).await? {
                    return Err(Error::UserNotFound);
                }
                let mut ids: Vec<String> = Vec::with_capacity(wanted.len());
                for code in &wanted {
                    // A policy's code, else an administrator role's: its policies as they
                    // are now (`service::sod`); a code naming neither is not found.
                    let found = match tx
                        .policy_id_by_code(&pool_id, DEFAULT_NAMESPACE, code)
                        .await?
                    {
                        Some(id) => vec![id],
                        None => match tx.admin_role_in_unit(&pool_id, code).await? {
                            Some(role) => tx.admin_role_policy_ids(&role.id).await?,
                            None => return Err(Error::NotFound(Entity::Policy)),
                        },
                    };
                    for id in found {
                        if !ids.contains(&id) {
                            ids.push(id);
                        }
                    }
                }
                tx.put_tenant_cooperator(&pool_id, &user_id, api, &ids, at)
                    .await
            })
        })
        .await?;
        self.send_admin_notice(
            admin,
            &user,
            new.notify,
            AdminNotice::Cooperator { policies: codes },
        )
        .await;
        Ok(())
    }

    /// `listTenantCooperators`: one page of the pool's cooperators, oldest grant first, by
    /// keyword and/or external state.
    pub async fn tenant_cooperators(
        &self,
        admin: &PoolAdmin,
        keywords: Option<&str>,
        external: Option<bool>,
        page: Page,
    ) -> Result<Paged<Cooperator>> {
        let filter = GrantFilter {
            keyword: keyword(keywords)?,
            external,
        };
        let p = self
            .store
            .tenant_cooperators(admin.pool_id(), &filter, page)
            .await?;
        let list = self
            .with_users(
                admin,
                p.list,
                |c| c.grant.user_id.as_str(),
                |c, user| Cooperator {
                    user,
                    api_authorized: c.grant.api_authorized,
                    external: c.external,
                    created_at: c.grant.created_at,
                },
            )
            .await?;
        Ok(Paged {
            total_count: p.total_count,
            list,
        })
    }

    /// `getTenantCooperator` / `getTenantCooperatorMenu`: the policies the cooperator holds
    /// and the menu they allow ([`Entity::TenantCooperator`] for a user who is none).
    pub async fn tenant_cooperator_rights(
        &self,
        admin: &PoolAdmin,
        user_id: &str,
    ) -> Result<CooperatorRights> {
        let user_id = required_id("userId", user_id)?;
        let pool_id = admin.pool_id();
        if self
            .store
            .tenant_cooperator(pool_id, &user_id)
            .await?
            .is_none()
        {
            return Err(Error::NotFound(Entity::TenantCooperator));
        }
        let policies = self.store.cooperator_policies(pool_id, &user_id).await?;
        Ok(CooperatorRights {
            policy_ids: policies.iter().map(|p| p.id.clone()).collect(),
            policy_codes: policies.iter().map(|p| p.code.clone()).collect(),
            menu: menu_of(policies.iter().flat_map(|p| p.statements.iter())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(resource: &str, effect: PolicyEffect) -> PolicyStatement {
        PolicyStatement {
            resource: resource.into(),
            actions: vec!["read".into()],
            effect,
            condition: Vec::new(),
        }
    }

    #[test]
    fn the_menu_is_the_allowed_resources_less_the_denied() {
        let s = [
            st("users", PolicyEffect::Allow),
            st("apps", PolicyEffect::Allow),
            st("users", PolicyEffect::Allow),
            st("audit", PolicyEffect::Allow),
            st("apps", PolicyEffect::Deny),
        ];
        assert_eq!(menu_of(s.iter()), vec!["users", "audit"]);
        assert!(menu_of([].iter()).is_empty());
    }
}
