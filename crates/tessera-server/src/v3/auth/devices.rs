//! The user's devices (`v3-wire.md` §5.6 Profile & account: `list`, `unbind`, `revoke`):
//! where the session's user is signed in, and signing a device out. A device is what a
//! sign-in's tokens were issued to (`service/devices.rs` says how it is told apart); the
//! core answers only about the session's own user, so another user's device id is refused
//! as unknown (404), like a made-up one.

use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};
use tessera_core::clock::iso8601;
use tessera_core::service::paging::Page;
use tessera_core::store::devices::{Device, DeviceType};

use super::super::envelope::{done, ok, Reply};
use super::call::AuthCall;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/mydevices/list", get(list))
        .route("/api/v3/mydevices/unbind", post(unbind))
        .route("/api/v3/mydevices/revoke-session", post(revoke))
}

/// `DeviceInfo`. `version` is the system's version (the SDK's "系统版本"), `mod` the
/// hardware model where the user agent names one. Every listed device is `activated`:
/// Tessera has no suspended or deactivated devices.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DeviceInfo<'a> {
    device_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "mod", skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    os: Option<&'a str>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<&'a str>,
}

/// `TerminalSessionDto`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TerminalSession<'a> {
    device: DeviceInfo<'a>,
    last_login_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_ip: Option<&'a str>,
    online: bool,
}

fn wire_type(t: DeviceType) -> &'static str {
    match t {
        DeviceType::Browser => "Browser",
        DeviceType::Mobile => "Mobile",
        DeviceType::Desktop => "Desktop",
    }
}

fn terminal_session(d: &Device) -> TerminalSession<'_> {
    TerminalSession {
        device: DeviceInfo {
            device_id: &d.device_id,
            name: d.name.as_deref(),
            version: d.os_version.as_deref(),
            kind: wire_type(d.device_type),
            model: d.model.as_deref(),
            os: d.os.as_deref(),
            status: "activated",
            user_agent: d.user_agent.as_deref(),
        },
        last_login_time: iso8601(d.last_login_at),
        last_ip: d.last_ip.as_deref(),
        online: d.online,
    }
}

#[derive(Deserialize)]
struct ListArgs {
    page: Option<i64>,
    limit: Option<i64>,
}

/// `TerminalSessionDto[]`: one page (the SDK's `page` and `limit`, at most 50), latest
/// sign-in first. The wire answers the page's array alone, without a total.
async fn list(call: AuthCall) -> Reply {
    let r: ListArgs = call.args()?;
    let page = Page::new(r.page, r.limit).map_err(|e| call.fail(e))?;
    let s = call.session().await?;
    let devices = call
        .core()
        .my_devices(&s, page)
        .await
        .map_err(|e| call.fail(e))?;
    let list: Vec<TerminalSession<'_>> = devices.list.iter().map(terminal_session).collect();
    Ok(ok(call.lang, list))
}

/// `UnbindDeviceDto` and `RevokeDeviceSessionDto`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeviceArgs {
    #[serde(default)]
    device_id: String,
}

/// `revoke`: every token issued to the device ends; it stays listed, offline.
async fn revoke(call: AuthCall) -> Reply {
    let r: DeviceArgs = call.args()?;
    let s = call.session().await?;
    call.core()
        .sign_out_my_device(&s, &r.device_id)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(done(call.lang))
}

/// `unbind`: as `revoke`, and the device leaves the list until it signs in again.
async fn unbind(call: AuthCall) -> Reply {
    let r: DeviceArgs = call.args()?;
    let s = call.session().await?;
    call.core()
        .forget_my_device(&s, &r.device_id)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(done(call.lang))
}
