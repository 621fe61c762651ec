//! User tokens: issue (one signature), verify (one signature check and one indexed read for
//! revocation), revoke.
//!
//! The claim set follows the tokens Authing issued (`v2-wire.md` §3.3): the SDKs read `sub`,
//! `data.id` and `exp`; downstream verifiers read the standard OIDC claims.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::authn::AuthEvent;
use super::Core;
use crate::clock;
use crate::crypto::jwt;
use crate::error::{Error, Result};
use crate::ids;
use crate::model::{Application, SigningAlg, User, UserPool};

/// `data.type` of a user token; other token kinds (management, MFA) use other values so that
/// one can never pass for another.
pub const USER_TOKEN_TYPE: &str = "user";

/// A freshly issued token.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    /// Seconds since the epoch.
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// The claims of a verified user token that the server acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSubject {
    pub user_id: String,
    pub pool_id: String,
    pub app_id: Option<String>,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
    /// When the token was issued, in milliseconds: what ending a user's sessions compares
    /// against (`User::tokens_valid_after`, in milliseconds). `iat` is whole seconds, so a
    /// token issued in the same second as a logout would otherwise be dead on arrival.
    /// Tokens issued before this claim existed count from the start of their `iat` second.
    pub issued_ms: i64,
}

impl TokenSubject {
    /// Authing's resource name for the token's user.
    pub fn user_arn(&self) -> String {
        User::arn_of(&self.pool_id, &self.user_id)
    }
}

#[derive(Debug, Clone, Deserialize)]
struct ClaimsIn {
    sub: String,
    #[serde(default)]
    aud: Option<String>,
    iat: i64,
    exp: i64,
    #[serde(default)]
    jti: Option<String>,
    data: DataIn,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DataIn {
    #[serde(rename = "type")]
    kind: String,
    user_pool_id: String,
    #[serde(default)]
    app_id: Option<String>,
    id: String,
    #[serde(default)]
    iat_ms: Option<i64>,
}

/// The claims of a token read as a user token's, not yet verified: only
/// [`Core::verify_parsed_user_token`] turns them into a [`TokenSubject`].
#[derive(Debug, Clone)]
pub(crate) struct UserClaims(ClaimsIn);

impl UserClaims {
    /// `data.type` as the token states it (unverified).
    pub(crate) fn kind(&self) -> &str {
        &self.0.data.kind
    }

    /// The pool, user and token id the claims name (unverified), when they name all three.
    pub(crate) fn session_key(&self) -> Option<(&str, &str, &str)> {
        let jti = self.0.jti.as_deref()?;
        Some((&self.0.data.user_pool_id, &self.0.sub, jti))
    }
}

/// Splits and decodes a token and reads its claims as a user token's, checking nothing.
/// Malformed tokens and claims that are not a user token's shape are
/// [`Error::TokenInvalid`].
pub(crate) fn parse_user_token(token: &str) -> Result<(jwt::Unverified<'_>, UserClaims)> {
    let parsed = jwt::parse(token)?;
    let claims: ClaimsIn = parsed.claims_unverified()?;
    Ok((parsed, UserClaims(claims)))
}

/// The claims of a user token as issued, borrowed from the user (serialised once, straight
/// into the token). Absent optional values are `null`, as Authing's tokens carry them.
#[derive(Serialize)]
struct ClaimsOut<'a> {
    sub: &'a str,
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
    jti: &'a str,
    userpool_id: &'a str,
    email: Option<&'a str>,
    email_verified: bool,
    phone_number: Option<String>,
    phone_number_verified: bool,
    nickname: Option<&'a str>,
    name: Option<&'a str>,
    given_name: Option<&'a str>,
    family_name: Option<&'a str>,
    middle_name: Option<&'a str>,
    preferred_username: Option<&'a str>,
    picture: Option<&'a str>,
    profile: Option<&'a str>,
    website: Option<&'a str>,
    gender: Option<&'a str>,
    birthdate: Option<&'a str>,
    zoneinfo: Option<&'a str>,
    locale: Option<&'a str>,
    updated_at: String,
    data: DataOut<'a>,
}

#[derive(Serialize)]
struct DataOut<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(rename = "userPoolId")]
    user_pool_id: &'a str,
    #[serde(rename = "appId")]
    app_id: Option<&'a str>,
    id: &'a str,
    #[serde(rename = "userId")]
    user_id: &'a str,
    #[serde(rename = "_id")]
    underscore_id: &'a str,
    phone: Option<&'a str>,
    email: Option<&'a str>,
    username: Option<&'a str>,
    unionid: Option<&'a str>,
    openid: Option<&'a str>,
    #[serde(rename = "clientId")]
    client_id: &'a str,
    /// The issue time in milliseconds (see [`TokenSubject::issued_ms`]).
    #[serde(rename = "iatMs")]
    iat_ms: i64,
}

