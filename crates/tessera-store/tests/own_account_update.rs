//! A user's change of profile, password and sessions in one write
//! (`Core::update_own_account`, the legacy SDK's `update`), on both backends: a refused part
//! leaves nothing written, the old password is required and checked, and ending the
//! sessions makes every earlier token of the user expire.

mod common;

use std::sync::Arc;

use common::TestDb;
use serde_json::{json, Map, Value};
use tessera_core::crypto::password::HashParams;
use tessera_core::notify::Outbox;
use tessera_core::service::account_update::{OwnAccountChange, OwnPassword};
use tessera_core::service::register::{RegisterOptions, Registration};
use tessera_core::service::users::LoginId;
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Error};

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

fn profile(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

fn password(new: &str, old: Option<&str>) -> Option<OwnPassword> {
    Some(OwnPassword {
        new: new.into(),
        old: old.map(str::to_owned),
    })
}

async fn own_account_changes_are_one_write(db: &TestDb) {
    let core = core(db).await;
    let pool_id = core.create_pool("own").await.unwrap().user_pool_id;
    let pool = core.pool(&pool_id).await.unwrap();
    let user = core
        .register(
            &pool,
            None,
            Registration::Email {
                email: "own@example.com".into(),
                password: "right-pass1".into(),
            },
            RegisterOptions::default(),
        )
        .await
        .unwrap()
        .user;
    let id = LoginId::Email("own@example.com".into());
    let change = |p: Value, pw: Option<OwnPassword>, end: bool| OwnAccountChange {
        profile: profile(p),
        password: pw,
        end_sessions: end,
    };

    // A refused password writes no profile either.
    for (pw, expected) in [
        (password("n3w-pass1", None), "required"),
        (password("n3w-pass1", Some("wrong-pass1")), "wrong"),
    ] {
        let r = core
            .update_own_account(&pool, &user.id, change(json!({"nickname": "N"}), pw, false))
            .await;
        match expected {
            "required" => assert!(matches!(r, Err(Error::OldPasswordRequired)), "{r:?}"),
            _ => assert!(matches!(r, Err(Error::OldPasswordWrong)), "{r:?}"),
        }
    }
    // A field only an administrator sets refuses the password with it.
    let r = core
        .update_own_account(
            &pool,
            &user.id,
            change(
                json!({"nickname": "N", "blocked": true}),
                password("n3w-pass1", Some("right-pass1")),
                false,
            ),
        )
        .await;
    assert!(matches!(r, Err(Error::Forbidden)), "{r:?}");
    let stored = core.user_by_id(&pool_id, &user.id).await.unwrap();
    assert_eq!(stored.profile.nickname, None);
    assert!(core
        .verify_password(&pool, &id, "right-pass1".into())
        .await
        .is_ok());

    // Profile and password together, with the right old password.
    let token = core.issue_user_token(&pool, None, &stored).await.unwrap();
    let changed = core
        .update_own_account(
            &pool,
            &user.id,
            change(
                json!({"nickname": "N", "company": "C"}),
                password("n3w-pass1", Some("right-pass1")),
                false,
            ),
        )
        .await
        .unwrap();
    assert_eq!(changed.profile.nickname.as_deref(), Some("N"));
    assert_eq!(changed.profile.company.as_deref(), Some("C"));
    assert!(core
        .verify_password(&pool, &id, "n3w-pass1".into())
        .await
        .is_ok());
    assert!(core
        .verify_password(&pool, &id, "right-pass1".into())
        .await
        .is_err());
    // A password change alone leaves the sessions alone; ending them expires the token.
    core.session(&token.token, None).await.unwrap();
    core.update_own_account(&pool, &user.id, change(json!({}), None, true))
        .await
        .unwrap();
    assert!(matches!(
        core.session(&token.token, None).await,
        Err(Error::TokenExpired)
    ));
    // Nothing to change is no write and no error.
    let same = core
        .update_own_account(
            &pool,
            &user.id,
            change(json!({"nickname": "N"}), None, false),
        )
        .await
        .unwrap();
    assert_eq!(same.profile.nickname.as_deref(), Some("N"));
    // Another pool's id names nobody.
    let other = core.create_pool("other").await.unwrap().user_pool_id;
    let other = core.pool(&other).await.unwrap();
    assert!(matches!(
        core.update_own_account(&other, &user.id, change(json!({}), None, true))
            .await,
        Err(Error::UserNotFound)
    ));
}

backend_tests! {
    own_account_update => own_account_changes_are_one_write;
}
