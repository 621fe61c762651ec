//! The MFA step of the one core login (`v2-wire.md` §3.5, `v3-wire.md` MFA settings).
//!
//! A pool says which second-factor kinds (OTP, SMS, EMAIL) a login asks for (its global MFA
//! settings, `PoolSettings::mfa_enabled_factors`); an application may have its own list
//! (`OidcSettings::mfa_enabled_factors`, read with the application), which then replaces
//! the pool's for logins through it. A user's own rules (`User::mfa_rules`, set by an
//! administrator with `setUsersMfaStatus`) then turn kinds on or off for that user alone.
//! When the first factor of [`Core::authenticate`] passed every rule and the effective kinds
//! meet a factor the user has enrolled, the login is not recorded and no token is issued:
//! the core stores an MFA ticket — random, kept only as its digest, bound to the pool, the
//! application, the user, the first factors and the client, expiring after
//! [`MFA_TICKET_TTL_MS`] — and answers [`Error::MfaRequired`]. [`Core::complete_mfa`] takes
//! the ticket and a proof (a TOTP code, the recovery code, or an SMS/email code sent to the
//! factor's own phone or address), and in one unit of work uses the ticket up and records
//! the login. Tickets are rows in the database, so any server process can complete a login
//! another one started.

use super::authn::{AuthEvent, AuthMethod};
use super::codes::CodePurpose;
use super::mfa_factors::{
    stored_target, FactorKind, TOTP_ATTEMPT, TOTP_FAILURE_LIMIT, TOTP_FAILURE_WINDOW_SECS,
};
use super::users::LoginContext;
use super::Core;
use crate::clock;
use crate::crypto;
use crate::error::{Entity, Error, Result};
use crate::model::tenant::{MfaFactor, MfaTicket, MfaType};
use crate::model::{Application, User, UserMfaRule, UserPool, UserStatus};
use crate::principal::PoolAdmin;
use crate::stats::LoginOutcome;
use crate::store::apps::AppFields;
use crate::store::UserLookup;

/// How long a login may wait for its second factor: time to open an authenticator app or
/// read a message.
pub const MFA_TICKET_TTL_MS: i64 = 10 * 60 * 1000;

/// What a login stopped at the MFA step hands back: the ticket that completes it and what a
/// client shows to ask for the second factor. Phone and address of the factors are masked;
/// the user's own names are those the first factor already proved knowledge of.
#[derive(Clone, PartialEq, Eq)]
pub struct MfaChallenge {
    pub ticket: String,
    pub expires_at_ms: i64,
    /// The kinds that can complete this login: enabled for it and enrolled by the user.
    pub kinds: Vec<FactorKind>,
    /// The kinds enabled for this login (the application's or the pool's), enrolled or not.
    pub enabled: Vec<FactorKind>,
    /// The SMS factor's phone, masked, and its country code.
    pub masked_phone: Option<String>,
    pub phone_country_code: Option<String>,
    /// The EMAIL factor's address, masked.
    pub masked_email: Option<String>,
    pub nickname: Option<String>,
    pub username: Option<String>,
    pub email: Option<String>,
    pub photo: Option<String>,
}

/// Never the ticket.
impl std::fmt::Debug for MfaChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaChallenge")
            .field("kinds", &self.kinds)
            .finish_non_exhaustive()
    }
}

/// The second factor given to [`Core::complete_mfa`].
#[derive(Clone, PartialEq, Eq)]
pub enum MfaProof {
    Totp(String),
    RecoveryCode(String),
    SmsCode(String),
    EmailCode(String),
}

impl MfaProof {
    fn kind(&self) -> FactorKind {
        match self {
            MfaProof::Totp(_) | MfaProof::RecoveryCode(_) => FactorKind::Otp,
            MfaProof::SmsCode(_) => FactorKind::Sms,
            MfaProof::EmailCode(_) => FactorKind::Email,
        }
    }

    fn value(&self) -> &str {
        match self {
            MfaProof::Totp(c)
            | MfaProof::RecoveryCode(c)
            | MfaProof::SmsCode(c)
            | MfaProof::EmailCode(c) => c.trim(),
        }
    }

