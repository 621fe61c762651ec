//! Applications, agreements, tenants, external identity providers and MFA factors on both
//! backends: paging, deletes that take their dependants along, all-or-nothing batches,
//! pool isolation and secret rotation.

mod common;

use std::sync::Arc;

use common::TestDb;
use serde_json::Map;
use sqlx::Row;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::tenant::MfaType;
use tessera_core::model::{SigningAlg, UserPool};
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::apps_admin::{AppType, NewApp};
use tessera_core::service::paging::Page;
use tessera_core::service::tenants::{NewConn, NewExtIdp, NewTenant, TenantPatch};
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::{Store, UsersStore};
use tessera_core::{Core, CoreConfig, Entity, Error};
use tessera_store::SqlStore;

struct Fx {
    core: Core,
    store: Arc<SqlStore>,
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
    let a = core.create_pool("apps").await.unwrap();
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
        store,
    }
}

impl Fx {
    async fn user(&self, pool: &UserPool, name: &str) -> String {
        self.core
            .create_user(
                pool,
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

    async fn app(&self, name: &str) -> String {
        self.core
            .admin_create_app(
                &self.pool,
                NewApp {
                    name: name.into(),
                    ..NewApp::default()
                },
            )
            .await
            .unwrap()
            .app
            .id
    }

    async fn count(&self, sql: &str, id: &str) -> i64 {
        sqlx::query(sql)
            .bind(id)
            .fetch_one(self.store.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }
}

fn page(page: i64, limit: i64) -> Page {
    Page::new(Some(page), Some(limit)).unwrap()
}

fn conn(identifier: &str) -> NewConn {
    NewConn {
        kind: "wechat:pc".into(),
        identifier: identifier.into(),
        display_name: "WeChat".into(),
        fields: Map::new(),
        user_match_fields: vec!["email".into()],
        logo: None,
    }
}

async fn apps_page_and_delete_with_dependants(db: &TestDb) {
    let fx = setup(db).await;
    let mut made = Vec::new();
    for i in 0..4 {
        made.push(fx.app(&format!("app{i}")).await);
    }
    // The pool's first application plus the four.
    let all = fx
        .core
        .admin_list_apps(&fx.pool, page(1, 100))
        .await
        .unwrap();
    assert_eq!(all.total_count, 5);
    let mut paged = Vec::new();
    for p in 1..=3 {
        let pg = fx.core.admin_list_apps(&fx.pool, page(p, 2)).await.unwrap();
        assert_eq!(pg.total_count, 5);
        paged.extend(pg.list.into_iter().map(|v| v.app.id));
    }
    let ids: Vec<String> = all.list.iter().map(|v| v.app.id.clone()).collect();
    assert_eq!(paged, ids, "pages are disjoint and in one stable order");

    let app = &made[0];
    fx.core
        .create_agreement(&fx.pool, app, "terms", "zh-CN", true)
        .await
        .unwrap();
    let t = fx
        .core
        .create_tenant(
            &fx.pool,
            NewTenant {
                name: "t".into(),
                app_ids: vec![app.clone(), made[1].clone()],
                ..NewTenant::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(fx.core.app_tenants(&fx.pool, app).await.unwrap().1.len(), 1);
    // Another pool cannot delete it.
    let e = fx.core.admin_delete_app(&fx.other, app).await;
    assert!(matches!(e, Err(Error::AppNotFound)), "{e:?}");
    fx.core.admin_delete_app(&fx.pool, app).await.unwrap();
    assert_eq!(
        fx.count("SELECT COUNT(*) FROM app_agreements WHERE app_id = $1", app)
            .await,
        0
    );
    let t = fx.core.tenant(&fx.pool, &t.id).await.unwrap();
    assert_eq!(t.app_ids, vec![made[1].clone()]);
    let e = fx.core.admin_app(&fx.pool, app).await;
    assert!(matches!(e, Err(Error::AppNotFound)), "{e:?}");
}

async fn identifiers_are_unique_and_types_persist(db: &TestDb) {
    let fx = setup(db).await;
    let new = |identifier: &str| NewApp {
        name: "x".into(),
        identifier: Some(identifier.into()),
        ..NewApp::default()
    };
    let a = fx
        .core
        .admin_create_app(&fx.pool, new("shop"))
        .await
        .unwrap();
    let e = fx.core.admin_create_app(&fx.other, new("shop")).await;
    assert!(matches!(e, Err(Error::DomainTaken)), "{e:?}");
    let v = fx
        .core
        .change_app_type(&fx.pool, &a.app.id, AppType::Tenant)
        .await
        .unwrap();
    assert_eq!(v.app_type, AppType::Tenant);
    assert!(v.allow_all_by_default);
    let e = fx
        .core
        .change_app_type(&fx.other, &a.app.id, AppType::Both)
        .await;
    assert!(matches!(e, Err(Error::AppNotFound)), "{e:?}");
}

async fn refreshed_secret_retires_hs256_tokens(db: &TestDb) {
    let fx = setup(db).await;
    let app_id = fx.app("hs").await;
    let mut oidc = fx.core.app(&app_id).await.unwrap().oidc;
    oidc.id_token_signing_alg = SigningAlg::HS256;
    sqlx::query("UPDATE applications SET oidc = $1 WHERE id = $2")
        .bind(serde_json::to_string(&oidc).unwrap())
        .bind(&app_id)
        .execute(fx.store.pool())
        .await
        .unwrap();
    let user_id = fx.user(&fx.pool, "alice").await;
    let user = fx.core.user_by_id(&fx.pool.id, &user_id).await.unwrap();
    let app = fx.core.app(&app_id).await.unwrap();
    let token = fx
        .core
        .issue_user_token(&fx.pool, Some(&app), &user)
        .await
        .unwrap()
        .token;
    fx.core.verify_user_token(&token).await.unwrap();

    let refreshed = fx.core.refresh_app_secret(&fx.pool, &app_id).await.unwrap();
    assert_ne!(refreshed.app.secret, app.secret);
    let e = fx.core.verify_user_token(&token).await;
    assert!(matches!(e, Err(Error::TokenInvalid)), "{e:?}");
    let fresh = fx
        .core
        .issue_user_token(&fx.pool, Some(&refreshed.app), &user)
        .await
        .unwrap()
        .token;
    fx.core.verify_user_token(&fresh).await.unwrap();
}

async fn agreements_order_and_bad_sorts(db: &TestDb) {
    let fx = setup(db).await;
    let app = fx.app("a").await;
    let mut ids = Vec::new();
    for t in ["one", "two", "three"] {
        ids.push(
            fx.core
                .create_agreement(&fx.pool, &app, t, "en-US", true)
                .await
                .unwrap()
                .id,
        );
    }
    let order = |list: Vec<tessera_core::model::tenant::Agreement>| {
        list.into_iter().map(|a| a.id).collect::<Vec<_>>()
    };
    assert_eq!(
        order(fx.core.list_agreements(&fx.pool, &app).await.unwrap()),
        ids
    );
    let reversed: Vec<i64> = ids.iter().rev().copied().collect();
    fx.core
        .sort_agreements(&fx.pool, &app, &reversed)
        .await
        .unwrap();
    for bad in [
        vec![ids[0], ids[1]],
        vec![ids[0], ids[0], ids[1]],
        vec![ids[0], ids[1], 42],
    ] {
        let e = fx.core.sort_agreements(&fx.pool, &app, &bad).await;
        assert!(matches!(e, Err(Error::AgreementOrderMismatch)), "{e:?}");
    }
    assert_eq!(
        order(fx.core.list_agreements(&fx.pool, &app).await.unwrap()),
        reversed,
        "refused sorts change nothing"
    );
    let e = fx.core.sort_agreements(&fx.other, &app, &reversed).await;
    assert!(matches!(e, Err(Error::AppNotFound)), "{e:?}");
}

async fn tenant_members_batches_and_delete(db: &TestDb) {
    let fx = setup(db).await;
    let app = fx.app("a").await;
    let t = fx
        .core
        .create_tenant(
            &fx.pool,
            NewTenant {
                name: "t".into(),
                app_ids: vec![app.clone()],
                ..NewTenant::default()
            },
        )
        .await
        .unwrap();
    let a = fx.user(&fx.pool, "a").await;
    let b = fx.user(&fx.pool, "b").await;
    let foreign = fx.user(&fx.other, "f").await;
    let e = fx
        .core
        .add_tenant_members(&fx.pool, &t.id, &[a.clone(), foreign.clone()])
        .await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");
    assert_eq!(
        fx.core
            .tenant_members(&fx.pool, &t.id, page(1, 10))
            .await
            .unwrap()
            .total_count,
        0,
        "a batch with a foreign user adds nobody"
    );
    fx.core
        .add_tenant_members(&fx.pool, &t.id, &[a.clone(), b.clone()])
        .await
        .unwrap();
    fx.core
        .set_tenant_admins(&fx.pool, &t.id, std::slice::from_ref(&b))
        .await
        .unwrap();
    // One batch joins at one instant; the user id orders it.
    let first = fx
        .core
        .tenant_members(&fx.pool, &t.id, page(1, 1))
        .await
        .unwrap();
    let second = fx
        .core
        .tenant_members(&fx.pool, &t.id, page(2, 1))
        .await
        .unwrap();
    assert_eq!(second.total_count, 2);
    let mut seen = vec![first.list[0].1.id.clone(), second.list[0].1.id.clone()];
    assert!(seen[0] < seen[1], "pages follow one order");
    seen.sort();
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(seen, both);
    let admin = [&first.list[0], &second.list[0]]
        .into_iter()
        .find(|(_, u)| u.id == b)
        .unwrap();
    assert!(admin.0.is_admin);
    assert_eq!(
        fx.core.user_tenants(&fx.pool, &a).await.unwrap()[0].id,
        t.id
    );
    let e = fx.core.user_tenants(&fx.other, &a).await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");

    // An update naming an app of another pool changes nothing.
    let foreign_app = fx.core.list_pools().await.unwrap();
    let foreign_app = foreign_app
        .iter()
        .find(|p| p.user_pool_id == fx.other.id)
        .unwrap()
        .app_ids[0]
        .clone();
    let e = fx
        .core
        .update_tenant(
            &fx.pool,
            &t.id,
            TenantPatch {
                name: Some("renamed".into()),
                app_ids: Some(vec![foreign_app]),
                ..TenantPatch::default()
            },
        )
        .await;
    assert!(matches!(e, Err(Error::AppNotFound)), "{e:?}");
    assert_eq!(fx.core.tenant(&fx.pool, &t.id).await.unwrap().name, "t");

    let idp = fx
        .core
        .create_ext_idp(
            &fx.pool,
            NewExtIdp {
                tenant_id: Some(t.id.clone()),
                name: "wx".into(),
                kind: "wechat".into(),
                connections: vec![conn("c1")],
            },
        )
        .await
        .unwrap();
    let e = fx.core.delete_tenant(&fx.other, &t.id).await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Tenant))), "{e:?}");
    fx.core.delete_tenant(&fx.pool, &t.id).await.unwrap();
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM tenant_members WHERE tenant_id = $1",
            &t.id
        )
        .await,
        0
    );
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM ext_idp_conns WHERE ext_idp_id = $1",
            &idp.id
        )
        .await,
        0
    );
    assert!(!fx
        .core
        .ext_idp_conn_identifier_taken(&fx.pool, "c1")
        .await
        .unwrap());
}

