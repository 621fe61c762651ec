//! The core's services on a real store, on both backends: user creation rules, password login
//! with transparent rehash, token issue/verify/revoke, key rotation across processes, and the
//! principals only verified credentials yield.

mod common;

use std::sync::Arc;

use common::TestDb;
use tessera_core::crypto::password::HashParams;
use tessera_core::crypto::sm2::Sm2Key;
use tessera_core::crypto::PasswordEncryption;
use tessera_core::model::SigningAlg;
use tessera_core::notify::Outbox;
use tessera_core::principal::{AdminProof, BearerScope, Principal, TokenKind};
use tessera_core::service::users::{CreatedBy, LoginContext, LoginId, NewUser};
use tessera_core::store::{Store, UserLookup};
use tessera_core::{Core, CoreConfig, Error, UniqueField};

fn config() -> CoreConfig {
    CoreConfig {
        public_url: "http://127.0.0.1:3000/".into(),
        hash_params: HashParams::default(),
    }
}

async fn core(db: &TestDb) -> Core {
    let store: Arc<dyn Store> = db.open().await;
    Core::open(store, config(), Arc::new(Outbox::default()))
        .await
        .expect("core")
}

fn by_email(e: &str, pw: &str) -> NewUser {
    NewUser {
        email: Some(e.into()),
        password: Some(pw.into()),
        register_source: vec!["basic:email".into()],
        ..NewUser::default()
    }
}

async fn first_start_creates_keys_once_and_bootstraps_once(db: &TestDb) {
    let a = core(db).await;
    let b = core(db).await;
    assert_eq!(
        a.password_public_key_pem().await.unwrap(),
        b.password_public_key_pem().await.unwrap(),
        "one deployment key"
    );
    assert_eq!(a.jwks_json().await.unwrap(), b.jwks_json().await.unwrap());
    let creds = a
        .bootstrap()
        .await
        .unwrap()
        .expect("first bootstrap creates the default pool");
    assert!(b.bootstrap().await.unwrap().is_none());
    assert_eq!(creds.app_host, "http://127.0.0.1:3000");
    assert!(creds.public_key.starts_with("-----BEGIN PUBLIC KEY-----"));
    let pools = b.list_pools().await.unwrap();
    assert_eq!(pools.len(), 1);
    assert_eq!(pools[0].app_ids, vec![creds.app_id.clone()]);
}

