//! The management side of the directory on both backends: deletes that remove everything
//! naming the deleted row in one transaction, role-parent loops and org-move cycles refused
//! (also when two edits race), all-or-nothing grant batches, pages with exact totals, and
//! pool isolation.

mod common;

use std::sync::Arc;

use common::TestDb;
use serde_json::json;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::directory::{ResourceAction, ResourceType, TargetType};
use tessera_core::model::directory_admin::{PolicyEffect, PolicyStatement};
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::acl_admin::{GrantBatch, GrantTarget, ResourceInput};
use tessera_core::service::directory::{NewGroup, NewNode, NewRole};
use tessera_core::service::directory_admin::{RoleHolders, RoleUpdate};
use tessera_core::service::org_admin::NodeUpdate;
use tessera_core::service::paging::Page;
use tessera_core::service::udf::{UdfDataType, UdfTarget};
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::directory::Order;
use tessera_core::store::{Store, Units};
use tessera_core::{Core, CoreConfig, Entity, Error};
use tessera_store::SqlStore;

struct Fx {
    core: Arc<Core>,
    store: Arc<SqlStore>,
    pool: String,
    /// The administrator of `pool`, for the management services.
    admin: PoolAdmin,
    app: String,
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
    let admin = core
        .pool_admin_by_secret(&creds.user_pool_id, &creds.secret)
        .await
        .unwrap();
    Fx {
        core: Arc::new(core),
        store,
        admin,
        pool: creds.user_pool_id,
        app: creds.app_id,
    }
}

fn page(page: i64, limit: i64) -> Page {
    Page::new(Some(page), Some(limit)).unwrap()
}

fn node(name: &str, code: Option<&str>) -> NewNode {
    NewNode {
        name: name.into(),
        code: code.map(Into::into),
        ..NewNode::default()
    }
}

impl Fx {
    async fn user(&self, name: &str) -> String {
        self.user_in(&self.pool.clone(), name).await
    }

    async fn user_in(&self, pool_id: &str, name: &str) -> String {
        let pool = self.core.pool(pool_id).await.unwrap();
        self.core
            .create_user(
                &pool,
                NewUser {
                    username: Some(name.into()),
                    ..NewUser::default()
                },
                CreatedBy::Admin,
            )
            .await
            .unwrap()
            .id
    }

    async fn role(&self, code: &str, parent: Option<&str>) -> String {
        self.core
            .create_role(
                &self.pool,
                NewRole {
                    code: code.into(),
                    parent_code: parent.map(Into::into),
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
                &self.pool,
                NewGroup {
                    code: code.into(),
                    name: code.to_uppercase(),
                    description: None,
                },
            )
            .await
            .unwrap()
            .id
    }

    async fn grant(&self, resource: &str, t: TargetType, identifier: &str, actions: &[&str]) {
        self.core
            .authorize_targets(
                &self.admin,
                "ns",
                resource,
                None,
                &[GrantTarget {
                    target_type: t,
                    identifier: identifier.into(),
                    actions: actions.iter().map(|a| (*a).to_owned()).collect(),
                }],
            )
            .await
            .unwrap();
    }

    async fn allowed(&self, user: &str, resource: &str, action: &str) -> bool {
        self.core
            .is_allowed(&self.pool, user, Some("ns"), resource, action)
            .await
            .unwrap()
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

    /// Rows of every table that can name a target by id.
    async fn rows_naming(&self, id: &str) -> i64 {
        let mut n = 0;
        for table in [
            "role_assignments",
            "resource_grants",
            "app_access_policies",
            "policy_assignments",
            "udf_values",
        ] {
            n += self
                .count(&format!(
                    "SELECT COUNT(*) FROM {table} WHERE target_id = '{id}'"
                ))
                .await;
        }
        n
    }

    async fn parent_code(&self, code: &str) -> Option<String> {
        let role = self
            .core
            .role_required(&self.admin, None, code)
            .await
            .unwrap();
        self.core
            .role_parent(&self.admin, &role)
            .await
            .unwrap()
            .map(|p| p.code)
    }

    async fn parent(&self, code: &str, parent: &str) -> Result<(), Error> {
        self.core
            .update_role(
                &self.admin,
                None,
                code,
                RoleUpdate {
                    parent_code: Some(parent.into()),
                    ..RoleUpdate::default()
                },
            )
            .await
            .map(|_| ())
    }
}

async fn deleting_a_role_removes_everything_naming_it(db: &TestDb) {
    let fx = setup(db).await;
    fx.core
        .define_udf(&fx.pool, UdfTarget::Role, "level", UdfDataType::Number, "L")
        .await
        .unwrap();
    let user = fx.user("u").await;
    let group = fx.group("g").await;
    let role = fx.role("boss", None).await;
    let child = fx.role("deputy", Some("boss")).await;
    fx.core
        .set_role_holders(
            &fx.admin,
            None,
            &["boss".into()],
            &RoleHolders {
                user_ids: vec![user.clone()],
                group_codes: vec!["g".into()],
                node_codes: vec![],
            },
            true,
        )
        .await
        .unwrap();
    fx.grant("safe", TargetType::Role, "boss", &["open"]).await;
    fx.core
        .set_app_access(&fx.pool, &fx.app, TargetType::Role, &role, false)
        .await
        .unwrap();
    let policy = PolicyStatement {
        resource: "safe".into(),
        actions: vec!["open".into()],
        effect: PolicyEffect::Allow,
        condition: vec![],
    };
    fx.core
        .create_policy(&fx.admin, None, "p", None, vec![policy])
        .await
        .unwrap();
    fx.core
        .set_policy_assignments(
            &fx.admin,
            None,
            &["p".into()],
            TargetType::Role,
            &["boss".into()],
            true,
        )
        .await
        .unwrap();
    fx.core
        .set_udf_values(
            &fx.pool,
            UdfTarget::Role,
            &role,
            &[("level".into(), json!(3))],
        )
        .await
        .unwrap();
    assert!(fx.allowed(&user, "safe", "open").await);
    assert_eq!(fx.rows_naming(&role).await, 4, "grant, rule, policy, value");
    assert_eq!(
        fx.count(&format!(
            "SELECT COUNT(*) FROM role_assignments WHERE role_id = '{role}'"
        ))
        .await,
        2
    );

    // One unknown code among them: nothing is deleted.
    let e = fx
        .core
        .delete_roles(&fx.admin, None, &["boss".into(), "nope".into()])
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Role))), "{e:?}");
    assert_eq!(fx.rows_naming(&role).await, 4);

    fx.core
        .delete_roles(&fx.admin, None, &["boss".into()])
        .await
        .unwrap();
    assert_eq!(fx.rows_naming(&role).await, 0);
    assert_eq!(
        fx.count(&format!(
            "SELECT COUNT(*) FROM role_assignments WHERE role_id = '{role}'"
        ))
        .await,
        0
    );
    assert_eq!(
        fx.parent_code("deputy").await,
        None,
        "children lose their parent"
    );
    assert!(!fx.allowed(&user, "safe", "open").await);
    let _ = (child, group);
}

