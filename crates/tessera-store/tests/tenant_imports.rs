//! Tenant imports on both backends: one unit of work per file creates its tenants, the users
//! no email or phone finds, and the memberships, and records the import numbered per pool
//! with the rows of the users it created; a bad row anywhere (even one the store refuses
//! after earlier rows were written in the unit) writes nothing; notices go through the
//! notifier to users of that import only and are stamped on their rows; another pool's
//! import is not found; a row goes with its user.

mod common;

use std::sync::Arc;

use common::TestDb;
use sqlx::Row;
use tessera_core::model::tenant::NoticeChannel;
use tessera_core::model::UserPool;
use tessera_core::notify::{Outbox, TENANT_IMPORT_SCENE};
use tessera_core::principal::PoolAdmin;
use tessera_core::service::paging::Page;
use tessera_core::service::tenant_import::{ImportRow, NoticeRecipient};
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Error, ImportProblem};
use tessera_store::SqlStore;

struct Fx {
    core: Core,
    outbox: Arc<Outbox>,
    store: Arc<SqlStore>,
    pool: UserPool,
    admin: PoolAdmin,
    other: PoolAdmin,
}

async fn setup(db: &TestDb) -> Fx {
    let store = db.open().await;
    let dyn_store: Arc<dyn Store> = store.clone();
    let outbox = Arc::new(Outbox::default());
    let core = Core::open(
        dyn_store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: tessera_core::crypto::password::HashParams::default(),
        },
        outbox.clone(),
    )
    .await
    .expect("core");
    let a = core.create_pool("imports").await.unwrap();
    let b = core.create_pool("other").await.unwrap();
    Fx {
        pool: core.pool(&a.user_pool_id).await.unwrap(),
        admin: core
            .pool_admin_by_secret(&a.user_pool_id, &a.secret)
            .await
            .unwrap(),
        other: core
            .pool_admin_by_secret(&b.user_pool_id, &b.secret)
            .await
            .unwrap(),
        core,
        outbox,
        store,
    }
}

fn row(n: i64, tenant: &str, email: Option<&str>, phone: Option<&str>, admin: bool) -> ImportRow {
    ImportRow {
        row: n,
        tenant_name: tenant.into(),
        email: email.map(Into::into),
        phone: phone.map(Into::into),
        is_admin: admin,
        ..ImportRow::default()
    }
}

