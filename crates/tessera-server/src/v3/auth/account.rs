//! The user's own account (`v3-wire.md` §5.6 "Profile & account", "Miscellaneous"): bind
//! and unbind an email or phone, the security summary, the two-step changes of email and
//! phone, password reset and account deletion (`verify-…-request` buys a token, the action
//! spends it: `tessera_core::service::account_flows`), `validate-password` and
//! `pre-check-code`. Each handler reads its DTO, calls one core rule and shapes the answer.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::json;
use tessera_core::service::account::{EmailChange, PhoneChange};
use tessera_core::service::account_flows::{DeleteProof, FlowToken};
use tessera_core::service::codes::CodeTarget;
use tessera_core::Error;

use super::super::envelope::{done, ok, success, Reply};
use super::call::AuthCall;
use super::codes::{email_scene, sms_scene};
use super::password::{self, Encryption};
use crate::authing::errors;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/bind-email", post(bind_email))
        .route("/api/v3/unbind-email", post(unbind_email))
        .route("/api/v3/bind-phone", post(bind_phone))
        .route("/api/v3/unbind-phone", post(unbind_phone))
        .route("/api/v3/get-security-info", get(security_info))
        .route(
            "/api/v3/verify-update-email-request",
            post(verify_update_email),
        )
        .route("/api/v3/update-email", post(update_email))
        .route(
            "/api/v3/verify-update-phone-request",
            post(verify_update_phone),
        )
        .route("/api/v3/update-phone", post(update_phone))
        .route(
            "/api/v3/verify-reset-password-request",
            post(verify_reset_password),
        )
        .route("/api/v3/reset-password", post(reset_password))
        .route(
            "/api/v3/verify-delete-account-request",
            post(verify_delete_account),
        )
        .route("/api/v3/delete-account", post(delete_account))
        .route("/api/v3/validate-password", post(validate_password))
        .route("/api/v3/pre-check-code", post(pre_check_code))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BindEmail {
    email: String,
    pass_code: String,
}

