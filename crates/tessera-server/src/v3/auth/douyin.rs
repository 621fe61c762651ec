//! The Douyin mini-program calls (`v3-wire.md` §5.6 `decryptDouyinMiniProgramData`, §6.2
//! with `platform: 'tt'`): decrypting the mini-program's `encryptedData`, the phone number
//! sealed in a phone button's data, and binding Douyin to the signed-in user; each with a
//! fresh `tt.login` code, whose session key opens the data. The sign-in is `mobile.rs`.
//! Every rule is the core's (`Core::douyin_*`).

use axum::routing::post;
use axum::Router;

use super::super::envelope::{done, ok, Reply};
use super::call::AuthCall;
use super::wechat::{bind_args, phone_dto, SealedRequest};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/decrypt-douyin-miniprogram-data", post(decrypt))
        .route("/api/v3/decrypt-douyin-miniprogram-phone", post(phone))
        .route("/connections/social/douyin-miniprogram/bind", post(bind))
}

async fn decrypt(call: AuthCall) -> Reply {
    let req: SealedRequest = call.args()?;
    let data = call
        .core()
        .douyin_decrypt(
            call.pool()?,
            &req.ext_idp_connidentifier,
            &req.code,
            &req.encrypted_data,
            &req.iv,
        )
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, data))
}

/// `getPhone` on Douyin: the SDK reads `data.phone_info`, as for WeChat.
async fn phone(call: AuthCall) -> Reply {
    let req: SealedRequest = call.args()?;
    let p = call
        .core()
        .douyin_phone(
            call.pool()?,
            &req.ext_idp_connidentifier,
            &req.code,
            &req.encrypted_data,
            &req.iv,
        )
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, phone_dto(&p)))
}

/// `bindPlatformByCode` on Douyin: links the Douyin user of a fresh `tt.login` code to the
/// signed-in user.
async fn bind(call: AuthCall) -> Reply {
    let (s, id, code) = bind_args(&call).await?;
    call.core()
        .douyin_bind(&s, &id, &code)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(done(call.lang))
}
