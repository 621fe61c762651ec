//! Logins (`loginBy*`): password (email, username, phone, sub-account), phone code, email
//! code; the login-failure captcha, auto-registration, forced first-login password change,
//! unverified-email refusal and custom data written at login.

use serde_json::Value;

use super::authn::{AuthEvent, AuthMethod};
use super::codes::{CodePurpose, CodeTarget};
use super::external_login::ExternalLogin;
use super::guard::AttemptOutcome;
use super::register::{RegisterOptions, Registration};
use super::risk::{IpStanding, LoginFailure};
use super::udf::UdfTarget;
use super::users::{CreatedBy, LoginContext, LoginId, NewUser};
use super::Core;
use crate::error::{Error, Result};
use crate::model::audit::UserEvent;
use crate::model::risk::{EventState, Limit};
use crate::model::{Application, User, UserPool, UserStatus};
use crate::rules::identifiers;
use crate::stats::LoginOutcome;
use crate::store::{UserChange, UserField, UserLookup};

/// Purpose-token kind that lets a user set a new password at the first login.
pub const FIRST_LOGIN_TOKEN: &str = "first-login";
const FIRST_LOGIN_TOKEN_TTL: i64 = 15 * 60;

#[derive(Debug, Clone)]
pub enum Credential {
    Password {
        id: LoginId,
        password: String,
    },
    /// `loginBySubAccount`: only users that belong to a primary user.
    SubAccount {
        account: String,
        password: String,
    },
    PhoneCode {
        phone: String,
        country_code: Option<String>,
        code: String,
    },
    EmailCode {
        email: String,
        code: String,
    },
    /// A login the user approved on another device where they are signed in (a QR code
    /// scanned and confirmed in the mobile app); only the core can build the approval.
    ApprovedOnDevice(DeviceApproval),
    /// An identity an external provider vouched for to the core itself (a WeChat
    /// mini-program login, `wechat_login.rs`); only the core can build one.
    External(Box<ExternalLogin>),
    /// A WebAuthn assertion the core verified (`webauthn.rs`); only the core can build one.
    Passkey(PasskeyAssertion),
    /// A personal user's live session switching into a public account
    /// (`public_accounts.rs`); only the core can build one.
    AccountSwitch(AccountSwitch),
}

/// A switch from the personal user `origin_id`, whose session the core verified, into the
/// public account `target_id`. Its fields are private, as [`DeviceApproval`]'s: a façade
/// cannot name a user and have them logged in.
#[derive(Debug, Clone)]
pub struct AccountSwitch {
    origin_id: String,
    target_id: String,
}

impl AccountSwitch {
    pub(crate) fn of(origin_id: String, target_id: String) -> AccountSwitch {
        AccountSwitch {
            origin_id,
            target_id,
        }
    }

    /// The switching user's id and the target account's.
    pub(crate) fn ids(&self) -> (&str, &str) {
        (&self.origin_id, &self.target_id)
    }
}

/// The user whose passkey signed an assertion the core verified. Its field is private, as
/// [`DeviceApproval`]'s.
#[derive(Debug, Clone)]
pub struct PasskeyAssertion {
    user_id: String,
}

impl PasskeyAssertion {
    pub(crate) fn of(user_id: String) -> PasskeyAssertion {
        PasskeyAssertion { user_id }
    }
}

/// The user who approved a login on another device (`qr_login.rs`). Its field is private:
/// a façade cannot name a user and have them logged in.
#[derive(Debug, Clone)]
pub struct DeviceApproval {
    user_id: String,
}

