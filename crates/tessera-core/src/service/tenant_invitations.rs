//! Invitations to join a tenant (`v3-wire.md` "Tenants": `generateInviteTenantUserLink`,
//! `listInviteTennatUserRecords`, `sendInviteTenantUserEmail`).
//!
//! An administrator invites email addresses into a tenant, naming the application the
//! invitee is sent to (one the tenant uses). Each address gets its own invitation: a random
//! token kept only as its digest, bound to the pool, the tenant and that application, and
//! expiring after the validity the administrator chose (1 to [`MAX_VALIDITY_DAYS`] days). The
//! link carrying the token is handed out once — in the answer that creates it, or in the
//! email [`Core::invite_tenant_users`] sends — and leads to the hosted invitation page, where
//! the owner of the invited address signs in with the password of their account in the pool
//! ([`Core::accept_tenant_invitation`]): in one unit of work the invitation is used up and the
//! account becomes a member of the tenant through the tenants aggregate, so a link admits one
//! account once.

use super::login::{Credential, LoginOptions};
use super::paging::{Page, Paged};
use super::users::{LoginContext, LoginId};
use super::Core;
use crate::clock;
use crate::crypto;
use crate::error::{Entity, Error, Result};
use crate::model::tenant::{Tenant, TenantInvitation};
use crate::model::{Application, User, UserPool};
use crate::notify::{EmailMessage, InvitationEmail};
use crate::principal::PoolAdmin;
use crate::rules::identifiers;

/// The longest validity an administrator may give an invitation: a link in a mailbox is a
/// credential, so it does not live forever.
pub const MAX_VALIDITY_DAYS: i64 = 30;

/// The most addresses one call invites.
pub const MAX_INVITEES: usize = 50;

const DAY_MS: i64 = 86_400_000;

/// Where an invitation stands, as listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationState {
    Pending,
    Accepted,
    Expired,
}

impl InvitationState {
    pub fn of(inv: &TenantInvitation, now_ms: i64) -> InvitationState {
        if inv.accepted_at.is_some() {
            InvitationState::Accepted
        } else if inv.expires_at <= now_ms {
            InvitationState::Expired
        } else {
            InvitationState::Pending
        }
    }
}

/// An invitation just created, with the link that carries its token (never stored).
#[derive(Clone)]
pub struct IssuedInvitation {
    pub invitation: TenantInvitation,
    pub link: String,
}

/// What one call to [`Core::invite_tenant_users`] did: the invitations it created and the
/// addresses it refused, each with the reason.
pub struct InvitationBatch {
    pub issued: Vec<IssuedInvitation>,
    pub refused: Vec<(String, Error)>,
}

/// What the hosted invitation page shows before the invitee signs in.
pub struct InvitationView {
    pub invitation: TenantInvitation,
    pub tenant: Tenant,
    pub app: Application,
    pub state: InvitationState,
}

/// `validityTerm`: a whole number of days, 1 to [`MAX_VALIDITY_DAYS`] (the catalog types it
/// as a string and names no unit or values; Tessera reads days).
pub fn parse_validity_days(raw: &str) -> Result<i64> {
    let days: i64 = raw
        .trim()
        .parse()
        .map_err(|_| Error::InvalidParameter("validityTerm"))?;
    if !(1..=MAX_VALIDITY_DAYS).contains(&days) {
        return Err(Error::InvalidParameter("validityTerm"));
    }
    Ok(days)
}

impl Core {
    /// The hosted page's address for an invitation's token.
    fn invitation_link(&self, pool_id: &str, token: &str) -> String {
        format!(
            "{}/tenant-invitation?userpool_id={pool_id}&token={token}",
            self.public_url()
        )
    }

