//! GraphQL operations of the AuthenticationClient (`v2-wire.md` §5): each parses its
//! arguments, calls one core service and shapes the answer.

use serde_json::{json, Map, Value};
use tessera_core::model::User;
use tessera_core::service::account::{EmailChange, PhoneChange, Session};
use tessera_core::service::authn::AuthEvent;
use tessera_core::service::codes::CodeTarget;
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::register::{RegisterOptions, Registration};
use tessera_core::service::udf::{decode_wire_value, UdfTarget};
use tessera_core::service::users::{CreatedBy, LoginId};
use tessera_core::{Error, Result};

use super::args::{self, obj, opt_bool, opt_str, req_str};
use super::context::V2Ctx;
use super::user_json::{self, udv_json, user_json, TokenOut};
use crate::authing::{errors, Lang};
use crate::graphql::serve::Answer;
use crate::graphql::Field;

/// Resolves one root field, or `None` if it is not an AuthenticationClient operation.
///
/// The operations on every request's path (`user`, `checkLoginStatus`, `refreshToken`…) are
/// awaited in place; the others are boxed. An async function's future is as large as its
/// largest state, and the server copies a request's whole future when it boxes it: with a
/// login or a registration in place, every `checkLoginStatus` carried their kilobytes.
pub async fn resolve(ctx: &V2Ctx, f: &Field) -> Option<Result<Value>> {
    let a = &f.args;
    Some(match f.name.as_str() {
        "registerByEmail" | "registerByUsername" | "registerByPhoneCode" => {
            Box::pin(register(ctx, f)).await
        }
        "loginByEmail" | "loginByUsername" | "loginByPhonePassword" | "loginByPhoneCode" => {
            Box::pin(login(ctx, f)).await
        }
        "loginBySubAccount" => Box::pin(login_sub_account(ctx, f)).await,
        // `user` is answered by `current_user`, as an object written as selected
        // (`endpoint::resolve`).
        "checkLoginStatus" => Ok(check_login_status(ctx, a).await),
        "refreshToken" => refresh_token(ctx, a).await,
        "sendEmail" => Box::pin(send_email(ctx, a)).await,
        "checkPasswordStrength" => check_password_strength(ctx, a),
        "isUserExists" => is_user_exists(ctx, a).await,
        "udv" => Box::pin(udv(ctx, a, UdvOp::List)).await,
        "setUdv" => Box::pin(udv(ctx, a, UdvOp::Set)).await,
        "setUdvBatch" => Box::pin(udv(ctx, a, UdvOp::SetBatch)).await,
        "removeUdv" => Box::pin(udv(ctx, a, UdvOp::Remove)).await,
        "resetPassword" => Box::pin(reset_password(ctx, a)).await,
        "resetPasswordByFirstLoginToken" => Box::pin(reset_by_token(ctx, a, false)).await,
        "resetPasswordByForceResetToken" => Box::pin(reset_by_token(ctx, a, true)).await,
        "updateUser" => Box::pin(update_user(ctx, a)).await,
        "updatePassword" => Box::pin(update_password(ctx, a)).await,
        "bindPhone" | "unbindPhone" | "updatePhone" | "bindEmail" | "unbindEmail"
        | "updateEmail" => Box::pin(bindings(ctx, f)).await,
        _ => return None,
    })
}

fn message(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::ZhCn => zh.to_owned(),
        Lang::EnUs => en.to_owned(),
    }
}

fn common_message(lang: Lang, zh: &str, en: &str) -> Value {
    json!({ "code": 200, "message": message(lang, zh, en) })
}

/// A logged-in or registered user, with a v2 token when `issue_token` and custom data if the
/// document selects it.
async fn authenticated_json(
    ctx: &V2Ctx,
    a: &AuthEvent,
    issue_token: bool,
    f: &Field,
) -> Result<Value> {
    user_json::authenticated_json(
        &ctx.state.core,
        ctx.pool()?,
        ctx.app(),
        a,
        issue_token,
        f.child("customData").is_some(),
    )
    .await
}

