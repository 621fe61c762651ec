//! The `tessera` binary.

mod apps;
mod malloc;
mod output;
mod resident;
mod scim;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tessera_core::notify::Notifier;
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig};
use tessera_notify::{
    AlipayHttp, Delivery, DouyinHttp, LogNotifier, OidcHttp, PrincipalVerifier, PushWebhook,
    SmsWebhook, SmtpMailer, WechatHttp,
};
use tessera_server::{AppState, ServerOptions};
use tessera_store::SqlStore;

use output::{CredentialsJson, PoolJson, RotationJson};
use tessera_cli::config;
use tessera_cli::config::{FileConfig, LogFormat, StoreLocation};

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "Tessera: a self-hosted identity platform"
)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, env = "TESSERA_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Directory for the embedded SQLite store (default ./tessera-data).
    #[arg(long, env = "TESSERA_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Use this database instead of the data directory (postgres://… or sqlite://…).
    #[arg(
        long,
        env = "TESSERA_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// Public base URL that tokens, discovery documents and printed `appHost`s carry
    /// (default: what the server last ran with, else http://LISTEN).
    #[arg(long, env = "TESSERA_PUBLIC_URL", global = true)]
    public_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size of the `serve` variant's flags costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        #[command(flatten)]
        args: config::ServeArgs,
    },
    /// Manage user pools.
    Pool {
        #[command(subcommand)]
        command: PoolCommand,
    },
    /// Manage a pool's applications (its OAuth/OIDC clients).
    App {
        #[command(subcommand)]
        command: apps::AppCommand,
    },
    /// Manage a pool's SCIM provisioning connections (upstream directories).
    Scim {
        #[command(subcommand)]
        command: scim::ScimCommand,
    },
    /// Manage token signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum PoolCommand {
    /// Create a user pool with one application and print its credentials.
    Create {
        #[arg(long)]
        name: String,
        /// Print exactly one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List user pools.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Start signing with a new key; old keys verify until their tokens expire.
    Rotate {
        #[arg(long)]
        json: bool,
    },
}

/// A start-up or command failure: one line, and the exit code to leave with.
struct Fatal {
    line: String,
    code: u8,
}

impl Fatal {
    fn config(e: impl std::fmt::Display) -> Fatal {
        Fatal {
            line: e.to_string(),
            code: 2,
        }
    }
    fn runtime(e: impl std::fmt::Display) -> Fatal {
        Fatal {
            line: e.to_string(),
            code: 1,
        }
    }
}

