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
}

/// A short digest of the secret: enough to tell secrets apart, useless for recovering one.
fn secret_fingerprint(secret: &str) -> String {
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
        let pool = self.store.get_pool(pool_id).await?;
        let pool = match pool {
            Some(p) if ct_eq(p.secret.as_bytes(), secret.as_bytes()) => p,
            _ => return Err(Error::Forbidden),
        };
        let iat = clock::now_secs();
        let exp = iat + MANAGEMENT_TOKEN_SECS;
        let claims = json!({
            "sub": pool.id,
            "iss": self.issuer(),
            "aud": pool.id,
            "iat": iat,
            "exp": exp,
            "jti": ids::new_url_token(16),
            "data": {
                "type": MANAGEMENT_TOKEN_TYPE,
                "userPoolId": pool.id,
                "secretFp": secret_fingerprint(&pool.secret),
            },
        });
        let token = self.sign_rs256_current(&claims).await?;
        Ok(ManagementToken { token, iat, exp })
    }

    /// Checks a management token and returns the pool it manages. `expected_pool`, when the
    /// request names one, must be that pool: a token of pool A never acts on pool B. Any
    /// other token kind (a user's) is refused with 1001, not treated as a login problem.
    ///
    /// `known` is the pool the request already loaded, if any: when the token names it, it
    /// is used instead of reading the pool again.
    pub async fn verify_management_token(
        &self,
        token: &str,
        expected_pool: Option<&str>,
        known: Option<&UserPool>,
    ) -> Result<UserPool> {
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
        let current = secret_fingerprint(&pool.secret);
        if !ct_eq(current.as_bytes(), claims.data.secret_fp.as_bytes()) {
            return Err(Error::TokenExpired);
        }
        Ok(pool)
    }

    /// True when `token` claims to be a management token (unverified), so a façade can route
    /// operations whose names the end-user and management APIs share.
    pub fn looks_like_management_token(token: &str) -> bool {
        // Asked of every request with a Bearer: only the payload is decoded, and its claims
        // are read only if the kind's name appears in it at all (never in a user's token,
        // whose claims are all read later by its own check).
        #[derive(Deserialize)]
        struct Kind {
            data: KindData,
        }
        #[derive(Deserialize)]
        struct KindData {
            #[serde(rename = "type")]
            kind: String,
        }
        jwt::claims_unverified_if::<Kind>(token, MANAGEMENT_TOKEN_TYPE)
            .is_some_and(|c| c.data.kind == MANAGEMENT_TOKEN_TYPE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_management_tokens_look_like_one() {
        let token =
            |data: serde_json::Value| jwt::sign_hs256(&json!({ "data": data }), b"k").unwrap();
        assert!(Core::looks_like_management_token(&token(
            json!({"type": "management", "userPoolId": "p"})
        )));
        // The word elsewhere in a user's token does not make it one.
        assert!(!Core::looks_like_management_token(&token(
            json!({"type": "user", "nickname": "\"type\":\"management\""})
        )));
        assert!(!Core::looks_like_management_token(&token(
            json!({"type": "user"})
        )));
        assert!(!Core::looks_like_management_token("not.a.token"));
        assert!(!Core::looks_like_management_token(""));
    }
}
