//! WebAuthn (passkey) state: the ceremonies under way and the credentials users registered.
//! A ceremony's ticket is held by the client and stored only as its digest
//! (`crate::crypto::digest`); a ceremony is taken (deleted and returned) by one statement, so
//! of two processes finishing the same one exactly one gets it.

use async_trait::async_trait;

use crate::error::Result;

/// What a ceremony is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyPurpose {
    /// A signed-in user registers a new credential.
    Register,
    /// Someone signs in with a credential (usernameless).
    Authenticate,
}

impl CeremonyPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            CeremonyPurpose::Register => "register",
            CeremonyPurpose::Authenticate => "authenticate",
        }
    }

    pub fn parse(s: &str) -> Option<CeremonyPurpose> {
        match s {
            "register" => Some(CeremonyPurpose::Register),
            "authenticate" => Some(CeremonyPurpose::Authenticate),
            _ => None,
        }
    }
}

/// A ceremony begun: the options were handed out with a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    /// Digest of the ticket.
    pub ticket_digest: String,
    pub pool_id: String,
    /// The application the options were asked through, when one was named.
    pub app_id: Option<String>,
    /// The registering user (registration only).
    pub user_id: Option<String>,
    pub purpose: CeremonyPurpose,
    /// The challenge, base64url without padding, as the client data carries it back.
    pub challenge: String,
    /// The user handle offered to the authenticator (registration only), base64url.
    pub user_handle: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A registered credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyCredential {
    pub pool_id: String,
    /// The credential id, base64url without padding.
    pub credential_id: String,
    pub user_id: String,
    /// The user handle the authenticator keeps with the credential, base64url.
    pub user_handle: String,
    /// The COSE algorithm (-7 ES256, -257 RS256).
    pub algorithm: i64,
    /// DER SubjectPublicKeyInfo, base64url.
    pub public_key: String,
    pub sign_count: i64,
    /// `fingerprint`, `face` or `other`, as the user said when registering it.
    pub authenticator_code: String,
    /// Transports the client reported (`usb`, `internal`, …), for `excludeCredentials`.
    pub transports: Vec<String>,
    /// The authenticator model (hex), when it said (all zeros with `none` attestation).
    pub aaguid: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[async_trait]
pub trait WebauthnStore: Send + Sync {
    async fn insert_webauthn_ceremony(&self, c: &Ceremony) -> Result<()>;
    /// Deletes the ceremony with this ticket digest and purpose and returns it, expired or
    /// not (the caller checks): a ticket is spent by its first use, whatever comes of it.
    async fn take_webauthn_ceremony(
        &self,
        ticket_digest: &str,
        purpose: CeremonyPurpose,
    ) -> Result<Option<Ceremony>>;
    /// Stores a new credential; `Ok(false)` if the pool already has one with its id.
    async fn insert_passkey(&self, c: &PasskeyCredential) -> Result<bool>;
    async fn passkey(
        &self,
        pool_id: &str,
        credential_id: &str,
    ) -> Result<Option<PasskeyCredential>>;
    /// The user's credentials, oldest first.
    async fn passkeys_of(&self, pool_id: &str, user_id: &str) -> Result<Vec<PasskeyCredential>>;
    /// Records a use: the new signature counter and the time, in one statement, only if the
    /// counter moves forward (or both the stored and the new one are 0: an authenticator
    /// that does not count). Whether it did.
    async fn advance_passkey_counter(
        &self,
        pool_id: &str,
        credential_id: &str,
        sign_count: i64,
        now: i64,
    ) -> Result<bool>;
}
