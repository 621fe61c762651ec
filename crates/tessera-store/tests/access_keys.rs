//! v3 management authentication on a real store, on both backends: request signatures of
//! the pool's own key and of a created access key, the clock window, and nonces shared by two
//! server processes (a request replayed to the other process is refused).

mod common;

use std::sync::Arc;

use common::TestDb;
use tessera_core::crypto::hmac_sha1_b64;
use tessera_core::crypto::password::HashParams;
use tessera_core::notify::Outbox;
use tessera_core::principal::AdminProof;
use tessera_core::service::access_keys::{SignedRequest, SIGNATURE_WINDOW_MS};
use tessera_core::store::Store;
use tessera_core::{clock, Core, CoreConfig, Error, SignatureProblem};

async fn core(db: &TestDb) -> Core {
    let store: Arc<dyn Store> = db.open().await;
    Core::open(
        store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .expect("core")
}

async fn signatures_and_nonces_hold_across_processes(db: &TestDb) {
    let a = core(db).await;
    let b = core(db).await;
    let creds = a.create_pool("p").await.unwrap();
    let pool = a.pool(&creds.user_pool_id).await.unwrap();
    let text = vec!["GET\n/api/v3/list-users".to_owned()];
    let now = clock::now_ms();
    let sig = hmac_sha1_b64(pool.secret.as_bytes(), text[0].as_bytes()).unwrap();
    let signed = SignedRequest {
        key_id: &pool.id,
        candidates: &text,
        signature: &sig,
        nonce: Some("n-1"),
        signed_at_ms: Some(now),
    };
    let admin = a.pool_admin_by_signature(&signed).await.unwrap();
    assert_eq!(admin.pool_id(), pool.id);
    assert_eq!(admin.proof(), AdminProof::AccessKey);
    // The same nonce at the other process: a replay.
    let e = b.pool_admin_by_signature(&signed).await.unwrap_err();
    assert!(
        matches!(e, Error::Signature(SignatureProblem::NonceReplayed)),
        "{e:?}"
    );
    // A wrong signature and an unknown key are one answer.
    let wrong = SignedRequest {
        signature: "AAAA",
        nonce: Some("n-2"),
        ..signed.clone()
    };
    let e = b.pool_admin_by_signature(&wrong).await.unwrap_err();
    assert!(
        matches!(e, Error::Signature(SignatureProblem::Invalid)),
        "{e:?}"
    );
    let unknown = SignedRequest {
        key_id: "no-such-key",
        nonce: Some("n-3"),
        ..signed.clone()
    };
    let e = b.pool_admin_by_signature(&unknown).await.unwrap_err();
    assert!(
        matches!(e, Error::Signature(SignatureProblem::Invalid)),
        "{e:?}"
    );
    // Outside the clock window.
    let old = SignedRequest {
        nonce: Some("n-4"),
        signed_at_ms: Some(now - SIGNATURE_WINDOW_MS - 1000),
        ..signed.clone()
    };
    let e = b.pool_admin_by_signature(&old).await.unwrap_err();
    assert!(
        matches!(e, Error::Signature(SignatureProblem::Skewed)),
        "{e:?}"
    );
    let undated = SignedRequest {
        nonce: Some("n-5"),
        signed_at_ms: None,
        ..signed.clone()
    };
    let e = b.pool_admin_by_signature(&undated).await.unwrap_err();
    assert!(
        matches!(e, Error::Signature(SignatureProblem::MissingDate)),
        "{e:?}"
    );

    // The access key created with the pool signs for the same pool.
    let key_sig = hmac_sha1_b64(creds.access_key_secret.as_bytes(), text[0].as_bytes()).unwrap();
    let by_key = SignedRequest {
        key_id: &creds.access_key_id,
        candidates: &text,
        signature: &key_sig,
        nonce: Some("n-1"),
        signed_at_ms: Some(now),
    };
    // Nonces are per key: the pool key's "n-1" does not block this key's.
    let admin = b.pool_admin_by_signature(&by_key).await.unwrap();
    assert_eq!(admin.pool_id(), pool.id);
}

async fn access_key_tokens_verify_at_the_other_process(db: &TestDb) {
    let a = core(db).await;
    let b = core(db).await;
    let creds = a.create_pool("p").await.unwrap();
    let t = a
        .issue_access_key_token(&creds.access_key_id, &creds.access_key_secret)
        .await
        .unwrap();
    assert_eq!(t.exp - t.iat, 7200);
    let admin = b
        .verify_management_token(&t.token, Some(&creds.user_pool_id), None)
        .await
        .unwrap();
    assert_eq!(admin.pool_id(), creds.user_pool_id);
    assert_eq!(admin.proof(), AdminProof::AccessKey);
    // Another pool's id in the header refuses it.
    let other = a.create_pool("q").await.unwrap();
    let e = b
        .verify_management_token(&t.token, Some(&other.user_pool_id), None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden), "{e:?}");
    // A wrong secret buys nothing; nor does another pool's key with this pool's secret.
    let e = a
        .issue_access_key_token(&creds.access_key_id, "wrong")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden), "{e:?}");
    let pool = a.pool(&creds.user_pool_id).await.unwrap();
    let e = a
        .issue_access_key_token(&other.access_key_id, &pool.secret)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden), "{e:?}");
    // The pool's own id and secret are a key too.
    let own = a
        .issue_access_key_token(&pool.id, &pool.secret)
        .await
        .unwrap();
    b.verify_management_token(&own.token, None, None)
        .await
        .unwrap();
}

backend_tests! {
    signatures => signatures_and_nonces_hold_across_processes;
    tokens => access_key_tokens_verify_at_the_other_process;
}
