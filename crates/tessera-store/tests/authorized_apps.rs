//! The applications a user authorized (consents and live grants) and withdrawing one, on a
//! real store, on both backends: the list merges a consent with the grants of the same
//! application, withdrawal deletes the consent and revokes the grants in one go (the
//! application's refresh token stops working), and nothing crosses pools.

mod common;

use std::sync::Arc;

use common::TestDb;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::{Application, User, UserPool};
use tessera_core::notify::Outbox;
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::oidc::client::ClientAuth;
use tessera_core::service::oidc::token::{TokenRequest, TokenSet};
use tessera_core::service::users::{CreatedBy, LoginContext, LoginId, NewUser};
use tessera_core::store::oidc::OidcStore;
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Error, ProtocolError};

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

/// Tokens for `app` after a password login of `user`, as the v3 sign-in API issues them.
async fn tokens(core: &Core, pool: &UserPool, app: &Application, email: &str) -> TokenSet {
    let e = core
        .authenticate(
            pool,
            None,
            Credential::Password {
                id: LoginId::Email(email.into()),
                password: "Passw0rd!".into(),
            },
            LoginOptions::default(),
        )
        .await
        .unwrap();
    core.oidc_tokens_for_event(pool, app, &e, Some("openid email offline_access"))
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

async fn authorized_apps(db: &TestDb) {
    let store = db.open().await;
    let core = core(store.clone()).await;
    let creds = core.create_pool("authz-apps").await.unwrap();
    let pool = core.pool(&creds.user_pool_id).await.unwrap();
    let (first, _) = core.app_and_pool(&creds.app_id).await.unwrap();
    let second = core.create_application(&pool.id, "second").await.unwrap();
    let alice = new_user(&core, &pool, "alice@example.com").await;
    let bob = new_user(&core, &pool, "bob@example.com").await;

    assert_eq!(
        core.user_authorized_apps(&pool, &alice.id, 1, 10)
            .await
            .unwrap()
            .0,
        0
    );
    // A consent for the first application, grants for both (the first's scopes come from
    // its consent, the second's from its grant).
    store
        .put_consent(&pool.id, &alice.id, &first.id, "openid profile", 1_000)
        .await
        .unwrap();
    let set = tokens(&core, &pool, &first, "alice@example.com").await;
    let rt = set.refresh_token.clone().expect("a refresh token");
    tokens(&core, &pool, &second, "alice@example.com").await;
    tokens(&core, &pool, &second, "bob@example.com").await;

    let (total, apps) = core
        .user_authorized_apps(&pool, &alice.id, 1, 10)
        .await
        .unwrap();
    assert_eq!(total, 2);
    // Most recent first: the second's grant is newer than the first's consent.
    assert_eq!(apps[0].app.id, second.id);
    assert_eq!(apps[0].scope, "openid email offline_access");
    assert_eq!(apps[1].app.id, first.id);
    assert_eq!(
        (apps[1].scope.as_str(), apps[1].at),
        ("openid profile", 1_000)
    );
    let (total, page2) = core
        .user_authorized_apps(&pool, &alice.id, 2, 1)
        .await
        .unwrap();
    assert_eq!((total, page2.len()), (2, 1));
    assert_eq!(page2[0].app.id, first.id);
    for (page, limit) in [(0, 10), (1, 0), (1, 101)] {
        assert!(matches!(
            core.user_authorized_apps(&pool, &alice.id, page, limit)
                .await
                .unwrap_err(),
            Error::InvalidParameter(_)
        ));
    }

    // Withdrawing the first: the consent goes, the grant is revoked, its refresh token fails.
    let r = core
        .revoke_user_authorized_app(&pool, &alice.id, &first.id)
        .await
        .unwrap();
    assert!(r.revoked);
    assert_eq!(
        (r.scope.as_deref(), r.at),
        (Some("openid profile"), Some(1_000))
    );
    assert!(store
        .get_consent(&pool.id, &alice.id, &first.id)
        .await
        .unwrap()
        .is_none());
    let e = refresh(&core, &first, &rt).await.unwrap_err();
    assert!(
        matches!(e, Error::Protocol(ProtocolError::InvalidGrant, _)),
        "{e:?}"
    );
    let (total, apps) = core
        .user_authorized_apps(&pool, &alice.id, 1, 10)
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(apps[0].app.id, second.id);
    let again = core
        .revoke_user_authorized_app(&pool, &alice.id, &first.id)
        .await
        .unwrap();
    assert!(!again.revoked);
    assert_eq!((again.scope, again.at), (None, None));
    // Bob's grant to the second application is his own: untouched by Alice's withdrawal.
    core.revoke_user_authorized_app(&pool, &alice.id, &second.id)
        .await
        .unwrap();
    assert_eq!(
        core.user_authorized_apps(&pool, &bob.id, 1, 10)
            .await
            .unwrap()
            .0,
        1
    );

    // Unknown application, and another pool's user or application.
    assert!(matches!(
        core.revoke_user_authorized_app(&pool, &alice.id, "no-such-app")
            .await
            .unwrap_err(),
        Error::AppNotFound
    ));
    let other = core.create_pool("other").await.unwrap();
    let other_pool = core.pool(&other.user_pool_id).await.unwrap();
    assert!(matches!(
        core.user_authorized_apps(&other_pool, &bob.id, 1, 10)
            .await
            .unwrap_err(),
        Error::UserNotFound
    ));
    assert!(matches!(
        core.revoke_user_authorized_app(&pool, &bob.id, &other.app_id)
            .await
            .unwrap_err(),
        Error::AppNotFound
    ));
}

backend_tests! {
    authorized => authorized_apps;
}
