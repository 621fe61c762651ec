//! The results: machine facts, the figures against their targets, and the files
//! `bench/results/<UTC timestamp>.json` and `.md`.

use std::path::Path;

use serde_json::{json, Map, Value};

use crate::error::{BenchError, Result};

fn first_line_with(path: &str, key: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()?.lines().find_map(|l| {
        l.strip_prefix(key)
            .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
    })
}

/// The CPU features that move the raw rates between hosts reporting the same model name.
/// Two-core hosts both reporting "AMD EPYC" measured 8,019 and 2,275–2,622 raw RS256
/// signatures/s (runs of 2026-12-06), while their verification rates differed far less;
/// OpenSSL 3 has an AVX-512 IFMA path for RSA-2048 private operations. Recording the
/// features lets such runs be told apart.
fn cpu_features() -> Vec<&'static str> {
    let flags = first_line_with("/proc/cpuinfo", "flags").unwrap_or_default();
    let have: std::collections::HashSet<&str> = flags.split_whitespace().collect();
    ["avx2", "bmi2", "adx", "sha_ni", "avx512f", "avx512ifma"]
        .into_iter()
        .filter(|f| have.contains(f))
        .collect()
}

pub fn machine(cores: usize, profile: &str, commit: &str) -> Value {
    json!({
        "cores": cores,
        "cpu_model": first_line_with("/proc/cpuinfo", "model name"),
        "cpu_features": cpu_features(),
        "mem_total": first_line_with("/proc/meminfo", "MemTotal"),
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").ok().map(|s| s.trim().to_owned()),
        "build_profile": profile,
        "commit": commit,
        "load_generator": "tessera-bench (HTTP/1.1 keep-alive connections, closed loop, one single-threaded runtime per generator thread, as wrk) on the same cores as the server",
    })
}

/// One figure against its target: `value >= min` or `value <= max`.
fn target(out: &Map<String, Value>, figure: &str, op: &str, goal: f64, what: &str) -> Value {
    let value = out.get(figure).and_then(Value::as_f64);
    let met = value.map(|v| if op == ">=" { v >= goal } else { v <= goal });
    json!({ "figure": figure, "value": value, "target": format!("{op} {goal}"), "met": met, "what": what })
}

pub fn targets(out: &Map<String, Value>) -> Value {
    let mut t = vec![
        target(
            out,
            "login_ratio",
            ">=",
            0.9,
            "logins/s ≥ 90% of the fastest raw argon2id rate",
        ),
        target(
            out,
            "token_ratio",
            ">=",
            0.8,
            "refreshToken/s ≥ 80% of raw RS256 signatures/s",
        ),
        target(
            out,
            "verify_ratio",
            ">=",
            0.25,
            "checkLoginStatus/s ≥ 25% of raw RS256 verifications/s",
        ),
        target(
            out,
            "client_credentials_ratio",
            ">=",
            0.8,
            "OIDC client_credentials tokens/s ≥ 80% of raw RS256 signatures/s",
        ),
        target(
            out,
            "lookup_p99_ms_sqlite",
            "<=",
            2.0,
            "admin reads p99 ≤ 2 ms at the bulk size on SQLite",
        ),
        target(out, "rss_idle_kb", "<=", 15.0 * 1024.0, "idle RSS ≤ 15 MB"),
        target(
            out,
            "start_ready_ms",
            "<=",
            200.0,
            "process start to first 200 from /ready ≤ 200 ms",
        ),
    ];
    if let Some(Value::Object(cmp)) = out.get("peers").and_then(|p| p.get("comparison")) {
        for (k, v) in cmp {
            let ahead = v.get("tessera_ahead").and_then(Value::as_bool);
            t.push(
                json!({"figure": format!("peers.comparison.{k}"), "value": v.get("ratio"),
                          "target": "> 1 (ahead of the peer)", "met": ahead,
                          "what": "Tessera ahead of the peer on an endpoint both have"}),
            );
        }
    }
    Value::Array(t)
}

