//! Account flows on a real store, on both backends: verification codes (hashed, single use,
//! bounded attempts, resend interval, shared by two processes), the login-failure captcha,
//! registration rules and custom data.

mod common;

use std::sync::{Arc, Mutex};

use common::TestDb;
use serde_json::json;
use sqlx::Row;
use tessera_core::crypto::password::HashParams;
use tessera_core::crypto::sm2::Sm2Key;
use tessera_core::crypto::transport::TransportKey;
use tessera_core::crypto::PasswordEncryption;
use tessera_core::model::pool::{LoginFailStrategy, RateCheck};
use tessera_core::model::{PoolSettings, UserPool};
use tessera_core::notify::Outbox;
use tessera_core::service::authn::AuthMethod;
use tessera_core::service::codes::{CodePurpose, CodeTarget};
use tessera_core::service::guard::{DECRYPT_FAILURE_BUDGET, SPRAY_FACTOR};
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::register::{RegisterOptions, Registration};
use tessera_core::service::settings::WhitelistType;
use tessera_core::service::udf::{UdfDataType, UdfTarget};
use tessera_core::service::users::{CreatedBy, LoginContext, LoginId, NewUser};
use tessera_core::store::{AccountStore, Store, UserLookup};
use tessera_core::{Core, CoreConfig, Error};
use tessera_store::SqlStore;

struct Env {
    core: Core,
    outbox: Arc<Outbox>,
    store: Arc<SqlStore>,
}

async fn env(db: &TestDb) -> Env {
    let store = db.open().await;
    let dyn_store: Arc<dyn Store> = store.clone();
    let outbox = Arc::new(Outbox::default());
    let core = Core::open(
        dyn_store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: HashParams::default(),
        },
        outbox.clone(),
    )
    .await
    .expect("core");
    Env {
        core,
        outbox,
        store,
    }
}

fn last_sms(o: &Outbox) -> String {
    o.sms.lock().unwrap().last().expect("an SMS").code.clone()
}

