//! Lost updates: an administrator's change racing a user's own slow write, on both backends.
//!
//! A user's `updatePassword` spends two argon2 hashes between reading the row and writing it;
//! `updateProfile` and a login read, check and write too. Before targeted writes, the user's
//! write rewrote the whole row and undid a block, a kick or a password reset that landed in
//! that window (14–31 of 50 rounds through the SDK). Each round here starts the user's write,
//! lands the administrator's change at a random moment inside it, and then checks that the
//! administrator's change is what the database holds. Two `Core`s share the database, as two
//! server processes would.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::TestDb;
use rand::Rng;
use serde_json::{json, Map, Value};
use tessera_core::crypto::password::HashParams;
use tessera_core::model::directory::ResourceAction;
use tessera_core::model::UserPool;
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::acl_admin::ResourceInput;
use tessera_core::service::directory::NewGroup;
use tessera_core::service::directory_admin::GroupUpdate;
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::tenants::{NewTenant, TenantPatch};
use tessera_core::service::users::{CreatedBy, LoginContext, LoginId, NewUser};
use tessera_core::store::{Store, UserChange, UserField, UserLookup};
use tessera_core::{Core, CoreConfig, Error, UniqueField};

const ROUNDS: usize = 12;

async fn core(db: &TestDb) -> Arc<Core> {
    let store: Arc<dyn Store> = db.open().await;
    let config = CoreConfig {
        public_url: "http://127.0.0.1:3000".into(),
        hash_params: HashParams::default(),
    };
    Arc::new(
        Core::open(store, config, Arc::new(Outbox::default()))
            .await
            .expect("core"),
    )
}

/// Two cores on one database (a user's process and an administrator's), a pool, and its
/// administrator (proven by the pool secret).
async fn setup(db: &TestDb) -> (Arc<Core>, Arc<Core>, UserPool, PoolAdmin) {
    let user_side = core(db).await;
    let admin_side = core(db).await;
    let creds = user_side.create_pool("races").await.unwrap();
    let pool = user_side.pool(&creds.user_pool_id).await.unwrap();
    let admin = admin_side
        .pool_admin_by_secret(&creds.user_pool_id, &creds.secret)
        .await
        .unwrap();
    (user_side, admin_side, pool, admin)
}

async fn new_user(core: &Core, pool: &UserPool, round: usize, password: &str) -> String {
    core.create_user(
        pool,
        NewUser {
            email: Some(format!("r{round}-{}@x.io", rand::random::<u32>())),
            password: Some(password.into()),
            register_source: vec!["basic:email".into()],
            ..NewUser::default()
        },
        CreatedBy::SelfService,
    )
    .await
    .unwrap()
    .id
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("literal object"),
    }
}

