//! v3 management authentication (`v3-wire.md` §3): an access key — the pool's own id and
//! secret, or a key created for the pool — proves an administrator of its pool either by
//! signing each request (HMAC-SHA1, §3.1) or by buying a management token (§3.2).
//!
//! The façade rebuilds the string the client signed (that is wire: headers, canonical
//! resource); the core checks the key, the signature, the clock and the nonce. Nonces are
//! kept in the store, so a request replayed to another server process is refused too.

use super::admin::MANAGEMENT_TOKEN_TYPE;
use super::Core;
use crate::clock;
use crate::crypto::{ct_eq, hmac_sha1_b64};
use crate::error::{Entity, Error, Result, SignatureProblem};
use crate::ids;
use crate::model::UserPool;
use crate::principal::{AdminProof, PoolAdmin};
use crate::store::pool_admin::PoolAccessKey;
use crate::store::UserLookup;

/// How far a signed request's `date` may be from the server's clock. Authing names the
/// refusal (apiCode 1305) but not the window; 15 minutes absorbs client clock drift while a
/// captured request stays replayable only for that long, and its nonce is remembered twice
/// as long.
pub const SIGNATURE_WINDOW_MS: i64 = 15 * 60 * 1000;

/// Lifetime of a v3 management token: `expires_in` 7200 as §3.2 observes it. The clients
/// cache it for exactly that long and never retry on 401, so it is honoured to the end.
pub const V3_MANAGEMENT_TOKEN_SECS: i64 = 7200;

/// What the SDKs sign to open the event websocket: `buildStringToSign("websocket", "", {},
/// {})`, the verb and an empty path with nothing between.
const WEBSOCKET_STRING_TO_SIGN: &[u8] = b"websocket\n";

/// A request as its signer saw it.
#[derive(Debug, Clone)]
pub struct SignedRequest<'a> {
    pub key_id: &'a str,
    /// The strings the client may have signed: the canonical one first, then the variants a
    /// known SDK quirk produces (a trailing `?` on an empty body, §3.1 case a).
    pub candidates: &'a [String],
    /// The base64 signature as sent.
    pub signature: &'a str,
    pub nonce: Option<&'a str>,
    /// The request's `date`, in ms; `None` when it was missing.
    pub signed_at_ms: Option<i64>,
}

/// The most keys one pool may hold: each one is a full administrator credential, so a
/// script creating keys in a loop is stopped long before the list becomes unreadable.
pub const MAX_POOL_ACCESS_KEYS: usize = 20;

/// Whom a new key is for. Tessera has one kind of administrator per pool, so every key
/// administers the whole pool; `user_id` only records the user it was handed to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewAccessKey {
    pub user_id: Option<String>,
}

/// An access key resolved to its pool and secret.
struct Key {
    pool: UserPool,
    secret: String,
    /// A disabled key is refused, but only to a caller that proved it holds the secret:
    /// anyone else learns nothing about which key ids exist.
    enabled: bool,
}

impl Core {
    /// The administrator a signed request proves. Unknown key and wrong signature are one
    /// answer ([`SignatureProblem::Invalid`]).
    pub async fn pool_admin_by_signature(&self, req: &SignedRequest<'_>) -> Result<PoolAdmin> {
        let signed_at = req
            .signed_at_ms
            .ok_or(Error::Signature(SignatureProblem::MissingDate))?;
        if (clock::now_ms() - signed_at).abs() > SIGNATURE_WINDOW_MS {
            return Err(Error::Signature(SignatureProblem::Skewed));
        }
        let key = self.access_key_secret(req.key_id).await?;
        let mut matched = false;
        for candidate in req.candidates {
            let expected = hmac_sha1_b64(key.secret.as_bytes(), candidate.as_bytes())?;
            // Every candidate is checked, so timing does not tell which one matched.
            matched |= ct_eq(expected.as_bytes(), req.signature.as_bytes());
        }
        if !matched {
            return Err(Error::Signature(SignatureProblem::Invalid));
        }
        if !key.enabled {
            return Err(Error::Signature(SignatureProblem::KeyDisabled));
        }
        let nonce = req
            .nonce
            .filter(|n| !n.is_empty() && n.len() <= 128)
            .ok_or(Error::Signature(SignatureProblem::Invalid))?;
        let keep_until = signed_at + 2 * SIGNATURE_WINDOW_MS;
        if !self
            .store
            .remember_nonce(req.key_id, nonce, keep_until)
            .await?
        {
            return Err(Error::Signature(SignatureProblem::NonceReplayed));
        }
        Ok(PoolAdmin::new(key.pool, AdminProof::AccessKey))
    }

