//! `tessera-bench`, started by `bench/run`: measures what a login, a token and a lookup cost
//! against their physical limits and two peer servers, in one run, and writes
//! `bench/results/<UTC timestamp>.json` and `.md`. See `bench/README.md`.

mod admin;
mod error;
mod floor;
mod load;
mod peers;
mod proc;
mod raw;
mod report;
mod tessera;
mod wire;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use serde_json::{json, Map, Value};
use tessera_core::crypto::password::HashParams;
use tessera_store::SqlStore;

use error::{BenchError, Result};
use load::{LoadResult, LoadSpec};

#[derive(Parser, Debug, Clone)]
#[command(
    name = "tessera-bench",
    about = "Tessera's benchmark (run it through bench/run)"
)]
pub struct Args {
    /// Seconds-long phases and a tiny store: finishes in well under a minute.
    #[arg(long)]
    quick: bool,
    /// The `tessera` binary to start.
    #[arg(long)]
    tessera_bin: PathBuf,
    /// The cargo profile `tessera` was built with (reported with the machine facts).
    #[arg(long, default_value = "release")]
    profile: String,
    /// The commit being measured (reported).
    #[arg(long, default_value = "")]
    commit: String,
    /// Where results go.
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
    /// Where peer set-up scripts live.
    #[arg(long, default_value = "bench/peers")]
    peers_dir: PathBuf,
    /// Users to bulk-create (default 1,000,000; 2,000 with --quick).
    #[arg(long)]
    users: Option<usize>,
    /// PostgreSQL database for the PostgreSQL figures; each run uses a fresh schema in it and
    /// drops it afterwards.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/bench")]
    postgres_url: String,
    /// Leave out the peers.
    #[arg(long)]
    no_peers: bool,
    /// Connections for the token, verification, lookup and peer loads.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Only the token issuance and verification figures (raw RS256 and refreshToken,
    /// checkLoginStatus, getCurrentUser), printed as JSON; no result file is written. For
    /// iterating on those request paths.
    #[arg(long)]
    tokens_only: bool,
    /// Only the login figures (raw argon2id and loginByEmail), printed as JSON; no result
    /// file is written. For iterating on the login path.
    #[arg(long, conflicts_with = "tokens_only")]
    login_only: bool,
    /// Threads of the load generator, each with its share of the connections (wrk's `-t`).
    /// One is enough to saturate a 2-core server and leaves it the most of the cores.
    #[arg(long, default_value_t = 1)]
    generator_threads: usize,
}

/// Phase lengths and sizes for one mode.
#[derive(Debug, Clone)]
pub struct Plan {
    pub quick: bool,
    pub users: usize,
    pub batch: usize,
    pub raw_rounds: usize,
    pub raw_hash: Duration,
    pub raw_rsa: Duration,
    pub warmup: Duration,
    pub login: Duration,
    pub http: Duration,
    pub lookup_ops: usize,
    pub login_users: usize,
    pub login_concurrency: usize,
    pub concurrency: usize,
    pub generator_threads: usize,
    pub max_requests: u64,
}

impl Plan {
    fn new(a: &Args, cores: usize) -> Plan {
        let (users, batch) = if a.quick {
            (a.users.unwrap_or(2_000), 500)
        } else {
            (a.users.unwrap_or(1_000_000), 10_000)
        };
        // Twice as many logins in flight as cores: enough to keep every core hashing while
        // one request is between its hash and its answer.
        let login_concurrency = 2 * cores;
        Plan {
            quick: a.quick,
            users,
            batch,
            raw_rounds: if a.quick { 1 } else { 3 },
            raw_hash: Duration::from_millis(if a.quick { 1000 } else { 3000 }),
            raw_rsa: Duration::from_millis(if a.quick { 500 } else { 1500 }),
            warmup: Duration::from_millis(if a.quick { 200 } else { 1000 }),
            login: Duration::from_secs(if a.quick { 2 } else { 20 }),
            http: Duration::from_secs(if a.quick { 1 } else { 8 }),
            lookup_ops: if a.quick { 500 } else { 10_000 },
            login_users: login_concurrency.max(4),
            login_concurrency,
            concurrency: a.concurrency,
            generator_threads: a.generator_threads,
            max_requests: if a.quick { 200_000 } else { 5_000_000 },
        }
    }

