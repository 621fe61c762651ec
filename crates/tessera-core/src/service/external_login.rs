//! The user an external identity provider's answer logs in (WeChat and Douyin mini-programs,
//! WeChat mobile apps, the Alipay app): the one linked to the identity, else the one with the
//! phone number the provider vouched for (then linked), else a new user registered with the
//! identity linked — or, for a login the core already tied to a user (`ExternalTarget`,
//! `wechat_mobile.rs`), that user or a new one. It is one step of
//! [`Core::authenticate`] (`Credential::External`), so every other login rule applies as to
//! a password or a code.
//!
//! An [`ExternalLogin`] can only be built inside the core, after the core itself asked the
//! provider: a façade cannot claim an identity.

use super::risk::IpStanding;
use super::users::{prepare_linked_user, LoginContext, NewUser};
use super::Core;
use crate::clock;
use crate::error::{Error, Result, UniqueField};
use crate::ids;
use crate::model::audit::UserEvent;
use crate::model::risk::Limit;
use crate::model::{Application, ExternalIdentity, Profile, User, UserPool};
use crate::store::{UserChange, UserField, UserLookup};

/// A phone number the provider vouched for, normalised as the pool stores numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VouchedPhone {
    /// `+86` style.
    pub country_code: String,
    pub number: String,
}

/// What a provider proved about the person logging in. Ids only, no secret.
#[derive(Debug, Clone)]
pub struct ExternalLogin {
    /// The identity's provider (`ExternalIdentity::provider`).
    pub(crate) provider: &'static str,
    /// The connection the login came through.
    pub(crate) connection_id: String,
    /// The person's id at the provider for this connection (a WeChat or Douyin openid, an
    /// Alipay user id).
    pub(crate) subject: String,
    /// An id shared across the provider's apps (a WeChat or Douyin unionid) and the provider
    /// name its identity is stored under, with no connection: one user per union id in a pool.
    pub(crate) union: Option<(&'static str, String)>,
    pub(crate) phone: Option<VouchedPhone>,
    /// What `registerSource` a user this login creates gets.
    pub(crate) register_source: &'static str,
    /// The provider's profile (nickname, avatar) for a user this login creates.
    pub(crate) profile: Profile,
    /// Which user the login is for.
    pub(crate) target: ExternalTarget,
    /// The subject names the person only within its connection (an `oidc` connection's
    /// issuer), so it is looked up there alone.
    pub(crate) per_connection: bool,
}

/// Which user an external login is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ExternalTarget {
    /// The user linked to the identity, else the one with the vouched phone; when there is
    /// none, a new user if `register`, else [`Error::UserNotFound`].
    Resolve { register: bool },
    /// A user the core proved in this request for an identity linked to nobody (an
    /// account-linking ticket spent with a code, a password, or a pick among the users the
    /// provider's own answer named); `by_secret` when a code or password proved it.
    Proven { user_id: String, by_secret: bool },
    /// A new user, for an identity linked to nobody.
    Register,
}

impl ExternalTarget {
    /// A login the user proved with a code or password of Tessera's goes through the MFA
    /// step as a login by that code or password would.
    pub(crate) fn proven_by_secret(&self) -> bool {
        matches!(
            self,
            ExternalTarget::Proven {
                by_secret: true,
                ..
            }
        )
    }
}

impl ExternalLogin {
    fn subject_identity(&self, pool_id: &str, user_id: &str) -> ExternalIdentity {
        let mut i = identity(pool_id, user_id, self.provider, &self.subject);
        i.connection_id = Some(self.connection_id.clone());
        i.openid = Some(self.subject.clone());
        i
    }

    fn union_identity(&self, pool_id: &str, user_id: &str) -> Option<ExternalIdentity> {
        self.union
            .as_ref()
            .map(|(provider, id)| identity(pool_id, user_id, provider, id))
    }
}

fn identity(pool_id: &str, user_id: &str, provider: &str, id: &str) -> ExternalIdentity {
    let now = clock::now_ms();
    ExternalIdentity {
        id: ids::new_id(),
        pool_id: pool_id.to_owned(),
        user_id: user_id.to_owned(),
        provider: provider.to_owned(),
        connection_id: None,
        user_id_in_idp: id.to_owned(),
        openid: None,
        is_social: true,
        user_info_in_idp: None,
        access_token: None,
        refresh_token: None,
        created_at: now,
        updated_at: now,
    }
}

