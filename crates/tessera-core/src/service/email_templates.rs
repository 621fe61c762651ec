//! A pool's email templates (`getEmailTemplates`, `updateEmailTemplate`,
//! `previewEmailTemplate`) and their use: when the pool's template for the email being sent
//! is enabled, the core renders it (`rules::email_template`) and the notifier sends that;
//! otherwise the notifier's built-in text goes out.

use super::audit::AuditEntry;
use super::Core;
use crate::clock;
use crate::error::{Error, Result};
use crate::model::audit::{OperationType, ResourceKind};
use crate::model::email_template::{
    EmailTemplate, EmailTemplateKind, RenderedEmail, TemplateEngine,
};
use crate::model::UserPool;
use crate::principal::PoolAdmin;
use crate::rules::email_template::{render, render_line};

/// Bounds on what an administrator stores: a template is read on every email sent.
const MAX_CONTENT_BYTES: usize = 64 * 1024;
const MAX_LINE_BYTES: usize = 512;
/// A day, in seconds: longer than any code should live.
const MAX_EXPIRES_IN: i64 = 24 * 3600;

/// What `updateEmailTemplate` gives. `engine` is the wire's `tplEngine` as given (absent
/// means handlebar).
#[derive(Debug, Clone)]
pub struct TemplateInput {
    pub kind: EmailTemplateKind,
    pub customize_enabled: bool,
    pub name: String,
    pub subject: String,
    pub sender: String,
    pub content: String,
    pub expires_in: Option<i64>,
    pub redirect_to: Option<String>,
    pub engine: Option<String>,
}

/// What `previewEmailTemplate` gives: the template's text as being edited; an absent part
/// is the pool's current one.
#[derive(Debug, Clone)]
pub struct PreviewInput {
    pub kind: EmailTemplateKind,
    pub subject: Option<String>,
    pub sender: Option<String>,
    pub content: Option<String>,
    pub expires_in: Option<i64>,
    pub engine: Option<String>,
}

/// Only handlebar-style substitution is served; an `ejs` template would be code run on the
/// server, so it is refused rather than stored.
fn engine(given: Option<&str>) -> Result<TemplateEngine> {
    match given {
        None | Some("handlebar") => Ok(TemplateEngine::Handlebar),
        Some(_) => Err(Error::InvalidParameter("tplEngine")),
    }
}

fn line(field: &'static str, v: &str, required: bool) -> Result<()> {
    if (required && v.trim().is_empty()) || v.len() > MAX_LINE_BYTES || v.contains(['\r', '\n']) {
        return Err(Error::InvalidParameter(field));
    }
    Ok(())
}

fn expires_in(v: Option<i64>) -> Result<Option<i64>> {
    match v {
        Some(s) if !(1..=MAX_EXPIRES_IN).contains(&s) => Err(Error::InvalidParameter("expiresIn")),
        v => Ok(v),
    }
}

fn check_content(v: &str) -> Result<()> {
    if v.trim().is_empty() || v.len() > MAX_CONTENT_BYTES {
        return Err(Error::InvalidParameter("content"));
    }
    Ok(())
}

/// Renders `t` for one email (a code email, or a preview with sample values).
pub(crate) fn render_template(
    t: &EmailTemplate,
    pool: &UserPool,
    email: &str,
    code: &str,
    minutes: i64,
) -> RenderedEmail {
    let minutes = minutes.to_string();
    // The names Authing's default templates use; `appName` is the pool's name because a
    // code email is sent for the pool, not for one of its applications.
    let vars: [(&str, &str); 6] = [
        ("code", code),
        ("expiresIn", &minutes),
        ("userPoolName", &pool.name),
        ("appName", &pool.name),
        ("email", email),
        ("redirectTo", t.redirect_to.as_deref().unwrap_or("")),
    ];
    RenderedEmail {
        subject: render_line(&t.subject, &vars),
        html: render(&t.content, &vars),
        // The sender is a display name: rendered like the rest but never escaped into
        // markup, since it goes into a header, where the mailer quotes it.
        sender: t.sender.clone(),
    }
}

impl Core {
    /// Every kind of template the pool has: the stored ones, and the built-in default of
    /// each kind never customized, in the wire's order.
    pub async fn email_templates(&self, pool: &PoolAdmin) -> Result<Vec<EmailTemplate>> {
        let stored = self.store.email_templates(&pool.id).await?;
        Ok(EmailTemplateKind::ALL
            .into_iter()
            .map(|k| {
                stored
                    .iter()
                    .find(|t| t.kind == k)
                    .cloned()
                    .unwrap_or_else(|| EmailTemplate::builtin(k))
            })
            .collect())
    }

    /// `updateEmailTemplate`: checks everything, then replaces the pool's template of that
    /// kind; a refused one writes nothing.
    pub async fn update_email_template(
        &self,
        pool: &PoolAdmin,
        input: TemplateInput,
    ) -> Result<EmailTemplate> {
        let engine = engine(input.engine.as_deref())?;
        line("name", &input.name, true)?;
        line("subject", &input.subject, true)?;
        line("sender", &input.sender, false)?;
        check_content(&input.content)?;
        let expires_in = expires_in(input.expires_in)?;
        if let Some(r) = &input.redirect_to {
            line("redirectTo", r, false)?;
        }
        let t = EmailTemplate {
            kind: input.kind,
            customize_enabled: input.customize_enabled,
            name: input.name,
            subject: input.subject,
            sender: input.sender,
            content: input.content,
            expires_in,
            redirect_to: input.redirect_to.filter(|r| !r.is_empty()),
            engine,
            updated_at: clock::now_ms(),
        };
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::UserPool)
            .target(pool.pool_id())
            .fields(["emailTemplate", t.kind.as_str()]);
        let put = self.store.put_email_template(&pool.id, &t).await;
        self.audit(pool, entry, put).await?;
        Ok(t)
    }

    /// `previewEmailTemplate`: the email as it would be sent, with sample values for the
    /// code and the recipient.
    pub async fn preview_email_template(
        &self,
        pool: &PoolAdmin,
        input: PreviewInput,
    ) -> Result<RenderedEmail> {
        engine(input.engine.as_deref())?;
        let expires = expires_in(input.expires_in)?;
        let p = self.pool(pool.pool_id()).await?;
        let mut t = self
            .store
            .email_template(&pool.id, input.kind)
            .await?
            .unwrap_or_else(|| EmailTemplate::builtin(input.kind));
        if let Some(s) = input.subject {
            line("subject", &s, false)?;
            t.subject = s;
        }
        if let Some(s) = input.sender {
            line("sender", &s, false)?;
            t.sender = s;
        }
        if let Some(c) = input.content {
            check_content(&c)?;
            t.content = c;
        }
        let minutes = match expires.or(t.expires_in) {
            Some(s) => (s / 60).max(1),
            None => p.settings.verify_code_expires_after / 60,
        };
        Ok(render_template(
            &t,
            &p,
            "user@example.com",
            "123456",
            minutes,
        ))
    }

    /// The pool's enabled template for a code email of `scene`, if any: read before the
    /// code is made, so a failed read leaves no code behind that was never sent.
    pub(crate) async fn enabled_code_template(
        &self,
        pool: &UserPool,
        scene: &str,
    ) -> Result<Option<EmailTemplate>> {
        let Some(kind) = EmailTemplateKind::for_scene(scene) else {
            return Ok(None);
        };
        Ok(self
            .store
            .email_template(&pool.id, kind)
            .await?
            .filter(|t| t.customize_enabled))
    }
}
