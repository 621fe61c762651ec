//! The token endpoint's grants (RFC 6749 §4.1.3, §4.3, §4.4, §6; RFC 8628 §3.4; Authing's
//! token exchange), introspection (RFC 7662) and revocation (RFC 7009).

use std::borrow::Cow;

use serde::Serialize;

use super::claims::{AccessClaims, IdTokenFacts, ACCESS_TOKEN_TYP};
use super::client::{Client, ClientAuth};
use super::{granted_scopes, has_scope};
use crate::clock;
use crate::crypto::{ct_eq, digest, jwt, sha256_b64url};
use crate::error::{protocol, Error, ProtocolError, Result};
use crate::ids;
use crate::model::{Application, User, UserPool};
use crate::service::authn::AuthEvent;
use crate::service::devices;
use crate::service::login::{Credential, LoginOptions};
use crate::service::users::{LoginContext, LoginId};
use crate::store::oidc::{DevicePoll, DeviceStatus, Grant, Spend};
use crate::Core;

/// Authing's token-exchange grant: an Authing user token (or ID token) for OIDC tokens.
pub const AUTHING_TOKEN_GRANT: &str = "http://authing.cn/oidc/grant_type/authing_token";
/// RFC 8628's grant type.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A token request's parameters as sent.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub username: Option<String>,
    /// The password grant's other identifiers (the legacy SDK's `loginByOidc`,
    /// `v1-legacy-wire.md` §8): one of `username`, `email`, `phone` names the user.
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Sent by the legacy SDK instead of a password; refused (see `password_login_id`).
    pub unionid: Option<String>,
    pub password: Option<String>,
    /// The Authing token of the token-exchange grant.
    pub token: Option<String>,
    pub device_code: Option<String>,
}

/// The token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize)]
pub struct TokenSet {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// The introspection response (RFC 7662 §2.2); inactive tokens say only that.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
}

fn invalid_grant(why: &'static str) -> Error {
    protocol(ProtocolError::InvalidGrant, why)
}

fn required<'a>(v: &'a Option<String>, what: &'static str) -> Result<&'a str> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| protocol(ProtocolError::InvalidRequest, what))
}

/// Which client may use a grant, and the application it is (access keys only get client
/// credentials).
fn app_for_grant<'c>(client: &'c Client, grant_type: &str) -> Result<(&'c Application, bool)> {
    match client {
        Client::App {
            app, confidential, ..
        } => {
            if !app.oidc.allows_grant(grant_type) {
                return Err(protocol(
                    ProtocolError::UnauthorizedClient,
                    "this application may not use this grant type",
                ));
            }
            Ok((app, *confidential))
        }
        Client::AccessKey { .. } => Err(protocol(
            ProtocolError::UnauthorizedClient,
            "an access key may only use client_credentials",
        )),
    }
}

/// Who a password grant names: exactly one of `username` (an email, username or phone, as
/// one account field), `email` or `phone`. A `unionid` (the legacy SDK may send it without
/// a password) is an identifier, not a secret: it proves nothing and is refused.
fn password_login_id(req: &TokenRequest) -> Result<LoginId> {
    let given = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
    if given(&req.unionid).is_some() {
        return Err(invalid_grant("a unionid cannot log in"));
    }
    match (given(&req.username), given(&req.email), given(&req.phone)) {
        (Some(u), None, None) => Ok(LoginId::typed(&u)),
        (None, Some(e), None) => Ok(LoginId::Email(e)),
        (None, None, Some(p)) => Ok(LoginId::Phone {
            number: p,
            country_code: None,
        }),
        (None, None, None) => Err(protocol(
            ProtocolError::InvalidRequest,
            "username is missing",
        )),
        _ => Err(protocol(
            ProtocolError::InvalidRequest,
            "send only one of username, email and phone",
        )),
    }
}

