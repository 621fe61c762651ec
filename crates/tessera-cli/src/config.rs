//! Configuration: flags > environment > TOML file > defaults.
//!
//! clap resolves flags and environment variables (each flag names its `TESSERA_*` variable);
//! what neither gives comes from the file named by `--config` / `TESSERA_CONFIG`, then from
//! the defaults here.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use tessera_core::crypto::password::HashParams;
use tessera_server::client_ip::{CidrError, TrustedProxies};
use tessera_server::ConnectionLimits;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";
pub const DEFAULT_DATA_DIR: &str = "./tessera-data";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path} is malformed: {reason}")]
    Malformed { path: String, reason: String },
    #[error("invalid listen address {0:?}: expected HOST:PORT, e.g. 127.0.0.1:3000")]
    Listen(String),
    #[error("invalid public URL {0:?}: expected http(s)://host[:port][/path]")]
    PublicUrl(String),
    #[error("invalid password hash parameters: {0}")]
    HashParams(String),
    #[error(transparent)]
    TrustedProxy(#[from] CidrError),
    #[error("invalid {0}: {1} (expected seconds between 0.01 and 3600)")]
    Timeout(&'static str, f64),
    #[error("invalid max-connections {0}: expected at least 1")]
    MaxConnections(usize),
    #[error("invalid metrics listen address {0:?}: expected HOST:PORT, e.g. 127.0.0.1:9100")]
    MetricsListen(String),
    #[error("invalid metrics token: expected at least 16 characters")]
    MetricsToken,
    #[error(
        "invalid frame-ancestors {0:?}: expected 'self' and origins (https://portal.example.com), separated by spaces"
    )]
    FrameAncestors(String),
    #[error(
        "invalid WeChat API base {0:?}: expected an http(s) URL such as https://api.weixin.qq.com"
    )]
    WechatApiBase(String),
    #[error(
        "invalid Douyin API base {0:?}: expected an http(s) URL such as https://developer.toutiao.com"
    )]
    DouyinApiBase(String),
    #[error(
        "invalid Alipay gateway {0:?}: expected an http(s) URL such as https://openapi.alipay.com/gateway.do"
    )]
    AlipayGateway(String),
}

/// The TOML file. Every key is optional; unknown keys are an error, so a typo is not
/// silently ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub log_format: Option<LogFormat>,
    pub password_hash: Option<HashParams>,
    pub smtp_url: Option<String>,
    pub sms_webhook_url: Option<String>,
    pub push_webhook_url: Option<String>,
    pub principal_verify_url: Option<String>,
    pub mail_from: Option<String>,
    /// `wechat-api-base` (the spelling `wechat_api_base` is accepted too).
    #[serde(alias = "wechat_api_base")]
    pub wechat_api_base: Option<String>,
    /// `douyin-api-base` (or `douyin_api_base`).
    #[serde(alias = "douyin_api_base")]
    pub douyin_api_base: Option<String>,
    /// `alipay-gateway` (or `alipay_gateway`).
    #[serde(alias = "alipay_gateway")]
    pub alipay_gateway: Option<String>,
    pub upload_dir: Option<PathBuf>,
    pub trusted_proxies: Option<Vec<String>>,
    pub header_read_timeout: Option<f64>,
    pub body_read_timeout: Option<f64>,
    pub max_connections: Option<usize>,
    pub metrics_listen: Option<String>,
    pub metrics_token: Option<String>,
    pub frame_ancestors: Option<String>,
}

/// The flags of `tessera serve`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:3000).
    #[arg(long, env = "TESSERA_LISTEN")]
    pub listen: Option<String>,
    #[arg(long, env = "TESSERA_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// A reverse proxy in front of Tessera, as an address or CIDR (10.0.0.0/8, ::1/128);
    /// repeatable, or comma-separated in the environment. Only requests from these peers
    /// have their X-Forwarded-For, and their callers' clientIp, believed.
    #[arg(
        long = "trusted-proxy",
        value_name = "CIDR",
        env = "TESSERA_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,
    /// Sites that may show the hosted sign-in pages in a frame: 'self' and origins
    /// (https://portal.example.com), separated by spaces. Default: none (clickjacking).
    #[arg(long, value_name = "SOURCES", env = "TESSERA_FRAME_ANCESTORS")]
    pub frame_ancestors: Option<String>,
    #[command(flatten)]
    pub connections: ConnectionArgs,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
    #[command(flatten)]
    pub metrics: MetricsArgs,
}

