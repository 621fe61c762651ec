//! The harness's message sinks and the "mailbox" HTTP API the JS tests read codes from.
//!
//! * An SMTP sink (a minimal SMTP server over TCP) that keeps every message lettre delivers.
//! * An SMS webhook receiver (`POST /sms`, the JSON `tessera_notify::SmsWebhook` sends).
//! * A push-gateway webhook receiver (`POST /push`, the JSON `tessera_notify::PushWebhook`
//!   sends for push logins).
//! * The captchas the server issued, reported through the core's captcha hook.
//!
//! Every stored message carries a sequence number from one counter, so a test can take a
//! mark (`GET /seq`) before it triggers a send and then wait for a message newer than it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

use crate::mime;

/// One email as the SMTP sink received it, decoded.
#[derive(Debug, Clone, Serialize)]
pub struct Mail {
    pub seq: u64,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    /// The first run of 4–8 digits in the text, if any.
    pub code: Option<String>,
}

/// One SMS as the webhook received it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sms {
    #[serde(default)]
    pub seq: u64,
    pub phone: String,
    #[serde(default)]
    pub phone_country_code: Option<String>,
    pub code: String,
    #[serde(default)]
    pub scene: Option<String>,
    #[serde(default)]
    pub user_pool_id: Option<String>,
    /// Which webhook URL received it: `None` for `/sms`, the suffix for `/sms/{channel}`
    /// (a pool's own SMS provider in the tests).
    #[serde(default)]
    pub channel: Option<String>,
    /// A tenant import's notice (scene `TENANT_IMPORT_NOTICE`), as the webhook sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<serde_json::Value>,
}

/// One push-login request as the push webhook received it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Push {
    #[serde(default)]
    pub seq: u64,
    pub user_pool_id: String,
    pub app_id: String,
    pub user_id: String,
    pub push_code_id: String,
    pub expire_time: i64,
    #[serde(default)]
    pub client_ip: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Captcha {
    pub seq: u64,
    pub key: String,
    pub answer: String,
}

#[derive(Default)]
struct Inner {
    seq: u64,
    mails: Vec<Mail>,
    sms: Vec<Sms>,
    pushes: Vec<Push>,
    captchas: Vec<Captcha>,
}

/// Everything the sinks received. Cheap to clone.
#[derive(Clone, Default)]
pub struct Mailbox {
    inner: Arc<Mutex<Inner>>,
}

impl Mailbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn seq(&self) -> u64 {
        self.lock().seq
    }

    pub fn push_mail(&self, from: String, to: Vec<String>, raw: &[u8]) {
        let parsed = mime::parse(raw);
        let mut g = self.lock();
        g.seq += 1;
        let seq = g.seq;
        let code = mime::first_code(&parsed.text);
        g.mails.push(Mail {
            seq,
            from,
            to,
            subject: parsed.subject,
            text: parsed.text,
            code,
        });
    }

    pub fn push_sms(&self, mut sms: Sms) {
        let mut g = self.lock();
        g.seq += 1;
        sms.seq = g.seq;
        g.sms.push(sms);
    }

    pub fn push_push(&self, mut push: Push) {
        let mut g = self.lock();
        g.seq += 1;
        push.seq = g.seq;
        g.pushes.push(push);
    }

    /// Records a captcha the server issued (the core's captcha hook calls this).
    pub fn push_captcha(&self, key: &str, answer: &str) {
        let mut g = self.lock();
        g.seq += 1;
        let seq = g.seq;
        g.captchas.push(Captcha {
            seq,
            key: key.to_owned(),
            answer: answer.to_owned(),
        });
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.lock().mails.clone()
    }

    pub fn captchas(&self) -> Vec<Captcha> {
        self.inner
            .lock()
            .map(|g| g.captchas.clone())
            .unwrap_or_default()
    }

    pub fn sms(&self) -> Vec<Sms> {
        self.lock().sms.clone()
    }
}

// ---------------------------------------------------------------------------------------------
// SMTP sink

