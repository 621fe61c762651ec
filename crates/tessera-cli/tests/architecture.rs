//! The architecture invariants of ARCHITECTURE.md, checked on the sources so that they stay
//! true and are not only written down. Each check names the invariant it guards; a failure
//! lists the offending lines.
//!
//! This lives in `tessera-cli` because it is the one crate that assembles all the others.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The lines of a crate's `src/` outside `#[cfg(test)]` modules (which may build fixtures
/// freely), with their file and number.
fn source_lines(krate: &str) -> Vec<(String, usize, String)> {
    let root = workspace().join("crates").join(krate).join("src");
    let files = rust_files(&root);
    assert!(!files.is_empty(), "no sources under {}", root.display());
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read source");
        let name = f
            .strip_prefix(workspace())
            .unwrap_or(&f)
            .display()
            .to_string();
        for (i, line) in text.lines().enumerate() {
            // Unit tests sit at the end of a file by this codebase's convention.
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            out.push((name.clone(), i + 1, line.to_owned()));
        }
    }
    out
}

fn offenders(lines: &[(String, usize, String)], bad: impl Fn(&str) -> bool) -> Vec<String> {
    lines
        .iter()
        .filter(|(_, _, l)| {
            let code = l.trim_start();
            !code.starts_with("//") && bad(l)
        })
        .map(|(f, n, l)| format!("{f}:{n}: {}", l.trim()))
        .collect()
}

/// The `[dependencies]` table of a crate (not dev-dependencies: tests may use anything).
fn dependencies(krate: &str) -> Vec<String> {
    let path = workspace().join("crates").join(krate).join("Cargo.toml");
    let text = std::fs::read_to_string(&path).expect("read Cargo.toml");
    let doc: toml::Table = toml::from_str(&text).expect("parse Cargo.toml");
    doc.get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

/// The core depends on no other Tessera crate and on no HTTP or SQL library.
#[test]
fn core_depends_on_no_wire_and_no_storage_library() {
    let forbidden = [
        "sqlx",
        "axum",
        "hyper",
        "http",
        "tower",
        "tower-http",
        "reqwest",
        "lettre",
    ];
    let deps = dependencies("tessera-core");
    let bad: Vec<&String> = deps
        .iter()
        .filter(|d| d.starts_with("tessera-") || forbidden.contains(&d.as_str()))
        .collect();
    assert!(bad.is_empty(), "tessera-core depends on {bad:?}");
}

/// Façades never touch the store: the server and the notifier depend on the core only.
#[test]
fn facades_depend_on_the_core_not_the_store() {
    for krate in ["tessera-server", "tessera-notify"] {
        let deps = dependencies(krate);
        for bad in ["tessera-store", "sqlx"] {
            assert!(!deps.iter().any(|d| d == bad), "{krate} depends on {bad}");
        }
    }
}

/// Façades never touch the store: no server code names a storage trait or reaches for a
/// store handle (the core has no public accessor for it).
#[test]
fn facades_never_reach_the_store() {
    let lines = source_lines("tessera-server");
    let bad = offenders(&lines, |l| {
        l.contains(".store()")
            || l.contains("store::Store")
            || [
                "AccountStore",
                "AppsStore",
                "AuthorizationStore",
                "DirectoryStore",
                "DirectoryTx",
                "PoolAdminStore",
                "TenantsStore",
                "UsersStore",
                "WriteTx",
            ]
            .iter()
            .any(|t| l.contains(t))
    });
    assert!(
        bad.is_empty(),
        "the server reaches the store:\n{}",
        bad.join("\n")
    );
}

/// Only the store crate knows SQL: no other crate's code uses sqlx or writes a statement.
#[test]
fn only_the_store_knows_sql() {
    let statement = |l: &str| {
        let u = l.to_ascii_uppercase();
        l.contains("sqlx::")
            || (l.contains('"')
                && ["SELECT ", "INSERT INTO ", "DELETE FROM ", "UPDATE "]
                    .iter()
                    .any(|k| u.contains(k))
                && (u.contains(" FROM ") || u.contains(" SET ") || u.contains(" VALUES")))
    };
    for krate in [
        "tessera-core",
        "tessera-server",
        "tessera-notify",
        "tessera-cli",
    ] {
        let bad = offenders(&source_lines(krate), statement);
        assert!(bad.is_empty(), "{krate} knows SQL:\n{}", bad.join("\n"));
    }
}

/// Every write is a targeted change: no statement rewrites a whole user row, and the
/// storage interface has no whole-row update of a user.
#[test]
fn user_writes_name_their_columns() {
    let store = source_lines("tessera-store");
    let bad = offenders(&store, |l| {
        let u = l.to_ascii_uppercase();
        u.contains("UPDATE USERS SET (")
            || (u.contains("UPDATE USERS") && l.contains("USER_COLUMNS }"))
    });
    assert!(bad.is_empty(), "whole-row user writes:\n{}", bad.join("\n"));
    let core = source_lines("tessera-core");
    let bad = offenders(&core, |l| {
        l.contains("fn update_user(")
            || (l.contains("user: &User) -> Result<()>") && !l.contains("fn insert_user("))
    });
    assert!(
        bad.is_empty(),
        "the storage interface rewrites users whole:\n{}",
        bad.join("\n")
    );
}

/// The core knows no wire: no Authing codes or messages (Chinese text is the tell of the
/// latter), no HTTP statuses, no Authing header names.
#[test]
fn core_knows_no_wire() {
    let lines = source_lines("tessera-core");
    let cjk = offenders(&lines, |l| {
        l.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    });
    assert!(
        cjk.is_empty(),
        "wire messages in the core:\n{}",
        cjk.join("\n")
    );
    let wire = offenders(&lines, |l| {
        l.contains("fn code(")
            || l.contains("fn http_status(")
            || l.contains("x-authing-")
            || l.contains("StatusCode")
    });
    assert!(wire.is_empty(), "wire in the core:\n{}", wire.join("\n"));
}