async fn role_parent_loops_are_refused(db: &TestDb) {
    let fx = setup(db).await;
    fx.role("a", None).await;
    fx.role("b", Some("a")).await;
    fx.role("c", Some("b")).await;
    for (code, parent) in [("a", "c"), ("a", "b"), ("a", "a"), ("b", "c")] {
        let e = fx.parent(code, parent).await;
        assert!(
            matches!(e, Err(Error::RoleParentLoop)),
            "{code} under {parent}: {e:?}"
        );
    }
    assert_eq!(fx.parent_code("a").await, None, "nothing changed");
    assert_eq!(fx.parent_code("c").await.as_deref(), Some("b"));
    // A parent must be a role of the same namespace.
    fx.core
        .create_role(
            &fx.pool,
            NewRole {
                namespace: Some("other".into()),
                code: "x".into(),
                ..NewRole::default()
            },
        )
        .await
        .unwrap();
    let e = fx.parent("a", "x").await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Role))), "{e:?}");
    // Re-parenting and clearing work.
    fx.parent("c", "a").await.unwrap();
    assert_eq!(fx.parent_code("c").await.as_deref(), Some("a"));
    fx.parent("c", "").await.unwrap();
    assert_eq!(fx.parent_code("c").await, None);

    // Two racing edits, each fine alone, would close a loop together: at most one wins.
    for i in 0..5 {
        let (p, q) = (format!("p{i}"), format!("q{i}"));
        fx.role(&p, None).await;
        fx.role(&q, None).await;
        let (c1, c2) = (fx.core.clone(), fx.core.clone());
        let (pool1, pool2) = (fx.admin.clone(), fx.admin.clone());
        let (p1, q1, p2, q2) = (p.clone(), q.clone(), p.clone(), q.clone());
        let one = tokio::spawn(async move {
            c1.update_role(
                &pool1,
                None,
                &p1,
                RoleUpdate {
                    parent_code: Some(q1),
                    ..RoleUpdate::default()
                },
            )
            .await
        });
        let two = tokio::spawn(async move {
            c2.update_role(
                &pool2,
                None,
                &q2,
                RoleUpdate {
                    parent_code: Some(p2),
                    ..RoleUpdate::default()
                },
            )
            .await
        });
        let (r1, r2) = (one.await.unwrap(), two.await.unwrap());
        assert!(r1.is_err() || r2.is_err(), "both edits won: a loop");
        let linked = [
            fx.parent_code(&p).await.as_deref() == Some(q.as_str()),
            fx.parent_code(&q).await.as_deref() == Some(p.as_str()),
        ];
        assert_ne!(linked, [true, true]);
    }
}

async fn org_moves_refuse_cycles_even_when_racing(db: &TestDb) {
    let fx = setup(db).await;
    let tree = fx
        .core
        .create_org_tree(&fx.admin, node("Root", Some("root")), None)
        .await
        .unwrap();
    let org = tree.record.org.id.clone();
    let root = tree.record.org.root_node_id.clone();
    let a = fx
        .core
        .add_org_node(&fx.admin, &org, None, node("A", Some("a")))
        .await
        .unwrap()
        .node
        .id;
    let a1 = fx
        .core
        .add_org_node(&fx.admin, &org, Some(&a), node("A1", None))
        .await
        .unwrap()
        .node
        .id;
    let b = fx
        .core
        .add_org_node(&fx.admin, &org, Some(&root), node("B", Some("b")))
        .await
        .unwrap()
        .node
        .id;
    for (n, p) in [(&a, &a1), (&a, &a), (&root, &b)] {
        let e = fx.core.move_org_node(&fx.admin, &org, n, p).await;
        assert!(matches!(e, Err(Error::NodeMoveLoop)), "{e:?}");
    }
    let moved = fx
        .core
        .move_org_node(&fx.admin, &org, &a, &b)
        .await
        .unwrap();
    let view = moved.nodes.iter().find(|n| n.node.id == a1).unwrap();
    assert_eq!(view.path, [root.clone(), b.clone(), a.clone(), a1.clone()]);
    assert_eq!(moved.nodes.iter().filter(|n| n.root).count(), 1);

    // A node of another organization is not a parent here.
    let other = fx
        .core
        .create_org_tree(&fx.admin, node("Other", None), None)
        .await
        .unwrap();
    let e = fx
        .core
        .move_org_node(&fx.admin, &org, &a, &other.record.org.root_node_id)
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::OrgNode))), "{e:?}");

    // X and Y siblings: "X under Y" and "Y under X" racing must not both win.
    for i in 0..5 {
        let x = fx
            .core
            .add_org_node(&fx.admin, &org, Some(&root), node(&format!("X{i}"), None))
            .await
            .unwrap()
            .node
            .id;
        let y = fx
            .core
            .add_org_node(&fx.admin, &org, Some(&root), node(&format!("Y{i}"), None))
            .await
            .unwrap()
            .node
            .id;
        let (c1, c2) = (fx.core.clone(), fx.core.clone());
        let (p1, p2, o1, o2) = (fx.admin.clone(), fx.admin.clone(), org.clone(), org.clone());
        let (x1, y1, x2, y2) = (x.clone(), y.clone(), x.clone(), y.clone());
        let one = tokio::spawn(async move { c1.move_org_node(&p1, &o1, &x1, &y1).await });
        let two = tokio::spawn(async move { c2.move_org_node(&p2, &o2, &y2, &x2).await });
        let (r1, r2) = (one.await.unwrap(), two.await.unwrap());
        assert!(r1.is_err() || r2.is_err(), "both moves won: a cycle");
        let tree = fx.core.org_tree(&fx.admin, &org).await.unwrap();
        // Every node is still reachable from the one root.
        let count = fx
            .count(&format!(
                "SELECT COUNT(*) FROM org_nodes WHERE org_id = '{org}'"
            ))
            .await;
        assert_eq!(tree.nodes.len() as i64, count);
    }
}

