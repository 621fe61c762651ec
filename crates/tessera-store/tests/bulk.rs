//! Bulk import and keyset pages, through the core, on SQLite and on PostgreSQL.

mod common;

use std::sync::Arc;

use common::TestDb;
use tessera_core::crypto::password::HashParams;
use tessera_core::notify::Outbox;
use tessera_core::service::import::MAX_IMPORT_BATCH;
use tessera_core::service::users::{LoginContext, LoginId, NewUser};
use tessera_core::store::{Store, UserLookup};
use tessera_core::{Core, CoreConfig, Error, UniqueField};

async fn core(db: &TestDb) -> Core {
    let store: Arc<dyn Store> = db.open().await;
    let config = CoreConfig {
        public_url: "http://127.0.0.1:3000".into(),
        // Cheap hashes: this test is about the store, not argon2's cost.
        hash_params: HashParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        },
    };
    Core::open(store, config, Arc::new(Outbox::default()))
        .await
        .expect("core")
}

fn person(i: usize) -> NewUser {
    NewUser {
        email: Some(format!("User{i}@Bulk.Example")),
        username: Some(format!("user{i}")),
        phone: Some(format!("139{i:08}")),
        register_source: vec!["import:bench".into()],
        ..NewUser::default()
    }
}

async fn bulk_import_is_one_transaction_with_db_uniqueness(db: &TestDb) {
    let core = core(db).await;
    let creds = core.create_pool("bulk").await.unwrap();
    let pool = core.pool(&creds.user_pool_id).await.unwrap();
    let store = db.open().await;

    // More than one multi-row statement's worth, so the batch spans several statements.
    let n = 1_234;
    let batch: Vec<NewUser> = (0..n).map(person).collect();
    let stored = core.import_users(&pool, batch).await.unwrap();
    assert_eq!(stored.len(), n);
    assert_eq!(store.count_users(&pool.id).await.unwrap(), n as i64);

    // Normalised as a single create would: the email key is lower-case, the phone gets the
    // pool's default country code.
    let u = store
        .find_user(&pool.id, UserLookup::Email("user77@bulk.example"))
        .await
        .unwrap()
        .expect("by email");
    assert_eq!(u.username.as_deref(), Some("user77"));
    assert_eq!(u.phone_country_code.as_deref(), Some("+86"));
    let by_phone = store
        .find_user(
            &pool.id,
            UserLookup::Phone {
                country_code: "+86",
                number: "13900000077",
            },
        )
        .await
        .unwrap()
        .expect("by phone");
    assert_eq!(by_phone.id, u.id);
    let by_id = store
        .find_user(&pool.id, UserLookup::Id(&u.id))
        .await
        .unwrap()
        .expect("by id");
    assert_eq!(by_id, u);

    // A duplicate against a stored user fails the whole batch: nothing of it is written.
    let clash = vec![
        person(5_000),
        NewUser {
            email: Some("USER12@bulk.example".into()),
            ..NewUser::default()
        },
    ];
    let err = core.import_users(&pool, clash).await.unwrap_err();
    assert!(
        matches!(err, Error::AlreadyExists(UniqueField::Email)),
        "{err:?}"
    );
    assert_eq!(store.count_users(&pool.id).await.unwrap(), n as i64);
    assert!(store
        .find_user(&pool.id, UserLookup::Username("user5000"))
        .await
        .unwrap()
        .is_none());

    // A duplicate inside one batch is caught by the database too.
    let mut twin = person(6_001);
    twin.email = Some("other@bulk.example".into());
    let inside = vec![person(6_000), twin.clone(), {
        let mut t = twin;
        t.username = Some("distinct".into());
        t.phone = None;
        t
    }];
    assert!(matches!(
        core.import_users(&pool, inside).await.unwrap_err(),
        Error::AlreadyExists(_)
    ));
    assert_eq!(store.count_users(&pool.id).await.unwrap(), n as i64);

    // Invalid input is refused before anything is written.
    let mut bad = person(7_000);
    bad.email = Some("not an email".into());
    assert!(core.import_users(&pool, vec![bad]).await.is_err());
    let too_many = (0..=MAX_IMPORT_BATCH).map(|_| NewUser::default()).collect();
    assert!(matches!(
        core.import_users(&pool, too_many).await.unwrap_err(),
        Error::InvalidParameter("users")
    ));
}

async fn imported_passwords_log_in(db: &TestDb) {
    let core = core(db).await;
    let creds = core.create_pool("bulk").await.unwrap();
    let pool = core.pool(&creds.user_pool_id).await.unwrap();
    let mut plain = person(1);
    plain.password = Some("plain-pass-1".into());
    let mut prehashed = person(2);
    prehashed.password_hash = Some(bcrypt::hash("hashed-pass-2", 4).unwrap());
    core.import_users(&pool, vec![plain, prehashed, person(3)])
        .await
        .unwrap();
    let ctx = LoginContext::default();
    for (i, pw) in [(1, "plain-pass-1"), (2, "hashed-pass-2")] {
        let id = LoginId::Email(format!("user{i}@bulk.example"));
        core.authenticate_password(&pool, &id, pw.into(), &ctx)
            .await
            .unwrap_or_else(|e| panic!("user{i}: {e:?}"));
    }
    let id = LoginId::Email("user3@bulk.example".into());
    assert!(matches!(
        core.authenticate_password(&pool, &id, "x".into(), &ctx)
            .await
            .unwrap_err(),
        Error::NoPassword
    ));
}

backend_tests! {
    bulk_import => bulk_import_is_one_transaction_with_db_uniqueness;
    bulk_passwords => imported_passwords_log_in;
}