    pub fn spec(&self, addr: SocketAddr, concurrency: usize, duration: Duration) -> LoadSpec {
        LoadSpec {
            addr,
            concurrency,
            threads: self.generator_threads,
            warmup: self.warmup,
            duration,
            max_requests: self.max_requests,
        }
    }
}

fn main() -> std::process::ExitCode {
    let mut argv = std::env::args().skip(1);
    if argv.next().as_deref() == Some(floor::SUBCOMMAND) {
        return floor::serve(&argv.next().unwrap_or_default());
    }
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tessera-bench: cannot start the runtime: {e}");
            return std::process::ExitCode::from(1);
        }
    };
    match rt.block_on(run(args)) {
        Ok(path) => {
            println!("results: {path}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tessera-bench: {e}");
            std::process::ExitCode::from(1)
        }
    }
}

/// The higher of two rates.
fn best(a: Option<raw::Rate>, b: raw::Rate) -> Option<raw::Rate> {
    match a {
        Some(a) if a.per_s >= b.per_s => Some(a),
        _ => Some(b),
    }
}

fn say(msg: &str) {
    eprintln!("[bench] {msg}");
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// `a / b`, or null when either is missing.
fn ratio(a: Option<f64>, b: Option<f64>) -> Value {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => json!(round(a / b, 3)),
        _ => Value::Null,
    }
}

fn load_json(r: &LoadResult) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        for k in ["per_s", "p50_ms", "p99_ms", "seconds"] {
            if let Some(x) = o.get(k).and_then(Value::as_f64) {
                o.insert(k.into(), json!(round(x, 3)));
            }
        }
    }
    v
}

/// Logs a load's result and fails the run when nothing succeeded.
fn checked(name: &str, r: LoadResult) -> Result<LoadResult> {
    say(&format!(
        "{name}: {:.1}/s p50 {:.2} ms p99 {:.2} ms ({} ok, {} errors, {} connections)",
        r.per_s, r.p50_ms, r.p99_ms, r.requests, r.errors, r.concurrency
    ));
    if r.requests == 0 {
        return Err(BenchError::answer(
            name,
            r.first_error
                .clone()
                .unwrap_or_else(|| "no request succeeded".into()),
        ));
    }
    Ok(r)
}

