//! Tenants of a pool, their members and external identity providers, the agreements an
//! application shows at sign-in, and users' MFA factors.

use serde_json::{Map, Value};

/// A tenant: a customer organisation sharing the pool, with the applications it may use.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub id: String,
    pub pool_id: String,
    pub name: String,
    /// Unique per pool; generated when the tenant is created (`getTenantByCode`).
    pub code: String,
    pub description: Option<String>,
    pub logo: Option<String>,
    /// Applications of the same pool the tenant uses, in the order given.
    pub app_ids: Vec<String>,
    /// Login page settings (`css`, `ssoPageCustomizationSettings`, …), a JSON object.
    pub config: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantMember {
    pub tenant_id: String,
    pub user_id: String,
    pub is_admin: bool,
    pub enabled: bool,
    pub created_at: i64,
}

/// An external identity provider of a tenant (or of the whole pool when `tenant_id` is
/// `None`) with its connections.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtIdp {
    pub id: String,
    pub pool_id: String,
    pub tenant_id: Option<String>,
    pub name: String,
    pub kind: String,
    pub connections: Vec<ExtIdpConn>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One way to sign in through an external provider (e.g. `wechat:pc`), identified by an
/// identifier unique in the pool.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtIdpConn {
    pub id: String,
    pub pool_id: String,
    pub ext_idp_id: String,
    pub kind: String,
    pub identifier: String,
    pub display_name: String,
    /// Provider settings (client id and secret, endpoints…), a JSON object.
    pub fields: Map<String, Value>,
    pub user_match_fields: Vec<String>,
    pub logo: Option<String>,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A term a user accepts when signing in to an application. Ids are numbers on the wire
/// (`AgreementDetail.id: number`), so they are positive integers below 2^53.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    pub id: i64,
    pub pool_id: String,
    pub app_id: String,
    pub title: String,
    pub lang: String,
    pub required: bool,
    pub order: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The MFA factor kinds: what an administrator manages (`UserMfaType`: OTP, FACE) and what a
/// user enrolls for themselves (OTP, SMS, EMAIL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaType {
    Otp,
    Face,
    Sms,
    Email,
}

impl MfaType {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaType::Otp => "OTP",
            MfaType::Face => "FACE",
            MfaType::Sms => "SMS",
            MfaType::Email => "EMAIL",
        }
    }

    pub fn parse(s: &str) -> Option<MfaType> {
        match s {
            "OTP" => Some(MfaType::Otp),
            "FACE" => Some(MfaType::Face),
            "SMS" => Some(MfaType::Sms),
            "EMAIL" => Some(MfaType::Email),
            _ => None,
        }
    }
}

/// A login stopped at the MFA step (`service::mfa_login`): the first factor passed, the
/// second is still to come. The ticket the client holds is stored only as its digest; the
/// row is used up by the login it completes, or expires.
#[derive(Clone, PartialEq, Eq)]
pub struct MfaTicket {
    /// SHA-256 (hex) of the ticket.
    pub ticket_hash: String,
    pub pool_id: String,
    pub user_id: String,
    /// The application the login is for.
    pub app_id: Option<String>,
    /// RFC 8176 `amr` values of the first factor(s) (`AuthMethod::amr`).
    pub methods: Vec<String>,
    /// The factor kinds that may complete the login (`OTP`, `SMS`, `EMAIL`).
    pub kinds: Vec<MfaType>,
    /// Where the login came from, recorded when it completes.
    pub client_ip: Option<String>,
    pub client_device: Option<String>,
    pub client_browser: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
}

/// A bound MFA factor. The TOTP secret is kept as given, because a later MFA login must
/// check codes against it; an imported recovery code is kept as given too (`recovery`, the
/// admin API echoes it), one shown to the user at enrollment only as its digest
/// (`recovery_hash`). None of it appears in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct MfaFactor {
    pub id: String,
    pub pool_id: String,
    pub user_id: String,
    pub kind: MfaType,
    pub secret: Option<String>,
    pub recovery: Option<String>,
    pub enabled: bool,
    pub created_at: i64,
    /// Where SMS or EMAIL codes go: `+cc number` or the lower-cased address.
    pub target: Option<String>,
    /// SHA-256 (hex) of the recovery code shown once at self-enrollment; cleared when used.
    pub recovery_hash: Option<String>,
    /// The newest TOTP step accepted, so one step's code is accepted once (RFC 6238 §5.2).
    pub last_step: Option<i64>,
}

/// A factor a user asked to enroll and has not yet proved: what the enrollment token,
/// stored as its digest, stands for until it is used once or expires.
#[derive(Clone, PartialEq, Eq)]
pub struct MfaEnrollment {
    /// SHA-256 (hex) of the enrollment token.
    pub token_hash: String,
    pub pool_id: String,
    pub user_id: String,
    pub kind: MfaType,
    /// OTP: the pending secret (base32).
    pub secret: Option<String>,
    /// SMS/EMAIL: where the code went.
    pub target: Option<String>,
    /// OTP: the digest of the recovery code shown with the secret.
    pub recovery_hash: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
}

impl std::fmt::Debug for MfaEnrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaEnrollment")
            .field("user_id", &self.user_id)
            .field("kind", &self.kind)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for MfaFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaFactor")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("kind", &self.kind)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// An invitation to join a tenant (`service::tenant_invitations`): one invited address, the
/// digest of its link's token, the application the invitee is sent to, an expiry, and who
/// accepted it and when.
#[derive(Clone, PartialEq, Eq)]
pub struct TenantInvitation {
    pub pool_id: String,
    /// The pool's own running number of the invitation.
    pub record_id: i64,
    pub tenant_id: String,
    pub app_id: String,
    pub email: String,
    /// SHA-256 (hex) of the token.
    pub token_hash: String,
    pub expires_at: i64,
    pub created_at: i64,
    pub accepted_at: Option<i64>,
    pub accepted_by: Option<String>,
}

/// Never the token's digest.
impl std::fmt::Debug for TenantInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantInvitation")
            .field("record_id", &self.record_id)
            .field("tenant_id", &self.tenant_id)
            .field("accepted_at", &self.accepted_at)
            .finish_non_exhaustive()
    }
}

/// A tenant import from a spreadsheet (`service::tenant_import`) that succeeded: numbered per
/// pool (`import_id`, the SDK's `importId: number`), with what it created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantImport {
    pub pool_id: String,
    pub import_id: i64,
    /// The uploaded file's name, as this server stored it.
    pub file_name: String,
    pub tenant_count: i64,
    /// Memberships the import added, of new and existing users alike.
    pub member_count: i64,
    pub created_user_count: i64,
    pub created_at: i64,
}

/// How an imported user is notified of their tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeChannel {
    Email,
    Sms,
}

/// One spreadsheet row of an import whose user the import created: the user, the tenant the
/// row made them a member of, and when they were last notified of it on each channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantImportUser {
    pub pool_id: String,
    pub import_id: i64,
    /// The row's number in the file (the header is row 1).
    pub row_no: i64,
    pub user_id: String,
    pub tenant_id: String,
    pub is_admin: bool,
    pub email_notified_at: Option<i64>,
    pub sms_notified_at: Option<i64>,
}
