//! Push login: a sign-in the user approves in their signed-in mobile app (`v3-wire.md` §5.6
//! Sign-in: `signInByPush`, `checkPushCodeStatus`, `changePushCodeStatus` /
//! `setPushCodeStatus`, `getPushLoginRelationApps`).
//!
//! A browser names an account; the core finds its user and has the deployment's push
//! channel ([`crate::notify::Notifier::send_push`]) deliver a request to the user's app. The
//! app, with the user's token, confirms or cancels it; the browser polls, and its first poll
//! after the confirmation spends the push and receives the login: the one core login through
//! [`Core::approved_on_device_login`], shared with the QR-code login (`qr_login.rs`), so every
//! login rule applies at that moment.
//!
//! The rows are the QR-code logins' (`qr_logins`, kind push): every server process answers
//! every step. The push code is random and stored only as its digest.
//!
//! The browser's answer never tells whether the account exists: an account that names no
//! user gets a push code too, a row without a user that polls like a real one (pushed, then
//! expired) and that no app can answer; only a real user gets a push. A push request takes a
//! place in the account's login-guard count (`guard.rs`), as a password attempt does, so an
//! account cannot be flooded with pushes (and a locked account gets none).

use super::authn::AuthEvent;
use super::users::{LoginContext, LoginId};
use super::Core;
use crate::clock;
use crate::crypto::digest;
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::model::{Application, UserPool};
use crate::notify::PushMessage;
use crate::service::account::Session;
use crate::store::oidc::{DeviceLoginKind, QrLogin, QrStatus};

/// How long a push can be answered and its login collected: time to notice the phone and
/// unlock it, short enough that a forgotten request goes stale.
pub const PUSH_LIFETIME_MS: i64 = 2 * 60 * 1000;

/// The longest account name looked up (a long email address fits).
const MAX_ACCOUNT_LEN: usize = 320;

/// What the browser holds after asking for a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushCode {
    pub id: String,
    /// ms since the epoch.
    pub expires_at: i64,
}

/// What the browser's poll sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushState {
    /// Delivered, not yet answered.
    Pushed,
    Authorized,
    Cancelled,
    Expired,
}

/// A poll's answer: the login, once, on the poll that spent a confirmed push.
#[derive(Debug, Clone)]
pub struct PushView {
    pub state: PushState,
    pub login: Option<PushedLogin>,
}

/// The login a confirmed push became, with the scope its browser asked for.
#[derive(Debug, Clone)]
pub struct PushedLogin {
    pub event: AuthEvent,
    pub scope: Option<String>,
}

/// The user's answer in their app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushAnswer {
    Confirm,
    Cancel,
}

fn not_found() -> Error {
    Error::NotFound(Entity::PushLogin)
}

impl Core {
    /// The push login of the pool for this push code (a QR code's row is not one).
    async fn push_login(&self, pool_id: &str, code: &str) -> Result<Option<QrLogin>> {
        if code.is_empty() || code.len() > 128 {
            return Ok(None);
        }
        Ok(self
            .store
            .qr_login(pool_id, &digest(code))
            .await?
            .filter(|q| q.kind == DeviceLoginKind::Push))
    }

    /// `signInByPush`: a push code for the browser, and a push to the user the account names
    /// when it names one. Refused before anything else when the deployment has no push
    /// channel.
    pub async fn push_login_request(
        &self,
        pool: &UserPool,
        app: &Application,
        account: &str,
        scope: Option<&str>,
        client: &LoginContext,
    ) -> Result<PushCode> {
        if !self.notifier.push_configured() {
            return Err(Error::PushNotConfigured);
        }
        if app.pool_id != pool.id {
            return Err(Error::AppNotFound);
        }
        let account = account.trim();
        if account.is_empty() {
            return Err(Error::MissingParameter("account"));
        }
        if account.len() > MAX_ACCOUNT_LEN {
            return Err(Error::InvalidParameter("account"));
        }
        if scope.is_some_and(|s| s.len() > 1024) {
            return Err(Error::InvalidParameter("scope"));
        }
        let id = LoginId::typed(account);
        // A malformed identifier names nobody: answered as an unknown account is.
        let user = self.find_login_user(pool, &id).await.ok().flatten();
        // The attempt keeps its place in the account's count (a push is not a failure to
        // forgive or count elsewhere): `limit` pushes per window, then the guard's answer.
        self.login_attempt(
            pool,
            &super::login::account_key(pool, &id),
            client.ip.as_deref(),
            None,
            None,
        )
        .await?;
        let code = ids::new_url_token(32);
        let now = clock::now_ms();
        let row = QrLogin {
            id: digest(&code),
            kind: DeviceLoginKind::Push,
            pool_id: pool.id.clone(),
            app_id: app.id.clone(),
            status: QrStatus::Pushed,
            user_id: user.as_ref().map(|u| u.id.clone()),
            ticket_digest: None,
            scope: scope.map(str::to_owned),
            created_at: now,
            expires_at: now + PUSH_LIFETIME_MS,
            authorized_at: None,
        };
        self.store.insert_qr_login(&row).await?;
        if let Some(user) = user {
            let msg = PushMessage {
                pool_id: pool.id.clone(),
                app_id: app.id.clone(),
                user_id: user.id,
                push_code_id: code.clone(),
                expire_time: row.expires_at,
                client_ip: client.ip.clone(),
                user_agent: client.browser.clone(),
            };
            // Delivered in the background: waiting for the gateway, or answering its
            // failure, would tell the browser that the account exists.
            let notifier = self.notifier.clone();
            tokio::spawn(async move {
                if let Err(e) = notifier.send_push(&msg).await {
                    tracing::warn!(pool = %msg.pool_id, error = %e, "push delivery failed");
                }
            });
        }
        Ok(PushCode {
            id: code,
            expires_at: row.expires_at,
        })
    }