async fn deleting_nodes_and_orgs_removes_what_names_them(db: &TestDb) {
    let fx = setup(db).await;
    let user = fx.user("u").await;
    let tree = fx
        .core
        .create_org_tree(&fx.admin, node("Root", Some("root")), None)
        .await
        .unwrap();
    let org = tree.record.org.id.clone();
    let root = tree.record.org.root_node_id.clone();
    let a = fx
        .core
        .add_org_node(&fx.admin, &org, None, node("A", Some("a")))
        .await
        .unwrap()
        .node
        .id;
    let a1 = fx
        .core
        .add_org_node(&fx.admin, &org, Some(&a), node("A1", Some("a1")))
        .await
        .unwrap()
        .node
        .id;
    fx.core
        .add_node_members(&fx.pool, &a1, std::slice::from_ref(&user), true)
        .await
        .unwrap();
    fx.role("r", None).await;
    fx.core
        .set_role_holders(
            &fx.admin,
            None,
            &["r".into()],
            &RoleHolders {
                node_codes: vec!["a1".into()],
                ..RoleHolders::default()
            },
            true,
        )
        .await
        .unwrap();
    fx.grant("lab", TargetType::OrgNode, &a, &["enter"]).await;
    fx.core
        .set_app_access(&fx.pool, &fx.app, TargetType::OrgNode, &a1, true)
        .await
        .unwrap();
    assert!(fx.allowed(&user, "lab", "enter").await);
    assert_eq!(fx.rows_naming(&a).await + fx.rows_naming(&a1).await, 3);

    let e = fx.core.delete_org_node(&fx.admin, &org, &root).await;
    assert!(matches!(e, Err(Error::RootNodeDelete)), "{e:?}");
    fx.core.delete_org_node(&fx.admin, &org, &a).await.unwrap();
    assert_eq!(fx.rows_naming(&a).await + fx.rows_naming(&a1).await, 0);
    assert_eq!(fx.count("SELECT COUNT(*) FROM node_members").await, 0);
    assert_eq!(
        fx.count(&format!(
            "SELECT COUNT(*) FROM org_nodes WHERE org_id = '{org}'"
        ))
        .await,
        1
    );
    assert!(!fx.allowed(&user, "lab", "enter").await);

    fx.core
        .add_node_members(&fx.pool, &root, std::slice::from_ref(&user), true)
        .await
        .unwrap();
    fx.grant("hall", TargetType::OrgNode, &root, &["walk"])
        .await;
    fx.core.delete_org(&fx.admin, &org).await.unwrap();
    assert_eq!(fx.rows_naming(&root).await, 0);
    assert_eq!(fx.count("SELECT COUNT(*) FROM node_members").await, 0);
    assert_eq!(fx.count("SELECT COUNT(*) FROM org_nodes").await, 0);
    assert_eq!(fx.count("SELECT COUNT(*) FROM orgs").await, 0);
    let e = fx.core.delete_org(&fx.admin, &org).await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Org))), "{e:?}");
}