/// Starts the SMTP sink on 127.0.0.1:0 and returns its address.
pub async fn start_smtp(mailbox: Mailbox) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let mb = mailbox.clone();
            tokio::spawn(async move {
                if let Err(e) = smtp_session(stream, mb).await {
                    eprintln!("compat smtp sink: session error: {e}");
                }
            });
        }
    });
    Ok(addr)
}

async fn smtp_session(stream: TcpStream, mailbox: Mailbox) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write.write_all(b"220 compat-sink ESMTP ready\r\n").await?;
    let mut from = String::new();
    let mut rcpts: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let cmd = text.trim_end();
        let upper = cmd.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-compat-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 OK\r\n"
        } else if upper.starts_with("HELO") {
            b"250 compat-sink\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = angle_addr(&cmd[10..]);
            rcpts.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            rcpts.push(angle_addr(&cmd[8..]));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut body: Vec<u8> = Vec::new();
            loop {
                line.clear();
                if reader.read_until(b'\n', &mut line).await? == 0 {
                    return Ok(());
                }
                if line == b".\r\n" || line == b".\n" {
                    break;
                }
                // Dot-stuffing: a leading ".." stands for ".".
                if line.starts_with(b"..") {
                    body.extend_from_slice(&line[1..]);
                } else {
                    body.extend_from_slice(&line);
                }
            }
            mailbox.push_mail(std::mem::take(&mut from), std::mem::take(&mut rcpts), &body);
            b"250 OK: queued\r\n"
        } else if upper.starts_with("RSET") {
            from.clear();
            rcpts.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("NOOP") {
            b"250 OK\r\n"
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            b"502 Command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

fn angle_addr(s: &str) -> String {
    let s = s.trim();
    let inner = match (s.find('<'), s.find('>')) {
        (Some(a), Some(b)) if b > a => &s[a + 1..b],
        _ => s.split_whitespace().next().unwrap_or(""),
    };
    inner.to_owned()
}

// ---------------------------------------------------------------------------------------------
// HTTP: SMS webhook + mailbox API

#[derive(Deserialize)]
struct MailQuery {
    to: Option<String>,
    since: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SmsQuery {
    phone: Option<String>,
    phone_country_code: Option<String>,
    since: Option<u64>,
}

#[derive(Deserialize)]
struct CaptchaQuery {
    key: Option<String>,
    since: Option<u64>,
}

fn not_found(what: &str) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "error": what }))).into_response()
}

fn same_cc(a: Option<&str>, b: &str) -> bool {
    let norm = |s: &str| s.trim().trim_start_matches('+').to_owned();
    a.is_some_and(|a| norm(a) == norm(b))
}

fn mails_for(mb: &Mailbox, q: &MailQuery) -> Vec<Mail> {
    let since = q.since.unwrap_or(0);
    mb.mails()
        .into_iter()
        .filter(|m| m.seq > since)
        .filter(|m| match &q.to {
            Some(to) => m.to.iter().any(|r| r.eq_ignore_ascii_case(to.trim())),
            None => true,
        })
        .collect()
}

fn sms_for(mb: &Mailbox, q: &SmsQuery) -> Vec<Sms> {
    let since = q.since.unwrap_or(0);
    mb.sms()
        .into_iter()
        .filter(|s| s.seq > since)
        .filter(|s| match &q.phone {
            Some(p) => s.phone == *p,
            None => true,
        })
        .filter(|s| match &q.phone_country_code {
            Some(cc) if !cc.is_empty() => same_cc(s.phone_country_code.as_deref(), cc),
            _ => true,
        })
        .collect()
}

