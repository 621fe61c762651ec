//! Quick authentication from the personal center (`v3-wire.md` §5.6 Sign-in:
//! `geneFastpassQrcodeInfo`, `getFastpassParams`, `qrCodeAppLogin`,
//! `getAppLoginQrCodeStatus`).
//!
//! The other way round from the QR-code login (`qr_login.rs`): here the browser is the
//! signed-in side. A user in their personal center asks for a code with their session; an
//! app that scans it lists the applications it may log in to with it, then logs in as that
//! user, for itself (the application the request names). The web page polls the code's
//! state: pending, scanned, authorized once an app used it, or expired.
//!
//! The code is a bearer credential for one login, so it is random, stored only as its
//! digest, spent once across processes (`qr_logins`, kind fastpass) and short-lived: three
//! minutes, never longer than the session that made it, and dead once that user's
//! sessions are ended (a kick) after it was made. The login itself is the one core login of
//! an approval on a signed-in device ([`Core::approved_on_device_login`]), so a blocked or
//! blacklisted user, or an application the access policy keeps the user out of, gets
//! nothing; the applications listed are exactly the ones that policy lets the user in.

use super::account::Session;
use super::authn::AuthEvent;
use super::qr_login::{display_name, BriefUser, QrState, QrView, QR_LIFETIME_MS};
use super::users::LoginContext;
use super::Core;
use crate::clock;
use crate::crypto::digest;
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::model::{Application, User, UserPool, UserStatus};
use crate::store::oidc::{DeviceLoginKind, QrLogin, QrStatus};
use crate::store::UserLookup;

/// How long an app has to scan a code and log in with it: as long as a QR-code login's.
pub const FASTPASS_LIFETIME_MS: i64 = QR_LIFETIME_MS;

/// The longest scope a code carries to its login's tokens.
const MAX_SCOPE_LEN: usize = 1024;

/// A code just made, with what the personal center draws next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FastpassCode {
    /// The code itself: only its digest is stored.
    pub id: String,
    /// The application the user was signed in to when they made it.
    pub app_id: String,
    pub user_id: String,
    pub user: BriefUser,
    /// ms since the epoch.
    pub expires_at: i64,
}

/// The login a code became, with the scope the personal center asked for.
#[derive(Debug, Clone)]
pub struct FastpassLogin {
    pub event: AuthEvent,
    pub scope: Option<String>,
}

fn not_found() -> Error {
    Error::NotFound(Entity::QrLogin)
}

/// Why a code that could not be spent or used is dead, from its row as read now.
fn dead(q: &QrLogin, now: i64) -> Error {
    match q.status {
        QrStatus::Used => Error::QrCodeUsed,
        _ if q.expires_at <= now => Error::QrCodeExpired,
        _ => not_found(),
    }
}

impl Core {
    /// The quick-authentication code of the pool for this code (another kind's row is not
    /// one).
    async fn fastpass_row(&self, pool_id: &str, code: &str) -> Result<Option<QrLogin>> {
        if code.is_empty() || code.len() > 128 {
            return Ok(None);
        }
        Ok(self
            .store
            .qr_login(pool_id, &digest(code))
            .await?
            .filter(|q| q.kind == DeviceLoginKind::Fastpass))
    }

    /// The code's user, while the code may still serve them: a user deleted since is
    /// "not found", one whose sessions were ended after the code was made (a kick) makes
    /// the code expired, a blocked one is refused. The one login checks again.
    async fn fastpass_user(&self, q: &QrLogin) -> Result<User> {
        let user_id = q.user_id.as_deref().ok_or_else(not_found)?;
        let user = self
            .store
            .find_user(&q.pool_id, UserLookup::Id(user_id))
            .await?
            .filter(|u| !u.is_deleted)
            .ok_or_else(not_found)?;
        if user.tokens_valid_after >= q.created_at {
            return Err(Error::QrCodeExpired);
        }
        if user.blocked || user.status == UserStatus::Suspended {
            return Err(Error::UserBlocked);
        }
        Ok(user)
    }

    /// `geneFastpassQrcodeInfo`: a code for the session's user, made in `app` (the
    /// application the personal center runs in), carrying `scope` to the login's tokens.
    pub async fn fastpass_create(
        &self,
        session: &Session,
        app: &Application,
        scope: Option<&str>,
    ) -> Result<FastpassCode> {
        let pool = session.pool();
        if app.pool_id != pool.id {
            return Err(Error::AppNotFound);
        }
        if scope.is_some_and(|s| s.len() > MAX_SCOPE_LEN) {
            return Err(Error::InvalidParameter("scope"));
        }
        let user = session.user();
        let now = clock::now_ms();
        // Never longer than the session that made it: a code must not outlive the proof
        // that the user is there.
        let session_end = session.subject().exp.saturating_mul(1000);
        let expires_at = (now + FASTPASS_LIFETIME_MS).min(session_end);
        if expires_at <= now {
            return Err(Error::TokenExpired);
        }
        let code = ids::new_url_token(32);
        let row = QrLogin {
            id: digest(&code),
            kind: DeviceLoginKind::Fastpass,
            pool_id: pool.id.clone(),
            app_id: app.id.clone(),
            status: QrStatus::Pending,
            user_id: Some(user.id.clone()),
            ticket_digest: None,
            scope: scope.map(str::to_owned),
            created_at: now,
            expires_at,
            authorized_at: None,
        };
        self.store.insert_qr_login(&row).await?;
        Ok(FastpassCode {
            id: code,
            app_id: app.id.clone(),
            user_id: user.id.clone(),
            user: BriefUser {
                display_name: display_name(user),
                photo: user.profile.photo.clone(),
            },
            expires_at,
        })
    }

