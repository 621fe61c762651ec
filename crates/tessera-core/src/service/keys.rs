//! Deployment keys: the SDKs' password-encryption keys (RSA and SM2), the ES256 key, the
//! key sealing ASA account information at rest and the token signing key ring.
//!
//! Keys live in the store, not in a process: every server sharing a database uses the same
//! keys, a rotation done by `tessera keys rotate` reaches running servers within
//! [`KEY_REFRESH_MS`], and a token whose `kid` a server has not seen yet triggers a reload.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use tokio::sync::OnceCell;

use super::Core;
use crate::clock;
use crate::crypto::ec::EcSigningKey;
use crate::crypto::keyring::{generate_signing_key, KeySet};
use crate::crypto::sealing::SealingKey;
use crate::crypto::sm2::Sm2Key;
use crate::crypto::transport::TransportKey;
use crate::crypto::PasswordEncryption;
use crate::error::{Error, Result};
use crate::model::keys::secret_names;
use crate::store::Store;

/// How long a process serves its in-memory copy of the key ring before re-reading the store.
pub const KEY_REFRESH_MS: i64 = 30_000;
/// Extra life given to a rotated-out key beyond the longest token lifetime, covering servers
/// that sign with it until their next refresh.
pub const ROTATION_GRACE_MS: i64 = 3_600_000;
/// An unknown `kid` reloads the ring at most this often, so forged kids cannot flood the store.
const UNKNOWN_KID_RELOAD_MS: i64 = 1_000;

/// The deployment's keys as one process holds them: the password-encryption keys (RSA, SM2),
/// the ES256 key and the signing key ring.
///
/// Opening reads whatever the store holds, so a corrupt stored key stops start-up. A key the
/// store does not hold yet (first start) has to be generated: RSA-2048, 0.1 to 0.5 s of CPU
/// each. Everything that uses a key goes through [`DeploymentKeys::transport`] or
/// [`DeploymentKeys::ring`], which generate and store it on first use, or wait while another
/// task of this process does, so nothing can run with a missing key; that is what lets
/// [`Core::open_for_serving`] leave the generation to a background task. Several processes
/// racing on one fresh store still agree on one key of each kind: the store keeps the first
/// written (`put_secret_if_absent`, `add_first_signing_key`) and every process uses what the
/// store kept.
pub(crate) struct DeploymentKeys {
    store: Arc<dyn Store>,
    transport: OnceCell<TransportKey>,
    sm2: OnceCell<Sm2Key>,
    es256: OnceCell<EcSigningKey>,
    /// The key sealing ASA account information at rest (`service::asa_accounts`).
    sealing: OnceCell<SealingKey>,
    /// Set once the ring below holds the stored keys (at least one that signs).
    ring_loaded: OnceCell<()>,
    ring: RwLock<Arc<KeySet>>,
    ring_loaded_at: AtomicI64,
}

impl DeploymentKeys {
    /// Reads and checks the keys the store holds; what it lacks is left to generate.
    pub(crate) async fn open(store: Arc<dyn Store>) -> Result<Arc<DeploymentKeys>> {
        let keys = DeploymentKeys {
            store,
            transport: OnceCell::new(),
            sm2: OnceCell::new(),
            es256: OnceCell::new(),
            sealing: OnceCell::new(),
            ring_loaded: OnceCell::new(),
            ring: RwLock::new(Arc::new(KeySet::from_stored(&[], 0)?)),
            ring_loaded_at: AtomicI64::new(0),
        };
        if let Some(pem) = keys
            .store
            .get_secret(secret_names::PASSWORD_RSA_KEY)
            .await?
        {
            // Nothing else can have set the cell yet: it was created above.
            let _ = keys.transport.set(TransportKey::from_pem(&pem)?);
        }
        if let Some(hex) = keys
            .store
            .get_secret(secret_names::PASSWORD_SM2_KEY)
            .await?
        {
            let _ = keys.sm2.set(Sm2Key::from_hex(&hex)?);
        }
        if let Some(pem) = keys.store.get_secret(secret_names::ES256_KEY).await? {
            let _ = keys.es256.set(EcSigningKey::from_pem(&pem)?);
        }
        if let Some(hex) = keys.store.get_secret(secret_names::ASA_SEALING_KEY).await? {
            let _ = keys.sealing.set(SealingKey::from_hex(&hex)?);
        }
        let stored = keys.store.list_signing_keys().await?;
        if !stored.is_empty() {
            keys.install(usable(KeySet::from_stored(&stored, clock::now_ms())?)?);
            let _ = keys.ring_loaded.set(());
        }
        Ok(Arc::new(keys))
    }