/// The user an external login names, and the identities of the login to link to it once
/// the login's other rules let it through.
pub(crate) struct ExternalUser {
    pub user: User,
    pub newly_created: bool,
    pub links: Vec<ExternalIdentity>,
}

impl ExternalUser {
    fn found(user: User, links: Vec<ExternalIdentity>) -> ExternalUser {
        ExternalUser {
            user,
            newly_created: false,
            links,
        }
    }
}

/// Who the login's identities already name.
pub(crate) struct Linked {
    pub by_subject: Option<User>,
    pub by_union: Option<User>,
}

impl Linked {
    /// The user the identity names: the union id's (it names the person across the
    /// provider's apps, so it wins over an openid another app's login may have linked to
    /// someone else), else the subject's.
    pub(crate) fn user(&self) -> Option<&User> {
        self.by_union.as_ref().or(self.by_subject.as_ref())
    }
}

impl Core {
    pub(crate) async fn linked_users(
        &self,
        pool_id: &str,
        login: &ExternalLogin,
    ) -> Result<Linked> {
        let by_subject = if login.per_connection {
            self.store
                .find_user_by_conn_identity(
                    pool_id,
                    login.provider,
                    &login.connection_id,
                    &login.subject,
                )
                .await?
        } else {
            self.store
                .find_user_by_identity(pool_id, login.provider, &login.subject)
                .await?
        };
        let by_union = match &login.union {
            Some((provider, id)) => {
                self.store
                    .find_user_by_identity(pool_id, provider, id)
                    .await?
            }
            None => None,
        };
        Ok(Linked {
            by_subject,
            by_union,
        })
    }

    /// The identities of `login` not linked to anyone yet, for `user`.
    fn missing_links(
        &self,
        user: &User,
        login: &ExternalLogin,
        linked: &Linked,
    ) -> Vec<ExternalIdentity> {
        let mut links = Vec::new();
        if linked.by_subject.is_none() {
            links.push(login.subject_identity(&user.pool_id, &user.id));
        }
        if linked.by_union.is_none() {
            links.extend(login.union_identity(&user.pool_id, &user.id));
        }
        links
    }

    /// Links what is missing to a user the login found. A link another login made meanwhile
    /// (two first logins at once) is no failure: the identity is linked either way.
    pub(crate) async fn link_missing(&self, links: &[ExternalIdentity]) -> Result<()> {
        if links.is_empty() {
            return Ok(());
        }
        match self.store.insert_identities(links).await {
            Err(Error::AlreadyExists(UniqueField::ExternalId)) => Ok(()),
            other => other,
        }
    }

    /// The user `login` names: found (by identity or vouched phone, with the links still to
    /// make) or registered (linked in the same transaction). A refusal here writes nothing;
    /// the caller makes the links only once the login passed its other rules.
    pub(crate) async fn external_login_user(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        login: ExternalLogin,
        client: &LoginContext,
        ip: &IpStanding,
    ) -> Result<ExternalUser> {
        let linked = self.linked_users(&pool.id, &login).await?;
        match &login.target {
            ExternalTarget::Resolve { .. } => {}
            ExternalTarget::Proven { user_id, .. } => {
                // Linked meanwhile (another request spent another ticket of the person)
                // to someone else: not silently moved.
                for holder in [&linked.by_subject, &linked.by_union].into_iter().flatten() {
                    if &holder.id != user_id {
                        return Err(Error::IdentityLinkedElsewhere);
                    }
                }
                let user = self
                    .store
                    .find_user(&pool.id, UserLookup::Id(user_id))
                    .await?
                    .ok_or(Error::UserNotFound)?;
                self.refuse_listed_user(&pool.id, &user.id).await?;
                let links = self.missing_links(&user, &login, &linked);
                return Ok(ExternalUser::found(user, links));
            }
            ExternalTarget::Register => {
                if linked.user().is_some() {
                    return Err(Error::IdentityLinkedElsewhere);
                }
                return self.register_external(pool, app, &login, client, ip).await;
            }
        }
        if let Some(user) = linked.user().cloned() {
            self.refuse_listed_user(&pool.id, &user.id).await?;
            let links = self.missing_links(&user, &login, &linked);
            return Ok(ExternalUser::found(user, links));
        }
        if let Some(phone) = &login.phone {
            let lookup = UserLookup::Phone {
                country_code: &phone.country_code,
                number: &phone.number,
            };
            if let Some(user) = self.store.find_user(&pool.id, lookup).await? {
                self.refuse_listed_user(&pool.id, &user.id).await?;
                let links = self.missing_links(&user, &login, &linked);
                if user.phone_verified {
                    return Ok(ExternalUser::found(user, links));
                }
                // The provider proved the number: mark it verified, and nothing else.
                let change = UserChange::new().set(UserField::PhoneVerified(true));
                let user = self
                    .store
                    .change_user(&pool.id, &user.id, &change, clock::now_ms())
                    .await?
                    .ok_or(Error::ConcurrentChange)?;
                return Ok(ExternalUser::found(user, links));
            }
        }
        match login.target {
            ExternalTarget::Resolve { register: true } => {
                self.register_external(pool, app, &login, client, ip).await
            }
            _ => Err(Error::UserNotFound),
        }
    }

