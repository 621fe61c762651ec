//! The authorization endpoint's rules (RFC 6749 §4.1, §4.2; OIDC Core §3): validating a
//! request, deciding whether the user must log in or consent, parking the request while
//! they do, and issuing the response (a code, tokens, or both).

use serde::{Deserialize, Serialize};

use super::claims::IdTokenFacts;
use super::session::ActiveSession;
use super::{
    granted_scopes, has_scope, AuthorizationResponse, ReplyTo, ResponseMode, ResponseType,
    CODE_TTL_MS, INTERACTION_TTL_MS,
};
use crate::clock;
use crate::crypto::digest;
use crate::error::{protocol, Error, ProtocolError, Result};
use crate::ids;
use crate::model::{Application, UserPool};
use crate::service::tenant_config::LoginPageSettings;
use crate::store::oidc::{CodeRow, Grant, Interaction};
use crate::Core;

/// The authorization request's parameters as sent (all optional: validation says what is
/// missing).
#[derive(Debug, Clone, Default)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub response_mode: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub ui_locales: Option<String>,
    pub login_hint: Option<String>,
}

/// A validated authorization request (kept as JSON while the user logs in or consents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub to: ReplyTo,
    pub response_type: ResponseType,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub prompt_none: bool,
    pub prompt_login: bool,
    pub prompt_consent: bool,
    /// Seconds.
    pub max_age: Option<i64>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub ui_locales: Option<String>,
    pub login_hint: Option<String>,
}

/// A request with its client.
#[derive(Debug, Clone)]
pub struct ValidRequest {
    pub app: Application,
    pub pool: UserPool,
    pub req: AuthorizationRequest,
    /// The `oidc` connections the hosted login page offers (read when a parked request is
    /// resumed; empty on the authorization request itself, which shows no page).
    pub login_connections: Vec<crate::service::ext_oidc::LoginConnection>,
    /// What the pool's hosted login page hides (`updateLoginPageConfig`), read when a parked
    /// request is resumed (default on the authorization request itself, which shows no page).
    pub login_page: LoginPageSettings,
}

/// A refused request: where to tell the client, if it may be told (see
/// [`ProtocolError::redirectable`]).
#[derive(Debug, Clone)]
pub struct Refusal {
    pub error: Error,
    pub to: Option<ReplyTo>,
}

impl Refusal {
    fn at(to: &ReplyTo, error: Error) -> Refusal {
        Refusal {
            error,
            to: Some(to.clone()),
        }
    }

    fn here(error: Error) -> Refusal {
        Refusal { error, to: None }
    }
}

impl From<Error> for Refusal {
    /// A failure with no client to tell (storage and the like): shown, not redirected.
    fn from(error: Error) -> Refusal {
        Refusal::here(error)
    }
}

