//! Browser flows to an external OpenID Provider through a connection of kind `oidc`: linking
//! the provider's account (`sub`) to a user of the pool (`generateLinkExtIdpUrl`).
//!
//! 1. [`Core::ext_oidc_link_url`] checks the user's ID token (issued by this server to the
//!    application) and the connection, and records a flow (`ext_oidc_flows`) whose ticket
//!    is in the start link it answers.
//! 2. [`Core::ext_oidc_start`], when the browser opens the link, starts the flow once: a
//!    fresh state, nonce and PKCE (S256) verifier are written with the digest of a cookie
//!    that binds the browser, and the browser is sent to the provider's authorization
//!    endpoint.
//! 3. [`Core::ext_oidc_callback`] spends the state once (deleted before the code is
//!    exchanged, so a replay is refused even when the exchange fails), exchanges the code at
//!    the token endpoint (`client_secret_post`, the verifier), checks the ID token — its
//!    signature against the provider's JWKS (`jwksUri`) or, for HS256, the client secret;
//!    issuer, audience, expiry and nonce — and, when the provider has a userinfo endpoint,
//!    that its `sub` is the ID token's (without a JWKS, the userinfo answer over the token's
//!    back channel is what vouches for the `sub`), then links the `sub` to the flow's user,
//!    refused if another user holds it. A refusal links nothing.
//!
//! The connection's `fields` use the names of Authing's console for an OIDC identity source
//! (`issuerUrl`, `authorizationEdpoint` — Authing's own spelling —, `tokenEndpoint`,
//! `userInfoEndpoint`, `jwksUri`, `clientId`, `clientSecret`, `scopes`), each also accepted
//! in its usual spelling (`issuer`, `authorizationEndpoint`, `userinfoEndpoint`).

use serde_json::{Map, Value};

use super::external_login::{ExternalLogin, ExternalTarget};
use super::login::Credential;
use super::mini_program::{field, required};
use super::Core;
use crate::clock;
use crate::crypto::alipay_sign::url_encode;
use crate::crypto::{self, jwt};
use crate::error::{Entity, Error, ProviderFailure, Result, UniqueField};
use crate::ids;
use crate::model::tenant::ExtIdpConn;
use crate::model::{Application, ExternalIdentity, Profile, UserPool};
use crate::store::ext_oidc::{ExtOidcFlow, ExtOidcStart};

/// How long a link, once handed out, may wait for its browser and the provider's answer.
const FLOW_TTL_MS: i64 = 10 * 60 * 1000;
/// Clock skew tolerated on the provider's `exp`.
const SKEW_SECS: i64 = 60;
/// The provider name of the identities these flows link.
pub const OIDC_PROVIDER: &str = "oidc";
/// The `registerSource` of a user an `oidc` login registers.
pub const OIDC_REGISTER_SOURCE: &str = "oidc";
/// The connection kind these flows go through.
pub const OIDC_KIND: &str = "oidc";
/// The path of the callback every `oidc` connection registers at its provider (under the
/// public URL); the state names the flow, so one path serves every pool and connection.
pub const CALLBACK_PATH: &str = "/connections/oidc/callback";
/// The path of the start link.
pub const START_PATH: &str = "/connections/oidc/start";

/// An `oidc` connection's settings. The secret never reaches a log.
#[derive(Clone)]
pub(crate) struct OidcConnection {
    pub conn_id: String,
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    pub scopes: String,
}

impl OidcConnection {
    /// The connection as an OIDC provider, if it is one, enabled and complete: the issuer,
    /// both browser and token endpoints, the client's id and secret, and a way to vouch for
    /// the `sub` (a JWKS or a userinfo endpoint).
    pub(crate) fn of(conn: &ExtIdpConn) -> Option<OidcConnection> {
        if conn.kind != OIDC_KIND || !conn.enabled {
            return None;
        }
        let f = &conn.fields;
        let url = |names: &[&str]| field(f, names).filter(|u| is_http_url(u));
        let userinfo_endpoint = url(&["userInfoEndpoint", "userinfoEndpoint"]);
        let jwks_uri = url(&["jwksUri", "jwksEndpoint"]);
        if userinfo_endpoint.is_none() && jwks_uri.is_none() {
            return None;
        }
        Some(OidcConnection {
            conn_id: conn.id.clone(),
            issuer: field(f, &["issuerUrl", "issuer"])?,
            authorization_endpoint: url(&["authorizationEdpoint", "authorizationEndpoint"])?,
            token_endpoint: url(&["tokenEndpoint", "tokenEndPoint"])?,
            userinfo_endpoint,
            jwks_uri,
            client_id: field(f, &["clientId"])?,
            client_secret: field(f, &["clientSecret"])?,
            scopes: scopes(f.get("scopes")),
        })
    }
}

