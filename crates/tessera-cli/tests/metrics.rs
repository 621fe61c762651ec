//! `/metrics` over real HTTP: not on the public listener unless configured, served on the
//! metrics listener, parsed as Prometheus text and checked to count exactly what was done.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tessera_core::crypto::transport::TransportKey;
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::Core;
use tessera_server::{AppState, ServerOptions};
use tokio::sync::watch;

const PASSWORD: &str = "Correct-Horse-9";
const ANN: &str = "ann@example.com";
const TOKEN: &str = "metrics-token-0123456789";

// --- a tiny Prometheus text (0.0.4) parser ----------------------------------------------

#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

#[derive(Debug, Default)]
struct Exposition {
    /// Family name → type.
    types: HashMap<String, String>,
    samples: Vec<Sample>,
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn parse_value(s: &str) -> Result<f64, String> {
    match s {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => s.parse().map_err(|_| format!("bad value {s:?}")),
    }
}

/// `{k="v",…}` at the start of `s`: the labels and the rest after `}`.
fn parse_labels(s: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    let mut rest = s.strip_prefix('{').ok_or("no {")?;
    loop {
        if let Some(r) = rest.strip_prefix('}') {
            return Ok((labels, r));
        }
        let eq = rest.find('=').ok_or("label without =")?;
        let key = &rest[..eq];
        if !is_name(key) || key.starts_with("__") {
            return Err(format!("bad label name {key:?}"));
        }
        let mut chars = rest[eq + 1..]
            .strip_prefix('"')
            .ok_or("unquoted")?
            .char_indices();
        let mut value = String::new();
        let end = loop {
            match chars.next().ok_or("unterminated label value")? {
                (i, '"') => break i,
                (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    'n' => value.push('\n'),
                    c => return Err(format!("bad escape \\{c}")),
                },
                (_, '\n') => return Err("newline in label value".into()),
                (_, c) => value.push(c),
            }
        };
        if labels.insert(key.to_owned(), value).is_some() {
            return Err(format!("label {key} twice"));
        }
        rest = &rest[eq + 1 + 1 + end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// The family a sample belongs to: its own name, or a histogram's without the suffix.
fn family_of<'a>(name: &'a str, types: &HashMap<String, String>) -> Option<&'a str> {
    if types.contains_key(name) {
        return Some(name);
    }
    ["_bucket", "_sum", "_count"]
        .iter()
        .filter_map(|suffix| name.strip_suffix(suffix))
        .find(|f| types.get(*f).map(String::as_str) == Some("histogram"))
}

fn parse(text: &str) -> Result<Exposition, String> {
    let mut e = Exposition::default();
    let mut seen_samples_of: Vec<String> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = |m: String| format!("line {}: {m}: {line:?}", n + 1);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut words = comment.trim_start().splitn(3, ' ');
            match words.next() {
                Some("TYPE") => {
                    let name = words.next().ok_or_else(|| at("TYPE without name".into()))?;
                    let kind = words.next().ok_or_else(|| at("TYPE without type".into()))?;
                    if !is_name(name) {
                        return Err(at("bad metric name".into()));
                    }
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                        return Err(at(format!("unknown type {kind}")));
                    }
                    if seen_samples_of.iter().any(|f| f == name) {
                        return Err(at("TYPE after the family's samples".into()));
                    }
                    if e.types.insert(name.into(), kind.into()).is_some() {
                        return Err(at("second TYPE".into()));
                    }
                }
                Some("HELP") => {
                    let name = words.next().ok_or_else(|| at("HELP without name".into()))?;
                    if !is_name(name) {
                        return Err(at("bad metric name".into()));
                    }
                }
                _ => {}
            }
            continue;
        }
        let name_end = line.find(['{', ' ']).ok_or_else(|| at("no value".into()))?;
        let name = &line[..name_end];
        if !is_name(name) {
            return Err(at("bad metric name".into()));
        }
        let (labels, rest) = if line[name_end..].starts_with('{') {
            parse_labels(&line[name_end..]).map_err(at)?
        } else {
            (BTreeMap::new(), &line[name_end..])
        };
        let mut fields = rest
            .strip_prefix(' ')
            .ok_or_else(|| at("no space before value".into()))?
            .split(' ');
        let value = parse_value(fields.next().unwrap_or("")).map_err(at)?;
        if let Some(ts) = fields.next() {
            ts.parse::<i64>().map_err(|_| at("bad timestamp".into()))?;
        }
        if fields.next().is_some() {
            return Err(at("trailing text".into()));
        }
        let family = family_of(name, &e.types).ok_or_else(|| at("sample without TYPE".into()))?;
        seen_samples_of.push(family.to_owned());
        e.samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    e.check_histograms()?;
    Ok(e)
}