/// Where `/metrics` is served (`tessera serve` only). Neither set: nowhere.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MetricsArgs {
    /// Serve Prometheus metrics at /metrics on this separate address (HOST:PORT), and
    /// nothing else there. Keep it off the public network.
    #[arg(long, value_name = "ADDR", env = "TESSERA_METRICS_LISTEN")]
    pub metrics_listen: Option<String>,
    /// Also serve /metrics on the public listener, to callers sending this token as
    /// `Authorization: Bearer` (at least 16 characters).
    #[arg(long, env = "TESSERA_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
}

/// How long clients may take and how many may be connected (`tessera serve` only).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConnectionArgs {
    /// Seconds a client has to send a request's headers, and an idle keep-alive connection
    /// stays open (default 10).
    #[arg(long, value_name = "SECONDS", env = "TESSERA_HEADER_READ_TIMEOUT")]
    pub header_read_timeout: Option<f64>,
    /// Seconds a client has to send a request's body once its headers arrived (default 30).
    #[arg(long, value_name = "SECONDS", env = "TESSERA_BODY_READ_TIMEOUT")]
    pub body_read_timeout: Option<f64>,
    /// Connections open at once; beyond it new ones wait to be accepted (default 1024; keep
    /// it below the process's open-file limit).
    #[arg(long, value_name = "N", env = "TESSERA_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
}

/// Where outgoing messages and uploads go (`tessera serve` only).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DeliveryArgs {
    /// SMTP server for verification emails: smtp://host:port, smtps://…, or
    /// smtp://user:pass@host:587?tls=required. Without one, emails are written to the log.
    #[arg(long, env = "TESSERA_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Webhook that receives SMS codes as JSON {phone, phoneCountryCode, code, scene,
    /// userPoolId}. Without one, codes are written to the log.
    #[arg(long, env = "TESSERA_SMS_WEBHOOK_URL", hide_env_values = true)]
    pub sms_webhook_url: Option<String>,
    /// Webhook of the push gateway that reaches users' signed-in apps for push logins:
    /// receives JSON {userPoolId, appId, userId, pushCodeId, expireTime, clientIp,
    /// userAgent}. Without one, push logins are refused.
    #[arg(long, env = "TESSERA_PUSH_WEBHOOK_URL", hide_env_values = true)]
    pub push_webhook_url: Option<String>,
    /// Real-name (principal) verification provider: receives JSON {type, name, code, ext,
    /// userPoolId} and answers {verified, reason?}. Without one, principal authentications
    /// are refused.
    #[arg(long, env = "TESSERA_PRINCIPAL_VERIFY_URL", hide_env_values = true)]
    pub principal_verify_url: Option<String>,
    /// Sender of verification emails (default "Tessera <no-reply@localhost>").
    #[arg(long, env = "TESSERA_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// Base URL of WeChat's server APIs for mini-program logins (default
    /// https://api.weixin.qq.com; tests point it at a mock).
    #[arg(long, env = "TESSERA_WECHAT_API_BASE")]
    pub wechat_api_base: Option<String>,
    /// Base URL of Douyin's server API for its mini-program logins (default
    /// https://developer.toutiao.com; tests point it at a mock).
    #[arg(long, env = "TESSERA_DOUYIN_API_BASE")]
    pub douyin_api_base: Option<String>,
    /// Alipay's open-platform gateway for the Alipay app login (default
    /// https://openapi.alipay.com/gateway.do; tests point it at a mock).
    #[arg(long, env = "TESSERA_ALIPAY_GATEWAY")]
    pub alipay_gateway: Option<String>,
    /// Directory for uploaded avatars (default: DATA_DIR/uploads, or ./tessera-uploads with a
    /// database URL).
    #[arg(long, env = "TESSERA_UPLOAD_DIR")]
    pub upload_dir: Option<PathBuf>,
}

