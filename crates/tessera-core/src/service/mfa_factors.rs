//! MFA factors a logged-in user manages for themselves (v3 `send-enroll-factor-request`,
//! `enroll-factor`, `reset-factor`, `list-enrolled-factors`, `get-factor`,
//! `list-factors-to-enroll`, `mfa-totp-verify`).
//!
//! Enrolling is two requests. The first creates what is to be proved — a TOTP secret, or a
//! code sent to a phone or an address — and an enrollment token; the token is stored only as
//! its digest, with the user, the kind, the pending secret or target and an expiry, so any
//! server process can finish the enrollment. The second proves it (a TOTP of the secret, or
//! the code) and uses the token up in the same unit of work that stores the factor, in the
//! table the administrator's side (`mfa_admin`) reads.

use rand::rngs::OsRng;
use rand::{Rng, RngCore};

use super::account::Session;
use super::codes::{CodePurpose, CodeTarget};
use super::Core;
use crate::clock;
use crate::crypto::{self, ct_eq, totp};
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::model::tenant::{MfaEnrollment, MfaFactor, MfaType};
use crate::model::User;

/// How long an enrollment token can be used: time to scan a QR code or read a message.
pub const ENROLLMENT_TTL_MS: i64 = 10 * 60 * 1000;
/// Wrong codes (TOTP or recovery) a user may give [`Core::verify_totp`] within
/// [`TOTP_FAILURE_WINDOW_SECS`]; the next attempt is refused unchecked. With three live
/// codes out of a million per attempt, that is under 0.15 % of guessing right in a day.
pub const TOTP_FAILURE_LIMIT: i64 = 5;
pub const TOTP_FAILURE_WINDOW_SECS: i64 = 15 * 60;
/// The `rate_events` kind of a TOTP attempt, keyed by user id.
pub(crate) const TOTP_ATTEMPT: &str = "mfa-totp-attempt";

const RECOVERY_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// 16 characters of a 31-letter alphabet: 79 bits, shown as four groups of four.
const RECOVERY_LEN: usize = 16;

/// The kinds a user can enroll themselves (FACE needs a face service Tessera does not have).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorKind {
    Otp,
    Sms,
    Email,
}

impl FactorKind {
    pub const ALL: [FactorKind; 3] = [FactorKind::Otp, FactorKind::Sms, FactorKind::Email];

    /// `OTP`, `SMS`, `EMAIL`; `None` for anything else (FACE included).
    pub fn parse(s: &str) -> Option<FactorKind> {
        match MfaType::parse(s)? {
            MfaType::Otp => Some(FactorKind::Otp),
            MfaType::Sms => Some(FactorKind::Sms),
            MfaType::Email => Some(FactorKind::Email),
            MfaType::Face => None,
        }
    }

    pub fn as_type(self) -> MfaType {
        match self {
            FactorKind::Otp => MfaType::Otp,
            FactorKind::Sms => MfaType::Sms,
            FactorKind::Email => MfaType::Email,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.as_type().as_str()
    }
}

/// Where a factor's codes go (`FactorProfile`): a phone for SMS, an address for EMAIL,
/// nothing for OTP.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FactorProfile {
    pub phone_number: Option<String>,
    pub phone_country_code: Option<String>,
    pub email: Option<String>,
}

/// What an OTP enrollment shows the user once: the `otpauth://` URI to scan (the façade
/// draws its QR code) and the recovery code.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpEnrollment {
    pub qr_code_uri: String,
    pub recovery_code: String,
}

/// The answer to [`Core::send_enroll_factor_request`].
#[derive(Clone, PartialEq, Eq)]
pub struct EnrollmentRequest {
    pub enrollment_token: String,
    /// Only for OTP.
    pub otp: Option<OtpEnrollment>,
}

/// Secrets only: the token, the URI (it carries the TOTP secret) and the recovery code.
impl std::fmt::Debug for EnrollmentRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollmentRequest")
            .field("otp", &self.otp.is_some())
            .finish_non_exhaustive()
    }
}

/// A factor as its user sees it (`FactorDto`): no secret, no recovery code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolledFactor {
    pub id: String,
    pub kind: MfaType,
    pub profile: FactorProfile,
    /// When it was enrolled (ms).
    pub created_at: i64,
}