    /// `POST /api/v3/get-management-token`: an access key and its secret buy a management
    /// token carrying `scoped_userpool_id` (which the Java, Go and Python SDKs read without
    /// verifying) and a fingerprint of the key's secret, so deleting, disabling or rotating
    /// the key retires its tokens. A wrong secret and an unknown key are one answer.
    pub async fn issue_access_key_token(
        &self,
        key_id: &str,
        secret: &str,
    ) -> Result<super::admin::ManagementToken> {
        let key = match self.access_key_secret(key_id).await {
            Ok(k) => k,
            Err(Error::Signature(_)) => return Err(Error::Forbidden),
            Err(e) => return Err(e),
        };
        if !key.enabled || !ct_eq(key.secret.as_bytes(), secret.as_bytes()) {
            return Err(Error::Forbidden);
        }
        let iat = clock::now_secs();
        let exp = iat + V3_MANAGEMENT_TOKEN_SECS;
        // Plain-ASCII claims without `>`, `?` or `~`: the Python SDK decodes the payload
        // with the standard base64 alphabet (§3.2).
        let claims = serde_json::json!({
            "sub": key_id,
            "iss": self.issuer(),
            "aud": key.pool.id,
            "iat": iat,
            "exp": exp,
            "jti": crate::ids::new_url_token(16),
            "scoped_userpool_id": key.pool.id,
            "data": {
                "type": MANAGEMENT_TOKEN_TYPE,
                "userPoolId": key.pool.id,
                "keyId": key_id,
                "secretFp": super::admin::secret_fingerprint(&key.secret),
            },
        });
        let token = self.sign_rs256_current(&claims).await?;
        Ok(super::admin::ManagementToken { token, iat, exp })
    }

    /// The current secret of key `key_id` (for a token's fingerprint check).
    pub(crate) async fn access_key_current_secret(
        &self,
        key_id: &str,
        pool_id: &str,
    ) -> Result<String> {
        let key = self.access_key_secret(key_id).await.map_err(|e| match e {
            Error::Signature(_) => Error::TokenExpired,
            other => other,
        })?;
        if key.pool.id != pool_id {
            return Err(Error::Forbidden);
        }
        if !key.enabled {
            return Err(Error::TokenExpired);
        }
        Ok(key.secret)
    }

    // --- the pool's access keys (v3 `createAccessKey`, …) --------------------------------

