//! WebAuthn (passkeys), W3C Web Authentication Level 2: a signed-in user registers a
//! credential (§7.1), and anyone signs in with one (§7.2) through the one core login
//! (`Credential::Passkey`), so blocked users, risk lists, the application's access policy and
//! the login record hold as for every login.
//!
//! The relying party id is the host of the deployment's public URL: passkeys are scoped to
//! it. A public URL on a loopback address (a development deployment) has the RP id
//! `localhost`, the one name browsers accept there (an IP address is never an RP id); any
//! other IP address leaves passkeys unavailable. Allowed origins: the deployment's own
//! origin, and the origins of the application's registered redirect URIs whose host is the
//! RP id or under it (the application's own pages, where its login runs), over https or on
//! `localhost`.
//!
//! Each ceremony has a ticket (random, stored only as a digest with its challenge, purpose,
//! pool, application, user and a 5-minute expiry) that its first use spends, whatever comes
//! of it; everything is in the store, so any server process finishes a ceremony another one
//! began. Registration asks for `none` attestation: a `none` statement is accepted, a
//! `packed` one is verified (self attestation with the credential key, or with the key of
//! its certificate, whose chain is not checked: no attestation roots are configured), and
//! other formats are accepted without their attestation being trusted (§7.1 step 21 lets a
//! relying party treat them as `none`). Sign-in is usernameless (`allowCredentials` empty):
//! the credential is found by its id, and the user handle the authenticator returns must be
//! the one it was registered with.
//!
//! Failure counting: the password guard counts guesses of a secret; an assertion cannot be
//! guessed (it is a signature over a fresh challenge) and names no account before it
//! verifies, so a refused assertion counts nothing. A signature counter that does not move
//! forward refuses the login and is recorded in the user's action log (clone detection,
//! §6.1.1).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

use super::account::Session;
use super::authn::AuthEvent;
use super::login::{Credential, LoginOptions, PasskeyAssertion};
use super::users::LoginContext;
use super::Core;
use crate::clock;
use crate::crypto::webauthn::{
    self as wa, AttestationObject, AuthData, Cbor, Malformed, PublicKey, ES256, RS256,
};
use crate::crypto::{ct_eq, digest};
use crate::error::{Error, PasskeyProblem, Result};
use crate::ids;
use crate::model::audit::UserEvent;
use crate::model::{Application, User, UserPool};
use crate::store::webauthn::{Ceremony, CeremonyPurpose, PasskeyCredential};

/// How long a ceremony may take, and the `timeout` the options state.
pub const CEREMONY_LIFETIME_MS: i64 = 5 * 60 * 1000;
/// The algorithms offered (`pubKeyCredParams`), in order of preference.
pub const ALGORITHMS: [i64; 2] = [ES256, RS256];

const MAX_CLIENT_DATA: usize = 4 * 1024;
const MAX_ATTESTATION: usize = 64 * 1024;
const MAX_AUTH_DATA: usize = 8 * 1024;
const MAX_SIGNATURE: usize = 1024;
const MAX_USER_HANDLE: usize = 64;
const MAX_TICKET: usize = 128;
const MAX_TRANSPORTS: usize = 8;

fn refused(p: PasskeyProblem) -> Error {
    Error::Passkey(p)
}

impl From<Malformed> for Error {
    fn from(m: Malformed) -> Error {
        match m {
            Malformed::UnsupportedAlgorithm => refused(PasskeyProblem::UnsupportedAlgorithm),
            _ => refused(PasskeyProblem::Malformed),
        }
    }
}

/// The kind of authenticator, as the user named it when registering (`authenticatorCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthenticatorKind {
    Fingerprint,
    Face,
    #[default]
    Other,
}

impl AuthenticatorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthenticatorKind::Fingerprint => "fingerprint",
            AuthenticatorKind::Face => "face",
            AuthenticatorKind::Other => "other",
        }
    }
}

/// The relying party: its id (a domain) and the name users see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    pub id: String,
    pub name: String,
}

/// A credential the authenticator must not register again (`excludeCredentials`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialDescriptor {
    /// base64url.
    pub id: String,
    pub transports: Vec<String>,
}