fn utc_stamp() -> String {
    // 2026-11-21T12:34:56.789Z → 20261121T123456Z, safe in a file name and sortable.
    let iso = tessera_core::clock::iso8601(tessera_core::clock::now_ms());
    let digits: String = iso
        .chars()
        .take(19)
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect();
    format!("{digits}Z")
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "—".into(),
        Some(Value::Number(n)) => {
            let f = n.as_f64().unwrap_or(0.0);
            if f.fract() == 0.0 || f.abs() >= 100.0 {
                format!("{f:.0}")
            } else {
                format!("{f:.3}")
            }
        }
        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

pub fn markdown(out: &Map<String, Value>) -> String {
    let g = |k: &str| cell(out.get(k));
    let m = out.get("machine").cloned().unwrap_or(Value::Null);
    let mut s = String::new();
    s.push_str(&format!(
        "# Tessera benchmark ({} run)\n\n{} cores, {} ({}), build profile `{}`, commit `{}`. Load generator and servers share the cores.\n\n",
        g("mode"),
        cell(m.get("cores")),
        cell(m.get("cpu_model")),
        m.get("cpu_features")
            .and_then(Value::as_array)
            .map(|fs| fs.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        cell(m.get("build_profile")),
        cell(m.get("commit")),
    ));
    s.push_str("| figure | value | target | met |\n| --- | --- | --- | --- |\n");
    if let Some(Value::Array(ts)) = out.get("targets") {
        for t in ts {
            s.push_str(&format!(
                "| {} (`{}`) | {} | {} | {} |\n",
                cell(t.get("what")),
                cell(t.get("figure")),
                cell(t.get("value")),
                cell(t.get("target")),
                cell(t.get("met")),
            ));
        }
    }
    s.push_str("\n| measured | value |\n| --- | --- |\n");
    for k in [
        "raw_hash_per_s",
        "raw_hash_libargon2_per_s",
        "raw_hash_fastest_per_s",
        "raw_hash_fastest_impl",
        "login_per_s",
        "login_p50_ms",
        "login_p99_ms",
        "login_concurrency",
        "raw_sign_per_s",
        "token_per_s",
        "token_p50_ms",
        "token_p99_ms",
        "raw_verify_per_s",
        "verify_per_s",
        "verify_p50_ms",
        "verify_p99_ms",
        "current_user_per_s",
        "current_user_ratio",
        "floor_token_per_s",
        "token_ratio_ceiling",
        "token_of_floor",
        "floor_verify_per_s",
        "verify_ratio_ceiling",
        "verify_of_floor",
        "current_user_of_floor",
        "raw_rsa_decrypt_per_s",
        "users",
        "bulk_users_per_s",
        "bulk_users_per_s_postgres",
        "lookup_p99_ms_sqlite",
        "lookup_p99_ms_postgres",
        "list_page_p99_ms_sqlite",
        "list_page_p99_ms_postgres",
        "rss_idle_kb",
        "rss_login_kb",
        "rss_loaded_kb",
        "start_ready_ms",
        "start_ready_ms_restart",
        "client_credentials_per_s",
        "floor_client_credentials_per_s",
        "client_credentials_ratio_ceiling",
        "client_credentials_of_floor",
        "client_credentials_ratio",
    ] {
        s.push_str(&format!("| `{k}` | {} |\n", g(k)));
    }
    if let Some(Value::Object(l)) = out.get("lookups") {
        s.push_str("\n| admin read (p50 / p99 ms) | by id | by email | by phone | by username | 100-user page |\n| --- | --- | --- | --- | --- | --- |\n");
        for (backend, v) in l {
            let f = |k: &str| {
                format!(
                    "{} / {}",
                    cell(v.get(k).and_then(|x| x.get("p50_ms"))),
                    cell(v.get(k).and_then(|x| x.get("p99_ms")))
                )
            };
            s.push_str(&format!(
                "| {backend} | {} | {} | {} | {} | {} |\n",
                f("by_id"),
                f("by_email"),
                f("by_phone"),
                f("by_username"),
                f("list_page_100")
            ));
        }
    }
    if let Some(Value::Object(p)) = out.get("peers") {
        let names: Vec<&String> = p.keys().filter(|k| *k != "comparison").collect();
        s.push_str(&format!(
            "\n| peers (req/s, same generator) | {} |\n| --- |{}\n",
            names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(" | "),
            " --- |".repeat(names.len())
        ));
        for ep in [
            "discovery",
            "jwks",
            "client_credentials",
            "userinfo",
            "rss_idle_kb",
            "start_ready_ms",
        ] {
            let row: Vec<String> = names
                .iter()
                .map(|n| {
                    let v = p.get(*n).and_then(|x| x.get(ep));
                    match v {
                        Some(Value::Object(o)) => match o.get("per_s") {
                            Some(Value::Null) | None => format!("— ({})", cell(o.get("reason"))),
                            x => cell(x),
                        },
                        other => cell(other),
                    }
                })
                .collect();
            s.push_str(&format!("| {ep} | {} |\n", row.join(" | ")));
        }
    }
    s
}

/// Writes `<dir>/<UTC timestamp>.json` and `.md`; returns the JSON's path.
pub fn write(dir: &Path, out: &Map<String, Value>) -> Result<String> {
    std::fs::create_dir_all(dir).map_err(|e| BenchError::io(dir.display(), e))?;
    let stamp = utc_stamp();
    let mut full = out.clone();
    full.insert("timestamp".into(), json!(stamp));
    let json_path = dir.join(format!("{stamp}.json"));
    let text = serde_json::to_string_pretty(&Value::Object(full.clone()))?;
    std::fs::write(&json_path, text + "\n").map_err(|e| BenchError::io(json_path.display(), e))?;
    let md_path = dir.join(format!("{stamp}.md"));
    std::fs::write(&md_path, markdown(&full)).map_err(|e| BenchError::io(md_path.display(), e))?;
    Ok(json_path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_compare_in_the_right_direction() {
        let mut m = Map::new();
        m.insert("login_ratio".into(), json!(0.95));
        m.insert("start_ready_ms".into(), json!(250.0));
        let t = targets(&m);
        let find = |f: &str| {
            t.as_array()
                .unwrap()
                .iter()
                .find(|x| x["figure"] == f)
                .unwrap()
                .clone()
        };
        assert_eq!(find("login_ratio")["met"], true);
        assert_eq!(find("start_ready_ms")["met"], false);
        assert_eq!(find("token_ratio")["met"], Value::Null);
    }

    #[test]
    fn stamps_sort_and_fit_a_file_name() {
        let s = utc_stamp();
        assert_eq!(s.len(), 16, "{s}");
        assert!(s.ends_with('Z') && s.contains('T'));
    }
}
