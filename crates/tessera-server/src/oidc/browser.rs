//! The provider's browser side: the authorization endpoint, the hosted login and consent
//! pages of a parked request (`/interaction/oidc/{id}`), RP-initiated logout and the
//! landing page. Every login goes through the one core login (`Core::authenticate`), so the
//! pool's rules (captcha after failures, blocked users, the application's access policy)
//! hold here as on every wire.
//!
//! CSRF: each parked request has a random `csrf` that its forms carry, and a cookie binding
//! it to the browser that started it; a form posted without both is refused. Pages are
//! served with a CSP (`frame-ancestors 'none'`) and `no-store`.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::mfa_factors::FactorKind;
use tessera_core::service::mfa_login::MfaProof;
use tessera_core::service::oidc::authorize::{AuthorizeParams, Next, Refusal, ValidRequest};
use tessera_core::service::oidc::session::{ActiveSession, LogoutRequest};
use tessera_core::service::oidc::{AuthorizationResponse, ReplyTo, ResponseMode};
use tessera_core::service::users::{LoginContext, LoginId};
use tessera_core::store::oidc::Interaction;
use tessera_core::{Error, ProtocolError};

use super::wire::{add_cookie, cookie, cookies, error_code, error_description, Peer};
use crate::authing::errors::message as authing_message;
use crate::client_ip::Origin;
use crate::hosted::html::CSP;
use crate::hosted::i18n::{pick, t, Lang, Text};
use crate::hosted::pages::{self, AppInfo, LoginMethods, LoginMode};
use crate::AppState;

/// The SSO cookie of a pool: one per pool, so a browser can be logged in to several.
pub(super) fn sso_cookie_name(pool_id: &str) -> String {
    format!("tsso_{pool_id}")
}

/// The cookie binding a parked request to the browser that started it.
pub(super) const INTERACTION_COOKIE: &str = "tix";

pub(super) fn secure(state: &AppState) -> bool {
    state.core.issuer().starts_with("https://")
}

pub(super) fn accept_language(h: &HeaderMap) -> Option<&str> {
    h.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok())
}

pub(super) fn authing_lang(lang: Lang) -> crate::authing::Lang {
    match lang {
        Lang::ZhCn => crate::authing::Lang::ZhCn,
        Lang::EnUs => crate::authing::Lang::EnUs,
    }
}

