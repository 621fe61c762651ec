//! The directory on both backends: roles, groups, org trees, resources and grants, and the
//! one permission resolver behind effective roles, authorized resources, `is_allowed` and
//! application access.

mod common;

use std::sync::Arc;

use common::TestDb;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::directory::{NodeView, ResourceAction, ResourceType, TargetType};
use tessera_core::notify::Outbox;
use tessera_core::service::directory::{NewGroup, NewNode, NewResource, NewRole};
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Entity, Error};
use tessera_store::SqlStore;

struct Fx {
    core: Core,
    store: Arc<SqlStore>,
    pool: String,
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
    let creds = core.create_pool("dir").await.unwrap();
    Fx {
        core,
        store,
        pool: creds.user_pool_id,
        app: creds.app_id,
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

    async fn grant(&self, resource: &str, t: TargetType, target: &str, actions: &[&str]) {
        self.core
            .authorize_resource(
                &self.pool,
                "ns",
                resource,
                t,
                target,
                actions.iter().map(|a| (*a).to_owned()).collect(),
            )
            .await
            .unwrap();
    }

    async fn codes(&self, user: &str) -> Vec<String> {
        self.core
            .authorized_resources(&self.pool, user, Some("ns"), None)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.code)
            .collect()
    }

    async fn role_codes(&self, user: &str, ns: Option<&str>) -> Vec<String> {
        self.core
            .effective_roles(&self.pool, user, ns)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.code)
            .collect()
    }

    /// Root "Corp" (corp) → "Eng" (eng) → "Backend" (no code); also root → "Sales".
    async fn org(&self) -> (String, NodeView, NodeView, NodeView, NodeView) {
        let (org, root) = self
            .core
            .create_org(&self.pool, node("Corp", Some("corp")))
            .await
            .unwrap();
        let eng = self
            .core
            .add_node(
                &self.pool,
                &org.id,
                &root.node.id,
                NewNode {
                    order: Some(1),
                    ..node("Eng", Some("eng"))
                },
            )
            .await
            .unwrap();
        let backend = self
            .core
            .add_node(&self.pool, &org.id, &eng.node.id, node("Backend", None))
            .await
            .unwrap();
        let sales = self
            .core
            .add_node(
                &self.pool,
                &org.id,
                &root.node.id,
                NewNode {
                    order: Some(2),
                    ..node("Sales", Some("sales"))
                },
            )
            .await
            .unwrap();
        (org.id, root, eng, backend, sales)
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

    /// A second application of the pool (the core has no application creation yet).
    async fn app(&self, id: &str, created_at: i64) {
        sqlx::query(
            "INSERT INTO applications (id, pool_id, name, identifier, secret, oidc, config, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, 's', '{}', '{\"keep\":1}', $5, $5)",
        )
        .bind(id)
        .bind(&self.pool)
        .bind(id)
        .bind(format!("ident-{id}"))
        .bind(created_at)
        .execute(self.store.pool())
        .await
        .unwrap();
    }

    async fn apps(&self, user: &str, page: i64, limit: i64) -> (i64, Vec<String>) {
        let (total, apps) = self
            .core
            .allowed_apps(&self.pool, user, page, limit)
            .await
            .unwrap();
        (total, apps.into_iter().map(|a| a.id).collect())
    }
}

fn node(name: &str, code: Option<&str>) -> NewNode {
    NewNode {
        name: name.into(),
        code: code.map(Into::into),
        ..NewNode::default()
    }
}

fn ids(list: &[&String]) -> Vec<String> {
    list.iter().map(|s| (*s).clone()).collect()
}