    /// The browser's poll, for the application the push was requested for. The first poll
    /// after the user confirmed spends the push and is the login; later polls see it
    /// authorized without one. A refused login (the user blocked since, say) is the
    /// login's error, and the push is spent.
    pub async fn push_login_status(
        &self,
        pool: &UserPool,
        app: &Application,
        code: &str,
        client: LoginContext,
    ) -> Result<PushView> {
        let q = self
            .push_login(&pool.id, code)
            .await?
            .filter(|q| q.app_id == app.id)
            .ok_or_else(not_found)?;
        let now = clock::now_ms();
        let state = match q.status {
            _ if q.expires_at <= now => PushState::Expired,
            QrStatus::Authorized | QrStatus::Used => PushState::Authorized,
            QrStatus::Cancelled => PushState::Cancelled,
            QrStatus::Pending | QrStatus::Scanned | QrStatus::Pushed => PushState::Pushed,
        };
        if q.status != QrStatus::Authorized || state == PushState::Expired {
            return Ok(PushView { state, login: None });
        }
        match self
            .store
            .spend_device_login(
                &pool.id,
                &q.id,
                DeviceLoginKind::Push,
                QrStatus::Authorized,
                now,
            )
            .await?
        {
            Some(spent) => {
                let user_id = spent.user_id.ok_or_else(not_found)?;
                let event = self
                    .approved_on_device_login(pool, app, user_id, client)
                    .await?;
                Ok(PushView {
                    state: PushState::Authorized,
                    login: Some(PushedLogin {
                        event,
                        scope: spent.scope,
                    }),
                })
            }
            // Another poll spent it first, or it expired in between.
            None => Ok(PushView {
                state: if q.expires_at <= clock::now_ms() {
                    PushState::Expired
                } else {
                    PushState::Authorized
                },
                login: None,
            }),
        }
    }

    /// The user's answer in their app, as the signed-in user of the session: only the push's
    /// own user answers it, once, before it expires. Another user's or an unknown push is
    /// "not found"; an expired one is [`Error::CodeExpired`]; a second answer is refused.
    pub async fn push_login_answer(
        &self,
        session: &Session,
        code: &str,
        answer: PushAnswer,
    ) -> Result<()> {
        let pool_id = &session.pool().id;
        let user_id = &session.user().id;
        let to = match answer {
            PushAnswer::Confirm => QrStatus::Authorized,
            PushAnswer::Cancel => QrStatus::Cancelled,
        };
        let now = clock::now_ms();
        if code.is_empty() || code.len() > 128 {
            return Err(not_found());
        }
        if self
            .store
            .answer_push_login(pool_id, &digest(code), user_id, to, now)
            .await?
        {
            return Ok(());
        }
        match self.push_login(pool_id, code).await? {
            Some(q) if q.user_id.as_deref() == Some(user_id.as_str()) => {
                if q.expires_at <= now {
                    Err(Error::CodeExpired)
                } else {
                    Err(Error::InvalidParameter("action"))
                }
            }
            _ => Err(not_found()),
        }
    }

    /// `getPushLoginRelationApps`: the applications a push the session's user received
    /// signs in to (the one it was requested for), for their app to show. `app_id` is the
    /// asking app's application, which must be of the pool.
    pub async fn push_login_apps(
        &self,
        session: &Session,
        app_id: &str,
        code: &str,
    ) -> Result<Vec<String>> {
        let pool_id = &session.pool().id;
        let (asking, _) = self.app_and_pool(app_id).await?;
        if &asking.pool_id != pool_id {
            return Err(Error::AppNotFound);
        }
        let q = self
            .push_login(pool_id, code)
            .await?
            .filter(|q| q.user_id.as_deref() == Some(session.user().id.as_str()))
            .ok_or_else(not_found)?;
        Ok(vec![q.app_id])
    }
}
