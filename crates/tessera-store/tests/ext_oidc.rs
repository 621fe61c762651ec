//! Linking an external OpenID Provider's account (`service::ext_oidc`) on both backends, with
//! a fake provider that signs its ID tokens with its own RSA key and publishes the JWKS: a
//! link lands once; a start link opens once; a state is spent once, even by a refused
//! answer; another browser's callback is refused without spending it; an ID token with a
//! wrong signature, issuer, audience or nonce, an outage, or a `sub` linked to another user
//! links nothing.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::TestDb;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use serde_json::{json, Map, Value};
use tessera_core::crypto::jwt;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::{Application, UserPool};
use tessera_core::notify::Outbox;
use tessera_core::oidc_upstream::OidcUpstreamApi;
use tessera_core::service::ext_oidc::{
    ExtOidcCallback, ExtOidcDone, ExtOidcRedirect, OIDC_PROVIDER,
};
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::tenants::{NewConn, NewExtIdp};
use tessera_core::service::users::{CreatedBy, LoginId, NewUser};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Entity, Error, ProviderFailure};

const ISSUER: &str = "https://idp.example/oidc";
const CLIENT: &str = "client-1";
const OTHER_ISSUER: &str = "https://other-idp.example/oidc";

/// What the provider answers for a code: the ID token's claims, signed by `key`.
struct Planned {
    claims: Value,
    foreign_key: bool,
    down: bool,
}

struct FakeProvider {
    key: PKey<Private>,
    other: PKey<Private>,
    plans: Mutex<HashMap<String, Planned>>,
    forms: Mutex<Vec<Vec<(String, String)>>>,
}

impl FakeProvider {
    fn new() -> FakeProvider {
        let gen = || PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
        FakeProvider {
            key: gen(),
            other: gen(),
            plans: Mutex::new(HashMap::new()),
            forms: Mutex::new(Vec::new()),
        }
    }
}

#[async_trait]
impl OidcUpstreamApi for FakeProvider {
    async fn token(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> tessera_core::Result<Map<String, Value>> {
        assert_eq!(endpoint, "https://idp.example/oidc/token");
        self.forms.lock().unwrap().push(
            form.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        let code = form.iter().find(|(k, _)| *k == "code").unwrap().1;
        let plans = self.plans.lock().unwrap();
        let Some(p) = plans.get(code) else {
            return Err(Error::Provider(ProviderFailure::Refused {
                provider_code: 400,
            }));
        };
        if p.down {
            return Err(Error::Provider(ProviderFailure::Unavailable));
        }
        let key = if p.foreign_key {
            &self.other
        } else {
            &self.key
        };
        let id_token = jwt::sign_rs256(&p.claims, "k1", key).unwrap();
        Ok(
            json!({ "id_token": id_token, "access_token": "at", "token_type": "Bearer" })
                .as_object()
                .cloned()
                .unwrap(),
        )
    }

    async fn get_json(
        &self,
        url: &str,
        bearer: Option<&str>,
    ) -> tessera_core::Result<Map<String, Value>> {
        assert_eq!(url, "https://idp.example/oidc/jwks");
        assert!(bearer.is_none());
        let jwk = jwt::rsa_jwk("k1", &self.key).unwrap();
        Ok(json!({ "keys": [jwk] }).as_object().cloned().unwrap())
    }
}

struct Fx {
    core: Core,
    store: Arc<dyn Store>,
    provider: Arc<FakeProvider>,
    pool: UserPool,
    app: Application,
}

async fn fixture(db: &TestDb) -> Fx {
    let sql = db.open().await;
    let store: Arc<dyn Store> = sql;
    let mut core = Core::open(
        Arc::clone(&store),
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .expect("core");
    let provider = Arc::new(FakeProvider::new());
    core.set_oidc_upstream(provider.clone());
    let creds = core.create_pool("ext-oidc").await.unwrap();
    let admin = core
        .pool_admin_by_secret(&creds.user_pool_id, &creds.secret)
        .await
        .unwrap();
    let Value::Object(fields) = json!({
        "issuerUrl": ISSUER,
        "authorizationEdpoint": "https://idp.example/oidc/auth",
        "tokenEndpoint": "https://idp.example/oidc/token",
        "jwksUri": "https://idp.example/oidc/jwks",
        "clientId": CLIENT,
        "clientSecret": "secret-1",
        "scopes": "openid email",
    }) else {
        panic!("fields")
    };
    // A second provider (another issuer) whose subjects may collide with the first's.
    let mut other_fields = fields.clone();
    other_fields.insert("issuerUrl".into(), json!(OTHER_ISSUER));
    let conn = |identifier: &str, fields: Map<String, Value>| NewConn {
        kind: "oidc".into(),
        identifier: identifier.into(),
        display_name: identifier.into(),
        fields,
        user_match_fields: vec![],
        logo: None,
    };
    core.create_ext_idp(
        &admin,
        NewExtIdp {
            name: "Upstream".into(),
            kind: "oidc".into(),
            connections: vec![conn("upstream", fields), conn("other", other_fields)],
            ..NewExtIdp::default()
        },
    )
    .await
    .expect("connection");
    let pool = core.pool(&creds.user_pool_id).await.unwrap();
    let app = core.app(&creds.app_id).await.unwrap();
    Fx {
        core,
        store,
        provider,
        pool,
        app,
    }
}

impl Fx {
    /// A new user of the pool and an ID token the application got for them.
    async fn user(&self, email: &str) -> (String, String) {
        let u = self
            .core
            .create_user(
                &self.pool,
                NewUser {
                    email: Some(email.into()),
                    password: Some("Passw0rd!".into()),
                    ..NewUser::default()
                },
                CreatedBy::Admin,
            )
            .await
            .unwrap();
        let e = self
            .core
            .authenticate(
                &self.pool,
                Some(&self.app),
                Credential::Password {
                    id: LoginId::Email(email.into()),
                    password: "Passw0rd!".into(),
                },
                LoginOptions::default(),
            )
            .await
            .unwrap();
        let t = self
            .core
            .oidc_tokens_for_event(&self.pool, &self.app, &e, Some("openid"))
            .await
            .unwrap();
        (u.id, t.id_token.unwrap())
    }

    /// A link handed out and opened: the redirect upstream and its parameters.
    async fn started(&self, id_token: &str) -> (ExtOidcRedirect, HashMap<String, String>) {
        let link = self
            .core
            .ext_oidc_link_url(&self.pool, &self.app, "upstream", id_token, None)
            .await
            .unwrap();
        let ticket = link.split("ticket=").nth(1).unwrap();
        let r = self.core.ext_oidc_start(ticket).await.unwrap();
        let query = r.authorize_url.split_once('?').unwrap().1;
        let params = query
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_owned(), v.to_owned())
            })
            .collect();
        (r, params)
    }