async fn resource_through_a_groups_role(db: &TestDb) {
    let fx = setup(db).await;
    let member = fx.user("member").await;
    let outsider = fx.user("outsider").await;
    let group = fx.group("editors").await;
    let role = fx.role("editor", None).await;
    fx.core
        .add_group_members(&fx.pool, &group, std::slice::from_ref(&member))
        .await
        .unwrap();
    fx.core
        .assign_role(&fx.pool, &role, TargetType::Group, &group)
        .await
        .unwrap();
    fx.grant("doc", TargetType::Role, &role, &["doc:read"])
        .await;

    assert_eq!(fx.codes(&member).await, ["doc"]);
    assert!(fx.codes(&outsider).await.is_empty());
    assert_eq!(fx.role_codes(&member, None).await, ["editor"]);
    assert!(fx.role_codes(&outsider, None).await.is_empty());
    let groups = fx.core.user_groups(&fx.pool, &member).await.unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].code, "editors");
    // Assigning or adding twice changes nothing.
    fx.core
        .assign_role(&fx.pool, &role, TargetType::Group, &group)
        .await
        .unwrap();
    fx.core
        .add_group_members(&fx.pool, &group, std::slice::from_ref(&member))
        .await
        .unwrap();
    assert_eq!(fx.role_codes(&member, None).await, ["editor"]);
}

async fn resource_through_a_departments_role(db: &TestDb) {
    let fx = setup(db).await;
    let (_, _, eng, _, sales) = fx.org().await;
    let engineer = fx.user("engineer").await;
    let seller = fx.user("seller").await;
    fx.core
        .add_node_members(
            &fx.pool,
            &eng.node.id,
            std::slice::from_ref(&engineer),
            true,
        )
        .await
        .unwrap();
    fx.core
        .add_node_members(
            &fx.pool,
            &sales.node.id,
            std::slice::from_ref(&seller),
            true,
        )
        .await
        .unwrap();
    let role = fx.role("developer", None).await;
    fx.core
        .assign_role(&fx.pool, &role, TargetType::OrgNode, &eng.node.id)
        .await
        .unwrap();
    fx.grant("repo", TargetType::Role, &role, &["repo:push"])
        .await;

    assert_eq!(fx.role_codes(&engineer, None).await, ["developer"]);
    assert_eq!(fx.codes(&engineer).await, ["repo"]);
    assert!(fx.role_codes(&seller, None).await.is_empty());
    assert!(fx.codes(&seller).await.is_empty());
}

async fn resource_through_an_ancestor_department(db: &TestDb) {
    let fx = setup(db).await;
    let (_, root, eng, backend, _) = fx.org().await;
    let dev = fx.user("dev").await;
    fx.core
        .add_node_members(
            &fx.pool,
            &backend.node.id,
            std::slice::from_ref(&dev),
            false,
        )
        .await
        .unwrap();
    // A grant on the root and a role on the middle node both reach a member of a leaf.
    fx.grant("handbook", TargetType::OrgNode, &root.node.id, &["read"])
        .await;
    let role = fx.role("staff", None).await;
    fx.core
        .assign_role(&fx.pool, &role, TargetType::OrgNode, &eng.node.id)
        .await
        .unwrap();
    fx.grant("canteen", TargetType::Role, &role, &["eat"]).await;
    assert_eq!(fx.codes(&dev).await, ["canteen", "handbook"]);
    assert_eq!(fx.role_codes(&dev, None).await, ["staff"]);
    // Grants flow down the tree, never up.
    let boss = fx.user("boss").await;
    fx.core
        .add_node_members(&fx.pool, &root.node.id, std::slice::from_ref(&boss), false)
        .await
        .unwrap();
    fx.grant("servers", TargetType::OrgNode, &backend.node.id, &["ssh"])
        .await;
    assert_eq!(fx.codes(&boss).await, ["handbook"]);
    assert!(fx.codes(&dev).await.contains(&"servers".to_owned()));
}