impl Core {
    /// Signs `claims` with the current RS256 key (published in the JWKS).
    pub(crate) async fn sign_rs256_current<C: Serialize>(&self, claims: &C) -> Result<String> {
        let keys = self.key_set().await?;
        let key = keys
            .signing_key()
            .ok_or_else(|| Error::Internal("no signing key".into()))?;
        jwt::sign_rs256(claims, &key.kid, &key.key)
    }

    /// Checks an RS256 signature against the key ring, reloading it once for an unknown
    /// `kid` (a key another process just rotated in).
    pub(crate) async fn rs256_valid(&self, parsed: &jwt::Unverified<'_>) -> Result<bool> {
        if parsed.header.alg != "RS256" {
            return Ok(false);
        }
        let kid = parsed.header.kid.as_deref().ok_or(Error::TokenInvalid)?;
        let mut keys = self.key_set().await?;
        if keys.find(kid).is_none() {
            keys = self.reload_for_unknown_kid().await?;
        }
        Ok(keys
            .find(kid)
            .is_some_and(|k| parsed.verify_rs256_public(&k.public)))
    }

    /// The Authing v1/v2 user token for a completed authentication: this wire's token
    /// profile (OIDC, v3, SAML and CAS have their own over the same [`AuthEvent`]).
    pub async fn issue_v2_user_token(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        event: &AuthEvent,
    ) -> Result<IssuedToken> {
        self.issue_user_token(pool, app, &event.user).await
    }

    /// Issues a user token. Signed RS256 with the current key, or HS256 with the application's
    /// secret when the application asks for it.
    pub async fn issue_user_token(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        user: &User,
    ) -> Result<IssuedToken> {
        let iat_ms = clock::now_ms();
        let iat = iat_ms.div_euclid(1000);
        let exp = iat + pool.settings.token_expires_after.max(1);
        let jti = ids::new_url_token(16);
        let app_id = app.map(|a| a.id.as_str());
        let p = &user.profile;
        let phone_e164 = match (&user.phone_country_code, &user.phone) {
            (Some(cc), Some(n)) => Some(format!("{cc}{n}")),
            _ => None,
        };
        let issuer = self.issuer();
        let claims = ClaimsOut {
            sub: &user.id,
            iss: &issuer,
            aud: app_id.unwrap_or(&pool.id),
            iat,
            exp,
            jti: &jti,
            userpool_id: &pool.id,
            email: user.email.as_deref(),
            email_verified: user.email_verified,
            phone_number: phone_e164,
            phone_number_verified: user.phone_verified,
            nickname: p.nickname.as_deref(),
            name: p.name.as_deref(),
            given_name: p.given_name.as_deref(),
            family_name: p.family_name.as_deref(),
            middle_name: p.middle_name.as_deref(),
            preferred_username: p.preferred_username.as_deref(),
            picture: p.photo.as_deref(),
            profile: p.profile.as_deref(),
            website: p.website.as_deref(),
            gender: p.gender.as_deref(),
            birthdate: p.birthdate.as_deref(),
            zoneinfo: p.zoneinfo.as_deref(),
            locale: p.locale.as_deref(),
            updated_at: clock::iso8601(user.updated_at),
            data: DataOut {
                kind: USER_TOKEN_TYPE,
                user_pool_id: &pool.id,
                app_id,
                id: &user.id,
                user_id: &user.id,
                underscore_id: &user.id,
                phone: user.phone.as_deref(),
                email: user.email.as_deref(),
                username: user.username.as_deref(),
                unionid: user.unionid.as_deref(),
                openid: user.openid.as_deref(),
                client_id: &pool.id,
                iat_ms,
            },
        };
        let token = match app.map(|a| a.oidc.id_token_signing_alg) {
            Some(SigningAlg::HS256) => {
                let secret = app.map(|a| a.secret.as_bytes()).unwrap_or_default();
                jwt::sign_hs256(&claims, secret)?
            }
            _ => self.sign_rs256_current(&claims).await?,
        };
        Ok(IssuedToken {
            token,
            iat,
            exp,
            jti,
        })
    }

    /// Verifies a user token: signature (with the algorithm the issuing application is
    /// configured for, never the one the token names), expiry, kind and revocation.
    pub async fn verify_user_token(&self, token: &str) -> Result<TokenSubject> {
        let subject = self.verify_user_token_unrevoked(token).await?;
        if self.store.is_token_revoked(&subject.jti).await? {
            return Err(Error::TokenExpired);
        }
        Ok(subject)
    }

    /// [`Core::verify_user_token`] without the revocation read, for callers that read the
    /// revocation together with something else (a session reads it with the user). Never
    /// enough on its own to accept a token.
    pub(crate) async fn verify_user_token_unrevoked(&self, token: &str) -> Result<TokenSubject> {
        let (parsed, claims) = parse_user_token(token)?;
        self.verify_parsed_user_token(&parsed, claims).await
    }

