//! `ac.mfa` (`v2-wire.md` §3.5, §5.6): completing a login stopped at the MFA step, and the
//! logged-in user's TOTP authenticator.
//!
//! A login that needs a second factor fails with 1635 and `data.mfaToken` (the core's MFA
//! ticket, `tessera_core::service::mfa_login`). The SDK then sends the ticket as the Bearer
//! token of one of the `verify` routes here, which hand it with the proof to
//! `Core::complete_mfa` and answer the User with its token, as a login does. The SMS and
//! email routes name a phone or address; the core checks the code against the factor's own
//! phone or address only, so naming another one (to which a code could be sent by anyone)
//! proves nothing. The authenticator routes take the user token and call the core's
//! enrollment (`mfa_factors`), the v2 confirmation finding the user's pending enrollment
//! since the SDK sends no enrollment token (and, by an SDK bug, not the mfaToken either).

use axum::body::Bytes;
use axum::extract::Query;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::tenant::MfaType;
use tessera_core::service::mfa_factors::{FactorKind, FactorProfile};
use tessera_core::service::mfa_login::MfaProof;
use tessera_core::{Error, Result};

use super::args::{opt_str, req_str};
use super::auth_rest::{body, reply, text, Reply};
use super::context::V2Ctx;
use super::user_json::authenticated_json;
use crate::envelope::ok;
use crate::{qr, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/mfa/totp/verify", post(verify_totp))
        .route("/api/v2/mfa/totp/recovery", post(verify_recovery))
        .route("/api/v2/applications/mfa/sms/verify", post(verify_sms))
        .route("/api/v2/applications/mfa/email/verify", post(verify_email))
        .route("/api/v2/mfa/authenticator", get(authenticators))
        .route(
            "/api/v2/mfa/totp/associate",
            post(associate).delete(dissociate),
        )
        .route("/api/v2/mfa/totp/associate/confirm", post(confirm))
}

/// Completes the login whose ticket is the Bearer token with `proof`: the User with a v2
/// token, as a login answers.
async fn complete(ctx: &V2Ctx, proof: MfaProof) -> Result<axum::response::Response> {
    let pool = ctx.pool()?;
    let ticket = ctx.bearer.as_deref().ok_or(Error::NotLoggedIn)?;
    let core = &ctx.state.core;
    let event = core.complete_mfa(pool, ctx.app(), ticket, proof).await?;
    Ok(ok(
        text(ctx.lang, "登录成功", "Logged in"),
        authenticated_json(core, pool, ctx.app(), &event, true, true).await?,
    ))
}

async fn verify_totp(ctx: V2Ctx, bytes: Bytes) -> Reply {
    reply(&ctx, async {
        let b = body(&bytes)?;
        complete(&ctx, MfaProof::Totp(req_str(&b, "totp")?)).await
    })
    .await
}

async fn verify_recovery(ctx: V2Ctx, bytes: Bytes) -> Reply {
    reply(&ctx, async {
        let b = body(&bytes)?;
        complete(&ctx, MfaProof::RecoveryCode(req_str(&b, "recoveryCode")?)).await
    })
    .await
}

async fn verify_sms(ctx: V2Ctx, bytes: Bytes) -> Reply {
    reply(&ctx, async {
        let b = body(&bytes)?;
        // Read (so a wrong type is refused) but not trusted: see the module comment.
        opt_str(&b, "phone")?;
        opt_str(&b, "phoneCountryCode")?;
        complete(&ctx, MfaProof::SmsCode(req_str(&b, "code")?)).await
    })
    .await
}

async fn verify_email(ctx: V2Ctx, bytes: Bytes) -> Reply {
    reply(&ctx, async {
        let b = body(&bytes)?;
        opt_str(&b, "email")?;
        complete(&ctx, MfaProof::EmailCode(req_str(&b, "code")?)).await
    })
    .await
}

