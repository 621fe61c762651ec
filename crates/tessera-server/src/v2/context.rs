//! What every v2 request carries: the app (and so the pool) from `x-authing-app-id` or the
//! pool from `x-authing-userpool-id`, the caller behind the Bearer token, the language and
//! the request's facts (client address, user agent).
//!
//! The caller is resolved once per request, on first use, and kept: every GraphQL field of
//! a document, the routing between the two SDK clients' meanings of an operation name and
//! the `clientIp` rule all read the same verified [`Principal`].

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use tessera_core::model::{Application, UserPool};
use tessera_core::principal::{
    presents_management, BearerScope, PoolAdmin, Principal, RequestFacts,
};
use tessera_core::service::account::{Session, SessionAhead};
use tessera_core::service::tokens::TokenSubject;
use tessera_core::service::users::LoginContext;
use tessera_core::{Error, Result};

use crate::authing::Lang;
use crate::caller::Caller;
use crate::client_ip::Origin;
use crate::cors::RequestPool;
use crate::AppState;

pub struct V2Ctx {
    pub state: AppState,
    pub lang: Lang,
    app: std::result::Result<Option<Application>, Error>,
    pool: std::result::Result<Option<UserPool>, Error>,
    /// The session of the token the request checks, read with the app and pool.
    ahead: Option<SessionAhead>,
    pub bearer: Option<String>,
    /// The connection's client address (the peer, or what trusted proxies report) and the
    /// user agent.
    pub facts: RequestFacts,
    /// Whether the socket peer is a trusted proxy, whose callers' `clientIp` is believed.
    via_trusted_proxy: bool,
    /// `x-authing-userpool-id` as sent: a management token must belong to that pool.
    pool_header: Option<String>,
    caller: tokio::sync::OnceCell<Caller>,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// A v2 request's facts before anything is read: what the headers and the connection say.
/// [`V2Start::load`] reads the app and pool (with the session of a user token, in the same
/// read) and gives the [`V2Ctx`]. The GraphQL endpoint loads once it has read the document,
/// so that `checkLoginStatus(token)` reads that token's session with the app; every other
/// handler extracts a [`V2Ctx`] directly, loading with the Bearer token.
pub struct V2Start {
    state: AppState,
    pub lang: Lang,
    app_id: Option<String>,
    pool_id: Option<String>,
    pub bearer: Option<String>,
    facts: RequestFacts,
    via_trusted_proxy: bool,
    cors: Option<RequestPool>,
}

impl FromRequestParts<AppState> for V2Start {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<Self, Self::Rejection> {
        let h = &parts.headers;
        let bearer = header(h, "authorization")
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty() && t != "null" && t != "undefined");
        // Served without connect info (only in-process tests do that), nothing is known.
        let origin = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| Origin::of(c.0.ip(), h, &state.options.trusted_proxies));
        Ok(V2Start {
            state: state.clone(),
            lang: Lang::from_header(header(h, "x-authing-lang")),
            app_id: header(h, "x-authing-app-id").map(str::to_owned),
            pool_id: header(h, "x-authing-userpool-id").map(str::to_owned),
            bearer,
            facts: RequestFacts {
                client_ip: origin.map(|o| o.client_ip),
                user_agent: header(h, "user-agent").map(|s| s.chars().take(256).collect()),
            },
            via_trusted_proxy: origin.is_some_and(|o| o.via_trusted_proxy),
            cors: parts.extensions.get::<RequestPool>().cloned(),
        })
    }
}

impl V2Start {
    /// Reads the app and its pool (or the pool the request names) and gives the request's
    /// context. `session`, a user token the request will check (its Bearer, or the
    /// `checkLoginStatus` argument), is read in the same read: the whole user when
    /// `whole_user`, else what decides its validity. Both are read on every request, never
    /// kept between requests (a second process may change either).
    pub async fn load(self, session: Option<(&str, bool)>) -> V2Ctx {
        self.load_with(session, None).await
    }

    /// [`Self::load`] reading, with the whole user, the extras the request will answer
    /// with: `(identities, customData)` ([`Core::app_and_pool_ahead_with`]).
    pub async fn load_with(
        self,
        session: Option<(&str, bool)>,
        extras: Option<(bool, bool)>,
    ) -> V2Ctx {
        let core = &self.state.core;
        let mut ahead = None;
        let (app, pool) = match (&self.app_id, &self.pool_id) {
            (Some(id), _) => {
                let (token, whole_user) = session.unzip();
                match core
                    .app_and_pool_ahead_with(id, token, whole_user.unwrap_or(true), extras)
                    .await
                {
                    Ok(((app, Some(pool)), read)) => {
                        ahead = read;
                        (Ok(Some(app)), Ok(Some(pool)))
                    }
                    // The app was found but its pool was not.
                    Ok(((app, None), _)) => (Ok(Some(app)), Err(Error::PoolNotFound)),
                    Err(e) => (Err(e.clone()), Err(e)),
                }
            }
            (None, Some(id)) => (Ok(None), core.pool(id).await.map(Some)),
            (None, None) => (Ok(None), Ok(None)),
        };
        // The answer's CORS headers follow this pool's allowed origins (`cors`).
        if let (Some(slot), Ok(Some(p))) = (&self.cors, &pool) {
            slot.record(p);
        }
        V2Ctx {
            state: self.state,
            lang: self.lang,
            app,
            pool,
            ahead,
            bearer: self.bearer,
            facts: self.facts,
            via_trusted_proxy: self.via_trusted_proxy,
            pool_header: self.pool_id,
            caller: tokio::sync::OnceCell::new(),
        }
    }
}

