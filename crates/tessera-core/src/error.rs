//! The one error type of the identity core.
//!
//! An [`Error`] says what went wrong and carries the fields needed to say it; it knows no
//! wire. Each façade states it in its own protocol (the Authing façades as a numeric code, an
//! HTTP status and a zh-CN/en-US message; OIDC as an RFC 6749 error), so a rule produces the
//! same meaning on every wire surface.

use std::fmt;

pub use crate::model::risk::RiskRefusal;
pub use crate::rules::password_strength::PasswordRule;

/// Which unique field of a user collided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueField {
    Email,
    Username,
    Phone,
    ExternalId,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    #[error("internal error: {0}")]
    Internal(String),
    #[error("storage error: {0}")]
    Storage(String),
    #[error("permission denied")]
    Forbidden,
    #[error("captcha required")]
    CaptchaRequired,
    #[error("captcha wrong")]
    CaptchaWrong,
    #[error("invalid email")]
    InvalidEmail,
    #[error("user not found")]
    UserNotFound,
    #[error("user blocked")]
    UserBlocked,
    /// Locked for a while by the pool's `block-account` login-failure strategy.
    #[error("account locked after repeated login failures")]
    AccountLocked,
    #[error("wrong password")]
    WrongPassword,
    #[error("application not found")]
    AppNotFound,
    #[error("password decryption failed")]
    PasswordDecrypt,
    #[error("not logged in")]
    NotLoggedIn,
    #[error("user already exists ({0:?})")]
    AlreadyExists(UniqueField),
    #[error("account has no password")]
    NoPassword,
    #[error("password too short")]
    PasswordTooShort,
    /// The password breaks the pool's strength rule (levels 2 to 4).
    #[error("password too weak ({0:?})")]
    PasswordTooWeak(PasswordRule),
    #[error("registration disabled")]
    RegisterDisabled,
    #[error("registering too frequently")]
    RegisterTooFrequent,
    #[error("user pool not found")]
    PoolNotFound,
    #[error("token expired")]
    TokenExpired,
    #[error("token invalid")]
    TokenInvalid,
    #[error("missing parameter {0}")]
    MissingParameter(&'static str),
    #[error("invalid parameter {0}")]
    InvalidParameter(&'static str),
    #[error("invalid phone number")]
    InvalidPhone,
    #[error("verification code expired")]
    CodeExpired,
    #[error("verification code wrong")]
    CodeWrong,
    /// A verification code was sent to this address for this scene moments ago.
    #[error("code sent too recently")]
    CodeSentTooRecently,
    #[error("{0} already exists")]
    Duplicate(Entity),
    /// Too many wrong MFA codes for this user lately: refused without checking the code.
    #[error("too many wrong MFA codes")]
    MfaAttemptsExceeded,
    /// The first factor passed and the pool or application asks for a second one the user
    /// has enrolled: nothing is recorded or issued until `Core::complete_mfa` is given the
    /// challenge's ticket and a proof (`service::mfa_login`).
    #[error("second factor required")]
    MfaRequired(Box<crate::service::mfa_login::MfaChallenge>),
    /// A WeChat mobile-app login of a person linked to no user: nothing is logged in until
    /// the challenge's ticket links them (`service::wechat_mobile`).
    #[error("account link required")]
    AccountLinkRequired(Box<crate::service::wechat_mobile::LinkChallenge>),
    /// A TOTP code given to complete an MFA login is not one of the user's factor.
    #[error("wrong MFA code")]
    MfaCodeWrong,
    /// A recovery code given to complete an MFA login is not the user's (or was used).
    #[error("wrong MFA recovery code")]
    MfaRecoveryCodeWrong,
    #[error("{0} not found")]
    NotFound(Entity),
    #[error("profile update may not change the email")]
    EmailChangeRefused,
    #[error("profile update may not change the phone")]
    PhoneChangeRefused,
    #[error("old email must be verified")]
    OldEmailRequired,
    #[error("old phone must be verified")]
    OldPhoneRequired,
    #[error("old email does not match")]
    OldEmailMismatch,
    #[error("old phone does not match")]
    OldPhoneMismatch,
    #[error("new email equals old email")]
    SameEmail,
    #[error("new phone equals old phone")]
    SamePhone,
    #[error("email already bound")]
    EmailAlreadyBound,
    #[error("old password required")]
    OldPasswordRequired,
    #[error("old password wrong")]
    OldPasswordWrong,
    #[error("only login method left")]
    OnlyLoginMethod,
    #[error("no email bound")]
    NoEmailBound,
    #[error("no phone bound")]
    NoPhoneBound,
    #[error("email not verified")]
    EmailNotVerified,
    #[error("identity source not configured")]
    IdentitySourceNotConfigured,
    /// A one-time QR code (quick authentication) outlived its lifetime or the session that
    /// made it; nothing was logged in.
    #[error("QR code expired")]
    QrCodeExpired,
    /// A one-time QR code (quick authentication) was already used to log in.
    #[error("QR code already used")]
    QrCodeUsed,
    /// The deployment has no push channel, so no push login can be requested.
    #[error("push login is not configured")]
    PushNotConfigured,
    /// A real-name (principal) authentication was refused (`service::principal`); nothing
    /// was stored.
    #[error("principal authentication refused: {0:?}")]
    Principal(PrincipalProblem),
    /// The pool switched off a tenant feature (`service::tenant_config`).
    #[error("tenant feature switched off: {0:?}")]
    TenantFeatureOff(TenantFeature),
    /// The administrator requires a new password before this login completes; `token` is the
    /// short-lived first-login token for `resetPasswordByFirstLoginToken`.
    #[error("password reset required")]
    PasswordResetRequired { token: String },
    #[error("not on the registration whitelist")]
    NotWhitelisted,
    #[error("file too large")]
    FileTooLarge,
    #[error("file type not allowed")]
    FileTypeRefused,
    /// One batch names more users than a single query may return.
    #[error("too many users in one query")]
    TooManyUsers,
    /// The pool or user already holds as many open event subscriptions as one process takes.
    #[error("too many event subscriptions")]
    TooManySubscriptions,
    /// The client address has stored as many uploads as one address may in the window
    /// (`service::guard::UPLOAD_BUDGET`).
    #[error("too many uploads from this address")]
    TooManyUploads,
    /// The user has published as many events as one user may in the window
    /// (`service::events::USER_PUBLISH_BUDGET`).
    #[error("too many events published by this user")]
    TooManyEvents,
    /// An application identifier (its domain label) is already used by another application.
    #[error("domain already taken")]
    DomainTaken,
    /// The row changed between the read a rule relied on and the write (another request
    /// set a new password meanwhile): nothing was written.
    #[error("changed concurrently")]
    ConcurrentChange,
    /// A role would become its own parent or ancestor.
    #[error("role parent loop")]
    RoleParentLoop,
    /// A user would hold two roles a separation-of-duties rule keeps apart (directly, or
    /// through a group or department): nothing was assigned.
    #[error("mutually exclusive roles")]
    RolesMutuallyExclusive,
    /// An org node would move under itself or one of its descendants.
    #[error("org node move loop")]
    NodeMoveLoop,
    /// The root node of an organization goes only with the organization.
    #[error("the root node cannot be deleted alone")]
    RootNodeDelete,
    /// A node other than a root needs a parent.
    #[error("node without parent")]
    NodeWithoutParent,
    /// Roles are assigned to users, groups and nodes, never to roles.
    #[error("a role cannot be assigned to a role")]
    RoleAssignedToRole,
    /// A member move names a user who is not a member of the node moved from.
    #[error("user not in the source node")]
    MoveOfNonMember,
    /// A tenant's enterprise certification can be reviewed only while it is under review
    /// (`service::tenant_certification`).
    #[error("the certification is not under review")]
    CertificationNotUnderReview,
    /// The main department named is not one the user belongs to.
    #[error("main department not joined")]
    MainDepartmentNotJoined,
    /// A new agreement order does not list each agreement of the application exactly once.
    #[error("agreement order does not match the agreements")]
    AgreementOrderMismatch,
    /// A signed management request that does not prove its key (`v3-wire.md` §3.1).
    #[error("signed request refused: {0:?}")]
    Signature(SignatureProblem),
    /// A risk list refused the request: the client address or the account is on the pool's
    /// blacklist with a limit forbidding it.
    #[error("refused by a risk list: {0}")]
    RiskListed(RiskRefusal),
    /// An OAuth 2.0 / OpenID Connect refusal: which one (RFC 6749 §4.1.2.1 and §5.2, OIDC
    /// Core §3.1.2.6, RFC 8628 §3.5, RFC 6750 §3.1) and why, for the client's developer.
    #[error("{0:?}: {1}")]
    Protocol(ProtocolError, std::borrow::Cow<'static, str>),
    /// An external identity provider (WeChat) refused the request or could not be asked;
    /// nothing was written.
    #[error("identity provider failed: {0:?}")]
    Provider(ProviderFailure),
    /// The external identity is already linked to another user of the pool.
    #[error("external identity linked to another user")]
    IdentityLinkedElsewhere,
    /// A WebAuthn (passkey) ceremony was refused; nothing was stored and nobody logged in.
    #[error("passkey refused: {0:?}")]
    Passkey(PasskeyProblem),
    /// An ASA (form-filling) account's `accountInfo` breaks its shape or bounds
    /// (`service::asa_accounts`); nothing was written.
    #[error("ASA account information refused: {0:?}")]
    AsaAccountInfo(AccountInfoProblem),
    /// A tenant import's spreadsheet was refused (`service::tenant_import`); nothing of it
    /// was written.
    #[error("tenant import refused: {0:?}")]
    TenantImport(ImportProblem),
}

/// Why a tenant import's spreadsheet was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportProblem {
    /// The file could not be read as a spreadsheet of its kind.
    Unreadable,
    /// The file has no data row under its header.
    NoRows,
    /// More data rows than one import takes (`tenant_import::MAX_IMPORT_ROWS`).
    TooManyRows,
    /// The header lacks a required column (the column's field name, e.g. `tenantName`).
    MissingColumn(&'static str),
    /// A row's field is missing or invalid; `row` is its number in the file (the header is
    /// row 1) and `field` the column's field name.
    Row { row: i64, field: &'static str },
}

/// What is wrong with an ASA account's information: an object of at most
/// `asa_accounts::MAX_FIELDS` string fields, keys of 1 to `MAX_KEY_CHARS` characters, values
/// of at most `MAX_VALUE_CHARS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountInfoProblem {
    NotAnObject,
    NoFields,
    TooManyFields,
    KeyLength,
    ValueNotString,
    ValueTooLong,
}

/// Why a WebAuthn registration or assertion was refused (W3C WebAuthn Level 2 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasskeyProblem {
    /// The deployment's public URL has no domain to be the relying party id (an IP
    /// address other than loopback): browsers refuse such an RP id.
    Unavailable,
    /// The ticket is unknown, spent, expired, of another purpose, pool, application or user.
    TicketInvalid,
    /// The credential, its client data or authenticator data cannot be read.
    Malformed,
    /// A key type or algorithm other than ES256 (P-256) and RS256.
    UnsupportedAlgorithm,
    /// The client data is of the other ceremony (`webauthn.create` / `webauthn.get`).
    WrongType,
    /// The client data answers another challenge than the ticket's.
    ChallengeMismatch,
    /// The client data's origin is not one allowed for the relying party.
    OriginRefused,
    /// The authenticator data is scoped to another relying party id.
    RpIdMismatch,
    /// The authenticator did not test the user's presence (UP flag).
    UserNotPresent,
    /// The attestation statement does not verify.
    AttestationInvalid,
    /// The pool already has a credential with this id.
    CredentialExists,
    /// No credential of the pool has this id.
    UnknownCredential,
    /// The user handle returned is not the one the credential was registered with.
    UserHandleMismatch,
    /// The signature is not the credential key's over this assertion.
    BadSignature,
    /// The signature counter did not move forward: the authenticator may have been cloned.
    SignCountRegressed,
}

/// A tenant feature a pool may switch off (`service::tenant_config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantFeature {
    /// Users joining a tenant by themselves (`enableJoinTenant`).
    Join,
    /// QR-code login for tenants (`updateTenantQrCodeState`).
    QrLogin,
}

