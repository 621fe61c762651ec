//! Messaging (`v3-wire.md` §4 "Messaging"): the pool's own email provider, the SMTP server
//! its verification emails leave through instead of the deployment's. It is the setting
//! the v2 `updateUserpool({customEmailProvider})` edits (`{provider: "smtp", config: {url,
//! from}}`), so both wires read and write one setting through `Core::update_pool`.
//!
//! Only `type: "custom"` (an SMTP server) is served: the vendor types (`ali`, `qq`,
//! `sendgrid`) name APIs or hosts Tessera does not speak to. The SMTP password never leaves
//! the server: it is answered as `***`, as the v2 pool detail masks it.
//!
//! Email templates are served by `email_templates.rs`.

use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use tessera_core::model::ProviderSettings;
use tessera_core::Error;

use super::call::Mgmt;
use super::envelope::{ok, Reply};
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v3/get-email-provider", get(get_provider))
        .route("/api/v3/config-email-provider", post(config_provider))
}

/// What answers in place of the SMTP password.
const MASK: &str = "***";

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum ProviderType {
    Ali,
    Qq,
    Sendgrid,
    Custom,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SmtpConfig {
    smtp_host: String,
    smtp_port: u16,
    sender: Option<String>,
    #[serde(rename = "senderPass")]
    sender_pass: String,
    #[serde(default)]
    secure: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigRequest {
    #[serde(rename = "type")]
    kind: ProviderType,
    enabled: bool,
    smtp_config: Option<SmtpConfig>,
    send_grid_config: Option<Value>,
    ali_exmail_config: Option<Value>,
    tencent_exmail_config: Option<Value>,
}

/// Percent-encodes a URL's user or password (RFC 3986 unreserved characters stay).
fn userinfo(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A host name or address that can stand in a URL as it is.
fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
}

/// The core's provider setting for an SMTP configuration: `smtps://` for `secure` (TLS from
/// the first byte), `smtp://` otherwise; the sender is the `from` address and, with a
/// password, the login. A password given as the mask the answers carry means "the stored
/// one": `kept` is the stored URL's password, still percent-encoded.
fn smtp_setting(c: &SmtpConfig, kept: Option<&str>) -> Result<Value, Error> {
    let host = c.smtp_host.trim();
    if !valid_host(host) {
        return Err(Error::InvalidParameter("smtpConfig.smtp_host"));
    }
    if c.smtp_port == 0 {
        return Err(Error::InvalidParameter("smtpConfig.smtp_port"));
    }
    let sender = c
        .sender
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(Error::MissingParameter("smtpConfig.sender"))?;
    let scheme = if c.secure { "smtps" } else { "smtp" };
    let password = if c.sender_pass == MASK {
        kept.ok_or(Error::InvalidParameter("smtpConfig.senderPass"))?
            .to_owned()
    } else {
        userinfo(&c.sender_pass)
    };
    let login = if password.is_empty() {
        String::new()
    } else {
        format!("{}:{password}@", userinfo(sender))
    };
    Ok(json!({
        "url": format!("{scheme}://{login}{host}:{}", c.smtp_port),
        "from": sender,
    }))
}

/// The password of a stored `smtp(s)://user:pass@host` URL, as stored (percent-encoded).
fn stored_password(p: &ProviderSettings) -> Option<String> {
    let config: Value = serde_json::from_str(&p.config).ok()?;
    let url = config.get("url")?.as_str()?;
    let (_, rest) = url.split_once("://")?;
    let (creds, _) = rest.rsplit_once('@')?;
    let (_, pass) = creds.split_once(':')?;
    Some(pass.to_owned())
}

/// Reads `smtp(s)://[user[:pass]@]host[:port]` back into the DTO's SMTP fields.
fn smtp_config_dto(config: &Map<String, Value>) -> Option<Value> {
    let url = config.get("url")?.as_str()?;
    let (scheme, rest) = url.split_once("://")?;
    let (has_password, host_port) = match rest.rsplit_once('@') {
        Some((creds, hp)) => (creds.contains(':'), hp),
        None => (false, rest),
    };
    let host_port = host_port.split(['/', '?']).next().unwrap_or(host_port);
    let secure = scheme == "smtps";
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().ok()?),
        None => (host_port, if secure { 465 } else { 25 }),
    };
    Some(json!({
        "smtp_host": host,
        "smtp_port": port,
        "sender": config.get("from").and_then(Value::as_str).unwrap_or_default(),
        "senderPass": if has_password { MASK } else { "" },
        "secure": secure,
    }))
}