impl Exposition {
    /// Every histogram series: `le` ascending and ending in `+Inf`, counts cumulative, the
    /// `+Inf` bucket equal to `_count`, and a `_sum`.
    fn check_histograms(&self) -> Result<(), String> {
        for (family, kind) in &self.types {
            if kind != "histogram" {
                continue;
            }
            let bucket = format!("{family}_bucket");
            let mut series: BTreeMap<BTreeMap<String, String>, Vec<(f64, f64)>> = BTreeMap::new();
            for s in self.samples.iter().filter(|s| s.name == bucket) {
                let mut key = s.labels.clone();
                let le = key.remove("le").ok_or("bucket without le")?;
                series
                    .entry(key)
                    .or_default()
                    .push((parse_value(&le)?, s.value));
            }
            for (key, buckets) in series {
                let ordered = buckets
                    .windows(2)
                    .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1);
                let last = buckets.last().ok_or("no buckets")?;
                if !ordered || last.0 != f64::INFINITY {
                    return Err(format!("{family} {key:?}: buckets {buckets:?}"));
                }
                let count = self.value(&format!("{family}_count"), &key);
                if count != Some(last.1) || self.value(&format!("{family}_sum"), &key).is_none() {
                    return Err(format!("{family} {key:?}: count {count:?} vs {last:?}"));
                }
            }
        }
        Ok(())
    }

    /// The value of the series `name` with exactly `labels`.
    fn value(&self, name: &str, labels: &BTreeMap<String, String>) -> Option<f64> {
        self.samples
            .iter()
            .find(|s| s.name == name && &s.labels == labels)
            .map(|s| s.value)
    }

    /// The value of `name{labels}`, 0 when there is no such series (a counter not yet
    /// incremented).
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let labels = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.value(name, &labels).unwrap_or(0.0)
    }

    fn label_values(&self, label: &str) -> Vec<&str> {
        self.samples
            .iter()
            .filter_map(|s| s.labels.get(label).map(String::as_str))
            .collect()
    }
}