impl FromRequestParts<AppState> for V2Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<Self, Self::Rejection> {
        let Ok(start) = V2Start::from_request_parts(parts, state).await;
        let bearer = start.bearer.clone();
        Ok(start.load(bearer.as_deref().map(|t| (t, true))).await)
    }
}

impl V2Ctx {
    /// The pool the request is for; an unknown app id is 2011, no pool at all 2224.
    pub fn pool(&self) -> Result<&UserPool> {
        match &self.pool {
            Ok(Some(p)) => Ok(p),
            Ok(None) => Err(Error::PoolNotFound),
            Err(e) => Err(e.clone()),
        }
    }

    /// What the request's first read read ahead with the app and pool, if anything: the
    /// core answers from it only for the verified session it was read for.
    pub fn ahead(&self) -> Option<&SessionAhead> {
        self.ahead.as_ref()
    }

    pub fn app(&self) -> Option<&Application> {
        self.app.as_ref().ok().and_then(Option::as_ref)
    }

    /// Who is calling: the verified owner of the Bearer token, or anonymous (no token, or
    /// one that did not verify). Resolved on first use, once per request.
    pub async fn principal(&self) -> &Principal {
        &self.caller().await.principal
    }

    async fn caller(&self) -> &Caller {
        self.caller
            .get_or_init(|| async {
                // v2 has no way yet for an application to present its secret. When it has
                // one, it is resolved here, through `Core::authenticate_app`, into
                // `Principal::AppClient`, which may then state its users' `clientIp`.
                let Some(token) = self.bearer.as_deref() else {
                    return Caller::anonymous();
                };
                let scope = BearerScope {
                    pool: self.pool.as_ref().ok().and_then(Option::as_ref),
                    pool_header: self.pool_header.as_deref(),
                    ahead: self.ahead.as_ref(),
                };
                Caller::resolve(&self.state.core, token, scope, &self.facts).await
            })
            .await
    }

    /// The logged-in user. No token is 2020; a token of another pool than the request's,
    /// or a management token, is invalid here; a refused token answers with its own error.
    pub async fn session(&self) -> Result<&Session> {
        self.caller().await.session(self.bearer.is_some())
    }

    /// The session of `token`, in the request's pool when it names one. The request's own
    /// Bearer token is not verified a second time.
    pub async fn session_for(&self, token: &str) -> Result<Session> {
        if self.bearer.as_deref() == Some(token) {
            if let Some(s) = self.principal().await.session() {
                return Ok(s.clone());
            }
        }
        match &self.pool {
            Ok(Some(p)) => {
                let ahead = self.ahead.as_ref();
                self.state.core.session_in_pool_ahead(token, p, ahead).await
            }
            _ => self.state.core.session(token, None).await,
        }
    }

    /// Whether `token` is a live session ([`Self::session_for`] reading only what decides
    /// it: a status check needs no user row).
    pub async fn session_status_for(&self, token: &str) -> Result<TokenSubject> {
        match &self.pool {
            Ok(Some(p)) => {
                let ahead = self.ahead.as_ref();
                (self.state.core)
                    .session_status_in_pool_ahead(token, p, ahead)
                    .await
            }
            _ => self.session_for(token).await.map(|s| s.subject().clone()),
        }
    }

    /// Whether the caller is a verified administrator of the request's pool. A Bearer that
    /// does not even present itself as a management token cannot verify as one, so it is
    /// answered without verifying it (or reading its user): operations that never need
    /// the caller's session, such as `checkLoginStatus`, do not pay for one.
    pub async fn is_pool_admin(&self) -> bool {
        match self.bearer.as_deref() {
            // A Bearer whose session was read ahead was already decoded as a user token.
            Some(token) if !self.read_ahead(token) && presents_management(token) => {
                self.principal().await.pool_admin().is_some()
            }
            _ => false,
        }
    }

    /// Whether `token` is the user token whose session was read with the app and pool.
    fn read_ahead(&self, token: &str) -> bool {
        self.ahead.as_ref().is_some_and(|a| a.is_for(token))
    }

    /// The administrator a management call acts as: the Bearer must be a management token
    /// of the pool the request names. No token is 2020; a user's token (whatever its state)
    /// or another pool's management token is 1001; a management token that stopped
    /// verifying answers with its own error (2206 once its pool's secret changed).
    pub async fn admin(&self) -> Result<&PoolAdmin> {
        self.caller().await.admin(self.bearer.is_some())
    }

    /// The client a login or registration comes from, for the login record and the per-IP
    /// limits. The `clientIp` a caller states (the SDKs' option, with which a backend
    /// passes its end user's address, seed 001) counts only when the caller may speak for
    /// its users: it reached us through a trusted proxy, or it is an administrator of the
    /// request's pool ([`Principal::may_state_client_ip`]). Otherwise, or when it is not an
    /// IP address, it is ignored rather than refused, since the SDK sends it routinely, and
    /// the connection's address counts: an anonymous caller cannot pick the address its
    /// failures are counted under.
    pub async fn client(&self, stated: Option<String>) -> LoginContext {
        let stated = stated.and_then(|s| s.trim().parse::<IpAddr>().ok());
        let client_ip = match stated {
            Some(ip) if self.may_state_client_ip().await => Some(ip.to_canonical()),
            _ => self.facts.client_ip,
        };
        RequestFacts {
            client_ip,
            user_agent: self.facts.user_agent.clone(),
        }
        .login_context(self.app().map(|a| a.id.clone()))
    }

    async fn may_state_client_ip(&self) -> bool {
        if self.via_trusted_proxy {
            return true;
        }
        match self.pool() {
            Ok(pool) => self.principal().await.may_state_client_ip(&pool.id),
            Err(_) => false,
        }
    }
}
