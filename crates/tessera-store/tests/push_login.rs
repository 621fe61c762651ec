//! Push logins on a real store, on both backends, across two server processes sharing the
//! database: a push requested at one is answered and collected at the other; only its own
//! user answers it, once; it is collected once; an expired one is refused; a block between
//! the answer and the poll stops the login; an unknown account gets the same answer and no
//! push; a deployment without a push channel refuses.

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use common::TestDb;
use tessera_core::crypto::digest;
use tessera_core::crypto::password::HashParams;
use tessera_core::notify::{EmailMessage, Notifier, Outbox, PushMessage, SmsMessage};
use tessera_core::service::push_login::{PushAnswer, PushState};
use tessera_core::service::users::{CreatedBy, LoginContext, NewUser};
use tessera_core::store::oidc::{DeviceLoginKind, QrLogin, QrStatus};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Entity, Error};

async fn core_with(db: &TestDb, notifier: Arc<dyn Notifier>) -> Core {
    let store: Arc<dyn Store> = db.open().await;
    Core::open(
        store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: HashParams::default(),
        },
        notifier,
    )
    .await
    .expect("core")
}

/// Delivers emails and SMS nowhere and has no push channel.
struct NoPush;

#[async_trait]
impl Notifier for NoPush {
    async fn send_email(&self, _: &EmailMessage) -> tessera_core::Result<()> {
        Ok(())
    }
    async fn send_sms(&self, _: &SmsMessage) -> tessera_core::Result<()> {
        Ok(())
    }
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

/// The pushes delivered so far (delivery runs in the background: waits for `n`).
async fn pushes(outbox: &Outbox, n: usize) -> Vec<PushMessage> {
    for _ in 0..100 {
        let got = outbox.pushes.lock().unwrap().clone();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    outbox.pushes.lock().unwrap().clone()
}

async fn push_login_across_processes(db: &TestDb) {
    let outbox = Arc::new(Outbox::default());
    let a = core_with(db, outbox.clone()).await;
    let b = core_with(db, outbox.clone()).await;
    let creds = a.create_pool("push").await.unwrap();
    let pool = a.pool(&creds.user_pool_id).await.unwrap();
    let (app, _) = a.app_and_pool(&creds.app_id).await.unwrap();
    let new = |email: &str, username: &str| NewUser {
        email: Some(email.into()),
        username: Some(username.into()),
        password: Some("Passw0rd!".into()),
        ..NewUser::default()
    };
    let alice = a
        .create_user(&pool, new("alice@example.com", "alice"), CreatedBy::Admin)
        .await
        .unwrap();
    let bob = a
        .create_user(&pool, new("bob@example.com", "bob"), CreatedBy::Admin)
        .await
        .unwrap();
    let alice_s = session_of(&b, &pool, &app, &alice).await;
    let bob_s = session_of(&b, &pool, &app, &bob).await;
    let web = LoginContext {
        ip: Some("203.0.113.7".into()),
        browser: Some("Mozilla/5.0 test".into()),
        ..LoginContext::default()
    };

    // Alice, named by her username: a push reaches her app.
    let p = a
        .push_login_request(&pool, &app, "alice", Some("openid profile"), &web)
        .await
        .unwrap();
    let sent = pushes(&outbox, 1).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].push_code_id, p.id);
    assert_eq!(sent[0].user_id, alice.id);
    assert_eq!(sent[0].app_id, app.id);
    assert_eq!(sent[0].expire_time, p.expires_at);
    assert_eq!(sent[0].client_ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(sent[0].user_agent.as_deref(), Some("Mozilla/5.0 test"));
    let view = b
        .push_login_status(&pool, &app, &p.id, web.clone())
        .await
        .unwrap();
    assert_eq!(view.state, PushState::Pushed);
    assert!(view.login.is_none());

    // Bob may not answer Alice's push, nor list its applications.
    for answer in [PushAnswer::Confirm, PushAnswer::Cancel] {
        let e = a
            .push_login_answer(&bob_s, &p.id, answer)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::NotFound(Entity::PushLogin)), "{e:?}");
    }
    let e = a.push_login_apps(&bob_s, &app.id, &p.id).await.unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::PushLogin)), "{e:?}");
    assert_eq!(
        a.push_login_apps(&alice_s, &app.id, &p.id).await.unwrap(),
        vec![app.id.clone()]
    );
    // A QR-code endpoint does not know the push, nor a push endpoint a QR code.
    let q = a.qr_login_create(&pool, &app).await.unwrap();
    let e = a
        .push_login_status(&pool, &app, &q.id, web.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::PushLogin)), "{e:?}");

    // Alice confirms; a second answer is refused.
    b.push_login_answer(&alice_s, &p.id, PushAnswer::Confirm)
        .await
        .unwrap();
    let e = a
        .push_login_answer(&alice_s, &p.id, PushAnswer::Cancel)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidParameter("action")), "{e:?}");

    // Two processes poll at once: exactly one collects the login.
    let (v1, v2) = tokio::join!(
        a.push_login_status(&pool, &app, &p.id, web.clone()),
        b.push_login_status(&pool, &app, &p.id, web.clone())
    );
    let logins: Vec<_> = [v1.unwrap(), v2.unwrap()]
        .into_iter()
        .filter_map(|v| {
            assert_eq!(v.state, PushState::Authorized);
            v.login
        })
        .collect();
    assert_eq!(logins.len(), 1);
    assert_eq!(logins[0].event.user.id, alice.id);
    assert_eq!(logins[0].event.methods[0].amr(), "mca");
    assert_eq!(logins[0].scope.as_deref(), Some("openid profile"));
    assert_eq!(
        logins[0].event.user.login.logins_count,
        alice.login.logins_count + 1,
        "the login is recorded"
    );
    let later = a
        .push_login_status(&pool, &app, &p.id, web.clone())
        .await
        .unwrap();
    assert_eq!(later.state, PushState::Authorized);
    assert!(later.login.is_none(), "the login is handed out once");

    // Another application of the pool, or another pool, does not know the push.
    let other = a.create_pool("other").await.unwrap();
    let (other_app, other_pool) = a.app_and_pool(&other.app_id).await.unwrap();
    let e = a
        .push_login_status(&other_pool, &other_app, &p.id, web.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::PushLogin)), "{e:?}");
    let e = a
        .push_login_apps(&alice_s, &other_app.id, &p.id)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::AppNotFound), "{e:?}");

    // Cancelled: the poll says so and no login follows.
    let c = a
        .push_login_request(&pool, &app, "alice@example.com", None, &web)
        .await
        .unwrap();
    a.push_login_answer(&alice_s, &c.id, PushAnswer::Cancel)
        .await
        .unwrap();
    let e = a
        .push_login_answer(&alice_s, &c.id, PushAnswer::Confirm)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidParameter("action")), "{e:?}");
    let v = b
        .push_login_status(&pool, &app, &c.id, web.clone())
        .await
        .unwrap();
    assert_eq!(v.state, PushState::Cancelled);
    assert!(v.login.is_none());

    // An unknown account: the same answer, a push code that polls as pushed, no push, and
    // nobody can answer it.
    let before = pushes(&outbox, 2).await.len();
    let u = a
        .push_login_request(&pool, &app, "nobody@example.com", None, &web)
        .await
        .unwrap();
    assert!(u.expires_at > 0 && !u.id.is_empty());
    assert_eq!(
        b.push_login_status(&pool, &app, &u.id, web.clone())
            .await
            .unwrap()
            .state,
        PushState::Pushed
    );
    for s in [&alice_s, &bob_s] {
        let e = a
            .push_login_answer(s, &u.id, PushAnswer::Confirm)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::NotFound(Entity::PushLogin)), "{e:?}");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(outbox.pushes.lock().unwrap().len(), before, "no push");

    // Expired: the poll says so, and the user's answer is refused.
    let store: Arc<dyn Store> = db.open().await;
    let now = tessera_core::clock::now_ms();
    let stale_code = "stale-push-code-for-the-test";
    store
        .insert_qr_login(&QrLogin {
            id: digest(stale_code),
            kind: DeviceLoginKind::Push,
            pool_id: pool.id.clone(),
            app_id: app.id.clone(),
            status: QrStatus::Pushed,
            user_id: Some(alice.id.clone()),
            ticket_digest: None,
            scope: None,
            created_at: now - 200_000,
            expires_at: now - 1,
            authorized_at: None,
        })
        .await
        .unwrap();
    let e = a
        .push_login_answer(&alice_s, stale_code, PushAnswer::Confirm)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::CodeExpired), "{e:?}");
    assert_eq!(
        a.push_login_status(&pool, &app, stale_code, web.clone())
            .await
            .unwrap()
            .state,
        PushState::Expired
    );
    // Expired rows are purged.
    store.purge_expired(now).await.unwrap();
    assert!(store
        .qr_login(&pool.id, &digest(stale_code))
        .await
        .unwrap()
        .is_none());

    // A block between the answer and the poll stops the login; the push is spent.
    let k = a
        .push_login_request(&pool, &app, "bob", None, &web)
        .await
        .unwrap();
    a.push_login_answer(&bob_s, &k.id, PushAnswer::Confirm)
        .await
        .unwrap();
    let admin = a.operator_pool_admin(&pool.id).await.unwrap();
    a.admin_update_user(
        &admin,
        &bob.id,
        &serde_json::json!({"blocked": true})
            .as_object()
            .unwrap()
            .clone(),
        None,
    )
    .await
    .unwrap();
    let e = b
        .push_login_status(&pool, &app, &k.id, web.clone())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UserBlocked), "{e:?}");
    let v = b.push_login_status(&pool, &app, &k.id, web).await.unwrap();
    assert_eq!(v.state, PushState::Authorized);
    assert!(v.login.is_none(), "the refused push is spent");

    // Without a push channel, push logins are refused before the account is looked at.
    let c = core_with(db, Arc::new(NoPush)).await;
    for account in ["alice", "nobody"] {
        let e = c
            .push_login_request(&pool, &app, account, None, &LoginContext::default())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::PushNotConfigured), "{e:?}");
    }
}

/// The pool's login guard counts push requests: past `limit` in the window, the account's
/// next push (and password login) needs what a failed login would.
async fn push_requests_count_for_the_guard(db: &TestDb) {
    let outbox = Arc::new(Outbox::default());
    let a = core_with(db, outbox.clone()).await;
    let creds = a.create_pool("push-guard").await.unwrap();
    let pool = a.pool(&creds.user_pool_id).await.unwrap();
    let (app, _) = a.app_and_pool(&creds.app_id).await.unwrap();
    let limit = pool.settings.login_fail_check.limit;
    assert!(pool.settings.login_fail_check.enabled && limit > 0);
    let web = LoginContext {
        ip: Some("198.51.100.9".into()),
        ..LoginContext::default()
    };
    for _ in 0..limit {
        a.push_login_request(&pool, &app, "carol@example.com", None, &web)
            .await
            .unwrap();
    }
    let e = a
        .push_login_request(&pool, &app, "carol@example.com", None, &web)
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::CaptchaRequired | Error::AccountLocked),
        "{e:?}"
    );
}

backend_tests! {
    push_login => push_login_across_processes;
    push_guard => push_requests_count_for_the_guard;
}