async fn users_are_validated_and_unique(db: &TestDb) {
    let core = core(db).await;
    let creds = core.create_pool("p").await.unwrap();
    let pool = core.pool(&creds.user_pool_id).await.unwrap();
    let u = core
        .create_user(
            &pool,
            by_email("Ann@X.io", "secret1"),
            CreatedBy::SelfService,
        )
        .await
        .unwrap();
    assert_eq!(u.email.as_deref(), Some("Ann@X.io"));
    assert!(u
        .password_hash
        .as_deref()
        .unwrap()
        .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    let dup = core
        .create_user(
            &pool,
            by_email("ann@x.IO", "secret1"),
            CreatedBy::SelfService,
        )
        .await;
    assert!(matches!(dup, Err(Error::AlreadyExists(UniqueField::Email))));
    let bad = core
        .create_user(
            &pool,
            by_email("not-an-email", "secret1"),
            CreatedBy::SelfService,
        )
        .await;
    assert!(matches!(bad, Err(Error::InvalidEmail)), "{bad:?}");
    let huge = NewUser {
        username: Some("big".into()),
        profile: tessera_core::model::Profile {
            nickname: Some("x".repeat(1 << 20)),
            ..Default::default()
        },
        ..NewUser::default()
    };
    let huge = core.create_user(&pool, huge, CreatedBy::Admin).await;
    assert!(
        matches!(huge, Err(Error::InvalidParameter("nickname"))),
        "{huge:?}"
    );
    assert_eq!(
        db.open().await.count_users(&pool.id).await.unwrap(),
        1,
        "failures wrote nothing"
    );
}

async fn password_login_rehashes_imported_bcrypt(db: &TestDb) {
    let core = core(db).await;
    let creds = core.create_pool("p").await.unwrap();
    let pool = core.pool(&creds.user_pool_id).await.unwrap();
    let imported = bcrypt::hash("imported-pw", 4).unwrap();
    let u = core
        .create_user(
            &pool,
            NewUser {
                username: Some("old".into()),
                password_hash: Some(imported.clone()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    let id = LoginId::Username("old".into());
    let ctx = LoginContext {
        ip: Some("10.1.2.3".into()),
        ..LoginContext::default()
    };
    assert!(matches!(
        core.authenticate_password(&pool, &id, "wrong".into(), &ctx)
            .await,
        Err(Error::WrongPassword)
    ));
    let still = db
        .open()
        .await
        .find_user(&pool.id, UserLookup::Id(&u.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        still.password_hash.as_deref(),
        Some(imported.as_str()),
        "no rehash on failure"
    );

    let logged = core
        .authenticate_password(&pool, &id, "imported-pw".into(), &ctx)
        .await
        .unwrap();
    assert_eq!(logged.login.logins_count, 1);
    let after = db
        .open()
        .await
        .find_user(&pool.id, UserLookup::Id(&u.id))
        .await
        .unwrap()
        .unwrap();
    assert!(
        after
            .password_hash
            .as_deref()
            .unwrap()
            .starts_with("$argon2id$"),
        "rehashed on login"
    );
    assert_eq!(after.login.last_ip.as_deref(), Some("10.1.2.3"));
    core.authenticate_password(&pool, &id, "imported-pw".into(), &ctx)
        .await
        .expect("new hash works");
    let missing = core
        .authenticate_password(&pool, &LoginId::Username("ghost".into()), "x".into(), &ctx)
        .await;
    assert!(matches!(missing, Err(Error::UserNotFound)));
}

async fn tokens_verify_revoke_and_stay_in_their_pool(db: &TestDb) {
    let core = core(db).await;
    let c1 = core.create_pool("one").await.unwrap();
    let c2 = core.create_pool("two").await.unwrap();
    let pool = core.pool(&c1.user_pool_id).await.unwrap();
    let app = core.app(&c1.app_id).await.unwrap();
    let u = core
        .create_user(&pool, by_email("t@x.io", "secret1"), CreatedBy::SelfService)
        .await
        .unwrap();
    let t = core.issue_user_token(&pool, Some(&app), &u).await.unwrap();
    assert_eq!(t.exp - t.iat, 15 * 24 * 3600);
    let s = core
        .verify_user_token_in_pool(&t.token, &pool.id)
        .await
        .unwrap();
    assert_eq!(s.user_id, u.id);
    assert_eq!(s.app_id.as_deref(), Some(app.id.as_str()));
    assert!(matches!(
        core.verify_user_token_in_pool(&t.token, &c2.user_pool_id)
            .await,
        Err(Error::TokenInvalid)
    ));

    // A second process on the same database sees the revocation.
    let other = self::core(db).await;
    other.verify_user_token(&t.token).await.unwrap();
    core.revoke_user_token(&s).await.unwrap();
    assert!(matches!(
        other.verify_user_token(&t.token).await,
        Err(Error::TokenExpired)
    ));
    assert!(matches!(
        core.verify_user_token("garbage").await,
        Err(Error::TokenInvalid)
    ));
}

async fn hs256_applications_sign_with_their_secret(db: &TestDb) {
    let core = core(db).await;
    let c = core.create_pool("hs").await.unwrap();
    let pool = core.pool(&c.user_pool_id).await.unwrap();
    let mut app = core.app(&c.app_id).await.unwrap();
    app.oidc.id_token_signing_alg = SigningAlg::HS256;
    let u = core
        .create_user(&pool, by_email("h@x.io", "secret1"), CreatedBy::SelfService)
        .await
        .unwrap();
    let t = core.issue_user_token(&pool, Some(&app), &u).await.unwrap();
    let parsed = tessera_core::crypto::jwt::parse(&t.token).unwrap();
    assert_eq!(parsed.header.alg, "HS256");
    assert!(parsed.verify_hs256(c.app_secret.as_bytes()));
    // The stored app is still RS256, so an HS256 token naming it must be refused: the
    // algorithm comes from configuration, never from the token.
    assert!(matches!(
        core.verify_user_token(&t.token).await,
        Err(Error::TokenInvalid)
    ));
}

async fn rotation_keeps_old_tokens_valid_across_processes(db: &TestDb) {
    let a = core(db).await;
    let b = core(db).await;
    let c = a.create_pool("rot").await.unwrap();
    let pool = a.pool(&c.user_pool_id).await.unwrap();
    let u = a
        .create_user(&pool, by_email("r@x.io", "secret1"), CreatedBy::SelfService)
        .await
        .unwrap();
    let old = a.issue_user_token(&pool, None, &u).await.unwrap();
    let rotation = a.rotate_signing_key().await.unwrap();
    assert_eq!(rotation.retired_kids.len(), 1);
    let new = a.issue_user_token(&pool, None, &u).await.unwrap();
    let kid = |t: &str| {
        tessera_core::crypto::jwt::parse(t)
            .unwrap()
            .header
            .kid
            .unwrap()
    };
    assert_eq!(kid(&new.token), rotation.new_kid);
    assert_ne!(kid(&old.token), kid(&new.token));
    // b has not reloaded yet: the unknown kid makes it reload; the old token still verifies.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    b.verify_user_token(&new.token)
        .await
        .expect("new kid found after reload");
    b.verify_user_token(&old.token)
        .await
        .expect("old key still verifies");
    let jwks: serde_json::Value = serde_json::from_str(&b.jwks_json().await.unwrap()).unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    let rsa = keys.iter().filter(|k| k["kty"] == "RSA").count();
    assert_eq!(rsa, 2, "both RSA keys verify until the old one retires");
    // Beside the ring, the deployment's ES256 key.
    assert_eq!(keys.iter().filter(|k| k["kty"] == "EC").count(), 1);
}

// Test fixture: the "PRIVATE KEY" PEM below is deliberately garbage (no key material), written
// over a generated key to check that a corrupt stored key stops start-up.
async fn a_corrupt_stored_key_stops_the_core(db: &TestDb) {
    let store = db.open().await;
    let dyn_store: Arc<dyn Store> = store.clone();
    Core::open(dyn_store.clone(), config(), Arc::new(Outbox::default()))
        .await
        .unwrap();
    // The SM2 key: anything but 64 hex digits of a valid scalar stops start-up, and a valid
    // one written back lets it start again.
    let sm2 = tessera_core::model::keys::secret_names::PASSWORD_SM2_KEY;
    let good = store
        .get_secret(sm2)
        .await
        .unwrap()
        .expect("generated at first start");
    for corrupt in ["not hex", &good[..62], &"0".repeat(64)] {
        store.put_secret(sm2, corrupt).await.unwrap();
        let err = Core::open(dyn_store.clone(), config(), Arc::new(Outbox::default()))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("SM2 password encryption key"), "{err}");
        let err = Core::open_for_serving(dyn_store.clone(), config(), Arc::new(Outbox::default()))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("SM2 password encryption key"), "{err}");
    }
    store.put_secret(sm2, &good).await.unwrap();
    Core::open(dyn_store.clone(), config(), Arc::new(Outbox::default()))
        .await
        .unwrap();
    store
        .put_secret(
            tessera_core::model::keys::secret_names::PASSWORD_RSA_KEY,
            // Test fixture: a PEM frame around garbage, not a key (real keys are generated
            // at first start, never committed).
            "-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----",
        )
        .await
        .unwrap();
    let err = Core::open(dyn_store.clone(), config(), Arc::new(Outbox::default()))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("password encryption key"), "{err}");
    // A server does not generate stored keys in the background: it checks them before serving.
    let err = Core::open_for_serving(dyn_store, config(), Arc::new(Outbox::default()))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("password encryption key"), "{err}");
}

/// Two servers start at once on a fresh store: each returns before its keys exist, every use
/// of a key waits for it, and both end up with the one pair of keys the store kept.
async fn serving_cores_generate_keys_in_the_background_and_agree(db: &TestDb) {
    let open = || async {
        let store: Arc<dyn Store> = db.open().await;
        Core::open_for_serving(store, config(), Arc::new(Outbox::default()))
            .await
            .expect("core")
    };
    let (a, b) = tokio::join!(open(), open());
    let (pem_a, pem_b, jwks_a, jwks_b) = tokio::join!(
        a.password_public_key_pem(),
        b.password_public_key_pem(),
        a.jwks_json(),
        b.jwks_json(),
    );
    assert_eq!(pem_a.unwrap(), pem_b.unwrap(), "one deployment key");
    assert_eq!(jwks_a.unwrap(), jwks_b.unwrap(), "one signing key");
    assert_eq!(db.open().await.list_signing_keys().await.unwrap().len(), 1);

    // What they use is what a later process reads from the store.
    let c = core(db).await;
    assert_eq!(
        c.password_public_key_pem().await.unwrap(),
        a.password_public_key_pem().await.unwrap()
    );
    assert_eq!(c.jwks_json().await.unwrap(), a.jwks_json().await.unwrap());
    let creds = a.create_pool("p").await.unwrap();
    let secret = tessera_core::crypto::transport::TransportKey::encrypt_like_sdk(
        &creds.public_key,
        "pässword",
    )
    .unwrap();
    assert_eq!(b.decrypt_password(&secret).await.unwrap(), "pässword");

    // One SM2 key too: what one process publishes, another decrypts.
    let (sm2_a, sm2_b) = tokio::join!(a.password_sm2_public_key(), b.password_sm2_public_key());
    let sm2_a = sm2_a.unwrap();
    assert_eq!(sm2_a, sm2_b.unwrap(), "one SM2 key");
    assert_eq!(c.password_sm2_public_key().await.unwrap(), sm2_a);
    assert!(sm2_a.starts_with("04") && sm2_a.len() == 130, "{sm2_a}");
    let secret = Sm2Key::encrypt(&sm2_a, "pässword".as_bytes()).unwrap();
    assert_eq!(
        b.decrypt_password_as(PasswordEncryption::Sm2, &secret)
            .await
            .unwrap(),
        "pässword"
    );
    assert_eq!(
        c.decrypt_new_password_as(PasswordEncryption::Sm2, &secret, None)
            .await
            .unwrap(),
        "pässword"
    );
    // Each transport is its own: an SM2 ciphertext read as RSA is no password.
    assert!(matches!(
        b.decrypt_password_as(PasswordEncryption::Rsa, &secret)
            .await,
        Err(Error::PasswordDecrypt)
    ));
}

async fn principals_come_only_from_verified_credentials(db: &TestDb) {
    let core = core(db).await;
    let c1 = core.create_pool("one").await.unwrap();
    let c2 = core.create_pool("two").await.unwrap();
    let pool = core.pool(&c1.user_pool_id).await.unwrap();
    let other = core.pool(&c2.user_pool_id).await.unwrap();

    // The pool secret proves an administrator; a wrong secret and an unknown pool do not.
    let admin = core
        .pool_admin_by_secret(&c1.user_pool_id, &c1.secret)
        .await
        .unwrap();
    assert_eq!(admin.pool_id(), c1.user_pool_id);
    assert_eq!(admin.proof(), AdminProof::PoolSecret);
    for (id, secret) in [
        (&c1.user_pool_id, &c2.secret),
        (&"nope".to_owned(), &c1.secret),
    ] {
        let e = core.pool_admin_by_secret(id, secret).await;
        assert!(matches!(e, Err(Error::Forbidden)), "{e:?}");
    }

    // A management token is its pool's administrator, for that pool only.
    let mgmt = core
        .issue_management_token(&c1.user_pool_id, &c1.secret)
        .await
        .unwrap()
        .token;
    let scope = BearerScope {
        pool: Some(&pool),
        pool_header: Some(&pool.id),
        ahead: None,
    };
    match core.authenticate_bearer(&mgmt, scope).await {
        Ok(Principal::PoolAdmin(a)) => {
            assert_eq!(a.pool_id(), pool.id);
            assert_eq!(a.proof(), AdminProof::ManagementToken);
        }
        other => panic!("{other:?}"),
    }
    let elsewhere = BearerScope {
        pool: Some(&other),
        pool_header: Some(&other.id),
        ahead: None,
    };
    let r = core
        .authenticate_bearer(&mgmt, elsewhere)
        .await
        .unwrap_err();
    assert_eq!(r.presented_as, Some(TokenKind::Management));
    assert!(matches!(r.error, Error::Forbidden), "{r:?}");
    // Claiming to be a management token is not being one.
    let (signed, _) = mgmt.rsplit_once('.').unwrap();
    let r = core
        .authenticate_bearer(&format!("{signed}.AAAA"), scope)
        .await
        .unwrap_err();
    assert_eq!(r.presented_as, Some(TokenKind::Management));
    assert!(matches!(r.error, Error::TokenInvalid), "{r:?}");

    // A user token is the user's session, in its own pool only.
    let u = core
        .create_user(&pool, by_email("p@x.io", "secret1"), CreatedBy::SelfService)
        .await
        .unwrap();
    let t = core.issue_user_token(&pool, None, &u).await.unwrap().token;
    match core.authenticate_bearer(&t, scope).await {
        Ok(Principal::User(s)) => {
            assert_eq!(s.user().id, u.id);
            assert_eq!(s.pool().id, pool.id);
            assert_eq!(s.token(), t);
        }
        other => panic!("{other:?}"),
    }
    let r = core.authenticate_bearer(&t, elsewhere).await.unwrap_err();
    assert_eq!(r.presented_as, Some(TokenKind::User));
    assert!(matches!(r.error, Error::TokenInvalid), "{r:?}");
    let r = core
        .authenticate_bearer("garbage", scope)
        .await
        .unwrap_err();
    assert_eq!(r.presented_as, None);
    assert!(matches!(r.error, Error::TokenInvalid), "{r:?}");

    // Rotating the secret retires the management token (2206) for the next request, which
    // reads the pool afresh.
    core.refresh_pool_secret(&admin).await.unwrap();
    let pool = core.pool(&c1.user_pool_id).await.unwrap();
    let scope = BearerScope {
        pool: Some(&pool),
        pool_header: Some(&pool.id),
        ahead: None,
    };
    let r = core.authenticate_bearer(&mgmt, scope).await.unwrap_err();
    assert!(matches!(r.error, Error::TokenExpired), "{r:?}");

    // An application proves itself with its own secret.
    let app = core
        .authenticate_app(&c1.app_id, &c1.app_secret)
        .await
        .unwrap();
    assert_eq!(app.app().id, c1.app_id);
    assert_eq!(app.pool().id, pool.id);
    for (id, secret) in [
        (&c1.app_id, &c2.app_secret),
        (&"nope".to_owned(), &c1.app_secret),
    ] {
        let e = core.authenticate_app(id, secret).await;
        assert!(matches!(e, Err(Error::Forbidden)), "{e:?}");
    }
}

/// What a v2 request does: read the application with its pool, then the session in that pool
/// (in full, and as `checkLoginStatus` reads it: both must give the same answer).
async fn request_session(core: &Core, app_id: &str, token: String) -> Result<String, Error> {
    let (_, pool) = core.app_and_pool(app_id).await?;
    let full = core
        .session_in_pool(&token, &pool)
        .await
        .map(|s| s.user().id.clone());
    let status = core
        .session_status_in_pool(&token, &pool)
        .await
        .map(|s| s.user_id);
    assert_eq!(
        full.as_ref().map_err(|e| format!("{e:?}")),
        status.as_ref().map_err(|e| format!("{e:?}"))
    );
    // The same, with the session read ahead with the app and pool in one read (the v2
    // façade's path): the whole user for a Bearer, only validity for `checkLoginStatus`.
    for whole_user in [true, false] {
        let ((_, pool), ahead) = core
            .app_and_pool_ahead(app_id, Some(&token), whole_user)
            .await?;
        let pool = pool.expect("the app's pool");
        assert!(ahead.is_some(), "a user token's session is read ahead");
        let ahead_full = core
            .session_in_pool_ahead(&token, &pool, ahead.as_ref())
            .await
            .map(|s| s.user().id.clone());
        let ahead_status = core
            .session_status_in_pool_ahead(&token, &pool, ahead.as_ref())
            .await
            .map(|s| s.user_id);
        for ahead_answer in [ahead_full, ahead_status] {
            assert_eq!(
                ahead_answer.as_ref().map_err(|e| format!("{e:?}")),
                full.as_ref().map_err(|e| format!("{e:?}")),
                "read ahead (whole user: {whole_user})"
            );
        }
    }
    full
}

/// A session read ahead answers only for the verified token it was read for: a forged token
/// naming another user is refused, and a valid token checked against another token's read
/// is read again. On SQLite the combined read leaves no transaction open on its connection
/// (a full checkpoint right after it succeeds).
async fn sessions_read_ahead_answer_only_for_their_token(db: &TestDb) {
    let core = core(db).await;
    let c = core.create_pool("ahead").await.unwrap();
    let pool = core.pool(&c.user_pool_id).await.unwrap();
    let app = core.app(&c.app_id).await.unwrap();
    let a = core
        .create_user(&pool, by_email("a@x.io", "secret1"), CreatedBy::SelfService)
        .await
        .unwrap();
    let b = core
        .create_user(&pool, by_email("b@x.io", "secret1"), CreatedBy::SelfService)
        .await
        .unwrap();
    let ta = core
        .issue_user_token(&pool, Some(&app), &a)
        .await
        .unwrap()
        .token;
    let tb = core
        .issue_user_token(&pool, Some(&app), &b)
        .await
        .unwrap()
        .token;

    // B's claims with A's signature: read ahead for B, refused at verification.
    let parts_a: Vec<&str> = ta.split('.').collect();
    let parts_b: Vec<&str> = tb.split('.').collect();
    let forged = format!("{}.{}.{}", parts_b[0], parts_b[1], parts_a[2]);
    let ((_, _), ahead) = core
        .app_and_pool_ahead(&c.app_id, Some(&forged), true)
        .await
        .unwrap();
    assert!(ahead.is_some());
    let e = core
        .session_in_pool_ahead(&forged, &pool, ahead.as_ref())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TokenInvalid), "{e:?}");

    // A's token checked against B's read: A's own session is read and answers.
    let ((_, _), b_ahead) = core
        .app_and_pool_ahead(&c.app_id, Some(&tb), true)
        .await
        .unwrap();
    let s = core
        .session_in_pool_ahead(&ta, &pool, b_ahead.as_ref())
        .await
        .unwrap();
    assert_eq!(s.user().id, a.id);
    let st = core
        .session_status_in_pool_ahead(&ta, &pool, b_ahead.as_ref())
        .await
        .unwrap();
    assert_eq!(st.user_id, a.id);

    // Not a user token, or none: the app and pool alone.
    let ((found, _), none) = core
        .app_and_pool_ahead(&c.app_id, Some("not-a-token"), true)
        .await
        .unwrap();
    assert_eq!(found.id, c.app_id);
    assert!(none.is_none());
    let e = core
        .app_and_pool_ahead("no-such-app", Some(&ta), false)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::AppNotFound), "{e:?}");

    // Nothing left open: a checkpoint that needs every reader gone completes, and writes go on.
    if db.url.starts_with("sqlite") {
        let store = db.open().await;
        checkpoint_completes(&store).await;
    }
    core.create_user(&pool, by_email("c@x.io", "secret1"), CreatedBy::SelfService)
        .await
        .unwrap();
}

