//! The OpenID Provider's state: SSO sessions, pending interactions, grants with their codes
//! and refresh tokens, consents and device codes. Secrets appear here only as digests
//! (`crate::crypto::digest`), never as the value a browser or client holds.

use async_trait::async_trait;

use crate::error::Result;

/// A browser's single sign-on session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoSession {
    /// Digest of the cookie value.
    pub id: String,
    pub pool_id: String,
    pub user_id: String,
    /// Public session id (`sid` claim).
    pub sid: String,
    /// ms.
    pub auth_time: i64,
    /// RFC 8176 values.
    pub amr: Vec<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub ended_at: Option<i64>,
}

/// An authorization request parked while the user logs in or consents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interaction {
    pub id: String,
    pub pool_id: String,
    pub app_id: String,
    /// The validated request, as the core serialised it.
    pub request: String,
    pub csrf: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// What was granted to a client, for a user or (client credentials) for itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: String,
    pub pool_id: String,
    pub app_id: String,
    pub user_id: Option<String>,
    pub sid: Option<String>,
    pub scope: String,
    /// ms.
    pub auth_time: i64,
    pub amr: Vec<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

/// An authorization code's row (its grant is stored beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRow {
    /// Digest of the code.
    pub id: String,
    pub grant_id: String,
    pub redirect_uri: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub challenge_method: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// The outcome of spending a single-use secret (code, refresh token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spend<T> {
    /// Unknown or expired: nothing happened.
    Missing,
    /// This call spent it; the row and its grant as they were.
    Spent(T, Grant),
    /// It had been spent before: a replay. The grant is returned so the caller can revoke it.
    Replayed(Grant),
}

/// A device authorization (RFC 8628).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCode {
    /// Digest of the device code.
    pub id: String,
    pub user_code: String,
    pub pool_id: String,
    pub app_id: String,
    pub scope: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub interval_s: i64,
    pub last_poll_at: Option<i64>,
    pub status: DeviceStatus,
    pub user_id: Option<String>,
    pub sid: Option<String>,
    pub auth_time: Option<i64>,
    pub amr: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    Pending,
    Approved,
    Denied,
    Used,
}

impl DeviceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Pending => "pending",
            DeviceStatus::Approved => "approved",
            DeviceStatus::Denied => "denied",
            DeviceStatus::Used => "used",
        }
    }

    pub fn parse(s: &str) -> Option<DeviceStatus> {
        Some(match s {
            "pending" => DeviceStatus::Pending,
            "approved" => DeviceStatus::Approved,
            "denied" => DeviceStatus::Denied,
            "used" => DeviceStatus::Used,
            _ => return None,
        })
    }
}

/// A QR-code login (`v3-wire.md` §5.6 Sign-in: `geneQrCode` and friends): a browser shows a
/// QR code, the user's mobile app — where they are signed in — scans and confirms it, and the
/// browser's poll then receives a one-time ticket it exchanges for tokens. The id is in the
/// QR image (public to whoever sees it); the ticket is stored only as a digest.
///
/// A push login (`signInByPush`, `service/push_login.rs`) is the same row of kind
/// [`DeviceLoginKind::Push`]: its user is known from the start, its id is the digest of the
/// push code, and it goes from [`QrStatus::Pushed`] to authorized or cancelled, then used.
///
/// A quick-authentication code (`geneFastpassQrcodeInfo`, `service/fastpass.rs`) is a row of
/// kind [`DeviceLoginKind::Fastpass`]: the signed-in user who made it is its user from the
/// start, its id is the digest of the code, and it goes from pending to scanned (an app
/// listed what it may log in to) to used (an app logged in with it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrLogin {
    pub id: String,
    pub kind: DeviceLoginKind,
    pub pool_id: String,
    pub app_id: String,
    pub status: QrStatus,
    /// The user who scanned it; for a push, the user it was pushed to (none when the
    /// account named no user: the row only answers polls as a real one would).
    pub user_id: Option<String>,
    pub ticket_digest: Option<String>,
    /// The scope a push login's browser asked for, for the tokens of its login.
    pub scope: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    /// When the user confirmed: the login's time.
    pub authorized_at: Option<i64>,
}

/// How a login approved on another device was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceLoginKind {
    /// A QR code the mobile app scans.
    QrCode,
    /// A push to the user's signed-in app.
    Push,
    /// A code a signed-in user shows so an app logs in as them (quick authentication).
    Fastpass,
}