    /// A new user with the login's identities linked, in one transaction, under the pool's
    /// registration rules.
    async fn register_external(
        &self,
        pool: &UserPool,
        app: Option<&Application>,
        login: &ExternalLogin,
        client: &LoginContext,
        ip: &IpStanding,
    ) -> Result<ExternalUser> {
        if pool.settings.register_disabled {
            return Err(Error::RegisterDisabled);
        }
        ip.refuse(Limit::ForbidRegister)?;
        let mut new = NewUser {
            register_source: vec![login.register_source.to_owned()],
            profile: login.profile.clone(),
            ..NewUser::default()
        };
        if let Some(p) = &login.phone {
            self.check_whitelist(pool, app, None, None, Some((&p.country_code, &p.number)))
                .await?;
            new.phone = Some(p.number.clone());
            new.phone_country_code = Some(p.country_code.clone());
            new.phone_verified = true;
        }
        let mut user = prepare_linked_user(pool, new, clock::now_ms())?;
        user.openid = Some(login.subject.clone());
        user.unionid = login.union.as_ref().map(|(_, id)| id.clone());
        let mut links = vec![login.subject_identity(&pool.id, &user.id)];
        links.extend(login.union_identity(&pool.id, &user.id));
        // The user, its identities and the record of its registration are one unit of work,
        // as in `Core::register`.
        let action = self.user_action(&pool.id, &user.id, UserEvent::Register, client, true);
        let stored = user.clone();
        let written = self
            .pool_write(&pool.id, move |tx| {
                Box::pin(async move {
                    tx.insert_user_in_unit(&stored, &links).await?;
                    tx.insert_user_action_in_unit(&action).await
                })
            })
            .await;
        match written {
            Ok(()) => {}
            // Another first login of the same person registered it meanwhile: that user.
            Err(Error::AlreadyExists(UniqueField::ExternalId)) => {
                let again = self.linked_users(&pool.id, login).await?;
                let user = again
                    .by_union
                    .or(again.by_subject)
                    .ok_or(Error::ConcurrentChange)?;
                self.refuse_listed_user(&pool.id, &user.id).await?;
                return Ok(ExternalUser::found(user, Vec::new()));
            }
            Err(e) => return Err(e),
        }
        Ok(ExternalUser {
            user,
            newly_created: true,
            links: Vec::new(),
        })
    }

    /// Links `login`'s identities to `user` (a logged-in user binding the provider), refusing
    /// identities another user holds.
    pub(crate) async fn bind_external(&self, user: &User, login: &ExternalLogin) -> Result<()> {
        let linked = self.linked_users(&user.pool_id, login).await?;
        for holder in [&linked.by_subject, &linked.by_union].into_iter().flatten() {
            if holder.id != user.id {
                return Err(Error::IdentityLinkedElsewhere);
            }
        }
        let links = self.missing_links(user, login, &linked);
        if links.is_empty() {
            return Ok(());
        }
        match self.store.insert_identities(&links).await {
            // Linked to someone else between the read and the write.
            Err(Error::AlreadyExists(UniqueField::ExternalId)) => {
                Err(Error::IdentityLinkedElsewhere)
            }
            other => other,
        }
    }
}