/// Effective delivery settings.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub smtp_url: Option<String>,
    pub sms_webhook_url: Option<String>,
    pub push_webhook_url: Option<String>,
    pub principal_verify_url: Option<String>,
    pub mail_from: String,
    /// WeChat's API host, or a mock's URL; no trailing slash.
    pub wechat_api_base: String,
    /// Douyin's API host, or a mock's URL; no trailing slash.
    pub douyin_api_base: String,
    /// Alipay's gateway URL, or a mock's.
    pub alipay_gateway: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        FileConfig::parse(&text, &shown)
    }

    /// The settings in a config file's `text`; `path` only names the file in the error.
    pub fn parse(text: &str, path: &str) -> Result<FileConfig, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Malformed {
            path: path.to_owned(),
            reason: e.message().to_owned(),
        })
    }
}

/// Where the store is.
#[derive(Debug, Clone)]
pub enum StoreLocation {
    DataDir(PathBuf),
    Url(String),
}

/// The effective settings of `tessera serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub public_url: String,
    pub store: StoreLocation,
    pub log_format: LogFormat,
    pub hash_params: HashParams,
    pub delivery: Delivery,
    pub upload_dir: PathBuf,
    pub trusted_proxies: TrustedProxies,
    pub connections: ConnectionLimits,
    /// The separate listener serving `/metrics` only.
    pub metrics_listen: Option<SocketAddr>,
    /// The Bearer token that opens `/metrics` on the public listener.
    pub metrics_token: Option<String>,
    /// The hosted pages' `frame-ancestors` sources; `None` forbids framing.
    pub frame_ancestors: Option<String>,
}

/// The `frame-ancestors` sources, normalised to single spaces: each `'self'` or an http(s)
/// origin with no path, so nothing else can be spliced into the pages' CSP.
/// An http(s) URL with a host, without a trailing slash: the calls append their paths.
fn check_wechat_api_base(text: String) -> Result<String, ConfigError> {
    check_api_base(text, ConfigError::WechatApiBase)
}

/// [`check_wechat_api_base`]'s rule for any provider's URL, with that provider's error.
fn check_api_base(text: String, bad: fn(String) -> ConfigError) -> Result<String, ConfigError> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    match rest {
        Some(r) if !r.is_empty() && !r.starts_with('/') && !r.contains(['?', '#', ' ']) => {
            Ok(text.trim_end_matches('/').to_owned())
        }
        _ => Err(bad(text)),
    }
}

fn check_frame_ancestors(text: &str) -> Result<String, ConfigError> {
    let bad = || ConfigError::FrameAncestors(text.to_owned());
    let mut out = Vec::new();
    for source in text.split_whitespace() {
        let ok = source == "'self'"
            || ["https://", "http://"].iter().any(|scheme| {
                source.strip_prefix(scheme).is_some_and(|rest| {
                    !rest.is_empty()
                        && rest.chars().all(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '*')
                        })
                })
            });
        if !ok {
            return Err(bad());
        }
        out.push(source);
    }
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out.join(" "))
}

pub fn store_location(
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    file: &FileConfig,
) -> StoreLocation {
    match database_url.or_else(|| file.database_url.clone()) {
        Some(url) => StoreLocation::Url(url),
        None => StoreLocation::DataDir(
            data_dir
                .or_else(|| file.data_dir.clone())
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
        ),
    }
}

