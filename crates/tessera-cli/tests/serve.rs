//! `tessera` as a user runs it: real processes, real ports, SQLite and PostgreSQL.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::Executor;

const BIN: &str = env!("CARGO_BIN_EXE_tessera");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A running `tessera serve`.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    async fn start(store_args: &[&str]) -> Server {
        let port = free_port();
        let child = Command::new(BIN)
            .args(store_args)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn tessera serve");
        let mut s = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        s.wait_ready().await;
        s
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = reqwest::get(format!("{}/ready", self.url)).await {
                if r.status() == 200 {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut err = String::new();
                if let Some(e) = self.child.stderr.as_mut() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("server exited early ({status}): {err}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server at {} not ready in 30 s", self.url);
    }

    async fn get(&self, path: &str) -> Value {
        let r = reqwest::get(format!("{}{path}", self.url))
            .await
            .expect("request");
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.expect("json")
    }

    /// SIGTERM, then wait: returns (exit success, stdout).
    fn stop(mut self) -> (bool, String) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let status = self.child.wait().expect("wait");
        let mut out = String::new();
        if let Some(o) = self.child.stdout.as_mut() {
            let _ = o.read_to_string(&mut out);
        }
        (status.success(), out)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The credentials JSON object printed after the bootstrap banner.
fn bootstrap_credentials(stdout: &str) -> Option<Value> {
    let start = stdout.find('{')?;
    serde_json::from_str(&stdout[start..]).ok()
}

fn cli(store_args: &[&str], args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(store_args)
        .args(args)
        .output()
        .expect("run tessera");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const CREDENTIAL_FIELDS: [&str; 8] = [
    "userPoolId",
    "secret",
    "appId",
    "appSecret",
    "appHost",
    "accessKeyId",
    "accessKeySecret",
    "publicKey",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let store = ["--data-dir", d.to_str().unwrap()];
    let s = Server::start(&store).await;
    assert_eq!(s.get("/health").await["status"], "ok");
    let key1 = s.get("/api/v2/.well-known").await["data"]["publicKey"].clone();
    let jwks1 = s.get("/oidc/.well-known/jwks.json").await;
    assert_eq!(jwks1, s.get("/.well-known/jwks.json").await);
    let (clean, out) = s.stop();
    assert!(clean, "SIGTERM ends with exit 0");
    let creds =
        bootstrap_credentials(&out).expect("first start prints the default pool's credentials");
    for f in CREDENTIAL_FIELDS {
        assert!(creds[f].as_str().is_some_and(|v| !v.is_empty()), "{f}");
    }

    let s = Server::start(&store).await;
    assert_eq!(
        s.get("/api/v2/.well-known").await["data"]["publicKey"],
        key1
    );
    assert_eq!(s.get("/oidc/.well-known/jwks.json").await, jwks1);
    let app = creds["appId"].as_str().unwrap();
    let cfg = s
        .get(&format!("/api/v2/applications/{app}/public-config"))
        .await;
    assert_eq!(cfg["data"]["userPoolId"], creds["userPoolId"]);
    let (_, out) = s.stop();
    assert!(
        bootstrap_credentials(&out).is_none(),
        "credentials are printed once only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_create_json_works_beside_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap().to_owned();
    let store = ["--data-dir", d.as_str()];
    let s = Server::start(&store).await;
    let (code, out, err) = cli(&store, &["pool", "create", "--name", "Acme 应用", "--json"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one JSON object: {out}");
    let creds: Value = serde_json::from_str(lines[0]).expect("valid JSON");
    assert_eq!(creds.as_object().unwrap().len(), CREDENTIAL_FIELDS.len());
    assert_eq!(
        creds["appHost"],
        s.url.as_str(),
        "appHost is the running server's URL"
    );
    assert!(creds["publicKey"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    let app = creds["appId"].as_str().unwrap();
    let cfg = s
        .get(&format!("/api/v2/applications/{app}/public-config"))
        .await;
    assert_eq!(cfg["code"], 200);
    assert_eq!(cfg["data"]["userPoolName"], "Acme 应用");

    let (code, out, _) = cli(&store, &["pool", "list", "--json"]);
    assert_eq!(code, 0);
    let pools: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(pools.as_array().unwrap().len(), 2, "default + Acme");

    let (code, out, _) = cli(&store, &["pool", "create", "--name", "  ", "--json"]);
    assert_ne!(code, 0);
    assert!(out.is_empty());

    let (code, out, err) = cli(&store, &["keys", "rotate", "--json"]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(r["retiredKids"].as_array().unwrap().len(), 1);
    s.stop();
}

async fn fresh_pg_schema() -> (String, String) {
    sqlx::any::install_default_drivers();
    let base = std::env::var("TESSERA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("tessera_cli_{:016x}", rand::random::<u64>());
    let admin = sqlx::AnyPool::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL ({base}) is configured but unreachable: {e}"));
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .unwrap();
    admin.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    (
        format!("{base}{sep}options=-c%20search_path%3D{schema}"),
        schema,
    )
}

async fn drop_pg_schema(schema: &str) {
    let base = std::env::var("TESSERA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    if let Ok(admin) = sqlx::AnyPool::connect(&base).await {
        let _ = admin
            .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
            .await;
        admin.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_one_postgres_database() {
    let (url, schema) = fresh_pg_schema().await;
    let store = ["--database-url", url.as_str()];
    // Both start on an empty database at once: they race on migrations and bootstrap.
    let (a, b) = tokio::join!(Server::start(&store), Server::start(&store));
    let (code, out, err) = cli(
        &store,
        &[
            "--public-url",
            &a.url,
            "pool",
            "create",
            "--name",
            "Shared",
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let creds: Value = serde_json::from_str(out.trim()).unwrap();
    let app = creds["appId"].as_str().unwrap();
    for s in [&a, &b] {
        let cfg = s
            .get(&format!("/api/v2/applications/{app}/public-config"))
            .await;
        assert_eq!(
            cfg["data"]["userPoolId"], creds["userPoolId"],
            "served by {}",
            s.url
        );
    }
    assert_eq!(
        a.get("/api/v2/.well-known").await["data"]["publicKey"],
        b.get("/api/v2/.well-known").await["data"]["publicKey"],
        "one deployment key"
    );
    assert_eq!(
        a.get("/oidc/.well-known/jwks.json").await,
        b.get("/oidc/.well-known/jwks.json").await
    );
    let (_, out_a) = a.stop();
    let (_, out_b) = b.stop();
    let printed = [out_a, out_b]
        .iter()
        .filter(|o| bootstrap_credentials(o).is_some())
        .count();
    assert_eq!(
        printed, 1,
        "exactly one process bootstrapped the default pool"
    );
    let (_, out, _) = cli(&store, &["pool", "list", "--json"]);
    assert_eq!(
        serde_json::from_str::<Value>(out.trim())
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    drop_pg_schema(&schema).await;
}

fn assert_one_line_failure(code: i32, stderr: &str, expect: &str) {
    assert_ne!(code, 0);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].contains(expect), "{stderr}");
}

fn nothing_written(dir: &Path) -> bool {
    !dir.exists()
}

#[test]
fn malformed_config_stops_start_up_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let cfg = tmp.path().join("tessera.toml");
    for (text, expect) in [
        ("listen = ", "malformed"),
        ("lisen = \"127.0.0.1:1\"", "malformed"),
        ("listen = \"not an address\"", "invalid listen address"),
        ("public-url = \"ftp://x\"", "invalid public URL"),
        (
            "trusted-proxies = [\"10.0.0.0/33\"]",
            "invalid trusted proxy",
        ),
    ] {
        std::fs::write(&cfg, text).unwrap();
        let (code, _, err) = cli(
            &[
                "--config",
                cfg.to_str().unwrap(),
                "--data-dir",
                data.to_str().unwrap(),
            ],
            &["serve"],
        );
        assert_eq!(code, 2, "{text}");
        assert_one_line_failure(code, &err, expect);
        assert!(nothing_written(&data), "{text}");
    }
    let (code, _, err) = cli(&["--config", "/nonexistent/t.toml"], &["serve"]);
    assert_one_line_failure(code, &err, "cannot read config file");
}

#[test]
fn unreachable_database_stops_start_up_with_one_line() {
    let port = free_port();
    let started = Instant::now();
    let (code, _, err) = cli(
        &[
            "--database-url",
            &format!("postgres://postgres:hunter2@127.0.0.1:{port}/x"),
        ],
        &["serve", "--listen", &format!("127.0.0.1:{}", free_port())],
    );
    assert_one_line_failure(code, &err, "cannot connect to database");
    assert!(!err.contains("hunter2"), "the password is not printed");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_taken_port_stops_start_up_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, _, err) = cli(
        &["--data-dir", data.to_str().unwrap()],
        &["serve", "--listen", &addr],
    );
    assert_one_line_failure(code, &err, "cannot listen");
    assert!(nothing_written(&data));
}

// Test fixture: the "PRIVATE KEY" PEM below is deliberately garbage (no key material), written
// over a generated key to check that a corrupt stored key stops start-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_key_stops_start_up_with_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path().to_str().unwrap().to_owned();
    let (code, _, _) = cli(&["--data-dir", &d], &["pool", "list"]);
    assert_eq!(code, 0);
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}/tessera.db", d);
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    // Test fixture: a deliberately broken PEM (no key material), to prove a corrupt stored
    // key stops start-up. Real keys are generated at first start, never committed.
    pool.execute("UPDATE signing_keys SET private_pem = '-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----'")
        .await
        .unwrap();
    pool.close().await;
    let (code, _, err) = cli(
        &["--data-dir", &d],
        &["serve", "--listen", &format!("127.0.0.1:{}", free_port())],
    );
    assert_one_line_failure(code, &err, "signing key");
    assert!(err.contains("corrupt"), "{err}");
}