impl DeviceApproval {
    pub(crate) fn of(user_id: String) -> DeviceApproval {
        DeviceApproval { user_id }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LoginOptions {
    pub auto_register: bool,
    pub captcha_code: Option<String>,
    /// The token of a token-bound captcha (`Core::issue_captcha_token`) that
    /// `captcha_code` answers; without it the answer is for the client address's captcha.
    pub captcha_token: Option<String>,
    pub client: LoginContext,
    pub custom_data: Vec<(String, Value)>,
    /// The tenant whose login this is, if the caller named one: a connection then serves
    /// only if the tenant may use it (`Core::refuse_conn_off_in_tenant`).
    pub tenant_id: Option<String>,
}

/// The account a password login names, for the login guard's counts: the identifier as the
/// lookup normalises it, so that spelling one account differently (case of an email, a phone
/// with or without its country code) does not start a fresh count.
pub(crate) fn account_key(pool: &UserPool, id: &LoginId) -> String {
    match id {
        LoginId::Email(e) => email_account(e),
        LoginId::Username(u) => username_account(u),
        LoginId::Phone {
            number,
            country_code,
        } => match identifiers::phone(
            number,
            country_code.as_deref(),
            &pool.settings.default_phone_country_code,
        ) {
            Ok((cc, n)) => phone_account(&cc, &n),
            Err(_) => format!("phone:{number}"),
        },
        LoginId::Account(a) => format!("account:{}", a.trim()),
    }
}

fn email_account(email: &str) -> String {
    format!("email:{}", identifiers::email_key(email))
}

fn username_account(username: &str) -> String {
    format!("username:{}", username.trim())
}

fn phone_account(country_code: &str, number: &str) -> String {
    format!("phone:{country_code} {number}")
}

/// Every account key under which logins of `user` are counted.
pub(crate) fn account_keys_of(user: &User) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(e) = &user.email {
        keys.push(email_account(e));
        keys.push(format!("account:{}", e.trim()));
    }
    if let Some(u) = &user.username {
        keys.push(username_account(u));
        keys.push(format!("account:{}", u.trim()));
    }
    if let (Some(cc), Some(n)) = (&user.phone_country_code, &user.phone) {
        keys.push(phone_account(cc, n));
        keys.push(format!("account:{n}"));
    }
    keys
}

impl Credential {
    fn methods(&self) -> Vec<AuthMethod> {
        match self {
            Credential::Password { .. } | Credential::SubAccount { .. } => {
                vec![AuthMethod::Password]
            }
            Credential::PhoneCode { .. } => vec![AuthMethod::SmsCode],
            Credential::EmailCode { .. } => vec![AuthMethod::EmailCode],
            Credential::ApprovedOnDevice(_) => vec![AuthMethod::OtherDevice],
            Credential::External(_) => vec![AuthMethod::External],
            // The assertion's UP flag is required before one is built.
            Credential::Passkey(_) => vec![AuthMethod::Passkey, AuthMethod::UserPresence],
            Credential::AccountSwitch(_) => vec![AuthMethod::AccountSwitch],
        }
    }

    /// Whether a login with this credential goes through the MFA step (`mfa_login`) when
    /// the pool or application asks for a second factor the user has enrolled.
    fn needs_second_factor(&self) -> bool {
        match self {
            // Something the user knows or a code to an address: the factors a second one
            // is meant to back up, since a stolen password or a taken-over mailbox or
            // phone number is exactly what MFA guards against.
            Credential::Password { .. }
            | Credential::SubAccount { .. }
            | Credential::PhoneCode { .. }
            | Credential::EmailCode { .. } => true,
            // The approval is itself a proof of possession: it comes over a second channel
            // (RFC 8176 "mca") from a device where the user holds a live session, and no
            // secret is typed in the browser that a thief could have. Asking again would
            // ask for the kind of proof the approval already is.
            Credential::ApprovedOnDevice(_) => false,
            // The provider authenticated the user with its own factors (a WeChat account
            // bound to a phone and device) and Tessera checked no secret of its own; the
            // step protects Tessera's first factors, and the mini-program wire it comes
            // from has no way to show a second-factor prompt. A link to an existing user
            // proved by one of Tessera's codes or passwords is a login by that code or
            // password, and takes the step as one would.
            Credential::External(login) => login.target.proven_by_secret(),
            // A passkey is possession of a key bound to this site, that no phishing page
            // can use and no database leak reveals: the strongest factor Tessera checks,
            // and the one the step would otherwise ask for.
            Credential::Passkey(_) => false,
            // The switch is vouched for by the personal user's session, which passed its own
            // login's every step; the public account is shared by several people, so a
            // factor enrolled on it would belong to none of them to answer.
            Credential::AccountSwitch(_) => false,
        }
    }
}

impl Core {
    /// A login with every pool and application rule, recorded on the user and in the login
    /// history. Yields the authentication event; issuing tokens for it is the caller's
    /// second step, in the caller's token profile.
    pub async fn authenticate(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        credential: Credential,
        opts: LoginOptions,
    ) -> Result<AuthEvent> {
        let result = self
            .authenticate_uncounted(pool, app, credential, opts)
            .await;
        self.stats.login(LoginOutcome::of(&result));
        result
    }

