//! The applications a user authorized, and withdrawing such an authorization.
//!
//! A user has authorized an application when he consented to its scopes on the consent page
//! (`oidc_consent`) or when the application holds a live grant for him (any grant: the
//! authorization code, password, token-exchange and device flows, and the v3 sign-in API,
//! all issue one). Withdrawing the authorization deletes the consent and revokes the grants
//! together, so the application's tokens stop working and its next authorization request
//! asks for consent again.

use std::collections::HashMap;

use super::granted_scopes;
use crate::clock;
use crate::error::{Error, Result};
use crate::model::{Application, UserPool};
use crate::store::oidc::AppAuthorization;
use crate::Core;

/// Most authorized applications one page may list.
pub const MAX_AUTHORIZED_APPS_PAGE: i64 = 100;

/// One application the user authorized: the scopes (the consent's, else those of its live
/// grants) and when (the consent's time, else its latest grant's; ms).
#[derive(Debug, Clone)]
pub struct AuthorizedApp {
    pub app: Application,
    pub scope: String,
    pub at: i64,
}

/// What withdrawing an authorization found and ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedAuthorization {
    /// Whether there was a consent or a live grant to end.
    pub revoked: bool,
    /// The scopes that were authorized, as [`AuthorizedApp::scope`].
    pub scope: Option<String>,
    /// When they were authorized, as [`AuthorizedApp::at`].
    pub at: Option<i64>,
}

/// Merges consents and grants into one authorization per application: the consent decides
/// scope and time when there is one; otherwise the grants' scopes together, at the latest.
fn merge(
    consents: Vec<AppAuthorization>,
    grants: Vec<AppAuthorization>,
) -> HashMap<String, (String, i64)> {
    let mut by_app: HashMap<String, (String, i64)> = HashMap::new();
    let consented: Vec<String> = consents.iter().map(|c| c.app_id.clone()).collect();
    for g in grants {
        if consented.contains(&g.app_id) {
            continue;
        }
        let e = by_app.entry(g.app_id).or_insert((String::new(), g.at));
        e.0 = granted_scopes(&format!("{} {}", e.0, g.scope)).join(" ");
        e.1 = e.1.max(g.at);
    }
    for c in consents {
        by_app.insert(c.app_id, (c.scope, c.at));
    }
    by_app
}

impl Core {
    /// The applications of `pool` the user `user_id` authorized, most recent first (ties by
    /// application id), one page of `limit` from page `page` (from 1), with the total.
    pub async fn user_authorized_apps(
        &self,
        pool: &UserPool,
        user_id: &str,
        page: i64,
        limit: i64,
    ) -> Result<(usize, Vec<AuthorizedApp>)> {
        if page < 1 {
            return Err(Error::InvalidParameter("page"));
        }
        if !(1..=MAX_AUTHORIZED_APPS_PAGE).contains(&limit) {
            return Err(Error::InvalidParameter("count"));
        }
        self.user_in_pool(&pool.id, user_id).await?;
        let consents = self.store.user_consents(&pool.id, user_id).await?;
        let grants = self
            .store
            .user_live_grants(&pool.id, user_id, clock::now_ms())
            .await?;
        let mut by_app = merge(consents, grants);
        let mut out: Vec<AuthorizedApp> = self
            .store
            .apps_with_config(&pool.id)
            .await?
            .into_iter()
            .filter_map(|(app, _)| {
                let (scope, at) = by_app.remove(&app.id)?;
                Some(AuthorizedApp { app, scope, at })
            })
            .collect();
        out.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.app.id.cmp(&b.app.id)));
        let total = out.len();
        let skip = usize::try_from((page - 1).saturating_mul(limit)).unwrap_or(usize::MAX);
        let take = usize::try_from(limit).unwrap_or(0);
        Ok((total, out.into_iter().skip(skip).take(take).collect()))
    }

    /// Withdraws the user's authorization of the application `app_id` of `pool`: its consent
    /// is deleted and every grant the user gave it revoked, in one transaction. Nothing to
    /// withdraw is not an error (`revoked: false`); an unknown user or application is.
    pub async fn revoke_user_authorized_app(
        &self,
        pool: &UserPool,
        user_id: &str,
        app_id: &str,
    ) -> Result<RevokedAuthorization> {
        self.user_in_pool(&pool.id, user_id).await?;
        self.store
            .app_with_config(&pool.id, app_id)
            .await?
            .ok_or(Error::AppNotFound)?;
        let now = clock::now_ms();
        let w = self
            .store
            .withdraw_app_authorization(&pool.id, user_id, app_id, now)
            .await?;
        // Grants already expired were not an authorization any more (nor listed).
        let live = w
            .grants
            .into_iter()
            .filter(|(_, expires_at)| *expires_at > now)
            .map(|(g, _)| g)
            .collect();
        let consent = w.consent.into_iter().collect();
        let found = merge(consent, live).remove(app_id);
        Ok(RevokedAuthorization {
            revoked: found.is_some(),
            scope: found.as_ref().map(|f| f.0.clone()),
            at: found.map(|f| f.1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(app: &str, scope: &str, at: i64) -> AppAuthorization {
        AppAuthorization {
            app_id: app.into(),
            scope: scope.into(),
            at,
        }
    }

    #[test]
    fn a_consent_decides_and_grants_fill_in() {
        let m = merge(
            vec![a("x", "openid email", 5)],
            vec![
                a("x", "openid profile", 9),
                a("y", "openid", 3),
                a("y", "openid offline_access", 7),
            ],
        );
        assert_eq!(m["x"], ("openid email".to_owned(), 5));
        assert_eq!(m["y"], ("openid offline_access".to_owned(), 7));
        assert_eq!(m.len(), 2);
    }
}
