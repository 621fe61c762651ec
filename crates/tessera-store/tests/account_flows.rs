//! The v3 two-step account flows on a real store, on both backends: a flow token is spent
//! once, by one of two processes racing with it, only by its own user and only by the flow
//! of its kind; it sets exactly the address it proved; account deletion takes the user with
//! it.

mod common;

use std::sync::Arc;

use common::TestDb;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::UserPool;
use tessera_core::notify::Outbox;
use tessera_core::service::account::{EmailChange, Session};
use tessera_core::service::account_flows::DeleteProof;
use tessera_core::service::codes::CodeTarget;
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Error};

struct Env {
    core: Core,
    outbox: Arc<Outbox>,
}

async fn env(db: &TestDb) -> Env {
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
    Env { core, outbox }
}

fn last_mail(o: &Outbox, to: &str) -> String {
    let mails = o.emails.lock().unwrap();
    mails
        .iter()
        .rev()
        .find(|m| m.to == to)
        .expect("an email")
        .code
        .clone()
}

async fn user_session(core: &Core, pool: &UserPool, email: &str) -> Session {
    let user = core
        .create_user(
            pool,
            NewUser {
                email: Some(email.to_owned()),
                password: Some("passw0rd".into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    let t = core.issue_user_token(pool, None, &user).await.unwrap();
    core.session_in_pool(&t.token, pool).await.unwrap()
}

async fn mail_code(e: &Env, pool: &UserPool, to: &str, scene: &str) -> String {
    e.core.send_email_code(pool, to, scene).await.unwrap();
    last_mail(&e.outbox, to)
}

async fn email_change_is_single_use_and_bound(db: &TestDb) {
    let a = env(db).await;
    let b = env(db).await;
    let pool_id = a.core.create_pool("p").await.unwrap().user_pool_id;
    let pool = a.core.pool(&pool_id).await.unwrap();
    let alice = user_session(&a.core, &pool, "alice@example.com").await;
    let bob = user_session(&a.core, &pool, "bob@example.com").await;

    let old = mail_code(&a, &pool, "alice@example.com", "CHANGE_EMAIL").await;
    let new = mail_code(&a, &pool, "alice2@example.com", "CHANGE_EMAIL").await;
    let change = EmailChange {
        email: "Alice2@example.com".into(),
        code: new,
        old_email: Some("alice@example.com".into()),
        old_code: Some(old),
    };
    let t = a
        .core
        .verify_update_email_request(&alice, &change)
        .await
        .unwrap();
    assert!(t.expires_in > 0);
    // The codes were used by the proof.
    let again = a.core.verify_update_email_request(&alice, &change).await;
    assert!(again.is_err(), "{again:?}");

    // Not another user's, not another flow's; neither attempt uses it up.
    let r = a.core.update_email_by_token(&bob, &t.token).await;
    assert!(matches!(r, Err(Error::TokenInvalid)), "{r:?}");
    let r = a.core.update_phone_by_token(&alice, &t.token).await;
    assert!(matches!(r, Err(Error::TokenInvalid)), "{r:?}");
    let r = a.core.delete_account(&alice, &t.token).await;
    assert!(matches!(r, Err(Error::TokenInvalid)), "{r:?}");

    // Two processes race with the token: exactly one wins.
    let (x, y) = tokio::join!(
        a.core.update_email_by_token(&alice, &t.token),
        b.core.update_email_by_token(&alice, &t.token)
    );
    assert_eq!(
        [x.is_ok(), y.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{x:?} {y:?}"
    );
    let loser = if x.is_ok() { y } else { x };
    assert!(matches!(loser, Err(Error::TokenExpired)), "{loser:?}");
    let now = a.core.user_by_id(&pool.id, &alice.user().id).await.unwrap();
    // The address as proven (its case kept; uniqueness is by the lower-cased key).
    assert_eq!(now.email.as_deref(), Some("Alice2@example.com"));
    assert!(now.email_verified);

    // A forged token (signature of another key, same claims) is invalid.
    let mut parts: Vec<String> = t.token.split('.').map(str::to_owned).collect();
    parts[2] = "AAAA".into();
    let r = a.core.update_email_by_token(&alice, &parts.join(".")).await;
    assert!(matches!(r, Err(Error::TokenInvalid)), "{r:?}");
}

async fn reset_and_delete(db: &TestDb) {
    let a = env(db).await;
    let pool_id = a.core.create_pool("p").await.unwrap().user_pool_id;
    let pool = a.core.pool(&pool_id).await.unwrap();
    let carol = user_session(&a.core, &pool, "carol@example.com").await;
    let dave = user_session(&a.core, &pool, "dave@example.com").await;

    let code = mail_code(&a, &pool, "carol@example.com", "RESET_PASSWORD_VERIFY_CODE").await;
    let target = CodeTarget::email("carol@example.com").unwrap();
    let t = a
        .core
        .verify_reset_password_request(&pool, &target, &code)
        .await
        .unwrap();
    let r = a
        .core
        .update_password_with_reset_token(&dave, &t.token, "n3w-pass")
        .await;
    assert!(matches!(r, Err(Error::TokenInvalid)), "{r:?}");
    a.core
        .reset_password_with_token(&pool, &t.token, "n3w-pass")
        .await
        .unwrap();
    let r = a
        .core
        .reset_password_with_token(&pool, &t.token, "n3w-pass2")
        .await;
    assert!(matches!(r, Err(Error::TokenExpired)), "{r:?}");

    // Deleting: a wrong password buys nothing; another user cannot spend the token.
    let r = a
        .core
        .verify_delete_account_request(&dave, DeleteProof::Password("nope".into()))
        .await;
    assert!(matches!(r, Err(Error::WrongPassword)), "{r:?}");
    let t = a
        .core
        .verify_delete_account_request(&dave, DeleteProof::Password("passw0rd".into()))
        .await
        .unwrap();
    let r = a.core.delete_account(&carol, &t.token).await;
    assert!(matches!(r, Err(Error::TokenInvalid)), "{r:?}");
    a.core.delete_account(&dave, &t.token).await.unwrap();
    let gone = a.core.user_by_id(&pool.id, &dave.user().id).await;
    assert!(matches!(gone, Err(Error::UserNotFound)), "{gone:?}");
    let r = a.core.session_in_pool(dave.token(), &pool).await;
    assert!(r.is_err(), "the session died with the user: {r:?}");
    assert!(a.core.user_by_id(&pool.id, &carol.user().id).await.is_ok());
}

backend_tests! {
    email_change => email_change_is_single_use_and_bound;
    reset_delete => reset_and_delete;
}
