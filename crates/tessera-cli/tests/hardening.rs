//! What a hostile or slow client can make the server do, over real HTTP against the real
//! serve function: GraphQL documents refused before they cost anything, bodies over the
//! limit answered in the wire's envelope, slow clients cut off while others are served,
//! and the headers every answer carries (nosniff, CORS by the pool's `allowedOrigins`).

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tessera_core::crypto::transport::TransportKey;
use tessera_core::model::{PoolSettings, RateCheck};
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::Core;
use tessera_server::{AppState, ConnectionLimits, ServerOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const PASSWORD: &str = "Correct-Horse-9";
const ANN: &str = "ann@example.com";
/// The SDK's "invalid parameter" code, which every refusal here answers with.
const INVALID: i64 = 2231;
const CAPTCHA_REQUIRED: i64 = 2000;

struct Server {
    url: String,
    addr: String,
    core: Arc<Core>,
    pool_id: String,
    pool_secret: String,
    app_id: String,
    stop: Option<oneshot::Sender<()>>,
    served: JoinHandle<std::io::Result<()>>,
}

/// A served core with one pool (a captcha after 3 failed logins of an account) and Ann.
async fn start(dir: &Path, limits: ConnectionLimits) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let url = format!("http://{addr}");
    let core = common::open_core(dir, &url).await;
    let creds = core.create_pool("hardening").await.unwrap();
    let settings = PoolSettings {
        login_fail_check: RateCheck {
            enabled: true,
            time_interval: 600,
            limit: 3,
        },
        ..PoolSettings::default()
    };
    let pool = core
        .update_pool_settings(&creds.user_pool_id, settings)
        .await
        .unwrap();
    core.create_user(
        &pool,
        NewUser {
            email: Some(ANN.into()),
            password: Some(PASSWORD.into()),
            ..NewUser::default()
        },
        CreatedBy::Admin,
    )
    .await
    .unwrap();
    let mut options = ServerOptions::new(dir.join("uploads"));
    options.connections = limits;
    let (stop, stopped) = oneshot::channel::<()>();
    let served = tokio::spawn(tessera_server::serve(
        listener,
        AppState::new(Arc::clone(&core), options),
        async move {
            let _ = stopped.await;
        },
    ));
    Server {
        url,
        addr,
        core,
        pool_id: creds.user_pool_id,
        pool_secret: creds.secret,
        app_id: creds.app_id,
        stop: Some(stop),
        served,
    }
}

/// Short timeouts, so slow clients are cut off within the test's patience.
fn quick() -> ConnectionLimits {
    ConnectionLimits {
        header_read_timeout: Duration::from_millis(800),
        body_read_timeout: Duration::from_millis(800),
        max_connections: 256,
    }
}