    /// `getFastpassParams`: the applications of the pool the code can log in to — those
    /// the access policy lets its user into, the rule the login obeys — for the app that
    /// scanned it. `app_id` names an application of the code's pool (the QR data carries
    /// the one the code was made in). The code is scanned from now on.
    pub async fn fastpass_apps(
        &self,
        pool: &UserPool,
        app_id: &str,
        code: &str,
    ) -> Result<Vec<Application>> {
        let q = self
            .fastpass_row(&pool.id, code)
            .await?
            .ok_or_else(not_found)?;
        let now = clock::now_ms();
        if q.status == QrStatus::Used || q.expires_at <= now {
            return Err(dead(&q, now));
        }
        match self.app_and_pool(app_id).await {
            Ok((app, _)) if app.pool_id == pool.id => {}
            Ok(_) | Err(Error::AppNotFound) => return Err(Error::AppNotFound),
            Err(e) => return Err(e),
        }
        let user = self.fastpass_user(&q).await?;
        self.store
            .advance_qr_login(
                &pool.id,
                &q.id,
                DeviceLoginKind::Fastpass,
                QrStatus::Pending,
                QrStatus::Scanned,
                &user.id,
                now,
            )
            .await?;
        let (_, apps) = self
            .allowed_apps(&pool.id, &user.id, 1, super::directory::MAX_PAGE_LIMIT)
            .await?;
        Ok(apps)
    }

    /// `qrCodeAppLogin`: the code spent once, then the one core login of its user for
    /// `app` (the application asking). A refused login (the user blocked since, or kept
    /// out of `app`) is the login's error, and the code is spent.
    pub async fn fastpass_login(
        &self,
        pool: &UserPool,
        app: &Application,
        code: &str,
        client: LoginContext,
    ) -> Result<FastpassLogin> {
        if app.pool_id != pool.id {
            return Err(Error::AppNotFound);
        }
        let q = self
            .fastpass_row(&pool.id, code)
            .await?
            .ok_or_else(not_found)?;
        let now = clock::now_ms();
        if q.status == QrStatus::Used || q.expires_at <= now {
            return Err(dead(&q, now));
        }
        let user_id = q.user_id.clone().ok_or_else(not_found)?;
        // An app may log in without listing the applications first: the code is scanned
        // either way, then spent from there by exactly one request.
        self.store
            .advance_qr_login(
                &pool.id,
                &q.id,
                DeviceLoginKind::Fastpass,
                QrStatus::Pending,
                QrStatus::Scanned,
                &user_id,
                now,
            )
            .await?;
        let spent = self
            .store
            .spend_device_login(
                &pool.id,
                &q.id,
                DeviceLoginKind::Fastpass,
                QrStatus::Scanned,
                now,
            )
            .await?;
        let Some(spent) = spent else {
            // Another request spent it first, or it expired in between.
            let again = self
                .fastpass_row(&pool.id, code)
                .await?
                .ok_or_else(not_found)?;
            return Err(dead(&again, clock::now_ms()));
        };
        let user = self.fastpass_user(&spent).await?;
        let event = self
            .approved_on_device_login(pool, app, user.id, client)
            .await?;
        Ok(FastpassLogin {
            event,
            scope: spent.scope,
        })
    }

    /// `getAppLoginQrCodeStatus`: the personal center's poll. A used code stays authorized;
    /// one not used in time is expired. The user is shown once the code is scanned.
    pub async fn fastpass_status(&self, pool: &UserPool, code: &str) -> Result<QrView> {
        let q = self
            .fastpass_row(&pool.id, code)
            .await?
            .ok_or_else(not_found)?;
        let now = clock::now_ms();
        let state = match q.status {
            QrStatus::Used | QrStatus::Authorized => QrState::Authorized,
            _ if q.expires_at <= now => QrState::Expired,
            QrStatus::Pending => QrState::Pending,
            // A fastpass row is never pushed or cancelled; shown as the nearest state.
            QrStatus::Scanned | QrStatus::Pushed => QrState::Scanned,
            QrStatus::Cancelled => QrState::Cancelled,
        };
        let user = match (&q.user_id, state) {
            (Some(uid), QrState::Scanned | QrState::Authorized) => self
                .user_by_id(&pool.id, uid)
                .await
                .ok()
                .map(|u| BriefUser {
                    display_name: display_name(&u),
                    photo: u.profile.photo.clone(),
                }),
            _ => None,
        };
        Ok(QrView {
            state,
            user,
            ticket: None,
        })
    }
}