async fn sms_codes_are_hashed_single_use_and_shared(db: &TestDb) {
    let a = env(db).await;
    let b = env(db).await;
    let pool_id = a.core.create_pool("p").await.unwrap().user_pool_id;
    let pool = a.core.pool(&pool_id).await.unwrap();
    a.core
        .send_sms_code(&pool, "13800138000", None, Some("login"))
        .await
        .unwrap();
    let code = last_sms(&a.outbox);
    assert_eq!(code.len(), 6);
    // A resend inside the interval is refused, from any process.
    let again = b
        .core
        .send_sms_code(&pool, "13800138000", None, Some("login"))
        .await;
    assert!(matches!(again, Err(Error::CodeSentTooRecently)));
    let stored: String = sqlx::query("SELECT code_hash FROM verification_codes")
        .fetch_one(a.store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert!(!stored.contains(&code), "codes are stored hashed");
    let target = CodeTarget::phone(&pool, "13800138000", Some("+86")).unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert!(matches!(
        b.core
            .verify_code(&pool, &target, CodePurpose::Login, wrong)
            .await,
        Err(Error::CodeWrong)
    ));
    // Verified by the other process, once.
    b.core
        .verify_code(&pool, &target, CodePurpose::Login, &code)
        .await
        .unwrap();
    assert!(matches!(
        a.core
            .verify_code(&pool, &target, CodePurpose::Login, &code)
            .await,
        Err(Error::CodeWrong)
    ));
}

async fn codes_have_an_attempt_budget(db: &TestDb) {
    let a = env(db).await;
    let pool_id = a.core.create_pool("p").await.unwrap().user_pool_id;
    let pool = a.core.pool(&pool_id).await.unwrap();
    a.core
        .send_email_code(&pool, "Ann@Example.com", "LOGIN_VERIFY_CODE")
        .await
        .unwrap();
    let code = {
        let mails = a.outbox.emails.lock().unwrap();
        let mail = mails.last().unwrap();
        assert_eq!(mail.code.len(), 6);
        assert_eq!(
            mail.valid_minutes,
            pool.settings.verify_code_expires_after / 60
        );
        mail.code.clone()
    };
    let target = CodeTarget::email("ann@example.com").unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..pool.settings.verify_code_max_attempts {
        let r = a
            .core
            .verify_code(&pool, &target, CodePurpose::Login, wrong)
            .await;
        assert!(matches!(r, Err(Error::CodeWrong)));
    }
    // Exhausted: even the right code no longer works.
    let r = a
        .core
        .verify_code(&pool, &target, CodePurpose::Login, &code)
        .await;
    assert!(r.is_err());
}

async fn login_failures_require_a_captcha(db: &TestDb) {
    let mut a = env(db).await;
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let sink = seen.clone();
    a.core.set_captcha_hook(Arc::new(move |k: &str, v: &str| {
        sink.lock().unwrap().push((k.to_owned(), v.to_owned()))
    }));
    let pool_id = a.core.create_pool("p").await.unwrap().user_pool_id;
    let mut settings = a.core.pool(&pool_id).await.unwrap().settings;
    settings.login_fail_check = RateCheck {
        enabled: true,
        time_interval: 300,
        limit: 2,
    };
    let pool = a
        .core
        .update_pool_settings(&pool_id, settings)
        .await
        .unwrap();
    a.core
        .register(
            &pool,
            None,
            Registration::Email {
                email: "c@example.com".into(),
                password: "right-pass".into(),
            },
            RegisterOptions::default(),
        )
        .await
        .unwrap();
    let attempt = |pw: &'static str, captcha: Option<String>| {
        let core = &a.core;
        let pool = pool.clone();
        async move {
            core.authenticate(
                &pool,
                None,
                Credential::Password {
                    id: LoginId::Email("c@example.com".into()),
                    password: pw.into(),
                },
                LoginOptions {
                    captcha_code: captcha,
                    client: LoginContext {
                        ip: Some("10.0.0.9".into()),
                        ..LoginContext::default()
                    },
                    ..LoginOptions::default()
                },
            )
            .await
        }
    };
    for _ in 0..2 {
        assert!(matches!(
            attempt("bad", None).await,
            Err(Error::WrongPassword)
        ));
    }
    assert!(matches!(
        attempt("right-pass", None).await,
        Err(Error::CaptchaRequired)
    ));
    a.core.issue_captcha(&pool, Some("10.0.0.9")).await.unwrap();
    assert!(matches!(
        attempt("right-pass", Some("ZZZZ9".into())).await,
        Err(Error::CaptchaWrong)
    ));
    // A client asking again and again keeps one live captcha: only the newest answers.
    a.core.issue_captcha(&pool, Some("10.0.0.9")).await.unwrap();
    let (_, earlier) = seen.lock().unwrap().last().cloned().unwrap();
    a.core.issue_captcha(&pool, Some("10.0.0.9")).await.unwrap();
    let (key, answer) = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(key, format!("{pool_id}:10.0.0.9"));
    let live = a
        .store
        .recent_codes(&pool_id, "captcha", "ip:10.0.0.9", &["login"], 10)
        .await
        .unwrap();
    assert_eq!(live.len(), 1, "one live captcha per client");
    if earlier.to_lowercase() != answer.to_lowercase() {
        assert!(matches!(
            attempt("right-pass", Some(earlier)).await,
            Err(Error::CaptchaWrong)
        ));
        // The wrong answer used the captcha up: a new one is needed.
        a.core.issue_captcha(&pool, Some("10.0.0.9")).await.unwrap();
    }
    let (_, answer) = seen.lock().unwrap().last().cloned().unwrap();
    let ok = attempt("right-pass", Some(answer.to_lowercase()))
        .await
        .unwrap();
    assert!(ok.login_recorded);
    assert_eq!(ok.methods, vec![AuthMethod::Password]);
    assert_eq!(ok.methods[0].amr(), "pwd");
    assert_eq!(ok.user.login.logins_count, 1);
}

