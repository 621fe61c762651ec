//! What the v3 Applications and pool-configuration façades added to the core, on both
//! backends and through two `Core`s on one database (two server processes): an
//! application's client kind stored with it in one transaction, identifier availability
//! across pools, keyword search, access-rule batches that write nothing when one target is
//! unknown, rules named by id (and only in their pool), how the rules decide a user's
//! applications, and the pool's MFA factors.

mod common;

use std::sync::Arc;

use common::TestDb;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::directory::TargetType;
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::acl_admin::{AccessChange, AccessItem};
use tessera_core::service::apps_admin::{ClientKind, NewApp};
use tessera_core::service::paging::Page;
use tessera_core::service::users::{CreatedBy, NewUser};
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

async fn admin(c: &Core, name: &str) -> PoolAdmin {
    let creds = c.create_pool(name).await.unwrap();
    c.pool_admin_by_secret(&creds.user_pool_id, &creds.secret)
        .await
        .unwrap()
}

async fn user(c: &Core, admin: &PoolAdmin, name: &str) -> String {
    let pool = c.pool(admin.pool_id()).await.unwrap();
    c.create_user(
        &pool,
        NewUser {
            username: Some(name.into()),
            ..NewUser::default()
        },
        CreatedBy::Admin,
    )
    .await
    .unwrap()
    .id
}

fn app(name: &str, identifier: &str, kind: Option<ClientKind>) -> NewApp {
    NewApp {
        name: name.into(),
        identifier: Some(identifier.into()),
        client_kind: kind,
        ..NewApp::default()
    }
}

async fn apps_kinds_identifiers_and_search(db: &TestDb) {
    let a = core(db).await;
    let b = core(db).await;
    let mine = admin(&a, "p").await;
    let theirs = admin(&a, "q").await;
    let spa = a
        .admin_create_app(
            &mine,
            app("Shop Front", "shop-front", Some(ClientKind::Spa)),
        )
        .await
        .unwrap();
    assert_eq!(spa.client_kind, ClientKind::Spa);
    // Read by the other process, the kind was stored with the application.
    assert_eq!(
        b.admin_app(&mine, &spa.app.id).await.unwrap().client_kind,
        ClientKind::Spa
    );
    let plain = a
        .admin_create_app(&mine, app("Back Office", "back-office", None))
        .await
        .unwrap();
    assert_eq!(plain.client_kind, ClientKind::Web);

    // Identifiers are unique across pools; a taken one refuses the create, writing nothing.
    assert!(!b.app_identifier_available("shop-front").await.unwrap());
    assert!(!b.app_identifier_available("SHOP-FRONT").await.unwrap());
    assert!(b.app_identifier_available("free-label").await.unwrap());
    assert!(matches!(
        b.app_identifier_available("not a label").await.unwrap_err(),
        Error::InvalidParameter(_)
    ));
    let e = b
        .admin_create_app(&theirs, app("Copy", "shop-front", Some(ClientKind::Native)))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::DomainTaken), "{e:?}");
    assert_eq!(
        b.admin_search_apps(&theirs, Some("copy"), Page::default())
            .await
            .unwrap()
            .total_count,
        0
    );

    // Search by name or identifier, any case, only in the pool.
    let found = b
        .admin_search_apps(&mine, Some("FRONT"), Page::default())
        .await
        .unwrap();
    assert_eq!(found.total_count, 1);
    assert_eq!(found.list[0].app.id, spa.app.id);
    let by_identifier = b
        .admin_search_apps(&mine, Some("back-off"), Page::default())
        .await
        .unwrap();
    assert_eq!(by_identifier.list[0].app.id, plain.app.id);
    assert_eq!(
        b.admin_search_apps(&theirs, Some("front"), Page::default())
            .await
            .unwrap()
            .total_count,
        0
    );
    // Paging a search: the total counts every match.
    let page = Page::new(Some(2), Some(1)).unwrap();
    let second = b.admin_search_apps(&mine, Some("o"), page).await.unwrap();
    assert_eq!(second.list.len(), 1);
    assert!(second.total_count >= 2);
}

