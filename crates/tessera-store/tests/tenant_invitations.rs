//! Tenant invitations on both backends: one numbered invitation per valid, distinct address
//! with its token kept only as a digest; the email carries the link; the owner of the
//! address accepts once with their password and becomes a member; a used, expired, unknown
//! or other pool's token is refused; another account's password does not accept it; bad
//! input writes nothing; expired invitations are purged 30 days after expiry.

mod common;

use std::sync::Arc;

use common::TestDb;
use sqlx::Row;
use tessera_core::crypto;
use tessera_core::model::UserPool;
use tessera_core::notify::{Outbox, TENANT_INVITATION_SCENE};
use tessera_core::principal::PoolAdmin;
use tessera_core::service::paging::Page;
use tessera_core::service::tenant_invitations::InvitationState;
use tessera_core::service::tenants::NewTenant;
use tessera_core::service::users::{CreatedBy, LoginContext, NewUser};
use tessera_core::store::Store;
use tessera_core::{clock, Core, CoreConfig, Error};
use tessera_store::SqlStore;

const PASSWORD: &str = "Passw0rd!x";

struct Fx {
    core: Core,
    outbox: Arc<Outbox>,
    store: Arc<SqlStore>,
    pool: UserPool,
    admin: PoolAdmin,
    other: PoolAdmin,
}

async fn setup(db: &TestDb) -> Fx {
    let store = db.open().await;
    let dyn_store: Arc<dyn Store> = store.clone();
    let outbox = Arc::new(Outbox::default());
    let core = Core::open(
        dyn_store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: tessera_core::crypto::password::HashParams::default(),
        },
        outbox.clone(),
    )
    .await
    .expect("core");
    let a = core.create_pool("invites").await.unwrap();
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
        outbox,
        store,
    }
}