#[test]
fn the_parser_refuses_what_is_not_prometheus_text() {
    let ok = "# HELP a_total x\n# TYPE a_total counter\na_total{r=\"\\\"q\\\\\"} 1\n";
    let e = parse(ok).unwrap();
    assert_eq!(e.get("a_total", &[("r", "\"q\\")]), 1.0);
    for bad in [
        "a_total 1\n",                        // no TYPE
        "# TYPE a counter\na{r=\"x} 1\n",     // unterminated
        "# TYPE a counter\na{r=\"x\"}1\n",    // no space
        "# TYPE a counter\na 1x\n",           // bad value
        "# TYPE a counter\n# TYPE a gauge\n", // two types
        "# TYPE a wobble\n",                  // unknown type
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 0\n",
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 1\nh_sum 0\n",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}

// --- an in-process server ---------------------------------------------------------------

struct Server {
    url: String,
    metrics_url: String,
    core: Arc<Core>,
    pool_id: String,
    app_id: String,
    stop: watch::Sender<bool>,
}

/// A served core with one pool and Ann, its public listener and its metrics listener.
async fn start(dir: &Path, metrics_token: Option<&str>) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let metrics_url = format!("http://{}/metrics", metrics_listener.local_addr().unwrap());
    let core = common::open_core(dir, &url).await;
    let creds = core.create_pool("metrics").await.unwrap();
    let pool = core.pool(&creds.user_pool_id).await.unwrap();
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
    options.metrics_token = metrics_token.map(str::to_owned);
    let state = AppState::new(Arc::clone(&core), options);
    let (stop, stopped) = watch::channel(false);
    let until = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    tokio::spawn(tessera_server::serve(
        listener,
        state.clone(),
        until(stopped.clone()),
    ));
    tokio::spawn(tessera_server::serve_metrics(
        metrics_listener,
        state,
        until(stopped),
    ));
    Server {
        url,
        metrics_url,
        core,
        pool_id: creds.user_pool_id,
        app_id: creds.app_id,
        stop,
    }
}

impl Server {
    async fn get(&self, path: &str) -> reqwest::StatusCode {
        reqwest::get(format!("{}{path}", self.url))
            .await
            .unwrap()
            .status()
    }

    /// Ann's login with `password`: Ok, or the error code.
    async fn login(&self, password: &str) -> Result<(), i64> {
        let key = self.core.password_public_key_pem().await.unwrap();
        let encrypted = TransportKey::encrypt_like_sdk(key, password).unwrap();
        let body: Value = reqwest::Client::new()
            .post(format!("{}/graphql/v2", self.url))
            .header("x-authing-app-id", &self.app_id)
            .json(&json!({
                "query": "mutation loginByEmail($input: LoginByEmailInput!) { loginByEmail(input: $input) { id } }",
                "variables": { "input": { "email": ANN, "password": encrypted } },
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        match body["errors"][0]["message"]["code"].as_i64() {
            None => Ok(()),
            Some(code) => Err(code),
        }
    }

    async fn scrape(&self) -> Exposition {
        let r = reqwest::get(&self.metrics_url).await.unwrap();
        assert_eq!(r.status(), 200);
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8");
        let text = r.text().await.unwrap();
        parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

const REQUESTS: &str = "tessera_http_requests_total";
const DURATION: &str = "tessera_http_request_duration_seconds";
const LOGINS: &str = "tessera_logins_total";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_exactly_the_requests_and_logins_made() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), None).await;

    // Not on the public listener without configuration; the metrics listener has nothing else.
    assert_eq!(s.get("/metrics").await, 404);
    let health_on_metrics = s.metrics_url.replace("/metrics", "/health");
    assert_eq!(reqwest::get(health_on_metrics).await.unwrap().status(), 404);

    let before = s.scrape().await;
    assert_eq!(before.get(LOGINS, &[("outcome", "success")]), 0.0);

    assert_eq!(s.get("/health").await, 200);
    assert_eq!(s.get("/health").await, 200);
    let config = format!("/api/v2/applications/{}/public-config", s.app_id);
    assert_eq!(s.get(&config).await, 200);
    assert_eq!(s.get("/no/such/page").await, 404);
    assert_eq!(s.login("wrong-Password-1").await, Err(2006));
    assert_eq!(s.login(PASSWORD).await, Ok(()));

    let m = s.scrape().await;
    let health = [("route", "/health"), ("status", "200")];
    assert_eq!(m.get(REQUESTS, &health), 2.0);
    // The route label is the template, never the raw path (which names the app).
    let template = "/api/v2/applications/{app_id}/public-config";
    assert_eq!(
        m.get(REQUESTS, &[("route", template), ("status", "200")]),
        1.0
    );
    assert!(
        m.label_values("route")
            .iter()
            .all(|r| !r.contains(&s.app_id)),
        "{:?}",
        m.label_values("route")
    );
    assert_eq!(
        m.get(REQUESTS, &[("route", "unmatched"), ("status", "404")]),
        2.0,
        "the two 404s of /metrics and /no/such/page"
    );
    assert!(!m.label_values("route").contains(&"/no/such/page"));
    let login_route = [
        ("route", "/graphql/v2"),
        ("operation", "loginByEmail"),
        ("status", "200"),
    ];
    assert_eq!(m.get(REQUESTS, &login_route), 2.0);
    // Every request of this test, and nothing else (the scrapes are on their own listener).
    let total: f64 = m
        .samples
        .iter()
        .filter(|x| x.name == REQUESTS)
        .map(|x| x.value)
        .sum();
    assert_eq!(total, 7.0);

    // One latency histogram per route, holding exactly its requests.
    let count = format!("{DURATION}_count");
    assert_eq!(m.get(&count, &[("route", "/health")]), 2.0);
    assert_eq!(m.get(&count, &[("route", template)]), 1.0);
    let login_series = [("route", "/graphql/v2"), ("operation", "loginByEmail")];
    assert_eq!(m.get(&count, &login_series), 2.0);
    let bucket = format!("{DURATION}_bucket");
    let inf = [("route", "/health"), ("le", "+Inf")];
    assert_eq!(m.get(&bucket, &inf), 2.0);
    assert!(m.get(&format!("{DURATION}_sum"), &login_series) > 0.0);

    // Logins by outcome: exactly one failure and one success.
    assert_eq!(m.get(LOGINS, &[("outcome", "wrong_password")]), 1.0);
    assert_eq!(m.get(LOGINS, &[("outcome", "success")]), 1.0);
    let logins: f64 = m
        .samples
        .iter()
        .filter(|x| x.name == LOGINS)
        .map(|x| x.value)
        .sum();
    assert_eq!(logins, 2.0);

    // Nothing hashing now; the slots are the cores.
    assert_eq!(m.get("tessera_password_hashes_running", &[]), 0.0);
    assert_eq!(m.get("tessera_password_hashes_waiting", &[]), 0.0);
    let cores = std::thread::available_parallelism().unwrap().get() as f64;
    assert_eq!(m.get("tessera_password_hash_slots", &[]), cores);

    // Both of the SQLite store's pools, within their caps.
    for pool in ["main", "sqlite-reads"] {
        let max = m.get("tessera_db_connections_max", &[("pool", pool)]);
        let idle = m.get(
            "tessera_db_connections",
            &[("pool", pool), ("state", "idle")],
        );
        assert!(
            max >= 1.0 && idle >= 1.0 && idle <= max,
            "{pool}: {idle}/{max}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashes_waiting_for_a_slot_are_shown() {
    let dir = tempfile::tempdir().unwrap();
    let s = Arc::new(start(dir.path(), None).await);
    // Without the login guard, which would stop concurrent attempts before their hash.
    let mut settings = s.core.pool(&s.pool_id).await.unwrap().settings.clone();
    settings.login_fail_check.enabled = false;
    s.core
        .update_pool_settings(&s.pool_id, settings)
        .await
        .unwrap();
    let slots = s.core.hash_queue().slots as usize;
    // Many more logins than slots at once: while the first hashes run, the rest wait.
    let logins: Vec<_> = (0..slots * 8)
        .map(|_| {
            let s = Arc::clone(&s);
            tokio::spawn(async move { s.login("wrong-Password-1").await })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = None;
    while Instant::now() < deadline && logins.iter().any(|l| !l.is_finished()) {
        let m = s.scrape().await;
        let running = m.get("tessera_password_hashes_running", &[]);
        let waiting = m.get("tessera_password_hashes_waiting", &[]);
        assert!(
            running <= slots as f64,
            "{running} running on {slots} slots"
        );
        if waiting >= 1.0 {
            seen = Some((running, waiting));
            break;
        }
    }
    for l in logins {
        let _ = l.await.unwrap();
    }
    let (running, waiting) = seen.expect("hashes were seen waiting");
    assert!(running >= 1.0, "{running} running while {waiting} wait");
    let m = s.scrape().await;
    assert_eq!(m.get("tessera_password_hashes_running", &[]), 0.0);
    assert_eq!(m.get("tessera_password_hashes_waiting", &[]), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_opens_metrics_on_the_public_listener() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), Some(TOKEN)).await;
    let client = reqwest::Client::new();
    let url = format!("{}/metrics", s.url);
    let status = |auth: Option<String>| {
        let mut r = client.get(&url);
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        async move { r.send().await.unwrap() }
    };
    assert_eq!(status(None).await.status(), 401);
    let wrong = format!("Bearer {}x", &TOKEN[..TOKEN.len() - 1]);
    assert_eq!(status(Some(wrong)).await.status(), 401);
    assert_eq!(status(Some(TOKEN.into())).await.status(), 401, "no Bearer");
    let ok = status(Some(format!("Bearer {TOKEN}"))).await;
    assert_eq!(ok.status(), 200);
    let m = parse(&ok.text().await.unwrap()).unwrap();
    // The three refusals were counted before this scrape answered.
    assert_eq!(
        m.get(REQUESTS, &[("route", "/metrics"), ("status", "401")]),
        3.0
    );
}

// --- the binary -------------------------------------------------------------------------

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tessera_serve_serves_metrics_on_the_metrics_listener() {
    let dir = tempfile::tempdir().unwrap();
    let (port, metrics_port) = (free_port(), free_port());
    let _child = Process(
        Command::new(env!("CARGO_BIN_EXE_tessera"))
            .args(["--data-dir", &dir.path().join("data").display().to_string()])
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env(
                "TESSERA_METRICS_LISTEN",
                format!("127.0.0.1:{metrics_port}"),
            )
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn tessera serve"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let ready = format!("http://127.0.0.1:{port}/ready");
    while !matches!(reqwest::get(&ready).await, Ok(r) if r.status() == 200) {
        assert!(Instant::now() < deadline, "not ready in 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let public = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(public.status(), 404);
    let r = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let m = parse(&r.text().await.unwrap()).unwrap();
    assert!(m.get(REQUESTS, &[("route", "/ready"), ("status", "200")]) >= 1.0);
    assert_eq!(
        m.get(REQUESTS, &[("route", "unmatched"), ("status", "404")]),
        1.0
    );
}
