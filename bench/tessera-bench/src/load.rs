//! The load generator: `concurrency` keep-alive HTTP/1.1 connections over loopback, each
//! sending its next request as soon as the previous answer is read (wrk's closed loop).
//! Bounded by a duration and a request budget, whichever ends first; requests started during
//! the warm-up are sent but not counted. The same generator drives Tessera and the peers, so
//! their figures are comparable even on a shared, noisy machine.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;

use crate::error::{BenchError, Result};
use crate::wire::{self, Conn};

/// One request, as the generator sends it.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

impl Req {
    pub fn get(path: impl Into<String>) -> Req {
        Req {
            method: "GET",
            path: path.into(),
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    pub fn post(path: impl Into<String>, content_type: &'static str, body: Bytes) -> Req {
        Req {
            method: "POST",
            path: path.into(),
            headers: vec![("content-type", content_type.to_owned())],
            body,
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Req {
        self.headers.push((name, value.to_owned()));
        self
    }

    /// The bytes on the wire, for a server at `addr`.
    fn encode(&self, addr: SocketAddr) -> Vec<u8> {
        let headers: Vec<(&str, &[u8])> = self
            .headers
            .iter()
            .map(|(k, v)| (*k, v.as_bytes()))
            .collect();
        wire::encode(
            self.method,
            &self.path,
            &addr.to_string(),
            &headers,
            &self.body,
        )
    }

    fn error(&self, detail: impl ToString) -> BenchError {
        BenchError::Http {
            method: self.method.to_owned(),
            path: self.path.clone(),
            detail: detail.to_string(),
        }
    }
}

/// Builds worker `w`'s `n`-th request.
pub type MakeReq = Arc<dyn Fn(usize, u64) -> Req + Send + Sync>;
/// Whether an answer (status, body) is a success.
pub type Check = Arc<dyn Fn(u16, &[u8]) -> bool + Send + Sync>;

/// A 2xx status is success.
pub fn ok_status() -> Check {
    Arc::new(|s, _| (200..300).contains(&s))
}

/// HTTP 200 and no GraphQL `errors` (the v2 endpoint answers errors with 200).
pub fn ok_graphql() -> Check {
    Arc::new(|s, b| s == 200 && !contains(b, b"\"errors\""))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[derive(Clone, Debug)]
pub struct LoadSpec {
    pub addr: SocketAddr,
    pub concurrency: usize,
    /// Generator threads, each a single-threaded runtime with its share of the connections
    /// (wrk's `-t`): no request crosses a thread.
    pub threads: usize,
    pub warmup: Duration,
    pub duration: Duration,
    pub max_requests: u64,
}

/// What one load run measured.
#[derive(Clone, Debug, Serialize)]
pub struct LoadResult {
    pub per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Counted (after warm-up) successful requests.
    pub requests: u64,
    pub errors: u64,
    pub concurrency: usize,
    pub seconds: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
}

struct WorkerOut {
    latencies_us: Vec<u32>,
    ok: u64,
    errors: u64,
    first_error: Option<String>,
    last_done: Option<Instant>,
}

/// One request on a fresh connection, for set-up steps.
pub async fn once(addr: SocketAddr, r: &Req) -> Result<(u16, Bytes)> {
    let mut c = Conn::connect(addr)
        .await
        .map_err(|e| Req::get(addr.to_string()).error(e))?;
    c.round_trip(&r.encode(addr)).await.map_err(|e| r.error(e))
}

/// One request whose answer must be 2xx JSON.
pub async fn once_json(addr: SocketAddr, r: &Req) -> Result<serde_json::Value> {
    let (status, body) = once(addr, r).await?;
    if !(200..300).contains(&status) {
        return Err(r.error(format!(
            "status {status}: {}",
            String::from_utf8_lossy(&body)
        )));
    }
    Ok(serde_json::from_slice(&body)?)
}

async fn worker(
    w: usize,
    spec: LoadSpec,
    make: MakeReq,
    check: Check,
    budget: Arc<AtomicU64>,
    count_from: Instant,
    end: Instant,
) -> WorkerOut {
    let mut out = WorkerOut {
        latencies_us: Vec::with_capacity(4096),
        ok: 0,
        errors: 0,
        first_error: None,
        last_done: None,
    };
    let mut conn: Option<Conn> = None;
    let mut n = 0u64;
    while Instant::now() < end {
        if budget.fetch_add(1, Ordering::Relaxed) >= spec.max_requests {
            break;
        }
        if conn.is_none() {
            match Conn::connect(spec.addr).await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    out.errors += 1;
                    out.first_error.get_or_insert_with(|| e.to_string());
                    // Do not spin on a refused connection.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let req = make(w, n).encode(spec.addr);
        n += 1;
        let started = Instant::now();
        let result = c.round_trip(&req).await;
        let done = Instant::now();
        if !c.reusable() {
            conn = None;
        }
        let counted = started >= count_from;
        match result {
            Ok((status, body)) if check(status, &body) => {
                if counted {
                    out.ok += 1;
                    let us = done.duration_since(started).as_micros();
                    out.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
                    out.last_done = Some(done);
                }
            }
            Ok((status, body)) => {
                if counted {
                    out.errors += 1;
                }
                out.first_error.get_or_insert_with(|| {
                    let text = String::from_utf8_lossy(&body);
                    format!(
                        "status {status}: {}",
                        text.chars().take(300).collect::<String>()
                    )
                });
            }
            Err(e) => {
                if counted {
                    out.errors += 1;
                }
                out.first_error.get_or_insert_with(|| e.to_string());
                // The server may have closed the connection: open a new one.
                conn = None;
            }
        }
    }
    out
}

/// Runs one bounded load and measures throughput and latency.
pub async fn run(spec: &LoadSpec, make: MakeReq, check: Check) -> LoadResult {
    let start = Instant::now();
    let count_from = start + spec.warmup;
    let end = count_from + spec.duration;
    let budget = Arc::new(AtomicU64::new(0));
    let threads = spec.threads.clamp(1, spec.concurrency.max(1));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (spec, make, check, budget) =
                (spec.clone(), make.clone(), check.clone(), budget.clone());
            std::thread::spawn(move || -> Vec<WorkerOut> {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        return vec![WorkerOut {
                            latencies_us: Vec::new(),
                            ok: 0,
                            errors: 1,
                            first_error: Some(format!("generator runtime: {e}")),
                            last_done: None,
                        }]
                    }
                };
                rt.block_on(async move {
                    let workers: Vec<_> = (t..spec.concurrency)
                        .step_by(threads)
                        .map(|w| {
                            tokio::spawn(worker(
                                w,
                                spec.clone(),
                                make.clone(),
                                check.clone(),
                                budget.clone(),
                                count_from,
                                end,
                            ))
                        })
                        .collect();
                    let mut outs = Vec::with_capacity(workers.len());
                    for h in workers {
                        outs.push(h.await.unwrap_or_else(|e| WorkerOut {
                            latencies_us: Vec::new(),
                            ok: 0,
                            errors: 1,
                            first_error: Some(format!("worker failed: {e}")),
                            last_done: None,
                        }));
                    }
                    outs
                })
            })
        })
        .collect();
    let outs = tokio::task::spawn_blocking(move || {
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![WorkerOut {
                        latencies_us: Vec::new(),
                        ok: 0,
                        errors: 1,
                        first_error: Some("generator thread panicked".into()),
                        last_done: None,
                    }]
                })
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    let mut lat = Vec::new();
    let (mut ok, mut errors, mut first_error, mut last) = (0, 0, None, count_from);
    for o in outs {
        ok += o.ok;
        errors += o.errors;
        lat.extend(o.latencies_us);
        if first_error.is_none() {
            first_error = o.first_error;
        }
        if let Some(t) = o.last_done {
            last = last.max(t);
        }
    }
    let seconds = last.duration_since(count_from).as_secs_f64();
    lat.sort_unstable();
    LoadResult {
        per_s: if seconds > 0.0 {
            ok as f64 / seconds
        } else {
            0.0
        },
        p50_ms: percentile_ms(&lat, 0.50),
        p99_ms: percentile_ms(&lat, 0.99),
        requests: ok,
        errors,
        concurrency: spec.concurrency,
        seconds,
        first_error,
    }
}

/// The `q` quantile of sorted microsecond latencies, in milliseconds.
pub fn percentile_ms(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let idx = ((sorted_us.len() as f64 - 1.0) * q).round() as usize;
    f64::from(sorted_us[idx.min(sorted_us.len() - 1)]) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_series() {
        let v: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile_ms(&v, 0.5), 51.0);
        assert_eq!(percentile_ms(&v, 0.99), 99.0);
        assert_eq!(percentile_ms(&[], 0.5), 0.0);
    }

    #[test]
    fn graphql_errors_are_failures() {
        let c = ok_graphql();
        assert!(c(200, br#"{"data":{"x":1}}"#));
        assert!(!c(200, br#"{"errors":[],"data":{}}"#));
        assert!(!c(500, b"{}"));
    }
}
