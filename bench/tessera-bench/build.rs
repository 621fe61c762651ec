//! Links the reference C implementation of argon2 (Debian's libargon2-dev) when it is
//! installed, so the benchmark can compare it with the RustCrypto implementation Tessera
//! uses. Without it the comparison is reported as missing rather than failing the build.

fn main() {
    println!("cargo:rustc-check-cfg=cfg(has_libargon2)");
    println!("cargo:rerun-if-changed=build.rs");
    let found = std::process::Command::new("pkg-config")
        .args(["--exists", "libargon2"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
        || [
            "/usr/lib/x86_64-linux-gnu/libargon2.so",
            "/usr/lib/aarch64-linux-gnu/libargon2.so",
            "/usr/lib/libargon2.so",
        ]
        .iter()
        .any(|p| std::path::Path::new(p).exists());
    if found {
        println!("cargo:rustc-cfg=has_libargon2");
        println!("cargo:rustc-link-lib=argon2");
    }
}