async fn ext_idp_identifiers_all_or_nothing(db: &TestDb) {
    let fx = setup(db).await;
    let new = |name: &str, conns: Vec<NewConn>| NewExtIdp {
        tenant_id: None,
        name: name.into(),
        kind: "wechat".into(),
        connections: conns,
    };
    let first = fx
        .core
        .create_ext_idp(&fx.pool, new("a", vec![conn("taken")]))
        .await
        .unwrap();
    let e = fx
        .core
        .create_ext_idp(&fx.pool, new("b", vec![conn("fresh"), conn("taken")]))
        .await;
    assert!(
        matches!(e, Err(Error::Duplicate(Entity::ExtIdpConnIdentifier))),
        "{e:?}"
    );
    assert!(!fx
        .core
        .ext_idp_conn_identifier_taken(&fx.pool, "fresh")
        .await
        .unwrap());
    assert_eq!(
        fx.core.list_ext_idps(&fx.pool, None).await.unwrap().len(),
        1
    );
    // Identifiers are unique per pool only.
    fx.core
        .create_ext_idp(&fx.other, new("c", vec![conn("taken")]))
        .await
        .unwrap();
    let c = &first.connections[0];
    fx.core
        .set_ext_idp_conns_enabled(&fx.pool, &first.id, None, None, false)
        .await
        .unwrap();
    assert!(!fx.core.ext_idp_conn(&fx.pool, &c.id).await.unwrap().enabled);
    let e = fx.core.ext_idp_conn(&fx.other, &c.id).await;
    assert!(
        matches!(e, Err(Error::NotFound(Entity::ExtIdpConn))),
        "{e:?}"
    );
    let e = fx
        .core
        .set_ext_idp_conn_enabled(&fx.other, &c.id, &[], None, true)
        .await;
    assert!(
        matches!(e, Err(Error::NotFound(Entity::ExtIdpConn))),
        "{e:?}"
    );
    assert!(!fx.core.ext_idp_conn(&fx.pool, &c.id).await.unwrap().enabled);
}

