//! The devices a user signed in from, and the grants issued to each ("my devices").
//!
//! A device is recorded when a grant is issued to a sign-in, in the same transaction as the
//! grant, so no grant of a recorded sign-in lacks its device and no device appears without
//! the grant that brought it. Whether a device is online is read from its grants.

use async_trait::async_trait;

use super::oidc::Grant;
use crate::error::Result;
use crate::service::paging::{Page, Paged};

/// What kind of device, coarsely, from its user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceType {
    /// A web browser on a desktop or laptop.
    Browser,
    /// A phone or tablet (its browser or an app).
    Mobile,
    /// A program that is no browser: a desktop app, a server, a script.
    Desktop,
}

impl DeviceType {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceType::Browser => "browser",
            DeviceType::Mobile => "mobile",
            DeviceType::Desktop => "desktop",
        }
    }

    pub fn parse(s: &str) -> Option<DeviceType> {
        Some(match s {
            "browser" => DeviceType::Browser,
            "mobile" => DeviceType::Mobile,
            "desktop" => DeviceType::Desktop,
            _ => return None,
        })
    }
}

/// A device as one sign-in saw it: who, which device, what it is, when and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSighting {
    pub pool_id: String,
    pub user_id: String,
    pub device_id: String,
    pub device_type: DeviceType,
    /// E.g. "Chrome on macOS", or the program's name.
    pub name: Option<String>,
    pub os: Option<String>,
    pub os_version: Option<String>,
    /// The hardware model where the user agent names one (iPhone, iPad).
    pub model: Option<String>,
    /// As received, bounded.
    pub user_agent: Option<String>,
    /// ms.
    pub at: i64,
    pub ip: Option<String>,
}

/// A recorded device of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub device_id: String,
    pub device_type: DeviceType,
    pub name: Option<String>,
    pub os: Option<String>,
    pub os_version: Option<String>,
    pub model: Option<String>,
    pub user_agent: Option<String>,
    /// ms.
    pub first_seen_at: i64,
    /// ms.
    pub last_login_at: i64,
    pub last_ip: Option<String>,
    /// ms: when the user last signed it out.
    pub signed_out_at: Option<i64>,
    /// Whether it holds a live grant: unrevoked, unexpired and issued after the user's
    /// sessions were last ended.
    pub online: bool,
}

/// What to do with a device's grants and its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceEnd {
    /// Revoke its grants; it stays listed, offline.
    SignOut,
    /// Revoke its grants and forget it.
    Forget,
}

#[async_trait]
pub trait DevicesStore: Send + Sync {
    /// In one transaction: records the sighting (a new device, or the known one's last
    /// login, address and description) and stores the grant as issued to that device.
    async fn insert_grant_on_device(&self, grant: &Grant, device: &DeviceSighting) -> Result<()>;

    /// The user's devices, latest sign-in first. A device is online when one of its grants is
    /// unrevoked, unexpired at `now` and authenticated after `live_after` (ms; the user's
    /// `tokens_valid_after`).
    async fn user_devices(
        &self,
        pool_id: &str,
        user_id: &str,
        now: i64,
        live_after: i64,
        page: Page,
    ) -> Result<Paged<Device>>;

    /// In one transaction: revokes every grant of the user's device (so every access and
    /// refresh token under them) and, per `end`, marks it signed out or forgets it. `None`
    /// when the user has no such device (nothing is written); else the number of grants
    /// this call revoked.
    async fn end_device(
        &self,
        pool_id: &str,
        user_id: &str,
        device_id: &str,
        end: DeviceEnd,
        at: i64,
    ) -> Result<Option<u64>>;
}
