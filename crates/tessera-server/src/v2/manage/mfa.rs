//! `mc.mfa` (`v2-wire.md` §6.11): a user's bound factors, unbinding one, TOTP import.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;
use tessera_core::clock::iso8601;
use tessera_core::model::tenant::MfaType;
use tessera_core::Error;

use super::super::args::{opt_str, req_str};
use super::{body, done, first, query_pairs, Admin, Reply};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v2/users/{id}/mfa-bound", get(status).delete(unbind))
        .route("/api/v2/mfa/totp/import", post(import_totp))
}

async fn status(admin: Admin, Path(id): Path<String>) -> Reply {
    admin
        .reply(async {
            let s = admin.core().mfa_status(&admin.pool, &id).await?;
            Ok(done(admin.lang(), json!({ "OTP": s.otp, "FACE": s.face })))
        })
        .await
}

async fn unbind(admin: Admin, Path(id): Path<String>, RawQuery(q): RawQuery) -> Reply {
    admin
        .reply(async {
            let pairs = query_pairs(&q)?;
            let raw = first(&pairs, "type").ok_or(Error::MissingParameter("type"))?;
            let kind = MfaType::parse(raw).ok_or(Error::InvalidParameter("type"))?;
            admin.core().unbind_mfa(&admin.pool, &id, kind).await?;
            Ok(done(admin.lang(), true))
        })
        .await
}

/// Answers `ISetTotpResp`, which echoes the imported secret and recovery code (the SDK's
/// own test reads them back).
async fn import_totp(admin: Admin, bytes: Bytes) -> Reply {
    admin
        .reply(async {
            let b = body(&bytes)?;
            let user_id = req_str(&b, "userId")?;
            let secret = req_str(&b, "secret")?;
            let recovery = opt_str(&b, "recoveryCode")?;
            let f = admin
                .core()
                .import_totp(&admin.pool, &user_id, &secret, recovery.as_deref())
                .await?;
            Ok(done(
                admin.lang(),
                json!({
                    "id": f.id,
                    "userId": f.user_id,
                    "enable": f.enabled,
                    "secret": f.secret,
                    "authenticatorType": "totp",
                    "recoveryCode": f.recovery,
                    "createdAt": iso8601(f.created_at),
                    "updatedAt": iso8601(f.created_at),
                }),
            ))
        })
        .await
}
