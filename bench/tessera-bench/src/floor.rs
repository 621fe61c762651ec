//! The floor: what a token endpoint costs on this machine with nothing on top of its
//! cryptography but loopback TCP, HTTP/1.1 framing and the load generator.
//!
//! The ratios compare Tessera's request rates with raw RS256 rates measured with no network at
//! all, while the generator shares the cores with the server. Part of what separates the two is
//! not Tessera's to remove: the kernel's loopback, the generator's own work, and the request's
//! crypto. This server measures that part. It is a second process (`tessera-bench floor-serve
//! ADDR`), run on the same runtime shape as Tessera (one tokio worker per core), answering the
//! same requests the generator sends Tessera with the least honest work for each:
//!
//! - `POST /floor/verify`: the token from the body (`checkLoginStatus` sends it as a variable),
//!   its RS256 signature verified, its claims decoded;
//! - `POST /floor/sign`: the Bearer token checked the same way, then a new token signed over
//!   its claims (`refreshToken`);
//! - `POST /floor/mint`: Basic client credentials and a `client_credentials` form required,
//!   then one token signed over claims the size of an access token's (OIDC
//!   `client_credentials`).
//!
//! No database, no GraphQL, no framework: its rates are the ceiling any server could reach here
//! with the same requests, so `*_ratio_ceiling` bounds the ratio a target asks for, and
//! `*_of_floor` says how much of the reachable rate Tessera attains.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::error::{BenchError, Result};
use crate::proc::{self, Server};

/// The argument that makes `tessera-bench` this server instead of the benchmark.
pub const SUBCOMMAND: &str = "floor-serve";

/// A request larger than this closes its connection (the generator's are under 4 KiB).
const MAX_REQUEST: usize = 64 * 1024;

/// The claims a token check reads: what any server must decode to accept a token.
#[derive(Deserialize)]
struct Claims {
    #[allow(dead_code)] // decoded, as a check must; its value is not needed here
    sub: String,
    exp: i64,
}

struct Key(PKey<Private>);

impl Key {
    fn sign(&self, input: &[u8]) -> Option<String> {
        let sig = Signer::new(MessageDigest::sha256(), &self.0)
            .and_then(|mut s| s.sign_oneshot_to_vec(input))
            .ok()?;
        let mut token = String::from_utf8(input.to_vec()).ok()?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(sig, &mut token);
        Some(token)
    }

    /// The token's signature verified and its claims decoded.
    fn check(&self, token: &[u8]) -> Option<Claims> {
        let last = token.iter().rposition(|&b| b == b'.')?;
        let (input, sig) = (&token[..last], &token[last + 1..]);
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        let valid = Verifier::new(MessageDigest::sha256(), &self.0)
            .and_then(|mut v| v.verify_oneshot(&sig, input))
            .ok()?;
        if !valid {
            return None;
        }
        let first = input.iter().position(|&b| b == b'.')?;
        let payload = URL_SAFE_NO_PAD.decode(&input[first + 1..]).ok()?;
        let claims: Claims = serde_json::from_slice(&payload).ok()?;
        (claims.exp > 0).then_some(claims)
    }

    /// `header.payload` of `token` signed again with this key: a token of the same size the
    /// floor can verify (the bench's tokens were signed by Tessera's key).
    fn adopt(&self, token: &[u8]) -> Option<String> {
        let last = token.iter().rposition(|&b| b == b'.')?;
        self.sign(&token[..last])
    }
}

enum Route {
    Ready,
    Adopt,
    Verify,
    Sign,
    Mint,
    Unknown,
}

/// Starts the floor server as a child process on a free loopback port.
pub async fn start(work: &Path) -> Result<(Server, SocketAddr)> {
    let addr: SocketAddr = ([127, 0, 0, 1], proc::free_port()?).into();
    let mut cmd = std::process::Command::new(
        std::env::current_exe().map_err(|e| BenchError::io("current_exe", e))?,
    );
    cmd.args([SUBCOMMAND, &addr.to_string()]);
    let server = Server::start(
        "floor",
        cmd,
        addr,
        "/ready",
        &work.join("floor.log"),
        Duration::from_secs(30),
    )
    .await?;
    Ok((server, addr))
}

/// Runs the floor server on `addr` until killed.
pub fn serve(addr: &str) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("floor-serve: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(listen(addr)) {
        Ok(never) => match never {},
        Err(e) => {
            eprintln!("floor-serve: {e}");
            ExitCode::from(1)
        }
    }
}