/// What `navigator.credentials.create()` needs, with the ceremony's ticket.
#[derive(Debug, Clone)]
pub struct RegistrationOptions {
    pub ticket: String,
    /// base64url of 32 random bytes.
    pub challenge: String,
    pub rp: RelyingParty,
    /// base64url.
    pub user_handle: String,
    pub user_name: String,
    pub user_display_name: String,
    pub algorithms: [i64; 2],
    pub exclude: Vec<CredentialDescriptor>,
    pub timeout_ms: i64,
}

/// What `navigator.credentials.get()` needs, with the ceremony's ticket.
#[derive(Debug, Clone)]
pub struct AuthenticationOptions {
    pub ticket: String,
    pub challenge: String,
    pub rp_id: String,
    pub timeout_ms: i64,
}

/// A `PublicKeyCredential` from `create()`, decoded from base64url by the façade.
#[derive(Debug, Clone, Default)]
pub struct NewCredential {
    pub raw_id: Vec<u8>,
    pub client_data_json: Vec<u8>,
    pub attestation_object: Vec<u8>,
    pub transports: Vec<String>,
    pub authenticator: AuthenticatorKind,
}

/// A `PublicKeyCredential` from `get()`, decoded from base64url by the façade.
#[derive(Debug, Clone, Default)]
pub struct Assertion {
    pub raw_id: Vec<u8>,
    pub client_data_json: Vec<u8>,
    pub authenticator_data: Vec<u8>,
    pub signature: Vec<u8>,
    pub user_handle: Option<Vec<u8>>,
}

/// `CollectedClientData` (§5.8.1), the members checked.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClientData {
    #[serde(rename = "type")]
    kind: String,
    challenge: String,
    origin: String,
    #[serde(default)]
    cross_origin: Option<bool>,
}

/// An origin as scheme, host and port (the default port of the scheme left out), lowercase.
fn origin_of(url: &str) -> Option<(String, String, Option<u16>)> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.contains('@') || authority.is_empty() {
        return None;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse::<u16>().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        (h.to_owned(), port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h.to_owned(), Some(p.parse::<u16>().ok()?)),
            None => (authority.to_owned(), None),
        }
    };
    let default = if scheme == "https" { 443 } else { 80 };
    let port = port.filter(|p| *p != default);
    Some((scheme, host.to_ascii_lowercase(), port))
}

fn origin_text(scheme: &str, host: &str, port: Option<u16>) -> String {
    match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    }
}

/// The relying party id and the deployment's own origin, from its public URL.
fn deployment_rp(public_url: &str) -> Result<(String, String)> {
    let unavailable = || refused(PasskeyProblem::Unavailable);
    let (scheme, host, port) = origin_of(public_url).ok_or_else(unavailable)?;
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_loopback() => {
            Ok(("localhost".into(), origin_text(&scheme, "localhost", port)))
        }
        Ok(_) => Err(unavailable()),
        Err(_) => {
            let origin = origin_text(&scheme, &host, port);
            Ok((host, origin))
        }
    }
}

