//! Sign-in and sign-up (`v3-wire.md` §5.3, §5.4): `POST /api/v3/signin` and
//! `POST /api/v3/signup`. Both go through the one core login and registration
//! (`Core::authenticate`, `Core::register`): captcha, failure counting, blocked users, risk
//! lists and the application's access policy are the v2 login's rules. A sign-in answers
//! the token set an authorization code would have bought (a grant of the application), a
//! sign-up the new user.

use axum::routing::post;
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::oidc::token::TokenSet;
use tessera_core::service::register::{RegisterOptions, Registration};
use tessera_core::service::users::LoginId;
use tessera_core::Error;

use super::super::envelope::{ok, Failure, Reply};
use super::super::shapes::user_dto;
use super::call::AuthCall;
use super::password::{self, Encryption};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/signin", post(signin))
        .route("/api/v3/signup", post(signup))
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
enum Connection {
    Password,
    Passcode,
    Ldap,
    Ad,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PasswordPayload {
    password: String,
    account: Option<String>,
    email: Option<String>,
    username: Option<String>,
    phone: Option<String>,
    phone_country_code: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct PassCodePayload {
    pass_code: String,
    email: Option<String>,
    phone: Option<String>,
    phone_country_code: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SignInOptions {
    scope: Option<String>,
    client_ip: Option<String>,
    custom_data: Option<Value>,
    #[serde(default)]
    auto_register: Option<bool>,
    captcha_code: Option<String>,
    /// The token of a captcha from `GET /api/v3/get-captcha-code` that `captchaCode`
    /// answers; without it the answer is for the client address's captcha (v2's image).
    captcha_token: Option<String>,
    password_encrypt_type: Option<Encryption>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignInRequest {
    connection: Connection,
    password_payload: Option<PasswordPayload>,
    pass_code_payload: Option<PassCodePayload>,
    options: Option<SignInOptions>,
    #[serde(rename = "client_id")]
    client_id: Option<String>,
    #[serde(rename = "client_secret")]
    client_secret: Option<String>,
}

/// `LoginTokenResponseDataDto`: the token response, with the lifetime under both names the
/// SDKs read (`expire_in` in the OpenAPI, `expires_in` in the mini-program, §5.4).
#[derive(Serialize)]
pub struct LoginTokens {
    access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    token_type: &'static str,
    expires_in: i64,
    expire_in: i64,
    scope: String,
}

impl From<TokenSet> for LoginTokens {
    fn from(t: TokenSet) -> LoginTokens {
        LoginTokens {
            access_token: t.access_token,
            id_token: t.id_token,
            refresh_token: t.refresh_token,
            token_type: t.token_type,
            expires_in: t.expires_in,
            expire_in: t.expires_in,
            scope: t.scope,
        }
    }
}

/// A login failure that would tell an unknown account from a wrong password is answered
/// as one (`v3-wire.md` §2.1's example: 403 / 2333), so the sign-in cannot enumerate users.
pub fn login_failure(e: Error) -> Failure {
    match e {
        Error::UserNotFound | Error::WrongPassword => Failure::BadCredentials,
        Error::MfaRequired(_) => Failure::MfaRequired,
        other => Failure::Core(other),
    }
}

/// `customData` of a sign-in's options (and a profile update): an object of custom-field
/// values, checked against their definitions by the core.
pub(super) fn custom_data(v: Option<Value>) -> Result<Vec<(String, Value)>, Error> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => Ok(m.into_iter().collect()),
        Some(_) => Err(Error::InvalidParameter("customData")),
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

async fn signin(call: AuthCall) -> Reply {
    let req: SignInRequest = call.args()?;
    let app = call.app()?.clone();
    let pool = call.pool()?.clone();
    let app_proved =
        call.client_authenticated(req.client_id.as_deref(), req.client_secret.as_deref())?;
    let opts = req.options.unwrap_or_default();
    let auto_register = opts.auto_register.unwrap_or(false);
    let client = call.login_context(opts.client_ip.as_deref(), app_proved);
    let core = call.core();
    let credential = match req.connection {
        Connection::Password => {
            let p = req
                .password_payload
                .ok_or_else(|| call.fail(Error::MissingParameter("passwordPayload")))?;
            let id = if let Some(e) = non_empty(p.email) {
                LoginId::Email(e)
            } else if let Some(u) = non_empty(p.username) {
                LoginId::Username(u)
            } else if let Some(n) = non_empty(p.phone) {
                LoginId::Phone {
                    number: n,
                    country_code: non_empty(p.phone_country_code),
                }
            } else if let Some(a) = non_empty(p.account) {
                LoginId::typed(&a)
            } else {
                return Err(call.fail(Error::MissingParameter("account")));
            };
            let enc = opts.password_encrypt_type.unwrap_or_default();
            // A sign-in that may register the account may also set its password, so a
            // ciphertext that does not decrypt is refused as at sign-up (2016, within the
            // address's budget) instead of becoming, by implicit rejection, the unknown
            // password of a new account.
            let password = if auto_register {
                password::to_set(core, enc, &p.password, client.ip.as_deref()).await
            } else {
                password::to_check(core, enc, &p.password).await
            };
            Credential::Password {
                id,
                password: password.map_err(|e| call.fail(e))?,
            }
        }
        Connection::Passcode => {
            let p = req
                .pass_code_payload
                .ok_or_else(|| call.fail(Error::MissingParameter("passCodePayload")))?;
            if let Some(phone) = non_empty(p.phone) {
                Credential::PhoneCode {
                    phone,
                    country_code: non_empty(p.phone_country_code),
                    code: p.pass_code,
                }
            } else if let Some(email) = non_empty(p.email) {
                Credential::EmailCode {
                    email,
                    code: p.pass_code,
                }
            } else {
                return Err(call.fail(Error::MissingParameter("phone")));
            }
        }
        // No directory is connected to a pool yet: say so rather than "wrong password".
        Connection::Ldap | Connection::Ad => {
            return Err(call.fail(Error::IdentitySourceNotConfigured));
        }
    };
    let login = LoginOptions {
        auto_register,
        captcha_code: non_empty(opts.captcha_code),
        captcha_token: non_empty(opts.captcha_token),
        client,
        custom_data: custom_data(opts.custom_data).map_err(|e| call.fail(e))?,
        tenant_id: None,
    };
    let event = core
        .authenticate(&pool, Some(&app), credential, login)
        .await
        .map_err(|e| call.fail(login_failure(e)))?;
    let tokens = core
        .oidc_tokens_for_event(&pool, &app, &event, opts.scope.as_deref())
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, LoginTokens::from(tokens)))
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SignUpPasswordPayload {
    password: String,
    username: Option<String>,
    email: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SignUpOptions {
    client_ip: Option<String>,
    password_for_phone_pass_code: Option<String>,
    password_encrypt_type: Option<Encryption>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignUpRequest {
    connection: Connection,
    password_payload: Option<SignUpPasswordPayload>,
    pass_code_payload: Option<PassCodePayload>,
    profile: Option<Map<String, Value>>,
    options: Option<SignUpOptions>,
}

async fn signup(call: AuthCall) -> Reply {
    let req: SignUpRequest = call.args()?;
    let pool = call.pool()?.clone();
    let opts = req.options.unwrap_or_default();
    let enc = opts.password_encrypt_type.unwrap_or_default();
    let core = call.core();
    let client = call.login_context(opts.client_ip.as_deref(), false);
    let ip = client.ip.clone();
    let reg = match req.connection {
        Connection::Password => {
            let p = req
                .password_payload
                .ok_or_else(|| call.fail(Error::MissingParameter("passwordPayload")))?;
            let password = password::to_set(core, enc, &p.password, ip.as_deref())
                .await
                .map_err(|e| call.fail(e))?;
            if let Some(email) = non_empty(p.email) {
                Registration::Email { email, password }
            } else if let Some(username) = non_empty(p.username) {
                Registration::Username { username, password }
            } else {
                return Err(call.fail(Error::MissingParameter("email")));
            }
        }
        Connection::Passcode => {
            let p = req
                .pass_code_payload
                .ok_or_else(|| call.fail(Error::MissingParameter("passCodePayload")))?;
            if let Some(phone) = non_empty(p.phone) {
                let password = match non_empty(opts.password_for_phone_pass_code) {
                    Some(pw) => Some(
                        password::to_set(core, enc, &pw, ip.as_deref())
                            .await
                            .map_err(|e| call.fail(e))?,
                    ),
                    None => None,
                };
                Registration::PhoneCode {
                    phone,
                    country_code: non_empty(p.phone_country_code),
                    code: p.pass_code,
                    password,
                }
            } else if let Some(email) = non_empty(p.email) {
                Registration::EmailCode {
                    email,
                    code: p.pass_code,
                }
            } else {
                return Err(call.fail(Error::MissingParameter("phone")));
            }
        }
        Connection::Ldap | Connection::Ad => {
            return Err(call.fail(Error::InvalidParameter("connection")));
        }
    };
    let mut holder = Map::new();
    if let Some(p) = req.profile {
        holder.insert("profile".into(), Value::Object(p));
    }
    let profile = crate::v2::args::profile(&holder).map_err(|e| call.fail(e))?;
    let opts = RegisterOptions {
        profile,
        force_login: false,
        client,
        custom_data: Vec::new(),
    };
    let event = core
        .register(&pool, call.app_opt(), reg, opts)
        .await
        .map_err(|e| call.fail(e))?;
    Ok(ok(call.lang, user_dto(&event.user)))
}
