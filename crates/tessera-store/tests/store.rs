//! The `Store` contract, on SQLite and on PostgreSQL.

mod common;

use std::sync::Arc;

use common::TestDb;
use sqlx::Row;
use tessera_core::model::tenant::MfaType;
use tessera_core::model::{
    AccessKey, Application, ExternalIdentity, OidcSettings, PoolSettings, Profile, User,
    UserMfaRule, UserPool, UserStatus,
};
use tessera_core::store::{
    AccountStore, LoginUpdate, NewPool, SessionValidity, Store, UserChange, UserField, UserLookup,
};
use tessera_core::{ids, Error, UniqueField};
use tessera_store::SqlStore;

fn new_pool(name: &str) -> NewPool {
    let pool_id = ids::new_id();
    let app_id = ids::new_id();
    NewPool {
        pool: UserPool {
            id: pool_id.clone(),
            name: name.into(),
            domain: pool_id.clone(),
            description: None,
            logo: None,
            secret: ids::new_secret(16),
            settings: PoolSettings::default(),
            created_at: 1,
            updated_at: 1,
        },
        app: Application {
            id: app_id.clone(),
            pool_id: pool_id.clone(),
            name: name.into(),
            identifier: app_id,
            description: None,
            logo: None,
            secret: ids::new_secret(16),
            oidc: OidcSettings::default(),
            created_at: 1,
            updated_at: 1,
        },
        access_key: AccessKey {
            id: ids::new_id(),
            pool_id,
            app_id: None,
            secret: ids::new_secret(16),
            enabled: true,
            created_at: 1,
        },
    }
}

fn user(pool_id: &str) -> User {
    User {
        id: ids::new_id(),
        pool_id: pool_id.into(),
        username: None,
        email: None,
        email_verified: false,
        phone: None,
        phone_country_code: None,
        phone_verified: false,
        unionid: None,
        openid: None,
        external_id: None,
        status: UserStatus::Activated,
        blocked: false,
        is_deleted: false,
        register_source: vec!["basic:email".into()],
        password_hash: None,
        reset_password_on_next_login: false,
        primary_user_id: None,
        profile: Profile::default(),
        login: Default::default(),
        tokens_valid_after: 0,
        signed_up: 10,
        created_at: 10,
        updated_at: 10,
        mfa_rules: vec![],
        public_account: false,
    }
}

async fn pool_with_store(db: &TestDb) -> (Arc<SqlStore>, NewPool) {
    let store = db.open().await;
    let p = new_pool("p");
    store.create_pool(&p).await.unwrap();
    (store, p)
}

async fn migrations_are_idempotent_and_concurrent(db: &TestDb) {
    // Eight processes' worth of stores opening a fresh database at once.
    let opens = (0..8).map(|_| SqlStore::open(&db.url));
    for r in futures_util::future::join_all(opens).await {
        r.expect("concurrent open");
    }
    let store = db.open().await;
    let rows = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(store.pool())
        .await
        .unwrap();
    let mut versions: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get::<i64, _>(0).unwrap())
        .collect();
    versions.sort_unstable();
    assert_eq!(
        versions,
        vec![
            1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22, 23, 24, 25, 27,
            28, 29, 30, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41
        ],
        "every migration applied exactly once"
    );
}

async fn futures_join_all<F: std::future::Future + Send + 'static>(
    fs: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = fs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

async fn pools_apps_and_keys_round_trip_and_survive_reopen(db: &TestDb) {
    let (store, p) = pool_with_store(db).await;
    let mut p2 = new_pool("second");
    p2.pool.settings.register_disabled = true;
    p2.pool.settings.password_strength = 3;
    store.create_pool(&p2).await.unwrap();
    drop(store);

    let store = db.open().await;
    let pools = store.list_pools().await.unwrap();
    assert_eq!(pools.len(), 2);
    assert_eq!(store.get_pool(&p2.pool.id).await.unwrap().unwrap(), p2.pool);
    assert_eq!(store.get_app(&p.app.id).await.unwrap().unwrap(), p.app);
    assert_eq!(
        store.list_apps(&p.pool.id).await.unwrap(),
        vec![p.app.clone()]
    );
    assert_eq!(
        store
            .get_access_key(&p.access_key.id)
            .await
            .unwrap()
            .unwrap(),
        p.access_key
    );
    assert!(store.get_pool("nope").await.unwrap().is_none());
    assert!(store.get_app("nope").await.unwrap().is_none());
}