async fn grant_batches_are_all_or_nothing(db: &TestDb) {
    let fx = setup(db).await;
    let user = fx.user("u").await;
    fx.group("g").await;
    let batch = |identifiers: Vec<&str>, t: TargetType, actions: &[&str]| GrantBatch {
        target_type: t,
        identifiers: identifiers.into_iter().map(Into::into).collect(),
        resources: vec![(
            "doc:1".into(),
            actions.iter().map(|a| (*a).to_owned()).collect(),
            Some(ResourceType::Data),
        )],
    };
    let good = vec![
        batch(vec![&user], TargetType::User, &["read"]),
        batch(vec!["g"], TargetType::Group, &["write"]),
    ];
    let mut bad = good.clone();
    bad.push(batch(vec!["missing"], TargetType::Group, &["x"]));
    let e = fx.core.grant_batches(&fx.admin, "ns", &bad, false).await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Group))), "{e:?}");
    assert_eq!(fx.count("SELECT COUNT(*) FROM resource_grants").await, 0);

    fx.core
        .grant_batches(&fx.admin, "ns", &good, false)
        .await
        .unwrap();
    assert!(fx.allowed(&user, "doc:1", "read").await);
    // `allow` adds an action, revoking one action keeps the others.
    fx.core
        .allow_action(
            &fx.admin,
            Some("ns"),
            "doc:1",
            "share",
            std::slice::from_ref(&user),
            &[],
        )
        .await
        .unwrap();
    assert!(fx.allowed(&user, "doc:1", "share").await);
    assert!(fx.allowed(&user, "doc:1", "read").await);
    fx.core
        .grant_batches(
            &fx.admin,
            "ns",
            &[batch(vec![&user], TargetType::User, &["read"])],
            true,
        )
        .await
        .unwrap();
    assert!(!fx.allowed(&user, "doc:1", "read").await);
    assert!(fx.allowed(&user, "doc:1", "share").await);
    // Revoking the last action (or naming none) removes the grant.
    fx.core
        .grant_batches(
            &fx.admin,
            "ns",
            &[batch(vec![&user], TargetType::User, &[])],
            true,
        )
        .await
        .unwrap();
    assert_eq!(
        fx.count(&format!(
            "SELECT COUNT(*) FROM resource_grants WHERE target_id = '{user}'"
        ))
        .await,
        0
    );
    let holders = fx
        .core
        .resource_holders(&fx.admin, "ns", "doc:1", None, None, None)
        .await
        .unwrap();
    assert_eq!(holders.len(), 1);
    assert_eq!(holders[0].identifier, "g", "groups are shown by code");
}

async fn pages_have_exact_totals_in_a_stable_order(db: &TestDb) {
    let fx = setup(db).await;
    let mut codes = Vec::new();
    for i in 0..7 {
        let c = format!("r{i}");
        fx.role(&c, None).await;
        codes.push(c);
    }
    let mut seen = Vec::new();
    for p in 1..=4 {
        let got = fx
            .core
            .list_roles(&fx.admin, Some("default"), page(p, 2), Order::Oldest)
            .await
            .unwrap();
        assert_eq!(got.total_count, 7);
        seen.extend(got.list.into_iter().map(|r| r.code));
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 7, "no role twice, none missing: {seen:?}");
    let newest = fx
        .core
        .list_roles(&fx.admin, None, page(1, 100), Order::Newest)
        .await
        .unwrap();
    let oldest = fx
        .core
        .list_roles(&fx.admin, None, page(1, 100), Order::Oldest)
        .await
        .unwrap();
    let mut reversed: Vec<String> = newest.list.into_iter().map(|r| r.id).collect();
    reversed.reverse();
    assert_eq!(
        reversed,
        oldest.list.into_iter().map(|r| r.id).collect::<Vec<_>>()
    );
    assert!(Page::new(Some(1), Some(1_000_000_000)).is_err());
    assert!(Page::new(Some(-1), Some(10)).is_err());

    for i in 0..3 {
        fx.group(&format!("g{i}")).await;
        fx.core
            .create_resource_full(
                &fx.admin,
                ResourceInput {
                    namespace: "ns".into(),
                    code: format!("res{i}"),
                    resource_type: Some(if i == 0 {
                        ResourceType::Menu
                    } else {
                        ResourceType::Data
                    }),
                    actions: Some(vec![ResourceAction {
                        name: "a".into(),
                        description: None,
                    }]),
                    ..ResourceInput::default()
                },
            )
            .await
            .unwrap();
    }
    // Rows made in the same millisecond fall back to their ids: still one fixed order.
    let all = fx
        .core
        .list_groups(&fx.admin, page(1, 10), Order::Oldest)
        .await
        .unwrap();
    let last = fx
        .core
        .list_groups(&fx.admin, page(2, 2), Order::Oldest)
        .await
        .unwrap();
    assert_eq!((all.total_count, last.total_count), (3, 3));
    assert_eq!(last.list.len(), 1);
    assert_eq!(last.list[0].id, all.list[2].id);
    let data = fx
        .core
        .list_resources(&fx.admin, Some("ns"), Some(ResourceType::Data), page(1, 10))
        .await
        .unwrap();
    assert_eq!(data.total_count, 2);
    let members: Vec<String> = {
        let mut v = Vec::new();
        for i in 0..3 {
            v.push(fx.user(&format!("m{i}")).await);
        }
        v
    };
    let g = fx.core.group_required(&fx.admin, "g0").await.unwrap();
    fx.core
        .add_group_members(&fx.pool, &g.id, &members)
        .await
        .unwrap();
    let p1 = fx
        .core
        .group_users(&fx.admin, &g.id, page(1, 2))
        .await
        .unwrap();
    let p2 = fx
        .core
        .group_users(&fx.admin, &g.id, page(2, 2))
        .await
        .unwrap();
    assert_eq!((p1.total_count, p2.total_count), (3, 3));
    let mut all: Vec<String> = p1.list.into_iter().chain(p2.list).map(|u| u.id).collect();
    all.sort();
    let mut expected = members.clone();
    expected.sort();
    assert_eq!(all, expected);
}

