//! What the v3 tenant API reads and writes beyond v2's on both backends: tenants found by a
//! keyword in their name, members filtered to admins or by a keyword in the user's
//! identifiers, one membership, batch removal all-or-nothing, and batch custom fields.

mod common;

use std::sync::Arc;

use common::TestDb;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::UserPool;
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::paging::Page;
use tessera_core::service::tenants::NewTenant;
use tessera_core::service::udf::{UdfDataType, UdfSpec, UdfTarget};
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::tenants::MemberFilter;
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Entity, Error};

struct Fx {
    core: Core,
    pool: PoolAdmin,
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
    let a = core.create_pool("tenants").await.unwrap();
    let b = core.create_pool("other").await.unwrap();
    Fx {
        pool: core
            .pool_admin_by_secret(&a.user_pool_id, &a.secret)
            .await
            .unwrap(),
        other: core
            .pool_admin_by_secret(&b.user_pool_id, &b.secret)
            .await
            .unwrap(),
        core,
    }
}

impl Fx {
    async fn user(&self, pool: &UserPool, name: &str, email: &str) -> String {
        self.core
            .create_user(
                pool,
                NewUser {
                    username: Some(name.into()),
                    email: Some(email.into()),
                    ..NewUser::default()
                },
                CreatedBy::Admin,
            )
            .await
            .unwrap()
            .id
    }

    async fn tenant(&self, name: &str) -> String {
        self.core
            .create_tenant(
                &self.pool,
                NewTenant {
                    name: name.into(),
                    ..NewTenant::default()
                },
            )
            .await
            .unwrap()
            .id
    }
}

fn page(page: i64, limit: i64) -> Page {
    Page::new(Some(page), Some(limit)).unwrap()
}

async fn keywords_and_filters(db: &TestDb) {
    let fx = setup(db).await;
    let acme = fx.tenant("Acme Corp").await;
    fx.tenant("Globex").await;
    fx.tenant("acme_labs").await;
    fx.core
        .create_tenant(
            &fx.other,
            NewTenant {
                name: "Acme elsewhere".into(),
                ..NewTenant::default()
            },
        )
        .await
        .unwrap();
    let found = fx
        .core
        .search_tenants(&fx.pool, Some("ACME"), page(1, 10))
        .await
        .unwrap();
    assert_eq!(found.total_count, 2, "case-insensitive, this pool only");
    // Tenants made in the same millisecond are ordered by id, so only membership is certain.
    assert!(found.list.iter().any(|t| t.id == acme));
    // `_` is a literal, not a LIKE wildcard.
    let literal = fx
        .core
        .search_tenants(&fx.pool, Some("e_l"), page(1, 10))
        .await
        .unwrap();
    assert_eq!(literal.total_count, 1);
    assert_eq!(literal.list[0].name, "acme_labs");
    let second = fx
        .core
        .search_tenants(&fx.pool, None, page(2, 2))
        .await
        .unwrap();
    assert_eq!((second.total_count, second.list.len()), (3, 1));

    let pool = fx.pool.pool().clone();
    let alice = fx.user(&pool, "alice", "alice@example.com").await;
    let bob = fx.user(&pool, "bob", "bob@corp.example").await;
    let carol = fx.user(&pool, "carol", "carol@example.com").await;
    fx.core
        .add_tenant_members(
            &fx.pool,
            &acme,
            &[alice.clone(), bob.clone(), carol.clone()],
        )
        .await
        .unwrap();
    fx.core
        .set_tenant_admins(&fx.pool, &acme, std::slice::from_ref(&bob))
        .await
        .unwrap();
    let admins = MemberFilter {
        admins_only: true,
        keyword: None,
    };
    let a = fx
        .core
        .tenant_members_matching(&fx.pool, &acme, &admins, page(1, 10))
        .await
        .unwrap();
    assert_eq!(a.total_count, 1);
    assert_eq!(a.list[0].1.id, bob);
    let by_mail = MemberFilter {
        admins_only: false,
        keyword: Some("EXAMPLE.COM".into()),
    };
    let m = fx
        .core
        .tenant_members_matching(&fx.pool, &acme, &by_mail, page(1, 1))
        .await
        .unwrap();
    assert_eq!(m.total_count, 2);
    assert_eq!(m.list.len(), 1);
    // Members added together joined at the same instant: the user id breaks the tie.
    let first = if alice < carol { &alice } else { &carol };
    assert_eq!(&m.list[0].1.id, first);

    let (member, user) = fx.core.tenant_member(&fx.pool, &acme, &bob).await.unwrap();
    assert!(member.is_admin);
    assert_eq!(user.id, bob);
    let e = fx.core.tenant_member(&fx.other, &acme, &bob).await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Tenant))));

    // One non-member refuses the whole removal.
    let e = fx
        .core
        .remove_tenant_members(&fx.pool, &acme, &[alice.clone(), "nobody".to_owned()])
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::TenantMember))));
    let all = fx
        .core
        .tenant_members(&fx.pool, &acme, page(1, 10))
        .await
        .unwrap();
    assert_eq!(all.total_count, 3, "nothing was removed");
    fx.core
        .remove_tenant_members(&fx.pool, &acme, &[alice.clone(), carol.clone()])
        .await
        .unwrap();
    let left = fx
        .core
        .tenant_members(&fx.pool, &acme, page(1, 10))
        .await
        .unwrap();
    assert_eq!(left.total_count, 1);
    assert_eq!(left.list[0].1.id, bob);
}