    /// The password-encryption key, generated and stored first if the store has none.
    pub(crate) async fn transport(&self) -> Result<&TransportKey> {
        self.transport
            .get_or_try_init(|| load_or_create_transport_key(self.store.as_ref()))
            .await
    }

    /// The SM2 password-encryption key, generated and stored first if the store has none
    /// (cheap: one scalar multiplication).
    pub(crate) async fn sm2(&self) -> Result<&Sm2Key> {
        self.sm2
            .get_or_try_init(|| async {
                let hex = match self
                    .store
                    .get_secret(secret_names::PASSWORD_SM2_KEY)
                    .await?
                {
                    Some(hex) => hex,
                    None => {
                        let fresh = Sm2Key::generate_hex()?;
                        self.store
                            .put_secret_if_absent(secret_names::PASSWORD_SM2_KEY, &fresh)
                            .await?
                    }
                };
                Sm2Key::from_hex(&hex)
            })
            .await
    }

    /// The ES256 key, generated and stored first if the store has none (cheap: P-256).
    pub(crate) async fn es256(&self) -> Result<&EcSigningKey> {
        self.es256
            .get_or_try_init(|| async {
                let pem = match self.store.get_secret(secret_names::ES256_KEY).await? {
                    Some(pem) => pem,
                    None => {
                        let fresh = EcSigningKey::generate_pem()?;
                        self.store
                            .put_secret_if_absent(secret_names::ES256_KEY, &fresh)
                            .await?
                    }
                };
                EcSigningKey::from_pem(&pem)
            })
            .await
    }

    /// The key sealing ASA account information, generated and stored first if the store has
    /// none (cheap: 32 random bytes).
    pub(crate) async fn sealing(&self) -> Result<&SealingKey> {
        self.sealing
            .get_or_try_init(|| async {
                let hex = match self.store.get_secret(secret_names::ASA_SEALING_KEY).await? {
                    Some(hex) => hex,
                    None => {
                        let fresh = SealingKey::generate_hex()?;
                        self.store
                            .put_secret_if_absent(secret_names::ASA_SEALING_KEY, &fresh)
                            .await?
                    }
                };
                SealingKey::from_hex(&hex)
            })
            .await
    }

    /// Makes sure the ring holds the stored signing keys, generating the first key if the
    /// store has none.
    pub(crate) async fn ring(&self) -> Result<()> {
        self.ring_loaded
            .get_or_try_init(|| async {
                let set = load_or_create_signing_keys(self.store.as_ref()).await?;
                self.install(set);
                Ok::<(), Error>(())
            })
            .await?;
        Ok(())
    }

    /// Generates whatever the store lacks, every key at once, and returns when done.
    pub(crate) async fn complete(&self) -> Result<()> {
        tokio::try_join!(
            self.transport(),
            self.ring(),
            self.es256(),
            self.sm2(),
            self.sealing()
        )?;
        Ok(())
    }

    /// Generates whatever the store lacks in a background task. The keys are made one
    /// after the other, so the generation keeps at most one core busy and start-up keeps the
    /// others. A failure is logged; the next use of the key tries again.
    pub(crate) fn complete_in_background(self: &Arc<Self>) {
        if self.transport.initialized()
            && self.ring_loaded.initialized()
            && self.es256.initialized()
            && self.sm2.initialized()
            && self.sealing.initialized()
        {
            return;
        }
        let keys = Arc::clone(self);
        tokio::spawn(async move {
            let done = async {
                keys.transport().await?;
                keys.es256().await?;
                keys.sm2().await?;
                keys.sealing().await?;
                keys.ring().await
            };
            if let Err(e) = done.await {
                tracing::warn!(error = %e, "generating the deployment keys failed; the next request that needs them tries again");
            }
        });
    }

