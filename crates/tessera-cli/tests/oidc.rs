//! The OpenID Provider over real HTTP, on SQLite and PostgreSQL: discovery, the hosted
//! login and consent, the code flow with PKCE, SSO to a second request, refresh rotation
//! with reuse detection, userinfo in every place, introspection, revocation, client
//! credentials (application and access key), logout, and the refusals the RFCs name.

#[path = "../../tessera-store/tests/common/mod.rs"]
mod dbs;

use std::sync::Arc;

use base64::Engine;
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE, WWW_AUTHENTICATE};
use reqwest::redirect::Policy;
use serde_json::Value;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::{Application, OidcSettings};
use tessera_core::notify::Outbox;
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig};
use tessera_server::{AppState, ServerOptions};

const PASSWORD: &str = "Correct-Horse-9";
const ANN: &str = "ann@example.com";
const CB: &str = "https://rp.example/cb";
const BYE: &str = "https://rp.example/bye";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct Rp {
    url: String,
    http: reqwest::Client,
    core: Arc<Core>,
    store: Arc<dyn Store>,
    app: Application,
    pool_id: String,
    access_key: (String, String),
    pool_secret: String,
    outbox: Arc<Outbox>,
    _dir: tempfile::TempDir,
}

async fn start(db: &dbs::TestDb) -> Rp {
    start_framed(db, None).await
}

/// [`start`] with the hosted pages' `frame-ancestors` configured.
async fn start_framed(db: &dbs::TestDb, frame_ancestors: Option<&str>) -> Rp {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let store: Arc<dyn Store> = db.open().await;
    let outbox = Arc::new(Outbox::default());
    let core = Arc::new(
        Core::open(
            Arc::clone(&store),
            CoreConfig {
                public_url: url.clone(),
                hash_params: HashParams::default(),
            },
            outbox.clone(),
        )
        .await
        .unwrap(),
    );
    let creds = core.create_pool("oidc").await.unwrap();
    let pool = core.pool(&creds.user_pool_id).await.unwrap();
    let now = tessera_core::clock::now_ms();
    let app = Application {
        id: tessera_core::ids::new_id(),
        pool_id: pool.id.clone(),
        name: "Relying party".into(),
        identifier: "rp".into(),
        description: None,
        logo: None,
        secret: tessera_core::ids::new_secret(16),
        oidc: OidcSettings {
            redirect_uris: vec![CB.into()],
            post_logout_redirect_uris: vec![BYE.into()],
            grant_types: vec![
                "authorization_code".into(),
                "refresh_token".into(),
                "client_credentials".into(),
                "password".into(),
                "urn:ietf:params:oauth:grant-type:device_code".into(),
            ],
            response_types: vec![
                "code".into(),
                "code id_token".into(),
                "id_token token".into(),
            ],
            ..OidcSettings::default()
        },
        created_at: now,
        updated_at: now,
    };
    store.insert_app(&app).await.unwrap();
    core.create_user(
        &pool,
        NewUser {
            email: Some(ANN.into()),
            password: Some(PASSWORD.into()),
            ..NewUser::default()
        },
        CreatedBy::Admin,
    )
    .await
    .unwrap();
    tokio::spawn(tessera_server::serve(
        listener,
        AppState::new(Arc::clone(&core), {
            let mut o = ServerOptions::new(dir.path().join("up"));
            o.frame_ancestors = frame_ancestors.map(str::to_owned);
            o
        }),
        std::future::pending(),
    ));
    Rp {
        url,
        http: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap(),
        core,
        store,
        app,
        pool_id: pool.id,
        access_key: (creds.access_key_id, creds.access_key_secret),
        pool_secret: creds.secret,
        outbox,
        _dir: dir,
    }
}

/// A browser's cookie jar, by hand: name → value.
#[derive(Default, Clone)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn take(&mut self, h: &HeaderMap) {
        for v in h.get_all(SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (kv, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').unwrap();
            self.0.retain(|(n, _)| n != k);
            if !attrs.contains("Max-Age=0") {
                self.0.push((k.to_owned(), val.to_owned()));
            }
            assert!(
                attrs.contains("HttpOnly") && attrs.contains("SameSite=Lax"),
                "{v}"
            );
        }
    }
    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn query_of(uri: &str) -> Vec<(String, String)> {
    let q = uri.split_once(['?', '#']).map(|(_, q)| q).unwrap_or("");
    serde_urlencoded::from_str(q).unwrap()
}

fn param(pairs: &[(String, String)], k: &str) -> Option<String> {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\"").expect("a csrf input");
    let rest = &html[at..];
    let v = rest.find("value=\"").unwrap() + 7;
    rest[v..v + rest[v..].find('"').unwrap()].to_owned()
}

fn claims(jwt: &str) -> Value {
    let p = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p)
            .unwrap(),
    )
    .unwrap()
}