async fn custom_field_batches(db: &TestDb) {
    let fx = setup(db).await;
    let spec = |key: &str, ty: Option<UdfDataType>| UdfSpec {
        target: UdfTarget::User,
        key: key.into(),
        data_type: ty,
        label: Some(format!("{key} label")),
        options: None,
    };
    // The second spec is new and names no type: neither is written.
    let e = fx
        .core
        .define_udfs(
            &fx.pool,
            vec![spec("age", Some(UdfDataType::Number)), spec("nick", None)],
        )
        .await;
    assert!(matches!(e, Err(Error::MissingParameter("dataType"))));
    let defs = fx
        .core
        .udf_definitions(&fx.pool, UdfTarget::User)
        .await
        .unwrap();
    assert!(defs.is_empty());
    fx.core
        .define_udfs(
            &fx.pool,
            vec![
                spec("age", Some(UdfDataType::Number)),
                UdfSpec {
                    target: UdfTarget::Role,
                    ..spec("level", Some(UdfDataType::String))
                },
            ],
        )
        .await
        .unwrap();
    // A change that names no type keeps the stored one.
    fx.core
        .define_udfs(&fx.pool, vec![spec("age", None)])
        .await
        .unwrap();
    let defs = fx
        .core
        .udf_definitions(&fx.pool, UdfTarget::User)
        .await
        .unwrap();
    assert_eq!(defs.len(), 1);
    assert_eq!(defs[0].data_type, "NUMBER");
    assert!(fx
        .core
        .udf_definitions(&fx.other, UdfTarget::User)
        .await
        .unwrap()
        .is_empty());
    // An unknown field removes none.
    let e = fx
        .core
        .remove_udfs(
            &fx.pool,
            &[
                (UdfTarget::User, "age".to_owned()),
                (UdfTarget::User, "missing".to_owned()),
            ],
        )
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::UdfDefinition))));
    let e = fx
        .core
        .remove_udfs(&fx.other, &[(UdfTarget::User, "age".to_owned())])
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::UdfDefinition))));
    fx.core
        .remove_udfs(
            &fx.pool,
            &[
                (UdfTarget::User, "age".to_owned()),
                (UdfTarget::Role, "level".to_owned()),
            ],
        )
        .await
        .unwrap();
    assert!(fx
        .core
        .udf_definitions(&fx.pool, UdfTarget::Role)
        .await
        .unwrap()
        .is_empty());
}

async fn base_field_labels(db: &TestDb) {
    let fx = setup(db).await;
    let e = fx
        .core
        .set_user_base_field_labels(
            &fx.pool,
            &[
                ("nickname".to_owned(), Some("Alias".to_owned())),
                ("shoeSize".to_owned(), Some("x".to_owned())),
            ],
        )
        .await;
    assert!(matches!(e, Err(Error::InvalidParameter("key"))));
    assert!(fx
        .core
        .user_base_field_labels(&fx.pool)
        .await
        .unwrap()
        .is_empty());
    fx.core
        .set_user_base_field_labels(
            &fx.pool,
            &[("nickname".to_owned(), Some("Alias".to_owned()))],
        )
        .await
        .unwrap();
    assert_eq!(
        fx.core.user_base_field_labels(&fx.pool).await.unwrap(),
        vec![("nickname".to_owned(), "Alias".to_owned())]
    );
    assert!(fx
        .core
        .user_base_field_labels(&fx.other)
        .await
        .unwrap()
        .is_empty());
    // Built-in labels are no custom fields of users.
    assert!(fx
        .core
        .udf_definitions(&fx.pool, UdfTarget::User)
        .await
        .unwrap()
        .is_empty());
    fx.core
        .set_user_base_field_labels(&fx.pool, &[("nickname".to_owned(), None)])
        .await
        .unwrap();
    assert!(fx
        .core
        .user_base_field_labels(&fx.pool)
        .await
        .unwrap()
        .is_empty());
}

/// Each tenant gets a code at creation, unique per pool, found by `tenant_by_code` in its own
/// pool only.
async fn tenants_are_found_by_code(db: &TestDb) {
    let fx = setup(db).await;
    let new = |name: &str| NewTenant {
        name: name.into(),
        ..NewTenant::default()
    };
    let a = fx.core.create_tenant(&fx.pool, new("A")).await.unwrap();
    let b = fx.core.create_tenant(&fx.pool, new("B")).await.unwrap();
    assert_eq!(a.code.len(), 10);
    assert_ne!(a.code, b.code);
    let found = fx.core.tenant_by_code(&fx.pool, &a.code).await.unwrap();
    assert_eq!(found.id, a.id);
    assert_eq!(found.code, a.code);
    let e = fx
        .core
        .tenant_by_code(&fx.other, &a.code)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::Tenant)), "{e:?}");
    let e = fx.core.tenant_by_code(&fx.pool, "nope").await.unwrap_err();
    assert!(matches!(e, Error::NotFound(Entity::Tenant)), "{e:?}");
    // The code survives an update of everything else.
    let patch = tessera_core::service::tenants::TenantPatch {
        name: Some("A2".into()),
        ..Default::default()
    };
    let after = fx.core.update_tenant(&fx.pool, &a.id, patch).await.unwrap();
    assert_eq!(after.code, a.code);
}

backend_tests! {
    tenant_codes => tenants_are_found_by_code;
    tenant_keywords_and_member_filters => keywords_and_filters;
    udf_batches => custom_field_batches;
    user_base_labels => base_field_labels;
}