async fn register(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let core = &ctx.state.core;
    let pool = ctx.pool()?;
    let input = obj(&f.args, "input")?;
    let client = ctx.client(opt_str(input, "clientIp")?).await;
    let ip = client.ip.as_deref();
    let reg = match f.name.as_str() {
        "registerByEmail" => Registration::Email {
            email: req_str(input, "email")?,
            password: args::new_password(core, input, "password", ip).await?,
        },
        "registerByUsername" => Registration::Username {
            username: req_str(input, "username")?,
            password: args::new_password(core, input, "password", ip).await?,
        },
        _ => Registration::PhoneCode {
            phone: req_str(input, "phone")?,
            country_code: opt_str(input, "phoneCountryCode")?,
            code: req_str(input, "code")?,
            password: args::opt_new_password(core, input, "password", ip).await?,
        },
    };
    // `forceLogin` counts a login and returns a token; `generateToken` only returns one.
    let force_login = opt_bool(input, "forceLogin")?;
    let issue_token = force_login || opt_bool(input, "generateToken")?;
    let opts = RegisterOptions {
        profile: args::profile(input)?,
        force_login,
        client,
        custom_data: args::custom_data(input)?,
    };
    let out = core.register(pool, ctx.app(), reg, opts).await?;
    authenticated_json(ctx, &out, issue_token, f).await
}

async fn login(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let core = &ctx.state.core;
    let pool = ctx.pool()?;
    let input = obj(&f.args, "input")?;
    let credential = match f.name.as_str() {
        "loginByPhoneCode" => Credential::PhoneCode {
            phone: req_str(input, "phone")?,
            country_code: opt_str(input, "phoneCountryCode")?,
            code: req_str(input, "code")?,
        },
        name => {
            let id = match name {
                "loginByEmail" => LoginId::Email(req_str(input, "email")?),
                "loginByUsername" => LoginId::Username(req_str(input, "username")?),
                _ => LoginId::Phone {
                    number: req_str(input, "phone")?,
                    country_code: opt_str(input, "phoneCountryCode")?,
                },
            };
            Credential::Password {
                id,
                password: args::password(core, input, "password").await?,
            }
        }
    };
    let opts = LoginOptions {
        auto_register: opt_bool(input, "autoRegister")?,
        captcha_code: opt_str(input, "captchaCode")?,
        captcha_token: None,
        client: ctx.client(opt_str(input, "clientIp")?).await,
        custom_data: args::custom_data(input)?,
        tenant_id: None,
    };
    let out = core.authenticate(pool, ctx.app(), credential, opts).await?;
    authenticated_json(ctx, &out, true, f).await
}

async fn login_sub_account(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let core = &ctx.state.core;
    let pool = ctx.pool()?;
    let a = &f.args;
    let credential = Credential::SubAccount {
        account: req_str(a, "account")?,
        password: args::password(core, a, "password").await?,
    };
    let opts = LoginOptions {
        captcha_code: opt_str(a, "captchaCode")?,
        client: ctx.client(opt_str(a, "clientIp")?).await,
        ..LoginOptions::default()
    };
    let out = core.authenticate(pool, ctx.app(), credential, opts).await?;
    authenticated_json(ctx, &out, true, f).await
}

/// `user` (the session's user, or the same user as a change left it), echoing the caller's
/// token (the SDK stores whatever comes back).
fn session_user_json(s: &Session, user: &User) -> Value {
    user_json(
        user,
        Some(TokenOut {
            token: s.token(),
            exp: s.subject().exp,
        }),
    )
}

/// A user token may only name its own user.
fn own_id(s: &Session, a: &Map<String, Value>, key: &'static str) -> Result<()> {
    match opt_str(a, key)? {
        Some(id) if id != s.user().id => Err(Error::Forbidden),
        _ => Ok(()),
    }
}

/// The `user` query (`getCurrentUser`): the session's user, with the custom data,
/// identities and directory fields the query selects.
pub(super) async fn current_user<'a>(ctx: &'a V2Ctx, f: &Field) -> Result<Answer<'a>> {
    let s = ctx.session().await?;
    own_id(s, &f.args, "id")?;
    let core = &ctx.state.core;
    let (pool_id, user_id) = (&s.pool().id, &s.user().id);
    let mut extra = Value::Object(Map::new());
    let (want_identities, want_custom) = (
        f.child("identities").is_some(),
        f.child("customData").is_some(),
    );
    if want_identities || want_custom {
        let (identities, custom) = core
            .user_extras_ahead(pool_id, user_id, want_identities, want_custom, ctx.ahead())
            .await?;
        if let Some(values) = custom {
            extra["customData"] = udv_json(&values);
        }
        if let Some(list) = identities {
            extra["identities"] = user_json::identities_list_json(&list);
        }
    }
    super::directory_fields::add(core, pool_id, user_id, f, &mut extra).await?;
    let Value::Object(extra) = extra else {
        return Err(Error::Internal(
            "user answer extras are not an object".into(),
        ));
    };
    Ok(Answer::Object(Box::new(user_json::UserAnswer {
        user: s.user(),
        token: Some(TokenOut {
            token: s.token(),
            exp: s.subject().exp,
        }),
        extra,
    })))
}