fn main() -> ExitCode {
    malloc::limit_arenas();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tessera: error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("tessera: error: {}", f.line);
            ExitCode::from(f.code)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Fatal> {
    let file = match &cli.config {
        Some(path) => FileConfig::load(path).map_err(Fatal::config)?,
        None => FileConfig::default(),
    };
    match cli.command {
        Command::Serve { args } => {
            let cfg =
                config::resolve_serve(args, cli.public_url, cli.data_dir, cli.database_url, &file)
                    .map_err(Fatal::config)?;
            serve(cfg).await
        }
        Command::Pool { command } => {
            init_logging(LogFormat::Text, "warn");
            let location = config::store_location(cli.data_dir, cli.database_url, &file);
            let core = open_cli_core(&location, cli.public_url, &file).await?;
            match command {
                PoolCommand::Create { name, json } => {
                    let creds = core.create_pool(&name).await.map_err(Fatal::runtime)?;
                    let out = CredentialsJson::from(&creds);
                    print_json_or(json, &out, || {
                        format!(
                            "Created user pool {} (app {}). Credentials:\n{}",
                            creds.user_pool_id,
                            creds.app_id,
                            pretty(&out)
                        )
                    })
                }
                PoolCommand::List { json } => {
                    let pools = core.list_pools().await.map_err(Fatal::runtime)?;
                    let out: Vec<PoolJson> = pools.iter().map(PoolJson::from).collect();
                    print_json_or(json, &out, || {
                        pools
                            .iter()
                            .map(|p| {
                                format!(
                                    "{}  {}  users={}  apps={}",
                                    p.user_pool_id,
                                    p.name,
                                    p.user_count,
                                    p.app_ids.join(",")
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("\n")
                    })
                }
            }
        }
        Command::App { command } => {
            init_logging(LogFormat::Text, "warn");
            let location = config::store_location(cli.data_dir, cli.database_url, &file);
            let core = open_cli_core(&location, cli.public_url, &file).await?;
            apps::run(&core, command).await
        }
        Command::Scim { command } => {
            init_logging(LogFormat::Text, "warn");
            let location = config::store_location(cli.data_dir, cli.database_url, &file);
            let core = open_cli_core(&location, cli.public_url, &file).await?;
            scim::run(&core, command).await
        }
        Command::Keys {
            command: KeysCommand::Rotate { json },
        } => {
            init_logging(LogFormat::Text, "warn");
            let location = config::store_location(cli.data_dir, cli.database_url, &file);
            let core = open_cli_core(&location, cli.public_url, &file).await?;
            let r = core.rotate_signing_key().await.map_err(Fatal::runtime)?;
            print_json_or(json, &RotationJson::from(&r), || {
                format!(
                    "New signing key {}. Retiring {:?}; they verify until {}.",
                    r.new_kid,
                    r.retired_kids,
                    tessera_core::clock::iso8601(r.old_keys_verifiable_until)
                )
            })
        }
    }
}

/// The store key under which `serve` records its public URL for CLI commands to reuse.
const PUBLIC_URL_KEY: &str = "public_url";

/// Opens the core for a CLI command. The public URL (printed as `appHost`) comes from the
/// flag or environment, the file, or what the server last recorded, in that order.
async fn open_cli_core(
    location: &StoreLocation,
    flag: Option<String>,
    file: &FileConfig,
) -> Result<Arc<Core>, Fatal> {
    let store = open_store(location).await?;
    let public_url = match flag.or_else(|| file.public_url.clone()) {
        Some(u) => u,
        None => store
            .get_secret(PUBLIC_URL_KEY)
            .await
            .map_err(Fatal::runtime)?
            .unwrap_or_else(|| format!("http://{}", config::DEFAULT_LISTEN)),
    };
    let cfg = CoreConfig {
        public_url,
        hash_params: file.password_hash.unwrap_or_default(),
    };
    // Administrative commands send no messages, and use the keys at once.
    Ok(
        open_core(store, cfg, Arc::new(LogNotifier), Keys::Now, None)
            .await?
            .0,
    )
}

fn pretty<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn print_json_or<T: serde::Serialize>(
    json: bool,
    v: &T,
    text: impl FnOnce() -> String,
) -> Result<(), Fatal> {
    if json {
        let line = serde_json::to_string(v).map_err(Fatal::runtime)?;
        println!("{line}");
    } else {
        println!("{}", text());
    }
    Ok(())
}

fn init_logging(format: LogFormat, default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

async fn open_store(location: &StoreLocation) -> Result<Arc<SqlStore>, Fatal> {
    let store = match location {
        StoreLocation::DataDir(dir) => SqlStore::open_data_dir(dir).await,
        StoreLocation::Url(url) => SqlStore::open(url).await,
    }
    .map_err(Fatal::runtime)?;
    Ok(Arc::new(store))
}

/// When keys the store lacks (first start) are generated.
#[derive(Clone, Copy)]
enum Keys {
    /// Before the core is returned: for commands, which use them at once.
    Now,
    /// In the background while the server starts; see `Core::open_for_serving`.
    InBackground,
}

async fn open_core(
    store: Arc<SqlStore>,
    cfg: CoreConfig,
    notifier: Arc<dyn Notifier>,
    keys: Keys,
    providers: Option<&config::Delivery>,
) -> Result<(Arc<Core>, Arc<SqlStore>), Fatal> {
    let dyn_store: Arc<dyn Store> = store.clone();
    let mut core = match keys {
        Keys::Now => Core::open(dyn_store, cfg, notifier).await,
        Keys::InBackground => Core::open_for_serving(dyn_store, cfg, notifier).await,
    }
    .map_err(|e| match e {
        tessera_core::Error::Internal(m) | tessera_core::Error::Storage(m) => Fatal::runtime(m),
        other => Fatal::runtime(other),
    })?;
    // The identity providers' clients (WeChat, Douyin, Alipay), at the configured bases,
    // and the client of the pools' own OpenID Providers, whose endpoints each connection
    // names.
    if let Some(d) = providers {
        core.set_wechat(Arc::new(WechatHttp::new(&d.wechat_api_base)));
        core.set_douyin(Arc::new(DouyinHttp::new(&d.douyin_api_base)));
        core.set_alipay(Arc::new(AlipayHttp::new(&d.alipay_gateway)));
        core.set_oidc_upstream(Arc::new(OidcHttp::new()));
    }
    Ok((Arc::new(core), store))
}

async fn serve(cfg: config::ServeConfig) -> Result<(), Fatal> {
    init_logging(cfg.log_format, "info,sqlx=warn,tower_http=warn");
    // Bind first: a taken port fails before anything is written.
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| Fatal::runtime(format!("cannot listen on {}: {e}", cfg.listen)))?;
    let metrics_listener =
        match cfg.metrics_listen {
            Some(addr) => Some(tokio::net::TcpListener::bind(addr).await.map_err(|e| {
                Fatal::runtime(format!("cannot listen for metrics on {addr}: {e}"))
            })?),
            None => None,
        };
    let delivery = Delivery {
        email: match &cfg.delivery.smtp_url {
            Some(url) => {
                Some(SmtpMailer::new(url, &cfg.delivery.mail_from).map_err(Fatal::config)?)
            }
            None => None,
        },
        sms: cfg.delivery.sms_webhook_url.as_deref().map(SmsWebhook::new),
        push: cfg
            .delivery
            .push_webhook_url
            .as_deref()
            .map(PushWebhook::new),
        principal: cfg
            .delivery
            .principal_verify_url
            .as_deref()
            .map(PrincipalVerifier::new),
        ..Delivery::default()
    };
    let store = open_store(&cfg.store).await?;
    let (core, store) = open_core(
        store,
        CoreConfig {
            public_url: cfg.public_url.clone(),
            hash_params: cfg.hash_params,
        },
        Arc::new(delivery),
        Keys::InBackground,
        Some(&cfg.delivery),
    )
    .await?;
    // Before serving: a CLI command run once the server is ready prints this URL as `appHost`.
    record_public_url(&store, &cfg.public_url).await?;
    tokio::spawn(housekeeping(Arc::clone(&core)));
    let addr = listener.local_addr().map_err(Fatal::runtime)?;
    tracing::info!(%addr, public_url = %cfg.public_url, backend = ?store.backend(), "tessera listening");
    let mut options = ServerOptions::new(cfg.upload_dir.clone());
    options.trusted_proxies = cfg.trusted_proxies.clone();
    options.connections = cfg.connections;
    options.metrics_token = cfg.metrics_token.clone();
    options.frame_ancestors = cfg.frame_ancestors.clone();
    let state = AppState::new(Arc::clone(&core), options);
    // One signal stops both listeners.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let metrics = async {
        let Some(listener) = metrics_listener else {
            return Ok(());
        };
        let addr = listener.local_addr().map_err(Fatal::runtime)?;
        tracing::info!(%addr, "metrics listening");
        tessera_server::serve_metrics(listener, state.clone(), until_stopped())
            .await
            .map_err(|e| Fatal::runtime(format!("metrics server failed: {e}")))
    };
    let serving = async {
        tessera_server::serve(listener, state.clone(), until_stopped())
            .await
            .map_err(|e| Fatal::runtime(format!("server failed: {e}")))
    };
    // The default pool's credentials include the password-encryption key, which a first start
    // may still be generating: bootstrap runs beside the server instead of before it. A pool
    // cannot be used before its credentials are printed, so serving first loses nothing.
    // A storage failure here (the disk turned read-only or full, PostgreSQL restarting) must
    // not stop a process that is already answering requests: every key is also generated on
    // its first use, so nothing runs without one, and the settling is tried again until it
    // succeeds or the server stops. Any other failure (a corrupt stored key) still stops it.
    let bootstrap = async {
        let mut pause = SETTLE_RETRY_FIRST;
        loop {
            match settle(&core).await {
                Ok(()) => return Ok(()),
                Err(e @ tessera_core::Error::Storage(_)) => {
                    tracing::warn!(error = %e, retry_in = ?pause, "start-up could not store its keys or default pool yet");
                }
                Err(e) => return Err(Fatal::runtime(e)),
            }
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = until_stopped() => return Ok(()),
            }
            pause = (pause * 2).min(SETTLE_RETRY_MAX);
        }
    };
    tokio::try_join!(serving, metrics, bootstrap)?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The first and the longest pause between tries of [`settle`] after a storage failure.
const SETTLE_RETRY_FIRST: Duration = Duration::from_millis(500);
const SETTLE_RETRY_MAX: Duration = Duration::from_secs(30);

/// What a start finishes beside serving: the default pool on a store never bootstrapped
/// (its credentials printed once), every deployment key, then the memory start-up used
/// returned to the system. Each step is idempotent, so a retry after a failure repeats none.
async fn settle(core: &Core) -> tessera_core::Result<()> {
    if let Some(creds) = core.bootstrap().await? {
        println!(
            "Created the default user pool. Its credentials are shown only now; keep them:\n{}",
            pretty(&CredentialsJson::from(&creds))
        );
    }
    // Start-up has settled once every key exists (generated on a first start): what it freed
    // can go back to the system.
    core.wait_for_keys().await?;
    malloc::release_free_memory();
    resident::release_startup_code();
    Ok(())
}

/// Records the public URL for CLI commands, writing only when it changed, so a restart does
/// not take the store's write lock for nothing.
async fn record_public_url(store: &SqlStore, url: &str) -> Result<(), Fatal> {
    let recorded = store
        .get_secret(PUBLIC_URL_KEY)
        .await
        .map_err(Fatal::runtime)?;
    if recorded.as_deref() != Some(url) {
        store
            .put_secret(PUBLIC_URL_KEY, url)
            .await
            .map_err(Fatal::runtime)?;
    }
    Ok(())
}

/// Deletes expired revocations, codes, sessions and retired keys every ten minutes, the first
/// time one minute after start: its writes would otherwise compete with start-up for the
/// store's write lock and the cores. Nothing waits for it: reads already ignore what it
/// deletes.
async fn housekeeping(core: Arc<Core>) {
    let period = Duration::from_secs(600);
    let first = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut tick = tokio::time::interval_at(first, period);
    loop {
        tick.tick().await;
        if let Err(e) = core.housekeeping().await {
            tracing::warn!(error = %e, "housekeeping failed");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve_args(argv: &[&str]) -> config::ServeArgs {
        match Cli::try_parse_from(argv).map(|c| c.command) {
            Ok(Command::Serve { args }) => args,
            Ok(_) => panic!("not serve: {argv:?}"),
            Err(e) => panic!("{argv:?}: {e}"),
        }
    }

    #[test]
    fn trusted_proxy_is_repeatable_and_comma_separated_in_the_environment() {
        let a = serve_args(&[
            "tessera",
            "serve",
            "--trusted-proxy",
            "10.0.0.0/8",
            "--trusted-proxy",
            "::1",
        ]);
        assert_eq!(a.trusted_proxies, ["10.0.0.0/8", "::1"]);
        // The only test in this binary that sets the variable, so no other test sees it.
        std::env::set_var("TESSERA_TRUSTED_PROXIES", "192.168.0.0/16,fd00::/8");
        let from_env = serve_args(&["tessera", "serve"]);
        let flag_wins = serve_args(&["tessera", "serve", "--trusted-proxy", "127.0.0.1"]);
        std::env::remove_var("TESSERA_TRUSTED_PROXIES");
        assert_eq!(from_env.trusted_proxies, ["192.168.0.0/16", "fd00::/8"]);
        assert_eq!(flag_wins.trusted_proxies, ["127.0.0.1"]);
        assert!(serve_args(&["tessera", "serve"]).trusted_proxies.is_empty());
    }
}