/// Whatever one process does to a session (logout, kick, block, a rotated application or pool
/// secret), another process sharing the database refuses it on its next request: nothing a
/// session check relies on is kept between requests.
async fn session_changes_reach_other_processes_at_once(db: &TestDb) {
    let serving = core(db).await;
    let other = core(db).await;
    let c = serving.create_pool("shared").await.unwrap();
    let pool = serving.pool(&c.user_pool_id).await.unwrap();
    let admin = other
        .pool_admin_by_secret(&c.user_pool_id, &c.secret)
        .await
        .unwrap();
    let app = serving.app(&c.app_id).await.unwrap();
    let u = serving
        .create_user(&pool, by_email("s@x.io", "secret1"), CreatedBy::SelfService)
        .await
        .unwrap();
    let check = |token: String| request_session(&serving, &c.app_id, token);

    // Logout elsewhere: the token is revoked.
    let t = serving
        .issue_user_token(&pool, Some(&app), &u)
        .await
        .unwrap();
    assert_eq!(check(t.token.clone()).await.unwrap(), u.id);
    let s = other.session(&t.token, Some(&pool.id)).await.unwrap();
    other.logout(&s).await.unwrap();
    assert!(matches!(check(t.token).await, Err(Error::TokenExpired)));

    // Kicked elsewhere: every token issued before stops working.
    let t = serving
        .issue_user_token(&pool, Some(&app), &u)
        .await
        .unwrap();
    assert!(check(t.token.clone()).await.is_ok());
    other
        .end_user_sessions(&admin, std::slice::from_ref(&u.id))
        .await
        .unwrap();
    assert!(matches!(check(t.token).await, Err(Error::TokenExpired)));

    // Blocked elsewhere. A token issued right after the kick is valid: tokens carry their
    // issue time in ms (`iatMs`), compared with the kick's. A token issued in the kick's own
    // millisecond is refused (the kick wins a tie, the safe side), so the test lets the
    // clock move past it: on a fast machine the issue can land in that same millisecond.
    std::thread::sleep(std::time::Duration::from_millis(2));
    let t = serving
        .issue_user_token(&pool, Some(&app), &u)
        .await
        .unwrap();
    assert!(check(t.token.clone()).await.is_ok());
    let blocked = serde_json::json!({ "blocked": true });
    other
        .admin_update_user(&admin, &u.id, blocked.as_object().unwrap(), None)
        .await
        .unwrap();
    assert!(matches!(check(t.token).await, Err(Error::TokenInvalid)));

    // An HS256 application's secret rotated elsewhere: its tokens stop verifying.
    let v = serving
        .create_user(&pool, by_email("h@x.io", "secret1"), CreatedBy::SelfService)
        .await
        .unwrap();
    let mut hs_app = app.clone();
    hs_app.oidc.id_token_signing_alg = SigningAlg::HS256;
    let store = db.open().await;
    sqlx::query("UPDATE applications SET oidc = $1 WHERE id = $2")
        .bind(serde_json::to_string(&hs_app.oidc).unwrap())
        .bind(&app.id)
        .execute(store.pool())
        .await
        .unwrap();
    let t = serving
        .issue_user_token(&pool, Some(&hs_app), &v)
        .await
        .unwrap();
    assert_eq!(check(t.token.clone()).await.unwrap(), v.id);
    other.refresh_app_secret(&admin, &app.id).await.unwrap();
    assert!(matches!(check(t.token).await, Err(Error::TokenInvalid)));

    // The pool secret rotated elsewhere: its management tokens stop working.
    let m = serving
        .issue_management_token(&pool.id, &pool.secret)
        .await
        .unwrap();
    let (_, current) = serving.app_and_pool(&app.id).await.unwrap();
    serving
        .verify_management_token(&m.token, Some(&pool.id), Some(&current))
        .await
        .unwrap();
    other.refresh_pool_secret(&admin).await.unwrap();
    let (_, current) = serving.app_and_pool(&app.id).await.unwrap();
    assert!(matches!(
        serving
            .verify_management_token(&m.token, Some(&pool.id), Some(&current))
            .await,
        Err(Error::TokenExpired)
    ));
}