/// Not an error channel: the status is the answer (`v2-wire.md` §3.4).
async fn check_login_status(ctx: &V2Ctx, a: &Map<String, Value>) -> Value {
    let token = match opt_str(a, "token") {
        Ok(Some(t)) if !t.is_empty() => Some(t),
        Ok(_) => ctx.bearer.clone(),
        Err(_) => Some(String::new()),
    };
    let Some(token) = token else {
        let e = Error::NotLoggedIn;
        return json!({"code": errors::code(&e), "message": errors::message(&e, ctx.lang),
                      "status": false, "exp": null, "iat": null, "data": null});
    };
    match ctx.session_status_for(&token).await {
        Ok(s) => json!({
            "code": 200,
            "message": message(ctx.lang, "已登录", "Logged in"),
            "status": true,
            "exp": s.exp,
            "iat": s.iat,
            "data": {"id": s.user_id, "userPoolId": s.pool_id, "arn": s.user_arn()},
        }),
        Err(e) => {
            let e = match e {
                Error::TokenExpired => Error::TokenExpired,
                Error::Internal(_) | Error::Storage(_) => e,
                _ => Error::TokenInvalid,
            };
            json!({"code": errors::code(&e), "message": errors::message(&e, ctx.lang),
                   "status": false, "exp": null, "iat": null, "data": null})
        }
    }
}

async fn refresh_token(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let s = ctx.session().await?;
    own_id(s, a, "id")?;
    let t = ctx
        .state
        .core
        .issue_user_token(s.pool(), ctx.app(), s.user())
        .await?;
    Ok(json!({"token": t.token, "iat": t.iat, "exp": t.exp}))
}

async fn send_email(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.pool()?;
    let email = req_str(a, "email")?;
    let scene = req_str(a, "scene")?;
    ctx.state.core.send_email_code(pool, &email, &scene).await?;
    Ok(common_message(ctx.lang, "发送成功", "Sent"))
}

fn check_password_strength(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.pool()?;
    // `String!`: absent is a malformed request; empty is a password that fails the check.
    let password = opt_str(a, "password")?.ok_or(Error::MissingParameter("password"))?;
    let (valid, msg) =
        match tessera_core::rules::password_strength::check(&pool.settings, &password) {
            Ok(()) => (true, message(ctx.lang, "密码检验成功", "Password is valid")),
            Err(rule) => (false, errors::password_rule(&rule, ctx.lang)),
        };
    Ok(json!({"valid": valid, "message": msg}))
}

async fn is_user_exists(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.pool()?;
    let exists = ctx
        .state
        .core
        .user_exists(
            pool,
            opt_str(a, "username")?.as_deref(),
            opt_str(a, "email")?.as_deref(),
            opt_str(a, "phone")?.as_deref(),
            opt_str(a, "externalId")?.as_deref(),
        )
        .await?;
    Ok(json!(exists))
}

enum UdvOp {
    List,
    Set,
    SetBatch,
    Remove,
}

async fn udv(ctx: &V2Ctx, a: &Map<String, Value>, op: UdvOp) -> Result<Value> {
    let s = ctx.session().await?;
    let target = req_str(a, "targetType")?;
    if target != "USER" {
        // An end user may only touch their own data.
        return Err(Error::Forbidden);
    }
    own_id(s, a, "targetId")?;
    let core = &ctx.state.core;
    let (pool, id) = (&s.pool().id, &s.user().id);
    let values = match op {
        UdvOp::List => core.udf_values(pool, UdfTarget::User, id).await?,
        UdvOp::Set => {
            let key = req_str(a, "key")?;
            let value = decode_wire_value(&opt_str(a, "value")?.unwrap_or_default());
            core.set_udf_values(pool, UdfTarget::User, id, &[(key, value)])
                .await?
        }
        UdvOp::SetBatch => {
            core.set_udf_values(pool, UdfTarget::User, id, &args::udv_list(a)?)
                .await?
        }
        UdvOp::Remove => {
            let key = req_str(a, "key")?;
            core.remove_udf_value(pool, UdfTarget::User, id, &key)
                .await?
        }
    };
    Ok(udv_json(&values))
}