    /// The provider will answer `code` with an ID token of `sub` for the request `params`,
    /// changed by `edit`.
    fn plan(
        &self,
        code: &str,
        sub: &str,
        params: &HashMap<String, String>,
        edit: impl FnOnce(&mut Planned),
    ) {
        let now = tessera_core::clock::now_secs();
        let mut p = Planned {
            claims: json!({
                "iss": ISSUER, "aud": CLIENT, "sub": sub, "iat": now, "exp": now + 300,
                "nonce": params["nonce"], "email": "person@idp.example",
            }),
            foreign_key: false,
            down: false,
        };
        edit(&mut p);
        self.provider.plans.lock().unwrap().insert(code.into(), p);
    }

    fn callback(
        r: &ExtOidcRedirect,
        params: &HashMap<String, String>,
        code: &str,
    ) -> ExtOidcCallback {
        ExtOidcCallback {
            state: Some(params["state"].clone()),
            code: Some(code.into()),
            error: None,
            browser_binding: Some(r.browser_binding.clone()),
        }
    }

    async fn linked(&self, user_id: &str) -> Vec<String> {
        self.store
            .list_identities(&self.pool.id, user_id)
            .await
            .unwrap()
            .into_iter()
            .filter(|i| i.provider == OIDC_PROVIDER)
            .map(|i| i.user_id_in_idp)
            .collect()
    }
}

/// A change to what the provider answers.
type Edit = Box<dyn FnOnce(&mut Planned)>;

fn not_found(r: Result<impl std::fmt::Debug, Error>) {
    match r {
        Err(Error::NotFound(Entity::ExtOidcFlow)) => {}
        other => panic!("an unknown flow expected, got {other:?}"),
    }
}

fn refused(r: Result<impl std::fmt::Debug, Error>) {
    match r {
        Err(Error::Provider(ProviderFailure::Refused { .. })) => {}
        other => panic!("a refusal expected, got {other:?}"),
    }
}

