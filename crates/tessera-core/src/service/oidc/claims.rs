//! The OIDC token profile: ID tokens, JWT access tokens (RFC 9068's claims), the claims each
//! scope releases (OIDC Core §5.4), and the check of an access token presented back to us.

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::has_scope;
use crate::clock;
use crate::crypto::{half_sha256_b64url, jwt};
use crate::error::{protocol, Error, ProtocolError, Result};
use crate::model::{Application, SigningAlg, User};
use crate::store::oidc::Grant;
use crate::Core;

/// `typ` of our JWT access tokens (RFC 9068 §2.1), which also tells them from ID tokens.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// The claims of an access token we issue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    /// The user, or the client itself under client credentials.
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    pub scope: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    /// The grant it was issued under; absent for client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// What an ID token says besides the user's claims.
pub struct IdTokenFacts<'a> {
    pub app: &'a Application,
    pub user: &'a User,
    pub scopes: &'a [String],
    pub auth_time_ms: i64,
    pub amr: &'a [String],
    pub nonce: Option<&'a str>,
    pub sid: Option<&'a str>,
    pub access_token: Option<&'a str>,
    pub code: Option<&'a str>,
}

/// The user's claims for these scopes (OIDC Core §5.4): `sub` always, then profile, email,
/// phone and address claims as the scopes allow. Absent values are left out.
pub fn user_claims(user: &User, scopes: &[String]) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sub".into(), json!(user.id));
    let put = |m: &mut Map<String, Value>, k: &str, v: Option<&String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            m.insert(k.into(), json!(v));
        }
    };
    let p = &user.profile;
    let oauth_user = has_scope(scopes, "user");
    if has_scope(scopes, "profile") || oauth_user {
        put(&mut m, "name", p.name.as_ref());
        put(&mut m, "family_name", p.family_name.as_ref());
        put(&mut m, "given_name", p.given_name.as_ref());
        put(&mut m, "middle_name", p.middle_name.as_ref());
        put(&mut m, "nickname", p.nickname.as_ref());
        put(
            &mut m,
            "preferred_username",
            p.preferred_username.as_ref().or(user.username.as_ref()),
        );
        put(&mut m, "profile", p.profile.as_ref());
        put(&mut m, "picture", p.photo.as_ref());
        put(&mut m, "website", p.website.as_ref());
        put(&mut m, "gender", p.gender.as_ref());
        put(&mut m, "birthdate", p.birthdate.as_ref());
        put(&mut m, "zoneinfo", p.zoneinfo.as_ref());
        put(&mut m, "locale", p.locale.as_ref());
        m.insert("updated_at".into(), json!(user.updated_at / 1000));
    }
    if has_scope(scopes, "email") || oauth_user {
        if let Some(e) = &user.email {
            m.insert("email".into(), json!(e));
            m.insert("email_verified".into(), json!(user.email_verified));
        }
    }
    if has_scope(scopes, "phone") || oauth_user {
        if let Some(n) = &user.phone {
            let full = match &user.phone_country_code {
                Some(cc) => format!("{cc}{n}"),
                None => n.clone(),
            };
            m.insert("phone_number".into(), json!(full));
            m.insert("phone_number_verified".into(), json!(user.phone_verified));
        }
    }
    if has_scope(scopes, "address") {
        let mut a = Map::new();
        put(
            &mut a,
            "formatted",
            p.formatted.as_ref().or(p.address.as_ref()),
        );
        put(&mut a, "street_address", p.street_address.as_ref());
        put(&mut a, "locality", p.locality.as_ref().or(p.city.as_ref()));
        put(&mut a, "region", p.region.as_ref().or(p.province.as_ref()));
        put(&mut a, "postal_code", p.postal_code.as_ref());
        put(&mut a, "country", p.country.as_ref());
        if !a.is_empty() {
            m.insert("address".into(), Value::Object(a));
        }
    }
    m
}

