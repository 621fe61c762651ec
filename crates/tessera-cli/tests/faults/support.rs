//! The running binary, its CLI, and the few wire calls the fault tests make.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tessera_core::crypto::transport::TransportKey;

pub const BIN: &str = env!("CARGO_BIN_EXE_tessera");
pub const PASSWORD: &str = "Correct-Horse-9";
/// Authing's "system busy" answer, which every storage failure must be.
pub const BUSY: i64 = 1000;
pub const BUSY_ZH: &str = "系统繁忙，请稍后再试";
pub const BUSY_EN: &str = "System busy, please try again later";

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Runs `cmd`, panicking with its output if it fails: the fault tests' set-up steps.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn is_root() -> bool {
    run(Command::new("id").arg("-u")).trim() == "0"
}

/// A running `tessera serve`; its output goes to files, so a chatty log never fills a pipe
/// and blocks the server.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub addr: String,
    pub stderr: PathBuf,
}

impl Server {
    pub async fn start(store_args: &[&str], logs: &Path) -> Server {
        let port = free_port();
        let addr = format!("127.0.0.1:{port}");
        let stderr = logs.join(format!("serve-{port}.err"));
        let stdout = logs.join(format!("serve-{port}.out"));
        let child = Command::new(BIN)
            .args(store_args)
            .args(["serve", "--listen", &addr])
            .env(
                "RUST_LOG",
                std::env::var("FAULTS_RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("spawn tessera serve");
        let mut s = Server {
            child,
            url: format!("http://{addr}"),
            addr,
            stderr,
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
                panic!("server exited early ({status}): {}", self.log());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server at {} not ready in 30 s", self.url);
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Every answer of a burst, or a failure naming the transport error, whether the
    /// server is still alive, and its log.
    pub fn answers(&mut self, burst: Vec<Result<Answer, String>>, what: &str) -> Vec<Answer> {
        let mut answers = Vec::with_capacity(burst.len());
        for a in burst {
            match a {
                Ok(a) => answers.push(a),
                Err(e) => {
                    let state = match self.child.try_wait() {
                        Ok(Some(status)) => format!("the server exited ({status})"),
                        _ => "the server is still running".to_owned(),
                    };
                    panic!("{what}: no answer ({e}); {state}; its log:\n{}", self.log());
                }
            }
        }
        answers
    }

    /// Still the process that was started: it neither exited nor was restarted.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("the server died ({status}): {}", self.log());
        }
    }

    pub fn sigterm(&self) {
        run(Command::new("kill").args(["-TERM", &self.child.id().to_string()]));
    }

    /// SIGTERM, then the exit status within `bound`.
    pub fn stop_within(self, bound: Duration) -> std::process::ExitStatus {
        self.sigterm();
        self.exit_within(bound)
    }

    /// The exit status, which must come within `bound`.
    pub fn exit_within(mut self, bound: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + bound;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "no exit within {bound:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A pool's credentials, as `tessera pool create --json` prints them.
pub struct Creds {
    pub app_id: String,
    pub public_key: String,
}

pub fn create_pool(store_args: &[&str]) -> Creds {
    let out = run(Command::new(BIN)
        .args(store_args)
        .args(["pool", "create", "--name", "faults", "--json"])
        .stderr(Stdio::inherit()));
    let v: Value = serde_json::from_str(out.trim()).expect("credentials JSON");
    Creds {
        app_id: v["appId"].as_str().unwrap().to_owned(),
        public_key: v["publicKey"].as_str().unwrap().to_owned(),
    }
}

/// What the wire answered a call: its HTTP status and JSON body, and how long it took.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub took: Duration,
}

impl Answer {
    /// The Authing error code of a GraphQL or REST answer, if it is an error.
    pub fn error_code(&self) -> Option<i64> {
        if let Some(code) = self.body["errors"][0]["message"]["code"].as_i64() {
            return Some(code);
        }
        match self.body["code"].as_i64() {
            Some(200) | None => None,
            Some(code) => Some(code),
        }
    }

    pub fn error_message(&self) -> Option<&str> {
        self.body["errors"][0]["message"]["message"]
            .as_str()
            .or_else(|| self.body["message"].as_str())
    }

    /// A storage failure as the SDK must see it: HTTP 200 (the v2 SDKs read 2xx bodies
    /// only), code 1000, the message in the request's language, no detail of the store.
    pub fn assert_busy(&self, lang: &str, what: &str) {
        assert_eq!(self.status, 200, "{what}: {}", self.body);
        assert_eq!(self.error_code(), Some(BUSY), "{what}: {}", self.body);
        let expected = if lang == "en-US" { BUSY_EN } else { BUSY_ZH };
        assert_eq!(self.error_message(), Some(expected), "{what}");
        let text = self.body.to_string().to_lowercase();
        for leak in ["sql", "postgres", "database", "tessera.db", "/tmp", "i/o"] {
            assert!(!text.contains(leak), "{what} leaks {leak:?}: {text}");
        }
    }
}

pub struct Client {
    http: reqwest::Client,
    pub url: String,
    pub creds: Creds,
}

impl Client {
    /// `patience` bounds every call: a request that would hang fails the test instead.
    pub fn new(url: &str, creds: Creds, patience: Duration) -> Client {
        Client {
            http: reqwest::Client::builder()
                .timeout(patience)
                .build()
                .unwrap(),
            url: url.to_owned(),
            creds,
        }
    }

    pub fn register_body(&self, email: &str) -> Value {
        let password = TransportKey::encrypt_like_sdk(&self.creds.public_key, PASSWORD).unwrap();
        json!({
            "query": "mutation registerByEmail($input: RegisterByEmailInput!) { registerByEmail(input: $input) { id email } }",
            "variables": { "input": { "email": email, "password": password } },
        })
    }

    /// `registerByEmail` as the SDK sends it (the password encrypted with the pool's key).
    pub async fn register(&self, email: &str, lang: &str) -> Answer {
        self.try_register(email, lang)
            .await
            .unwrap_or_else(|e| panic!("no answer within the test's patience: {e}"))
    }

    /// A read every page load makes: the application's public configuration.
    pub async fn public_config(&self, lang: &str) -> Answer {
        self.send(
            self.http
                .get(format!(
                    "{}/api/v2/applications/{}/public-config",
                    self.url, self.creds.app_id
                ))
                .header("x-authing-lang", lang),
        )
        .await
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        self.try_send(req)
            .await
            .unwrap_or_else(|e| panic!("no answer within the test's patience: {e}"))
    }

    /// The answer, or why there was none with the whole chain of causes (reqwest's own
    /// message is only "error sending request", which tells a reset from a timeout from a
    /// closed keep-alive connection not at all).
    pub async fn try_send(&self, req: reqwest::RequestBuilder) -> Result<Answer, String> {
        let started = Instant::now();
        let r = req.send().await.map_err(|e| error_chain(&e))?;
        let status = r.status().as_u16();
        let body = r.json().await.map_err(|e| error_chain(&e))?;
        Ok(Answer {
            status,
            body,
            took: started.elapsed(),
        })
    }

    /// `register`, returning a transport failure instead of panicking, so the caller can
    /// add the server's log and state to the failure.
    pub async fn try_register(&self, email: &str, lang: &str) -> Result<Answer, String> {
        let body = self.register_body(email);
        self.try_send(
            self.http
                .post(format!("{}/graphql/v2", self.url))
                .header("x-authing-app-id", &self.creds.app_id)
                .header("x-authing-lang", lang)
                .json(&body),
        )
        .await
    }
}

/// An error and its sources, outermost first.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// The registration's user id if it succeeded.
pub fn registered(a: &Answer) -> Option<&str> {
    a.body["data"]["registerByEmail"]["id"].as_str()
}

/// `PRAGMA integrity_check` and the registered emails among `emails`, read from the file
/// after the server has stopped.
pub async fn sqlite_check(db: &Path, emails: &[String]) -> (String, Vec<String>) {
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro", db.display());
    let pool = sqlx::AnyPool::connect(&url).await.expect("open the file");
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut found = Vec::new();
    for e in emails {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = ?")
            .bind(e)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(n <= 1, "{e} registered twice");
        if n == 1 {
            found.push(e.clone());
        }
    }
    pool.close().await;
    (integrity, found)
}
