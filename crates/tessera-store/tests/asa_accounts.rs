//! ASA (form-filling SSO) accounts on both backends: create / read / update / delete with
//! all-or-nothing batches, the information sealed at rest (the raw row holds no field in
//! the clear, and a row's sealed text does not open on another row), assignments and the
//! resolution of a user's account through roles, groups and departments, the cascades of
//! an account, an application and every kind of target, and pool isolation.

mod common;

use std::sync::Arc;

use common::TestDb;
use serde_json::json;
use sqlx::Row;
use tessera_core::crypto::password::HashParams;
use tessera_core::error::AccountInfoProblem;
use tessera_core::model::directory::TargetType;
use tessera_core::model::keys::secret_names;
use tessera_core::model::User;
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::apps_admin::NewApp;
use tessera_core::service::asa_accounts::{AccountInfo, AsaAccount, MAX_BATCH};
use tessera_core::service::directory::{NewGroup, NewNode, NewRole};
use tessera_core::service::paging::Page;
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Entity, Error};
use tessera_store::SqlStore;

struct Fx {
    core: Core,
    store: Arc<SqlStore>,
    admin: PoolAdmin,
    other: PoolAdmin,
    /// The pool's first application.
    app: String,
    /// The other pool's first application.
    foreign_app: String,
}

