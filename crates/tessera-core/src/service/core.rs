use std::sync::Arc;

use super::keys::DeploymentKeys;
use crate::alipay::{AlipayApi, NoAlipay};
use crate::crypto::password::{HashParams, PasswordHasher};
use crate::douyin::{DouyinApi, NoDouyin};
use crate::error::{Error, Result};
use crate::notify::Notifier;
use crate::oidc_upstream::{NoOidcUpstream, OidcUpstreamApi};
use crate::store::Store;
use crate::wechat::{NoWechat, WechatApi};

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
    /// The password-encryption key and the signing key ring (`keys.rs`).
    pub(crate) keys: Arc<DeploymentKeys>,
    pub(crate) notifier: Arc<dyn Notifier>,
    /// WeChat's server APIs for mini-program logins; [`crate::wechat::NoWechat`] (every
    /// call refused) until [`Core::set_wechat`] gives a client.
    pub(crate) wechat: Arc<dyn WechatApi>,
    /// Douyin's server API for its mini-programs; [`crate::douyin::NoDouyin`] until
    /// [`Core::set_douyin`] gives a client.
    pub(crate) douyin: Arc<dyn DouyinApi>,
    /// Alipay's gateway for the app login; [`crate::alipay::NoAlipay`] until
    /// [`Core::set_alipay`] gives a client.
    pub(crate) alipay: Arc<dyn AlipayApi>,
    /// External OpenID Providers' back channels (`oidc` connections);
    /// [`crate::oidc_upstream::NoOidcUpstream`] until [`Core::set_oidc_upstream`] gives a
    /// client.
    pub(crate) oidc_upstream: Arc<dyn OidcUpstreamApi>,
    pub(crate) captcha_hook: Option<super::codes::CaptchaHook>,
    /// One permit per core for argon2 work: more hashes at once would only time-slice the
    /// cores (every login slower, none sooner) and hold more 19 MiB working areas.
    pub(crate) hash_slots: tokio::sync::Semaphore,
    /// How many permits `hash_slots` started with.
    pub(crate) hash_slot_count: usize,
    /// Login outcomes and the hash queue, for operators (`stats.rs`).
    pub(crate) stats: crate::stats::CoreStats,
    /// The event center's wake-up signal and open-subscription counts (`events.rs`).
    pub(crate) events: super::events::EventHub,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("config", &self.config)
            .finish()
    }
}

impl Core {
    /// Opens the core on a migrated store. It reads the stored keys, so a corrupt key stops
    /// start-up with an error naming it; on first start it generates and stores the
    /// deployment's password-encryption key and first signing key before returning.
    pub async fn open(
        store: Arc<dyn Store>,
        config: CoreConfig,
        notifier: Arc<dyn Notifier>,
    ) -> Result<Core> {
        let core = Core::assemble(store, config, notifier).await?;
        // On a fresh store both keys are generated (RSA-2048, 0.1 to 0.5 s each): side by
        // side, on two blocking threads, they do not add up.
        core.keys.complete().await?;
        Ok(core)
    }

    /// [`Core::open`] for a server: stored keys are read and checked the same way, but keys
    /// the store lacks (first start) are generated in the background instead of before
    /// returning, so a first start can serve (and answer `/ready`) at once. Every use of a
    /// key waits until it exists; see `DeploymentKeys`.
    pub async fn open_for_serving(
        store: Arc<dyn Store>,
        config: CoreConfig,
        notifier: Arc<dyn Notifier>,
    ) -> Result<Core> {
        let core = Core::assemble(store, config, notifier).await?;
        core.keys.complete_in_background();
        Ok(core)
    }

    async fn assemble(
        store: Arc<dyn Store>,
        mut config: CoreConfig,
        notifier: Arc<dyn Notifier>,
    ) -> Result<Core> {
        config.public_url = config.public_url.trim_end_matches('/').to_owned();
        let hasher = PasswordHasher::new(config.hash_params)?;
        let keys = DeploymentKeys::open(Arc::clone(&store)).await?;
        let hash_slot_count = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        Ok(Core {
            store,
            config,
            hasher,
            keys,
            notifier,
            wechat: Arc::new(NoWechat),
            douyin: Arc::new(NoDouyin),
            alipay: Arc::new(NoAlipay),
            oidc_upstream: Arc::new(NoOidcUpstream),
            captcha_hook: None,
            hash_slots: tokio::sync::Semaphore::new(hash_slot_count),
            hash_slot_count,
            stats: crate::stats::CoreStats::default(),
            events: super::events::EventHub::default(),
        })
    }

    /// Gives the core a WeChat client, like the notifier but optional: a deployment without
    /// one refuses mini-program logins instead of failing to start. Set before the core is
    /// shared.
    pub fn set_wechat(&mut self, api: Arc<dyn WechatApi>) {
        self.wechat = api;
    }

    /// Gives the core a Douyin client, as [`Core::set_wechat`] does for WeChat.
    pub fn set_douyin(&mut self, api: Arc<dyn DouyinApi>) {
        self.douyin = api;
    }

    /// Gives the core an Alipay gateway client, as [`Core::set_wechat`] does for WeChat.
    pub fn set_alipay(&mut self, api: Arc<dyn AlipayApi>) {
        self.alipay = api;
    }

    /// Gives the core a client of external OpenID Providers, as [`Core::set_wechat`] does
    /// for WeChat.
    pub fn set_oidc_upstream(&mut self, api: Arc<dyn OidcUpstreamApi>) {
        self.oidc_upstream = api;
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
        let waiting = self.stats.hash_queued();
        let _slot = self
            .hash_slots
            .acquire()
            .await
            .map_err(|_| Error::Internal("hash slots closed".into()))?;
        let _running = waiting.running();
        Core::blocking(f).await
    }

    /// Logins of this process so far that ended with `outcome`.
    pub fn login_count(&self, outcome: crate::stats::LoginOutcome) -> u64 {
        self.stats.logins(outcome)
    }

    /// The password-hash queue of this process now.
    pub fn hash_queue(&self) -> crate::stats::HashQueue {
        self.stats.hash_queue(self.hash_slot_count)
    }

    /// How the store's connection pools are used now.
    pub fn pool_usage(&self) -> Vec<crate::stats::PoolUsage> {
        self.store.pool_usage()
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
