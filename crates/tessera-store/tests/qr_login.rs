//! QR-code logins on a real store, on both backends, across two server processes sharing
//! the database: a code made by one is scanned and confirmed at the other, its ticket is
//! handed out by one poll only and spent by one exchange only, and the exchange is a login
//! that a block stops.

mod common;

use std::sync::Arc;

use common::TestDb;
use tessera_core::crypto::password::HashParams;
use tessera_core::notify::Outbox;
use tessera_core::service::qr_login::{QrAction, QrState};
use tessera_core::service::users::{CreatedBy, LoginContext, NewUser};
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

async fn qr_login_across_processes(db: &TestDb) {
    let a = core(db).await;
    let b = core(db).await;
    let creds = a.create_pool("qr").await.unwrap();
    let pool = a.pool(&creds.user_pool_id).await.unwrap();
    let (app, _) = a.app_and_pool(&creds.app_id).await.unwrap();
    let new = |email: &str| NewUser {
        email: Some(email.into()),
        password: Some("Passw0rd!".into()),
        ..NewUser::default()
    };
    let alice = a
        .create_user(&pool, new("alice@example.com"), CreatedBy::Admin)
        .await
        .unwrap();
    let bob = a
        .create_user(&pool, new("bob@example.com"), CreatedBy::Admin)
        .await
        .unwrap();
    let alice_s = session_of(&b, &pool, &app, &alice).await;
    let bob_s = session_of(&b, &pool, &app, &bob).await;

    let q = a.qr_login_create(&pool, &app).await.unwrap();
    assert_eq!(
        b.qr_login_status(&pool, &q.id).await.unwrap().state,
        QrState::Pending
    );
    b.qr_login_act(&alice_s, &q.id, QrAction::Scan)
        .await
        .unwrap();
    // Bob may neither scan it again nor confirm Alice's scan.
    for action in [QrAction::Scan, QrAction::Confirm, QrAction::Cancel] {
        let e = a.qr_login_act(&bob_s, &q.id, action).await.unwrap_err();
        assert!(matches!(e, Error::NotFound(Entity::QrLogin)), "{e:?}");
    }
    let seen = a.qr_login_status(&pool, &q.id).await.unwrap();
    assert_eq!(seen.state, QrState::Scanned);
    assert_eq!(seen.user.unwrap().display_name, "alice@example.com");
    assert!(seen.ticket.is_none());
    a.qr_login_act(&alice_s, &q.id, QrAction::Confirm)
        .await
        .unwrap();
    // Two processes poll at once: exactly one receives the ticket.
    let (p1, p2) = tokio::join!(
        a.qr_login_status(&pool, &q.id),
        b.qr_login_status(&pool, &q.id)
    );
    let tickets: Vec<String> = [p1.unwrap(), p2.unwrap()]
        .into_iter()
        .filter_map(|v| {
            assert_eq!(v.state, QrState::Authorized);
            v.ticket
        })
        .collect();
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    let ticket = &tickets[0];
    // Two processes exchange at once: exactly one login.
    let (e1, e2) = tokio::join!(
        a.qr_login_exchange(&pool, &app, ticket, LoginContext::default()),
        b.qr_login_exchange(&pool, &app, ticket, LoginContext::default())
    );
    let events: Vec<_> = [e1, e2].into_iter().filter_map(Result::ok).collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].user.id, alice.id);
    assert_eq!(events[0].methods[0].amr(), "mca");
    assert_eq!(
        events[0].user.login.logins_count,
        alice.login.logins_count + 1,
        "the login is recorded"
    );

    // A block between confirmation and exchange stops the login; the ticket is spent.
    let q2 = a.qr_login_create(&pool, &app).await.unwrap();
    a.qr_login_act(&bob_s, &q2.id, QrAction::Scan)
        .await
        .unwrap();
    a.qr_login_act(&bob_s, &q2.id, QrAction::Confirm)
        .await
        .unwrap();
    let t2 = b
        .qr_login_status(&pool, &q2.id)
        .await
        .unwrap()
        .ticket
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
        .qr_login_exchange(&pool, &app, &t2, LoginContext::default())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UserBlocked), "{e:?}");

    // Another pool knows neither the code nor the ticket.
    let other = a.create_pool("other").await.unwrap();
    let other_pool = a.pool(&other.user_pool_id).await.unwrap();
    let e = a.qr_login_status(&other_pool, &q.id).await.unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::QrLogin)), "{e:?}");
}

backend_tests! {
    qr_login => qr_login_across_processes;
}