    /// [`Core::authenticate`] without counting its outcome.
    async fn authenticate_uncounted(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        credential: Credential,
        opts: LoginOptions,
    ) -> Result<AuthEvent> {
        // A blacklisted client address is refused before anything else is read or counted.
        let ip = self
            .ip_standing(&pool.id, opts.client.ip.as_deref())
            .await?;
        ip.refuse(Limit::ForbidLogin)?;
        let custom = self
            .validate_udf_values(&pool.id, UdfTarget::User, &opts.custom_data)
            .await?;
        let methods = credential.methods();
        let second_factor = credential.needs_second_factor();
        // Identities an external login links to a user it found: written only once every
        // rule below let the login through.
        let mut pending_links = Vec::new();
        let (mut user, newly_created) = match credential {
            Credential::Password { id, password } => {
                match self.password_step(pool, &id, &password, &opts, &ip).await {
                    Err(Error::UserNotFound) if opts.auto_register => {
                        let reg = match id {
                            LoginId::Email(email) => Registration::Email { email, password },
                            LoginId::Username(username) => {
                                Registration::Username { username, password }
                            }
                            _ => return Err(Error::UserNotFound),
                        };
                        let ropts = RegisterOptions {
                            client: opts.client.clone(),
                            ..RegisterOptions::default()
                        };
                        (self.register(pool, app, reg, ropts).await?.user, true)
                    }
                    other => (other?, false),
                }
            }
            Credential::SubAccount { account, password } => {
                let id = LoginId::Account(account);
                let user = self.password_step(pool, &id, &password, &opts, &ip).await?;
                if user.primary_user_id.is_none() {
                    return Err(Error::UserNotFound);
                }
                (user, false)
            }
            Credential::PhoneCode {
                phone,
                country_code,
                code,
            } => {
                let target = CodeTarget::phone(pool, &phone, country_code.as_deref())?;
                self.verify_code(pool, &target, CodePurpose::Login, &code)
                    .await?;
                self.code_login_user(pool, app, &target, &opts.client, &ip)
                    .await?
            }
            Credential::EmailCode { email, code } => {
                let target = CodeTarget::email(&email)?;
                self.verify_code(pool, &target, CodePurpose::Login, &code)
                    .await?;
                self.code_login_user(pool, app, &target, &opts.client, &ip)
                    .await?
            }
            Credential::ApprovedOnDevice(approval) => {
                let user = self
                    .store
                    .find_user(&pool.id, UserLookup::Id(&approval.user_id))
                    .await?
                    .ok_or(Error::UserNotFound)?;
                self.refuse_listed_user(&pool.id, &user.id).await?;
                (user, false)
            }
            Credential::Passkey(assertion) => {
                let user = self
                    .store
                    .find_user(&pool.id, UserLookup::Id(&assertion.user_id))
                    .await?
                    .ok_or(Error::UserNotFound)?;
                self.refuse_listed_user(&pool.id, &user.id).await?;
                (user, false)
            }
            Credential::AccountSwitch(switch) => {
                let user = self.switch_target(&pool.id, &switch).await?;
                self.refuse_listed_user(&pool.id, &user.id).await?;
                (user, false)
            }
            Credential::External(login) => {
                // A connection switched off in this application logs nobody in through it
                // (the pool-wide switch was checked when the connection was chosen).
                if let Some(app) = app {
                    self.refuse_conn_off_in_app(&pool.id, &login.connection_id, &app.id)
                        .await?;
                }
                if let Some(tenant_id) = &opts.tenant_id {
                    self.refuse_conn_off_in_tenant(&pool.id, tenant_id, &login.connection_id)
                        .await?;
                }
                let found = self
                    .external_login_user(pool, app, *login, &opts.client, &ip)
                    .await?;
                pending_links = found.links;
                (found.user, found.newly_created)
            }
        };
        // An archived (resigned) user no longer exists for logins.
        if user.is_deleted {
            return Err(Error::UserNotFound);
        }
        if user.blocked || user.status == UserStatus::Suspended {
            return Err(Error::UserBlocked);
        }
        // The application's access policy: a user it keeps out gets no session through it.
        if let Some(app) = app {
            if !self.may_use_app(&pool.id, &user.id, &app.id).await? {
                return Err(Error::Forbidden);
            }
        }
        // Every rule passed: the login stops here when it needs a second factor. Nothing
        // of it is written (custom data, links, the login record) until that factor is
        // given; `complete_mfa` records the login.
        if second_factor {
            self.mfa_gate(pool, app, &user, &methods, &opts.client)
                .await?;
        }
        if !custom.is_empty() {
            self.store
                .set_udf_values(&pool.id, UdfTarget::User.as_str(), &user.id, &custom)
                .await?;
        }
        self.link_missing(&pending_links).await?;
        let at_ms = self.record_login(pool, &mut user, &opts.client).await?;
        Ok(AuthEvent {
            user,
            methods,
            at_ms,
            app_id: app.map(|a| a.id.clone()),
            client: opts.client,
            newly_created,
            login_recorded: true,
        })
    }

