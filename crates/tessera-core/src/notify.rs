//! Outgoing messages (verification codes by email and SMS, push-login requests). The core
//! decides what to send and when; a [`Notifier`] implemented outside the core (SMTP, an SMS
//! webhook, a push webhook, the server log) delivers it.

use async_trait::async_trait;

use crate::error::{Error, PrincipalProblem, Result};

/// One verification code by email to one recipient: providers render the subject and text
/// from it, in the words and languages they choose, as they do for an SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMessage {
    pub pool_id: String,
    pub to: String,
    pub code: String,
    /// How long the code stays valid, in whole minutes.
    pub valid_minutes: i64,
    /// The scene (`VERIFY_EMAIL`, `RESET_PASSWORD`, …) the code is for.
    pub scene: String,
    /// The pool's own SMTP server, when it configured one; else the deployment's.
    pub route: Option<EmailRoute>,
    /// The subject and HTML body from the pool's enabled template for this email, rendered
    /// by the core; `None` sends the provider's built-in text.
    pub custom: Option<crate::model::email_template::RenderedEmail>,
    /// An invitation to join a tenant ([`TENANT_INVITATION_SCENE`]), whose link the email
    /// carries instead of a code.
    pub invitation: Option<InvitationEmail>,
    /// A notice that an administrator granted the recipient administrative rights
    /// ([`ADMIN_NOTICE_SCENE`]); it carries no code.
    pub notice: Option<AdminNotice>,
    /// A notice to a user a tenant import created ([`TENANT_IMPORT_SCENE`]): it carries no
    /// code.
    pub import_notice: Option<TenantNotice>,
}

/// The scene of an administrative grant's notice, by email or SMS
/// (`service::tenant_admins`); an SMS of this scene carries no code.
pub const ADMIN_NOTICE_SCENE: &str = "ADMIN_GRANT_NOTICE";

/// What an administrator granted the recipient: the names of what it now administers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminNotice {
    /// Administrator of these tenants (by name).
    TenantAdmin { tenants: Vec<String> },
    /// Cooperator holding these policies (by code).
    Cooperator { policies: Vec<String> },
}

/// The scene of a tenant import's notice (`service::tenant_import`), by email or SMS.
pub const TENANT_IMPORT_SCENE: &str = "TENANT_IMPORT_NOTICE";

/// What a tenant import's notice tells a user it created: who added them (the administrator's
/// name as given), to which tenant (its name and code), as a member or its administrator,
/// the account they sign in with, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantNotice {
    pub admin_name: String,
    pub user_name: String,
    /// The user's email address or phone number: what they sign in with.
    pub account: String,
    pub tenant_name: String,
    pub tenant_code: String,
    pub is_admin: bool,
    pub login_url: String,
}

/// The scene of an invitation email (`service::tenant_invitations`).
pub const TENANT_INVITATION_SCENE: &str = "TENANT_INVITATION";

/// What an invitation email says: the link that accepts it (a credential: never log it),
/// the tenant's name and how many days the link works.
#[derive(Clone, PartialEq, Eq)]
pub struct InvitationEmail {
    pub link: String,
    pub tenant_name: String,
    pub valid_days: i64,
}

/// Never the link.
impl std::fmt::Debug for InvitationEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InvitationEmail")
            .field("tenant_name", &self.tenant_name)
            .field("valid_days", &self.valid_days)
            .finish_non_exhaustive()
    }
}

/// A pool's own SMTP server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailRoute {
    /// `smtp://user:pass@host:port` (credentials included: never log it).
    pub smtp_url: String,
    pub from: String,
}

/// One SMS verification code: providers render their own text from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    pub pool_id: String,
    /// National number.
    pub phone: String,
    /// `+86` style.
    pub phone_country_code: String,
    pub code: String,
    pub scene: String,
    /// The pool's own SMS webhook, when it configured one; else the deployment's.
    pub webhook_url: Option<String>,
    /// A tenant import's notice ([`TENANT_IMPORT_SCENE`]; `code` is empty).
    pub import_notice: Option<TenantNotice>,
}

/// A push-login request for the user's signed-in app (`signInByPush`): the deployment's push
/// gateway (FCM, APNs…) delivers it; the app answers with `pushCodeId` and the user's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushMessage {
    pub pool_id: String,
    /// The application the browser signs in to.
    pub app_id: String,
    pub user_id: String,
    pub push_code_id: String,
    /// When the request expires, ms since the epoch.
    pub expire_time: i64,
    /// Where the browser asked from, for the user to judge the request.
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// One real-name verification asked of the deployment's provider (`service::principal`):
/// Tessera cannot ask a government registry itself, so the operator's provider decides.
/// `Debug` shows neither the number nor the extra field (a bank card for a person).
#[derive(Clone, PartialEq, Eq)]
pub struct PrincipalCheck {
    pub pool_id: String,
    /// `P` (a person) or `E` (an enterprise).
    pub kind: String,
    /// The person's or the enterprise's name.
    pub name: String,
    /// The resident ID number or unified social credit code, normalised and checked.
    pub code: String,
    /// The SDK's `ext`: a person's bank card number, an enterprise's legal representative.
    pub ext: Option<String>,
}

impl std::fmt::Debug for PrincipalCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrincipalCheck")
            .field("pool_id", &self.pool_id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// The provider's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalVerdict {
    pub verified: bool,
    /// The provider's reason for a refusal, for the log (never shown to the caller).
    pub reason: Option<String>,
}

#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    async fn send_email(&self, msg: &EmailMessage) -> Result<()>;
    async fn send_sms(&self, msg: &SmsMessage) -> Result<()>;

    /// Whether push-login requests can be delivered at all; without a push channel the core
    /// refuses push logins before it looks at the account.
    fn push_configured(&self) -> bool {
        false
    }

    async fn send_push(&self, _msg: &PushMessage) -> Result<()> {
        Err(Error::PushNotConfigured)
    }

    /// Whether real-name verifications can be asked at all; without a provider the core
    /// refuses them before counting an attempt.
    fn principal_verification_configured(&self) -> bool {
        false
    }

    /// Asks the real-name verification provider; without one, refused as not configured.
    async fn verify_principal(&self, _check: &PrincipalCheck) -> Result<PrincipalVerdict> {
        Err(Error::Principal(PrincipalProblem::NotConfigured))
    }
}

/// Keeps every message in memory instead of delivering it: for tests of the core and for
/// embedders that deliver messages themselves.
#[derive(Debug, Default)]
pub struct Outbox {
    pub emails: std::sync::Mutex<Vec<EmailMessage>>,
    pub sms: std::sync::Mutex<Vec<SmsMessage>>,
    pub pushes: std::sync::Mutex<Vec<PushMessage>>,
}

#[async_trait]
impl Notifier for Outbox {
    async fn send_email(&self, msg: &EmailMessage) -> Result<()> {
        if let Ok(mut v) = self.emails.lock() {
            v.push(msg.clone());
        }
        Ok(())
    }

    async fn send_sms(&self, msg: &SmsMessage) -> Result<()> {
        if let Ok(mut v) = self.sms.lock() {
            v.push(msg.clone());
        }
        Ok(())
    }

    fn push_configured(&self) -> bool {
        true
    }

    async fn send_push(&self, msg: &PushMessage) -> Result<()> {
        if let Ok(mut v) = self.pushes.lock() {
            v.push(msg.clone());
        }
        Ok(())
    }
}