async fn link_once(db: &TestDb) {
    let fx = fixture(db).await;
    let (user, id_token) = fx.user("a@example.com").await;
    let (r, params) = fx.started(&id_token).await;
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["client_id"], CLIENT);
    assert_eq!(params["scope"], "openid%20email");
    fx.plan("c1", "person-1", &params, |_| {});

    // Another browser's callback is refused and spends nothing.
    let mut stranger = Fx::callback(&r, &params, "c1");
    stranger.browser_binding = Some("someone-else".into());
    not_found(fx.core.ext_oidc_callback(stranger).await);

    let ExtOidcDone::Linked(done) = fx
        .core
        .ext_oidc_callback(Fx::callback(&r, &params, "c1"))
        .await
        .unwrap()
    else {
        panic!("a link flow ends linked")
    };
    assert_eq!(done.user_id, user);
    assert_eq!(done.subject, "person-1");
    assert_eq!(fx.linked(&user).await, vec!["person-1".to_owned()]);
    // The exchange carried the verifier of the challenge and the client's credentials.
    let form = fx.provider.forms.lock().unwrap()[0].clone();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let verifier = get("code_verifier").unwrap();
    assert_eq!(
        URL_SAFE_NO_PAD.encode(openssl::sha::sha256(verifier.as_bytes())),
        params["code_challenge"]
    );
    assert_eq!(get("client_secret").as_deref(), Some("secret-1"));
    assert_eq!(
        get("redirect_uri").as_deref(),
        Some("http://127.0.0.1:3000/connections/oidc/callback")
    );

    // The state again: spent.
    not_found(
        fx.core
            .ext_oidc_callback(Fx::callback(&r, &params, "c1"))
            .await,
    );

    // A second user linking the same account is refused; the first keeps it.
    let (other, other_token) = fx.user("b@example.com").await;
    let (r2, p2) = fx.started(&other_token).await;
    fx.plan("c2", "person-1", &p2, |_| {});
    match fx
        .core
        .ext_oidc_callback(Fx::callback(&r2, &p2, "c2"))
        .await
    {
        Err(Error::IdentityLinkedElsewhere) => {}
        other => panic!("linked elsewhere expected, got {other:?}"),
    }
    assert!(fx.linked(&other).await.is_empty());

    // A start link opens once.
    let link = fx
        .core
        .ext_oidc_link_url(&fx.pool, &fx.app, "upstream", &id_token, None)
        .await
        .unwrap();
    let ticket = link.split("ticket=").nth(1).unwrap();
    fx.core.ext_oidc_start(ticket).await.unwrap();
    not_found(fx.core.ext_oidc_start(ticket).await);
    not_found(fx.core.ext_oidc_start("made-up").await);

    // Refused before any flow: a forged token, an unknown connection, a foreign target.
    let forged = format!("{}x", &id_token[..id_token.len() - 1]);
    assert!(matches!(
        fx.core
            .ext_oidc_link_url(&fx.pool, &fx.app, "upstream", &forged, None)
            .await,
        Err(Error::TokenInvalid)
    ));
    assert!(matches!(
        fx.core
            .ext_oidc_link_url(&fx.pool, &fx.app, "nope", &id_token, None)
            .await,
        Err(Error::NotFound(Entity::ExtIdpConn))
    ));
    assert!(matches!(
        fx.core
            .ext_oidc_link_url(
                &fx.pool,
                &fx.app,
                "upstream",
                &id_token,
                Some("https://evil.example/")
            )
            .await,
        Err(Error::InvalidParameter("target_url"))
    ));
}