async fn a_failed_pool_creation_writes_nothing(db: &TestDb) {
    let (store, p) = pool_with_store(db).await;
    // Same application identifier as an existing app: the app insert fails after the pool
    // insert succeeded; the transaction must take the pool row back with it.
    let mut clash = new_pool("clash");
    clash.app.identifier = p.app.identifier.clone();
    assert!(store.create_pool(&clash).await.is_err());
    assert!(store.get_pool(&clash.pool.id).await.unwrap().is_none());
    assert_eq!(store.list_pools().await.unwrap().len(), 1);
}

async fn bootstrap_happens_once_even_when_racing(db: &TestDb) {
    let store = db.open().await;
    let attempts = (0..6).map(|i| {
        let s = Arc::clone(&store);
        async move { s.bootstrap_pool(&new_pool(&format!("b{i}"))).await.unwrap() }
    });
    let won: Vec<bool> = futures_join_all(attempts).await;
    assert_eq!(won.iter().filter(|w| **w).count(), 1);
    assert_eq!(store.list_pools().await.unwrap().len(), 1);
    assert!(!store.bootstrap_pool(&new_pool("late")).await.unwrap());
}

async fn user_uniqueness_follows_authing(db: &TestDb) {
    let (store, p) = pool_with_store(db).await;
    let pid = &p.pool.id;
    let mut a = user(pid);
    a.email = Some("Bob@Example.com".into());
    a.username = Some("bob".into());
    a.phone = Some("13800000000".into());
    a.phone_country_code = Some("+86".into());
    a.external_id = Some("ext-1".into());
    store.insert_user(&a).await.unwrap();

    let mut b = user(pid);
    b.email = Some("bob@example.COM".into());
    assert!(matches!(
        store.insert_user(&b).await,
        Err(Error::AlreadyExists(UniqueField::Email))
    ));

    let mut c = user(pid);
    c.username = Some("bob".into());
    assert!(matches!(
        store.insert_user(&c).await,
        Err(Error::AlreadyExists(UniqueField::Username))
    ));
    c.username = Some("Bob".into());
    store
        .insert_user(&c)
        .await
        .expect("usernames are case-sensitive");

    let mut d = user(pid);
    d.phone = Some("13800000000".into());
    d.phone_country_code = Some("+86".into());
    assert!(matches!(
        store.insert_user(&d).await,
        Err(Error::AlreadyExists(UniqueField::Phone))
    ));
    d.phone_country_code = Some("+1".into());
    store
        .insert_user(&d)
        .await
        .expect("same number, other country code");

    let mut e = user(pid);
    e.external_id = Some("ext-1".into());
    assert!(matches!(
        store.insert_user(&e).await,
        Err(Error::AlreadyExists(UniqueField::ExternalId))
    ));

    // Users without any of these fields do not collide with each other (NULLs are distinct).
    store.insert_user(&user(pid)).await.unwrap();
    store.insert_user(&user(pid)).await.unwrap();

    // Another pool may reuse everything.
    let p2 = new_pool("other");
    store.create_pool(&p2).await.unwrap();
    let mut f = a.clone();
    f.id = ids::new_id();
    f.pool_id = p2.pool.id.clone();
    store.insert_user(&f).await.expect("uniqueness is per pool");
    assert_eq!(store.count_users(pid).await.unwrap(), 5);
}

