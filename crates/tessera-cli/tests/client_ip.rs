//! Which address a login is recorded and counted under, over real HTTP against the real
//! router: the socket peer; the `X-Forwarded-For` chain only from a trusted proxy; the
//! SDK's `clientIp` only from a trusted proxy or a pool administrator of the request's pool.
//!
//! Every connection comes from the loopback network: 127.0.0.1 is the configured trusted
//! proxy, and a client bound to 127.0.0.2 is an untrusted caller.

mod common;

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};
use tessera_core::crypto::transport::TransportKey;
use tessera_core::model::{PoolSettings, RateCheck};
use tessera_core::service::guard::CLIENT_FACTOR;
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::Core;
use tessera_server::client_ip::TrustedProxies;
use tessera_server::{AppState, ServerOptions};
use tokio::sync::oneshot;

const PASSWORD: &str = "Correct-Horse-9";
const REGISTER: &str = "mutation registerByEmail($input: RegisterByEmailInput!) { registerByEmail(input: $input) { id } }";
const LOGIN: &str = "mutation loginByEmail($input: LoginByEmailInput!) { loginByEmail(input: $input) { id lastIP } }";
/// `CaptchaRequired`: the failure check's answer once a client has failed too often.
const CAPTCHA_REQUIRED: i64 = 2000;
/// The pool's `limit` (3) and the failures one client address may have before its logins
/// need a captcha (`tessera_core::service::guard`).
const LIMIT: i64 = 3;
const ADDRESS_LIMIT: usize = (CLIENT_FACTOR * LIMIT) as usize;

struct Server {
    url: String,
    core: Arc<Core>,
    pool_id: String,
    pool_secret: String,
    app_id: String,
    _stop: oneshot::Sender<()>,
}

