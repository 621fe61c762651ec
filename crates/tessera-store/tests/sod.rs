//! Separation of duties between roles and administrator roles on both backends: rules set
//! with a role (symmetric, across namespaces), read back, bounded, going with a deleted role;
//! bad input writing nothing; every assignment path — a role given to a user, a group or a
//! department (and the departments under it), a user added to a group or a department —
//! refused as a whole when a user would newly hold two excluded roles; a pair held before the
//! rule left alone; administrator roles unique per pool, deleted all or none, audited, their
//! policies held by a tenant cooperator granted the role's code.

mod common;

use std::sync::Arc;

use common::TestDb;
use sqlx::Row;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::directory::TargetType;
use tessera_core::model::directory_admin::{PolicyEffect, PolicyStatement};
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::directory::{NewGroup, NewNode, NewRole};
use tessera_core::service::directory_admin::{RoleHolders, RoleUpdate};
use tessera_core::service::directory_batches::RoleRef;
use tessera_core::service::sod::{MAX_ADMIN_ROLE_POLICIES, MAX_EXCLUSIONS};
use tessera_core::service::tenant_admins::NewCooperator;
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::directory::DirectoryStore;
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Entity, Error};
use tessera_store::SqlStore;

struct Fx {
    core: Arc<Core>,
    store: Arc<SqlStore>,
    pool: String,
    admin: PoolAdmin,
    other: PoolAdmin,
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
    let a = core.create_pool("sod").await.unwrap();
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
        pool: a.user_pool_id,
        core: Arc::new(core),
        store,
    }
}

fn r(code: &str) -> RoleRef {
    RoleRef {
        namespace: None,
        code: code.into(),
    }
}

fn new_role(code: &str) -> NewRole {
    NewRole {
        code: code.into(),
        ..NewRole::default()
    }
}

impl Fx {
    async fn user(&self, name: &str) -> String {
        let pool = self.core.pool(&self.pool).await.unwrap();
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

    async fn role(&self, code: &str, excluded: &[RoleRef]) -> String {
        self.core
            .create_role_with_exclusions(&self.admin, new_role(code), excluded)
            .await
            .unwrap()
            .id
    }

    async fn held(&self, user: &str) -> Vec<String> {
        let mut codes: Vec<String> = self
            .core
            .effective_roles(&self.pool, user, None)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.code)
            .collect();
        codes.sort();
        codes
    }