async fn resource_through_a_parent_role(db: &TestDb) {
    let fx = setup(db).await;
    let base = fx.role("base", None).await;
    let _mid = fx.role("mid", Some("base")).await;
    let top = fx.role("top", Some("mid")).await;
    let user = fx.user("u").await;
    fx.core
        .assign_role(&fx.pool, &top, TargetType::User, &user)
        .await
        .unwrap();
    fx.grant("wiki", TargetType::Role, &base, &["read"]).await;
    fx.grant("wiki", TargetType::Role, &top, &["write", "read"])
        .await;
    let resources = fx
        .core
        .authorized_resources(&fx.pool, &user, None, None)
        .await
        .unwrap();
    assert_eq!(resources.len(), 1);
    assert_eq!(resources[0].code, "wiki");
    assert_eq!(resources[0].namespace, "ns");
    assert_eq!(resources[0].actions, ["read", "write"]);
    // The role held is the child; parents lend grants, not membership.
    assert_eq!(fx.role_codes(&user, None).await, ["top"]);
    // A parent must exist in the same namespace.
    let missing = fx
        .core
        .create_role(
            &fx.pool,
            NewRole {
                code: "orphan".into(),
                parent_code: Some("base".into()),
                namespace: Some("other".into()),
                ..NewRole::default()
            },
        )
        .await;
    assert!(
        matches!(missing, Err(Error::NotFound(Entity::Role))),
        "{missing:?}"
    );
}

