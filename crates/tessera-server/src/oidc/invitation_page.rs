//! The hosted tenant-invitation page, where an invitation link leads
//! (`service::tenant_invitations`): `GET /tenant-invitation?userpool_id=…&token=…` shows the
//! tenant, the application and the invited address, and asks for the password of that
//! address's account in the pool; `POST /tenant-invitation` signs that account in through the
//! one core login and, with it, makes the account a member of the tenant
//! (`Core::accept_tenant_invitation`). Someone without an account registers in the
//! application first, with the invited address. The token travels in the URL and the form
//! only; the page is `no-store` and sends no referrer (`browser::page`).

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use tessera_core::service::tenant_invitations::{InvitationState, InvitationView};
use tessera_core::Error;

use super::browser::{accept_language, authing_lang, client_context, error_page, page};
use super::wire::Peer;
use crate::authing::errors::message as authing_message;
use crate::hosted::html::{escape, layout, Page, CSP};
use crate::hosted::i18n::{pick, Lang};
use crate::AppState;

/// The query of the link, and the fields of the form.
#[derive(Deserialize, Default)]
pub struct InvitationParams {
    userpool_id: Option<String>,
    token: Option<String>,
    password: Option<String>,
}

/// The page's words in one language.
struct Words {
    title: &'static str,
    invited: &'static str,
    tenant: &'static str,
    application: &'static str,
    account: &'static str,
    password: &'static str,
    accept: &'static str,
    no_account: &'static str,
    joined: &'static str,
    used: &'static str,
    expired: &'static str,
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::ZhCn => Words {
            title: "租户邀请",
            invited: "您受邀加入以下租户。请用被邀请邮箱的账号登录以加入。",
            tenant: "租户",
            application: "应用",
            account: "被邀请的邮箱",
            password: "密码",
            accept: "登录并加入",
            no_account: "还没有账号？请先在该应用中用此邮箱注册，再打开本链接。",
            joined: "您已加入租户",
            used: "此邀请已被使用。",
            expired: "此邀请已过期，请联系管理员重新邀请。",
        },
        Lang::EnUs => Words {
            title: "Tenant invitation",
            invited: "You are invited to join the tenant below. Sign in with the account of the invited email address to join.",
            tenant: "Tenant",
            application: "Application",
            account: "Invited email address",
            password: "Password",
            accept: "Sign in and join",
            no_account: "No account yet? Register in the application with this address first, then open this link again.",
            joined: "You have joined the tenant",
            used: "This invitation has already been used.",
            expired: "This invitation has expired. Ask the administrator to invite you again.",
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

fn form_page(
    lang: Lang,
    pool_id: &str,
    token: &str,
    view: &InvitationView,
    error: Option<&str>,
) -> Response {
    let w = words(lang);
    let mut body = format!(
        "<main>\n<h1>{title}</h1>\n<p class=\"intro\">{invited}</p>\n\
         <p>{tenant_l}: <strong>{tenant}</strong><br>{app_l}: <strong>{app}</strong></p>\n",
        title = escape(w.title),
        invited = escape(w.invited),
        tenant_l = escape(w.tenant),
        tenant = escape(&view.tenant.name),
        app_l = escape(w.application),
        app = escape(&view.app.name),
    );
    let status = match view.state {
        InvitationState::Pending => {
            if let Some(e) = error {
                body.push_str(&format!(
                    "<p class=\"error\" role=\"alert\">{}</p>\n",
                    escape(e)
                ));
            }
            body.push_str(&format!(
                "<form method=\"post\" action=\"/tenant-invitation\">\n\
                 <input type=\"hidden\" name=\"userpool_id\" value=\"{pool}\">\n\
                 <input type=\"hidden\" name=\"token\" value=\"{token}\">\n\
                 <label>{account_l}<input type=\"email\" value=\"{email}\" readonly></label>\n\
                 <label>{password_l}<input type=\"password\" name=\"password\" \
                 autocomplete=\"current-password\" required></label>\n\
                 <button type=\"submit\">{accept}</button>\n</form>\n\
                 <p class=\"muted\">{no_account}</p>\n",
                pool = escape(pool_id),
                token = escape(token),
                account_l = escape(w.account),
                email = escape(&view.invitation.email),
                password_l = escape(w.password),
                accept = escape(w.accept),
                no_account = escape(w.no_account),
            ));
            if error.is_some() {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            }
        }
        InvitationState::Accepted => {
            body.push_str(&format!("<p role=\"alert\">{}</p>\n", escape(w.used)));
            StatusCode::GONE
        }
        InvitationState::Expired => {
            body.push_str(&format!("<p role=\"alert\">{}</p>\n", escape(w.expired)));
            StatusCode::GONE
        }
    };
    body.push_str("</main>");
    page(status, CSP, document(lang, body))
}

fn required(v: Option<String>, field: &'static str) -> Result<String, Error> {
    v.map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .ok_or(Error::MissingParameter(field))
}

/// `GET /tenant-invitation`: the invitation and its form.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<InvitationParams>,
) -> Response {
    let lang = lang_of(&headers);
    let (pool_id, token) = match (
        required(q.userpool_id, "userpool_id"),
        required(q.token, "token"),
    ) {
        (Ok(p), Ok(t)) => (p, t),
        (Err(e), _) | (_, Err(e)) => return error_page(lang, &e),
    };
    match state.core.tenant_invitation_view(&pool_id, &token).await {
        Ok(view) => form_page(lang, &pool_id, &token, &view, None),
        Err(e) => error_page(lang, &e),
    }
}

/// `POST /tenant-invitation`: the invitee's password; on success, the confirmation.
pub async fn accept(
    State(state): State<AppState>,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = lang_of(&headers);
    let f: InvitationParams = match serde_urlencoded::from_bytes(&body) {
        Ok(f) => f,
        Err(_) => return error_page(lang, &Error::InvalidParameter("form")),
    };
    let (pool_id, token) = match (
        required(f.userpool_id, "userpool_id"),
        required(f.token, "token"),
    ) {
        (Ok(p), Ok(t)) => (p, t),
        (Err(e), _) | (_, Err(e)) => return error_page(lang, &e),
    };
    let view = match state.core.tenant_invitation_view(&pool_id, &token).await {
        Ok(v) => v,
        Err(e) => return error_page(lang, &e),
    };
    let client = client_context(&state, peer, &headers, &view.app.id);
    let password = f.password.unwrap_or_default();
    match state
        .core
        .accept_tenant_invitation(&pool_id, &token, &password, client)
        .await
    {
        Ok((_, tenant)) => {
            let w = words(lang);
            let body = format!(
                "<main>\n<h1>{title}</h1>\n<p role=\"status\">{joined}: <strong>{tenant}</strong></p>\n</main>",
                title = escape(w.title),
                joined = escape(w.joined),
                tenant = escape(&tenant.name),
            );
            page(StatusCode::OK, CSP, document(lang, body))
        }
        Err(e @ (Error::Internal(_) | Error::Storage(_))) => error_page(lang, &e),
        Err(e) => {
            // The invitation as it is now (used or expired meanwhile shows so), with the
            // reason in the caller's language.
            let said = authing_message(&e, authing_lang(lang));
            match state.core.tenant_invitation_view(&pool_id, &token).await {
                Ok(now) => form_page(lang, &pool_id, &token, &now, Some(&said)),
                Err(e) => error_page(lang, &e),
            }
        }
    }
}