/// A random moment inside the user's write (one argon2 hash at the default parameters takes
/// tens of milliseconds here; `updatePassword` takes two).
async fn somewhere_inside() {
    let ms = rand::thread_rng().gen_range(0..60);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

async fn block_survives_update_password(db: &TestDb) {
    let (u, a, pool, admin) = setup(db).await;
    for round in 0..ROUNDS {
        let id = new_user(&u, &pool, round, "old-pass1").await;
        let (mine, theirs) = tokio::join!(
            u.update_password(&pool, &id, "new-pass1", Some("old-pass1")),
            async {
                somewhere_inside().await;
                a.admin_update_user(&admin, &id, &obj(json!({"blocked": true})), None)
                    .await
            }
        );
        mine.unwrap();
        theirs.unwrap();
        let stored = a.user_by_id(&pool.id, &id).await.unwrap();
        assert!(stored.blocked, "round {round}: the block was undone");
    }
}

async fn block_survives_update_profile(db: &TestDb) {
    let (u, a, pool, admin) = setup(db).await;
    for round in 0..ROUNDS {
        let id = new_user(&u, &pool, round, "old-pass1").await;
        // The user's profile update and the administrator's edit of other fields both land.
        let mine_change = obj(json!({"nickname": "me"}));
        let admin_change = obj(json!({"blocked": true, "company": "Acme"}));
        let (mine, theirs) = tokio::join!(
            u.update_profile(&pool, &id, &mine_change, CreatedBy::SelfService),
            a.admin_update_user(&admin, &id, &admin_change, None)
        );
        mine.unwrap();
        theirs.unwrap();
        let stored = a.user_by_id(&pool.id, &id).await.unwrap();
        assert!(stored.blocked, "round {round}: the block was undone");
        assert_eq!(stored.profile.company.as_deref(), Some("Acme"));
        assert_eq!(stored.profile.nickname.as_deref(), Some("me"));
    }
}

async fn kick_survives_update_password_and_profile(db: &TestDb) {
    let (u, a, pool, admin) = setup(db).await;
    for round in 0..ROUNDS {
        let id = new_user(&u, &pool, round, "old-pass1").await;
        let ids = [id.clone()];
        let mine_change = obj(json!({"nickname": "me"}));
        let (pw, profile, kick) = tokio::join!(
            u.update_password(&pool, &id, "new-pass1", Some("old-pass1")),
            u.update_profile(&pool, &id, &mine_change, CreatedBy::SelfService),
            async {
                somewhere_inside().await;
                a.end_user_sessions(&admin, &ids).await
            }
        );
        pw.unwrap();
        profile.unwrap();
        kick.unwrap();
        let stored = a.user_by_id(&pool.id, &id).await.unwrap();
        assert!(
            stored.tokens_valid_after > 0,
            "round {round}: the kick was undone"
        );
    }
}

async fn admin_password_reset_survives_update_password(db: &TestDb) {
    let (u, a, pool, admin) = setup(db).await;
    for round in 0..ROUNDS {
        let id = new_user(&u, &pool, round, "old-pass1").await;
        let (mine, theirs) = tokio::join!(
            u.update_password(&pool, &id, "users-new1", Some("old-pass1")),
            async {
                somewhere_inside().await;
                a.admin_update_user(&admin, &id, &Map::new(), Some("admins-new1".into()))
                    .await
            }
        );
        theirs.unwrap();
        // The user's change either landed before the reset (and was then replaced by it) or
        // was refused because the password it checked is no longer the current one.
        match mine {
            Ok(_) | Err(Error::OldPasswordWrong) => {}
            Err(e) => panic!("round {round}: unexpected {e:?}"),
        }
        let email = a.user_by_id(&pool.id, &id).await.unwrap().email.unwrap();
        let login = |pw: &str| {
            a.authenticate(
                &pool,
                None,
                Credential::Password {
                    id: LoginId::Email(email.clone()),
                    password: pw.to_owned(),
                },
                // An address per round: the pool's login guard (on by default) counts each
                // round's wrong password against it.
                LoginOptions {
                    client: LoginContext {
                        ip: Some(format!("10.8.{round}.1")),
                        ..LoginContext::default()
                    },
                    ..LoginOptions::default()
                },
            )
        };
        assert!(
            login("admins-new1").await.is_ok(),
            "round {round}: the administrator's password was undone"
        );
        assert!(matches!(
            login("users-new1").await,
            Err(Error::WrongPassword)
        ));
    }
}

async fn block_survives_login_recording(db: &TestDb) {
    let (u, a, pool, admin) = setup(db).await;
    for round in 0..ROUNDS {
        let id = new_user(&u, &pool, round, "old-pass1").await;
        let email = a.user_by_id(&pool.id, &id).await.unwrap().email.unwrap();
        let (login, block) = tokio::join!(
            u.authenticate(
                &pool,
                None,
                Credential::Password {
                    id: LoginId::Email(email),
                    password: "old-pass1".into(),
                },
                LoginOptions::default(),
            ),
            async {
                somewhere_inside().await;
                a.admin_update_user(&admin, &id, &obj(json!({"blocked": true})), None)
                    .await
            }
        );
        block.unwrap();
        // Blocked before the password check finished, the login is refused; after, it
        // succeeds — either way the block stays.
        match login {
            Ok(_) | Err(Error::UserBlocked) => {}
            Err(e) => panic!("round {round}: unexpected {e:?}"),
        }
        let stored = a.user_by_id(&pool.id, &id).await.unwrap();
        assert!(stored.blocked, "round {round}: the block was undone");
    }
}

/// The store's targeted write: only the named columns, the password precondition, the
/// email's uniqueness key, and the errors.
async fn change_user_writes_only_what_it_names(db: &TestDb) {
    let (u, _a, pool, _admin) = setup(db).await;
    let store: Arc<dyn Store> = db.open().await;
    let id = new_user(&u, &pool, 0, "old-pass1").await;
    let before = store
        .find_user(&pool.id, UserLookup::Id(&id))
        .await
        .unwrap()
        .unwrap();
    let blocked = store
        .change_user(
            &pool.id,
            &id,
            &UserChange::new().set(UserField::Blocked(true)),
            1,
        )
        .await
        .unwrap()
        .unwrap();
    assert!(blocked.blocked);
    assert_eq!(blocked.updated_at, 1);
    // A change that expects a password that is no longer stored writes nothing.
    let stale = UserChange {
        fields: vec![
            UserField::PasswordHash(Some("x".into())),
            UserField::Blocked(false),
        ],
        expect_password: Some(Some("not-the-hash".into())),
    };
    assert!(store
        .change_user(&pool.id, &id, &stale, 2)
        .await
        .unwrap()
        .is_none());
    let now = store
        .find_user(&pool.id, UserLookup::Id(&id))
        .await
        .unwrap()
        .unwrap();
    assert!(now.blocked);
    assert_eq!(now.password_hash, before.password_hash);
    assert_eq!(now.updated_at, 1);
    // With the right expectation it applies.
    let fresh = UserChange {
        fields: vec![UserField::PasswordHash(Some("x".into()))],
        expect_password: Some(before.password_hash.clone()),
    };
    let after = store
        .change_user(&pool.id, &id, &fresh, 3)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.password_hash.as_deref(), Some("x"));
    // A new email is found by its case-insensitive key; a taken one is refused and changes
    // nothing.
    let email = UserChange::new().set(UserField::Email(Some("New.Mail@X.io".into())));
    store.change_user(&pool.id, &id, &email, 4).await.unwrap();
    let found = store
        .find_user(&pool.id, UserLookup::Email("new.mail@x.io"))
        .await
        .unwrap()
        .expect("found by the new key");
    assert_eq!(found.id, id);
    let other = new_user(&u, &pool, 1, "old-pass1").await;
    let taken = UserChange::new()
        .set(UserField::Email(Some("NEW.mail@x.io".into())))
        .set(UserField::Blocked(true));
    assert!(matches!(
        store.change_user(&pool.id, &other, &taken, 5).await,
        Err(Error::AlreadyExists(UniqueField::Email))
    ));
    let other_now = store
        .find_user(&pool.id, UserLookup::Id(&other))
        .await
        .unwrap()
        .unwrap();
    assert!(!other_now.blocked);
    assert!(matches!(
        store.change_user(&pool.id, "missing", &email, 6).await,
        Err(Error::UserNotFound)
    ));
}

