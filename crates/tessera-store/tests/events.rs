//! The event center on a real store, on both backends, across two server processes sharing
//! the database: event apps and types, publishing, subscriptions that read what was published
//! after they opened — by an administrator every event of the type, by a user their own and
//! the administrators' —, pool isolation, the websocket key signature and the user token
//! checked again (a kick ends a subscription), bounds, and the purge.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::TestDb;
use tessera_core::crypto::hmac_sha1_b64;
use tessera_core::crypto::password::HashParams;
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::account::Session;
use tessera_core::service::events::{
    NewEventApp, PublishOutcome, Publisher, Subscription, MAX_EVENT_DATA, MAX_USER_SUBSCRIPTIONS,
    USER_PUBLISH_BUDGET,
};
use tessera_core::service::paging::Page;
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::events::{EventAudience, EventsStore};
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

struct Pool {
    admin: PoolAdmin,
    key_id: String,
    ws_signature: String,
    alice: Session,
    alice_token: String,
    bob: Session,
}

async fn pool(core: &Core, name: &str) -> Pool {
    let creds = core.create_pool(name).await.unwrap();
    let admin = core
        .pool_admin_by_secret(&creds.user_pool_id, &creds.secret)
        .await
        .unwrap();
    let p = core.pool(&creds.user_pool_id).await.unwrap();
    let (app, _) = core.app_and_pool(&creds.app_id).await.unwrap();
    let mut sessions = Vec::new();
    for u in ["alice", "bob"] {
        let user = core
            .create_user(
                &p,
                NewUser {
                    username: Some(u.into()),
                    password: Some("Passw0rd!".into()),
                    ..NewUser::default()
                },
                CreatedBy::Admin,
            )
            .await
            .unwrap();
        let t = core.issue_user_token(&p, Some(&app), &user).await.unwrap();
        let s = core.session_in_pool(&t.token, &p).await.unwrap();
        sessions.push((s, t.token));
    }
    let (bob, _) = sessions.pop().unwrap();
    let (alice, alice_token) = sessions.pop().unwrap();
    let ws_signature = hmac_sha1_b64(creds.access_key_secret.as_bytes(), b"websocket\n").unwrap();
    Pool {
        admin,
        key_id: creds.access_key_id,
        ws_signature,
        alice,
        alice_token,
        bob,
    }
}

fn published(o: PublishOutcome) {
    assert!(matches!(o, PublishOutcome::Published(_)), "{o:?}");
}

/// What the subscription receives within a second (other processes' events come by poll).
async fn receive(core: &Core, sub: &mut Subscription, n: usize) -> Vec<String> {
    let mut got = Vec::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(3);
    while got.len() < n && tokio::time::Instant::now() < until {
        got.extend(sub.next_batch(core).await.unwrap());
        if got.len() < n {
            sub.wait(tokio::time::Instant::now() + Duration::from_millis(50))
                .await;
        }
    }
    // Nothing more than expected arrives.
    got.extend(sub.next_batch(core).await.unwrap());
    got
}

