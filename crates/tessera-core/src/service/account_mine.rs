//! What a logged-in user may read about their own account (`v3-wire.md` §5.6 "My
//! resources", "Account linking"): their login history, the applications they are logged in
//! to or may use, their tenants, and their links to external providers. Every answer comes
//! from the rule the management side uses for the same question (the login history, the
//! live-login rule, the application access policies), scoped to the session's user, so the
//! two views cannot disagree. Roles, groups, departments and resources need no service here:
//! the directory resolver already answers them per user.

use std::collections::HashMap;

use super::account::Session;
use super::directory::{granted_actions, grants_allow};
use super::paging::{Page, Paged};
use super::Core;
use crate::error::{Entity, Error, Result};
use crate::model::directory::AuthorizedResource;
use crate::model::tenant::{ExtIdp, Tenant};
use crate::model::Application;
use crate::store::users::{LoginEvent, LoginEventQuery};

/// Filters of `getLoginHistory`.
#[derive(Debug, Clone, Default)]
pub struct MyLoginFilter {
    pub app_id: Option<String>,
    pub client_ip: Option<String>,
    /// Inclusive bounds, ms.
    pub start: Option<i64>,
    pub end: Option<i64>,
}

/// An application the user holds a live login to, or may sign in to.
#[derive(Debug, Clone)]
pub struct MyApp {
    pub app: Application,
    /// Whether the user holds a live login to it now.
    pub active: bool,
}

/// A tenant of the user with the time they joined it.
#[derive(Debug, Clone)]
pub struct MyTenant {
    pub tenant: Tenant,
    pub joined_at: i64,
}

impl Core {
    /// `getLoginHistory`: the user's recorded logins, newest first.
    pub async fn my_login_history(
        &self,
        s: &Session,
        f: &MyLoginFilter,
        page: Page,
    ) -> Result<Paged<LoginEvent>> {
        let q = LoginEventQuery {
            user_ids: vec![s.user().id.clone()],
            app_ids: f.app_id.iter().cloned().collect(),
            ip: f.client_ip.clone(),
            start: f.start,
            end: f.end,
        };
        self.store.login_events(&s.pool().id, &q, page).await
    }

    /// `getLoggedInApps`: the pool's applications the user holds a live login to (the rule
    /// of the administrator's `getUserLoggedinApps`), oldest application first.
    pub async fn my_logged_in_apps(&self, s: &Session) -> Result<Vec<MyApp>> {
        let pool = s.pool();
        let user = self.user_by_id(&pool.id, &s.user().id).await?;
        let mut out = Vec::new();
        for (app, _) in self.store.apps_with_config(&pool.id).await? {
            if self.login_is_live(pool, &user, Some(&app.id)).await? {
                out.push(MyApp { app, active: true });
            }
        }
        Ok(out)
    }

    /// `getAccessibleApps`: the applications the access policies let the user sign in to
    /// (the rule the login obeys), each with whether a live login to it is held.
    pub async fn my_accessible_apps(&self, s: &Session) -> Result<Vec<MyApp>> {
        let pool = s.pool();
        let user = self.user_by_id(&pool.id, &s.user().id).await?;
        let (_, apps) = self
            .allowed_apps(&pool.id, &user.id, 1, super::directory::MAX_PAGE_LIMIT)
            .await?;
        let mut out = Vec::with_capacity(apps.len());
        for app in apps {
            let active = self.login_is_live(pool, &user, Some(&app.id)).await?;
            out.push(MyApp { app, active });
        }
        Ok(out)
    }

    /// `getTenantList`: the tenants the user is a member of, oldest membership first.
    pub async fn my_tenants(&self, s: &Session) -> Result<Vec<MyTenant>> {
        let pool_id = &s.pool().id;
        let user_id = &s.user().id;
        let mut out = Vec::new();
        for tenant in self.store.tenants_of_user(pool_id, user_id).await? {
            let joined_at = self
                .store
                .tenant_member(pool_id, &tenant.id, user_id)
                .await?
                .map_or(tenant.created_at, |m| m.created_at);
            out.push(MyTenant { tenant, joined_at });
        }
        Ok(out)
    }