/// What the user's browser does next.
#[derive(Debug, Clone)]
pub enum Next {
    /// Show the login page.
    Login,
    /// Ask the logged-in user to consent to these scopes.
    Consent { scopes: Vec<String> },
    /// Send the browser back to the client.
    Respond(AuthorizationResponse),
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Za-z0-9-._~]`.
fn valid_pkce_string(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.is_empty())
}

/// Longest value accepted for any one parameter: far above any real one, and small enough
/// that a parked request stays a small row.
const MAX_PARAM_LEN: usize = 2048;

impl Core {
    /// Validates an authorization request. Until the client and its redirect URI are known
    /// good, a refusal has nowhere to go but the error page; after, it goes to the client.
    pub async fn oidc_validate(
        &self,
        p: AuthorizeParams,
    ) -> std::result::Result<ValidRequest, Refusal> {
        let too_long = [
            &p.client_id,
            &p.redirect_uri,
            &p.response_type,
            &p.response_mode,
            &p.scope,
            &p.state,
            &p.nonce,
            &p.prompt,
            &p.max_age,
            &p.code_challenge,
            &p.code_challenge_method,
            &p.ui_locales,
            &p.login_hint,
        ]
        .iter()
        .any(|v| v.as_ref().is_some_and(|s| s.len() > MAX_PARAM_LEN));
        if too_long {
            return Err(Refusal::here(protocol(
                ProtocolError::InvalidRequest,
                "a parameter is too long",
            )));
        }
        let client_id = nonempty(&p.client_id).ok_or_else(|| {
            Refusal::here(protocol(
                ProtocolError::UnknownClient,
                "client_id is missing",
            ))
        })?;
        let (app, pool) = self.app_and_pool(client_id).await.map_err(|e| match e {
            Error::AppNotFound => Refusal::here(protocol(
                ProtocolError::UnknownClient,
                "no application has this client_id",
            )),
            other => Refusal::here(other),
        })?;
        // The redirect URI must be one registered, exactly (OAuth 2.0 Security BCP §4.1.3);
        // only a client with a single registered URI may leave it out (RFC 6749 §3.1.2.3).
        let redirect_uri = match nonempty(&p.redirect_uri) {
            Some(uri) if app.oidc.redirect_uris.iter().any(|r| r == uri) => uri.to_owned(),
            Some(_) => {
                return Err(Refusal::here(protocol(
                    ProtocolError::BadRedirectUri,
                    "redirect_uri is not registered for this application",
                )))
            }
            None if app.oidc.redirect_uris.len() == 1 => app.oidc.redirect_uris[0].clone(),
            None => {
                return Err(Refusal::here(protocol(
                    ProtocolError::BadRedirectUri,
                    "redirect_uri is missing",
                )))
            }
        };
        let state = p.state.clone().filter(|s| !s.is_empty());
        // From here on the client can be told, in the mode it asked for when that is valid.
        let rt_text = nonempty(&p.response_type).unwrap_or("");
        let parsed_rt = ResponseType::parse(rt_text);
        let default_mode = match &parsed_rt {
            Ok(rt) if rt.front_channel_tokens() => ResponseMode::Fragment,
            _ => ResponseMode::Query,
        };
        let mode = match nonempty(&p.response_mode) {
            Some(m) => ResponseMode::parse(m).unwrap_or(default_mode),
            None => default_mode,
        };
        let to = ReplyTo {
            redirect_uri,
            mode,
            state,
        };
        let response_type = parsed_rt.map_err(|e| Refusal::at(&to, e))?;
        if let Some(m) = nonempty(&p.response_mode) {
            ResponseMode::parse(m).map_err(|e| Refusal::at(&to, e))?;
        }
        if response_type.front_channel_tokens() && mode == ResponseMode::Query {
            return Err(Refusal::at(
                &to,
                protocol(
                    ProtocolError::InvalidRequest,
                    "tokens are never returned in the query string",
                ),
            ));
        }
        if !app.oidc.allows_response_type(&response_type.as_string()) {
            return Err(Refusal::at(
                &to,
                protocol(
                    ProtocolError::UnauthorizedClient,
                    "this application may not use this response_type",
                ),
            ));
        }
        let scopes = granted_scopes(p.scope.as_deref().unwrap_or(""));
        let openid = has_scope(&scopes, "openid");
        if response_type.id_token && !openid {
            return Err(Refusal::at(
                &to,
                protocol(
                    ProtocolError::InvalidScope,
                    "id_token needs the openid scope",
                ),
            ));
        }
        let nonce = p.nonce.clone().filter(|n| !n.is_empty());
        // OIDC Core §3.2.2.1: a front-channel ID token needs a nonce against replay.
        if response_type.id_token && nonce.is_none() {
            return Err(Refusal::at(
                &to,
                protocol(
                    ProtocolError::InvalidRequest,
                    "nonce is required when an id_token is returned from the authorization endpoint",
                ),
            ));
        }
        let prompts: Vec<&str> = p
            .prompt
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        if prompts
            .iter()
            .any(|w| !matches!(*w, "none" | "login" | "consent" | "select_account"))
            || (prompts.contains(&"none") && prompts.len() > 1)
        {
            return Err(Refusal::at(
                &to,
                protocol(ProtocolError::InvalidRequest, "prompt is not valid"),
            ));
        }
        let max_age = match nonempty(&p.max_age) {
            Some(s) => Some(s.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
                Refusal::at(
                    &to,
                    protocol(
                        ProtocolError::InvalidRequest,
                        "max_age must be a number of seconds",
                    ),
                )
            })?),
            None => None,
        };
        let code_challenge = p.code_challenge.clone().filter(|c| !c.is_empty());
        let method = match (&code_challenge, nonempty(&p.code_challenge_method)) {
            (None, _) => None,
            // RFC 7636 §4.3: without a method the challenge is `plain`.
            (Some(_), None) => Some("plain".to_owned()),
            (Some(_), Some(m)) => Some(m.to_owned()),
        };
        if let (Some(c), Some(m)) = (&code_challenge, &method) {
            let allowed = m == "S256" || (m == "plain" && app.oidc.allow_plain_pkce);
            if !allowed {
                return Err(Refusal::at(
                    &to,
                    protocol(
                        ProtocolError::InvalidRequest,
                        "code_challenge_method must be S256",
                    ),
                ));
            }
            if !valid_pkce_string(c) {
                return Err(Refusal::at(
                    &to,
                    protocol(ProtocolError::InvalidRequest, "code_challenge is malformed"),
                ));
            }
        }
        if response_type.code
            && code_challenge.is_none()
            && (app.oidc.require_pkce || app.oidc.is_public())
        {
            return Err(Refusal::at(
                &to,
                protocol(
                    ProtocolError::InvalidRequest,
                    "this application must send a PKCE code_challenge",
                ),
            ));
        }
        Ok(ValidRequest {
            login_connections: Vec::new(),
            req: AuthorizationRequest {
                client_id: app.id.clone(),
                to,
                response_type,
                scopes,
                nonce,
                prompt_none: prompts.contains(&"none"),
                prompt_login: prompts.contains(&"login"),
                prompt_consent: prompts.contains(&"consent"),
                max_age,
                code_challenge,
                code_challenge_method: method,
                ui_locales: p.ui_locales.clone(),
                login_hint: p.login_hint.clone(),
            },
            // Read when a parked request is resumed, like `login_connections`: the
            // authorization request itself shows no page (a silent SSO answer needs neither).
            login_page: LoginPageSettings::default(),
            app,
            pool,
        })
    }

    /// Decides the next step for a valid request and the browser's session, if any.
    /// `started_ms` is when the request first arrived: a login after it satisfies
    /// `prompt=login`.
    pub async fn oidc_next(
        &self,
        v: &ValidRequest,
        session: Option<&ActiveSession>,
        started_ms: i64,
    ) -> std::result::Result<Next, Refusal> {
        let r = &v.req;
        let now = clock::now_ms();
        let fresh_enough = |s: &ActiveSession| {
            let login_ok = !r.prompt_login || s.session.auth_time >= started_ms;
            let age_ok = r
                .max_age
                .is_none_or(|m| now - s.session.auth_time <= m.saturating_mul(1000));
            login_ok && age_ok
        };
        let Some(s) = session.filter(|s| fresh_enough(s)) else {
            if r.prompt_none {
                return Err(Refusal::at(
                    &r.to,
                    protocol(ProtocolError::LoginRequired, "the user is not logged in"),
                ));
            }
            return Ok(Next::Login);
        };
        // The application's access policy applies to every login, also a silent one.
        if !self
            .may_use_app(&v.pool.id, &s.user.id, &v.app.id)
            .await
            .map_err(Refusal::here)?
        {
            return Err(Refusal::at(
                &r.to,
                protocol(
                    ProtocolError::AccessDenied,
                    "the user may not use this application",
                ),
            ));
        }
        // `prompt=consent` asks anew: only a consent given since the request arrived counts.
        let since = if r.prompt_consent { started_ms } else { 0 };
        let needs_consent =
            !v.app.oidc.skip_consent && !self.consented(v, &s.user.id, since).await?;
        if needs_consent {
            if r.prompt_none {
                return Err(Refusal::at(
                    &r.to,
                    protocol(ProtocolError::ConsentRequired, "the user has not consented"),
                ));
            }
            return Ok(Next::Consent {
                scopes: r.scopes.clone(),
            });
        }
        Ok(Next::Respond(
            self.oidc_issue_authorization(v, s)
                .await
                .map_err(Refusal::here)?,
        ))
    }

    /// Whether the user consented, at `since` (ms) or later, to every scope asked.
    async fn consented(&self, v: &ValidRequest, user_id: &str, since: i64) -> Result<bool> {
        let Some((stored, at)) = self
            .store
            .get_consent(&v.pool.id, user_id, &v.app.id)
            .await?
        else {
            return Ok(false);
        };
        let have: Vec<&str> = stored.split_whitespace().collect();
        Ok(at >= since && v.req.scopes.iter().all(|s| have.contains(&s.as_str())))
    }

    /// Records the user's answer on the consent page. A refusal goes to the client as
    /// `access_denied`; consent is remembered per user and application (the scopes agreed
    /// to so far, merged).
    pub async fn oidc_consent(
        &self,
        v: &ValidRequest,
        user_id: &str,
        allow: bool,
    ) -> std::result::Result<(), Refusal> {
        if !allow {
            return Err(Refusal::at(
                &v.req.to,
                protocol(ProtocolError::AccessDenied, "the user refused consent"),
            ));
        }
        let mut scopes: Vec<String> = self
            .store
            .get_consent(&v.pool.id, user_id, &v.app.id)
            .await?
            .map(|(scope, _)| scope)
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        for s in &v.req.scopes {
            if !scopes.contains(s) {
                scopes.push(s.clone());
            }
        }
        self.store
            .put_consent(
                &v.pool.id,
                user_id,
                &v.app.id,
                &scopes.join(" "),
                clock::now_ms(),
            )
            .await?;
        Ok(())
    }

    /// Grants what the request asked and builds the response: a single-use code, and/or
    /// tokens for the implicit and hybrid flows.
    async fn oidc_issue_authorization(
        &self,
        v: &ValidRequest,
        s: &ActiveSession,
    ) -> Result<AuthorizationResponse> {
        let r = &v.req;
        let now = clock::now_ms();
        let oidc = &v.app.oidc;
        let grant = Grant {
            id: ids::new_id(),
            pool_id: v.pool.id.clone(),
            app_id: v.app.id.clone(),
            user_id: Some(s.user.id.clone()),
            sid: Some(s.session.sid.clone()),
            scope: r.scopes.join(" "),
            auth_time: s.session.auth_time,
            amr: s.session.amr.clone(),
            created_at: now,
            expires_at: now
                + CODE_TTL_MS
                    .max(oidc.access_token_lifetime.saturating_mul(1000))
                    .max(oidc.refresh_token_lifetime.saturating_mul(1000)),
            revoked_at: None,
        };
        let code = r.response_type.code.then(|| ids::new_url_token(32));
        let code_row = code.as_ref().map(|c| CodeRow {
            id: digest(c),
            grant_id: grant.id.clone(),
            redirect_uri: r.to.redirect_uri.clone(),
            nonce: r.nonce.clone(),
            code_challenge: r.code_challenge.clone(),
            challenge_method: r.code_challenge_method.clone(),
            created_at: now,
            expires_at: now + CODE_TTL_MS,
        });
        self.store.insert_grant(&grant, code_row.as_ref()).await?;
        let mut params = Vec::new();
        if let Some(c) = &code {
            params.push(("code".to_owned(), c.clone()));
        }
        let mut access = None;
        if r.response_type.token {
            let claims = self.access_claims(&v.app, Some(&grant), &s.user.id, &grant.scope);
            let token = self.sign_access_token(&claims).await?;
            params.push(("access_token".into(), token.clone()));
            params.push(("token_type".into(), "Bearer".into()));
            params.push((
                "expires_in".into(),
                oidc.access_token_lifetime.max(1).to_string(),
            ));
            params.push(("scope".into(), grant.scope.clone()));
            access = Some(token);
        }
        if r.response_type.id_token {
            let id_token = self
                .sign_id_token(IdTokenFacts {
                    app: &v.app,
                    user: &s.user,
                    scopes: &r.scopes,
                    auth_time_ms: s.session.auth_time,
                    amr: &s.session.amr,
                    nonce: r.nonce.as_deref(),
                    sid: Some(&s.session.sid),
                    access_token: access.as_deref(),
                    code: code.as_deref(),
                })
                .await?;
            params.push(("id_token".into(), id_token));
        }
        Ok(AuthorizationResponse {
            to: r.to.clone(),
            params,
        })
    }

    /// Parks a request while the user logs in or consents; the returned interaction's id
    /// goes in the page's URL and in a cookie binding it to this browser, its csrf in the
    /// forms.
    pub async fn oidc_park(&self, v: &ValidRequest) -> Result<Interaction> {
        let now = clock::now_ms();
        let i = Interaction {
            id: ids::new_url_token(24),
            pool_id: v.pool.id.clone(),
            app_id: v.app.id.clone(),
            request: serde_json::to_string(&v.req).map_err(|e| Error::Internal(e.to_string()))?,
            csrf: ids::new_url_token(24),
            created_at: now,
            expires_at: now + INTERACTION_TTL_MS,
        };
        self.store.insert_interaction(&i).await?;
        Ok(i)
    }

    /// A parked request, with its client as it is now (a client deleted or changed since
    /// is checked again: its redirect URI must still be registered).
    pub async fn oidc_resume(&self, id: &str) -> Result<Option<(ValidRequest, Interaction)>> {
        let Some(i) = self.store.get_interaction(id).await? else {
            return Ok(None);
        };
        if i.expires_at <= clock::now_ms() {
            return Ok(None);
        }
        let req: AuthorizationRequest =
            serde_json::from_str(&i.request).map_err(|e| Error::Internal(e.to_string()))?;
        let Ok((app, pool)) = self.app_and_pool(&i.app_id).await else {
            return Ok(None);
        };
        if !app.oidc.redirect_uris.contains(&req.to.redirect_uri) {
            return Ok(None);
        }
        let login_connections = self.ext_oidc_login_connections(&pool, &app).await?;
        let login_page = self.login_page_settings(&pool.id).await?;
        Ok(Some((
            ValidRequest {
                app,
                pool,
                req,
                login_connections,
                login_page,
            },
            i,
        )))
    }

    /// Ends a parked request; true for the one call that ended it.
    pub async fn oidc_finish(&self, id: &str) -> Result<bool> {
        self.store.finish_interaction(id).await
    }
}