/// An HTML page with the hosted pages' headers.
pub(super) fn page(status: StatusCode, csp: &str, html: String) -> Response {
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if let Ok(v) = HeaderValue::from_str(csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

/// The error page, for refusals that must not go to the client.
pub(super) fn error_page(lang: Lang, e: &Error) -> Response {
    let status = match e {
        Error::Internal(_) | Error::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    if matches!(e, Error::Internal(_) | Error::Storage(_)) {
        tracing::error!(error = %e, "hosted page failed");
    }
    let description = page_error_text(lang, e);
    let html = pages::render_error(&pages::ErrorPage {
        lang,
        title: t(lang, Text::ErrorTitle),
        description: &description,
        error_code: Some(error_code(e)),
    });
    page(status, CSP, html)
}

/// What the error page tells the user, in their language; the protocol's own (English)
/// description follows for the developer where it says more.
fn page_error_text(lang: Lang, e: &Error) -> String {
    let zh = lang == Lang::ZhCn;
    let said = match e {
        Error::Protocol(ProtocolError::UnknownClient, _) => Some(if zh {
            "找不到这个应用：登录链接中的 client_id 无效。"
        } else {
            "The application is unknown: the sign-in link's client_id is not valid."
        }),
        Error::Protocol(ProtocolError::BadRedirectUri, _) => Some(if zh {
            "回调地址没有在应用中登记，为安全起见不会跳转。"
        } else {
            "The redirect URI is not registered for this application, so you are not sent there."
        }),
        Error::Internal(_) | Error::Storage(_) => Some(if zh {
            "系统繁忙，请稍后再试。"
        } else {
            "The server is busy, please try again later."
        }),
        Error::Protocol(..) => None,
        _ => None,
    };
    match said {
        Some(text) if matches!(e, Error::Internal(_) | Error::Storage(_)) => text.to_owned(),
        Some(text) => format!("{text} ({})", error_description(e)),
        None if zh => format!("请求无效：{}", error_description(e)),
        None => format!("The request is not valid: {}", error_description(e)),
    }
}

/// Sends the browser back to the client with `params` (and `state`), as the request's
/// response mode says.
fn respond(to: &ReplyTo, mut params: Vec<(String, String)>, lang: Lang) -> Response {
    if let Some(s) = &to.state {
        params.push(("state".into(), s.clone()));
    }
    match to.mode {
        ResponseMode::FormPost => {
            let nonce = tessera_core::ids::new_url_token(16);
            let pairs: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let html = pages::render_form_post(&pages::FormPostPage {
                lang,
                redirect_uri: &to.redirect_uri,
                params: &pairs,
                nonce: &nonce,
            });
            let csp = crate::hosted::csp::form_post(&nonce, &to.redirect_uri)
                .unwrap_or_else(|_| CSP.to_owned());
            page(StatusCode::OK, &csp, html)
        }
        mode => {
            let encoded = serde_urlencoded::to_string(&params).unwrap_or_default();
            let sep = match mode {
                ResponseMode::Fragment => '#',
                _ if to.redirect_uri.contains('?') => '&',
                _ => '?',
            };
            let location = format!("{}{sep}{encoded}", to.redirect_uri);
            redirect(&location)
        }
    }
}

pub(super) fn redirect(location: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A refusal: to the client when it may be told, else the error page.
fn refuse(r: Refusal, lang: Lang) -> Response {
    match r.to {
        Some(to) if matches!(&r.error, Error::Protocol(k, _) if k.redirectable()) => {
            let params = vec![
                ("error".to_owned(), error_code(&r.error).to_owned()),
                ("error_description".to_owned(), error_description(&r.error)),
            ];
            respond(&to, params, lang)
        }
        _ => error_page(lang, &r.error),
    }
}

fn success(resp: AuthorizationResponse, lang: Lang) -> Response {
    respond(&resp.to, resp.params, lang)
}

#[derive(Deserialize, Default)]
pub struct AuthorizeQuery {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    response_mode: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    prompt: Option<String>,
    max_age: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    ui_locales: Option<String>,
    login_hint: Option<String>,
}

/// The browser's SSO session in the request's pool, if any.
pub(super) async fn active_session(
    state: &AppState,
    headers: &HeaderMap,
    pool_id: &str,
) -> Result<Option<ActiveSession>, Error> {
    match cookie(headers, &sso_cookie_name(pool_id)) {
        Some(c) => state.core.oidc_session(pool_id, c).await,
        None => Ok(None),
    }
}

/// The authorization endpoint (GET, or POST with a form: OIDC Core §3.1.2.1).
pub async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<AuthorizeQuery>,
    body: Bytes,
) -> Response {
    let q = if body.is_empty() || body.len() > super::wire::MAX_FORM {
        q
    } else {
        serde_urlencoded::from_bytes(&body).unwrap_or(q)
    };
    let lang = pick(q.ui_locales.as_deref(), accept_language(&headers));
    let params = AuthorizeParams {
        client_id: q.client_id,
        redirect_uri: q.redirect_uri,
        response_type: q.response_type,
        response_mode: q.response_mode,
        scope: q.scope,
        state: q.state,
        nonce: q.nonce,
        prompt: q.prompt,
        max_age: q.max_age,
        code_challenge: q.code_challenge,
        code_challenge_method: q.code_challenge_method,
        ui_locales: q.ui_locales,
        login_hint: q.login_hint,
    };
    let v = match state.core.oidc_validate(params).await {
        Ok(v) => v,
        Err(r) => return refuse(r, lang),
    };
    let session = match active_session(&state, &headers, &v.pool.id).await {
        Ok(s) => s,
        Err(e) => return error_page(lang, &e),
    };
    let now = tessera_core::clock::now_ms();
    match state.core.oidc_next(&v, session.as_ref(), now).await {
        Ok(Next::Respond(resp)) => success(resp, lang),
        Ok(Next::Login | Next::Consent { .. }) => match state.core.oidc_park(&v).await {
            Ok(i) => {
                let page = format!("/interaction/oidc/{}", i.id);
                let mut res = redirect(&page);
                // Scoped to this request's pages: sign-ins started in two tabs each keep
                // their own binding.
                add_cookie(
                    &mut res,
                    INTERACTION_COOKIE,
                    &i.id,
                    &page,
                    tessera_core::service::oidc::INTERACTION_TTL_MS / 1000,
                    secure(&state),
                );
                res
            }
            Err(e) => error_page(lang, &e),
        },
        Err(r) => refuse(r, lang),
    }
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    mode: Option<String>,
}

/// A parked request bound to this browser, or the error page.
pub(super) async fn parked(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
) -> Result<(ValidRequest, Interaction, Lang), Response> {
    let fallback = pick(None, accept_language(headers));
    let found = match state.core.oidc_resume(id).await {
        Ok(f) => f,
        Err(e) => return Err(error_page(fallback, &e)),
    };
    let expired = tessera_core::protocol(
        ProtocolError::InvalidRequest,
        "this sign-in request has expired or is not from this browser: start again from the application",
    );
    let Some((v, i)) = found else {
        return Err(error_page(fallback, &expired));
    };
    if cookie(headers, INTERACTION_COOKIE) != Some(i.id.as_str()) {
        return Err(error_page(fallback, &expired));
    }
    let lang = pick(v.req.ui_locales.as_deref(), accept_language(headers));
    Ok((v, i, lang))
}

/// The sign-in forms the page offers. The login page's settings (`updateLoginPageConfig`)
/// hide methods; the email code stays, so a page always has a way in. The page's own form
/// posts accept only these ([`login`], [`send_code`]): a hidden method is closed on this
/// page, not merely out of sight (the SDKs' own login APIs follow the pool's and the
/// application's login rules, which these page settings are not).
fn offered_methods(v: &ValidRequest) -> LoginMethods {
    LoginMethods {
        password: !v.login_page.hide_user_password_login,
        sms_code: !v.login_page.hide_login_by_phone_code,
        email_code: true,
    }
}

/// The login page again, saying the form posted is one this page does not offer.
fn method_not_offered(v: &ValidRequest, i: &Interaction, lang: Lang) -> Response {
    login_page(
        v,
        i,
        lang,
        LoginView {
            identifier: "",
            error: Some(t(lang, Text::MethodNotOffered).to_owned()),
            notice: None,
            mode: LoginMode::EmailCode,
            captcha: false,
        },
    )
}

pub(super) struct LoginView<'a> {
    pub identifier: &'a str,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub mode: LoginMode,
    pub captcha: bool,
}

pub(super) fn login_page(
    v: &ValidRequest,
    i: &Interaction,
    lang: Lang,
    view: LoginView,
) -> Response {
    let action = format!("/interaction/oidc/{}/login", i.id);
    let send = format!("/interaction/oidc/{}/send-code", i.id);
    let captcha = format!(
        "/api/v2/security/captcha?app_id={}&r={}",
        v.app.id,
        tessera_core::ids::new_url_token(6)
    );
    let base = format!("/interaction/oidc/{}", i.id);
    let register = format!("{base}/register");
    let reset = format!("{base}/reset");
    let providers: Vec<(String, String)> = v
        .login_connections
        .iter()
        .map(|c| {
            (
                c.display_name.clone(),
                format!("{base}/connections/oidc/{}", c.identifier),
            )
        })
        .collect();
    let switch = move |m: LoginMode| format!("{base}?mode={}", m.param());
    let html = pages::render_login(&pages::LoginPage {
        lang,
        app: AppInfo {
            name: &v.app.name,
            logo: v.app.logo.as_deref(),
        },
        action: &action,
        csrf: &i.csrf,
        identifier: view.identifier,
        error: view.error.as_deref(),
        captcha_url: view.captcha.then_some(captcha.as_str()),
        methods: offered_methods(v),
        register_url: (!v.pool.settings.register_disabled && !v.login_page.hide_register)
            .then_some(register.as_str()),
        reset_url: (!v.login_page.hide_forget_password).then_some(reset.as_str()),
        send_code_action: Some(&send),
        mode: view.mode,
        notice: view.notice.as_deref(),
        switch_url: &switch,
        providers: &providers,
    });
    let status = if view.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page(
        status,
        &crate::hosted::csp::with_redirect_target(&v.req.to.redirect_uri),
        html,
    )
}

pub(super) fn consent_page(
    v: &ValidRequest,
    i: &Interaction,
    lang: Lang,
    s: &ActiveSession,
    scopes: &[String],
) -> Response {
    let action = format!("/interaction/oidc/{}/confirm", i.id);
    let user = &s.user;
    let display = user
        .email
        .clone()
        .or_else(|| user.username.clone())
        .or_else(|| user.phone.clone())
        .unwrap_or_else(|| user.id.clone());
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let html = pages::render_consent(&pages::ConsentPage {
        lang,
        app: AppInfo {
            name: &v.app.name,
            logo: v.app.logo.as_deref(),
        },
        action: &action,
        csrf: &i.csrf,
        user_display: &display,
        scopes: &scopes,
    });
    page(
        StatusCode::OK,
        &crate::hosted::csp::with_redirect_target(&v.req.to.redirect_uri),
        html,
    )
}

/// Continues a parked request after a login or consent: the next page, or the response.
pub(super) async fn continue_parked(
    state: &AppState,
    v: &ValidRequest,
    i: &Interaction,
    lang: Lang,
    session: Option<&ActiveSession>,
) -> Response {
    match state.core.oidc_next(v, session, i.created_at).await {
        Ok(Next::Login) => login_page(
            v,
            i,
            lang,
            LoginView {
                identifier: v.req.login_hint.as_deref().unwrap_or(""),
                error: None,
                notice: None,
                mode: LoginMode::Password,
                captcha: false,
            },
        ),
        Ok(Next::Consent { scopes }) => match session {
            Some(s) => consent_page(v, i, lang, s, &scopes),
            None => error_page(lang, &Error::NotLoggedIn),
        },
        Ok(Next::Respond(resp)) => {
            // The request is answered once: a second tab or a back button finds it gone.
            match state.core.oidc_finish(&i.id).await {
                Ok(true) => success(resp, lang),
                Ok(false) => error_page(
                    lang,
                    &tessera_core::protocol(
                        ProtocolError::InvalidRequest,
                        "this sign-in request was already completed",
                    ),
                ),
                Err(e) => error_page(lang, &e),
            }
        }
        Err(r) => {
            let _ = state.core.oidc_finish(&i.id).await;
            refuse(r, lang)
        }
    }
}

/// `GET /interaction/oidc/{id}`: the page the parked request needs now.
pub async fn interaction(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let (v, i, lang) = match parked(&state, &headers, &id).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let session = match active_session(&state, &headers, &v.pool.id).await {
        Ok(s) => s,
        Err(e) => return error_page(lang, &e),
    };
    if let Some(mode) = q.mode.as_deref().and_then(LoginMode::from_param) {
        if session.is_none() || v.req.prompt_login {
            return login_page(
                &v,
                &i,
                lang,
                LoginView {
                    identifier: v.req.login_hint.as_deref().unwrap_or(""),
                    error: None,
                    notice: None,
                    mode,
                    captcha: false,
                },
            );
        }
    }
    continue_parked(&state, &v, &i, lang, session.as_ref()).await
}

#[derive(Deserialize, Default)]
pub struct LoginForm {
    pub csrf: Option<String>,
    pub mode: Option<String>,
    pub account: Option<String>,
    pub password: Option<String>,
    pub password2: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub code: Option<String>,
    pub captcha: Option<String>,
    pub decision: Option<String>,
    pub user_code: Option<String>,
    /// The MFA ticket of a login stopped at its second step (`mfa`), the factor kind the
    /// page asks for (`OTP`, `SMS`, `EMAIL`) and the masked phone or address it shows.
    pub ticket: Option<String>,
    pub factor: Option<String>,
    pub target: Option<String>,
}

/// A form posted to a parked request: the request (bound to this browser) and the form,
/// whose csrf must be the request's.
pub(super) async fn parked_form(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    body: &[u8],
) -> Result<(ValidRequest, Interaction, Lang, LoginForm), Response> {
    let (v, i, lang) = parked(state, headers, id).await?;
    let f: LoginForm = serde_urlencoded::from_bytes(body).unwrap_or_default();
    if !csrf_ok(&i, &f) {
        return Err(forbidden_form(lang));
    }
    Ok((v, i, lang, f))
}

pub(super) fn csrf_ok(i: &Interaction, f: &LoginForm) -> bool {
    f.csrf
        .as_deref()
        .is_some_and(|c| tessera_core::crypto::ct_eq(c.as_bytes(), i.csrf.as_bytes()))
}

pub(super) fn client_context(
    state: &AppState,
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    app_id: &str,
) -> LoginContext {
    LoginContext {
        app_id: Some(app_id.to_owned()),
        ip: peer.map(|p| {
            Origin::of(p.ip(), headers, &state.options.trusted_proxies)
                .client_ip
                .to_string()
        }),
        device: None,
        browser: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(256).collect()),
    }
}

pub(super) fn forbidden_form(lang: Lang) -> Response {
    error_page(
        lang,
        &tessera_core::protocol(
            ProtocolError::InvalidRequest,
            "the form has expired: reload the page",
        ),
    )
}

/// `POST /interaction/oidc/{id}/login`: a login through the one core login.
pub async fn login(
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
    let mode = f
        .mode
        .as_deref()
        .and_then(LoginMode::from_param)
        .unwrap_or(LoginMode::Password);
    if !mode.offered(offered_methods(&v)) {
        return method_not_offered(&v, &i, lang);
    }
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or("").to_owned();
    let identifier = match mode {
        LoginMode::Password => text(&f.account),
        LoginMode::SmsCode => text(&f.phone),
        LoginMode::EmailCode => text(&f.email),
    };
    let credential = match mode {
        LoginMode::Password => Credential::Password {
            id: LoginId::typed(&identifier),
            password: f.password.clone().unwrap_or_default(),
        },
        LoginMode::SmsCode => Credential::PhoneCode {
            phone: identifier.clone(),
            country_code: None,
            code: text(&f.code),
        },
        LoginMode::EmailCode => Credential::EmailCode {
            email: identifier.clone(),
            code: text(&f.code),
        },
    };
    let opts = LoginOptions {
        captcha_code: f.captcha.clone().filter(|c| !c.is_empty()),
        client: client_context(&state, peer, &headers, &v.app.id),
        ..LoginOptions::default()
    };
    let event = match state
        .core
        .authenticate(&v.pool, Some(&v.app), credential, opts)
        .await
    {
        Ok(e) => e,
        // The second step, on a page of its own: the authenticator app's code when the
        // user has one, else a code sent to the SMS or email factor.
        Err(Error::MfaRequired(c)) => {
            let (factor, target) = if c.kinds.contains(&FactorKind::Otp) {
                (FactorKind::Otp, None)
            } else if c.kinds.contains(&FactorKind::Sms) {
                (FactorKind::Sms, c.masked_phone.clone())
            } else {
                (FactorKind::Email, c.masked_email.clone())
            };
            let view = MfaView {
                ticket: &c.ticket,
                factor,
                target: target.as_deref(),
            };
            return mfa_page(&v, &i, lang, &view, None, None);
        }
        Err(e) => {
            let captcha = matches!(e, Error::CaptchaRequired | Error::CaptchaWrong);
            let message = authing_message(&e, authing_lang(lang));
            return login_page(
                &v,
                &i,
                lang,
                LoginView {
                    identifier: &identifier,
                    error: Some(message),
                    notice: None,
                    mode,
                    captcha,
                },
            );
        }
    };
    logged_in(&state, &v, &i, lang, event).await
}

/// What the MFA page of a login shows: its ticket, the factor kind asked for and the
/// masked phone or address of a code factor.
struct MfaView<'a> {
    ticket: &'a str,
    factor: FactorKind,
    target: Option<&'a str>,
}