impl Core {
    /// The token endpoint.
    pub async fn oidc_token(
        &self,
        auth: ClientAuth,
        req: TokenRequest,
        ctx: LoginContext,
    ) -> Result<TokenSet> {
        let grant_type = required(&req.grant_type, "grant_type is missing")?.to_owned();
        let known = [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "password",
            AUTHING_TOKEN_GRANT,
            DEVICE_CODE_GRANT,
        ];
        if !known.contains(&grant_type.as_str()) {
            return Err(protocol(
                ProtocolError::UnsupportedGrantType,
                "this grant type is not supported",
            ));
        }
        // The SDK's token exchange (`getAccessTokenByIdToken`) names the client without a
        // secret: the Authing token it carries is the proof, and the application must have
        // opted into this grant (`app_for_grant`).
        let client = if grant_type == AUTHING_TOKEN_GRANT && auth.client_secret.is_none() {
            self.oidc_client_named(&auth).await?
        } else {
            self.oidc_client(&auth, grant_type == "client_credentials")
                .await?
        };
        // Each grant's future is boxed: inline, every request's future (moved twice on its way
        // to hyper) would be as large as the largest grant's, the password grant with the
        // whole login inside it, about 10 kB in a release build.
        match grant_type.as_str() {
            "authorization_code" => Box::pin(self.grant_code(&client, &req)).await,
            "refresh_token" => Box::pin(self.grant_refresh(&client, &req)).await,
            "client_credentials" => Box::pin(self.grant_client_credentials(&client, &req)).await,
            "password" => Box::pin(self.grant_password(&client, &req, ctx)).await,
            AUTHING_TOKEN_GRANT => Box::pin(self.grant_authing_token(&client, &req)).await,
            _ => Box::pin(self.grant_device_code(&client, &req)).await,
        }
    }

    async fn grant_code(&self, client: &Client, req: &TokenRequest) -> Result<TokenSet> {
        let (app, confidential) = app_for_grant(client, "authorization_code")?;
        let code = required(&req.code, "code is missing")?;
        let now = clock::now_ms();
        let (row, grant) = match self.store.spend_code(&digest(code), now).await? {
            Spend::Spent(row, grant) => (row, grant),
            Spend::Missing => return Err(invalid_grant("the code is invalid or expired")),
            // RFC 6749 §4.1.2: a code used twice revokes what it gave.
            Spend::Replayed(grant) => {
                self.store.revoke_grant(&grant.id, now).await?;
                return Err(invalid_grant("the code was already used"));
            }
        };
        if grant.app_id != app.id {
            return Err(invalid_grant("the code was issued to another client"));
        }
        if grant.revoked_at.is_some() {
            return Err(invalid_grant("the code's grant was revoked"));
        }
        // RFC 6749 §4.1.3: the same redirect_uri as in the authorization request. The SDK
        // sends it; a client that left it out of the request (one registered URI) may too.
        if let Some(uri) = req.redirect_uri.as_deref().filter(|u| !u.is_empty()) {
            if uri != row.redirect_uri {
                return Err(invalid_grant(
                    "redirect_uri does not match the authorization request",
                ));
            }
        }
        match (&row.code_challenge, req.code_verifier.as_deref()) {
            (Some(challenge), Some(verifier)) => {
                let computed = match row.challenge_method.as_deref() {
                    Some("S256") => sha256_b64url(verifier),
                    _ => verifier.to_owned(),
                };
                if !ct_eq(computed.as_bytes(), challenge.as_bytes()) {
                    return Err(invalid_grant(
                        "code_verifier does not match the code_challenge",
                    ));
                }
            }
            (Some(_), None) => return Err(invalid_grant("code_verifier is missing")),
            (None, Some(_)) => {
                return Err(invalid_grant("no code_challenge was sent for this code"))
            }
            (None, None) if !confidential => {
                return Err(invalid_grant("a public client must use PKCE"))
            }
            (None, None) => {}
        }
        let user = self.grant_user(&grant).await?;
        self.token_set(app, &grant, &user, row.nonce.as_deref(), true)
            .await
    }

    async fn grant_refresh(&self, client: &Client, req: &TokenRequest) -> Result<TokenSet> {
        let (app, _) = app_for_grant(client, "refresh_token")?;
        let token = required(&req.refresh_token, "refresh_token is missing")?;
        let now = clock::now_ms();
        let next = ids::new_url_token(32);
        let next_exp = now + app.oidc.refresh_token_lifetime.max(1).saturating_mul(1000);
        let grant = match self
            .store
            .rotate_refresh(&digest(token), (&digest(&next), next_exp), now)
            .await?
        {
            Spend::Spent((), grant) => grant,
            Spend::Missing => return Err(invalid_grant("the refresh token is invalid or expired")),
            // Rotation with reuse detection (OAuth 2.0 Security BCP §4.14.2): a used refresh
            // token presented again means one copy was stolen; end the whole family.
            Spend::Replayed(grant) => {
                self.store.revoke_grant(&grant.id, now).await?;
                return Err(invalid_grant("the refresh token was already used"));
            }
        };
        if grant.app_id != app.id {
            // Spent by the wrong client: it must not keep the family alive either.
            self.store.revoke_grant(&grant.id, now).await?;
            return Err(invalid_grant(
                "the refresh token was issued to another client",
            ));
        }
        let user = self.grant_user(&grant).await?;
        let mut set = self.token_set(app, &grant, &user, None, false).await?;
        set.refresh_token = Some(next);
        Ok(set)
    }