async fn events_across_processes(db: &TestDb) {
    let a = core(db).await;
    let b = core(db).await;
    let p = pool(&a, "events").await;
    let other = pool(&a, "other").await;

    // Event apps: identifiers unique per pool, `authing` reserved, bad ones refused.
    let app = NewEventApp {
        identifier: "myapp".into(),
        name: "My app".into(),
        logo: "https://example.com/logo.png".into(),
    };
    a.create_event_app(&p.admin, app.clone()).await.unwrap();
    let e = a.create_event_app(&p.admin, app.clone()).await.unwrap_err();
    assert!(matches!(e, Error::Duplicate(Entity::EventApp)), "{e:?}");
    // Another pool may use the same identifier.
    a.create_event_app(&other.admin, app.clone()).await.unwrap();
    for bad in ["authing", "my.app", "", "a b"] {
        let e = a
            .create_event_app(
                &p.admin,
                NewEventApp {
                    identifier: bad.into(),
                    ..app.clone()
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::InvalidParameter("identifier")),
            "{bad}: {e:?}"
        );
    }
    let apps = b.event_apps(&p.admin).await.unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].identifier, "myapp");
    assert_eq!(apps[0].logo, "https://example.com/logo.png");

    // Types live under an existing app of the pool.
    a.define_event(&p.admin, "myapp.user.created", "a user was created")
        .await
        .unwrap();
    a.define_event(&p.admin, "myapp.order", "an order")
        .await
        .unwrap();
    let e = a
        .define_event(&p.admin, "myapp.order", "again")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Duplicate(Entity::EventType)), "{e:?}");
    let e = a
        .define_event(&p.admin, "nosuch.thing", "x")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::EventApp)), "{e:?}");
    let e = a.define_event(&p.admin, "myapp", "x").await.unwrap_err();
    assert!(matches!(e, Error::InvalidParameter("eventType")), "{e:?}");
    a.create_event_app(
        &p.admin,
        NewEventApp {
            identifier: "second".into(),
            ..app.clone()
        },
    )
    .await
    .unwrap();
    a.define_event(&p.admin, "second.ping", "ping")
        .await
        .unwrap();
    let all = b
        .event_definitions(&p.admin, None, Page::default())
        .await
        .unwrap();
    assert_eq!(all.total_count, 3);
    let mine = b
        .event_definitions(
            &p.admin,
            Some("myapp"),
            Page::new(Some(2), Some(1)).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(mine.total_count, 2);
    assert_eq!(mine.list.len(), 1);
    // Oldest first; two definitions made in the same millisecond fall back to their names,
    // so the two pages together are the app's two types, each once.
    let first = b
        .event_definitions(
            &p.admin,
            Some("myapp"),
            Page::new(Some(1), Some(1)).unwrap(),
        )
        .await
        .unwrap();
    let mut both = vec![
        first.list[0].event_type.clone(),
        mine.list[0].event_type.clone(),
    ];
    both.sort();
    assert_eq!(both, ["myapp.order", "myapp.user.created"]);
    assert_eq!(
        b.event_definitions(&other.admin, None, Page::default())
            .await
            .unwrap()
            .total_count,
        0
    );

    // Subscribers at process B: the administrator by the key's websocket signature, Alice
    // and Bob by their tokens.
    let admin_sub = b
        .event_subscriber_by_key(&p.key_id, &p.ws_signature)
        .await
        .unwrap();
    assert_eq!(admin_sub.user_id(), None);
    let e = b
        .event_subscriber_by_key(&p.key_id, &other.ws_signature)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Signature(_)), "{e:?}");
    let e = b
        .event_subscriber_by_token("not-a-token")
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::TokenInvalid | Error::NotLoggedIn),
        "{e:?}"
    );
    let alice_sub = b.event_subscriber_by_token(&p.alice_token).await.unwrap();
    assert_eq!(alice_sub.user_id(), Some(p.alice.user().id.as_str()));
    let e = b
        .subscribe_events(&admin_sub, "myapp.undefined")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::EventType)), "{e:?}");

    // Published before the subscription opened: not delivered.
    a.publish_event(Publisher::Admin(&p.admin), "myapp.order", "early")
        .await
        .unwrap();
    let mut admin_orders = b.subscribe_events(&admin_sub, "myapp.order").await.unwrap();
    let mut alice_orders = b.subscribe_events(&alice_sub, "myapp.order").await.unwrap();
    let other_sub = b
        .event_subscriber_by_key(&other.key_id, &other.ws_signature)
        .await
        .unwrap();
    a.define_event(&other.admin, "myapp.order", "an order")
        .await
        .unwrap();
    let mut other_orders = b.subscribe_events(&other_sub, "myapp.order").await.unwrap();

    // Published at process A: by the administrator, by Alice, by Bob, and another type.
    published(
        a.publish_event(Publisher::Admin(&p.admin), "myapp.order", "from admin")
            .await
            .unwrap(),
    );
    published(
        a.publish_event(Publisher::User(&p.alice), "myapp.order", "from alice")
            .await
            .unwrap(),
    );
    published(
        a.publish_event(Publisher::User(&p.bob), "myapp.order", "from bob")
            .await
            .unwrap(),
    );
    published(
        a.publish_event(Publisher::Admin(&p.admin), "second.ping", "ping")
            .await
            .unwrap(),
    );
    assert_eq!(
        a.publish_event(Publisher::Admin(&p.admin), "myapp.nothing", "x")
            .await
            .unwrap(),
        PublishOutcome::Undefined
    );
    // Defined in this pool only: another pool's publication of it is undefined there.
    assert_eq!(
        a.publish_event(Publisher::User(&other.alice), "second.ping", "x")
            .await
            .unwrap(),
        PublishOutcome::Undefined
    );
    let e = a
        .publish_event(
            Publisher::Admin(&p.admin),
            "myapp.order",
            &"x".repeat(MAX_EVENT_DATA + 1),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidParameter("eventData")), "{e:?}");

    assert_eq!(
        receive(&b, &mut admin_orders, 3).await,
        vec!["from admin", "from alice", "from bob"]
    );
    // Alice never reads Bob's.
    assert_eq!(
        receive(&b, &mut alice_orders, 2).await,
        vec!["from admin", "from alice"]
    );
    assert!(receive(&b, &mut other_orders, 0).await.is_empty());
    published(
        a.publish_event(Publisher::Admin(&other.admin), "myapp.order", "other pool")
            .await
            .unwrap(),
    );
    assert_eq!(receive(&b, &mut other_orders, 1).await, vec!["other pool"]);
    assert!(receive(&b, &mut admin_orders, 0).await.is_empty());

    // A user's subscriptions are bounded per process; closing one frees its place.
    let mut held = Vec::new();
    for _ in 1..MAX_USER_SUBSCRIPTIONS {
        held.push(b.subscribe_events(&alice_sub, "myapp.order").await.unwrap());
    }
    let e = b
        .subscribe_events(&alice_sub, "myapp.order")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TooManySubscriptions), "{e:?}");
    held.pop();
    held.push(b.subscribe_events(&alice_sub, "myapp.order").await.unwrap());
    drop(held);

    // Kicked: Alice's subscription no longer holds, and she cannot open another.
    alice_orders.still_authorized(&b).await.unwrap();
    a.end_user_sessions(&p.admin, &[p.alice.user().id.clone()])
        .await
        .unwrap();
    assert!(alice_orders.still_authorized(&b).await.is_err());
    assert!(b.event_subscriber_by_token(&p.alice_token).await.is_err());
    // A disabled key stops the administrator's.
    admin_orders.still_authorized(&b).await.unwrap();
    let key = a
        .create_pool_access_key(&p.admin, Default::default())
        .await
        .unwrap();
    let sig = hmac_sha1_b64(key.secret.as_bytes(), b"websocket\n").unwrap();
    let by_key = b.event_subscriber_by_key(&key.id, &sig).await.unwrap();
    let sub = b.subscribe_events(&by_key, "second.ping").await.unwrap();
    a.set_pool_access_key_enabled(&p.admin, &key.id, false)
        .await
        .unwrap();
    assert!(sub.still_authorized(&b).await.is_err());

    // Events older than an hour go with housekeeping; the numbering goes on.
    let store = db.open().await;
    let pool_id = p.admin.pool_id();
    let last = store.last_event_seq(pool_id).await.unwrap();
    let old_at = tessera_core::clock::now_ms() - 2 * 3_600_000;
    let old = store
        .append_event(pool_id, "myapp.order", "old", None, old_at, None)
        .await
        .unwrap();
    assert_eq!(old, last + 1);
    let read = |after| {
        let store = store.clone();
        async move {
            store
                .events_after(pool_id, "myapp.order", after, EventAudience::Pool, 10)
                .await
                .unwrap()
        }
    };
    assert_eq!(read(last).await.len(), 1);
    a.housekeeping().await.unwrap();
    assert!(read(last).await.is_empty());
    let mut late = b.subscribe_events(&admin_sub, "myapp.order").await.unwrap();
    published(
        a.publish_event(Publisher::Admin(&p.admin), "myapp.order", "after purge")
            .await
            .unwrap(),
    );
    assert_eq!(receive(&b, &mut late, 1).await, vec!["after purge"]);
    assert_eq!(store.last_event_seq(pool_id).await.unwrap(), old + 1);
}