async fn other_pools_rows_are_absent(db: &TestDb) {
    let fx = setup(db).await;
    let other = fx.core.create_pool("other").await.unwrap();
    let op = other.user_pool_id.clone();
    let other_admin = fx
        .core
        .pool_admin_by_secret(&op, &other.secret)
        .await
        .unwrap();
    let role = fx.role("r", None).await;
    fx.group("g").await;
    let tree = fx
        .core
        .create_org_tree(&fx.admin, node("Root", Some("root")), None)
        .await
        .unwrap();
    let root = tree.record.org.root_node_id.clone();
    let theirs = fx.user_in(&op, "them").await;

    // Their token finds none of our rows by code or id.
    assert!(fx
        .core
        .role_by_code(&other_admin, None, "r")
        .await
        .unwrap()
        .is_none());
    let e = fx
        .core
        .delete_roles(&other_admin, None, &["r".into()])
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Role))), "{e:?}");
    // A unit of work of their pool deletes nothing of ours when handed our id.
    let mut tx = fx.store.begin_pool_write(&op).await.unwrap();
    tx.delete_roles(&op, std::slice::from_ref(&role))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        fx.core.role_by_id(&fx.admin, &role).await.is_ok(),
        "a foreign id deletes nothing"
    );
    let e = fx.core.delete_groups(&other_admin, &["g".into()]).await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Group))), "{e:?}");
    assert!(fx
        .core
        .node_by_id(&other_admin, &root)
        .await
        .unwrap()
        .is_none());
    let e = fx.core.org_tree(&other_admin, &tree.record.org.id).await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Org))), "{e:?}");
    let e = fx
        .core
        .ensure_udf_target(&other_admin, UdfTarget::Role, &role)
        .await;
    assert!(matches!(e, Err(Error::NotFound(_))), "{e:?}");
    // Our rows cannot take their users.
    let e = fx
        .core
        .set_role_holders(
            &fx.admin,
            None,
            &["r".into()],
            &RoleHolders {
                user_ids: vec![theirs.clone()],
                ..RoleHolders::default()
            },
            true,
        )
        .await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");
    let e = fx
        .core
        .grant_batches(
            &fx.admin,
            "ns",
            &[GrantBatch {
                target_type: TargetType::User,
                identifiers: vec![theirs],
                resources: vec![("x".into(), vec!["y".into()], None)],
            }],
            false,
        )
        .await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");
    let e = fx
        .core
        .programmatic_accounts(&other_admin, &fx.app, page(1, 10))
        .await;
    assert!(matches!(e, Err(Error::AppNotFound)), "{e:?}");
}

async fn members_move_with_their_main_department(db: &TestDb) {
    let fx = setup(db).await;
    let user = fx.user("u").await;
    let tree = fx
        .core
        .create_org_tree(&fx.admin, node("Root", None), None)
        .await
        .unwrap();
    let org = tree.record.org.id.clone();
    let a = fx
        .core
        .add_org_node(&fx.admin, &org, None, node("A", None))
        .await
        .unwrap()
        .node
        .id;
    let b = fx
        .core
        .add_org_node(&fx.admin, &org, None, node("B", None))
        .await
        .unwrap()
        .node
        .id;
    fx.core
        .add_node_members(&fx.pool, &a, std::slice::from_ref(&user), true)
        .await
        .unwrap();
    let e = fx
        .core
        .set_main_department(&fx.admin, &user, Some(&b))
        .await;
    assert!(matches!(e, Err(Error::MainDepartmentNotJoined)), "{e:?}");
    fx.core
        .move_org_members(&fx.admin, std::slice::from_ref(&user), &a, &b)
        .await
        .unwrap();
    let deps = fx
        .core
        .user_departments(&fx.pool, &user, None)
        .await
        .unwrap();
    assert_eq!(deps.len(), 1);
    assert_eq!(deps[0].node.node.id, b);
    assert!(deps[0].is_main);
    // Not a member of the source: nothing moves.
    let e = fx
        .core
        .move_org_members(&fx.admin, std::slice::from_ref(&user), &a, &b)
        .await;
    assert!(matches!(e, Err(Error::MoveOfNonMember)), "{e:?}");
    fx.core
        .set_main_department(&fx.admin, &user, None)
        .await
        .unwrap();
    let deps = fx
        .core
        .user_departments(&fx.pool, &user, None)
        .await
        .unwrap();
    assert!(!deps[0].is_main);
}

