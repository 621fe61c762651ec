//! PostgreSQL stopped under load and started again, with Tessera left running.
//!
//! The test owns its PostgreSQL (never the shared one on 5432): Debian's binaries in
//! /usr/lib/postgresql/15/bin (or `TESSERA_TEST_PG_BIN`), a cluster in a temp dir on a free
//! port. initdb refuses to run as root, so as root the cluster belongs to `postgres`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{create_pool, free_port, is_root, registered, run, Client, Server, BUSY};

/// Longest a request may take to answer while the database is down: the store's acquire
/// timeout for PostgreSQL (5 s, below the 10 s timeout of the v1/v3 SDKs) plus slack.
const OUTAGE_ANSWER_BOUND: Duration = Duration::from_secs(7);
/// Longest from PostgreSQL accepting connections again to a write succeeding.
const RECOVERY_BOUND: Duration = Duration::from_secs(3);

struct PrivatePostgres {
    _dir: tempfile::TempDir,
    bin: PathBuf,
    data: PathBuf,
    sockets: PathBuf,
    log: PathBuf,
    port: u16,
    root: bool,
}

fn pg_bin() -> PathBuf {
    let bin = PathBuf::from(
        std::env::var("TESSERA_TEST_PG_BIN")
            .unwrap_or_else(|_| "/usr/lib/postgresql/15/bin".into()),
    );
    assert!(
        bin.join("initdb").is_file() && bin.join("pg_ctl").is_file(),
        "the PostgreSQL outage test needs initdb and pg_ctl in {} (install postgresql, or set \
         TESSERA_TEST_PG_BIN to their directory)",
        bin.display()
    );
    bin
}