/// A user's publications are bounded per window across processes, concurrent ones
/// included; a refusal stores nothing and takes no number; administrators, other users and
/// events from before the window are not counted.
async fn user_publish_budget(db: &TestDb) {
    let a = core(db).await;
    let b = core(db).await;
    let p = pool(&a, "budget").await;
    a.create_event_app(
        &p.admin,
        NewEventApp {
            identifier: "myapp".into(),
            name: "My app".into(),
            logo: String::new(),
        },
    )
    .await
    .unwrap();
    a.define_event(&p.admin, "myapp.tick", "ticks")
        .await
        .unwrap();
    let store = db.open().await;
    let pool_id = p.admin.pool_id();
    // Two hours ago, before the window: not counted.
    let old_at = tessera_core::clock::now_ms() - 2 * 3_600_000;
    for _ in 0..5 {
        store
            .append_event(
                pool_id,
                "myapp.tick",
                "old",
                Some(&p.alice.user().id),
                old_at,
                None,
            )
            .await
            .unwrap();
    }
    // All but the last ten from the first process, then twenty at once from both: exactly
    // ten more get through.
    for _ in 0..USER_PUBLISH_BUDGET - 10 {
        published(
            a.publish_event(Publisher::User(&p.alice), "myapp.tick", "t")
                .await
                .unwrap(),
        );
    }
    let burst: Vec<_> = (0..20)
        .map(|i| {
            let core = if i % 2 == 0 { &a } else { &b };
            core.publish_event(Publisher::User(&p.alice), "myapp.tick", "t")
        })
        .collect();
    let results = futures_util::future::join_all(burst).await;
    let passed = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(passed, 10, "{results:?}");
    for r in &results {
        if let Err(e) = r {
            assert!(matches!(e, Error::TooManyEvents), "{e:?}");
        }
    }
    let last = store.last_event_seq(pool_id).await.unwrap();
    let e = b
        .publish_event(Publisher::User(&p.alice), "myapp.tick", "t")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::TooManyEvents), "{e:?}");
    // Nothing stored and no number taken by the refusals.
    assert_eq!(store.last_event_seq(pool_id).await.unwrap(), last);
    // Another user and the administrator are not bounded by alice's budget.
    published(
        b.publish_event(Publisher::User(&p.bob), "myapp.tick", "t")
            .await
            .unwrap(),
    );
    for _ in 0..3 {
        published(
            a.publish_event(Publisher::Admin(&p.admin), "myapp.tick", "t")
                .await
                .unwrap(),
        );
    }
    assert_eq!(store.last_event_seq(pool_id).await.unwrap(), last + 4);
}

backend_tests! {
    events_across_processes => events_across_processes;
    user_publish_budget => user_publish_budget;
}