    /// [`Core::verify_user_token_unrevoked`] for a token already parsed by
    /// [`parse_user_token`] (a Bearer is parsed once per request, also to tell its kind).
    pub(crate) async fn verify_parsed_user_token(
        &self,
        parsed: &jwt::Unverified<'_>,
        claims: UserClaims,
    ) -> Result<TokenSubject> {
        let UserClaims(claims) = claims;
        let hs_app = match claims.data.app_id.as_deref().or(claims.aud.as_deref()) {
            Some(app_id) if parsed.header.alg == "HS256" => {
                Some(self.app(app_id).await.map_err(|_| Error::TokenInvalid)?)
            }
            _ => None,
        };
        let valid = match hs_app {
            Some(app) => {
                app.oidc.id_token_signing_alg == SigningAlg::HS256
                    && app.pool_id == claims.data.user_pool_id
                    && parsed.verify_hs256(app.secret.as_bytes())
            }
            None => self.rs256_valid(parsed).await?,
        };
        if !valid || claims.data.kind != USER_TOKEN_TYPE || claims.sub != claims.data.id {
            return Err(Error::TokenInvalid);
        }
        if claims.exp <= clock::now_secs() {
            return Err(Error::TokenExpired);
        }
        let jti = claims.jti.ok_or(Error::TokenInvalid)?;
        Ok(TokenSubject {
            user_id: claims.sub,
            pool_id: claims.data.user_pool_id,
            app_id: claims.data.app_id,
            jti,
            iat: claims.iat,
            exp: claims.exp,
            issued_ms: claims
                .data
                .iat_ms
                .unwrap_or(claims.iat.saturating_mul(1000)),
        })
    }

    /// Verifies a token and checks that it belongs to `pool_id`: a token of another pool is
    /// invalid here, whatever its signature.
    pub async fn verify_user_token_in_pool(
        &self,
        token: &str,
        pool_id: &str,
    ) -> Result<TokenSubject> {
        let s = self.verify_user_token(token).await?;
        if s.pool_id != pool_id {
            return Err(Error::TokenInvalid);
        }
        Ok(s)
    }

    /// Revokes a verified token until it would have expired anyway.
    pub async fn revoke_user_token(&self, subject: &TokenSubject) -> Result<()> {
        self.store
            .revoke_token(&subject.jti, &subject.pool_id, subject.exp * 1000)
            .await
    }
}

/// Short-lived single-purpose tokens (first-login password reset, email verification links):
/// never accepted where a user token is expected, because `data.type` differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurposeSubject {
    pub pool_id: String,
    pub user_id: String,
    pub jti: String,
    pub exp: i64,
}

#[derive(Deserialize)]
struct PurposeClaims {
    sub: String,
    exp: i64,
    jti: String,
    data: PurposeData,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PurposeData {
    #[serde(rename = "type")]
    kind: String,
    user_pool_id: String,
}

impl Core {
    /// Issues an RS256 token of `kind` for one user, valid `ttl_secs`.
    pub async fn issue_purpose_token(
        &self,
        pool_id: &str,
        user_id: &str,
        kind: &str,
        ttl_secs: i64,
    ) -> Result<String> {
        let iat = clock::now_secs();
        let claims = json!({
            "sub": user_id,
            "iss": self.issuer(),
            "iat": iat,
            "exp": iat + ttl_secs,
            "jti": ids::new_url_token(16),
            "data": { "type": kind, "userPoolId": pool_id, "id": user_id },
        });
        self.sign_rs256_current(&claims).await
    }

    /// Verifies a token of `kind`; a used (revoked) one is expired.
    pub async fn verify_purpose_token(&self, token: &str, kind: &str) -> Result<PurposeSubject> {
        let parsed = jwt::parse(token)?;
        if !self.rs256_valid(&parsed).await? {
            return Err(Error::TokenInvalid);
        }
        let claims: PurposeClaims = parsed.claims_unverified()?;
        if claims.data.kind != kind {
            return Err(Error::TokenInvalid);
        }
        if claims.exp <= clock::now_secs() || self.store.is_token_revoked(&claims.jti).await? {
            return Err(Error::TokenExpired);
        }
        Ok(PurposeSubject {
            pool_id: claims.data.user_pool_id,
            user_id: claims.sub,
            jti: claims.jti,
            exp: claims.exp,
        })
    }

    /// Uses up a purpose token so it cannot be replayed.
    pub async fn spend_purpose_token(&self, s: &PurposeSubject) -> Result<()> {
        self.store
            .revoke_token(&s.jti, &s.pool_id, s.exp * 1000)
            .await
    }
}