    fn method(&self) -> AuthMethod {
        match self {
            MfaProof::Totp(_) => AuthMethod::Totp,
            MfaProof::RecoveryCode(_) => AuthMethod::RecoveryCode,
            MfaProof::SmsCode(_) => AuthMethod::SmsCode,
            MfaProof::EmailCode(_) => AuthMethod::EmailCode,
        }
    }
}

/// Kinds as stored (`OTP`, `SMS`, `EMAIL`), unknown ones skipped, each once, in
/// [`FactorKind::ALL`] order.
fn kinds_of<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<FactorKind> {
    let given: Vec<FactorKind> = names.into_iter().filter_map(FactorKind::parse).collect();
    FactorKind::ALL
        .into_iter()
        .filter(|k| given.contains(k))
        .collect()
}

fn names_of(kinds: &[FactorKind]) -> Vec<String> {
    kinds.iter().map(|k| k.as_str().to_owned()).collect()
}

/// Kinds an administrator names: `OTP`, `SMS`, `EMAIL`. `FACE` (no face service) and
/// anything else are refused rather than stored and silently ignored.
pub fn parse_admin_kinds(names: &[String], field: &'static str) -> Result<Vec<FactorKind>> {
    for n in names {
        if FactorKind::parse(n.trim()).is_none() {
            return Err(Error::InvalidParameter(field));
        }
    }
    Ok(kinds_of(names.iter().map(|n| n.trim())))
}

/// The application's own kinds, if it has its own setting.
fn app_kinds(app: &Application) -> Option<Vec<FactorKind>> {
    let list = app.oidc.mfa_enabled_factors.as_ref()?;
    Some(kinds_of(list.iter().map(String::as_str)))
}