async fn run(a: Args) -> Result<String> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let plan = Plan::new(&a, cores);
    let work = tempdir()?;
    let mut out = Map::new();
    out.insert("mode".into(), json!(if a.quick { "quick" } else { "full" }));
    out.insert(
        "machine".into(),
        report::machine(cores, &a.profile, &a.commit),
    );

    // 1. Physical limits, measured before any server runs.
    let params = HashParams::default();
    // Interleaved rounds, best of each: the machine is shared, and the least disturbed round
    // is the closest to the physical limit.
    say("raw argon2id (RustCrypto as Tessera hashes, and libargon2), RS256, RSA");
    let (mut rust, mut c): (Option<raw::Rate>, Option<raw::Rate>) = (None, None);
    let (mut sign, mut verify, mut decrypt) = (None, None, None);
    for _ in 0..plan.raw_rounds {
        if a.tokens_only {
            // A placeholder: the hash rates are not part of this mode's figures.
            rust = Some(raw::Rate {
                per_s: 0.0,
                threads: 0,
                seconds: 0.0,
                ops: 0,
            });
        } else {
            rust = best(rust, raw::argon2_rustcrypto(params, cores, plan.raw_hash)?);
            if let Some(r) = raw::argon2_libargon2(params, cores, plan.raw_hash)? {
                c = best(c, r);
            }
        }
        sign = best(sign, raw::rs256_sign(cores, plan.raw_rsa)?);
        verify = best(verify, raw::rs256_verify(cores, plan.raw_rsa)?);
        decrypt = best(decrypt, raw::rsa_decrypt(cores, plan.raw_rsa)?);
    }
    let (Some(rust), Some(sign), Some(verify), Some(decrypt)) = (rust, sign, verify, decrypt)
    else {
        return Err(BenchError::answer("raw rates", "no round ran"));
    };
    say(&format!(
        "  argon2id {:.1}/s (libargon2 {}), sign {:.0}/s verify {:.0}/s decrypt {:.0}/s",
        rust.per_s,
        c.as_ref()
            .map_or("not built".into(), |c| format!("{:.1}/s", c.per_s)),
        sign.per_s,
        verify.per_s,
        decrypt.per_s
    ));
    let (fastest, fastest_impl) = match &c {
        Some(c) if c.per_s > rust.per_s => (c.per_s, "libargon2"),
        _ => (rust.per_s, "rustcrypto-argon2"),
    };
    out.insert(
        "argon2_params".into(),
        json!({"memory_kib": params.memory_kib, "iterations": params.iterations, "parallelism": params.parallelism}),
    );
    out.insert("raw_hash_per_s".into(), json!(round(rust.per_s, 2)));
    out.insert(
        "raw_hash_libargon2_per_s".into(),
        c.as_ref().map_or(Value::Null, |c| json!(round(c.per_s, 2))),
    );
    if c.is_none() {
        out.insert(
            "raw_hash_libargon2_reason".into(),
            json!("libargon2 was not installed when tessera-bench was built (apt-get install libargon2-dev)"),
        );
    }
    out.insert("raw_hash_fastest_per_s".into(), json!(round(fastest, 2)));
    out.insert("raw_hash_fastest_impl".into(), json!(fastest_impl));
    out.insert("raw_sign_per_s".into(), json!(round(sign.per_s, 1)));
    out.insert("raw_verify_per_s".into(), json!(round(verify.per_s, 1)));
    out.insert(
        "raw_rsa_decrypt_per_s".into(),
        json!(round(decrypt.per_s, 1)),
    );

    // 2. Tessera on a fresh SQLite store.
    let data_dir = work.join("tessera-data");
    let dep = tessera::Deployment {
        bin: a.tessera_bin.clone(),
        store_args: vec!["--data-dir".into(), data_dir.display().to_string()],
    };
    let addr: SocketAddr = ([127, 0, 0, 1], proc::free_port()?).into();
    say("starting tessera on a fresh store");
    let server = dep.start(addr, &work.join("tessera.log")).await?;
    out.insert(
        "start_ready_ms".into(),
        json!(round(server.start_ready_ms, 1)),
    );
    // Idle memory is read once start-up work (first keys, then their memory returned) is done.
    let rss_idle = server
        .settled_rss_kb(
            Duration::from_millis(200),
            Duration::from_secs(if a.quick { 3 } else { 10 }),
        )
        .await;
    out.insert("rss_idle_kb".into(), json!(rss_idle));
    say(&format!(
        "  ready in {:.1} ms, idle RSS {} KiB",
        server.start_ready_ms,
        rss_idle.unwrap_or(0)
    ));

    let creds = dep.create_pool("bench")?;
    let key = tessera::password_key(addr).await?;
    let password = "bench-Passw0rd";
    let emails = tessera::register_users(addr, &creds, &key, plan.login_users, password).await?;
    let logins = tessera::login_requests(&creds, &key, &emails, password)?;

    if a.tokens_only {
        let tokens = Arc::new(tessera::tokens(addr, &logins).await?);
        let (figures, _) =
            token_figures(&plan, addr, &creds, tokens, sign.per_s, verify.per_s, &work).await?;
        server.stop();
        let _ = std::fs::remove_dir_all(&work);
        for (k, v) in figures {
            out.insert(k, v);
        }
        return Ok(serde_json::to_string_pretty(&out)?);
    }

    // Login: one argon2 verification, one RSA decryption, one signature per call.
    let rss = proc::RssSampler::start(server.pid());
    let l = logins.clone();
    let login = checked(
        "loginByEmail",
        load::run(
            &plan.spec(addr, plan.login_concurrency, plan.login),
            Arc::new(move |w, _| l[w % l.len()].clone()),
            load::ok_graphql(),
        )
        .await,
    )?;
    let rss_login = rss.stop().await;
    out.insert("login_per_s".into(), json!(round(login.per_s, 2)));
    out.insert("login_p50_ms".into(), json!(round(login.p50_ms, 2)));
    out.insert("login_p99_ms".into(), json!(round(login.p99_ms, 2)));
    out.insert("login_concurrency".into(), json!(plan.login_concurrency));
    out.insert(
        "login_ratio".into(),
        ratio(Some(login.per_s), Some(fastest)),
    );
    out.insert("rss_login_kb".into(), json!(rss_login));
    if a.login_only {
        server.stop();
        let _ = std::fs::remove_dir_all(&work);
        return Ok(serde_json::to_string_pretty(&out)?);
    }

    let tokens = Arc::new(tessera::tokens(addr, &logins).await?);
    let http = plan.spec(addr, plan.concurrency, plan.http);
    let mut details = Map::new();
    details.insert("login".into(), load_json(&login));

    let (figures, token_details) =
        token_figures(&plan, addr, &creds, tokens, sign.per_s, verify.per_s, &work).await?;
    for (k, v) in figures {
        out.insert(k, v);
    }
    for (k, v) in token_details {
        details.insert(k, v);
    }

    // The endpoints Tessera shares with the peers, on the same generator: an OIDC client
    // allowed client credentials, and a user's access token for userinfo.
    let (client_id, client_secret) = dep.create_oidc_app(&creds.user_pool_id)?;
    let access_token =
        tessera::oidc_access_token(addr, (&client_id, &client_secret), &emails[0], password)
            .await?;
    let oidc = tessera::OidcClient {
        client_id,
        client_secret,
        access_token,
    };
    let tessera_peer = peers::measure_tessera(&plan, addr, &server, rss_idle, &oidc).await?;
    // `client_credentials` costs one signature: its rate against the raw signing rate.
    let cc = tessera_peer["client_credentials"]["per_s"].as_f64();
    out.insert(
        "client_credentials_per_s".into(),
        json!(cc.map(|v| round(v, 1))),
    );
    out.insert(
        "client_credentials_ratio".into(),
        ratio(cc, Some(sign.per_s)),
    );
    // Its floor: the same request answered with one signature over loopback HTTP.
    let (floor_server, floor_addr) = floor::start(&work).await?;
    let mut mint = peers::client_credentials_req(&oidc);
    mint.path = "/floor/mint".into();
    let floor_cc = checked(
        "floor client_credentials",
        load::run(
            &plan.spec(floor_addr, plan.concurrency, plan.http),
            Arc::new(move |_, _| mint.clone()),
            load::ok_status(),
        )
        .await,
    )?;
    floor_server.stop();
    floor_figures(
        &mut out,
        "client_credentials",
        floor_cc.per_s,
        sign.per_s,
        cc,
    );

    // 3. Admin reads at scale on the server's own SQLite store.
    say(&format!("bulk import of {} users into SQLite", plan.users));
    let store = SqlStore::open_data_dir(&data_dir).await?;
    let core = admin::open_core(store).await?;
    let pool = core
        .pool_admin_by_secret(&creds.user_pool_id, &creds.secret)
        .await?;
    let (bulk, samples) = admin::import(&core, &pool, plan.users, plan.batch, 20_000).await?;
    say(&format!("  {:.0} users/s", bulk.users_per_s));
    let sqlite_lookups = admin::lookups(&core, &pool, &samples, plan.lookup_ops).await?;
    say(&format!("  lookups p99 {:.3} ms", sqlite_lookups.p99_ms));
    out.insert("users".into(), json!(plan.users));
    out.insert("bulk_users_per_s".into(), json!(round(bulk.users_per_s, 0)));
    out.insert(
        "bulk_users_per_s_sqlite".into(),
        json!(round(bulk.users_per_s, 0)),
    );
    out.insert(
        "lookup_p99_ms_sqlite".into(),
        json!(round(sqlite_lookups.p99_ms, 3)),
    );
    out.insert(
        "list_page_p99_ms_sqlite".into(),
        json!(round(sqlite_lookups.list_page_100.p99_ms, 3)),
    );
    let mut lookups = Map::new();
    lookups.insert("sqlite".into(), serde_json::to_value(&sqlite_lookups)?);
    let mut bulks = Map::new();
    bulks.insert("sqlite".into(), serde_json::to_value(&bulk)?);

    // The same reads through the running server (isUserExists by email), which also makes
    // the server touch the big table before its loaded memory is read.
    let c5 = creds.clone();
    let s = Arc::new(samples);
    let s2 = s.clone();
    let exists = checked(
        "isUserExists (HTTP, by email)",
        load::run(
            &http,
            Arc::new(move |w, n| {
                let i = (w * 7919 + n as usize * 104_729) % s2.len();
                tessera::gql(
                    &c5,
                    tessera::docs::IS_USER_EXISTS,
                    json!({ "email": s2[i].email }),
                    None,
                )
            }),
            Arc::new(|st, b| st == 200 && String::from_utf8_lossy(b).contains("true")),
        )
        .await,
    )?;
    details.insert("is_user_exists_http".into(), load_json(&exists));
    let rss_loaded = server.rss_kb();
    out.insert("rss_loaded_kb".into(), json!(rss_loaded));
    core.ready().await?;
    drop(core);
    server.stop();

    // Restart on the loaded store: start-up with existing keys and a big table.
    let addr2: SocketAddr = ([127, 0, 0, 1], proc::free_port()?).into();
    let again = dep.start(addr2, &work.join("tessera-restart.log")).await?;
    out.insert(
        "start_ready_ms_restart".into(),
        json!(round(again.start_ready_ms, 1)),
    );
    again.stop();

    // 4. The same on PostgreSQL.
    match postgres_figures(&a, &plan).await {
        Ok((b, l)) => {
            out.insert("lookup_p99_ms_postgres".into(), json!(round(l.p99_ms, 3)));
            out.insert(
                "list_page_p99_ms_postgres".into(),
                json!(round(l.list_page_100.p99_ms, 3)),
            );
            out.insert(
                "bulk_users_per_s_postgres".into(),
                json!(round(b.users_per_s, 0)),
            );
            lookups.insert("postgres".into(), serde_json::to_value(&l)?);
            bulks.insert("postgres".into(), serde_json::to_value(&b)?);
        }
        Err(e) => {
            say(&format!("PostgreSQL figures skipped: {e}"));
            out.insert("lookup_p99_ms_postgres".into(), Value::Null);
            out.insert("list_page_p99_ms_postgres".into(), Value::Null);
            out.insert("bulk_users_per_s_postgres".into(), Value::Null);
            out.insert("postgres_reason".into(), json!(e.to_string()));
        }
    }
    out.insert("lookups".into(), Value::Object(lookups));
    out.insert("bulk".into(), Value::Object(bulks));

    // 5. Peers, on the same generator and connections.
    let mut peer_map = Map::new();
    peer_map.insert("tessera".into(), tessera_peer);
    if a.no_peers {
        out.insert("peers_reason".into(), json!("--no-peers"));
    } else {
        for (name, v) in peers::measure_peers(&plan, &a.peers_dir, &work).await {
            peer_map.insert(name, v);
        }
    }
    peers::compare(&mut peer_map);
    out.insert("peers".into(), Value::Object(peer_map));
    out.insert("details".into(), Value::Object(details));
    out.insert("targets".into(), report::targets(&out));

    let path = report::write(&a.out, &out)?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(path)
}

