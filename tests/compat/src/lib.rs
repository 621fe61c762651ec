//! Harness for the SDK compatibility suite: the official `authing-js-sdk` from npm, run with
//! Node's test runner against a live Tessera server started in this process.
//!
//! [`Harness::start`] starts an SMTP sink, an SMS webhook receiver and the "mailbox" HTTP API
//! ([`mailbox`]) and one server of identity-provider mocks (WeChat's API, [`wechat_mock`];
//! Douyin's, [`douyin_mock`]; Alipay's gateway, [`alipay_mock`]), opens a SQLite store in a
//! temporary directory, opens the core with those sinks as its notifier and the mocks behind
//! its WeChat, Douyin and Alipay clients, seeds the fixtures ([`fixtures`]), writes them to
//! a JSON file and serves Tessera on 127.0.0.1. [`Harness::run_node_tests`] then runs the JS tests in
//! `tests/compat/js/test/` with `TESSERA_URL`, `COMPAT_FIXTURES`, `MAILBOX_URL` and
//! `WECHAT_MOCK_URL` set.

pub mod alipay_mock;
pub mod directory_seed;
pub mod douyin_mock;
pub mod fixtures;
pub mod mailbox;
pub mod mime;
pub mod principal_mock;
pub mod wechat_mock;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use tessera_core::crypto::password::HashParams;
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig};
use tessera_notify::{
    AlipayHttp, Delivery, DouyinHttp, OidcHttp, PrincipalVerifier, PushWebhook, SmsWebhook,
    SmtpMailer, WechatHttp,
};
use tessera_server::client_ip::TrustedProxies;
use tessera_server::{AppState, ServerOptions};
use tessera_store::SqlStore;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use mailbox::Mailbox;

/// The running harness. Dropping it stops the server and removes the temporary directory.
pub struct Harness {
    pub tessera_url: String,
    pub mailbox_url: String,
    /// The WeChat mock's base URL ([`wechat_mock`]).
    pub wechat_mock_url: String,
    pub fixtures_path: PathBuf,
    pub fixtures: serde_json::Value,
    pub mailbox: Mailbox,
    pub core: Arc<Core>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// Where the JS tests write, a line each, the protocol secrets they were handed (OIDC
    /// codes and tokens), for the check that none reaches the server's log.
    pub fn secrets_path(&self) -> PathBuf {
        self.fixtures_path.with_file_name("secrets.txt")
    }

