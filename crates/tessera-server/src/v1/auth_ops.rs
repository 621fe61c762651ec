//! Construction, login, registration and session checks of the legacy SDK
//! (`v1-legacy-wire.md` §5.2, §9): each maps its variables onto the one core login or
//! registration and shapes the answer as an `ExtendUser`.

use serde_json::{json, Map, Value};
use tessera_core::clock::iso8601;
use tessera_core::model::UserPool;
use tessera_core::service::authn::AuthEvent;
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::mfa_login::MfaProof;
use tessera_core::service::register::{RegisterOptions, Registration};
use tessera_core::service::users::LoginId;
use tessera_core::{Error, Result};

use super::args::{self, obj, opt_bool, opt_str, req_str};
use super::context::V1Ctx;
use super::user_json::{user_json, TokenOut};
use crate::authing::profile::ProfileInput;
use crate::authing::{errors, Lang};
use crate::graphql::Field;
use crate::v2::args::custom_data;

pub async fn resolve(ctx: &V1Ctx, f: &Field) -> Option<Result<Value>> {
    let a = &f.args;
    Some(match f.name.as_str() {
        "getClientWhenSdkInit" => init(ctx, a).await,
        "login" => login(ctx, a).await,
        "register" => register(ctx, a).await,
        "checkLoginStatus" => Ok(check_login_status(ctx, a).await),
        _ => return None,
    })
}

/// The pool's public settings, as `clientInfo` (§5.2: stored by the SDK as
/// `userPoolSettings`, read by nothing it calls).
fn client_info(pool: &UserPool) -> Value {
    json!({
        "_id": pool.id,
        "name": pool.name,
        "descriptions": pool.description,
        "jwtExpired": pool.settings.token_expires_after,
        "createdAt": iso8601(pool.created_at),
        "isDeleted": false,
        "logo": pool.logo,
        "emailVerifiedDefault": pool.settings.email_verified_default,
        "registerDisabled": pool.settings.register_disabled,
        "showWXMPQRCode": false,
        "useMiniLogin": false,
        "allowedOrigins": pool.settings.allowed_origins,
        "clientType": null,
    })
}

/// `getClientWhenSdkInit(secret, clientId)`, sent at every construction (§5.2). With the
/// pool secret it buys the owner token: a management token of the pool, a JWT whose JSON
/// payload carries `exp`, which the SDK reads to know when to buy another. In accessToken
/// mode the secret is empty and the SDK sends the token it was given as Bearer: a valid
/// management token is echoed back (the SDK replaces its token with the answer, and a
/// different one would be a surprise), anything else is refused like a wrong secret.
async fn init(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let core = &ctx.state.core;
    let secret = opt_str(a, "secret")?.unwrap_or_default();
    let client_id = opt_str(a, "clientId")?;
    if secret.is_empty() {
        let admin = ctx.admin().await.map_err(|_| Error::Forbidden)?;
        let pool = ctx.pool(client_id.as_deref()).await?;
        if admin.pool_id() != pool.id {
            return Err(Error::Forbidden);
        }
        return Ok(json!({
            "accessToken": ctx.bearer,
            "clientInfo": client_info(&pool),
        }));
    }
    let pool_id = client_id
        .filter(|s| !s.is_empty())
        .ok_or(Error::MissingParameter("clientId"))?;
    let t = core.issue_management_token(&pool_id, &secret).await?;
    let pool = core.pool(&pool_id).await?;
    Ok(json!({ "accessToken": t.token, "clientInfo": client_info(&pool) }))
}

/// A logged-in or registered user, with a user token issued for the event when
/// `issue_token`. The token is the same as the v2 SDK's, so a 3.x login is a session the
/// 4.x SDK recognises and the other way round.
async fn event_json(
    ctx: &V1Ctx,
    pool: &UserPool,
    e: &AuthEvent,
    issue_token: bool,
) -> Result<Value> {
    let issued = match issue_token {
        true => Some(ctx.state.core.issue_v2_user_token(pool, None, e).await?),
        false => None,
    };
    Ok(user_json(
        &e.user,
        issued.as_ref().map(|t| TokenOut {
            token: &t.token,
            exp: t.exp,
        }),
    ))
}

/// `login(email | username | phone, password)` or `login(phone, phoneCode)` (§9; the code
/// arrives as an Int). `verifyCode` answers the captcha the pool demanded (2000/2001);
/// `lastIP` is the end user's address, believed only from the pool's backend.
async fn login(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let core = &ctx.state.core;
    let pool = ctx.pool(opt_str(a, "registerInClient")?.as_deref()).await?;
    let password = opt_str(a, "password")?.filter(|s| !s.is_empty());
    let credential = match (a.get("phoneCode"), password) {
        (Some(c), _) if !c.is_null() => Credential::PhoneCode {
            phone: req_str(a, "phone")?,
            country_code: None,
            code: args::code(a, "phoneCode", pool.settings.verify_code_length)?,
        },
        (_, Some(cipher)) => {
            let id = if let Some(email) = opt_str(a, "email")?.filter(|s| !s.is_empty()) {
                LoginId::Email(email)
            } else if let Some(name) = opt_str(a, "username")?.filter(|s| !s.is_empty()) {
                LoginId::Username(name)
            } else if let Some(phone) = opt_str(a, "phone")?.filter(|s| !s.is_empty()) {
                LoginId::Phone {
                    number: phone,
                    country_code: None,
                }
            } else {
                return Err(Error::MissingParameter("email"));
            };
            Credential::Password {
                id,
                password: core.decrypt_password(&cipher).await?,
            }
        }
        // A `unionid` alone (Authing's legacy social accounts) proves nothing: the id is
        // not a secret, so it cannot log anybody in.
        (_, None) => return Err(Error::MissingParameter("password")),
    };
    let mfa_code = opt_str(a, "MFACode")?.filter(|s| !s.is_empty());
    let opts = LoginOptions {
        auto_register: false,
        captcha_code: opt_str(a, "verifyCode")?.filter(|s| !s.is_empty()),
        captcha_token: None,
        client: ctx.client(&pool.id, opt_str(a, "lastIP")?).await,
        custom_data: custom_data(a)?,
        tenant_id: None,
    };
    // A user whose pool asks for a second factor gets 1635 (seed 002, login: "如果用户开启了
    // MFA 会要求输入 6 位动态口令"); the legacy SDK answers it by sending the same login
    // again with `MFACode`, the authenticator app's code, which completes the core's MFA
    // step in the same request.
    let e = match (
        core.authenticate(&pool, None, credential, opts).await,
        mfa_code,
    ) {
        (Err(Error::MfaRequired(challenge)), Some(code)) => {
            core.complete_mfa(&pool, None, &challenge.ticket, MfaProof::Totp(code))
                .await?
        }
        (result, _) => result?,
    };
    event_json(ctx, &pool, &e, true).await
}