    /// Creates an enabled key for the pool with a random secret.
    pub async fn create_pool_access_key(
        &self,
        pool: &PoolAdmin,
        new: NewAccessKey,
    ) -> Result<PoolAccessKey> {
        if let Some(user_id) = &new.user_id {
            self.store
                .find_user(&pool.id, UserLookup::Id(user_id))
                .await?
                .ok_or(Error::UserNotFound)?;
        }
        if self.store.pool_access_keys(&pool.id).await?.len() >= MAX_POOL_ACCESS_KEYS {
            return Err(Error::InvalidParameter("accessKeys"));
        }
        let now = clock::now_ms();
        let key = PoolAccessKey {
            id: ids::new_id(),
            pool_id: pool.id.clone(),
            secret: ids::new_secret(16),
            enabled: true,
            user_id: new.user_id,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_pool_access_key(&key).await?;
        Ok(key)
    }

    /// The pool's keys, oldest first (its applications' programmatic accounts are not keys
    /// of the pool and are listed with their application).
    pub async fn pool_access_keys(&self, pool: &PoolAdmin) -> Result<Vec<PoolAccessKey>> {
        self.store.pool_access_keys(&pool.id).await
    }

    /// One key of the pool, or [`Entity::AccessKey`] not found.
    pub async fn pool_access_key(&self, pool: &PoolAdmin, id: &str) -> Result<PoolAccessKey> {
        self.pool_access_keys(pool)
            .await?
            .into_iter()
            .find(|k| k.id == id)
            .ok_or(Error::NotFound(Entity::AccessKey))
    }

    /// Enables or disables a key. A disabled key signs nothing and the management tokens it
    /// bought stop verifying on their next use, in every process (`access_key_secret` reads
    /// the flag from the store on each request).
    pub async fn set_pool_access_key_enabled(
        &self,
        pool: &PoolAdmin,
        id: &str,
        enabled: bool,
    ) -> Result<()> {
        if !self
            .store
            .set_pool_access_key_enabled(&pool.id, id, enabled, clock::now_ms())
            .await?
        {
            return Err(Error::NotFound(Entity::AccessKey));
        }
        Ok(())
    }

    /// Deletes a key; its signatures and tokens stop working as a disabled key's do.
    pub async fn delete_pool_access_key(&self, pool: &PoolAdmin, id: &str) -> Result<()> {
        if !self.store.delete_pool_access_key(&pool.id, id).await? {
            return Err(Error::NotFound(Entity::AccessKey));
        }
        Ok(())
    }

    /// The pool's own key (its id and secret) or a key created for the pool.
    /// The pool whose access key `key_id` signed the event websocket's constant string
    /// (`v3-wire.md` §3.3: HMAC-SHA1 of `"websocket\n"`, no date or nonce, so the value is
    /// fixed per key pair and is only ever good for subscribing). A disabled key, an unknown
    /// key and a wrong signature are one answer.
    pub(crate) async fn websocket_key_pool(
        &self,
        key_id: &str,
        signature: &str,
    ) -> Result<UserPool> {
        let key = self.access_key_secret(key_id).await?;
        let expected = hmac_sha1_b64(key.secret.as_bytes(), WEBSOCKET_STRING_TO_SIGN)?;
        if !ct_eq(expected.as_bytes(), signature.as_bytes()) || !key.enabled {
            return Err(Error::Signature(SignatureProblem::Invalid));
        }
        Ok(key.pool)
    }

    async fn access_key_secret(&self, key_id: &str) -> Result<Key> {
        if let Some(pool) = self.store.get_pool(key_id).await? {
            let secret = pool.secret.clone();
            return Ok(Key {
                pool,
                secret,
                enabled: true,
            });
        }
        // An application's programmatic account is a key of that application's client, not
        // of the pool's administrator: it is no key here.
        let Some(key) = self
            .store
            .get_access_key(key_id)
            .await?
            .filter(|k| k.app_id.is_none())
        else {
            return Err(Error::Signature(SignatureProblem::Invalid));
        };
        let pool = self
            .store
            .get_pool(&key.pool_id)
            .await?
            .ok_or(Error::Signature(SignatureProblem::Invalid))?;
        Ok(Key {
            pool,
            secret: key.secret,
            enabled: key.enabled,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `v3-wire.md` §3.3's vector, made by the SDK's own `buildAuthorization`.
    #[test]
    fn the_websocket_signature_is_the_sdks() {
        let sig = hmac_sha1_b64(b"my-user-pool-secret", WEBSOCKET_STRING_TO_SIGN).unwrap();
        assert_eq!(sig, "4Wud40DJeOaussMOtnnEnYz2pZY=");
    }
}