impl EnrolledFactor {
    fn of(f: &MfaFactor) -> EnrolledFactor {
        let profile = match (f.kind, f.target.as_deref()) {
            (MfaType::Sms, Some(t)) => {
                let (cc, number) = t.split_once(' ').unwrap_or(("", t));
                FactorProfile {
                    phone_number: Some(number.to_owned()),
                    phone_country_code: Some(cc.to_owned()).filter(|c| !c.is_empty()),
                    email: None,
                }
            }
            (MfaType::Email, Some(t)) => FactorProfile {
                email: Some(t.to_owned()),
                ..FactorProfile::default()
            },
            _ => FactorProfile::default(),
        };
        EnrolledFactor {
            id: f.id.clone(),
            kind: f.kind,
            profile,
            created_at: f.created_at,
        }
    }
}

/// The stored form of a code target (`+cc number` or the address), read back by
/// [`stored_target`].
fn target_key(t: &CodeTarget) -> String {
    match t {
        CodeTarget::Phone {
            country_code,
            number,
        } => format!("{country_code} {number}"),
        CodeTarget::Email(e) => e.clone(),
    }
}

pub(crate) fn stored_target(kind: MfaType, key: &str) -> Result<CodeTarget> {
    match kind {
        MfaType::Sms => {
            let (cc, number) = key
                .split_once(' ')
                .ok_or_else(|| Error::Storage("mfa target without country code".into()))?;
            Ok(CodeTarget::Phone {
                country_code: cc.to_owned(),
                number: number.to_owned(),
            })
        }
        MfaType::Email => Ok(CodeTarget::Email(key.to_owned())),
        _ => Err(Error::Internal(
            "no code target for this factor kind".into(),
        )),
    }
}

fn recovery_code() -> String {
    let mut rng = OsRng;
    let chars: Vec<char> = (0..RECOVERY_LEN)
        .map(|_| char::from(RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())]))
        .collect();
    chars
        .chunks(4)
        .map(|g| g.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A recovery code's digest, however it is typed back: any case, with or without dashes.
fn recovery_digest(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    crypto::digest(&format!("mfa-recovery:{norm}"))
}

/// RFC 3986 unreserved characters stay, everything else is percent-encoded.
fn uri_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The name an authenticator app lists the account under.
fn account_label(user: &User) -> &str {
    [&user.email, &user.phone, &user.username]
        .into_iter()
        .find_map(|v| v.as_deref().filter(|s| !s.is_empty()))
        .unwrap_or(&user.id)
}

/// `otpauth://totp/<issuer>:<account>?secret=…&issuer=…` (Google Authenticator's key URI
/// format), naming the algorithm, digits and period although they are the defaults, so an
/// app that assumes otherwise still agrees.
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let issuer = uri_component(issuer);
    format!(
        "otpauth://totp/{issuer}:{}?secret={secret_b32}&issuer={issuer}&algorithm=SHA1&digits={}&period={}",
        uri_component(account),
        totp::DIGITS,
        totp::STEP_SECS
    )
}

