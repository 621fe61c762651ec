//! Peers side by side: panva's `oidc-provider` (npm) and Debian's `glewlwyd`, started from
//! `bench/peers/<name>/` and driven by the same load generator, connections and phase
//! lengths as Tessera, on the endpoints an OpenID Provider has: discovery, JWKS,
//! `client_credentials` and userinfo.
//!
//! Each peer directory holds `prepare WORKDIR PORT` (one-time set-up, not timed), `serve
//! WORKDIR PORT` (execs the server, so its pid is the server's: start-to-ready and memory are
//! the server's own) and `credentials WORKDIR PORT` (run once the server answers; prints the
//! JSON described in `bench/README.md`: paths, client id and secret, a user access token).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Map, Value};

use crate::error::{BenchError, Result};
use crate::load::{self, LoadResult, Req};
use crate::proc::{self, Server};
use crate::{checked, load_json, say, Plan};

/// The peers, with the path that answers once each is ready (glewlwyd's OIDC routes only
/// exist once `credentials` has added the plugin, so its readiness is its `/config`).
const PEERS: [(&str, &str); 2] = [
    ("oidc-provider", "/.well-known/openid-configuration"),
    ("glewlwyd", "/config"),
];

fn missing(reason: &str) -> Value {
    json!({ "per_s": null, "reason": reason })
}

async fn endpoint(
    plan: &Plan,
    addr: SocketAddr,
    name: &str,
    req: Req,
    check: load::Check,
) -> Value {
    let r: LoadResult = load::run(
        &plan.spec(addr, plan.concurrency, plan.http),
        Arc::new(move |_, _| req.clone()),
        check,
    )
    .await;
    match checked(name, r) {
        Ok(r) => load_json(&r),
        Err(e) => missing(&e.to_string()),
    }
}

/// Tessera's entry in the side-by-side table: the same four endpoints as the peers'.
pub async fn measure_tessera(
    plan: &Plan,
    addr: SocketAddr,
    server: &Server,
    rss_idle_kb: Option<u64>,
    oidc: &crate::tessera::OidcClient,
) -> Result<Value> {
    let discovery = endpoint(
        plan,
        addr,
        "tessera discovery",
        Req::get("/oidc/.well-known/openid-configuration"),
        load::ok_status(),
    )
    .await;
    let jwks = endpoint(
        plan,
        addr,
        "tessera JWKS",
        Req::get("/oidc/.well-known/jwks.json"),
        load::ok_status(),
    )
    .await;
    let token_req = client_credentials_req(oidc);
    let client_credentials = endpoint(
        plan,
        addr,
        "tessera client_credentials",
        token_req,
        Arc::new(|s, b| s == 200 && String::from_utf8_lossy(b).contains("access_token")),
    )
    .await;
    let userinfo = endpoint(
        plan,
        addr,
        "tessera userinfo",
        Req::get("/oidc/me").header("authorization", &format!("Bearer {}", oidc.access_token)),
        load::ok_status(),
    )
    .await;
    Ok(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "start_ready_ms": server.start_ready_ms,
        "rss_idle_kb": rss_idle_kb,
        "discovery": discovery,
        "jwks": jwks,
        "client_credentials": client_credentials,
        "client_credentials_token_format": "jwt",
        "userinfo": userinfo,
    }))
}

/// The `client_credentials` token request: Basic client authentication, form body.
pub fn client_credentials_req(oidc: &crate::tessera::OidcClient) -> Req {
    let basic = STANDARD.encode(format!("{}:{}", oidc.client_id, oidc.client_secret));
    Req::post(
        "/oidc/token",
        "application/x-www-form-urlencoded",
        Bytes::from("grant_type=client_credentials"),
    )
    .header("authorization", &format!("Basic {basic}"))
}

/// Measures every peer whose scripts are present; one that cannot be set up is reported with
/// the reason instead of stopping the run.
pub async fn measure_peers(plan: &Plan, dir: &Path, work: &Path) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (name, ready) in PEERS {
        say(&format!("peer {name}"));
        let v = match measure_peer(plan, &dir.join(name), &work.join(name), name, ready).await {
            Ok(v) => v,
            Err(e) => {
                say(&format!("  {name} not measured: {e}"));
                json!({ "skipped": e.to_string() })
            }
        };
        out.push((name.to_owned(), v));
    }
    out
}

