//! The administrator's user and pool storage on both backends: paged queries, prefix search,
//! deletion with every assignment, all-or-nothing batch writes, the login history, and the
//! pool's whitelist, custom fields and environment.

mod common;

use std::sync::Arc;

use common::TestDb;
use serde_json::json;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::directory::TargetType;
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::directory::{NewGroup, NewNode, NewRole};
use tessera_core::service::paging::Page;
use tessera_core::service::settings::WhitelistType;
use tessera_core::service::tenants::NewTenant;
use tessera_core::service::udf::{UdfDataType, UdfTarget};
use tessera_core::service::user_admin::AdminCreate;
use tessera_core::service::users::{CreatedBy, LoginContext, NewUser};
use tessera_core::store::users::{LoginEventQuery, SearchField, UserQuery};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Error};
use tessera_store::SqlStore;

struct Fx {
    core: Core,
    store: Arc<SqlStore>,
    /// The pool, as its administrator (by its secret).
    pool: PoolAdmin,
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
    let creds = core.create_pool("admin").await.unwrap();
    let pool = core
        .pool_admin_by_secret(&creds.user_pool_id, &creds.secret)
        .await
        .unwrap();
    Fx { core, store, pool }
}

impl Fx {
    async fn user(&self, username: &str) -> String {
        self.core
            .create_user(
                &self.pool,
                NewUser {
                    username: Some(username.into()),
                    ..NewUser::default()
                },
                CreatedBy::Admin,
            )
            .await
            .unwrap()
            .id
    }

    async fn count(&self, sql: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(sql)
            .fetch_one(self.store.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }
}

fn page(p: i64, l: i64) -> Page {
    Page::new(Some(p), Some(l)).unwrap()
}

async fn pages_search_and_filters(db: &TestDb) {
    let fx = setup(db).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(fx.user(&format!("alice{i}")).await);
    }
    let bob = fx.user("bob").await;
    let all = fx
        .core
        .query_users(&fx.pool, &UserQuery::default(), page(1, 100))
        .await
        .unwrap();
    assert_eq!(all.total_count, 8);
    // Pages of 3 are disjoint and cover the list in its order.
    let mut paged = Vec::new();
    for p in 1..=3 {
        let r = fx
            .core
            .query_users(&fx.pool, &UserQuery::default(), page(p, 3))
            .await
            .unwrap();
        assert_eq!(r.total_count, 8);
        paged.extend(r.list.into_iter().map(|u| u.id));
    }
    let listed: Vec<String> = all.list.iter().map(|u| u.id.clone()).collect();
    assert_eq!(paged, listed);

    let q = |k: &str, fields: Vec<SearchField>| UserQuery {
        keyword: Some(k.into()),
        fields,
        ..UserQuery::default()
    };
    let alices = fx
        .core
        .query_users(&fx.pool, &q("alice", vec![]), page(1, 100))
        .await
        .unwrap();
    assert_eq!(alices.total_count, 7);
    let none = fx
        .core
        .query_users(&fx.pool, &q("lice", vec![]), page(1, 100))
        .await
        .unwrap();
    assert_eq!(none.total_count, 0, "a prefix match, not a substring match");
    let by_nick = fx
        .core
        .query_users(
            &fx.pool,
            &q("bob", vec![SearchField::Nickname]),
            page(1, 100),
        )
        .await
        .unwrap();
    assert_eq!(by_nick.total_count, 0);

