//! `tessera app create | update | list` as an operator runs them, on a SQLite data directory:
//! the JSON round trip of every client setting, a partial update, and refusals that change
//! nothing.

use std::process::Command;

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_tessera");

struct Data {
    _dir: tempfile::TempDir,
    path: String,
}

impl Data {
    fn new() -> Data {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data").to_str().unwrap().to_owned();
        Data { _dir: dir, path }
    }

    /// Exit code, stdout, stderr.
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(BIN)
            .args(["--data-dir", &self.path])
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run tessera");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The one JSON value a successful `--json` command prints.
    fn json(&self, args: &[&str]) -> Value {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert_eq!(out.lines().count(), 1, "one line of JSON: {out}");
        serde_json::from_str(&out).expect("valid JSON")
    }

    fn pool(&self) -> String {
        let creds = self.json(&["pool", "create", "--name", "cli-apps", "--json"]);
        creds["userPoolId"].as_str().unwrap().to_owned()
    }

    fn list(&self, pool: &str) -> Vec<Value> {
        match self.json(&["app", "list", "--pool", pool, "--json"]) {
            Value::Array(list) => list,
            other => panic!("not a list: {other}"),
        }
    }
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

#[test]
fn create_update_and_list_round_trip() {
    let d = Data::new();
    let pool = d.pool();
    let created = d.json(&[
        "app",
        "create",
        "--pool",
        &pool,
        "--name",
        "Shop",
        "--redirect-uri",
        "https://shop.example.com/cb",
        "--redirect-uri",
        "com.example.shop:/cb",
        "--logout-redirect-uri",
        "https://shop.example.com/bye",
        "--grant-type",
        "authorization_code",
        "--grant-type",
        "client_credentials",
        "--response-type",
        "code id_token",
        "--auth-method",
        "client_secret_basic",
        "--access-token-lifetime",
        "600",
        "--require-pkce",
        "--skip-consent",
        "--json",
    ]);
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(
        id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    let secret = created["secret"].as_str().unwrap();
    assert!(
        secret.len() == 32,
        "the client secret is printed at creation"
    );
    assert_eq!(created["name"], "Shop");
    assert_eq!(created["userPoolId"], pool.as_str());
    assert_eq!(
        strs(&created["redirectUris"]),
        ["https://shop.example.com/cb", "com.example.shop:/cb"]
    );
    assert_eq!(
        strs(&created["logoutRedirectUris"]),
        ["https://shop.example.com/bye"]
    );
    assert_eq!(
        strs(&created["grantTypes"]),
        ["authorization_code", "client_credentials"]
    );
    assert_eq!(strs(&created["responseTypes"]), ["code id_token"]);
    assert_eq!(created["tokenEndpointAuthMethod"], "client_secret_basic");
    assert_eq!(created["idTokenSignedResponseAlg"], "RS256", "the default");
    assert_eq!(created["accessTokenExpiresIn"], 600);
    assert_eq!(created["requirePkce"], true);
    assert_eq!(created["allowPlainPkce"], false);
    assert_eq!(created["skipConsent"], true);

    // A list option replaces its list; the settings not named stay.
    let updated = d.json(&[
        "app",
        "update",
        "--pool",
        &pool,
        "--app",
        &id,
        "--redirect-uri",
        "http://localhost:3000/cb",
        "--require-pkce=false",
        "--id-token-alg",
        "HS256",
        "--json",
    ]);
    assert_eq!(updated["id"], id.as_str());
    assert!(
        updated.get("secret").is_none(),
        "update does not print the secret"
    );
    assert_eq!(strs(&updated["redirectUris"]), ["http://localhost:3000/cb"]);
    assert_eq!(updated["requirePkce"], false);
    assert_eq!(updated["idTokenSignedResponseAlg"], "HS256");
    let mut expected = created.clone();
    let e = expected.as_object_mut().unwrap();
    e.remove("secret");
    e.insert(
        "redirectUris".into(),
        serde_json::json!(["http://localhost:3000/cb"]),
    );
    e.insert("requirePkce".into(), false.into());
    e.insert("idTokenSignedResponseAlg".into(), "HS256".into());
    assert_eq!(updated, expected, "only the named settings changed");

    // The list shows it as stored, beside the pool's first application.
    let list = d.list(&pool);
    assert_eq!(list.len(), 2);
    let listed = list.iter().find(|a| a["id"] == id.as_str()).unwrap();
    assert_eq!(listed, &expected);
    assert!(list.iter().all(|a| a.get("secret").is_none()));

    // Text output names the client id and secret.
    let (code, out, err) = d.run(&["app", "create", "--pool", &pool, "--name", "Text"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Client ID:") && out.contains("Client secret:"),
        "{out}"
    );
    assert_eq!(d.list(&pool).len(), 3);
}

#[test]
fn refusals_change_nothing() {
    let d = Data::new();
    let pool = d.pool();
    let id = d.json(&["app", "create", "--pool", &pool, "--name", "Keep", "--json"])["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = d.list(&pool);

    let bad: [&[&str]; 6] = [
        &["--redirect-uri", "http://evil.example.com/cb"],
        &["--redirect-uri", "https://ok.example.com/cb#x"],
        &["--grant-type", "made_up"],
        &["--response-type", "code none"],
        &["--auth-method", "private_key_jwt"],
        &["--id-token-lifetime", "0"],
    ];
    for extra in bad {
        let mut create = vec!["app", "create", "--pool", &pool, "--name", "New", "--json"];
        create.extend_from_slice(extra);
        let (code, out, err) = d.run(&create);
        assert_eq!(code, 1, "{extra:?}: {out}");
        assert!(out.is_empty(), "{extra:?}: {out}");
        assert!(err.contains("invalid parameter"), "{extra:?}: {err}");

        let mut update = vec!["app", "update", "--pool", &pool, "--app", &id, "--json"];
        update.extend_from_slice(&["--name", "Changed", "--skip-consent"]);
        update.extend_from_slice(extra);
        let (code, out, err) = d.run(&update);
        assert_eq!(code, 1, "{extra:?}: {out}");
        assert!(err.contains("invalid parameter"), "{extra:?}: {err}");
    }
    assert_eq!(d.list(&pool), before, "nothing was written");

    let (code, _, err) = d.run(&[
        "app",
        "update",
        "--pool",
        &pool,
        "--app",
        "000000000000000000000000",
        "--name",
        "x",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("application not found"), "{err}");
    let (code, _, err) = d.run(&["app", "list", "--pool", "000000000000000000000000"]);
    assert_eq!(code, 1);
    assert!(err.contains("pool not found"), "{err}");
    let (code, _, _) = d.run(&[
        "app",
        "create",
        "--pool",
        &pool,
        "--name",
        "x",
        "--skip-consent=maybe",
    ]);
    assert_eq!(code, 2, "clap refuses a flag value that is not a boolean");
}