impl DeviceLoginKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceLoginKind::QrCode => "qrcode",
            DeviceLoginKind::Push => "push",
            DeviceLoginKind::Fastpass => "fastpass",
        }
    }

    pub fn parse(s: &str) -> Option<DeviceLoginKind> {
        Some(match s {
            "qrcode" => DeviceLoginKind::QrCode,
            "push" => DeviceLoginKind::Push,
            "fastpass" => DeviceLoginKind::Fastpass,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrStatus {
    Pending,
    Scanned,
    /// A push sent, waiting for the user's answer.
    Pushed,
    Authorized,
    Cancelled,
    /// Its ticket was exchanged.
    Used,
}

impl QrStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            QrStatus::Pending => "pending",
            QrStatus::Scanned => "scanned",
            QrStatus::Pushed => "pushed",
            QrStatus::Authorized => "authorized",
            QrStatus::Cancelled => "cancelled",
            QrStatus::Used => "used",
        }
    }

    pub fn parse(s: &str) -> Option<QrStatus> {
        Some(match s {
            "pending" => QrStatus::Pending,
            "scanned" => QrStatus::Scanned,
            "pushed" => QrStatus::Pushed,
            "authorized" => QrStatus::Authorized,
            "cancelled" => QrStatus::Cancelled,
            "used" => QrStatus::Used,
            _ => return None,
        })
    }
}

/// What a user gave one application: a consent or a grant (its scope, and when, ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppAuthorization {
    pub app_id: String,
    pub scope: String,
    pub at: i64,
}

/// What withdrawing a user's authorization of an application removed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Withdrawn {
    /// The consent deleted, if there was one.
    pub consent: Option<AppAuthorization>,
    /// The grants revoked (those not revoked before), with the expiry of each.
    pub grants: Vec<(AppAuthorization, i64)>,
}

/// The user's decision on a device code, written only while it is pending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceDecision {
    pub approved: bool,
    pub user_id: String,
    pub sid: Option<String>,
    pub auth_time: i64,
    pub amr: Vec<String>,
}

/// What a poll of the token endpoint found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicePoll {
    Missing,
    /// Polled again before `interval_s` passed since the last poll.
    TooFast(DeviceCode),
    /// As stored; if `Approved`, this poll has marked it `Used` (only one poll gets it).
    Found(DeviceCode),
}

/// What a token check reads about an access token's grant, in one statement: the grant and
/// what decides whether its user may still hold tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantValidity {
    pub grant: Grant,
    /// `None` for a grant without user (client credentials), or a user since deleted.
    pub user: Option<crate::store::SessionValidity>,
}

#[async_trait]
pub trait OidcStore: Send + Sync {
    // --- SSO sessions ----------------------------------------------------------------------
    async fn insert_sso_session(&self, s: &SsoSession) -> Result<()>;
    /// The session with this cookie digest, ended or not.
    async fn get_sso_session(&self, id: &str) -> Result<Option<SsoSession>>;
    async fn get_sso_session_by_sid(&self, sid: &str) -> Result<Option<SsoSession>>;
    /// Ends the session and revokes every grant issued from it, in one transaction.
    async fn end_sso_session(&self, sid: &str, at: i64) -> Result<()>;

    // --- interactions -------------------------------------------------------------------
    async fn insert_interaction(&self, i: &Interaction) -> Result<()>;
    async fn get_interaction(&self, id: &str) -> Result<Option<Interaction>>;
    /// Deletes it; returns whether this call did (a finished interaction is finished once).
    async fn finish_interaction(&self, id: &str) -> Result<bool>;

    // --- grants, codes, refresh tokens ---------------------------------------------------
    /// Stores a grant, with its authorization code if one is issued under it.
    async fn insert_grant(&self, grant: &Grant, code: Option<&CodeRow>) -> Result<()>;
    /// Adds a refresh token (digest, expiry) to a grant.
    async fn add_refresh_token(&self, grant_id: &str, id: &str, expires_at: i64) -> Result<()>;
    async fn grant_validity(&self, grant_id: &str) -> Result<Option<GrantValidity>>;
    /// Revokes the grant (and so every token under it); idempotent.
    async fn revoke_grant(&self, grant_id: &str, at: i64) -> Result<()>;
    /// Marks the code used if it was not, in one statement; expired codes are `Missing`.
    async fn spend_code(&self, id: &str, now: i64) -> Result<Spend<CodeRow>>;
    /// Marks the refresh token used and stores its successor (`next` digest and expiry) in
    /// one transaction, if it was unused, unexpired and its grant unrevoked.
    async fn rotate_refresh(&self, id: &str, next: (&str, i64), now: i64) -> Result<Spend<()>>;
    /// The grant of an unexpired refresh token, spent or not (for introspection and
    /// revocation, which do not spend it).
    async fn refresh_grant(&self, id: &str, now: i64) -> Result<Option<(Grant, bool)>>;

