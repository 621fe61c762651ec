//! The Douyin and Alipay mocks and the server's clients for them
//! (`tessera_notify::DouyinHttp`, `tessera_notify::AlipayHttp`) against each other: every
//! answer read, refusals carry the provider's number, an outage is "unavailable", and the
//! Alipay gateway request is signed so that the application's public key verifies it.

use base64::Engine;
use tessera_compat::alipay_mock::{self, AlipayKeys};
use tessera_compat::douyin_mock::{self, session_key_for};
use tessera_compat::wechat_mock;
use tessera_core::alipay::AlipayApi;
use tessera_core::douyin::DouyinApi;
use tessera_core::{Error, ProviderFailure};
use tessera_notify::{AlipayHttp, DouyinHttp};

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
fn douyin_session_keys_are_16_bytes_and_fixed() {
    let b64 = base64::engine::general_purpose::STANDARD;
    let k = session_key_for("a");
    assert_eq!(b64.decode(&k).unwrap().len(), 16);
    // SHA-256("douyin-mock:a"), first 16 bytes: what `js/test/douyin-mock.mjs` computes.
    let full = openssl::sha::sha256(b"douyin-mock:a");
    assert_eq!(k, b64.encode(&full[..16]));
    assert_ne!(k, tessera_compat::wechat_mock::session_key_for("a"));
}

#[tokio::test]
async fn the_douyin_client_reads_every_answer_of_the_mock() {
    let addr = wechat_mock::start(douyin_mock::router()).await.unwrap();
    let dy = DouyinHttp::new(&format!("http://{addr}/"));
    let s = dy
        .code_to_session("tt-app", "s3cret", "tt-abc")
        .await
        .unwrap();
    assert_eq!(s.openid, "tt-openid-abc");
    assert_eq!(s.unionid, None);
    assert_eq!(s.session_key, session_key_for("abc"));
    let u = dy
        .code_to_session("tt-app", "s3cret", "tt-u7")
        .await
        .unwrap();
    assert_eq!(u.unionid.as_deref(), Some("tt-unionid-u7"));
    refused_with(
        dy.code_to_session("tt-app", "s3cret", "wx-abc").await,
        40018,
    );
    refused_with(dy.code_to_session("tt-app", "bad", "tt-abc").await, 40015);
    refused_with(dy.code_to_session("", "s3cret", "tt-abc").await, 40014);
    unavailable(dy.code_to_session("tt-app", "s3cret", "down-1").await);
    // Nothing listening.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = l.local_addr().unwrap();
    drop(l);
    unavailable(
        DouyinHttp::new(&format!("http://{gone}"))
            .code_to_session("a", "b", "tt-c")
            .await,
    );
}

#[tokio::test]
async fn the_alipay_client_signs_what_the_gateway_verifies() {
    let keys = AlipayKeys::generate().unwrap();
    let addr = wechat_mock::start(alipay_mock::router(&keys).unwrap())
        .await
        .unwrap();
    let ali = AlipayHttp::new(&format!("http://{addr}/gateway.do"));
    let u = ali
        .oauth_token("2021000", &keys.private_pem, "ali-xyz")
        .await
        .unwrap();
    assert_eq!(u.user_id.as_deref(), Some("2088xyz"));
    // The key as bare base64 of its DER (as Alipay's key tool writes it) signs the same.
    let bare: String = keys
        .private_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(ali.oauth_token("2021000", &bare, "ali-1").await.is_ok());
    // Another key's signature is refused by the gateway.
    let other = AlipayKeys::generate().unwrap();
    refused_with(
        ali.oauth_token("2021000", &other.private_pem, "ali-xyz")
            .await,
        40002,
    );
    refused_with(
        ali.oauth_token("2021000", &keys.private_pem, "nope").await,
        40002,
    );
    unavailable(
        ali.oauth_token("2021000", &keys.private_pem, "down-1")
            .await,
    );
    // A key that cannot sign asks nobody: the connection is not configured.
    assert!(matches!(
        ali.oauth_token("2021000", "not a key", "ali-xyz").await,
        Err(Error::IdentitySourceNotConfigured)
    ));
}