async fn imports_are_all_or_nothing(db: &TestDb) {
    let fx = setup(db).await;
    let bad = json!({"name": "Corp", "code": "c", "children": [
        {"name": "A", "code": "same"}, {"name": "B", "code": "same"}]});
    let e = fx.core.import_org(&fx.admin, &bad).await;
    assert!(matches!(e, Err(Error::Duplicate(_))), "{e:?}");
    assert_eq!(fx.count("SELECT COUNT(*) FROM orgs").await, 0);
    assert_eq!(fx.count("SELECT COUNT(*) FROM org_nodes").await, 0);
    let good = json!({"name": "Corp", "nameI18n": {"en": "Corp"}, "children": [
        {"name": "A", "children": [{"name": "A1"}]}, {"name": "B"}]});
    let tree = fx.core.import_org(&fx.admin, &good).await.unwrap();
    assert_eq!(tree.nodes.len(), 4);
    assert_eq!(tree.nodes[0].node.name, "Corp");
    assert_eq!(
        tree.nodes[0].node.name_i18n.as_deref(),
        Some(r#"{"en":"Corp"}"#)
    );
    let names: Vec<&str> = tree.nodes.iter().map(|n| n.node.name.as_str()).collect();
    assert_eq!(
        names,
        ["Corp", "A", "B", "A1"],
        "breadth first, siblings in order"
    );
    let mut deep = json!({"name": "leaf"});
    for i in 0..70 {
        deep = json!({"name": format!("n{i}"), "children": [deep]});
    }
    let e = fx.core.import_org(&fx.admin, &deep).await;
    assert!(
        matches!(e, Err(Error::InvalidParameter("children"))),
        "{e:?}"
    );
}

async fn namespaces_carry_their_contents(db: &TestDb) {
    let fx = setup(db).await;
    let user = fx.user("u").await;
    fx.core
        .create_namespace_full(&fx.admin, "ns", None, None)
        .await
        .unwrap();
    fx.core
        .create_role(
            &fx.pool,
            NewRole {
                namespace: Some("ns".into()),
                code: "r".into(),
                ..NewRole::default()
            },
        )
        .await
        .unwrap();
    fx.core
        .set_role_holders(
            &fx.admin,
            Some("ns"),
            &["r".into()],
            &RoleHolders {
                user_ids: vec![user.clone()],
                ..RoleHolders::default()
            },
            true,
        )
        .await
        .unwrap();
    fx.grant("doc", TargetType::Role, "r", &["read"]).await;
    fx.core
        .update_namespace(&fx.admin, "ns", Some("ns2".into()), None, None)
        .await
        .unwrap();
    assert!(fx
        .core
        .is_allowed(&fx.pool, &user, Some("ns2"), "doc", "read")
        .await
        .unwrap());
    assert!(fx
        .core
        .role_by_code(&fx.admin, Some("ns2"), "r")
        .await
        .unwrap()
        .is_some());
    fx.core.delete_namespace(&fx.admin, "ns2").await.unwrap();
    assert!(fx
        .core
        .role_by_code(&fx.admin, Some("ns2"), "r")
        .await
        .unwrap()
        .is_none());
    assert_eq!(fx.count("SELECT COUNT(*) FROM resource_grants").await, 0);
    assert_eq!(fx.count("SELECT COUNT(*) FROM role_assignments").await, 0);
}

async fn orgs_of_a_tenant(db: &TestDb) {
    let fx = setup(db).await;
    sqlx::query(
        "INSERT INTO tenants (id, pool_id, name, created_at, updated_at) \
         VALUES ('t1', $1, 'Tenant', 0, 0)",
    )
    .bind(&fx.pool)
    .execute(fx.store.pool())
    .await
    .unwrap();
    let tree = fx
        .core
        .create_org_tree(&fx.admin, node("T", None), Some("t1".into()))
        .await
        .unwrap();
    assert_eq!(tree.record.tenant_id.as_deref(), Some("t1"));
    fx.core
        .create_org_tree(&fx.admin, node("Untenanted", None), None)
        .await
        .unwrap();
    let mine = fx.core.orgs_of_tenant(&fx.admin, "t1").await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].record.org.id, tree.record.org.id);
    // Another pool's tenant is no tenant here: nothing is created.
    let other = fx.core.create_pool("other").await.unwrap();
    let other_admin = fx
        .core
        .pool_admin_by_secret(&other.user_pool_id, &other.secret)
        .await
        .unwrap();
    let e = fx
        .core
        .create_org_tree(&other_admin, node("X", None), Some("t1".into()))
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Tenant))), "{e:?}");
    assert_eq!(fx.count("SELECT COUNT(*) FROM orgs").await, 2);
    assert!(fx
        .core
        .orgs_of_tenant(&other_admin, "t1")
        .await
        .unwrap()
        .is_empty());
}

