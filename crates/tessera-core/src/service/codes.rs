//! Verification codes (SMS, email) and login captchas: random, stored hashed with an expiry
//! and an attempt budget, single use, with a resend interval per address and scene. All of it
//! lives in the database so every server process agrees.

use std::sync::Arc;

use rand::Rng;

use super::Core;
use crate::clock;
use crate::crypto::ct_eq;
use crate::error::{Error, Result};
use crate::ids;
use crate::model::UserPool;
use crate::notify::{EmailMessage, SmsMessage};
use crate::rules::identifiers;
use crate::store::CodeRecord;

/// Receives `(key, answer)` of every captcha issued: lets a test harness or an accessibility
/// service read captchas without OCR. Production deployments leave it unset.
pub type CaptchaHook = Arc<dyn Fn(&str, &str) + Send + Sync>;

const CAPTCHA_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
const CAPTCHA_LEN: usize = 4;
/// Long enough to read and type an image, short enough that an answer cannot be stockpiled.
const CAPTCHA_LIFETIME_MS: i64 = 2 * 60 * 1000;
/// The `verification_codes` channel of token-bound captchas (`geneCatchaCodeAndToken`):
/// the row's target is the digest of the token, never the token.
pub const CAPTCHA_TOKEN_CHANNEL: &str = "captcha-token";
/// Random bytes in a captcha token: unguessable, so the token alone binds the answer.
const CAPTCHA_TOKEN_BYTES: usize = 32;
/// Longer than any token issued (43 characters): refused unread.
const CAPTCHA_TOKEN_MAX_LEN: usize = 128;

/// The SMS scenes the SDKs send (`SceneType`); an SMS sent without one serves any purpose.
pub const SMS_SCENES: [&str; 10] = [
    "login",
    "register",
    "reset",
    "bind",
    "unbind",
    "mfa-bind",
    "mfa-verify",
    "mfa-unbind",
    "complete-phone",
    "delete-account",
];

/// The `EmailScene` values of the v2 API.
pub const EMAIL_SCENES: [&str; 15] = [
    "RESET_PASSWORD",
    "RESET_PASSWORD_VERIFY_CODE",
    "VERIFY_EMAIL",
    "FIRST_EMAIL_LOGIN_VERIFY",
    "CONSOLE_CONDUCTED_VERIFY",
    "CHANGE_EMAIL",
    "EMAIL_BIND_VERIFY_CODE",
    "EMAIL_UNBIND_VERIFY_CODE",
    "MFA_VERIFY",
    "VERIFY_CODE",
    "REGISTER_VERIFY_CODE",
    "LOGIN_VERIFY_CODE",
    "MFA_VERIFY_CODE",
    "INFORMATION_COMPLETION_VERIFY_CODE",
    "DELETE_ACCOUNT_VERIFY_CODE",
];

/// What a code is being used for; decides which scenes' codes are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    Register,
    Login,
    ResetPassword,
    /// Binding a first phone/email, or proving the new one in an update.
    Bind,
    Unbind,
    /// Proving the current phone/email during an update.
    VerifyOld,
    Mfa,
    /// Proving the account's phone/email before deleting it.
    DeleteAccount,
}

impl CodePurpose {
    fn sms_scenes(self) -> &'static [&'static str] {
        match self {
            CodePurpose::Register => &["register", ""],
            CodePurpose::Login => &["login", ""],
            CodePurpose::ResetPassword => &["reset", ""],
            CodePurpose::Bind => &["bind", "complete-phone", ""],
            CodePurpose::Unbind => &["unbind", ""],
            CodePurpose::VerifyOld => &["unbind", "bind", ""],
            CodePurpose::Mfa => &["mfa-verify", "mfa-bind", "mfa-unbind"],
            CodePurpose::DeleteAccount => &["delete-account"],
        }
    }

    fn email_scenes(self) -> &'static [&'static str] {
        match self {
            CodePurpose::Register => &["REGISTER_VERIFY_CODE", "VERIFY_CODE"],
            CodePurpose::Login => &["LOGIN_VERIFY_CODE", "VERIFY_CODE"],
            CodePurpose::ResetPassword => &[
                "RESET_PASSWORD_VERIFY_CODE",
                "RESET_PASSWORD",
                "VERIFY_CODE",
            ],
            CodePurpose::Bind => &[
                "EMAIL_BIND_VERIFY_CODE",
                "CHANGE_EMAIL",
                "INFORMATION_COMPLETION_VERIFY_CODE",
                "VERIFY_CODE",
            ],
            CodePurpose::Unbind => &["EMAIL_UNBIND_VERIFY_CODE", "VERIFY_CODE"],
            CodePurpose::VerifyOld => &[
                "CHANGE_EMAIL",
                "EMAIL_UNBIND_VERIFY_CODE",
                "EMAIL_BIND_VERIFY_CODE",
                "VERIFY_CODE",
            ],
            CodePurpose::Mfa => &["MFA_VERIFY_CODE", "MFA_VERIFY"],
            CodePurpose::DeleteAccount => &["DELETE_ACCOUNT_VERIFY_CODE"],
        }
    }
}