async fn open_core(store: Arc<SqlStore>) -> Core {
    let dyn_store: Arc<dyn Store> = store;
    Core::open(
        dyn_store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .expect("core")
}

async fn setup(db: &TestDb) -> Fx {
    let store = db.open().await;
    let core = open_core(store.clone()).await;
    let a = core.create_pool("asa").await.unwrap();
    let b = core.create_pool("other").await.unwrap();
    Fx {
        admin: core
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

fn info(account: &str, password: &str) -> AccountInfo {
    AccountInfo::from_json(&json!({ "account": account, "password": password })).unwrap()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn field<'a>(a: &'a AsaAccount, k: &str) -> &'a str {
    a.info.0.get(k).map(String::as_str).unwrap_or("")
}

impl Fx {
    async fn count(&self, sql: &str, bind: &str) -> i64 {
        sqlx::query(sql)
            .bind(bind)
            .fetch_one(self.store.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    async fn accounts_of(&self, app: &str) -> i64 {
        self.count("SELECT COUNT(*) FROM asa_accounts WHERE app_id = $1", app)
            .await
    }

    async fn assignments_of(&self, app: &str) -> i64 {
        self.count(
            "SELECT COUNT(*) FROM asa_assignments WHERE app_id = $1",
            app,
        )
        .await
    }

    async fn user(&self, email: &str) -> User {
        self.core
            .create_user(
                self.admin.pool(),
                NewUser {
                    email: Some(email.into()),
                    ..NewUser::default()
                },
                CreatedBy::Admin,
            )
            .await
            .unwrap()
    }

    async fn role(&self, code: &str) -> String {
        self.core
            .create_role(
                self.admin.pool_id(),
                NewRole {
                    code: code.into(),
                    ..NewRole::default()
                },
            )
            .await
            .unwrap()
            .id
    }

    async fn group(&self, code: &str) -> String {
        self.core
            .create_group(
                self.admin.pool_id(),
                NewGroup {
                    code: code.into(),
                    name: code.into(),
                    ..NewGroup::default()
                },
            )
            .await
            .unwrap()
            .id
    }

    async fn assign(
        &self,
        app: &str,
        account: &str,
        t: TargetType,
        ids: &[&str],
    ) -> Result<(), Error> {
        self.core
            .assign_asa_account(&self.admin, app, account, &[(t, strings(ids))])
            .await
    }

    async fn assigned(&self, t: TargetType, id: &str) -> Option<String> {
        self.core
            .assigned_asa_account(&self.admin, &self.app, t, id)
            .await
            .unwrap()
            .map(|a| a.id)
    }
}

async fn crud_and_batches(db: &TestDb) {
    let fx = setup(db).await;
    let (core, admin, app) = (&fx.core, &fx.admin, fx.app.as_str());

    let a = core
        .create_asa_account(admin, app, info("alice@site.com", "s3cret-A"))
        .await
        .unwrap();
    assert_eq!(a.app_id, app);
    assert_eq!(field(&a, "password"), "s3cret-A");
    let read = core.asa_account(admin, app, &a.id).await.unwrap();
    assert_eq!(read.info, a.info);
    // Pages are oldest first, ties (one millisecond) broken by id, which is random: the
    // batch below is made a millisecond later so that `a` is the oldest.
    tokio::time::sleep(std::time::Duration::from_millis(2)).await;

    // A batch: all or none.
    let made = core
        .create_asa_accounts(admin, app, vec![info("b", "pb"), info("c", "pc")])
        .await
        .unwrap();
    assert_eq!(made.len(), 2);
    assert_eq!(fx.accounts_of(app).await, 3);
    let too_many = vec![info("x", "y"); MAX_BATCH + 1];
    assert!(matches!(
        core.create_asa_accounts(admin, app, too_many).await,
        Err(Error::InvalidParameter("list"))
    ));
    assert!(matches!(
        core.create_asa_accounts(admin, app, vec![]).await,
        Err(Error::MissingParameter("list"))
    ));
    assert_eq!(fx.accounts_of(app).await, 3);

    // Pages, oldest first, at most 50.
    let p = core
        .asa_accounts_page(admin, app, Page::new(Some(1), Some(2)).unwrap())
        .await
        .unwrap();
    assert_eq!(p.total_count, 3);
    assert_eq!(p.list[0].id, a.id);
    assert_eq!(p.list.len(), 2);
    assert!(matches!(
        core.asa_accounts_page(admin, app, Page::new(Some(1), Some(51)).unwrap())
            .await,
        Err(Error::InvalidParameter("limit"))
    ));

    // A batch read in the order named; an unknown id refuses it.
    let ids = vec![made[1].id.clone(), a.id.clone()];
    let got = core.asa_accounts_by_ids(admin, app, &ids).await.unwrap();
    assert_eq!(got.iter().map(|x| x.id.clone()).collect::<Vec<_>>(), ids);
    assert_eq!(field(&got[0], "account"), "c");
    assert!(matches!(
        core.asa_accounts_by_ids(admin, app, &strings(&[&a.id, "nope"]))
            .await,
        Err(Error::NotFound(Entity::AsaAccount))
    ));

    // Update replaces every field.
    let new_info = AccountInfo::from_json(&json!({"account": "alice2", "pin": "0000"})).unwrap();
    let u = core
        .update_asa_account(admin, app, &a.id, new_info.clone())
        .await
        .unwrap();
    assert_eq!(u.info, new_info);
    assert_eq!(
        core.asa_account(admin, app, &a.id).await.unwrap().info,
        new_info
    );
    assert!(matches!(
        core.update_asa_account(admin, app, "nope", info("a", "b"))
            .await,
        Err(Error::NotFound(Entity::AsaAccount))
    ));

    // A batch delete naming one unknown account deletes nothing.
    assert!(matches!(
        core.delete_asa_accounts(admin, app, &strings(&[&made[0].id, "nope"]))
            .await,
        Err(Error::NotFound(Entity::AsaAccount))
    ));
    assert_eq!(fx.accounts_of(app).await, 3);
    core.delete_asa_accounts(admin, app, &[made[0].id.clone(), made[1].id.clone()])
        .await
        .unwrap();
    assert_eq!(fx.accounts_of(app).await, 1);
    assert!(matches!(
        core.asa_account(admin, app, &made[0].id).await,
        Err(Error::NotFound(Entity::AsaAccount))
    ));

    // Oversized information is refused before anything is written.
    let big = json!({ "password": "x".repeat(2000) });
    assert!(matches!(
        AccountInfo::from_json(&big),
        Err(Error::AsaAccountInfo(AccountInfoProblem::ValueTooLong))
    ));
    // An unknown application.
    assert!(matches!(
        core.create_asa_account(admin, "nope", info("a", "b")).await,
        Err(Error::AppNotFound)
    ));
}

async fn sealed_at_rest(db: &TestDb) {
    let fx = setup(db).await;
    let a = fx
        .core
        .create_asa_account(&fx.admin, &fx.app, info("visible-name", "Hunter2-Password"))
        .await
        .unwrap();
    let b = fx
        .core
        .create_asa_account(&fx.admin, &fx.app, info("other", "Other-Password"))
        .await
        .unwrap();
    let row = sqlx::query("SELECT sealed_info FROM asa_accounts WHERE id = $1")
        .bind(&a.id)
        .fetch_one(fx.store.pool())
        .await
        .unwrap();
    let sealed: String = row.try_get("sealed_info").unwrap();
    assert!(sealed.starts_with("v1."), "{sealed}");
    for clear in ["Hunter2-Password", "visible-name", "password", "account"] {
        assert!(!sealed.contains(clear), "{clear} in the clear: {sealed}");
    }
    // No column of the row holds the password either.
    let any_plain = fx
        .count(
            "SELECT COUNT(*) FROM asa_accounts WHERE sealed_info LIKE $1",
            "%Hunter2%",
        )
        .await;
    assert_eq!(any_plain, 0);
    // The key is a deployment secret of 64 hex digits, kept in the store.
    let key = fx
        .store
        .get_secret(secret_names::ASA_SEALING_KEY)
        .await
        .unwrap()
        .expect("sealing key generated at first start");
    assert_eq!(key.len(), 64);
    assert!(!sealed.contains(&key));
    // A sealed text moved to another row does not open there: refused, never answered.
    sqlx::query("UPDATE asa_accounts SET sealed_info = $1 WHERE id = $2")
        .bind(&sealed)
        .bind(&b.id)
        .execute(fx.store.pool())
        .await
        .unwrap();
    assert!(matches!(
        fx.core.asa_account(&fx.admin, &fx.app, &b.id).await,
        Err(Error::Storage(_))
    ));
    // A second core on the same store (another process) reads with the same key.
    let again = open_core(fx.store.clone()).await;
    assert_eq!(
        again
            .asa_account(&fx.admin, &fx.app, &a.id)
            .await
            .unwrap()
            .info,
        a.info
    );
}

async fn assignments_and_resolution(db: &TestDb) {
    let fx = setup(db).await;
    let (core, admin, app) = (&fx.core, &fx.admin, fx.app.as_str());
    let mk = |n: &str| info(n, "pw");
    let acc = core
        .create_asa_accounts(
            admin,
            app,
            vec![mk("direct"), mk("role"), mk("group"), mk("dept")],
        )
        .await
        .unwrap();
    let (direct, via_role, via_group, via_dept) = (&acc[0].id, &acc[1].id, &acc[2].id, &acc[3].id);

    let alice = fx.user("alice@example.com").await;
    let role = fx.role("ops").await;
    let group = fx.group("devs").await;
    let (org, root) = core
        .create_org(
            admin.pool_id(),
            NewNode {
                name: "HQ".into(),
                ..NewNode::default()
            },
        )
        .await
        .unwrap();
    let team = core
        .add_node(
            admin.pool_id(),
            &org.id,
            &root.node.id,
            NewNode {
                name: "Team".into(),
                ..NewNode::default()
            },
        )
        .await
        .unwrap()
        .node
        .id;
    core.assign_role(admin.pool_id(), &role, TargetType::User, &alice.id)
        .await
        .unwrap();
    core.add_group_members(admin.pool_id(), &group, std::slice::from_ref(&alice.id))
        .await
        .unwrap();
    core.add_node_members(
        admin.pool_id(),
        &team,
        std::slice::from_ref(&alice.id),
        true,
    )
    .await
    .unwrap();

    assert_eq!(fx.assigned(TargetType::User, &alice.id).await, None);
    // Through the department's ancestor (the root), then the group, then the role, then
    // directly: each nearer level wins.
    fx.assign(app, via_dept, TargetType::OrgNode, &[&root.node.id])
        .await
        .unwrap();
    assert_eq!(
        fx.assigned(TargetType::User, &alice.id).await.as_ref(),
        Some(via_dept)
    );
    fx.assign(app, via_group, TargetType::Group, &["devs"])
        .await
        .unwrap();
    assert_eq!(
        fx.assigned(TargetType::User, &alice.id).await.as_ref(),
        Some(via_group)
    );
    fx.assign(app, via_role, TargetType::Role, &["ops"])
        .await
        .unwrap();
    assert_eq!(
        fx.assigned(TargetType::User, &alice.id).await.as_ref(),
        Some(via_role)
    );
    fx.assign(app, direct, TargetType::User, &[&alice.id])
        .await
        .unwrap();
    let got = core
        .assigned_asa_account(admin, app, TargetType::User, &alice.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&got.id, direct);
    assert_eq!(field(&got, "password"), "pw");
    // Other targets answer only their own assignment.
    assert_eq!(
        fx.assigned(TargetType::Role, "ops").await.as_ref(),
        Some(via_role)
    );
    assert_eq!(
        fx.assigned(TargetType::Group, "devs").await.as_ref(),
        Some(via_group)
    );
    assert_eq!(fx.assigned(TargetType::OrgNode, &team).await, None);

    // The account's targets, as the wire names them (codes for roles and groups).
    let t = core
        .asa_account_targets(admin, app, via_role, Page::default())
        .await
        .unwrap();
    assert_eq!(t.total_count, 1);
    assert_eq!(
        (t.list[0].target_type, t.list[0].identifier.as_str()),
        (TargetType::Role, "ops")
    );

    // One account per target and application: assigning another moves the target.
    fx.assign(app, via_group, TargetType::Role, &["ops"])
        .await
        .unwrap();
    assert_eq!(
        fx.assigned(TargetType::Role, "ops").await.as_ref(),
        Some(via_group)
    );
    assert_eq!(
        core.asa_account_targets(admin, app, via_role, Page::default())
            .await
            .unwrap()
            .total_count,
        0
    );

    // Unknown targets and accounts refuse the whole call and write nothing.
    let before = fx.assignments_of(app).await;
    let mixed = [
        (TargetType::User, strings(&[&alice.id])),
        (TargetType::Role, strings(&["no-such-role"])),
    ];
    assert!(matches!(
        core.assign_asa_account(admin, app, via_dept, &mixed).await,
        Err(Error::NotFound(Entity::Role))
    ));
    assert!(matches!(
        fx.assign(
            app,
            via_dept,
            TargetType::User,
            &["000000000000000000000000"]
        )
        .await,
        Err(Error::UserNotFound)
    ));
    assert!(matches!(
        fx.assign(app, "nope", TargetType::User, &[&alice.id]).await,
        Err(Error::NotFound(Entity::AsaAccount))
    ));
    assert!(matches!(
        core.assign_asa_account(admin, app, via_dept, &[]).await,
        Err(Error::MissingParameter("targets"))
    ));
    assert_eq!(fx.assignments_of(app).await, before);
    assert_eq!(
        fx.assigned(TargetType::User, &alice.id).await.as_ref(),
        Some(direct)
    );
    assert!(matches!(
        core.assigned_asa_account(admin, app, TargetType::Group, "nope")
            .await,
        Err(Error::NotFound(Entity::Group))
    ));

    // Unassigning removes only this account's assignment.
    core.unassign_asa_account(
        admin,
        app,
        via_role,
        &[(TargetType::User, strings(&[&alice.id]))],
    )
    .await
    .unwrap();
    assert_eq!(
        fx.assigned(TargetType::User, &alice.id).await.as_ref(),
        Some(direct)
    );
    core.unassign_asa_account(
        admin,
        app,
        direct,
        &[(TargetType::User, strings(&[&alice.id]))],
    )
    .await
    .unwrap();
    // Now through the role (which holds `via_group` since the move).
    assert_eq!(
        fx.assigned(TargetType::User, &alice.id).await.as_ref(),
        Some(via_group)
    );
}

async fn cascades(db: &TestDb) {
    let fx = setup(db).await;
    let (core, admin) = (&fx.core, &fx.admin);
    let app = core
        .admin_create_app(
            admin,
            NewApp {
                name: "doomed".into(),
                ..NewApp::default()
            },
        )
        .await
        .unwrap()
        .app
        .id;
    let acc = core
        .create_asa_accounts(admin, &app, vec![info("a", "1"), info("b", "2")])
        .await
        .unwrap();
    let bob = fx.user("bob@example.com").await;
    let carol = fx.user("carol@example.com").await;
    let dave = fx.user("dave@example.com").await;
    fx.role("r1").await;
    fx.group("g1").await;
    let (org, root) = core
        .create_org(
            admin.pool_id(),
            NewNode {
                name: "Org".into(),
                ..NewNode::default()
            },
        )
        .await
        .unwrap();
    let child = core
        .add_node(
            admin.pool_id(),
            &org.id,
            &root.node.id,
            NewNode {
                name: "Child".into(),
                ..NewNode::default()
            },
        )
        .await
        .unwrap()
        .node
        .id;
    let targets = [
        (TargetType::User, strings(&[&bob.id, &carol.id, &dave.id])),
        (TargetType::Role, strings(&["r1"])),
        (TargetType::Group, strings(&["g1"])),
        (TargetType::OrgNode, strings(&[&child])),
    ];
    core.assign_asa_account(admin, &app, &acc[0].id, &targets)
        .await
        .unwrap();
    core.assign_asa_account(
        admin,
        &app,
        &acc[1].id,
        &[(TargetType::User, strings(&[&carol.id]))],
    )
    .await
    .unwrap();
    // Carol moved to the second account: 5 rows for the first, 1 for the second.
    assert_eq!(fx.assignments_of(&app).await, 6);

    core.delete_users(admin, std::slice::from_ref(&bob.id))
        .await
        .unwrap();
    assert_eq!(fx.assignments_of(&app).await, 5);
    core.delete_roles(admin, None, &strings(&["r1"]))
        .await
        .unwrap();
    assert_eq!(fx.assignments_of(&app).await, 4);
    core.delete_groups(admin, &strings(&["g1"])).await.unwrap();
    assert_eq!(fx.assignments_of(&app).await, 3);
    core.delete_org_node(admin, &org.id, &child).await.unwrap();
    assert_eq!(fx.assignments_of(&app).await, 2);
    // Deleting an account deletes its assignments (Carol's), not the others' (Dave's).
    core.delete_asa_accounts(admin, &app, std::slice::from_ref(&acc[1].id))
        .await
        .unwrap();
    assert_eq!(fx.assignments_of(&app).await, 1);
    assert_eq!(
        fx.core
            .assigned_asa_account(admin, &app, TargetType::User, &dave.id)
            .await
            .unwrap()
            .map(|a| a.id),
        Some(acc[0].id.clone())
    );
    // The application takes its accounts and their assignments.
    core.admin_delete_app(admin, &app).await.unwrap();
    assert_eq!(fx.assignments_of(&app).await, 0);
    assert_eq!(fx.accounts_of(&app).await, 0);
}

async fn pools_are_isolated(db: &TestDb) {
    let fx = setup(db).await;
    let mine = fx
        .core
        .create_asa_account(&fx.admin, &fx.app, info("mine", "pw"))
        .await
        .unwrap();
    let theirs = fx
        .core
        .create_asa_account(&fx.other, &fx.foreign_app, info("theirs", "pw"))
        .await
        .unwrap();
    // Another pool's application is not found, whatever the call.
    assert!(matches!(
        fx.core
            .create_asa_account(&fx.admin, &fx.foreign_app, info("x", "y"))
            .await,
        Err(Error::AppNotFound)
    ));
    assert!(matches!(
        fx.core
            .asa_account(&fx.admin, &fx.foreign_app, &theirs.id)
            .await,
        Err(Error::AppNotFound)
    ));
    assert!(matches!(
        fx.core
            .delete_asa_accounts(&fx.admin, &fx.foreign_app, std::slice::from_ref(&theirs.id))
            .await,
        Err(Error::AppNotFound)
    ));
    // Another pool's account through my application is not found either.
    assert!(matches!(
        fx.core.asa_account(&fx.admin, &fx.app, &theirs.id).await,
        Err(Error::NotFound(Entity::AsaAccount))
    ));
    assert!(matches!(
        fx.core
            .update_asa_account(&fx.admin, &fx.app, &theirs.id, info("stolen", "x"))
            .await,
        Err(Error::NotFound(Entity::AsaAccount))
    ));
    // Another pool's user is no target of mine.
    let stranger = fx
        .core
        .create_user(
            fx.other.pool(),
            NewUser {
                email: Some("stranger@example.com".into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    assert!(matches!(
        fx.assign(&fx.app, &mine.id, TargetType::User, &[&stranger.id])
            .await,
        Err(Error::UserNotFound)
    ));
    let theirs_now = fx
        .core
        .asa_account(&fx.other, &fx.foreign_app, &theirs.id)
        .await
        .unwrap();
    assert_eq!(field(&theirs_now, "account"), "theirs");
    let page = fx
        .core
        .asa_accounts_page(&fx.admin, &fx.app, Page::default())
        .await
        .unwrap();
    assert_eq!(page.total_count, 1);
}

backend_tests! {
    crud => crud_and_batches;
    sealed => sealed_at_rest;
    resolution => assignments_and_resolution;
    cascade => cascades;
    isolation => pools_are_isolated;
}