impl PrivatePostgres {
    fn init() -> PrivatePostgres {
        let bin = pg_bin();
        let dir = tempfile::tempdir().unwrap();
        let root = is_root();
        if root {
            run(Command::new("chown").arg("postgres:").arg(dir.path()));
        }
        let pg = PrivatePostgres {
            bin,
            data: dir.path().join("data"),
            sockets: dir.path().to_owned(),
            log: dir.path().join("postgres.log"),
            port: free_port(),
            root,
            _dir: dir,
        };
        run(pg
            .as_owner("initdb")
            .args(["-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])
            .arg("-D")
            .arg(&pg.data));
        pg
    }

    /// A PostgreSQL binary, run as the cluster's owner.
    fn as_owner(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.sockets.display()
        );
        run(self
            .as_owner("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(&self.log)
            .args(["-w", "-t", "20", "-o", &opts, "start"]));
    }

    /// The crash-like stop: every backend killed at once, no checkpoint.
    fn stop_immediately(&self) {
        run(self.as_owner("pg_ctl").arg("-D").arg(&self.data).args([
            "-m",
            "immediate",
            "-w",
            "stop",
        ]));
    }

    fn data_dir(&self) -> &Path {
        &self.data
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .as_owner("pg_ctl")
            .arg("-D")
            .arg(self.data_dir())
            .args(["-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// One call's outcome, stamped with when it ended.
#[derive(Debug)]
struct Outcome {
    email: String,
    ended: Instant,
    took: Duration,
    ok: bool,
    code: Option<i64>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_outage_answers_busy_and_recovers_without_a_restart() {
    let pg = PrivatePostgres::init();
    pg.start();
    let logs = tempfile::tempdir().unwrap();
    let url = pg.url();
    let store = ["--database-url", url.as_str()];
    let mut server = Server::start(&store, logs.path()).await;
    // Patience beyond the bound: a slow answer is measured and reported, not cut off.
    let client = Arc::new(Client::new(
        &server.url,
        create_pool(&store),
        Duration::from_secs(20),
    ));

    // Load: two clients registering back to back, before, during and after the outage.
    let outcomes = Arc::new(Mutex::new(Vec::<Outcome>::new()));
    let stop_load = Arc::new(AtomicBool::new(false));
    let mut loaders = Vec::new();
    for worker in 0..2 {
        let (client, outcomes, stop_load) = (client.clone(), outcomes.clone(), stop_load.clone());
        loaders.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop_load.load(Ordering::Relaxed) {
                let email = format!("load-{worker}-{i}@example.com");
                let a = client.register(&email, "zh-CN").await;
                if registered(&a).is_none() {
                    // Any failure must be the clear one.
                    a.assert_busy("zh-CN", &email);
                }
                outcomes.lock().unwrap().push(Outcome {
                    email,
                    ended: Instant::now(),
                    took: a.took,
                    ok: registered(&a).is_some(),
                    code: a.error_code(),
                });
                i += 1;
            }
        }));
    }
    let acked_before = || outcomes.lock().unwrap().iter().filter(|o| o.ok).count();
    let deadline = Instant::now() + Duration::from_secs(15);
    while acked_before() < 20 {
        assert!(Instant::now() < deadline, "load did not get going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    pg.stop_immediately();
    let stopped = Instant::now();
    // During the outage, in both languages and at once: a write and a read.
    let (w_zh, w_en, r_zh, r_en, ready) = tokio::join!(
        client.register("outage-zh@example.com", "zh-CN"),
        client.register("outage-en@example.com", "en-US"),
        client.public_config("zh-CN"),
        client.public_config("en-US"),
        reqwest::get(format!("{}/ready", server.url)),
    );
    assert_eq!(
        ready.unwrap().status(),
        503,
        "/ready says the store is gone"
    );
    for (a, lang, what) in [
        (w_zh, "zh-CN", "a registration during the outage"),
        (w_en, "en-US", "a registration during the outage"),
        (r_zh, "zh-CN", "public-config during the outage"),
        (r_en, "en-US", "public-config during the outage"),
    ] {
        a.assert_busy(lang, what);
        assert!(
            a.took < OUTAGE_ANSWER_BOUND,
            "{what} answered in {:?}",
            a.took
        );
    }
    server.assert_running();
    // The outage lasts until the load has met it: at least one answer past the second of
    // margin below (the four calls above may all be answered in less).
    let met = || {
        outcomes
            .lock()
            .unwrap()
            .iter()
            .any(|o| o.ended > stopped + Duration::from_secs(1))
    };
    let wait_until = Instant::now() + Duration::from_secs(20);
    while !met() {
        assert!(
            Instant::now() < wait_until,
            "the load stalled during the outage"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let outage = stopped.elapsed();

    // Calls waiting for a connection may be served while PostgreSQL comes up, before
    // `start` returns: the outage ends when the restart begins.
    let restarting = Instant::now();
    pg.start();
    let restarted = Instant::now();
    let recovered = loop {
        let a = client
            .register(
                &format!("after-{}@example.com", rand::random::<u32>()),
                "en-US",
            )
            .await;
        if registered(&a).is_some() {
            break restarted.elapsed();
        }
        a.assert_busy("en-US", "a registration while recovering");
        assert!(
            restarted.elapsed() < RECOVERY_BOUND,
            "no successful write {RECOVERY_BOUND:?} after PostgreSQL came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Let the load run on the recovered database for a moment, then stop it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop_load.store(true, Ordering::Relaxed);
    for l in loaders {
        l.await.expect("a load worker panicked");
    }
    server.assert_running();

    let outcomes = std::mem::take(&mut *outcomes.lock().unwrap());
    let during: Vec<&Outcome> = outcomes
        .iter()
        // A statement already running when the stop was asked for may still finish while
        // PostgreSQL shuts down (slower when the machine is busy): a second of margin.
        .filter(|o| o.ended > stopped + Duration::from_secs(1) && o.ended < restarting)
        .collect();
    assert!(!during.is_empty(), "the load ran during the outage");
    let unexpected: Vec<_> = during
        .iter()
        .filter(|o| o.ok || o.code != Some(BUSY))
        .collect();
    assert!(
        unexpected.is_empty(),
        "answers during the outage: {unexpected:?}"
    );
    let slowest = outcomes.iter().map(|o| o.took).max().unwrap();
    assert!(
        slowest < OUTAGE_ANSWER_BOUND,
        "slowest answer under load took {slowest:?}"
    );
    assert!(
        outcomes.iter().any(|o| o.ok && o.ended > restarted),
        "the load succeeds again after the restart"
    );

    // Every acknowledged write survived the crash-like stop.
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&url).await.unwrap();
    let acked: Vec<&Outcome> = outcomes.iter().filter(|o| o.ok).collect();
    for o in &acked {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = $1")
            .bind(&o.email)
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(n, 1, "acknowledged registration of {} is lost", o.email);
    }
    db.close().await;

    let log = server.log();
    assert!(
        log.contains("storage error"),
        "the failures are logged: {log}"
    );
    assert!(!log.contains("panicked"), "{log}");
    let status = server.stop_within(Duration::from_secs(10));
    assert!(status.success(), "{status}");
    eprintln!(
        "postgres outage: {} calls, {} acknowledged, {} answered 1000 during {:?} of outage; \
         slowest answer {slowest:?}; first write succeeded {recovered:?} after PostgreSQL was back",
        outcomes.len(),
        acked.len(),
        during.len(),
        outage
    );
}