async fn racing_registrations_have_one_winner(db: &TestDb) {
    let (store, p) = pool_with_store(db).await;
    let attempts = (0..8).map(|i| {
        let s = Arc::clone(&store);
        let mut u = user(&p.pool.id);
        u.email = Some(if i % 2 == 0 { "race@x.io" } else { "RACE@x.io" }.into());
        async move { s.insert_user(&u).await }
    });
    let results = futures_join_all(attempts).await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, Error::AlreadyExists(UniqueField::Email))));
}

async fn users_round_trip_every_field_and_are_found_by_each_key(db: &TestDb) {
    let (store, p) = pool_with_store(db).await;
    let pid = &p.pool.id;
    let mut u = user(pid);
    u.username = Some("alice".into());
    u.email = Some("Alice@X.io".into());
    u.email_verified = true;
    u.phone = Some("13900000000".into());
    u.phone_country_code = Some("+86".into());
    u.external_id = Some("e-9".into());
    u.status = UserStatus::Suspended;
    u.password_hash = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into());
    u.profile.nickname = Some("小爱".into());
    u.profile.gender = Some("F".into());
    u.profile.city = Some("Hangzhou".into());
    u.profile.oauth = Some(r#"{"a":1}"#.into());
    u.register_source = vec!["import:manual".into(), "basic:email".into()];
    u.mfa_rules = vec![
        UserMfaRule {
            kind: MfaType::Otp,
            enabled: true,
            sort: 2,
        },
        UserMfaRule {
            kind: MfaType::Email,
            enabled: false,
            sort: 0,
        },
    ];
    store.insert_user(&u).await.unwrap();

    for by in [
        UserLookup::Id(&u.id),
        UserLookup::Email("alice@x.io"),
        UserLookup::Username("alice"),
        UserLookup::Phone {
            country_code: "+86",
            number: "13900000000",
        },
        UserLookup::ExternalId("e-9"),
    ] {
        let found = store.find_user(pid, by).await.unwrap();
        assert_eq!(found.as_ref(), Some(&u), "{by:?}");
    }
    assert!(store
        .find_user(pid, UserLookup::Username("Alice"))
        .await
        .unwrap()
        .is_none());
    assert!(store
        .find_user("other-pool", UserLookup::Id(&u.id))
        .await
        .unwrap()
        .is_none());

    let change = UserChange::new().set(UserField::PasswordHash(Some("$2b$04$new".into())));
    store
        .change_user(pid, &u.id, &change, 5)
        .await
        .unwrap()
        .expect("no precondition");
    store
        .record_login(
            pid,
            &u.id,
            &LoginUpdate {
                at_ms: 99,
                app_id: None,
                ip: Some("127.0.0.1".into()),
                device: None,
                browser: Some("curl".into()),
            },
        )
        .await
        .unwrap();
    let after = store
        .find_user(pid, UserLookup::Id(&u.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.password_hash.as_deref(), Some("$2b$04$new"));
    assert_eq!(after.login.logins_count, 1);
    assert_eq!(after.login.last_login, Some(99));
    assert_eq!(after.login.last_ip.as_deref(), Some("127.0.0.1"));
    assert!(matches!(
        store.change_user(pid, "missing", &change, 6).await,
        Err(Error::UserNotFound)
    ));

    // Per-user MFA rules: a targeted write replaces them and leaves the rest of the row; an
    // empty list is stored as NULL (a user without rules).
    let sms_on = vec![UserMfaRule {
        kind: MfaType::Sms,
        enabled: true,
        sort: 1,
    }];
    let changed = store
        .change_user(
            pid,
            &u.id,
            &UserChange::new().set(UserField::MfaRules(sms_on.clone())),
            7,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.mfa_rules, sms_on);
    assert_eq!(changed.password_hash.as_deref(), Some("$2b$04$new"));
    let cleared = store
        .change_user(
            pid,
            &u.id,
            &UserChange::new().set(UserField::MfaRules(vec![])),
            8,
        )
        .await
        .unwrap()
        .unwrap();
    assert!(cleared.mfa_rules.is_empty());
    let raw: Option<String> = sqlx::query("SELECT mfa_rules FROM users WHERE id = $1")
        .bind(&u.id)
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(raw, None);
}

async fn external_identities_link_users(db: &TestDb) {
    let (store, p) = pool_with_store(db).await;
    let pid = &p.pool.id;
    let u = user(pid);
    store.insert_user(&u).await.unwrap();
    let ident = ExternalIdentity {
        id: ids::new_id(),
        pool_id: pid.clone(),
        user_id: u.id.clone(),
        provider: "github".into(),
        connection_id: None,
        user_id_in_idp: "gh-42".into(),
        openid: None,
        is_social: true,
        user_info_in_idp: Some("{}".into()),
        access_token: None,
        refresh_token: None,
        created_at: 1,
        updated_at: 1,
    };
    store.insert_identity(&ident).await.unwrap();
    let mut dup = ident.clone();
    dup.id = ids::new_id();
    assert!(matches!(
        store.insert_identity(&dup).await,
        Err(Error::AlreadyExists(_))
    ));
    assert_eq!(
        store.list_identities(pid, &u.id).await.unwrap(),
        vec![ident]
    );
    let found = store
        .find_user_by_identity(pid, "github", "gh-42")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, u.id);
    assert!(store
        .find_user_by_identity(pid, "github", "gh-43")
        .await
        .unwrap()
        .is_none());
}