/// An OIDC access token answers for the login it came from, to the millisecond: a kick ends
/// the tokens of every login before it, and a login right after the kick — in the same
/// second, where the token's `iat` cannot tell them apart — gets tokens that work.
async fn oidc_tokens_of_a_login_right_after_a_kick_work(db: &TestDb) {
    use tessera_core::service::login::{Credential, LoginOptions};
    let core = core(db).await;
    let c = core.create_pool("kick").await.unwrap();
    let pool = core.pool(&c.user_pool_id).await.unwrap();
    let admin = core
        .pool_admin_by_secret(&c.user_pool_id, &c.secret)
        .await
        .unwrap();
    let app = core.app(&c.app_id).await.unwrap();
    let u = core
        .create_user(&pool, by_email("k@x.io", "secret1"), CreatedBy::SelfService)
        .await
        .unwrap();
    let login = || async {
        let event = core
            .authenticate(
                &pool,
                Some(&app),
                Credential::Password {
                    id: LoginId::Email("k@x.io".into()),
                    password: "secret1".into(),
                },
                LoginOptions::default(),
            )
            .await
            .unwrap();
        core.oidc_tokens_for_event(&pool, &app, &event, Some("openid profile"))
            .await
            .unwrap()
            .access_token
    };
    let before = login().await;
    assert!(core.oidc_userinfo(&before).await.is_ok());
    core.end_user_sessions(&admin, std::slice::from_ref(&u.id))
        .await
        .unwrap();
    assert!(core.oidc_userinfo(&before).await.is_err(), "kicked");
    let after = login().await;
    let info = core.oidc_userinfo(&after).await;
    assert!(info.is_ok(), "a login after the kick: {info:?}");
}

