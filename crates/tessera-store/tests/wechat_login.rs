//! WeChat mini-program logins on both backends, with a fake WeChat: a login creates the user
//! and finds it again, a unionid names one user across mini-programs, a vouched phone links
//! the user who has it, a WeChat refusal or outage writes nothing, and the pool's rules
//! (registration disabled, blocked users, risk lists) apply as to any login; pools are apart.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use common::TestDb;
use serde_json::{json, Map, Value};
use tessera_core::crypto::password::HashParams;
use tessera_core::model::risk::{AddType, Limit, ListType, RemoveType};
use tessera_core::model::UserPool;
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::authn::{AuthEvent, AuthMethod};
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::risk::NewListing;
use tessera_core::service::tenants::{NewConn, NewExtIdp};
use tessera_core::service::users::{CreatedBy, LoginContext, LoginId, NewUser};
use tessera_core::service::wechat_login::{
    WECHAT_MINIPROGRAM_KIND, WECHAT_PROVIDER, WECHAT_UNIONID_PROVIDER,
};
use tessera_core::service::wechat_mobile::{LinkProof, WECHAT_MOBILE_KIND};
use tessera_core::store::link_tickets::LinkTicket;
use tessera_core::store::Store;
use tessera_core::store::{AccountStore, LinkTicketsStore};
use tessera_core::wechat::{
    WechatAccessToken, WechatApi, WechatOauth, WechatPhone, WechatProfile, WechatSession,
};
use tessera_core::{Core, CoreConfig, Error, ProviderFailure};

/// The key and iv of the AES vector in `crypto/wechat_data.rs` (made with `openssl enc`),
/// handed out as the session key of the code `wx-vector`.
const VECTOR_KEY: &str = "AAECAwQFBgcICQoLDA0ODw==";
const VECTOR_IV: &str = "8OHSw7Sllod4aVpLPC0eDw==";
const VECTOR_DATA: &str = "rUtf6IZ5A8wdEuKfLocHC79nUaZuQbQJtH93znfpLxYfyH3lpiVzXkYmvji4eyTotqKS2yeLzD499HcvePj/0YeZZ3o+Ud4/EcZgbw+771LYFuLu7oOT4Ho5OK8aRfI6A2r2GCw1+AGzM9GhEzjyXQ==";
/// The app id the vector's watermark names.
const VECTOR_APPID: &str = "wx-app-1";

/// WeChat as the compat mock plays it, but with openids per app id (as WeChat's are):
/// `wx-<x>` is `openid-<appid>-<x>`, with `unionid-<x>` when `<x>` starts with `u`; `bad…`
/// is refused (40029), `down…` is an outage; `phone-<digits>` is that number (+86). Counts
/// calls, so a test can prove WeChat was not asked.
#[derive(Default)]
struct FakeWechat {
    calls: AtomicUsize,
}

fn failure(code: &str) -> Option<Error> {
    if code.starts_with("bad") {
        return Some(Error::Provider(ProviderFailure::Refused {
            provider_code: 40029,
        }));
    }
    if code.starts_with("down") {
        return Some(Error::Provider(ProviderFailure::Unavailable));
    }
    None
}

#[async_trait]
impl WechatApi for FakeWechat {
    async fn code_to_session(
        &self,
        appid: &str,
        secret: &str,
        code: &str,
    ) -> tessera_core::Result<WechatSession> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(e) = failure(code) {
            return Err(e);
        }
        if secret != format!("secret-{appid}") {
            return Err(Error::Provider(ProviderFailure::Refused {
                provider_code: 40125,
            }));
        }
        let x = code
            .strip_prefix("wx-")
            .ok_or(Error::Provider(ProviderFailure::Refused {
                provider_code: 40029,
            }))?;
        Ok(WechatSession {
            openid: format!("openid-{appid}-{x}"),
            unionid: x.starts_with('u').then(|| format!("unionid-{x}")),
            session_key: if x == "vector" {
                VECTOR_KEY.into()
            } else {
                "MDEyMzQ1Njc4OWFiY2RlZg==".into()
            },
        })
    }

    async fn access_token(
        &self,
        appid: &str,
        secret: &str,
    ) -> tessera_core::Result<WechatAccessToken> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if secret != format!("secret-{appid}") {
            return Err(Error::Provider(ProviderFailure::Refused {
                provider_code: 40125,
            }));
        }
        Ok(WechatAccessToken {
            access_token: format!("token-{appid}"),
            expires_in: 7200,
        })
    }

    async fn phone_number(
        &self,
        access_token: &str,
        code: &str,
    ) -> tessera_core::Result<WechatPhone> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(e) = failure(code) {
            return Err(e);
        }
        let digits =
            code.strip_prefix("phone-")
                .ok_or(Error::Provider(ProviderFailure::Refused {
                    provider_code: 40029,
                }))?;
        Ok(WechatPhone {
            phone_number: digits.into(),
            pure_phone_number: digits.into(),
            country_code: "86".into(),
            watermark_appid: access_token.trim_start_matches("token-").into(),
            watermark_timestamp: 1_700_000_000,
        })
    }

    async fn oauth_access_token(
        &self,
        appid: &str,
        secret: &str,
        code: &str,
    ) -> tessera_core::Result<WechatOauth> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        fake_oauth(appid, secret, code).await
    }

    async fn user_info(
        &self,
        access_token: &str,
        _openid: &str,
    ) -> tessera_core::Result<WechatProfile> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let x = access_token.strip_prefix("utoken-").ok_or(Error::Provider(
            ProviderFailure::Refused {
                provider_code: 40001,
            },
        ))?;
        Ok(WechatProfile {
            nickname: Some(format!("nick-{x}")),
            photo: None,
            unionid: x.starts_with('u').then(|| format!("unionid-{x}")),
        })
    }
}

