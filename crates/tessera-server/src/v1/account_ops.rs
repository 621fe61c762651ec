//! Codes, email and phone changes, password reset and email verification of the legacy SDK
//! (`v1-legacy-wire.md` §9; seed 002 检测手机号验证码是否正确, 修改邮箱, 发送修改邮箱验证码,
//! 修改手机号, 重置密码, 验证用户邮箱, 解绑邮箱). Each maps onto the core's code service and
//! account changes exactly as the v2 façade does (`v2::auth_ops`), so a pool's rules (the
//! resend interval, attempts per code, "verify the old email/phone") apply the same way.

use serde_json::{json, Map, Value};
use tessera_core::model::User;
use tessera_core::principal::Principal;
use tessera_core::service::account::{EmailChange, PhoneChange, Session};
use tessera_core::service::codes::{CodePurpose, CodeTarget};
use tessera_core::{Error, Result};

use super::args::{self, opt_str, req_str};
use super::context::{Actor, V1Ctx};
use super::user_json::{user_json, TokenOut};
use crate::authing::{errors, Lang};
use crate::graphql::Field;

pub async fn resolve(ctx: &V1Ctx, f: &Field) -> Option<Result<Value>> {
    let a = &f.args;
    Some(match f.name.as_str() {
        "checkPhoneCode" => check_phone_code(ctx, a).await,
        "updateEmail" => update_email(ctx, a).await,
        "sendChangeEmailVerifyCode" => send_change_email_code(ctx, a).await,
        "updatePhone" => update_phone(ctx, a).await,
        "sendResetPasswordEmail" => send_reset_email(ctx, a).await,
        "verifyResetPasswordVerifyCode" => verify_reset_code(ctx, a).await,
        "changePassword" => change_password(ctx, a).await,
        "sendVerifyEmail" => send_verify_email(ctx, a).await,
        "unbindEmail" => unbind_email(ctx, a).await,
        _ => return None,
    })
}

/// A `CommonMessage` (`{message, code, status}`, §9 S_MSG).
fn common_message(lang: Lang, zh: &str, en: &str) -> Value {
    json!({ "code": 200, "message": lang.pick(zh, en), "status": true })
}

/// The user as a change by his own token left him, with that token echoed (S_UPD selects
/// `token`; the SDK stores nothing from these answers).
fn session_user_json(s: &Session, user: &User) -> Value {
    user_json(
        user,
        Some(TokenOut {
            token: s.token(),
            exp: s.subject().exp,
        }),
    )
}

/// The logged-in user acting on himself in the pool the operation names (`userPoolId`),
/// which must be his own (§10.3).
async fn own_session<'a>(ctx: &'a V1Ctx, a: &Map<String, Value>) -> Result<&'a Session> {
    let s = ctx.session().await?;
    ctx.pool(opt_str(a, "userPoolId")?.as_deref()).await?;
    Ok(s)
}

/// `checkPhoneCode(phone, phoneCode, userPoolId)` (`verifyPhoneCode`, a query the SDK sends
/// with its owner token). It says whether the code is right WITHOUT using it up: the seed
/// calls it a check ("检测…是否正确"), and the step that follows (registration or a login
/// by code) still needs the code. A wrong guess costs an attempt of the newest live code
/// as in any use, so checking is no cheaper way to guess. It accepts the codes of both v1
/// sends: the registration code and the scene-less one of `getVerificationCode`.
///
/// A right or wrong code is an answer, not an error (seed: `{code: 2300, message:
/// '验证码过期', status: false}`); a caller or argument at fault is an error.
async fn check_phone_code(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.pool(opt_str(a, "userPoolId")?.as_deref()).await?;
    // The SDK sends the owner token here (`'ownerToken'`): checking codes is the pool
    // backend's business, not an anonymous caller's.
    ctx.admin().await?;
    let phone = req_str(a, "phone")?;
    let code = args::code(a, "phoneCode", pool.settings.verify_code_length)?;
    let target = CodeTarget::phone(&pool, &phone, None)?;
    let checked = ctx
        .state
        .core
        .peek_code_for(&pool, &target, CodePurpose::Register, &code)
        .await;
    match checked {
        Ok(()) => Ok(json!({
            "code": 200,
            "message": ctx.lang.pick("验证码正确", "The code is correct"),
            "status": true,
        })),
        Err(e @ (Error::CodeWrong | Error::CodeExpired)) => Ok(json!({
            "code": errors::code(&e),
            "message": errors::message(&e, ctx.lang),
            "status": false,
        })),
        Err(e) => Err(e),
    }
}

/// `updateEmail(userPoolId, email, emailCode, oldEmail?, oldEmailCode?)`: the user's own
/// change, proven by the new address's code and, when the pool verifies the old email, the
/// current one's (both from `sendChangeEmailVerifyCode`).
async fn update_email(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let s = own_session(ctx, a).await?;
    let change = EmailChange {
        email: req_str(a, "email")?,
        code: req_str(a, "emailCode")?,
        old_email: opt_str(a, "oldEmail")?,
        old_code: opt_str(a, "oldEmailCode")?,
    };
    let user = ctx
        .state
        .core
        .update_email(s.pool(), &s.user().id, &change)
        .await?;
    Ok(session_user_json(s, &user))
}

