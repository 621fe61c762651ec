//! Email templates (`v3-wire.md` §4 "Messaging"): `getEmailTemplates`,
//! `updateEmailTemplate`, `previewEmailTemplate`. The pool's templates live in the core
//! (`Core::email_templates`); an enabled one words the verification-code emails of its kind
//! (`EmailTemplateKind::for_scene`), which `tessera-notify` then sends as given.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tessera_core::model::email_template::{EmailTemplate, EmailTemplateKind};
use tessera_core::service::email_templates::{PreviewInput, TemplateInput};
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{ok, Reply};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-email-templates", get(list))
        .route("/api/v3/update-email-template", post(update))
        .route("/api/v3/preview-email-template", post(preview))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateRequest {
    #[serde(rename = "type")]
    kind: String,
    customize_enabled: bool,
    name: String,
    subject: String,
    sender: String,
    content: String,
    expires_in: Option<i64>,
    redirect_to: Option<String>,
    tpl_engine: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PreviewRequest {
    #[serde(rename = "type")]
    kind: String,
    content: Option<String>,
    subject: Option<String>,
    sender: Option<String>,
    expires_in: Option<i64>,
    tpl_engine: Option<String>,
}

fn kind(s: &str) -> Result<EmailTemplateKind, Error> {
    EmailTemplateKind::parse(s).ok_or(Error::InvalidParameter("type"))
}

/// `EmailTemplateDto`.
fn template_dto(t: &EmailTemplate) -> Value {
    json!({
        "customizeEnabled": t.customize_enabled,
        "type": t.kind.as_str(),
        "name": t.name,
        "subject": t.subject,
        "sender": t.sender,
        "content": t.content,
        "expiresIn": t.expires_in,
        "redirectTo": t.redirect_to,
        "tplEngine": t.engine.as_str(),
    })
}

/// `EmailTemplateCategoryDto`s: how the console groups the kinds.
fn categories() -> Value {
    json!([
        {
            "title": "验证码邮件",
            "titleEn": "Verification code emails",
            "desc": "注册、登录、重置密码、MFA、绑定与解绑邮箱时发送的验证码",
            "descEn": "Codes sent for registration, login, password reset, MFA and email binding",
        },
        {
            "title": "通知邮件",
            "titleEn": "Notification emails",
            "desc": "欢迎、账号创建与密码变更通知",
            "descEn": "Welcome, account creation and password change notices",
        },
    ])
}

async fn list(m: Mgmt) -> Reply {
    let templates = m
        .core()
        .email_templates(&m.admin)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        json!({
            "templates": templates.iter().map(template_dto).collect::<Vec<_>>(),
            "categories": categories(),
        }),
    ))
}

async fn update(m: Mgmt) -> Reply {
    let r: UpdateRequest = m.args().map_err(|e| m.fail(e))?;
    let input = TemplateInput {
        kind: kind(&r.kind).map_err(|e| m.fail(e))?,
        customize_enabled: r.customize_enabled,
        name: r.name,
        subject: r.subject,
        sender: r.sender,
        content: r.content,
        expires_in: r.expires_in,
        redirect_to: r.redirect_to,
        engine: r.tpl_engine,
    };
    let t = m
        .core()
        .update_email_template(&m.admin, input)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(m.lang, template_dto(&t)))
}

async fn preview(m: Mgmt) -> Reply {
    let r: PreviewRequest = m.args().map_err(|e| m.fail(e))?;
    let input = PreviewInput {
        kind: kind(&r.kind).map_err(|e| m.fail(e))?,
        subject: r.subject,
        sender: r.sender,
        content: r.content,
        expires_in: r.expires_in,
        engine: r.tpl_engine,
    };
    let out = m
        .core()
        .preview_email_template(&m.admin, input)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        json!({ "content": out.html, "subject": out.subject, "sender": out.sender }),
    ))
}