/// Anonymous uploads are bounded per client address, in the database: a second process on
/// the same store sees the same count, and another address has its own budget.
async fn uploads_are_bounded_per_address_across_processes(db: &TestDb) {
    use tessera_core::service::guard::UPLOAD_BUDGET;
    let a = core(db).await;
    let b = core(db).await;
    let ip = Some("203.0.113.9");
    for i in 0..UPLOAD_BUDGET {
        let c = if i % 2 == 0 { &a } else { &b };
        c.take_upload_slot(ip).await.expect("within the budget");
    }
    for c in [&a, &b] {
        assert!(matches!(
            c.take_upload_slot(ip).await,
            Err(Error::TooManyUploads)
        ));
    }
    a.take_upload_slot(Some("198.51.100.4"))
        .await
        .expect("another address has its own budget");
}

/// A user's identities and custom data read together (`Core::user_extras`, one read
/// transaction on SQLite) answer what the separate reads answer, only what was asked for is
/// read, and on SQLite no reader is left open.
async fn user_extras_match_the_separate_reads(db: &TestDb) {
    use tessera_core::model::ExternalIdentity;
    use tessera_core::service::udf::{UdfDataType, UdfTarget};
    let core = core(db).await;
    let c = core.create_pool("extras").await.unwrap();
    let pool = core.pool(&c.user_pool_id).await.unwrap();
    let u = core
        .create_user(&pool, by_email("e@x.io", "secret1"), CreatedBy::SelfService)
        .await
        .unwrap();

    // Nothing defined, nothing linked.
    let (ids, custom) = core.user_extras(&pool.id, &u.id, true, true).await.unwrap();
    assert_eq!(ids.map(|v| v.len()), Some(0));
    assert_eq!(custom.map(|v| v.len()), Some(0));
    let (ids, custom) = core
        .user_extras(&pool.id, &u.id, false, false)
        .await
        .unwrap();
    assert!(
        ids.is_none() && custom.is_none(),
        "nothing asked, nothing read"
    );

    let store = db.open().await;
    store
        .insert_identity(&ExternalIdentity {
            id: tessera_core::ids::new_id(),
            pool_id: pool.id.clone(),
            user_id: u.id.clone(),
            provider: "github".into(),
            connection_id: None,
            user_id_in_idp: "gh-7".into(),
            openid: None,
            is_social: true,
            user_info_in_idp: Some("{}".into()),
            access_token: None,
            refresh_token: None,
            created_at: 1,
            updated_at: 1,
        })
        .await
        .unwrap();
    for (key, label) in [("age", "Age"), ("team", "Team")] {
        let ty = if key == "age" {
            UdfDataType::Number
        } else {
            UdfDataType::String
        };
        core.define_udf(&pool.id, UdfTarget::User, key, ty, label)
            .await
            .unwrap();
    }
    core.set_udf_values(
        &pool.id,
        UdfTarget::User,
        &u.id,
        &[("age".into(), serde_json::json!(42))],
    )
    .await
    .unwrap();

    let (ids, custom) = core.user_extras(&pool.id, &u.id, true, true).await.unwrap();
    let ids = ids.expect("identities asked");
    assert_eq!(ids, core.identities(&pool.id, &u.id).await.unwrap());
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].user_id_in_idp, "gh-7");
    let custom = custom.expect("custom data asked");
    let separate = core
        .udf_values(&pool.id, UdfTarget::User, &u.id)
        .await
        .unwrap();
    assert_eq!(format!("{custom:?}"), format!("{separate:?}"));
    assert_eq!(custom.len(), 1, "only set values are answered: {custom:?}");
    assert_eq!(custom[0].key, "age");
    let (ids, custom) = core
        .user_extras(&pool.id, &u.id, false, true)
        .await
        .unwrap();
    assert!(ids.is_none() && custom.is_some());

    // Read ahead with the session (getCurrentUser's first read): the same answers, for the
    // user it was read for only; what it did not read, or another user's, is read again.
    let app = core.app(&c.app_id).await.unwrap();
    let other = core
        .create_user(&pool, by_email("o@x.io", "secret1"), CreatedBy::SelfService)
        .await
        .unwrap();
    let token = core
        .issue_user_token(&pool, Some(&app), &u)
        .await
        .unwrap()
        .token;
    let debug = |r: &(Option<Vec<ExternalIdentity>>, Option<Vec<_>>)| format!("{r:?}");
    for want in [(true, true), (true, false), (false, true)] {
        let (_, ahead) = core
            .app_and_pool_ahead_with(&c.app_id, Some(&token), true, Some(want))
            .await
            .unwrap();
        let ahead = ahead.expect("a user token's session is read ahead");
        for (user, asked) in [
            (&u.id, want),
            (&u.id, (true, true)),
            (&other.id, want),
            (&u.id, (false, false)),
        ] {
            let from_ahead = core
                .user_extras_ahead(&pool.id, user, asked.0, asked.1, Some(&ahead))
                .await
                .unwrap();
            let read = core
                .user_extras(&pool.id, user, asked.0, asked.1)
                .await
                .unwrap();
            assert_eq!(
                debug(&from_ahead),
                debug(&read),
                "read ahead {want:?}, asked {asked:?} for {user}"
            );
        }
    }

    if db.url.starts_with("sqlite") {
        checkpoint_completes(&store).await;
    }
}

