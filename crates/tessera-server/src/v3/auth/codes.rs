//! Verification codes (`v3-wire.md` §5.3 "Verification codes"): `POST /api/v3/send-sms` and
//! `POST /api/v3/send-email`. A code is sent for a channel and accepted only by the flows of
//! that channel: each channel is the core's scene of the same purpose.

use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use tessera_core::Error;

use super::super::envelope::{done, Reply};
use super::call::AuthCall;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/send-sms", post(send_sms))
        .route("/api/v3/send-email", post(send_email))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendSms {
    channel: String,
    phone_number: String,
    phone_country_code: Option<String>,
}

/// The core's SMS scene for a v3 channel; `None` for a channel no flow here accepts a code
/// of (identity verification), which is refused rather than sending a useless code.
pub(super) fn sms_scene(channel: &str) -> Option<&'static str> {
    Some(match channel {
        "CHANNEL_LOGIN" => "login",
        "CHANNEL_REGISTER" => "register",
        "CHANNEL_RESET_PASSWORD" => "reset",
        "CHANNEL_BIND_PHONE" => "bind",
        "CHANNEL_UNBIND_PHONE" => "unbind",
        "CHANNEL_BIND_MFA" => "mfa-bind",
        "CHANNEL_VERIFY_MFA" => "mfa-verify",
        "CHANNEL_UNBIND_MFA" => "mfa-unbind",
        "CHANNEL_COMPLETE_PHONE" => "complete-phone",
        "CHANNEL_DELETE_ACCOUNT" => "delete-account",
        _ => return None,
    })
}

pub(super) fn email_scene(channel: &str) -> Option<&'static str> {
    Some(match channel {
        "CHANNEL_LOGIN" => "LOGIN_VERIFY_CODE",
        "CHANNEL_REGISTER" => "REGISTER_VERIFY_CODE",
        "CHANNEL_RESET_PASSWORD" => "RESET_PASSWORD_VERIFY_CODE",
        "CHANNEL_VERIFY_EMAIL_LINK" => "VERIFY_EMAIL",
        "CHANNEL_UPDATE_EMAIL" => "CHANGE_EMAIL",
        "CHANNEL_BIND_EMAIL" => "EMAIL_BIND_VERIFY_CODE",
        "CHANNEL_UNBIND_EMAIL" => "EMAIL_UNBIND_VERIFY_CODE",
        "CHANNEL_VERIFY_MFA" => "MFA_VERIFY_CODE",
        "CHANNEL_COMPLETE_EMAIL" => "INFORMATION_COMPLETION_VERIFY_CODE",
        "CHANNEL_DELETE_ACCOUNT" => "DELETE_ACCOUNT_VERIFY_CODE",
        _ => return None,
    })
}

async fn send_sms(call: AuthCall) -> Reply {
    let req: SendSms = call.args()?;
    let scene =
        sms_scene(&req.channel).ok_or_else(|| call.fail(Error::InvalidParameter("channel")))?;
    let pool = call.pool()?;
    call.core()
        .send_sms_code(
            pool,
            &req.phone_number,
            req.phone_country_code.as_deref(),
            Some(scene),
        )
        .await
        .map_err(|e| call.fail(e))?;
    Ok(done(call.lang))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendEmail {
    channel: String,
    email: String,
}

async fn send_email(call: AuthCall) -> Reply {
    let req: SendEmail = call.args()?;
    let scene =
        email_scene(&req.channel).ok_or_else(|| call.fail(Error::InvalidParameter("channel")))?;
    let pool = call.pool()?;
    call.core()
        .send_email_code(pool, &req.email, scene)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(done(call.lang))
}