impl Core {
    /// Signs an ID token: RS256 with the deployment's key, or HS256 with the application's
    /// secret when it is configured so.
    pub(crate) async fn sign_id_token(&self, f: IdTokenFacts<'_>) -> Result<String> {
        let now = clock::now_secs();
        let mut c = user_claims(f.user, f.scopes);
        c.insert("iss".into(), json!(self.issuer()));
        c.insert("aud".into(), json!(f.app.id));
        c.insert("iat".into(), json!(now));
        c.insert(
            "exp".into(),
            json!(now + f.app.oidc.id_token_lifetime.max(1)),
        );
        c.insert("auth_time".into(), json!(f.auth_time_ms / 1000));
        if !f.amr.is_empty() {
            c.insert("amr".into(), json!(f.amr));
        }
        if let Some(n) = f.nonce {
            c.insert("nonce".into(), json!(n));
        }
        if let Some(s) = f.sid {
            c.insert("sid".into(), json!(s));
        }
        if let Some(at) = f.access_token {
            c.insert("at_hash".into(), json!(half_sha256_b64url(at)));
        }
        if let Some(code) = f.code {
            c.insert("c_hash".into(), json!(half_sha256_b64url(code)));
        }
        match f.app.oidc.id_token_signing_alg {
            SigningAlg::HS256 => jwt::sign_hs256(&Value::Object(c), f.app.secret.as_bytes()),
            SigningAlg::ES256 => jwt::sign_es256(&Value::Object(c), self.es256_key().await?),
            SigningAlg::RS256 => self.sign_rs256_current(&Value::Object(c)).await,
        }
    }

    /// Signs a JWT access token (always RS256: resource servers verify it with the JWKS).
    pub(crate) async fn sign_access_token(&self, claims: &AccessClaims) -> Result<String> {
        let keys = self.key_set().await?;
        let key = keys
            .signing_key()
            .ok_or_else(|| Error::Internal("no signing key".into()))?;
        jwt::sign_rs256_typed(claims, &key.kid, &key.key, ACCESS_TOKEN_TYP)
    }

    /// Access claims for a grant.
    pub(crate) fn access_claims(
        &self,
        app: &Application,
        grant: Option<&Grant>,
        sub: &str,
        scope: &str,
    ) -> AccessClaims {
        let now = clock::now_secs();
        AccessClaims {
            iss: self.issuer(),
            sub: sub.to_owned(),
            aud: app.id.clone(),
            client_id: app.id.clone(),
            scope: scope.to_owned(),
            iat: now,
            exp: now + app.oidc.access_token_lifetime.max(1),
            jti: crate::ids::new_url_token(16),
            gid: grant.map(|g| g.id.clone()),
            sid: grant.and_then(|g| g.sid.clone()),
        }
    }

    /// Checks an access token we issued: signature, type, issuer, expiry, then in one read
    /// its grant (not revoked) and user (still allowed tokens), or for a token without grant
    /// its revocation. Any failure is `invalid_token` (RFC 6750 §3.1).
    pub async fn oidc_check_access_token(
        &self,
        token: &str,
    ) -> Result<(AccessClaims, Option<Grant>)> {
        let bad = || protocol(ProtocolError::InvalidToken, "the access token is invalid");
        let parsed = jwt::parse(token).map_err(|_| bad())?;
        if parsed.header.typ.as_deref() != Some(ACCESS_TOKEN_TYP) {
            return Err(bad());
        }
        if !self.rs256_valid(&parsed).await.map_err(|_| bad())? {
            return Err(bad());
        }
        let claims: AccessClaims = parsed.claims_unverified().map_err(|_| bad())?;
        if claims.iss != self.issuer() || claims.exp <= clock::now_secs() {
            return Err(protocol(
                ProtocolError::InvalidToken,
                "the access token is expired or not from this issuer",
            ));
        }
        let Some(gid) = &claims.gid else {
            if self.store.is_token_revoked(&claims.jti).await? {
                return Err(bad());
            }
            return Ok((claims, None));
        };
        let v = self.store.grant_validity(gid).await?.ok_or_else(bad)?;
        // Sessions ended at `tokens_valid_after` (ms) end every grant authenticated before
        // then. The grant's `auth_time` is in ms, where the token's `iat` has whole seconds:
        // a login in the same second right after a kick must not be taken for an older one.
        let auth_time = v.grant.auth_time;
        let user_ok = v
            .user
            .is_some_and(|u| !u.blocked && !u.is_deleted && u.tokens_valid_after < auth_time);
        if v.grant.revoked_at.is_some() || !user_ok || v.grant.app_id != claims.client_id {
            return Err(bad());
        }
        Ok((claims, Some(v.grant)))
    }