/// `EmailProviderDto`.
fn provider_dto(p: &ProviderSettings) -> Value {
    let config = match serde_json::from_str::<Value>(&p.config) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let smtp = if p.provider == "smtp" {
        smtp_config_dto(&config)
    } else {
        None
    };
    json!({
        "enabled": p.enabled && smtp.is_some(),
        "type": smtp.as_ref().map(|_| "custom"),
        "smtpConfig": smtp,
    })
}

async fn get_provider(m: Mgmt) -> Reply {
    let pool = m
        .core()
        .pool(m.admin.pool_id())
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        provider_dto(&pool.settings.custom_email_provider),
    ))
}

async fn config_provider(m: Mgmt) -> Reply {
    let r: ConfigRequest = m.args().map_err(|e| m.fail(e))?;
    if !matches!(r.kind, ProviderType::Custom)
        || r.send_grid_config.is_some()
        || r.ali_exmail_config.is_some()
        || r.tencent_exmail_config.is_some()
    {
        return Err(m.fail(Error::InvalidParameter("type")));
    }
    let stored = m
        .core()
        .pool(m.admin.pool_id())
        .await
        .map_err(|e| m.fail(e))?
        .settings
        .custom_email_provider;
    let setting = match (&r.smtp_config, r.enabled) {
        (Some(c), _) => {
            let kept = stored_password(&stored);
            let config = smtp_setting(c, kept.as_deref()).map_err(|e| m.fail(e))?;
            json!({ "enabled": r.enabled, "provider": "smtp", "config": config })
        }
        (None, true) => return Err(m.fail(Error::MissingParameter("smtpConfig"))),
        // Switched off without a new configuration: the stored one is kept for later.
        (None, false) => json!({ "enabled": false, "provider": "smtp", "config": stored.config }),
    };
    let mut input = Map::new();
    input.insert("customEmailProvider".into(), setting);
    let pool = m
        .core()
        .update_pool(&m.admin, &input)
        .await
        .map_err(|e| m.fail(e))?;
    Ok(ok(
        m.lang,
        provider_dto(&pool.settings.custom_email_provider),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pass: &str, secure: bool) -> SmtpConfig {
        SmtpConfig {
            smtp_host: "mail.example.com".into(),
            smtp_port: 587,
            sender: Some("a b@example.com".into()),
            sender_pass: pass.into(),
            secure,
        }
    }

    #[test]
    fn smtp_settings_round_trip_without_the_password() {
        let s = smtp_setting(&cfg("p@ss:word", true), None).unwrap();
        assert_eq!(
            s["url"],
            "smtps://a%20b%40example.com:p%40ss%3Aword@mail.example.com:587"
        );
        let back = smtp_config_dto(s.as_object().unwrap()).unwrap();
        assert_eq!(back["smtp_host"], "mail.example.com");
        assert_eq!(back["smtp_port"], 587);
        assert_eq!(back["secure"], true);
        assert_eq!(back["senderPass"], MASK);
        assert_eq!(back["sender"], "a b@example.com");
        let open = smtp_setting(&cfg("", false), None).unwrap();
        assert_eq!(open["url"], "smtp://mail.example.com:587");
        assert_eq!(
            smtp_config_dto(open.as_object().unwrap()).unwrap()["senderPass"],
            ""
        );
        // The mask sent back keeps the stored password; with none stored it is refused.
        let stored = ProviderSettings {
            enabled: true,
            provider: "smtp".into(),
            config: s.to_string(),
        };
        let kept = stored_password(&stored);
        assert_eq!(kept.as_deref(), Some("p%40ss%3Aword"));
        let again = smtp_setting(&cfg(MASK, true), kept.as_deref()).unwrap();
        assert_eq!(again["url"], s["url"]);
        assert!(smtp_setting(&cfg(MASK, true), None).is_err());
    }

    #[test]
    fn bad_hosts_and_ports_are_refused() {
        let mut c = cfg("", false);
        c.smtp_host = "evil.com/x?y".into();
        assert!(smtp_setting(&c, None).is_err());
        let mut c = cfg("", false);
        c.smtp_port = 0;
        assert!(smtp_setting(&c, None).is_err());
        let mut c = cfg("", false);
        c.sender = None;
        assert!(smtp_setting(&c, None).is_err());
    }
}