async fn roles_filter_by_namespace(db: &TestDb) {
    let fx = setup(db).await;
    let user = fx.user("u").await;
    let a = fx.role("admin", None).await;
    // Creation times are milliseconds; ties fall back to the (random) id.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let b = fx
        .core
        .create_role(
            &fx.pool,
            NewRole {
                namespace: Some("app1".into()),
                code: "admin".into(),
                name: Some("App admin".into()),
                ..NewRole::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(b.namespace, "app1");
    for r in [&a, &b.id] {
        fx.core
            .assign_role(&fx.pool, r, TargetType::User, &user)
            .await
            .unwrap();
    }
    let all = fx
        .core
        .effective_roles(&fx.pool, &user, None)
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id, a, "ordered by creation");
    let app1 = fx
        .core
        .effective_roles(&fx.pool, &user, Some("app1"))
        .await
        .unwrap();
    assert_eq!(app1.len(), 1);
    assert_eq!(app1[0].id, b.id);
    assert_eq!(fx.role_codes(&user, Some("default")).await, ["admin"]);
    assert!(fx.role_codes(&user, Some("nope")).await.is_empty());
    let bad = fx
        .core
        .assign_role(&fx.pool, &a, TargetType::Role, &b.id)
        .await;
    assert!(matches!(bad, Err(Error::RoleAssignedToRole)), "{bad:?}");
}

async fn duplicate_codes_write_nothing(db: &TestDb) {
    let fx = setup(db).await;
    fx.role("r", None).await;
    let dup = fx
        .core
        .create_role(
            &fx.pool,
            NewRole {
                code: "r".into(),
                ..NewRole::default()
            },
        )
        .await;
    assert!(
        matches!(dup, Err(Error::Duplicate(Entity::RoleCode))),
        "{dup:?}"
    );
    assert_eq!(fx.count("SELECT COUNT(*) FROM roles").await, 1);
    // The same code in another namespace is another role.
    fx.core
        .create_role(
            &fx.pool,
            NewRole {
                namespace: Some("other".into()),
                code: "r".into(),
                ..NewRole::default()
            },
        )
        .await
        .unwrap();

    fx.group("g").await;
    let dup = fx
        .core
        .create_group(
            &fx.pool,
            NewGroup {
                code: "g".into(),
                name: "again".into(),
                description: None,
            },
        )
        .await;
    assert!(
        matches!(dup, Err(Error::Duplicate(Entity::GroupCode))),
        "{dup:?}"
    );
    assert_eq!(fx.count("SELECT COUNT(*) FROM user_groups").await, 1);

    let (org, root, _, _, _) = fx.org().await;
    let dup = fx
        .core
        .add_node(&fx.pool, &org, &root.node.id, node("Eng 2", Some("eng")))
        .await;
    assert!(
        matches!(dup, Err(Error::Duplicate(Entity::OrgNodeCode))),
        "{dup:?}"
    );
    assert_eq!(fx.count("SELECT COUNT(*) FROM org_nodes").await, 4);
    // Codes are per organization.
    let (org2, root2) = fx
        .core
        .create_org(&fx.pool, node("Corp 2", Some("corp")))
        .await
        .unwrap();
    fx.core
        .add_node(&fx.pool, &org2.id, &root2.node.id, node("Eng", Some("eng")))
        .await
        .unwrap();

    fx.core
        .create_namespace(&fx.pool, "ns", None)
        .await
        .unwrap();
    let dup = fx
        .core
        .create_namespace(&fx.pool, "ns", Some("x".into()))
        .await;
    assert!(
        matches!(dup, Err(Error::Duplicate(Entity::NamespaceCode))),
        "{dup:?}"
    );

    let res = NewResource {
        namespace: "ns".into(),
        code: "books".into(),
        ..NewResource::default()
    };
    fx.core
        .create_resource(&fx.pool, res.clone())
        .await
        .unwrap();
    let dup = fx.core.create_resource(&fx.pool, res).await;
    assert!(
        matches!(dup, Err(Error::Duplicate(Entity::ResourceCode))),
        "{dup:?}"
    );
    assert_eq!(fx.count("SELECT COUNT(*) FROM resources").await, 1);

    // A batch with one unknown user adds nobody.
    let g = fx.group("g2").await;
    let u = fx.user("u").await;
    let bad = fx
        .core
        .add_group_members(
            &fx.pool,
            &g,
            &[u.clone(), "000000000000000000000000".into()],
        )
        .await;
    assert!(matches!(bad, Err(Error::UserNotFound)), "{bad:?}");
    assert_eq!(fx.count("SELECT COUNT(*) FROM group_members").await, 0);
    let bad = fx
        .core
        .add_node_members(&fx.pool, &root.node.id, &[u, "nobody".into()], true)
        .await;
    assert!(matches!(bad, Err(Error::UserNotFound)), "{bad:?}");
    assert_eq!(fx.count("SELECT COUNT(*) FROM node_members").await, 0);
}

async fn pools_are_isolated(db: &TestDb) {
    let fx = setup(db).await;
    let other = fx.core.create_pool("other").await.unwrap();
    let op = other.user_pool_id.clone();
    let mine = fx.user("me").await;
    let theirs = fx.user_in(&op, "them").await;
    let role = fx.role("r", None).await;
    let group = fx.group("g").await;
    let (org, root, _, _, _) = fx.org().await;

    let e = fx
        .core
        .assign_role(&fx.pool, &role, TargetType::User, &theirs)
        .await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");
    let e = fx
        .core
        .assign_role(&op, &role, TargetType::User, &theirs)
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Role))), "{e:?}");
    let e = fx
        .core
        .add_group_members(&op, &group, std::slice::from_ref(&theirs))
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Group))), "{e:?}");
    let e = fx
        .core
        .add_group_members(&fx.pool, &group, std::slice::from_ref(&theirs))
        .await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");
    let e = fx
        .core
        .add_node(&op, &org, &root.node.id, node("X", None))
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Org))), "{e:?}");
    let e = fx
        .core
        .add_node_members(&op, &root.node.id, std::slice::from_ref(&theirs), false)
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::OrgNode))), "{e:?}");
    let e = fx
        .core
        .authorize_resource(
            &op,
            "ns",
            "doc",
            TargetType::Group,
            &group,
            vec!["read".into()],
        )
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Group))), "{e:?}");
    let e = fx
        .core
        .set_app_access(&op, &fx.app, TargetType::User, &theirs, true)
        .await;
    assert!(matches!(e, Err(Error::AppNotFound)), "{e:?}");
    let e = fx.core.set_app_default_access(&op, &fx.app, false).await;
    assert!(matches!(e, Err(Error::AppNotFound)), "{e:?}");
    let e = fx
        .core
        .set_app_access(&fx.pool, &fx.app, TargetType::User, &theirs, true)
        .await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");

    // Reads: a user of another pool does not exist here.
    let e = fx.core.effective_roles(&fx.pool, &theirs, None).await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");
    let e = fx.core.authorized_resources(&op, &mine, None, None).await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");
    let e = fx.core.user_departments(&op, &mine, None).await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");
    let e = fx.core.user_groups(&op, &mine).await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");
    let e = fx.core.allowed_apps(&op, &mine, 1, 10).await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");
    let (total, apps) = fx.apps(&mine, 1, 10).await;
    assert_eq!((total, apps), (1, vec![fx.app.clone()]));
    assert_eq!(
        fx.core.allowed_apps(&op, &theirs, 1, 10).await.unwrap().0,
        1
    );
}