    // Group, role and department filters, and "not in any org".
    let group = fx
        .core
        .create_group(
            &fx.pool.id,
            NewGroup {
                code: "g1".into(),
                name: "G1".into(),
                description: None,
            },
        )
        .await
        .unwrap();
    fx.core
        .add_group_members(&fx.pool.id, &group.id, &[ids[0].clone()])
        .await
        .unwrap();
    let role = fx
        .core
        .create_role(
            &fx.pool.id,
            NewRole {
                code: "r1".into(),
                ..NewRole::default()
            },
        )
        .await
        .unwrap();
    fx.core
        .assign_role(&fx.pool.id, &role.id, TargetType::User, &ids[1])
        .await
        .unwrap();
    let (_, root) = fx
        .core
        .create_org(
            &fx.pool.id,
            NewNode {
                name: "Org".into(),
                ..NewNode::default()
            },
        )
        .await
        .unwrap();
    fx.core
        .add_node_members(&fx.pool.id, &root.node.id, std::slice::from_ref(&bob), true)
        .await
        .unwrap();
    let only = |q: UserQuery| {
        let core = &fx.core;
        let pool = &fx.pool;
        async move {
            core.query_users(pool, &q, page(1, 100))
                .await
                .unwrap()
                .list
                .into_iter()
                .map(|u| u.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        only(UserQuery {
            group_codes: vec!["g1".into()],
            ..UserQuery::default()
        })
        .await,
        vec![ids[0].clone()]
    );
    assert_eq!(
        only(UserQuery {
            roles: vec![("default".into(), "r1".into())],
            ..UserQuery::default()
        })
        .await,
        vec![ids[1].clone()]
    );
    assert_eq!(
        only(UserQuery {
            node_ids: vec![root.node.id.clone()],
            ..UserQuery::default()
        })
        .await,
        vec![bob.clone()]
    );
    let outside = only(UserQuery {
        exclude_in_org: true,
        ..UserQuery::default()
    })
    .await;
    assert_eq!(outside.len(), 7);
    assert!(!outside.contains(&bob));
}

async fn delete_takes_every_assignment_or_nothing(db: &TestDb) {
    let fx = setup(db).await;
    let pid = fx.pool.id.clone();
    let a = fx.user("a").await;
    let b = fx.user("b").await;
    let group = fx
        .core
        .create_group(
            &pid,
            NewGroup {
                code: "g".into(),
                name: "G".into(),
                description: None,
            },
        )
        .await
        .unwrap();
    fx.core
        .add_group_members(&pid, &group.id, &[a.clone(), b.clone()])
        .await
        .unwrap();
    let role = fx
        .core
        .create_role(
            &pid,
            NewRole {
                code: "r".into(),
                ..NewRole::default()
            },
        )
        .await
        .unwrap();
    fx.core
        .assign_role(&pid, &role.id, TargetType::User, &a)
        .await
        .unwrap();
    fx.core
        .authorize_resource(
            &pid,
            "ns",
            "doc:1",
            TargetType::User,
            &a,
            vec!["read".into()],
        )
        .await
        .unwrap();
    fx.core
        .define_udf(&pid, UdfTarget::User, "age", UdfDataType::Number, "Age")
        .await
        .unwrap();
    fx.core
        .set_udf_values(&pid, UdfTarget::User, &a, &[("age".into(), json!(3))])
        .await
        .unwrap();

    // One unknown id: nothing is deleted, not even the known user's assignments.
    assert!(matches!(
        fx.core
            .delete_users(&fx.pool, &[a.clone(), "missing".into()])
            .await,
        Err(Error::UserNotFound)
    ));
    let assigned = format!("SELECT COUNT(*) FROM role_assignments WHERE target_id = '{a}'");
    assert_eq!(fx.count(&assigned).await, 1);

    fx.core
        .delete_users(&fx.pool, std::slice::from_ref(&a))
        .await
        .unwrap();
    for table in ["role_assignments", "resource_grants", "udf_values"] {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE target_id = '{a}'");
        assert_eq!(fx.count(&sql).await, 0, "{table}");
    }
    let members = format!(
        "SELECT COUNT(*) FROM group_members WHERE group_id = '{}'",
        group.id
    );
    assert_eq!(fx.count(&members).await, 1, "only b is left in the group");
}

async fn archive_sessions_and_history(db: &TestDb) {
    let fx = setup(db).await;
    let a = fx.user("a").await;
    let b = fx.user("b").await;
    assert!(fx
        .core
        .archive_users(&fx.pool, &[a.clone(), "missing".into()])
        .await
        .is_err());
    let archived = UserQuery {
        archived: true,
        ..UserQuery::default()
    };
    let none = fx
        .core
        .query_users(&fx.pool, &archived, page(1, 10))
        .await
        .unwrap();
    assert_eq!(none.total_count, 0, "a failed batch archives nobody");
    fx.core
        .archive_users(&fx.pool, std::slice::from_ref(&a))
        .await
        .unwrap();
    let one = fx
        .core
        .query_users(&fx.pool, &archived, page(1, 10))
        .await
        .unwrap();
    assert_eq!(
        one.list.iter().map(|u| u.id.clone()).collect::<Vec<_>>(),
        vec![a.clone()]
    );
    let live = fx
        .core
        .query_users(&fx.pool, &UserQuery::default(), page(1, 10))
        .await
        .unwrap();
    assert_eq!(live.total_count, 1);

    let mut user = fx.core.user_by_id(&fx.pool.id, &b).await.unwrap();
    fx.core
        .record_login(
            &fx.pool,
            &mut user,
            &LoginContext {
                app_id: Some("app-1".into()),
                ip: Some("10.0.0.1".into()),
                ..LoginContext::default()
            },
        )
        .await
        .unwrap();
    let events = fx
        .core
        .login_events(
            &fx.pool,
            &LoginEventQuery {
                user_ids: vec![b.clone()],
                ..LoginEventQuery::default()
            },
            page(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(events.total_count, 1);
    assert_eq!(events.list[0].app_id.as_deref(), Some("app-1"));
    assert!(
        fx.core
            .user_login_status(&fx.pool, &b, None)
            .await
            .unwrap()
            .is_login
    );
    fx.core
        .end_user_sessions(&fx.pool, std::slice::from_ref(&b))
        .await
        .unwrap();
    assert!(
        !fx.core
            .user_login_status(&fx.pool, &b, None)
            .await
            .unwrap()
            .is_login
    );
}

async fn pool_lists_fields_and_env(db: &TestDb) {
    let fx = setup(db).await;
    let pid = fx.pool.id.clone();
    fx.core
        .add_whitelist(&pid, WhitelistType::Email, &["A@x.com", "b@x.com"])
        .await
        .unwrap();
    fx.core
        .remove_whitelist(&fx.pool, WhitelistType::Email, &["a@X.com".into()])
        .await
        .unwrap();
    let left: Vec<String> = fx
        .core
        .whitelist(&fx.pool, WhitelistType::Email)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.value)
        .collect();
    assert_eq!(left, vec!["b@x.com".to_owned()]);

    let u = fx.user("u").await;
    fx.core
        .define_udf(&pid, UdfTarget::User, "n", UdfDataType::Number, "N")
        .await
        .unwrap();
    // A batch with one wrong value writes none of its values.
    let bad = fx
        .core
        .set_udf_values_batch(
            &fx.pool,
            UdfTarget::User,
            &[
                (u.clone(), "n".into(), json!(1)),
                (u.clone(), "n".into(), json!("x")),
            ],
        )
        .await;
    assert!(bad.is_err());
    assert!(fx
        .core
        .udf_values(&pid, UdfTarget::User, &u)
        .await
        .unwrap()
        .is_empty());
    fx.core
        .set_udf_values_batch(
            &fx.pool,
            UdfTarget::User,
            &[(u.clone(), "n".into(), json!(2))],
        )
        .await
        .unwrap();
    fx.core
        .remove_udf(&fx.pool, UdfTarget::User, "n")
        .await
        .unwrap();
    assert_eq!(
        fx.count(&format!(
            "SELECT COUNT(*) FROM udf_values WHERE target_id = '{u}'"
        ))
        .await,
        0
    );

    fx.core
        .set_env_var(&fx.pool, "K", &json!({"a": 1}))
        .await
        .unwrap();
    fx.core.set_env_var(&fx.pool, "K", &json!(2)).await.unwrap();
    let env = fx.core.env_vars(&fx.pool).await.unwrap();
    assert_eq!(env.len(), 1);
    assert_eq!(env[0].value, "2");
    fx.core.remove_env_var(&fx.pool, "K").await.unwrap();
    assert!(fx.core.remove_env_var(&fx.pool, "K").await.is_err());

    // Identity fields and the secret persist.
    let renamed = json!({"name": "Renamed", "domain": "renamed-pool"});
    fx.core
        .update_pool(&fx.pool, renamed.as_object().unwrap())
        .await
        .unwrap();
    // The administrator as the next request proves it: with the pool as it now is.
    let admin = fx
        .core
        .pool_admin_by_secret(&pid, &fx.pool.secret)
        .await
        .unwrap();
    let secret = fx.core.refresh_pool_secret(&admin).await.unwrap();
    let stored = fx.core.pool(&pid).await.unwrap();
    assert_eq!(
        (
            stored.name.as_str(),
            stored.domain.as_str(),
            stored.secret.as_str()
        ),
        ("Renamed", "renamed-pool", secret.as_str())
    );

    // A refused pool update changes nothing.
    let before = fx.core.pool_admin_by_secret(&pid, &secret).await.unwrap();
    let input = json!({"name": "new", "tokenExpiresAfter": 0});
    assert!(fx
        .core
        .update_pool(&before, input.as_object().unwrap())
        .await
        .is_err());
    assert_eq!(&fx.core.pool(&pid).await.unwrap(), before.pool());
    // The old secret proves nothing any more.
    let e = fx.core.pool_admin_by_secret(&pid, &fx.pool.secret).await;
    assert!(matches!(e, Err(Error::Forbidden)), "{e:?}");
}

/// The unfiltered list's totalCount comes from trigger-kept counters: it must equal a real
/// count after every way users come and go (insert, bulk import, delete with a cascading
/// sub-account, archive, restore).
async fn counters_follow_every_change(db: &TestDb) {
    let fx = setup(db).await;
    let pid = fx.pool.id.clone();
    let check = |archived: bool| {
        let fx = &fx;
        let pid = pid.clone();
        async move {
            let q = UserQuery {
                archived,
                ..UserQuery::default()
            };
            let listed = fx.core.query_users(&fx.pool, &q, page(1, 1)).await.unwrap();
            let real = fx
                .count(&format!(
                    "SELECT COUNT(*) FROM users WHERE pool_id = '{pid}' AND is_deleted = {}",
                    i64::from(archived)
                ))
                .await;
            assert_eq!(listed.total_count, real, "archived = {archived}");
            real
        }
    };
    let a = fx.user("a").await;
    let b = fx.user("b").await;
    assert_eq!(check(false).await, 2);
    let primary = fx.core.user_by_id(&pid, &a).await.unwrap();
    fx.core
        .create_user(
            &fx.pool,
            NewUser {
                username: Some("a-sub".into()),
                primary_user_id: Some(primary.id.clone()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    let imported: Vec<NewUser> = (0..40)
        .map(|i| NewUser {
            username: Some(format!("bulk{i}")),
            ..NewUser::default()
        })
        .collect();
    fx.core.import_users(&fx.pool, imported).await.unwrap();
    assert_eq!(check(false).await, 43);
    fx.core
        .archive_users(&fx.pool, std::slice::from_ref(&b))
        .await
        .unwrap();
    assert_eq!(check(true).await, 1);
    fx.core
        .delete_users(&fx.pool, std::slice::from_ref(&a))
        .await
        .unwrap();
    assert_eq!(
        check(false).await,
        40,
        "the sub-account went with its primary"
    );
    fx.core
        .delete_users(&fx.pool, std::slice::from_ref(&b))
        .await
        .unwrap();
    assert_eq!(check(true).await, 0);
}

/// `createUser` with custom data, departments and a tenant is one unit of work: everything
/// or, when one part is refused (an unknown department, field or tenant, a taken username),
/// no user at all.
async fn create_with_everything_or_nothing(db: &TestDb) {
    let fx = setup(db).await;
    let pid = fx.pool.id.clone();
    fx.core
        .define_udf(&pid, UdfTarget::User, "level", UdfDataType::Number, "Level")
        .await
        .unwrap();
    let (_, root) = fx
        .core
        .create_org(
            &pid,
            NewNode {
                name: "Org".into(),
                ..NewNode::default()
            },
        )
        .await
        .unwrap();
    let team = fx
        .core
        .add_node(
            &pid,
            &root.node.org_id,
            &root.node.id,
            NewNode {
                name: "Team".into(),
                ..NewNode::default()
            },
        )
        .await
        .unwrap();
    let tenant = fx
        .core
        .create_tenant(
            &fx.pool,
            NewTenant {
                name: "t".into(),
                ..NewTenant::default()
            },
        )
        .await
        .unwrap();
    let named = |u: &str| NewUser {
        username: Some(u.into()),
        ..NewUser::default()
    };
    let full = |departments: Vec<String>, custom: Vec<(String, serde_json::Value)>| AdminCreate {
        custom_data: custom,
        departments,
        tenant_id: Some(tenant.id.clone()),
        ..AdminCreate::default()
    };
    let user = fx
        .core
        .admin_create_user(
            &fx.pool,
            named("all"),
            full(
                vec![team.node.id.clone(), root.node.id.clone()],
                vec![("level".into(), json!(3))],
            ),
        )
        .await
        .unwrap();
    let values = fx
        .core
        .udf_values(&pid, UdfTarget::User, &user.id)
        .await
        .unwrap();
    assert_eq!(values.len(), 1);
    assert_eq!(values[0].key, "level");
    let departments = fx
        .core
        .user_departments(&pid, &user.id, None)
        .await
        .unwrap();
    assert_eq!(departments.len(), 2);
    assert!(
        departments[0].is_main,
        "the first department is the main one"
    );
    assert_eq!(departments[0].node.node.id, team.node.id);
    fx.core
        .tenant_member(&fx.pool, &tenant.id, &user.id)
        .await
        .unwrap();

    let users_before = fx.count("SELECT COUNT(*) FROM users").await;
    let refusals = [
        (
            "dept",
            full(vec![team.node.id.clone(), "nowhere".into()], Vec::new()),
        ),
        ("field", full(Vec::new(), vec![("nope".into(), json!(1))])),
        (
            "value",
            full(Vec::new(), vec![("level".into(), json!("x"))]),
        ),
        (
            "tenant",
            AdminCreate {
                tenant_id: Some("no-tenant".into()),
                departments: vec![team.node.id.clone()],
                ..AdminCreate::default()
            },
        ),
        ("all", full(vec![team.node.id.clone()], Vec::new())),
    ];
    for (username, opts) in refusals {
        let e = fx
            .core
            .admin_create_user(&fx.pool, named(username), opts)
            .await;
        assert!(e.is_err(), "{username}: {e:?}");
    }
    assert_eq!(fx.count("SELECT COUNT(*) FROM users").await, users_before);
    assert_eq!(
        fx.count("SELECT COUNT(*) FROM node_members").await,
        2,
        "only the first user's memberships"
    );
    assert_eq!(fx.count("SELECT COUNT(*) FROM udf_values").await, 1);
}

backend_tests! {
    create_with => create_with_everything_or_nothing;
    counters => counters_follow_every_change;
    pages => pages_search_and_filters;
    delete_users => delete_takes_every_assignment_or_nothing;
    archive => archive_sessions_and_history;
    pool_admin => pool_lists_fields_and_env;
}
