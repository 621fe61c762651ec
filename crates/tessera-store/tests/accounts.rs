//! Account flows on a real store, on both backends: verification codes (hashed, single use,
//! bounded attempts, resend interval, shared by two processes), the login-failure captcha,
//! registration rules and custom data.

mod common;

use std::sync::{Arc, Mutex};

use common::TestDb;
use serde_json::json;
use sqlx::Row;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::pool::RateCheck;
use tessera_core::notify::Outbox;
use tessera_core::service::authn::AuthMethod;
use tessera_core::service::codes::{CodePurpose, CodeTarget};
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::register::{RegisterOptions, Registration};
use tessera_core::service::settings::WhitelistType;
use tessera_core::service::udf::{UdfDataType, UdfTarget};
use tessera_core::service::users::{LoginContext, LoginId};
use tessera_core::store::Store;
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
    a.core.issue_captcha(&pool, Some("10.0.0.9")).await.unwrap();
    let (key, answer) = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(key, format!("{pool_id}:10.0.0.9"));
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

backend_tests! {
    sms_codes => sms_codes_are_hashed_single_use_and_shared;
    code_attempts => codes_have_an_attempt_budget;
    login_captcha => login_failures_require_a_captcha;
    registration_rules => registration_rules_and_custom_data;
}