async fn registration_rules_and_custom_data(db: &TestDb) {
    let a = env(db).await;
    let pool_id = a.core.create_pool("p").await.unwrap().user_pool_id;
    a.core
        .define_udf(&pool_id, UdfTarget::User, "age", UdfDataType::Number, "Age")
        .await
        .unwrap();
    let mut settings = a.core.pool(&pool_id).await.unwrap().settings;
    settings.whitelist.email_enabled = true;
    settings.frequent_register_check = RateCheck {
        enabled: true,
        time_interval: 300,
        limit: 2,
    };
    let pool = a
        .core
        .update_pool_settings(&pool_id, settings)
        .await
        .unwrap();
    a.core
        .add_whitelist(
            &pool_id,
            WhitelistType::Email,
            &["OK1@example.com", "ok2@example.com", "ok3@example.com"],
        )
        .await
        .unwrap();
    let reg = |email: &str, custom: Vec<(String, serde_json::Value)>| {
        let core = &a.core;
        let pool = pool.clone();
        let email = email.to_owned();
        async move {
            core.register(
                &pool,
                None,
                Registration::Email {
                    email,
                    password: "pw123456".into(),
                },
                RegisterOptions {
                    client: LoginContext {
                        ip: Some("10.1.1.1".into()),
                        ..LoginContext::default()
                    },
                    custom_data: custom,
                    ..RegisterOptions::default()
                },
            )
            .await
        }
    };
    assert!(matches!(
        reg("nope@example.com", vec![]).await,
        Err(Error::NotWhitelisted)
    ));
    // A wrongly typed custom value refuses the whole registration: no user is written.
    let bad = reg("ok1@example.com", vec![("age".into(), json!("old"))]).await;
    assert!(matches!(bad, Err(Error::InvalidParameter(_))));
    assert_eq!(db.open().await.count_users(&pool_id).await.unwrap(), 0);
    let u = reg("ok1@example.com", vec![("age".into(), json!(20))])
        .await
        .unwrap();
    let values = a
        .core
        .udf_values(&pool_id, UdfTarget::User, &u.user.id)
        .await
        .unwrap();
    assert_eq!(values[0].value, "20");
    reg("ok2@example.com", vec![]).await.unwrap();
    assert!(matches!(
        reg("ok3@example.com", vec![]).await,
        Err(Error::RegisterTooFrequent)
    ));
}

