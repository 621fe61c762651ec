//! QR-code login with the pool's own mobile app (`v3-wire.md` §5.6 Sign-in: `geneQrCode`,
//! `checkQrCodeStatus`, `changeQrCodeStatus`, `exchangeTokenSetWithQrCodeTicket`).
//!
//! A browser asks for a QR code for an application and polls its status. The user's mobile
//! app, signed in to the same pool, scans it (the user becomes its user) and confirms or
//! cancels. Once confirmed, the first poll receives a one-time ticket, which the browser's
//! backend exchanges for tokens: that exchange is a login through [`Core::authenticate`]
//! (`Credential::ApprovedOnDevice`), so a blocked or blacklisted user, or one the
//! application's access policy keeps out, gets nothing, and the login is recorded.
//!
//! Everything is in the store (`qr_logins`): any server process answers any step. The id is
//! unguessable but public to whoever sees the code; the ticket is random, stored as a
//! digest, handed out once and spendable once.

use super::authn::AuthEvent;
use super::login::{Credential, DeviceApproval, LoginOptions};
use super::users::LoginContext;
use super::Core;
use crate::clock;
use crate::crypto::digest;
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::model::{Application, UserPool};
use crate::service::account::Session;
use crate::store::oidc::{DeviceLoginKind, QrLogin, QrStatus};

/// How long a code can be scanned and confirmed, and its ticket exchanged: long enough to
/// find the phone and unlock it, short enough that a photographed code goes stale.
pub const QR_LIFETIME_MS: i64 = 3 * 60 * 1000;

/// What the browser's poll sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrState {
    Pending,
    Scanned,
    Authorized,
    Cancelled,
    Expired,
}

/// The user who scanned, as the browser may show them before the login completes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BriefUser {
    pub display_name: String,
    pub photo: Option<String>,
}

/// A poll's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrView {
    pub state: QrState,
    pub user: Option<BriefUser>,
    /// The ticket, on the first poll after the user confirmed.
    pub ticket: Option<String>,
}

/// What the mobile app does with a scanned code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrAction {
    Scan,
    Confirm,
    Cancel,
}

/// How the browser names the user who scanned: the first of nickname, name, username,
/// email and phone they have.
pub(crate) fn display_name(u: &crate::model::User) -> String {
    [
        &u.profile.nickname,
        &u.profile.name,
        &u.username,
        &u.email,
        &u.phone,
    ]
    .into_iter()
    .flatten()
    .find(|s| !s.trim().is_empty())
    .cloned()
    .unwrap_or_default()
}

fn not_found() -> Error {
    Error::NotFound(Entity::QrLogin)
}

impl Core {
    /// A new QR-code login for the application.
    pub async fn qr_login_create(&self, pool: &UserPool, app: &Application) -> Result<QrLogin> {
        self.qr_login_create_in(pool, app, None).await
    }

    /// A new QR-code login for the application, for a tenant's login when `tenant_id` names
    /// one: refused while the pool's tenants may not use QR codes
    /// (`Core::refuse_tenant_qr_login`).
    pub async fn qr_login_create_in(
        &self,
        pool: &UserPool,
        app: &Application,
        tenant_id: Option<&str>,
    ) -> Result<QrLogin> {
        if app.pool_id != pool.id {
            return Err(Error::AppNotFound);
        }
        if let Some(t) = tenant_id {
            self.refuse_tenant_qr_login(&pool.id, t).await?;
        }
        let now = clock::now_ms();
        let q = QrLogin {
            id: ids::new_url_token(24),
            kind: DeviceLoginKind::QrCode,
            pool_id: pool.id.clone(),
            app_id: app.id.clone(),
            status: QrStatus::Pending,
            user_id: None,
            ticket_digest: None,
            scope: None,
            created_at: now,
            expires_at: now + QR_LIFETIME_MS,
            authorized_at: None,
        };
        self.store.insert_qr_login(&q).await?;
        Ok(q)
    }

    /// The QR-code login of the pool with this id (a push login's row is not one).
    async fn qr_code_login(&self, pool_id: &str, id: &str) -> Result<Option<QrLogin>> {
        Ok(self
            .store
            .qr_login(pool_id, id)
            .await?
            .filter(|q| q.kind == DeviceLoginKind::QrCode))
    }

    /// A code still to be scanned or confirmed, to draw its image.
    pub async fn qr_login_shown(&self, pool_id: &str, id: &str) -> Result<QrLogin> {
        self.qr_code_login(pool_id, id)
            .await?
            .filter(|q| {
                q.expires_at > clock::now_ms()
                    && matches!(q.status, QrStatus::Pending | QrStatus::Scanned)
            })
            .ok_or_else(not_found)
    }

