//! Public (shared) accounts from the personal user's side (`v3-wire.md` §5.6):
//! `switchLoginByUser` (`POST /api/v3/switch-login-by-user`), a login into a public account
//! bound to the session's user through the one core login (`Core::switch_login`), answered
//! with the OpenID Provider's token set for the application as a sign-in is; and
//! `listPublicAccountsForSwitchLoggedIn` (`GET /api/v3/get-user-select-login-public-accounts`).

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::model::User;
use tessera_core::Error;

use super::super::envelope::{ok, Reply};
use super::call::AuthCall;
use super::signin::LoginTokens;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/switch-login-by-user", post(switch))
        .route(
            "/api/v3/get-user-select-login-public-accounts",
            get(switchable),
        )
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SwitchOptions {
    scope: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SwitchRequest {
    target_user_id: Option<String>,
    options: Option<SwitchOptions>,
}

async fn switch(call: AuthCall) -> Reply {
    let req: SwitchRequest = call.args()?;
    let target = req
        .target_user_id
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| call.fail(Error::MissingParameter("targetUserId")))?;
    let app = call.app()?.clone();
    let session = call.session().await?;
    let core = call.core();
    let client = call.login_context(None, false);
    let event = core
        .switch_login(&session, &app, &target, client)
        .await
        .map_err(|e| call.fail(e))?;
    let scope = req.options.unwrap_or_default().scope;
    let tokens = core
        .oidc_tokens_for_event(session.pool(), &app, &event, scope.as_deref())
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, LoginTokens::from(tokens)))
}

/// `ListPublicAccountDataDto`: `usertype` "1" for a personal user, "2" for a public account.
fn account_dto(u: &User) -> Value {
    let p = &u.profile;
    let display = [&p.name, &p.nickname, &u.username, &u.email, &u.phone]
        .into_iter()
        .find_map(|v| v.as_deref().filter(|s| !s.is_empty()))
        .unwrap_or(&u.id);
    json!({
        "userId": u.id,
        "avatar": p.photo,
        "displayName": display,
        "usertype": if u.public_account { "2" } else { "1" },
    })
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Switchable {
    #[serde(default)]
    with_origin_user: bool,
}

/// The OpenAPI declares `data` as a list of `GetUserSelectLoginPublicAccountsDataDto`; it
/// holds one, the session user's.
async fn switchable(call: AuthCall) -> Reply {
    let req: Switchable = call.args()?;
    let session = call.session().await?;
    let accounts = call
        .core()
        .switchable_public_accounts(&session)
        .await
        .map_err(|e| call.fail(e))?;
    let mut item = json!({
        "publicAccounts": accounts.iter().map(account_dto).collect::<Vec<_>>(),
    });
    if req.with_origin_user {
        item["originUser"] = account_dto(session.user());
    }
    Ok(ok(call.lang, json!([item])))
}
