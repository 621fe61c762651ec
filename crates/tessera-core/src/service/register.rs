//! Self-service registration (`registerBy*`), with every pool rule that applies to it:
//! registration disabled, the whitelist, the per-IP frequency limit, password strength,
//! verification codes, and custom data written with the user.

use serde_json::Value;

use super::authn::{AuthEvent, AuthMethod};
use super::codes::{CodePurpose, CodeTarget};
use super::udf::UdfTarget;
use super::users::{CreatedBy, LoginContext, NewUser};
use super::Core;
use crate::error::{Error, Result};
use crate::model::audit::UserEvent;
use crate::model::{Application, Profile, User, UserPool};
use crate::rules::identifiers;
use crate::store::UserLookup;

/// The identifier (and proof) a registration is made with.
#[derive(Debug, Clone)]
pub enum Registration {
    Email {
        email: String,
        password: String,
    },
    Username {
        username: String,
        password: String,
    },
    PhoneCode {
        phone: String,
        country_code: Option<String>,
        code: String,
        password: Option<String>,
    },
    EmailCode {
        email: String,
        code: String,
    },
}

#[derive(Debug, Clone, Default)]
pub struct RegisterOptions {
    pub profile: Profile,
    /// Counts as a login (logins count, last login, the login history).
    pub force_login: bool,
    pub client: LoginContext,
    /// `customData`: user-defined field values, already JSON-decoded.
    pub custom_data: Vec<(String, Value)>,
}