/// The mailbox HTTP API:
///
/// * `POST /sms` — the SMS webhook (JSON `{phone, phoneCountryCode, code, scene, userPoolId}`,
///   and a tenant import's `notice`, kept as sent).
/// * `GET /seq` → `{seq}`: the newest sequence number, a mark for `since=`.
/// * `GET /mail/last?to=&since=` → `{seq, from, to, subject, text, code}` (404 if none).
/// * `GET /mail/all?to=&since=` → `[…]`.
/// * `GET /sms/last?phone=&phoneCountryCode=&since=` → `{seq, phone, phoneCountryCode, code,
///   scene, userPoolId}` (404 if none); `GET /sms/all` likewise.
/// * `GET /captcha/last?key=&since=` → `{seq, key, answer}` (404 if none).
/// * `POST /push` — the push webhook (JSON `{userPoolId, appId, userId, pushCodeId,
///   expireTime, clientIp, userAgent}`); `GET /push/all?userId=&since=` → `[…]`.
pub fn router(mailbox: Mailbox) -> Router {
    Router::new()
        .route("/sms", post(sms_webhook))
        .route("/push", post(push_webhook))
        .route("/push/all", get(push_all))
        .route("/sms/via/{channel}", post(sms_channel_webhook))
        .route("/seq", get(seq))
        .route("/mail/last", get(mail_last))
        .route("/mail/all", get(mail_all))
        .route("/sms/last", get(sms_last))
        .route("/sms/all", get(sms_all))
        .route("/captcha/last", get(captcha_last))
        .with_state(mailbox)
}

async fn sms_webhook(State(mb): State<Mailbox>, Json(sms): Json<Sms>) -> Response {
    mb.push_sms(sms);
    Json(json!({ "ok": true })).into_response()
}

async fn sms_channel_webhook(
    State(mb): State<Mailbox>,
    axum::extract::Path(channel): axum::extract::Path<String>,
    Json(mut sms): Json<Sms>,
) -> Response {
    sms.channel = Some(channel);
    mb.push_sms(sms);
    Json(json!({ "ok": true })).into_response()
}

async fn push_webhook(State(mb): State<Mailbox>, Json(push): Json<Push>) -> Response {
    mb.push_push(push);
    Json(json!({ "ok": true })).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PushQuery {
    user_id: Option<String>,
    since: Option<u64>,
}

async fn push_all(State(mb): State<Mailbox>, Query(q): Query<PushQuery>) -> Response {
    let since = q.since.unwrap_or(0);
    let found: Vec<Push> = mb
        .lock()
        .pushes
        .iter()
        .filter(|p| p.seq > since)
        .filter(|p| q.user_id.as_deref().is_none_or(|u| p.user_id == u))
        .cloned()
        .collect();
    Json(found).into_response()
}

async fn seq(State(mb): State<Mailbox>) -> Response {
    Json(json!({ "seq": mb.seq() })).into_response()
}

async fn mail_last(State(mb): State<Mailbox>, Query(q): Query<MailQuery>) -> Response {
    match mails_for(&mb, &q).pop() {
        Some(m) => Json(m).into_response(),
        None => not_found("no mail"),
    }
}

async fn mail_all(State(mb): State<Mailbox>, Query(q): Query<MailQuery>) -> Response {
    Json(mails_for(&mb, &q)).into_response()
}

async fn sms_last(State(mb): State<Mailbox>, Query(q): Query<SmsQuery>) -> Response {
    match sms_for(&mb, &q).pop() {
        Some(s) => Json(s).into_response(),
        None => not_found("no sms"),
    }
}

async fn sms_all(State(mb): State<Mailbox>, Query(q): Query<SmsQuery>) -> Response {
    Json(sms_for(&mb, &q)).into_response()
}

async fn captcha_last(State(mb): State<Mailbox>, Query(q): Query<CaptchaQuery>) -> Response {
    let since = q.since.unwrap_or(0);
    let found = mb
        .lock()
        .captchas
        .iter()
        .rev()
        .find(|c| {
            c.seq > since
                && match q.key.as_deref() {
                    Some(k) => c.key == k,
                    None => true,
                }
        })
        .cloned();
    match found {
        Some(c) => Json(c).into_response(),
        None => not_found("no captcha"),
    }
}

/// Serves the mailbox API on 127.0.0.1:0; returns its address.
pub async fn start_http(mailbox: Mailbox) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = router(mailbox);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("compat mailbox: server stopped: {e}");
        }
    });
    Ok(addr)
}