/// `register(userInfo: {…})`: by email and password, username and password, or phone and
/// the code of `sendRegisterPhoneCode` (§9). Every other member of `userInfo` that is a
/// profile field goes to the profile; the rest (`lastLogin`, `signedUp`, `browser`…) are
/// the server's to record and are ignored. `forceLogin` counts a login and returns a token.
async fn register(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let core = &ctx.state.core;
    let info = obj(a, "userInfo")?;
    let pool = ctx
        .pool(opt_str(info, "registerInClient")?.as_deref())
        .await?;
    let client = ctx.client(&pool.id, opt_str(info, "lastIP")?).await;
    let ip = client.ip.as_deref();
    let some = |k: &'static str| -> Result<Option<String>> {
        Ok(opt_str(info, k)?.filter(|s| !s.is_empty()))
    };
    // Every argument is read before the password is decrypted: a malformed one is refused
    // without spending the client's decryption budget.
    let (email, username, phone) = (some("email")?, some("username")?, some("phone")?);
    let profile = serde_json::from_value::<ProfileInput>(Value::Object(info.clone()))
        .map_err(|_| Error::InvalidParameter("userInfo"))?;
    let force_login = opt_bool(info, "forceLogin")?;
    let custom_data = custom_data(info)?;
    let password = match some("password")? {
        Some(c) => Some(core.decrypt_new_password(&c, ip).await?),
        None => None,
    };
    let reg = match (email, username, phone, password) {
        (_, _, Some(phone), password) if info.get("phoneCode").is_some_and(|v| !v.is_null()) => {
            Registration::PhoneCode {
                phone,
                country_code: None,
                code: args::code(info, "phoneCode", pool.settings.verify_code_length)?,
                password,
            }
        }
        (Some(email), _, _, Some(password)) => Registration::Email { email, password },
        (None, Some(username), _, Some(password)) => Registration::Username { username, password },
        (None, None, Some(_), _) => return Err(Error::MissingParameter("phoneCode")),
        (_, _, _, None) => return Err(Error::MissingParameter("password")),
        (None, None, None, Some(_)) => return Err(Error::MissingParameter("email")),
    };
    let opts = RegisterOptions {
        profile: profile.into(),
        force_login,
        client,
        custom_data,
    };
    let e = core.register(&pool, None, reg, opts).await?;
    event_json(ctx, &pool, &e, force_login).await
}

fn status_message(lang: Lang, code: i64) -> &'static str {
    match (code, lang) {
        (200, Lang::ZhCn) => "已登录",
        (200, Lang::EnUs) => "Logged in",
        _ => "",
    }
}

/// `checkLoginStatus(token)` (§9): the SDK sends the user's token as the variable and as
/// Bearer. Failures are answers, not errors: 2020 without a token, 2206 for an expired
/// one, 2207 for any other token that is not a live session.
async fn check_login_status(ctx: &V1Ctx, a: &Map<String, Value>) -> Value {
    let token = match opt_str(a, "token") {
        Ok(Some(t)) if !t.is_empty() => Some(t),
        Ok(_) => ctx.bearer.clone(),
        Err(_) => Some(String::new()),
    };
    let fail = |e: Error| {
        json!({"status": false, "code": errors::code(&e), "message": errors::message(&e, ctx.lang),
               "token": null})
    };
    let Some(token) = token else {
        return fail(Error::NotLoggedIn);
    };
    // The Bearer is usually the same token, already verified for this request.
    let verified = match ctx.bearer.as_deref() == Some(token.as_str()) {
        true => ctx.session().await.cloned(),
        false => ctx.state.core.session(&token, None).await,
    };
    match verified {
        Ok(s) => {
            let (u, t) = (s.user(), s.subject());
            json!({
                "status": true,
                "code": 200,
                "message": status_message(ctx.lang, 200),
                "token": {
                    "data": {"email": u.email, "id": u.id, "clientId": u.pool_id,
                             "unionid": u.unionid, "phone": u.phone},
                    "iat": t.iat,
                    "exp": t.exp,
                },
            })
        }
        Err(e @ (Error::Internal(_) | Error::Storage(_) | Error::TokenExpired)) => fail(e),
        Err(_) => fail(Error::TokenInvalid),
    }
}