impl Core {
    /// `sendEnrollFactorRequest`: starts enrolling a factor of `kind`. OTP: a new secret, its
    /// `otpauth://` URI and a recovery code; SMS/EMAIL: a code sent to `profile`'s phone or
    /// address (the MFA binding scene). A kind the user already has is refused.
    pub async fn send_enroll_factor_request(
        &self,
        session: &Session,
        kind: FactorKind,
        profile: &FactorProfile,
    ) -> Result<EnrollmentRequest> {
        let (pool, user) = (session.pool(), session.user());
        self.refuse_enrolled(session, kind).await?;
        let now = clock::now_ms();
        let mut pending = MfaEnrollment {
            token_hash: String::new(),
            pool_id: pool.id.clone(),
            user_id: user.id.clone(),
            kind: kind.as_type(),
            secret: None,
            target: None,
            recovery_hash: None,
            expires_at: now + ENROLLMENT_TTL_MS,
            created_at: now,
        };
        let mut otp = None;
        match kind {
            FactorKind::Otp => {
                let mut raw = [0u8; totp::SECRET_BYTES];
                OsRng.fill_bytes(&mut raw);
                let secret = totp::base32_encode(&raw);
                let recovery = recovery_code();
                pending.recovery_hash = Some(recovery_digest(&recovery));
                otp = Some(OtpEnrollment {
                    qr_code_uri: otpauth_uri(&pool.name, account_label(user), &secret),
                    recovery_code: recovery,
                });
                pending.secret = Some(secret);
            }
            FactorKind::Sms => {
                let number = non_empty(&profile.phone_number)
                    .ok_or(Error::MissingParameter("phoneNumber"))?;
                let target =
                    CodeTarget::phone(pool, number, non_empty(&profile.phone_country_code))?;
                if let CodeTarget::Phone {
                    country_code,
                    number,
                } = &target
                {
                    self.send_sms_code(pool, number, Some(country_code), Some("mfa-bind"))
                        .await?;
                }
                pending.target = Some(target_key(&target));
            }
            FactorKind::Email => {
                let email = non_empty(&profile.email).ok_or(Error::MissingParameter("email"))?;
                let target = CodeTarget::email(email)?;
                self.send_email_code(pool, email, "MFA_VERIFY_CODE").await?;
                pending.target = Some(target_key(&target));
            }
        }
        // Stored after the code went out: a send refused (resend interval) must not replace
        // the user's earlier pending enrollment, whose code is still live.
        let token = ids::new_url_token(32);
        pending.token_hash = crypto::digest(&token);
        self.store.put_mfa_enrollment(&pending).await?;
        Ok(EnrollmentRequest {
            enrollment_token: token,
            otp,
        })
    }

    /// `enrollFactor`: proves the pending factor with `pass_code` (a TOTP of the secret,
    /// ±1 step, or the code sent) and stores it, using the token up. A wrong code stores
    /// nothing and leaves the token for another try; a token already used, another user's, of
    /// another kind or of another pool is invalid.
    pub async fn enroll_factor(
        &self,
        session: &Session,
        kind: FactorKind,
        enrollment_token: &str,
        pass_code: &str,
    ) -> Result<EnrolledFactor> {
        let (pool, user) = (session.pool(), session.user());
        let token = enrollment_token.trim();
        if token.is_empty() {
            return Err(Error::MissingParameter("enrollmentToken"));
        }
        if pass_code.trim().is_empty() {
            return Err(Error::MissingParameter("passCode"));
        }
        let token_hash = crypto::digest(token);
        let pending = self
            .store
            .mfa_enrollment(&pool.id, &token_hash)
            .await?
            .filter(|e| e.user_id == user.id)
            .filter(|e| e.kind == kind.as_type())
            .ok_or(Error::TokenInvalid)?;
        self.finish_enrollment(session, kind, pending, pass_code)
            .await
    }

    /// The v2 confirmation (`POST /api/v2/mfa/totp/associate/confirm`, `v2-wire.md` §5.6),
    /// whose request carries no enrollment token: [`Core::enroll_factor`] of the user's own
    /// pending enrollment of `kind` (there is one per user and kind).
    pub async fn enroll_pending_factor(
        &self,
        session: &Session,
        kind: FactorKind,
        pass_code: &str,
    ) -> Result<EnrolledFactor> {
        let (pool, user) = (session.pool(), session.user());
        if pass_code.trim().is_empty() {
            return Err(Error::MissingParameter("totp"));
        }
        let pending = self
            .store
            .pending_mfa_enrollment(&pool.id, &user.id, kind.as_type())
            .await?
            .ok_or(Error::TokenInvalid)?;
        self.finish_enrollment(session, kind, pending, pass_code)
            .await
    }

