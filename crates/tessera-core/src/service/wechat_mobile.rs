//! WeChat mobile-app logins (the open platform, `v3-wire.md` "Account linking (ext-idp,
//! WeChat mobile)"). The app is a connection of the pool (`ExtIdpConn` of kind
//! [`WECHAT_MOBILE_KIND`]) whose `fields` hold its `appId` and `appSecret`. The app's WeChat
//! SDK hands it an authorization code; the core exchanges it (`sns/oauth2/access_token`)
//! for the person's openid (and unionid), and logs in the user linked to them through
//! [`Core::authenticate`], so every login rule applies.
//!
//! A person linked to no user stops with an account-linking ticket (the SDKs' `key`):
//! random, stored only as its digest in `link_tickets`, bound to the pool, the application
//! and the WeChat identity, good once and for ten minutes. Spending it links the identity
//! to a user proved in the same request — by an email or SMS login code, by an account's
//! password (the login guard counting failures), or by picking one of the users whose
//! profile carries the unionid WeChat answered (the only users the ticket names) — or to a
//! new user registered under the pool's rules; then the login goes through
//! [`Core::authenticate`] with the link made, and the next code logs in directly. A WeChat
//! refusal or outage is [`Error::Provider`] and writes nothing.

use super::authn::AuthEvent;
use super::codes::{CodePurpose, CodeTarget};
use super::external_login::{ExternalLogin, ExternalTarget};
use super::login::{Credential, LoginOptions};
use super::mini_program::{field, required, APP_ID_FIELDS, APP_SECRET_FIELDS};
use super::users::LoginId;
use super::wechat_login::{WECHAT_PROVIDER, WECHAT_UNIONID_PROVIDER};
use super::Core;
use crate::clock;
use crate::crypto;
use crate::error::{Error, Result};
use crate::model::risk::Limit;
use crate::model::tenant::ExtIdpConn;
use crate::model::{Application, Profile, User, UserPool};
use crate::store::link_tickets::LinkTicket;
use crate::wechat::WechatOauth;

/// The connection kind of a WeChat mobile app (`CreateExtIdpConnDto.type`).
pub const WECHAT_MOBILE_KIND: &str = "wechat:mobile";
/// `registerSource` of a user a mobile-app login registers.
pub const WECHAT_MOBILE_REGISTER_SOURCE: &str = "social:wechat:mobile";
/// How long an account-linking ticket lives.
const LINK_TICKET_TTL_MS: i64 = 10 * 60 * 1000;
/// At most this many users the unionid names are offered.
const MAX_CANDIDATES: u32 = 10;

/// A way to prove an existing account when linking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkMethod {
    PhoneCode,
    EmailCode,
    UsernamePassword,
    EmailPassword,
    PhonePassword,
}

/// Every way [`Core::wechat_mobile_link`] accepts.
const LINK_METHODS: [LinkMethod; 5] = [
    LinkMethod::PhoneCode,
    LinkMethod::EmailCode,
    LinkMethod::UsernamePassword,
    LinkMethod::EmailPassword,
    LinkMethod::PhonePassword,
];

/// What a login of a person linked to no user hands back: the ticket that links them, the
/// ways to prove an existing account, and the users WeChat's unionid names (ids).
#[derive(Clone, PartialEq, Eq)]
pub struct LinkChallenge {
    pub ticket: String,
    pub expires_at_ms: i64,
    pub methods: Vec<LinkMethod>,
    pub candidates: Vec<String>,
}

/// Never the ticket.
impl std::fmt::Debug for LinkChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkChallenge")
            .field("methods", &self.methods)
            .field("candidates", &self.candidates.len())
            .finish_non_exhaustive()
    }
}

/// How a ticket's holder says which user the WeChat identity is for.
#[derive(Clone)]
pub enum LinkProof {
    /// A new user, with WeChat's nickname and avatar.
    Register,
    /// The user with this address, proved by a login code sent to it.
    EmailCode { email: String, code: String },
    PhoneCode {
        phone: String,
        country_code: Option<String>,
        code: String,
    },
    /// The user with this email, username or phone, proved by its password.
    Password { account: String, password: String },
    /// One of the ticket's candidates, by id.
    Candidate(String),
}

/// Codes and passwords only by kind.
impl std::fmt::Debug for LinkProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LinkProof::Register => "Register",
            LinkProof::EmailCode { .. } => "EmailCode",
            LinkProof::PhoneCode { .. } => "PhoneCode",
            LinkProof::Password { .. } => "Password",
            LinkProof::Candidate(_) => "Candidate",
        })
    }
}

/// A mobile-app connection of a pool. The secret never reaches a log.
struct MobileApp {
    conn_id: String,
    appid: String,
    secret: String,
}