    async fn grant_client_credentials(
        &self,
        client: &Client,
        req: &TokenRequest,
    ) -> Result<TokenSet> {
        let (app, sub): (Cow<'_, Application>, String) = match client {
            Client::App {
                app, confidential, ..
            } => {
                if !confidential {
                    return Err(protocol(
                        ProtocolError::UnauthorizedClient,
                        "a public client has no credentials of its own",
                    ));
                }
                if !app.oidc.allows_grant("client_credentials") {
                    return Err(protocol(
                        ProtocolError::UnauthorizedClient,
                        "this application may not use client_credentials",
                    ));
                }
                (Cow::Borrowed(app), app.id.clone())
            }
            // An access key acts for its pool: the token's audience is the pool's first
            // application's id would be arbitrary, so it is the key itself.
            Client::AccessKey { key, .. } => {
                let mut app = self.pool_default_app(client.pool()).await?;
                app.id = key.id.clone();
                (Cow::Owned(app), key.id.clone())
            }
        };
        // No user, no OIDC scopes: the scope asked is returned as asked (resource scopes).
        let scope = req
            .scope
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .filter(|s| !super::SUPPORTED_SCOPES.contains(s))
            .collect::<Vec<_>>()
            .join(" ");
        let claims = self.access_claims(&app, None, &sub, &scope);
        let access_token = self.sign_access_token(&claims).await?;
        Ok(TokenSet {
            access_token,
            token_type: "Bearer",
            expires_in: claims.exp - claims.iat,
            scope,
            id_token: None,
            refresh_token: None,
        })
    }

    /// The settings an access key's tokens follow: its pool's first application's.
    async fn pool_default_app(&self, pool: &UserPool) -> Result<Application> {
        self.store
            .list_apps(&pool.id)
            .await?
            .into_iter()
            .next()
            .ok_or(Error::AppNotFound)
    }

    /// The resource-owner password grant: the one core login, with every pool rule.
    async fn grant_password(
        &self,
        client: &Client,
        req: &TokenRequest,
        ctx: LoginContext,
    ) -> Result<TokenSet> {
        let (app, _) = app_for_grant(client, "password")?;
        let id = password_login_id(req)?;
        let password = required(&req.password, "password is missing")?;
        let pool = client.pool().clone();
        let event = self
            .authenticate(
                &pool,
                Some(app),
                Credential::Password {
                    id,
                    password: password.to_owned(),
                },
                LoginOptions {
                    client: LoginContext {
                        app_id: Some(app.id.clone()),
                        ..ctx
                    },
                    ..LoginOptions::default()
                },
            )
            .await
            .map_err(|e| match e {
                Error::UserNotFound | Error::WrongPassword => {
                    invalid_grant("the username or password is wrong")
                }
                // The password grant has no way to ask for a second factor; a user the pool
                // or application asks one of signs in through the login page. The ticket the
                // step stored is not handed out and expires unused.
                Error::MfaRequired(_) => {
                    invalid_grant("this user must sign in with a second factor")
                }
                other => other,
            })?;
        let grant = self
            .new_grant(
                &pool,
                app,
                &event.user,
                None,
                req.scope.as_deref().unwrap_or("openid"),
                event.at_ms,
                event.methods.iter().map(|m| m.amr().to_owned()).collect(),
            )
            .await?;
        self.token_set(app, &grant, &event.user, None, true).await
    }