/// Where a code goes: a phone (`+cc number`) or an email (lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeTarget {
    Phone {
        country_code: String,
        number: String,
    },
    Email(String),
}

impl CodeTarget {
    pub fn phone(pool: &UserPool, number: &str, country_code: Option<&str>) -> Result<CodeTarget> {
        let (cc, n) = identifiers::phone(
            number,
            country_code,
            &pool.settings.default_phone_country_code,
        )?;
        Ok(CodeTarget::Phone {
            country_code: cc,
            number: n,
        })
    }

    pub fn email(email: &str) -> Result<CodeTarget> {
        Ok(CodeTarget::Email(identifiers::email(email)?.1))
    }

    fn channel(&self) -> &'static str {
        match self {
            CodeTarget::Phone { .. } => "sms",
            CodeTarget::Email(_) => "email",
        }
    }

    fn key(&self) -> String {
        match self {
            CodeTarget::Phone {
                country_code,
                number,
            } => format!("{country_code} {number}"),
            CodeTarget::Email(e) => e.clone(),
        }
    }
}

fn code_hash(id: &str, code: &str) -> String {
    ids::hex(&openssl::sha::sha256(format!("{id}:{code}").as_bytes()))
}

/// What a token-bound captcha's row keeps of its token: 256 random bits need no salt.
fn captcha_token_digest(token: &str) -> String {
    ids::hex(&openssl::sha::sha256(token.as_bytes()))
}

fn captcha_answer() -> String {
    let mut rng = rand::thread_rng();
    (0..CAPTCHA_LEN)
        .map(|_| char::from(CAPTCHA_ALPHABET[rng.gen_range(0..CAPTCHA_ALPHABET.len())]))
        .collect()
}