/// A floor's figures for `name`: its rate (`floor_{name}_per_s`), that rate over the raw one
/// (`{name}_ratio_ceiling`, the highest ratio reachable here) and Tessera's rate over it
/// (`{name}_of_floor`).
fn floor_figures(
    out: &mut Map<String, Value>,
    name: &str,
    floor: f64,
    raw: f64,
    tessera: Option<f64>,
) {
    out.insert(format!("floor_{name}_per_s"), json!(round(floor, 1)));
    out.insert(
        format!("{name}_ratio_ceiling"),
        ratio(Some(floor), Some(raw)),
    );
    out.insert(format!("{name}_of_floor"), ratio(tessera, Some(floor)));
}

/// Worker `w`'s requests: `build` with the tokens in turn, sent to `path` when one is given
/// (the floor's path for the same request).
fn per_token(
    creds: &tessera::PoolCreds,
    tokens: &Arc<Vec<String>>,
    build: fn(&tessera::PoolCreds, &str) -> load::Req,
    path: Option<&'static str>,
) -> load::MakeReq {
    let (creds, tokens) = (creds.clone(), Arc::clone(tokens));
    Arc::new(move |w, _| {
        let mut r = build(&creds, &tokens[w % tokens.len()]);
        if let Some(p) = path {
            r.path = p.into();
        }
        r
    })
}