    /// Authing's token exchange: a valid Authing user token (the v2 login's) for OIDC
    /// tokens of the same pool's application.
    async fn grant_authing_token(&self, client: &Client, req: &TokenRequest) -> Result<TokenSet> {
        let (app, _) = app_for_grant(client, AUTHING_TOKEN_GRANT)?;
        let token = required(&req.token, "token is missing")?;
        let subject = self
            .verify_user_token(token)
            .await
            .map_err(|_| invalid_grant("the token is invalid or expired"))?;
        if subject.pool_id != app.pool_id {
            return Err(invalid_grant("the token belongs to another user pool"));
        }
        let user = self.user_in_pool(&app.pool_id, &subject.user_id).await?;
        if user.blocked || user.tokens_valid_after >= subject.issued_ms {
            return Err(invalid_grant("the token is no longer valid"));
        }
        // The application's access policy, as at every login.
        if !self.may_use_app(&app.pool_id, &user.id, &app.id).await? {
            return Err(protocol(
                ProtocolError::AccessDenied,
                "the user may not use this application",
            ));
        }
        let scope = match req.scope.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => s.to_owned(),
            None => "openid profile".to_owned(),
        };
        let grant = self
            .new_grant(
                client.pool(),
                app,
                &user,
                None,
                &scope,
                subject.iat * 1000,
                vec!["pwd".to_owned()],
            )
            .await?;
        self.token_set(app, &grant, &user, None, true).await
    }

    async fn grant_device_code(&self, client: &Client, req: &TokenRequest) -> Result<TokenSet> {
        let (app, _) = app_for_grant(client, DEVICE_CODE_GRANT)?;
        let code = required(&req.device_code, "device_code is missing")?;
        let d = match self
            .store
            .poll_device_code(&digest(code), clock::now_ms())
            .await?
        {
            DevicePoll::Missing => {
                return Err(protocol(
                    ProtocolError::ExpiredToken,
                    "the device code is invalid or expired",
                ))
            }
            DevicePoll::TooFast(_) => {
                return Err(protocol(ProtocolError::SlowDown, "polling too fast"))
            }
            DevicePoll::Found(d) => d,
        };
        if d.app_id != app.id {
            return Err(invalid_grant(
                "the device code was issued to another client",
            ));
        }
        match d.status {
            DeviceStatus::Pending => Err(protocol(
                ProtocolError::AuthorizationPending,
                "the user has not answered yet",
            )),
            DeviceStatus::Denied => Err(protocol(
                ProtocolError::AccessDenied,
                "the user refused the device",
            )),
            DeviceStatus::Used => Err(invalid_grant("the device code was already used")),
            DeviceStatus::Approved => {
                let user_id = d.user_id.as_deref().ok_or(Error::UserNotFound)?;
                let user = self.user_in_pool(&d.pool_id, user_id).await?;
                let pool = client.pool();
                let grant = self
                    .new_grant(
                        pool,
                        app,
                        &user,
                        d.sid.clone(),
                        &d.scope,
                        d.auth_time.unwrap_or(d.created_at),
                        d.amr.clone(),
                    )
                    .await?;
                self.token_set(app, &grant, &user, None, true).await
            }
        }
    }

    /// Tokens for an authentication that happened outside the browser flow — the v3
    /// sign-in API (`/api/v3/signin`, `signin-by-mobile`), whose answer is the token set an
    /// authorization code would have bought (`v3-wire.md` §5.4). It is a grant like any
    /// other: its access token is checked, refreshed and revoked by the same rules. The
    /// scope defaults to the SDKs' `openid profile`; only the OIDC scopes are kept.
    pub async fn oidc_tokens_for_event(
        &self,
        pool: &UserPool,
        app: &Application,
        event: &AuthEvent,
        scope: Option<&str>,
    ) -> Result<TokenSet> {
        if app.pool_id != pool.id || event.user.pool_id != pool.id {
            return Err(Error::Forbidden);
        }
        let scope = scope
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("openid profile");
        let grant = grant_for(
            pool,
            app,
            &event.user,
            None,
            scope,
            event.at_ms,
            event.methods.iter().map(|m| m.amr().to_owned()).collect(),
        );
        // The grant is issued to the event's device, recorded with it ("my devices",
        // `service/devices.rs`), so signing that device out ends exactly its tokens.
        let device = devices::sighting(&pool.id, &event.user.id, &event.client, event.at_ms);
        self.store.insert_grant_on_device(&grant, &device).await?;
        self.token_set(app, &grant, &event.user, None, true).await
    }

    /// A new grant for a user, stored.
    #[allow(clippy::too_many_arguments)]
    async fn new_grant(
        &self,
        pool: &UserPool,
        app: &Application,
        user: &User,
        sid: Option<String>,
        scope: &str,
        auth_time: i64,
        amr: Vec<String>,
    ) -> Result<Grant> {
        let grant = grant_for(pool, app, user, sid, scope, auth_time, amr);
        self.store.insert_grant(&grant, None).await?;
        Ok(grant)
    }

    /// The grant's user, if still allowed tokens.
    async fn grant_user(&self, grant: &Grant) -> Result<User> {
        let user_id = grant
            .user_id
            .as_deref()
            .ok_or_else(|| invalid_grant("the grant has no user"))?;
        let user = self
            .user_in_pool(&grant.pool_id, user_id)
            .await
            .map_err(|_| invalid_grant("the user no longer exists"))?;
        if user.blocked || user.tokens_valid_after >= grant.auth_time {
            return Err(invalid_grant("the user's sessions were ended"));
        }
        Ok(user)
    }

    /// Access token, ID token (with `openid`) and, with `offline_access` and the
    /// refresh_token grant allowed, a first refresh token (`with_refresh`).
    async fn token_set(
        &self,
        app: &Application,
        grant: &Grant,
        user: &User,
        nonce: Option<&str>,
        with_refresh: bool,
    ) -> Result<TokenSet> {
        let scopes: Vec<String> = grant.scope.split_whitespace().map(str::to_owned).collect();
        let claims = self.access_claims(app, Some(grant), &user.id, &grant.scope);
        let access_token = self.sign_access_token(&claims).await?;
        let id_token = if has_scope(&scopes, "openid") {
            Some(
                self.sign_id_token(IdTokenFacts {
                    app,
                    user,
                    scopes: &scopes,
                    auth_time_ms: grant.auth_time,
                    amr: &grant.amr,
                    nonce,
                    sid: grant.sid.as_deref(),
                    access_token: Some(&access_token),
                    code: None,
                })
                .await?,
            )
        } else {
            None
        };
        let refresh_token = if with_refresh
            && has_scope(&scopes, "offline_access")
            && app.oidc.allows_grant("refresh_token")
        {
            let rt = ids::new_url_token(32);
            let exp = clock::now_ms() + app.oidc.refresh_token_lifetime.max(1).saturating_mul(1000);
            self.store
                .add_refresh_token(&grant.id, &digest(&rt), exp)
                .await?;
            Some(rt)
        } else {
            None
        };
        Ok(TokenSet {
            access_token,
            token_type: "Bearer",
            expires_in: claims.exp - claims.iat,
            scope: grant.scope.clone(),
            id_token,
            refresh_token,
        })
    }

    /// RFC 7662: whether a token of the caller's pool is active, and what it is.
    pub async fn oidc_introspect(&self, auth: ClientAuth, token: &str) -> Result<Introspection> {
        let client = self.oidc_client(&auth, true).await?;
        let pool_id = client.pool().id.clone();
        if let Ok((claims, grant)) = self.oidc_check_access_token(token).await {
            let same_pool = match &grant {
                Some(g) => g.pool_id == pool_id,
                None => self.token_client_pool(&claims).await? == Some(pool_id.clone()),
            };
            if same_pool {
                return Ok(Introspection {
                    active: true,
                    sub: Some(claims.sub),
                    client_id: Some(claims.client_id),
                    exp: Some(claims.exp),
                    iat: Some(claims.iat),
                    iss: Some(claims.iss),
                    jti: Some(claims.jti),
                    scope: Some(claims.scope),
                    token_type: Some("Bearer"),
                });
            }
            return Ok(Introspection::default());
        }
        let now = clock::now_ms();
        if let Some((grant, used)) = self.store.refresh_grant(&digest(token), now).await? {
            let active = !used && grant.revoked_at.is_none() && grant.pool_id == pool_id;
            if active && self.grant_user(&grant).await.is_ok() {
                return Ok(Introspection {
                    active: true,
                    sub: grant.user_id.clone(),
                    client_id: Some(grant.app_id.clone()),
                    exp: Some(grant.expires_at / 1000),
                    iat: Some(grant.created_at / 1000),
                    iss: Some(self.issuer()),
                    jti: None,
                    scope: Some(grant.scope.clone()),
                    token_type: Some("refresh_token"),
                });
            }
        }
        Ok(Introspection::default())
    }

    /// The pool of the client a grant-less (client credentials) token was issued to.
    async fn token_client_pool(&self, claims: &AccessClaims) -> Result<Option<String>> {
        if let Ok((app, _)) = self.app_and_pool(&claims.client_id).await {
            return Ok(Some(app.pool_id));
        }
        Ok(self
            .store
            .get_access_key(&claims.client_id)
            .await?
            .map(|k| k.pool_id))
    }

    /// RFC 7009: revokes a token the client holds. An access token's or refresh token's
    /// whole grant goes (§2.1 allows revoking the related tokens). A token that is unknown,
    /// already invalid or another client's is answered the same, with nothing done (§2.2).
    pub async fn oidc_revoke(&self, auth: ClientAuth, token: &str) -> Result<()> {
        let client = self.oidc_client(&auth, true).await?;
        let now = clock::now_ms();
        if let Ok(parsed) = jwt::parse(token) {
            if parsed.header.typ.as_deref() == Some(ACCESS_TOKEN_TYP)
                && self.rs256_valid(&parsed).await.unwrap_or(false)
            {
                if let Ok(claims) = parsed.claims_unverified::<AccessClaims>() {
                    if claims.client_id != client.id() {
                        return Ok(());
                    }
                    match &claims.gid {
                        Some(gid) => self.store.revoke_grant(gid, now).await?,
                        None => {
                            self.store
                                .revoke_token(&claims.jti, &client.pool().id, claims.exp * 1000)
                                .await?
                        }
                    }
                }
            }
            return Ok(());
        }
        if let Some((grant, _)) = self.store.refresh_grant(&digest(token), now).await? {
            if grant.app_id == client.id() {
                self.store.revoke_grant(&grant.id, now).await?;
            }
        }
        Ok(())
    }
}

