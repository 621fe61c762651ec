//! User pools: creation (with a first application and access key), first-start bootstrap.

use super::Core;
use crate::clock;
use crate::error::{Error, Result};
use crate::ids;
use crate::model::{AccessKey, Application, OidcSettings, PoolSettings, UserPool};
use crate::store::NewPool;

/// Everything a client needs to use a new pool (shown once, by `tessera pool create`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolCredentials {
    pub user_pool_id: String,
    pub secret: String,
    pub app_id: String,
    pub app_secret: String,
    pub app_host: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    pub public_key: String,
}

/// A pool as listed by `tessera pool list` (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolSummary {
    pub user_pool_id: String,
    pub name: String,
    pub domain: String,
    pub app_ids: Vec<String>,
    pub user_count: i64,
    pub created_at: String,
}

pub const MAX_POOL_NAME_LEN: usize = 128;

impl Core {
    fn new_pool_bundle(&self, name: &str) -> Result<NewPool> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::MissingParameter("name"));
        }
        if name.chars().count() > MAX_POOL_NAME_LEN || name.chars().any(char::is_control) {
            return Err(Error::InvalidParameter("name"));
        }
        let now = clock::now_ms();
        let pool_id = ids::new_id();
        let app_id = ids::new_id();
        let pool = UserPool {
            domain: pool_id.clone(),
            id: pool_id.clone(),
            name: name.to_owned(),
            description: None,
            logo: None,
            secret: ids::new_secret(16),
            settings: PoolSettings::default(),
            created_at: now,
            updated_at: now,
        };
        let app = Application {
            identifier: app_id.clone(),
            id: app_id,
            pool_id: pool_id.clone(),
            name: name.to_owned(),
            description: None,
            logo: None,
            secret: ids::new_secret(16),
            oidc: OidcSettings::default(),
            created_at: now,
            updated_at: now,
        };
        let access_key = AccessKey {
            id: ids::new_id(),
            pool_id,
            app_id: None,
            secret: ids::new_secret(16),
            enabled: true,
            created_at: now,
        };
        Ok(NewPool {
            pool,
            app,
            access_key,
        })
    }

    /// Adds an application to a pool.
    pub async fn create_application(&self, pool_id: &str, name: &str) -> Result<Application> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::MissingParameter("name"));
        }
        if name.chars().count() > MAX_POOL_NAME_LEN || name.chars().any(char::is_control) {
            return Err(Error::InvalidParameter("name"));
        }
        self.pool(pool_id).await?;
        let now = clock::now_ms();
        let id = ids::new_id();
        let app = Application {
            identifier: id.clone(),
            id,
            pool_id: pool_id.to_owned(),
            name: name.to_owned(),
            description: None,
            logo: None,
            secret: ids::new_secret(16),
            oidc: OidcSettings::default(),
            created_at: now,
            updated_at: now,
        };
        self.store.insert_app(&app).await?;
        Ok(app)
    }

    async fn credentials(&self, new: &NewPool) -> Result<PoolCredentials> {
        Ok(PoolCredentials {
            user_pool_id: new.pool.id.clone(),
            secret: new.pool.secret.clone(),
            app_id: new.app.id.clone(),
            app_secret: new.app.secret.clone(),
            app_host: self.config.public_url.clone(),
            access_key_id: new.access_key.id.clone(),
            access_key_secret: new.access_key.secret.clone(),
            public_key: self.password_public_key_pem().await?.to_owned(),
        })
    }

    /// Creates a pool with one application and one access key, atomically.
    pub async fn create_pool(&self, name: &str) -> Result<PoolCredentials> {
        let new = self.new_pool_bundle(name)?;
        self.store.create_pool(&new).await?;
        self.credentials(&new).await
    }

    /// On a store that was never bootstrapped, creates the default pool and returns its
    /// credentials; otherwise `None`. Safe when several processes start at once.
    pub async fn bootstrap(&self) -> Result<Option<PoolCredentials>> {
        let new = self.new_pool_bundle("Default")?;
        if self.store.bootstrap_pool(&new).await? {
            Ok(Some(self.credentials(&new).await?))
        } else {
            Ok(None)
        }
    }

    pub async fn list_pools(&self) -> Result<Vec<PoolSummary>> {
        let pools = self.store.list_pools().await?;
        let mut out = Vec::with_capacity(pools.len());
        for p in pools {
            let app_ids = self
                .store
                .list_apps(&p.id)
                .await?
                .into_iter()
                .map(|a| a.id)
                .collect();
            out.push(PoolSummary {
                user_count: self.store.count_users(&p.id).await?,
                user_pool_id: p.id,
                name: p.name,
                domain: p.domain,
                app_ids,
                created_at: clock::iso8601(p.created_at),
            });
        }
        Ok(out)
    }

    pub async fn pool(&self, id: &str) -> Result<UserPool> {
        self.store.get_pool(id).await?.ok_or(Error::PoolNotFound)
    }

    pub async fn app(&self, id: &str) -> Result<Application> {
        self.store.get_app(id).await?.ok_or(Error::AppNotFound)
    }

    /// The application `id` and its pool in one read: [`Core::app`] then [`Core::pool`] of
    /// its `pool_id`, with the same errors.
    pub async fn app_and_pool(&self, id: &str) -> Result<(Application, UserPool)> {
        let (app, pool) = self
            .store
            .get_app_and_pool(id)
            .await?
            .ok_or(Error::AppNotFound)?;
        Ok((app, pool.ok_or(Error::PoolNotFound)?))
    }
}