/// Token issuance (refreshToken: one verification and one signature) and verification
/// (checkLoginStatus with the token as argument, getCurrentUser with a Bearer): the figures
/// and the full load results.
async fn token_figures(
    plan: &Plan,
    addr: SocketAddr,
    creds: &tessera::PoolCreds,
    tokens: Arc<Vec<String>>,
    sign_per_s: f64,
    verify_per_s: f64,
    work: &std::path::Path,
) -> Result<(Map<String, Value>, Map<String, Value>)> {
    let http = plan.spec(addr, plan.concurrency, plan.http);
    let mut out = Map::new();
    let mut details = Map::new();
    let refresh = checked(
        "refreshToken",
        load::run(
            &http,
            per_token(creds, &tokens, tessera::refresh_token, None),
            load::ok_graphql(),
        )
        .await,
    )?;
    out.insert("token_per_s".into(), json!(round(refresh.per_s, 1)));
    out.insert("token_p50_ms".into(), json!(round(refresh.p50_ms, 2)));
    out.insert("token_p99_ms".into(), json!(round(refresh.p99_ms, 2)));
    out.insert(
        "token_ratio".into(),
        ratio(Some(refresh.per_s), Some(sign_per_s)),
    );
    details.insert("refresh_token".into(), load_json(&refresh));

    // Verification: checkLoginStatus (token as argument) and getCurrentUser (Bearer).
    let check = checked(
        "checkLoginStatus",
        load::run(
            &http,
            per_token(creds, &tokens, tessera::check_login_status, None),
            Arc::new(|s, b| s == 200 && String::from_utf8_lossy(b).contains("\"status\":true")),
        )
        .await,
    )?;
    out.insert("verify_per_s".into(), json!(round(check.per_s, 1)));
    out.insert("verify_p50_ms".into(), json!(round(check.p50_ms, 2)));
    out.insert("verify_p99_ms".into(), json!(round(check.p99_ms, 2)));
    out.insert(
        "verify_ratio".into(),
        ratio(Some(check.per_s), Some(verify_per_s)),
    );
    details.insert("check_login_status".into(), load_json(&check));
    let me = checked(
        "getCurrentUser",
        load::run(
            &http,
            per_token(creds, &tokens, tessera::current_user, None),
            load::ok_graphql(),
        )
        .await,
    )?;
    out.insert("current_user_per_s".into(), json!(round(me.per_s, 1)));
    out.insert("current_user_p50_ms".into(), json!(round(me.p50_ms, 2)));
    out.insert("current_user_p99_ms".into(), json!(round(me.p99_ms, 2)));
    out.insert(
        "current_user_ratio".into(),
        ratio(Some(me.per_s), Some(verify_per_s)),
    );
    details.insert("get_current_user".into(), load_json(&me));

    // The floor: the same requests answered by a server with nothing but the crypto on top of
    // loopback HTTP (`floor.rs`). Its rates bound what any server reaches here.
    let (floor_server, floor_addr) = floor::start(work).await?;
    let mut adopted = Vec::with_capacity(tokens.len());
    for t in tokens.iter() {
        let r = load::Req::post("/floor/adopt", "text/plain", t.clone().into());
        let v = load::once_json(floor_addr, &r).await?;
        let token = v["token"]
            .as_str()
            .ok_or_else(|| BenchError::answer("/floor/adopt", "no token"))?;
        adopted.push(token.to_owned());
    }
    let adopted = Arc::new(adopted);
    let floor_http = plan.spec(floor_addr, plan.concurrency, plan.http);
    let floor_sign = checked(
        "floor sign",
        load::run(
            &floor_http,
            per_token(creds, &adopted, tessera::refresh_token, Some("/floor/sign")),
            load::ok_status(),
        )
        .await,
    )?;
    let floor_verify = checked(
        "floor verify",
        load::run(
            &floor_http,
            per_token(
                creds,
                &adopted,
                tessera::check_login_status,
                Some("/floor/verify"),
            ),
            load::ok_status(),
        )
        .await,
    )?;
    floor_server.stop();
    floor_figures(
        &mut out,
        "token",
        floor_sign.per_s,
        sign_per_s,
        Some(refresh.per_s),
    );
    floor_figures(
        &mut out,
        "verify",
        floor_verify.per_s,
        verify_per_s,
        Some(check.per_s),
    );
    out.insert(
        "current_user_of_floor".into(),
        ratio(Some(me.per_s), Some(floor_verify.per_s)),
    );
    details.insert("floor_sign".into(), load_json(&floor_sign));
    details.insert("floor_verify".into(), load_json(&floor_verify));

    Ok((out, details))
}