async fn user(fx: &Fx, email: &str) -> String {
    fx.core
        .create_user(
            &fx.pool,
            NewUser {
                email: Some(email.into()),
                password: Some(PASSWORD.into()),
                register_source: vec!["basic:email".into()],
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap()
        .id
}

fn token_of(link: &str) -> String {
    link.split("token=").nth(1).unwrap().to_owned()
}

async fn invitations_admit_their_address_once(db: &TestDb) {
    let fx = setup(db).await;
    let app = fx
        .core
        .create_application(&fx.pool.id, "web")
        .await
        .unwrap();
    let lonely = fx
        .core
        .create_application(&fx.pool.id, "other")
        .await
        .unwrap();
    let tenant = fx
        .core
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
    let ann = user(&fx, "ann@example.com").await;
    user(&fx, "bob@example.com").await;

    // Bad input writes nothing.
    let emails = vec!["Ann@Example.com".to_owned()];
    for (tenant_id, app_id, emails, days, field) in [
        (
            tenant.id.as_str(),
            app.id.as_str(),
            &emails,
            0,
            "validityTerm",
        ),
        (
            tenant.id.as_str(),
            app.id.as_str(),
            &emails,
            31,
            "validityTerm",
        ),
        (tenant.id.as_str(), lonely.id.as_str(), &emails, 7, "appId"),
        (tenant.id.as_str(), app.id.as_str(), &vec![], 7, "emails"),
    ] {
        let e = fx
            .core
            .invite_tenant_users(&fx.admin, tenant_id, app_id, emails, days, true)
            .await;
        assert!(
            matches!(e, Err(Error::InvalidParameter(f)) | Err(Error::MissingParameter(f)) if f == field),
            "{field}: {:?}",
            e.err()
        );
    }
    assert!(matches!(
        fx.core
            .invite_tenant_users(&fx.admin, "no-such", &app.id, &emails, 7, false)
            .await,
        Err(Error::NotFound(_))
    ));
    // Another pool's administrator does not see the tenant.
    assert!(matches!(
        fx.core
            .invite_tenant_users(&fx.other, &tenant.id, &app.id, &emails, 7, false)
            .await,
        Err(Error::NotFound(_))
    ));
    let none = fx
        .core
        .tenant_invitations(&fx.admin, None, Page::default())
        .await
        .unwrap();
    assert_eq!(none.total_count, 0);
    assert!(fx.outbox.emails.lock().unwrap().is_empty());

    // Two valid addresses (one given twice) and one invalid: two invitations, one refusal.
    let batch = fx
        .core
        .invite_tenant_users(
            &fx.admin,
            &tenant.id,
            &app.id,
            &[
                "ann@example.com".into(),
                "not an address".into(),
                "ANN@example.com".into(),
                "bob@example.com".into(),
            ],
            7,
            true,
        )
        .await
        .unwrap();
    assert_eq!(batch.issued.len(), 2);
    assert_eq!(batch.refused.len(), 1);
    assert_eq!(batch.refused[0].0, "not an address");
    let ids: Vec<i64> = batch
        .issued
        .iter()
        .map(|i| i.invitation.record_id)
        .collect();
    assert_eq!(ids, vec![1, 2]);
    let ann_link = batch.issued[0].link.clone();
    assert!(ann_link.starts_with(&format!(
        "http://127.0.0.1:3000/tenant-invitation?userpool_id={}&token=",
        fx.pool.id
    )));
    let ann_token = token_of(&ann_link);
    // The token is stored only as its digest.
    let stored: String =
        sqlx::query("SELECT token_hash FROM tenant_invitations WHERE record_id = 1")
            .fetch_one(fx.store.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    assert_eq!(stored, crypto::digest(&ann_token));
    assert_ne!(stored, ann_token);
    {
        let mails = fx.outbox.emails.lock().unwrap();
        assert_eq!(mails.len(), 2);
        assert_eq!(mails[0].to, "ann@example.com");
        assert_eq!(mails[0].scene, TENANT_INVITATION_SCENE);
        let inv = mails[0].invitation.as_ref().unwrap();
        assert_eq!(inv.link, ann_link);
        assert_eq!(inv.tenant_name, "Acme");
        assert_eq!(inv.valid_days, 7);
    }
    // Numbering goes on across calls.
    let more = fx
        .core
        .invite_tenant_users(
            &fx.admin,
            &tenant.id,
            &app.id,
            &["carl@example.com".into()],
            1,
            false,
        )
        .await
        .unwrap();
    assert_eq!(more.issued[0].invitation.record_id, 3);
    assert_eq!(fx.outbox.emails.lock().unwrap().len(), 2, "not sent");
    let listed = fx
        .core
        .tenant_invitations(&fx.admin, Some("ANN"), Page::default())
        .await
        .unwrap();
    assert_eq!(listed.total_count, 1);
    assert_eq!(listed.list[0].email, "ann@example.com");
    assert_eq!(
        fx.core
            .tenant_invitations(&fx.other, None, Page::default())
            .await
            .unwrap()
            .total_count,
        0
    );

    // The view; bob's password does not accept ann's invitation; unknown tokens and other
    // pools are refused.
    let view = fx
        .core
        .tenant_invitation_view(&fx.pool.id, &ann_token)
        .await
        .unwrap();
    assert_eq!(view.state, InvitationState::Pending);
    assert_eq!(view.tenant.id, tenant.id);
    assert!(fx
        .core
        .accept_tenant_invitation(
            &fx.pool.id,
            &ann_token,
            "wrong-password",
            LoginContext::default()
        )
        .await
        .is_err());
    assert!(matches!(
        fx.core
            .accept_tenant_invitation(&fx.pool.id, "made-up", PASSWORD, LoginContext::default())
            .await,
        Err(Error::TokenInvalid)
    ));
    assert!(matches!(
        fx.core
            .accept_tenant_invitation(&fx.other.id, &ann_token, PASSWORD, LoginContext::default())
            .await,
        Err(Error::TokenInvalid)
    ));
    assert!(fx
        .core
        .tenant_member(&fx.admin, &tenant.id, &ann)
        .await
        .is_err());

    // Accepted once: ann is a member; the link is used up.
    let (u, t) = fx
        .core
        .accept_tenant_invitation(&fx.pool.id, &ann_token, PASSWORD, LoginContext::default())
        .await
        .unwrap();
    assert_eq!(u.id, ann);
    assert_eq!(t.id, tenant.id);
    fx.core
        .tenant_member(&fx.admin, &tenant.id, &ann)
        .await
        .unwrap();
    assert!(matches!(
        fx.core
            .accept_tenant_invitation(&fx.pool.id, &ann_token, PASSWORD, LoginContext::default())
            .await,
        Err(Error::TokenInvalid)
    ));
    let row = fx
        .core
        .tenant_invitations(&fx.admin, Some("ann@"), Page::default())
        .await
        .unwrap()
        .list
        .remove(0);
    assert_eq!(row.accepted_by.as_deref(), Some(ann.as_str()));
    assert!(row.accepted_at.is_some());

    // Expired: refused as such, and purged 30 days after expiry.
    let bob_token = token_of(&batch.issued[1].link);
    sqlx::query("UPDATE tenant_invitations SET expires_at = $1 WHERE record_id = 2")
        .bind(clock::now_ms() - 1000)
        .execute(fx.store.pool())
        .await
        .unwrap();
    assert!(matches!(
        fx.core
            .accept_tenant_invitation(&fx.pool.id, &bob_token, PASSWORD, LoginContext::default())
            .await,
        Err(Error::TokenExpired)
    ));
    fx.store
        .purge_expired(clock::now_ms() + 31 * 86_400_000)
        .await
        .unwrap();
    let left: Vec<i64> = sqlx::query("SELECT record_id FROM tenant_invitations ORDER BY record_id")
        .fetch_all(fx.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<i64, _>(0).unwrap())
        .collect();
    assert_eq!(
        left,
        vec![1],
        "accepted kept; expired (and carl's, expired by then) purged"
    );
}

backend_tests! {
    invitations => invitations_admit_their_address_once;
}
