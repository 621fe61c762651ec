//! Lays out the functions `tessera serve` runs from process start to idle next to each other
//! in the release binary, in the order `link-order.txt` lists them (written by
//! `scripts/link-order`).
//!
//! Why: the kernel maps a program's code into the process 64 KiB or more around each page
//! first executed, and the linker otherwise scatters the two thousand start-up functions over
//! the whole 10 MiB of text, so start-up alone left 7 MiB of it resident (most of the idle
//! server's memory); laid out together, under 2.5 MiB. A name the list holds but the binary no
//! longer has (code changed since the list was made) is skipped, and a function the list lacks
//! stays where the linker puts it: a stale list costs memory, never correctness.
//!
//! Only LLD reads a symbol ordering file, so the option is given only where rustc links with
//! its bundled LLD: x86_64 Linux from Rust 1.90 on, unless a linker is configured.

use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=link-order.txt");
    println!("cargo:rerun-if-changed=build.rs");
    if env::var("PROFILE").as_deref() != Ok("release") || !links_with_bundled_lld() {
        return;
    }
    let Ok(dir) = env::var("CARGO_MANIFEST_DIR") else {
        return;
    };
    let list = std::path::Path::new(&dir).join("link-order.txt");
    if !list.is_file() {
        return;
    }
    println!(
        "cargo:rustc-link-arg-bin=tessera=-Wl,--symbol-ordering-file={}",
        list.display()
    );
    // Names of functions that changed since the list was made are expected; not worth a
    // warning per name.
    println!("cargo:rustc-link-arg-bin=tessera=-Wl,--no-warn-symbol-ordering");
}

/// Whether rustc links this build with its bundled LLD: its default for x86_64 Linux since
/// Rust 1.90, unless a linker or linker flavour is configured.
fn links_with_bundled_lld() -> bool {
    if env::var("TARGET").as_deref() != Ok("x86_64-unknown-linux-gnu") {
        return false;
    }
    // Cargo sets RUSTC_LINKER for build scripts when a target linker is configured.
    if env::var_os("RUSTC_LINKER").is_some() {
        return false;
    }
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if ["linker", "link-self-contained", "fuse-ld"]
        .iter()
        .any(|f| flags.contains(f))
    {
        return false;
    }
    rustc_minor_version().is_some_and(|minor| minor >= 90)
}

/// `90` for rustc 1.90.x.
fn rustc_minor_version() -> Option<u32> {
    let rustc = env::var_os("RUSTC")?;
    let out = Command::new(rustc).arg("--version").output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let version = text.split_whitespace().nth(1)?;
    let mut parts = version.split('.');
    if parts.next()? != "1" {
        return None;
    }
    parts.next()?.parse().ok()
}