async fn count(fx: &Fx, table: &str) -> i64 {
    // `table` is one of this test's constants.
    sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(fx.store.pool())
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

async fn imports_create_tenants_and_users_once(db: &TestDb) {
    let fx = setup(db).await;
    let known = fx
        .core
        .create_user(
            &fx.pool,
            NewUser {
                phone: Some("13800000001".into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();

    let rows = vec![
        row(2, "Acme", Some("ann@example.com"), None, true),
        row(3, "Acme", None, Some("13800000001"), false),
        row(4, "Globex", Some("ANN@example.com"), None, false),
        row(
            5,
            "Globex",
            Some("bob@example.com"),
            Some("13800000002"),
            true,
        ),
    ];
    let first = fx
        .core
        .import_tenants(&fx.admin, "a1.xlsx", rows)
        .await
        .unwrap();
    assert_eq!(first.import_id, 1);
    assert_eq!(
        (
            first.tenant_count,
            first.member_count,
            first.created_user_count
        ),
        (2, 4, 2)
    );
    let mut tenants = fx
        .core
        .search_tenants(&fx.admin, None, Page::default())
        .await
        .unwrap()
        .list;
    // Created in one instant: listed in the order of their random ids.
    tenants.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<&str> = tenants.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["Acme", "Globex"]);
    let acme = &tenants[0];
    let members = fx
        .core
        .tenant_members(&fx.admin, &acme.id, Page::default())
        .await
        .unwrap()
        .list;
    assert_eq!(members.len(), 2);
    let ann = members
        .iter()
        .find(|(_, u)| u.email.as_deref() == Some("ann@example.com"))
        .expect("ann");
    assert!(ann.0.is_admin);
    assert!(
        members.iter().any(|(m, u)| u.id == known.id && !m.is_admin),
        "the existing user matched by phone"
    );

    // The notify list: the rows of the users it created (ann twice, bob), not the matched one.
    let listed = fx
        .core
        .tenant_import_users(&fx.admin, 1, Page::default())
        .await
        .unwrap();
    assert_eq!(listed.total_count, 3);
    let rows: Vec<(i64, &str)> = listed
        .list
        .iter()
        .map(|i| (i.row.row_no, i.tenant.name.as_str()))
        .collect();
    assert_eq!(rows, vec![(2, "Acme"), (4, "Globex"), (5, "Globex")]);
    assert_eq!(listed.list[0].user.id, listed.list[1].user.id);

    // Numbered per pool.
    let second = fx
        .core
        .import_tenants(
            &fx.admin,
            "a2.csv",
            vec![row(2, "Initech", Some("carl@example.com"), None, false)],
        )
        .await
        .unwrap();
    assert_eq!(second.import_id, 2);
    let theirs = fx
        .core
        .import_tenants(
            &fx.other,
            "b1.csv",
            vec![row(2, "Umbrella", Some("ann@example.com"), None, false)],
        )
        .await
        .unwrap();
    assert_eq!(theirs.import_id, 1, "another pool counts its own");
    let history = fx
        .core
        .tenant_imports(&fx.admin, Page::default())
        .await
        .unwrap();
    assert_eq!(history.total_count, 2);
    assert_eq!(history.list[0].file_name, "a2.csv", "newest first");

    // A bad row, refused by the store after the first row's tenant and user were written in
    // the unit: nothing of the file stays.
    let before = (
        count(&fx, "tenants").await,
        count(&fx, "users").await,
        count(&fx, "tenant_members").await,
        count(&fx, "tenant_imports").await,
        count(&fx, "tenant_import_users").await,
    );
    let taken = fx
        .core
        .create_user(
            &fx.pool,
            NewUser {
                username: Some("taken".into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    let mut late = row(3, "Hooli", Some("dan@example.com"), None, false);
    late.username = taken.username.clone();
    let refused = fx
        .core
        .import_tenants(
            &fx.admin,
            "bad.xlsx",
            vec![row(2, "Hooli", Some("eve@example.com"), None, true), late],
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(Error::TenantImport(ImportProblem::Row {
                row: 3,
                field: "username"
            }))
        ),
        "{refused:?}"
    );
    let after = (
        count(&fx, "tenants").await,
        count(&fx, "users").await - 1, // `taken`
        count(&fx, "tenant_members").await,
        count(&fx, "tenant_imports").await,
        count(&fx, "tenant_import_users").await,
    );
    assert_eq!(before, after, "nothing of a refused file is written");
    for bad in [
        vec![row(2, " ", Some("x@example.com"), None, false)],
        vec![row(2, "T", None, None, false)],
        vec![row(2, "T", Some("nope"), None, false)],
    ] {
        assert!(matches!(
            fx.core.import_tenants(&fx.admin, "x.csv", bad).await,
            Err(Error::TenantImport(ImportProblem::Row { row: 2, .. }))
        ));
    }
    assert!(matches!(
        fx.core.import_tenants(&fx.admin, "x.csv", vec![]).await,
        Err(Error::TenantImport(ImportProblem::NoRows))
    ));

    // Notices: to users of the import only, stamped on their rows.
    let acme_id = acme.id.clone();
    let to_ann = NoticeRecipient {
        tenant_id: acme_id.clone(),
        email: Some("Ann@Example.com".into()),
        ..NoticeRecipient::default()
    };
    let to_known = NoticeRecipient {
        tenant_id: acme_id.clone(),
        phone: Some("13800000001".into()),
        ..NoticeRecipient::default()
    };
    assert!(matches!(
        fx.core
            .notify_tenant_import(&fx.admin, 1, NoticeChannel::Sms, "Ops", &[to_known])
            .await,
        Err(Error::InvalidParameter("users"))
    ));
    assert!(fx.outbox.sms.lock().unwrap().is_empty(), "nothing sent");
    assert!(matches!(
        fx.core
            .notify_tenant_import(
                &fx.other,
                1,
                NoticeChannel::Email,
                "Ops",
                std::slice::from_ref(&to_ann)
            )
            .await,
        Err(Error::InvalidParameter("users"))
    ));
    assert!(matches!(
        fx.core
            .notify_tenant_import(
                &fx.other,
                9,
                NoticeChannel::Email,
                "Ops",
                std::slice::from_ref(&to_ann)
            )
            .await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        fx.core
            .tenant_import_users(&fx.other, 2, Page::default())
            .await,
        Err(Error::NotFound(_))
    ));
    let sent = fx
        .core
        .notify_tenant_import(
            &fx.admin,
            1,
            NoticeChannel::Email,
            "Ops",
            &[to_ann.clone(), to_ann],
        )
        .await
        .unwrap();
    assert_eq!(sent, 1, "one notice per row");
    let mails = fx.outbox.emails.lock().unwrap().clone();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].scene, TENANT_IMPORT_SCENE);
    assert_eq!(mails[0].to, "ann@example.com");
    let notice = mails[0].import_notice.clone().expect("notice");
    assert_eq!(
        (
            notice.tenant_name.as_str(),
            notice.tenant_code.as_str(),
            notice.is_admin
        ),
        ("Acme", acme.code.as_str(), true)
    );
    let to_bob = NoticeRecipient {
        tenant_id: tenants[1].id.clone(),
        phone: Some("13800000002".into()),
        phone_country_code: Some("+86".into()),
        ..NoticeRecipient::default()
    };
    fx.core
        .notify_tenant_import(&fx.admin, 1, NoticeChannel::Sms, "Ops", &[to_bob])
        .await
        .unwrap();
    assert_eq!(fx.outbox.sms.lock().unwrap()[0].phone, "13800000002");
    let stamped: Vec<(i64, bool, bool)> = fx
        .core
        .tenant_import_users(&fx.admin, 1, Page::default())
        .await
        .unwrap()
        .list
        .iter()
        .map(|i| {
            (
                i.row.row_no,
                i.row.email_notified_at.is_some(),
                i.row.sms_notified_at.is_some(),
            )
        })
        .collect();
    assert_eq!(
        stamped,
        vec![(2, true, false), (4, false, false), (5, false, true)]
    );

    // A row goes with its user.
    let bob_id = listed.list[2].user.id.clone();
    fx.core.delete_users(&fx.admin, &[bob_id]).await.unwrap();
    assert_eq!(
        fx.core
            .tenant_import_users(&fx.admin, 1, Page::default())
            .await
            .unwrap()
            .total_count,
        2
    );
}

backend_tests! {
    imports => imports_create_tenants_and_users_once;
}
