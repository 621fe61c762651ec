//! A SQLite database on a disk that fills up under a running server.
//!
//! The disk is a small tmpfs (`mount -t tmpfs -o size=…`, which needs root or
//! CAP_SYS_ADMIN; the test says so if it cannot mount), filled to the last byte by a
//! filler file and freed again by deleting it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::{create_pool, registered, sqlite_check, Client, Server};

struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "the disk-full test mounts a small tmpfs, which needs root or CAP_SYS_ADMIN: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs(at.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).output();
    }
}

/// Writes zeros to `path` until the file system refuses: returns the bytes written.
fn fill(path: &Path) -> usize {
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 4096];
    let mut written = 0;
    loop {
        match f.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n,
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(28), "ENOSPC expected: {e}");
                break;
            }
        }
    }
    // Partial blocks: fill byte by byte to the very end.
    while let Ok(1) = f.write(&[0]) {
        written += 1;
    }
    written
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_registrations_clearly_without_damage_and_recovers() {
    let tmp = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(&tmp.path().join("disk"), "8m");
    let data = disk.0.join("data");
    let store = ["--data-dir", data.to_str().unwrap()];
    let mut server = Server::start(&store, tmp.path()).await;
    let client = Client::new(&server.url, create_pool(&store), Duration::from_secs(20));
    let mut acked = Vec::new();
    let mut refused = Vec::new();
    for i in 0..3 {
        let email = format!("before-{i}@example.com");
        let a = client.register(&email, "zh-CN").await;
        assert!(registered(&a).is_some(), "{}", a.body);
        acked.push(email);
    }

    let filler = disk.0.join("filler");
    let filled = fill(&filler);
    // Registrations go on until one needs a page the disk no longer has; SQLite may still
    // reuse WAL space it had, so a few may pass first.
    let mut first_refusal = None;
    for i in 0..300 {
        let email = format!("full-{i}@example.com");
        let lang = if i % 2 == 0 { "zh-CN" } else { "en-US" };
        let a = client.register(&email, lang).await;
        if registered(&a).is_some() {
            acked.push(email);
            continue;
        }
        a.assert_busy(lang, "a registration on a full disk");
        refused.push(email);
        first_refusal.get_or_insert(i);
        if refused.len() == 4 {
            break;
        }
    }
    let first_refusal = first_refusal.expect("a full disk refuses registrations");
    let r = client.public_config("zh-CN").await;
    assert_eq!(r.error_code(), None, "reads keep working: {}", r.body);
    server.assert_running();
    assert!(server.log().contains("storage error"), "{}", server.log());

    std::fs::remove_file(&filler).unwrap();
    let a = client.register("after@example.com", "en-US").await;
    assert!(
        registered(&a).is_some(),
        "writes work once space is freed: {}",
        a.body
    );
    acked.push("after@example.com".into());
    let status = server.stop_within(Duration::from_secs(10));
    assert!(status.success(), "{status}");

    let mut all = acked.clone();
    all.extend(refused.iter().cloned());
    let (integrity, found) = sqlite_check(&data.join("tessera.db"), &all).await;
    assert_eq!(integrity, "ok");
    assert_eq!(found, acked, "every acknowledged user and no refused one");
    eprintln!(
        "disk full: filler took {filled} bytes; first refusal after {first_refusal} more \
         registrations; {} refused, {} acknowledged",
        refused.len(),
        acked.len()
    );
}
