//! A v3 authentication call (`v3-wire.md` §5.1, §6.1): the pool and application it is for,
//! the credential it presents, its language, where it comes from and its parameters.
//!
//! The AuthenticationClient names its application in `x-authing-app-id` and nothing else;
//! the mini-program SDK names the pool alone (`x-authing-userpool-id`) on its code and
//! profile calls. `authorization` carries either the user's access token — raw, as both
//! SDKs send it, or after `Bearer` — or, on the client-authentication endpoints,
//! `Basic base64(appId:appSecret)`. Nothing is decided from what a token claims before it
//! is verified.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Request};
use axum::http::{header, HeaderMap, Method};
use base64::Engine;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tessera_core::model::{Application, UserPool};
use tessera_core::principal::RequestFacts;
use tessera_core::service::account::Session;
use tessera_core::service::users::LoginContext;
use tessera_core::{Core, Error};

use super::super::envelope::{Failure, V3Error};
use super::super::params::{self, ParamError};
use crate::authing::Lang;
use crate::client_ip::Origin;
use crate::AppState;

/// What `authorization` presented.
enum Presented {
    /// A user token.
    Token(String),
    /// Client credentials (`client_secret_basic`).
    Basic { id: String, secret: String },
}

/// A v3 authentication call, read once.
pub struct AuthCall {
    pub state: AppState,
    pub lang: Lang,
    /// The pool the request names, by its application or by `x-authing-userpool-id`.
    pool: Option<UserPool>,
    app: Option<Application>,
    facts: RequestFacts,
    via_trusted_proxy: bool,
    presented: Option<Presented>,
    /// The tenant whose login this is (`x-authing-tenant-id`, `v3-wire.md` §3, or
    /// `x-authing-app-tenant-id`), if the client names one.
    tenant_id: Option<String>,
    args: Map<String, Value>,
}

fn header_value<'a>(h: &'a HeaderMap, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| h.get(*n))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn presented(h: &HeaderMap) -> Option<Presented> {
    let auth = header_value(h, &[header::AUTHORIZATION.as_str()])?;
    if let Some(b64) = auth
        .strip_prefix("Basic ")
        .or_else(|| auth.strip_prefix("basic "))
    {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .ok()?;
        let text = String::from_utf8(raw).ok()?;
        let (id, secret) = text.split_once(':')?;
        return Some(Presented::Basic {
            id: id.to_owned(),
            secret: secret.to_owned(),
        });
    }
    let token = auth
        .strip_prefix("Bearer ")
        .or_else(|| auth.strip_prefix("bearer "))
        .unwrap_or(auth)
        .trim();
    // The SDKs send `undefined`/`null` when they hold no token.
    if token.is_empty() || token == "undefined" || token == "null" {
        return None;
    }
    Some(Presented::Token(token.to_owned()))
}

/// The body as one object: JSON, or a form (the SDK labels a JSON string it sends with a
/// Basic header `application/x-www-form-urlencoded`, §5.2, so JSON is tried first).
fn body_args(bytes: &[u8]) -> Result<Map<String, Value>, ParamError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ParamError::Body("not UTF-8".into()))?;
    let trimmed = text.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('{') {
        return params::body_object(&params::body_members(bytes)?);
    }
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(text).map_err(|_| ParamError::Query)?;
    Ok(pairs
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect())
}

impl FromRequest<AppState> for AuthCall {
    type Rejection = V3Error;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let h = &parts.headers;
        let lang = Lang::from_header(header_value(h, &["x-authing-lang", "x-genauth-lang"]));
        let fail = |f: Failure| V3Error(f, lang);
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(|_| fail(Failure::Core(Error::FileTooLarge)))?;
        let args = if parts.method == Method::GET || parts.method == Method::HEAD {
            let query = params::query_values(parts.uri.query()).map_err(|e| fail(e.into()))?;
            params::query_object(parts.method.as_str(), parts.uri.path(), &query)
        } else {
            body_args(&bytes)
        }
        .map_err(|e| fail(e.into()))?;
        let core = &state.core;
        let (app, pool) = match header_value(h, &["x-authing-app-id", "x-genauth-app-id"]) {
            Some(app_id) => {
                let (app, pool) = core
                    .app_and_pool(app_id)
                    .await
                    .map_err(|e| fail(Failure::Core(e)))?;
                (Some(app), Some(pool))
            }
            None => match header_value(h, &["x-authing-userpool-id", "x-genauth-userpool-id"]) {
                Some(pool_id) => (
                    None,
                    Some(
                        core.pool(pool_id)
                            .await
                            .map_err(|e| fail(Failure::Core(e)))?,
                    ),
                ),
                None => (None, None),
            },
        };
        let origin = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| Origin::of(c.0.ip(), h, &state.options.trusted_proxies));
        let facts = RequestFacts {
            client_ip: origin.map(|o| o.client_ip),
            user_agent: header_value(h, &["user-agent"]).map(|s| s.chars().take(256).collect()),
        };
        Ok(AuthCall {
            state: state.clone(),
            lang,
            pool,
            app,
            facts,
            via_trusted_proxy: origin.is_some_and(|o| o.via_trusted_proxy),
            presented: presented(h),
            tenant_id: header_value(h, &["x-authing-tenant-id", "x-authing-app-tenant-id"])
                .map(str::to_owned),
            args,
        })
    }
}