/// Why a real-name (principal) authentication was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalProblem {
    /// The deployment has no verification provider (`--principal-verify-url`).
    NotConfigured,
    /// The provider could not be reached, timed out or answered something unreadable.
    Unavailable,
    /// The provider did not verify the name and number.
    NotVerified,
    /// The user already has a verified principal: an administrator resets it first.
    AlreadyAuthenticated,
    /// The user's attempts of the day are spent.
    TooManyAttempts,
}

/// How an external identity provider failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderFailure {
    /// The provider answered with an error of its own (a wrong, used or expired code, a
    /// wrong secret): its error number, for the log and for the façade to word.
    Refused { provider_code: i64 },
    /// The provider could not be reached, timed out or answered something unreadable.
    Unavailable,
    /// This deployment has no client for the provider.
    NotConfigured,
}

/// Why a signed management request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureProblem {
    /// Unknown key, or a signature that is not the key's over this request. One answer for
    /// both, so the refusal does not tell which access key ids exist.
    Invalid,
    /// A signature method other than HMAC-SHA1.
    UnsupportedMethod,
    /// A signature version other than 1.0.
    UnsupportedVersion,
    /// A `date` that is neither an HTTP date nor epoch milliseconds.
    BadDate,
    MissingDate,
    /// A `date` too far from the server's clock.
    Skewed,
    /// A nonce the key already signed with.
    NonceReplayed,
    /// The key exists but was disabled.
    KeyDisabled,
}

