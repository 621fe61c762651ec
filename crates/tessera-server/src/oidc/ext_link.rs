//! The browser half of a flow to an external OpenID Provider (`Core::ext_oidc_*`): the start
//! link `generateLinkExtIdpUrl` hands out (`GET /connections/oidc/start?ticket=…`), which
//! binds the browser by a cookie and sends it to the provider, and the callback every `oidc`
//! connection registers at its provider (`GET /connections/oidc/callback`). The callback
//! ends at the link's `target_url` (`?linked=true`) or on a page saying it is done; a
//! refusal is a page in the browser's language with a non-200 status: 404 for an unknown,
//! used, expired or foreign flow, 502 when the provider cannot be reached, 400 otherwise.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use tessera_core::{Error, ProviderFailure};

use super::browser::{
    accept_language, authing_lang, client_context, error_page, logged_in, page, parked, redirect,
    secure,
};
use super::wire::{add_cookie, cookie, Peer};
use crate::authing::errors::message as authing_message;
use crate::hosted::html::{escape, layout, Page, CSP};
use crate::hosted::i18n::{pick, Lang};
use crate::AppState;
use tessera_core::service::ext_oidc::{ExtOidcCallback, ExtOidcDone, ExtOidcLogin, CALLBACK_PATH};
use tessera_core::service::login::LoginOptions;

/// The cookie binding a started flow to its browser; only the callback reads it.
const BINDING_COOKIE: &str = "textoidc";
/// As long as a flow lives.
const BINDING_MAX_AGE_S: i64 = 600;

#[derive(Debug, Deserialize)]
pub struct StartParams {
    ticket: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CallbackParams {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

struct Words {
    title: &'static str,
    linked: &'static str,
    failed: &'static str,
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::ZhCn => Words {
            title: "绑定身份源",
            linked: "身份源账号已绑定，你可以关闭此页面。",
            failed: "绑定失败",
        },
        Lang::EnUs => Words {
            title: "Link an identity provider",
            linked: "The identity provider's account is linked. You can close this page.",
            failed: "Linking failed",
        },
    }
}

fn lang_of(headers: &HeaderMap) -> Lang {
    pick(None, accept_language(headers))
}

fn document(lang: Lang, body: String) -> String {
    layout(&Page {
        lang,
        title: words(lang).title,
        body,
    })
}

/// A refusal, worded as the Authing wire words it, in the browser's language.
fn refusal(lang: Lang, e: &Error) -> Response {
    let status = match e {
        Error::NotFound(_) => StatusCode::NOT_FOUND,
        Error::Provider(ProviderFailure::Unavailable) => StatusCode::BAD_GATEWAY,
        Error::Internal(_) | Error::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    if matches!(e, Error::Internal(_) | Error::Storage(_)) {
        tracing::error!(error = %e, "external OIDC flow failed");
    }
    let w = words(lang);
    let body = format!(
        "<main>\n<h1>{}</h1>\n<p class=\"error\" role=\"alert\">{}</p>\n</main>",
        escape(w.failed),
        escape(&authing_message(e, authing_lang(lang)))
    );
    page(status, CSP, document(lang, body))
}

/// The browser sent to the provider with the cookie binding it to the flow.
fn to_provider(state: &AppState, r: tessera_core::service::ext_oidc::ExtOidcRedirect) -> Response {
    let mut res = redirect(&r.authorize_url);
    add_cookie(
        &mut res,
        BINDING_COOKIE,
        &r.browser_binding,
        CALLBACK_PATH,
        BINDING_MAX_AGE_S,
        secure(state),
    );
    res
}

/// `GET /interaction/oidc/{id}/connections/oidc/{identifier}`: the hosted login page's
/// button; a login of the parked request `id` through the provider.
pub async fn login_start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, identifier)): Path<(String, String)>,
) -> Response {
    let (v, i, lang) = match parked(&state, &headers, &id).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    match state
        .core
        .ext_oidc_login_start(&v.pool, &v.app, &identifier, &i.id)
        .await
    {
        Ok(r) => to_provider(&state, r),
        Err(e) => refusal(lang, &e),
    }
}

/// A login the provider vouched for, run for its parked request: the browser that started
/// it is proven by the flow's cookie (the parked request's own cookie is scoped to its
/// pages), and the request continues as after any login.
async fn finish_login(
    state: &AppState,
    peer: Option<std::net::SocketAddr>,
    headers: &HeaderMap,
    lang: Lang,
    login: ExtOidcLogin,
) -> Response {
    let found = match state.core.oidc_resume(&login.interaction_id).await {
        Ok(f) => f,
        Err(e) => return error_page(lang, &e),
    };
    let Some((v, i)) = found else {
        return refusal(lang, &Error::NotFound(tessera_core::Entity::ExtOidcFlow));
    };
    if v.pool.id != login.pool_id || v.app.id != login.app_id {
        return refusal(lang, &Error::NotFound(tessera_core::Entity::ExtOidcFlow));
    }
    let opts = LoginOptions {
        client: client_context(state, peer, headers, &v.app.id),
        ..LoginOptions::default()
    };
    match state
        .core
        .authenticate(&v.pool, Some(&v.app), login.credential, opts)
        .await
    {
        Ok(event) => logged_in(state, &v, &i, lang, event).await,
        Err(e) => refusal(lang, &e),
    }
}

/// `GET /connections/oidc/start`: the flow starts once; the browser goes to the provider.
pub async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<StartParams>,
) -> Response {
    let lang = lang_of(&headers);
    let ticket = q.ticket.unwrap_or_default();
    match state.core.ext_oidc_start(ticket.trim()).await {
        Ok(r) => to_provider(&state, r),
        Err(e) => refusal(lang, &e),
    }
}

/// `GET /connections/oidc/callback`: the provider's answer, checked and linked.
pub async fn callback(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    Query(q): Query<CallbackParams>,
) -> Response {
    let lang = lang_of(&headers);
    let cb = ExtOidcCallback {
        state: q.state,
        code: q.code,
        error: q.error,
        browser_binding: cookie(&headers, BINDING_COOKIE).map(str::to_owned),
    };
    let mut res = match state.core.ext_oidc_callback(cb).await {
        Ok(ExtOidcDone::Login(login)) => finish_login(&state, peer, &headers, lang, login).await,
        Ok(ExtOidcDone::Linked(done)) => match done.target_url {
            Some(target) => {
                let sep = if target.contains('?') { '&' } else { '?' };
                redirect(&format!("{target}{sep}linked=true"))
            }
            None => {
                let body = format!(
                    "<main>\n<h1>{}</h1>\n<p class=\"intro\" role=\"status\">{}</p>\n</main>",
                    escape(words(lang).title),
                    escape(words(lang).linked)
                );
                page(StatusCode::OK, CSP, document(lang, body))
            }
        },
        Err(e) => refusal(lang, &e),
    };
    // The binding has served its one flow.
    add_cookie(
        &mut res,
        BINDING_COOKIE,
        "",
        CALLBACK_PATH,
        0,
        secure(&state),
    );
    res
}