    /// The UserInfo response (OIDC Core §5.3): the user's claims for the token's scopes.
    pub async fn oidc_userinfo(&self, access_token: &str) -> Result<Map<String, Value>> {
        let (claims, grant) = self.oidc_check_access_token(access_token).await?;
        let Some(grant) = grant else {
            // A client-credentials token speaks for no user.
            return Err(protocol(
                ProtocolError::InvalidToken,
                "the access token was not issued for a user",
            ));
        };
        let scopes: Vec<String> = claims.scope.split_whitespace().map(str::to_owned).collect();
        if !has_scope(&scopes, "openid") && !has_scope(&scopes, "user") {
            return Err(protocol(
                ProtocolError::InvalidToken,
                "the access token was granted neither the openid nor the user scope",
            ));
        }
        let user_id = grant.user_id.as_deref().ok_or(Error::UserNotFound)?;
        let user = self.user_in_pool(&grant.pool_id, user_id).await?;
        Ok(user_claims(&user, &scopes))
    }

    /// An ID token we issued, verified (signature by the algorithm its application is
    /// configured for, issuer, type and, unless `allow_expired`, expiry): its claims.
    pub async fn oidc_id_token_claims(
        &self,
        token: &str,
        allow_expired: bool,
    ) -> Result<Map<String, Value>> {
        let bad = || protocol(ProtocolError::InvalidToken, "the id_token is invalid");
        let parsed = jwt::parse(token).map_err(|_| bad())?;
        if parsed.header.typ.as_deref() == Some(ACCESS_TOKEN_TYP) {
            return Err(bad());
        }
        let claims: Map<String, Value> = parsed.claims_unverified().map_err(|_| bad())?;
        let aud = claims.get("aud").and_then(Value::as_str).ok_or_else(bad)?;
        // The algorithm the application is configured for, never the one the token names.
        let app = self.app(aud).await.map_err(|_| bad())?;
        let valid = match app.oidc.id_token_signing_alg {
            SigningAlg::HS256 => parsed.verify_hs256(app.secret.as_bytes()),
            SigningAlg::ES256 => parsed.verify_es256(self.es256_key().await?),
            SigningAlg::RS256 => self.rs256_valid(&parsed).await.map_err(|_| bad())?,
        };
        let iss_ok = claims.get("iss").and_then(Value::as_str) == Some(self.issuer().as_str());
        let exp = claims.get("exp").and_then(Value::as_i64).ok_or_else(bad)?;
        if !valid || !iss_ok || (!allow_expired && exp <= clock::now_secs()) {
            return Err(bad());
        }
        Ok(claims)
    }

    /// The legacy `validate_token`: a valid ID token's payload.
    pub async fn oidc_validate_id_token(&self, token: &str) -> Result<Value> {
        Ok(Value::Object(
            self.oidc_id_token_claims(token, false).await?,
        ))
    }

    pub(crate) async fn user_in_pool(&self, pool_id: &str, user_id: &str) -> Result<User> {
        self.store
            .find_user(pool_id, crate::store::UserLookup::Id(user_id))
            .await?
            .filter(|u| !u.is_deleted)
            .ok_or(Error::UserNotFound)
    }
}