impl AuthCall {
    /// The tenant the request names for its login, if any.
    pub fn tenant_id(&self) -> Option<&str> {
        self.tenant_id.as_deref()
    }

    pub fn core(&self) -> &Core {
        &self.state.core
    }

    pub fn fail(&self, f: impl Into<Failure>) -> V3Error {
        V3Error(f.into(), self.lang)
    }

    /// The parameters as the handler's request struct.
    pub fn args<T: DeserializeOwned>(&self) -> Result<T, V3Error> {
        params::typed(&self.args).map_err(|e| self.fail(e))
    }

    /// The pool the request names.
    pub fn pool(&self) -> Result<&UserPool, V3Error> {
        self.pool
            .as_ref()
            .ok_or_else(|| self.fail(Error::MissingParameter("x-authing-app-id")))
    }

    /// The application the request names; sign-in needs one (its tokens are issued to it).
    pub fn app(&self) -> Result<&Application, V3Error> {
        self.app
            .as_ref()
            .ok_or_else(|| self.fail(Error::MissingParameter("x-authing-app-id")))
    }

    pub fn app_opt(&self) -> Option<&Application> {
        self.app.as_ref()
    }

    /// The logged-in user: the token `authorization` carries, of either kind this server
    /// issues, verified and of the request's pool.
    pub async fn session(&self) -> Result<Session, V3Error> {
        let token = match &self.presented {
            Some(Presented::Token(t)) => t,
            _ => return Err(self.fail(Error::NotLoggedIn)),
        };
        let pool = self.pool()?;
        self.core()
            .session_from_any_token(token, pool)
            .await
            .map_err(|e| self.fail(e))
    }

    /// Client authentication for the endpoints that take it (§5.2): the application's
    /// secret in a Basic header or as `client_id`/`client_secret` in the body. Returns
    /// whether the caller proved the secret. A secret that is presented must be right; a
    /// client id naming another application than `x-authing-app-id` is refused.
    pub fn client_authenticated(
        &self,
        client_id: Option<&str>,
        client_secret: Option<&str>,
    ) -> Result<bool, V3Error> {
        let app = self.app()?;
        let (id, secret) = match &self.presented {
            Some(Presented::Basic { id, secret }) => (Some(id.as_str()), Some(secret.as_str())),
            _ => (client_id, client_secret),
        };
        let id = id.filter(|s| !s.is_empty());
        if id.is_some_and(|id| id != app.id) {
            return Err(self.fail(Error::Forbidden));
        }
        match secret.filter(|s| !s.is_empty()) {
            None => Ok(false),
            Some(s) if app.secret_matches(s) => Ok(true),
            Some(_) => Err(self.fail(Error::Forbidden)),
        }
    }

    /// Where a login or registration comes from. The `clientIp` a caller states counts only
    /// from a trusted proxy or from a backend that proved the application's secret (it
    /// speaks for its end users, as `principal::may_state_client_ip` allows an application
    /// client); otherwise the connection's address counts, so an anonymous caller cannot
    /// choose the address its failures are counted under.
    pub fn login_context(&self, stated_ip: Option<&str>, app_proved: bool) -> LoginContext {
        let stated = stated_ip.and_then(|s| s.trim().parse::<IpAddr>().ok());
        let client_ip = match stated {
            Some(ip) if self.via_trusted_proxy || app_proved => Some(ip.to_canonical()),
            _ => self.facts.client_ip,
        };
        RequestFacts {
            client_ip,
            user_agent: self.facts.user_agent.clone(),
        }
        .login_context(self.app.as_ref().map(|a| a.id.clone()))
    }

    /// The client address as the connection gives it.
    pub fn client_ip(&self) -> Option<String> {
        self.facts.client_ip.map(|ip| ip.to_string())
    }
}
