//! What every v2 request carries: the app (and so the pool) from `x-authing-app-id` or the
//! pool from `x-authing-userpool-id`, the Bearer token, the language and the client address.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use tessera_core::model::{Application, UserPool};
use tessera_core::service::account::Session;
use tessera_core::service::tokens::TokenSubject;
use tessera_core::service::users::LoginContext;
use tessera_core::{Error, Lang, Result};

use crate::AppState;

pub struct V2Ctx {
    pub state: AppState,
    pub lang: Lang,
    app: std::result::Result<Option<Application>, Error>,
    pool: std::result::Result<Option<UserPool>, Error>,
    pub bearer: Option<String>,
    /// The TCP peer: what counts when the caller does not say `clientIp`.
    pub peer_ip: Option<String>,
    pub user_agent: Option<String>,
    /// `x-authing-userpool-id` as sent: a management token must belong to that pool.
    pool_header: Option<String>,
    /// The verified management pool, checked once per request however many fields ask.
    admin: tokio::sync::OnceCell<std::result::Result<UserPool, Error>>,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

impl FromRequestParts<AppState> for V2Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<Self, Self::Rejection> {
        let h = &parts.headers;
        let lang = Lang::from_header(header(h, "x-authing-lang"));
        let bearer = header(h, "authorization")
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty() && t != "null" && t != "undefined");
        let core = &state.core;
        // The app and its pool come from one read; both are read on every request, never
        // kept between requests (a second process may change either).
        let (app, pool) = match (
            header(h, "x-authing-app-id"),
            header(h, "x-authing-userpool-id"),
        ) {
            (Some(id), _) => match core.app_and_pool(id).await {
                Ok((app, pool)) => (Ok(Some(app)), Ok(Some(pool))),
                // The app was found but its pool was not.
                Err(Error::PoolNotFound) => match core.app(id).await {
                    Ok(app) => (Ok(Some(app)), Err(Error::PoolNotFound)),
                    Err(e) => (Err(e.clone()), Err(e)),
                },
                Err(e) => (Err(e.clone()), Err(e)),
            },
            (None, Some(id)) => (Ok(None), core.pool(id).await.map(Some)),
            (None, None) => (Ok(None), Ok(None)),
        };
        let peer_ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(V2Ctx {
            state: state.clone(),
            lang,
            app,
            pool,
            bearer,
            peer_ip,
            user_agent: header(h, "user-agent").map(|s| s.chars().take(256).collect()),
            pool_header: header(h, "x-authing-userpool-id").map(str::to_owned),
            admin: tokio::sync::OnceCell::new(),
        })
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

    pub fn app(&self) -> Option<&Application> {
        self.app.as_ref().ok().and_then(Option::as_ref)
    }

    /// The logged-in user. A token of another pool than the request's is invalid here.
    pub async fn session(&self) -> Result<Session> {
        let token = self.bearer.as_deref().ok_or(Error::NotLoggedIn)?;
        self.session_for(token).await
    }

    /// The session of `token`, in the request's pool when it names one.
    pub async fn session_for(&self, token: &str) -> Result<Session> {
        match &self.pool {
            Ok(Some(p)) => self.state.core.session_in_pool(token, p).await,
            _ => self.state.core.session(token, None).await,
        }
    }

    /// Whether `token` is a live session ([`Self::session_for`] reading only what decides it).
    pub async fn session_status_for(&self, token: &str) -> Result<TokenSubject> {
        match &self.pool {
            Ok(Some(p)) => self.state.core.session_status_in_pool(token, p).await,
            _ => self.session_for(token).await.map(|s| s.subject),
        }
    }

    /// The pool a management call acts on: the Bearer must be a management token of the
    /// pool the request names. No token is 2020; a user's token or another pool's is 1001.
    pub async fn admin(&self) -> Result<&UserPool> {
        let checked = self
            .admin
            .get_or_init(|| async {
                let token = self.bearer.as_deref().ok_or(Error::NotLoggedIn)?;
                self.state
                    .core
                    .verify_management_token(
                        token,
                        self.pool_header.as_deref(),
                        self.pool.as_ref().ok().and_then(Option::as_ref),
                    )
                    .await
            })
            .await;
        checked.as_ref().map_err(Clone::clone)
    }

    /// Whether the Bearer claims to be a management token (checked later by [`Self::admin`]).
    pub fn has_management_token(&self) -> bool {
        self.bearer
            .as_deref()
            .is_some_and(tessera_core::Core::looks_like_management_token)
    }

    /// The client a login comes from: `clientIp` when the (server-side) caller gives one.
    pub fn client(&self, client_ip: Option<String>) -> LoginContext {
        LoginContext {
            app_id: self.app().map(|a| a.id.clone()),
            ip: client_ip
                .filter(|ip| !ip.is_empty() && ip.len() <= 64)
                .or_else(|| self.peer_ip.clone()),
            device: None,
            browser: self.user_agent.clone(),
        }
    }
}