impl MobileApp {
    fn of(conn: &ExtIdpConn) -> Option<MobileApp> {
        if conn.kind != WECHAT_MOBILE_KIND || !conn.enabled {
            return None;
        }
        Some(MobileApp {
            conn_id: conn.id.clone(),
            appid: field(&conn.fields, &APP_ID_FIELDS)?,
            secret: field(&conn.fields, &APP_SECRET_FIELDS)?,
        })
    }
}

/// The login a WeChat identity makes, for `target`.
fn external_login(
    conn_id: &str,
    openid: &str,
    unionid: Option<&str>,
    profile: Profile,
    target: ExternalTarget,
) -> ExternalLogin {
    ExternalLogin {
        provider: WECHAT_PROVIDER,
        connection_id: conn_id.to_owned(),
        subject: openid.to_owned(),
        union: unionid
            .filter(|u| !u.is_empty())
            .map(|u| (WECHAT_UNIONID_PROVIDER, u.to_owned())),
        phone: None,
        register_source: WECHAT_MOBILE_REGISTER_SOURCE,
        profile,
        target,
        per_connection: false,
    }
}

impl Core {
    /// The pool's enabled mobile-app connection named by `conn` (its id or identifier), or
    /// its only one when `conn` is absent; anything else is "identity source not
    /// configured" (several and none named: which one is missing).
    async fn mobile_app(&self, pool_id: &str, conn: Option<&str>) -> Result<MobileApp> {
        let conns = self
            .store
            .ext_idp_conns_of_kind(pool_id, WECHAT_MOBILE_KIND)
            .await?;
        let conn = conn.map(str::trim).filter(|c| !c.is_empty());
        let mut apps = conns
            .iter()
            .filter(|c| conn.is_none_or(|name| c.id == name || c.identifier == name))
            .filter_map(MobileApp::of);
        let first = apps.next().ok_or(Error::IdentitySourceNotConfigured)?;
        if conn.is_none() && apps.next().is_some() {
            return Err(Error::MissingParameter("connId"));
        }
        Ok(first)
    }

    /// `POST /api/v2/ecConn/wechatMobile/authByCodeIdentity` (`ask_to_link`) and
    /// `signin-by-mobile` with `wechat`: the authorization `code` of the mobile app `conn`
    /// logs in the user linked to the person's unionid or openid. A person linked to no
    /// user gets [`Error::AccountLinkRequired`] when `ask_to_link`, else is registered
    /// under the pool's rules with WeChat's nickname and avatar.
    pub async fn wechat_mobile_login(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        conn: Option<&str>,
        code: &str,
        ask_to_link: bool,
        opts: LoginOptions,
    ) -> Result<AuthEvent> {
        required("code", code)?;
        let mobile = self.mobile_app(&pool.id, conn).await?;
        self.refuse_listed_address(pool, &opts).await?;
        let oauth = self
            .wechat
            .oauth_access_token(&mobile.appid, &mobile.secret, code)
            .await?;
        let target = ExternalTarget::Resolve {
            register: !ask_to_link,
        };
        let probe = external_login(
            &mobile.conn_id,
            &oauth.openid,
            oauth.unionid.as_deref(),
            Profile::default(),
            target.clone(),
        );
        let linked = self.linked_users(&pool.id, &probe).await?;
        if linked.user().is_some() {
            let credential = Credential::External(Box::new(probe));
            return self.authenticate(pool, app, credential, opts).await;
        }
        // Nobody is linked: the profile names a new user or the ticket's candidates.
        let profile = self
            .wechat
            .user_info(&oauth.access_token, &oauth.openid)
            .await?;
        let unionid = oauth.unionid.clone().or(profile.unionid.clone());
        let profile_of_user = Profile {
            nickname: profile.nickname.clone(),
            photo: profile.photo.clone(),
            ..Profile::default()
        };
        if !ask_to_link {
            let login = external_login(
                &mobile.conn_id,
                &oauth.openid,
                unionid.as_deref(),
                profile_of_user,
                target,
            );
            let credential = Credential::External(Box::new(login));
            return self.authenticate(pool, app, credential, opts).await;
        }
        let challenge = self
            .issue_link_ticket(pool, app, &mobile, &oauth, unionid, profile_of_user)
            .await?;
        Err(Error::AccountLinkRequired(Box::new(challenge)))
    }

    async fn issue_link_ticket(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        mobile: &MobileApp,
        oauth: &WechatOauth,
        unionid: Option<String>,
        profile: Profile,
    ) -> Result<LinkChallenge> {
        let candidates: Vec<User> = match unionid.as_deref() {
            Some(u) => {
                self.store
                    .users_with_unionid(&pool.id, u, MAX_CANDIDATES)
                    .await?
            }
            None => Vec::new(),
        };
        let candidates: Vec<String> = candidates.into_iter().map(|u| u.id).collect();
        let ticket = crate::ids::new_url_token(32);
        let now = clock::now_ms();
        let row = LinkTicket {
            ticket_hash: crypto::digest(&ticket),
            pool_id: pool.id.clone(),
            app_id: app.map(|a| a.id.clone()),
            conn_id: mobile.conn_id.clone(),
            subject: oauth.openid.clone(),
            unionid,
            nickname: profile.nickname,
            photo: profile.photo,
            candidates: candidates.clone(),
            expires_at: now + LINK_TICKET_TTL_MS,
            created_at: now,
        };
        self.store.put_link_ticket(&row).await?;
        Ok(LinkChallenge {
            ticket,
            expires_at_ms: row.expires_at,
            methods: LINK_METHODS.to_vec(),
            candidates,
        })
    }