pub fn resolve_serve(
    args: ServeArgs,
    public_url: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    file: &FileConfig,
) -> Result<ServeConfig, ConfigError> {
    let ServeArgs {
        listen,
        log_format,
        trusted_proxies,
        frame_ancestors,
        connections,
        delivery,
        metrics,
    } = args;
    let listen_text = listen
        .or_else(|| file.listen.clone())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    let listen: SocketAddr = listen_text
        .parse()
        .map_err(|_| ConfigError::Listen(listen_text.clone()))?;
    let public_url = public_url
        .or_else(|| file.public_url.clone())
        .unwrap_or_else(|| format!("http://{listen}"));
    validate_public_url(&public_url)?;
    let hash_params = file.password_hash.unwrap_or_default();
    tessera_core::crypto::password::PasswordHasher::new(hash_params)
        .map_err(|e| ConfigError::HashParams(e.to_string()))?;
    let store = store_location(data_dir, database_url, file);
    let upload_dir = delivery
        .upload_dir
        .or_else(|| file.upload_dir.clone())
        .unwrap_or_else(|| match &store {
            StoreLocation::DataDir(d) => d.join("uploads"),
            StoreLocation::Url(_) => PathBuf::from("./tessera-uploads"),
        });
    let trusted_proxies = if trusted_proxies.is_empty() {
        TrustedProxies::parse(file.trusted_proxies.as_deref().unwrap_or_default())?
    } else {
        TrustedProxies::parse(&trusted_proxies)?
    };
    let connections = connection_limits(connections, file)?;
    let metrics_listen = match metrics
        .metrics_listen
        .or_else(|| file.metrics_listen.clone())
    {
        Some(text) => Some(
            text.parse::<SocketAddr>()
                .map_err(|_| ConfigError::MetricsListen(text))?,
        ),
        None => None,
    };
    let metrics_token = metrics.metrics_token.or_else(|| file.metrics_token.clone());
    // A short token could be guessed; there is no lockout on this endpoint.
    if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
        return Err(ConfigError::MetricsToken);
    }
    let frame_ancestors = match frame_ancestors.or_else(|| file.frame_ancestors.clone()) {
        Some(text) => Some(check_frame_ancestors(&text)?),
        None => None,
    };
    Ok(ServeConfig {
        frame_ancestors,
        metrics_listen,
        metrics_token,
        listen,
        public_url: public_url.trim_end_matches('/').to_owned(),
        store,
        delivery: Delivery {
            smtp_url: delivery.smtp_url.or_else(|| file.smtp_url.clone()),
            sms_webhook_url: delivery
                .sms_webhook_url
                .or_else(|| file.sms_webhook_url.clone()),
            push_webhook_url: delivery
                .push_webhook_url
                .or_else(|| file.push_webhook_url.clone()),
            principal_verify_url: delivery
                .principal_verify_url
                .or_else(|| file.principal_verify_url.clone()),
            mail_from: delivery
                .mail_from
                .or_else(|| file.mail_from.clone())
                .unwrap_or_else(|| "Tessera <no-reply@localhost>".to_owned()),
            wechat_api_base: check_wechat_api_base(
                delivery
                    .wechat_api_base
                    .or_else(|| file.wechat_api_base.clone())
                    .unwrap_or_else(|| tessera_notify::DEFAULT_WECHAT_API_BASE.to_owned()),
            )?,
            douyin_api_base: check_api_base(
                delivery
                    .douyin_api_base
                    .or_else(|| file.douyin_api_base.clone())
                    .unwrap_or_else(|| tessera_notify::DEFAULT_DOUYIN_API_BASE.to_owned()),
                ConfigError::DouyinApiBase,
            )?,
            alipay_gateway: check_api_base(
                delivery
                    .alipay_gateway
                    .or_else(|| file.alipay_gateway.clone())
                    .unwrap_or_else(|| tessera_notify::DEFAULT_ALIPAY_GATEWAY.to_owned()),
                ConfigError::AlipayGateway,
            )?,
        },
        upload_dir,
        trusted_proxies,
        connections,
        log_format: log_format.or(file.log_format).unwrap_or_default(),
        hash_params,
    })
}

fn connection_limits(
    args: ConnectionArgs,
    file: &FileConfig,
) -> Result<ConnectionLimits, ConfigError> {
    let defaults = ConnectionLimits::default();
    let seconds = |name: &'static str, v: Option<f64>, default: Duration| match v {
        None => Ok(default),
        Some(s) if (0.01..=3600.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
        Some(s) => Err(ConfigError::Timeout(name, s)),
    };
    let max_connections = args
        .max_connections
        .or(file.max_connections)
        .unwrap_or(defaults.max_connections);
    if max_connections == 0 {
        return Err(ConfigError::MaxConnections(max_connections));
    }
    Ok(ConnectionLimits {
        header_read_timeout: seconds(
            "header-read-timeout",
            args.header_read_timeout.or(file.header_read_timeout),
            defaults.header_read_timeout,
        )?,
        body_read_timeout: seconds(
            "body-read-timeout",
            args.body_read_timeout.or(file.body_read_timeout),
            defaults.body_read_timeout,
        )?,
        max_connections,
    })
}

