//! The directory's batch writes and searches on both backends (`service::directory_batches`,
//! the keyword searches of `directory_admin` / `acl_admin`): batches that create or delete
//! all of their items or none (a duplicate stored before or named twice, an unknown item),
//! roles given to targets named as the v3 wire names them, keyword searches with exact
//! totals and escaped patterns, role and resource names written by targeted updates, and
//! other pools' rows absent throughout.

mod common;

use std::sync::Arc;

use common::TestDb;
use serde_json::json;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::directory::{ResourceAction, ResourceType, TargetType};
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::acl_admin::ResourceInput;
use tessera_core::service::directory::{NewGroup, NewNode, NewResource, NewRole};
use tessera_core::service::directory_admin::{GroupUpdate, RoleUpdate};
use tessera_core::service::directory_batches::{NewGroupWithData, NewNamespace, RoleRef};
use tessera_core::service::paging::Page;
use tessera_core::service::udf::{UdfDataType, UdfTarget};
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Entity, Error};

struct Fx {
    core: Arc<Core>,
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
    let mut admins = Vec::new();
    for name in ["mine", "theirs"] {
        let creds = core.create_pool(name).await.unwrap();
        admins.push(
            core.pool_admin_by_secret(&creds.user_pool_id, &creds.secret)
                .await
                .unwrap(),
        );
    }
    let other = admins.pop().unwrap();
    let admin = admins.pop().unwrap();
    Fx {
        core: Arc::new(core),
        admin,
        other,
    }
}

fn page(page: i64, limit: i64) -> Page {
    Page::new(Some(page), Some(limit)).unwrap()
}

fn role(code: &str, ns: Option<&str>) -> NewRole {
    NewRole {
        code: code.into(),
        namespace: ns.map(Into::into),
        ..NewRole::default()
    }
}

fn group(code: &str) -> NewGroup {
    NewGroup {
        code: code.into(),
        name: code.to_uppercase(),
        description: None,
    }
}

/// A group for the batch, without custom values.
fn gd(code: &str) -> NewGroupWithData {
    NewGroupWithData {
        group: group(code),
        custom_data: Vec::new(),
    }
}

fn resource(ns: &str, code: &str, name: Option<&str>) -> NewResource {
    NewResource {
        namespace: ns.into(),
        code: code.into(),
        resource_type: ResourceType::Data,
        actions: vec![ResourceAction {
            name: "read".into(),
            description: None,
        }],
        name: name.map(Into::into),
        ..NewResource::default()
    }
}

fn rref(ns: Option<&str>, code: &str) -> RoleRef {
    RoleRef {
        namespace: ns.map(Into::into),
        code: code.into(),
    }
}

