//! Pool settings and the registration whitelist.

use super::Core;
use crate::clock;
use crate::error::{Error, Result};
use crate::model::{Application, PoolSettings, UserPool};
use crate::rules::identifiers;
use crate::store::apps::AppListMatch;

/// The kinds of whitelist entries (`domain-notes.md` §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhitelistType {
    Username,
    Email,
    Phone,
}

impl WhitelistType {
    pub fn as_str(self) -> &'static str {
        match self {
            WhitelistType::Username => "USERNAME",
            WhitelistType::Email => "EMAIL",
            WhitelistType::Phone => "PHONE",
        }
    }

    pub fn parse(s: &str) -> Option<WhitelistType> {
        Some(match s {
            "USERNAME" => WhitelistType::Username,
            "EMAIL" => WhitelistType::Email,
            "PHONE" => WhitelistType::Phone,
            _ => return None,
        })
    }
}

/// The matching key of a whitelist value: emails case-insensitively, phones as `+cc number`.
pub(crate) fn whitelist_key(pool: &UserPool, kind: WhitelistType, value: &str) -> Result<String> {
    Ok(match kind {
        WhitelistType::Username => identifiers::username(value)?,
        WhitelistType::Email => identifiers::email(value)?.1,
        WhitelistType::Phone => {
            let (cc, n) =
                identifiers::phone(value, None, &pool.settings.default_phone_country_code)?;
            format!("{cc} {n}")
        }
    })
}

impl Core {
    /// Replaces a pool's settings.
    pub async fn update_pool_settings(
        &self,
        pool_id: &str,
        settings: PoolSettings,
    ) -> Result<UserPool> {
        if settings.token_expires_after < 1 || settings.password_strength > 4 {
            return Err(Error::InvalidParameter("settings"));
        }
        self.modify_pool(pool_id, |p| {
            let mut p = p.clone();
            p.settings = settings.clone();
            async move { Ok(p) }
        })
        .await
    }

    /// Read-modify-write of a pool with a version check: `change` computes the new pool from
    /// the one stored, and the write applies only if nobody changed the pool since that
    /// read; otherwise it runs again on the newer pool. So two administrators editing
    /// different settings at once both land, and neither undoes the other.
    pub(crate) async fn modify_pool<'a, F, Fut>(
        &'a self,
        pool_id: &str,
        change: F,
    ) -> Result<UserPool>
    where
        F: Fn(&UserPool) -> Fut,
        Fut: std::future::Future<Output = Result<UserPool>> + 'a,
    {
        const ATTEMPTS: usize = 8;
        for _ in 0..ATTEMPTS {
            let current = self.pool(pool_id).await?;
            let mut next = change(&current).await?;
            // Strictly newer than the version read, even within one millisecond, so the
            // version check of a concurrent writer that read the same row cannot pass.
            next.updated_at = clock::now_ms().max(current.updated_at + 1);
            if self.store.update_pool(&next, current.updated_at).await? {
                return Ok(next);
            }
        }
        Err(Error::ConcurrentChange)
    }

    pub async fn add_whitelist(
        &self,
        pool_id: &str,
        kind: WhitelistType,
        values: &[&str],
    ) -> Result<()> {
        let pool = self.pool(pool_id).await?;
        let entries = values
            .iter()
            .map(|v| Ok((v.trim().to_owned(), whitelist_key(&pool, kind, v)?)))
            .collect::<Result<Vec<_>>>()?;
        self.store
            .add_whitelist(pool_id, kind.as_str(), &entries)
            .await
    }

    /// Refuses a self-service registration whose identifier a list that applies does not
    /// hold. Administrators' creations never come through here.
    ///
    /// The rule, per type of identifier the registration carries: the pool's list applies
    /// when the pool's switch for that type is on; the application's list (when the
    /// registration comes through an application) applies when it has at least one entry
    /// of that type (`service::app_whitelist`). Every list that applies must hold the
    /// identifier; with none applying, the identifier is free to register.
    pub(crate) async fn check_whitelist(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        username: Option<&str>,
        email: Option<&str>,
        phone: Option<(&str, &str)>,
    ) -> Result<()> {
        let w = pool.settings.whitelist;
        let mut checks: Vec<(WhitelistType, bool, String)> = Vec::new();
        if let Some(u) = username {
            checks.push((WhitelistType::Username, w.username_enabled, u.to_owned()));
        }
        if let Some(e) = email {
            checks.push((
                WhitelistType::Email,
                w.email_enabled,
                identifiers::email_key(e),
            ));
        }
        if let Some((cc, n)) = phone {
            checks.push((WhitelistType::Phone, w.phone_enabled, format!("{cc} {n}")));
        }
        for (kind, pool_enabled, key) in checks {
            if pool_enabled
                && !self
                    .store
                    .is_whitelisted(&pool.id, kind.as_str(), &key)
                    .await?
            {
                return Err(Error::NotWhitelisted);
            }
            if let Some(app) = app {
                let standing = self
                    .store
                    .app_whitelist_match(&pool.id, &app.id, kind.as_str(), &key)
                    .await?;
                if standing == AppListMatch::NotListed {
                    return Err(Error::NotWhitelisted);
                }
            }
        }
        Ok(())
    }
}