async fn reset_password(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let core = &ctx.state.core;
    let pool = ctx.pool()?;
    let code = req_str(a, "code")?;
    let ip = ctx.client(None).await.ip;
    let new_password = args::new_password(core, a, "newPassword", ip.as_deref()).await?;
    let target = match (opt_str(a, "phone")?, opt_str(a, "email")?) {
        (Some(phone), _) if !phone.is_empty() => {
            CodeTarget::phone(pool, &phone, opt_str(a, "phoneCountryCode")?.as_deref())?
        }
        (_, Some(email)) if !email.is_empty() => CodeTarget::email(&email)?,
        _ => return Err(Error::MissingParameter("phone/email")),
    };
    core.reset_password_by_code(pool, &target, &code, &new_password)
        .await?;
    Ok(common_message(ctx.lang, "重置密码成功", "Password reset"))
}

async fn reset_by_token(ctx: &V2Ctx, a: &Map<String, Value>, force: bool) -> Result<Value> {
    let core = &ctx.state.core;
    let token = req_str(a, "token")?;
    let ip = ctx.client(None).await.ip;
    let ip = ip.as_deref();
    let (old, new) = if force {
        (
            Some(args::password(core, a, "oldPassword").await?),
            args::new_password(core, a, "newPassword", ip).await?,
        )
    } else {
        (None, args::new_password(core, a, "password", ip).await?)
    };
    core.reset_password_by_token(&token, old.as_deref(), &new)
        .await?;
    Ok(common_message(ctx.lang, "重置密码成功", "Password reset"))
}

async fn update_user(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let s = ctx.session().await?;
    own_id(s, a, "id")?;
    let mut input = obj(a, "input")?.clone();
    input.remove("password");
    let user = ctx
        .state
        .core
        .update_profile(s.pool(), &s.user().id, &input, CreatedBy::SelfService)
        .await?;
    Ok(session_user_json(s, &user))
}

async fn update_password(ctx: &V2Ctx, a: &Map<String, Value>) -> Result<Value> {
    let core = &ctx.state.core;
    let s = ctx.session().await?;
    let ip = ctx.client(None).await.ip;
    let new = args::new_password(core, a, "newPassword", ip.as_deref()).await?;
    let old = args::opt_password(core, a, "oldPassword").await?;
    let user = core
        .update_password(s.pool(), &s.user().id, &new, old.as_deref())
        .await?;
    Ok(user_json(&user, None))
}

async fn bindings(ctx: &V2Ctx, f: &Field) -> Result<Value> {
    let core = &ctx.state.core;
    let a = &f.args;
    let s = ctx.session().await?;
    let (pool, id) = (s.pool(), s.user().id.as_str());
    let user = match f.name.as_str() {
        "bindPhone" => {
            core.bind_phone(
                pool,
                id,
                &req_str(a, "phone")?,
                opt_str(a, "phoneCountryCode")?.as_deref(),
                &req_str(a, "phoneCode")?,
            )
            .await?
        }
        "unbindPhone" => core.unbind_phone(pool, id).await?,
        "updatePhone" => {
            let change = PhoneChange {
                phone: req_str(a, "phone")?,
                country_code: opt_str(a, "phoneCountryCode")?,
                code: req_str(a, "phoneCode")?,
                old_phone: opt_str(a, "oldPhone")?,
                old_country_code: opt_str(a, "oldPhoneCountryCode")?,
                old_code: opt_str(a, "oldPhoneCode")?,
            };
            core.update_phone(pool, id, &change).await?
        }
        "bindEmail" => {
            core.bind_email(pool, id, &req_str(a, "email")?, &req_str(a, "emailCode")?)
                .await?
        }
        "unbindEmail" => core.unbind_email(pool, id).await?,
        _ => {
            let change = EmailChange {
                email: req_str(a, "email")?,
                code: req_str(a, "emailCode")?,
                old_email: opt_str(a, "oldEmail")?,
                old_code: opt_str(a, "oldEmailCode")?,
            };
            core.update_email(pool, id, &change).await?
        }
    };
    Ok(session_user_json(s, &user))
}
