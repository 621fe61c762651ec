//! The REST calls of the legacy SDK (`v1-legacy-wire.md` §2, §5.3, §10.6): the two SMS
//! sends, at the base the SDK derives from `host.user` by removing `/graphql`, and the
//! preflight probe.
//!
//! The SDK reads these with a bare `axios.get`: any status other than 2xx rejects without
//! the body, and on a 2xx it rejects with `Error(JSON.stringify(body))` unless
//! `body.code === 200`. So every answer, failures included, is HTTP 200 with the Authing
//! code and message in the body (the v2 envelope, whose `data` the SDK ignores), never a
//! plain-text 4xx.

use axum::extract::rejection::PathRejection;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tessera_core::{Error, Result};

use super::context::V1Ctx;
use crate::envelope::{ok, V2Error};
use crate::AppState;

/// Longer than any phone number with its country code, in any spelling.
const MAX_PHONE: usize = 32;
/// Longer than any pool id Tessera issues.
const MAX_POOL_ID: usize = 64;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/send_smscode/{phone}/{pool_id}", get(send_login_code))
        .route(
            "/notification/send_register_smscode/{phone}/{pool_id}",
            get(send_register_code),
        )
        .route("/system/status", get(status))
}

/// `GET /system/status`, the `preflight: true` probe (§5.3): only a 2xx status matters.
async fn status() -> Response {
    Json(json!({ "code": 200 })).into_response()
}

/// `getVerificationCode(phone)` (seed 002 发送手机验证码): a code without a scene, which is
/// what the legacy API used one code for — `loginByPhoneCode`, `verifyPhoneCode` and both
/// numbers of `updatePhone`.
async fn send_login_code(
    ctx: V1Ctx,
    path: std::result::Result<Path<(String, String)>, PathRejection>,
) -> Response {
    send(ctx, path, None).await
}

/// `sendRegisterPhoneCode(phone)` (seed 002 使用手机号注册): a code for registration.
async fn send_register_code(
    ctx: V1Ctx,
    path: std::result::Result<Path<(String, String)>, PathRejection>,
) -> Response {
    send(ctx, path, Some("register")).await
}

/// The phone and pool of the path, bounded: a segment that does not decode or is longer
/// than any real value is 2231, before anything is looked up.
fn segments(
    path: std::result::Result<Path<(String, String)>, PathRejection>,
) -> Result<(String, String)> {
    let Path((phone, pool_id)) = path.map_err(|_| Error::InvalidParameter("path"))?;
    let (phone, pool_id) = (phone.trim().to_owned(), pool_id.trim().to_owned());
    if phone.is_empty() || phone.len() > MAX_PHONE {
        return Err(Error::InvalidParameter("phone"));
    }
    if pool_id.is_empty() || pool_id.len() > MAX_POOL_ID {
        return Err(Error::InvalidParameter("userPoolId"));
    }
    Ok((phone, pool_id))
}

async fn send(
    ctx: V1Ctx,
    path: std::result::Result<Path<(String, String)>, PathRejection>,
    scene: Option<&str>,
) -> Response {
    let sent: Result<()> = async {
        let (phone, pool_id) = segments(path)?;
        // The SDK sends no token here; if a caller does, it must be of this pool.
        let pool = ctx.pool(Some(&pool_id)).await?;
        ctx.state
            .core
            .send_sms_code(&pool, &phone, None, scene)
            .await
    }
    .await;
    match sent {
        Ok(()) => ok(ctx.lang.pick("发送成功", "Sent"), serde_json::Value::Null),
        Err(e) => V2Error(e, ctx.lang).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(phone: &str, pool: &str) -> std::result::Result<Path<(String, String)>, PathRejection> {
        Ok(Path((phone.to_owned(), pool.to_owned())))
    }

    #[test]
    fn path_segments_are_bounded_before_any_lookup() {
        assert_eq!(
            segments(path(" 13800138000 ", "pool1")).unwrap(),
            ("13800138000".to_owned(), "pool1".to_owned())
        );
        let long_phone = "1".repeat(MAX_PHONE + 1);
        let long_pool = "p".repeat(MAX_POOL_ID + 1);
        assert!(matches!(
            segments(path(&long_phone, "pool1")),
            Err(Error::InvalidParameter("phone"))
        ));
        assert!(matches!(
            segments(path("  ", "pool1")),
            Err(Error::InvalidParameter("phone"))
        ));
        assert!(matches!(
            segments(path("13800138000", &long_pool)),
            Err(Error::InvalidParameter("userPoolId"))
        ));
    }
}
