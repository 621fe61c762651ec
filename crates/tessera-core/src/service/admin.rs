//! Management authentication: the pool secret buys a management token scoped to that pool
//! (`v2-wire.md` §3.1), and every management call presents it.
//!
//! The token carries a fingerprint of the secret it was bought with, so rotating a pool's
//! secret retires every management token of that pool at once, in every process, without a
//! revocation list.

use serde::Deserialize;
use serde_json::json;

use super::Core;
use crate::clock;
use crate::crypto::{ct_eq, jwt};
use crate::error::{Error, Result};
use crate::ids;
use crate::model::UserPool;
use crate::principal::{AdminProof, PoolAdmin};

/// `data.type` of a management token.
pub const MANAGEMENT_TOKEN_TYPE: &str = "management";

/// The SDK refetches a token that has less than an hour left, so a token must live well
/// beyond that; a day keeps a leaked token's window short.
pub const MANAGEMENT_TOKEN_SECS: i64 = 24 * 3600;

#[derive(Debug, Clone)]
pub struct ManagementToken {
    pub token: String,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Deserialize)]
struct Claims {
    exp: i64,
    data: Data,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    #[serde(rename = "type")]
    kind: String,
    user_pool_id: String,
    #[serde(default)]
    secret_fp: String,
    /// Set on tokens bought with an access key other than the pool's own.
    #[serde(default)]
    key_id: Option<String>,
}

/// A short digest of the secret: enough to tell secrets apart, useless for recovering one.
pub(crate) fn secret_fingerprint(secret: &str) -> String {
    ids::hex(&openssl::sha::sha256(secret.as_bytes())[..12])
}

impl Core {
    /// Exchanges a pool's secret for a management token. A wrong secret and an unknown pool
    /// give the same answer so the call cannot be used to probe for pool ids.
    pub async fn issue_management_token(
        &self,
        pool_id: &str,
        secret: &str,
    ) -> Result<ManagementToken> {
        let admin = self.pool_admin_by_secret(pool_id, secret).await?;
        let pool = admin.pool();
        let iat = clock::now_secs();
        let exp = iat + MANAGEMENT_TOKEN_SECS;
        let claims = json!({
            "sub": pool.id,
            "iss": self.issuer(),
            "aud": pool.id,
            "iat": iat,
            "exp": exp,
            "jti": ids::new_url_token(16),
            // What the v3 token-mode SDKs read to fill `x-authing-userpool-id` (§3.2).
            "scoped_userpool_id": pool.id,
            "data": {
                "type": MANAGEMENT_TOKEN_TYPE,
                "userPoolId": pool.id,
                "secretFp": secret_fingerprint(&pool.secret),
            },
        });
        let token = self.sign_rs256_current(&claims).await?;
        Ok(ManagementToken { token, iat, exp })
    }

    /// The administrator of a pool, proved by the pool's secret. A wrong secret and an
    /// unknown pool give the same answer (1001).
    pub async fn pool_admin_by_secret(&self, pool_id: &str, secret: &str) -> Result<PoolAdmin> {
        match self.store.get_pool(pool_id).await? {
            Some(p) if ct_eq(p.secret.as_bytes(), secret.as_bytes()) => {
                Ok(PoolAdmin::new(p, AdminProof::PoolSecret))
            }
            _ => Err(Error::Forbidden),
        }
    }

    /// The administrator of a pool for the deployment's operator: a command run with the
    /// database's location in hand, which could read the pool's secret anyway. Façades never
    /// call it (checked by `crates/tessera-cli/tests/architecture.rs`); they prove a caller
    /// with the secret or a management token.
    pub async fn operator_pool_admin(&self, pool_id: &str) -> Result<PoolAdmin> {
        Ok(PoolAdmin::new(
            self.pool(pool_id).await?,
            AdminProof::Operator,
        ))
    }

    /// Checks a management token and returns the administrator of the pool it manages. `expected_pool`, when the
    /// request names one, must be that pool: a token of pool A never acts on pool B. Any
    /// other token kind (a user's) is [`Error::Forbidden`], not treated as a login problem.
    ///
    /// `known` is the pool the request already loaded, if any: when the token names it, it
    /// is used instead of reading the pool again.
    pub async fn verify_management_token(
        &self,
        token: &str,
        expected_pool: Option<&str>,
        known: Option<&UserPool>,
    ) -> Result<PoolAdmin> {
        let parsed = jwt::parse(token)?;
        if !self.rs256_valid(&parsed).await? {
            return Err(Error::TokenInvalid);
        }
        let claims: Claims = parsed.claims_unverified().map_err(|_| Error::Forbidden)?;
        if claims.data.kind != MANAGEMENT_TOKEN_TYPE {
            return Err(Error::Forbidden);
        }
        if claims.exp <= clock::now_secs() {
            return Err(Error::TokenExpired);
        }
        if expected_pool.is_some_and(|p| p != claims.data.user_pool_id) {
            return Err(Error::Forbidden);
        }
        let pool = match known {
            Some(p) if p.id == claims.data.user_pool_id => p.clone(),
            _ => self.pool(&claims.data.user_pool_id).await?,
        };
        let (secret, proof) = match claims.data.key_id.as_deref() {
            Some(key) if key != pool.id => (
                self.access_key_current_secret(key, &pool.id).await?,
                AdminProof::AccessKey,
            ),
            _ => (pool.secret.clone(), AdminProof::ManagementToken),
        };
        let current = secret_fingerprint(&secret);
        if !ct_eq(current.as_bytes(), claims.data.secret_fp.as_bytes()) {
            return Err(Error::TokenExpired);
        }
        Ok(PoolAdmin::new(pool, proof))
    }
}