    /// The `/api/v2/ecConn/wechatMobile/*` linking calls: spends `ticket` (a live one of
    /// this pool and application, [`Core::wechat_mobile_login`]'s) to link its WeChat
    /// identity to the user `proof` names, and logs that user in. A wrong proof leaves the
    /// ticket for another try (codes and passwords count their own failures); a proof
    /// that passes uses the ticket up, once across processes.
    pub async fn wechat_mobile_link(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        ticket: &str,
        proof: LinkProof,
        opts: LoginOptions,
    ) -> Result<AuthEvent> {
        let ticket = ticket.trim();
        required("key", ticket)?;
        let hash = crypto::digest(ticket);
        let now = clock::now_ms();
        let row = self
            .store
            .link_ticket(&pool.id, &hash)
            .await?
            .filter(|t| t.expires_at > now && t.app_id.as_deref() == app.map(|a| a.id.as_str()))
            .ok_or(Error::InvalidParameter("key"))?;
        // The connection still has to be there and switched on.
        self.mobile_app(&pool.id, Some(&row.conn_id)).await?;
        self.refuse_listed_address(pool, &opts).await?;
        let target = self.prove_link(pool, &row, proof, &opts).await?;
        if !self.store.take_link_ticket(&pool.id, &hash, now).await? {
            // Spent by a concurrent request, or expired meanwhile.
            return Err(Error::InvalidParameter("key"));
        }
        let profile = Profile {
            nickname: row.nickname.clone(),
            photo: row.photo.clone(),
            ..Profile::default()
        };
        let login = external_login(
            &row.conn_id,
            &row.subject,
            row.unionid.as_deref(),
            profile,
            target,
        );
        self.authenticate(pool, app, Credential::External(Box::new(login)), opts)
            .await
    }

    /// The user `proof` names, proved; nothing of the ticket is spent here.
    async fn prove_link(
        &self,
        pool: &UserPool,
        row: &LinkTicket,
        proof: LinkProof,
        opts: &LoginOptions,
    ) -> Result<ExternalTarget> {
        let by_secret = |user: User| ExternalTarget::Proven {
            user_id: user.id,
            by_secret: true,
        };
        match proof {
            LinkProof::Register => {
                // Refused before the ticket is spent, so its holder can still link an
                // existing account (`register_external` checks the same again).
                if pool.settings.register_disabled {
                    return Err(Error::RegisterDisabled);
                }
                self.ip_standing(&pool.id, opts.client.ip.as_deref())
                    .await?
                    .refuse(Limit::ForbidRegister)?;
                Ok(ExternalTarget::Register)
            }
            LinkProof::EmailCode { email, code } => {
                required("email", &email)?;
                required("code", &code)?;
                let target = CodeTarget::email(&email)?;
                self.proven_address(pool, &target, &code)
                    .await
                    .map(by_secret)
            }
            LinkProof::PhoneCode {
                phone,
                country_code,
                code,
            } => {
                required("phone", &phone)?;
                required("code", &code)?;
                let target = CodeTarget::phone(pool, &phone, country_code.as_deref())?;
                self.proven_address(pool, &target, &code)
                    .await
                    .map(by_secret)
            }
            LinkProof::Password { account, password } => {
                required("account", &account)?;
                required("password", &password)?;
                let ip = self
                    .ip_standing(&pool.id, opts.client.ip.as_deref())
                    .await?;
                let id = LoginId::typed(account.trim());
                self.password_step(pool, &id, &password, opts, &ip)
                    .await
                    .map(by_secret)
            }
            LinkProof::Candidate(user_id) => {
                let user_id = user_id.trim();
                required("accountId", user_id)?;
                // Only a user WeChat's own answer named (its unionid on their profile).
                if !row.candidates.iter().any(|c| c == user_id) {
                    return Err(Error::InvalidParameter("accountId"));
                }
                Ok(ExternalTarget::Proven {
                    user_id: user_id.to_owned(),
                    by_secret: false,
                })
            }
        }
    }

    /// The user with the address a login code was sent to, the code checked (and used) by
    /// the code service; no such user is [`Error::UserNotFound`].
    async fn proven_address(
        &self,
        pool: &UserPool,
        target: &CodeTarget,
        code: &str,
    ) -> Result<User> {
        self.verify_code(pool, target, CodePurpose::Login, code)
            .await?;
        self.find_by_address(pool, target)
            .await?
            .ok_or(Error::UserNotFound)
    }
}