    /// The password part of a login: the account's blacklist, captcha gate, hash check,
    /// failure counting (the login guard's and the risk policies'), and the account states
    /// that stop a correct password.
    pub(crate) async fn password_step(
        &self,
        pool: &UserPool,
        id: &LoginId,
        password: &str,
        opts: &LoginOptions,
        ip_standing: &IpStanding,
    ) -> Result<User> {
        let account = account_key(pool, id);
        let ip = opts.client.ip.as_deref();
        // A blacklisted account is refused before its password is checked, the same way
        // whatever password came: after the check, "refused" against "wrong password" would
        // tell a guesser which password was right. It also spends no hash and takes no
        // place in the guard's counts. A lookup error (a malformed identifier) is answered
        // where it always was, after the guard.
        let found = self.find_login_user(pool, id).await;
        if let Ok(Some(user)) = &found {
            self.refuse_listed_user(&pool.id, &user.id).await?;
        }
        let found_id = match &found {
            Ok(Some(user)) => Some(user.id.clone()),
            _ => None,
        };
        let attempt = self
            .login_attempt(
                pool,
                &account,
                ip,
                opts.captcha_code.as_deref(),
                opts.captcha_token.as_deref(),
            )
            .await?;
        let checked = match found {
            Ok(found) => {
                self.check_password_of(pool, found, password.to_owned())
                    .await
            }
            Err(e) => Err(e),
        };
        let user = match checked {
            Ok(u) => u,
            Err(e @ (Error::WrongPassword | Error::UserNotFound | Error::NoPassword)) => {
                // An unknown account that the login is about to register is no failure.
                let outcome = if matches!(e, Error::UserNotFound) && opts.auto_register {
                    AttemptOutcome::Forget
                } else {
                    AttemptOutcome::Failure
                };
                self.login_attempt_done(pool, attempt, outcome).await?;
                if outcome == AttemptOutcome::Failure {
                    let failure = LoginFailure {
                        // An account without a password exists: no password of it is right.
                        event: match e {
                            Error::UserNotFound => EventState::AccountWrong,
                            _ => EventState::PasswordWrong,
                        },
                        account: &account,
                        user_id: found_id.as_deref(),
                    };
                    self.count_login_failure(pool, ip_standing, failure).await?;
                }
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        self.login_attempt_done(pool, attempt, AttemptOutcome::Success)
            .await?;
        if pool.settings.login_require_email_verified
            && user.email.is_some()
            && !user.email_verified
        {
            return Err(Error::EmailNotVerified);
        }
        if user.reset_password_on_next_login {
            let token = self
                .issue_purpose_token(&pool.id, &user.id, FIRST_LOGIN_TOKEN, FIRST_LOGIN_TOKEN_TTL)
                .await?;
            return Err(Error::PasswordResetRequired { token });
        }
        Ok(user)
    }

    /// The user a verified code logs in: the one with that phone/email (now verified), or a
    /// new one when the pool lets people register and the client address may (a
    /// registration in the user action log).
    async fn code_login_user(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        target: &CodeTarget,
        client: &LoginContext,
        ip: &IpStanding,
    ) -> Result<(User, bool)> {
        if let Some(user) = self.find_by_address(pool, target).await? {
            // Checked once the code is verified: only the address's owner learns that the
            // account is refused.
            self.refuse_listed_user(&pool.id, &user.id).await?;
            let verified = match target {
                CodeTarget::Phone { .. } => user.phone_verified,
                CodeTarget::Email(_) => user.email_verified,
            };
            if verified {
                return Ok((user, false));
            }
            // The code proved the address: mark it verified, and nothing else.
            let field = match target {
                CodeTarget::Phone { .. } => UserField::PhoneVerified(true),
                CodeTarget::Email(_) => UserField::EmailVerified(true),
            };
            let change = UserChange::new().set(field);
            let user = self
                .store
                .change_user(&pool.id, &user.id, &change, crate::clock::now_ms())
                .await?
                .ok_or(Error::ConcurrentChange)?;
            return Ok((user, false));
        }
        if pool.settings.register_disabled {
            return Err(Error::RegisterDisabled);
        }
        ip.refuse(Limit::ForbidRegister)?;
        let mut new = NewUser::default();
        match target {
            CodeTarget::Phone {
                country_code,
                number,
            } => {
                self.check_whitelist(pool, app, None, None, Some((country_code, number)))
                    .await?;
                new.phone = Some(number.clone());
                new.phone_country_code = Some(country_code.clone());
                new.phone_verified = true;
                new.register_source = vec!["basic:phone-code".into()];
            }
            CodeTarget::Email(email) => {
                self.check_whitelist(pool, app, None, Some(email), None)
                    .await?;
                new.email = Some(email.clone());
                new.email_verified = Some(true);
                new.register_source = vec!["basic:email-code".into()];
            }
        }
        // The user and the record of its registration are one unit of work, as in
        // `Core::register`.
        let user = self.build_user(pool, new, CreatedBy::SelfService).await?;
        let action = self.user_action(&pool.id, &user.id, UserEvent::Register, client, true);
        let stored = user.clone();
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move {
                tx.insert_user_in_unit(&stored, &[]).await?;
                tx.insert_user_action_in_unit(&action).await
            })
        })
        .await?;
        Ok((user, true))
    }
}
