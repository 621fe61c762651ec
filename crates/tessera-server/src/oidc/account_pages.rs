//! The hosted registration and password-reset pages of a parked authorization request, and
//! the device-code entry pages (RFC 8628 §3.3). Registration and reset go through the same
//! core services as the Authing wires (`Core::register`, `Core::reset_password_by_code`):
//! register-disabled, the whitelist, password strength and code checks hold here too.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use tessera_core::service::codes::CodeTarget;
use tessera_core::service::oidc::session::ActiveSession;
use tessera_core::service::register::{RegisterOptions, Registration};
use tessera_core::Error;

use super::browser::{
    accept_language, active_session, authing_lang, client_context, error_page, forbidden_form,
    logged_in, login_page, page, parked, parked_form, secure, with_sso_cookie, LoginForm,
    LoginView,
};
use super::wire::{add_cookie, cookie, Peer};
use crate::authing::errors::message as authing_message;
use crate::hosted::csp;
use crate::hosted::html::CSP;
use crate::hosted::i18n::{pick, t, Lang, Text};
use crate::hosted::pages::{self, AppInfo, LoginMode};
use crate::AppState;

fn text(v: &Option<String>) -> String {
    v.as_deref().map(str::trim).unwrap_or("").to_owned()
}

fn register_page(
    v: &tessera_core::service::oidc::authorize::ValidRequest,
    id: &str,
    csrf: &str,
    lang: Lang,
    email: &str,
    error: Option<&str>,
) -> Response {
    let action = format!("/interaction/oidc/{id}/register");
    let login = format!("/interaction/oidc/{id}");
    let html = pages::render_register(&pages::RegisterPage {
        lang,
        app: AppInfo {
            name: &v.app.name,
            logo: v.app.logo.as_deref(),
        },
        action: &action,
        csrf,
        email,
        error,
        login_url: &login,
    });
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page(
        status,
        &csp::with_redirect_target(&v.req.to.redirect_uri),
        html,
    )
}

/// `GET /interaction/oidc/{id}/register`.
pub async fn register_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (v, i, lang) = match parked(&state, &headers, &id).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    if v.pool.settings.register_disabled {
        return error_page(lang, &Error::RegisterDisabled);
    }
    register_page(&v, &i.id, &i.csrf, lang, "", None)
}

/// `POST /interaction/oidc/{id}/register`: a self-service registration, then the user is
/// logged in and the request continues.
pub async fn register(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (v, i, lang, f) = match parked_form(&state, &headers, &id, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let email = text(&f.email);
    let password = f.password.clone().unwrap_or_default();
    if f.password2.as_deref() != Some(password.as_str()) {
        return register_page(
            &v,
            &i.id,
            &i.csrf,
            lang,
            &email,
            Some(t(lang, Text::PasswordsDiffer)),
        );
    }
    let opts = RegisterOptions {
        force_login: true,
        client: client_context(&state, peer, &headers, &v.app.id),
        ..RegisterOptions::default()
    };
    let event = match state
        .core
        .register(
            &v.pool,
            Some(&v.app),
            Registration::Email {
                email: email.clone(),
                password,
            },
            opts,
        )
        .await
    {
        Ok(e) => e,
        Err(e) => {
            let msg = authing_message(&e, authing_lang(lang));
            return register_page(&v, &i.id, &i.csrf, lang, &email, Some(&msg));
        }
    };
    logged_in(&state, &v, &i, lang, event).await
}

struct ResetView<'a> {
    account: &'a str,
    error: Option<String>,
    notice: Option<String>,
}

fn reset_page(
    v: &tessera_core::service::oidc::authorize::ValidRequest,
    id: &str,
    csrf: &str,
    lang: Lang,
    view: ResetView,
) -> Response {
    let action = format!("/interaction/oidc/{id}/reset");
    let send = format!("/interaction/oidc/{id}/reset/send");
    let login = format!("/interaction/oidc/{id}");
    let html = pages::render_reset(&pages::ResetPage {
        lang,
        app: AppInfo {
            name: &v.app.name,
            logo: v.app.logo.as_deref(),
        },
        action: &action,
        csrf,
        send_code_action: &send,
        account: view.account,
        error: view.error.as_deref(),
        notice: view.notice.as_deref(),
        login_url: &login,
    });
    let status = if view.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page(status, CSP, html)
}

/// `GET /interaction/oidc/{id}/reset`.
pub async fn reset_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let (v, i, lang) = match parked(&state, &headers, &id).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    reset_page(
        &v,
        &i.id,
        &i.csrf,
        lang,
        ResetView {
            account: "",
            error: None,
            notice: None,
        },
    )
}

