//! Douyin mini-program and Alipay app logins on both backends, with fake providers: a login
//! creates the user and finds it again, a Douyin unionid names one user across
//! mini-programs, a sealed phone number links the user who has it (and data sealed for
//! another mini-program is refused), a refusal or outage writes nothing, the pool's rules
//! (registration disabled, risk-listed addresses) apply as to any login, and the Alipay
//! `authInfo` is signed with the connection's key.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use common::TestDb;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::sign::Verifier;
use openssl::symm::{encrypt, Cipher};
use serde_json::{json, Map, Value};
use tessera_core::alipay::{AlipayApi, AlipayUser};
use tessera_core::crypto::password::HashParams;
use tessera_core::douyin::{DouyinApi, DouyinSession};
use tessera_core::model::risk::{AddType, Limit, ListType, RemoveType};
use tessera_core::model::UserPool;
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::alipay_login::{ALIPAY_KIND, ALIPAY_PROVIDER};
use tessera_core::service::authn::AuthEvent;
use tessera_core::service::douyin_login::{
    DOUYIN_MINIPROGRAM_KIND, DOUYIN_PROVIDER, DOUYIN_UNIONID_PROVIDER,
};
use tessera_core::service::login::LoginOptions;
use tessera_core::service::risk::NewListing;
use tessera_core::service::tenants::{NewConn, NewExtIdp};
use tessera_core::service::users::{CreatedBy, LoginContext, NewUser};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Error, ProviderFailure};

/// Every Douyin login's session key (16 bytes, base64).
const KEY: &[u8; 16] = b"0123456789abcdef";
const IV: &[u8; 16] = b"fedcba9876543210";

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// What a Douyin mini-program hands over: `data` sealed under [`KEY`].
fn seal(data: &Value) -> (String, String) {
    let enc = encrypt(
        Cipher::aes_128_cbc(),
        KEY,
        Some(IV),
        data.to_string().as_bytes(),
    )
    .unwrap();
    (b64(&enc), b64(IV))
}

fn refusal(code: &str, provider_code: i64) -> Option<Error> {
    if code.starts_with("bad") {
        return Some(Error::Provider(ProviderFailure::Refused { provider_code }));
    }
    if code.starts_with("down") {
        return Some(Error::Provider(ProviderFailure::Unavailable));
    }
    None
}

/// `tt-<x>` is `openid-<appid>-<x>`, with `unionid-<x>` when `<x>` starts with `u`; `bad…`
/// is refused, `down…` an outage. Counts calls.
#[derive(Default)]
struct FakeDouyin {
    calls: AtomicUsize,
}

#[async_trait]
impl DouyinApi for FakeDouyin {
    async fn code_to_session(
        &self,
        appid: &str,
        _secret: &str,
        code: &str,
    ) -> tessera_core::Result<DouyinSession> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(e) = refusal(code, 40018) {
            return Err(e);
        }
        let x = code
            .strip_prefix("tt-")
            .ok_or(Error::Provider(ProviderFailure::Refused {
                provider_code: 40018,
            }))?;
        Ok(DouyinSession {
            openid: format!("openid-{appid}-{x}"),
            unionid: x.starts_with('u').then(|| format!("unionid-{x}")),
            session_key: b64(KEY),
        })
    }
}

/// `ali-<x>` is user `2088<x>`; `bad…` refused, `down…` an outage. Counts calls.
#[derive(Default)]
struct FakeAlipay {
    calls: AtomicUsize,
}

#[async_trait]
impl AlipayApi for FakeAlipay {
    async fn oauth_token(
        &self,
        _app_id: &str,
        _key: &str,
        code: &str,
    ) -> tessera_core::Result<AlipayUser> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(e) = refusal(code, 40002) {
            return Err(e);
        }
        let x = code
            .strip_prefix("ali-")
            .ok_or(Error::Provider(ProviderFailure::Refused {
                provider_code: 40002,
            }))?;
        Ok(AlipayUser {
            user_id: Some(format!("2088{x}")),
            open_id: None,
        })
    }
}

struct Fx {
    core: Core,
    store: Arc<tessera_store::SqlStore>,
    douyin: Arc<FakeDouyin>,
    alipay: Arc<FakeAlipay>,
    admin: PoolAdmin,
    public_pem: Vec<u8>,
}