/// A new grant for a user, not yet stored: it lives as long as the longest token issued
/// under it.
#[allow(clippy::too_many_arguments)]
fn grant_for(
    pool: &UserPool,
    app: &Application,
    user: &User,
    sid: Option<String>,
    scope: &str,
    auth_time: i64,
    amr: Vec<String>,
) -> Grant {
    let now = clock::now_ms();
    Grant {
        id: ids::new_id(),
        pool_id: pool.id.clone(),
        app_id: app.id.clone(),
        user_id: Some(user.id.clone()),
        sid,
        scope: granted_scopes(scope).join(" "),
        auth_time,
        amr,
        created_at: now,
        expires_at: now
            + app
                .oidc
                .access_token_lifetime
                .max(app.oidc.refresh_token_lifetime)
                .max(1)
                .saturating_mul(1000),
        revoked_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(pairs: &[(&str, &str)]) -> TokenRequest {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        };
        TokenRequest {
            username: get("username"),
            email: get("email"),
            phone: get("phone"),
            unionid: get("unionid"),
            ..TokenRequest::default()
        }
    }

    fn refused_as(r: Result<LoginId>, kind: ProtocolError) -> bool {
        matches!(r, Err(Error::Protocol(k, _)) if k == kind)
    }

    #[test]
    fn the_password_grant_names_its_user_once() {
        assert!(matches!(
            password_login_id(&req(&[("username", "a@b.c")])),
            Ok(LoginId::Email(e)) if e == "a@b.c"
        ));
        assert!(matches!(
            password_login_id(&req(&[("username", "alice")])),
            Ok(LoginId::Account(a)) if a == "alice"
        ));
        assert!(matches!(
            password_login_id(&req(&[("email", "a@b.c"), ("username", "")])),
            Ok(LoginId::Email(e)) if e == "a@b.c"
        ));
        assert!(matches!(
            password_login_id(&req(&[("phone", "13800000000")])),
            Ok(LoginId::Phone { number, country_code: None }) if number == "13800000000"
        ));
        assert!(refused_as(
            password_login_id(&req(&[("email", "a@b.c"), ("phone", "138")])),
            ProtocolError::InvalidRequest
        ));
        assert!(refused_as(
            password_login_id(&req(&[])),
            ProtocolError::InvalidRequest
        ));
        // A unionid is not a secret: refused even beside a real identifier.
        assert!(refused_as(
            password_login_id(&req(&[("unionid", "u1")])),
            ProtocolError::InvalidGrant
        ));
        assert!(refused_as(
            password_login_id(&req(&[("unionid", "u1"), ("email", "a@b.c")])),
            ProtocolError::InvalidGrant
        ));
    }
}
