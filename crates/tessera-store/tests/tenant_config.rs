//! The pool's tenant and login-page configuration on both backends: the row written under a
//! version check (a stale version writes nothing), patches merged key by key, the tenants'
//! connection offers and associations (all-or-none, other pools' rows absent, gone with their
//! tenant), and the effects: joining a tenant by invitation, QR-code logins for a tenant, and
//! the hosted login page's settings.

mod common;

use std::sync::Arc;

use common::TestDb;
use serde_json::{json, Map, Value};
use tessera_core::model::UserPool;
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::tenant_config::LoginDocument;
use tessera_core::service::tenants::{NewConn, NewExtIdp, NewTenant};
use tessera_core::service::users::{CreatedBy, LoginContext, NewUser};
use tessera_core::store::tenant_config::{PoolTenantConfigFields, TenantConnRule};
use tessera_core::store::{Store, TenantConfigStore};
use tessera_core::{Core, CoreConfig, Entity, Error, TenantFeature};
use tessera_store::SqlStore;

const PASSWORD: &str = "Passw0rd!x";

struct Fx {
    core: Core,
    store: Arc<SqlStore>,
    pool: UserPool,
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
            hash_params: tessera_core::crypto::password::HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .expect("core");
    let a = core.create_pool("tenant-config").await.unwrap();
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
        store,
    }
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

impl Fx {
    async fn tenant(&self, admin: &PoolAdmin, name: &str) -> String {
        self.core
            .create_tenant(
                admin,
                NewTenant {
                    name: name.into(),
                    ..NewTenant::default()
                },
            )
            .await
            .unwrap()
            .id
    }

    async fn conn(&self, admin: &PoolAdmin, identifier: &str) -> String {
        self.core
            .create_ext_idp(
                admin,
                NewExtIdp {
                    name: format!("idp {identifier}"),
                    kind: "github".into(),
                    connections: vec![NewConn {
                        kind: "github".into(),
                        identifier: identifier.into(),
                        display_name: identifier.into(),
                        ..NewConn::default()
                    }],
                    ..NewExtIdp::default()
                },
            )
            .await
            .unwrap()
            .connections[0]
            .id
            .clone()
    }

