//! Tessera as a user runs it: the `tessera` binary started as a real process on a fresh store,
//! a pool made with `tessera pool create`, and the SDK's own GraphQL operations sent over
//! loopback.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};
use tessera_core::crypto::transport::TransportKey;

use crate::error::{BenchError, Result};
use crate::load::{self, Req};
use crate::proc::{self, Server};

/// The documents `authing-js-sdk@4.23.55` sends (its `graphql.v2` module), verbatim where the
/// server's work depends on the selection set.
pub mod docs {
    pub const LOGIN_BY_EMAIL: &str = "mutation loginByEmail($input: LoginByEmailInput!) {\n  loginByEmail(input: $input) {\n    id\n    arn\n    status\n    userPoolId\n    username\n    email\n    emailVerified\n    phone\n    phoneVerified\n    unionid\n    openid\n    nickname\n    registerSource\n    photo\n    password\n    oauth\n    token\n    tokenExpiredAt\n    loginsCount\n    lastLogin\n    lastIP\n    signedUp\n    blocked\n    isDeleted\n    device\n    browser\n    company\n    name\n    givenName\n    familyName\n    middleName\n    profile\n    preferredUsername\n    website\n    gender\n    birthdate\n    zoneinfo\n    locale\n    address\n    formatted\n    streetAddress\n    locality\n    region\n    postalCode\n    city\n    province\n    country\n    createdAt\n    updatedAt\n    externalId\n    phoneCountryCode\n    newlyCreated\n    phoneCountryCode\n    customData {\n      key\n      value\n      dataType\n      label\n    }\n  }\n}\n";
    pub const REGISTER_BY_EMAIL: &str = "mutation registerByEmail($input: RegisterByEmailInput!) {\n  registerByEmail(input: $input) {\n    id\n    email\n    token\n  }\n}\n";
    pub const REFRESH_TOKEN: &str =
        "mutation refreshToken($id: String) {\n  refreshToken(id: $id) {\n    token\n    iat\n    exp\n  }\n}\n";
    pub const CHECK_LOGIN_STATUS: &str = "query checkLoginStatus($token: String) {\n  checkLoginStatus(token: $token) {\n    code\n    message\n    status\n    exp\n    iat\n    data {\n      id\n      userPoolId\n      arn\n    }\n  }\n}\n";
    pub const USER: &str = "query user($id: String) {\n  user(id: $id) {\n    id\n    arn\n    userPoolId\n    status\n    username\n    email\n    emailVerified\n    phone\n    phoneVerified\n    identities {\n      openid\n      userIdInIdp\n      userId\n      connectionId\n      isSocial\n      provider\n      type\n      userPoolId\n      extIdpId\n    }\n    unionid\n    openid\n    nickname\n    registerSource\n    photo\n    password\n    oauth\n    token\n    tokenExpiredAt\n    loginsCount\n    lastLogin\n    lastIP\n    signedUp\n    blocked\n    isDeleted\n    device\n    browser\n    company\n    name\n    givenName\n    familyName\n    middleName\n    profile\n    preferredUsername\n    website\n    gender\n    birthdate\n    zoneinfo\n    locale\n    address\n    formatted\n    streetAddress\n    locality\n    region\n    postalCode\n    city\n    province\n    country\n    createdAt\n    updatedAt\n    externalId\n    phoneCountryCode\n    customData {\n      key\n      value\n      dataType\n      label\n    }\n  }\n}\n";
    pub const IS_USER_EXISTS: &str = "query isUserExists($email: String, $phone: String, $username: String, $externalId: String) {\n  isUserExists(email: $email, phone: $phone, username: $username, externalId: $externalId)\n}\n";
}

/// What `tessera pool create --json` printed that the benchmark needs.
#[derive(Debug, Clone)]
pub struct PoolCreds {
    pub user_pool_id: String,
    /// The pool secret: the bench's in-process admin reads act as the pool's administrator.
    pub secret: String,
    pub app_id: String,
}

/// How the benchmark reaches one Tessera deployment.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub bin: PathBuf,
    /// `--data-dir DIR` or `--database-url URL`.
    pub store_args: Vec<String>,
}

impl Deployment {
    pub async fn start(&self, addr: SocketAddr, log: &Path) -> Result<Server> {
        let mut cmd = Command::new(&self.bin);
        cmd.args(&self.store_args)
            .args(["serve", "--listen", &addr.to_string()])
            .env("RUST_LOG", "warn");
        Server::start("tessera", cmd, addr, "/ready", log, Duration::from_secs(60)).await
    }

    pub fn create_pool(&self, name: &str) -> Result<PoolCreds> {
        let out = proc::output(
            Command::new(&self.bin)
                .args(&self.store_args)
                .args(["pool", "create", "--name", name, "--json"]),
        )?;
        let v: Value = serde_json::from_str(out.trim())?;
        let field = |k: &str| {
            v[k].as_str()
                .map(str::to_owned)
                .ok_or_else(|| BenchError::answer("tessera pool create", format!("no {k}")))
        };
        Ok(PoolCreds {
            user_pool_id: field("userPoolId")?,
            secret: field("secret")?,
            app_id: field("appId")?,
        })
    }
}

/// An OIDC client of the bench pool: its credentials and a user's access token.
#[derive(Debug, Clone)]
pub struct OidcClient {
    pub client_id: String,
    pub client_secret: String,
    pub access_token: String,
}