/// Accepts connections on `addr` for ever, each answered on a task of its own.
async fn listen(addr: &str) -> std::result::Result<std::convert::Infallible, String> {
    let addr: SocketAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    let key = Rsa::generate(2048)
        .and_then(PKey::from_rsa)
        .map_err(|e| e.to_string())?;
    let key = Arc::new(Key(key));
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| format!("{addr}: {e}"))?;
    loop {
        let (stream, _) = listener.accept().await.map_err(|e| e.to_string())?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, key.clone()));
    }
}

/// One keep-alive connection: read a request, answer it, until the peer closes.
async fn connection(mut stream: TcpStream, key: Arc<Key>) {
    let mut buf: Vec<u8> = Vec::with_capacity(8192);
    let mut out: Vec<u8> = Vec::with_capacity(2048);
    loop {
        let head = loop {
            match parse_head(&buf) {
                Ok(Some(h)) => break h,
                Ok(None) if buf.len() < MAX_REQUEST => {}
                _ => return,
            }
            buf.reserve(4096);
            match stream.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        };
        let end = head.len + head.content_length;
        if end > MAX_REQUEST {
            return;
        }
        while buf.len() < end {
            buf.reserve(end - buf.len());
            match stream.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
        let bearer = head.bearer.map(|(s, e)| &buf[s..e]);
        let basic = head.basic.map(|(s, e)| &buf[s..e]);
        let (status, body) = answer(&key, head.route, (bearer, basic), &buf[head.len..end]);
        out.clear();
        out.extend_from_slice(status.as_bytes());
        out.extend_from_slice(b"\r\ncontent-type: application/json\r\ncontent-length: ");
        out.extend_from_slice(body.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(body.as_bytes());
        if stream.write_all(&out).await.is_err() {
            return;
        }
        buf.drain(..end);
    }
}

/// A signing input the size of a JWT access token's header and claims (as `raw.rs` signs).
const ACCESS_TOKEN_INPUT: [u8; 900] = [b'e'; 900];

fn answer(
    key: &Key,
    route: Route,
    (bearer, basic): (Option<&[u8]>, Option<&[u8]>),
    body: &[u8],
) -> (&'static str, String) {
    const OK: &str = "HTTP/1.1 200 OK";
    const BAD: &str = "HTTP/1.1 400 Bad Request";
    let refused = || (BAD, r#"{"error":"refused"}"#.to_owned());
    match route {
        Route::Ready => (OK, "{}".to_owned()),
        Route::Adopt => key
            .adopt(body)
            .map_or_else(refused, |t| (OK, format!(r#"{{"token":"{t}"}}"#))),
        Route::Verify => match body_token(body).and_then(|t| key.check(t)) {
            Some(_) => (
                OK,
                r#"{"data":{"checkLoginStatus":{"code":200,"status":true}}}"#.to_owned(),
            ),
            None => refused(),
        },
        // The Bearer checked, then a new token over its claims: one verification and one
        // signature, as `refreshToken` costs.
        Route::Sign => match bearer.filter(|t| key.check(t).is_some()) {
            Some(t) => key.adopt(t).map_or_else(refused, |t| {
                (
                    OK,
                    format!(r#"{{"data":{{"refreshToken":{{"token":"{t}"}}}}}}"#),
                )
            }),
            None => refused(),
        },
        // Client authentication is a comparison of the Basic credentials (any are accepted:
        // the floor has no registry); then one signature.
        Route::Mint => {
            let form = body
                .windows(29)
                .any(|w| w == b"grant_type=client_credentials");
            match (basic, form) {
                (Some(b), true) if !b.is_empty() => key
                    .sign(&ACCESS_TOKEN_INPUT)
                    .map_or_else(refused, |t| {
                        (
                            OK,
                            format!(
                                r#"{{"access_token":"{t}","token_type":"Bearer","expires_in":3600}}"#
                            ),
                        )
                    }),
                _ => refused(),
            }
        }
        Route::Unknown => (
            "HTTP/1.1 404 Not Found",
            r#"{"error":"not found"}"#.to_owned(),
        ),
    }
}

/// The value of the body's first `"token":"…"` (the GraphQL variable `checkLoginStatus` sends).
fn body_token(body: &[u8]) -> Option<&[u8]> {
    const KEY: &[u8] = b"\"token\":\"";
    let at = body.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let len = body[at..].iter().position(|&b| b == b'"')?;
    Some(&body[at..at + len])
}

struct Head {
    len: usize,
    content_length: usize,
    route: Route,
    /// Where the Bearer token lies in the buffer.
    bearer: Option<(usize, usize)>,
    /// Where Basic credentials lie in the buffer.
    basic: Option<(usize, usize)>,
}

fn parse_head(buf: &[u8]) -> std::result::Result<Option<Head>, ()> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(()),
    };
    let route = match (req.method, req.path) {
        (Some("GET"), Some("/ready")) => Route::Ready,
        (Some("POST"), Some("/floor/adopt")) => Route::Adopt,
        (Some("POST"), Some("/floor/verify")) => Route::Verify,
        (Some("POST"), Some("/floor/sign")) => Route::Sign,
        (Some("POST"), Some("/floor/mint")) => Route::Mint,
        _ => Route::Unknown,
    };
    let mut content_length = 0;
    let mut bearer = None;
    let mut basic = None;
    // A header value is a slice of `buf`: its offset locates it there.
    let at = |v: &[u8]| {
        let start = v.as_ptr() as usize - buf.as_ptr() as usize;
        (start, start + v.len())
    };
    for h in req.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            content_length = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .ok_or(())?;
        } else if h.name.eq_ignore_ascii_case("authorization") {
            if let Some(t) = h.value.strip_prefix(b"Bearer ") {
                bearer = Some(at(t));
            } else if let Some(c) = h.value.strip_prefix(b"Basic ") {
                basic = Some(at(c));
            }
        }
    }
    Ok(Some(Head {
        len,
        content_length,
        route,
        bearer,
        basic,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Key {
        Key(PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap())
    }

    fn token_like(key: &Key, exp: i64) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(format!(r#"{{"sub":"u1","exp":{exp}}}"#));
        key.sign(format!("{header}.{claims}").as_bytes()).unwrap()
    }

    #[test]
    fn the_floor_accepts_its_own_tokens_and_nothing_else() {
        let (k, other) = (key(), key());
        let t = token_like(&k, 4_000_000_000);
        assert!(k.check(t.as_bytes()).is_some());
        assert!(k
            .check(token_like(&other, 4_000_000_000).as_bytes())
            .is_none());
        assert!(k.check(b"not.a.token").is_none());
        // Adopting another key's token makes it verifiable here, with the same claims.
        let adopted = k
            .adopt(token_like(&other, 4_000_000_000).as_bytes())
            .unwrap();
        assert!(k.check(adopted.as_bytes()).is_some());
        assert_eq!(adopted.len(), t.len());
    }

    #[test]
    fn requests_are_routed_and_answered() {
        let k = key();
        let t = token_like(&k, 4_000_000_000);
        let body = format!(r#"{{"query":"…","variables":{{"token":"{t}"}}}}"#);
        let (status, _) = answer(&k, Route::Verify, (None, None), body.as_bytes());
        assert_eq!(status, "HTTP/1.1 200 OK");
        let (status, answer_body) = answer(&k, Route::Sign, (Some(t.as_bytes()), None), b"{}");
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(answer_body.contains("refreshToken"));
        let (status, _) = answer(&k, Route::Sign, (Some(b"forged.token.sig"), None), b"{}");
        assert_eq!(status, "HTTP/1.1 400 Bad Request");
        let form = b"grant_type=client_credentials";
        let (status, answer_body) = answer(&k, Route::Mint, (None, Some(b"aWQ6c2VjcmV0")), form);
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert!(answer_body.contains("access_token"));
        let (status, _) = answer(&k, Route::Mint, (None, None), form);
        assert_eq!(status, "HTTP/1.1 400 Bad Request");

        let raw = format!(
            "POST /floor/sign HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {t}\r\ncontent-length: 2\r\n\r\n{{}}"
        );
        let head = parse_head(raw.as_bytes()).unwrap().unwrap();
        let (s, e) = head.bearer.unwrap();
        assert_eq!(&raw.as_bytes()[s..e], t.as_bytes());
        assert_eq!(head.content_length, 2);
        assert!(matches!(head.route, Route::Sign));
        assert!(parse_head(b"POST /floor/sign HTTP/1.1\r\nhost")
            .unwrap()
            .is_none());
    }
}