    async fn count(&self, table: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(self.store.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap()
    }
}

/// The row: a first write creates it, a write naming a stale version is refused and writes
/// nothing, the named columns alone change, another pool has none.
async fn versioned_row(db: &TestDb) {
    let fx = setup(db).await;
    let s = &fx.store;
    assert!(s.pool_tenant_config(&fx.pool.id).await.unwrap().is_none());
    let first = s
        .put_pool_tenant_config(
            &fx.pool.id,
            &PoolTenantConfigFields {
                tenant_login: Some(obj(json!({"enableJoinTenant": false}))),
                ..PoolTenantConfigFields::default()
            },
            None,
            10,
        )
        .await
        .unwrap();
    assert_eq!(first.updated_at, 10);
    assert!(first.tenant_qrcode_enabled, "QR codes on by default");
    assert!(first.login_page.is_empty());
    // A second "first write" lost a race: refused.
    let raced = s
        .put_pool_tenant_config(&fx.pool.id, &PoolTenantConfigFields::default(), None, 11)
        .await;
    assert!(matches!(raced, Err(Error::ConcurrentChange)), "{raced:?}");
    // A stale version: refused, nothing written.
    let stale = s
        .put_pool_tenant_config(
            &fx.pool.id,
            &PoolTenantConfigFields {
                tenant_qrcode_enabled: Some(false),
                ..PoolTenantConfigFields::default()
            },
            Some(9),
            12,
        )
        .await;
    assert!(matches!(stale, Err(Error::ConcurrentChange)), "{stale:?}");
    assert_eq!(
        s.pool_tenant_config(&fx.pool.id).await.unwrap(),
        Some(first.clone())
    );
    // The current version: only the named column changes.
    let next = s
        .put_pool_tenant_config(
            &fx.pool.id,
            &PoolTenantConfigFields {
                tenant_qrcode_enabled: Some(false),
                ..PoolTenantConfigFields::default()
            },
            Some(10),
            13,
        )
        .await
        .unwrap();
    assert!(!next.tenant_qrcode_enabled);
    assert_eq!(next.tenant_login, first.tenant_login);
    assert_eq!(next.updated_at, 13);
    assert!(s.pool_tenant_config(&fx.other.id).await.unwrap().is_none());
}

/// The core's patches: each keeps the other keys, the two documents are apart, bad input
/// writes nothing, concurrent patches of different keys both survive.
async fn patches_merge(db: &TestDb) {
    let fx = setup(db).await;
    let c = &fx.core;
    c.update_login_config(
        &fx.admin,
        LoginDocument::Tenants,
        obj(json!({"enableCreateTenant": true, "createTenantScenes": ["console"]})),
    )
    .await
    .unwrap();
    c.update_login_config(
        &fx.admin,
        LoginDocument::Tenants,
        obj(json!({"enableJoinTenant": false})),
    )
    .await
    .unwrap();
    c.update_login_config(
        &fx.admin,
        LoginDocument::LoginPage,
        obj(json!({"ssoPageCustomizationSettings": {"hideRegister": true}})),
    )
    .await
    .unwrap();
    let cfg = c.pool_tenant_config(&fx.admin).await.unwrap();
    assert!(cfg.create_tenant_enabled());
    assert!(!cfg.join_tenant_enabled());
    assert_eq!(cfg.tenant_login["createTenantScenes"], json!(["console"]));
    assert!(!cfg
        .tenant_login
        .contains_key("ssoPageCustomizationSettings"));
    assert!(
        c.login_page_settings(&fx.pool.id)
            .await
            .unwrap()
            .hide_register
    );
    assert!(
        !c.login_page_settings(&fx.other.id)
            .await
            .unwrap()
            .hide_register
    );

    let before = fx.store.pool_tenant_config(&fx.pool.id).await.unwrap();
    for bad in [
        json!({"enableJoinTenant": "no"}),
        json!({"nope": 1}),
        json!({"joinTenantScenes": [{}]}),
    ] {
        let e = c
            .update_login_config(&fx.admin, LoginDocument::Tenants, obj(bad.clone()))
            .await;
        assert!(matches!(e, Err(Error::InvalidParameter(_))), "{bad}: {e:?}");
    }
    assert_eq!(
        fx.store.pool_tenant_config(&fx.pool.id).await.unwrap(),
        before
    );

    // Racing patches of different keys: the version check makes the loser re-read.
    let keys: Vec<String> = (0..6).map(|i| format!("scene-{i}")).collect();
    let core = Arc::new(fx.core);
    let mut tasks = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let (core, admin, k) = (core.clone(), fx.admin.clone(), k.clone());
        let key = [
            "createTenantScenes",
            "joinTenantScenes",
            "verifyDomainScenes",
        ][i % 3];
        let doc = if i < 3 {
            LoginDocument::Tenants
        } else {
            LoginDocument::LoginPage
        };
        tasks.push(tokio::spawn(async move {
            core.update_login_config(&admin, doc, obj(json!({ key: [k] })))
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let row = fx
        .store
        .pool_tenant_config(&fx.pool.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.tenant_login["createTenantScenes"], json!(["scene-0"]));
    assert_eq!(row.tenant_login["joinTenantScenes"], json!(["scene-1"]));
    assert_eq!(row.tenant_login["verifyDomainScenes"], json!(["scene-2"]));
    assert_eq!(row.login_page["createTenantScenes"], json!(["scene-3"]));
    assert_eq!(row.login_page["joinTenantScenes"], json!(["scene-4"]));
    assert_eq!(row.login_page["verifyDomainScenes"], json!(["scene-5"]));
    assert_eq!(row.tenant_login["enableJoinTenant"], json!(false), "kept");
}

/// Offers and associations: all or none, other pools' rows absent, gone with their tenant
/// or connection.
async fn conn_states(db: &TestDb) {
    let fx = setup(db).await;
    let c = &fx.core;
    let (a, b) = (
        fx.conn(&fx.admin, "gh-a").await,
        fx.conn(&fx.admin, "gh-b").await,
    );
    let theirs = fx.conn(&fx.other, "gh-theirs").await;
    let t = fx.tenant(&fx.admin, "Acme").await;
    let their_tenant = fx.tenant(&fx.other, "Other").await;

    // One connection of another pool: nothing written.
    let e = c
        .set_tenant_conns_offered(&fx.admin, &[a.clone(), theirs.clone()], false)
        .await;
    assert!(
        matches!(e, Err(Error::NotFound(Entity::ExtIdpConn))),
        "{e:?}"
    );
    assert!(fx
        .store
        .tenant_conn_offers(&fx.pool.id)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        c.set_tenant_conns_offered(&fx.admin, &[], false).await,
        Err(Error::MissingParameter("connIds"))
    ));
    c.set_tenant_conns_offered(&fx.admin, &[b.clone(), a.clone(), a.clone()], false)
        .await
        .unwrap();
    let mut want = vec![(a.clone(), false), (b.clone(), false)];
    want.sort();
    assert_eq!(
        fx.store.tenant_conn_offers(&fx.pool.id).await.unwrap(),
        want
    );
    let cfg = c.pool_tenant_config(&fx.admin).await.unwrap();
    assert!(cfg.offered_conns.is_empty());
    c.set_tenant_conns_offered(&fx.admin, std::slice::from_ref(&a), true)
        .await
        .unwrap();
    let cfg = c.pool_tenant_config(&fx.admin).await.unwrap();
    let offered: Vec<&str> = cfg
        .offered_conns
        .iter()
        .map(|(_, c)| c.id.as_str())
        .collect();
    assert_eq!(offered, vec![a.as_str()]);

    // Associations: a tenant and a connection of the pool only.
    for (tenant, conn, missing) in [
        (&their_tenant, &a, Entity::Tenant),
        (&t, &theirs, Entity::ExtIdpConn),
        (&"nope".to_owned(), &a, Entity::Tenant),
    ] {
        let e = c
            .set_tenant_conn_associated(&fx.admin, tenant, conn, false)
            .await;
        assert!(
            matches!(e, Err(Error::NotFound(m)) if m == missing),
            "{e:?}"
        );
    }
    c.set_tenant_conn_associated(&fx.admin, &t, &a, false)
        .await
        .unwrap();
    assert_eq!(
        fx.store
            .tenant_conn_rule(&fx.pool.id, &t, &a)
            .await
            .unwrap(),
        TenantConnRule {
            offered: Some(true),
            associated: Some(false),
        }
    );
    assert_eq!(
        fx.store
            .tenant_conn_rule(&fx.other.id, &t, &a)
            .await
            .unwrap(),
        TenantConnRule::default(),
        "another pool sees nothing"
    );
    let idp_id = c.ext_idp_conn(&fx.admin, &a).await.unwrap().ext_idp_id;
    let (_, listed) = c
        .ext_idp_conns_in_use(&fx.admin, &idp_id, Some(&t), None, None)
        .await
        .unwrap();
    assert!(listed.is_empty(), "dissociated: not in use for the tenant");
    let (_, listed) = c
        .ext_idp_conns_in_use(&fx.admin, &idp_id, None, None, None)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "in use without a tenant");
    c.set_tenant_conn_associated(&fx.admin, &t, &a, true)
        .await
        .unwrap();
    assert_eq!(
        fx.store
            .tenant_conn_associations(&fx.pool.id, &t)
            .await
            .unwrap(),
        vec![(a.clone(), true)]
    );

    // Gone with the tenant and with the connection.
    c.delete_tenant(&fx.admin, &t).await.unwrap();
    assert_eq!(fx.count("tenant_ext_idp_conn_links").await, 0);
    c.delete_ext_idp_conn(&fx.admin, &b).await.unwrap();
    assert_eq!(
        fx.store.tenant_conn_offers(&fx.pool.id).await.unwrap(),
        vec![(a.clone(), true)]
    );
}

/// `enableJoinTenant` off: an invitation is not accepted and nobody joins; on again, it is.
async fn join_switch(db: &TestDb) {
    let fx = setup(db).await;
    let c = &fx.core;
    let app = c.create_application(&fx.pool.id, "web").await.unwrap();
    let tenant = c
        .create_tenant(
            &fx.admin,
            NewTenant {
                name: "Acme".into(),
                app_ids: vec![app.id.clone()],
                ..NewTenant::default()
            },
        )
        .await
        .unwrap();
    let user = c
        .create_user(
            &fx.pool,
            NewUser {
                email: Some("ann@example.com".into()),
                password: Some(PASSWORD.into()),
                register_source: vec!["basic:email".into()],
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    let batch = c
        .invite_tenant_users(
            &fx.admin,
            &tenant.id,
            &app.id,
            &["ann@example.com".into()],
            7,
            false,
        )
        .await
        .unwrap();
    let link = &batch.issued[0].link;
    let token = link.split("token=").nth(1).unwrap().to_owned();
    c.update_login_config(
        &fx.admin,
        LoginDocument::Tenants,
        obj(json!({"enableJoinTenant": false})),
    )
    .await
    .unwrap();
    let e = c
        .accept_tenant_invitation(&fx.pool.id, &token, PASSWORD, LoginContext::default())
        .await;
    assert!(
        matches!(e, Err(Error::TenantFeatureOff(TenantFeature::Join))),
        "{e:?}"
    );
    assert!(c
        .tenant_member(&fx.admin, &tenant.id, &user.id)
        .await
        .is_err());
    // Another pool's switch is its own.
    c.update_login_config(
        &fx.other,
        LoginDocument::Tenants,
        obj(json!({"enableJoinTenant": true})),
    )
    .await
    .unwrap();
    assert!(c
        .accept_tenant_invitation(&fx.pool.id, &token, PASSWORD, LoginContext::default())
        .await
        .is_err());
    c.update_login_config(
        &fx.admin,
        LoginDocument::Tenants,
        obj(json!({"enableJoinTenant": true})),
    )
    .await
    .unwrap();
    c.accept_tenant_invitation(&fx.pool.id, &token, PASSWORD, LoginContext::default())
        .await
        .unwrap();
    assert!(c
        .tenant_member(&fx.admin, &tenant.id, &user.id)
        .await
        .is_ok());
}

/// The tenants' QR-code state: off, a code for a tenant is neither made nor exchanged; the
/// pool's own codes still are; a tenant of another pool is not found.
async fn qr_switch(db: &TestDb) {
    let fx = setup(db).await;
    let c = &fx.core;
    let app = c.create_application(&fx.pool.id, "web").await.unwrap();
    let t = fx.tenant(&fx.admin, "Acme").await;
    let theirs = fx.tenant(&fx.other, "Other").await;
    assert!(c.qr_login_create_in(&fx.pool, &app, Some(&t)).await.is_ok());
    c.set_tenant_qrcode_enabled(&fx.admin, false).await.unwrap();
    let e = c.qr_login_create_in(&fx.pool, &app, Some(&t)).await;
    assert!(
        matches!(e, Err(Error::TenantFeatureOff(TenantFeature::QrLogin))),
        "{e:?}"
    );
    let e = c
        .qr_login_exchange_in(&fx.pool, &app, "ticket", LoginContext::default(), Some(&t))
        .await;
    assert!(
        matches!(e, Err(Error::TenantFeatureOff(TenantFeature::QrLogin))),
        "{e:?}"
    );
    assert!(c.qr_login_create_in(&fx.pool, &app, None).await.is_ok());
    assert!(matches!(
        c.qr_login_create_in(&fx.pool, &app, Some(&theirs)).await,
        Err(Error::NotFound(Entity::Tenant))
    ));
    assert!(
        !c.pool_tenant_config(&fx.admin)
            .await
            .unwrap()
            .tenant_qrcode_enabled
    );
    assert!(
        c.pool_tenant_config(&fx.other)
            .await
            .unwrap()
            .tenant_qrcode_enabled
    );
    c.set_tenant_qrcode_enabled(&fx.admin, true).await.unwrap();
    assert!(c.qr_login_create_in(&fx.pool, &app, Some(&t)).await.is_ok());
}

backend_tests! {
    versioned => versioned_row;
    merged => patches_merge;
    conns => conn_states;
    join => join_switch;
    qr => qr_switch;
}