    async fn excluded_codes(&self, code: &str) -> Vec<String> {
        let role = self
            .core
            .role_required(&self.admin, None, code)
            .await
            .unwrap();
        let mut codes: Vec<String> = self
            .core
            .excluded_roles(&self.admin, &[role])
            .await
            .unwrap()
            .pop()
            .unwrap()
            .into_iter()
            .map(|r| format!("{}/{}", r.namespace, r.code))
            .collect();
        codes.sort();
        codes
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query(sql)
            .fetch_one(self.store.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    async fn give(&self, codes: &[&str], targets: &[(TargetType, String)]) -> Result<(), Error> {
        let refs: Vec<RoleRef> = codes.iter().map(|c| r(c)).collect();
        self.core
            .set_roles_of_targets(&self.admin, &refs, targets, true)
            .await
    }
}

async fn rules_set_read_and_go(db: &TestDb) {
    let fx = setup(db).await;
    fx.role("audit", &[]).await;
    // Across namespaces: a role of another namespace of the pool may be excluded too.
    fx.core
        .create_role_with_exclusions(
            &fx.admin,
            NewRole {
                namespace: Some("ns2".into()),
                code: "pay".into(),
                ..NewRole::default()
            },
            &[],
        )
        .await
        .unwrap();
    let approve = fx
        .role(
            "approve",
            &[
                r("audit"),
                RoleRef {
                    namespace: Some("ns2".into()),
                    code: "pay".into(),
                },
            ],
        )
        .await;
    // Symmetric: read from either end.
    assert_eq!(
        fx.excluded_codes("approve").await,
        ["default/audit", "ns2/pay"]
    );
    assert_eq!(fx.excluded_codes("audit").await, ["default/approve"]);
    assert!(fx
        .core
        .roles_mutually_exclusive(&fx.admin, &[r("audit"), r("approve")])
        .await
        .unwrap());
    assert!(!fx
        .core
        .roles_mutually_exclusive(
            &fx.admin,
            &[
                r("audit"),
                RoleRef {
                    namespace: Some("ns2".into()),
                    code: "pay".into()
                }
            ]
        )
        .await
        .unwrap());

    // updateRole replaces the set.
    fx.core
        .update_role_with_exclusions(
            &fx.admin,
            None,
            "approve",
            RoleUpdate::default(),
            Some(&[r("audit")]),
        )
        .await
        .unwrap();
    assert_eq!(fx.excluded_codes("approve").await, ["default/audit"]);

    // Bad input writes nothing: an unknown role, the role itself, too many, another pool's.
    let before = fx.count("SELECT COUNT(*) FROM role_exclusions").await;
    let roles_before = fx.count("SELECT COUNT(*) FROM roles").await;
    assert!(matches!(
        fx.core
            .create_role_with_exclusions(&fx.admin, new_role("x"), &[r("audit"), r("nope")])
            .await,
        Err(Error::NotFound(Entity::Role))
    ));
    assert_eq!(
        fx.count("SELECT COUNT(*) FROM roles").await,
        roles_before,
        "no role made"
    );
    assert!(matches!(
        fx.core
            .update_role_with_exclusions(
                &fx.admin,
                None,
                "approve",
                RoleUpdate {
                    description: Some("changed".into()),
                    ..RoleUpdate::default()
                },
                Some(&[r("approve")]),
            )
            .await,
        Err(Error::InvalidParameter("mutuallyExclusiveRoles"))
    ));
    let role = fx.core.role_by_id(&fx.admin, &approve).await.unwrap();
    assert_eq!(role.description, None, "the update rolled back with it");
    let many: Vec<RoleRef> = (0..=MAX_EXCLUSIONS).map(|i| r(&format!("r{i}"))).collect();
    assert!(matches!(
        fx.core
            .update_role_with_exclusions(
                &fx.admin,
                None,
                "approve",
                RoleUpdate::default(),
                Some(&many)
            )
            .await,
        Err(Error::InvalidParameter("mutuallyExclusiveRoles"))
    ));
    assert!(matches!(
        fx.core
            .create_role_with_exclusions(&fx.other, new_role("approve"), &[r("audit")])
            .await,
        Err(Error::NotFound(Entity::Role))
    ));
    assert!(matches!(
        fx.core
            .roles_mutually_exclusive(&fx.other, &[r("audit"), r("approve")])
            .await,
        Err(Error::NotFound(Entity::Role))
    ));
    assert_eq!(
        fx.count("SELECT COUNT(*) FROM role_exclusions").await,
        before
    );

    // A deleted role's rules go with it.
    fx.core
        .delete_roles(&fx.admin, None, &["audit".into()])
        .await
        .unwrap();
    assert_eq!(fx.excluded_codes("approve").await, Vec::<String>::new());
    assert_eq!(fx.count("SELECT COUNT(*) FROM role_exclusions").await, 0);
}

async fn assignments_refused_on_every_path(db: &TestDb) {
    let fx = setup(db).await;
    let maker = fx.role("maker", &[]).await;
    let checker = fx.role("checker", &[r("maker")]).await;
    fx.role("reader", &[]).await;
    let (u1, u2) = (fx.user("u1").await, fx.user("u2").await);

    // A user given a role directly (v2's single assignment) cannot then be given the other.
    fx.core
        .assign_role(&fx.pool, &maker, TargetType::User, &u1)
        .await
        .unwrap();
    assert!(matches!(
        fx.give(&["checker"], &[(TargetType::User, u1.clone())])
            .await,
        Err(Error::RolesMutuallyExclusive)
    ));
    assert!(matches!(
        fx.core
            .assign_role(&fx.pool, &checker, TargetType::User, &u1)
            .await,
        Err(Error::RolesMutuallyExclusive)
    ));
    // A batch is all or nothing: u2 gets neither role when u1 is refused.
    assert!(matches!(
        fx.give(
            &["reader", "checker"],
            &[
                (TargetType::User, u2.clone()),
                (TargetType::User, u1.clone())
            ]
        )
        .await,
        Err(Error::RolesMutuallyExclusive)
    ));
    assert_eq!(fx.held(&u1).await, ["maker"]);
    assert!(fx.held(&u2).await.is_empty());
    // Both roles in one batch to a fresh user: refused too.
    assert!(matches!(
        fx.give(&["maker", "checker"], &[(TargetType::User, u2.clone())])
            .await,
        Err(Error::RolesMutuallyExclusive)
    ));
    assert!(fx.held(&u2).await.is_empty());

    // Through a group: a member added to a group holding the other role, all or nothing.
    let g = fx
        .core
        .create_group(
            &fx.pool,
            NewGroup {
                code: "checkers".into(),
                name: "Checkers".into(),
                description: None,
            },
        )
        .await
        .unwrap();
    fx.give(&["checker"], &[(TargetType::Group, "checkers".into())])
        .await
        .unwrap();
    assert!(matches!(
        fx.core
            .add_group_members(&fx.pool, &g.id, &[u2.clone(), u1.clone()])
            .await,
        Err(Error::RolesMutuallyExclusive)
    ));
    assert_eq!(
        fx.count("SELECT COUNT(*) FROM group_members").await,
        0,
        "nobody added"
    );
    fx.core
        .add_group_members(&fx.pool, &g.id, std::slice::from_ref(&u2))
        .await
        .unwrap();
    assert_eq!(fx.held(&u2).await, ["checker"]);
    // … and a role given to a group one of whose members holds the other (v2 holders).
    assert!(matches!(
        fx.core
            .set_role_holders(
                &fx.admin,
                None,
                &["maker".into()],
                &RoleHolders {
                    group_codes: vec!["checkers".into()],
                    ..RoleHolders::default()
                },
                true,
            )
            .await,
        Err(Error::RolesMutuallyExclusive)
    ));
    assert_eq!(fx.held(&u2).await, ["checker"]);

    // A group may not be given both roles itself, even with no member.
    let empty = fx
        .core
        .create_group(
            &fx.pool,
            NewGroup {
                code: "empty".into(),
                name: "Empty".into(),
                description: None,
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        fx.give(
            &["maker", "checker"],
            &[(TargetType::Group, "empty".into())]
        )
        .await,
        Err(Error::RolesMutuallyExclusive)
    ));
    assert!(fx
        .store
        .roles_of_targets(&fx.pool, &[(TargetType::Group, empty.id.clone())])
        .await
        .unwrap()
        .is_empty());

    // Through a department: a role given to a parent reaches the members below it.
    let (org, root) = fx
        .core
        .create_org(
            &fx.pool,
            NewNode {
                name: "Root".into(),
                ..NewNode::default()
            },
        )
        .await
        .unwrap();
    let child = fx
        .core
        .add_node(
            &fx.pool,
            &org.id,
            &root.node.id,
            NewNode {
                name: "Child".into(),
                ..NewNode::default()
            },
        )
        .await
        .unwrap();
    fx.core
        .add_node_members(&fx.pool, &child.node.id, std::slice::from_ref(&u1), false)
        .await
        .unwrap();
    assert!(matches!(
        fx.give(&["checker"], &[(TargetType::OrgNode, root.node.id.clone())])
            .await,
        Err(Error::RolesMutuallyExclusive)
    ));
    assert_eq!(fx.held(&u1).await, ["maker"]);
    // A member joining a department that holds the other role.
    fx.give(
        &["checker"],
        &[(TargetType::OrgNode, child.node.id.clone())],
    )
    .await
    .unwrap_err();
    let u3 = fx.user("u3").await;
    fx.give(&["checker"], &[(TargetType::User, u3.clone())])
        .await
        .unwrap();
    let maker_node = fx
        .core
        .add_node(
            &fx.pool,
            &org.id,
            &root.node.id,
            NewNode {
                name: "Makers".into(),
                ..NewNode::default()
            },
        )
        .await
        .unwrap();
    fx.give(
        &["maker"],
        &[(TargetType::OrgNode, maker_node.node.id.clone())],
    )
    .await
    .unwrap();
    assert!(matches!(
        fx.core
            .add_node_members(
                &fx.pool,
                &maker_node.node.id,
                std::slice::from_ref(&u3),
                true
            )
            .await,
        Err(Error::RolesMutuallyExclusive)
    ));
    assert_eq!(fx.held(&u3).await, ["checker"]);

    // A pair held before the rule existed does not block an unrelated change.
    let u4 = fx.user("u4").await;
    fx.role("d", &[]).await;
    fx.role("e", &[]).await;
    fx.give(&["d", "e"], &[(TargetType::User, u4.clone())])
        .await
        .unwrap();
    fx.core
        .update_role_with_exclusions(&fx.admin, None, "d", RoleUpdate::default(), Some(&[r("e")]))
        .await
        .unwrap();
    fx.give(&["reader"], &[(TargetType::User, u4.clone())])
        .await
        .unwrap();
    assert_eq!(fx.held(&u4).await, ["d", "e", "reader"]);
}

async fn admin_roles_unique_all_or_none(db: &TestDb) {
    let fx = setup(db).await;
    let made = fx
        .core
        .create_admin_role(&fx.admin, "ops", "Operators", Some("d".into()), &[])
        .await
        .unwrap()
        .expect("created");
    assert_eq!(made.code, "ops");
    assert!(fx
        .core
        .create_admin_role(&fx.admin, "ops", "Again", None, &[])
        .await
        .unwrap()
        .is_none());
    // Unique per pool only.
    assert!(fx
        .core
        .create_admin_role(&fx.other, "ops", "Theirs", None, &[])
        .await
        .unwrap()
        .is_some());
    assert!(fx
        .core
        .create_admin_role(&fx.admin, " ", "x", None, &[])
        .await
        .is_err());
    fx.core
        .create_admin_role(&fx.admin, "sec", "Security", None, &[])
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        fx.core
            .delete_admin_roles(&fx.admin, &["ops".into(), "nope".into()])
            .await,
        Err(Error::NotFound(Entity::AdminRole))
    ));
    assert!(fx
        .core
        .admin_role(&fx.admin, "ops")
        .await
        .unwrap()
        .is_some());
    fx.core
        .delete_admin_roles(&fx.admin, &["ops".into(), "sec".into()])
        .await
        .unwrap();
    assert!(fx
        .core
        .admin_role(&fx.admin, "ops")
        .await
        .unwrap()
        .is_none());
    assert!(fx
        .core
        .admin_role(&fx.other, "ops")
        .await
        .unwrap()
        .is_some());
    // Audited: two creations, one refused duplicate, one deletion.
    let rows = sqlx::query(
        "SELECT operation, success FROM admin_audit_log \
         WHERE pool_id = $1 AND resource = 'admin-role' ORDER BY created_at",
    )
    .bind(&fx.pool)
    .fetch_all(fx.store.pool())
    .await
    .unwrap();
    let seen: Vec<(String, i64)> = rows
        .iter()
        .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
        .collect();
    assert!(seen.contains(&("create".into(), 1)));
    assert!(seen.contains(&("create".into(), 0)));
    assert!(seen.contains(&("delete".into(), 1)));
}