    /// `unlinkExtIdp`: removes the user's links through the provider `ext_idp_id` (named
    /// as `IdentityDto.extIdpId` names it: the connection the link came through, or the
    /// provider owning that connection). Refused when a link is the account's last way to
    /// log in; a provider the user has no link to is "not found".
    pub async fn unlink_my_ext_idp(&self, s: &Session, ext_idp_id: &str) -> Result<()> {
        let ext_idp_id = ext_idp_id.trim();
        if ext_idp_id.is_empty() {
            return Err(Error::MissingParameter("extIdpId"));
        }
        let pool_id = &s.pool().id;
        let user = self.user_by_id(pool_id, &s.user().id).await?;
        let mut conn_ids = vec![ext_idp_id.to_owned()];
        if let Some(idp) = self.store.get_ext_idp(pool_id, ext_idp_id).await? {
            conn_ids.extend(idp.connections.into_iter().map(|c| c.id));
        }
        let all = self.store.list_identities(pool_id, &user.id).await?;
        let (gone, kept): (Vec<_>, Vec<_>) = all.into_iter().partition(|i| {
            i.connection_id
                .as_ref()
                .is_some_and(|c| conn_ids.contains(c))
        });
        if gone.is_empty() {
            return Err(Error::NotFound(Entity::ExternalIdentity));
        }
        let has_password_login = user.password_hash.is_some()
            && (user.email.is_some() || user.phone.is_some() || user.username.is_some());
        let has_code_login = user.email.is_some() || user.phone.is_some();
        if kept.is_empty() && !has_password_login && !has_code_login {
            return Err(Error::OnlyLoginMethod);
        }
        for i in &gone {
            self.store
                .delete_identity(pool_id, &user.id, &i.provider, &i.user_id_in_idp)
                .await?;
        }
        Ok(())
    }

    /// `getApplicationEnabledExtIdps`: the pool's own providers (not a tenant's) with at
    /// least one enabled connection, only those connections kept. Tessera does not bind
    /// providers to single applications, so every application of the pool offers these.
    pub async fn app_enabled_ext_idps(&self, app: &Application) -> Result<Vec<ExtIdp>> {
        let mut idps = self.store.list_ext_idps(&app.pool_id, None).await?;
        idps.retain(|i| i.tenant_id.is_none());
        for i in &mut idps {
            i.connections.retain(|c| c.enabled);
        }
        idps.retain(|i| !i.connections.is_empty());
        Ok(idps)
    }

    /// The names of the session pool's namespaces `codes` name, by code; a namespace
    /// without a row (the default one before anyone created it) is named by its code.
    pub async fn my_namespace_names(
        &self,
        s: &Session,
        codes: &[String],
    ) -> Result<HashMap<String, String>> {
        let mut out = HashMap::new();
        for code in codes {
            if out.contains_key(code) {
                continue;
            }
            let name = self
                .store
                .find_namespace(&s.pool().id, code)
                .await?
                .and_then(|n| n.name)
                .unwrap_or_else(|| code.clone());
            out.insert(code.clone(), name);
        }
        Ok(out)
    }

    /// The session user's resources in one namespace, from the one resolver.
    pub async fn my_resources_in(
        &self,
        s: &Session,
        namespace: &str,
    ) -> Result<Vec<AuthorizedResource>> {
        self.authorized_resources(&s.pool().id, &s.user().id, Some(namespace), None)
            .await
    }

    /// `checkPermissionBy*Resource`: for each resource, whether the user may perform
    /// `action` on it in `namespace` — [`Core::is_allowed`]'s decision, resolved once for
    /// the whole list. A tree resource (`root/child/leaf`) is also allowed by a grant on
    /// any of its ancestors (`root/child`, `root`): a grant on a node covers its subtree.
    pub async fn check_my_permissions(
        &self,
        s: &Session,
        namespace: &str,
        resources: &[String],
        action: &str,
        tree: bool,
    ) -> Result<Vec<bool>> {
        if resources.is_empty() {
            return Err(Error::MissingParameter("resources"));
        }
        if action.trim().is_empty() {
            return Err(Error::MissingParameter("action"));
        }
        if resources.iter().any(|r| r.trim().is_empty()) {
            return Err(Error::InvalidParameter("resources"));
        }
        let granted = self.my_resources_in(s, namespace).await?;
        Ok(resources
            .iter()
            .map(|r| {
                if tree {
                    tree_prefixes(r).any(|p| grants_allow(&granted, p, action))
                } else {
                    grants_allow(&granted, r, action)
                }
            })
            .collect())
    }

    /// `getUserAuthResourcePermissionList`: the actions granted on each resource.
    pub async fn my_resource_actions(
        &self,
        s: &Session,
        namespace: &str,
        resources: &[String],
    ) -> Result<Vec<Vec<String>>> {
        if resources.is_empty() {
            return Err(Error::MissingParameter("resources"));
        }
        let granted = self.my_resources_in(s, namespace).await?;
        Ok(resources
            .iter()
            .map(|r| granted_actions(&granted, r))
            .collect())
    }
}

/// `a/b/c`, `a/b`, `a`: a tree path and its ancestors, longest first.
fn tree_prefixes(path: &str) -> impl Iterator<Item = &str> {
    let path = path.trim_matches('/');
    std::iter::successors(Some(path), |p| p.rfind('/').map(|i| &p[..i]))
}

#[cfg(test)]
mod tests {
    use super::tree_prefixes;

    #[test]
    fn a_tree_path_and_its_ancestors() {
        assert_eq!(
            tree_prefixes("/a/b/c").collect::<Vec<_>>(),
            ["a/b/c", "a/b", "a"]
        );
        assert_eq!(tree_prefixes("a").collect::<Vec<_>>(), ["a"]);
    }
}