/// The OAuth/OIDC refusals, by meaning. The OIDC façade words them as the RFCs' `error`
/// values; whether the user's browser may be sent back to the client with one is the
/// façade's to decide from [`ProtocolError::redirectable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolError {
    /// The client is unknown, so nothing may be redirected to.
    UnknownClient,
    /// The redirect URI is missing or not one the client registered: never redirect to it.
    BadRedirectUri,
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    LoginRequired,
    ConsentRequired,
    AuthorizationPending,
    SlowDown,
    ExpiredToken,
    /// A bearer token that is missing, expired, revoked or not ours.
    InvalidToken,
}

impl ProtocolError {
    /// Whether the refusal may be sent to the client's redirect URI (it was validated).
    pub fn redirectable(self) -> bool {
        !matches!(
            self,
            ProtocolError::UnknownClient | ProtocolError::BadRedirectUri
        )
    }
}

/// Shorthand for a protocol refusal with a fixed description.
pub fn protocol(kind: ProtocolError, why: &'static str) -> Error {
    Error::Protocol(kind, std::borrow::Cow::Borrowed(why))
}

/// What a request named that does not exist ([`Error::NotFound`]) or that already exists
/// ([`Error::Duplicate`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Role,
    /// An administrator role (console administrators), by code.
    AdminRole,
    /// A role's code, unique per namespace.
    RoleCode,
    Group,
    /// A group's code, unique per pool.
    GroupCode,
    OrgNode,
    /// A node's code, unique per organization.
    OrgNodeCode,
    Org,
    /// An organization's code (its root department's code), unique per pool.
    OrgCode,
    Namespace,
    NamespaceCode,
    Resource,
    ResourceCode,
    Policy,
    PolicyCode,
    /// A resource grant (one per target, resource and namespace).
    ResourceGrant,
    PolicyAssignment,
    /// An application access rule.
    AccessRule,
    ProgrammaticAccessAccount,
    /// An access key of the pool (v3 AK/SK).
    AccessKey,
    Tenant,
    /// A user's membership of a tenant.
    TenantMember,
    /// An external identity provider.
    ExtIdp,
    /// A connection of an external identity provider.
    ExtIdpConn,
    /// A connection's identifier, unique per pool.
    ExtIdpConnIdentifier,
    /// A sign-in agreement of an application.
    Agreement,
    /// A custom-field definition.
    UdfDefinition,
    /// The target (role, group, node, org, application) custom values are set on.
    UdfTarget,
    /// A user's link to an external identity.
    ExternalIdentity,
    /// A pool environment variable.
    EnvVar,
    /// A pool's domain label.
    PoolDomain,
    /// A user's bound MFA factor (a TOTP secret).
    MfaFactor,
    /// A post (job position).
    Post,
    /// A post's code, unique per pool.
    PostCode,
    /// An entry of a pool's IP blacklist or whitelist.
    IpListEntry,
    /// An entry of a pool's user blacklist or whitelist.
    UserListEntry,
    /// An automatic risk-list policy.
    RiskPolicy,
    /// A QR-code login (unknown, expired, or another user's).
    QrLogin,
    /// A push login (unknown, or another user's).
    PushLogin,
    /// An ASA (form-filling) account of an application.
    AsaAccount,
    /// A device the user signed in from (unknown, forgotten, or another user's).
    Device,
    /// A browser flow to an external OpenID Provider (unknown, used, expired, or opened in
    /// another browser).
    ExtOidcFlow,
    /// An event application of the event center, by its identifier.
    EventApp,
    /// A custom event type (`<app>.<name>`), defined or not.
    EventType,
    /// A cooperator (协作管理员) of the pool, by user id.
    TenantCooperator,
    /// A tenant's enterprise certification (one per tenant).
    TenantCertification,
    /// A tenant import (by its number).
    TenantImport,
    /// A sync relation between an upstream directory's object and a user or department.
    SyncRelation,
    /// A provisioning (SCIM) connection of the pool.
    ProvisioningConnection,
}

