//! Risk lists take effect on the existing wires, over real HTTP, on SQLite and PostgreSQL:
//! a blacklisted client address (exact or CIDR) is refused at the v2 login and registration
//! and at the OIDC password grant; a blacklisted user is refused whatever the password; an
//! expired entry refuses nothing; a policy with a threshold of 3 lists an address after 3
//! wrong passwords.
//!
//! The server trusts 127.0.0.1 as its proxy, so `X-Forwarded-For` names the client each
//! request comes from (`tessera_server::client_ip`).

#[path = "../../tessera-store/tests/common/mod.rs"]
mod dbs;

use std::sync::Arc;

use serde_json::{json, Value};
use tessera_core::crypto::password::HashParams;
use tessera_core::crypto::transport::TransportKey;
use tessera_core::model::risk::{
    AddType, Cond, EventState, Limit, ListType, OptObject, PolicyAction, Range, RemoveType,
};
use tessera_core::model::{Application, OidcSettings};
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::risk::{NewListing, NewRiskPolicy};
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::Store;
use tessera_core::{clock, Core, CoreConfig};
use tessera_server::client_ip::TrustedProxies;
use tessera_server::{AppState, ServerOptions};

const PASSWORD: &str = "Correct-Horse-9";
const WRONG: &str = "Wrong-Horse-9";
const ANN: &str = "ann@example.com";
const LOGIN: &str =
    "mutation loginByEmail($input: LoginByEmailInput!) { loginByEmail(input: $input) { id } }";
const REGISTER: &str = "mutation registerByEmail($input: RegisterByEmailInput!) { registerByEmail(input: $input) { id } }";
/// The Authing code of a risk-list refusal (`tessera_server::authing::errors`).
const REFUSED: i64 = 1001;
const WRONG_PASSWORD: i64 = 2006;

struct Server {
    url: String,
    http: reqwest::Client,
    core: Arc<Core>,
    admin: PoolAdmin,
    app: Application,
    ann: String,
    _dir: tempfile::TempDir,
}

/// A v2 or OIDC answer: success, or the refusal's code (Authing's, or the OAuth `error`)
/// and message.
#[derive(Debug, PartialEq)]
enum Answer {
    Ok,
    Refused(String, String),
}

impl Answer {
    fn code(&self) -> Option<&str> {
        match self {
            Answer::Ok => None,
            Answer::Refused(code, _) => Some(code),
        }
    }
}

