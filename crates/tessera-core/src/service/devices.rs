//! The devices a user signed in from (`v3-wire.md` §5.6 Profile & account: `list`,
//! `unbind`, `revoke`): where the user is signed in, and signing a lost device out.
//!
//! A device is what a sign-in's token set was issued to: every grant that
//! [`Core::oidc_tokens_for_event`] issues (the v3 sign-in, passkey, QR-code and WeChat
//! logins) is recorded with the device of its login event, in the grant's own transaction.
//! The SDKs send no device id of their own (`SignInOptionsDto.context` is for pipelines, and
//! no header names a device), so the id is derived here: a digest of the pool, the user and
//! the normalised user agent (`rules::user_agent::normalise`: without version numbers, so a
//! browser update is the same device). It names a device only within its user's list, and
//! reveals nothing a caller does not already send. What the device is (type, name, OS,
//! model) is read coarsely from the user agent; its last login time and address are the
//! login event's.
//!
//! Signing a device out revokes every grant issued to it for this user — every access and
//! refresh token under them, the revocation the OpenID Provider applies to a replayed
//! refresh token — in one transaction with the device's row; forgetting it also deletes the
//! row, until it signs in again. Only the session's own user's devices are found: another
//! user's device id is as unknown as a made-up one.

use super::account::Session;
use super::paging::{Page, Paged};
use super::users::LoginContext;
use super::Core;
use crate::clock;
use crate::crypto::digest;
use crate::error::{Entity, Error, Result};
use crate::model::audit::UserEvent;
use crate::rules::user_agent::{self, MAX_USER_AGENT};
use crate::store::devices::{Device, DeviceEnd, DeviceSighting};

/// The SDK documents at most 50 devices a page (`list`'s `limit`).
pub const MAX_DEVICES_PAGE: i64 = 50;

/// The longest device id accepted: ours are 64 hex digits.
const MAX_DEVICE_ID: usize = 128;

/// The device id of a user agent for a user of a pool.
pub fn device_id(pool_id: &str, user_id: &str, user_agent: Option<&str>) -> String {
    // Newline-separated: none of the parts holds one (ids are ours, the normalised agent has
    // its blanks collapsed), so two different triples cannot give the same text.
    digest(&format!(
        "device\n{pool_id}\n{user_id}\n{}",
        user_agent::normalise(user_agent)
    ))
}

/// The device a login event's client was, as a grant issued to it records it.
pub(crate) fn sighting(
    pool_id: &str,
    user_id: &str,
    client: &LoginContext,
    at: i64,
) -> DeviceSighting {
    let ua = client
        .browser
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let info = user_agent::parse(ua);
    DeviceSighting {
        pool_id: pool_id.to_owned(),
        user_id: user_id.to_owned(),
        device_id: device_id(pool_id, user_id, ua),
        device_type: info.device_type,
        name: info.name,
        os: info.os,
        os_version: info.os_version,
        model: info.model,
        user_agent: ua.map(|s| s.chars().take(MAX_USER_AGENT).collect()),
        at,
        ip: client.ip.clone(),
    }
}

fn checked_id(device_id: &str) -> Result<&str> {
    let id = device_id.trim();
    if id.is_empty() {
        return Err(Error::MissingParameter("deviceId"));
    }
    if id.len() > MAX_DEVICE_ID {
        return Err(Error::NotFound(Entity::Device));
    }
    Ok(id)
}

impl Core {
    /// `list`: the session user's devices, latest sign-in first, each online while it holds
    /// a live grant.
    pub async fn my_devices(&self, s: &Session, page: Page) -> Result<Paged<Device>> {
        if page.limit > MAX_DEVICES_PAGE {
            return Err(Error::InvalidParameter("limit"));
        }
        let user = s.user();
        self.store
            .user_devices(
                &s.pool().id,
                &user.id,
                clock::now_ms(),
                user.tokens_valid_after,
                page,
            )
            .await
    }

    /// `revoke`: signs the device out (every token issued to it ends); it stays listed.
    pub async fn sign_out_my_device(&self, s: &Session, device_id: &str) -> Result<()> {
        self.end_my_device(s, device_id, DeviceEnd::SignOut).await
    }

    /// `unbind`: signs the device out and forgets it until it signs in again.
    pub async fn forget_my_device(&self, s: &Session, device_id: &str) -> Result<()> {
        self.end_my_device(s, device_id, DeviceEnd::Forget).await
    }

    async fn end_my_device(&self, s: &Session, device_id: &str, end: DeviceEnd) -> Result<()> {
        let id = checked_id(device_id)?;
        let (pool, user) = (s.pool(), s.user());
        self.store
            .end_device(&pool.id, &user.id, id, end, clock::now_ms())
            .await?
            .ok_or(Error::NotFound(Entity::Device))?;
        // In the user action log as a logout, under the application the caller's token was
        // issued for (the device's own sessions are what ended).
        let client = LoginContext {
            app_id: s.subject().app_id.clone(),
            ..LoginContext::default()
        };
        self.record_user_action(&pool.id, &user.id, UserEvent::Logout, &client)
            .await
    }
}
