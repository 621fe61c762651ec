//! The WeChat mock and the server's WeChat client (`tessera_notify::WechatHttp`) against
//! each other, then the whole chain: a core whose client calls the mock logs a mini-program
//! user in, links the phone, decrypts data encrypted under the mock's session key, and
//! writes nothing when the mock refuses or is down.

use std::sync::Arc;

use base64::Engine;
use openssl::symm::{encrypt, Cipher};
use serde_json::{json, Map};
use tessera_compat::wechat_mock::{self, session_key_for, PHONE_TIMESTAMP};
use tessera_core::crypto::password::HashParams;
use tessera_core::notify::Outbox;
use tessera_core::service::login::LoginOptions;
use tessera_core::service::tenants::{NewConn, NewExtIdp};
use tessera_core::store::Store;
use tessera_core::wechat::WechatApi;
use tessera_core::{Core, CoreConfig, Error, ProviderFailure};
use tessera_notify::WechatHttp;
use tessera_store::SqlStore;

async fn client() -> WechatHttp {
    let addr = wechat_mock::start(wechat_mock::router())
        .await
        .expect("mock");
    WechatHttp::new(&format!("http://{addr}/"))
}

fn refused_with(r: Result<impl std::fmt::Debug, Error>, code: i64) {
    match r {
        Err(Error::Provider(ProviderFailure::Refused { provider_code })) => {
            assert_eq!(provider_code, code)
        }
        other => panic!("expected refusal {code}, got {other:?}"),
    }
}

fn unavailable(r: Result<impl std::fmt::Debug, Error>) {
    assert!(
        matches!(r, Err(Error::Provider(ProviderFailure::Unavailable))),
        "{r:?}"
    );
}

#[test]
fn session_keys_are_16_bytes_and_fixed() {
    let b64 = base64::engine::general_purpose::STANDARD;
    let k = session_key_for("a");
    assert_eq!(b64.decode(&k).unwrap().len(), 16);
    assert_eq!(k, session_key_for("a"));
    assert_ne!(k, session_key_for("b"));
    // SHA-256("wechat-mock:a"), first 16 bytes: what `js/test/wechat-mock.mjs` computes.
    let full = openssl::sha::sha256(b"wechat-mock:a");
    assert_eq!(k, b64.encode(&full[..16]));
}

#[tokio::test]
async fn the_client_reads_every_answer_of_the_mock() {
    let wx = client().await;
    let s = wx
        .code_to_session("wx-app", "s3cret", "wx-abc")
        .await
        .unwrap();
    assert_eq!(s.openid, "openid-abc");
    assert_eq!(s.unionid, None);
    assert_eq!(s.session_key, session_key_for("abc"));
    let u = wx
        .code_to_session("wx-app", "s3cret", "wx-u7")
        .await
        .unwrap();
    assert_eq!(u.unionid.as_deref(), Some("unionid-u7"));
    refused_with(wx.code_to_session("wx-app", "s3cret", "bad-1").await, 40029);
    refused_with(wx.code_to_session("wx-app", "s3cret", "other").await, 40029);
    refused_with(wx.code_to_session("wx-app", "bad", "wx-abc").await, 40125);
    unavailable(wx.code_to_session("wx-app", "s3cret", "down-1").await);

    let t = wx.access_token("wx-app", "s3cret").await.unwrap();
    assert_eq!(t.access_token, "mock-token-wx-app");
    assert_eq!(t.expires_in, 7200);
    refused_with(wx.access_token("wx-app", "bad-secret").await, 40125);
    unavailable(wx.access_token("down-app", "s3cret").await);

    let p = wx
        .phone_number(&t.access_token, "phone-13800000001")
        .await
        .unwrap();
    assert_eq!(p.pure_phone_number, "13800000001");
    assert_eq!(p.phone_number, "13800000001");
    assert_eq!(p.country_code, "86");
    assert_eq!(p.watermark_appid, "wx-app");
    assert_eq!(p.watermark_timestamp, PHONE_TIMESTAMP);
    refused_with(wx.phone_number(&t.access_token, "bad-phone").await, 40029);
    refused_with(wx.phone_number("forged", "phone-1").await, 40001);
    unavailable(wx.phone_number(&t.access_token, "down-phone").await);
}

