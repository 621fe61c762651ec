//! The v3 authentication façade (`v3-wire.md` §5–§7): `/api/v3/*` as authing-node-sdk
//! 4.x's AuthenticationClient and the mini-program SDK 5.x call it.
//!
//! Every handler takes an [`call::AuthCall`] — the pool and application the request names,
//! the user token or client credentials it presents, its language and parameters — calls
//! one core service and shapes the answer in the v3 envelope. A sign-in is the one core
//! login; its tokens are the OpenID Provider's (`Core::oidc_tokens_for_event`), so
//! `/oidc/token` refreshes them and `/oidc/token/revocation` ends them.

mod account;
mod alipay;
mod call;
mod captcha;
mod codes;
mod devices;
mod douyin;
mod ext_idp_link;
mod fastpass;
mod mfa;
mod mfa_token;
mod mine;
mod mobile;
pub(super) mod password;
mod permissions;
mod profile;
mod public_accounts;
mod push;
mod qrcode;
mod signin;
mod system;
mod webauthn;
mod wechat;
mod wechat_mobile;

use axum::Router;

pub(super) use call::AuthCall;
pub(super) use wechat::access_token_dto as wechat_access_token_dto;

use crate::AppState;

/// Every v3 authentication route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(system::routes())
        .merge(signin::routes())
        .merge(captcha::routes())
        .merge(codes::routes())
        .merge(profile::routes())
        .merge(mfa::routes())
        .merge(mfa_token::routes())
        .merge(push::routes())
        .merge(qrcode::routes())
        .merge(fastpass::routes())
        .merge(account::routes())
        .merge(mine::routes())
        .merge(permissions::routes())
        .merge(mobile::routes())
        .merge(wechat::routes())
        .merge(wechat_mobile::routes())
        .merge(douyin::routes())
        .merge(alipay::routes())
        .merge(ext_idp_link::routes())
        .merge(webauthn::routes())
        .merge(devices::routes())
        .merge(public_accounts::routes())
}