#[derive(Deserialize)]
struct AuthenticatorQuery {
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// Only `totp` authenticators exist (the SDK's only type).
fn totp_type(kind: Option<&str>) -> Result<()> {
    match kind.map(str::trim) {
        None | Some("") | Some("totp") => Ok(()),
        Some(_) => Err(Error::InvalidParameter("type")),
    }
}

/// `getMfaAuthenticators`: the user's TOTP factor, if any. The secret and recovery code
/// were shown once at enrollment and are never handed out again (Authing's answer carried
/// them; a stolen user token must not turn into the second factor).
async fn authenticators(ctx: V2Ctx, Query(q): Query<AuthenticatorQuery>) -> Reply {
    reply(&ctx, async {
        totp_type(q.kind.as_deref())?;
        let s = ctx.session().await?;
        let factors = ctx.state.core.list_enrolled_factors(s).await?;
        let list: Vec<Value> = factors
            .iter()
            .filter(|f| f.kind == MfaType::Otp)
            .map(|f| {
                json!({
                    "id": f.id,
                    "userId": s.user().id,
                    "enable": true,
                    "secret": null,
                    "authenticatorType": "totp",
                    "recoveryCode": null,
                    "createdAt": iso8601(f.created_at),
                    "updatedAt": iso8601(f.created_at),
                })
            })
            .collect();
        Ok(ok(
            text(ctx.lang, "获取成功", "Success"),
            Value::Array(list),
        ))
    })
    .await
}

/// The `secret` parameter of an `otpauth://` URI.
fn uri_secret(uri: &str) -> Option<&str> {
    let query = uri.split_once('?')?.1;
    query.split('&').find_map(|kv| kv.strip_prefix("secret="))
}

/// `assosicateMfaAuthenticator`: starts enrolling a TOTP factor; the secret, its URI and QR
/// code and the recovery code are shown this once.
async fn associate(ctx: V2Ctx, bytes: Bytes) -> Reply {
    reply(&ctx, async {
        let b = body(&bytes)?;
        totp_type(opt_str(&b, "authenticator_type")?.as_deref())?;
        let s = ctx.session().await?;
        let req = ctx
            .state
            .core
            .send_enroll_factor_request(s, FactorKind::Otp, &FactorProfile::default())
            .await?;
        let otp = req
            .otp
            .ok_or_else(|| Error::Internal("OTP enrollment without secret".into()))?;
        let image = qr::png_data_url(&otp.qr_code_uri).unwrap_or_default();
        Ok(ok(
            text(ctx.lang, "获取成功", "Success"),
            json!({
                "authenticator_type": "totp",
                "secret": uri_secret(&otp.qr_code_uri),
                "qrcode_uri": otp.qr_code_uri,
                "qrcode_data_url": image,
                "recovery_code": otp.recovery_code,
            }),
        ))
    })
    .await
}

/// `confirmAssosicateMfaAuthenticator`: proves the pending TOTP factor with a code.
async fn confirm(ctx: V2Ctx, bytes: Bytes) -> Reply {
    reply(&ctx, async {
        let b = body(&bytes)?;
        totp_type(opt_str(&b, "authenticator_type")?.as_deref())?;
        let totp = req_str(&b, "totp")?;
        let s = ctx.session().await?;
        ctx.state
            .core
            .enroll_pending_factor(s, FactorKind::Otp, &totp)
            .await?;
        Ok(ok(text(ctx.lang, "绑定成功", "Bound"), Value::Null))
    })
    .await
}

/// `deleteMfaAuthenticator`: removes the user's TOTP factor; none to remove is no error.
async fn dissociate(ctx: V2Ctx) -> Reply {
    reply(&ctx, async {
        let s = ctx.session().await?;
        let core = &ctx.state.core;
        for f in core.list_enrolled_factors(s).await? {
            if f.kind == MfaType::Otp {
                core.reset_factor(s, &f.id).await?;
            }
        }
        Ok(ok(text(ctx.lang, "解绑成功", "Unbound"), Value::Null))
    })
    .await
}
