//! The admin audit log and the user action log on both backends: an administrator's change
//! through the core leaves a record (with who, from where, what, on which ids, whether it
//! was made), a refused change leaves no record claiming success, a record written in a
//! unit of work goes with it, no password reaches either log, and the paged reads filter,
//! order and stay in their pool.

mod common;

use std::sync::Arc;

use common::TestDb;
use serde_json::{json, Map, Value};
use sqlx::Row;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::audit::{AuditRecord, OperationType, ResourceKind, UserEvent};
use tessera_core::model::UserPool;
use tessera_core::notify::Outbox;
use tessera_core::principal::{AdminProof, PoolAdmin, RequestFacts};
use tessera_core::service::apps_admin::{AppUpdate, NewApp};
use tessera_core::service::directory::{NewGroup, NewRole};
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::paging::Page;
use tessera_core::service::register::{RegisterOptions, Registration};
use tessera_core::service::user_admin::AdminCreate;
use tessera_core::service::users::{LoginContext, LoginId, NewUser};
use tessera_core::store::audit::{AuditQuery, UserActionQuery};
use tessera_core::store::{AuditStore, Store, Units};
use tessera_core::{Core, CoreConfig, Error, UniqueField};
use tessera_store::SqlStore;

const ADMIN_IP: &str = "203.0.113.7";
const ADMIN_UA: &str = "audit-test/1.0";

struct Fx {
    core: Core,
    store: Arc<SqlStore>,
    outbox: Arc<Outbox>,
    /// The pool's administrator (by its secret), acting from `ADMIN_IP`.
    admin: PoolAdmin,
    pool: UserPool,
    app_id: String,
}

async fn setup(db: &TestDb) -> Fx {
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
    let creds = core.create_pool("audited").await.unwrap();
    let admin = core
        .pool_admin_by_secret(&creds.user_pool_id, &creds.secret)
        .await
        .unwrap()
        .with_facts(RequestFacts {
            client_ip: Some(ADMIN_IP.parse().unwrap()),
            user_agent: Some(ADMIN_UA.into()),
        });
    let pool = core.pool(&creds.user_pool_id).await.unwrap();
    Fx {
        core,
        store,
        outbox,
        admin,
        pool,
        app_id: creds.app_id,
    }
}