/// `138****8000`: the first three and last four digits stay when there are enough.
fn mask_phone(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() < 8 {
        let keep = chars.len().min(2);
        let tail: String = chars[chars.len() - keep..].iter().collect();
        return format!("{}{tail}", "*".repeat(chars.len() - keep));
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

/// `a***@example.com`: the first character of the local part and the domain stay.
fn mask_email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// The kinds a login of `user` asks for: those of the application or pool (`base`), plus the
/// kinds the user's own rules turn on, minus those they turn off (`setUsersMfaStatus`). The
/// rules come with the user row, so a user without any costs the login nothing.
fn user_kinds(base: Vec<FactorKind>, rules: &[UserMfaRule]) -> Vec<FactorKind> {
    if rules.is_empty() {
        return base;
    }
    let rule_of = |k: FactorKind| rules.iter().find(|r| r.kind == k.as_type());
    FactorKind::ALL
        .into_iter()
        .filter(|&k| match rule_of(k) {
            Some(r) => r.enabled,
            None => base.contains(&k),
        })
        .collect()
}

fn enabled_factors(factors: Vec<MfaFactor>) -> Vec<MfaFactor> {
    factors.into_iter().filter(|f| f.enabled).collect()
}

impl Core {
    /// The kinds a login of `pool` through `app` asks for: the application's own list when
    /// it has one, else the pool's.
    pub(crate) fn effective_mfa_kinds(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
    ) -> Vec<FactorKind> {
        app.and_then(app_kinds).unwrap_or_else(|| {
            kinds_of(pool.settings.mfa_enabled_factors.iter().map(String::as_str))
        })
    }

    /// The MFA step of a login whose first factor passed every rule: nothing when no
    /// enabled kind meets an enrolled factor of the user, otherwise a stored ticket and
    /// [`Error::MfaRequired`].
    pub(crate) async fn mfa_gate(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        user: &User,
        methods: &[AuthMethod],
        client: &LoginContext,
    ) -> Result<()> {
        let enabled = user_kinds(self.effective_mfa_kinds(pool, app), &user.mfa_rules);
        if enabled.is_empty() {
            return Ok(());
        }
        let factors = enabled_factors(self.store.mfa_factors(&pool.id, &user.id).await?);
        let usable: Vec<&MfaFactor> = factors
            .iter()
            .filter(|f| enabled.iter().any(|k| k.as_type() == f.kind))
            .collect();
        if usable.is_empty() {
            return Ok(());
        }
        let challenge = self
            .issue_mfa_ticket(
                pool,
                app.map(|a| a.id.clone()),
                user,
                methods,
                client,
                &usable,
            )
            .await?;
        Err(Error::MfaRequired(Box::new(MfaChallenge {
            enabled,
            ..challenge
        })))
    }

    async fn issue_mfa_ticket(
        &self,
        pool: &UserPool,
        app_id: Option<String>,
        user: &User,
        methods: &[AuthMethod],
        client: &LoginContext,
        usable: &[&MfaFactor],
    ) -> Result<MfaChallenge> {
        let ticket = crate::ids::new_url_token(32);
        let now = clock::now_ms();
        let kinds: Vec<FactorKind> = kinds_of(usable.iter().map(|f| f.kind.as_str()));
        let row = MfaTicket {
            ticket_hash: crypto::digest(&ticket),
            pool_id: pool.id.clone(),
            user_id: user.id.clone(),
            app_id,
            methods: methods.iter().map(|m| m.amr().to_owned()).collect(),
            kinds: kinds.iter().map(|k| k.as_type()).collect(),
            client_ip: client.ip.clone(),
            client_device: client.device.clone(),
            client_browser: client.browser.clone(),
            expires_at: now + MFA_TICKET_TTL_MS,
            created_at: now,
        };
        self.store.put_mfa_ticket(&row).await?;
        let target_of = |k: MfaType| {
            usable
                .iter()
                .find(|f| f.kind == k)
                .and_then(|f| f.target.as_deref())
                .and_then(|t| stored_target(k, t).ok())
        };
        let (masked_phone, phone_country_code) = match target_of(MfaType::Sms) {
            Some(super::codes::CodeTarget::Phone {
                country_code,
                number,
            }) => (Some(mask_phone(&number)), Some(country_code)),
            _ => (None, None),
        };
        let masked_email = match target_of(MfaType::Email) {
            Some(super::codes::CodeTarget::Email(e)) => Some(mask_email(&e)),
            _ => None,
        };
        Ok(MfaChallenge {
            ticket,
            expires_at_ms: row.expires_at,
            enabled: kinds.clone(),
            kinds,
            masked_phone,
            phone_country_code,
            masked_email,
            nickname: user.profile.nickname.clone(),
            username: user.username.clone(),
            email: user.email.clone(),
            photo: user.profile.photo.clone(),
        })
    }

    /// The live ticket `ticket` of `pool` for a login through `app`: an unknown ticket, a
    /// used one, or one of another application is invalid; an expired one says so.
    async fn live_ticket(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        ticket: &str,
    ) -> Result<MfaTicket> {
        let ticket = ticket.trim();
        if ticket.is_empty() {
            return Err(Error::MissingParameter("mfaToken"));
        }
        let row = self
            .store
            .mfa_ticket(&pool.id, &crypto::digest(ticket))
            .await?
            .ok_or(Error::TokenInvalid)?;
        if row.app_id.as_deref() != app.map(|a| a.id.as_str()) {
            return Err(Error::TokenInvalid);
        }
        if row.expires_at <= clock::now_ms() {
            return Err(Error::TokenExpired);
        }
        Ok(row)
    }

    /// Sends the code that completes a login stopped at the MFA step to the phone
    /// (`FactorKind::Sms`) or address (`FactorKind::Email`) of the user's factor — never to
    /// one the client names — with the `mfa-verify` scene.
    pub async fn send_mfa_code(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        ticket: &str,
        kind: FactorKind,
    ) -> Result<()> {
        let row = self.live_ticket(pool, app, ticket).await?;
        if !row.kinds.contains(&kind.as_type()) || kind == FactorKind::Otp {
            return Err(Error::NotFound(Entity::MfaFactor));
        }
        let factor = self.ticket_factor(&row, kind).await?;
        let key = factor
            .target
            .as_deref()
            .ok_or_else(|| Error::Storage("mfa factor without target".into()))?;
        match stored_target(factor.kind, key)? {
            super::codes::CodeTarget::Phone {
                country_code,
                number,
            } => {
                self.send_sms_code(pool, &number, Some(&country_code), Some("mfa-verify"))
                    .await
            }
            super::codes::CodeTarget::Email(address) => {
                self.send_email_code(pool, &address, "MFA_VERIFY_CODE")
                    .await
            }
        }
    }

    async fn ticket_factor(&self, row: &MfaTicket, kind: FactorKind) -> Result<MfaFactor> {
        enabled_factors(self.store.mfa_factors(&row.pool_id, &row.user_id).await?)
            .into_iter()
            .find(|f| f.kind == kind.as_type())
            .ok_or(Error::NotFound(Entity::MfaFactor))
    }

    /// Completes a login stopped at the MFA step with the second factor. A wrong proof
    /// leaves the ticket for another try and counts against the user's MFA attempts (the
    /// count [`Core::verify_totp`] keeps, so tickets cannot be multiplied to guess more);
    /// past [`TOTP_FAILURE_LIMIT`] the ticket is used up and the attempt refused with
    /// [`Error::MfaAttemptsExceeded`]. A right one uses the ticket up and records the login
    /// in one unit of work, so a ticket completes one login; the user's state is read again
    /// first, so a user blocked meanwhile is refused as at the first factor.
    pub async fn complete_mfa(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        ticket: &str,
        proof: MfaProof,
    ) -> Result<AuthEvent> {
        let result = self.complete_mfa_uncounted(pool, app, ticket, proof).await;
        self.stats.login(LoginOutcome::of(&result));
        result
    }

    async fn complete_mfa_uncounted(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        ticket: &str,
        proof: MfaProof,
    ) -> Result<AuthEvent> {
        let row = self.live_ticket(pool, app, ticket).await?;
        let kind = proof.kind();
        if proof.value().is_empty() {
            return Err(Error::MissingParameter(match proof {
                MfaProof::Totp(_) => "totp",
                MfaProof::RecoveryCode(_) => "recoveryCode",
                _ => "code",
            }));
        }
        if !row.kinds.contains(&kind.as_type()) {
            return Err(Error::NotFound(Entity::MfaFactor));
        }
        let factor = self.ticket_factor(&row, kind).await?;
        let now = clock::now_ms();
        // Counted before the check, so concurrent guesses cannot pass the limit together.
        self.store
            .add_rate_event(&pool.id, TOTP_ATTEMPT, &row.user_id, now)
            .await?;
        let attempts = self
            .store
            .count_rate_events(
                &pool.id,
                TOTP_ATTEMPT,
                &row.user_id,
                now - TOTP_FAILURE_WINDOW_SECS * 1000,
            )
            .await?;
        if attempts > TOTP_FAILURE_LIMIT {
            self.store
                .delete_mfa_ticket(&pool.id, &row.ticket_hash)
                .await?;
            return Err(Error::MfaAttemptsExceeded);
        }
        match &proof {
            MfaProof::Totp(code) => {
                if !self.check_totp(&factor, code.trim(), now).await? {
                    return Err(Error::MfaCodeWrong);
                }
            }
            MfaProof::RecoveryCode(code) => {
                if !self.spend_recovery(&factor, code.trim()).await? {
                    return Err(Error::MfaRecoveryCodeWrong);
                }
            }
            MfaProof::SmsCode(code) | MfaProof::EmailCode(code) => {
                let key = factor
                    .target
                    .as_deref()
                    .ok_or_else(|| Error::Storage("mfa factor without target".into()))?;
                let target = stored_target(factor.kind, key)?;
                self.verify_code(pool, &target, CodePurpose::Mfa, code.trim())
                    .await?;
            }
        }
        self.store
            .clear_rate_events(&pool.id, TOTP_ATTEMPT, &row.user_id)
            .await?;
        // The account as it is now: a block, a deletion or a changed access policy since the
        // first factor stops the login here as it would have there.
        let mut user = self
            .store
            .find_user(&pool.id, UserLookup::Id(&row.user_id))
            .await?
            .ok_or(Error::UserNotFound)?;
        if user.is_deleted {
            return Err(Error::UserNotFound);
        }
        if user.blocked || user.status == UserStatus::Suspended {
            return Err(Error::UserBlocked);
        }
        self.refuse_listed_user(&pool.id, &user.id).await?;
        if let Some(app) = app {
            if !self.may_use_app(&pool.id, &user.id, &app.id).await? {
                return Err(Error::Forbidden);
            }
        }
        let client = LoginContext {
            app_id: row.app_id.clone(),
            ip: row.client_ip.clone(),
            device: row.client_device.clone(),
            browser: row.client_browser.clone(),
        };
        let update = client.login_update(clock::now_ms());
        let (pool_id, user_id, ticket_hash) =
            (pool.id.clone(), user.id.clone(), row.ticket_hash.clone());
        let recorded = update.clone();
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move {
                if !tx
                    .take_mfa_ticket(&pool_id, &user_id, &ticket_hash, recorded.at_ms)
                    .await?
                {
                    return Err(Error::TokenInvalid);
                }
                tx.record_login_in_unit(&pool_id, &user_id, &recorded).await
            })
        })
        .await?;
        let at_ms = update.at_ms;
        super::users::count_login(&mut user, update);
        let mut methods: Vec<AuthMethod> = row
            .methods
            .iter()
            .filter_map(|m| AuthMethod::from_amr(m))
            .collect();
        methods.push(proof.method());
        Ok(AuthEvent {
            user,
            methods,
            at_ms,
            app_id: row.app_id,
            client,
            newly_created: false,
            login_recorded: true,
        })
    }
}