/// A checkpoint that needs every reader gone completes once the reads have stopped: the
/// request reads keep nothing open but the read lock of `wal_read_lock`, which is let go
/// before the end of every 250 ms period of the clock (so within one period, not at once).
async fn checkpoint_completes(store: &tessera_store::SqlStore) {
    let mut last = (0, 0, 0);
    for _ in 0..40 {
        let row: (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(store.pool())
            .await
            .unwrap();
        if row.0 == 0 {
            return;
        }
        last = row;
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("checkpoint blocked by a reader for a second: {last:?}");
}

backend_tests! {
    uploads => uploads_are_bounded_per_address_across_processes;
    oidc_after_kick => oidc_tokens_of_a_login_right_after_a_kick_work;
    first_start => first_start_creates_keys_once_and_bootstraps_once;
    user_rules => users_are_validated_and_unique;
    rehash => password_login_rehashes_imported_bcrypt;
    tokens => tokens_verify_revoke_and_stay_in_their_pool;
    hs256 => hs256_applications_sign_with_their_secret;
    rotation => rotation_keeps_old_tokens_valid_across_processes;
    corrupt_key => a_corrupt_stored_key_stops_the_core;
    principals => principals_come_only_from_verified_credentials;
    background_keys => serving_cores_generate_keys_in_the_background_and_agree;
    cross_process_sessions => session_changes_reach_other_processes_at_once;
    read_ahead => sessions_read_ahead_answer_only_for_their_token;
    user_extras => user_extras_match_the_separate_reads;
}