async fn bind_email(call: AuthCall) -> Reply {
    let r: BindEmail = call.args()?;
    let s = call.session().await?;
    call.core()
        .bind_email(s.pool(), &s.user().id, &r.email, &r.pass_code)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(done(call.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PassCodeOnly {
    pass_code: String,
}

async fn unbind_email(call: AuthCall) -> Reply {
    let r: PassCodeOnly = call.args()?;
    let s = call.session().await?;
    call.core()
        .unbind_my_email(&s, &r.pass_code)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(done(call.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BindPhone {
    phone_number: String,
    pass_code: String,
    phone_country_code: Option<String>,
}

async fn bind_phone(call: AuthCall) -> Reply {
    let r: BindPhone = call.args()?;
    let s = call.session().await?;
    call.core()
        .bind_phone(
            s.pool(),
            &s.user().id,
            &r.phone_number,
            r.phone_country_code.as_deref(),
            &r.pass_code,
        )
        .await
        .map_err(|e| call.fail(e))?;
    Ok(done(call.lang))
}

async fn unbind_phone(call: AuthCall) -> Reply {
    let r: PassCodeOnly = call.args()?;
    let s = call.session().await?;
    call.core()
        .unbind_my_phone(&s, &r.pass_code)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(done(call.lang))
}

/// `GetSecurityInfoDto`.
async fn security_info(call: AuthCall) -> Reply {
    let s = call.session().await?;
    let l = call
        .core()
        .security_level(s.pool(), s.user())
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(
        call.lang,
        json!({
            "passwordSecurityLevel": l.password_security_level.unwrap_or(0),
            "mfaEnrolled": l.mfa,
            "passwordSet": l.password,
            "emailBinded": l.email,
            "phoneBinded": l.phone,
            "securityScore": l.score,
        }),
    ))
}

/// The verify method a request names must be one its DTO declares.
fn method_is(given: &str, allowed: &[&str]) -> Result<(), Error> {
    if allowed.contains(&given) {
        Ok(())
    } else {
        Err(Error::InvalidParameter("verifyMethod"))
    }
}

fn token_data(name: &str, t: FlowToken) -> serde_json::Value {
    let mut v = json!({ "tokenExpiresIn": t.expires_in });
    v[name] = json!(t.token);
    v
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmailPassCodePayload {
    new_email: String,
    new_email_pass_code: String,
    old_email: Option<String>,
    old_email_pass_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyUpdateEmail {
    verify_method: String,
    email_pass_code_payload: EmailPassCodePayload,
}

async fn verify_update_email(call: AuthCall) -> Reply {
    let r: VerifyUpdateEmail = call.args()?;
    method_is(&r.verify_method, &["EMAIL_PASSCODE"]).map_err(|e| call.fail(e))?;
    let s = call.session().await?;
    let p = r.email_pass_code_payload;
    let change = EmailChange {
        email: p.new_email,
        code: p.new_email_pass_code,
        old_email: p.old_email,
        old_code: p.old_email_pass_code,
    };
    let t = call
        .core()
        .verify_update_email_request(&s, &change)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, token_data("updateEmailToken", t)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateEmail {
    update_email_token: String,
}

async fn update_email(call: AuthCall) -> Reply {
    let r: UpdateEmail = call.args()?;
    let s = call.session().await?;
    call.core()
        .update_email_by_token(&s, &r.update_email_token)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(success(call.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhonePassCodePayload {
    new_phone_number: String,
    new_phone_pass_code: String,
    new_phone_country_code: Option<String>,
    old_phone_number: Option<String>,
    old_phone_pass_code: Option<String>,
    old_phone_country_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyUpdatePhone {
    verify_method: String,
    phone_pass_code_payload: PhonePassCodePayload,
}

async fn verify_update_phone(call: AuthCall) -> Reply {
    let r: VerifyUpdatePhone = call.args()?;
    method_is(&r.verify_method, &["PHONE_PASSCODE"]).map_err(|e| call.fail(e))?;
    let s = call.session().await?;
    let p = r.phone_pass_code_payload;
    let change = PhoneChange {
        phone: p.new_phone_number,
        country_code: p.new_phone_country_code,
        code: p.new_phone_pass_code,
        old_phone: p.old_phone_number,
        old_country_code: p.old_phone_country_code,
        old_code: p.old_phone_pass_code,
    };
    let t = call
        .core()
        .verify_update_phone_request(&s, &change)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, token_data("updatePhoneToken", t)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdatePhone {
    update_phone_token: String,
}

async fn update_phone(call: AuthCall) -> Reply {
    let r: UpdatePhone = call.args()?;
    let s = call.session().await?;
    call.core()
        .update_phone_by_token(&s, &r.update_phone_token)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(success(call.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhoneCode {
    phone_number: String,
    pass_code: String,
    phone_country_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmailCode {
    /// Absent: the logged-in user's own address.
    email: Option<String>,
    pass_code: String,
}

/// The address a code went to and the code, for the payload `verify_method` names; an
/// email payload without an address means the session user's own.
async fn code_proof(
    call: &AuthCall,
    method: &str,
    phone: Option<PhoneCode>,
    email: Option<EmailCode>,
) -> Result<(CodeTarget, String), super::super::envelope::V3Error> {
    let pool = call.pool()?;
    match method {
        "PHONE_PASSCODE" => {
            let p =
                phone.ok_or_else(|| call.fail(Error::MissingParameter("phonePassCodePayload")))?;
            let t = CodeTarget::phone(pool, &p.phone_number, p.phone_country_code.as_deref())
                .map_err(|e| call.fail(e))?;
            Ok((t, p.pass_code))
        }
        "EMAIL_PASSCODE" => {
            let p =
                email.ok_or_else(|| call.fail(Error::MissingParameter("emailPassCodePayload")))?;
            let address = match p.email.filter(|e| !e.trim().is_empty()) {
                Some(e) => e,
                None => {
                    let s = call.session().await?;
                    s.user()
                        .email
                        .clone()
                        .ok_or_else(|| call.fail(Error::NoEmailBound))?
                }
            };
            let t = CodeTarget::email(&address).map_err(|e| call.fail(e))?;
            Ok((t, p.pass_code))
        }
        _ => Err(call.fail(Error::InvalidParameter("verifyMethod"))),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyResetPassword {
    verify_method: String,
    phone_pass_code_payload: Option<PhoneCode>,
    email_pass_code_payload: Option<EmailCode>,
}

/// No login needed: this is the forgotten-password flow.
async fn verify_reset_password(call: AuthCall) -> Reply {
    let r: VerifyResetPassword = call.args()?;
    let (target, code) = code_proof(
        &call,
        &r.verify_method,
        r.phone_pass_code_payload,
        r.email_pass_code_payload,
    )
    .await?;
    let t = call
        .core()
        .verify_reset_password_request(call.pool()?, &target, &code)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, token_data("passwordResetToken", t)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResetPassword {
    password: String,
    password_reset_token: String,
    password_encrypt_type: Option<Encryption>,
}

async fn reset_password(call: AuthCall) -> Reply {
    let r: ResetPassword = call.args()?;
    let core = call.core();
    let ip = call.client_ip();
    let new = password::to_set(
        core,
        r.password_encrypt_type.unwrap_or_default(),
        &r.password,
        ip.as_deref(),
    )
    .await
    .map_err(|e| call.fail(e))?;
    core.reset_password_with_token(call.pool()?, &r.password_reset_token, &new)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(success(call.lang))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PasswordPayload {
    password: String,
    password_encrypt_type: Option<Encryption>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyDeleteAccount {
    verify_method: String,
    phone_pass_code_payload: Option<PhoneCode>,
    email_pass_code_payload: Option<EmailCode>,
    password_payload: Option<PasswordPayload>,
}

async fn verify_delete_account(call: AuthCall) -> Reply {
    let r: VerifyDeleteAccount = call.args()?;
    let s = call.session().await?;
    let core = call.core();
    let proof = if r.verify_method == "PASSWORD" {
        let p = r
            .password_payload
            .ok_or_else(|| call.fail(Error::MissingParameter("passwordPayload")))?;
        let enc = p.password_encrypt_type.unwrap_or_default();
        let plain = password::to_check(core, enc, &p.password)
            .await
            .map_err(|e| call.fail(e))?;
        DeleteProof::Password(plain)
    } else {
        let (target, code) = code_proof(
            &call,
            &r.verify_method,
            r.phone_pass_code_payload,
            r.email_pass_code_payload,
        )
        .await?;
        DeleteProof::Code { target, code }
    };
    let t = core
        .verify_delete_account_request(&s, proof)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, token_data("deleteAccountToken", t)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteAccount {
    delete_account_token: String,
}

async fn delete_account(call: AuthCall) -> Reply {
    let r: DeleteAccount = call.args()?;
    let s = call.session().await?;
    call.core()
        .delete_account(&s, &r.delete_account_token)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(success(call.lang))
}

/// `ValidatePasswordDto`: its account fields (phone, email, username) are accepted and not
/// used (see `Core::validate_password`: the pool's rules, not an account's password).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ValidatePassword {
    password: Option<String>,
    password_encrypt_type: Option<Encryption>,
}

async fn validate_password(call: AuthCall) -> Reply {
    let r: ValidatePassword = call.args()?;
    let core = call.core();
    let text = r
        .password
        .filter(|p| !p.is_empty())
        .ok_or_else(|| call.fail(Error::MissingParameter("password")))?;
    let ip = call.client_ip();
    let plain = password::to_set(
        core,
        r.password_encrypt_type.unwrap_or_default(),
        &text,
        ip.as_deref(),
    )
    .await
    .map_err(|e| call.fail(e))?;
    let valid = core
        .validate_password(call.pool()?, &plain)
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, json!({ "valid": valid })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PreCheckSms {
    phone: String,
    pass_code: String,
    phone_country_code: Option<String>,
    channel: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PreCheckEmail {
    email: String,
    pass_code: String,
    channel: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PreCheckCode {
    code_type: String,
    sms_code_payload: Option<PreCheckSms>,
    email_code_payload: Option<PreCheckEmail>,
}

/// `PreCheckCodeDataDto`: whether the code would be accepted by its channel's flow, without
/// using it up; a wrong code is `isValid: false` with the reason, not a failure.
async fn pre_check_code(call: AuthCall) -> Reply {
    let r: PreCheckCode = call.args()?;
    let pool = call.pool()?;
    let (target, scene, code) = match r.code_type.as_str() {
        "SMS" => {
            let p = r
                .sms_code_payload
                .ok_or_else(|| call.fail(Error::MissingParameter("smsCodePayload")))?;
            let scene = sms_scene(&p.channel)
                .ok_or_else(|| call.fail(Error::InvalidParameter("channel")))?;
            let t = CodeTarget::phone(pool, &p.phone, p.phone_country_code.as_deref())
                .map_err(|e| call.fail(e))?;
            (t, scene, p.pass_code)
        }
        "EMAIL" => {
            let p = r
                .email_code_payload
                .ok_or_else(|| call.fail(Error::MissingParameter("emailCodePayload")))?;
            let scene = email_scene(&p.channel)
                .ok_or_else(|| call.fail(Error::InvalidParameter("channel")))?;
            let t = CodeTarget::email(&p.email).map_err(|e| call.fail(e))?;
            (t, scene, p.pass_code)
        }
        _ => return Err(call.fail(Error::InvalidParameter("codeType"))),
    };
    let data = match call.core().peek_code(pool, &target, scene, &code).await {
        Ok(()) => json!({ "isValid": true }),
        Err(e @ (Error::CodeWrong | Error::CodeExpired | Error::MissingParameter(_))) => {
            json!({ "isValid": false, "message": errors::message(&e, call.lang) })
        }
        Err(e) => return Err(call.fail(e)),
    };
    Ok(ok(call.lang, data))
}