async fn measure_peer(
    plan: &Plan,
    scripts: &Path,
    work: &Path,
    name: &str,
    ready: &str,
) -> Result<Value> {
    std::fs::create_dir_all(work).map_err(|e| BenchError::io(work.display(), e))?;
    let port = proc::free_port()?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let script = |s: &str| scripts.join(s);
    let w = work.display().to_string();
    let p = port.to_string();
    proc::output(Command::new(script("prepare")).args([&w, &p]))?;
    let mut cmd = Command::new(script("serve"));
    cmd.args([&w, &p]);
    let server = Server::start(
        name,
        cmd,
        addr,
        ready,
        &work.join("server.log"),
        Duration::from_secs(60),
    )
    .await?;
    let rss_idle = server
        .settled_rss_kb(
            Duration::from_millis(200),
            Duration::from_secs(if plan.quick { 3 } else { 10 }),
        )
        .await;
    let creds: Value = serde_json::from_str(
        proc::output(Command::new(script("credentials")).args([&w, &p]))?.trim(),
    )?;
    let path = |k: &str| -> Result<String> {
        creds[k]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| BenchError::answer(format!("{name} credentials"), format!("no {k}")))
    };
    let discovery = endpoint(
        plan,
        addr,
        &format!("{name} discovery"),
        Req::get(path("discovery")?),
        load::ok_status(),
    )
    .await;
    let jwks = endpoint(
        plan,
        addr,
        &format!("{name} JWKS"),
        Req::get(path("jwks")?),
        load::ok_status(),
    )
    .await;
    let basic = STANDARD.encode(format!("{}:{}", path("client_id")?, path("client_secret")?));
    let scope = creds["scope"].as_str().unwrap_or("");
    let form = if scope.is_empty() {
        "grant_type=client_credentials".to_owned()
    } else {
        format!("grant_type=client_credentials&scope={scope}")
    };
    let token_req = Req::post(
        path("token")?,
        "application/x-www-form-urlencoded",
        Bytes::from(form),
    )
    .header("authorization", &format!("Basic {basic}"));
    let client_credentials = endpoint(
        plan,
        addr,
        &format!("{name} client_credentials"),
        token_req,
        Arc::new(|s, b| s == 200 && String::from_utf8_lossy(b).contains("access_token")),
    )
    .await;
    let userinfo = endpoint(
        plan,
        addr,
        &format!("{name} userinfo"),
        Req::get(path("userinfo")?).header(
            "authorization",
            &format!("Bearer {}", path("access_token")?),
        ),
        load::ok_status(),
    )
    .await;
    let start_ready_ms = server.start_ready_ms;
    server.stop();
    Ok(json!({
        "version": creds["version"],
        "start_ready_ms": start_ready_ms,
        "rss_idle_kb": rss_idle,
        "discovery": discovery,
        "jwks": jwks,
        "client_credentials": client_credentials,
        "client_credentials_token_format": creds["token_format"],
        "userinfo": userinfo,
    }))
}

/// Adds `comparison`: Tessera's rate over each peer's on every endpoint both measured.
pub fn compare(peers: &mut Map<String, Value>) {
    let Some(t) = peers.get("tessera").cloned() else {
        return;
    };
    let mut cmp = Map::new();
    for (name, p) in peers.iter() {
        if name == "tessera" {
            continue;
        }
        for ep in ["discovery", "jwks", "client_credentials", "userinfo"] {
            let ours = t[ep]["per_s"].as_f64();
            let theirs = p[ep]["per_s"].as_f64();
            if let (Some(o), Some(th)) = (ours, theirs) {
                if th > 0.0 {
                    cmp.insert(
                        format!("{ep}_vs_{name}"),
                        json!({ "tessera_per_s": o, "peer_per_s": th,
                                "ratio": (o / th * 1000.0).round() / 1000.0,
                                "tessera_ahead": o > th }),
                    );
                }
            }
        }
        if let (Some(o), Some(th)) = (t["rss_idle_kb"].as_f64(), p["rss_idle_kb"].as_f64()) {
            cmp.insert(
                format!("rss_idle_vs_{name}"),
                json!({ "tessera_kb": o, "peer_kb": th,
                        "ratio": (th / o * 1000.0).round() / 1000.0,
                        "tessera_ahead": o < th }),
            );
        }
    }
    peers.insert("comparison".into(), Value::Object(cmp));
}