/// Mobile-app codes as the compat mock plays them: `wx-<x>` is `openid-<appid>-<x>` with
/// the user token `utoken-<x>` (and `unionid-<x>` when `<x>` starts with `u`).
async fn fake_oauth(appid: &str, secret: &str, code: &str) -> tessera_core::Result<WechatOauth> {
    if let Some(e) = failure(code) {
        return Err(e);
    }
    if secret != format!("secret-{appid}") {
        return Err(Error::Provider(ProviderFailure::Refused {
            provider_code: 40125,
        }));
    }
    let x = code
        .strip_prefix("wx-")
        .ok_or(Error::Provider(ProviderFailure::Refused {
            provider_code: 40029,
        }))?;
    Ok(WechatOauth {
        openid: format!("openid-{appid}-{x}"),
        unionid: x.starts_with('u').then(|| format!("unionid-{x}")),
        access_token: format!("utoken-{x}"),
    })
}

struct Fx {
    core: Core,
    store: Arc<tessera_store::SqlStore>,
    wechat: Arc<FakeWechat>,
    admin: PoolAdmin,
    other: PoolAdmin,
}

async fn open_core(db: &TestDb) -> (Core, Arc<tessera_store::SqlStore>) {
    let sql = db.open().await;
    let store: Arc<dyn Store> = sql.clone();
    let core = Core::open(
        store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .expect("core");
    (core, sql)
}

async fn setup(db: &TestDb) -> Fx {
    let (mut core, store) = open_core(db).await;
    let wechat = Arc::new(FakeWechat::default());
    core.set_wechat(wechat.clone());
    let a = core.create_pool("wechat").await.unwrap();
    let b = core.create_pool("other").await.unwrap();
    let admin = core
        .pool_admin_by_secret(&a.user_pool_id, &a.secret)
        .await
        .unwrap();
    let other = core
        .pool_admin_by_secret(&b.user_pool_id, &b.secret)
        .await
        .unwrap();
    let fx = Fx {
        core,
        store,
        wechat,
        admin,
        other,
    };
    fx.mini_program(&fx.admin, "mp", "wx-app-1", "appId", "appSecret")
        .await;
    // The other spellings of the fields are read too.
    fx.mini_program(&fx.admin, "mp2", "wx-app-2", "appID", "appsecret")
        .await;
    fx.connection(
        &fx.admin,
        WECHAT_MOBILE_KIND,
        "app",
        "wx-mobile-1",
        "appId",
        "appSecret",
    )
    .await;
    fx
}

impl Fx {
    async fn mini_program(
        &self,
        admin: &PoolAdmin,
        identifier: &str,
        appid: &str,
        id_field: &str,
        secret_field: &str,
    ) {
        self.connection(
            admin,
            WECHAT_MINIPROGRAM_KIND,
            identifier,
            appid,
            id_field,
            secret_field,
        )
        .await
    }

    async fn connection(
        &self,
        admin: &PoolAdmin,
        kind: &str,
        identifier: &str,
        appid: &str,
        id_field: &str,
        secret_field: &str,
    ) {
        let mut fields = Map::new();
        fields.insert(id_field.into(), json!(appid));
        fields.insert(secret_field.into(), json!(format!("secret-{appid}")));
        self.core
            .create_ext_idp(
                admin,
                NewExtIdp {
                    name: format!("WeChat {identifier}"),
                    kind: "wechat".into(),
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
            .expect("WeChat connection");
    }

    fn pool(&self) -> &UserPool {
        self.admin.pool()
    }

    async fn fresh_pool(&self) -> UserPool {
        self.core.pool(&self.admin.pool().id).await.unwrap()
    }

    async fn login(&self, conn: &str, code: &str) -> Result<AuthEvent, Error> {
        let pool = self.fresh_pool().await;
        self.core
            .wechat_login_by_code(&pool, None, conn, code, LoginOptions::default())
            .await
    }

    async fn login_from(&self, code: &str, ip: &str) -> Result<AuthEvent, Error> {
        let opts = LoginOptions {
            client: LoginContext {
                ip: Some(ip.into()),
                ..LoginContext::default()
            },
            ..LoginOptions::default()
        };
        let pool = self.fresh_pool().await;
        self.core
            .wechat_login_by_code(&pool, None, "mp", code, opts)
            .await
    }

    async fn login_with_phone(&self, code: &str, phone_code: &str) -> Result<AuthEvent, Error> {
        let pool = self.fresh_pool().await;
        self.core
            .wechat_login_by_code_and_phone(
                &pool,
                None,
                "mp",
                code,
                phone_code,
                LoginOptions::default(),
            )
            .await
    }

    async fn users(&self) -> i64 {
        self.store.count_users(&self.pool().id).await.unwrap()
    }

    async fn identities(&self, user_id: &str) -> Vec<(String, String, bool)> {
        let mut v: Vec<_> = self
            .core
            .identities(&self.pool().id, user_id)
            .await
            .unwrap()
            .into_iter()
            .map(|i| (i.provider, i.user_id_in_idp, i.connection_id.is_some()))
            .collect();
        v.sort();
        v
    }

    async fn set_pool(&self, key: &str, value: Value) {
        let mut input = Map::new();
        input.insert(key.into(), value);
        self.core.update_pool(&self.admin, &input).await.unwrap();
    }
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

async fn login_creates_then_finds(db: &TestDb) {
    let fx = setup(db).await;
    let first = fx.login("mp", "wx-a").await.expect("first login");
    assert!(first.newly_created);
    assert!(first.login_recorded);
    assert_eq!(first.methods, vec![AuthMethod::External]);
    assert_eq!(AuthMethod::External.amr(), "fed");
    let user = &first.user;
    assert_eq!(user.openid.as_deref(), Some("openid-wx-app-1-a"));
    assert_eq!(user.unionid, None);
    assert_eq!(user.username, None);
    assert_eq!(user.register_source, vec!["social:wechat:miniprogram"]);
    assert_eq!(
        fx.identities(&user.id).await,
        vec![(WECHAT_PROVIDER.into(), "openid-wx-app-1-a".into(), true)]
    );
    // The registration is recorded with the user (one unit of work).
    let registered: i64 = sqlx::Row::get(
        &sqlx::query("SELECT COUNT(*) AS n FROM user_actions WHERE user_id = $1 AND event = $2")
            .bind(&user.id)
            .bind("register")
            .fetch_one(fx.store.pool())
            .await
            .unwrap(),
        "n",
    );
    assert_eq!(registered, 1);
    let again = fx.login("mp", "wx-a").await.expect("second login");
    assert!(!again.newly_created);
    assert_eq!(again.user.id, user.id);
    assert_eq!(again.user.login.logins_count, 2);
    assert_eq!(fx.identities(&user.id).await.len(), 1);
    // Another person is another user.
    let b = fx.login("mp", "wx-b").await.unwrap();
    assert!(b.newly_created);
    assert_ne!(b.user.id, user.id);
    // Without a unionid, the same code at another mini-program is another openid: another user.
    let elsewhere = fx.login("mp2", "wx-a").await.unwrap();
    assert!(elsewhere.newly_created);
    assert_ne!(elsewhere.user.id, user.id);
    assert_eq!(fx.users().await, 3);
}

async fn unionid_wins_across_apps(db: &TestDb) {
    let fx = setup(db).await;
    let first = fx.login("mp", "wx-u1").await.unwrap();
    assert!(first.newly_created);
    assert_eq!(first.user.unionid.as_deref(), Some("unionid-u1"));
    let uid = first.user.id.clone();
    // The second mini-program gives another openid but the same unionid: the same user,
    // now linked to both openids.
    let second = fx.login("mp2", "wx-u1").await.unwrap();
    assert!(!second.newly_created);
    assert_eq!(second.user.id, uid);
    assert_eq!(
        fx.identities(&uid).await,
        vec![
            (WECHAT_PROVIDER.into(), "openid-wx-app-1-u1".into(), true),
            (WECHAT_PROVIDER.into(), "openid-wx-app-2-u1".into(), true),
            (WECHAT_UNIONID_PROVIDER.into(), "unionid-u1".into(), false),
        ]
    );
    assert_eq!(fx.users().await, 1);
    // A user linked by openid before the unionid was known gets it linked at its next login.
    let plain = fx.login("mp", "wx-v").await.unwrap();
    assert_eq!(fx.identities(&plain.user.id).await.len(), 1);
}

async fn phone_links_an_existing_user(db: &TestDb) {
    let fx = setup(db).await;
    let existing = fx
        .core
        .create_user(
            fx.pool(),
            NewUser {
                phone: Some("13800000001".into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    assert!(!existing.phone_verified);
    let ev = fx
        .login_with_phone("wx-p", "phone-13800000001")
        .await
        .expect("login with phone");
    assert!(!ev.newly_created);
    assert_eq!(ev.user.id, existing.id);
    assert!(ev.user.phone_verified, "WeChat vouched for the number");
    assert_eq!(fx.identities(&existing.id).await.len(), 1);
    // From now on the code alone finds that user.
    let by_code = fx.login("mp", "wx-p").await.unwrap();
    assert_eq!(by_code.user.id, existing.id);
    // A person nobody has the number of is registered with it, verified.
    let fresh = fx
        .login_with_phone("wx-q", "phone-13900000002")
        .await
        .unwrap();
    assert!(fresh.newly_created);
    assert_eq!(fresh.user.phone.as_deref(), Some("13900000002"));
    assert_eq!(fresh.user.phone_country_code.as_deref(), Some("+86"));
    assert!(fresh.user.phone_verified);
    // A linked person keeps their user whatever number comes with the next login.
    let relinked = fx
        .login_with_phone("wx-q", "phone-13800000001")
        .await
        .unwrap();
    assert_eq!(relinked.user.id, fresh.user.id);
    assert_eq!(fx.users().await, 2);
    // The phone helper answers the number WeChat gives for this mini-program.
    let phone = fx
        .core
        .wechat_phone(fx.pool(), "mp", "phone-13700000003")
        .await
        .unwrap();
    assert_eq!(phone.pure_phone_number, "13700000003");
    assert_eq!(phone.country_code, "86");
    assert_eq!(phone.watermark_appid, "wx-app-1");
}

async fn provider_errors_write_nothing(db: &TestDb) {
    let fx = setup(db).await;
    let refused = Error::Provider(ProviderFailure::Refused {
        provider_code: 40029,
    });
    let e = fx.login("mp", "bad-code").await.unwrap_err();
    assert!(matches!(&e, Error::Provider(_)), "{e:?}");
    assert_eq!(format!("{e:?}"), format!("{refused:?}"));
    assert!(matches!(
        fx.login("mp", "down-now").await,
        Err(Error::Provider(ProviderFailure::Unavailable))
    ));
    // A good login code with a phone code WeChat refuses or cannot answer: no user either.
    assert!(matches!(
        fx.login_with_phone("wx-c", "bad-phone").await,
        Err(Error::Provider(ProviderFailure::Refused { .. }))
    ));
    assert!(matches!(
        fx.login_with_phone("wx-c", "down-phone").await,
        Err(Error::Provider(ProviderFailure::Unavailable))
    ));
    assert_eq!(fx.users().await, 0);
    // Unknown connections, and connections of another kind, are not configured sources.
    assert!(matches!(
        fx.login("nope", "wx-a").await,
        Err(Error::IdentitySourceNotConfigured)
    ));
    assert!(matches!(
        fx.login("mp", "").await,
        Err(Error::MissingParameter("code"))
    ));
    // A core without a WeChat client refuses, and writes nothing.
    let (bare, _) = open_core(db).await;
    assert!(matches!(
        bare.wechat_login_by_code(
            &fx.fresh_pool().await,
            None,
            "mp",
            "wx-a",
            LoginOptions::default()
        )
        .await,
        Err(Error::Provider(ProviderFailure::NotConfigured))
    ));
    assert_eq!(fx.users().await, 0);
}

async fn registration_disabled_refuses_new_people(db: &TestDb) {
    let fx = setup(db).await;
    let known = fx.login("mp", "wx-k").await.unwrap();
    fx.set_pool("registerDisabled", json!(true)).await;
    assert!(matches!(
        fx.login("mp", "wx-new").await,
        Err(Error::RegisterDisabled)
    ));
    assert!(matches!(
        fx.login_with_phone("wx-new", "phone-13600000004").await,
        Err(Error::RegisterDisabled)
    ));
    assert_eq!(fx.users().await, 1);
    // People already linked still log in.
    assert_eq!(fx.login("mp", "wx-k").await.unwrap().user.id, known.user.id);
}

async fn blocked_and_listed_users_are_refused(db: &TestDb) {
    let fx = setup(db).await;
    let ann = fx.login("mp", "wx-ann").await.unwrap().user;
    let bob = fx.login("mp", "wx-bob").await.unwrap().user;
    let mut block = Map::new();
    block.insert("blocked".into(), json!(true));
    fx.core
        .admin_update_user(&fx.admin, &ann.id, &block, None)
        .await
        .unwrap();
    assert!(matches!(
        fx.login("mp", "wx-ann").await,
        Err(Error::UserBlocked)
    ));
    fx.core
        .add_user_list_entries(
            &fx.admin,
            std::slice::from_ref(&bob.id),
            black(&[Limit::ForbidLogin]),
        )
        .await
        .unwrap();
    assert!(matches!(
        fx.login("mp", "wx-bob").await,
        Err(Error::RiskListed(_))
    ));
    // A blocked user WeChat vouches the phone of is refused, and not linked.
    let cleo = fx
        .core
        .create_user(
            fx.pool(),
            NewUser {
                phone: Some("13500000005".into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    fx.core
        .admin_update_user(&fx.admin, &cleo.id, &block, None)
        .await
        .unwrap();
    let users = fx.users().await;
    assert!(matches!(
        fx.login_with_phone("wx-cleo", "phone-13500000005").await,
        Err(Error::UserBlocked)
    ));
    assert!(fx.identities(&cleo.id).await.is_empty());
    assert_eq!(fx.users().await, users);
    // A blacklisted address asks WeChat nothing.
    fx.core
        .add_ip_list_entries(
            &fx.admin,
            &["203.0.113.7".to_owned()],
            black(&[Limit::ForbidLogin]),
        )
        .await
        .unwrap();
    let before = fx.wechat.calls.load(Ordering::SeqCst);
    assert!(matches!(
        fx.login_from("wx-carl", "203.0.113.7").await,
        Err(Error::RiskListed(_))
    ));
    assert_eq!(fx.wechat.calls.load(Ordering::SeqCst), before);
    fx.login_from("wx-carl", "198.51.100.1")
        .await
        .expect("another address");
}

async fn pools_are_apart(db: &TestDb) {
    let fx = setup(db).await;
    let a = fx.login("mp", "wx-a").await.unwrap();
    // The other pool has no connection "mp": not configured there.
    let other_pool = fx.core.pool(&fx.other.pool().id).await.unwrap();
    assert!(matches!(
        fx.core
            .wechat_login_by_code(&other_pool, None, "mp", "wx-a", LoginOptions::default())
            .await,
        Err(Error::IdentitySourceNotConfigured)
    ));
    // With its own connection of the same mini-program, the same person is its own user.
    fx.mini_program(&fx.other, "mp", "wx-app-1", "appId", "appSecret")
        .await;
    let b = fx
        .core
        .wechat_login_by_code(&other_pool, None, "mp", "wx-a", LoginOptions::default())
        .await
        .unwrap();
    assert!(b.newly_created);
    assert_ne!(b.user.id, a.user.id);
    assert_eq!(b.user.pool_id, other_pool.id);
    // The access token is handed out only for a pair configured in the asking pool.
    let empty = fx.core.create_pool("empty").await.unwrap();
    let empty = fx.core.pool(&empty.user_pool_id).await.unwrap();
    let before = fx.wechat.calls.load(Ordering::SeqCst);
    assert!(matches!(
        fx.core
            .wechat_access_token(&empty, "wx-app-1", "secret-wx-app-1")
            .await,
        Err(Error::IdentitySourceNotConfigured)
    ));
    assert_eq!(fx.wechat.calls.load(Ordering::SeqCst), before);
}

async fn helpers(db: &TestDb) {
    let fx = setup(db).await;
    // Access token: only the exact pair of a configured mini-program.
    let t = fx
        .core
        .wechat_access_token(fx.pool(), "wx-app-2", "secret-wx-app-2")
        .await
        .unwrap();
    assert_eq!(t.access_token, "token-wx-app-2");
    assert_eq!(t.expires_in, 7200);
    let before = fx.wechat.calls.load(Ordering::SeqCst);
    for (id, secret) in [
        ("wx-app-2", "secret-wx-app-1"),
        ("wx-app-9", "secret-wx-app-9"),
        ("wx-app-2", ""),
    ] {
        assert!(
            fx.core
                .wechat_access_token(fx.pool(), id, secret)
                .await
                .is_err(),
            "{id} {secret}"
        );
    }
    assert_eq!(
        fx.wechat.calls.load(Ordering::SeqCst),
        before,
        "no open proxy"
    );
    // Decryption under the session key of a fresh code (the openssl vector).
    let data = fx
        .core
        .wechat_decrypt(fx.pool(), "mp", "wx-vector", VECTOR_DATA, VECTOR_IV)
        .await
        .unwrap();
    assert_eq!(data["openId"], "openid-abc");
    assert_eq!(data["watermark"]["appid"], VECTOR_APPID);
    // Data made for another mini-program, or under another key, is refused.
    assert!(matches!(
        fx.core
            .wechat_decrypt(fx.pool(), "mp2", "wx-vector", VECTOR_DATA, VECTOR_IV)
            .await,
        Err(Error::InvalidParameter("encryptedData"))
    ));
    assert!(matches!(
        fx.core
            .wechat_decrypt(fx.pool(), "mp", "wx-other", VECTOR_DATA, VECTOR_IV)
            .await,
        Err(Error::InvalidParameter("encryptedData"))
    ));
    assert_eq!(fx.users().await, 0, "helpers register nobody");
}

async fn bind_links_the_current_user(db: &TestDb) {
    let fx = setup(db).await;
    let linked = fx.login("mp", "wx-taken").await.unwrap().user;
    let pool = fx.fresh_pool().await;
    let me = fx
        .core
        .create_user(
            &pool,
            NewUser {
                username: Some("me".into()),
                password: Some("Passw0rd!x".into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    let event = fx
        .core
        .authenticate(
            &pool,
            None,
            Credential::Password {
                id: LoginId::Username("me".into()),
                password: "Passw0rd!x".into(),
            },
            LoginOptions::default(),
        )
        .await
        .unwrap();
    let token = fx
        .core
        .issue_v2_user_token(&pool, None, &event)
        .await
        .unwrap()
        .token;
    let session = fx.core.session(&token, Some(&pool.id)).await.unwrap();
    assert!(matches!(
        fx.core.wechat_bind(&session, "mp", "wx-taken").await,
        Err(Error::IdentityLinkedElsewhere)
    ));
    assert_eq!(fx.identities(&linked.id).await.len(), 1);
    fx.core
        .wechat_bind(&session, "mp", "wx-umine")
        .await
        .expect("bind");
    // Binding again changes nothing; the mini-program now logs this user in.
    fx.core
        .wechat_bind(&session, "mp", "wx-umine")
        .await
        .expect("bind again");
    assert_eq!(fx.identities(&me.id).await.len(), 2);
    let ev = fx.login("mp", "wx-umine").await.unwrap();
    assert_eq!(ev.user.id, me.id);
    assert!(!ev.newly_created);
    assert!(matches!(
        fx.core.wechat_bind(&session, "mp", "bad-code").await,
        Err(Error::Provider(_))
    ));
}

impl Fx {
    /// `authByCodeIdentity`: the ticket of a person linked to no user, or the login.
    async fn mobile(&self, code: &str) -> Result<AuthEvent, Error> {
        let pool = self.fresh_pool().await;
        self.core
            .wechat_mobile_login(&pool, None, None, code, true, LoginOptions::default())
            .await
    }

    async fn mobile_ticket(&self, code: &str) -> (String, Vec<String>) {
        match self.mobile(code).await {
            Err(Error::AccountLinkRequired(c)) => (c.ticket, c.candidates),
            other => panic!("a linking ticket expected, got {other:?}"),
        }
    }

    async fn link(&self, ticket: &str, proof: LinkProof) -> Result<AuthEvent, Error> {
        let pool = self.fresh_pool().await;
        self.core
            .wechat_mobile_link(&pool, None, ticket, proof, LoginOptions::default())
            .await
    }

    async fn user_named(&self, username: &str, unionid: Option<&str>) -> String {
        let pool = self.fresh_pool().await;
        let u = self
            .core
            .create_user(
                &pool,
                NewUser {
                    username: Some(username.into()),
                    password: Some("Passw0rd!x".into()),
                    ..NewUser::default()
                },
                CreatedBy::Admin,
            )
            .await
            .unwrap();
        if let Some(unionid) = unionid {
            let change = tessera_core::store::UserChange::new().set(
                tessera_core::store::UserField::Unionid(Some(unionid.into())),
            );
            self.store
                .change_user(&pool.id, &u.id, &change, 1)
                .await
                .unwrap()
                .unwrap();
        }
        u.id
    }
}

fn password(account: &str, password: &str) -> LinkProof {
    LinkProof::Password {
        account: account.into(),
        password: password.into(),
    }
}

async fn mobile_ticket_links_once(db: &TestDb) {
    let fx = setup(db).await;
    let me = fx.user_named("me", None).await;
    let users = fx.users().await;
    let (ticket, candidates) = fx.mobile_ticket("wx-a").await;
    assert!(candidates.is_empty());
    assert_eq!(fx.users().await, users, "a ticket registers nobody");
    // Stored as its digest only.
    let digest = tessera_core::crypto::digest(&ticket);
    assert!(fx
        .store
        .link_ticket(&fx.pool().id, &ticket)
        .await
        .unwrap()
        .is_none());
    let row = fx
        .store
        .link_ticket(&fx.pool().id, &digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.subject, "openid-wx-mobile-1-a");
    assert_eq!(row.nickname.as_deref(), Some("nick-a"));
    // A wrong password keeps the ticket; the right one spends it.
    assert!(matches!(
        fx.link(&ticket, password("me", "wrong-Passw0rd")).await,
        Err(Error::WrongPassword)
    ));
    let ev = fx
        .link(&ticket, password("me", "Passw0rd!x"))
        .await
        .unwrap();
    assert_eq!(ev.user.id, me);
    assert!(fx
        .store
        .link_ticket(&fx.pool().id, &digest)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        fx.link(&ticket, password("me", "Passw0rd!x")).await,
        Err(Error::InvalidParameter("key"))
    ));
    // Linked: the next code logs in directly.
    assert_eq!(fx.mobile("wx-a").await.unwrap().user.id, me);
    // Registering from a ticket: WeChat's nickname.
    let (ticket, _) = fx.mobile_ticket("wx-b").await;
    let ev = fx.link(&ticket, LinkProof::Register).await.unwrap();
    assert!(ev.newly_created);
    assert_eq!(ev.user.profile.nickname.as_deref(), Some("nick-b"));
    assert_eq!(fx.mobile("wx-b").await.unwrap().user.id, ev.user.id);
}

async fn mobile_candidates_and_bad_tickets(db: &TestDb) {
    let fx = setup(db).await;
    let one = fx.user_named("one", Some("unionid-ux")).await;
    let outsider = fx.user_named("outsider", None).await;
    let (ticket, candidates) = fx.mobile_ticket("wx-ux").await;
    assert_eq!(candidates, vec![one.clone()]);
    assert!(matches!(
        fx.link(&ticket, LinkProof::Candidate(outsider)).await,
        Err(Error::InvalidParameter("accountId"))
    ));
    assert_eq!(
        fx.link(&ticket, LinkProof::Candidate(one.clone()))
            .await
            .unwrap()
            .user
            .id,
        one
    );
    // An expired ticket, and one of another pool, spend nothing.
    let pool = fx.pool().id.clone();
    let now = tessera_core::clock::now_ms();
    let expired = LinkTicket {
        ticket_hash: tessera_core::crypto::digest("expired-ticket"),
        pool_id: pool.clone(),
        app_id: None,
        conn_id: "whatever".into(),
        subject: "openid-x".into(),
        unionid: None,
        nickname: None,
        photo: None,
        candidates: vec![],
        expires_at: now - 1,
        created_at: now - 600_000,
    };
    fx.store.put_link_ticket(&expired).await.unwrap();
    assert!(matches!(
        fx.link("expired-ticket", LinkProof::Register).await,
        Err(Error::InvalidParameter("key"))
    ));
    assert!(!fx
        .store
        .take_link_ticket(&pool, &expired.ticket_hash, now)
        .await
        .unwrap());
    // Expired rows go with the other expired rows.
    fx.store.purge_expired(now).await.unwrap();
    assert!(fx
        .store
        .link_ticket(&pool, &expired.ticket_hash)
        .await
        .unwrap()
        .is_none());
    let (ticket, _) = fx.mobile_ticket("wx-c").await;
    let other = fx.core.pool(&fx.other.pool().id).await.unwrap();
    assert!(matches!(
        fx.core
            .wechat_mobile_link(
                &other,
                None,
                &ticket,
                LinkProof::Register,
                LoginOptions::default()
            )
            .await,
        Err(Error::InvalidParameter("key"))
    ));
    // Taken once only.
    let digest = tessera_core::crypto::digest(&ticket);
    assert!(fx
        .store
        .take_link_ticket(&pool, &digest, now)
        .await
        .unwrap());
    assert!(!fx
        .store
        .take_link_ticket(&pool, &digest, now)
        .await
        .unwrap());
    // WeChat refusing or down: no ticket, no user.
    let users = fx.users().await;
    for code in ["bad-code", "down-now"] {
        assert!(matches!(fx.mobile(code).await, Err(Error::Provider(_))));
    }
    assert_eq!(fx.users().await, users);
}

/// A link proved by a password is a password login: a user with an enrolled factor the
/// pool asks for stops at the MFA step, and the identity is not linked; a pick among the
/// candidates WeChat named (a login by WeChat alone) does not.
async fn mobile_link_by_password_takes_the_mfa_step(db: &TestDb) {
    use tessera_core::crypto::totp;
    use tessera_core::service::mfa_factors::{FactorKind, FactorProfile};
    let fx = setup(db).await;
    let pool = fx.fresh_pool().await;
    let me = fx
        .core
        .create_user(
            &pool,
            NewUser {
                username: Some("mfa-user".into()),
                password: Some("Passw0rd!x".into()),
                ..NewUser::default()
            },
            CreatedBy::SelfService,
        )
        .await
        .unwrap();
    let token = fx.core.issue_user_token(&pool, None, &me).await.unwrap();
    let session = fx.core.session(&token.token, Some(&pool.id)).await.unwrap();
    let req = fx
        .core
        .send_enroll_factor_request(&session, FactorKind::Otp, &FactorProfile::default())
        .await
        .unwrap();
    let secret = req
        .otp
        .clone()
        .unwrap()
        .qr_code_uri
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret="))
        .and_then(totp::base32_decode)
        .unwrap();
    let step = totp::step_at(tessera_core::clock::now_secs());
    fx.core
        .enroll_factor(
            &session,
            FactorKind::Otp,
            &req.enrollment_token,
            &totp::hotp(&secret, step - 1).unwrap(),
        )
        .await
        .unwrap();
    fx.core
        .set_global_mfa_settings(&fx.admin, &[FactorKind::Otp])
        .await
        .unwrap();
    let (ticket, _) = fx.mobile_ticket("wx-mfa").await;
    assert!(matches!(
        fx.link(&ticket, password("mfa-user", "Passw0rd!x")).await,
        Err(Error::MfaRequired(_))
    ));
    assert!(fx.identities(&me.id).await.is_empty(), "not linked");
    // A pick among WeChat's candidates is WeChat's login: the same user, no step.
    let change = tessera_core::store::UserChange::new().set(
        tessera_core::store::UserField::Unionid(Some("unionid-umfa".into())),
    );
    fx.store
        .change_user(&pool.id, &me.id, &change, 1)
        .await
        .unwrap()
        .unwrap();
    let (ticket, candidates) = fx.mobile_ticket("wx-umfa").await;
    assert_eq!(candidates, vec![me.id.clone()]);
    let ev = fx.link(&ticket, LinkProof::Candidate(me.id.clone())).await;
    assert_eq!(ev.unwrap().user.id, me.id);
    assert_eq!(fx.identities(&me.id).await.len(), 2);
}

/// `changeExtIdpConnState` names applications: a connection switched off in one application
/// logs nobody in through it there (nothing written), while another application of the pool
/// still signs people in; switched on again, it works there too. Another pool's application
/// cannot be named, and a pool-wide switch off wins over every application.
async fn connection_state_per_application(db: &TestDb) {
    let fx = setup(db).await;
    let pool = fx.fresh_pool().await;
    let web = fx.core.create_application(&pool.id, "web").await.unwrap();
    let shop = fx.core.create_application(&pool.id, "shop").await.unwrap();
    let conn = fx
        .core
        .list_ext_idps(&fx.admin, None)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|i| i.connections)
        .find(|c| c.identifier == "mp")
        .expect("the mini-program connection");
    let login = |app: &tessera_core::model::Application, code: &'static str| {
        let (core, pool, app) = (&fx.core, pool.clone(), app.clone());
        async move {
            core.wechat_login_by_code(&pool, Some(&app), "mp", code, LoginOptions::default())
                .await
        }
    };
    fx.core
        .set_ext_idp_conn_enabled(
            &fx.admin,
            &conn.id,
            std::slice::from_ref(&web.id),
            None,
            false,
        )
        .await
        .unwrap();
    let users = fx.users().await;
    let e = login(&web, "wx-state").await;
    assert!(
        matches!(e, Err(Error::IdentitySourceNotConfigured)),
        "{e:?}"
    );
    assert_eq!(fx.users().await, users, "a refused login registers nobody");
    assert!(login(&shop, "wx-state").await.unwrap().newly_created);
    let states = fx
        .core
        .ext_idp_conn_states_in_app(&fx.admin, &web.id)
        .await
        .unwrap();
    assert_eq!(states, vec![(conn.id.clone(), false)]);
    assert!(fx
        .core
        .ext_idp_conn_states_in_app(&fx.admin, &shop.id)
        .await
        .unwrap()
        .is_empty());
    // The pool-wide state is untouched by an application's.
    assert!(
        fx.core
            .ext_idp_conn(&fx.admin, &conn.id)
            .await
            .unwrap()
            .enabled
    );

    fx.core
        .set_ext_idp_conn_enabled(
            &fx.admin,
            &conn.id,
            &[web.id.clone(), web.id.clone()],
            None,
            true,
        )
        .await
        .unwrap();
    assert!(!login(&web, "wx-state").await.unwrap().newly_created);

    // Another pool's application is not this pool's to name; nothing changes.
    let theirs = fx
        .core
        .create_application(&fx.other.id, "theirs")
        .await
        .unwrap();
    let e = fx
        .core
        .set_ext_idp_conn_enabled(
            &fx.admin,
            &conn.id,
            std::slice::from_ref(&theirs.id),
            None,
            false,
        )
        .await;
    assert!(e.is_err(), "{e:?}");
    assert!(login(&web, "wx-state").await.is_ok());

    // Off pool-wide, the connection is off in every application; switching it on in one
    // application switches it on pool-wide again.
    fx.core
        .set_ext_idp_conn_enabled(&fx.admin, &conn.id, &[], None, false)
        .await
        .unwrap();
    assert!(matches!(
        login(&shop, "wx-state").await,
        Err(Error::IdentitySourceNotConfigured)
    ));
    fx.core
        .set_ext_idp_conn_enabled(
            &fx.admin,
            &conn.id,
            std::slice::from_ref(&shop.id),
            None,
            true,
        )
        .await
        .unwrap();
    assert!(login(&shop, "wx-state").await.is_ok());
    assert!(
        fx.core
            .ext_idp_conn(&fx.admin, &conn.id)
            .await
            .unwrap()
            .enabled
    );
}

/// A login for a tenant (`LoginOptions::tenant_id`) through one of the pool's connections:
/// served while the pool offers the connection to its tenants and the tenant has not
/// dissociated it, refused otherwise (nobody registered); the pool's own logins are not a
/// tenant's; a connection of one tenant's own provider serves that tenant only; a tenant of
/// another pool is not found.
async fn connection_in_tenant_logins(db: &TestDb) {
    use tessera_core::service::tenants::NewTenant;
    let fx = setup(db).await;
    let pool = fx.fresh_pool().await;
    let conn = fx
        .core
        .list_ext_idps(&fx.admin, None)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|i| i.connections)
        .find(|c| c.identifier == "mp")
        .expect("the mini-program connection");
    let tenant = |admin: &PoolAdmin, name: &'static str| {
        let (core, admin) = (&fx.core, admin.clone());
        async move {
            core.create_tenant(
                &admin,
                NewTenant {
                    name: name.into(),
                    ..NewTenant::default()
                },
            )
            .await
            .unwrap()
            .id
        }
    };
    let (a, b) = (tenant(&fx.admin, "A").await, tenant(&fx.admin, "B").await);
    let theirs = tenant(&fx.other, "Theirs").await;
    let login = |conn_id: &'static str, tenant: Option<String>, code: &'static str| {
        let (core, pool) = (&fx.core, pool.clone());
        async move {
            let opts = LoginOptions {
                tenant_id: tenant,
                ..LoginOptions::default()
            };
            core.wechat_login_by_code(&pool, None, conn_id, code, opts)
                .await
        }
    };
    assert!(login("mp", Some(a.clone()), "wx-t1").await.is_ok());

    fx.core
        .set_tenant_conns_offered(&fx.admin, std::slice::from_ref(&conn.id), false)
        .await
        .unwrap();
    let users = fx.users().await;
    let e = login("mp", Some(a.clone()), "wx-t2").await;
    assert!(
        matches!(e, Err(Error::IdentitySourceNotConfigured)),
        "{e:?}"
    );
    assert_eq!(fx.users().await, users, "a refused login registers nobody");
    assert!(
        login("mp", None, "wx-t2").await.is_ok(),
        "not a tenant's login"
    );
    fx.core
        .set_tenant_conns_offered(&fx.admin, std::slice::from_ref(&conn.id), true)
        .await
        .unwrap();

    fx.core
        .set_tenant_conn_associated(&fx.admin, &a, &conn.id, false)
        .await
        .unwrap();
    assert!(matches!(
        login("mp", Some(a.clone()), "wx-t3").await,
        Err(Error::IdentitySourceNotConfigured)
    ));
    assert!(login("mp", Some(b.clone()), "wx-t3").await.is_ok());
    assert!(matches!(
        login("mp", Some(theirs.clone()), "wx-t3").await,
        Err(Error::NotFound(tessera_core::Entity::Tenant))
    ));

    // A connection of tenant B's own provider.
    let mut fields = Map::new();
    fields.insert("appId".into(), json!("wx-app-b"));
    fields.insert("appSecret".into(), json!("secret-wx-app-b"));
    fx.core
        .create_ext_idp(
            &fx.admin,
            NewExtIdp {
                tenant_id: Some(b.clone()),
                name: "B's WeChat".into(),
                kind: "wechat".into(),
                connections: vec![NewConn {
                    kind: WECHAT_MINIPROGRAM_KIND.into(),
                    identifier: "mp-b".into(),
                    display_name: "mp-b".into(),
                    fields,
                    user_match_fields: vec![],
                    logo: None,
                }],
            },
        )
        .await
        .unwrap();
    assert!(login("mp-b", Some(b.clone()), "wx-t4").await.is_ok());
    assert!(matches!(
        login("mp-b", Some(a.clone()), "wx-t4").await,
        Err(Error::IdentitySourceNotConfigured)
    ));
}

backend_tests! {
    conn_in_tenant_logins => connection_in_tenant_logins;
    conn_state_per_app => connection_state_per_application;
    mobile_mfa => mobile_link_by_password_takes_the_mfa_step;
    mobile_ticket => mobile_ticket_links_once;
    mobile_candidates => mobile_candidates_and_bad_tickets;
    creates_then_finds => login_creates_then_finds;
    unionid => unionid_wins_across_apps;
    phone_links => phone_links_an_existing_user;
    provider_errors => provider_errors_write_nothing;
    registration_disabled => registration_disabled_refuses_new_people;
    blocked_and_listed => blocked_and_listed_users_are_refused;
    pool_isolation => pools_are_apart;
    decrypt_and_token => helpers;
    bind => bind_links_the_current_user;
}