    /// `generateInviteTenantUserLink` (`send` false) and `sendInviteTenantUserEmail` (`send`
    /// true): one invitation per valid, distinct address, all created in one unit of work;
    /// an address that is not one is refused alone. With `send`, each invitee is emailed
    /// their link after the invitations are stored.
    pub async fn invite_tenant_users(
        &self,
        pool: &PoolAdmin,
        tenant_id: &str,
        app_id: &str,
        emails: &[String],
        validity_days: i64,
        send: bool,
    ) -> Result<InvitationBatch> {
        if !(1..=MAX_VALIDITY_DAYS).contains(&validity_days) {
            return Err(Error::InvalidParameter("validityTerm"));
        }
        if emails.is_empty() {
            return Err(Error::MissingParameter("emails"));
        }
        if emails.len() > MAX_INVITEES {
            return Err(Error::InvalidParameter("emails"));
        }
        let tenant = self
            .store
            .get_tenant(&pool.id, tenant_id)
            .await?
            .ok_or(Error::NotFound(Entity::Tenant))?;
        let app = self.store.app_with_config(&pool.id, app_id).await?;
        if app.is_none() {
            return Err(Error::AppNotFound);
        }
        // The invitee is sent to this application as a member of the tenant: it must be one
        // the tenant uses.
        if !tenant.app_ids.iter().any(|a| a == app_id) {
            return Err(Error::InvalidParameter("appId"));
        }
        let mut refused = Vec::new();
        let mut addresses: Vec<(String, String)> = Vec::new();
        for raw in emails {
            match identifiers::email(raw) {
                Ok((address, key)) => {
                    if !addresses.iter().any(|(_, k)| *k == key) {
                        addresses.push((address, key));
                    }
                }
                Err(e) => refused.push((raw.clone(), e)),
            }
        }
        let now = clock::now_ms();
        let expires_at = now + validity_days * DAY_MS;
        let mut pending = Vec::with_capacity(addresses.len());
        for (address, _) in addresses {
            let token = crate::ids::new_url_token(32);
            let invitation = TenantInvitation {
                pool_id: pool.id.clone(),
                record_id: 0,
                tenant_id: tenant.id.clone(),
                app_id: app_id.to_owned(),
                email: address,
                token_hash: crypto::digest(&token),
                expires_at,
                created_at: now,
                accepted_at: None,
                accepted_by: None,
            };
            pending.push((invitation, token));
        }
        let rows: Vec<TenantInvitation> = pending.iter().map(|(i, _)| i.clone()).collect();
        let pool_id = pool.id.clone();
        let numbered = self
            .pool_write(&pool.id, move |tx| {
                Box::pin(async move {
                    let mut next = tx.last_invitation_record_id(&pool_id).await?;
                    let mut stored = Vec::with_capacity(rows.len());
                    for mut row in rows {
                        next += 1;
                        row.record_id = next;
                        tx.insert_tenant_invitation(&row).await?;
                        stored.push(row);
                    }
                    Ok(stored)
                })
            })
            .await?;
        let issued: Vec<IssuedInvitation> = numbered
            .into_iter()
            .zip(pending)
            .map(|(invitation, (_, token))| IssuedInvitation {
                link: self.invitation_link(&invitation.pool_id, &token),
                invitation,
            })
            .collect();
        if send {
            let pool_row = self.pool(&pool.id).await?;
            for inv in &issued {
                self.send_invitation_email(&pool_row, &tenant, inv, validity_days)
                    .await?;
            }
        }
        Ok(InvitationBatch { issued, refused })
    }

    async fn send_invitation_email(
        &self,
        pool: &UserPool,
        tenant: &Tenant,
        inv: &IssuedInvitation,
        validity_days: i64,
    ) -> Result<()> {
        self.notifier
            .send_email(&EmailMessage {
                pool_id: pool.id.clone(),
                to: inv.invitation.email.clone(),
                code: String::new(),
                valid_minutes: validity_days * 24 * 60,
                scene: crate::notify::TENANT_INVITATION_SCENE.to_owned(),
                route: crate::service::pool_admin::email_route(pool),
                custom: None,
                invitation: Some(InvitationEmail {
                    link: inv.link.clone(),
                    tenant_name: tenant.name.clone(),
                    valid_days: validity_days,
                }),
                notice: None,
                import_notice: None,
            })
            .await
    }