    async fn finish_enrollment(
        &self,
        session: &Session,
        kind: FactorKind,
        pending: MfaEnrollment,
        pass_code: &str,
    ) -> Result<EnrolledFactor> {
        let (pool, user) = (session.pool(), session.user());
        let token_hash = pending.token_hash.clone();
        let now = clock::now_ms();
        if pending.expires_at <= now {
            return Err(Error::TokenExpired);
        }
        let mut last_step = None;
        match kind {
            FactorKind::Otp => {
                let secret = pending
                    .secret
                    .as_deref()
                    .and_then(totp::base32_decode)
                    .ok_or_else(|| {
                        Error::Storage("pending OTP enrollment without secret".into())
                    })?;
                let step = totp::matching_step(&secret, pass_code, totp::step_at(now / 1000))?
                    .ok_or(Error::CodeWrong)?;
                // The code that proved the secret is not accepted again by `verify_totp`.
                last_step = Some(step);
            }
            FactorKind::Sms | FactorKind::Email => {
                let key = pending
                    .target
                    .as_deref()
                    .ok_or_else(|| Error::Storage("pending enrollment without target".into()))?;
                let target = stored_target(kind.as_type(), key)?;
                self.verify_code(pool, &target, CodePurpose::Mfa, pass_code)
                    .await?;
            }
        }
        let factor = MfaFactor {
            id: ids::new_id(),
            pool_id: pool.id.clone(),
            user_id: user.id.clone(),
            kind: kind.as_type(),
            secret: pending.secret.clone(),
            recovery: None,
            enabled: true,
            created_at: now,
            target: pending.target.clone(),
            recovery_hash: pending.recovery_hash.clone(),
            last_step,
        };
        let (pool_id, user_id) = (pool.id.clone(), user.id.clone());
        let stored = factor.clone();
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move {
                if !tx
                    .take_mfa_enrollment(&pool_id, &user_id, &token_hash, now)
                    .await?
                {
                    return Err(Error::TokenInvalid);
                }
                if !tx.insert_mfa_factor(&stored).await? {
                    return Err(Error::Duplicate(Entity::MfaFactor));
                }
                Ok(())
            })
        })
        .await?;
        Ok(EnrolledFactor::of(&factor))
    }

    /// `listEnrolledFactors`: the user's enabled factors, oldest first.
    pub async fn list_enrolled_factors(&self, session: &Session) -> Result<Vec<EnrolledFactor>> {
        Ok(self
            .own_factors(session)
            .await?
            .iter()
            .map(EnrolledFactor::of)
            .collect())
    }

    /// `getFactor`: one of the user's own factors; any other id is not found.
    pub async fn get_factor(&self, session: &Session, factor_id: &str) -> Result<EnrolledFactor> {
        self.own_factors(session)
            .await?
            .iter()
            .find(|f| f.id == factor_id)
            .map(EnrolledFactor::of)
            .ok_or(Error::NotFound(Entity::MfaFactor))
    }

    /// `resetFactor`: removes one of the user's own factors.
    pub async fn reset_factor(&self, session: &Session, factor_id: &str) -> Result<()> {
        let (pool, user) = (session.pool(), session.user());
        if self
            .store
            .delete_mfa_factor(&pool.id, &user.id, factor_id)
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::MfaFactor))
        }
    }

    /// `listFactorsToEnroll`: the kinds the user has not enrolled.
    pub async fn list_factors_to_enroll(&self, session: &Session) -> Result<Vec<FactorKind>> {
        let have = self.own_factors(session).await?;
        Ok(FactorKind::ALL
            .into_iter()
            .filter(|k| !have.iter().any(|f| f.kind == k.as_type()))
            .collect())
    }

    /// `mfaOtpVerify`: whether `code` is a TOTP of the user's OTP factor (±1 step, each step
    /// accepted once) or its unused recovery code (then spent). Every attempt takes its place
    /// in the user's count before the check, so concurrent guesses cannot pass the limit
    /// together; past [`TOTP_FAILURE_LIMIT`] wrong ones in the window the attempt is refused
    /// with [`Error::MfaAttemptsExceeded`]; a success clears the count.
    pub async fn verify_totp(&self, session: &Session, code: &str) -> Result<bool> {
        let (pool, user) = (session.pool(), session.user());
        let code = code.trim();
        if code.is_empty() {
            return Err(Error::MissingParameter("totp"));
        }
        let factor = self
            .own_factors(session)
            .await?
            .into_iter()
            .find(|f| f.kind == MfaType::Otp)
            .ok_or(Error::NotFound(Entity::MfaFactor))?;
        let now = clock::now_ms();
        self.store
            .add_rate_event(&pool.id, TOTP_ATTEMPT, &user.id, now)
            .await?;
        let attempts = self
            .store
            .count_rate_events(
                &pool.id,
                TOTP_ATTEMPT,
                &user.id,
                now - TOTP_FAILURE_WINDOW_SECS * 1000,
            )
            .await?;
        if attempts > TOTP_FAILURE_LIMIT {
            return Err(Error::MfaAttemptsExceeded);
        }
        let verified = if code.len() == totp::DIGITS as usize {
            self.check_totp(&factor, code, now).await?
        } else {
            self.spend_recovery(&factor, code).await?
        };
        if verified {
            self.store
                .clear_rate_events(&pool.id, TOTP_ATTEMPT, &user.id)
                .await?;
        }
        Ok(verified)
    }

    pub(crate) async fn check_totp(
        &self,
        factor: &MfaFactor,
        code: &str,
        now_ms: i64,
    ) -> Result<bool> {
        // An imported secret that is not base32 matches nothing.
        let Some(secret) = factor.secret.as_deref().and_then(totp::base32_decode) else {
            return Ok(false);
        };
        match totp::matching_step(&secret, code, totp::step_at(now_ms / 1000))? {
            Some(step) => {
                self.store
                    .advance_mfa_step(&factor.pool_id, &factor.id, step)
                    .await
            }
            None => Ok(false),
        }
    }

    pub(crate) async fn spend_recovery(&self, factor: &MfaFactor, code: &str) -> Result<bool> {
        let digest = recovery_digest(code);
        let by_digest = factor
            .recovery_hash
            .as_deref()
            .is_some_and(|h| ct_eq(h.as_bytes(), digest.as_bytes()));
        // An imported recovery code is kept as given (`import_totp`).
        let by_import = factor
            .recovery
            .as_deref()
            .is_some_and(|r| !r.is_empty() && ct_eq(r.as_bytes(), code.as_bytes()));
        if !by_digest && !by_import {
            return Ok(false);
        }
        self.store
            .spend_mfa_recovery(
                &factor.pool_id,
                &factor.id,
                by_digest.then_some(digest.as_str()),
                by_import.then_some(code),
            )
            .await
    }

    async fn own_factors(&self, session: &Session) -> Result<Vec<MfaFactor>> {
        let (pool, user) = (session.pool(), session.user());
        Ok(self
            .store
            .mfa_factors(&pool.id, &user.id)
            .await?
            .into_iter()
            .filter(|f| f.enabled)
            .collect())
    }

    async fn refuse_enrolled(&self, session: &Session, kind: FactorKind) -> Result<()> {
        if self
            .own_factors(session)
            .await?
            .iter()
            .any(|f| f.kind == kind.as_type())
        {
            return Err(Error::Duplicate(Entity::MfaFactor));
        }
        Ok(())
    }
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otpauth_uri_escapes_issuer_and_account() {
        let uri = otpauth_uri("My Pool", "ann@example.com", "ABC234");
        assert_eq!(
            uri,
            "otpauth://totp/My%20Pool:ann%40example.com?secret=ABC234&issuer=My%20Pool\
             &algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn recovery_codes_are_random_and_read_back_however_typed() {
        let a = recovery_code();
        assert_eq!(a.len(), RECOVERY_LEN + 3);
        assert_ne!(a, recovery_code());
        let typed = a.replace('-', "").to_ascii_lowercase();
        assert_eq!(recovery_digest(&typed), recovery_digest(&a));
        assert_ne!(recovery_digest("AAAA-AAAA-AAAA-AAAA"), recovery_digest(&a));
    }

    #[test]
    fn factor_kinds_exclude_face() {
        assert_eq!(FactorKind::parse("SMS"), Some(FactorKind::Sms));
        assert_eq!(FactorKind::parse("FACE"), None);
        assert_eq!(FactorKind::parse("otp"), None);
    }

    #[test]
    fn sms_profile_reads_back_from_the_stored_target() {
        let f = MfaFactor {
            id: "f".into(),
            pool_id: "p".into(),
            user_id: "u".into(),
            kind: MfaType::Sms,
            secret: None,
            recovery: None,
            enabled: true,
            created_at: 0,
            target: Some("+86 13800138000".into()),
            recovery_hash: None,
            last_step: None,
        };
        let p = EnrolledFactor::of(&f).profile;
        assert_eq!(p.phone_number.as_deref(), Some("13800138000"));
        assert_eq!(p.phone_country_code.as_deref(), Some("+86"));
        assert_eq!(
            stored_target(MfaType::Sms, "+86 13800138000").unwrap(),
            CodeTarget::Phone {
                country_code: "+86".into(),
                number: "13800138000".into()
            }
        );
    }
}
