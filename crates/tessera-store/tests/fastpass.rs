//! Quick-authentication codes on a real store, on both backends, across two server processes
//! sharing the database: a code made at one is listed, spent and polled at the other; it is
//! spent once; the applications listed are those the access policy lets its user into, and
//! the login obeys the same policy; a block, a kick or the end of its time kills it; another
//! pool never sees it; it is stored only as its digest.

mod common;

use std::sync::Arc;

use common::TestDb;
use tessera_core::crypto::digest;
use tessera_core::crypto::password::HashParams;
use tessera_core::notify::Outbox;
use tessera_core::service::qr_login::QrState;
use tessera_core::service::users::{CreatedBy, LoginContext, NewUser};
use tessera_core::store::oidc::{DeviceLoginKind, QrLogin, QrStatus};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Entity, Error};

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

async fn session_of(
    core: &Core,
    pool: &tessera_core::model::UserPool,
    app: &tessera_core::model::Application,
    user: &tessera_core::model::User,
) -> tessera_core::service::account::Session {
    let t = core.issue_user_token(pool, Some(app), user).await.unwrap();
    core.session_in_pool(&t.token, pool).await.unwrap()
}

fn ids(apps: &[tessera_core::model::Application]) -> Vec<String> {
    let mut v: Vec<String> = apps.iter().map(|a| a.id.clone()).collect();
    v.sort();
    v
}