async fn totp_import_replaces_and_unbinds(db: &TestDb) {
    let fx = setup(db).await;
    let u = fx.user(&fx.pool, "m").await;
    fx.core
        .import_totp(&fx.pool, &u, "JBSWY3DPEHPK3PXP", Some("r1"))
        .await
        .unwrap();
    fx.core
        .import_totp(&fx.pool, &u, "GEZDGNBVGY3TQOJQ", None)
        .await
        .unwrap();
    let factors = fx.store.mfa_factors(&fx.pool.id, &u).await.unwrap();
    assert_eq!(factors.len(), 1, "one TOTP factor per user");
    assert_eq!(factors[0].secret.as_deref(), Some("GEZDGNBVGY3TQOJQ"));
    assert_eq!(factors[0].kind, MfaType::Otp);
    assert!(fx.core.mfa_status(&fx.pool, &u).await.unwrap().otp);
    let e = fx.core.mfa_status(&fx.other, &u).await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");
    let e = fx.core.unbind_mfa(&fx.other, &u, MfaType::Otp).await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");
    fx.core
        .unbind_mfa(&fx.pool, &u, MfaType::Otp)
        .await
        .unwrap();
    assert!(!fx.core.mfa_status(&fx.pool, &u).await.unwrap().otp);
}

/// `associateTenantResource` (migration 38): a resource of an application associated with a
/// tenant using it, and no longer; refused for a tenant not using the application or of
/// another pool; the association goes with its resource and with its tenant.
async fn tenant_resources_follow_their_ends(db: &TestDb) {
    use tessera_core::model::directory::ResourceAction;
    use tessera_core::service::acl_admin::ResourceInput;
    let fx = setup(db).await;
    let (app, unused) = (fx.app("res").await, fx.app("unused").await);
    for ns in [&app, &unused] {
        fx.core
            .create_namespace_full(&fx.pool, ns, None, None)
            .await
            .unwrap();
    }
    let resource = |ns: &str, code: &str| ResourceInput {
        namespace: ns.into(),
        code: code.into(),
        actions: Some(vec![ResourceAction {
            name: "read".into(),
            description: None,
        }]),
        ..ResourceInput::default()
    };
    let doc = fx
        .core
        .create_resource_full(&fx.pool, resource(&app, "doc"))
        .await
        .unwrap();
    let other_doc = fx
        .core
        .create_resource_full(&fx.pool, resource(&unused, "doc"))
        .await
        .unwrap();
    let tenant = |name: &str| NewTenant {
        name: name.into(),
        app_ids: vec![app.clone()],
        ..NewTenant::default()
    };
    let t1 = fx.core.create_tenant(&fx.pool, tenant("t1")).await.unwrap();
    let t2 = fx.core.create_tenant(&fx.pool, tenant("t2")).await.unwrap();
    let ids = vec![doc.id.clone(), other_doc.id.clone()];
    let linked = || async {
        fx.core
            .tenant_linked_resources(&fx.pool, &ids)
            .await
            .unwrap()
    };
    let assoc = |t: &str, app: &str, on: bool| {
        let (core, pool, t, app) = (&fx.core, &fx.pool, t.to_owned(), app.to_owned());
        async move {
            core.associate_tenant_resource(pool, Some(&t), &app, "doc", on)
                .await
        }
    };
    assert!(linked().await.is_empty());
    // The tenant does not use `unused`; another pool's administrator reaches nothing.
    let e = assoc(&t1.id, &unused, true).await;
    assert!(matches!(e, Err(Error::InvalidParameter("appId"))), "{e:?}");
    let e = fx
        .core
        .associate_tenant_resource(&fx.other, Some(&t1.id), &app, "doc", true)
        .await;
    assert!(e.is_err(), "{e:?}");
    let e = fx
        .core
        .associate_tenant_resource(&fx.pool, None, &app, "doc", true)
        .await;
    assert!(
        matches!(e, Err(Error::MissingParameter("tenantId"))),
        "{e:?}"
    );
    assert!(linked().await.is_empty());

    assoc(&t1.id, &app, true).await.unwrap();
    assoc(&t1.id, &app, true).await.unwrap();
    assoc(&t2.id, &app, true).await.unwrap();
    assert_eq!(linked().await, vec![doc.id.clone()]);
    assoc(&t1.id, &app, false).await.unwrap();
    assert_eq!(linked().await, vec![doc.id.clone()], "t2 still holds it");
    // The association goes with its tenant.
    fx.core.delete_tenant(&fx.pool, &t2.id).await.unwrap();
    assert!(linked().await.is_empty());
    // And with its resource.
    assoc(&t1.id, &app, true).await.unwrap();
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM tenant_resources WHERE tenant_id = $1",
            &t1.id
        )
        .await,
        1
    );
    fx.core
        .delete_resource(&fx.pool, &app, "doc")
        .await
        .unwrap();
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM tenant_resources WHERE tenant_id = $1",
            &t1.id
        )
        .await,
        0
    );
}

backend_tests! {
    tenant_resources => tenant_resources_follow_their_ends;
    apps_page_delete => apps_page_and_delete_with_dependants;
    app_identifiers => identifiers_are_unique_and_types_persist;
    secret_refresh => refreshed_secret_retires_hs256_tokens;
    agreements => agreements_order_and_bad_sorts;
    tenant_members => tenant_members_batches_and_delete;
    ext_idps => ext_idp_identifiers_all_or_nothing;
    totp => totp_import_replaces_and_unbinds;
}