impl Core {
    /// `getGlobalMfaSettings`: the kinds the pool's logins ask for.
    pub async fn global_mfa_settings(&self, pool: &PoolAdmin) -> Result<Vec<FactorKind>> {
        let pool = self.pool(&pool.id).await?;
        Ok(kinds_of(
            pool.settings.mfa_enabled_factors.iter().map(String::as_str),
        ))
    }

    /// `updateGlobalMfaSettings`: replaces the pool's kinds.
    pub async fn set_global_mfa_settings(
        &self,
        pool: &PoolAdmin,
        enabled: &[FactorKind],
    ) -> Result<Vec<FactorKind>> {
        let names = names_of(enabled);
        let updated = self
            .modify_pool(&pool.id, |p| {
                let mut p = p.clone();
                p.settings.mfa_enabled_factors = names.clone();
                async move { Ok(p) }
            })
            .await?;
        Ok(kinds_of(
            updated
                .settings
                .mfa_enabled_factors
                .iter()
                .map(String::as_str),
        ))
    }

    /// `closeGlobalMfaSettings`: removes kinds from the pool's.
    pub async fn disable_global_mfa_factors(
        &self,
        pool: &PoolAdmin,
        disable: &[FactorKind],
    ) -> Result<Vec<FactorKind>> {
        let updated = self
            .modify_pool(&pool.id, |p| {
                let mut p = p.clone();
                let kept: Vec<FactorKind> =
                    kinds_of(p.settings.mfa_enabled_factors.iter().map(String::as_str))
                        .into_iter()
                        .filter(|k| !disable.contains(k))
                        .collect();
                p.settings.mfa_enabled_factors = names_of(&kept);
                async move { Ok(p) }
            })
            .await?;
        Ok(kinds_of(
            updated
                .settings
                .mfa_enabled_factors
                .iter()
                .map(String::as_str),
        ))
    }