impl Rp {
    fn auth_url(&self, extra: &[(&str, &str)]) -> String {
        let mut q = vec![
            ("client_id", self.app.id.as_str()),
            ("redirect_uri", CB),
            ("response_type", "code"),
            ("scope", "openid profile email offline_access"),
            ("state", "st-1"),
            ("nonce", "n-1"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ];
        for (k, v) in extra {
            q.retain(|(n, _)| n != k);
            q.push((k, v));
        }
        format!(
            "{}/oidc/auth?{}",
            self.url,
            serde_urlencoded::to_string(&q).unwrap()
        )
    }

    async fn get(&self, url: &str, jar: &mut Jar) -> reqwest::Response {
        let url = if url.starts_with('/') {
            format!("{}{url}", self.url)
        } else {
            url.to_owned()
        };
        let r = self
            .http
            .get(url)
            .header(COOKIE, jar.header())
            .send()
            .await
            .unwrap();
        jar.take(r.headers());
        r
    }

    async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        jar: &mut Jar,
    ) -> reqwest::Response {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .header(COOKIE, jar.header())
            .form(form)
            .send()
            .await
            .unwrap();
        jar.take(r.headers());
        r
    }

    async fn token(&self, form: &[(&str, &str)]) -> (u16, Value) {
        let mut f = form.to_vec();
        f.push(("client_id", &self.app.id));
        f.push(("client_secret", &self.app.secret));
        let r = self
            .http
            .post(format!("{}/oidc/token", self.url))
            .form(&f)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert_eq!(r.headers()["cache-control"], "no-store");
        (status, r.json().await.unwrap())
    }

    async fn userinfo(&self, at: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}/oidc/me", self.url))
            .bearer_auth(at)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// The whole browser flow to a code: login page, login, consent when asked.
    async fn code_flow(&self, jar: &mut Jar, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let r = self.get(&self.auth_url(extra), jar).await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
        let mut next = location(&r);
        for _ in 0..4 {
            if next.starts_with(CB) {
                return query_of(&next);
            }
            let page = self.get(&next, jar).await;
            if page.status() == 303 {
                next = location(&page);
                continue;
            }
            assert_eq!(page.status(), 200);
            let html = page.text().await.unwrap();
            let csrf = csrf_of(&html);
            let r = if html.contains("name=\"password\"") {
                self.post_form(
                    &format!("{next}/login"),
                    &[
                        ("csrf", &csrf),
                        ("mode", "password"),
                        ("account", ANN),
                        ("password", PASSWORD),
                    ],
                    jar,
                )
                .await
            } else {
                assert!(html.contains("name=\"decision\""), "{html}");
                self.post_form(
                    &format!("{next}/confirm"),
                    &[("csrf", &csrf), ("decision", "allow")],
                    jar,
                )
                .await
            };
            if r.status() == 303 {
                next = location(&r);
                continue;
            }
            // A page in answer to a post: the consent page after the login.
            assert_eq!(r.status(), 200);
            let html = r.text().await.unwrap();
            let csrf = csrf_of(&html);
            let r = self
                .post_form(
                    &format!("{next}/confirm"),
                    &[("csrf", &csrf), ("decision", "allow")],
                    jar,
                )
                .await;
            assert_eq!(r.status(), 303);
            next = location(&r);
        }
        panic!("no code after four steps: {next}");
    }
}