impl<'a> MfaView<'a> {
    /// The view a posted MFA form stands for; an unknown `factor` is the authenticator's.
    fn of_form(ticket: &'a str, f: &'a LoginForm) -> MfaView<'a> {
        MfaView {
            ticket,
            factor: f
                .factor
                .as_deref()
                .and_then(FactorKind::parse)
                .unwrap_or(FactorKind::Otp),
            target: f.target.as_deref().filter(|t| !t.is_empty()),
        }
    }
}

/// The second step of a login (`tessera_core::service::mfa_login`): a form posting the
/// login's ticket and a code to [`mfa`] (and, for a code factor, to [`mfa_send`]).
fn mfa_page(
    v: &ValidRequest,
    i: &Interaction,
    lang: Lang,
    view: &MfaView,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let action = format!("/interaction/oidc/{}/mfa", i.id);
    let send = format!("/interaction/oidc/{}/mfa/send", i.id);
    let html = pages::render_mfa(&pages::MfaPage {
        lang,
        action: &action,
        csrf: &i.csrf,
        ticket: view.ticket,
        factor: view.factor.as_str(),
        target: view.target,
        send_action: (view.factor != FactorKind::Otp).then_some(send.as_str()),
        error: error.as_deref(),
        notice: notice.as_deref(),
    });
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    page(
        status,
        &crate::hosted::csp::with_redirect_target(&v.req.to.redirect_uri),
        html,
    )
}

