//! The core functions the legacy façade's code flows need, on both backends: a code check
//! that does not use the code up but counts wrong guesses (`peek_code_for`), the change-email
//! code that refuses an address another account holds (`send_change_email_code`), and the
//! reset by code that returns the changed user.

mod common;

use std::sync::Arc;

use common::TestDb;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::UserPool;
use tessera_core::notify::Outbox;
use tessera_core::service::codes::{CodePurpose, CodeTarget};
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Error};

async fn env(db: &TestDb) -> (Core, Arc<Outbox>, UserPool) {
    let store: Arc<dyn Store> = db.open().await;
    let outbox = Arc::new(Outbox::default());
    let core = Core::open(
        store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: HashParams::default(),
        },
        outbox.clone(),
    )
    .await
    .expect("core");
    let pool_id = core.create_pool("p").await.unwrap().user_pool_id;
    let pool = core.pool(&pool_id).await.unwrap();
    (core, outbox, pool)
}

fn last_mail_code(o: &Outbox) -> String {
    o.emails
        .lock()
        .unwrap()
        .last()
        .expect("an email")
        .code
        .clone()
}

fn other_than(code: &str) -> &'static str {
    if code == "000000" {
        "111111"
    } else {
        "000000"
    }
}

async fn email_user(core: &Core, pool: &UserPool, email: &str) -> String {
    core.create_user(
        pool,
        NewUser {
            email: Some(email.into()),
            password: Some("Passw0rd!".into()),
            ..NewUser::default()
        },
        CreatedBy::Admin,
    )
    .await
    .unwrap()
    .id
}

async fn peeking_keeps_the_code_and_counts_guesses(db: &TestDb) {
    let (core, outbox, pool) = env(db).await;
    core.send_email_code(&pool, "ann@example.com", "RESET_PASSWORD")
        .await
        .unwrap();
    let code = last_mail_code(&outbox);
    let target = CodeTarget::email("ann@example.com").unwrap();
    let peek = |c: &str| {
        let (core, pool, target, c) = (&core, &pool, &target, c.to_owned());
        async move {
            core.peek_code_for(pool, target, CodePurpose::ResetPassword, &c)
                .await
        }
    };
    // Right twice: a check does not use the code up.
    peek(&code).await.unwrap();
    peek(&code).await.unwrap();
    // A code for another purpose's scene is not accepted.
    assert!(matches!(
        core.peek_code_for(&pool, &target, CodePurpose::Login, &code)
            .await,
        Err(Error::CodeWrong)
    ));
    // Wrong guesses spend the code's attempts, after which the right code is refused too.
    for _ in 0..pool.settings.verify_code_max_attempts {
        assert!(matches!(
            peek(other_than(&code)).await,
            Err(Error::CodeWrong)
        ));
    }
    assert!(matches!(peek(&code).await, Err(Error::CodeWrong)));
    assert!(core
        .verify_code(&pool, &target, CodePurpose::ResetPassword, &code)
        .await
        .is_err());
}

async fn reset_by_code_after_a_peek(db: &TestDb) {
    let (core, outbox, pool) = env(db).await;
    let id = email_user(&core, &pool, "bob@example.com").await;
    core.send_email_code(&pool, "bob@example.com", "RESET_PASSWORD")
        .await
        .unwrap();
    let code = last_mail_code(&outbox);
    let target = CodeTarget::email("bob@example.com").unwrap();
    core.peek_code_for(&pool, &target, CodePurpose::ResetPassword, &code)
        .await
        .unwrap();
    let user = core
        .reset_password_by_code(&pool, &target, &code, "N3w-Passw0rd!")
        .await
        .unwrap();
    assert_eq!(user.id, id);
    // Spent by the reset: neither a check nor a second reset takes it.
    assert!(core
        .peek_code_for(&pool, &target, CodePurpose::ResetPassword, &code)
        .await
        .is_err());
    assert!(core
        .reset_password_by_code(&pool, &target, &code, "Other-Passw0rd!")
        .await
        .is_err());
}

async fn change_email_codes(db: &TestDb) {
    let (core, outbox, pool) = env(db).await;
    let me = email_user(&core, &pool, "me@example.com").await;
    email_user(&core, &pool, "taken@example.com").await;
    // Another account's address: refused, and no email goes out.
    let before = outbox.emails.lock().unwrap().len();
    assert!(matches!(
        core.send_change_email_code(&pool, &me, "Taken@Example.com")
            .await,
        Err(Error::EmailAlreadyBound)
    ));
    assert_eq!(outbox.emails.lock().unwrap().len(), before);
    // A free address and the user's own (the old-email proof) get a CHANGE_EMAIL code.
    core.send_change_email_code(&pool, &me, "new@example.com")
        .await
        .unwrap();
    core.send_change_email_code(&pool, &me, "ME@example.com")
        .await
        .unwrap();
    let mails = outbox.emails.lock().unwrap();
    assert_eq!(mails.len(), before + 2);
    assert!(mails
        .iter()
        .rev()
        .take(2)
        .all(|m| m.scene == "CHANGE_EMAIL"));
}

backend_tests! {
    peeking => peeking_keeps_the_code_and_counts_guesses;
    reset_after_peek => reset_by_code_after_a_peek;
    change_email => change_email_codes;
}