async fn start(db: &dbs::TestDb) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let store: Arc<dyn Store> = db.open().await;
    let core = Arc::new(
        Core::open(
            Arc::clone(&store),
            CoreConfig {
                public_url: url.clone(),
                hash_params: HashParams::default(),
            },
            Arc::new(Outbox::default()),
        )
        .await
        .unwrap(),
    );
    let creds = core.create_pool("risk").await.unwrap();
    let admin = core
        .pool_admin_by_secret(&creds.user_pool_id, &creds.secret)
        .await
        .unwrap();
    let now = clock::now_ms();
    let app = Application {
        id: tessera_core::ids::new_id(),
        pool_id: admin.pool_id().to_owned(),
        name: "Relying party".into(),
        identifier: "rp".into(),
        description: None,
        logo: None,
        secret: tessera_core::ids::new_secret(16),
        oidc: OidcSettings {
            redirect_uris: vec!["https://rp.example/cb".into()],
            grant_types: vec!["authorization_code".into(), "password".into()],
            response_types: vec!["code".into()],
            ..OidcSettings::default()
        },
        created_at: now,
        updated_at: now,
    };
    store.insert_app(&app).await.unwrap();
    let ann = core
        .create_user(
            admin.pool(),
            NewUser {
                email: Some(ANN.into()),
                password: Some(PASSWORD.into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap()
        .id;
    let mut options = ServerOptions::new(dir.path().join("uploads"));
    options.trusted_proxies = TrustedProxies::parse(&["127.0.0.1"]).unwrap();
    tokio::spawn(tessera_server::serve(
        listener,
        AppState::new(Arc::clone(&core), options),
        std::future::pending(),
    ));
    Server {
        url,
        http: reqwest::Client::new(),
        core,
        admin,
        app,
        ann,
        _dir: dir,
    }
}

impl Server {
    async fn graphql(&self, query: &str, field: &str, input: Value, from: &str) -> Answer {
        let body: Value = self
            .http
            .post(format!("{}/graphql/v2", self.url))
            .header("x-authing-app-id", &self.app.id)
            .header("x-forwarded-for", from)
            .json(&json!({ "query": query, "variables": { "input": input } }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let error = &body["errors"][0]["message"];
        match error["code"].as_i64() {
            Some(code) => Answer::Refused(
                code.to_string(),
                error["message"].as_str().unwrap_or_default().to_owned(),
            ),
            None => {
                assert!(body["data"][field]["id"].is_string(), "{body}");
                Answer::Ok
            }
        }
    }

    async fn encrypted(&self, password: &str) -> String {
        let key = self.core.password_public_key_pem().await.unwrap();
        TransportKey::encrypt_like_sdk(key, password).unwrap()
    }

    /// `loginByEmail` from the client `from`.
    async fn v2_login(&self, email: &str, password: &str, from: &str) -> Answer {
        let input = json!({ "email": email, "password": self.encrypted(password).await });
        self.graphql(LOGIN, "loginByEmail", input, from).await
    }

    /// `registerByEmail` from the client `from`.
    async fn v2_register(&self, email: &str, from: &str) -> Answer {
        let input = json!({ "email": email, "password": self.encrypted(PASSWORD).await });
        self.graphql(REGISTER, "registerByEmail", input, from).await
    }

    /// The OIDC password grant from the client `from`.
    async fn oidc_password(&self, username: &str, password: &str, from: &str) -> Answer {
        let r = self
            .http
            .post(format!("{}/oidc/token", self.url))
            .header("x-forwarded-for", from)
            .form(&[
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
                ("scope", "openid"),
                ("client_id", &self.app.id),
                ("client_secret", &self.app.secret),
            ])
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        if status == 200 {
            assert!(body["access_token"].is_string(), "{body}");
            return Answer::Ok;
        }
        assert_eq!(status, 400, "{body}");
        Answer::Refused(
            body["error"].as_str().unwrap_or_default().to_owned(),
            body["error_description"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }

    async fn blacklist_ips(&self, ips: &[&str], limits: &[Limit], expire_at: Option<i64>) {
        let ips: Vec<String> = ips.iter().map(|s| (*s).to_owned()).collect();
        self.core
            .add_ip_list_entries(&self.admin, &ips, listing(limits, expire_at))
            .await
            .unwrap();
    }
}

fn listing(limits: &[Limit], expire_at: Option<i64>) -> NewListing {
    NewListing {
        list: ListType::Black,
        add_type: AddType::Manual,
        remove_type: if expire_at.is_some() {
            RemoveType::Schedule
        } else {
            RemoveType::Manual
        },
        limits: limits.to_vec(),
        expire_at,
    }
}

fn refused_with(code: i64) -> Option<String> {
    Some(code.to_string())
}

async fn blacklisted_addresses_are_refused_on_every_wire(s: &Server) {
    s.blacklist_ips(
        &["203.0.113.66", "198.51.100.0/24"],
        &[Limit::ForbidLogin, Limit::ForbidRegister],
        None,
    )
    .await;
    for from in ["203.0.113.66", "198.51.100.77"] {
        let login = s.v2_login(ANN, PASSWORD, from).await;
        assert_eq!(login.code(), refused_with(REFUSED).as_deref(), "{from}");
        // The wire words it in the caller's language (zh-CN by default), naming the list.
        assert_eq!(
            login,
            Answer::Refused(REFUSED.to_string(), "当前 IP 已被禁止登录".into())
        );
        assert_eq!(
            s.v2_register(&format!("new-{from}@example.com"), from)
                .await,
            Answer::Refused(REFUSED.to_string(), "当前 IP 已被禁止注册".into()),
            "{from}"
        );
        let grant = s.oidc_password(ANN, PASSWORD, from).await;
        assert_eq!(grant.code(), Some("invalid_grant"), "{from}");
    }
    // Neighbours and the proxy itself are not listed.
    assert_eq!(s.v2_login(ANN, PASSWORD, "203.0.113.67").await, Answer::Ok);
    assert_eq!(
        s.oidc_password(ANN, PASSWORD, "198.51.101.1").await,
        Answer::Ok
    );
    assert_eq!(
        s.v2_register("neighbour@example.com", "198.51.101.1").await,
        Answer::Ok
    );
}

async fn blacklisted_users_are_refused_whatever_the_password(s: &Server) {
    s.core
        .add_user_list_entries(
            &s.admin,
            std::slice::from_ref(&s.ann),
            listing(&[Limit::ForbidLogin], None),
        )
        .await
        .unwrap();
    let refusal = Answer::Refused(REFUSED.to_string(), "该账号已被禁止登录".into());
    assert_eq!(s.v2_login(ANN, PASSWORD, "192.0.2.10").await, refusal);
    assert_eq!(s.v2_login(ANN, WRONG, "192.0.2.10").await, refusal);
    let right = s.oidc_password(ANN, PASSWORD, "192.0.2.10").await;
    let wrong = s.oidc_password(ANN, WRONG, "192.0.2.10").await;
    assert_eq!(right.code(), Some("invalid_grant"));
    assert_eq!(right, wrong, "the answer tells nothing about the password");
    let entry = s
        .core
        .user_list(
            &s.admin,
            ListType::Black,
            tessera_core::service::paging::Page::default(),
        )
        .await
        .unwrap()
        .list
        .remove(0);
    s.core
        .delete_user_list_entry(&s.admin, &entry.id)
        .await
        .unwrap();
    assert_eq!(s.v2_login(ANN, PASSWORD, "192.0.2.10").await, Answer::Ok);
}

async fn expired_entries_refuse_nothing(s: &Server) {
    // Refused well before the expiry (a refusal costs no hash), then let expire.
    let until = clock::now_ms() + 4_000;
    s.blacklist_ips(&["192.0.2.200"], &[Limit::ForbidLogin], Some(until))
        .await;
    assert_eq!(
        s.v2_login(ANN, PASSWORD, "192.0.2.200").await.code(),
        refused_with(REFUSED).as_deref()
    );
    assert!(
        clock::now_ms() < until,
        "the refusal came before the expiry"
    );
    let left = until + 100 - clock::now_ms();
    tokio::time::sleep(std::time::Duration::from_millis(left.max(0) as u64)).await;
    assert_eq!(s.v2_login(ANN, PASSWORD, "192.0.2.200").await, Answer::Ok);
    assert_eq!(
        s.oidc_password(ANN, PASSWORD, "192.0.2.200").await,
        Answer::Ok
    );
}

async fn a_policy_lists_an_address_after_three_wrong_passwords(s: &Server) {
    s.core
        .add_risk_policy(
            &s.admin,
            NewRiskPolicy {
                object: OptObject::Ip,
                ip_range: Range::All,
                user_range: Range::All,
                ip_cond: Cond::NoLimit,
                user_cond: Cond::NoLimit,
                time_range_minutes: 10,
                count_threshold: 3,
                event: EventState::PasswordWrong,
                remove_type: RemoveType::Schedule,
                action: PolicyAction::AddIpBlackList,
                limits: vec![Limit::ForbidLogin],
            },
        )
        .await
        .unwrap();
    let from = "192.0.2.33";
    assert_eq!(
        s.v2_login(ANN, WRONG, from).await.code(),
        refused_with(WRONG_PASSWORD).as_deref()
    );
    assert_eq!(
        s.oidc_password(ANN, WRONG, from).await.code(),
        Some("invalid_grant")
    );
    assert_eq!(
        s.v2_login(ANN, WRONG, from).await.code(),
        refused_with(WRONG_PASSWORD).as_deref()
    );
    // The third failure listed the address: the right password no longer helps from there.
    assert_eq!(
        s.v2_login(ANN, PASSWORD, from).await,
        Answer::Refused(REFUSED.to_string(), "当前 IP 已被禁止登录".into())
    );
    assert_eq!(
        s.oidc_password(ANN, PASSWORD, from).await.code(),
        Some("invalid_grant")
    );
    assert_eq!(s.v2_login(ANN, PASSWORD, "192.0.2.34").await, Answer::Ok);
    let listed = s
        .core
        .ip_list(
            &s.admin,
            ListType::Black,
            tessera_core::service::paging::Page::new(Some(1), Some(100)).unwrap(),
        )
        .await
        .unwrap();
    let entry = listed
        .list
        .iter()
        .find(|e| e.net.to_string() == from)
        .expect("the policy's entry");
    assert_eq!(entry.listing.add_type, AddType::Schedule);
}

async fn risk_lists_take_effect(db: &dbs::TestDb) {
    let s = start(db).await;
    blacklisted_addresses_are_refused_on_every_wire(&s).await;
    blacklisted_users_are_refused_whatever_the_password(&s).await;
    expired_entries_refuse_nothing(&s).await;
    a_policy_lists_an_address_after_three_wrong_passwords(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn risk_lists_take_effect_sqlite() {
    let db = dbs::TestDb::sqlite().await;
    risk_lists_take_effect(&db).await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn risk_lists_take_effect_postgres() {
    let db = dbs::TestDb::postgres().await;
    risk_lists_take_effect(&db).await;
    db.cleanup().await;
}