    /// `listInviteTennatUserRecords`: the pool's invitations whose address contains
    /// `keyword`, newest first.
    pub async fn tenant_invitations(
        &self,
        pool: &PoolAdmin,
        keyword: Option<&str>,
        page: Page,
    ) -> Result<Paged<TenantInvitation>> {
        self.store.tenant_invitations(&pool.id, keyword, page).await
    }

    async fn invitation_by_token(&self, pool_id: &str, token: &str) -> Result<TenantInvitation> {
        let token = token.trim();
        if token.is_empty() {
            return Err(Error::MissingParameter("token"));
        }
        self.store
            .tenant_invitation_by_token(pool_id, &crypto::digest(token))
            .await?
            .ok_or(Error::TokenInvalid)
    }

    /// What the hosted page shows for a link: the invitation, its tenant and application,
    /// and whether it can still be accepted. An unknown token is [`Error::TokenInvalid`].
    pub async fn tenant_invitation_view(
        &self,
        pool_id: &str,
        token: &str,
    ) -> Result<InvitationView> {
        let invitation = self.invitation_by_token(pool_id, token).await?;
        let tenant = self
            .store
            .get_tenant(pool_id, &invitation.tenant_id)
            .await?
            .ok_or(Error::TokenInvalid)?;
        let (app, _) = self
            .store
            .app_with_config(pool_id, &invitation.app_id)
            .await?
            .ok_or(Error::TokenInvalid)?;
        let state = InvitationState::of(&invitation, clock::now_ms());
        Ok(InvitationView {
            invitation,
            tenant,
            app,
            state,
        })
    }

    /// Accepts an invitation for the account of the invited address, proved with its
    /// password through the one core login (through the invitation's application, so every
    /// login rule applies: blocked accounts, risk lists, the MFA step — a user asked for a
    /// second factor is refused with [`Error::MfaRequired`] here, having no second step on
    /// this page). Then, in one unit of work, the invitation is used up (if still pending and
    /// unexpired) and the account made a member of the tenant; a used invitation is
    /// [`Error::TokenInvalid`], an expired one [`Error::TokenExpired`].
    pub async fn accept_tenant_invitation(
        &self,
        pool_id: &str,
        token: &str,
        password: &str,
        client: LoginContext,
    ) -> Result<(User, Tenant)> {
        let view = self.tenant_invitation_view(pool_id, token).await?;
        match view.state {
            InvitationState::Accepted => return Err(Error::TokenInvalid),
            InvitationState::Expired => return Err(Error::TokenExpired),
            InvitationState::Pending => {}
        }
        if password.is_empty() {
            return Err(Error::MissingParameter("password"));
        }
        // Accepting is joining a tenant by oneself: not while the pool switched that off.
        self.refuse_tenant_join(pool_id).await?;
        let pool = self.pool(pool_id).await?;
        let event = self
            .authenticate(
                &pool,
                Some(&view.app),
                Credential::Password {
                    id: LoginId::Email(view.invitation.email.clone()),
                    password: password.to_owned(),
                },
                LoginOptions {
                    client,
                    ..LoginOptions::default()
                },
            )
            .await?;
        let user = event.user;
        let (pool_id, token_hash, tenant_id, user_id) = (
            pool.id.clone(),
            view.invitation.token_hash.clone(),
            view.tenant.id.clone(),
            user.id.clone(),
        );
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move {
                let at = clock::now_ms();
                if !tx
                    .accept_tenant_invitation(&pool_id, &token_hash, &user_id, at)
                    .await?
                {
                    return Err(Error::TokenInvalid);
                }
                if tx.tenant(&pool_id, &tenant_id).await?.is_none() {
                    return Err(Error::NotFound(Entity::Tenant));
                }
                tx.add_tenant_member(&pool_id, &tenant_id, &user_id, at)
                    .await
            })
        })
        .await?;
        Ok((user, view.tenant))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_is_whole_days_within_the_limit() {
        assert_eq!(parse_validity_days(" 7 ").unwrap(), 7);
        assert_eq!(parse_validity_days("30").unwrap(), 30);
        for bad in ["0", "31", "-1", "7d", "PERMANENT", ""] {
            assert!(parse_validity_days(bad).is_err(), "{bad}");
        }
    }
}