    /// The secrets the JS tests recorded (see [`Harness::secrets_path`]).
    pub fn recorded_secrets(&self) -> Vec<String> {
        std::fs::read_to_string(self.secrets_path())
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Starts everything. The returned future is not `Send` (the store's open is not): await
    /// it directly in the test body.
    pub async fn start() -> Result<Harness, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let mailbox = Mailbox::default();
        let smtp = mailbox::start_smtp(mailbox.clone())
            .await
            .map_err(|e| format!("SMTP sink: {e}"))?;
        let mailbox_addr = mailbox::start_http(mailbox.clone())
            .await
            .map_err(|e| format!("mailbox API: {e}"))?;
        let mailbox_url = format!("http://{mailbox_addr}");
        // One mock server for the providers' APIs (WeChat, Douyin, Alipay's gateway).
        let alipay_keys = alipay_mock::AlipayKeys::generate()?;
        let mocks = wechat_mock::router()
            .merge(douyin_mock::router())
            .merge(principal_mock::router())
            .merge(alipay_mock::router(&alipay_keys)?);
        let wechat_addr = wechat_mock::start(mocks)
            .await
            .map_err(|e| format!("WeChat mock: {e}"))?;
        let wechat_mock_url = format!("http://{wechat_addr}");

        // Bind first: the public URL (every appHost) needs the port.
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("bind server: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("server addr: {e}"))?;
        let tessera_url = format!("http://{addr}");

        let delivery = Delivery {
            email: Some(
                SmtpMailer::new(&format!("smtp://{smtp}"), "Tessera <no-reply@tessera.test>")
                    .map_err(|e| format!("SMTP mailer: {e}"))?,
            ),
            sms: Some(SmsWebhook::new(&format!("{mailbox_url}/sms"))),
            push: Some(PushWebhook::new(&format!("{mailbox_url}/push"))),
            // The real-name verification provider, as `--principal-verify-url` would.
            principal: Some(PrincipalVerifier::new(&format!(
                "{wechat_mock_url}/principal/verify"
            ))),
            ..Delivery::default()
        };
        let store = SqlStore::open_data_dir(&dir.path().join("data"))
            .await
            .map_err(|e| format!("open store: {e}"))?;
        let store: Arc<dyn Store> = Arc::new(store);
        let mut core = Core::open(
            store,
            CoreConfig {
                public_url: tessera_url.clone(),
                hash_params: HashParams::default(),
            },
            Arc::new(delivery),
        )
        .await
        .map_err(|e| format!("open core: {e}"))?;
        let captchas = mailbox.clone();
        // The server's WeChat client, as `--wechat-api-base` would configure it.
        core.set_wechat(Arc::new(WechatHttp::new(&wechat_mock_url)));
        // Douyin's and Alipay's, as `--douyin-api-base` and `--alipay-gateway` would.
        core.set_douyin(Arc::new(DouyinHttp::new(&wechat_mock_url)));
        core.set_alipay(Arc::new(AlipayHttp::new(&format!(
            "{wechat_mock_url}/gateway.do"
        ))));
        // External OpenID Providers (`v3-auth-extidp-link.test.mjs`: another pool of this
        // server is the provider).
        core.set_oidc_upstream(Arc::new(OidcHttp::new()));
        core.set_captcha_hook(Arc::new(move |key: &str, answer: &str| {
            captchas.push_captcha(key, answer)
        }));
        let core = Arc::new(core);

        let (mut fixtures, main) = fixtures::seed(&core).await?;
        let dir_user = fixtures["directory"]["userId"]
            .as_str()
            .ok_or("fixtures lack the directory user")?
            .to_owned();
        directory_seed::seed_directory(&core, &main.pool.id, &dir_user).await?;
        fixtures["tesseraUrl"] = serde_json::Value::String(tessera_url.clone());
        fixtures["mailboxUrl"] = serde_json::Value::String(mailbox_url.clone());
        fixtures["wechatMockUrl"] = serde_json::Value::String(wechat_mock_url.clone());
        fixtures["alipay"] = serde_json::json!({
            "privateKey": alipay_keys.private_pem,
            "publicKey": alipay_keys.public_pem,
        });
        fixtures["smtpUrl"] = serde_json::Value::String(format!("smtp://{smtp}"));
        fixtures["scim"] = scim_connection(&core, &main.pool).await?;
        let fixtures_path = dir.path().join("fixtures.json");
        let text = serde_json::to_string_pretty(&fixtures).map_err(|e| e.to_string())?;
        std::fs::write(&fixtures_path, text).map_err(|e| format!("write fixtures: {e}"))?;

        // The SDK runs in Node on this host, as a backend does: its `clientIp` (seed 001:
        // a backend passes its end user's address) counts only because its address is a
        // trusted proxy, as a deployment would configure it.
        let mut options = ServerOptions::new(dir.path().join("uploads"));
        options.trusted_proxies =
            TrustedProxies::parse(&["127.0.0.1"]).map_err(|e| format!("trusted proxy: {e}"))?;
        let state = AppState::new(Arc::clone(&core), options);
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(tessera_server::serve(listener, state, async move {
            let _ = rx.await;
        }));

        Ok(Harness {
            tessera_url,
            mailbox_url,
            wechat_mock_url,
            fixtures_path,
            fixtures,
            mailbox,
            core,
            shutdown: Some(tx),
            server: Some(server),
            _dir: dir,
        })
    }

    /// Runs the JS suite with Node's test runner, streaming its output; returns its exit code.
    ///
    /// `COMPAT_JS_FILES` (comma-separated file names, e.g. `login.test.mjs`) narrows the run;
    /// `COMPAT_JS_CONCURRENCY` sets how many files run at once (default 2).
    pub async fn run_node_tests(&self) -> Result<i32, String> {
        let js = js_dir();
        ensure_node_modules(&js).await?;
        let files = test_files(&js)?;
        if files.is_empty() {
            return Err(format!(
                "no *.test.mjs files in {}",
                js.join("test").display()
            ));
        }
        let concurrency = std::env::var("COMPAT_JS_CONCURRENCY").unwrap_or_else(|_| "2".into());
        let mut cmd = tokio::process::Command::new("node");
        cmd.arg("--test")
            .arg("--test-reporter=spec")
            .arg(format!("--test-concurrency={concurrency}"))
            .args(&files)
            .current_dir(&js)
            .env("TESSERA_URL", &self.tessera_url)
            .env("COMPAT_FIXTURES", &self.fixtures_path)
            .env("COMPAT_SECRETS", self.secrets_path())
            .env("MAILBOX_URL", &self.mailbox_url)
            .env("WECHAT_MOCK_URL", &self.wechat_mock_url)
            .stdin(Stdio::null())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run node (is Node.js ≥ 20 installed?): {e}"))?;
        let status = tokio::time::timeout(Duration::from_secs(20 * 60), child.wait())
            .await
            .map_err(|_| "the JS suite did not finish within 20 minutes".to_owned())?
            .map_err(|e| format!("waiting for node: {e}"))?;
        Ok(status.code().unwrap_or(-1))
    }

    /// Stops the server gracefully.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), server).await;
        }
    }
}