/// The login form again, saying why a ticket can no longer be used.
fn back_to_login(v: &ValidRequest, i: &Interaction, lang: Lang, e: &Error) -> Response {
    login_page(
        v,
        i,
        lang,
        LoginView {
            identifier: "",
            error: Some(authing_message(e, authing_lang(lang))),
            notice: None,
            mode: LoginMode::Password,
            captcha: false,
        },
    )
}

fn form_text(v: &Option<String>) -> String {
    v.as_deref().map(str::trim).unwrap_or("").to_owned()
}

/// `POST /interaction/oidc/{id}/mfa`: completes a login stopped at the MFA step through
/// `Core::complete_mfa` with a TOTP (six digits) or the recovery code, or with the code sent
/// to the SMS or email factor. A wrong code shows the form again (the ticket stays until
/// the attempt limit); a ticket that can no longer be used sends the user back to the login
/// form with the reason.
pub async fn mfa(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (v, i, lang, f) = match parked_form(&state, &headers, &id, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let ticket = form_text(&f.ticket);
    let code = form_text(&f.code);
    let view = MfaView::of_form(&ticket, &f);
    let proof = match view.factor {
        FactorKind::Sms => MfaProof::SmsCode(code),
        FactorKind::Email => MfaProof::EmailCode(code),
        FactorKind::Otp if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) => {
            MfaProof::Totp(code)
        }
        FactorKind::Otp => MfaProof::RecoveryCode(code),
    };
    match state
        .core
        .complete_mfa(&v.pool, Some(&v.app), &ticket, proof)
        .await
    {
        Ok(event) => logged_in(&state, &v, &i, lang, event).await,
        Err(
            e @ (Error::MfaCodeWrong
            | Error::MfaRecoveryCodeWrong
            | Error::CodeWrong
            | Error::CodeExpired
            | Error::MissingParameter(_)),
        ) => {
            let message = authing_message(&e, authing_lang(lang));
            mfa_page(&v, &i, lang, &view, Some(message), None)
        }
        Err(e) => back_to_login(&v, &i, lang, &e),
    }
}