impl Core {
    /// A self-service registration with every pool rule. The new user has proven the
    /// identifier (password set, or a code), so the result is an authentication event;
    /// whether it counted as a login is `force_login`.
    pub async fn register(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        reg: Registration,
        opts: RegisterOptions,
    ) -> Result<AuthEvent> {
        if pool.settings.register_disabled {
            return Err(Error::RegisterDisabled);
        }
        let ip = opts.client.ip.as_deref();
        // A blacklisted client address registers nothing: refused before any code is spent
        // or row written.
        self.ip_standing(&pool.id, ip)
            .await?
            .refuse(crate::model::risk::Limit::ForbidRegister)?;
        let mut new = NewUser {
            profile: opts.profile.clone(),
            ..NewUser::default()
        };
        // Validate everything cheap before any code is spent or row written.
        let mut code_check: Option<(CodeTarget, String)> = None;
        let method = match &reg {
            Registration::Email { .. } | Registration::Username { .. } => AuthMethod::Password,
            Registration::PhoneCode { .. } => AuthMethod::SmsCode,
            Registration::EmailCode { .. } => AuthMethod::EmailCode,
        };
        match reg {
            Registration::Email { email, password } => {
                identifiers::email(&email)?;
                new.email = Some(email);
                new.password = Some(password);
                new.register_source = vec!["basic:email".into()];
            }
            Registration::Username { username, password } => {
                identifiers::username(&username)?;
                new.username = Some(username);
                new.password = Some(password);
                new.register_source = vec!["basic:username-password".into()];
            }
            Registration::PhoneCode {
                phone,
                country_code,
                code,
                password,
            } => {
                let target = CodeTarget::phone(pool, &phone, country_code.as_deref())?;
                if let CodeTarget::Phone {
                    country_code,
                    number,
                } = &target
                {
                    new.phone = Some(number.clone());
                    new.phone_country_code = Some(country_code.clone());
                }
                new.phone_verified = true;
                new.password = password.filter(|p| !p.is_empty());
                new.register_source = vec!["basic:phone-code".into()];
                code_check = Some((target, code));
            }
            Registration::EmailCode { email, code } => {
                let target = CodeTarget::email(&email)?;
                new.email = Some(email);
                new.email_verified = Some(true);
                new.register_source = vec!["basic:email-code".into()];
                code_check = Some((target, code));
            }
        }
        super::users::validate_profile(&new.profile)?;
        if let Some(pw) = &new.password {
            crate::rules::password_strength::enforce(&pool.settings, pw)?;
        }
        self.check_register_rate(pool, ip).await?;
        let phone_pair = match (&new.phone_country_code, &new.phone) {
            (Some(cc), Some(n)) => Some((cc.as_str(), n.as_str())),
            _ => None,
        };
        self.check_whitelist(
            pool,
            app,
            new.username.as_deref(),
            new.email.as_deref(),
            phone_pair,
        )
        .await?;
        let custom = self
            .validate_udf_values(&pool.id, UdfTarget::User, &opts.custom_data)
            .await?;
        if let Some((target, code)) = &code_check {
            // A taken address fails before its code is spent.
            self.ensure_address_free(pool, target).await?;
            self.verify_code(pool, target, CodePurpose::Register, code)
                .await?;
        }
        let level = new
            .password
            .as_deref()
            .map(crate::rules::password_strength::security_level);
        let mut user = self.build_user(pool, new, CreatedBy::SelfService).await?;
        // The user and everything its registration records are one unit of work: a write
        // that fails (a busy database, a full disk) leaves no user behind that a retry would
        // then find taken.
        let at = crate::clock::now_ms();
        let login = opts.force_login.then(|| opts.client.login_update(at));
        let action = self.user_action(&pool.id, &user.id, UserEvent::Register, &opts.client, true);
        let rate_event = self.registration_event(pool, ip);
        let rows: Vec<(String, String, String)> = custom
            .into_iter()
            .map(|(key, value)| (user.id.clone(), key, value))
            .collect();
        let pool_id = pool.id.clone();
        let stored = user.clone();
        let stored_login = login.clone();
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move {
                tx.insert_user_in_unit(&stored, &[]).await?;
                if let Some(level) = level {
                    let change = crate::store::UserChange::new()
                        .set(crate::store::UserField::PasswordSecurityLevel(Some(level)));
                    tx.change_user_in_unit(&pool_id, &stored.id, &change, at)
                        .await?;
                }
                if !rows.is_empty() {
                    tx.put_custom_data(&pool_id, UdfTarget::User.as_str(), &rows, at)
                        .await?;
                }
                if let Some((kind, key)) = &rate_event {
                    tx.add_rate_event_in_unit(&pool_id, kind, key, at).await?;
                }
                tx.insert_user_action_in_unit(&action).await?;
                if let Some(update) = &stored_login {
                    tx.record_login_in_unit(&pool_id, &stored.id, update)
                        .await?;
                }
                Ok(())
            })
        })
        .await?;
        if let Some(update) = login {
            super::users::count_login(&mut user, update);
        }
        Ok(AuthEvent {
            user,
            methods: vec![method],
            at_ms: at,
            app_id: app.map(|a| a.id.clone()),
            client: opts.client,
            newly_created: true,
            login_recorded: opts.force_login,
        })
    }

    /// Fails with the right "already exists" error if some user has this phone or email.
    pub(crate) async fn ensure_address_free(
        &self,
        pool: &UserPool,
        target: &CodeTarget,
    ) -> Result<()> {
        let found = self.find_by_address(pool, target).await?;
        match (found, target) {
            (None, _) => Ok(()),
            (Some(_), CodeTarget::Phone { .. }) => {
                Err(Error::AlreadyExists(crate::UniqueField::Phone))
            }
            (Some(_), CodeTarget::Email(_)) => Err(Error::AlreadyExists(crate::UniqueField::Email)),
        }
    }

    pub(crate) async fn find_by_address(
        &self,
        pool: &UserPool,
        target: &CodeTarget,
    ) -> Result<Option<User>> {
        match target {
            CodeTarget::Phone {
                country_code,
                number,
            } => {
                self.store
                    .find_user(
                        &pool.id,
                        UserLookup::Phone {
                            country_code,
                            number,
                        },
                    )
                    .await
            }
            CodeTarget::Email(key) => self.store.find_user(&pool.id, UserLookup::Email(key)).await,
        }
    }
}