async fn postgres_figures(a: &Args, plan: &Plan) -> Result<(admin::Bulk, admin::Lookups)> {
    let schema = format!(
        "bench_{}_{}",
        std::process::id(),
        tessera_core::clock::now_ms()
    );
    let admin_pool = sqlx_admin(&a.postgres_url).await?;
    exec(&admin_pool, &format!("CREATE SCHEMA {schema}")).await?;
    let sep = if a.postgres_url.contains('?') {
        '&'
    } else {
        '?'
    };
    let url = format!("{}{sep}options=-c%20search_path%3D{schema}", a.postgres_url);
    let result = async {
        // Closed at the end of the block, before the schema is dropped.
        say(&format!(
            "bulk import of {} users into PostgreSQL",
            plan.users
        ));
        let core = admin::open_core(SqlStore::open(&url).await?).await?;
        let creds = core.create_pool("bench").await?;
        let pool = core
            .pool_admin_by_secret(&creds.user_pool_id, &creds.secret)
            .await?;
        let (bulk, samples) = admin::import(&core, &pool, plan.users, plan.batch, 20_000).await?;
        say(&format!("  {:.0} users/s", bulk.users_per_s));
        let l = admin::lookups(&core, &pool, &samples, plan.lookup_ops).await?;
        say(&format!("  lookups p99 {:.3} ms", l.p99_ms));
        Ok::<_, BenchError>((bulk, l))
    }
    .await;
    let _ = exec(&admin_pool, &format!("DROP SCHEMA {schema} CASCADE")).await;
    result
}

async fn sqlx_admin(url: &str) -> Result<sqlx::AnyPool> {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(url)
        .await
        .map_err(|e| BenchError::answer(format!("PostgreSQL at {url}"), e))
}

async fn exec(pool: &sqlx::AnyPool, sql: &str) -> Result<()> {
    sqlx::query(sql)
        .execute(pool)
        .await
        .map(|_| ())
        .map_err(|e| BenchError::answer(sql, e))
}

fn tempdir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!(
        "tessera-bench-{}-{}",
        std::process::id(),
        tessera_core::clock::now_ms()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| BenchError::io(dir.display(), e))?;
    Ok(dir)
}