fn is_http_url(u: &str) -> bool {
    u.starts_with("https://") || u.starts_with("http://")
}

/// The scopes to ask for: the connection's (a space- or comma-separated string, or a list),
/// `openid` always among them, `openid profile email` when none is set.
fn scopes(v: Option<&Value>) -> String {
    let mut list: Vec<String> = match v {
        Some(Value::String(s)) => s
            .split([' ', ','])
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .filter(|x| !x.trim().is_empty())
            .map(|x| x.trim().to_owned())
            .collect(),
        _ => Vec::new(),
    };
    if list.is_empty() {
        list = vec!["openid".into(), "profile".into(), "email".into()];
    }
    if !list.iter().any(|s| s == "openid") {
        list.insert(0, "openid".into());
    }
    list.join(" ")
}

/// Where a started flow sends the browser, and the cookie that binds it (its value).
#[derive(Clone)]
pub struct ExtOidcRedirect {
    pub authorize_url: String,
    pub browser_binding: String,
}

impl std::fmt::Debug for ExtOidcRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtOidcRedirect").finish_non_exhaustive()
    }
}

/// What the provider's callback achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtOidcLinked {
    pub user_id: String,
    /// The provider's `sub`, now linked.
    pub subject: String,
    /// Where to send the browser: the application's redirect URI the link named.
    pub target_url: Option<String>,
}

/// A flow's end: a link made, or a login to run.
#[derive(Debug)]
pub enum ExtOidcDone {
    Linked(ExtOidcLinked),
    Login(ExtOidcLogin),
}

/// A login the provider vouched for, to run through [`Core::authenticate`] with the
/// credential for the parked authorization request it started from.
#[derive(Debug)]
pub struct ExtOidcLogin {
    pub pool_id: String,
    pub app_id: String,
    pub interaction_id: String,
    pub credential: Credential,
}

/// An `oidc` connection offered on the hosted login page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginConnection {
    pub identifier: String,
    pub display_name: String,
}