async fn is_allowed_agrees_with_authorized_resources(db: &TestDb) {
    let fx = setup(db).await;
    let user = fx.user("reader").await;
    fx.core
        .create_namespace(&fx.pool, "ns", None)
        .await
        .unwrap();
    fx.core
        .create_resource(
            &fx.pool,
            NewResource {
                namespace: "ns".into(),
                code: "menu_a".into(),
                resource_type: ResourceType::Menu,
                actions: vec![ResourceAction {
                    name: "show".into(),
                    description: None,
                }],
                ..NewResource::default()
            },
        )
        .await
        .unwrap();
    fx.core
        .create_resource(
            &fx.pool,
            NewResource {
                namespace: "ns".into(),
                code: "orders".into(),
                resource_type: ResourceType::Api,
                api_identifier: Some("https://api.example.com/orders".into()),
                ..NewResource::default()
            },
        )
        .await
        .unwrap();
    let role = fx.role("reader", None).await;
    fx.core
        .assign_role(&fx.pool, &role, TargetType::User, &user)
        .await
        .unwrap();
    fx.grant("books:*", TargetType::Role, &role, &["books:read"])
        .await;
    fx.grant(
        "books:1",
        TargetType::User,
        &user,
        &["books:delete", "books:update"],
    )
    .await;
    fx.grant("menu_a", TargetType::User, &user, &["show"]).await;
    fx.grant("orders", TargetType::Role, &role, &["orders:*"])
        .await;
    fx.core
        .authorize_resource(
            &fx.pool,
            "other",
            "menu_b",
            TargetType::User,
            &user,
            vec!["*".into()],
        )
        .await
        .unwrap();

    let resources = fx
        .core
        .authorized_resources(&fx.pool, &user, Some("ns"), None)
        .await
        .unwrap();
    let summary: Vec<(&str, ResourceType, Vec<&str>)> = resources
        .iter()
        .map(|r| {
            (
                r.code.as_str(),
                r.resource_type,
                r.actions.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("books:*", ResourceType::Data, vec!["books:read"]),
            (
                "books:1",
                ResourceType::Data,
                vec!["books:delete", "books:update"]
            ),
            ("menu_a", ResourceType::Menu, vec!["show"]),
            ("orders", ResourceType::Api, vec!["orders:*"]),
        ]
    );
    assert_eq!(
        resources[3].api_identifier.as_deref(),
        Some("https://api.example.com/orders")
    );
    // Every granted (resource, action) pair is allowed.
    for r in &resources {
        for a in &r.actions {
            assert!(fx
                .core
                .is_allowed(&fx.pool, &user, Some("ns"), &r.code, a)
                .await
                .unwrap());
        }
    }
    let allowed = |ns: Option<&'static str>, res: &'static str, act: &'static str| {
        let fx = &fx;
        let user = user.clone();
        async move {
            fx.core
                .is_allowed(&fx.pool, &user, ns, res, act)
                .await
                .unwrap()
        }
    };
    assert!(allowed(Some("ns"), "books:7", "books:read").await);
    assert!(allowed(Some("ns"), "books:1", "books:read").await);
    assert!(!allowed(Some("ns"), "books:7", "books:delete").await);
    assert!(!allowed(Some("ns"), "books", "books:read").await);
    assert!(allowed(Some("ns"), "orders", "orders:create").await);
    assert!(!allowed(Some("ns"), "orders", "refunds:create").await);
    assert!(!allowed(Some("ns"), "menu_b", "show").await);
    assert!(allowed(Some("other"), "menu_b", "show").await);
    assert!(allowed(None, "menu_b", "anything").await);
    assert!(!allowed(Some("ns"), "menu_c", "show").await);

    let menus = fx
        .core
        .authorized_resources(&fx.pool, &user, None, Some("MENU"))
        .await
        .unwrap();
    let codes: Vec<&str> = menus.iter().map(|r| r.code.as_str()).collect();
    assert_eq!(codes, ["menu_a"]);
    let bad = fx
        .core
        .authorized_resources(&fx.pool, &user, None, Some("TABLE"))
        .await;
    assert!(matches!(bad, Err(Error::InvalidParameter(_))), "{bad:?}");

    // A new grant replaces the actions of the old one for the same target.
    fx.grant("menu_a", TargetType::User, &user, &["hide"]).await;
    assert!(!allowed(Some("ns"), "menu_a", "show").await);
    assert!(allowed(Some("ns"), "menu_a", "hide").await);
    // An instance of a declared resource takes the base resource's type.
    fx.grant("orders:9", TargetType::User, &user, &["orders:read"])
        .await;
    let orders9 = fx
        .core
        .authorized_resources(&fx.pool, &user, Some("ns"), Some("API"))
        .await
        .unwrap();
    assert!(orders9.iter().any(|r| r.code == "orders:9"), "{orders9:?}");
}

