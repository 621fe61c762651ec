//! Abuse limits from the pool's security settings, and the deployment's budget of password
//! decryption failures. Every counter is a row in the database (`rate_events`), shared by
//! every process on it.
//!
//! The login-failure check (`loginFailCheck {limit, timeInterval}`, on by default: see
//! [`crate::model::pool::PoolSettings`]) counts failed password logins within the window:
//!
//! - **per account** (the identifier the login names, known or not): at `limit` failures the
//!   strategy applies, `captcha` (every further login of the account needs a captcha) or
//!   `block-account` (the account is locked, even for the right password, until its failures
//!   age out of the window);
//! - **per client address**: at [`CLIENT_FACTOR`] × `limit` failures, logins from that address
//!   need a captcha. Higher than the account's limit because many users share an address
//!   (offices, carrier NAT); a captcha, never a lock, for the same reason;
//! - **pool-wide spray**: at [`SPRAY_FACTOR`] × `limit` *accounts* with failures (each counted
//!   once, at its first failure in the window) every password login of the pool needs a
//!   captcha. Password spraying tries one or two passwords on many accounts from many
//!   addresses, so neither counter above sees it.
//!
//! An attempt takes its place in the account's count *before* the password is checked
//! (added, then counted), so concurrent attempts cannot all pass a check that none of them
//! has been counted in yet; a success forgives the account's failures (and so its own
//! place). Registrations count per client address (`frequentRegisterCheck`).

use super::Core;
use crate::clock;
use crate::error::{Error, Result};
use crate::model::pool::LoginFailStrategy;
use crate::model::{User, UserPool};

const LOGIN_FAIL: &str = "login-fail";
const REGISTER: &str = "register";
const DECRYPT_FAIL: &str = "password-decrypt-fail";
/// The spray counter's key: one event per account at its first failure in the window.
const SPRAY_KEY: &str = "spray";
/// Counters that belong to the deployment rather than a pool (the transport key is shared).
const DEPLOYMENT: &str = "";

/// Failures from one client address, as a multiple of the pool's `limit`, before logins from
/// it need a captcha.
pub const CLIENT_FACTOR: i64 = 2;
/// Accounts with failures in the pool, as a multiple of the pool's `limit`, before every
/// password login of the pool needs a captcha.
pub const SPRAY_FACTOR: i64 = 10;
/// Passwords to set that may fail to decrypt per client address and window before every
/// password to set from it is refused undecrypted.
pub const DECRYPT_FAILURE_BUDGET: i64 = 10;
pub const DECRYPT_FAILURE_WINDOW_SECS: i64 = 3600;
/// Wrong device user codes per client address and window before its entries are refused:
/// 20 guesses in 10 minutes against 20^8 codes alive for 10 minutes.
pub const DEVICE_MISS_BUDGET: i64 = 20;
pub const DEVICE_MISS_WINDOW_SECS: i64 = 600;
const DEVICE_MISS: &str = "device-code-miss";
/// Files one client address may store per window. The SDKs upload avatars without any
/// credential (`v2-wire.md` §1.2; the mini-program's `wx.uploadFile` likewise), so the address
/// is all that bounds what an anonymous caller can put on the server's disk: 100 files of at
/// most the upload limit an hour.
pub const UPLOAD_BUDGET: i64 = 100;
pub const UPLOAD_WINDOW_SECS: i64 = 3600;
const UPLOAD: &str = "upload";

/// The client a login or registration comes from, for counting.
pub(crate) fn client_key(ip: Option<&str>) -> String {
    match ip {
        Some(ip) if !ip.is_empty() => format!("ip:{ip}"),
        _ => "ip:unknown".to_owned(),
    }
}

fn account_key(account: &str) -> String {
    format!("account:{account}")
}

/// What the guard decided before a password check, for recording its outcome.
#[derive(Debug)]
pub(crate) struct LoginAttempt {
    /// `None` when the pool's check is off.
    counted: Option<Counted>,
}

#[derive(Debug)]
struct Counted {
    account: String,
    client: String,
    /// The account's failures in the window before this attempt.
    account_failures: i64,
}