/// What a user an `oidc` login registers takes from the provider's claims.
fn profile_of(claims: &Map<String, Value>) -> Profile {
    let s = |k: &str| {
        claims
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    Profile {
        nickname: s("nickname").or_else(|| s("name")),
        photo: s("picture"),
        name: s("name"),
        given_name: s("given_name"),
        family_name: s("family_name"),
        preferred_username: s("preferred_username"),
        ..Profile::default()
    }
}

/// The provider's answer at the callback, as the browser brought it.
#[derive(Debug, Clone, Default)]
pub struct ExtOidcCallback {
    pub state: Option<String>,
    pub code: Option<String>,
    /// The provider's `error` (`access_denied`…), when it refused.
    pub error: Option<String>,
    /// The cookie set when the flow started.
    pub browser_binding: Option<String>,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl Core {
    /// `generateLinkExtIdpUrl`: a link that takes the browser of the user `id_token` names
    /// (an ID token this server issued to `app`, of `pool`) to the provider of the `oidc`
    /// connection `identifier` and back, linking the provider's account to that user.
    /// `target_url`, when given, must be one of the application's redirect URIs.
    pub async fn ext_oidc_link_url(
        &self,
        pool: &UserPool,
        app: &Application,
        identifier: &str,
        id_token: &str,
        target_url: Option<&str>,
    ) -> Result<String> {
        required("ext_idp_conn_identifier", identifier)?;
        required("id_token", id_token)?;
        if app.pool_id != pool.id {
            return Err(Error::AppNotFound);
        }
        let claims = self
            .oidc_id_token_claims(id_token, false)
            .await
            .map_err(|_| Error::TokenInvalid)?;
        if claims.get("aud").and_then(Value::as_str) != Some(app.id.as_str()) {
            return Err(Error::TokenInvalid);
        }
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or(Error::TokenInvalid)?;
        // The token's user, in this pool, still able to sign in.
        let user = self
            .user_in_pool(&pool.id, sub)
            .await
            .map_err(|_| Error::TokenInvalid)?;
        if user.blocked {
            return Err(Error::UserBlocked);
        }
        let conn = self.oidc_connection(&pool.id, identifier).await?;
        self.refuse_conn_off_in_app(&pool.id, &conn.conn_id, &app.id)
            .await?;
        let target_url = target_url.map(str::trim).filter(|t| !t.is_empty());
        if let Some(t) = target_url {
            if !app.oidc.redirect_uris.iter().any(|u| u == t) {
                return Err(Error::InvalidParameter("target_url"));
            }
        }
        let ticket = ids::new_url_token(32);
        let now = clock::now_ms();
        self.store
            .put_ext_oidc_flow(&ExtOidcFlow {
                start_hash: crypto::digest(&ticket),
                pool_id: pool.id.clone(),
                app_id: app.id.clone(),
                conn_id: conn.conn_id,
                user_id: Some(user.id),
                interaction_id: None,
                target_url: target_url.map(str::to_owned),
                expires_at: now + FLOW_TTL_MS,
                created_at: now,
            })
            .await?;
        Ok(format!(
            "{}{START_PATH}?ticket={ticket}",
            self.config.public_url
        ))
    }

    /// The `oidc` connections a login to `app` may go through (enabled, complete, not
    /// switched off for the application), for the hosted login page's buttons.
    pub async fn ext_oidc_login_connections(
        &self,
        pool: &UserPool,
        app: &Application,
    ) -> Result<Vec<LoginConnection>> {
        let mut out = Vec::new();
        for conn in self
            .store
            .ext_idp_conns_of_kind(&pool.id, OIDC_KIND)
            .await?
        {
            if OidcConnection::of(&conn).is_none()
                || self
                    .refuse_conn_off_in_app(&pool.id, &conn.id, &app.id)
                    .await
                    .is_err()
            {
                continue;
            }
            out.push(LoginConnection {
                identifier: conn.identifier,
                display_name: conn.display_name,
            });
        }
        Ok(out)
    }

    /// A login through the `oidc` connection `identifier` for the parked authorization
    /// request `interaction_id` of `app` (the hosted login page's button): a flow recorded
    /// and started at once; the callback ends in [`Core::authenticate`].
    pub async fn ext_oidc_login_start(
        &self,
        pool: &UserPool,
        app: &Application,
        identifier: &str,
        interaction_id: &str,
    ) -> Result<ExtOidcRedirect> {
        let conn = self.oidc_connection(&pool.id, identifier).await?;
        self.refuse_conn_off_in_app(&pool.id, &conn.conn_id, &app.id)
            .await?;
        let start_hash = crypto::digest(&ids::new_url_token(32));
        let now = clock::now_ms();
        self.store
            .put_ext_oidc_flow(&ExtOidcFlow {
                start_hash: start_hash.clone(),
                pool_id: pool.id.clone(),
                app_id: app.id.clone(),
                conn_id: conn.conn_id,
                user_id: None,
                interaction_id: Some(interaction_id.to_owned()),
                target_url: None,
                expires_at: now + FLOW_TTL_MS,
                created_at: now,
            })
            .await?;
        self.start_flow(&start_hash).await
    }

    /// The pool's enabled, complete `oidc` connection `identifier`.
    async fn oidc_connection(&self, pool_id: &str, identifier: &str) -> Result<OidcConnection> {
        let conn = self
            .store
            .ext_idp_conn_by_identifier(pool_id, identifier)
            .await?
            .ok_or(Error::NotFound(Entity::ExtIdpConn))?;
        OidcConnection::of(&conn).ok_or(Error::IdentitySourceNotConfigured)
    }

    /// The browser opened a start link: the flow starts once, and the browser is sent to
    /// the provider with a fresh state, nonce and PKCE challenge.
    pub async fn ext_oidc_start(&self, ticket: &str) -> Result<ExtOidcRedirect> {
        required("ticket", ticket)?;
        self.start_flow(&crypto::digest(ticket)).await
    }

    /// Starts the recorded flow `start_hash` (once): its state, nonce, PKCE verifier and
    /// browser binding, and the authorization request to the provider.
    async fn start_flow(&self, start_hash: &str) -> Result<ExtOidcRedirect> {
        let state = ids::new_url_token(32);
        let browser_binding = ids::new_url_token(32);
        let start = ExtOidcStart {
            state_hash: crypto::digest(&state),
            nonce: ids::new_url_token(24),
            code_verifier: ids::new_url_token(48),
            browser_hash: crypto::digest(&browser_binding),
        };
        let flow = self
            .store
            .start_ext_oidc_flow(start_hash, &start, clock::now_ms())
            .await?
            .ok_or(Error::NotFound(Entity::ExtOidcFlow))?;
        let conn = self.flow_connection(&flow.pool_id, &flow.conn_id).await?;
        let sep = if conn.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        let params = [
            ("response_type", "code"),
            ("client_id", conn.client_id.as_str()),
            ("redirect_uri", &self.ext_oidc_callback_url()),
            ("scope", conn.scopes.as_str()),
            ("state", state.as_str()),
            ("nonce", start.nonce.as_str()),
            (
                "code_challenge",
                &crypto::sha256_b64url(&start.code_verifier),
            ),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
        Ok(ExtOidcRedirect {
            authorize_url: format!("{}{sep}{params}", conn.authorization_endpoint),
            browser_binding,
        })
    }

    /// The redirect URI every `oidc` connection registers at its provider.
    pub fn ext_oidc_callback_url(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.config.public_url)
    }

    /// A flow's connection, read again: switched off or emptied meanwhile, it is not
    /// configured any more.
    async fn flow_connection(&self, pool_id: &str, conn_id: &str) -> Result<OidcConnection> {
        self.store
            .get_ext_idp_conn(pool_id, conn_id)
            .await?
            .as_ref()
            .and_then(OidcConnection::of)
            .ok_or(Error::IdentitySourceNotConfigured)
    }

    /// The provider sent the browser back: the flow's state is spent, the code exchanged and
    /// the answer checked, then the provider's `sub` linked to the flow's user.
    pub async fn ext_oidc_callback(&self, cb: ExtOidcCallback) -> Result<ExtOidcDone> {
        let state = blank(&cb.state).ok_or(Error::MissingParameter("state"))?;
        let state_hash = crypto::digest(state);
        let started = self
            .store
            .ext_oidc_flow_by_state(&state_hash)
            .await?
            .ok_or(Error::NotFound(Entity::ExtOidcFlow))?;
        // Another browser than the one that opened the link (a callback URL passed on) is
        // refused as an unknown flow, and does not spend it.
        let bound = blank(&cb.browser_binding).is_some_and(|b| {
            crypto::ct_eq(
                crypto::digest(b).as_bytes(),
                started.start.browser_hash.as_bytes(),
            )
        });
        if !bound {
            return Err(Error::NotFound(Entity::ExtOidcFlow));
        }
        if !self
            .store
            .take_ext_oidc_flow(&state_hash, clock::now_ms())
            .await?
        {
            return Err(Error::NotFound(Entity::ExtOidcFlow));
        }
        let flow = started.flow;
        if let Some(e) = blank(&cb.error) {
            tracing::info!(pool = %flow.pool_id, connection = %flow.conn_id, error = e.chars().take(64).collect::<String>(), "OIDC provider refused the authorization");
            return Err(Error::Provider(ProviderFailure::Refused {
                provider_code: 0,
            }));
        }
        let code = blank(&cb.code).ok_or(Error::MissingParameter("code"))?;
        let conn = self.flow_connection(&flow.pool_id, &flow.conn_id).await?;
        let user = match &flow.user_id {
            Some(id) => Some(self.user_in_pool(&flow.pool_id, id).await?),
            None => None,
        };
        let redirect_uri = self.ext_oidc_callback_url();
        let answer = self
            .oidc_upstream
            .token(
                &conn.token_endpoint,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", &redirect_uri),
                    ("client_id", &conn.client_id),
                    ("client_secret", &conn.client_secret),
                    ("code_verifier", &started.start.code_verifier),
                ],
            )
            .await?;
        let (subject, profile) = self
            .checked_upstream_identity(&conn, &answer, &started.start.nonce)
            .await?;
        let Some(user) = user else {
            // A login: the core's one login decides who, under every rule of the pool.
            let interaction_id = flow
                .interaction_id
                .ok_or(Error::NotFound(Entity::ExtOidcFlow))?;
            let login = ExternalLogin {
                provider: OIDC_PROVIDER,
                connection_id: conn.conn_id.clone(),
                subject,
                union: None,
                phone: None,
                register_source: OIDC_REGISTER_SOURCE,
                profile: profile_of(&profile),
                target: ExternalTarget::Resolve { register: true },
                per_connection: true,
            };
            return Ok(ExtOidcDone::Login(ExtOidcLogin {
                pool_id: flow.pool_id,
                app_id: flow.app_id,
                interaction_id,
                credential: Credential::External(Box::new(login)),
            }));
        };
        self.link_oidc_identity(&flow.pool_id, &user.id, &conn, &subject, profile)
            .await?;
        Ok(ExtOidcDone::Linked(ExtOidcLinked {
            user_id: user.id,
            subject,
            target_url: flow.target_url,
        }))
    }

    /// The `sub` the token endpoint's answer vouches for, and the profile to keep with the
    /// identity (userinfo's claims, else the ID token's).
    async fn checked_upstream_identity(
        &self,
        conn: &OidcConnection,
        answer: &Map<String, Value>,
        nonce: &str,
    ) -> Result<(String, Map<String, Value>)> {
        let bad = || Error::Provider(ProviderFailure::Refused { provider_code: 0 });
        let id_token = answer
            .get("id_token")
            .and_then(Value::as_str)
            .ok_or_else(bad)?;
        let parsed = jwt::parse(id_token).map_err(|_| bad())?;
        let claims: Map<String, Value> = parsed.claims_unverified().map_err(|_| bad())?;
        let signed = match parsed.header.alg.as_str() {
            "RS256" => match &conn.jwks_uri {
                Some(uri) => {
                    let jwks = self.oidc_upstream.get_json(uri, None).await?;
                    jwks_verifies(&jwks, &parsed)
                }
                None => false,
            },
            "HS256" => parsed.verify_hs256(conn.client_secret.as_bytes()),
            _ => false,
        };
        // Without a JWKS the signature is not checked; userinfo over the back channel then
        // vouches for the `sub`.
        if !signed && (conn.jwks_uri.is_some() || conn.userinfo_endpoint.is_none()) {
            return Err(id_token_refused(conn, "signature"));
        }
        if claims.get("iss").and_then(Value::as_str) != Some(conn.issuer.as_str()) {
            return Err(id_token_refused(conn, "issuer"));
        }
        let aud_ok = match claims.get("aud") {
            Some(Value::String(a)) => a == &conn.client_id,
            Some(Value::Array(list)) => {
                list.iter()
                    .any(|a| a.as_str() == Some(conn.client_id.as_str()))
                    && (list.len() == 1
                        || claims.get("azp").and_then(Value::as_str)
                            == Some(conn.client_id.as_str()))
            }
            _ => false,
        };
        if !aud_ok {
            return Err(id_token_refused(conn, "audience"));
        }
        let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
        if exp + SKEW_SECS <= clock::now_secs() {
            return Err(id_token_refused(conn, "expiry"));
        }
        let nonce_ok = claims
            .get("nonce")
            .and_then(Value::as_str)
            .is_some_and(|n| crypto::ct_eq(n.as_bytes(), nonce.as_bytes()));
        if !nonce_ok {
            return Err(id_token_refused(conn, "nonce"));
        }
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| id_token_refused(conn, "sub"))?
            .to_owned();
        let mut profile = claims.clone();
        if let Some(uri) = &conn.userinfo_endpoint {
            let access_token = answer
                .get("access_token")
                .and_then(Value::as_str)
                .ok_or_else(bad)?;
            let info = self.oidc_upstream.get_json(uri, Some(access_token)).await?;
            if info.get("sub").and_then(Value::as_str) != Some(sub.as_str()) {
                return Err(id_token_refused(conn, "userinfo sub"));
            }
            profile = info;
        }
        // Token claims that say nothing about the person are not kept.
        for k in [
            "nonce",
            "at_hash",
            "c_hash",
            "aud",
            "azp",
            "exp",
            "iat",
            "auth_time",
            "sid",
            "jti",
        ] {
            profile.remove(k);
        }
        Ok((sub, profile))
    }

    /// Links `sub` of `conn` to the user; already linked to that user is success, linked to
    /// another user is [`Error::IdentityLinkedElsewhere`].
    async fn link_oidc_identity(
        &self,
        pool_id: &str,
        user_id: &str,
        conn: &OidcConnection,
        sub: &str,
        profile: Map<String, Value>,
    ) -> Result<()> {
        let mine = self.store.list_identities(pool_id, user_id).await?;
        let same = |i: &ExternalIdentity| {
            i.provider == OIDC_PROVIDER
                && i.connection_id.as_deref() == Some(conn.conn_id.as_str())
                && i.user_id_in_idp == sub
        };
        if mine.iter().any(same) {
            return Ok(());
        }
        let now = clock::now_ms();
        let identity = ExternalIdentity {
            id: ids::new_id(),
            pool_id: pool_id.to_owned(),
            user_id: user_id.to_owned(),
            provider: OIDC_PROVIDER.to_owned(),
            connection_id: Some(conn.conn_id.clone()),
            user_id_in_idp: sub.to_owned(),
            openid: None,
            is_social: false,
            user_info_in_idp: Some(Value::Object(profile).to_string()),
            access_token: None,
            refresh_token: None,
            created_at: now,
            updated_at: now,
        };
        match self.store.insert_identities(&[identity]).await {
            Err(Error::AlreadyExists(UniqueField::ExternalId)) => {
                Err(Error::IdentityLinkedElsewhere)
            }
            other => other,
        }
    }
}