async fn app_access_deny_allow_default(db: &TestDb) {
    let fx = setup(db).await;
    let (_, root, eng, backend, _) = fx.org().await;
    let dev = fx.user("dev").await;
    let guest = fx.user("guest").await;
    let group = fx.group("staff").await;
    fx.core
        .add_group_members(&fx.pool, &group, std::slice::from_ref(&dev))
        .await
        .unwrap();
    fx.core
        .add_node_members(&fx.pool, &backend.node.id, std::slice::from_ref(&dev), true)
        .await
        .unwrap();
    let app1 = fx.app.clone();
    fx.app("app2000000000000000000000", i64::MAX / 2).await;
    fx.app("app3000000000000000000000", i64::MAX / 2 + 1).await;
    let (app2, app3) = (
        "app2000000000000000000000".to_owned(),
        "app3000000000000000000000".to_owned(),
    );

    // Default: everyone may use everything.
    assert_eq!(
        fx.apps(&guest, 1, 10).await,
        (3, ids(&[&app1, &app2, &app3]))
    );

    // app2 closed by default but open to the group; app3 open but closed to an ancestor
    // department of dev.
    fx.core
        .set_app_default_access(&fx.pool, &app2, false)
        .await
        .unwrap();
    fx.core
        .set_app_access(&fx.pool, &app2, TargetType::Group, &group, true)
        .await
        .unwrap();
    fx.core
        .set_app_access(&fx.pool, &app3, TargetType::OrgNode, &eng.node.id, false)
        .await
        .unwrap();
    assert_eq!(fx.apps(&dev, 1, 10).await, (2, ids(&[&app1, &app2])));
    assert_eq!(fx.apps(&guest, 1, 10).await, (2, ids(&[&app1, &app3])));

    // Deny wins over allow: a role of dev is denied app2.
    let role = fx.role("contractor", None).await;
    fx.core
        .assign_role(&fx.pool, &role, TargetType::User, &dev)
        .await
        .unwrap();
    fx.core
        .set_app_access(&fx.pool, &app2, TargetType::Role, &role, false)
        .await
        .unwrap();
    assert_eq!(fx.apps(&dev, 1, 10).await, (1, ids(&[&app1])));
    // Changing the rule replaces it.
    fx.core
        .set_app_access(&fx.pool, &app2, TargetType::Role, &role, true)
        .await
        .unwrap();
    assert_eq!(fx.apps(&dev, 1, 10).await, (2, ids(&[&app1, &app2])));

    // An allow for the user overrides a closed default; a root rule reaches everyone below.
    fx.core
        .set_app_default_access(&fx.pool, &app1, false)
        .await
        .unwrap();
    fx.core
        .set_app_access(&fx.pool, &app1, TargetType::OrgNode, &root.node.id, true)
        .await
        .unwrap();
    assert_eq!(fx.apps(&dev, 1, 10).await, (2, ids(&[&app1, &app2])));
    assert_eq!(fx.apps(&guest, 1, 10).await, (1, ids(&[&app3])));
    fx.core
        .set_app_access(&fx.pool, &app1, TargetType::User, &guest, true)
        .await
        .unwrap();
    assert_eq!(fx.apps(&guest, 1, 10).await, (2, ids(&[&app1, &app3])));

    // Paging counts every allowed app.
    assert_eq!(fx.apps(&guest, 2, 1).await, (2, ids(&[&app3])));
    assert_eq!(fx.apps(&guest, 3, 1).await, (2, vec![]));
    for (page, limit) in [(0, 10), (1, 0), (1, 201), (-1, 10)] {
        let e = fx.core.allowed_apps(&fx.pool, &guest, page, limit).await;
        assert!(matches!(e, Err(Error::InvalidParameter(_))), "{e:?}");
    }

    // The default lives in the config document beside the other keys.
    use sqlx::Row;
    let config: String = sqlx::query("SELECT config FROM applications WHERE id = $1")
        .bind(&app2)
        .fetch_one(fx.store.pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let config: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(
        config,
        serde_json::json!({"keep": 1, "accessPolicyDefault": "DENY_ALL"})
    );
}

async fn departments_carry_their_paths(db: &TestDb) {
    let fx = setup(db).await;
    let (org, root, eng, backend, sales) = fx.org().await;
    assert!(root.root);
    assert_eq!(root.depth, Some(0));
    assert_eq!(root.path, std::slice::from_ref(&root.node.id));
    assert_eq!(
        backend.path,
        ids(&[&root.node.id, &eng.node.id, &backend.node.id])
    );
    assert_eq!(
        backend.code_path,
        [Some("corp".into()), Some("eng".into()), None]
    );
    assert_eq!(backend.name_path, ["Corp", "Eng", "Backend"]);
    assert_eq!(backend.depth, Some(2));
    assert!(!backend.root);

    let user = fx.user("u").await;
    fx.core
        .add_node_members(&fx.pool, &eng.node.id, std::slice::from_ref(&user), false)
        .await
        .unwrap();
    fx.core
        .add_node_members(
            &fx.pool,
            &backend.node.id,
            std::slice::from_ref(&user),
            true,
        )
        .await
        .unwrap();
    let deps = fx
        .core
        .user_departments(&fx.pool, &user, None)
        .await
        .unwrap();
    assert_eq!(deps.len(), 2);
    assert_eq!(
        deps[0].node.node.id, backend.node.id,
        "main department first"
    );
    assert!(deps[0].is_main);
    assert_eq!(deps[0].node.name_path, ["Corp", "Eng", "Backend"]);
    assert_eq!(deps[0].node.node.org_id, org);
    assert!(deps[0].node.children.is_empty());
    assert_eq!(deps[1].node.node.id, eng.node.id);
    assert!(!deps[1].is_main);
    assert_eq!(
        deps[1].node.children,
        std::slice::from_ref(&backend.node.id)
    );
    assert_eq!(
        deps[1].node.code_path,
        [Some("corp".into()), Some("eng".into())]
    );

    // Making Eng the main department un-mains Backend.
    fx.core
        .add_node_members(&fx.pool, &eng.node.id, std::slice::from_ref(&user), true)
        .await
        .unwrap();
    let deps = fx
        .core
        .user_departments(&fx.pool, &user, None)
        .await
        .unwrap();
    let mains: Vec<bool> = deps.iter().map(|d| d.is_main).collect();
    assert_eq!(deps[0].node.node.id, eng.node.id);
    assert_eq!(mains, [true, false]);

    let orgs = fx.core.user_orgs(&fx.pool, &user).await.unwrap();
    assert_eq!(orgs.len(), 2);
    let names: Vec<Vec<&str>> = orgs
        .iter()
        .map(|p| p.iter().map(|n| n.node.name.as_str()).collect())
        .collect();
    assert_eq!(names, [vec!["Corp", "Eng"], vec!["Corp", "Eng", "Backend"]]);
    assert!(orgs[0][0].root);
    assert_eq!(
        orgs[0][0].children,
        [eng.node.id.clone(), sales.node.id.clone()],
        "children in sibling order"
    );

    // Filtering by organization.
    let (other, _) = fx
        .core
        .create_org(&fx.pool, node("Other", None))
        .await
        .unwrap();
    assert!(fx
        .core
        .user_departments(&fx.pool, &user, Some(&other.id))
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        fx.core
            .user_departments(&fx.pool, &user, Some(&org))
            .await
            .unwrap()
            .len(),
        2
    );
    // A node can only be added under a node of the same organization.
    let e = fx
        .core
        .add_node(&fx.pool, &other.id, &eng.node.id, node("X", None))
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::OrgNode))), "{e:?}");
    let nobody = fx.core.user_departments(&fx.pool, "nobody", None).await;
    assert!(matches!(nobody, Err(Error::UserNotFound)), "{nobody:?}");
}