    // --- consents --------------------------------------------------------------------------
    /// The scopes consented to and when (ms).
    async fn get_consent(
        &self,
        pool_id: &str,
        user_id: &str,
        app_id: &str,
    ) -> Result<Option<(String, i64)>>;
    async fn put_consent(
        &self,
        pool_id: &str,
        user_id: &str,
        app_id: &str,
        scope: &str,
        at: i64,
    ) -> Result<()>;

    // --- what a user authorized -------------------------------------------------------------
    /// Every consent the user gave in the pool.
    async fn user_consents(&self, pool_id: &str, user_id: &str) -> Result<Vec<AppAuthorization>>;
    /// The user's grants not revoked and unexpired at `now`, one row per application and
    /// scope, with the latest creation time.
    async fn user_live_grants(
        &self,
        pool_id: &str,
        user_id: &str,
        now: i64,
    ) -> Result<Vec<AppAuthorization>>;
    /// Deletes the user's consent to the application and revokes every grant of the user to
    /// it (so every token under them), in one transaction.
    async fn withdraw_app_authorization(
        &self,
        pool_id: &str,
        user_id: &str,
        app_id: &str,
        at: i64,
    ) -> Result<Withdrawn>;

    // --- device codes -------------------------------------------------------------------
    /// Stores it unless its user code is taken (then `Ok(false)`: draw another).
    async fn insert_device_code(&self, d: &DeviceCode) -> Result<bool>;
    async fn device_by_user_code(&self, user_code: &str, now: i64) -> Result<Option<DeviceCode>>;
    /// Records the user's decision if the code is still pending; returns whether it was.
    async fn decide_device_code(
        &self,
        user_code: &str,
        d: &DeviceDecision,
        now: i64,
    ) -> Result<bool>;
    /// One poll by the device, rate-checked and, when approved, spent, in one transaction.
    async fn poll_device_code(&self, id: &str, now: i64) -> Result<DevicePoll>;

    // --- QR-code logins -----------------------------------------------------------------
    async fn insert_qr_login(&self, q: &QrLogin) -> Result<()>;
    /// The login of the pool with this id, expired or not.
    async fn qr_login(&self, pool_id: &str, id: &str) -> Result<Option<QrLogin>>;
    /// Moves an unexpired login of this kind (a QR code's or a quick-authentication code's)
    /// from `from` to `to` in one statement, only while it is in `from` and its user is
    /// `user_id` or none yet (then `user_id` becomes its user); `Authorized` also records
    /// `now` as `authorized_at`. Whether it moved.
    #[allow(clippy::too_many_arguments)]
    async fn advance_qr_login(
        &self,
        pool_id: &str,
        id: &str,
        kind: DeviceLoginKind,
        from: QrStatus,
        to: QrStatus,
        user_id: &str,
        now: i64,
    ) -> Result<bool>;
    /// Gives an authorized, unexpired login without a ticket this ticket's digest; whether
    /// it did (a second poll finds the ticket already handed out).
    async fn attach_qr_ticket(
        &self,
        pool_id: &str,
        id: &str,
        digest: &str,
        now: i64,
    ) -> Result<bool>;
    /// Spends a ticket: the authorized, unexpired login holding it becomes used, in one
    /// statement, and is returned; a second exchange finds nothing.
    async fn spend_qr_ticket(&self, digest: &str, now: i64) -> Result<Option<QrLogin>>;

    // --- Push logins (rows of `qr_logins` of kind push) ----------------------------------
    /// The user's answer to their push: an unexpired push login of the pool in
    /// [`QrStatus::Pushed`] whose user is `user_id` moves to `to` (authorized or cancelled)
    /// in one statement; `Authorized` also records `now`. Whether it moved: of two answers
    /// only one does.
    async fn answer_push_login(
        &self,
        pool_id: &str,
        id: &str,
        user_id: &str,
        to: QrStatus,
        now: i64,
    ) -> Result<bool>;
    /// Spends an unexpired login of this kind in state `from` (a push once authorized, a
    /// quick-authentication code once scanned): it becomes used, in one statement, with
    /// `now` as its `authorized_at` unless it has one, and is returned; a second spend finds
    /// nothing.
    async fn spend_device_login(
        &self,
        pool_id: &str,
        id: &str,
        kind: DeviceLoginKind,
        from: QrStatus,
        now: i64,
    ) -> Result<Option<QrLogin>>;
}
