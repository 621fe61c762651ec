use std::sync::{Arc, RwLock};

use crate::crypto::keyring::KeySet;
use crate::crypto::password::{HashParams, PasswordHasher};
use crate::crypto::transport::TransportKey;
use crate::error::{Error, Result};
use crate::notify::Notifier;
use crate::store::Store;

/// Settings of the core that come from the deployment's configuration.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// The public base URL (`https://id.example.com`), without a trailing slash. Tokens and
    /// discovery documents carry it.
    pub public_url: String,
    pub hash_params: HashParams,
}

/// The identity core: one per process, shared by every façade.
pub struct Core {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) config: CoreConfig,
    pub(crate) hasher: PasswordHasher,
    pub(crate) transport: TransportKey,
    pub(crate) keys: RwLock<Arc<KeySet>>,
    pub(crate) keys_loaded_at: std::sync::atomic::AtomicI64,
    pub(crate) notifier: Arc<dyn Notifier>,
    pub(crate) captcha_hook: Option<super::codes::CaptchaHook>,
    /// One permit per core for argon2 work: more hashes at once would only time-slice the
    /// cores (every login slower, none sooner) and hold more 19 MiB working areas.
    pub(crate) hash_slots: tokio::sync::Semaphore,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("config", &self.config)
            .finish()
    }
}

impl Core {
    /// Opens the core on a migrated store. On first start this generates and stores the
    /// deployment's password-encryption key and first signing key; on every start it parses
    /// all stored keys, so a corrupt key stops start-up with an error naming it.
    pub async fn open(
        store: Arc<dyn Store>,
        mut config: CoreConfig,
        notifier: Arc<dyn Notifier>,
    ) -> Result<Core> {
        config.public_url = config.public_url.trim_end_matches('/').to_owned();
        let hasher = PasswordHasher::new(config.hash_params)?;
        // On a fresh store both keys are generated (RSA-2048, ~0.1 s each): side by side, on
        // two blocking threads, they do not add up in the start-up time.
        let (transport, keys) = tokio::try_join!(
            super::keys::load_or_create_transport_key(store.as_ref()),
            super::keys::load_or_create_signing_keys(store.as_ref()),
        )?;
        Ok(Core {
            store,
            config,
            hasher,
            transport,
            keys: RwLock::new(Arc::new(keys)),
            keys_loaded_at: std::sync::atomic::AtomicI64::new(crate::clock::now_ms()),
            notifier,
            captcha_hook: None,
            hash_slots: tokio::sync::Semaphore::new(
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1),
            ),
        })
    }

    pub fn config(&self) -> &CoreConfig {
        &self.config
    }

    pub fn public_url(&self) -> &str {
        &self.config.public_url
    }

    /// The token issuer: `<public url>/oidc`, as Authing's tokens carry.
    pub fn issuer(&self) -> String {
        format!("{}/oidc", self.config.public_url)
    }

    /// The SPKI PEM the SDKs encrypt passwords with (`GET /api/v2/.well-known`).
    pub fn password_public_key_pem(&self) -> &str {
        self.transport.public_pem()
    }

    /// Decrypts a password as the official SDKs send it.
    pub fn decrypt_password(&self, ciphertext: &str) -> Result<String> {
        self.transport.decrypt(ciphertext)
    }

    /// Deletes what has outlived its use: expired revocations, codes, sessions and rate
    /// windows, and signing keys past their retirement. Returns how many rows went.
    pub async fn housekeeping(&self) -> Result<u64> {
        let now = crate::clock::now_ms();
        let purged = self.store.purge_expired(now).await?;
        let keys = self.store.delete_retired_signing_keys(now).await?;
        Ok(purged + keys)
    }

    /// Store readiness, for `/ready`.
    pub async fn ready(&self) -> Result<()> {
        self.store.ping().await
    }

    /// Runs `work` as one unit of work on `pool_id`'s data: a write transaction that holds
    /// the pool's lock, committed if `work` succeeds and rolled back at once if it fails (a
    /// transaction left to be dropped would keep SQLite's write lock until its connection
    /// is reused). `work` gets the transaction and may borrow nothing else: it owns what it
    /// needs, so the lock is held for statements, not for the caller's other work.
    pub(crate) async fn pool_write<T, F>(&self, pool_id: &str, work: F) -> Result<T>
    where
        T: Send,
        F: for<'t> FnOnce(
                &'t mut dyn crate::store::WriteTx,
            ) -> crate::store::unit::UnitFuture<'t, T>
            + Send,
    {
        let mut tx = self.store.begin_pool_write(pool_id).await?;
        let result = work(tx.as_mut()).await;
        match result {
            Ok(v) => {
                tx.commit().await?;
                Ok(v)
            }
            Err(e) => {
                tx.rollback().await?;
                Err(e)
            }
        }
    }

    /// Runs one password hash or verification off the async workers, waiting (in arrival
    /// order) for a free core first.
    pub(crate) async fn hashing<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce() -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let _slot = self
            .hash_slots
            .acquire()
            .await
            .map_err(|_| Error::Internal("hash slots closed".into()))?;
        Core::blocking(f).await
    }

    /// Runs CPU-heavy work (password hashing) off the async runtime's worker threads.
    pub(crate) async fn blocking<T, F>(f: F) -> Result<T>
    where
        F: FnOnce() -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| Error::Internal(format!("blocking task failed: {e}")))?
    }
}