/// For logs and `Display` only; the façades say an entity in their own words.
impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Entity::Role => "role",
            Entity::AdminRole => "admin role",
            Entity::RoleCode => "role code",
            Entity::Group => "group",
            Entity::GroupCode => "group code",
            Entity::OrgNode => "org node",
            Entity::OrgNodeCode => "org node code",
            Entity::Org => "organization",
            Entity::OrgCode => "organization code",
            Entity::Namespace => "namespace",
            Entity::NamespaceCode => "namespace code",
            Entity::Resource => "resource",
            Entity::ResourceCode => "resource code",
            Entity::Policy => "policy",
            Entity::PolicyCode => "policy code",
            Entity::ResourceGrant => "resource grant",
            Entity::PolicyAssignment => "policy assignment",
            Entity::AccessRule => "access rule",
            Entity::ProgrammaticAccessAccount => "programmatic access account",
            Entity::AccessKey => "access key",
            Entity::Tenant => "tenant",
            Entity::TenantMember => "tenant member",
            Entity::ExtIdp => "external identity provider",
            Entity::ExtIdpConn => "external identity provider connection",
            Entity::ExtIdpConnIdentifier => "connection identifier",
            Entity::Agreement => "agreement",
            Entity::UdfDefinition => "custom field",
            Entity::UdfTarget => "custom data target",
            Entity::ExternalIdentity => "external identity",
            Entity::EnvVar => "environment variable",
            Entity::PoolDomain => "pool domain",
            Entity::MfaFactor => "MFA factor",
            Entity::Post => "post",
            Entity::PostCode => "post code",
            Entity::IpListEntry => "IP list entry",
            Entity::UserListEntry => "user list entry",
            Entity::RiskPolicy => "risk policy",
            Entity::QrLogin => "QR-code login",
            Entity::PushLogin => "push login",
            Entity::AsaAccount => "ASA account",
            Entity::ExtOidcFlow => "external OpenID Provider flow",
            Entity::Device => "device",
            Entity::EventApp => "event app",
            Entity::EventType => "event type",
            Entity::TenantCooperator => "tenant cooperator",
            Entity::TenantCertification => "tenant enterprise certification",
            Entity::TenantImport => "tenant import",
            Entity::SyncRelation => "sync relation",
            Entity::ProvisioningConnection => "provisioning connection",
        })
    }
}

impl Error {
    /// True for failures of the server rather than of the request; only these are logged at
    /// error level.
    pub fn is_internal(&self) -> bool {
        matches!(self, Error::Internal(_) | Error::Storage(_))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_server_failures_are_internal() {
        assert!(Error::Storage("connection refused".into()).is_internal());
        assert!(Error::Internal("bug".into()).is_internal());
        assert!(!Error::NotFound(Entity::Role).is_internal());
        assert!(!Error::WrongPassword.is_internal());
    }

    #[test]
    fn display_names_the_entity() {
        assert_eq!(
            Error::NotFound(Entity::OrgNode).to_string(),
            "org node not found"
        );
        assert_eq!(
            Error::Duplicate(Entity::RoleCode).to_string(),
            "role code already exists"
        );
    }
}
