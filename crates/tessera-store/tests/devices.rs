//! "My devices" on a real store, on both backends: each sign-in's grant is recorded with the
//! device its user agent names (a browser update is the same device), the list is the
//! user's own, newest first, paged, with who is online; signing a device out ends exactly
//! its grants (its refresh and access tokens fail, another device's still work) and keeps
//! it listed offline; forgetting it also removes it from the list until it signs in again;
//! another user's device is as unknown as a made-up id.

mod common;

use std::sync::Arc;

use common::TestDb;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::{Application, User, UserPool};
use tessera_core::notify::Outbox;
use tessera_core::service::account::Session;
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::oidc::client::ClientAuth;
use tessera_core::service::oidc::token::{TokenRequest, TokenSet};
use tessera_core::service::paging::Page;
use tessera_core::service::users::{CreatedBy, LoginContext, LoginId, NewUser};
use tessera_core::store::devices::DeviceType;
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Entity, Error, ProtocolError};

const MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
                   (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const MAC_UPDATED: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
                           (KHTML, like Gecko) Chrome/121.0.6167.85 Safari/537.36";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) \
                      AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 \
                      Safari/604.1";
const SCRIPT: &str = "axios/1.6.2";

async fn core(store: Arc<dyn Store>) -> Core {
    Core::open(
        store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .expect("core")
}

async fn new_user(core: &Core, pool: &UserPool, email: &str) -> User {
    core.create_user(
        pool,
        NewUser {
            email: Some(email.into()),
            password: Some("Passw0rd!".into()),
            ..NewUser::default()
        },
        CreatedBy::Admin,
    )
    .await
    .unwrap()
}

/// A v3 sign-in of `email` from a client with this user agent and address.
async fn sign_in(
    core: &Core,
    pool: &UserPool,
    app: &Application,
    email: &str,
    ua: &str,
    ip: &str,
) -> TokenSet {
    let e = core
        .authenticate(
            pool,
            Some(app),
            Credential::Password {
                id: LoginId::Email(email.into()),
                password: "Passw0rd!".into(),
            },
            LoginOptions {
                client: LoginContext {
                    app_id: Some(app.id.clone()),
                    ip: Some(ip.into()),
                    device: None,
                    browser: Some(ua.into()),
                },
                ..LoginOptions::default()
            },
        )
        .await
        .unwrap();
    core.oidc_tokens_for_event(pool, app, &e, Some("openid offline_access"))
        .await
        .unwrap()
}

async fn refresh(core: &Core, app: &Application, rt: &str) -> Result<TokenSet, Error> {
    core.oidc_token(
        ClientAuth {
            client_id: Some(app.id.clone()),
            client_secret: Some(app.secret.clone()),
            basic: false,
        },
        TokenRequest {
            grant_type: Some("refresh_token".into()),
            refresh_token: Some(rt.into()),
            ..TokenRequest::default()
        },
        LoginContext::default(),
    )
    .await
}

fn rt(set: &TokenSet) -> &str {
    set.refresh_token.as_deref().expect("a refresh token")
}

async fn session(core: &Core, pool: &UserPool, set: &TokenSet) -> Result<Session, Error> {
    core.session_from_any_token(&set.access_token, pool).await
}

fn invalid_grant(r: Result<TokenSet, Error>) -> bool {
    matches!(r, Err(Error::Protocol(ProtocolError::InvalidGrant, _)))
}

async fn my_devices(db: &TestDb) {
    let store = db.open().await;
    let core = core(store.clone()).await;
    let creds = core.create_pool("devices").await.unwrap();
    let pool = core.pool(&creds.user_pool_id).await.unwrap();
    let (app, _) = core.app_and_pool(&creds.app_id).await.unwrap();
    new_user(&core, &pool, "alice@example.com").await;
    new_user(&core, &pool, "bob@example.com").await;

    // Two devices: the Mac twice (a browser update between), the iPhone once; then a script.
    let mac_old = sign_in(&core, &pool, &app, "alice@example.com", MAC, "10.0.0.1").await;
    let phone = sign_in(&core, &pool, &app, "alice@example.com", IPHONE, "10.0.0.2").await;
    let mac = sign_in(
        &core,
        &pool,
        &app,
        "alice@example.com",
        MAC_UPDATED,
        "10.0.0.3",
    )
    .await;
    let script = sign_in(&core, &pool, &app, "alice@example.com", SCRIPT, "10.0.0.4").await;
    let s = session(&core, &pool, &script).await.unwrap();

    let all = core.my_devices(&s, Page::default()).await.unwrap();
    assert_eq!(all.total_count, 3, "{:?}", all.list);
    let (d_script, d_mac, d_phone) = (&all.list[0], &all.list[1], &all.list[2]);
    assert_eq!(d_script.device_type, DeviceType::Desktop);
    assert_eq!(d_script.name.as_deref(), Some("axios"));
    assert_eq!(d_mac.device_type, DeviceType::Browser);
    assert_eq!(d_mac.name.as_deref(), Some("Chrome on macOS"));
    assert_eq!(d_mac.user_agent.as_deref(), Some(MAC_UPDATED));
    assert_eq!(d_mac.last_ip.as_deref(), Some("10.0.0.3"));
    assert!(d_mac.last_login_at >= d_mac.first_seen_at);
    assert_eq!(d_phone.device_type, DeviceType::Mobile);
    assert_eq!(
        (d_phone.os.as_deref(), d_phone.model.as_deref()),
        (Some("iOS"), Some("iPhone"))
    );
    assert_eq!(d_phone.last_ip.as_deref(), Some("10.0.0.2"));
    assert!(all.list.iter().all(|d| d.online));
    // Paged; the SDK's limit of 50.
    let p2 = core
        .my_devices(&s, Page::new(Some(2), Some(1)).unwrap())
        .await
        .unwrap();
    assert_eq!((p2.total_count, p2.list.len()), (3, 1));
    assert_eq!(p2.list[0].device_id, d_mac.device_id);
    assert!(matches!(
        core.my_devices(&s, Page::new(None, Some(51)).unwrap())
            .await
            .unwrap_err(),
        Error::InvalidParameter("limit")
    ));

    // Bob's device is not Alice's to see or end.
    let bob = sign_in(&core, &pool, &app, "bob@example.com", IPHONE, "10.0.1.1").await;
    let bs = session(&core, &pool, &bob).await.unwrap();
    let bob_devices = core.my_devices(&bs, Page::default()).await.unwrap();
    assert_eq!(bob_devices.total_count, 1);
    let bob_phone = bob_devices.list[0].device_id.clone();
    assert_ne!(bob_phone, d_phone.device_id, "ids are per user");
    for r in [
        core.sign_out_my_device(&s, &bob_phone).await,
        core.forget_my_device(&s, &bob_phone).await,
        core.sign_out_my_device(&s, "no-such-device").await,
        core.sign_out_my_device(&s, &"x".repeat(4096)).await,
    ] {
        assert!(matches!(r, Err(Error::NotFound(Entity::Device))), "{r:?}");
    }
    assert!(matches!(
        core.sign_out_my_device(&s, "  ").await,
        Err(Error::MissingParameter(_))
    ));
    assert!(refresh(&core, &app, rt(&bob)).await.is_ok());

    // Signing the Mac out ends both of its grants, and only them.
    core.sign_out_my_device(&s, &d_mac.device_id).await.unwrap();
    assert!(invalid_grant(refresh(&core, &app, rt(&mac)).await));
    assert!(invalid_grant(refresh(&core, &app, rt(&mac_old)).await));
    assert!(matches!(
        session(&core, &pool, &mac).await,
        Err(Error::TokenInvalid)
    ));
    let phone2 = refresh(&core, &app, rt(&phone)).await.unwrap();
    assert!(session(&core, &pool, &phone2).await.is_ok());
    let all = core.my_devices(&s, Page::default()).await.unwrap();
    assert_eq!(all.total_count, 3);
    let listed_mac = all
        .list
        .iter()
        .find(|d| d.device_id == d_mac.device_id)
        .expect("a signed-out device stays listed");
    assert!(!listed_mac.online);
    assert!(listed_mac.signed_out_at.is_some());
    assert!(all
        .list
        .iter()
        .filter(|d| d.device_id != d_mac.device_id)
        .all(|d| d.online));
    // Again: nothing left to revoke, still fine.
    core.sign_out_my_device(&s, &d_mac.device_id).await.unwrap();

    // Forgetting the iPhone: its tokens end and it leaves the list.
    core.forget_my_device(&s, &d_phone.device_id).await.unwrap();
    assert!(invalid_grant(refresh(&core, &app, rt(&phone2)).await));
    assert!(session(&core, &pool, &phone2).await.is_err());
    let all = core.my_devices(&s, Page::default()).await.unwrap();
    assert_eq!(all.total_count, 2);
    assert!(all.list.iter().all(|d| d.device_id != d_phone.device_id));
    assert!(matches!(
        core.forget_my_device(&s, &d_phone.device_id).await,
        Err(Error::NotFound(Entity::Device))
    ));
    // Bob's iPhone is untouched by all of it.
    assert!(session(&core, &pool, &bob).await.is_ok());

    // The iPhone signing in again is the same device again, online.
    sign_in(&core, &pool, &app, "alice@example.com", IPHONE, "10.0.0.9").await;
    let all = core.my_devices(&s, Page::default()).await.unwrap();
    assert_eq!(all.total_count, 3);
    assert_eq!(all.list[0].device_id, d_phone.device_id);
    assert!(all.list[0].online);
    assert_eq!(all.list[0].last_ip.as_deref(), Some("10.0.0.9"));
}

/// A device with no grant left and no sign-in for 90 days is forgotten by the periodic
/// purge; one signed in within that time, or still holding a grant, stays listed.
async fn stale_devices_are_purged(db: &TestDb) {
    let store = db.open().await;
    let core = core(store.clone()).await;
    let creds = core.create_pool("stale-devices").await.unwrap();
    let pool = core.pool(&creds.user_pool_id).await.unwrap();
    let (app, _) = core.app_and_pool(&creds.app_id).await.unwrap();
    new_user(&core, &pool, "carol@example.com").await;
    let set = sign_in(&core, &pool, &app, "carol@example.com", MAC, "10.0.0.1").await;
    let s = session(&core, &pool, &set).await.unwrap();
    let day = 86_400_000;
    let now = tessera_core::clock::now_ms();

    // Ten days on: the sign-in is recent, the device stays.
    store.purge_expired(now + 10 * day).await.unwrap();
    assert_eq!(
        core.my_devices(&s, Page::default())
            .await
            .unwrap()
            .total_count,
        1
    );
    // A year on: its grants expired and were purged, and it has not signed in for 90 days.
    store.purge_expired(now + 365 * day).await.unwrap();
    assert_eq!(
        core.my_devices(&s, Page::default())
            .await
            .unwrap()
            .total_count,
        0
    );
}

backend_tests! {
    devices => my_devices;
    stale_devices => stale_devices_are_purged;
}
