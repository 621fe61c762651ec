//! Single sign-on sessions: what a browser's cookie stands for after a login through the
//! hosted pages, so that a second application of the same pool needs no second login.

use super::SSO_SESSION_TTL_MS;
use crate::clock;
use crate::crypto::digest;
use crate::error::Result;
use crate::error::{protocol, ProtocolError};
use crate::ids;
use crate::model::{Application, User};
use crate::service::authn::AuthEvent;
use crate::store::oidc::SsoSession;
use crate::Core;

/// A session that still counts, with its user as stored now.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub session: SsoSession,
    pub user: User,
}

impl Core {
    /// Starts an SSO session for a completed login. Returns the cookie value (the only copy
    /// of the secret: the store keeps its digest) and the session.
    pub async fn oidc_start_session(&self, event: &AuthEvent) -> Result<(String, SsoSession)> {
        let cookie = ids::new_url_token(32);
        let now = clock::now_ms();
        let s = SsoSession {
            id: digest(&cookie),
            pool_id: event.user.pool_id.clone(),
            user_id: event.user.id.clone(),
            sid: ids::new_url_token(16),
            auth_time: event.at_ms,
            amr: event.methods.iter().map(|m| m.amr().to_owned()).collect(),
            created_at: now,
            expires_at: now + SSO_SESSION_TTL_MS,
            ended_at: None,
        };
        self.store.insert_sso_session(&s).await?;
        Ok((cookie, s))
    }

    /// The session a cookie stands for in `pool_id`, if it still counts: not ended or
    /// expired, and its user neither gone, blocked, nor logged out everywhere since
    /// (`tokens_valid_after`, which an administrator's kick moves).
    pub async fn oidc_session(&self, pool_id: &str, cookie: &str) -> Result<Option<ActiveSession>> {
        let Some(session) = self.store.get_sso_session(&digest(cookie)).await? else {
            return Ok(None);
        };
        let now = clock::now_ms();
        if session.pool_id != pool_id || session.ended_at.is_some() || session.expires_at <= now {
            return Ok(None);
        }
        let Ok(user) = self.user_in_pool(pool_id, &session.user_id).await else {
            return Ok(None);
        };
        if user.blocked
            || user.status == crate::model::UserStatus::Suspended
            || user.tokens_valid_after >= session.auth_time
        {
            return Ok(None);
        }
        Ok(Some(ActiveSession { session, user }))
    }

    /// Ends a session: the cookie stops counting and the grants it gave that are not
    /// offline access are revoked with it.
    pub async fn oidc_end_session(&self, sid: &str) -> Result<()> {
        self.store.end_sso_session(sid, clock::now_ms()).await
    }

    /// Checks an RP-initiated logout request (OpenID Connect RP-Initiated Logout 1.0 §2–3):
    /// the hint, the client, and the redirect, which must be registered for that client.
    /// The user confirms unless a valid hint names the browser's current session.
    pub async fn oidc_logout_plan(
        &self,
        r: &LogoutRequest,
        session: Option<&ActiveSession>,
    ) -> Result<LogoutPlan> {
        let hint = match r.id_token_hint.as_deref().filter(|h| !h.is_empty()) {
            Some(h) => Some(self.oidc_id_token_claims(h, true).await?),
            None => None,
        };
        let hint_aud = hint
            .as_ref()
            .and_then(|c| c.get("aud"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let client_id = r.client_id.as_deref().filter(|c| !c.is_empty());
        if let (Some(a), Some(c)) = (&hint_aud, client_id) {
            if a != c {
                return Err(protocol(
                    ProtocolError::InvalidRequest,
                    "client_id does not match the id_token_hint",
                ));
            }
        }
        let app = match hint_aud.as_deref().or(client_id) {
            Some(id) => Some(self.app(id).await.map_err(|_| {
                protocol(
                    ProtocolError::UnknownClient,
                    "no application has this client_id",
                )
            })?),
            None => None,
        };
        let redirect = match r
            .post_logout_redirect_uri
            .as_deref()
            .filter(|u| !u.is_empty())
        {
            Some(uri) => {
                let registered = app
                    .as_ref()
                    .is_some_and(|a| a.oidc.post_logout_redirect_uris.iter().any(|u| u == uri));
                if !registered {
                    return Err(protocol(
                        ProtocolError::BadRedirectUri,
                        "post_logout_redirect_uri is not registered for this application",
                    ));
                }
                Some(uri.to_owned())
            }
            None => None,
        };
        let hint_sid = hint
            .as_ref()
            .and_then(|c| c.get("sid"))
            .and_then(|v| v.as_str());
        let hint_sub = hint
            .as_ref()
            .and_then(|c| c.get("sub"))
            .and_then(|v| v.as_str());
        let confirm = match (session, &hint) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(s), Some(_)) => {
                hint_sid != Some(s.session.sid.as_str()) && hint_sub != Some(s.user.id.as_str())
            }
        };
        Ok(LogoutPlan {
            app,
            redirect,
            state: r.state.clone().filter(|s| !s.is_empty()),
            confirm,
        })
    }
}

/// An RP-initiated logout request's parameters.
#[derive(Debug, Clone, Default)]
pub struct LogoutRequest {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub client_id: Option<String>,
    pub state: Option<String>,
}

/// What to do with a logout request.
#[derive(Debug, Clone)]
pub struct LogoutPlan {
    pub app: Option<Application>,
    /// Where to send the browser after logging out (registered), if anywhere.
    pub redirect: Option<String>,
    pub state: Option<String>,
    /// Ask the user first: the request does not prove it comes from their session's client.
    pub confirm: bool,
}

/// At most this many pools are listed on the landing page.
const LANDING_POOLS: usize = 50;

impl Core {
    /// The landing page's directory: pools with the applications a browser can sign in to
    /// from a plain link (a confidential client without mandatory PKCE, with a redirect URI).
    pub async fn landing_directory(
        &self,
    ) -> Result<Vec<(crate::model::UserPool, Vec<Application>)>> {
        let mut out = Vec::new();
        for pool in self
            .store
            .list_pools()
            .await?
            .into_iter()
            .take(LANDING_POOLS)
        {
            let apps = self
                .store
                .list_apps(&pool.id)
                .await?
                .into_iter()
                .filter(|a| {
                    !a.oidc.is_public()
                        && !a.oidc.require_pkce
                        && !a.oidc.redirect_uris.is_empty()
                        && a.oidc.allows_response_type("code")
                })
                .collect();
            out.push((pool, apps));
        }
        Ok(out)
    }
}