async fn access_rules_by_batch_and_by_id(db: &TestDb) {
    let a = core(db).await;
    let b = core(db).await;
    let mine = admin(&a, "p").await;
    let theirs = admin(&a, "q").await;
    let open = a
        .admin_create_app(&mine, app("Open", "open-app", None))
        .await
        .unwrap()
        .app
        .id;
    let closed = a
        .admin_create_app(&mine, app("Closed", "closed-app", None))
        .await
        .unwrap()
        .app
        .id;
    a.set_app_default_strategy(&mine, &closed, false)
        .await
        .unwrap();
    let ann = user(&a, &mine, "ann").await;
    let bob = user(&a, &mine, "bob").await;

    let decided = b.user_app_access(&mine, &ann).await.unwrap();
    let of = |id: &str| decided.iter().find(|d| d.app.id == id).unwrap().clone();
    assert!(of(&open).accessible && !of(&open).explicitly_allowed);
    assert!(!of(&closed).accessible);

    // One unknown target in the second item: nothing of the first is written.
    let batch = |ids: Vec<String>, group: Option<&str>| {
        let mut items = vec![AccessItem {
            target_type: TargetType::User,
            identifiers: ids,
            namespace: None,
            change: AccessChange::Allow,
        }];
        if let Some(g) = group {
            items.push(AccessItem {
                target_type: TargetType::Group,
                identifiers: vec![g.to_owned()],
                namespace: None,
                change: AccessChange::Allow,
            });
        }
        items
    };
    let e = a
        .change_app_access_batch(
            &mine,
            &closed,
            &batch(vec![ann.clone(), bob.clone()], Some("no-such-group")),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::Group)), "{e:?}");
    let rules = b
        .app_access_rules_page(&mine, &closed, Page::default())
        .await
        .unwrap();
    assert_eq!(rules.total_count, 0);
    // A failure inside the unit of work (switching on a rule that does not exist, after
    // an allow was written) rolls the whole batch back.
    let mut failing = batch(vec![ann.clone()], None);
    failing.push(AccessItem {
        target_type: TargetType::User,
        identifiers: vec![bob.clone()],
        namespace: None,
        change: AccessChange::Enable,
    });
    let e = a
        .change_app_access_batch(&mine, &closed, &failing)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::AccessRule)), "{e:?}");
    assert_eq!(
        b.app_access_rules_page(&mine, &closed, Page::default())
            .await
            .unwrap()
            .total_count,
        0,
        "the allow written before the failure was rolled back"
    );
    a.change_app_access_batch(&mine, &closed, &batch(vec![ann.clone(), bob.clone()], None))
        .await
        .unwrap();
    let decided = b.user_app_access(&mine, &ann).await.unwrap();
    let c = decided.iter().find(|d| d.app.id == closed).unwrap();
    assert!(c.accessible && c.explicitly_allowed && !c.allow_all_by_default);

    // A rule by id: switched off it decides nothing; another pool cannot name it.
    let rules = b
        .app_access_rules_page(&mine, &closed, Page::default())
        .await
        .unwrap();
    let ann_rule = rules
        .list
        .iter()
        .find(|r| r.record.target_id == ann)
        .unwrap()
        .record
        .id
        .clone();
    let e = b
        .set_access_rule_enabled(&theirs, &ann_rule, false)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::AccessRule)), "{e:?}");
    let e = b
        .delete_access_rules(&theirs, std::slice::from_ref(&ann_rule))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::AccessRule)), "{e:?}");
    b.set_access_rule_enabled(&mine, &ann_rule, false)
        .await
        .unwrap();
    assert!(!a.may_use_app(mine.pool_id(), &ann, &closed).await.unwrap());
    assert!(!a.access_rule(&mine, &ann_rule).await.unwrap().enabled);
    b.set_access_rule_enabled(&mine, &ann_rule, true)
        .await
        .unwrap();
    assert!(a.may_use_app(mine.pool_id(), &ann, &closed).await.unwrap());

    // Deleting by ids is all or nothing.
    let e = b
        .delete_access_rules(&mine, &[ann_rule.clone(), "no-such-rule".into()])
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::AccessRule)), "{e:?}");
    assert!(a.may_use_app(mine.pool_id(), &ann, &closed).await.unwrap());
    b.delete_access_rules(&mine, std::slice::from_ref(&ann_rule))
        .await
        .unwrap();
    assert!(!a.may_use_app(mine.pool_id(), &ann, &closed).await.unwrap());
    assert!(a.may_use_app(mine.pool_id(), &bob, &closed).await.unwrap());
    let e = b.delete_access_rules(&mine, &[]).await.unwrap_err();
    assert!(matches!(e, Error::MissingParameter(_)), "{e:?}");

    // A deny wins over an allowing default.
    a.change_app_access_batch(
        &mine,
        &open,
        &[AccessItem {
            target_type: TargetType::User,
            identifiers: vec![bob.clone()],
            namespace: None,
            change: AccessChange::Deny,
        }],
    )
    .await
    .unwrap();
    // The rules naming bob, on or off, in both applications; none for another pool.
    let named = b
        .target_access_rules(&mine, TargetType::User, &bob, None)
        .await
        .unwrap();
    let mut seen: Vec<(String, bool)> =
        named.iter().map(|(r, a)| (a.id.clone(), r.allow)).collect();
    seen.sort();
    let mut want = vec![(closed.clone(), true), (open.clone(), false)];
    want.sort();
    assert_eq!(seen, want);
    let e = b
        .target_access_rules(&theirs, TargetType::User, &bob, None)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UserNotFound), "{e:?}");
    let bob_apps = b.user_app_access(&mine, &bob).await.unwrap();
    let o = bob_apps.iter().find(|d| d.app.id == open).unwrap();
    assert!(!o.accessible && !o.explicitly_allowed);
    let e = b.user_app_access(&theirs, &bob).await.unwrap_err();
    assert!(matches!(e, Error::UserNotFound), "{e:?}");
}

backend_tests! {
    apps => apps_kinds_identifiers_and_search;
    access_rules => access_rules_by_batch_and_by_id;
}