impl Fx {
    async fn user(&self, admin: &PoolAdmin, name: &str) -> String {
        let pool = self.core.pool(admin.pool_id()).await.unwrap();
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

    async fn role_codes(&self, ns: Option<&str>) -> Vec<String> {
        let mut codes = self
            .core
            .search_roles(&self.admin, ns, None, page(1, 100))
            .await
            .unwrap()
            .list
            .into_iter()
            .map(|r| r.code)
            .collect::<Vec<_>>();
        // Rows made in one batch share a creation time, and ids break the tie: compare
        // as sets.
        codes.sort();
        codes
    }
}

async fn batch_creates_are_all_or_nothing(db: &TestDb) {
    let fx = setup(db).await;
    let c = &fx.core;
    c.create_role(fx.admin.pool_id(), role("taken", None))
        .await
        .unwrap();
    // A code stored before, and a code named twice in the batch.
    let dup = c
        .create_roles(&fx.admin, vec![role("fresh", None), role("taken", None)])
        .await;
    assert!(
        matches!(dup, Err(Error::Duplicate(Entity::RoleCode))),
        "{dup:?}"
    );
    let twice = c
        .create_roles(&fx.admin, vec![role("fresh", None), role("fresh", None)])
        .await;
    assert!(matches!(twice, Err(Error::Duplicate(_))), "{twice:?}");
    assert_eq!(fx.role_codes(None).await, ["taken"]);
    // A bad item refuses the batch before anything is written.
    let bad = c
        .create_roles(&fx.admin, vec![role("fresh", None), role("  ", None)])
        .await;
    assert!(
        matches!(bad, Err(Error::MissingParameter("code"))),
        "{bad:?}"
    );
    assert!(matches!(
        c.create_roles(&fx.admin, Vec::new()).await,
        Err(Error::MissingParameter("list"))
    ));
    let made = c
        .create_roles(
            &fx.admin,
            vec![
                NewRole {
                    name: Some("Fresh".into()),
                    ..role("fresh", None)
                },
                role("taken", Some("ns")),
            ],
        )
        .await
        .unwrap();
    assert_eq!(made.len(), 2);
    assert_eq!(fx.role_codes(None).await, ["fresh", "taken", "taken"]);
    let fresh = c.role_required(&fx.admin, None, "fresh").await.unwrap();
    assert_eq!(fresh.name.as_deref(), Some("Fresh"));

    c.create_group(fx.admin.pool_id(), group("g1"))
        .await
        .unwrap();
    let dup = c.create_groups(&fx.admin, vec![gd("g2"), gd("g1")]).await;
    assert!(
        matches!(dup, Err(Error::Duplicate(Entity::GroupCode))),
        "{dup:?}"
    );
    assert!(c.group_by_code(&fx.admin, "g2").await.unwrap().is_none());
    // Custom values come with their groups, checked first: an undefined key or a value of
    // the wrong type refuses the whole batch.
    c.define_udf(
        fx.admin.pool_id(),
        UdfTarget::Group,
        "level",
        UdfDataType::Number,
        "Level",
    )
    .await
    .unwrap();
    let with = |code: &str, key: &str, v: serde_json::Value| NewGroupWithData {
        custom_data: vec![(key.to_owned(), v)],
        ..gd(code)
    };
    for bad in [
        with("g3", "nosuchkey", json!(1)),
        with("g3", "level", json!("high")),
    ] {
        assert!(c
            .create_groups(&fx.admin, vec![gd("g2"), bad])
            .await
            .is_err());
        assert!(c.group_by_code(&fx.admin, "g2").await.unwrap().is_none());
    }
    let made = c
        .create_groups(&fx.admin, vec![gd("g2"), with("g3", "level", json!(3))])
        .await
        .unwrap();
    let values = c
        .udf_values_batch(
            &fx.admin,
            UdfTarget::Group,
            &[made[0].id.clone(), made[1].id.clone()],
        )
        .await
        .unwrap();
    assert!(values[0].1.is_empty());
    assert_eq!(values[1].1.len(), 1);
    assert_eq!(values[1].1[0].key, "level");
    assert_eq!(values[1].1[0].value, "3");
    assert!(c.group_by_code(&fx.admin, "g3").await.unwrap().is_some());
    // An update and its custom values go together: a bad value changes neither.
    let rename = || GroupUpdate {
        name: Some("Renamed".into()),
        ..GroupUpdate::default()
    };
    let bad = c
        .update_group_with_data(&fx.admin, "g3", rename(), &[("level".into(), json!("x"))])
        .await;
    assert!(bad.is_err());
    assert_eq!(c.group_required(&fx.admin, "g3").await.unwrap().name, "G3");
    let g3 = c
        .update_group_with_data(&fx.admin, "g3", rename(), &[("level".into(), json!(4))])
        .await
        .unwrap();
    assert_eq!(g3.name, "Renamed");
    let values = c
        .udf_values_batch(&fx.admin, UdfTarget::Group, std::slice::from_ref(&g3.id))
        .await
        .unwrap();
    assert_eq!(values[0].1[0].value, "4");
    let theirs = c
        .update_group_with_data(&fx.other, "g3", rename(), &[])
        .await;
    assert!(matches!(theirs, Err(Error::NotFound(Entity::Group))));

    let ns = |code: &str| NewNamespace {
        code: code.into(),
        name: Some(code.to_uppercase()),
        description: None,
    };
    c.create_namespaces(&fx.admin, vec![ns("ns")])
        .await
        .unwrap();
    let dup = c
        .create_namespaces(&fx.admin, vec![ns("ns2"), ns("ns")])
        .await;
    assert!(matches!(dup, Err(Error::Duplicate(_))), "{dup:?}");
    assert!(c
        .namespace_by_code(&fx.admin, "ns2")
        .await
        .unwrap()
        .is_none());

    c.create_resources(&fx.admin, vec![resource("ns", "books", Some("Books"))])
        .await
        .unwrap();
    let dup = c
        .create_resources(
            &fx.admin,
            vec![resource("ns", "films", None), resource("ns", "books", None)],
        )
        .await;
    assert!(matches!(dup, Err(Error::Duplicate(_))), "{dup:?}");
    let no_actions = c
        .create_resources(
            &fx.admin,
            vec![
                resource("ns", "films", None),
                NewResource {
                    actions: Vec::new(),
                    ..resource("ns", "music", None)
                },
            ],
        )
        .await;
    assert!(matches!(
        no_actions,
        Err(Error::MissingParameter("actions"))
    ));
    assert!(c
        .resource_by_code(&fx.admin, "ns", "films")
        .await
        .unwrap()
        .is_none());
    let books = c
        .resource_by_code(&fx.admin, "ns", "books")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(books.name.as_deref(), Some("Books"));
}

async fn batch_deletes_are_all_or_nothing(db: &TestDb) {
    let fx = setup(db).await;
    let c = &fx.core;
    c.create_roles(
        &fx.admin,
        vec![
            role("a", None),
            role("b", Some("ns")),
            role("c", Some("ns")),
        ],
    )
    .await
    .unwrap();
    let missing = c
        .delete_roles_named(&fx.admin, &[rref(None, "a"), rref(Some("ns"), "zzz")])
        .await;
    assert!(matches!(missing, Err(Error::NotFound(Entity::Role))));
    assert_eq!(fx.role_codes(None).await, ["a", "b", "c"]);
    c.delete_roles_named(&fx.admin, &[rref(None, "a"), rref(Some("ns"), "b")])
        .await
        .unwrap();
    assert_eq!(fx.role_codes(None).await, ["c"]);

    c.create_namespaces(
        &fx.admin,
        vec![
            NewNamespace {
                code: "ns".into(),
                ..NewNamespace::default()
            },
            NewNamespace {
                code: "ns2".into(),
                ..NewNamespace::default()
            },
        ],
    )
    .await
    .unwrap();
    c.create_resources(
        &fx.admin,
        vec![
            resource("ns", "r1", None),
            resource("ns", "r2", None),
            resource("ns2", "r1", None),
        ],
    )
    .await
    .unwrap();
    let pair = |ns: &str, code: &str| (ns.to_owned(), code.to_owned());
    let missing = c
        .delete_resources(&fx.admin, &[pair("ns", "r1"), pair("ns", "nope")])
        .await;
    assert!(matches!(missing, Err(Error::NotFound(Entity::Resource))));
    assert!(c
        .resource_by_code(&fx.admin, "ns", "r1")
        .await
        .unwrap()
        .is_some());
    c.delete_resources(&fx.admin, &[pair("ns", "r1")])
        .await
        .unwrap();
    let r2 = c
        .resource_by_code(&fx.admin, "ns", "r2")
        .await
        .unwrap()
        .unwrap();
    let missing = c
        .delete_resources_by_id(&fx.admin, &[r2.id.clone(), "no-such-id".into()])
        .await;
    assert!(matches!(missing, Err(Error::NotFound(Entity::Resource))));
    c.delete_resources_by_id(&fx.admin, &[r2.id]).await.unwrap();
    assert!(c
        .resource_by_code(&fx.admin, "ns", "r2")
        .await
        .unwrap()
        .is_none());

    // Namespaces go with their roles and resources, all or none.
    let missing = c
        .delete_namespaces(&fx.admin, &["ns".into(), "nope".into()])
        .await;
    assert!(matches!(missing, Err(Error::NotFound(Entity::Namespace))));
    assert_eq!(fx.role_codes(Some("ns")).await, ["c"]);
    c.delete_namespaces(&fx.admin, &["ns".into(), "ns2".into()])
        .await
        .unwrap();
    assert!(fx.role_codes(Some("ns")).await.is_empty());
    assert!(c
        .resource_by_code(&fx.admin, "ns2", "r1")
        .await
        .unwrap()
        .is_none());
    assert!(c
        .namespace_by_code(&fx.admin, "ns")
        .await
        .unwrap()
        .is_none());
}

async fn roles_are_given_to_targets_named_by_id(db: &TestDb) {
    let fx = setup(db).await;
    let c = &fx.core;
    let pool_id = fx.admin.pool_id().to_owned();
    c.create_roles(&fx.admin, vec![role("r", None), role("s", Some("ns"))])
        .await
        .unwrap();
    let direct = fx.user(&fx.admin, "direct").await;
    let via_group = fx.user(&fx.admin, "viagroup").await;
    let via_node = fx.user(&fx.admin, "vianode").await;
    let theirs = fx.user(&fx.other, "theirs").await;
    let g = c.create_group(&pool_id, group("g")).await.unwrap();
    c.add_group_members(&pool_id, &g.id, std::slice::from_ref(&via_group))
        .await
        .unwrap();
    let (_, root) = c
        .create_org(
            &pool_id,
            NewNode {
                name: "Org".into(),
                ..NewNode::default()
            },
        )
        .await
        .unwrap();
    c.add_node_members(
        &pool_id,
        &root.node.id,
        std::slice::from_ref(&via_node),
        true,
    )
    .await
    .unwrap();
    let roles = [rref(None, "r"), rref(Some("ns"), "s")];
    let targets = vec![
        (TargetType::User, direct.clone()),
        (TargetType::Group, "g".to_owned()),
        (TargetType::OrgNode, root.node.id.clone()),
    ];

    // One unknown target, a user of another pool, or a role as holder: nothing is given.
    for bad in [
        (TargetType::User, "no-such-user".to_owned()),
        (TargetType::User, theirs.clone()),
        (TargetType::Group, "no-such-group".to_owned()),
    ] {
        let mut t = targets.clone();
        t.push(bad);
        assert!(c
            .set_roles_of_targets(&fx.admin, &roles, &t, true)
            .await
            .is_err());
    }
    let as_role = c
        .set_roles_of_targets(&fx.admin, &roles, &[(TargetType::Role, "r".into())], true)
        .await;
    assert!(matches!(as_role, Err(Error::RoleAssignedToRole)));
    let unknown_role = c
        .set_roles_of_targets(&fx.admin, &[rref(None, "zzz")], &targets, true)
        .await;
    assert!(matches!(unknown_role, Err(Error::NotFound(Entity::Role))));
    for u in [&direct, &via_group, &via_node] {
        assert!(c
            .effective_roles(&pool_id, u, None)
            .await
            .unwrap()
            .is_empty());
    }

    c.set_roles_of_targets(&fx.admin, &roles, &targets, true)
        .await
        .unwrap();
    for u in [&direct, &via_group, &via_node] {
        let held = c.effective_roles(&pool_id, u, None).await.unwrap();
        assert_eq!(held.len(), 2, "{u}");
        assert!(c
            .holds_any_role(&pool_id, u, &[rref(Some("ns"), "s")])
            .await
            .unwrap());
        assert!(!c
            .holds_any_role(&pool_id, u, &[rref(None, "s")])
            .await
            .unwrap());
    }
    let r = c.role_required(&fx.admin, None, "r").await.unwrap();
    let deps = c
        .role_departments(&fx.admin, &r.id, page(1, 10))
        .await
        .unwrap();
    assert_eq!(deps.total_count, 1);
    assert_eq!(deps.list[0].id, root.node.id);
    let seen_from_other = c
        .role_departments(&fx.other, &r.id, page(1, 10))
        .await
        .unwrap();
    assert_eq!(seen_from_other.total_count, 0);
    c.set_roles_of_targets(&fx.admin, &roles[..1], &targets[..2], false)
        .await
        .unwrap();
    let left = |u: String| {
        let c = c.clone();
        let pool_id = pool_id.clone();
        async move {
            let mut codes = c
                .effective_roles(&pool_id, &u, None)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.code)
                .collect::<Vec<_>>();
            codes.sort();
            codes
        }
    };
    assert_eq!(left(direct).await, ["s"]);
    assert_eq!(left(via_group).await, ["s"]);
    assert_eq!(left(via_node).await, ["r", "s"]);
    // Their pool saw nothing.
    assert!(c
        .effective_roles(fx.other.pool_id(), &theirs, None)
        .await
        .unwrap()
        .is_empty());
}

