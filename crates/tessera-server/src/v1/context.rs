//! What every v1 request carries (`v1-legacy-wire.md` §3, §4): no pool or app header, only
//! an `Authorization` that is empty, `Bearer undefined`/`Bearer null` (anonymous), the owner
//! token bought at construction (a pool administrator), or an end user's token. The pool
//! comes from the caller's token or from the operation's own variable (`registerInClient`,
//! `userPoolId`, `client`, `clientId`), and the two must agree.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use tessera_core::model::UserPool;
use tessera_core::principal::{BearerScope, PoolAdmin, Principal, RequestFacts};
use tessera_core::service::account::Session;
use tessera_core::service::users::LoginContext;
use tessera_core::{Error, Result};

use crate::authing::Lang;
use crate::caller::Caller;
use crate::client_ip::Origin;
use crate::cors::RequestPool;
use crate::AppState;

pub struct V1Ctx {
    pub state: AppState,
    pub lang: Lang,
    /// The Bearer token, unless the SDK sent one of its anonymous values.
    pub bearer: Option<String>,
    pub facts: RequestFacts,
    via_trusted_proxy: bool,
    caller: tokio::sync::OnceCell<Caller>,
    /// Where the answer's CORS headers learn the request's pool.
    cors: Option<RequestPool>,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The token of an `Authorization` value. The SDK always sends the header: `""` without a
/// token, and literally `Bearer undefined` or `Bearer null` for an empty slot (§3); all three
/// mean anonymous.
pub fn bearer_of(value: Option<&str>) -> Option<String> {
    let v = value?.trim();
    let token = v
        .strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
        .unwrap_or(v)
        .trim();
    match token {
        "" | "undefined" | "null" | "Bearer" => None,
        t => Some(t.to_owned()),
    }
}

impl FromRequestParts<AppState> for V1Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> std::result::Result<Self, Self::Rejection> {
        let h = &parts.headers;
        let origin = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| Origin::of(c.0.ip(), h, &state.options.trusted_proxies));
        Ok(V1Ctx {
            state: state.clone(),
            lang: Lang::from_header(header(h, "x-authing-lang")),
            bearer: bearer_of(header(h, "authorization")),
            facts: RequestFacts {
                client_ip: origin.map(|o| o.client_ip),
                user_agent: header(h, "user-agent").map(|s| s.chars().take(256).collect()),
            },
            via_trusted_proxy: origin.is_some_and(|o| o.via_trusted_proxy),
            caller: tokio::sync::OnceCell::new(),
            cors: parts.extensions.get::<RequestPool>().cloned(),
        })
    }
}

impl V1Ctx {
    async fn caller(&self) -> &Caller {
        self.caller
            .get_or_init(|| async {
                let Some(token) = self.bearer.as_deref() else {
                    return Caller::anonymous();
                };
                // No header names a pool: the token itself says which one it belongs to.
                let scope = BearerScope {
                    pool: None,
                    pool_header: None,
                    ahead: None,
                };
                let caller = Caller::resolve(&self.state.core, token, scope, &self.facts).await;
                if caller.refused.is_none() {
                    return caller;
                }
                match self.oidc_session(token).await {
                    Some(s) => Caller {
                        principal: Principal::User(Box::new(s)),
                        refused: None,
                    },
                    None => caller,
                }
            })
            .await
    }

    /// The session of a user's OIDC access token. `loginByOidc` and `refreshOidcToken` store
    /// the access token as the SDK's user token (`v1-legacy-wire.md` §4), so every later
    /// "auto" call carries it: it is that user's session, with every check of the provider
    /// (signature, expiry, its grant not revoked, the user not blocked or logged out since).
    async fn oidc_session(&self, token: &str) -> Option<Session> {
        self.state
            .core
            .session_from_access_token(token, None)
            .await
            .ok()
    }

    /// Who is calling: the verified owner of the Bearer token, or anonymous.
    pub async fn principal(&self) -> &Principal {
        &self.caller().await.principal
    }

    /// The pool of the caller's verified token, if any.
    async fn caller_pool(&self) -> Option<&UserPool> {
        match self.principal().await {
            Principal::PoolAdmin(a) => Some(a.pool()),
            Principal::User(s) => Some(s.pool()),
            Principal::AppClient(_) | Principal::Anonymous => None,
        }
    }