async fn bad_answers_link_nothing(db: &TestDb) {
    let fx = fixture(db).await;
    let (user, id_token) = fx.user("c@example.com").await;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "signature",
            Box::new(|p: &mut Planned| p.foreign_key = true),
        ),
        (
            "issuer",
            Box::new(|p: &mut Planned| p.claims["iss"] = json!("https://other.example")),
        ),
        (
            "audience",
            Box::new(|p: &mut Planned| p.claims["aud"] = json!("another-client")),
        ),
        (
            "nonce",
            Box::new(|p: &mut Planned| p.claims["nonce"] = json!("replayed")),
        ),
        (
            "expiry",
            Box::new(|p: &mut Planned| p.claims["exp"] = json!(1_000)),
        ),
        (
            "no sub",
            Box::new(|p: &mut Planned| {
                p.claims.as_object_mut().unwrap().remove("sub");
            }),
        ),
    ];
    for (i, (what, edit)) in cases.into_iter().enumerate() {
        let (r, params) = fx.started(&id_token).await;
        let code = format!("bad-{i}");
        fx.plan(&code, "person-x", &params, edit);
        let got = fx
            .core
            .ext_oidc_callback(Fx::callback(&r, &params, &code))
            .await;
        assert!(
            matches!(got, Err(Error::Provider(ProviderFailure::Refused { .. }))),
            "{what}: {got:?}"
        );
        // Spent by the refusal.
        not_found(
            fx.core
                .ext_oidc_callback(Fx::callback(&r, &params, &code))
                .await,
        );
    }
    // A code the provider does not know.
    let (r, params) = fx.started(&id_token).await;
    refused(
        fx.core
            .ext_oidc_callback(Fx::callback(&r, &params, "unknown"))
            .await,
    );
    // The provider down.
    let (r, params) = fx.started(&id_token).await;
    fx.plan("down", "person-x", &params, |p| p.down = true);
    match fx
        .core
        .ext_oidc_callback(Fx::callback(&r, &params, "down"))
        .await
    {
        Err(Error::Provider(ProviderFailure::Unavailable)) => {}
        other => panic!("unavailable expected, got {other:?}"),
    }
    // The provider's own refusal.
    let (r, params) = fx.started(&id_token).await;
    let mut cb = Fx::callback(&r, &params, "x");
    cb.error = Some("access_denied".into());
    refused(fx.core.ext_oidc_callback(cb).await);
    assert!(fx.linked(&user).await.is_empty());
}

/// A login flow's answer: the credential run through the one core login.
async fn login_as(fx: &Fx, identifier: &str, code: &str, issuer: &str, sub: &str) -> String {
    let r = fx
        .core
        .ext_oidc_login_start(&fx.pool, &fx.app, identifier, "interaction-1")
        .await
        .unwrap();
    let query = r.authorize_url.split_once('?').unwrap().1;
    let params: HashMap<String, String> = query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect();
    fx.plan(code, sub, &params, |p| p.claims["iss"] = json!(issuer));
    let ExtOidcDone::Login(login) = fx
        .core
        .ext_oidc_callback(Fx::callback(&r, &params, code))
        .await
        .unwrap()
    else {
        panic!("a login flow ends in a login")
    };
    assert_eq!(login.interaction_id, "interaction-1");
    let e = fx
        .core
        .authenticate(
            &fx.pool,
            Some(&fx.app),
            login.credential,
            LoginOptions::default(),
        )
        .await
        .unwrap();
    e.user.id
}

async fn logins_per_connection(db: &TestDb) {
    let fx = fixture(db).await;
    let (user, id_token) = fx.user("d@example.com").await;
    let (r, params) = fx.started(&id_token).await;
    fx.plan("link", "shared-sub", &params, |_| {});
    fx.core
        .ext_oidc_callback(Fx::callback(&r, &params, "link"))
        .await
        .unwrap();
    // The linked account signs in as its user.
    assert_eq!(
        login_as(&fx, "upstream", "l1", ISSUER, "shared-sub").await,
        user
    );
    // The same `sub` at another issuer is another person: a new user, linked there.
    let stranger = login_as(&fx, "other", "l2", OTHER_ISSUER, "shared-sub").await;
    assert_ne!(stranger, user);
    assert_eq!(fx.linked(&stranger).await, vec!["shared-sub".to_owned()]);
    assert_eq!(
        login_as(&fx, "other", "l3", OTHER_ISSUER, "shared-sub").await,
        stranger
    );
    // A connection's ID token naming the other's issuer is refused.
    let r = fx
        .core
        .ext_oidc_login_start(&fx.pool, &fx.app, "upstream", "interaction-2")
        .await
        .unwrap();
    let state = r
        .authorize_url
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let nonce = r
        .authorize_url
        .split("nonce=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let params: HashMap<String, String> = [("state", state), ("nonce", nonce)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    fx.plan("l4", "shared-sub", &params, |p| {
        p.claims["iss"] = json!(OTHER_ISSUER)
    });
    refused(
        fx.core
            .ext_oidc_callback(Fx::callback(&r, &params, "l4"))
            .await,
    );
}

backend_tests! {
    link => link_once;
    refusals => bad_answers_link_nothing;
    logins => logins_per_connection;
}