    fn cached(&self) -> Arc<KeySet> {
        match self.ring.read() {
            Ok(k) => Arc::clone(&k),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn install(&self, set: KeySet) {
        let set = Arc::new(set);
        match self.ring.write() {
            Ok(mut k) => *k = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
        self.ring_loaded_at
            .store(clock::now_ms(), Ordering::Relaxed);
    }
}

async fn load_or_create_transport_key(store: &dyn Store) -> Result<TransportKey> {
    let pem = match store.get_secret(secret_names::PASSWORD_RSA_KEY).await? {
        Some(pem) => pem,
        None => {
            let fresh = Core::blocking(TransportKey::generate_pem).await?;
            store
                .put_secret_if_absent(secret_names::PASSWORD_RSA_KEY, &fresh)
                .await?
        }
    };
    TransportKey::from_pem(&pem)
}

async fn load_or_create_signing_keys(store: &dyn Store) -> Result<KeySet> {
    let mut stored = store.list_signing_keys().await?;
    if stored.is_empty() {
        let key = Core::blocking(|| generate_signing_key(clock::now_ms())).await?;
        store.add_first_signing_key(&key).await?;
        stored = store.list_signing_keys().await?;
    }
    usable(KeySet::from_stored(&stored, clock::now_ms())?)
}

/// A ring must have a key that signs.
fn usable(set: KeySet) -> Result<KeySet> {
    if set.signing_key().is_none() {
        return Err(Error::Internal(
            "no usable signing key: every stored key is retired (run `tessera keys rotate`)".into(),
        ));
    }
    Ok(set)
}

/// The outcome of a rotation, for the CLI to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub new_kid: String,
    pub retired_kids: Vec<String>,
    /// When the old keys leave the JWKS (ms since the epoch).
    pub old_keys_verifiable_until: i64,
}

impl Core {
    /// The SPKI PEM the SDKs encrypt passwords with (`GET /api/v2/.well-known`). On a first
    /// start this waits until the key exists.
    pub async fn password_public_key_pem(&self) -> Result<&str> {
        Ok(self.keys.transport().await?.public_pem())
    }

    /// The SM2 public key the v3 SDKs encrypt passwords with (`GET /api/v3/system`): `04` and
    /// 128 lowercase hex characters. On a first start this waits until the key exists.
    pub async fn password_sm2_public_key(&self) -> Result<String> {
        Ok(self.keys.sm2().await?.public_hex().to_owned())
    }

    /// Decrypts an RSA-encrypted password as the official SDKs send it, to check it: see
    /// [`Core::decrypt_password_as`] (v2 sends only RSA).
    pub async fn decrypt_password(&self, ciphertext: &str) -> Result<String> {
        self.decrypt_password_as(PasswordEncryption::Rsa, ciphertext)
            .await
    }

    /// Decrypts a password to check it (a login, an old password), sent as `enc` says: a
    /// well-formed ciphertext not valid for our key becomes a password that cannot match
    /// (implicit rejection), so a wrong key or a tampered ciphertext fails as a wrong
    /// password does; text that cannot be a ciphertext at all is [`Error::PasswordDecrypt`].
    /// A plain password is returned as sent. On a first start this waits until the key
    /// exists.
    pub async fn decrypt_password_as(&self, enc: PasswordEncryption, text: &str) -> Result<String> {
        match enc {
            PasswordEncryption::None => Ok(text.to_owned()),
            PasswordEncryption::Rsa => self.keys.transport().await?.decrypt(text),
            PasswordEncryption::Sm2 => self.keys.sm2().await?.decrypt_password(text),
        }
    }

    /// Decrypts an RSA-encrypted password that is about to be set: see
    /// [`Core::decrypt_new_password_as`] (v2 sends only RSA).
    pub async fn decrypt_new_password(&self, ciphertext: &str, ip: Option<&str>) -> Result<String> {
        self.decrypt_new_password_as(PasswordEncryption::Rsa, ciphertext, ip)
            .await
    }

    /// Decrypts a password that is about to be set (registration, reset, update, an
    /// administrator's create or update), sent as `enc` says: a ciphertext not valid for our
    /// key is [`Error::PasswordDecrypt`] (2016 on the Authing wire). Failures of either
    /// transport count against the client's one budget ([`DECRYPT_FAILURE_BUDGET`] per
    /// [`DECRYPT_FAILURE_WINDOW_SECS`]); once it is spent, every encrypted password to set from
    /// that client is refused the same way without being decrypted, so the distinct answer
    /// cannot be used as a padding oracle. A plain password decrypts nothing and is returned
    /// as sent, whatever the budget.
    ///
    /// [`DECRYPT_FAILURE_BUDGET`]: super::guard::DECRYPT_FAILURE_BUDGET
    /// [`DECRYPT_FAILURE_WINDOW_SECS`]: super::guard::DECRYPT_FAILURE_WINDOW_SECS
    pub async fn decrypt_new_password_as(
        &self,
        enc: PasswordEncryption,
        text: &str,
        ip: Option<&str>,
    ) -> Result<String> {
        let decrypted = match enc {
            PasswordEncryption::None => return Ok(text.to_owned()),
            PasswordEncryption::Rsa => {
                self.check_decrypt_budget(ip).await?;
                self.keys.transport().await?.decrypt_new(text)
            }
            PasswordEncryption::Sm2 => {
                self.check_decrypt_budget(ip).await?;
                self.keys.sm2().await?.decrypt_new(text)
            }
        };
        match decrypted {
            Err(Error::PasswordDecrypt) => {
                self.record_decrypt_failure(ip).await?;
                Err(Error::PasswordDecrypt)
            }
            other => other,
        }
    }

    /// Returns once every deployment key exists (at once unless a first start is still
    /// generating them).
    pub async fn wait_for_keys(&self) -> Result<()> {
        self.keys.complete().await
    }

    /// The current key ring, re-read from the store when the copy is older than
    /// [`KEY_REFRESH_MS`]. On a first start this waits until the first signing key exists.
    pub async fn key_set(&self) -> Result<Arc<KeySet>> {
        self.keys.ring().await?;
        let now = clock::now_ms();
        if now - self.keys.ring_loaded_at.load(Ordering::Relaxed) > KEY_REFRESH_MS {
            self.reload_keys().await?;
        }
        Ok(self.keys.cached())
    }

    /// Re-reads the ring from the store; keys already held are not parsed again.
    pub async fn reload_keys(&self) -> Result<()> {
        let stored = self.store.list_signing_keys().await?;
        let set = self.keys.cached().reload(&stored, clock::now_ms())?;
        self.keys.install(set);
        Ok(())
    }

    /// Reloads the ring for a `kid` it does not hold, at most once per second.
    pub(crate) async fn reload_for_unknown_kid(&self) -> Result<Arc<KeySet>> {
        let now = clock::now_ms();
        if now - self.keys.ring_loaded_at.load(Ordering::Relaxed) > UNKNOWN_KID_RELOAD_MS {
            self.reload_keys().await?;
        }
        Ok(self.keys.cached())
    }

    /// The JWKS document (`/oidc/.well-known/jwks.json`).
    pub async fn jwks_json(&self) -> Result<String> {
        let ring = self.key_set().await?;
        let es256 = self.keys.es256().await?;
        // The ring's document is `{"keys":[…]}`; the ES256 key joins its list.
        let rsa = ring.jwks_json();
        let Some(head) = rsa.strip_suffix("]}") else {
            return Err(Error::Internal(
                "JWKS document of an unexpected shape".into(),
            ));
        };
        let sep = if head.ends_with('[') { "" } else { "," };
        Ok(format!("{head}{sep}{}]}}", es256.jwk))
    }

    /// The deployment's ES256 key.
    pub(crate) async fn es256_key(&self) -> Result<&EcSigningKey> {
        self.keys.es256().await
    }

    /// Adds a new signing key; the previous ones keep verifying until every token they signed
    /// has expired, then leave the JWKS.
    pub async fn rotate_signing_key(&self) -> Result<Rotation> {
        // The first key must exist before a rotation retires it; a rotation racing its
        // generation could otherwise leave the first key signing.
        self.keys.ring().await?;
        let now = clock::now_ms();
        let before = self.store.list_signing_keys().await?;
        let max_life_ms = self.store.max_token_lifetime_secs().await? * 1000;
        let retire_at = now + max_life_ms + ROTATION_GRACE_MS;
        let key = Core::blocking(move || generate_signing_key(now)).await?;
        self.store.rotate_signing_key(&key, retire_at).await?;
        self.store.delete_retired_signing_keys(now).await?;
        self.reload_keys().await?;
        Ok(Rotation {
            new_kid: key.kid,
            retired_kids: before
                .into_iter()
                .filter(|k| k.retire_at.is_none())
                .map(|k| k.kid)
                .collect(),
            old_keys_verifiable_until: retire_at,
        })
    }
}
