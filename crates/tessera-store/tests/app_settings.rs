//! An application's OAuth/OIDC client settings through `Core::admin_create_app` and
//! `Core::admin_update_app`, on both backends: every setting kept at creation, a partial
//! update keeping the rest, two concurrent updates of different settings both landing (two
//! `Core`s on one database, as two server processes), and bad values refused with nothing
//! written.

mod common;

use std::sync::Arc;

use common::TestDb;
use sqlx::Row;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::{OidcSettings, SigningAlg};
use tessera_core::notify::Outbox;
use tessera_core::principal::{AdminProof, PoolAdmin};
use tessera_core::service::app_settings::OidcPatch;
use tessera_core::service::apps_admin::{AppUpdate, NewApp};
use tessera_core::service::paging::Page;
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Error};
use tessera_store::SqlStore;

const ROUNDS: usize = 12;

struct Fx {
    a: Arc<Core>,
    b: Arc<Core>,
    store: Arc<SqlStore>,
    admin: PoolAdmin,
    other: PoolAdmin,
}

async fn core(store: Arc<SqlStore>) -> Arc<Core> {
    let store: Arc<dyn Store> = store;
    let config = CoreConfig {
        public_url: "http://127.0.0.1:3000".into(),
        hash_params: HashParams::default(),
    };
    Arc::new(
        Core::open(store, config, Arc::new(Outbox::default()))
            .await
            .expect("core"),
    )
}

