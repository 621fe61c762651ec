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
            // Every storage trait and unit-of-work handle is named `…Store` / `…Tx`
            // (`AppsStore`, `PostsTx`, …): any such name in server code is a reach for the
            // store, whichever aggregate is added next.
            || l
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .any(|w| {
                    w.len() > 2
                        && w.starts_with(|c: char| c.is_ascii_uppercase())
                        && (w.ends_with("Store") || w.ends_with("Tx"))
                })
    });
    assert!(
        bad.is_empty(),
        "the server reaches the store:\n{}",
        bad.join("\n")
    );
}

/// The operator's proof of pool administration is the `tessera` command's alone: no façade
/// builds a `PoolAdmin` without the pool's secret or a management token.
#[test]
fn facades_never_act_as_the_operator() {
    let lines = source_lines("tessera-server");
    let bad = offenders(&lines, |l| {
        l.contains("operator_pool_admin") || l.contains("AdminProof::Operator")
    });
    assert!(
        bad.is_empty(),
        "the server acts as the operator:\n{}",
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

/// The names of the core's stored rows: the `pub struct`s under `tessera-core/src/model/`
/// with an `id` field (a change struct of `Option`s such as `NodeChange` has none).
fn model_types() -> Vec<String> {
    let root = workspace().join("crates/tessera-core/src/model");
    let mut out = Vec::new();
    for f in rust_files(&root) {
        let text = std::fs::read_to_string(&f).expect("read model");
        let mut open: Option<String> = None;
        for line in text.lines() {
            if let Some(rest) = line.trim_start().strip_prefix("pub struct ") {
                open = Some(
                    rest.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect(),
                );
            } else if line.starts_with('}') {
                open = None;
            } else if line.trim_start().starts_with("pub id:") {
                if let Some(name) = open.take() {
                    out.push(name);
                }
            }
        }
    }
    assert!(out.iter().any(|t| t == "Group"), "model types not found");
    out
}

/// The function a line starts, if it starts one: `fn name`, `async fn name`, `pub(…) fn …`.
fn fn_name(line: &str) -> Option<String> {
    let mut rest = line.trim_start();
    for prefix in ["pub(crate) ", "pub(super) ", "pub ", "async "] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest);
    }
    let rest = rest.strip_prefix("async ").unwrap_or(rest);
    let rest = rest.strip_prefix("fn ")?;
    Some(
        rest.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect(),
    )
}

/// Every write is a targeted change: no storage method that updates takes a whole model
/// struct (which writes back every column of a row read earlier, undoing a concurrent edit
/// of another column). It takes a `…Fields` change of `Option`s and writes only those
/// columns, or carries a version check (`expected_version`).
#[test]
fn store_updates_name_their_fields() {
    let models = model_types();
    let lines = source_lines("tessera-core");
    let store: Vec<&(String, usize, String)> = lines
        .iter()
        .filter(|(f, _, _)| f.contains("tessera-core/src/store/"))
        .collect();
    let mut bad = Vec::new();
    for (i, (file, n, line)) in store.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        if !name.starts_with("update_") {
            continue;
        }
        // The signature runs to the first `;` or `{`.
        let mut sig = String::new();
        for (f, _, l) in &store[i..] {
            if f != file {
                break;
            }
            sig.push_str(l.trim());
            sig.push(' ');
            if l.contains(';') || l.contains('{') {
                break;
            }
        }
        let params = sig.split("->").next().unwrap_or("");
        let whole_row = params.split(',').any(|p| {
            p.split_once(':').is_some_and(|(_, ty)| {
                let ty = ty
                    .trim()
                    .trim_start_matches('&')
                    .trim_end_matches(')')
                    .trim();
                models.iter().any(|m| m == ty)
            })
        });
        if whole_row && !params.contains("expected_version") {
            bad.push(format!("{file}:{n}: {}", sig.trim()));
        }
    }
    assert!(
        bad.is_empty(),
        "storage updates that take a whole row:\n{}",
        bad.join("\n")
    );
}

/// Cascades are decided in the core (`service/cascade.rs`, inside one unit of work): no
/// function of the SQL store deletes from two tables, so which rows go with a role, group,
/// node, namespace, application or tenant is never a rule hidden in a statement list.
/// Exceptions, each one statement per table for a reason that is not a cascade:
/// `purge_expired` (housekeeping of expired rows), `remove_udf_definition` (the pool
/// aggregate, not split yet) and `delete_tenant_rows` (one statement per call, chosen by the
/// core's `TenantRows`).
#[test]
fn cascades_are_decided_in_the_core() {
    let allowed = [
        "purge_expired",
        "remove_udf_definition",
        "delete_tenant_rows",
    ];
    let lines = source_lines("tessera-store");
    let mut bad = Vec::new();
    let mut current: Option<(String, String, usize)> = None;
    let mut tables: Vec<String> = Vec::new();
    let mut flush = |current: &Option<(String, String, usize)>, tables: &mut Vec<String>| {
        if let Some((name, file, n)) = current {
            tables.sort();
            tables.dedup();
            if tables.len() > 1 && !allowed.contains(&name.as_str()) {
                bad.push(format!("{file}:{n}: fn {name} deletes from {tables:?}"));
            }
        }
        tables.clear();
    };
    for (file, n, line) in &lines {
        if let Some(name) = fn_name(line) {
            flush(&current, &mut tables);
            current = Some((name, file.clone(), *n));
        }
        let upper = line.to_ascii_uppercase();
        let mut rest = upper.as_str();
        while let Some(i) = rest.find("DELETE FROM ") {
            rest = &rest[i + "DELETE FROM ".len()..];
            let table: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // `{table}`: a helper deleting from a table its caller names.
            if !table.is_empty() {
                tables.push(table);
            }
        }
    }
    flush(&current, &mut tables);
    assert!(
        bad.is_empty(),
        "cascades written in SQL instead of the core:\n{}",
        bad.join("\n")
    );
}