/// Pool settings: two administrators' partial updates and a secret rotation at once all
/// land; none is undone by another's stale copy of the pool.
async fn pool_updates_and_secret_rotation_all_land(db: &TestDb) {
    let (u, a, pool, admin) = setup(db).await;
    // No hash inside: cheap rounds, so many of them.
    for round in 0..ROUNDS * 4 {
        let names = obj(json!({"name": format!("n{round}")}));
        let descs =
            obj(json!({"description": format!("d{round}"), "registerDisabled": round % 2 == 0}));
        let (named, described, secret) = tokio::join!(
            a.update_pool(&admin, &names),
            u.update_pool(&admin, &descs),
            a.refresh_pool_secret(&admin),
        );
        named.unwrap();
        described.unwrap();
        let secret = secret.unwrap();
        let stored = u.pool(&pool.id).await.unwrap();
        assert_eq!(stored.name, format!("n{round}"), "round {round}");
        assert_eq!(
            stored.description.as_deref(),
            Some(format!("d{round}").as_str())
        );
        assert_eq!(stored.settings.register_disabled, round % 2 == 0);
        assert_eq!(
            stored.secret, secret,
            "round {round}: the rotation was undone"
        );
    }
}

/// Status (an archive), email and phone set by an administrator while the user updates
/// their password and profile: every administrator's field survives.
async fn status_email_and_phone_survive_user_writes(db: &TestDb) {
    let (u, a, pool, admin) = setup(db).await;
    for round in 0..ROUNDS {
        let id = new_user(&u, &pool, round, "old-pass1").await;
        let ids = [id.clone()];
        let email = format!("admin-set-{round}-{}@x.io", rand::random::<u32>());
        let phone = format!("139{:08}", rand::random::<u32>() % 100_000_000);
        let admin_change = obj(json!({"email": email, "phone": phone}));
        let mine_change = obj(json!({"nickname": "me", "company": "Mine"}));
        let (pw, profile, edit) = tokio::join!(
            u.update_password(&pool, &id, "new-pass1", Some("old-pass1")),
            u.update_profile(&pool, &id, &mine_change, CreatedBy::SelfService),
            async {
                somewhere_inside().await;
                a.admin_update_user(&admin, &id, &admin_change, None).await
            }
        );
        pw.unwrap();
        profile.unwrap();
        edit.unwrap();
        // The archive lands last, inside the next user write.
        let (pw2, archived) = tokio::join!(
            u.update_password(&pool, &id, "new-pass2", Some("new-pass1")),
            async {
                somewhere_inside().await;
                a.archive_users(&admin, &ids).await
            }
        );
        match pw2 {
            Ok(_) => {}
            Err(e) => panic!("round {round}: unexpected {e:?}"),
        }
        archived.unwrap();
        let stored = a.user_by_id(&pool.id, &id).await.unwrap();
        assert_eq!(
            stored.email.as_deref(),
            Some(email.as_str()),
            "round {round}"
        );
        assert_eq!(
            stored.phone.as_deref(),
            Some(phone.as_str()),
            "round {round}"
        );
        assert_eq!(stored.profile.nickname.as_deref(), Some("me"));
        assert!(stored.is_deleted, "round {round}: the archive was undone");
        assert_eq!(
            stored.status,
            tessera_core::model::UserStatus::Resigned,
            "round {round}: the status was undone"
        );
    }
}

