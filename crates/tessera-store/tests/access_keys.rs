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
use tessera_core::service::access_keys::{NewAccessKey, SignedRequest, SIGNATURE_WINDOW_MS};
use tessera_core::service::paging::Page;
use tessera_core::store::Store;
use tessera_core::{clock, Core, CoreConfig, Entity, Error, SignatureProblem};

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

/// A signed request of `key` at `now` with a fresh nonce.
fn signed_by<'a>(
    key_id: &'a str,
    secret: &str,
    text: &'a [String],
    sig: &'a mut String,
    nonce: &'a str,
) -> SignedRequest<'a> {
    *sig = hmac_sha1_b64(secret.as_bytes(), text[0].as_bytes()).unwrap();
    SignedRequest {
        key_id,
        candidates: text,
        signature: sig,
        nonce: Some(nonce),
        signed_at_ms: Some(clock::now_ms()),
    }
}

async fn created_keys_stop_working_when_disabled_or_deleted(db: &TestDb) {
    let a = core(db).await;
    let b = core(db).await;
    let creds = a.create_pool("p").await.unwrap();
    let other = a.create_pool("q").await.unwrap();
    let admin = a.operator_pool_admin(&creds.user_pool_id).await.unwrap();
    let other_admin = a.operator_pool_admin(&other.user_pool_id).await.unwrap();
    let text = vec!["GET\n/api/v3/list-users".to_owned()];
    let mut sig = String::new();

    let key = a
        .create_pool_access_key(&admin, NewAccessKey::default())
        .await
        .unwrap();
    assert!(key.enabled);
    // The pool's key made with the pool and the new one; the other pool sees neither.
    let ids: Vec<String> = a
        .pool_access_keys(&admin)
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(ids, vec![creds.access_key_id.clone(), key.id.clone()]);
    assert!(a
        .pool_access_keys(&other_admin)
        .await
        .unwrap()
        .iter()
        .all(|k| k.id != key.id));
    let e = a
        .set_pool_access_key_enabled(&other_admin, &key.id, false)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::AccessKey)), "{e:?}");
    let e = a
        .delete_pool_access_key(&other_admin, &key.id)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::AccessKey)), "{e:?}");

    // It signs and buys tokens for its pool.
    let req = signed_by(&key.id, &key.secret, &text, &mut sig, "k-1");
    let by_sig = b.pool_admin_by_signature(&req).await.unwrap();
    assert_eq!(by_sig.pool_id(), creds.user_pool_id);
    let token = a
        .issue_access_key_token(&key.id, &key.secret)
        .await
        .unwrap()
        .token;
    b.verify_management_token(&token, None, None).await.unwrap();

    // Disabled (in one process): the other process refuses its signatures and its token.
    a.set_pool_access_key_enabled(&admin, &key.id, false)
        .await
        .unwrap();
    assert!(!a.pool_access_key(&admin, &key.id).await.unwrap().enabled);
    let req = signed_by(&key.id, &key.secret, &text, &mut sig, "k-2");
    let e = b.pool_admin_by_signature(&req).await.unwrap_err();
    assert!(
        matches!(e, Error::Signature(SignatureProblem::KeyDisabled)),
        "{e:?}"
    );
    // Without the secret, a disabled key is as unknown as any other id.
    let mut wrong = String::new();
    let forged = signed_by(&key.id, "not-the-secret", &text, &mut wrong, "k-3");
    let e = b.pool_admin_by_signature(&forged).await.unwrap_err();
    assert!(
        matches!(e, Error::Signature(SignatureProblem::Invalid)),
        "{e:?}"
    );
    assert!(b.verify_management_token(&token, None, None).await.is_err());
    let e = b
        .issue_access_key_token(&key.id, &key.secret)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden), "{e:?}");

    // Enabled again: the same token verifies again (it was never revoked, only its key).
    a.set_pool_access_key_enabled(&admin, &key.id, true)
        .await
        .unwrap();
    b.verify_management_token(&token, None, None).await.unwrap();

    // Deleted: nothing works any more, and deleting again names a missing key.
    a.delete_pool_access_key(&admin, &key.id).await.unwrap();
    let req = signed_by(&key.id, &key.secret, &text, &mut sig, "k-3");
    let e = b.pool_admin_by_signature(&req).await.unwrap_err();
    assert!(
        matches!(e, Error::Signature(SignatureProblem::Invalid)),
        "{e:?}"
    );
    assert!(b.verify_management_token(&token, None, None).await.is_err());
    let e = a.delete_pool_access_key(&admin, &key.id).await.unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::AccessKey)), "{e:?}");

    // An application's programmatic access account is no key of the pool: it neither
    // signs management requests nor buys management tokens, and is not listed.
    let app = a
        .admin_list_apps(&admin, Page::default())
        .await
        .unwrap()
        .list
        .remove(0)
        .app
        .id;
    let account = a
        .create_programmatic_account(&admin, &app, None, None)
        .await
        .unwrap();
    let req = signed_by(&account.id, &account.secret, &text, &mut sig, "k-4");
    let e = b.pool_admin_by_signature(&req).await.unwrap_err();
    assert!(
        matches!(e, Error::Signature(SignatureProblem::Invalid)),
        "{e:?}"
    );
    let e = b
        .issue_access_key_token(&account.id, &account.secret)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden), "{e:?}");
    assert!(a
        .pool_access_keys(&admin)
        .await
        .unwrap()
        .iter()
        .all(|k| k.id != account.id));
    let e = a
        .set_pool_access_key_enabled(&admin, &account.id, false)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::AccessKey)), "{e:?}");

    // A key for a user of another pool is refused and nothing is written.
    let e = a
        .create_pool_access_key(
            &admin,
            NewAccessKey {
                user_id: Some("no-such-user".into()),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UserNotFound), "{e:?}");
    assert_eq!(a.pool_access_keys(&admin).await.unwrap().len(), 1);
}

backend_tests! {
    signatures => signatures_and_nonces_hold_across_processes;
    tokens => access_key_tokens_verify_at_the_other_process;
    created_keys => created_keys_stop_working_when_disabled_or_deleted;
}