/// The v3 wire's organization codes and department sets: a code names one organization,
/// a set of departments replaces the user's memberships in one unit (all or nothing), and
/// members page newest first when asked.
async fn coded_orgs_and_department_sets(db: &TestDb) {
    let fx = setup(db).await;
    let (u, v) = (fx.user("u").await, fx.user("v").await);
    let tree = fx
        .core
        .create_coded_org(&fx.admin, node("Corp", Some("corp")), None)
        .await
        .unwrap();
    let org = tree.record.org.id.clone();
    let e = fx
        .core
        .create_coded_org(&fx.admin, node("Corp 2", Some("corp")), None)
        .await;
    assert!(matches!(e, Err(Error::Duplicate(Entity::OrgCode))), "{e:?}");
    let e = fx
        .core
        .create_coded_org(&fx.admin, node("No code", None), None)
        .await;
    assert!(matches!(e, Err(Error::MissingParameter(_))), "{e:?}");
    assert_eq!(fx.count("SELECT COUNT(*) FROM orgs").await, 1);
    // Racing creates of one code leave at most one organization with it.
    for i in 0..4 {
        let c = format!("race{i}");
        let (x, y) = tokio::join!(
            fx.core
                .create_coded_org(&fx.admin, node("X", Some(&c)), None),
            fx.core
                .create_coded_org(&fx.admin, node("Y", Some(&c)), None),
        );
        assert!(x.is_err() || y.is_err(), "{x:?} {y:?}");
        let roots = fx
            .count(&format!(
                "SELECT COUNT(*) FROM org_nodes WHERE code = '{c}' AND parent_id IS NULL"
            ))
            .await;
        assert!(roots <= 1, "{roots} organizations named {c}");
        let orgs = fx.count("SELECT COUNT(*) FROM orgs").await;
        assert_eq!(orgs, 1 + roots);
        if roots == 1 {
            fx.core
                .delete_org(
                    &fx.admin,
                    &fx.core
                        .org_by_code(&fx.admin, &c)
                        .await
                        .unwrap()
                        .record
                        .org
                        .id,
                )
                .await
                .unwrap();
        }
    }
    // A department's code is not an organization's.
    let a = fx
        .core
        .add_org_node(&fx.admin, &org, None, node("A", Some("a")))
        .await
        .unwrap()
        .node
        .id;
    let e = fx.core.org_by_code(&fx.admin, "a").await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Org))), "{e:?}");
    assert_eq!(
        fx.core
            .org_by_code(&fx.admin, "corp")
            .await
            .unwrap()
            .record
            .org
            .id,
        org
    );
    let b = fx
        .core
        .add_org_node(&fx.admin, &org, None, node("B", None))
        .await
        .unwrap()
        .node
        .id;
    let root = tree.root().unwrap().node.id.clone();
    // An edit's fields and move land together or not at all.
    let a1 = fx
        .core
        .add_org_node(&fx.admin, &org, Some(&a), node("A1", Some("a1")))
        .await
        .unwrap()
        .node
        .id;
    let rename = |name: &str, code: Option<&str>| NodeUpdate {
        name: Some(name.into()),
        code: code.map(Into::into),
        ..NodeUpdate::default()
    };
    let e = fx
        .core
        .edit_org_node(&fx.admin, &org, &a, rename("A renamed", None), Some(&a1))
        .await;
    assert!(matches!(e, Err(Error::NodeMoveLoop)), "{e:?}");
    let e = fx
        .core
        .edit_org_node(
            &fx.admin,
            &org,
            &a1,
            rename("A1 renamed", Some("a")),
            Some(&b),
        )
        .await;
    assert!(matches!(e, Err(Error::Duplicate(_))), "{e:?}");
    let e = fx
        .core
        .edit_org_node(
            &fx.admin,
            &org,
            &a1,
            rename("A1 renamed", None),
            Some("nope"),
        )
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::OrgNode))), "{e:?}");
    let still = fx.core.org_tree(&fx.admin, &org).await.unwrap();
    let find = |t: &tessera_core::service::org_admin::OrgTree, id: &str| {
        t.nodes.iter().find(|n| n.node.id == id).unwrap().clone()
    };
    assert_eq!(find(&still, &a).node.name, "A");
    assert_eq!(find(&still, &a1).node.name, "A1");
    assert_eq!(
        find(&still, &a1).node.parent_id.as_deref(),
        Some(a.as_str())
    );
    let moved = fx
        .core
        .edit_org_node(
            &fx.admin,
            &org,
            &a1,
            rename("A1 renamed", Some("a1x")),
            Some(&b),
        )
        .await
        .unwrap();
    assert_eq!(moved.node.name, "A1 renamed");
    assert_eq!(moved.node.code.as_deref(), Some("a1x"));
    assert_eq!(moved.node.parent_id.as_deref(), Some(b.as_str()));
    fx.core.delete_org_node(&fx.admin, &org, &a1).await.unwrap();
    fx.core
        .set_user_departments(&fx.admin, &u, vec![(a.clone(), false), (b.clone(), true)])
        .await
        .unwrap();
    let deps = fx.core.user_departments(&fx.pool, &u, None).await.unwrap();
    let ids: Vec<&str> = deps.iter().map(|d| d.node.node.id.as_str()).collect();
    assert_eq!(ids, vec![b.as_str(), a.as_str()]);
    assert!(deps[0].is_main && !deps[1].is_main);
    // An unknown node refuses the whole set: nothing changes.
    let e = fx
        .core
        .set_user_departments(
            &fx.admin,
            &u,
            vec![(root.clone(), true), ("nope".into(), false)],
        )
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::OrgNode))), "{e:?}");
    assert_eq!(
        fx.core
            .user_departments(&fx.pool, &u, None)
            .await
            .unwrap()
            .len(),
        2
    );
    let e = fx
        .core
        .set_user_departments(&fx.admin, &u, vec![(root.clone(), true), (a.clone(), true)])
        .await;
    assert!(matches!(e, Err(Error::InvalidParameter(_))), "{e:?}");
    // Replaced: b left, a kept, root joined and main.
    fx.core
        .set_user_departments(
            &fx.admin,
            &u,
            vec![(a.clone(), false), (root.clone(), true)],
        )
        .await
        .unwrap();
    let deps = fx.core.user_departments(&fx.pool, &u, None).await.unwrap();
    let ids: Vec<&str> = deps.iter().map(|d| d.node.node.id.as_str()).collect();
    assert_eq!(ids, vec![root.as_str(), a.as_str()]);
    fx.core
        .set_user_departments(&fx.admin, &u, Vec::new())
        .await
        .unwrap();
    assert!(fx
        .core
        .user_departments(&fx.pool, &u, None)
        .await
        .unwrap()
        .is_empty());
    // Newest first.
    fx.core
        .add_node_members(&fx.pool, &a, std::slice::from_ref(&u), false)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    fx.core
        .add_node_members(&fx.pool, &a, std::slice::from_ref(&v), false)
        .await
        .unwrap();
    let page = Page::new(Some(1), Some(10)).unwrap();
    for descendants in [false, true] {
        let node = if descendants { &root } else { &a };
        let oldest = fx
            .core
            .node_users(&fx.admin, node, descendants, false, page)
            .await
            .unwrap();
        let newest = fx
            .core
            .node_users(&fx.admin, node, descendants, true, page)
            .await
            .unwrap();
        let ids = |p: &tessera_core::service::paging::Paged<tessera_core::model::User>| {
            p.list.iter().map(|x| x.id.clone()).collect::<Vec<_>>()
        };
        assert_eq!(ids(&oldest), vec![u.clone(), v.clone()]);
        assert_eq!(ids(&newest), vec![v.clone(), u.clone()]);
        assert_eq!(newest.total_count, 2);
    }
}