/// Two administrators, on two processes, edit different fields of one group at once; both
/// changes land. With whole-row writes each rewrote the group as it had read it, so the
/// later write undid the earlier one whenever both read first (nearly every round here).
async fn group_edits_of_different_fields_both_land(db: &TestDb) {
    let (a, b, pool, admin) = setup(db).await;
    for round in 0..ROUNDS {
        let code = format!("g{round}");
        a.create_group(
            &pool.id,
            NewGroup {
                code: code.clone(),
                name: "before".into(),
                description: None,
            },
        )
        .await
        .unwrap();
        let (name, desc) = (format!("name-{round}"), format!("desc-{round}"));
        let (x, y) = tokio::join!(
            a.update_group(
                &admin,
                &code,
                GroupUpdate {
                    name: Some(name.clone()),
                    ..GroupUpdate::default()
                }
            ),
            b.update_group(
                &admin,
                &code,
                GroupUpdate {
                    description: Some(desc.clone()),
                    ..GroupUpdate::default()
                }
            ),
        );
        x.unwrap();
        y.unwrap();
        let g = a.group_required(&admin, &code).await.unwrap();
        assert_eq!(g.name, name, "round {round}: the name was lost");
        assert_eq!(
            g.description,
            Some(desc),
            "round {round}: the description was lost"
        );
    }
}