impl Deployment {
    /// Adds an application allowed client credentials and the password grant
    /// (`tessera app create`), as an operator would.
    pub fn create_oidc_app(&self, pool_id: &str) -> Result<(String, String)> {
        let out = proc::output(Command::new(&self.bin).args(&self.store_args).args([
            "app",
            "create",
            "--pool",
            pool_id,
            "--name",
            "bench-rp",
            "--redirect-uri",
            "https://bench.example/cb",
            "--grant-type",
            "client_credentials",
            "--grant-type",
            "password",
            "--json",
        ]))?;
        let v: Value = serde_json::from_str(out.trim())?;
        let field = |k: &str| {
            v[k].as_str()
                .map(str::to_owned)
                .ok_or_else(|| BenchError::answer("tessera app create", format!("no {k}")))
        };
        Ok((field("id")?, field("secret")?))
    }
}

/// A user's OIDC access token by the password grant (one login, not timed).
pub async fn oidc_access_token(
    addr: SocketAddr,
    client: (&str, &str),
    email: &str,
    password: &str,
) -> Result<String> {
    let form = serde_urlencoded_pairs(&[
        ("grant_type", "password"),
        ("username", email),
        ("password", password),
        ("scope", "openid profile email"),
        ("client_id", client.0),
        ("client_secret", client.1),
    ]);
    let v = load::once_json(
        addr,
        &Req::post(
            "/oidc/token",
            "application/x-www-form-urlencoded",
            Bytes::from(form),
        ),
    )
    .await?;
    v["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| BenchError::answer("/oidc/token (password)", v))
}

/// `application/x-www-form-urlencoded` of a few pairs.
pub fn serde_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A v2 GraphQL request with the headers the SDK sends.
pub fn gql(creds: &PoolCreds, query: &str, variables: Value, bearer: Option<&str>) -> Req {
    let body = json!({ "query": query, "variables": variables }).to_string();
    let mut r = Req::post("/graphql/v2", "application/json", Bytes::from(body))
        .header("x-authing-app-id", &creds.app_id)
        .header("x-authing-userpool-id", &creds.user_pool_id)
        .header("x-authing-request-from", "sdk")
        .header("x-authing-sdk-version", "js:4.23.55");
    if let Some(t) = bearer {
        r = r.header("authorization", &format!("Bearer {t}"));
    }
    r
}

/// `refreshToken` with `token` as the Bearer.
pub fn refresh_token(creds: &PoolCreds, token: &str) -> Req {
    gql(creds, docs::REFRESH_TOKEN, json!({}), Some(token))
}

/// `checkLoginStatus(token)`: the token as the argument, no Bearer.
pub fn check_login_status(creds: &PoolCreds, token: &str) -> Req {
    gql(
        creds,
        docs::CHECK_LOGIN_STATUS,
        json!({ "token": token }),
        None,
    )
}

/// `getCurrentUser` (the `user` query) with `token` as the Bearer.
pub fn current_user(creds: &PoolCreds, token: &str) -> Req {
    gql(creds, docs::USER, json!({}), Some(token))
}

/// The RSA key the SDK encrypts passwords with (`GET /api/v2/.well-known`).
pub async fn password_key(addr: SocketAddr) -> Result<String> {
    let v = load::once_json(addr, &Req::get("/api/v2/.well-known")).await?;
    v["data"]["publicKey"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| BenchError::answer("/api/v2/.well-known", "no data.publicKey"))
}

/// Encrypts a password as the SDK does: RSAES-PKCS1-v1_5 with the deployment key, base64.
pub fn encrypt(public_pem: &str, password: &str) -> Result<String> {
    Ok(TransportKey::encrypt_like_sdk(public_pem, password)?)
}

/// Registers `n` users through `registerByEmail` and returns their emails.
pub async fn register_users(
    addr: SocketAddr,
    creds: &PoolCreds,
    public_pem: &str,
    n: usize,
    password: &str,
) -> Result<Vec<String>> {
    let mut emails = Vec::with_capacity(n);
    for i in 0..n {
        let email = format!("login{i}@bench.example");
        let input = json!({ "email": email, "password": encrypt(public_pem, password)? });
        let v = load::once_json(
            addr,
            &gql(
                creds,
                docs::REGISTER_BY_EMAIL,
                json!({ "input": input }),
                None,
            ),
        )
        .await?;
        if v.get("errors").is_some() {
            return Err(BenchError::answer("registerByEmail", v));
        }
        emails.push(email);
    }
    Ok(emails)
}

/// One `loginByEmail` request per user, password encrypted once per user (the server's work
/// is the same for every ciphertext).
pub fn login_requests(
    creds: &PoolCreds,
    public_pem: &str,
    emails: &[String],
    password: &str,
) -> Result<Arc<Vec<Req>>> {
    let mut reqs = Vec::with_capacity(emails.len());
    for e in emails {
        let input = json!({ "email": e, "password": encrypt(public_pem, password)? });
        reqs.push(gql(
            creds,
            docs::LOGIN_BY_EMAIL,
            json!({ "input": input }),
            None,
        ));
    }
    Ok(Arc::new(reqs))
}

/// Logs every user in once and returns their tokens.
pub async fn tokens(addr: SocketAddr, logins: &[Req]) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(logins.len());
    for r in logins {
        let v = load::once_json(addr, r).await?;
        let t = v["data"]["loginByEmail"]["token"]
            .as_str()
            .ok_or_else(|| BenchError::answer("loginByEmail", &v))?;
        out.push(t.to_owned());
    }
    Ok(out)
}