    /// The pool an operation is for: the one its variable names (`named`), which must be the
    /// caller's own when the caller holds a token; or, when the variable is absent or empty
    /// (the SDK's accessToken mode sends `""`, §5.2), the caller's. A pool nobody names is
    /// 2224 (no pool); one that does not exist is the same error as any unknown pool.
    pub async fn pool(&self, named: Option<&str>) -> Result<UserPool> {
        let named = named.map(str::trim).filter(|s| !s.is_empty());
        let pool = match (named, self.caller_pool().await) {
            (Some(id), Some(own)) if own.id == id => own.clone(),
            // Another pool's token is no proof here, and the pool it names is not read.
            (Some(_), Some(_)) => return Err(Error::Forbidden),
            (Some(id), None) => self.state.core.pool(id).await?,
            (None, Some(own)) => own.clone(),
            (None, None) => return Err(Error::PoolNotFound),
        };
        if let Some(slot) = &self.cors {
            slot.record(&pool);
        }
        Ok(pool)
    }

    /// The logged-in user. No token is 2020; an owner token is not a user; a refused token
    /// answers with its own error.
    pub async fn session(&self) -> Result<&Session> {
        self.caller().await.session(self.bearer.is_some())
    }

    /// The pool administrator behind an owner token. No token is 2020; a user's token is
    /// 1001; a refused token answers with its own error.
    pub async fn admin(&self) -> Result<&PoolAdmin> {
        self.caller().await.admin(self.bearer.is_some())
    }

    /// Who acts on the user `user_id` of the pool `named`: the pool's administrator (owner
    /// token), or that user himself (his own token). Anyone else is refused: a user token
    /// naming another user is 1001 (§10.3: owner = whole pool, user = self).
    pub async fn actor(&self, named: Option<&str>, user_id: &str) -> Result<Actor<'_>> {
        if self.bearer.is_none() {
            return Err(Error::NotLoggedIn);
        }
        let pool = self.pool(named).await?;
        let caller = self.caller().await;
        match (&caller.principal, &caller.refused) {
            (Principal::PoolAdmin(a), _) if a.pool_id() == pool.id => Ok(Actor::Admin(a)),
            (Principal::User(s), _) if s.user().id == user_id && s.pool().id == pool.id => {
                Ok(Actor::User(s))
            }
            (Principal::PoolAdmin(_) | Principal::User(_), _) => Err(Error::Forbidden),
            (_, Some(r)) => Err(r.error.clone()),
            _ => Err(Error::NotLoggedIn),
        }
    }

    /// The client a login or registration comes from. The address the SDK states
    /// (`lastIP`) counts only from a trusted proxy or from the pool's own administrator
    /// (the backend holding the pool secret, which passes its end user's address);
    /// otherwise the connection's address counts, so an anonymous caller cannot choose the
    /// address its failures are counted under.
    pub async fn client(&self, pool_id: &str, stated: Option<String>) -> LoginContext {
        let stated = stated.and_then(|s| s.trim().parse::<IpAddr>().ok());
        let believed =
            self.via_trusted_proxy || self.principal().await.may_state_client_ip(pool_id);
        let client_ip = match stated {
            Some(ip) if believed => Some(ip.to_canonical()),
            _ => self.facts.client_ip,
        };
        RequestFacts {
            client_ip,
            user_agent: self.facts.user_agent.clone(),
        }
        .login_context(None)
    }
}

/// Who changes or reads a user: its pool's administrator or the user himself.
pub enum Actor<'a> {
    Admin(&'a PoolAdmin),
    User(&'a Session),
}

#[cfg(test)]
mod tests {
    use super::bearer_of;

    #[test]
    fn the_sdks_empty_slots_are_anonymous() {
        for v in ["", "Bearer undefined", "Bearer null", "Bearer ", "  "] {
            assert_eq!(bearer_of(Some(v)), None, "{v:?}");
        }
        assert_eq!(bearer_of(None), None);
        assert_eq!(bearer_of(Some("Bearer a.b.c")).as_deref(), Some("a.b.c"));
        assert_eq!(bearer_of(Some("a.b.c")).as_deref(), Some("a.b.c"));
    }
}