/// A department's enabled status: new nodes are enabled; disabling one is a targeted write
/// (a rename of the same node in between survives), touches no other node, and another
/// pool's administrator cannot reach it.
async fn node_status_is_a_targeted_write(db: &TestDb) {
    let fx = setup(db).await;
    let tree = fx
        .core
        .create_coded_org(&fx.admin, node("Corp", Some("corp")), None)
        .await
        .unwrap();
    let org = tree.record.org.id.clone();
    let root = tree.root().unwrap().node.id.clone();
    let a = fx
        .core
        .add_org_node(&fx.admin, &org, None, node("A", Some("a")))
        .await
        .unwrap();
    assert!(a.node.enabled && tree.root().unwrap().node.enabled);
    let a = a.node.id;
    let rename = NodeUpdate {
        name: Some("A renamed".into()),
        ..NodeUpdate::default()
    };
    fx.core
        .update_org_node(&fx.admin, &a, rename)
        .await
        .unwrap();
    let disable = NodeUpdate {
        enabled: Some(false),
        ..NodeUpdate::default()
    };
    let v = fx
        .core
        .update_org_node(&fx.admin, &a, disable.clone())
        .await
        .unwrap();
    assert!(!v.node.enabled);
    assert_eq!(v.node.name, "A renamed");
    assert_eq!(v.node.code.as_deref(), Some("a"));
    let tree = fx.core.org_tree(&fx.admin, &org).await.unwrap();
    let status = |id: &str| {
        tree.nodes
            .iter()
            .find(|n| n.node.id == id)
            .unwrap()
            .node
            .enabled
    };
    assert!(!status(&a));
    assert!(status(&root));
    // Another pool's administrator does not find the node; nothing changes.
    let other = fx.core.create_pool("other").await.unwrap();
    let other = fx
        .core
        .pool_admin_by_secret(&other.user_pool_id, &other.secret)
        .await
        .unwrap();
    let enable = NodeUpdate {
        enabled: Some(true),
        ..NodeUpdate::default()
    };
    let e = fx.core.update_org_node(&other, &a, enable.clone()).await;
    assert!(matches!(e, Err(Error::NotFound(_))), "{e:?}");
    assert!(
        !fx.core
            .node_required(&fx.admin, &a)
            .await
            .unwrap()
            .node
            .enabled
    );
    // And back on.
    let v = fx
        .core
        .update_org_node(&fx.admin, &a, enable)
        .await
        .unwrap();
    assert!(v.node.enabled);
}

/// `createDepartmentTree`: the organization found by its root's name or created, missing
/// departments created along each path, the member created or its changed fields written and
/// placed in the root — all in one unit: a refusal writes nothing, a repeat adds nothing.
async fn department_trees_are_idempotent_and_whole(db: &TestDb) {
    use tessera_core::service::department_tree::{DepartmentTree, TreeCounts, TreeMember};
    let fx = setup(db).await;
    let member = |city: &str| TreeMember {
        username: Some("tree-user".into()),
        name: Some("Ann".into()),
        city: Some(city.into()),
        ..TreeMember::default()
    };
    let req = |children: &[&str], m: Option<TreeMember>| DepartmentTree {
        name: "Org".into(),
        children: children.iter().map(|c| c.to_string()).collect(),
        member: m,
        tenant_id: None,
    };
    let counts = |u, uu, d| TreeCounts {
        added_users: u,
        updated_users: uu,
        added_departments: d,
        updated_departments: 0,
    };
    let made = fx
        .core
        .create_department_tree(&fx.admin, req(&["a/b", "c"], Some(member("BJ"))))
        .await
        .unwrap();
    assert_eq!(made, counts(1, 0, 4));
    let nodes = fx.count("SELECT COUNT(*) FROM org_nodes").await;
    assert_eq!(nodes, 4);
    let again = fx
        .core
        .create_department_tree(&fx.admin, req(&["a/b", "c"], Some(member("BJ"))))
        .await
        .unwrap();
    assert_eq!(again, counts(0, 0, 0));
    let more = fx
        .core
        .create_department_tree(&fx.admin, req(&["a/d"], Some(member("SH"))))
        .await
        .unwrap();
    assert_eq!(more, counts(0, 1, 1));
    let tree = fx.core.org_by_code(&fx.admin, "Org").await.unwrap();
    let root = tree.root().unwrap().node.id.clone();
    let members = fx
        .core
        .node_users(&fx.admin, &root, false, false, page(1, 10))
        .await
        .unwrap();
    assert_eq!(members.list.len(), 1);
    assert_eq!(members.list[0].profile.city.as_deref(), Some("SH"));
    assert_eq!(members.list[0].profile.name.as_deref(), Some("Ann"));
    // A path with an empty level, after one that is fine: nothing of it is written.
    let e = fx
        .core
        .create_department_tree(&fx.admin, req(&["e", "e//f"], None))
        .await;
    assert!(matches!(e, Err(Error::MissingParameter(_))), "{e:?}");
    // A member whose new username is taken by nobody but whose email is invalid: refused
    // before the unit, no department added either.
    let bad = TreeMember {
        username: Some("someone-new".into()),
        email: Some("not-an-email".into()),
        ..TreeMember::default()
    };
    assert!(fx
        .core
        .create_department_tree(&fx.admin, req(&["e"], Some(bad)))
        .await
        .is_err());
    assert_eq!(fx.count("SELECT COUNT(*) FROM org_nodes").await, 5);
    assert_eq!(
        fx.count("SELECT COUNT(*) FROM users WHERE username = 'someone-new'")
            .await,
        0
    );
}

backend_tests! {
    department_trees => department_trees_are_idempotent_and_whole;
    node_status => node_status_is_a_targeted_write;
    role_delete_cascade => deleting_a_role_removes_everything_naming_it;
    role_parent_loops => role_parent_loops_are_refused;
    org_move_cycles => org_moves_refuse_cycles_even_when_racing;
    node_and_org_delete_cascade => deleting_nodes_and_orgs_removes_what_names_them;
    grant_batches => grant_batches_are_all_or_nothing;
    pages => pages_have_exact_totals_in_a_stable_order;
    isolation => other_pools_rows_are_absent;
    member_moves => members_move_with_their_main_department;
    imports => imports_are_all_or_nothing;
    namespaces => namespaces_carry_their_contents;
    tenants => orgs_of_a_tenant;
    coded_orgs => coded_orgs_and_department_sets;
}