impl Server {
    async fn graphql(&self, query: &str, variables: Value) -> Value {
        reqwest::Client::new()
            .post(format!("{}/graphql/v2", self.url))
            .header("x-authing-app-id", &self.app_id)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn encrypted(&self, password: &str) -> String {
        let key = self.core.password_public_key_pem().await.unwrap();
        TransportKey::encrypt_like_sdk(key, password).unwrap()
    }

    /// Ann's login with `password`: the user's id, or the error code.
    async fn login(&self, password: &str) -> Result<String, i64> {
        let input = json!({ "email": ANN, "password": self.encrypted(password).await });
        let body = self
            .graphql(
                "mutation loginByEmail($input: LoginByEmailInput!) { loginByEmail(input: $input) { id } }",
                json!({ "input": input }),
            )
            .await;
        match body["errors"][0]["message"]["code"].as_i64() {
            Some(code) => Err(code),
            None => Ok(body["data"]["loginByEmail"]["id"]
                .as_str()
                .unwrap()
                .to_owned()),
        }
    }
}

fn graphql_code(body: &Value) -> Option<i64> {
    body["errors"][0]["message"]["code"].as_i64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_buys_at_most_one_password_check() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), ConnectionLimits::default()).await;
    // Fifty guesses of Ann's password in one POST: had they run, the fourth would already
    // have tripped the pool's failure check (a captcha after 3 failures).
    let wrong = s.encrypted("not-her-password").await;
    let fields: Vec<String> = (0..50)
        .map(|i| format!("g{i}: loginByEmail(input: $input) {{ id }}"))
        .collect();
    let query = format!(
        "mutation guesses($input: LoginByEmailInput!) {{ {} }}",
        fields.join(" ")
    );
    let body = s
        .graphql(
            &query,
            json!({ "input": { "email": ANN, "password": wrong } }),
        )
        .await;
    assert_eq!(graphql_code(&body), Some(INVALID), "{body}");
    assert_eq!(body["data"], json!({}), "no field ran");
    assert_eq!(body["errors"].as_array().unwrap().len(), 1);
    // None of them counted as a failure: Ann logs in.
    assert!(s.login(PASSWORD).await.is_ok());
    // The check itself still works, one login at a time.
    for _ in 0..3 {
        assert_ne!(s.login("wrong").await, Err(CAPTCHA_REQUIRED));
    }
    assert_eq!(s.login(PASSWORD).await, Err(CAPTCHA_REQUIRED));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fragment_bomb_is_refused_at_once_in_the_caller_s_language() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), ConnectionLimits::default()).await;
    // 2^20 fields; deeper chains were already refused by the inliner's depth limit (32).
    let n = 20;
    let mut query = String::from("query { user { ...F0 } }\n");
    for i in 0..n {
        query.push_str(&format!(
            "fragment F{i} on User {{ ...F{j} ...F{j} }}\n",
            j = i + 1
        ));
    }
    query.push_str(&format!("fragment F{n} on User {{ id }}\n"));
    let started = Instant::now();
    let body: Value = reqwest::Client::new()
        .post(format!("{}/graphql/v2", s.url))
        .header("x-authing-lang", "en-US")
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(graphql_code(&body), Some(INVALID), "{body}");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(
        body["errors"][0]["message"]["message"],
        "Parameter query is invalid"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_get_the_wire_s_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), ConnectionLimits::default()).await;
    let http = reqwest::Client::new();
    let big =
        json!({ "query": "query { user { id } }", "variables": { "x": "y".repeat(3 << 20) } });

    let res = http
        .post(format!("{}/graphql/v2", s.url))
        .header("x-authing-app-id", &s.app_id)
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(graphql_code(&body), Some(INVALID), "{body}");
    assert_eq!(body["errors"][0]["message"]["message"], "参数 body 不合法");
    assert_eq!(body["data"], json!({}));

    // A REST route: the REST envelope, in English when asked.
    let res = http
        .post(format!("{}/api/v2/register/email-code", s.url))
        .header("x-authing-app-id", &s.app_id)
        .header("x-authing-lang", "en-US")
        .json(&big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "code": INVALID, "message": "Parameter body is invalid", "data": null })
    );
}

/// Opens a connection and sends `head` (and nothing more).
async fn stalled(addr: &str, head: &str) -> TcpStream {
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(head.as_bytes()).await.unwrap();
    c
}

/// Reads until the server closes the connection (or `patience` runs out: `None`).
async fn until_closed(mut c: TcpStream, patience: Duration) -> Option<(Duration, String)> {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + patience).into(), c.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => {
                return Some((
                    started.elapsed(),
                    String::from_utf8_lossy(&got).into_owned(),
                ))
            }
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

const PARTIAL_HEADERS: &str = "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
const PROMISED_BODY: &str = "POST /graphql/v2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1048576\r\n\r\n{\"query\":";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_while_others_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path(), quick()).await;
    let mut slow_headers = Vec::new();
    let mut slow_bodies = Vec::new();
    for _ in 0..100 {
        slow_headers.push(stalled(&s.addr, PARTIAL_HEADERS).await);
        slow_bodies.push(stalled(&s.addr, PROMISED_BODY).await);
    }
    // Meanwhile a normal request is answered at once.
    let started = Instant::now();
    let res = reqwest::get(format!("{}/health", s.url)).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(started.elapsed() < Duration::from_millis(500));

    // Each stalled connection is closed once its timeout passed (0.8 s), not held.
    let patience = Duration::from_secs(5);
    let headers: Vec<_> = slow_headers
        .into_iter()
        .map(|c| tokio::spawn(until_closed(c, patience)))
        .collect();
    let bodies: Vec<_> = slow_bodies
        .into_iter()
        .map(|c| tokio::spawn(until_closed(c, patience)))
        .collect();
    for h in headers {
        let (after, _) = h.await.unwrap().expect("closed after the header timeout");
        assert!(after < Duration::from_secs(3), "{after:?}");
    }
    for b in bodies {
        let (after, answer) = b.await.unwrap().expect("closed after the body timeout");
        assert!(after < Duration::from_secs(3), "{after:?}");
        // The request was answered, in the wire's envelope, before the close.
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains("\"code\":2231"), "{answer}");
    }

    // An idle keep-alive connection is closed after the header timeout too.
    let idle = stalled(&s.addr, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let (after, answer) = until_closed(idle, patience).await.expect("idle closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(after < Duration::from_secs(3), "{after:?}");

    // Shutting down is not held up by slow clients either.
    let _slow = stalled(&s.addr, PARTIAL_HEADERS).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = s.stop.take().unwrap().send(());
    let stopped = tokio::time::timeout(Duration::from_secs(3), &mut s.served).await;
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "{stopped:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_connection_cap_clients_wait_for_a_free_slot() {
    let dir = tempfile::tempdir().unwrap();
    let limits = ConnectionLimits {
        max_connections: 4,
        ..quick()
    };
    let s = start(dir.path(), limits).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(stalled(&s.addr, PARTIAL_HEADERS).await);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The fifth client is not refused: it is accepted once a slow one is cut off.
    let started = Instant::now();
    let res = reqwest::get(format!("{}/health", s.url)).await.unwrap();
    assert_eq!(res.status(), 200);
    let waited = started.elapsed();
    assert!(
        waited > Duration::from_millis(500) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_says_nosniff() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), ConnectionLimits::default()).await;
    let http = reqwest::Client::new();
    let answers = [
        http.get(format!("{}/health", s.url)),
        http.get(format!("{}/nowhere", s.url)),
        http.get(format!("{}/api/v2/.well-known", s.url)),
        http.post(format!("{}/graphql/v2", s.url)).body("{"),
        http.get(format!("{}/health", s.url))
            .header("origin", "https://a.example"),
        http.request(reqwest::Method::OPTIONS, format!("{}/graphql/v2", s.url))
            .header("origin", "https://a.example")
            .header("access-control-request-method", "POST"),
    ];
    for req in answers {
        let res = req.send().await.unwrap();
        assert_eq!(
            res.headers()
                .get("x-content-type-options")
                .map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{}",
            res.url()
        );
    }
}