async fn setup(db: &TestDb) -> Fx {
    let sql = db.open().await;
    let store: Arc<dyn Store> = sql.clone();
    let mut core = Core::open(
        store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .expect("core");
    let douyin = Arc::new(FakeDouyin::default());
    let alipay = Arc::new(FakeAlipay::default());
    core.set_douyin(douyin.clone());
    core.set_alipay(alipay.clone());
    let a = core.create_pool("douyin").await.unwrap();
    let admin = core
        .pool_admin_by_secret(&a.user_pool_id, &a.secret)
        .await
        .unwrap();
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let fx = Fx {
        core,
        store: sql,
        douyin,
        alipay,
        admin,
        public_pem: key.public_key_to_pem().unwrap(),
    };
    fx.connection(
        "douyin",
        DOUYIN_MINIPROGRAM_KIND,
        "tt",
        json!({"appId": "tt-app-1", "appSecret": "s1"}),
    )
    .await;
    fx.connection(
        "douyin",
        DOUYIN_MINIPROGRAM_KIND,
        "tt2",
        json!({"appid": "tt-app-2", "secret": "s2"}),
    )
    .await;
    let pem = String::from_utf8(key.private_key_to_pem_pkcs8().unwrap()).unwrap();
    fx.connection(
        "alipay",
        ALIPAY_KIND,
        "ali",
        json!({"appId": "2021001", "pid": "2088001", "privateKey": pem}),
    )
    .await;
    fx
}

fn black(limits: &[Limit]) -> NewListing {
    NewListing {
        list: ListType::Black,
        add_type: AddType::Manual,
        remove_type: RemoveType::Manual,
        limits: limits.to_vec(),
        expire_at: None,
    }
}

impl Fx {
    async fn connection(&self, idp: &str, kind: &str, identifier: &str, fields: Value) {
        let Value::Object(fields) = fields else {
            panic!("fields")
        };
        self.core
            .create_ext_idp(
                &self.admin,
                NewExtIdp {
                    name: format!("{idp} {identifier}"),
                    kind: idp.into(),
                    connections: vec![NewConn {
                        kind: kind.into(),
                        identifier: identifier.into(),
                        display_name: identifier.into(),
                        fields,
                        user_match_fields: vec![],
                        logo: None,
                    }],
                    ..NewExtIdp::default()
                },
            )
            .await
            .expect("connection");
    }

    async fn pool(&self) -> UserPool {
        self.core.pool(&self.admin.pool().id).await.unwrap()
    }

    async fn douyin(&self, conn: &str, code: &str) -> Result<AuthEvent, Error> {
        let pool = self.pool().await;
        self.core
            .douyin_login_by_code(&pool, None, conn, code, LoginOptions::default())
            .await
    }

    async fn douyin_phone(
        &self,
        code: &str,
        sealed: &(String, String),
    ) -> Result<AuthEvent, Error> {
        let pool = self.pool().await;
        self.core
            .douyin_login_by_code_and_phone(
                &pool,
                None,
                "tt",
                code,
                (&sealed.0, &sealed.1),
                LoginOptions::default(),
            )
            .await
    }

    async fn alipay(&self, code: &str, ip: Option<&str>) -> Result<AuthEvent, Error> {
        let pool = self.pool().await;
        let opts = LoginOptions {
            client: LoginContext {
                ip: ip.map(str::to_owned),
                ..LoginContext::default()
            },
            ..LoginOptions::default()
        };
        self.core.alipay_login(&pool, None, "ali", code, opts).await
    }

    async fn users(&self) -> i64 {
        self.store.count_users(&self.admin.pool().id).await.unwrap()
    }

    async fn providers(&self, user_id: &str) -> Vec<(String, String)> {
        let mut v: Vec<_> = self
            .core
            .identities(&self.admin.pool().id, user_id)
            .await
            .unwrap()
            .into_iter()
            .map(|i| (i.provider, i.user_id_in_idp))
            .collect();
        v.sort();
        v
    }
}

fn phone_data(phone: &str, appid: &str) -> Value {
    json!({
        "phoneNumber": phone, "purePhoneNumber": phone, "countryCode": "86",
        "watermark": { "appid": appid, "timestamp": 1_700_000_000 },
    })
}

async fn douyin_logins(db: &TestDb) {
    let fx = setup(db).await;
    let first = fx.douyin("tt", "tt-a").await.unwrap();
    assert!(first.newly_created);
    assert_eq!(
        first.user.register_source,
        vec!["social:douyin:miniprogram"]
    );
    assert_eq!(
        fx.providers(&first.user.id).await,
        vec![(DOUYIN_PROVIDER.into(), "openid-tt-app-1-a".into())]
    );
    let again = fx.douyin("tt", "tt-a").await.unwrap();
    assert!(!again.newly_created);
    assert_eq!(again.user.id, first.user.id);
    // The other spellings of the fields are read; another mini-program's openid is another user.
    assert_ne!(
        fx.douyin("tt2", "tt-a").await.unwrap().user.id,
        first.user.id
    );
    // A unionid is one user across the pool's Douyin mini-programs.
    let u = fx.douyin("tt", "tt-u1").await.unwrap();
    let u2 = fx.douyin("tt2", "tt-u1").await.unwrap();
    assert_eq!(u.user.id, u2.user.id);
    assert!(fx
        .providers(&u.user.id)
        .await
        .contains(&(DOUYIN_UNIONID_PROVIDER.into(), "unionid-u1".into())));
    assert_eq!(fx.users().await, 3);
}

async fn douyin_phone_and_data(db: &TestDb) {
    let fx = setup(db).await;
    let existing = fx
        .core
        .create_user(
            &fx.pool().await,
            NewUser {
                phone: Some("13800000001".into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    let ev = fx
        .douyin_phone("tt-p", &seal(&phone_data("13800000001", "tt-app-1")))
        .await
        .unwrap();
    assert_eq!(ev.user.id, existing.id);
    assert!(ev.user.phone_verified, "Douyin vouched for the number");
    assert_eq!(fx.douyin("tt", "tt-p").await.unwrap().user.id, existing.id);
    // Data sealed for another mini-program, or not data at all: refused, nothing written.
    let users = fx.users().await;
    assert!(matches!(
        fx.douyin_phone("tt-q", &seal(&phone_data("13900000002", "tt-other")))
            .await,
        Err(Error::InvalidParameter("encryptedData"))
    ));
    assert!(matches!(
        fx.douyin_phone("tt-q", &seal(&json!({"nickName": "x"})))
            .await,
        Err(Error::InvalidParameter("encryptedData"))
    ));
    assert!(matches!(
        fx.douyin_phone("tt-q", &(String::new(), String::new()))
            .await,
        Err(Error::MissingParameter("encryptedData"))
    ));
    assert_eq!(fx.users().await, users);
    // The helpers: the number, and any data, under a fresh login's key.
    let pool = fx.pool().await;
    let (d, iv) = seal(&phone_data("13700000003", "tt-app-1"));
    let p = fx
        .core
        .douyin_phone(&pool, "tt", "tt-h", &d, &iv)
        .await
        .unwrap();
    assert_eq!(p.pure_phone_number, "13700000003");
    assert_eq!(p.watermark_appid, "tt-app-1");
    let (d, iv) = seal(&json!({"nickName": "抖音", "watermark": {"appid": "tt-app-1"}}));
    let v = fx
        .core
        .douyin_decrypt(&pool, "tt", "tt-h", &d, &iv)
        .await
        .unwrap();
    assert_eq!(v["nickName"], "抖音");
    assert!(matches!(
        fx.core
            .douyin_decrypt(&pool, "tt", "bad-code", &d, &iv)
            .await,
        Err(Error::Provider(ProviderFailure::Refused {
            provider_code: 40018
        }))
    ));
}

async fn refusals_and_rules_write_nothing(db: &TestDb) {
    let fx = setup(db).await;
    assert!(matches!(
        fx.douyin("tt", "bad-code").await,
        Err(Error::Provider(ProviderFailure::Refused { .. }))
    ));
    assert!(matches!(
        fx.douyin("tt", "down-now").await,
        Err(Error::Provider(ProviderFailure::Unavailable))
    ));
    assert!(matches!(
        fx.alipay("bad-code", None).await,
        Err(Error::Provider(ProviderFailure::Refused {
            provider_code: 40002
        }))
    ));
    assert!(matches!(
        fx.alipay("down-now", None).await,
        Err(Error::Provider(ProviderFailure::Unavailable))
    ));
    // Connections of another kind are not configured sources of this one.
    assert!(matches!(
        fx.douyin("ali", "tt-a").await,
        Err(Error::IdentitySourceNotConfigured)
    ));
    let pool = fx.pool().await;
    assert!(matches!(
        fx.core
            .alipay_login(&pool, None, "tt", "ali-a", LoginOptions::default())
            .await,
        Err(Error::IdentitySourceNotConfigured)
    ));
    assert!(matches!(
        fx.alipay("", None).await,
        Err(Error::MissingParameter("authCode"))
    ));
    assert_eq!(fx.users().await, 0);
    // A risk-listed address asks no provider.
    fx.core
        .add_ip_list_entries(
            &fx.admin,
            &["203.0.113.9".to_owned()],
            black(&[Limit::ForbidLogin]),
        )
        .await
        .unwrap();
    let before = fx.alipay.calls.load(Ordering::SeqCst);
    assert!(matches!(
        fx.alipay("ali-x", Some("203.0.113.9")).await,
        Err(Error::RiskListed(_))
    ));
    assert_eq!(fx.alipay.calls.load(Ordering::SeqCst), before);
    // Registration disabled: new people are refused, linked people still log in.
    let known = fx.alipay("ali-known", None).await.unwrap();
    let mut input = Map::new();
    input.insert("registerDisabled".into(), json!(true));
    fx.core.update_pool(&fx.admin, &input).await.unwrap();
    assert!(matches!(
        fx.alipay("ali-new", None).await,
        Err(Error::RegisterDisabled)
    ));
    assert!(matches!(
        fx.douyin("tt", "tt-new").await,
        Err(Error::RegisterDisabled)
    ));
    assert_eq!(
        fx.alipay("ali-known", None).await.unwrap().user.id,
        known.user.id
    );
    assert_eq!(fx.users().await, 1);
    assert!(fx.douyin.calls.load(Ordering::SeqCst) > 0);
}

async fn alipay_login_and_auth_info(db: &TestDb) {
    let fx = setup(db).await;
    let first = fx.alipay("ali-a", None).await.unwrap();
    assert!(first.newly_created);
    assert_eq!(first.user.register_source, vec!["social:alipay"]);
    assert_eq!(
        fx.providers(&first.user.id).await,
        vec![(ALIPAY_PROVIDER.into(), "2088a".into())]
    );
    assert_eq!(
        fx.alipay("ali-a", None).await.unwrap().user.id,
        first.user.id
    );

    let pool = fx.pool().await;
    let info = fx.core.alipay_auth_info(&pool, "ali").await.unwrap();
    let (content, sign) = info.rsplit_once("&sign=").unwrap();
    assert!(content.starts_with("apiname=com.alipay.account.auth&app_id=2021001&app_name=mc&auth_type=AUTHACCOUNT&biz_type=openservice&method=alipay.open.auth.sdk.code.get&pid=2088001&product_id=APP_FAST_LOGIN&scope=kuaijie&sign_type=RSA2&target_id="), "{content}");
    let sig = base64::engine::general_purpose::STANDARD
        .decode(
            sign.replace("%2B", "+")
                .replace("%2F", "/")
                .replace("%3D", "="),
        )
        .unwrap();
    let public = PKey::public_key_from_pem(&fx.public_pem).unwrap();
    let mut v = Verifier::new(MessageDigest::sha256(), &public).unwrap();
    v.update(content.as_bytes()).unwrap();
    assert!(v.verify(&sig).unwrap());
    assert!(matches!(
        fx.core.alipay_auth_info(&pool, "tt").await,
        Err(Error::IdentitySourceNotConfigured)
    ));
}

backend_tests! {
    douyin_login => douyin_logins;
    douyin_phone => douyin_phone_and_data;
    refusals => refusals_and_rules_write_nothing;
    alipay => alipay_login_and_auth_info;
}