async fn searches_match_code_and_name_with_exact_totals(db: &TestDb) {
    let fx = setup(db).await;
    let c = &fx.core;
    c.create_roles(
        &fx.admin,
        vec![
            NewRole {
                name: Some("Book Editor".into()),
                ..role("editor", None)
            },
            role("BOOKKEEPER", None),
            role("100%_off", None),
            role("1000_off", None),
            role("books", Some("ns")),
        ],
    )
    .await
    .unwrap();
    c.create_role(fx.other.pool_id(), role("bookworm", None))
        .await
        .unwrap();
    let codes = |p: tessera_core::service::paging::Paged<tessera_core::model::directory::Role>| {
        let mut list = p.list.into_iter().map(|r| r.code).collect::<Vec<_>>();
        list.sort();
        (p.total_count, list)
    };
    let found = c
        .search_roles(&fx.admin, None, Some("book"), page(1, 10))
        .await
        .unwrap();
    assert_eq!(
        codes(found),
        (
            3,
            vec!["BOOKKEEPER".into(), "books".into(), "editor".into()]
        )
    );
    let found = c
        .search_roles(&fx.admin, Some("default"), Some("BOOK"), page(2, 1))
        .await
        .unwrap();
    assert_eq!(found.total_count, 2);
    assert_eq!(found.list.len(), 1);
    // `%` and `_` are matched literally.
    let found = c
        .search_roles(&fx.admin, None, Some("0%_"), page(1, 10))
        .await
        .unwrap();
    assert_eq!(codes(found), (1, vec!["100%_off".into()]));
    let found = c
        .search_roles(&fx.admin, None, Some("   "), page(1, 10))
        .await
        .unwrap();
    assert_eq!(found.total_count, 5, "a blank keyword filters nothing");

    c.create_groups(&fx.admin, vec![gd("readers"), gd("writers")])
        .await
        .unwrap();
    c.create_group(fx.other.pool_id(), group("readers2"))
        .await
        .unwrap();
    let found = c
        .search_groups(&fx.admin, Some("READ"), page(1, 10))
        .await
        .unwrap();
    assert_eq!(found.total_count, 1);
    assert_eq!(found.list[0].code, "readers");

    c.create_namespaces(
        &fx.admin,
        vec![
            NewNamespace {
                code: "shop".into(),
                name: Some("商店".into()),
                description: None,
            },
            NewNamespace {
                code: "blog".into(),
                ..NewNamespace::default()
            },
        ],
    )
    .await
    .unwrap();
    let found = c
        .search_namespaces(&fx.admin, Some("商"), page(1, 10))
        .await
        .unwrap();
    assert_eq!(found.total_count, 1);
    assert_eq!(found.list[0].code, "shop");

    c.create_resources(
        &fx.admin,
        vec![
            resource("shop", "orders", None),
            resource("shop", "order_items", None),
            resource("blog", "orders", None),
            resource("blog", "posts", None),
        ],
    )
    .await
    .unwrap();
    c.create_resources(&fx.other, vec![resource("shop", "orders", None)])
        .await
        .unwrap();
    let all_orders = c
        .search_resources(&fx.admin, &[], None, Some("order"), page(1, 10))
        .await
        .unwrap();
    assert_eq!(all_orders.total_count, 3);
    let in_shop = c
        .search_resources(
            &fx.admin,
            &["shop".into()],
            None,
            Some("order"),
            page(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(in_shop.total_count, 2);
    let both = c
        .search_resources(
            &fx.admin,
            &["shop".into(), "blog".into()],
            Some(ResourceType::Api),
            None,
            page(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(both.total_count, 0);
}

async fn names_are_written_by_targeted_updates(db: &TestDb) {
    let fx = setup(db).await;
    let c = &fx.core;
    c.create_role(
        fx.admin.pool_id(),
        NewRole {
            name: Some("Old".into()),
            description: Some("kept".into()),
            ..role("r", None)
        },
    )
    .await
    .unwrap();
    let r = c
        .update_role(
            &fx.admin,
            None,
            "r",
            RoleUpdate {
                name: Some("New".into()),
                ..RoleUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(r.name.as_deref(), Some("New"));
    assert_eq!(r.description.as_deref(), Some("kept"));
    let r = c
        .update_role(
            &fx.admin,
            None,
            "r",
            RoleUpdate {
                name: Some(String::new()),
                ..RoleUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(r.name, None, "a blank name clears it");

    c.create_resources(&fx.admin, vec![resource("ns", "books", Some("Books"))])
        .await
        .unwrap();
    let input = |name: Option<&str>, description: Option<&str>| ResourceInput {
        namespace: "ns".into(),
        code: "books".into(),
        name: name.map(Into::into),
        description: description.map(Into::into),
        ..ResourceInput::default()
    };
    let updated = c
        .update_resource(&fx.admin, input(None, Some("about books")))
        .await
        .unwrap();
    assert_eq!(
        updated.name.as_deref(),
        Some("Books"),
        "absent name is kept"
    );
    let updated = c
        .update_resource(&fx.admin, input(Some("Livres"), None))
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Livres"));
    assert_eq!(updated.description.as_deref(), Some("about books"));
    let read = c
        .resource_by_code(&fx.admin, "ns", "books")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, updated);
    // Another pool's resource of the same code is neither found nor changed.
    let theirs = c
        .update_resource(
            &fx.other,
            ResourceInput {
                name: Some("Hijack".into()),
                ..input(None, None)
            },
        )
        .await;
    assert!(matches!(theirs, Err(Error::NotFound(Entity::Resource))));
}

backend_tests! {
    batch_creates => batch_creates_are_all_or_nothing;
    batch_deletes => batch_deletes_are_all_or_nothing;
    role_targets => roles_are_given_to_targets_named_by_id;
    searches => searches_match_code_and_name_with_exact_totals;
    names => names_are_written_by_targeted_updates;
}