impl Core {
    /// Before checking a password: refuses a locked account ([`Error::AccountLocked`]), asks
    /// for a captcha when a counter is over its limit ([`Error::CaptchaRequired`] without
    /// one, [`Error::CaptchaWrong`] for a wrong one), and counts the attempt against the
    /// account. Hand the result to [`Core::login_attempt_done`].
    ///
    /// A captcha answers either the client address's current captcha or, when
    /// `captcha_token` is given, the token-bound captcha it names
    /// ([`Core::issue_captcha_token`]); either satisfies the demand the same way.
    pub(crate) async fn login_attempt(
        &self,
        pool: &UserPool,
        account: &str,
        ip: Option<&str>,
        captcha: Option<&str>,
        captcha_token: Option<&str>,
    ) -> Result<LoginAttempt> {
        let check = pool.settings.login_fail_check;
        if !check.enabled {
            return Ok(LoginAttempt { counted: None });
        }
        let limit = check.limit.max(1);
        let lock = pool.settings.login_fail_strategy == LoginFailStrategy::BlockAccount;
        let since = clock::now_ms() - check.time_interval.max(1) * 1000;
        let account = account_key(account);
        let client = client_key(ip);
        let counts = self
            .store
            .count_rate_events_by_key(&pool.id, LOGIN_FAIL, &[&account, &client, SPRAY_KEY], since)
            .await?;
        let (by_account, by_client, spray) = (counts[0], counts[1], counts[2]);
        // A locked account is refused before anything else and the refusal is not counted:
        // the lock ends when the failures that caused it leave the window.
        if lock && by_account >= limit {
            return Err(Error::AccountLocked);
        }
        let captcha_needed = (!lock && by_account >= limit)
            || by_client >= CLIENT_FACTOR * limit
            || spray >= SPRAY_FACTOR * limit;
        let mut captcha_passed = false;
        if captcha_needed {
            match captcha.filter(|c| !c.trim().is_empty()) {
                None => return Err(Error::CaptchaRequired),
                Some(answer) => match captcha_token.filter(|t| !t.trim().is_empty()) {
                    Some(token) => self.verify_captcha_token(pool, token, answer).await?,
                    None => self.verify_captcha(pool, &client, answer).await?,
                },
            }
            captcha_passed = true;
        }
        // Take this attempt's place, then count again: of concurrent attempts, only those
        // whose place is within the limit go on to the password check.
        self.store
            .add_rate_event(&pool.id, LOGIN_FAIL, &account, clock::now_ms())
            .await?;
        let placed = self
            .store
            .count_rate_events(&pool.id, LOGIN_FAIL, &account, since)
            .await?;
        if placed > limit {
            if lock {
                return Err(Error::AccountLocked);
            }
            if !captcha_passed {
                return Err(Error::CaptchaRequired);
            }
        }
        Ok(LoginAttempt {
            counted: Some(Counted {
                account,
                client,
                account_failures: by_account,
            }),
        })
    }

    /// After the password check. A success forgives the account's failures (the client's
    /// and the spray count stay until they age out, so one good password does not reset an
    /// attacker's budget on other accounts). A failure keeps the attempt's place as the
    /// account's failure and counts it for the client and, if it is the account's first in
    /// the window, for the pool. `forget` drops the attempt without counting it (a login
    /// that became a registration).
    pub(crate) async fn login_attempt_done(
        &self,
        pool: &UserPool,
        attempt: LoginAttempt,
        outcome: AttemptOutcome,
    ) -> Result<()> {
        let Some(c) = attempt.counted else {
            return Ok(());
        };
        match outcome {
            AttemptOutcome::Success | AttemptOutcome::Forget => {
                self.store
                    .clear_rate_events(&pool.id, LOGIN_FAIL, &c.account)
                    .await
            }
            AttemptOutcome::Failure => {
                let now = clock::now_ms();
                self.store
                    .add_rate_event(&pool.id, LOGIN_FAIL, &c.client, now)
                    .await?;
                if c.account_failures == 0 {
                    self.store
                        .add_rate_event(&pool.id, LOGIN_FAIL, SPRAY_KEY, now)
                        .await?;
                }
                Ok(())
            }
        }
    }