/// The same for a resource: one administrator changes its description while another
/// changes its actions.
async fn resource_edits_of_different_fields_both_land(db: &TestDb) {
    let (a, b, _pool, admin) = setup(db).await;
    a.create_namespace_full(&admin, "ns", None, None)
        .await
        .unwrap();
    let action = |name: &str| ResourceAction {
        name: name.into(),
        description: None,
    };
    for round in 0..ROUNDS {
        let input =
            |description: Option<String>, actions: Option<Vec<ResourceAction>>| ResourceInput {
                namespace: "ns".into(),
                code: format!("books{round}"),
                resource_type: None,
                description,
                actions,
                api_identifier: None,
                name: None,
            };
        a.create_resource_full(&admin, input(None, Some(vec![action("read")])))
            .await
            .unwrap();
        let desc = format!("desc-{round}");
        let (x, y) = tokio::join!(
            a.update_resource(&admin, input(Some(desc.clone()), None)),
            b.update_resource(
                &admin,
                input(None, Some(vec![action("read"), action("write")]))
            ),
        );
        x.unwrap();
        y.unwrap();
        let r = a
            .resource_by_code(&admin, "ns", &format!("books{round}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            r.description,
            Some(desc),
            "round {round}: the description was lost"
        );
        assert_eq!(r.actions.len(), 2, "round {round}: the actions were lost");
    }
}

/// Two administrators set different keys of one tenant's login-page config at once; both
/// keys are kept (the patch is merged into the stored document inside the unit of work).
async fn tenant_config_keys_both_land(db: &TestDb) {
    let (a, b, _pool, admin) = setup(db).await;
    for round in 0..ROUNDS {
        let t = a
            .create_tenant(
                &admin,
                NewTenant {
                    name: format!("t{round}"),
                    ..NewTenant::default()
                },
            )
            .await
            .unwrap();
        let patch = |key: &str, value: &str| TenantPatch {
            config: obj(json!({ key: value })),
            ..TenantPatch::default()
        };
        let (x, y) = tokio::join!(
            a.update_tenant(&admin, &t.id, patch("css", "body{}")),
            b.update_tenant(&admin, &t.id, patch("defaultLoginTab", "password")),
        );
        x.unwrap();
        y.unwrap();
        let stored = a.tenant(&admin, &t.id).await.unwrap();
        assert_eq!(
            stored.config.get("css"),
            Some(&json!("body{}")),
            "round {round}"
        );
        assert_eq!(
            stored.config.get("defaultLoginTab"),
            Some(&json!("password")),
            "round {round}"
        );
    }
}

/// Two administrators each `allow` one more action on one resource to the same user at
/// once; the user ends up with both. The merge (keep the grant's actions, append the new
/// one) runs in the core inside a unit of work holding the pool's lock, so neither merge
/// starts from actions the other is about to replace.
async fn grant_additions_both_land(db: &TestDb) {
    let (a, b, pool, admin) = setup(db).await;
    let user = new_user(&a, &pool, 0, "pass-word1").await;
    for round in 0..ROUNDS {
        let resource = format!("books{round}");
        let users = [user.clone()];
        let (x, y) = tokio::join!(
            a.allow_action(&admin, None, &resource, "read", &users, &[]),
            b.allow_action(&admin, None, &resource, "write", &users, &[]),
        );
        x.unwrap();
        y.unwrap();
        for action in ["read", "write"] {
            assert!(
                a.is_allowed(&pool.id, &user, None, &resource, action)
                    .await
                    .unwrap(),
                "round {round}: {action} was lost"
            );
        }
    }
}

backend_tests! {
    block_vs_update_password => block_survives_update_password;
    block_vs_update_profile => block_survives_update_profile;
    kick_vs_password_and_profile => kick_survives_update_password_and_profile;
    admin_reset_vs_update_password => admin_password_reset_survives_update_password;
    block_vs_login => block_survives_login_recording;
    targeted_change => change_user_writes_only_what_it_names;
    pool_updates => pool_updates_and_secret_rotation_all_land;
    status_email_phone => status_email_and_phone_survive_user_writes;
    group_fields => group_edits_of_different_fields_both_land;
    resource_fields => resource_edits_of_different_fields_both_land;
    tenant_config => tenant_config_keys_both_land;
    grant_additions => grant_additions_both_land;
}