/// `POST /interaction/oidc/{id}/mfa/send`: sends the code of the ticket's SMS or email
/// factor (to the factor's own phone or address, `Core::send_mfa_code`).
pub async fn mfa_send(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (v, i, lang, f) = match parked_form(&state, &headers, &id, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let ticket = form_text(&f.ticket);
    let view = MfaView::of_form(&ticket, &f);
    match state
        .core
        .send_mfa_code(&v.pool, Some(&v.app), &ticket, view.factor)
        .await
    {
        Ok(()) => {
            let notice = t(lang, Text::CodeSent).to_owned();
            mfa_page(&v, &i, lang, &view, None, Some(notice))
        }
        Err(e @ (Error::TokenInvalid | Error::TokenExpired)) => back_to_login(&v, &i, lang, &e),
        Err(e) => {
            let message = authing_message(&e, authing_lang(lang));
            mfa_page(&v, &i, lang, &view, Some(message), None)
        }
    }
}

/// After a login or registration in a parked request: an SSO session for the browser (its
/// cookie on the answer), then the request's next step.
pub(super) async fn logged_in(
    state: &AppState,
    v: &ValidRequest,
    i: &Interaction,
    lang: Lang,
    event: tessera_core::service::authn::AuthEvent,
) -> Response {
    let (cookie_value, session) = match state.core.oidc_start_session(&event).await {
        Ok(s) => s,
        Err(e) => return error_page(lang, &e),
    };
    let active = ActiveSession {
        session,
        user: event.user,
    };
    let res = continue_parked(state, v, i, lang, Some(&active)).await;
    with_sso_cookie(res, state, &v.pool.id, &cookie_value)
}

/// The answer with the pool's SSO cookie set to `value`.
pub(super) fn with_sso_cookie(
    mut res: Response,
    state: &AppState,
    pool_id: &str,
    value: &str,
) -> Response {
    add_cookie(
        &mut res,
        &sso_cookie_name(pool_id),
        value,
        "/",
        tessera_core::service::oidc::SSO_SESSION_TTL_MS / 1000,
        secure(state),
    );
    res
}

/// `POST /interaction/oidc/{id}/send-code`: sends a login code by SMS or email.
pub async fn send_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (v, i, lang, f) = match parked_form(&state, &headers, &id, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let (mode, target, sent) = match (f.phone.as_deref(), f.email.as_deref()) {
        (Some(_), _) if !LoginMode::SmsCode.offered(offered_methods(&v)) => {
            return method_not_offered(&v, &i, lang)
        }
        (Some(phone), _) => (
            LoginMode::SmsCode,
            phone.trim().to_owned(),
            state
                .core
                .send_sms_code(&v.pool, phone.trim(), None, Some("login"))
                .await,
        ),
        (None, Some(email)) => (
            LoginMode::EmailCode,
            email.trim().to_owned(),
            state
                .core
                .send_email_code(&v.pool, email.trim(), "LOGIN_VERIFY_CODE")
                .await,
        ),
        (None, None) => return forbidden_form(lang),
    };
    let (error, notice) = match sent {
        Ok(()) => (None, Some(t(lang, Text::CodeSent).to_owned())),
        Err(e) => (Some(authing_message(&e, authing_lang(lang))), None),
    };
    login_page(
        &v,
        &i,
        lang,
        LoginView {
            identifier: &target,
            error,
            notice,
            mode,
            captcha: false,
        },
    )
}

/// `POST /interaction/oidc/{id}/confirm`: the consent page's answer.
pub async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (v, i, lang, f) = match parked_form(&state, &headers, &id, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let session = match active_session(&state, &headers, &v.pool.id).await {
        Ok(Some(s)) => s,
        Ok(None) => return continue_parked(&state, &v, &i, lang, None).await,
        Err(e) => return error_page(lang, &e),
    };
    let allow = f.decision.as_deref() == Some("allow");
    if let Err(r) = state.core.oidc_consent(&v, &session.user.id, allow).await {
        let _ = state.core.oidc_finish(&i.id).await;
        return refuse(r, lang);
    }
    continue_parked(&state, &v, &i, lang, Some(&session)).await
}

#[derive(Deserialize, Default)]
pub struct LogoutQuery {
    id_token_hint: Option<String>,
    post_logout_redirect_uri: Option<String>,
    client_id: Option<String>,
    state: Option<String>,
    ui_locales: Option<String>,
    csrf: Option<String>,
    decision: Option<String>,
}

/// How many pools' SSO cookies a logout looks at.
const MAX_SSO_COOKIES: usize = 8;

/// The browser's session in any pool it has a cookie for (a logout names no pool).
async fn any_session(state: &AppState, headers: &HeaderMap) -> Option<ActiveSession> {
    let names: Vec<(String, String)> = cookies(headers)
        .filter_map(|(k, v)| {
            k.strip_prefix("tsso_")
                .map(|pool| (pool.to_owned(), v.to_owned()))
        })
        // A browser logged in to a handful of pools at most; a request stuffed with cookies
        // costs no more than that many reads.
        .take(MAX_SSO_COOKIES)
        .collect();
    for (pool, value) in names {
        if let Ok(Some(s)) = state.core.oidc_session(&pool, &value).await {
            return Some(s);
        }
    }
    None
}

/// RP-initiated logout (`GET|POST /oidc/session/end`).
pub async fn end_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LogoutQuery>,
    body: Bytes,
) -> Response {
    let q: LogoutQuery = if body.is_empty() || body.len() > super::wire::MAX_FORM {
        q
    } else {
        serde_urlencoded::from_bytes(&body).unwrap_or(q)
    };
    let lang = pick(q.ui_locales.as_deref(), accept_language(&headers));
    let session = any_session(&state, &headers).await;
    let req = LogoutRequest {
        id_token_hint: q.id_token_hint.clone(),
        post_logout_redirect_uri: q.post_logout_redirect_uri.clone(),
        client_id: q.client_id.clone(),
        state: q.state.clone(),
    };
    let plan = match state.core.oidc_logout_plan(&req, session.as_ref()).await {
        Ok(p) => p,
        Err(e) => return error_page(lang, &e),
    };
    // The confirmation's csrf: the digest of the session cookie's id, which only this
    // browser's page knows.
    let csrf = session
        .as_ref()
        .map(|s| tessera_core::crypto::digest(&format!("logout:{}", s.session.id)));
    let confirmed = match (&csrf, &q.csrf) {
        (Some(c), Some(sent)) => {
            q.decision.as_deref() == Some("logout")
                && tessera_core::crypto::ct_eq(c.as_bytes(), sent.as_bytes())
        }
        _ => false,
    };
    if q.decision.as_deref() == Some("stay") {
        return landing_redirect();
    }
    if let Some(s) = &session {
        if plan.confirm && !confirmed {
            let query = serde_urlencoded::to_string([
                ("id_token_hint", q.id_token_hint.as_deref().unwrap_or("")),
                (
                    "post_logout_redirect_uri",
                    q.post_logout_redirect_uri.as_deref().unwrap_or(""),
                ),
                ("client_id", q.client_id.as_deref().unwrap_or("")),
                ("state", q.state.as_deref().unwrap_or("")),
            ])
            .unwrap_or_default();
            let action = format!("/oidc/session/end?{query}");
            let html = pages::render_logout(&pages::LogoutPage {
                lang,
                app: plan.app.as_ref().map(|a| AppInfo {
                    name: &a.name,
                    logo: a.logo.as_deref(),
                }),
                action: &action,
                csrf: csrf.as_deref().unwrap_or(""),
            });
            return page(StatusCode::OK, CSP, html);
        }
        if let Err(e) = state.core.oidc_end_session(&s.session.sid).await {
            return error_page(lang, &e);
        }
    }
    let mut res = match &plan.redirect {
        Some(uri) => {
            let mut location = uri.clone();
            if let Some(st) = &plan.state {
                let sep = if uri.contains('?') { '&' } else { '?' };
                location = format!(
                    "{location}{sep}{}",
                    serde_urlencoded::to_string([("state", st)]).unwrap_or_default()
                );
            }
            redirect(&location)
        }
        None => page(
            StatusCode::OK,
            CSP,
            pages::render_error(&pages::ErrorPage {
                lang,
                title: logged_out(lang).0,
                description: logged_out(lang).1,
                error_code: None,
            }),
        ),
    };
    if let Some(s) = &session {
        add_cookie(
            &mut res,
            &sso_cookie_name(&s.session.pool_id),
            "",
            "/",
            0,
            secure(&state),
        );
    }
    res
}