fn validate_public_url(url: &str) -> Result<(), ConfigError> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| ConfigError::PublicUrl(url.to_owned()))?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || url.contains(char::is_whitespace) || url.contains(['?', '#']) {
        return Err(ConfigError::PublicUrl(url.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> Result<FileConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    fn listen(addr: &str) -> ServeArgs {
        ServeArgs {
            listen: Some(addr.into()),
            ..ServeArgs::default()
        }
    }

    fn proxies(args: ServeArgs, f: &FileConfig) -> Result<TrustedProxies, ConfigError> {
        resolve_serve(args, None, None, None, f).map(|c| c.trusted_proxies)
    }

    #[test]
    fn douyin_and_alipay_bases_come_from_flags_then_the_file_then_the_providers() {
        let bases = |args: ServeArgs, f: &FileConfig| {
            resolve_serve(args, None, None, None, f)
                .map(|c| (c.delivery.douyin_api_base, c.delivery.alipay_gateway))
        };
        let none = FileConfig::default();
        assert_eq!(
            bases(ServeArgs::default(), &none).unwrap(),
            (
                "https://developer.toutiao.com".to_owned(),
                "https://openapi.alipay.com/gateway.do".to_owned()
            )
        );
        let f = file("douyin-api-base = \"http://127.0.0.1:9/\"\nalipay_gateway = \"http://127.0.0.1:9/gw\"\n")
            .unwrap();
        assert_eq!(
            bases(ServeArgs::default(), &f).unwrap(),
            (
                "http://127.0.0.1:9".to_owned(),
                "http://127.0.0.1:9/gw".to_owned()
            )
        );
        let mut a = ServeArgs::default();
        a.delivery.douyin_api_base = Some("https://tt.example".into());
        assert_eq!(bases(a, &f).unwrap().0, "https://tt.example");
        let mut a = ServeArgs::default();
        a.delivery.douyin_api_base = Some("developer.toutiao.com".into());
        assert!(matches!(
            bases(a, &none),
            Err(ConfigError::DouyinApiBase(_))
        ));
        let mut a = ServeArgs::default();
        a.delivery.alipay_gateway = Some("ftp://x".into());
        assert!(matches!(
            bases(a, &none),
            Err(ConfigError::AlipayGateway(_))
        ));
    }

    #[test]
    fn push_webhook_comes_from_flags_then_the_file_and_is_off_by_default() {
        let url = |args: ServeArgs, f: &FileConfig| {
            resolve_serve(args, None, None, None, f)
                .unwrap()
                .delivery
                .push_webhook_url
        };
        let none = FileConfig::default();
        assert_eq!(url(ServeArgs::default(), &none), None);
        let f = file("push-webhook-url = \"https://push.internal/send\"\n").unwrap();
        assert_eq!(
            url(ServeArgs::default(), &f).as_deref(),
            Some("https://push.internal/send")
        );
        let mut flag = ServeArgs::default();
        flag.delivery.push_webhook_url = Some("https://flag.example/push".into());
        assert_eq!(url(flag, &f).as_deref(), Some("https://flag.example/push"));
    }

    #[test]
    fn principal_verify_url_comes_from_flags_then_the_file_and_is_off_by_default() {
        let url = |args: ServeArgs, f: &FileConfig| {
            resolve_serve(args, None, None, None, f)
                .unwrap()
                .delivery
                .principal_verify_url
        };
        let none = FileConfig::default();
        assert_eq!(url(ServeArgs::default(), &none), None);
        let f = file("principal-verify-url = \"https://kyc.internal/verify\"\n").unwrap();
        assert_eq!(
            url(ServeArgs::default(), &f).as_deref(),
            Some("https://kyc.internal/verify")
        );
        let mut flag = ServeArgs::default();
        flag.delivery.principal_verify_url = Some("https://flag.example/kyc".into());
        assert_eq!(url(flag, &f).as_deref(), Some("https://flag.example/kyc"));
    }

    #[test]
    fn wechat_api_base_comes_from_flags_then_the_file_then_wechat() {
        let base = |args: ServeArgs, f: &FileConfig| {
            resolve_serve(args, None, None, None, f).map(|c| c.delivery.wechat_api_base)
        };
        let none = FileConfig::default();
        assert_eq!(
            base(ServeArgs::default(), &none).unwrap(),
            "https://api.weixin.qq.com"
        );
        let f = file("wechat-api-base = \"http://127.0.0.1:9/wx/\"\n").unwrap();
        assert_eq!(
            base(ServeArgs::default(), &f).unwrap(),
            "http://127.0.0.1:9/wx"
        );
        let snake = file("wechat_api_base = \"http://mock:1\"\n").unwrap();
        assert_eq!(base(ServeArgs::default(), &snake).unwrap(), "http://mock:1");
        let flag = |v: &str| {
            let mut a = ServeArgs::default();
            a.delivery.wechat_api_base = Some(v.into());
            a
        };
        assert_eq!(
            base(flag("https://wx.example"), &f).unwrap(),
            "https://wx.example"
        );
        for bad in ["api.weixin.qq.com", "ftp://x", "https://", "http://x?y=1"] {
            assert!(
                matches!(base(flag(bad), &none), Err(ConfigError::WechatApiBase(_))),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn trusted_proxies_come_from_flags_then_the_file() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let none = proxies(ServeArgs::default(), &FileConfig::default()).unwrap();
        assert!(none.is_empty(), "no proxy is trusted by default");
        let f = file("trusted-proxies = [\"10.0.0.0/8\", \"::1\"]\n").unwrap();
        let from_file = proxies(ServeArgs::default(), &f).unwrap();
        assert!(from_file.contains(ip("10.2.3.4")));
        assert!(from_file.contains(ip("::1")));
        assert!(!from_file.contains(ip("192.168.0.1")));
        let flags = ServeArgs {
            trusted_proxies: vec!["192.168.0.0/16".into()],
            ..ServeArgs::default()
        };
        let from_flags = proxies(flags, &f).unwrap();
        assert!(from_flags.contains(ip("192.168.0.1")));
        assert!(
            !from_flags.contains(ip("10.2.3.4")),
            "flags replace the file's list"
        );
        let bad = ServeArgs {
            trusted_proxies: vec!["10.0.0.0/33".into()],
            ..ServeArgs::default()
        };
        let e = proxies(bad, &FileConfig::default()).unwrap_err();
        assert!(e.to_string().contains("10.0.0.0/33"), "{e}");
        let bad_file = file("trusted-proxies = [\"proxy.internal\"]\n").unwrap();
        assert!(proxies(ServeArgs::default(), &bad_file).is_err());
        assert!(
            file("trusted-proxies = \"10.0.0.0/8\"\n").is_err(),
            "a list, not a string"
        );
    }

    #[test]
    fn flags_beat_file_beats_defaults() {
        let f = file("listen = \"127.0.0.1:4000\"\ndata-dir = \"/tmp/x\"\n").unwrap();
        let c = resolve_serve(ServeArgs::default(), None, None, None, &f).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:4000");
        assert_eq!(c.public_url, "http://127.0.0.1:4000");
        assert!(matches!(c.store, StoreLocation::DataDir(ref d) if d == Path::new("/tmp/x")));
        let c = resolve_serve(
            listen("127.0.0.1:5000"),
            None,
            None,
            Some("postgres://h/db".into()),
            &f,
        )
        .unwrap();
        assert_eq!(c.listen.port(), 5000);
        assert!(matches!(c.store, StoreLocation::Url(ref u) if u == "postgres://h/db"));
        let d = resolve_serve(
            ServeArgs::default(),
            None,
            None,
            None,
            &FileConfig::default(),
        )
        .unwrap();
        assert_eq!(d.listen.to_string(), DEFAULT_LISTEN);
        assert!(
            matches!(d.store, StoreLocation::DataDir(ref p) if p == Path::new(DEFAULT_DATA_DIR))
        );
        assert_eq!(d.hash_params, HashParams::default());
    }

    #[test]
    fn typos_and_bad_values_are_refused() {
        assert!(file("listn = \"x\"").is_err());
        assert!(file("listen = 3").is_err());
        let f = FileConfig::default();
        assert!(resolve_serve(listen("nope"), None, None, None, &f).is_err());
        for url in ["ftp://x", "https://"] {
            assert!(resolve_serve(ServeArgs::default(), Some(url.into()), None, None, &f).is_err());
        }
        let weak =
            file("[password-hash]\nmemory-kib = 1\niterations = 0\nparallelism = 1\n").unwrap();
        assert!(resolve_serve(ServeArgs::default(), None, None, None, &weak).is_err());
        // Found by fuzzing: argon2 took 4,000,000,000 KiB, and the server died at its first
        // login. Refused when the configuration is read.
        let huge =
            file("[password-hash]\nmemory-kib = 4000000000\niterations = 2\nparallelism = 1\n")
                .unwrap();
        assert!(resolve_serve(ServeArgs::default(), None, None, None, &huge).is_err());
    }

    #[test]
    fn connection_limits_come_from_flags_then_the_file_then_defaults() {
        let d = resolve_serve(
            ServeArgs::default(),
            None,
            None,
            None,
            &FileConfig::default(),
        )
        .unwrap()
        .connections;
        assert_eq!(d.header_read_timeout, Duration::from_secs(10));
        assert_eq!(d.body_read_timeout, Duration::from_secs(30));
        assert_eq!(d.max_connections, 1024);
        let f = file("header-read-timeout = 2.5\nbody-read-timeout = 5\nmax-connections = 64\n")
            .unwrap();
        let c = resolve_serve(ServeArgs::default(), None, None, None, &f)
            .unwrap()
            .connections;
        assert_eq!(c.header_read_timeout, Duration::from_millis(2500));
        assert_eq!(c.body_read_timeout, Duration::from_secs(5));
        assert_eq!(c.max_connections, 64);
        let flags = ServeArgs {
            connections: ConnectionArgs {
                header_read_timeout: Some(1.0),
                body_read_timeout: None,
                max_connections: Some(8),
            },
            ..ServeArgs::default()
        };
        let c = resolve_serve(flags, None, None, None, &f)
            .unwrap()
            .connections;
        assert_eq!(c.header_read_timeout, Duration::from_secs(1));
        assert_eq!(c.body_read_timeout, Duration::from_secs(5), "the file's");
        assert_eq!(c.max_connections, 8);
        for bad in [
            "header-read-timeout = 0\n",
            "body-read-timeout = -1\n",
            "body-read-timeout = 86400\n",
            "max-connections = 0\n",
        ] {
            let f = file(bad).unwrap();
            assert!(
                resolve_serve(ServeArgs::default(), None, None, None, &f).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn metrics_settings_come_from_flags_then_the_file_and_are_off_by_default() {
        let resolve = |args: ServeArgs, f: &FileConfig| resolve_serve(args, None, None, None, f);
        let d = resolve(ServeArgs::default(), &FileConfig::default()).unwrap();
        assert_eq!((d.metrics_listen, d.metrics_token), (None, None));
        assert_eq!(d.frame_ancestors, None);
        assert_eq!(
            check_frame_ancestors("'self'  https://portal.example.com").unwrap(),
            "'self' https://portal.example.com"
        );
        for bad in [
            "",
            "*",
            "https://a.example/path",
            "https://a; script-src *",
            "'unsafe-inline'",
        ] {
            assert!(check_frame_ancestors(bad).is_err(), "{bad}");
        }
        let f = file("metrics-listen = \"127.0.0.1:9100\"\nmetrics-token = \"0123456789abcdef\"\n")
            .unwrap();
        let c = resolve(ServeArgs::default(), &f).unwrap();
        assert_eq!(c.metrics_listen.unwrap().to_string(), "127.0.0.1:9100");
        assert_eq!(c.metrics_token.as_deref(), Some("0123456789abcdef"));
        let flags = ServeArgs {
            metrics: MetricsArgs {
                metrics_listen: Some("[::1]:9200".into()),
                metrics_token: None,
            },
            ..ServeArgs::default()
        };
        let c = resolve(flags, &f).unwrap();
        assert_eq!(c.metrics_listen.unwrap().to_string(), "[::1]:9200");
        assert_eq!(
            c.metrics_token.as_deref(),
            Some("0123456789abcdef"),
            "the file's"
        );
        for bad in ["metrics-listen = \"9100\"\n", "metrics-token = \"short\"\n"] {
            let f = file(bad).unwrap();
            assert!(resolve(ServeArgs::default(), &f).is_err(), "{bad}");
        }
    }

    #[test]
    fn public_url_keeps_its_path_without_trailing_slash() {
        let c = resolve_serve(
            ServeArgs::default(),
            Some("https://id.example.com/auth/".into()),
            None,
            None,
            &FileConfig::default(),
        )
        .unwrap();
        assert_eq!(c.public_url, "https://id.example.com/auth");
    }
}