/// A browser's call from `origin` to the pool, through the AuthenticationClient's header
/// or the ManagementClient's: the `Access-Control-Allow-Origin` and `-Credentials` it gets.
async fn cors(s: &Server, origin: &str, by_pool: bool) -> (Option<String>, Option<String>) {
    let req = reqwest::Client::new()
        .post(format!("{}/graphql/v2", s.url))
        .header("origin", origin)
        .json(&json!({ "query": "query { checkPasswordStrength(password: \"abc\") { valid } }" }));
    let req = if by_pool {
        req.header("x-authing-userpool-id", &s.pool_id)
    } else {
        req.header("x-authing-app-id", &s.app_id)
    };
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    let h = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    (
        h("access-control-allow-origin"),
        h("access-control-allow-credentials"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_follows_the_pool_s_allowed_origins() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), ConnectionLimits::default()).await;
    let allowed = |o: &str| (Some(o.to_owned()), Some("true".to_owned()));
    let refused = (None, None);

    // Never set: every origin may call, with credentials, as before.
    assert_eq!(
        cors(&s, "https://anyone.example", false).await,
        allowed("https://anyone.example")
    );

    // The administrator sets the list through the management API.
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{}/graphql/v2", s.url))
        .header("x-authing-userpool-id", &s.pool_id)
        .json(&json!({
            "query": "query accessToken($userPoolId: String!, $secret: String!) { accessToken(userPoolId: $userPoolId, secret: $secret) { accessToken } }",
            "variables": { "userPoolId": s.pool_id, "secret": s.pool_secret },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["data"]["accessToken"]["accessToken"]
        .as_str()
        .unwrap();
    let updated: Value = http
        .post(format!("{}/graphql/v2", s.url))
        .header("x-authing-userpool-id", &s.pool_id)
        .bearer_auth(token)
        .json(&json!({
            "query": "mutation updateUserpool($input: UpdateUserpoolInput!) { updateUserpool(input: $input) { allowedOrigins } }",
            "variables": { "input": { "allowedOrigins": "https://app.example.com\nhttps://*.example.org" } },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(updated["errors"].is_null(), "{updated}");

    for by_pool in [false, true] {
        assert_eq!(
            cors(&s, "https://app.example.com", by_pool).await,
            allowed("https://app.example.com")
        );
        assert_eq!(
            cors(&s, "https://shop.example.org", by_pool).await,
            allowed("https://shop.example.org")
        );
        assert_eq!(cors(&s, "https://evil.example", by_pool).await, refused);
        assert_eq!(cors(&s, "http://app.example.com", by_pool).await, refused);
    }

    // A preflight names no pool: it lets the browser send, and the answer is judged.
    let res = http
        .request(reqwest::Method::OPTIONS, format!("{}/graphql/v2", s.url))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,x-authing-app-id",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let h = res.headers();
    assert_eq!(h["access-control-allow-origin"], "https://evil.example");
    assert!(h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("x-authing-app-id"));

    // Without an Origin (a backend, not a browser) nothing changes.
    let res = http
        .post(format!("{}/graphql/v2", s.url))
        .header("x-authing-app-id", &s.app_id)
        .json(&json!({ "query": "query { checkPasswordStrength(password: \"abc\") { valid } }" }))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["checkPasswordStrength"]["valid"], true);
}