async fn fastpass_across_processes(db: &TestDb) {
    let a = core(db).await;
    let b = core(db).await;
    let creds = a.create_pool("fastpass").await.unwrap();
    let pool = a.pool(&creds.user_pool_id).await.unwrap();
    let (web, _) = a.app_and_pool(&creds.app_id).await.unwrap();
    let mobile = a.create_application(&pool.id, "Mobile").await.unwrap();
    let closed = a.create_application(&pool.id, "Closed").await.unwrap();
    let admin = a.operator_pool_admin(&pool.id).await.unwrap();
    a.set_app_default_strategy(&admin, &closed.id, false)
        .await
        .unwrap();
    let new = |email: &str| NewUser {
        email: Some(email.into()),
        password: Some("Passw0rd!".into()),
        ..NewUser::default()
    };
    let alice = a
        .create_user(&pool, new("alice@example.com"), CreatedBy::Admin)
        .await
        .unwrap();
    let alice_s = session_of(&a, &pool, &web, &alice).await;
    let app_side = LoginContext::default();

    // Made at one process, polled, listed and spent at the other.
    let code = a
        .fastpass_create(&alice_s, &web, Some("openid profile"))
        .await
        .unwrap();
    assert_eq!(code.user_id, alice.id);
    assert_eq!(code.user.display_name, "alice@example.com");
    let store: Arc<dyn Store> = db.open().await;
    assert!(
        store.qr_login(&pool.id, &code.id).await.unwrap().is_none(),
        "stored only as its digest"
    );
    let row = store
        .qr_login(&pool.id, &digest(&code.id))
        .await
        .unwrap()
        .expect("the digest's row");
    assert_eq!(row.kind, DeviceLoginKind::Fastpass);
    let pending = b.fastpass_status(&pool, &code.id).await.unwrap();
    assert_eq!(pending.state, QrState::Pending);
    assert!(pending.user.is_none());

    let listed = b.fastpass_apps(&pool, &web.id, &code.id).await.unwrap();
    let mut expected = vec![web.id.clone(), mobile.id.clone()];
    expected.sort();
    assert_eq!(ids(&listed), expected, "the access policy keeps Closed out");
    let scanned = a.fastpass_status(&pool, &code.id).await.unwrap();
    assert_eq!(scanned.state, QrState::Scanned);
    assert_eq!(scanned.user.unwrap().display_name, "alice@example.com");
    let e = b
        .fastpass_apps(&pool, "no-such-app", &code.id)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::AppNotFound), "{e:?}");

    // The app logs in for itself, once.
    let login = b
        .fastpass_login(&pool, &mobile, &code.id, app_side.clone())
        .await
        .unwrap();
    assert_eq!(login.event.user.id, alice.id);
    assert_eq!(login.event.app_id.as_deref(), Some(mobile.id.as_str()));
    assert_eq!(login.scope.as_deref(), Some("openid profile"));
    let e = a
        .fastpass_login(&pool, &mobile, &code.id, app_side.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::QrCodeUsed), "{e:?}");
    let e = a.fastpass_apps(&pool, &web.id, &code.id).await.unwrap_err();
    assert!(matches!(e, Error::QrCodeUsed), "{e:?}");
    assert_eq!(
        a.fastpass_status(&pool, &code.id).await.unwrap().state,
        QrState::Authorized
    );

    // Logged in without listing first; an application the policy keeps the user out of is
    // refused by the one login, and the code is spent.
    let c2 = a.fastpass_create(&alice_s, &web, None).await.unwrap();
    let e = b
        .fastpass_login(&pool, &closed, &c2.id, app_side.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Forbidden), "{e:?}");
    let e = b
        .fastpass_login(&pool, &mobile, &c2.id, app_side.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::QrCodeUsed), "{e:?}");

    // Another pool knows no code of this one.
    let other = a.create_pool("fastpass-other").await.unwrap();
    let other_pool = a.pool(&other.user_pool_id).await.unwrap();
    let (other_app, _) = a.app_and_pool(&other.app_id).await.unwrap();
    let c3 = a.fastpass_create(&alice_s, &web, None).await.unwrap();
    let e = b
        .fastpass_login(&other_pool, &other_app, &c3.id, app_side.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::QrLogin)), "{e:?}");
    let e = b.fastpass_status(&other_pool, &c3.id).await.unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::QrLogin)), "{e:?}");
    let e = a
        .fastpass_create(&alice_s, &other_app, None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::AppNotFound), "{e:?}");

    // Kicked after the code was made: the code died with the sessions.
    std::thread::sleep(std::time::Duration::from_millis(2));
    a.end_user_sessions(&admin, std::slice::from_ref(&alice.id))
        .await
        .unwrap();
    let e = b
        .fastpass_login(&pool, &mobile, &c3.id, app_side.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::QrCodeExpired), "{e:?}");

    // Blocked after the code was made: the one login refuses.
    std::thread::sleep(std::time::Duration::from_millis(2));
    let alice_s = session_of(&a, &pool, &web, &alice).await;
    let c4 = a.fastpass_create(&alice_s, &web, None).await.unwrap();
    a.admin_update_user(
        &admin,
        &alice.id,
        &serde_json::json!({"blocked": true})
            .as_object()
            .unwrap()
            .clone(),
        None,
    )
    .await
    .unwrap();
    let e = b
        .fastpass_login(&pool, &mobile, &c4.id, app_side.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UserBlocked), "{e:?}");

    // Expired: the poll says so and nobody logs in; expired rows are purged.
    let now = tessera_core::clock::now_ms();
    let stale = "stale-fastpass-code-for-the-test";
    store
        .insert_qr_login(&QrLogin {
            id: digest(stale),
            kind: DeviceLoginKind::Fastpass,
            pool_id: pool.id.clone(),
            app_id: web.id.clone(),
            status: QrStatus::Pending,
            user_id: Some(alice.id.clone()),
            ticket_digest: None,
            scope: None,
            created_at: now - 200_000,
            expires_at: now - 1,
            authorized_at: None,
        })
        .await
        .unwrap();
    assert_eq!(
        a.fastpass_status(&pool, stale).await.unwrap().state,
        QrState::Expired
    );
    let e = b
        .fastpass_login(&pool, &mobile, stale, app_side.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::QrCodeExpired), "{e:?}");
    let e = b.fastpass_apps(&pool, &web.id, stale).await.unwrap_err();
    assert!(matches!(e, Error::QrCodeExpired), "{e:?}");
    store.purge_expired(now).await.unwrap();
    assert!(store
        .qr_login(&pool.id, &digest(stale))
        .await
        .unwrap()
        .is_none());

    // A QR-code login's id is no quick-authentication code.
    let q = a.qr_login_create(&pool, &web).await.unwrap();
    let e = b.fastpass_status(&pool, &q.id).await.unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::QrLogin)), "{e:?}");
}

/// Two apps racing with one code: exactly one gets the login.
async fn fastpass_spent_once_under_race(db: &TestDb) {
    let a = Arc::new(core(db).await);
    let b = Arc::new(core(db).await);
    let creds = a.create_pool("fastpass-race").await.unwrap();
    let pool = a.pool(&creds.user_pool_id).await.unwrap();
    let (app, _) = a.app_and_pool(&creds.app_id).await.unwrap();
    let user = a
        .create_user(
            &pool,
            NewUser {
                email: Some("race@example.com".into()),
                password: Some("Passw0rd!".into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    let s = session_of(&a, &pool, &app, &user).await;
    for _ in 0..5 {
        let code = a.fastpass_create(&s, &app, None).await.unwrap();
        let mut tasks = Vec::new();
        for core in [&a, &b, &a, &b] {
            let (core, pool, app, id) =
                (Arc::clone(core), pool.clone(), app.clone(), code.id.clone());
            tasks.push(tokio::spawn(async move {
                core.fastpass_login(&pool, &app, &id, LoginContext::default())
                    .await
            }));
        }
        let mut won = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => won += 1,
                Err(Error::QrCodeUsed) => {}
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        assert_eq!(won, 1);
    }
}

backend_tests! {
    fastpass_login_across_processes => fastpass_across_processes;
    fastpass_race => fastpass_spent_once_under_race;
}