/// Whether a client data origin is allowed: the deployment's, or one of the application's
/// redirect URIs' on the RP id or under it, over https or on localhost.
fn origin_allowed(origin: &str, rp_id: &str, deployment: &str, app: Option<&Application>) -> bool {
    let Some((scheme, host, port)) = origin_of(origin) else {
        return false;
    };
    // A serialised origin has no path: `https://x/` is not one.
    let canonical = origin_text(&scheme, &host, port);
    if canonical != origin.to_ascii_lowercase() {
        return false;
    }
    if canonical == deployment {
        return true;
    }
    let under_rp = host == rp_id || host.ends_with(&format!(".{rp_id}"));
    let secure = scheme == "https" || host == "localhost" || host.ends_with(".localhost");
    if !under_rp || !secure {
        return false;
    }
    app.is_some_and(|a| {
        a.oidc
            .redirect_uris
            .iter()
            .any(|uri| origin_of(uri).is_some_and(|(s, h, p)| origin_text(&s, &h, p) == canonical))
    })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How the options name the user: an identifier they know, and a friendlier name.
fn user_names(u: &User) -> (String, String) {
    let name = [&u.email, &u.username, &u.phone]
        .into_iter()
        .flatten()
        .find(|s| !s.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| u.id.clone());
    let display = [&u.profile.nickname, &u.profile.name]
        .into_iter()
        .flatten()
        .find(|s| !s.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| name.clone());
    (name, display)
}

fn check_len(bytes: &[u8], max: usize) -> Result<()> {
    if bytes.is_empty() || bytes.len() > max {
        return Err(refused(PasskeyProblem::Malformed));
    }
    Ok(())
}

impl Core {
    /// The relying party for this deployment and pool.
    pub fn passkey_relying_party(&self, pool: &UserPool) -> Result<RelyingParty> {
        let (id, _) = deployment_rp(self.public_url())?;
        Ok(RelyingParty {
            id,
            name: pool.name.clone(),
        })
    }

    /// Checks the client data of a ceremony: its type, challenge, origin and that it was
    /// not made in a cross-origin frame.
    fn check_client_data(
        &self,
        json: &[u8],
        kind: &str,
        challenge: &str,
        app: Option<&Application>,
    ) -> Result<()> {
        check_len(json, MAX_CLIENT_DATA)?;
        let cd: ClientData =
            serde_json::from_slice(json).map_err(|_| refused(PasskeyProblem::Malformed))?;
        if cd.kind != kind {
            return Err(refused(PasskeyProblem::WrongType));
        }
        let expected = URL_SAFE_NO_PAD
            .decode(challenge)
            .map_err(|_| Error::Internal("stored challenge".into()))?;
        let got = URL_SAFE_NO_PAD
            .decode(cd.challenge.trim_end_matches('='))
            .map_err(|_| refused(PasskeyProblem::ChallengeMismatch))?;
        if !ct_eq(&expected, &got) {
            return Err(refused(PasskeyProblem::ChallengeMismatch));
        }
        let (rp_id, deployment) = deployment_rp(self.public_url())?;
        if cd.cross_origin == Some(true) || !origin_allowed(&cd.origin, &rp_id, &deployment, app) {
            return Err(refused(PasskeyProblem::OriginRefused));
        }
        Ok(())
    }

    /// Takes the ceremony of a ticket: spent now, whatever comes of the rest. Refused when
    /// unknown, expired or begun for another pool or application.
    async fn take_ceremony(
        &self,
        ticket: &str,
        purpose: CeremonyPurpose,
        pool: &UserPool,
        app_id: Option<&str>,
    ) -> Result<Ceremony> {
        let invalid = || refused(PasskeyProblem::TicketInvalid);
        let ticket = ticket.trim();
        if ticket.is_empty() || ticket.len() > MAX_TICKET {
            return Err(invalid());
        }
        let c = self
            .store
            .take_webauthn_ceremony(&digest(ticket), purpose)
            .await?
            .ok_or_else(invalid)?;
        if c.expires_at <= clock::now_ms() || c.pool_id != pool.id || c.app_id.as_deref() != app_id
        {
            return Err(invalid());
        }
        Ok(c)
    }

    /// Begins a registration for the session's user: the options and the ticket.
    pub async fn passkey_registration_options(
        &self,
        session: &Session,
        app: Option<&Application>,
    ) -> Result<RegistrationOptions> {
        let (pool, user) = (session.pool(), session.user());
        let rp = self.passkey_relying_party(pool)?;
        let existing = self.store.passkeys_of(&pool.id, &user.id).await?;
        // One handle per user (§4 "user handle": random, no personal data): the one their
        // credentials carry, or a new random one for their first.
        let user_handle = existing
            .first()
            .map(|c| c.user_handle.clone())
            .unwrap_or_else(|| ids::new_url_token(32));
        let ticket = ids::new_url_token(32);
        let challenge = ids::new_url_token(32);
        let now = clock::now_ms();
        self.store
            .insert_webauthn_ceremony(&Ceremony {
                ticket_digest: digest(&ticket),
                pool_id: pool.id.clone(),
                app_id: app.map(|a| a.id.clone()),
                user_id: Some(user.id.clone()),
                purpose: CeremonyPurpose::Register,
                challenge: challenge.clone(),
                user_handle: Some(user_handle.clone()),
                created_at: now,
                expires_at: now + CEREMONY_LIFETIME_MS,
            })
            .await?;
        let (user_name, user_display_name) = user_names(user);
        Ok(RegistrationOptions {
            ticket,
            challenge,
            rp,
            user_handle,
            user_name,
            user_display_name,
            algorithms: ALGORITHMS,
            exclude: existing
                .into_iter()
                .map(|c| CredentialDescriptor {
                    id: c.credential_id,
                    transports: c.transports,
                })
                .collect(),
            timeout_ms: CEREMONY_LIFETIME_MS,
        })
    }

    /// Finishes a registration (§7.1): verifies the new credential against the ticket's
    /// ceremony and stores it for the session's user.
    pub async fn passkey_register(
        &self,
        session: &Session,
        app: Option<&Application>,
        ticket: &str,
        cred: NewCredential,
        client: &LoginContext,
    ) -> Result<PasskeyCredential> {
        let (pool, user) = (session.pool(), session.user());
        let ceremony = self
            .take_ceremony(
                ticket,
                CeremonyPurpose::Register,
                pool,
                app.map(|a| a.id.as_str()),
            )
            .await?;
        if ceremony.user_id.as_deref() != Some(user.id.as_str()) {
            return Err(refused(PasskeyProblem::TicketInvalid));
        }
        let user_handle = ceremony
            .user_handle
            .clone()
            .ok_or_else(|| Error::Internal("registration ceremony without a handle".into()))?;
        check_len(&cred.raw_id, wa::MAX_CREDENTIAL_ID)?;
        self.check_client_data(
            &cred.client_data_json,
            "webauthn.create",
            &ceremony.challenge,
            app,
        )?;
        check_len(&cred.attestation_object, MAX_ATTESTATION)?;
        let att = AttestationObject::parse(&cred.attestation_object)?;
        let auth = AuthData::parse(&att.auth_data)?;
        let rp = self.passkey_relying_party(pool)?;
        if !ct_eq(&auth.rp_id_hash, &openssl::sha::sha256(rp.id.as_bytes())) {
            return Err(refused(PasskeyProblem::RpIdMismatch));
        }
        if !auth.user_present() {
            return Err(refused(PasskeyProblem::UserNotPresent));
        }
        let attested = auth
            .attested
            .as_ref()
            .ok_or(refused(PasskeyProblem::Malformed))?;
        if attested.credential_id != cred.raw_id {
            return Err(refused(PasskeyProblem::Malformed));
        }
        if !ALGORITHMS.contains(&attested.public_key.alg) {
            return Err(refused(PasskeyProblem::UnsupportedAlgorithm));
        }
        let client_data_hash = openssl::sha::sha256(&cred.client_data_json);
        verify_attestation(&att, &attested.public_key, &client_data_hash)?;
        let transports: Vec<String> = cred
            .transports
            .into_iter()
            .filter(|t| !t.is_empty() && t.len() <= 32 && t.bytes().all(|b| b.is_ascii_graphic()))
            .take(MAX_TRANSPORTS)
            .collect();
        let now = clock::now_ms();
        let stored = PasskeyCredential {
            pool_id: pool.id.clone(),
            credential_id: b64(&cred.raw_id),
            user_id: user.id.clone(),
            user_handle,
            algorithm: attested.public_key.alg,
            public_key: b64(&attested.public_key.spki_der),
            sign_count: i64::from(auth.sign_count),
            authenticator_code: cred.authenticator.as_str().to_owned(),
            transports,
            aaguid: ids::hex(&attested.aaguid),
            created_at: now,
            last_used_at: None,
        };
        if !self.store.insert_passkey(&stored).await? {
            return Err(refused(PasskeyProblem::CredentialExists));
        }
        self.record_user_action(&pool.id, &user.id, UserEvent::PasskeyRegister, client)
            .await?;
        Ok(stored)
    }

    /// Begins a sign-in through the application: the options and the ticket. Usernameless:
    /// the authenticator offers the user's discoverable credentials.
    pub async fn passkey_authentication_options(
        &self,
        pool: &UserPool,
        app: &Application,
    ) -> Result<AuthenticationOptions> {
        if app.pool_id != pool.id {
            return Err(Error::AppNotFound);
        }
        let rp = self.passkey_relying_party(pool)?;
        let ticket = ids::new_url_token(32);
        let challenge = ids::new_url_token(32);
        let now = clock::now_ms();
        self.store
            .insert_webauthn_ceremony(&Ceremony {
                ticket_digest: digest(&ticket),
                pool_id: pool.id.clone(),
                app_id: Some(app.id.clone()),
                user_id: None,
                purpose: CeremonyPurpose::Authenticate,
                challenge: challenge.clone(),
                user_handle: None,
                created_at: now,
                expires_at: now + CEREMONY_LIFETIME_MS,
            })
            .await?;
        Ok(AuthenticationOptions {
            ticket,
            challenge,
            rp_id: rp.id,
            timeout_ms: CEREMONY_LIFETIME_MS,
        })
    }

    /// Finishes a sign-in (§7.2): verifies the assertion against the ticket's ceremony and
    /// the stored credential, advances its counter, then logs its user in through the one
    /// core login.
    pub async fn passkey_authenticate(
        &self,
        pool: &UserPool,
        app: &Application,
        ticket: &str,
        assertion: Assertion,
        opts: LoginOptions,
    ) -> Result<AuthEvent> {
        let ceremony = self
            .take_ceremony(
                ticket,
                CeremonyPurpose::Authenticate,
                pool,
                Some(app.id.as_str()),
            )
            .await?;
        check_len(&assertion.raw_id, wa::MAX_CREDENTIAL_ID)?;
        let stored = self
            .store
            .passkey(&pool.id, &b64(&assertion.raw_id))
            .await?
            .ok_or(refused(PasskeyProblem::UnknownCredential))?;
        // §7.2 step 6: with no allowCredentials, the user handle is required and must be
        // the credential's.
        let handle = assertion
            .user_handle
            .as_deref()
            .filter(|h| !h.is_empty() && h.len() <= MAX_USER_HANDLE)
            .ok_or(refused(PasskeyProblem::UserHandleMismatch))?;
        let stored_handle = URL_SAFE_NO_PAD
            .decode(&stored.user_handle)
            .map_err(|_| Error::Internal("stored user handle".into()))?;
        if !ct_eq(handle, &stored_handle) {
            return Err(refused(PasskeyProblem::UserHandleMismatch));
        }
        self.check_client_data(
            &assertion.client_data_json,
            "webauthn.get",
            &ceremony.challenge,
            Some(app),
        )?;
        check_len(&assertion.authenticator_data, MAX_AUTH_DATA)?;
        let auth = AuthData::parse(&assertion.authenticator_data)?;
        let rp = self.passkey_relying_party(pool)?;
        if !ct_eq(&auth.rp_id_hash, &openssl::sha::sha256(rp.id.as_bytes())) {
            return Err(refused(PasskeyProblem::RpIdMismatch));
        }
        if !auth.user_present() {
            return Err(refused(PasskeyProblem::UserNotPresent));
        }
        check_len(&assertion.signature, MAX_SIGNATURE)?;
        let key = PublicKey {
            alg: stored.algorithm,
            spki_der: URL_SAFE_NO_PAD
                .decode(&stored.public_key)
                .map_err(|_| Error::Internal("stored public key".into()))?,
        };
        let mut signed = assertion.authenticator_data.clone();
        signed.extend_from_slice(&openssl::sha::sha256(&assertion.client_data_json));
        if !wa::verify_signature(&key, &signed, &assertion.signature) {
            return Err(refused(PasskeyProblem::BadSignature));
        }
        let now = clock::now_ms();
        let count = i64::from(auth.sign_count);
        if !self
            .store
            .advance_passkey_counter(&pool.id, &stored.credential_id, count, now)
            .await?
        {
            // §6.1.1: a counter that does not exceed the stored one means two copies of the
            // key may exist. Refused, logged for operators and recorded for the pool's
            // administrators.
            tracing::warn!(
                pool_id = %pool.id,
                user_id = %stored.user_id,
                credential = %digest(&stored.credential_id),
                stored = stored.sign_count,
                presented = count,
                "passkey signature counter did not advance: possible cloned authenticator"
            );
            self.record_user_outcome(
                &pool.id,
                &stored.user_id,
                UserEvent::PasskeyCloneSuspected,
                &opts.client,
                false,
            )
            .await?;
            return Err(refused(PasskeyProblem::SignCountRegressed));
        }
        self.authenticate(
            pool,
            Some(app),
            Credential::Passkey(PasskeyAssertion::of(stored.user_id)),
            opts,
        )
        .await
    }

    /// The user's registered passkeys, oldest first.
    pub async fn passkeys_of(
        &self,
        pool_id: &str,
        user_id: &str,
    ) -> Result<Vec<PasskeyCredential>> {
        self.store.passkeys_of(pool_id, user_id).await
    }
}

/// Verifies an attestation statement as §8 says for the formats taken: `none` must be
/// empty; `packed` must be a signature over authData ‖ SHA-256(clientDataJSON), by the
/// credential key itself (self attestation, with its algorithm) or by its certificate's key
/// (the chain is not checked). Other formats are accepted untrusted.
fn verify_attestation(
    att: &AttestationObject,
    credential_key: &PublicKey,
    client_data_hash: &[u8; 32],
) -> Result<()> {
    let invalid = || refused(PasskeyProblem::AttestationInvalid);
    match att.fmt.as_str() {
        "none" => match &att.att_stmt {
            Cbor::Map(m) if m.is_empty() => Ok(()),
            _ => Err(invalid()),
        },
        "packed" => {
            let alg = att
                .att_stmt
                .get_text("alg")
                .and_then(Cbor::as_int)
                .and_then(|a| i64::try_from(a).ok())
                .ok_or_else(invalid)?;
            let sig = att
                .att_stmt
                .get_text("sig")
                .and_then(Cbor::as_bytes)
                .ok_or_else(invalid)?;
            let key = match att.att_stmt.get_text("x5c") {
                None => {
                    if alg != credential_key.alg {
                        return Err(invalid());
                    }
                    credential_key.clone()
                }
                Some(Cbor::Array(certs)) => {
                    let leaf = certs.first().and_then(Cbor::as_bytes).ok_or_else(invalid)?;
                    if !ALGORITHMS.contains(&alg) {
                        return Err(invalid());
                    }
                    wa::certificate_key(leaf, alg).map_err(|_| invalid())?
                }
                Some(_) => return Err(invalid()),
            };
            let mut signed = att.auth_data.clone();
            signed.extend_from_slice(client_data_hash);
            if wa::verify_signature(&key, &signed, sig) {
                Ok(())
            } else {
                Err(invalid())
            }
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rp_id_is_the_public_host_and_loopback_is_localhost() {
        assert_eq!(
            deployment_rp("https://id.example.com").unwrap(),
            ("id.example.com".into(), "https://id.example.com".into())
        );
        assert_eq!(
            deployment_rp("https://ID.example.com:443/base").unwrap(),
            ("id.example.com".into(), "https://id.example.com".into())
        );
        assert_eq!(
            deployment_rp("http://127.0.0.1:3000").unwrap(),
            ("localhost".into(), "http://localhost:3000".into())
        );
        assert_eq!(
            deployment_rp("http://[::1]:3000").unwrap().0,
            "localhost".to_owned()
        );
        assert!(matches!(
            deployment_rp("https://10.0.0.1"),
            Err(Error::Passkey(PasskeyProblem::Unavailable))
        ));
    }

    #[test]
    fn origins_allowed_are_the_deployment_and_the_app_pages_under_the_rp_id() {
        let dep = "https://id.example.com";
        assert!(origin_allowed(dep, "id.example.com", dep, None));
        assert!(!origin_allowed(
            "https://id.example.com/",
            "id.example.com",
            dep,
            None
        ));
        assert!(!origin_allowed(
            "http://id.example.com",
            "id.example.com",
            dep,
            None
        ));
        assert!(!origin_allowed(
            "https://evil.com",
            "id.example.com",
            dep,
            None
        ));
        let mut app = Application {
            id: "a".into(),
            pool_id: "p".into(),
            name: "a".into(),
            identifier: "a".into(),
            description: None,
            logo: None,
            secret: "s".into(),
            oidc: Default::default(),
            created_at: 0,
            updated_at: 0,
        };
        app.oidc.redirect_uris = vec![
            "https://shop.id.example.com/callback".into(),
            "https://evil.com/cb".into(),
            "http://plain.id.example.com/cb".into(),
        ];
        let a = Some(&app);
        assert!(origin_allowed(
            "https://shop.id.example.com",
            "id.example.com",
            dep,
            a
        ));
        assert!(!origin_allowed(
            "https://evil.com",
            "id.example.com",
            dep,
            a
        ));
        assert!(!origin_allowed(
            "http://plain.id.example.com",
            "id.example.com",
            dep,
            a
        ));
        assert!(!origin_allowed(
            "https://other.id.example.com",
            "id.example.com",
            dep,
            a
        ));
    }
}