/// A registration is one unit of work: when its last write fails (here a trigger refuses
/// the user-action record), nothing of it stays, neither the user nor its custom data, its
/// rate-window count or its login; the same registration then succeeds.
async fn a_failed_registration_leaves_nothing(db: &TestDb) {
    let a = env(db).await;
    let pool_id = a.core.create_pool("p").await.unwrap().user_pool_id;
    a.core
        .define_udf(&pool_id, UdfTarget::User, "age", UdfDataType::Number, "Age")
        .await
        .unwrap();
    let mut settings = a.core.pool(&pool_id).await.unwrap().settings;
    settings.frequent_register_check = RateCheck {
        enabled: true,
        time_interval: 300,
        limit: 10,
    };
    let pool = a
        .core
        .update_pool_settings(&pool_id, settings)
        .await
        .unwrap();
    let sql = a.store.pool();
    let refuse_actions = match a.store.backend() {
        tessera_store::Backend::Sqlite => vec![
            "CREATE TRIGGER refuse_actions BEFORE INSERT ON user_actions \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        ],
        tessera_store::Backend::Postgres => vec![
            "CREATE FUNCTION refuse_action() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
            "CREATE TRIGGER refuse_actions BEFORE INSERT ON user_actions \
             FOR EACH ROW EXECUTE FUNCTION refuse_action()",
        ],
    };
    for stmt in refuse_actions {
        sqlx::query(stmt).execute(sql).await.unwrap();
    }
    let register = || {
        a.core.register(
            &pool,
            None,
            Registration::Email {
                email: "unit@example.com".into(),
                password: "pw123456".into(),
            },
            RegisterOptions {
                force_login: true,
                client: LoginContext {
                    ip: Some("10.2.2.2".into()),
                    ..LoginContext::default()
                },
                custom_data: vec![("age".into(), json!(30))],
                ..RegisterOptions::default()
            },
        )
    };
    assert!(register().await.is_err());
    let count = |table: &'static str| async move {
        sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(sql)
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    };
    for table in [
        "users",
        "udf_values",
        "rate_events",
        "login_history",
        "user_actions",
    ] {
        assert_eq!(count(table).await, 0, "{table} after a failed registration");
    }
    let drop = match a.store.backend() {
        tessera_store::Backend::Sqlite => "DROP TRIGGER refuse_actions",
        tessera_store::Backend::Postgres => "DROP TRIGGER refuse_actions ON user_actions",
    };
    sqlx::query(drop).execute(sql).await.unwrap();
    let ok = register()
        .await
        .expect("the same registration, once nothing refuses it");
    assert!(ok.login_recorded);
    assert_eq!(ok.user.login.logins_count, 1);
    for table in [
        "users",
        "udf_values",
        "rate_events",
        "login_history",
        "user_actions",
    ] {
        assert_eq!(count(table).await, 1, "{table} after the registration");
    }
    let stored = a
        .store
        .find_user(&pool_id, UserLookup::Id(&ok.user.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.login.logins_count, 1);
    assert_eq!(stored.login.last_ip.as_deref(), Some("10.2.2.2"));
}

/// A pool with `edit` applied and one user, g@example.com (password `right-pass`); the
/// pool and the user's id.
async fn guarded_pool(core: &Core, edit: impl FnOnce(&mut PoolSettings)) -> (UserPool, String) {
    let pool_id = core.create_pool("g").await.unwrap().user_pool_id;
    let mut settings = core.pool(&pool_id).await.unwrap().settings;
    edit(&mut settings);
    let pool = core.update_pool_settings(&pool_id, settings).await.unwrap();
    let user = core
        .register(
            &pool,
            None,
            Registration::Email {
                email: "g@example.com".into(),
                password: "right-pass".into(),
            },
            RegisterOptions::default(),
        )
        .await
        .unwrap();
    (pool, user.user.id)
}

async fn login_as(
    core: &Core,
    pool: &UserPool,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<(), Error> {
    core.authenticate(
        pool,
        None,
        Credential::Password {
            id: LoginId::Email(email.into()),
            password: password.into(),
        },
        LoginOptions {
            client: LoginContext {
                ip: Some(ip.into()),
                ..LoginContext::default()
            },
            ..LoginOptions::default()
        },
    )
    .await
    .map(|_| ())
}

/// Concurrent wrong passwords on one account: at most `limit` of them reach the password
/// check, however they interleave (each takes its place in the count before checking).
async fn concurrent_attempts_stay_within_the_limit(db: &TestDb) {
    let a = Arc::new(env(db).await.core);
    let (pool, _) = guarded_pool(&a, |s| {
        s.login_fail_check = RateCheck {
            enabled: true,
            time_interval: 300,
            limit: 3,
        }
    })
    .await;
    let attempts = (0..16).map(|i| {
        let (core, pool) = (a.clone(), pool.clone());
        tokio::spawn(async move {
            login_as(
                &core,
                &pool,
                "g@example.com",
                "wrong",
                &format!("10.2.0.{i}"),
            )
            .await
        })
    });
    let mut checked = 0;
    for r in futures_util::future::join_all(attempts).await {
        match r.unwrap() {
            Err(Error::WrongPassword) => checked += 1,
            Err(Error::CaptchaRequired) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    // A burst may be refused whole (every place was taken before any was counted): the
    // guarantee is the bound, not who gets through.
    assert!(
        checked <= 3,
        "{checked} of 16 concurrent attempts were checked"
    );
}

/// `block-account`: at the limit the account is locked for every process on the database,
/// even for the right password and with a captcha, and unlocks when its failures leave the
/// window. The pool-wide spray count sees accounts, not attempts.
async fn block_account_locks_and_unlocks(db: &TestDb) {
    let a = env(db).await;
    let b = env(db).await;
    let (pool, user) = guarded_pool(&a.core, |s| {
        s.login_fail_strategy = LoginFailStrategy::BlockAccount;
        s.login_fail_check = RateCheck {
            enabled: true,
            time_interval: 2,
            limit: 2,
        };
    })
    .await;
    for ip in ["10.3.0.1", "10.3.0.2"] {
        let r = login_as(&a.core, &pool, "g@example.com", "wrong", ip).await;
        assert!(matches!(r, Err(Error::WrongPassword)), "{r:?}");
    }
    // Locked, on the other process too, whatever the password.
    let r = login_as(&b.core, &pool, "g@example.com", "right-pass", "10.3.0.3").await;
    assert!(matches!(r, Err(Error::AccountLocked)), "{r:?}");
    let r = login_as(&a.core, &pool, "g@example.com", "wrong", "10.3.0.4").await;
    assert!(matches!(r, Err(Error::AccountLocked)), "{r:?}");
    // Another account is not locked by it.
    let r = login_as(&b.core, &pool, "other@example.com", "x", "10.3.0.5").await;
    assert!(matches!(r, Err(Error::UserNotFound)), "{r:?}");
    // An administrator's unblock ends the lock.
    let admin = a
        .core
        .pool_admin_by_secret(&pool.id, &pool.secret)
        .await
        .unwrap();
    let unblock = json!({"blocked": false});
    b.core
        .admin_update_user(&admin, &user, unblock.as_object().unwrap(), None)
        .await
        .unwrap();
    login_as(&a.core, &pool, "g@example.com", "right-pass", "10.3.0.3")
        .await
        .expect("unlocked by the administrator");
    // Locked again; this time it ends with the window.
    for ip in ["10.3.1.1", "10.3.1.2"] {
        let r = login_as(&a.core, &pool, "g@example.com", "wrong", ip).await;
        assert!(matches!(r, Err(Error::WrongPassword)), "{r:?}");
    }
    let r = login_as(&b.core, &pool, "g@example.com", "right-pass", "10.3.1.3").await;
    assert!(matches!(r, Err(Error::AccountLocked)), "{r:?}");
    tokio::time::sleep(std::time::Duration::from_millis(2300)).await;
    login_as(&b.core, &pool, "g@example.com", "right-pass", "10.3.0.6")
        .await
        .expect("unlocked after the window");
}

/// One account spelled differently (a phone with or without its country code, an email
/// in another case) is one count.
async fn one_account_is_one_count_however_spelled(db: &TestDb) {
    let a = env(db).await;
    let (pool, _) = guarded_pool(&a.core, |s| {
        s.login_fail_check = RateCheck {
            enabled: true,
            time_interval: 300,
            limit: 2,
        }
    })
    .await;
    a.core
        .create_user(
            &pool,
            NewUser {
                phone: Some("13800138000".into()),
                phone_country_code: Some("+86".into()),
                password: Some("right-pass".into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    let by_phone = |cc: Option<&str>, pw: &str, ip: &str| {
        a.core.authenticate(
            &pool,
            None,
            Credential::Password {
                id: LoginId::Phone {
                    number: "13800138000".into(),
                    country_code: cc.map(str::to_owned),
                },
                password: pw.into(),
            },
            LoginOptions {
                client: LoginContext {
                    ip: Some(ip.into()),
                    ..LoginContext::default()
                },
                ..LoginOptions::default()
            },
        )
    };
    assert!(matches!(
        by_phone(Some("+86"), "wrong", "10.6.0.1").await,
        Err(Error::WrongPassword)
    ));
    assert!(matches!(
        by_phone(None, "wrong", "10.6.0.2").await,
        Err(Error::WrongPassword)
    ));
    let r = by_phone(None, "right-pass", "10.6.0.3").await;
    assert!(
        matches!(r, Err(Error::CaptchaRequired)),
        "{:?}",
        r.map(|_| ())
    );
    for (i, email) in ["g@example.com", "G@Example.COM"].iter().enumerate() {
        let r = login_as(&a.core, &pool, email, "wrong", &format!("10.6.1.{i}")).await;
        assert!(matches!(r, Err(Error::WrongPassword)), "{r:?}");
    }
    let r = login_as(&a.core, &pool, "g@EXAMPLE.com", "right-pass", "10.6.1.9").await;
    assert!(matches!(r, Err(Error::CaptchaRequired)), "{r:?}");
}

/// Spraying: one guess on each of many accounts, each from its own address. At
/// `SPRAY_FACTOR × limit` accounts with failures every password login of the pool needs a
/// captcha; many failures of one account count once.
async fn spraying_is_seen_pool_wide(db: &TestDb) {
    let a = env(db).await;
    let limit = 2;
    let (pool, _) = guarded_pool(&a.core, |s| {
        s.login_fail_check = RateCheck {
            enabled: true,
            time_interval: 300,
            limit,
        }
    })
    .await;
    // One account failing many times is one account.
    for i in 0..4 {
        let _ = login_as(
            &a.core,
            &pool,
            "g@example.com",
            "wrong",
            &format!("10.4.1.{i}"),
        )
        .await;
    }
    let accounts = (SPRAY_FACTOR * limit) as usize;
    for i in 1..accounts {
        let r = login_as(
            &a.core,
            &pool,
            &format!("s{i}@example.com"),
            "Summer2024!",
            &format!("10.4.2.{i}"),
        )
        .await;
        assert!(matches!(r, Err(Error::UserNotFound)), "account {i}: {r:?}");
    }
    let r = login_as(&a.core, &pool, "late@example.com", "x", "10.4.3.1").await;
    assert!(matches!(r, Err(Error::CaptchaRequired)), "{r:?}");
}

/// Passwords to set that do not decrypt: 2016 (never a made-up password), within a budget
/// per client address shared by every process; once spent, even a good ciphertext from that
/// address is refused the same way. Checking a password keeps implicit rejection.
async fn decryption_failures_are_budgeted(db: &TestDb) {
    let a = env(db).await;
    let b = env(db).await;
    let public = b.core.password_public_key_pem().await.unwrap().to_owned();
    let good = TransportKey::encrypt_like_sdk(&public, "n3w-pass").unwrap();
    assert_eq!(
        a.core
            .decrypt_new_password(&good, Some("10.5.0.1"))
            .await
            .unwrap(),
        "n3w-pass"
    );
    for _ in 0..DECRYPT_FAILURE_BUDGET {
        let r = a
            .core
            .decrypt_new_password("cGFzc3cwcmQ=", Some("10.5.0.1"))
            .await;
        assert!(matches!(r, Err(Error::PasswordDecrypt)), "{r:?}");
    }
    let r = b.core.decrypt_new_password(&good, Some("10.5.0.1")).await;
    assert!(
        matches!(r, Err(Error::PasswordDecrypt)),
        "budget spent: {r:?}"
    );
    assert_eq!(
        b.core
            .decrypt_new_password(&good, Some("10.5.0.2"))
            .await
            .unwrap(),
        "n3w-pass"
    );
    // Logins are not affected: a password to check still decrypts.
    assert_eq!(b.core.decrypt_password(&good).await.unwrap(), "n3w-pass");
    // A plain password decrypts nothing: the spent budget does not refuse it.
    assert_eq!(
        b.core
            .decrypt_new_password_as(PasswordEncryption::None, "n3w-pass", Some("10.5.0.1"))
            .await
            .unwrap(),
        "n3w-pass"
    );
}

/// SM2 failures count in the same budget as RSA ones: a client cannot double its tries by
/// switching transports. A tampered SM2 ciphertext to check is a password that cannot match.
async fn sm2_decryption_failures_share_the_budget(db: &TestDb) {
    let a = env(db).await;
    let b = env(db).await;
    let sm2 = a.core.password_sm2_public_key().await.unwrap();
    let good = Sm2Key::encrypt(&sm2, "n3w-pass".as_bytes()).unwrap();
    // C3 changed in one digit.
    let mut tampered = good.clone().into_bytes();
    tampered[130] = if tampered[130] == b'0' { b'1' } else { b'0' };
    let tampered = String::from_utf8(tampered).unwrap();
    let ip = Some("10.6.0.1");
    assert_eq!(
        b.core
            .decrypt_new_password_as(PasswordEncryption::Sm2, &good, ip)
            .await
            .unwrap(),
        "n3w-pass"
    );
    let made_up = a
        .core
        .decrypt_password_as(PasswordEncryption::Sm2, &tampered)
        .await
        .unwrap();
    assert_ne!(made_up, "n3w-pass");
    assert_eq!(
        made_up,
        b.core
            .decrypt_password_as(PasswordEncryption::Sm2, &tampered)
            .await
            .unwrap(),
        "every process rejects alike"
    );
    for i in 0..DECRYPT_FAILURE_BUDGET {
        let (enc, text) = if i % 2 == 0 {
            (PasswordEncryption::Sm2, tampered.as_str())
        } else {
            (PasswordEncryption::Rsa, "cGFzc3cwcmQ=")
        };
        let r = a.core.decrypt_new_password_as(enc, text, ip).await;
        assert!(matches!(r, Err(Error::PasswordDecrypt)), "{i}: {r:?}");
    }
    let r = b
        .core
        .decrypt_new_password_as(PasswordEncryption::Sm2, &good, ip)
        .await;
    assert!(
        matches!(r, Err(Error::PasswordDecrypt)),
        "budget spent: {r:?}"
    );
    assert_eq!(
        b.core
            .decrypt_new_password_as(PasswordEncryption::Sm2, &good, Some("10.6.0.2"))
            .await
            .unwrap(),
        "n3w-pass"
    );
    assert_eq!(
        b.core
            .decrypt_password_as(PasswordEncryption::Sm2, &good)
            .await
            .unwrap(),
        "n3w-pass"
    );
}

backend_tests! {
    concurrent_attempts => concurrent_attempts_stay_within_the_limit;
    block_account => block_account_locks_and_unlocks;
    spraying => spraying_is_seen_pool_wide;
    account_spellings => one_account_is_one_count_however_spelled;
    decrypt_budget => decryption_failures_are_budgeted;
    sm2_decrypt_budget => sm2_decryption_failures_share_the_budget;
    sms_codes => sms_codes_are_hashed_single_use_and_shared;
    code_attempts => codes_have_an_attempt_budget;
    login_captcha => login_failures_require_a_captcha;
    registration_rules => registration_rules_and_custom_data;
    registration_unit => a_failed_registration_leaves_nothing;
}