fn page(p: i64, l: i64) -> Page {
    Page::new(Some(p), Some(l)).unwrap()
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

impl Fx {
    /// Every record of the pool, newest first.
    async fn records(&self) -> Vec<AuditRecord> {
        let q = AuditQuery {
            page: page(1, 1000),
            ..AuditQuery::default()
        };
        let all = self.core.admin_audit_logs(&self.admin, &q).await.unwrap();
        assert_eq!(all.total_count as usize, all.list.len());
        all.list
    }

    async fn newest(&self) -> AuditRecord {
        self.records().await.into_iter().next().expect("a record")
    }

    /// Every text of both logs' rows, as stored.
    async fn stored_log_text(&self) -> String {
        let mut out = String::new();
        for sql in [
            "SELECT id, proof, client_ip, user_agent, operation, resource, target_ids, params \
             FROM admin_audit_log",
            "SELECT id, user_id, app_id, event, ip, user_agent FROM user_actions",
        ] {
            for row in sqlx::query(sql).fetch_all(self.store.pool()).await.unwrap() {
                for i in 0..row.len() {
                    let v: Option<String> = row.try_get(i).unwrap();
                    out.push_str(&v.unwrap_or_default());
                    out.push('\n');
                }
            }
        }
        out
    }

    fn ann(&self, email: &str) -> NewUser {
        NewUser {
            username: Some(email.split('@').next().unwrap().into()),
            email: Some(email.into()),
            password: Some("Sup3r-secret-pw".into()),
            ..NewUser::default()
        }
    }
}

fn kinds(records: &[AuditRecord]) -> Vec<(OperationType, ResourceKind, bool)> {
    records
        .iter()
        .map(|r| (r.operation, r.resource, r.success))
        .collect()
}

/// The task's core case: creating and deleting a user through the core yields records, and
/// a refused change (a duplicate email, an unknown id) records no success.
async fn user_creation_and_deletion_are_audited(db: &TestDb) {
    let fx = setup(db).await;
    assert!(fx.records().await.is_empty());
    let ann = fx
        .core
        .admin_create_user(&fx.admin, fx.ann("ann@example.com"), AdminCreate::default())
        .await
        .unwrap();
    let created = fx.newest().await;
    assert_eq!(
        (created.operation, created.resource, created.success),
        (OperationType::Create, ResourceKind::User, true)
    );
    assert_eq!(created.target_ids, vec![ann.id.clone()]);
    assert_eq!(created.pool_id, fx.pool.id);
    assert_eq!(created.proof, AdminProof::PoolSecret);
    assert_eq!(created.client_ip.as_deref(), Some(ADMIN_IP));
    assert_eq!(created.user_agent.as_deref(), Some(ADMIN_UA));
    assert_eq!(created.params["username"], "ann");
    assert_eq!(created.params["email"], "ann@example.com");

    // A duplicate email is refused by the store: recorded, as not made, naming no user.
    let dup = fx
        .core
        .admin_create_user(&fx.admin, fx.ann("ANN@example.com"), AdminCreate::default())
        .await;
    assert!(
        matches!(dup, Err(Error::AlreadyExists(UniqueField::Email))),
        "{dup:?}"
    );
    let refused = fx.newest().await;
    assert_eq!(
        (refused.operation, refused.resource, refused.success),
        (OperationType::Create, ResourceKind::User, false)
    );
    assert!(refused.target_ids.is_empty());
    let made = AuditQuery {
        success: Some(true),
        ..AuditQuery::default()
    };
    let made = fx.core.admin_audit_logs(&fx.admin, &made).await.unwrap();
    assert_eq!(made.total_count, 1, "only ann's creation was made");

    fx.core
        .delete_users(&fx.admin, std::slice::from_ref(&ann.id))
        .await
        .unwrap();
    let deleted = fx.newest().await;
    assert_eq!(
        (deleted.operation, deleted.resource, deleted.success),
        (OperationType::Delete, ResourceKind::User, true)
    );
    assert_eq!(deleted.target_ids, vec![ann.id.clone()]);

    // A refused deletion (in a unit of work) rolls back and is recorded as not made.
    let bob = fx
        .core
        .admin_create_user(&fx.admin, fx.ann("bob@example.com"), AdminCreate::default())
        .await
        .unwrap();
    let e = fx
        .core
        .delete_users(&fx.admin, &[bob.id.clone(), "missing".into()])
        .await;
    assert!(e.is_err(), "{e:?}");
    assert!(fx.core.user_by_id(&fx.pool.id, &bob.id).await.is_ok());
    let refused = fx.newest().await;
    assert_eq!(
        (refused.operation, refused.success),
        (OperationType::Delete, false)
    );
    assert_eq!(refused.target_ids, vec![bob.id.clone(), "missing".into()]);
    assert_eq!(
        kinds(&fx.records().await),
        vec![
            (OperationType::Delete, ResourceKind::User, false),
            (OperationType::Create, ResourceKind::User, true),
            (OperationType::Delete, ResourceKind::User, true),
            (OperationType::Create, ResourceKind::User, false),
            (OperationType::Create, ResourceKind::User, true),
        ]
    );

    let stored = fx.stored_log_text().await;
    assert!(!stored.contains("Sup3r-secret-pw"), "{stored}");
    assert!(!stored.contains("$argon2"), "no hash either:\n{stored}");
    db_cleanup(fx).await;
}

/// Blocks, unblocks, a password reset, roles, groups, applications and the pool itself.
async fn every_hooked_admin_change_is_audited(db: &TestDb) {
    let fx = setup(db).await;
    let a = &fx.admin;
    let core = &fx.core;
    let user = core
        .admin_create_user(a, fx.ann("cy@example.com"), AdminCreate::default())
        .await
        .unwrap();
    core.admin_update_user(a, &user.id, &obj(json!({"blocked": true})), None)
        .await
        .unwrap();
    core.admin_update_user(a, &user.id, &obj(json!({"blocked": false})), None)
        .await
        .unwrap();
    core.admin_update_user(
        a,
        &user.id,
        &obj(json!({"nickname": "Cy"})),
        Some("An0ther-secret-pw".into()),
    )
    .await
    .unwrap();
    let reset = fx.newest().await;
    assert_eq!(reset.operation, OperationType::Update);
    assert_eq!(reset.target_ids, vec![user.id.clone()]);
    assert_eq!(reset.params["fields"], "nickname,password");

    let role = core
        .admin_create_role(
            a,
            NewRole {
                code: "boss".into(),
                ..NewRole::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(fx.newest().await.target_ids, vec![role.id.clone()]);
    // A refused create (a taken code) is recorded as not made.
    let again = core
        .admin_create_role(
            a,
            NewRole {
                code: "boss".into(),
                ..NewRole::default()
            },
        )
        .await;
    assert!(again.is_err());
    core.delete_roles(a, None, &["boss".into()]).await.unwrap();
    let deleted = fx.newest().await;
    assert_eq!(deleted.target_ids, vec![role.id.clone()]);
    assert_eq!(deleted.params["codes"], "boss");

    let group = core
        .admin_create_group(
            a,
            NewGroup {
                code: "ops".into(),
                name: "Ops".into(),
                description: None,
            },
        )
        .await
        .unwrap();
    core.delete_groups(a, &["ops".into()]).await.unwrap();
    assert_eq!(fx.newest().await.target_ids, vec![group.id.clone()]);

    let app = core
        .admin_create_app(
            a,
            NewApp {
                name: "shop".into(),
                ..NewApp::default()
            },
        )
        .await
        .unwrap();
    core.admin_update_app(
        a,
        &app.app.id,
        AppUpdate {
            name: Some("store".into()),
            ..AppUpdate::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(fx.newest().await.params["fields"], "name");
    core.refresh_app_secret(a, &app.app.id).await.unwrap();
    core.admin_delete_app(a, &app.app.id).await.unwrap();
    assert_eq!(fx.newest().await.target_ids, vec![app.app.id.clone()]);
    let missing = core.admin_delete_app(a, &app.app.id).await;
    assert!(missing.is_err());

    core.update_pool(a, &obj(json!({"name": "renamed"})))
        .await
        .unwrap();
    let secret = core.refresh_pool_secret(a).await.unwrap();

    use OperationType::*;
    use ResourceKind::*;
    let mut expected = vec![
        (Create, User, true),
        (Disable, User, true),
        (Enable, User, true),
        (Update, User, true),
        (Create, Role, true),
        (Create, Role, false),
        (Delete, Role, true),
        (Create, Group, true),
        (Delete, Group, true),
        (Create, Application, true),
        (Update, Application, true),
        (Refresh, Application, true),
        (Delete, Application, true),
        (Delete, Application, false),
        (Update, UserPool, true),
        (Refresh, UserPool, true),
    ];
    expected.reverse();
    let records = fx.records().await;
    assert_eq!(kinds(&records), expected);
    assert_eq!(records[0].target_ids, vec![fx.pool.id.clone()]);
    assert_eq!(records[1].params["fields"], "name");

    let stored = fx.stored_log_text().await;
    for secret_text in [
        "Sup3r-secret-pw",
        "An0ther-secret-pw",
        secret.as_str(),
        &fx.pool.secret,
        &app.app.secret,
    ] {
        assert!(!stored.contains(secret_text), "{secret_text} in\n{stored}");
    }
    db_cleanup(fx).await;
}

/// The record of a unit of work is written in its transaction: rolled back, it is gone.
async fn a_record_goes_with_its_unit_of_work(db: &TestDb) {
    let fx = setup(db).await;
    let record = |id: &str| AuditRecord {
        id: id.into(),
        pool_id: fx.pool.id.clone(),
        proof: AdminProof::ManagementToken,
        client_ip: None,
        user_agent: None,
        operation: OperationType::Delete,
        resource: ResourceKind::Group,
        target_ids: vec!["g1".into()],
        params: Default::default(),
        success: true,
        at: 1,
    };
    let mut tx = fx.store.begin_pool_write(&fx.pool.id).await.unwrap();
    tx.insert_audit(&record("rolled-back")).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(fx.records().await.is_empty());
    let mut tx = fx.store.begin_pool_write(&fx.pool.id).await.unwrap();
    tx.insert_audit(&record("committed")).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(fx.records().await, vec![record("committed")]);
    db_cleanup(fx).await;
}

/// Filters, newest-first pages that cover the log once, and other pools' records absent.
async fn audit_queries_filter_page_and_stay_in_their_pool(db: &TestDb) {
    let fx = setup(db).await;
    let other = fx.core.create_pool("other").await.unwrap().user_pool_id;
    let ops = [
        OperationType::Create,
        OperationType::Update,
        OperationType::Delete,
    ];
    let kinds_ = [ResourceKind::User, ResourceKind::Role];
    let mut mine = Vec::new();
    for i in 0..25i64 {
        let r = AuditRecord {
            id: format!("r{i:02}"),
            pool_id: fx.pool.id.clone(),
            proof: if i % 2 == 0 {
                AdminProof::ManagementToken
            } else {
                AdminProof::Operator
            },
            client_ip: Some(format!("10.0.0.{}", i % 3)),
            user_agent: Some("ua".into()),
            operation: ops[(i % 3) as usize],
            resource: kinds_[(i % 2) as usize],
            target_ids: vec![format!("t{i}")],
            params: [("code".to_owned(), format!("c{i}"))].into(),
            success: i % 5 != 0,
            at: 1_000 + i * 10,
        };
        fx.store.insert_audit(&r).await.unwrap();
        mine.push(r);
    }
    for (i, r) in mine.iter().take(3).enumerate() {
        let mut r = r.clone();
        r.id = format!("other{i}");
        r.pool_id = other.clone();
        fx.store.insert_audit(&r).await.unwrap();
    }
    let q = |f: &dyn Fn(&mut AuditQuery)| {
        let mut q = AuditQuery {
            page: page(1, 100),
            ..AuditQuery::default()
        };
        f(&mut q);
        q
    };
    let ids = |q: AuditQuery| {
        let core = &fx.core;
        let admin = &fx.admin;
        async move {
            let p = core.admin_audit_logs(admin, &q).await.unwrap();
            let ids: Vec<String> = p.list.into_iter().map(|r| r.id).collect();
            (p.total_count, ids)
        }
    };
    let expect = |pred: &dyn Fn(&AuditRecord) -> bool| {
        let ids: Vec<String> = mine
            .iter()
            .rev()
            .filter(|r| pred(r))
            .map(|r| r.id.clone())
            .collect();
        (ids.len() as i64, ids)
    };

    // Everything, newest first, read back as written.
    let all = fx
        .core
        .admin_audit_logs(&fx.admin, &q(&|_| {}))
        .await
        .unwrap();
    assert_eq!(all.total_count, 25);
    assert_eq!(all.list, mine.iter().rev().cloned().collect::<Vec<_>>());
    // Pages of 10 are disjoint and cover the log in its order.
    let mut paged = Vec::new();
    for p in 1..=3 {
        let (total, page_ids) = ids(q(&|q| q.page = page(p, 10))).await;
        assert_eq!(total, 25);
        paged.extend(page_ids);
    }
    assert_eq!(paged, expect(&|_| true).1);

    assert_eq!(
        ids(q(&|q| q.operation_type = Some(OperationType::Delete))).await,
        expect(&|r| r.operation == OperationType::Delete)
    );
    assert_eq!(
        ids(q(&|q| q.resource_type = Some(ResourceKind::Role))).await,
        expect(&|r| r.resource == ResourceKind::Role)
    );
    assert_eq!(
        ids(q(&|q| q.success = Some(false))).await,
        expect(&|r| !r.success)
    );
    assert_eq!(
        ids(q(&|q| q.client_ip = Some("10.0.0.1".into()))).await,
        expect(&|r| r.client_ip.as_deref() == Some("10.0.0.1"))
    );
    // An address spelled another way is the same address.
    assert_eq!(
        ids(q(&|q| q.client_ip = Some("::ffff:10.0.0.1".into()))).await,
        expect(&|r| r.client_ip.as_deref() == Some("10.0.0.1"))
    );
    // Bounds are inclusive.
    assert_eq!(
        ids(q(&|q| {
            q.start = Some(1_050);
            q.end = Some(1_100);
        }))
        .await,
        expect(&|r| (1_050..=1_100).contains(&r.at))
    );
    assert_eq!(
        ids(q(&|q| {
            q.operation_type = Some(OperationType::Create);
            q.resource_type = Some(ResourceKind::User);
            q.success = Some(true);
        }))
        .await,
        expect(&|r| {
            r.operation == OperationType::Create && r.resource == ResourceKind::User && r.success
        })
    );
    let backwards = fx
        .core
        .admin_audit_logs(
            &fx.admin,
            &q(&|q| {
                q.start = Some(2);
                q.end = Some(1);
            }),
        )
        .await;
    assert!(matches!(backwards, Err(Error::InvalidParameter("start"))));

    // The other pool sees its own three only.
    let other_admin = fx.core.operator_pool_admin(&other).await.unwrap();
    let theirs = fx
        .core
        .admin_audit_logs(&other_admin, &q(&|_| {}))
        .await
        .unwrap();
    assert_eq!(theirs.total_count, 3);
    assert!(theirs.list.iter().all(|r| r.pool_id == other));
    db_cleanup(fx).await;
}

/// Registrations (also the one a code login makes), logins, logouts and password changes
/// are listed as one log, filtered and paged.
async fn user_actions_are_listed_as_one_log(db: &TestDb) {
    let fx = setup(db).await;
    let app = fx.core.app(&fx.app_id).await.unwrap();
    let ann_ip = "198.51.100.1";
    let client = |ip: &str| LoginContext {
        app_id: Some(fx.app_id.clone()),
        ip: Some(ip.into()),
        browser: Some("browser/1".into()),
        device: None,
    };
    // Events a millisecond apart at least, so the newest-first order is known.
    let tick = || tokio::time::sleep(std::time::Duration::from_millis(3));

    let ann = fx
        .core
        .register(
            &fx.pool,
            Some(&app),
            Registration::Email {
                email: "ann@example.com".into(),
                password: "Old-passw0rd!".into(),
            },
            RegisterOptions {
                client: client(ann_ip),
                ..RegisterOptions::default()
            },
        )
        .await
        .unwrap()
        .user;
    tick().await;
    fx.core
        .authenticate(
            &fx.pool,
            Some(&app),
            Credential::Password {
                id: LoginId::Email("ann@example.com".into()),
                password: "Old-passw0rd!".into(),
            },
            LoginOptions {
                client: client(ann_ip),
                ..LoginOptions::default()
            },
        )
        .await
        .unwrap();
    tick().await;
    let token = fx
        .core
        .issue_user_token(&fx.pool, Some(&app), &ann)
        .await
        .unwrap();
    let session = fx
        .core
        .session(&token.token, Some(&fx.pool.id))
        .await
        .unwrap();
    fx.core.logout(&session).await.unwrap();
    tick().await;
    fx.core
        .update_password(&fx.pool, &ann.id, "New-passw0rd!", Some("Old-passw0rd!"))
        .await
        .unwrap();
    tick().await;
    // A refused password change is no event.
    let wrong = fx
        .core
        .update_password(&fx.pool, &ann.id, "Third-passw0rd!", Some("not-it"))
        .await;
    assert!(matches!(wrong, Err(Error::OldPasswordWrong)));
    // A code login of an unknown phone registers its user.
    fx.core
        .send_sms_code(&fx.pool, "13800138000", None, Some("login"))
        .await
        .unwrap();
    let code = fx.outbox.sms.lock().unwrap().last().unwrap().code.clone();
    let phone_user = fx
        .core
        .authenticate(
            &fx.pool,
            None,
            Credential::PhoneCode {
                phone: "13800138000".into(),
                country_code: None,
                code,
            },
            LoginOptions {
                client: LoginContext {
                    ip: Some("192.0.2.5".into()),
                    ..LoginContext::default()
                },
                ..LoginOptions::default()
            },
        )
        .await
        .unwrap()
        .user;

    let admin = &fx.admin;
    let list = |f: &dyn Fn(&mut UserActionQuery)| {
        let mut q = UserActionQuery {
            page: page(1, 100),
            ..UserActionQuery::default()
        };
        f(&mut q);
        let core = &fx.core;
        async move {
            let p = core.user_action_logs(admin, &q).await.unwrap();
            assert_eq!(p.total_count as usize, p.list.len());
            p.list
                .into_iter()
                .map(|a| (a.user_id, a.event))
                .collect::<Vec<_>>()
        }
    };
    let a = |e: UserEvent| (ann.id.clone(), e);
    let p = |e: UserEvent| (phone_user.id.clone(), e);
    let everything = list(&|_| {}).await;
    // The phone user's registration and login happen within one millisecond or two: their
    // relative order is not asserted.
    assert_eq!(everything.len(), 6, "{everything:?}");
    let (phone_part, ann_part) = everything.split_at(2);
    let mut phone_part = phone_part.to_vec();
    phone_part.sort_by_key(|(_, e)| e.as_str());
    assert_eq!(
        phone_part,
        vec![p(UserEvent::Login), p(UserEvent::Register)]
    );
    assert_eq!(
        ann_part,
        vec![
            a(UserEvent::PasswordChange),
            a(UserEvent::Logout),
            a(UserEvent::Login),
            a(UserEvent::Register),
        ]
    );

    // Every field of a listed action, for the ones whose facts are known.
    let full = fx
        .core
        .user_action_logs(
            admin,
            &UserActionQuery {
                user_id: Some(ann.id.clone()),
                event_type: Some(UserEvent::Register),
                ..UserActionQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(full.total_count, 1);
    let reg = &full.list[0];
    assert_eq!(reg.pool_id, fx.pool.id);
    assert_eq!(reg.app_id.as_deref(), Some(fx.app_id.as_str()));
    assert_eq!(reg.client_ip.as_deref(), Some(ann_ip));
    assert_eq!(reg.user_agent.as_deref(), Some("browser/1"));
    assert!(reg.success);

    assert_eq!(
        list(&|q| q.event_type = Some(UserEvent::Login)).await,
        vec![p(UserEvent::Login), a(UserEvent::Login)]
    );
    assert_eq!(
        list(&|q| q.event_type = Some(UserEvent::Logout)).await,
        vec![a(UserEvent::Logout)]
    );
    assert_eq!(
        list(&|q| q.user_id = Some(ann.id.clone())).await,
        ann_part.to_vec()
    );
    // The logout names the application its token was for.
    assert_eq!(
        list(&|q| q.app_id = Some(fx.app_id.clone())).await,
        vec![
            a(UserEvent::Logout),
            a(UserEvent::Login),
            a(UserEvent::Register)
        ]
    );
    assert_eq!(
        list(&|q| q.client_ip = Some(ann_ip.into())).await,
        vec![a(UserEvent::Login), a(UserEvent::Register)]
    );
    assert!(list(&|q| q.success = Some(false)).await.is_empty());
    let all_done = list(&|q| q.success = Some(true)).await;
    assert_eq!(all_done.len(), 6);

    // Pages of 4 cover the log once, across both tables.
    let mut paged = Vec::new();
    for n in 1..=2 {
        let got = fx
            .core
            .user_action_logs(
                admin,
                &UserActionQuery {
                    page: page(n, 4),
                    ..UserActionQuery::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(got.total_count, 6);
        paged.extend(got.list.into_iter().map(|a| (a.user_id, a.event)));
    }
    assert_eq!(paged, everything);

    // A time window.
    let logout_at = fx
        .core
        .user_action_logs(
            admin,
            &UserActionQuery {
                event_type: Some(UserEvent::Logout),
                ..UserActionQuery::default()
            },
        )
        .await
        .unwrap()
        .list[0]
        .at;
    assert_eq!(
        list(&|q| {
            q.user_id = Some(ann.id.clone());
            q.start = Some(logout_at);
        })
        .await,
        vec![a(UserEvent::PasswordChange), a(UserEvent::Logout)]
    );
    assert_eq!(
        list(&|q| {
            q.user_id = Some(ann.id.clone());
            q.end = Some(logout_at);
        })
        .await,
        vec![
            a(UserEvent::Logout),
            a(UserEvent::Login),
            a(UserEvent::Register)
        ]
    );

    // Another pool's administrator sees none of it.
    let other = fx.core.create_pool("other").await.unwrap().user_pool_id;
    let other_admin = fx.core.operator_pool_admin(&other).await.unwrap();
    let theirs = fx
        .core
        .user_action_logs(&other_admin, &UserActionQuery::default())
        .await
        .unwrap();
    assert_eq!(theirs.total_count, 0);

    let stored = fx.stored_log_text().await;
    for pw in ["Old-passw0rd!", "New-passw0rd!", token.token.as_str()] {
        assert!(!stored.contains(pw), "{pw} in\n{stored}");
    }
    db_cleanup(fx).await;
}

async fn db_cleanup(fx: Fx) {
    fx.store.close().await;
}

backend_tests! {
    user_creation_and_deletion => user_creation_and_deletion_are_audited;
    every_hooked_change => every_hooked_admin_change_is_audited;
    unit_of_work => a_record_goes_with_its_unit_of_work;
    audit_queries => audit_queries_filter_page_and_stay_in_their_pool;
    user_actions => user_actions_are_listed_as_one_log;
}
