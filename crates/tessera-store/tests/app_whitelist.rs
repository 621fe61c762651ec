//! Applications' registration whitelists on both backends: entries kept by normalised key,
//! all-or-nothing adds, pool isolation, the registration rule (an application's non-empty
//! list on top of the pool's switched-on list), and the entries going with their
//! application.

mod common;

use std::sync::Arc;

use common::TestDb;
use sqlx::Row;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::{Application, UserPool};
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::apps_admin::NewApp;
use tessera_core::service::register::{RegisterOptions, Registration};
use tessera_core::service::settings::WhitelistType;
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Error};
use tessera_store::SqlStore;

struct Fx {
    core: Core,
    store: Arc<SqlStore>,
    pool: PoolAdmin,
    other: PoolAdmin,
    /// The pool's first application (made with the pool).
    app: String,
    /// The other pool's first application.
    foreign_app: String,
}

async fn setup(db: &TestDb) -> Fx {
    let store = db.open().await;
    let dyn_store: Arc<dyn Store> = store.clone();
    let core = Core::open(
        dyn_store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .expect("core");
    let a = core.create_pool("wl").await.unwrap();
    let b = core.create_pool("other").await.unwrap();
    Fx {
        pool: core
            .pool_admin_by_secret(&a.user_pool_id, &a.secret)
            .await
            .unwrap(),
        other: core
            .pool_admin_by_secret(&b.user_pool_id, &b.secret)
            .await
            .unwrap(),
        app: a.app_id,
        foreign_app: b.app_id,
        core,
        store,
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

impl Fx {
    async fn pool_now(&self) -> UserPool {
        self.core.pool(&self.pool.id).await.unwrap()
    }

    async fn application(&self, id: &str) -> Application {
        self.store.get_app(id).await.unwrap().unwrap()
    }

    async fn emails(&self, app: &str) -> Vec<String> {
        self.core
            .app_whitelist(&self.pool, app, WhitelistType::Email)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.value)
            .collect()
    }

    async fn rows(&self, app: &str) -> i64 {
        sqlx::query("SELECT COUNT(*) FROM app_whitelist_entries WHERE app_id = $1")
            .bind(app)
            .fetch_one(self.store.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    /// A password registration by email, through `app` when given.
    async fn register_email(&self, app: Option<&str>, email: &str) -> Result<(), Error> {
        let pool = self.pool_now().await;
        let app = match app {
            Some(id) => Some(self.application(id).await),
            None => None,
        };
        self.core
            .register(
                &pool,
                app.as_ref(),
                Registration::Email {
                    email: email.into(),
                    password: "pw123456".into(),
                },
                RegisterOptions::default(),
            )
            .await
            .map(drop)
    }

    async fn register_username(&self, app: &str, username: &str) -> Result<(), Error> {
        let pool = self.pool_now().await;
        let app = self.application(app).await;
        self.core
            .register(
                &pool,
                Some(&app),
                Registration::Username {
                    username: username.into(),
                    password: "pw123456".into(),
                },
                RegisterOptions::default(),
            )
            .await
            .map(drop)
    }
}

async fn entries_are_kept_by_key_and_isolated(db: &TestDb) {
    let fx = setup(db).await;
    fx.core
        .add_app_whitelist(
            &fx.pool,
            &fx.app,
            WhitelistType::Email,
            &strings(&["First@Example.com", " second@example.com "]),
        )
        .await
        .unwrap();
    // The same address in another case is the same entry: kept as first given.
    fx.core
        .add_app_whitelist(
            &fx.pool,
            &fx.app,
            WhitelistType::Email,
            &strings(&["FIRST@example.com"]),
        )
        .await
        .unwrap();
    assert_eq!(
        fx.emails(&fx.app).await,
        strings(&["First@Example.com", "second@example.com"])
    );
    // Lists of other types are separate.
    let phones = fx
        .core
        .app_whitelist(&fx.pool, &fx.app, WhitelistType::Phone)
        .await
        .unwrap();
    assert!(phones.is_empty());

    // One invalid value refuses the whole add.
    let e = fx
        .core
        .add_app_whitelist(
            &fx.pool,
            &fx.app,
            WhitelistType::Email,
            &strings(&["third@example.com", "not an email"]),
        )
        .await;
    assert!(matches!(e, Err(Error::InvalidEmail)), "{e:?}");
    assert_eq!(fx.rows(&fx.app).await, 2);

    // Another pool's application, from either side, is not found, and nothing is written.
    for (admin, app) in [(&fx.pool, &fx.foreign_app), (&fx.other, &fx.app)] {
        let e = fx
            .core
            .add_app_whitelist(admin, app, WhitelistType::Email, &strings(&["x@y.com"]))
            .await;
        assert!(matches!(e, Err(Error::AppNotFound)), "{e:?}");
        let e = fx
            .core
            .app_whitelist(admin, app, WhitelistType::Email)
            .await;
        assert!(matches!(e, Err(Error::AppNotFound)), "{e:?}");
        let e = fx
            .core
            .remove_app_whitelist(
                admin,
                app,
                WhitelistType::Email,
                &strings(&["first@example.com"]),
            )
            .await;
        assert!(matches!(e, Err(Error::AppNotFound)), "{e:?}");
    }
    let e = fx
        .core
        .add_app_whitelist(
            &fx.pool,
            "no-such-app",
            WhitelistType::Email,
            &strings(&["x@y.com"]),
        )
        .await;
    assert!(matches!(e, Err(Error::AppNotFound)), "{e:?}");
    assert_eq!(fx.rows(&fx.app).await, 2);
    assert_eq!(fx.rows(&fx.foreign_app).await, 0);

    // Removal by key; an absent value is ignored; an invalid one removes nothing.
    let e = fx
        .core
        .remove_app_whitelist(
            &fx.pool,
            &fx.app,
            WhitelistType::Email,
            &strings(&["first@example.com", "not an email"]),
        )
        .await;
    assert!(matches!(e, Err(Error::InvalidEmail)), "{e:?}");
    assert_eq!(fx.rows(&fx.app).await, 2);
    fx.core
        .remove_app_whitelist(
            &fx.pool,
            &fx.app,
            WhitelistType::Email,
            &strings(&["FIRST@example.com", "never@example.com"]),
        )
        .await
        .unwrap();
    assert_eq!(fx.emails(&fx.app).await, strings(&["second@example.com"]));
}

async fn registration_follows_app_and_pool_lists(db: &TestDb) {
    let fx = setup(db).await;
    let second = fx
        .core
        .admin_create_app(
            &fx.pool,
            NewApp {
                name: "second".into(),
                ..NewApp::default()
            },
        )
        .await
        .unwrap()
        .app
        .id;
    fx.core
        .add_app_whitelist(
            &fx.pool,
            &fx.app,
            WhitelistType::Email,
            &strings(&["Listed@example.com", "also@example.com"]),
        )
        .await
        .unwrap();

    // Through the application with a list: only listed addresses (by key) register.
    let e = fx
        .register_email(Some(&fx.app), "stranger@example.com")
        .await;
    assert!(matches!(e, Err(Error::NotWhitelisted)), "{e:?}");
    fx.register_email(Some(&fx.app), "LISTED@example.com")
        .await
        .unwrap();
    // Without an application, or through one without a list, the pool's rule alone
    // applies, and its switch is off.
    fx.register_email(None, "stranger@example.com")
        .await
        .unwrap();
    fx.register_email(Some(&second), "stranger2@example.com")
        .await
        .unwrap();
    // The email list does not restrict usernames.
    fx.register_username(&fx.app, "free_name").await.unwrap();

    // With the pool's email switch on, both lists apply through the application.
    let mut settings = fx.pool_now().await.settings;
    settings.whitelist.email_enabled = true;
    fx.core
        .update_pool_settings(&fx.pool.id, settings)
        .await
        .unwrap();
    fx.core
        .add_whitelist(&fx.pool.id, WhitelistType::Email, &["pool@example.com"])
        .await
        .unwrap();
    let e = fx.register_email(Some(&fx.app), "also@example.com").await;
    assert!(
        matches!(e, Err(Error::NotWhitelisted)),
        "on the app's list, not the pool's: {e:?}"
    );
    let e = fx.register_email(Some(&fx.app), "pool@example.com").await;
    assert!(
        matches!(e, Err(Error::NotWhitelisted)),
        "on the pool's list, not the app's: {e:?}"
    );
    fx.core
        .add_whitelist(&fx.pool.id, WhitelistType::Email, &["also@example.com"])
        .await
        .unwrap();
    fx.register_email(Some(&fx.app), "also@example.com")
        .await
        .unwrap();
    // The application without a list follows the pool's list only.
    fx.register_email(Some(&second), "pool@example.com")
        .await
        .unwrap();

    // Emptying the application's list lifts its restriction.
    fx.core
        .add_app_whitelist(
            &fx.pool,
            &fx.app,
            WhitelistType::Email,
            &strings(&["late@example.com"]),
        )
        .await
        .unwrap();
    fx.core
        .add_whitelist(
            &fx.pool.id,
            WhitelistType::Email,
            &["late@example.com", "p2@example.com"],
        )
        .await
        .unwrap();
    let e = fx.register_email(Some(&fx.app), "p2@example.com").await;
    assert!(matches!(e, Err(Error::NotWhitelisted)), "{e:?}");
    fx.core
        .remove_app_whitelist(
            &fx.pool,
            &fx.app,
            WhitelistType::Email,
            &strings(&["listed@example.com", "also@example.com", "late@example.com"]),
        )
        .await
        .unwrap();
    assert!(fx.emails(&fx.app).await.is_empty());
    fx.register_email(Some(&fx.app), "p2@example.com")
        .await
        .unwrap();
}

async fn entries_go_with_their_application(db: &TestDb) {
    let fx = setup(db).await;
    let app = fx
        .core
        .admin_create_app(
            &fx.pool,
            NewApp {
                name: "doomed".into(),
                ..NewApp::default()
            },
        )
        .await
        .unwrap()
        .app
        .id;
    for (kind, v) in [
        (WhitelistType::Email, "a@example.com"),
        (WhitelistType::Username, "alice"),
        (WhitelistType::Phone, "13800000000"),
    ] {
        fx.core
            .add_app_whitelist(&fx.pool, &app, kind, &strings(&[v]))
            .await
            .unwrap();
    }
    assert_eq!(fx.rows(&app).await, 3);
    fx.core.admin_delete_app(&fx.pool, &app).await.unwrap();
    assert_eq!(fx.rows(&app).await, 0);
}

backend_tests! {
    entries_kept_by_key_and_isolated => entries_are_kept_by_key_and_isolated;
    registration_rule => registration_follows_app_and_pool_lists;
    entries_deleted_with_app => entries_go_with_their_application;
}