async fn revocations_are_shared_and_purged(db: &TestDb) {
    let store = db.open().await;
    store.revoke_token("jti-1", "p", 1_000).await.unwrap();
    store
        .revoke_token("jti-1", "p", 1_000)
        .await
        .expect("revoking twice is fine");
    store.revoke_token("jti-2", "p", 5_000).await.unwrap();
    // A second store on the same database sees the revocation.
    let other = db.open().await;
    assert!(other.is_token_revoked("jti-1").await.unwrap());
    assert!(!other.is_token_revoked("jti-3").await.unwrap());
    assert_eq!(other.purge_expired(2_000).await.unwrap(), 1);
    assert!(!other.is_token_revoked("jti-1").await.unwrap());
    assert!(other.is_token_revoked("jti-2").await.unwrap());
}

/// The combined reads behind every v2 request and every session check answer what the
/// separate reads answer, including across stores (processes) sharing the database.
async fn combined_request_reads_match_the_separate_ones(db: &TestDb) {
    let (store, p) = pool_with_store(db).await;
    let (app, pool) = store.get_app_and_pool(&p.app.id).await.unwrap().unwrap();
    assert_eq!(app, p.app);
    assert_eq!(pool, store.get_pool(&p.pool.id).await.unwrap());
    assert!(store.get_app_and_pool("nope").await.unwrap().is_none());

    let u = user(&p.pool.id);
    store.insert_user(&u).await.unwrap();
    let (found, revoked) = store
        .find_session_user(&p.pool.id, &u.id, "jti-s")
        .await
        .unwrap();
    assert_eq!(
        found.as_ref(),
        store
            .find_user(&p.pool.id, UserLookup::Id(&u.id))
            .await
            .unwrap()
            .as_ref()
    );
    assert!(found.is_some());
    assert!(!revoked);
    // Revoked by another process: seen at once, with or without the user.
    db.open()
        .await
        .revoke_token("jti-s", &p.pool.id, i64::MAX / 2)
        .await
        .unwrap();
    let (found, revoked) = store
        .find_session_user(&p.pool.id, &u.id, "jti-s")
        .await
        .unwrap();
    assert!(found.is_some() && revoked);
    let (found, revoked) = store
        .find_session_user(&p.pool.id, "no-such-user", "jti-s")
        .await
        .unwrap();
    assert!(found.is_none() && revoked);
    // Another pool's user is not found.
    let (found, revoked) = store
        .find_session_user("other-pool", &u.id, "jti-x")
        .await
        .unwrap();
    assert!(found.is_none() && !revoked);
    // The validity read answers what the full read answers, column for column.
    let mut ended = user(&p.pool.id);
    ended.blocked = true;
    ended.is_deleted = true;
    ended.tokens_valid_after = 123_456;
    store.insert_user(&ended).await.unwrap();
    for (pool_id, user_id, jti) in [
        (p.pool.id.as_str(), ended.id.as_str(), "jti-s"),
        (p.pool.id.as_str(), ended.id.as_str(), "jti-live"),
        (p.pool.id.as_str(), u.id.as_str(), "jti-s"),
        (p.pool.id.as_str(), u.id.as_str(), "jti-live"),
        (p.pool.id.as_str(), "no-such-user", "jti-s"),
        ("other-pool", u.id.as_str(), "jti-x"),
    ] {
        let (user, revoked) = store
            .find_session_user(pool_id, user_id, jti)
            .await
            .unwrap();
        let validity = store.session_validity(pool_id, user_id, jti).await.unwrap();
        assert_eq!(
            validity,
            (user.as_ref().map(SessionValidity::of), revoked),
            "{pool_id} {user_id} {jti}"
        );
    }
}

