//! Server processes the benchmark starts and measures: start-to-ready time, resident memory
//! (from `/proc`), and a clean stop.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{BenchError, Result};
use crate::load::{self, Req};

/// A free loopback port (the kernel picks it; the tiny race with other processes is fine for
/// a benchmark that runs alone).
pub fn free_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| BenchError::io("127.0.0.1:0", e))
}

pub struct Server {
    pub child: Child,
    /// Spawn to the first 2xx of the readiness path.
    pub start_ready_ms: f64,
    log: std::path::PathBuf,
}

impl Server {
    /// Spawns `cmd` (stdout and stderr to `log`) and polls `ready_path` every 2 ms until it
    /// answers 2xx.
    pub async fn start(
        name: &str,
        mut cmd: Command,
        addr: SocketAddr,
        ready_path: &str,
        log: &Path,
        timeout: Duration,
    ) -> Result<Server> {
        let out = std::fs::File::create(log).map_err(|e| BenchError::io(log.display(), e))?;
        let err = out
            .try_clone()
            .map_err(|e| BenchError::io(log.display(), e))?;
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err));
        let started = Instant::now();
        let child = cmd.spawn().map_err(|source| BenchError::Spawn {
            what: name.to_owned(),
            source,
        })?;
        let mut s = Server {
            child,
            start_ready_ms: 0.0,
            log: log.to_owned(),
        };
        let probe = Req::get(ready_path);
        loop {
            if let Ok((status, _)) = load::once(addr, &probe).await {
                if (200..300).contains(&status) {
                    s.start_ready_ms = started.elapsed().as_secs_f64() * 1000.0;
                    return Ok(s);
                }
            }
            if let Ok(Some(status)) = s.child.try_wait() {
                return Err(BenchError::Exited {
                    what: name.to_owned(),
                    detail: format!("{status}; log: {}", s.log_tail()),
                });
            }
            if started.elapsed() > timeout {
                return Err(BenchError::NotReady {
                    what: name.to_owned(),
                    secs: timeout.as_secs(),
                    detail: format!("; log: {}", s.log_tail()),
                });
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn rss_kb(&self) -> Option<u64> {
        rss_kb(self.pid())
    }

    /// The resident memory once start-up work has settled: after `at_least`, the first
    /// reading that stayed within 1% for a whole second, or the last reading at `at_most`.
    /// A fixed wait read some servers mid-way: Tessera generates its first keys after it is
    /// ready and returns their memory when done, which took 0.2 s on one host and over a
    /// second on another (23.7 MB read at one second, 5.9 MB half a second later).
    pub async fn settled_rss_kb(&self, at_least: Duration, at_most: Duration) -> Option<u64> {
        const STEP: Duration = Duration::from_millis(100);
        tokio::time::sleep(at_least).await;
        let deadline = std::time::Instant::now() + at_most.saturating_sub(at_least);
        let mut window_start = self.rss_kb()?;
        let mut stable = Duration::ZERO;
        loop {
            tokio::time::sleep(STEP).await;
            let now = self.rss_kb()?;
            if now.abs_diff(window_start) * 100 <= window_start {
                stable += STEP;
                if stable >= Duration::from_secs(1) {
                    return Some(now);
                }
            } else {
                window_start = now;
                stable = Duration::ZERO;
            }
            if std::time::Instant::now() >= deadline {
                return Some(now);
            }
        }
    }

    /// The last lines the process wrote, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(8)..].join(" | ")
    }

    /// SIGTERM, then SIGKILL if it has not left within five seconds.
    pub fn stop(mut self) {
        terminate(&mut self.child);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn terminate(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Resident set size of a process and its children's threads (VmRSS), in KiB.
pub fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// Samples a process's RSS every 100 ms while a load runs; [`RssSampler::stop`] gives the
/// highest value seen.
pub struct RssSampler {
    max: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    handle: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    pub fn start(pid: u32) -> RssSampler {
        let max = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (m, s) = (max.clone(), stop.clone());
        let handle = tokio::spawn(async move {
            while !s.load(Ordering::Relaxed) {
                if let Some(kb) = rss_kb(pid) {
                    m.fetch_max(kb, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        RssSampler { max, stop, handle }
    }

    pub async fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.handle.await;
        self.max.load(Ordering::Relaxed)
    }
}

/// Runs a command to completion and returns its stdout; a failure names the command.
pub fn output(cmd: &mut Command) -> Result<String> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|e| BenchError::Command {
        command: shown.clone(),
        detail: e.to_string(),
    })?;
    if !out.status.success() {
        return Err(BenchError::Command {
            command: shown,
            detail: format!(
                "{}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