async fn admin_role_policies_reach_cooperators(db: &TestDb) {
    let fx = setup(db).await;
    for (code, menu) in [("users", "menu:users"), ("apps", "menu:apps")] {
        fx.core
            .create_policy(
                &fx.admin,
                None,
                code,
                None,
                vec![PolicyStatement {
                    resource: menu.into(),
                    actions: vec!["read".into()],
                    effect: PolicyEffect::Allow,
                    condition: Vec::new(),
                }],
            )
            .await
            .unwrap();
    }
    // An unknown policy refuses the role and writes nothing.
    assert!(matches!(
        fx.core
            .create_admin_role(
                &fx.admin,
                "ops",
                "Ops",
                None,
                &["users".into(), "nope".into()]
            )
            .await,
        Err(Error::NotFound(Entity::Policy))
    ));
    assert!(fx
        .core
        .admin_role(&fx.admin, "ops")
        .await
        .unwrap()
        .is_none());
    let many: Vec<String> = (0..=MAX_ADMIN_ROLE_POLICIES)
        .map(|i| format!("p{i}"))
        .collect();
    assert!(matches!(
        fx.core
            .create_admin_role(&fx.admin, "ops", "Ops", None, &many)
            .await,
        Err(Error::InvalidParameter("policies"))
    ));
    fx.core
        .create_admin_role(
            &fx.admin,
            "ops",
            "Ops",
            None,
            &["users".into(), "apps".into()],
        )
        .await
        .unwrap()
        .unwrap();

    // A cooperator granted the role's code holds its policies (with a policy named beside).
    let pool = fx.core.pool(&fx.pool).await.unwrap();
    let bob = fx
        .core
        .create_user(
            &pool,
            NewUser {
                username: Some("bob".into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    fx.core
        .create_tenant_cooperator(
            &fx.admin,
            NewCooperator {
                user_id: bob.id.clone(),
                policies: vec!["ops".into(), "users".into()],
                ..NewCooperator::default()
            },
        )
        .await
        .unwrap();
    let rights = fx
        .core
        .tenant_cooperator_rights(&fx.admin, &bob.id)
        .await
        .unwrap();
    assert_eq!(rights.policy_codes, ["users", "apps"]);
    assert_eq!(rights.menu, ["menu:users", "menu:apps"]);
    // The other pool's administrator role is no code of this pool.
    fx.core
        .create_admin_role(&fx.other, "theirs", "T", None, &[])
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        fx.core
            .create_tenant_cooperator(
                &fx.admin,
                NewCooperator {
                    user_id: bob.id.clone(),
                    policies: vec!["theirs".into()],
                    ..NewCooperator::default()
                },
            )
            .await,
        Err(Error::NotFound(Entity::Policy))
    ));
    // Deleting the role takes its bundle; the grant made from it stays as granted.
    fx.core
        .delete_admin_roles(&fx.admin, &["ops".into()])
        .await
        .unwrap();
    assert_eq!(
        fx.count("SELECT COUNT(*) FROM admin_role_policies").await,
        0
    );
    let rights = fx
        .core
        .tenant_cooperator_rights(&fx.admin, &bob.id)
        .await
        .unwrap();
    assert_eq!(rights.policy_codes, ["users", "apps"]);
}

async fn racing_assignments_never_both_land(db: &TestDb) {
    let fx = setup(db).await;
    fx.role("maker", &[]).await;
    fx.role("checker", &[r("maker")]).await;
    for i in 0..5 {
        let u = fx.user(&format!("racer{i}")).await;
        let target = vec![(TargetType::User, u.clone())];
        let (c1, c2) = (fx.core.clone(), fx.core.clone());
        let (a1, a2) = (fx.admin.clone(), fx.admin.clone());
        let (t1, t2) = (target.clone(), target.clone());
        let one =
            tokio::spawn(
                async move { c1.set_roles_of_targets(&a1, &[r("maker")], &t1, true).await },
            );
        let two = tokio::spawn(async move {
            c2.set_roles_of_targets(&a2, &[r("checker")], &t2, true)
                .await
        });
        let (one, two) = (one.await.unwrap(), two.await.unwrap());
        // The units run one after the other under the pool's lock: exactly one lands.
        assert!(one.is_ok() != two.is_ok(), "{one:?} {two:?}");
        assert!(matches!(
            one.err().or(two.err()),
            Some(Error::RolesMutuallyExclusive)
        ));
        assert_eq!(fx.held(&u).await.len(), 1);
    }
}

backend_tests! {
    sod_racing_assignments_never_both_land => racing_assignments_never_both_land;
    sod_admin_role_policies_reach_cooperators => admin_role_policies_reach_cooperators;
    sod_rules_set_read_and_go => rules_set_read_and_go;
    sod_assignments_refused_on_every_path => assignments_refused_on_every_path;
    sod_admin_roles_unique_all_or_none => admin_roles_unique_all_or_none;
}