async fn secrets_and_signing_keys_have_one_first_writer(db: &TestDb) {
    let store = db.open().await;
    let writes = (0..6).map(|i| {
        let s = Arc::clone(&store);
        async move { s.put_secret_if_absent("k", &format!("v{i}")).await.unwrap() }
    });
    let seen = futures_join_all(writes).await;
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");

    let mk = |kid: &str, at: i64| tessera_core::model::SigningKey {
        kid: kid.into(),
        private_pem: "pem".into(),
        created_at: at,
        retire_at: None,
    };
    let firsts = (0..4).map(|i| {
        let s = Arc::clone(&store);
        let k = mk(&format!("k{i}"), i);
        async move { s.add_first_signing_key(&k).await.unwrap() }
    });
    assert_eq!(
        futures_join_all(firsts)
            .await
            .iter()
            .filter(|w| **w)
            .count(),
        1
    );
    assert_eq!(store.list_signing_keys().await.unwrap().len(), 1);

    store
        .rotate_signing_key(&mk("k-new", 100), 500)
        .await
        .unwrap();
    let keys = store.list_signing_keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys.iter().filter(|k| k.retire_at == Some(500)).count(), 1);
    assert_eq!(
        keys.iter().find(|k| k.retire_at.is_none()).unwrap().kid,
        "k-new"
    );
    assert_eq!(store.delete_retired_signing_keys(499).await.unwrap(), 0);
    assert_eq!(store.delete_retired_signing_keys(500).await.unwrap(), 1);
    assert_eq!(
        store.max_token_lifetime_secs().await.unwrap(),
        15 * 24 * 3600
    );
}

async fn foreign_keys_are_enforced(db: &TestDb) {
    let store = db.open().await;
    let u = user("no-such-pool");
    assert!(
        store.insert_user(&u).await.is_err(),
        "a user needs an existing pool"
    );
}

backend_tests! {
    migrations => migrations_are_idempotent_and_concurrent;
    pools_round_trip => pools_apps_and_keys_round_trip_and_survive_reopen;
    pool_creation_atomic => a_failed_pool_creation_writes_nothing;
    bootstrap_once => bootstrap_happens_once_even_when_racing;
    uniqueness => user_uniqueness_follows_authing;
    registration_race => racing_registrations_have_one_winner;
    users_round_trip => users_round_trip_every_field_and_are_found_by_each_key;
    identities => external_identities_link_users;
    revocation => revocations_are_shared_and_purged;
    combined_reads => combined_request_reads_match_the_separate_ones;
    first_writer => secrets_and_signing_keys_have_one_first_writer;
    foreign_keys => foreign_keys_are_enforced;
}