    /// Forgives every login failure counted against the accounts of `whose` (a user),
    /// which ends a `block-account` lock: an administrator's unblock or new password. Only
    /// counters are deleted; the user row is not written here.
    pub(crate) async fn forgive_login_failures(&self, pool: &UserPool, whose: &User) -> Result<()> {
        for key in super::login::account_keys_of(whose) {
            self.store
                .clear_rate_events(&pool.id, LOGIN_FAIL, &account_key(&key))
                .await?;
        }
        Ok(())
    }

    pub(crate) async fn check_register_rate(
        &self,
        pool: &UserPool,
        ip: Option<&str>,
    ) -> Result<()> {
        let check = pool.settings.frequent_register_check;
        if !check.enabled {
            return Ok(());
        }
        let since = clock::now_ms() - check.time_interval.max(1) * 1000;
        let n = self
            .store
            .count_rate_events(&pool.id, REGISTER, &client_key(ip), since)
            .await?;
        if n >= check.limit.max(1) {
            return Err(Error::RegisterTooFrequent);
        }
        Ok(())
    }

    /// The rate event a registration from `ip` counts as (kind, key), when the pool limits
    /// registrations; stored in the registration's own unit of work.
    pub(crate) fn registration_event(
        &self,
        pool: &UserPool,
        ip: Option<&str>,
    ) -> Option<(&'static str, String)> {
        pool.settings
            .frequent_register_check
            .enabled
            .then(|| (REGISTER, client_key(ip)))
    }

    /// Refuses every password to set from a client that has spent its decryption-failure
    /// budget (see [`Core::decrypt_new_password`]).
    pub(crate) async fn check_decrypt_budget(&self, ip: Option<&str>) -> Result<()> {
        let since = clock::now_ms() - DECRYPT_FAILURE_WINDOW_SECS * 1000;
        let n = self
            .store
            .count_rate_events(DEPLOYMENT, DECRYPT_FAIL, &client_key(ip), since)
            .await?;
        if n >= DECRYPT_FAILURE_BUDGET {
            return Err(Error::PasswordDecrypt);
        }
        Ok(())
    }

    pub(crate) async fn record_decrypt_failure(&self, ip: Option<&str>) -> Result<()> {
        self.store
            .add_rate_event(DEPLOYMENT, DECRYPT_FAIL, &client_key(ip), clock::now_ms())
            .await
    }

    /// Refuses a device user code from a client that has entered too many wrong ones: user
    /// codes are short enough to type (RFC 8628 §5.1), so guessing is bounded per client.
    pub(crate) async fn check_device_code_budget(&self, ip: Option<&str>) -> Result<()> {
        let since = clock::now_ms() - DEVICE_MISS_WINDOW_SECS * 1000;
        let n = self
            .store
            .count_rate_events(DEPLOYMENT, DEVICE_MISS, &client_key(ip), since)
            .await?;
        if n >= DEVICE_MISS_BUDGET {
            return Err(crate::error::protocol(
                crate::error::ProtocolError::SlowDown,
                "too many wrong codes from this address: wait a few minutes",
            ));
        }
        Ok(())
    }

    /// Takes one of the client address's upload slots ([`UPLOAD_BUDGET`] per window), or
    /// refuses with [`Error::TooManyUploads`] before anything is stored. Counted in the
    /// database, so every process serving the deployment shares the budget.
    pub async fn take_upload_slot(&self, ip: Option<&str>) -> Result<()> {
        let key = client_key(ip);
        let now = clock::now_ms();
        let n = self
            .store
            .count_rate_events(DEPLOYMENT, UPLOAD, &key, now - UPLOAD_WINDOW_SECS * 1000)
            .await?;
        if n >= UPLOAD_BUDGET {
            return Err(Error::TooManyUploads);
        }
        self.store
            .add_rate_event(DEPLOYMENT, UPLOAD, &key, now)
            .await
    }

    pub(crate) async fn record_device_code_miss(&self, ip: Option<&str>) -> Result<()> {
        self.store
            .add_rate_event(DEPLOYMENT, DEVICE_MISS, &client_key(ip), clock::now_ms())
            .await
    }
}

/// How a counted login attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttemptOutcome {
    Success,
    Failure,
    Forget,
}