/// Where a reset code goes: an email address or a phone number.
fn reset_target(
    pool: &tessera_core::model::UserPool,
    account: &str,
) -> tessera_core::Result<CodeTarget> {
    if account.contains('@') {
        CodeTarget::email(account)
    } else {
        CodeTarget::phone(pool, account, None)
    }
}

/// `POST /interaction/oidc/{id}/reset/send`: a reset code by email or SMS.
pub async fn reset_send(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (v, i, lang, f) = match parked_form(&state, &headers, &id, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let account = text(&f.account);
    let sent = if account.contains('@') {
        state
            .core
            .send_email_code(&v.pool, &account, "RESET_PASSWORD_VERIFY_CODE")
            .await
    } else {
        state
            .core
            .send_sms_code(&v.pool, &account, None, Some("reset"))
            .await
    };
    let (error, notice) = match sent {
        Ok(()) => (None, Some(t(lang, Text::CodeSent).to_owned())),
        Err(e) => (Some(authing_message(&e, authing_lang(lang))), None),
    };
    reset_page(
        &v,
        &i.id,
        &i.csrf,
        lang,
        ResetView {
            account: &account,
            error,
            notice,
        },
    )
}

/// `POST /interaction/oidc/{id}/reset`: a new password by code; then the login page.
pub async fn reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (v, i, lang, f) = match parked_form(&state, &headers, &id, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let account = text(&f.account);
    let done = match reset_target(&v.pool, &account) {
        Ok(target) => {
            state
                .core
                .reset_password_by_code(
                    &v.pool,
                    &target,
                    &text(&f.code),
                    f.password.as_deref().unwrap_or(""),
                )
                .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(_) => login_page(
            &v,
            &i,
            lang,
            LoginView {
                identifier: &account,
                error: None,
                notice: Some(t(lang, Text::PasswordResetDone).to_owned()),
                mode: LoginMode::Password,
                captcha: false,
            },
        ),
        Err(e) => reset_page(
            &v,
            &i.id,
            &i.csrf,
            lang,
            ResetView {
                account: &account,
                error: Some(authing_message(&e, authing_lang(lang))),
                notice: None,
            },
        ),
    }
}

// --- device codes ------------------------------------------------------------------------

/// The device pages' CSRF: a random value in a cookie that the form repeats (a site that
/// cannot read this origin's cookies cannot forge the form).
const DEVICE_COOKIE: &str = "tdev";

#[derive(Deserialize, Default)]
pub struct DeviceQuery {
    user_code: Option<String>,
}

fn device_entry(lang: Lang, csrf: &str, user_code: &str, error: Option<&str>) -> Response {
    let html = pages::render_device(&pages::DevicePage {
        lang,
        action: "/oidc/device",
        csrf,
        user_code,
        error,
    });
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page(status, CSP, html)
}

fn with_device_cookie(mut res: Response, state: &AppState, value: &str) -> Response {
    add_cookie(
        &mut res,
        DEVICE_COOKIE,
        value,
        "/oidc/device",
        1800,
        secure(state),
    );
    res
}

/// `GET /oidc/device`: the code entry page (prefilled from `verification_uri_complete`).
pub async fn device_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DeviceQuery>,
) -> Response {
    let lang = pick(None, accept_language(&headers));
    let csrf = cookie(&headers, DEVICE_COOKIE)
        .map(str::to_owned)
        .unwrap_or_else(|| tessera_core::ids::new_url_token(24));
    let res = device_entry(lang, &csrf, q.user_code.as_deref().unwrap_or(""), None);
    with_device_cookie(res, &state, &csrf)
}

/// `POST /oidc/device`: a code entered (then the login, if the browser has no session in the
/// device's pool, then the approval), or the user's decision.
pub async fn device_submit(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Query(q): Query<DeviceQuery>,
    body: Bytes,
) -> Response {
    let lang = pick(None, accept_language(&headers));
    let f: LoginForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let Some(csrf) = cookie(&headers, DEVICE_COOKIE) else {
        return forbidden_form(lang);
    };
    let sent = f.csrf.as_deref().unwrap_or("");
    if !tessera_core::crypto::ct_eq(sent.as_bytes(), csrf.as_bytes()) {
        return forbidden_form(lang);
    }
    // The entry form sends the code in the body; the login and approval forms in the URL.
    let typed = text(&f.user_code.clone().or(q.user_code));
    let ip = client_context(&state, peer, &headers, "").ip;
    let found = match state.core.oidc_device_lookup(&typed, ip.as_deref()).await {
        Ok(found) => found,
        Err(e) => return error_page(lang, &e),
    };
    let Some((device, app)) = found else {
        return device_entry(lang, csrf, &typed, Some(t(lang, Text::DeviceCodeUnknown)));
    };
    let mut session = match active_session(&state, &headers, &device.pool_id).await {
        Ok(s) => s,
        Err(e) => return error_page(lang, &e),
    };
    let mut new_cookie = None;
    // A login posted with the code: the one core login, then an SSO session.
    if session.is_none() && f.password.is_some() {
        let pool = match state.core.pool(&device.pool_id).await {
            Ok(p) => p,
            Err(e) => return error_page(lang, &e),
        };
        let account = text(&f.account);
        let credential = tessera_core::service::login::Credential::Password {
            id: tessera_core::service::users::LoginId::typed(&account),
            password: f.password.clone().unwrap_or_default(),
        };
        let opts = tessera_core::service::login::LoginOptions {
            captcha_code: f.captcha.clone().filter(|c| !c.is_empty()),
            client: client_context(&state, peer, &headers, &app.id),
            ..Default::default()
        };
        match state
            .core
            .authenticate(&pool, Some(&app), credential, opts)
            .await
        {
            Ok(event) => match state.core.oidc_start_session(&event).await {
                Ok((value, s)) => {
                    new_cookie = Some(value);
                    session = Some(ActiveSession {
                        session: s,
                        user: event.user,
                    });
                }
                Err(e) => return error_page(lang, &e),
            },
            Err(e) => {
                let msg = authing_message(&e, authing_lang(lang));
                return device_login(lang, csrf, &app, &typed, &account, Some(&msg));
            }
        }
    }
    let Some(session) = session else {
        return device_login(lang, csrf, &app, &typed, "", None);
    };
    let res = match f.decision.as_deref() {
        Some(d @ ("allow" | "deny")) => {
            match state
                .core
                .oidc_device_decide(&device, &session, d == "allow")
                .await
            {
                Ok(true) => page(
                    StatusCode::OK,
                    CSP,
                    pages::render_device_done(&pages::DeviceDonePage {
                        lang,
                        approved: d == "allow",
                    }),
                ),
                Ok(false) => {
                    device_entry(lang, csrf, &typed, Some(t(lang, Text::DeviceCodeUnknown)))
                }
                Err(e) => error_page(lang, &e),
            }
        }
        _ => {
            // The approval page: the consent page naming the device's application and
            // scopes, posting back here with the code.
            let scopes: Vec<&str> = device.scope.split_whitespace().collect();
            let user = &session.user;
            let display = user
                .email
                .clone()
                .or_else(|| user.username.clone())
                .or_else(|| user.phone.clone())
                .unwrap_or_else(|| user.id.clone());
            let html = pages::render_consent(&pages::ConsentPage {
                lang,
                app: AppInfo {
                    name: &app.name,
                    logo: app.logo.as_deref(),
                },
                action: &format!(
                    "/oidc/device?{}",
                    serde_urlencoded::to_string([("user_code", typed.as_str())])
                        .unwrap_or_default()
                ),
                csrf,
                user_display: &display,
                scopes: &scopes,
            });
            page(StatusCode::OK, CSP, html)
        }
    };
    match new_cookie {
        Some(value) => with_sso_cookie(res, &state, &device.pool_id, &value),
        None => res,
    }
}

/// The login page of a device approval: the password form, posting the code along.
fn device_login(
    lang: Lang,
    csrf: &str,
    app: &tessera_core::model::Application,
    user_code: &str,
    account: &str,
    error: Option<&str>,
) -> Response {
    let action = format!(
        "/oidc/device?{}",
        serde_urlencoded::to_string([("user_code", user_code)]).unwrap_or_default()
    );
    let switch = |_: LoginMode| String::new();
    let html = pages::render_login(&pages::LoginPage {
        lang,
        app: AppInfo {
            name: &app.name,
            logo: app.logo.as_deref(),
        },
        action: &action,
        csrf,
        identifier: account,
        error,
        captcha_url: None,
        methods: pages::LoginMethods {
            password: true,
            sms_code: false,
            email_code: false,
        },
        register_url: None,
        reset_url: None,
        send_code_action: None,
        mode: LoginMode::Password,
        notice: None,
        switch_url: &switch,
        providers: &[],
    });
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page(status, CSP, html)
}
