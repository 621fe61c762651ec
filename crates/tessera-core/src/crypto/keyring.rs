//! The token signing key ring: every RSA key that may still verify a token, and the one that
//! signs new ones.

use std::sync::Arc;

use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Rsa;

use super::jwt;
use crate::error::{Error, Result};
use crate::ids;
use crate::model::SigningKey;

pub struct LoadedKey {
    pub kid: String,
    pub key: PKey<Private>,
    /// The public half, ready for [`jwt::Unverified::verify_rs256_public`].
    pub public: Rsa<Public>,
    /// The PEM it was parsed from: a reload keeps this key when the stored PEM is the same.
    pem: String,
    pub created_at: i64,
    pub retire_at: Option<i64>,
}

/// An immutable snapshot of the stored signing keys, parsed once.
pub struct KeySet {
    keys: Vec<Arc<LoadedKey>>,
    signing: Option<Arc<LoadedKey>>,
    jwks: String,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<&str> = self.keys.iter().map(|k| k.kid.as_str()).collect();
        f.debug_struct("KeySet").field("kids", &kids).finish()
    }
}

/// A new 2048-bit signing key.
pub fn generate_signing_key(now_ms: i64) -> Result<SigningKey> {
    let rsa = Rsa::generate(2048).map_err(ossl)?;
    let pem = PKey::from_rsa(rsa)
        .and_then(|k| k.private_key_to_pem_pkcs8())
        .map_err(ossl)?;
    Ok(SigningKey {
        kid: ids::new_url_token(12),
        private_pem: String::from_utf8(pem).map_err(|e| Error::Internal(e.to_string()))?,
        created_at: now_ms,
        retire_at: None,
    })
}

fn ossl(e: openssl::error::ErrorStack) -> Error {
    Error::Internal(format!("openssl: {e}"))
}

/// Parses and checks one stored key.
fn parse_key(s: &SigningKey) -> Result<LoadedKey> {
    let corrupt =
        |what: &str| Error::Internal(format!("signing key {} is corrupt ({what})", s.kid));
    let key = PKey::private_key_from_pem(s.private_pem.as_bytes())
        .map_err(|_| corrupt("not a PEM private key"))?;
    let rsa = key
        .rsa()
        .ok()
        .filter(|r| r.check_key().unwrap_or(false))
        .ok_or_else(|| corrupt("not a consistent RSA key"))?;
    let public = Rsa::from_public_components(
        rsa.n().to_owned().map_err(ossl)?,
        rsa.e().to_owned().map_err(ossl)?,
    )
    .map_err(ossl)?;
    Ok(LoadedKey {
        kid: s.kid.clone(),
        key,
        public,
        pem: s.private_pem.clone(),
        created_at: s.created_at,
        retire_at: s.retire_at,
    })
}

impl KeySet {
    /// Parses the stored keys, leaving out those retired before `now_ms`. A key that does not
    /// parse is an error naming it: a corrupt key must stop start-up, not be skipped.
    pub fn from_stored(stored: &[SigningKey], now_ms: i64) -> Result<KeySet> {
        KeySet::reload(stored, now_ms, None)
    }

    /// [`KeySet::from_stored`] reusing the keys of `previous` whose stored PEM has not
    /// changed: a key is parsed and checked once, not at every periodic reload (checking an
    /// RSA key tests its primes, tens of milliseconds on a request thread).
    pub fn reload(stored: &[SigningKey], now_ms: i64, previous: Option<&KeySet>) -> Result<KeySet> {
        let mut keys = Vec::with_capacity(stored.len());
        for s in stored {
            if s.retire_at.is_some_and(|t| t <= now_ms) {
                continue;
            }
            let known = previous
                .and_then(|p| p.find(&s.kid))
                .filter(|k| k.pem == s.private_pem);
            let key = match known {
                Some(k) => Arc::new(LoadedKey {
                    kid: k.kid.clone(),
                    key: k.key.clone(),
                    public: k.public.clone(),
                    pem: k.pem.clone(),
                    created_at: s.created_at,
                    retire_at: s.retire_at,
                }),
                None => Arc::new(parse_key(s)?),
            };
            keys.push(key);
        }
        // The newest key that is not retiring signs.
        let signing = keys
            .iter()
            .filter(|k| k.retire_at.is_none())
            .max_by_key(|k| k.created_at)
            .cloned();
        let jwks_keys = keys
            .iter()
            .map(|k| jwt::rsa_jwk(&k.kid, &k.key))
            .collect::<Result<Vec<_>>>()?;
        let jwks = serde_json::json!({ "keys": jwks_keys }).to_string();
        Ok(KeySet {
            keys,
            signing,
            jwks,
        })
    }

    pub fn signing_key(&self) -> Option<&Arc<LoadedKey>> {
        self.signing.as_ref()
    }

    pub fn find(&self, kid: &str) -> Option<&Arc<LoadedKey>> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// The JWKS document, serialised once per snapshot.
    pub fn jwks_json(&self) -> &str {
        &self.jwks
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_live_key_signs_and_retired_keys_leave_the_jwks() {
        let mut old = generate_signing_key(1_000).unwrap();
        let new = generate_signing_key(2_000).unwrap();
        old.retire_at = Some(10_000);
        let set = KeySet::from_stored(&[old.clone(), new.clone()], 5_000).unwrap();
        assert_eq!(set.signing_key().unwrap().kid, new.kid);
        assert!(
            set.find(&old.kid).is_some(),
            "a retiring key still verifies"
        );
        assert!(set.jwks_json().contains(&old.kid));

        let later = KeySet::from_stored(&[old.clone(), new.clone()], 10_000).unwrap();
        assert!(later.find(&old.kid).is_none());
        assert!(!later.jwks_json().contains(&old.kid));
    }

    #[test]
    fn a_reload_keeps_unchanged_keys_and_parses_changed_ones() {
        let a = generate_signing_key(1_000).unwrap();
        let b = generate_signing_key(2_000).unwrap();
        let first = KeySet::from_stored(std::slice::from_ref(&a), 5_000).unwrap();
        let mut a_retiring = a.clone();
        a_retiring.retire_at = Some(9_000);
        let next = KeySet::reload(&[a_retiring, b.clone()], 5_000, Some(&first)).unwrap();
        assert_eq!(next.len(), 2);
        assert_eq!(next.signing_key().unwrap().kid, b.kid);
        assert_eq!(next.find(&a.kid).unwrap().retire_at, Some(9_000));
        // Same kid, other PEM (a corrupt row): parsed again, and refused.
        let mut changed = a.clone();
        changed.private_pem = changed.private_pem.replace('A', "B");
        assert!(KeySet::reload(&[changed], 5_000, Some(&first)).is_err());
    }

    #[test]
    fn a_corrupt_key_is_named() {
        let mut k = generate_signing_key(1).unwrap();
        k.private_pem = k.private_pem.replace('A', "B");
        let err = KeySet::from_stored(&[k.clone()], 2)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&k.kid), "{err}");
    }
}