/// The access policy is a login rule: a user the application keeps out gets no session
/// through it, on every façade (they all log in through `Core::authenticate`).
async fn login_follows_app_access_policy(db: &TestDb) {
    use tessera_core::service::login::{Credential, LoginOptions};
    use tessera_core::service::users::LoginId;
    let fx = setup(db).await;
    let pool = fx.core.pool(&fx.pool).await.unwrap();
    let user = fx
        .core
        .create_user(
            &pool,
            NewUser {
                username: Some("walker".into()),
                password: Some("pass-word1".into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    let app = fx.core.app(&fx.app).await.unwrap();
    let login = || {
        fx.core.authenticate(
            &pool,
            Some(&app),
            Credential::Password {
                id: LoginId::Username("walker".into()),
                password: "pass-word1".into(),
            },
            LoginOptions::default(),
        )
    };
    login().await.expect("open by default");
    fx.core
        .set_app_default_access(&fx.pool, &fx.app, false)
        .await
        .unwrap();
    assert!(matches!(login().await, Err(Error::Forbidden)));
    // A rule naming someone else leaves the closed default in force for this user (the
    // app now has a rule, so the user's roles, groups and departments are resolved).
    let other = fx.user("someone-else").await;
    fx.core
        .set_app_access(&fx.pool, &fx.app, TargetType::User, &other, true)
        .await
        .unwrap();
    assert!(matches!(login().await, Err(Error::Forbidden)));
    let before = fx.core.user_by_id(&fx.pool, &user.id).await.unwrap();
    fx.core
        .set_app_access(&fx.pool, &fx.app, TargetType::User, &user.id, true)
        .await
        .unwrap();
    let ok = login().await.expect("allowed by a rule naming the user");
    assert_eq!(ok.app_id.as_deref(), Some(fx.app.as_str()));
    // The refused attempts recorded no login.
    assert_eq!(ok.user.login.logins_count, before.login.logins_count + 1);
    // On an open application, a deny through one of the user's groups keeps them out.
    fx.core
        .set_app_default_access(&fx.pool, &fx.app, true)
        .await
        .unwrap();
    fx.core
        .set_app_access(&fx.pool, &fx.app, TargetType::User, &user.id, false)
        .await
        .unwrap();
    assert!(matches!(login().await, Err(Error::Forbidden)));
    let group = fx.group("outsiders").await;
    fx.core
        .add_group_members(&fx.pool, &group, std::slice::from_ref(&user.id))
        .await
        .unwrap();
    fx.core
        .set_app_access(&fx.pool, &fx.app, TargetType::User, &user.id, true)
        .await
        .unwrap();
    login().await.expect("open again");
    fx.core
        .set_app_access(&fx.pool, &fx.app, TargetType::Group, &group, false)
        .await
        .unwrap();
    assert!(matches!(login().await, Err(Error::Forbidden)));
}

backend_tests! {
    login_app_access => login_follows_app_access_policy;
    group_role => resource_through_a_groups_role;
    department_role => resource_through_a_departments_role;
    ancestor_department => resource_through_an_ancestor_department;
    parent_role => resource_through_a_parent_role;
    role_namespaces => roles_filter_by_namespace;
    duplicates => duplicate_codes_write_nothing;
    isolation => pools_are_isolated;
    is_allowed => is_allowed_agrees_with_authorized_resources;
    app_access => app_access_deny_allow_default;
    departments => departments_carry_their_paths;
}
