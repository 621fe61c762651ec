//! Abuse limits from the pool's security settings: the login-failure check (captcha after
//! too many failures, per account and per client IP) and the registration-frequency limit
//! per client IP. Counters are rows in the database, shared by every process.

use super::Core;
use crate::clock;
use crate::error::{Error, Result};
use crate::model::UserPool;

const LOGIN_FAIL: &str = "login-fail";
const REGISTER: &str = "register";

/// The client a login or registration comes from, for counting.
pub(crate) fn client_key(ip: Option<&str>) -> String {
    match ip {
        Some(ip) if !ip.is_empty() => format!("ip:{ip}"),
        _ => "ip:unknown".to_owned(),
    }
}

impl Core {
    /// Before checking a password: if the account or the client has failed too often within
    /// the window, a correct captcha is required ([`Error::CaptchaRequired`] without one,
    /// [`Error::CaptchaWrong`] for a wrong one).
    pub(crate) async fn check_login_guard(
        &self,
        pool: &UserPool,
        account: &str,
        ip: Option<&str>,
        captcha: Option<&str>,
    ) -> Result<()> {
        let check = pool.settings.login_fail_check;
        if !check.enabled {
            return Ok(());
        }
        let since = clock::now_ms() - check.time_interval.max(1) * 1000;
        let client = client_key(ip);
        let by_account = self
            .store
            .count_rate_events(&pool.id, LOGIN_FAIL, &format!("account:{account}"), since)
            .await?;
        let by_client = self
            .store
            .count_rate_events(&pool.id, LOGIN_FAIL, &client, since)
            .await?;
        if by_account.max(by_client) < check.limit.max(1) {
            return Ok(());
        }
        match captcha.filter(|c| !c.trim().is_empty()) {
            None => Err(Error::CaptchaRequired),
            Some(answer) => self.verify_captcha(pool, &client, answer).await,
        }
    }

    pub(crate) async fn record_login_failure(
        &self,
        pool: &UserPool,
        account: &str,
        ip: Option<&str>,
    ) -> Result<()> {
        if !pool.settings.login_fail_check.enabled {
            return Ok(());
        }
        let now = clock::now_ms();
        self.store
            .add_rate_event(&pool.id, LOGIN_FAIL, &format!("account:{account}"), now)
            .await?;
        self.store
            .add_rate_event(&pool.id, LOGIN_FAIL, &client_key(ip), now)
            .await
    }

    /// A successful login forgives the account's failures (the client's stay until they age
    /// out, so one good password does not reset an attacker's budget on other accounts).
    pub(crate) async fn clear_login_failures(&self, pool: &UserPool, account: &str) -> Result<()> {
        if !pool.settings.login_fail_check.enabled {
            return Ok(());
        }
        self.store
            .clear_rate_events(&pool.id, LOGIN_FAIL, &format!("account:{account}"))
            .await
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

    pub(crate) async fn record_registration(
        &self,
        pool: &UserPool,
        ip: Option<&str>,
    ) -> Result<()> {
        if !pool.settings.frequent_register_check.enabled {
            return Ok(());
        }
        self.store
            .add_rate_event(&pool.id, REGISTER, &client_key(ip), clock::now_ms())
            .await
    }
}