/// `sendChangeEmailVerifyCode(email, userPoolId)`: a code to the address the logged-in
/// user changes to (refused when another account holds it, seed: "该邮箱已绑定"), or to
/// his current address for the old-email proof.
async fn send_change_email_code(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let s = own_session(ctx, a).await?;
    let email = req_str(a, "email")?;
    ctx.state
        .core
        .send_change_email_code(s.pool(), &s.user().id, &email)
        .await?;
    Ok(common_message(ctx.lang, "成功", "Success"))
}

/// `updatePhone(userPoolId, phone, phoneCode, oldPhone?, oldPhoneCode?)`: as `updateEmail`,
/// with codes from `getVerificationCode`. Numbers are in the pool's default country.
async fn update_phone(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let s = own_session(ctx, a).await?;
    let change = PhoneChange {
        phone: req_str(a, "phone")?,
        country_code: None,
        code: req_str(a, "phoneCode")?,
        old_phone: opt_str(a, "oldPhone")?,
        old_country_code: None,
        old_code: opt_str(a, "oldPhoneCode")?,
    };
    let user = ctx
        .state
        .core
        .update_phone(s.pool(), &s.user().id, &change)
        .await?;
    Ok(session_user_json(s, &user))
}

/// The scene of the legacy reset code: the one `changePassword` (a reset by code) accepts.
const RESET_SCENE: &str = "RESET_PASSWORD";

/// `sendResetPasswordEmail(email, client)` (重置密码 1), anonymous: the SDK does not wait
/// for its owner token. As v2's `sendEmail(RESET_PASSWORD)`, the answer does not say whether
/// the address has an account (a code to an unknown address resets nothing).
async fn send_reset_email(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.pool(opt_str(a, "client")?.as_deref()).await?;
    let email = req_str(a, "email")?;
    ctx.state
        .core
        .send_email_code(&pool, &email, RESET_SCENE)
        .await?;
    // The SDK's own test expects exactly `{message: "成功", code: 200}`.
    Ok(common_message(ctx.lang, "成功", "Success"))
}

/// `verifyResetPasswordVerifyCode(email, client, verifyCode)` (重置密码 2): whether the
/// code is right, WITHOUT using it up, because step 3 (`changePassword`) sends the same
/// code. A wrong guess costs an attempt of the code, so this step is no unlimited oracle.
async fn verify_reset_code(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.pool(opt_str(a, "client")?.as_deref()).await?;
    let target = CodeTarget::email(&req_str(a, "email")?)?;
    let code = req_str(a, "verifyCode")?;
    ctx.state
        .core
        .peek_code_for(&pool, &target, CodePurpose::ResetPassword, &code)
        .await?;
    Ok(common_message(
        ctx.lang,
        "验证成功，请输入新密码",
        "Verified, please enter the new password",
    ))
}

/// `changePassword(email, client, password, verifyCode)` (重置密码 3): the reset by code,
/// which uses the code up. The password is RSA-encrypted (§6).
async fn change_password(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let core = &ctx.state.core;
    let pool = ctx.pool(opt_str(a, "client")?.as_deref()).await?;
    let target = CodeTarget::email(&req_str(a, "email")?)?;
    let code = req_str(a, "verifyCode")?;
    let ip = ctx.client(&pool.id, None).await.ip;
    let password = core
        .decrypt_new_password(&req_str(a, "password")?, ip.as_deref())
        .await?;
    let user = core
        .reset_password_by_code(&pool, &target, &code, &password)
        .await?;
    Ok(user_json(&user, None))
}

/// `sendVerifyEmail(email, client)` (验证用户邮箱): the verification email v2's
/// `sendEmail(VERIFY_EMAIL)` sends.
async fn send_verify_email(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let pool = ctx.pool(opt_str(a, "client")?.as_deref()).await?;
    let email = req_str(a, "email")?;
    ctx.state
        .core
        .send_email_code(&pool, &email, "VERIFY_EMAIL")
        .await?;
    Ok(common_message(
        ctx.lang,
        "发送验证邮件成功",
        "Verification email sent",
    ))
}

/// `unbindEmail(user?, client?)` (解绑邮箱): both default to the caller (the SDK sends the
/// caller's object as it is, and `unbindEmail()` sends nothing). A user unbinds his own
/// email; the owner token any user's of its pool, named by `user`. Refused with 2217 when
/// the email is the user's only way to log in. The answer's `email` is `""` (the SDK's
/// own test expects it).
async fn unbind_email(ctx: &V1Ctx, a: &Map<String, Value>) -> Result<Value> {
    let named = opt_str(a, "user")?.filter(|s| !s.is_empty());
    let user_id = match (named, ctx.principal().await) {
        (Some(id), _) => id,
        // The owner token is nobody's own account: it must say whose email goes.
        (None, Principal::PoolAdmin(_)) => return Err(Error::MissingParameter("user")),
        (None, _) => ctx.session().await?.user().id.clone(),
    };
    let client = opt_str(a, "client")?;
    let core = &ctx.state.core;
    let mut v = match ctx.actor(client.as_deref(), &user_id).await? {
        Actor::Admin(admin) => user_json(&core.unbind_email(admin.pool(), &user_id).await?, None),
        Actor::User(s) => session_user_json(s, &core.unbind_email(s.pool(), &user_id).await?),
    };
    if v["email"].is_null() {
        v["email"] = json!("");
    }
    Ok(v)
}