/// The provider's answer failed a check: logged by name (never the token), refused.
fn id_token_refused(conn: &OidcConnection, check: &'static str) -> Error {
    tracing::info!(connection = %conn.conn_id, check, "OIDC provider's ID token refused");
    Error::Provider(ProviderFailure::Refused { provider_code: 0 })
}

/// Whether an RSA key of `jwks` (the one the header's `kid` names, else any) verifies the
/// token.
fn jwks_verifies(jwks: &Map<String, Value>, token: &jwt::Unverified<'_>) -> bool {
    let Some(keys) = jwks.get("keys").and_then(Value::as_array) else {
        return false;
    };
    keys.iter()
        .filter(|k| k.get("kty").and_then(Value::as_str) == Some("RSA"))
        .filter(
            |k| match (&token.header.kid, k.get("kid").and_then(Value::as_str)) {
                (Some(want), Some(have)) => want == have,
                _ => true,
            },
        )
        .filter_map(rsa_public_key)
        .any(|key| token.verify_rs256_public(&key))
}

fn rsa_public_key(jwk: &Value) -> Option<openssl::rsa::Rsa<openssl::pkey::Public>> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let part = |name: &str| {
        let text = jwk.get(name)?.as_str()?;
        let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?;
        openssl::bn::BigNum::from_slice(&bytes).ok()
    };
    openssl::rsa::Rsa::from_public_components(part("n")?, part("e")?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_always_ask_for_openid() {
        assert_eq!(scopes(None), "openid profile email");
        assert_eq!(
            scopes(Some(&Value::String("profile,email".into()))),
            "openid profile email"
        );
        assert_eq!(
            scopes(Some(&serde_json::json!(["email", "openid"]))),
            "email openid"
        );
    }

    #[test]
    fn a_connection_without_a_way_to_vouch_for_the_sub_is_incomplete() {
        let mut fields = serde_json::json!({
            "issuerUrl": "https://idp.example/oidc",
            "authorizationEdpoint": "https://idp.example/oidc/auth",
            "tokenEndpoint": "https://idp.example/oidc/token",
            "clientId": "c",
            "clientSecret": "s"
        });
        let conn = |fields: &Value| ExtIdpConn {
            id: "conn".into(),
            pool_id: "p".into(),
            ext_idp_id: "e".into(),
            kind: "oidc".into(),
            identifier: "i".into(),
            display_name: "d".into(),
            fields: fields.as_object().cloned().unwrap_or_default(),
            user_match_fields: Vec::new(),
            logo: None,
            enabled: true,
            created_at: 0,
            updated_at: 0,
        };
        assert!(OidcConnection::of(&conn(&fields)).is_none());
        fields["jwksUri"] = "https://idp.example/oidc/.well-known/jwks.json".into();
        let c = OidcConnection::of(&conn(&fields)).expect("complete");
        assert_eq!(c.authorization_endpoint, "https://idp.example/oidc/auth");
        fields["tokenEndpoint"] = "ftp://nope".into();
        assert!(OidcConnection::of(&conn(&fields)).is_none());
    }
}