    /// `updateApplicationMfaSettings`: the application's own kinds become its current own
    /// ones (none if it followed the pool) with `enable` added and `disable` removed. From
    /// then on the application's list decides for logins through it, even when empty (MFA
    /// off for that application whatever the pool says).
    pub async fn update_app_mfa_settings(
        &self,
        pool: &PoolAdmin,
        app_id: &str,
        enable: &[FactorKind],
        disable: &[FactorKind],
    ) -> Result<Vec<FactorKind>> {
        let (pool_id, app_id) = (pool.id.clone(), app_id.to_owned());
        let (enable, disable) = (enable.to_vec(), disable.to_vec());
        // Read and written in one unit of work under the pool's lock: two administrators'
        // changes cannot undo each other.
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move {
                let mut app = tx.app(&pool_id, &app_id).await?.ok_or(Error::AppNotFound)?;
                let current = app_kinds(&app).unwrap_or_default();
                let next: Vec<FactorKind> = FactorKind::ALL
                    .into_iter()
                    .filter(|k| (current.contains(k) || enable.contains(k)) && !disable.contains(k))
                    .collect();
                app.oidc.mfa_enabled_factors = Some(names_of(&next));
                let fields = AppFields {
                    oidc: Some(app.oidc),
                    ..AppFields::default()
                };
                tx.update_app_fields(&pool_id, &app_id, &fields, clock::now_ms())
                    .await?;
                Ok(next)
            })
        })
        .await
    }

    /// `getMfaTriggerData`: what a login of the user through the application would show at
    /// the MFA step — with a live ticket the administrator's back end can complete with the
    /// user's second factor (the back end stands for the first). The user must have a
    /// factor of a kind enabled for the application, else there is no step to trigger.
    pub async fn mfa_trigger_data(
        &self,
        pool: &PoolAdmin,
        app_id: &str,
        user_id: &str,
    ) -> Result<MfaChallenge> {
        let pool_row = self.pool(&pool.id).await?;
        let (app, _) = self
            .store
            .app_with_config(&pool.id, app_id)
            .await?
            .ok_or(Error::AppNotFound)?;
        let user = self
            .store
            .find_user(&pool.id, UserLookup::Id(user_id))
            .await?
            .ok_or(Error::UserNotFound)?;
        let client = LoginContext {
            app_id: Some(app.id.clone()),
            ..LoginContext::default()
        };
        match self
            .mfa_gate(&pool_row, Some(&app), &user, &[], &client)
            .await
        {
            Err(Error::MfaRequired(c)) => Ok(*c),
            Err(e) => Err(e),
            Ok(()) => Err(Error::NotFound(Entity::MfaFactor)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_addresses_are_masked() {
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("12345"), "***45");
        assert_eq!(mask_email("alice@example.com"), "a***@example.com");
    }

    #[test]
    fn kinds_are_read_once_in_order_without_face() {
        assert_eq!(
            kinds_of(["EMAIL", "OTP", "FACE", "OTP", "x"]),
            vec![FactorKind::Otp, FactorKind::Email]
        );
        assert!(parse_admin_kinds(&["FACE".into()], "enabledFactors").is_err());
        assert_eq!(
            parse_admin_kinds(&["SMS".into()], "enabledFactors").unwrap(),
            vec![FactorKind::Sms]
        );
    }

    #[test]
    fn a_users_rules_turn_kinds_on_and_off() {
        let rule = |kind, enabled| UserMfaRule {
            kind,
            enabled,
            sort: 0,
        };
        let base = vec![FactorKind::Otp, FactorKind::Sms];
        assert_eq!(user_kinds(base.clone(), &[]), base);
        assert_eq!(
            user_kinds(
                base.clone(),
                &[rule(MfaType::Email, true), rule(MfaType::Otp, false)]
            ),
            vec![FactorKind::Sms, FactorKind::Email]
        );
        assert_eq!(
            user_kinds(vec![], &[rule(MfaType::Otp, true)]),
            vec![FactorKind::Otp]
        );
    }

    #[test]
    fn an_app_without_its_own_list_follows_the_pool() {
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
        assert_eq!(app_kinds(&app), None);
        app.oidc.mfa_enabled_factors = Some(vec![]);
        assert_eq!(app_kinds(&app), Some(vec![]));
    }
}