async fn provider_end_to_end(db: &dbs::TestDb) {
    let rp = start(db).await;
    let http = &rp.http;

    // Discovery names this server's endpoints.
    let d: Value = http
        .get(format!("{}/oidc/.well-known/openid-configuration", rp.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["issuer"], format!("{}/oidc", rp.url));
    assert_eq!(d["token_endpoint"], format!("{}/oidc/token", rp.url));
    let jwks: Value = http
        .get(d["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert!(keys.iter().any(|k| k["kty"] == "RSA"));
    assert!(
        keys.iter().any(|k| k["kty"] == "EC" && k["crv"] == "P-256"),
        "the ES256 key is published: {jwks}"
    );

    // Unknown client and unregistered redirect: the error page, never a redirect.
    let mut jar = Jar::default();
    for url in [
        rp.auth_url(&[("client_id", "nope")]),
        rp.auth_url(&[("redirect_uri", "https://evil.example/cb")]),
    ] {
        let r = rp.get(&url, &mut jar).await;
        assert_eq!(r.status(), 400);
        assert!(r.headers().get(LOCATION).is_none());
        assert!(r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'"));
    }
    // A valid client with a bad request: told at its redirect URI, with the state.
    let r = rp
        .get(&rp.auth_url(&[("response_type", "token")]), &mut jar)
        .await;
    let q = query_of(&location(&r));
    assert!(location(&r).starts_with(CB));
    assert_eq!(param(&q, "error").as_deref(), Some("unauthorized_client"));
    assert_eq!(param(&q, "state").as_deref(), Some("st-1"));
    let r = rp
        .get(
            &rp.auth_url(&[("code_challenge_method", "plain")]),
            &mut jar,
        )
        .await;
    assert_eq!(
        param(&query_of(&location(&r)), "error").as_deref(),
        Some("invalid_request")
    );
    // prompt=none without a session: login_required.
    let r = rp.get(&rp.auth_url(&[("prompt", "none")]), &mut jar).await;
    assert_eq!(
        param(&query_of(&location(&r)), "error").as_deref(),
        Some("login_required")
    );

    // The login page: a wrong password is shown there, counted, and nothing is issued.
    let r = rp.get(&rp.auth_url(&[]), &mut jar).await;
    let page = location(&r);
    assert!(page.starts_with("/interaction/oidc/"), "{page}");
    let html = rp.get(&page, &mut jar).await.text().await.unwrap();
    assert!(html.contains("autocomplete=\"current-password\""));
    let csrf = csrf_of(&html);
    let bad = rp
        .post_form(
            &format!("{page}/login"),
            &[
                ("csrf", &csrf),
                ("mode", "password"),
                ("account", ANN),
                ("password", "wrong-Pass-1"),
            ],
            &mut jar,
        )
        .await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("role=\"alert\""));
    // A form without its csrf, or from another browser (no interaction cookie), is refused.
    let forged = rp
        .post_form(
            &format!("{page}/login"),
            &[
                ("mode", "password"),
                ("account", ANN),
                ("password", PASSWORD),
            ],
            &mut jar,
        )
        .await;
    assert_eq!(forged.status(), 400);
    assert!(forged.headers().get(SET_COOKIE).is_none());
    let mut other = Jar::default();
    let r = rp
        .post_form(
            &format!("{page}/login"),
            &[
                ("csrf", &csrf),
                ("mode", "password"),
                ("account", ANN),
                ("password", PASSWORD),
            ],
            &mut other,
        )
        .await;
    assert_eq!(r.status(), 400);

    // The whole flow: login, consent, code.
    let mut jar = Jar::default();
    let q = rp.code_flow(&mut jar, &[]).await;
    assert_eq!(param(&q, "state").as_deref(), Some("st-1"));
    let code = param(&q, "code").unwrap();
    assert!(jar
        .0
        .iter()
        .any(|(k, _)| k == &format!("tsso_{}", rp.pool_id)));

    // Wrong verifier, then the right one.
    let (s, e) = rp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", "x".repeat(43).as_str()),
        ])
        .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
    // That attempt spent the code: the right verifier now finds it used, and the grant is
    // revoked. A new flow (silent: the SSO session and the consent are remembered).
    let (s, e) = rp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
    let r = rp.get(&rp.auth_url(&[]), &mut jar).await;
    let q = query_of(&location(&r));
    let code = param(&q, "code").expect("silent SSO gives a code at once");
    let (s, set) = rp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!(s, 200, "{set}");
    let at = set["access_token"].as_str().unwrap().to_owned();
    let rt = set["refresh_token"].as_str().unwrap().to_owned();
    let id = claims(set["id_token"].as_str().unwrap());
    assert_eq!(id["nonce"], "n-1");
    assert_eq!(id["email"], ANN);
    assert_eq!(id["aud"], rp.app.id.as_str());
    assert_eq!(id["amr"], serde_json::json!(["pwd"]));
    assert_eq!(
        id["at_hash"],
        tessera_core::crypto::half_sha256_b64url(&at).as_str()
    );
    assert!(id["auth_time"].as_i64().unwrap() > 0 && id["sid"].is_string());

    // The code is single use: a replay is refused and revokes what it issued.
    let (s, e) = rp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(rp.userinfo(&at).await.0, 401);
    let (s, _) = rp
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &rt)])
        .await;
    assert_eq!(
        s, 400,
        "the replayed code's refresh token died with its grant"
    );

    // prompt=consent asks again although consent is remembered, once: answering it ends
    // the request with a code.
    let q = rp.code_flow(&mut jar, &[("prompt", "consent")]).await;
    assert!(param(&q, "code").is_some());

    // A fresh grant: userinfo in every place the SDK puts the token.
    let q = query_of(&location(&rp.get(&rp.auth_url(&[]), &mut jar).await));
    let (_, set) = rp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &param(&q, "code").unwrap()),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ])
        .await;
    let at = set["access_token"].as_str().unwrap().to_owned();
    let rt = set["refresh_token"].as_str().unwrap().to_owned();
    let (s, me) = rp.userinfo(&at).await;
    assert_eq!((s, me["email"].as_str()), (200, Some(ANN)));
    let me2: Value = http
        .get(format!("{}/oidc/me?access_token={at}", rp.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let me3: Value = http
        .post(format!("{}/oidc/me", rp.url))
        .form(&[("access_token", &at)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me, me2);
    assert_eq!(me, me3);

    // Refresh rotation; the old refresh token replayed ends the family.
    let (s, set2) = rp
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &rt)])
        .await;
    assert_eq!(s, 200, "{set2}");
    let rt2 = set2["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rt, rt2);
    let (s, e) = rp
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &rt)])
        .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));
    let (s, _) = rp
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &rt2)])
        .await;
    assert_eq!(s, 400, "reuse revoked the whole family");
    assert_eq!(
        rp.userinfo(set2["access_token"].as_str().unwrap()).await.0,
        401
    );

    // Introspection and revocation of a live token.
    let q = query_of(&location(&rp.get(&rp.auth_url(&[]), &mut jar).await));
    let (_, set) = rp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &param(&q, "code").unwrap()),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ])
        .await;
    let at = set["access_token"].as_str().unwrap().to_owned();
    let intro = |token: String| {
        let rp = &rp;
        async move {
            rp.http
                .post(format!("{}/oidc/token/introspection", rp.url))
                .basic_auth(&rp.app.id, Some(&rp.app.secret))
                .form(&[("token", token)])
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let i = intro(at.clone()).await;
    assert_eq!(i["active"], true);
    assert_eq!(i["sub"], id["sub"]);
    assert_eq!(
        intro("garbage".into()).await,
        serde_json::json!({"active": false})
    );
    let r = http
        .post(format!("{}/oidc/token/revocation", rp.url))
        .form(&[
            ("token", at.as_str()),
            ("client_id", &rp.app.id),
            ("client_secret", &rp.app.secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(intro(at.clone()).await["active"], false);
    let (s, _) = rp.userinfo(&at).await;
    assert_eq!(s, 401);

    // Client authentication failures: 401 invalid_client with a challenge.
    let r = http
        .post(format!("{}/oidc/token", rp.url))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &rp.app.id),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get(WWW_AUTHENTICATE).is_some());
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    let r = http
        .post(format!("{}/oidc/token", rp.url))
        .form(&[
            ("grant_type", "magic"),
            ("client_id", &rp.app.id),
            ("client_secret", &rp.app.secret),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
    let big = "x".repeat(1 << 20);
    let r = reqwest::Client::new()
        .post(format!("{}/oidc/token", rp.url))
        .form(&[("grant_type", "authorization_code"), ("code", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");

    // Client credentials: the application's secret, and the pool's access key.
    let (s, cc) = rp
        .token(&[
            ("grant_type", "client_credentials"),
            ("scope", "read:books"),
        ])
        .await;
    assert_eq!(s, 200, "{cc}");
    assert_eq!(
        claims(cc["access_token"].as_str().unwrap())["sub"],
        rp.app.id.as_str()
    );
    assert!(cc.get("refresh_token").is_none() && cc.get("id_token").is_none());
    let r = http
        .post(format!("{}/oidc/token", rp.url))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &rp.access_key.0),
            ("client_secret", &rp.access_key.1),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Password grant through the one core login.
    let (s, set) = rp
        .token(&[
            ("grant_type", "password"),
            ("username", ANN),
            ("password", PASSWORD),
            ("scope", "openid email"),
        ])
        .await;
    assert_eq!(s, 200, "{set}");
    let (s, e) = rp
        .token(&[
            ("grant_type", "password"),
            ("username", ANN),
            ("password", "nope-Nope-1"),
        ])
        .await;
    assert_eq!((s, e["error"].as_str()), (400, Some("invalid_grant")));

    // RP-initiated logout with a hint: back to the registered URI with the state, the SSO
    // session over (prompt=none now needs a login).
    let hint = set["id_token"].as_str().unwrap();
    let q = query_of(&location(&rp.get(&rp.auth_url(&[]), &mut jar).await));
    let (_, set) = rp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &param(&q, "code").unwrap()),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ])
        .await;
    let browser_hint = set["id_token"].as_str().unwrap().to_owned();
    let _ = hint;
    let bad = rp
        .get(
            &format!(
                "/oidc/session/end?{}",
                serde_urlencoded::to_string([
                    ("id_token_hint", browser_hint.as_str()),
                    ("post_logout_redirect_uri", "https://evil.example/")
                ])
                .unwrap()
            ),
            &mut jar,
        )
        .await;
    assert_eq!(bad.status(), 400);
    let r = rp
        .get(
            &format!(
                "/oidc/session/end?{}",
                serde_urlencoded::to_string([
                    ("id_token_hint", browser_hint.as_str()),
                    ("post_logout_redirect_uri", BYE),
                    ("state", "bye-1")
                ])
                .unwrap()
            ),
            &mut jar,
        )
        .await;
    assert_eq!(location(&r), format!("{BYE}?state=bye-1"));
    let r = rp.get(&rp.auth_url(&[("prompt", "none")]), &mut jar).await;
    assert_eq!(
        param(&query_of(&location(&r)), "error").as_deref(),
        Some("login_required")
    );
    // Logout revoked the session's grants (not offline ones: this one asked offline_access,
    // so its refresh token still works, as OIDC Core §11 intends).
    let (s, _) = rp
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", set["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(s, 200);

    // A blocked user's SSO session stops counting at once.
    let mut jar = Jar::default();
    rp.code_flow(&mut jar, &[]).await;
    let pool = rp.core.pool(&rp.pool_id).await.unwrap();
    let ann = rp
        .store
        .find_user(&pool.id, tessera_core::store::UserLookup::Email(ANN))
        .await
        .unwrap()
        .unwrap();
    let admin = rp
        .core
        .pool_admin_by_secret(&pool.id, &rp.pool_secret)
        .await
        .unwrap();
    rp.core
        .end_user_sessions(&admin, std::slice::from_ref(&ann.id))
        .await
        .unwrap();
    let r = rp.get(&rp.auth_url(&[("prompt", "none")]), &mut jar).await;
    assert_eq!(
        param(&query_of(&location(&r)), "error").as_deref(),
        Some("login_required")
    );

    // The landing page links to the pool's application.
    let home = http.get(&rp.url).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let home = home.text().await.unwrap();
    assert!(
        home.contains("Relying party") && home.contains("/oidc/auth?"),
        "{home}"
    );
}

/// The hosted registration and password reset, and the device flow (RFC 8628).
async fn hosted_accounts_and_devices(db: &dbs::TestDb) {
    let rp = start(db).await;
    let html_of = |r: reqwest::Response| async move { r.text().await.unwrap() };

    // Registration from the login page: the new user is logged in and the request goes on.
    let mut jar = Jar::default();
    let page = location(&rp.get(&rp.auth_url(&[]), &mut jar).await);
    let login = html_of(rp.get(&page, &mut jar).await).await;
    assert!(
        login.contains(&format!("{page}/register")),
        "a registration link"
    );
    let reg = html_of(rp.get(&format!("{page}/register"), &mut jar).await).await;
    assert!(reg.contains("autocomplete=\"new-password\""));
    let csrf = csrf_of(&reg);
    let bob = "bob@example.com";
    let r = rp
        .post_form(
            &format!("{page}/register"),
            &[
                ("csrf", &csrf),
                ("email", bob),
                ("password", PASSWORD),
                ("password2", "other-Pass-2"),
            ],
            &mut jar,
        )
        .await;
    assert_eq!(r.status(), 400, "passwords that differ");
    let r = rp
        .post_form(
            &format!("{page}/register"),
            &[
                ("csrf", &csrf),
                ("email", bob),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
            &mut jar,
        )
        .await;
    assert_eq!(r.status(), 200);
    let consent = r.text().await.unwrap();
    assert!(consent.contains("name=\"decision\""), "{consent}");
    let r = rp
        .post_form(
            &format!("{page}/confirm"),
            &[("csrf", &csrf_of(&consent)), ("decision", "allow")],
            &mut jar,
        )
        .await;
    assert!(param(&query_of(&location(&r)), "code").is_some());

    // Password reset by an emailed code, then a login with the new password.
    let mut jar = Jar::default();
    let page = location(&rp.get(&rp.auth_url(&[]), &mut jar).await);
    let reset = html_of(rp.get(&format!("{page}/reset"), &mut jar).await).await;
    let csrf = csrf_of(&reset);
    let r = rp
        .post_form(
            &format!("{page}/reset/send"),
            &[("csrf", &csrf), ("account", bob)],
            &mut jar,
        )
        .await;
    assert_eq!(r.status(), 200);
    let code = rp
        .outbox
        .emails
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m.to == bob)
        .map(|m| m.code.clone())
        .expect("a reset code was sent");
    let new_password = "Another-Horse-7";
    let r = rp
        .post_form(
            &format!("{page}/reset"),
            &[
                ("csrf", &csrf),
                ("account", bob),
                ("code", "000000"),
                ("password", new_password),
            ],
            &mut jar,
        )
        .await;
    assert_eq!(r.status(), 400, "a wrong code");
    let r = rp
        .post_form(
            &format!("{page}/reset"),
            &[
                ("csrf", &csrf),
                ("account", bob),
                ("code", &code),
                ("password", new_password),
            ],
            &mut jar,
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = rp
        .post_form(
            &format!("{page}/login"),
            &[
                ("csrf", &csrf),
                ("mode", "password"),
                ("account", bob),
                ("password", new_password),
            ],
            &mut jar,
        )
        .await;
    // Bob consented when he registered: logged in, he goes straight back with a code.
    assert_eq!(r.status(), 303, "logged in with the new password");
    assert!(param(&query_of(&location(&r)), "code").is_some());

    // The device flow.
    let device: Value = rp
        .http
        .post(format!("{}/oidc/device/auth", rp.url))
        .form(&[
            ("client_id", rp.app.id.as_str()),
            ("client_secret", &rp.app.secret),
            ("scope", "openid email"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let device_code = device["device_code"].as_str().unwrap().to_owned();
    let user_code = device["user_code"].as_str().unwrap().to_owned();
    assert_eq!(
        device["verification_uri"],
        format!("{}/oidc/device", rp.url)
    );
    let poll_form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code.as_str()),
    ];
    let poll = || rp.token(&poll_form);
    assert_eq!(poll().await.1["error"], "authorization_pending");
    assert_eq!(poll().await.1["error"], "slow_down");
    let mut jar = Jar::default();
    let entry = html_of(rp.get("/oidc/device", &mut jar).await).await;
    let csrf = csrf_of(&entry);
    let r = rp
        .post_form(
            "/oidc/device",
            &[("csrf", &csrf), ("user_code", "BCDF-GHJK")],
            &mut jar,
        )
        .await;
    assert_eq!(r.status(), 400, "an unknown code");
    let r = rp
        .post_form(
            "/oidc/device",
            &[("csrf", "forged"), ("user_code", &user_code)],
            &mut jar,
        )
        .await;
    assert_eq!(r.status(), 400, "a forged form");
    let typed = user_code.to_lowercase().replace('-', " ");
    let login = rp
        .post_form(
            "/oidc/device",
            &[("csrf", &csrf), ("user_code", &typed)],
            &mut jar,
        )
        .await;
    assert!(login.text().await.unwrap().contains("name=\"password\""));
    let q = serde_urlencoded::to_string([("user_code", typed.as_str())]).unwrap();
    let approve = rp
        .post_form(
            &format!("/oidc/device?{q}"),
            &[
                ("csrf", &csrf),
                ("mode", "password"),
                ("account", ANN),
                ("password", PASSWORD),
            ],
            &mut jar,
        )
        .await;
    assert!(approve.text().await.unwrap().contains("value=\"allow\""));
    let done = rp
        .post_form(
            &format!("/oidc/device?{q}"),
            &[("csrf", &csrf), ("decision", "allow")],
            &mut jar,
        )
        .await;
    assert_eq!(done.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(5_100)).await;
    let (s, set) = poll().await;
    assert_eq!(s, 200, "{set}");
    assert_eq!(claims(set["id_token"].as_str().unwrap())["email"], ANN);
    tokio::time::sleep(std::time::Duration::from_millis(5_100)).await;
    assert_eq!(
        poll().await.1["error"],
        "invalid_grant",
        "a device code is spent once"
    );

    // Guessing user codes is bounded per address: after 20 wrong entries in the window even
    // a live code is refused from there.
    let fresh: Value = rp
        .http
        .post(format!("{}/oidc/device/auth", rp.url))
        .form(&[
            ("client_id", rp.app.id.as_str()),
            ("client_secret", &rp.app.secret),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for _ in 0..19 {
        let r = rp
            .post_form(
                "/oidc/device",
                &[("csrf", &csrf), ("user_code", "BCDF-GHJK")],
                &mut jar,
            )
            .await;
        assert_eq!(r.status(), 400);
    }
    let r = rp
        .post_form(
            "/oidc/device",
            &[
                ("csrf", &csrf),
                ("user_code", fresh["user_code"].as_str().unwrap()),
            ],
            &mut jar,
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("too many wrong codes"));
}

/// One login through the hosted page of a fresh browser: the answer to the login POST.
async fn login_once(
    rp: &Rp,
    jar: &mut Jar,
    auth: &str,
    account: &str,
    password: &str,
) -> reqwest::Response {
    let r = rp.get(auth, jar).await;
    let page = location(&r);
    assert!(
        page.starts_with("/interaction/oidc/"),
        "a login page, not {page}"
    );
    let html = rp.get(&page, jar).await.text().await.unwrap();
    rp.post_form(
        &format!("{page}/login"),
        &[
            ("csrf", &csrf_of(&html)),
            ("mode", "password"),
            ("account", account),
            ("password", password),
        ],
        jar,
    )
    .await
}

/// Every application setting and pool rule the provider obeys, each shown by its effect.
async fn settings_and_rules_take_effect(db: &dbs::TestDb) {
    use tessera_core::service::app_settings::OidcPatch;
    use tessera_core::service::apps_admin::AppUpdate;
    let rp = start(db).await;
    let admin = rp
        .core
        .pool_admin_by_secret(&rp.pool_id, &rp.pool_secret)
        .await
        .unwrap();
    let set = |patch: OidcPatch| {
        let (core, admin, id) = (rp.core.clone(), admin.clone(), rp.app.id.clone());
        async move {
            core.admin_update_app(
                &admin,
                &id,
                AppUpdate {
                    oidc: patch,
                    ..AppUpdate::default()
                },
            )
            .await
            .unwrap();
        }
    };

    // skip_consent, the lifetimes and HS256: no consent page; expires_in and the ID token's
    // life as configured; the ID token signed with the application's secret.
    set(OidcPatch {
        skip_consent: Some(true),
        access_token_lifetime: Some(120),
        id_token_lifetime: Some(300),
        id_token_signing_alg: Some("HS256".into()),
        ..OidcPatch::default()
    })
    .await;
    let mut jar = Jar::default();
    let r = login_once(&rp, &mut jar, &rp.auth_url(&[]), ANN, PASSWORD).await;
    assert_eq!(r.status(), 303, "no consent page");
    let q = query_of(&location(&r));
    let (s, set1) = rp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &param(&q, "code").unwrap()),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!(s, 200, "{set1}");
    assert_eq!(set1["expires_in"], 120);
    let id_token = set1["id_token"].as_str().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id_token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "HS256");
    let id = claims(id_token);
    assert_eq!(
        id["exp"].as_i64().unwrap() - id["iat"].as_i64().unwrap(),
        300
    );
    let v: Value = rp
        .http
        .get(format!(
            "{}/api/v2/oidc/validate_token?id_token={id_token}",
            rp.url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["sub"], id["sub"],
        "an HS256 ID token validates with the app's secret"
    );

    // prompt=login and max_age=0 ask for the password again despite the session.
    for extra in [("prompt", "login"), ("max_age", "0")] {
        let r = rp.get(&rp.auth_url(&[extra]), &mut jar).await;
        assert!(location(&r).starts_with("/interaction/oidc/"), "{extra:?}");
    }

    // The implicit flow (`id_token token`) answers in the fragment, at_hash binding the two.
    let r = rp
        .get(
            &rp.auth_url(&[("response_type", "id_token token")]),
            &mut jar,
        )
        .await;
    let loc = location(&r);
    assert!(loc.starts_with(&format!("{CB}#")), "{loc}");
    let q = query_of(&loc);
    let at = param(&q, "access_token").unwrap();
    assert_eq!(
        claims(&param(&q, "id_token").unwrap())["at_hash"],
        tessera_core::crypto::half_sha256_b64url(&at).as_str()
    );
    assert_eq!(rp.userinfo(&at).await.0, 200);

    // PKCE: required → a request without a challenge is refused; plain only when allowed.
    set(OidcPatch {
        require_pkce: Some(true),
        ..OidcPatch::default()
    })
    .await;
    let r = rp
        .get(
            &rp.auth_url(&[("code_challenge", ""), ("code_challenge_method", "")]),
            &mut jar,
        )
        .await;
    assert_eq!(
        param(&query_of(&location(&r)), "error").as_deref(),
        Some("invalid_request")
    );
    set(OidcPatch {
        allow_plain_pkce: Some(true),
        ..OidcPatch::default()
    })
    .await;
    let plain = "p".repeat(50);
    let r = rp
        .get(
            &rp.auth_url(&[
                ("code_challenge", &plain),
                ("code_challenge_method", "plain"),
            ]),
            &mut jar,
        )
        .await;
    let q = query_of(&location(&r));
    let (s, _) = rp
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &param(&q, "code").unwrap()),
            ("redirect_uri", CB),
            ("code_verifier", &plain),
        ])
        .await;
    assert_eq!(s, 200, "a plain challenge when the app allows it");

    // A public client (auth method none): PKCE always, no secret at the token endpoint, no
    // client credentials.
    set(OidcPatch {
        token_endpoint_auth_method: Some("none".into()),
        require_pkce: Some(false),
        ..OidcPatch::default()
    })
    .await;
    let r = rp
        .get(
            &rp.auth_url(&[("code_challenge", ""), ("code_challenge_method", "")]),
            &mut jar,
        )
        .await;
    assert_eq!(
        param(&query_of(&location(&r)), "error").as_deref(),
        Some("invalid_request")
    );
    let q = query_of(&location(&rp.get(&rp.auth_url(&[]), &mut jar).await));
    let public_token = |form: Vec<(&'static str, String)>| {
        let rp = &rp;
        async move {
            let mut f = form;
            f.push(("client_id", rp.app.id.clone()));
            let r = rp
                .http
                .post(format!("{}/oidc/token", rp.url))
                .form(&f)
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, _) = public_token(vec![
        ("grant_type", "authorization_code".into()),
        ("code", param(&q, "code").unwrap()),
        ("redirect_uri", CB.into()),
        ("code_verifier", VERIFIER.into()),
    ])
    .await;
    assert_eq!(s, 200, "a public client redeems its code with PKCE alone");
    let (s, e) = public_token(vec![("grant_type", "client_credentials".into())]).await;
    assert_eq!((s, e["error"].as_str()), (400, Some("unauthorized_client")));
    set(OidcPatch {
        token_endpoint_auth_method: Some("client_secret_post".into()),
        skip_consent: Some(false),
        ..OidcPatch::default()
    })
    .await;

    // Pool rules at the hosted login. The captcha after repeated failures:
    let mut settings = rp.core.pool(&rp.pool_id).await.unwrap().settings;
    settings.login_fail_check.enabled = true;
    settings.login_fail_check.limit = 2;
    rp.core
        .update_pool_settings(&rp.pool_id, settings.clone())
        .await
        .unwrap();
    let mut jar = Jar::default();
    let mut last = String::new();
    for _ in 0..3 {
        let r = login_once(&rp, &mut jar, &rp.auth_url(&[]), ANN, "Wrong-pass-9").await;
        assert_eq!(r.status(), 400);
        last = r.text().await.unwrap();
    }
    assert!(
        last.contains("/api/v2/security/captcha"),
        "a captcha is demanded"
    );
    settings.login_fail_check.enabled = false;
    rp.core
        .update_pool_settings(&rp.pool_id, settings.clone())
        .await
        .unwrap();

    // The application's access policy, deny all: the login is refused on the page (the user
    // may try another account), and a browser already logged in is sent back to the client
    // with access_denied.
    let mut jar = Jar::default();
    rp.code_flow(&mut jar, &[]).await;
    rp.core
        .set_app_default_strategy(&admin, &rp.app.id, false)
        .await
        .unwrap();
    let r = login_once(&rp, &mut Jar::default(), &rp.auth_url(&[]), ANN, PASSWORD).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("role=\"alert\""));
    let r = rp.get(&rp.auth_url(&[]), &mut jar).await;
    assert_eq!(
        param(&query_of(&location(&r)), "error").as_deref(),
        Some("access_denied")
    );
    rp.core
        .set_app_default_strategy(&admin, &rp.app.id, true)
        .await
        .unwrap();

    // A blocked user: refused at the login page, and their SSO session no longer counts.
    let mut jar = Jar::default();
    rp.code_flow(&mut jar, &[]).await;
    let ann = rp
        .store
        .find_user(&rp.pool_id, tessera_core::store::UserLookup::Email(ANN))
        .await
        .unwrap()
        .unwrap();
    let mut blocked = serde_json::Map::new();
    blocked.insert("blocked".into(), Value::Bool(true));
    rp.core
        .admin_update_user(&admin, &ann.id, &blocked, None)
        .await
        .unwrap();
    let r = rp.get(&rp.auth_url(&[("prompt", "none")]), &mut jar).await;
    assert_eq!(
        param(&query_of(&location(&r)), "error").as_deref(),
        Some("login_required")
    );
    let r = login_once(&rp, &mut Jar::default(), &rp.auth_url(&[]), ANN, PASSWORD).await;
    assert_eq!(r.status(), 400, "a blocked user cannot log in");
    blocked.insert("blocked".into(), Value::Bool(false));
    rp.core
        .admin_update_user(&admin, &ann.id, &blocked, None)
        .await
        .unwrap();

    // Registration disabled: no link, and the page refuses.
    settings.register_disabled = true;
    rp.core
        .update_pool_settings(&rp.pool_id, settings.clone())
        .await
        .unwrap();
    let mut jar = Jar::default();
    let page = location(&rp.get(&rp.auth_url(&[]), &mut jar).await);
    let html = rp.get(&page, &mut jar).await.text().await.unwrap();
    assert!(!html.contains("/register"), "no registration link");
    assert_eq!(
        rp.get(&format!("{page}/register"), &mut jar).await.status(),
        400
    );

    // A logout that does not prove its client (no hint) asks the user first; confirming
    // (with the page's csrf) ends the session, staying keeps it.
    settings.register_disabled = false;
    rp.core
        .update_pool_settings(&rp.pool_id, settings.clone())
        .await
        .unwrap();
    let mut jar2 = Jar::default();
    rp.code_flow(&mut jar2, &[]).await;
    let ask = rp.get("/oidc/session/end", &mut jar2).await;
    assert_eq!(ask.status(), 200);
    let html = ask.text().await.unwrap();
    assert!(html.contains("value=\"logout\""), "{html}");
    let csrf = csrf_of(&html);
    let r = rp
        .post_form(
            "/oidc/session/end",
            &[("csrf", "forged"), ("decision", "logout")],
            &mut jar2,
        )
        .await;
    assert_eq!(r.status(), 200, "a forged confirmation asks again");
    let r = rp.get(&rp.auth_url(&[("prompt", "none")]), &mut jar2).await;
    assert!(
        param(&query_of(&location(&r)), "code").is_some(),
        "still logged in"
    );
    let r = rp
        .post_form(
            "/oidc/session/end",
            &[("csrf", &csrf), ("decision", "logout")],
            &mut jar2,
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = rp.get(&rp.auth_url(&[("prompt", "none")]), &mut jar2).await;
    assert_eq!(
        param(&query_of(&location(&r)), "error").as_deref(),
        Some("login_required")
    );

    // The SMS code login of the hosted page.
    let pool = rp.core.pool(&rp.pool_id).await.unwrap();
    rp.core
        .create_user(
            &pool,
            NewUser {
                phone: Some("13800138000".into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    let html = rp
        .get(&format!("{page}?mode=sms"), &mut jar)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("autocomplete=\"one-time-code\""));
    let csrf = csrf_of(&html);
    let sent = rp
        .post_form(
            &format!("{page}/send-code"),
            &[
                ("csrf", &csrf),
                ("channel", "sms"),
                ("phone", "13800138000"),
            ],
            &mut jar,
        )
        .await;
    assert_eq!(sent.status(), 200);
    let code = rp
        .outbox
        .sms
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|m| m.phone == "13800138000")
        .map(|m| m.code.clone())
        .expect("an SMS code");
    let r = rp
        .post_form(
            &format!("{page}/login"),
            &[
                ("csrf", &csrf),
                ("mode", "sms"),
                ("phone", "13800138000"),
                ("code", &code),
            ],
            &mut jar,
        )
        .await;
    let consent = r.text().await.unwrap();
    assert!(
        consent.contains("name=\"decision\""),
        "logged in by SMS code: {consent}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_and_rules_take_effect_sqlite() {
    let db = dbs::TestDb::sqlite().await;
    settings_and_rules_take_effect(&db).await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_and_rules_take_effect_postgres() {
    let db = dbs::TestDb::postgres().await;
    settings_and_rules_take_effect(&db).await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_accounts_and_devices_sqlite() {
    let db = dbs::TestDb::sqlite().await;
    hosted_accounts_and_devices(&db).await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosted_accounts_and_devices_postgres() {
    let db = dbs::TestDb::postgres().await;
    hosted_accounts_and_devices(&db).await;
    db.cleanup().await;
}

/// The pages refuse to be framed unless the deployment names who may frame them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frame_ancestors_are_configurable() {
    let db = dbs::TestDb::sqlite().await;
    let closed = start(&db).await;
    let r = closed.http.get(&closed.url).send().await.unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let db2 = dbs::TestDb::sqlite().await;
    let open = start_framed(&db2, Some("https://portal.example")).await;
    let mut jar = Jar::default();
    let page = location(&open.get(&open.auth_url(&[]), &mut jar).await);
    let r = open.get(&page, &mut jar).await;
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("frame-ancestors https://portal.example"),
        "{csp}"
    );
    assert!(!csp.contains("frame-ancestors 'none'"));
    assert!(r.headers().get("x-frame-options").is_none());
    db.cleanup().await;
    db2.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_end_to_end_sqlite() {
    let db = dbs::TestDb::sqlite().await;
    provider_end_to_end(&db).await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_end_to_end_postgres() {
    let db = dbs::TestDb::postgres().await;
    provider_end_to_end(&db).await;
    db.cleanup().await;
}