    /// The browser's poll. The first poll after the user confirmed receives the ticket;
    /// later ones see the same state without it.
    pub async fn qr_login_status(&self, pool: &UserPool, id: &str) -> Result<QrView> {
        let q = self
            .qr_code_login(&pool.id, id)
            .await?
            .ok_or_else(not_found)?;
        let now = clock::now_ms();
        let state = match q.status {
            _ if q.expires_at <= now => QrState::Expired,
            QrStatus::Pending => QrState::Pending,
            // `Pushed` is a push login's, never a QR code's: shown as waiting for the app.
            QrStatus::Scanned | QrStatus::Pushed => QrState::Scanned,
            QrStatus::Authorized | QrStatus::Used => QrState::Authorized,
            QrStatus::Cancelled => QrState::Cancelled,
        };
        let user = match (&q.user_id, state) {
            (Some(uid), QrState::Scanned | QrState::Authorized | QrState::Cancelled) => self
                .user_by_id(&pool.id, uid)
                .await
                .ok()
                .map(|u| BriefUser {
                    display_name: display_name(&u),
                    photo: u.profile.photo.clone(),
                }),
            _ => None,
        };
        let mut ticket = None;
        if q.status == QrStatus::Authorized
            && q.ticket_digest.is_none()
            && state != QrState::Expired
        {
            let fresh = ids::new_url_token(32);
            if self
                .store
                .attach_qr_ticket(&pool.id, id, &digest(&fresh), now)
                .await?
            {
                ticket = Some(fresh);
            }
        }
        Ok(QrView {
            state,
            user,
            ticket,
        })
    }

    /// The mobile app's step, as the signed-in user of the session: scan a pending code,
    /// confirm the code they scanned, or cancel either. A code of another pool, another
    /// user's scanned code, an expired code or a step out of order is refused.
    pub async fn qr_login_act(&self, session: &Session, id: &str, action: QrAction) -> Result<()> {
        let pool_id = &session.pool().id;
        let user_id = &session.user().id;
        let now = clock::now_ms();
        let moves: &[(QrStatus, QrStatus)] = match action {
            QrAction::Scan => &[(QrStatus::Pending, QrStatus::Scanned)],
            QrAction::Confirm => &[(QrStatus::Scanned, QrStatus::Authorized)],
            QrAction::Cancel => &[
                (QrStatus::Scanned, QrStatus::Cancelled),
                (QrStatus::Pending, QrStatus::Cancelled),
            ],
        };
        for (from, to) in moves {
            if self
                .store
                .advance_qr_login(
                    pool_id,
                    id,
                    DeviceLoginKind::QrCode,
                    *from,
                    *to,
                    user_id,
                    now,
                )
                .await?
            {
                return Ok(());
            }
        }
        // Say why: unknown, expired or another user's code is "not found"; a known code of
        // this user in the wrong state is a step out of order.
        match self.qr_code_login(pool_id, id).await? {
            Some(q)
                if q.expires_at > now
                    && q.user_id.as_deref().is_none_or(|u| u == user_id.as_str()) =>
            {
                Err(Error::InvalidParameter("action"))
            }
            _ => Err(not_found()),
        }
    }

    /// The ticket for tokens: spent once, for the application the code was made for, then
    /// the one core login of the user who confirmed.
    pub async fn qr_login_exchange(
        &self,
        pool: &UserPool,
        app: &Application,
        ticket: &str,
        client: LoginContext,
    ) -> Result<AuthEvent> {
        self.qr_login_exchange_in(pool, app, ticket, client, None)
            .await
    }

    /// The exchange, for a tenant's login when `tenant_id` names one: checked again here,
    /// before the ticket is spent, since the state may have been switched off after the code
    /// was made.
    pub async fn qr_login_exchange_in(
        &self,
        pool: &UserPool,
        app: &Application,
        ticket: &str,
        client: LoginContext,
        tenant_id: Option<&str>,
    ) -> Result<AuthEvent> {
        if let Some(t) = tenant_id {
            self.refuse_tenant_qr_login(&pool.id, t).await?;
        }
        let ticket = ticket.trim();
        if ticket.is_empty() || ticket.len() > 128 {
            return Err(Error::InvalidParameter("ticket"));
        }
        let q = self
            .store
            .spend_qr_ticket(&digest(ticket), clock::now_ms())
            .await?
            .ok_or(Error::InvalidParameter("ticket"))?;
        if q.pool_id != pool.id || q.app_id != app.id {
            return Err(Error::InvalidParameter("ticket"));
        }
        let user_id = q.user_id.ok_or(Error::InvalidParameter("ticket"))?;
        self.approved_on_device_login(pool, app, user_id, client)
            .await
    }

    /// The login of a user who approved it on their signed-in device (a QR code confirmed
    /// here, a push confirmed in `push_login.rs`): the one core login, so a blocked or
    /// blacklisted user, or one the application's access policy keeps out, gets nothing at
    /// this moment, whatever they approved earlier; recorded like any login (amr `mca`).
    pub(crate) async fn approved_on_device_login(
        &self,
        pool: &UserPool,
        app: &Application,
        user_id: String,
        client: LoginContext,
    ) -> Result<AuthEvent> {
        self.authenticate(
            pool,
            Some(app),
            Credential::ApprovedOnDevice(DeviceApproval::of(user_id)),
            LoginOptions {
                client,
                ..LoginOptions::default()
            },
        )
        .await
    }
}