async fn setup(db: &TestDb) -> Fx {
    let store = db.open().await;
    let a = core(store.clone()).await;
    let b = core(db.open().await).await;
    let mine = a.create_pool("apps").await.unwrap();
    let theirs = a.create_pool("other").await.unwrap();
    Fx {
        admin: a
            .pool_admin_by_secret(&mine.user_pool_id, &mine.secret)
            .await
            .unwrap(),
        other: a
            .pool_admin_by_secret(&theirs.user_pool_id, &theirs.secret)
            .await
            .unwrap(),
        a,
        b,
        store,
    }
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The application's row as stored: name, OIDC document and `updated_at`.
async fn stored(store: &SqlStore, app_id: &str) -> (String, String, i64) {
    let row = sqlx::query("SELECT name, oidc, updated_at FROM applications WHERE id = $1")
        .bind(app_id)
        .fetch_one(store.pool())
        .await
        .unwrap();
    (
        row.try_get(0).unwrap(),
        row.try_get(1).unwrap(),
        row.try_get(2).unwrap(),
    )
}

fn full_patch() -> OidcPatch {
    OidcPatch {
        redirect_uris: Some(strings(&[
            "https://shop.example.com/cb",
            "http://localhost:5173/cb",
            "com.example.shop:/oauth2redirect",
        ])),
        post_logout_redirect_uris: Some(strings(&["https://shop.example.com/bye"])),
        grant_types: Some(strings(&[
            "authorization_code",
            "refresh_token",
            "client_credentials",
        ])),
        response_types: Some(strings(&["code", "code id_token"])),
        token_endpoint_auth_method: Some("client_secret_basic".into()),
        id_token_signing_alg: Some("HS256".into()),
        id_token_lifetime: Some(600),
        access_token_lifetime: Some(3600),
        refresh_token_lifetime: Some(86_400),
        require_pkce: Some(true),
        allow_plain_pkce: Some(true),
        skip_consent: Some(true),
    }
}

async fn create_keeps_every_setting(db: &TestDb) {
    let fx = setup(db).await;
    let v =
        fx.a.admin_create_app(
            &fx.admin,
            NewApp {
                name: "Shop".into(),
                identifier: Some("shop".into()),
                description: Some("the shop".into()),
                logo: None,
                oidc: full_patch(),
                client_kind: None,
            },
        )
        .await
        .unwrap();
    let expected = OidcSettings {
        redirect_uris: strings(&[
            "https://shop.example.com/cb",
            "http://localhost:5173/cb",
            "com.example.shop:/oauth2redirect",
        ]),
        post_logout_redirect_uris: strings(&["https://shop.example.com/bye"]),
        grant_types: strings(&["authorization_code", "refresh_token", "client_credentials"]),
        response_types: strings(&["code", "code id_token"]),
        token_endpoint_auth_method: "client_secret_basic".into(),
        id_token_signing_alg: SigningAlg::HS256,
        id_token_lifetime: 600,
        access_token_lifetime: 3600,
        refresh_token_lifetime: 86_400,
        require_pkce: true,
        allow_plain_pkce: true,
        skip_consent: true,
        mfa_enabled_factors: None,
    };
    assert_eq!(v.app.oidc, expected);
    // As the request path reads it (another process, no cache) and as the admin reads it.
    assert_eq!(fx.b.app(&v.app.id).await.unwrap().oidc, expected);
    let read = fx.b.admin_app(&fx.admin, &v.app.id).await.unwrap();
    assert_eq!(read.app.oidc, expected);
    assert_eq!(read.app.description.as_deref(), Some("the shop"));

    // Settings not given take the defaults.
    let plain =
        fx.a.admin_create_app(
            &fx.admin,
            NewApp {
                name: "Plain".into(),
                oidc: OidcPatch {
                    skip_consent: Some(true),
                    ..OidcPatch::default()
                },
                ..NewApp::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        plain.app.oidc,
        OidcSettings {
            skip_consent: true,
            ..OidcSettings::default()
        }
    );
}

async fn partial_update_keeps_the_rest(db: &TestDb) {
    let fx = setup(db).await;
    let v =
        fx.a.admin_create_app(
            &fx.admin,
            NewApp {
                name: "Shop".into(),
                oidc: full_patch(),
                ..NewApp::default()
            },
        )
        .await
        .unwrap();
    let id = v.app.id.clone();
    let before = v.app.oidc.clone();

    let u =
        fx.b.admin_update_app(
            &fx.admin,
            &id,
            AppUpdate {
                oidc: OidcPatch {
                    skip_consent: Some(false),
                    ..OidcPatch::default()
                },
                ..AppUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        u.app.oidc,
        OidcSettings {
            skip_consent: false,
            ..before.clone()
        }
    );
    assert_eq!(u.app.name, "Shop");
    assert_eq!(u.app.secret, v.app.secret);

    // A list given replaces the list; the name changes alone beside it.
    let u =
        fx.a.admin_update_app(
            &fx.admin,
            &id,
            AppUpdate {
                name: Some("Shop 2".into()),
                oidc: OidcPatch {
                    redirect_uris: Some(strings(&["https://new.example.com/cb"])),
                    ..OidcPatch::default()
                },
                ..AppUpdate::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(u.app.name, "Shop 2");
    assert_eq!(
        u.app.oidc.redirect_uris,
        strings(&["https://new.example.com/cb"])
    );
    assert_eq!(
        u.app.oidc.post_logout_redirect_uris,
        before.post_logout_redirect_uris
    );
    assert!(!u.app.oidc.skip_consent, "the earlier update is kept");
    assert_eq!(fx.b.app(&id).await.unwrap().oidc, u.app.oidc);

    // An empty list clears; an empty description clears it.
    let u =
        fx.a.admin_update_app(
            &fx.admin,
            &id,
            AppUpdate {
                description: Some(String::new()),
                oidc: OidcPatch {
                    post_logout_redirect_uris: Some(Vec::new()),
                    ..OidcPatch::default()
                },
                ..AppUpdate::default()
            },
        )
        .await
        .unwrap();
    assert!(u.app.oidc.post_logout_redirect_uris.is_empty());
    assert_eq!(u.app.description, None);

    // Another pool's administrator reaches nothing.
    let e =
        fx.a.admin_update_app(
            &fx.other,
            &id,
            AppUpdate {
                name: Some("stolen".into()),
                ..AppUpdate::default()
            },
        )
        .await;
    assert!(matches!(e, Err(Error::AppNotFound)), "{e:?}");
    let e =
        fx.a.admin_update_app(&fx.admin, "000000000000000000000000", AppUpdate::default())
            .await;
    assert!(matches!(e, Err(Error::AppNotFound)), "{e:?}");
    assert_eq!(stored(&fx.store, &id).await.0, "Shop 2");
}

/// Two administrators on two processes change different OIDC settings of one application at
/// once; both land. A read of the document outside the write would let the later write
/// rewrite the document as it read it, undoing the other.
async fn concurrent_updates_both_land(db: &TestDb) {
    let fx = setup(db).await;
    let id =
        fx.a.admin_create_app(
            &fx.admin,
            NewApp {
                name: "Race".into(),
                ..NewApp::default()
            },
        )
        .await
        .unwrap()
        .app
        .id;
    for round in 0..ROUNDS {
        let uri = format!("https://r{round}.example.com/cb");
        let lifetime = 100 + round as i64;
        let consent = round % 2 == 0;
        let (x, y) = tokio::join!(
            fx.a.admin_update_app(
                &fx.admin,
                &id,
                AppUpdate {
                    oidc: OidcPatch {
                        redirect_uris: Some(vec![uri.clone()]),
                        skip_consent: Some(consent),
                        ..OidcPatch::default()
                    },
                    ..AppUpdate::default()
                },
            ),
            fx.b.admin_update_app(
                &fx.admin,
                &id,
                AppUpdate {
                    name: Some(format!("Race {round}")),
                    oidc: OidcPatch {
                        access_token_lifetime: Some(lifetime),
                        ..OidcPatch::default()
                    },
                    ..AppUpdate::default()
                },
            ),
        );
        x.unwrap();
        y.unwrap();
        let app = fx.a.app(&id).await.unwrap();
        assert_eq!(
            app.oidc.redirect_uris,
            vec![uri],
            "round {round}: URIs lost"
        );
        assert_eq!(
            app.oidc.skip_consent, consent,
            "round {round}: consent lost"
        );
        assert_eq!(
            app.oidc.access_token_lifetime, lifetime,
            "round {round}: lifetime lost"
        );
        assert_eq!(
            app.name,
            format!("Race {round}"),
            "round {round}: name lost"
        );
    }
}

async fn bad_values_write_nothing(db: &TestDb) {
    let fx = setup(db).await;
    let id =
        fx.a.admin_create_app(
            &fx.admin,
            NewApp {
                name: "Keep".into(),
                oidc: full_patch(),
                ..NewApp::default()
            },
        )
        .await
        .unwrap()
        .app
        .id;
    let before = stored(&fx.store, &id).await;
    let count = |core: Arc<Core>, admin: PoolAdmin| async move {
        core.admin_list_apps(&admin, Page::default())
            .await
            .unwrap()
            .total_count
    };
    let apps_before = count(fx.a.clone(), fx.admin.clone()).await;

    let uris = |u: &[&str]| Some(strings(u));
    let cases: Vec<(OidcPatch, &str)> = vec![
        (
            OidcPatch {
                redirect_uris: uris(&["https://ok.example.com/cb", "http://evil.example.com/cb"]),
                ..OidcPatch::default()
            },
            "redirectUris",
        ),
        (
            OidcPatch {
                redirect_uris: uris(&["https://ok.example.com/cb#frag"]),
                ..OidcPatch::default()
            },
            "redirectUris",
        ),
        (
            OidcPatch {
                redirect_uris: uris(&["javascript:alert(1)"]),
                ..OidcPatch::default()
            },
            "redirectUris",
        ),
        (
            OidcPatch {
                post_logout_redirect_uris: uris(&["/relative"]),
                ..OidcPatch::default()
            },
            "logoutRedirectUris",
        ),
        (
            OidcPatch {
                grant_types: uris(&["authorization_code", "urn:made:up"]),
                ..OidcPatch::default()
            },
            "grantTypes",
        ),
        (
            OidcPatch {
                grant_types: Some(Vec::new()),
                ..OidcPatch::default()
            },
            "grantTypes",
        ),
        (
            OidcPatch {
                response_types: uris(&["code none"]),
                ..OidcPatch::default()
            },
            "responseTypes",
        ),
        (
            OidcPatch {
                token_endpoint_auth_method: Some("private_key_jwt".into()),
                ..OidcPatch::default()
            },
            "tokenEndpointAuthMethod",
        ),
        (
            OidcPatch {
                id_token_signing_alg: Some("none".into()),
                ..OidcPatch::default()
            },
            "idTokenSignedResponseAlg",
        ),
        (
            OidcPatch {
                id_token_lifetime: Some(0),
                ..OidcPatch::default()
            },
            "idTokenExpiresIn",
        ),
        (
            OidcPatch {
                access_token_lifetime: Some(-5),
                ..OidcPatch::default()
            },
            "accessTokenExpiresIn",
        ),
        (
            OidcPatch {
                refresh_token_lifetime: Some(11 * 365 * 24 * 3600),
                ..OidcPatch::default()
            },
            "refreshTokenExpiresIn",
        ),
    ];
    for (patch, field) in cases {
        // A valid change beside the bad one is not written either.
        let e =
            fx.a.admin_update_app(
                &fx.admin,
                &id,
                AppUpdate {
                    name: Some("Changed".into()),
                    oidc: OidcPatch {
                        skip_consent: Some(false),
                        ..patch.clone()
                    },
                    ..AppUpdate::default()
                },
            )
            .await;
        match e {
            Err(Error::InvalidParameter(f)) => assert_eq!(f, field, "{patch:?}"),
            other => panic!("{field}: {other:?}"),
        }
        assert_eq!(stored(&fx.store, &id).await, before, "{field}: a write");
        let e =
            fx.a.admin_create_app(
                &fx.admin,
                NewApp {
                    name: "New".into(),
                    oidc: patch,
                    ..NewApp::default()
                },
            )
            .await;
        assert!(
            matches!(e, Err(Error::InvalidParameter(f)) if f == field),
            "{field}: {e:?}"
        );
    }
    let e =
        fx.a.admin_update_app(
            &fx.admin,
            &id,
            AppUpdate {
                name: Some("  ".into()),
                ..AppUpdate::default()
            },
        )
        .await;
    assert!(matches!(e, Err(Error::MissingParameter("name"))), "{e:?}");
    assert_eq!(stored(&fx.store, &id).await, before);
    assert_eq!(count(fx.a.clone(), fx.admin.clone()).await, apps_before);
}

async fn the_operator_administers_any_pool(db: &TestDb) {
    let fx = setup(db).await;
    let op = fx.a.operator_pool_admin(&fx.other.id).await.unwrap();
    assert_eq!(op.proof(), AdminProof::Operator);
    assert_eq!(op.pool_id(), fx.other.id);
    let v =
        fx.a.admin_create_app(
            &op,
            NewApp {
                name: "ops".into(),
                ..NewApp::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(v.app.pool_id, fx.other.id);
    let e = fx.a.operator_pool_admin("000000000000000000000000").await;
    assert!(matches!(e, Err(Error::PoolNotFound)), "{e:?}");
}

backend_tests! {
    create_settings => create_keeps_every_setting;
    partial_update => partial_update_keeps_the_rest;
    concurrent_updates => concurrent_updates_both_land;
    bad_values => bad_values_write_nothing;
    operator => the_operator_administers_any_pool;
}
