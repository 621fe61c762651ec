//! Deployment keys: the SDKs' password-encryption key and the token signing key ring.
//!
//! Keys live in the store, not in a process: every server sharing a database uses the same
//! keys, a rotation done by `tessera keys rotate` reaches running servers within
//! [`KEY_REFRESH_MS`], and a token whose `kid` a server has not seen yet triggers a reload.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::Core;
use crate::clock;
use crate::crypto::keyring::{generate_signing_key, KeySet};
use crate::crypto::transport::TransportKey;
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

pub(crate) async fn load_or_create_transport_key(store: &dyn Store) -> Result<TransportKey> {
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

pub(crate) async fn load_or_create_signing_keys(store: &dyn Store) -> Result<KeySet> {
    let mut stored = store.list_signing_keys().await?;
    if stored.is_empty() {
        let key = Core::blocking(|| generate_signing_key(clock::now_ms())).await?;
        store.add_first_signing_key(&key).await?;
        stored = store.list_signing_keys().await?;
    }
    let set = KeySet::from_stored(&stored, clock::now_ms())?;
    if set.signing_key().is_none() {
        return Err(Error::Internal(
            "no usable signing key: every stored key is retired (run `tessera keys rotate`)".into(),
        ));
    }
    Ok(set)
}

/// The outcome of a rotation, for the CLI to report.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rotation {
    pub new_kid: String,
    pub retired_kids: Vec<String>,
    /// When the old keys leave the JWKS (ms since the epoch).
    pub old_keys_verifiable_until: i64,
}

impl Core {
    /// The current key ring, re-read from the store when the copy is older than
    /// [`KEY_REFRESH_MS`].
    pub async fn key_set(&self) -> Result<Arc<KeySet>> {
        let now = clock::now_ms();
        if now - self.keys_loaded_at.load(Ordering::Relaxed) > KEY_REFRESH_MS {
            self.reload_keys().await?;
        }
        Ok(self.cached_keys())
    }

    pub(crate) fn cached_keys(&self) -> Arc<KeySet> {
        match self.keys.read() {
            Ok(k) => Arc::clone(&k),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub async fn reload_keys(&self) -> Result<()> {
        let stored = self.store.list_signing_keys().await?;
        let previous = self.cached_keys();
        let set = Arc::new(KeySet::reload(&stored, clock::now_ms(), Some(&previous))?);
        self.keys_loaded_at
            .store(clock::now_ms(), Ordering::Relaxed);
        match self.keys.write() {
            Ok(mut k) => *k = set,
            Err(poisoned) => *poisoned.into_inner() = set,
        }
        Ok(())
    }

    /// Reloads the ring for a `kid` it does not hold, at most once per second.
    pub(crate) async fn reload_for_unknown_kid(&self) -> Result<Arc<KeySet>> {
        let now = clock::now_ms();
        if now - self.keys_loaded_at.load(Ordering::Relaxed) > UNKNOWN_KID_RELOAD_MS {
            self.reload_keys().await?;
        }
        Ok(self.cached_keys())
    }

    /// The JWKS document (`/oidc/.well-known/jwks.json`).
    pub async fn jwks_json(&self) -> Result<String> {
        Ok(self.key_set().await?.jwks_json().to_owned())
    }

    /// Adds a new signing key; the previous ones keep verifying until every token they signed
    /// has expired, then leave the JWKS.
    pub async fn rotate_signing_key(&self) -> Result<Rotation> {
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