fn random_digits(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

impl Core {
    /// Installs the captcha hook (before the core is shared).
    pub fn set_captcha_hook(&mut self, hook: CaptchaHook) {
        self.captcha_hook = Some(hook);
    }

    /// Creates and stores a code for `target` and `scene`, refusing a resend within the pool's
    /// interval, and returns the plaintext for delivery.
    async fn new_code(&self, pool: &UserPool, target: &CodeTarget, scene: &str) -> Result<String> {
        let s = &pool.settings;
        let code = random_digits(usize::from(s.verify_code_length.clamp(4, 8)));
        let now = clock::now_ms();
        let id = ids::new_id();
        let record = CodeRecord {
            code_hash: code_hash(&id, &code),
            id,
            pool_id: pool.id.clone(),
            channel: target.channel().to_owned(),
            target: target.key(),
            scene: scene.to_owned(),
            attempts: 0,
            max_attempts: i64::from(s.verify_code_max_attempts.max(1)),
            expires_at: now + s.verify_code_expires_after.max(30) * 1000,
            created_at: now,
        };
        let not_since = now - s.verify_code_resend_interval.max(0) * 1000;
        if !self.store.insert_code(&record, not_since).await? {
            return Err(Error::CodeSentTooRecently);
        }
        Ok(code)
    }

    /// `sendSmsCode`: a code by SMS. `scene` is one of [`SMS_SCENES`] or absent.
    pub async fn send_sms_code(
        &self,
        pool: &UserPool,
        phone: &str,
        country_code: Option<&str>,
        scene: Option<&str>,
    ) -> Result<()> {
        let scene = scene.unwrap_or("");
        if !scene.is_empty() && !SMS_SCENES.contains(&scene) {
            return Err(Error::InvalidParameter("scene"));
        }
        let target = CodeTarget::phone(pool, phone, country_code)?;
        let code = self.new_code(pool, &target, scene).await?;
        let CodeTarget::Phone {
            country_code,
            number,
        } = target
        else {
            return Err(Error::Internal("phone target expected".into()));
        };
        self.notifier
            .send_sms(&SmsMessage {
                pool_id: pool.id.clone(),
                phone: number,
                phone_country_code: country_code,
                code,
                scene: scene.to_owned(),
                webhook_url: crate::service::pool_admin::sms_route(pool),
                import_notice: None,
            })
            .await
    }

    /// `sendEmail`: a code by email for one of [`EMAIL_SCENES`].
    pub async fn send_email_code(&self, pool: &UserPool, email: &str, scene: &str) -> Result<()> {
        if !EMAIL_SCENES.contains(&scene) {
            return Err(Error::InvalidParameter("scene"));
        }
        let (address, _) = identifiers::email(email)?;
        let target = CodeTarget::email(email)?;
        let template = self.enabled_code_template(pool, scene).await?;
        let code = self.new_code(pool, &target, scene).await?;
        let valid_minutes = pool.settings.verify_code_expires_after / 60;
        let custom = template.map(|t| {
            crate::service::email_templates::render_template(
                &t,
                pool,
                &address,
                &code,
                valid_minutes,
            )
        });
        self.notifier
            .send_email(&EmailMessage {
                pool_id: pool.id.clone(),
                to: address,
                code,
                valid_minutes,
                scene: scene.to_owned(),
                route: crate::service::pool_admin::email_route(pool),
                custom,
                invitation: None,
                notice: None,
                import_notice: None,
            })
            .await
    }

    /// Checks and consumes a code. A wrong code uses one attempt of the newest live code; a
    /// used, exhausted or absent code is wrong; only an expired one says so.
    pub async fn verify_code(
        &self,
        pool: &UserPool,
        target: &CodeTarget,
        purpose: CodePurpose,
        code: &str,
    ) -> Result<()> {
        self.check_code_for(pool, target, purpose, code, true).await
    }

    /// Whether `code` is a live code of `target` sent for `scene`, without using it up
    /// (`preCheckCode`: the flow that follows still needs it). A wrong guess uses an attempt
    /// of the newest live code as in [`Core::verify_code`], so checking first is no cheaper
    /// way to guess.
    pub async fn peek_code(
        &self,
        pool: &UserPool,
        target: &CodeTarget,
        scene: &str,
        code: &str,
    ) -> Result<()> {
        self.check_code(
            pool,
            target.channel(),
            &target.key(),
            &[scene],
            code,
            false,
            false,
        )
        .await
    }

    /// Whether `code` is a live code of `target` that `purpose` would accept, without using
    /// it up: a check before the step that spends it (the legacy SDK's `checkPhoneCode` and
    /// `verifyResetPasswordVerifyCode`). A wrong guess uses an attempt as in
    /// [`Core::verify_code`], so checking first is no cheaper way to guess.
    pub async fn peek_code_for(
        &self,
        pool: &UserPool,
        target: &CodeTarget,
        purpose: CodePurpose,
        code: &str,
    ) -> Result<()> {
        self.check_code_for(pool, target, purpose, code, false)
            .await
    }

    /// A code of `target` for any scene `purpose` accepts, used up when `consume`.
    async fn check_code_for(
        &self,
        pool: &UserPool,
        target: &CodeTarget,
        purpose: CodePurpose,
        code: &str,
        consume: bool,
    ) -> Result<()> {
        let scenes = match target {
            CodeTarget::Phone { .. } => purpose.sms_scenes(),
            CodeTarget::Email(_) => purpose.email_scenes(),
        };
        self.check_code(
            pool,
            target.channel(),
            &target.key(),
            scenes,
            code,
            false,
            consume,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn check_code(
        &self,
        pool: &UserPool,
        channel: &str,
        key: &str,
        scenes: &[&str],
        code: &str,
        newest_only: bool,
        consume: bool,
    ) -> Result<()> {
        let code = code.trim();
        if code.is_empty() {
            return Err(Error::MissingParameter("code"));
        }
        if code.len() > 16 {
            return Err(Error::CodeWrong);
        }
        let mut codes = self
            .store
            .recent_codes(&pool.id, channel, key, scenes, 5)
            .await?;
        if newest_only {
            codes.truncate(1);
        }
        let now = clock::now_ms();
        let live: Vec<&CodeRecord> = codes
            .iter()
            .filter(|c| c.expires_at > now && c.attempts < c.max_attempts)
            .collect();
        if live.is_empty() {
            return Err(if codes.iter().any(|c| c.expires_at <= now) {
                Error::CodeExpired
            } else {
                Error::CodeWrong
            });
        }
        let given = code.to_ascii_uppercase();
        for c in &live {
            if ct_eq(code_hash(&c.id, &given).as_bytes(), c.code_hash.as_bytes()) {
                return if !consume || self.store.consume_code(&c.id, now).await? {
                    Ok(())
                } else {
                    Err(Error::CodeWrong)
                };
            }
        }
        self.store.bump_code_attempts(&live[0].id).await?;
        Err(Error::CodeWrong)
    }

    /// Issues a login captcha for a client (its IP) and returns the answer to render. A new
    /// captcha replaces the client's previous one.
    pub async fn issue_captcha(&self, pool: &UserPool, ip: Option<&str>) -> Result<String> {
        let client = super::guard::client_key(ip);
        let answer = captcha_answer();
        let now = clock::now_ms();
        let id = ids::new_id();
        let record = CodeRecord {
            code_hash: code_hash(&id, &answer),
            id,
            pool_id: pool.id.clone(),
            channel: "captcha".into(),
            target: client,
            scene: "login".into(),
            attempts: 0,
            max_attempts: 1,
            expires_at: now + CAPTCHA_LIFETIME_MS,
            created_at: now,
        };
        // The client's earlier captchas go: only the newest one answers, and a client asking
        // for images in a loop keeps one row, not one per request.
        self.store.replace_code(&record).await?;
        if let Some(hook) = &self.captcha_hook {
            hook(&format!("{}:{}", pool.id, ip.unwrap_or("unknown")), &answer);
        }
        Ok(answer)
    }

    /// Checks (and uses up) the client's current captcha; case-insensitive.
    pub(crate) async fn verify_captcha(
        &self,
        pool: &UserPool,
        client: &str,
        answer: &str,
    ) -> Result<()> {
        self.check_code(pool, "captcha", client, &["login"], answer, true, true)
            .await
            .map_err(|e| match e {
                Error::CodeWrong | Error::CodeExpired | Error::MissingParameter(_) => {
                    Error::CaptchaWrong
                }
                other => other,
            })
    }

    /// Issues a login captcha bound to a token instead of a client address (the v3
    /// `geneCatchaCodeAndToken`: clients behind a proxy or NAT share or change addresses).
    /// Returns `(answer to render, token)`. Only the token's digest is stored, with the
    /// answer's hash, the pool and a short expiry; every request gets a captcha of its own,
    /// so clients sharing an address do not replace each other's. The captcha hook sees
    /// the key `<pool id>:token:<digest of the token>`.
    pub async fn issue_captcha_token(&self, pool: &UserPool) -> Result<(String, String)> {
        let answer = captcha_answer();
        let token = ids::new_url_token(CAPTCHA_TOKEN_BYTES);
        let digest = captcha_token_digest(&token);
        let now = clock::now_ms();
        let id = ids::new_id();
        let record = CodeRecord {
            code_hash: code_hash(&id, &answer),
            id,
            pool_id: pool.id.clone(),
            channel: CAPTCHA_TOKEN_CHANNEL.into(),
            target: digest.clone(),
            scene: "login".into(),
            attempts: 0,
            max_attempts: 1,
            expires_at: now + CAPTCHA_LIFETIME_MS,
            created_at: now,
        };
        // No resend interval: the target is this token alone (`i64::MAX`: nothing is newer).
        if !self.store.insert_code(&record, i64::MAX).await? {
            return Err(Error::Internal("captcha token collision".into()));
        }
        if let Some(hook) = &self.captcha_hook {
            hook(&format!("{}:token:{digest}", pool.id), &answer);
        }
        Ok((answer, token))
    }

    /// Checks a token-bound captcha of `pool`; case-insensitive. The token is spent before
    /// the answer is compared, right or wrong: one image, one try, even for concurrent
    /// requests with the same token (the atomic consume lets one through). A token of
    /// another pool, unknown, spent or expired is [`Error::CaptchaWrong`].
    pub(crate) async fn verify_captcha_token(
        &self,
        pool: &UserPool,
        token: &str,
        answer: &str,
    ) -> Result<()> {
        let (token, answer) = (token.trim(), answer.trim());
        if token.is_empty() || token.len() > CAPTCHA_TOKEN_MAX_LEN || answer.len() > 16 {
            return Err(Error::CaptchaWrong);
        }
        let rows = self
            .store
            .recent_codes(
                &pool.id,
                CAPTCHA_TOKEN_CHANNEL,
                &captcha_token_digest(token),
                &["login"],
                1,
            )
            .await?;
        let Some(row) = rows.first() else {
            return Err(Error::CaptchaWrong);
        };
        let now = clock::now_ms();
        if !self.store.consume_code(&row.id, now).await? || row.expires_at <= now {
            return Err(Error::CaptchaWrong);
        }
        let given = code_hash(&row.id, &answer.to_ascii_uppercase());
        if ct_eq(given.as_bytes(), row.code_hash.as_bytes()) {
            Ok(())
        } else {
            Err(Error::CaptchaWrong)
        }
    }
}