/// `tests/compat/js`.
pub fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("js")
}

fn test_files(js: &Path) -> Result<Vec<PathBuf>, String> {
    let only: Option<Vec<String>> = std::env::var("COMPAT_JS_FILES")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.split(',').map(|f| f.trim().to_owned()).collect());
    let dir = js.join("test");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".test.mjs"))
        })
        .filter(|p| match &only {
            Some(names) => p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| names.iter().any(|w| w == n)),
            None => true,
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Installs the pinned SDK (`npm ci`) when `node_modules` is missing.
async fn ensure_node_modules(js: &Path) -> Result<(), String> {
    // Every package of the lock file's top level: a new one added to the suite is installed
    // too, not only the SDK.
    let installed = [
        "authing-js-sdk",
        "authing-node-sdk",
        "@authing/miniapp-taro",
        "jsencrypt",
        "sm-crypto",
        "openid-client",
        "puppeteer-core",
    ]
    .iter()
    .all(|p| js.join(format!("node_modules/{p}/package.json")).exists());
    if installed {
        return Ok(());
    }
    eprintln!(
        "compat: node_modules missing; running `npm ci` in {}",
        js.display()
    );
    let status = tokio::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(js)
        .stdin(Stdio::null())
        .status()
        .await
        .map_err(|e| {
            format!(
                "the SDK compatibility suite needs Node.js ≥ 20 and npm, but `npm` could not \
                 be run ({e}); install them (e.g. `apt-get install nodejs npm`)"
            )
        })?;
    if !status.success() {
        return Err(format!("`npm ci` in {} failed: {status}", js.display()));
    }
    Ok(())
}

/// A SCIM provisioning connection of the main pool (`v3-sync.test.mjs`), its Groups the
/// departments of a new organization `scim-org`, as `tessera scim create --organization`
/// makes it: `{token, organizationCode, provider}`.
async fn scim_connection(
    core: &Core,
    pool: &tessera_core::model::UserPool,
) -> Result<serde_json::Value, String> {
    let admin = core
        .pool_admin_by_secret(&pool.id, &pool.secret)
        .await
        .map_err(|e| format!("scim: {e}"))?;
    core.create_coded_org(
        &admin,
        tessera_core::service::directory::NewNode {
            name: "SCIM".into(),
            code: Some("scim-org".into()),
            ..Default::default()
        },
        None,
    )
    .await
    .map_err(|e| format!("scim org: {e}"))?;
    let made = core
        .create_provisioning_connection(&admin, "okta", Some("scim-org"))
        .await
        .map_err(|e| format!("scim connection: {e}"))?;
    Ok(serde_json::json!({
        "token": made.token,
        "organizationCode": "scim-org",
        "provider": "okta",
    }))
}