/// The page after a logout with nowhere to return to.
fn logged_out(lang: Lang) -> (&'static str, &'static str) {
    match lang {
        Lang::ZhCn => ("已退出登录", "你已退出登录。可以关闭此页面。"),
        Lang::EnUs => ("Signed out", "You are signed out. You can close this page."),
    }
}

fn landing_redirect() -> Response {
    redirect("/")
}

/// `GET /`: what this server is, and each pool's applications' sign-in links.
pub async fn landing(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = pick(None, accept_language(&headers));
    let pools = match state.core.landing_directory().await {
        Ok(p) => p,
        Err(e) => return error_page(lang, &e),
    };
    let listed: Vec<pages::LandingPool> = pools
        .iter()
        .map(|(pool, apps)| pages::LandingPool {
            name: &pool.name,
            apps: apps
                .iter()
                .filter_map(|a| {
                    let uri = a.oidc.redirect_uris.first()?;
                    let q = serde_urlencoded::to_string([
                        ("client_id", a.id.as_str()),
                        ("redirect_uri", uri.as_str()),
                        ("response_type", "code"),
                        ("scope", "openid profile"),
                    ])
                    .ok()?;
                    Some((a.name.as_str(), format!("/oidc/auth?{q}")))
                })
                .collect(),
        })
        .collect();
    let html = pages::render_landing(&pages::LandingPage {
        lang,
        pools: &listed,
        version: env!("CARGO_PKG_VERSION"),
    });
    page(StatusCode::OK, CSP, html)
}

/// `POST /interaction/oidc/{id}/abort`: the user gives up; the client hears `access_denied`.
pub async fn abort(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (v, i, lang, _) = match parked_form(&state, &headers, &id, &body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    match state.core.oidc_finish(&i.id).await {
        Ok(true) => refuse(
            Refusal {
                error: tessera_core::protocol(
                    ProtocolError::AccessDenied,
                    "the user cancelled the sign-in",
                ),
                to: Some(v.req.to.clone()),
            },
            lang,
        ),
        Ok(false) => forbidden_form(lang),
        Err(e) => error_page(lang, &e),
    }
}