/// A served core with one pool whose login-failure check needs a captcha after 3 failures
/// of one account, or [`ADDRESS_LIMIT`] from one client address, and one user.
async fn start(dir: &Path, trusted: &[&str]) -> (Server, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let core = common::open_core(dir, &url).await;
    let creds = core.create_pool("ip").await.unwrap();
    let settings = PoolSettings {
        login_fail_check: RateCheck {
            enabled: true,
            time_interval: 600,
            limit: LIMIT,
        },
        frequent_register_check: RateCheck {
            enabled: true,
            time_interval: 600,
            limit: 2,
        },
        ..PoolSettings::default()
    };
    let pool = core
        .update_pool_settings(&creds.user_pool_id, settings)
        .await
        .unwrap();
    let user = core
        .create_user(
            &pool,
            NewUser {
                email: Some("ann@example.com".into()),
                password: Some(PASSWORD.into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    let mut options = ServerOptions::new(dir.join("uploads"));
    options.trusted_proxies = TrustedProxies::parse(trusted).unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(tessera_server::serve(
        listener,
        AppState::new(Arc::clone(&core), options),
        async move {
            let _ = stopped.await;
        },
    ));
    let server = Server {
        url,
        core,
        pool_id: creds.user_pool_id,
        pool_secret: creds.secret,
        app_id: creds.app_id,
        _stop: stop,
    };
    (server, user.id)
}

/// A caller whose connections come from `from`.
fn client(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(from.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// One `loginByEmail` as the SDK sends it.
#[derive(Clone, Default)]
struct Login {
    email: String,
    client_ip: Option<String>,
    forwarded_for: Option<String>,
    bearer: Option<String>,
}

impl Login {
    fn of(email: &str) -> Login {
        Login {
            email: email.into(),
            ..Login::default()
        }
    }

    /// A login for an account that does not exist: a failure.
    fn unknown(tag: &str, i: usize) -> Login {
        Login::of(&format!("nobody-{tag}-{i}@example.com"))
    }

    fn client_ip(mut self, ip: &str) -> Login {
        self.client_ip = Some(ip.into());
        self
    }

    fn forwarded_for(mut self, chain: &str) -> Login {
        self.forwarded_for = Some(chain.into());
        self
    }

    fn bearer(mut self, token: &str) -> Login {
        self.bearer = Some(token.into());
        self
    }
}

impl Server {
    /// Sends the login; returns the field's value or its error code.
    async fn login(&self, http: &reqwest::Client, l: Login) -> Result<Value, i64> {
        let key = self.core.password_public_key_pem().await.unwrap();
        let password = TransportKey::encrypt_like_sdk(key, PASSWORD).unwrap();
        let mut input = json!({ "email": l.email, "password": password });
        if let Some(ip) = l.client_ip {
            input["clientIp"] = json!(ip);
        }
        let mut req = http
            .post(format!("{}/graphql/v2", self.url))
            .header("x-authing-app-id", &self.app_id)
            .json(&json!({ "query": LOGIN, "variables": { "input": input } }));
        if let Some(chain) = l.forwarded_for {
            req = req.header("x-forwarded-for", chain);
        }
        if let Some(token) = l.bearer {
            req = req.bearer_auth(token);
        }
        let body: Value = req.send().await.unwrap().json().await.unwrap();
        match body["errors"][0]["message"]["code"].as_i64() {
            Some(code) => Err(code),
            None => Ok(body["data"]["loginByEmail"].clone()),
        }
    }

    /// Registers `user-<i>@example.com` stating `client_ip`; returns the error code if any.
    async fn register(&self, http: &reqwest::Client, i: usize, client_ip: &str) -> Result<(), i64> {
        let key = self.core.password_public_key_pem().await.unwrap();
        let password = TransportKey::encrypt_like_sdk(key, PASSWORD).unwrap();
        let input = json!({
            "email": format!("user-{i}@example.com"),
            "password": password,
            "clientIp": client_ip,
        });
        let body: Value = http
            .post(format!("{}/graphql/v2", self.url))
            .header("x-authing-app-id", &self.app_id)
            .json(&json!({ "query": REGISTER, "variables": { "input": input } }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        match body["errors"][0]["message"]["code"].as_i64() {
            Some(code) => Err(code),
            None => Ok(()),
        }
    }

    /// Logs Ann in and returns her `lastIP`, as the login answered it and as it is stored.
    async fn last_ip(&self, http: &reqwest::Client, l: Login, user_id: &str) -> String {
        let answered = self.login(http, l).await.expect("login succeeds");
        let stored = self.core.user_by_id(&self.pool_id, user_id).await.unwrap();
        assert_eq!(answered["lastIP"].as_str(), stored.login.last_ip.as_deref());
        stored.login.last_ip.unwrap_or_default()
    }

    /// Failed logins, each for another unknown account, up to [`ADDRESS_LIMIT`]: only the
    /// client address they are counted under can trip the failure check afterwards.
    async fn fail_to_the_address_limit(
        &self,
        http: &reqwest::Client,
        login: impl Fn(usize) -> Login,
    ) {
        for i in 0..ADDRESS_LIMIT {
            let code = self.login(http, login(i)).await.unwrap_err();
            assert_ne!(code, CAPTCHA_REQUIRED, "attempt {i} is not limited yet");
        }
    }
}

const ANN: &str = "ann@example.com";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_caller_cannot_pick_its_address() {
    let dir = tempfile::tempdir().unwrap();
    // 127.0.0.1 is a trusted proxy; this caller comes from 127.0.0.2.
    let (s, ann) = start(dir.path(), &["127.0.0.1"]).await;
    let direct = client("127.0.0.2");

    // Recorded under the socket peer, whatever clientIp and X-Forwarded-For say.
    let l = Login::of(ANN).client_ip("1.2.3.4").forwarded_for("5.6.7.8");
    assert_eq!(s.last_ip(&direct, l, &ann).await, "127.0.0.2");

    // Counted under the peer too: failures that each claim another address add up.
    s.fail_to_the_address_limit(&direct, |i| {
        Login::unknown("anon", i)
            .client_ip(&format!("10.9.8.{i}"))
            .forwarded_for(&format!("10.7.6.{i}"))
    })
    .await;
    let fourth = Login::unknown("anon", 100).client_ip("10.9.8.99");
    assert_eq!(
        s.login(&direct, fourth).await.unwrap_err(),
        CAPTCHA_REQUIRED
    );

    // An end user's own token does not let it speak for others either.
    let pool = s.core.pool(&s.pool_id).await.unwrap();
    let user = s.core.user_by_id(&s.pool_id, &ann).await.unwrap();
    let token = s.core.issue_user_token(&pool, None, &user).await.unwrap();
    let l = Login::of(ANN).client_ip("1.2.3.4").bearer(&token.token);
    assert_eq!(s.last_ip(&client("127.0.0.3"), l, &ann).await, "127.0.0.3");
}

/// `frequentRegisterCheck` (2 per address here): registrations that each state another
/// `clientIp` still add up for an anonymous caller; a trusted proxy's backend speaks for
/// its users.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anonymous_caller_cannot_spread_its_registrations() {
    let dir = tempfile::tempdir().unwrap();
    let (s, _) = start(dir.path(), &["127.0.0.1"]).await;
    let direct = client("127.0.0.2");
    for i in 0..2 {
        s.register(&direct, i, &format!("10.1.1.{i}"))
            .await
            .unwrap();
    }
    assert_eq!(s.register(&direct, 2, "10.1.1.2").await, Err(2100));
    let proxy = client("127.0.0.1");
    s.register(&proxy, 3, "10.1.1.3").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_proxy_reports_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let (s, ann) = start(dir.path(), &["127.0.0.1", "10.0.0.0/8"]).await;
    let proxy = client("127.0.0.1");

    // The chain is read from the right: our inner proxy (10.0.0.2) is skipped, what the
    // client prepended (6.6.6.6) is never reached.
    let l = Login::of(ANN).forwarded_for("6.6.6.6, 203.0.113.7, 10.0.0.2");
    assert_eq!(s.last_ip(&proxy, l, &ann).await, "203.0.113.7");
    // A backend behind the proxy states its end user's address.
    let l = Login::of(ANN)
        .forwarded_for("203.0.113.7")
        .client_ip("2001:db8::42");
    assert_eq!(s.last_ip(&proxy, l, &ann).await, "2001:db8::42");
    // An unreadable chain falls back to the proxy itself.
    let l = Login::of(ANN).forwarded_for("203.0.113.7, not-an-address");
    assert_eq!(s.last_ip(&proxy, l, &ann).await, "127.0.0.1");

    // Failures count per reported client: one client's failures do not limit another.
    s.fail_to_the_address_limit(&proxy, |i| {
        Login::unknown("proxied", i).forwarded_for("198.51.100.1")
    })
    .await;
    let other = Login::unknown("proxied", 100).forwarded_for("198.51.100.2");
    assert_ne!(s.login(&proxy, other).await.unwrap_err(), CAPTCHA_REQUIRED);
    let same = Login::unknown("proxied", 101).forwarded_for("198.51.100.1");
    assert_eq!(s.login(&proxy, same).await.unwrap_err(), CAPTCHA_REQUIRED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_administrator_states_its_users_address() {
    let dir = tempfile::tempdir().unwrap();
    let (s, ann) = start(dir.path(), &[]).await;
    let backend = client("127.0.0.1");
    let mgmt = s
        .core
        .issue_management_token(&s.pool_id, &s.pool_secret)
        .await
        .unwrap()
        .token;

    let l = Login::of(ANN).client_ip("198.51.100.77").bearer(&mgmt);
    assert_eq!(s.last_ip(&backend, l, &ann).await, "198.51.100.77");
    // Without the token the same request is anonymous.
    let l = Login::of(ANN).client_ip("198.51.100.77");
    assert_eq!(s.last_ip(&backend, l, &ann).await, "127.0.0.1");
    // Another pool's administrator speaks for nobody here.
    let other = s.core.create_pool("other").await.unwrap();
    let theirs = s
        .core
        .issue_management_token(&other.user_pool_id, &other.secret)
        .await
        .unwrap()
        .token;
    let l = Login::of(ANN).client_ip("198.51.100.77").bearer(&theirs);
    assert_eq!(s.last_ip(&backend, l, &ann).await, "127.0.0.1");
    // A token that claims to be a management token without our signature is nobody: its
    // claims are never taken as facts.
    let (signed, _) = mgmt.rsplit_once('.').unwrap();
    let forged = format!("{signed}.AAAA");
    let l = Login::of(ANN).client_ip("198.51.100.77").bearer(&forged);
    assert_eq!(s.last_ip(&backend, l, &ann).await, "127.0.0.1");

    // Failures a backend reports for different end users are counted apart.
    s.fail_to_the_address_limit(&backend, |i| {
        Login::unknown("backend", i)
            .client_ip("192.0.2.1")
            .bearer(&mgmt)
    })
    .await;
    let other_user = Login::unknown("backend", 100)
        .client_ip("192.0.2.2")
        .bearer(&mgmt);
    assert_ne!(
        s.login(&backend, other_user).await.unwrap_err(),
        CAPTCHA_REQUIRED
    );
    let same_user = Login::unknown("backend", 101)
        .client_ip("192.0.2.1")
        .bearer(&mgmt);
    assert_eq!(
        s.login(&backend, same_user).await.unwrap_err(),
        CAPTCHA_REQUIRED
    );
}