#[tokio::test]
async fn an_unreachable_wechat_is_unavailable() {
    // A port nothing listens on (bound, then closed).
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    let wx = WechatHttp::new(&format!("http://{addr}"));
    unavailable(wx.code_to_session("a", "b", "wx-c").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_core_logs_mini_program_users_in_through_the_mock() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqlStore::open_data_dir(&dir.path().join("data"))
        .await
        .unwrap();
    let store = Arc::new(store);
    let dyn_store: Arc<dyn Store> = store.clone();
    let mut core = Core::open(
        dyn_store,
        CoreConfig {
            public_url: "http://127.0.0.1:1".into(),
            hash_params: HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .unwrap();
    core.set_wechat(Arc::new(client().await));
    let creds = core.create_pool("mp").await.unwrap();
    let admin = core
        .pool_admin_by_secret(&creds.user_pool_id, &creds.secret)
        .await
        .unwrap();
    let mut fields = Map::new();
    fields.insert("appId".into(), json!("wx-compat"));
    fields.insert("appSecret".into(), json!("compat-secret"));
    core.create_ext_idp(
        &admin,
        NewExtIdp {
            name: "WeChat".into(),
            kind: "wechat".into(),
            connections: vec![NewConn {
                kind: "wechat:miniprogram:default".into(),
                identifier: "wechat-mp".into(),
                display_name: "Mini program".into(),
                fields,
                user_match_fields: vec![],
                logo: None,
            }],
            ..NewExtIdp::default()
        },
    )
    .await
    .unwrap();
    let pool = core.pool(&creds.user_pool_id).await.unwrap();
    let login = |code: &'static str| {
        core.wechat_login_by_code(&pool, None, "wechat-mp", code, LoginOptions::default())
    };

    let first = login("wx-u1").await.unwrap();
    assert!(first.newly_created);
    assert_eq!(first.user.openid.as_deref(), Some("openid-u1"));
    assert_eq!(first.user.unionid.as_deref(), Some("unionid-u1"));
    assert_eq!(login("wx-u1").await.unwrap().user.id, first.user.id);

    let with_phone = core
        .wechat_login_by_code_and_phone(
            &pool,
            None,
            "wechat-mp",
            "wx-p",
            "phone-13800000009",
            LoginOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(with_phone.user.phone.as_deref(), Some("13800000009"));
    assert!(with_phone.user.phone_verified);

    let phone = core
        .wechat_phone(&pool, "wechat-mp", "phone-13700000001")
        .await
        .unwrap();
    assert_eq!(phone.watermark_appid, "wx-compat");

    // Data the mini-program would hand over, encrypted under the mock's key for `x`.
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64.decode(session_key_for("d")).unwrap();
    let iv = [7u8; 16];
    let plain = json!({"nickName": "Dee", "watermark": {"appid": "wx-compat"}}).to_string();
    let data = encrypt(Cipher::aes_128_cbc(), &key, Some(&iv), plain.as_bytes()).unwrap();
    let out = core
        .wechat_decrypt(
            &pool,
            "wechat-mp",
            "wx-d",
            &b64.encode(data),
            &b64.encode(iv),
        )
        .await
        .unwrap();
    assert_eq!(out["nickName"], "Dee");

    let token = core
        .wechat_access_token(&pool, "wx-compat", "compat-secret")
        .await
        .unwrap();
    assert_eq!(token.access_token, "mock-token-wx-compat");

    let users = store.count_users(&pool.id).await.unwrap();
    assert!(matches!(
        login("bad-code").await,
        Err(Error::Provider(ProviderFailure::Refused {
            provider_code: 40029
        }))
    ));
    assert!(matches!(
        login("down-now").await,
        Err(Error::Provider(ProviderFailure::Unavailable))
    ));
    assert_eq!(store.count_users(&pool.id).await.unwrap(), users);
}
