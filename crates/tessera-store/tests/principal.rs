//! Real-name (principal) authentication on both backends: the number sealed at rest (the
//! raw row holds none of it, and a sealed value moved to another user's row does not open),
//! read masked; one record per user, a second authentication refused until an
//! administrator's reset (also under two racing verifications); the daily attempt budget
//! counted in `rate_events`; no provider configured → refused with nothing stored or
//! counted; pool isolation; the row going with its user.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use common::TestDb;
use sqlx::Row;
use tessera_core::notify::{
    EmailMessage, Notifier, Outbox, PrincipalCheck, PrincipalVerdict, SmsMessage,
};
use tessera_core::principal::PoolAdmin;
use tessera_core::service::account::Session;
use tessera_core::service::principal::{PrincipalForm, PrincipalKind, DAILY_ATTEMPTS};
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Error, PrincipalProblem};
use tessera_store::SqlStore;

const ID: &str = "11010519491231002X";
const NAME: &str = "张三";

/// A provider that verifies `NAME` with `ID` only, counting the questions.
#[derive(Default)]
struct Provider {
    calls: AtomicUsize,
}

#[async_trait]
impl Notifier for Provider {
    async fn send_email(&self, _msg: &EmailMessage) -> tessera_core::Result<()> {
        Ok(())
    }

    async fn send_sms(&self, _msg: &SmsMessage) -> tessera_core::Result<()> {
        Ok(())
    }

    fn principal_verification_configured(&self) -> bool {
        true
    }

    async fn verify_principal(&self, c: &PrincipalCheck) -> tessera_core::Result<PrincipalVerdict> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(PrincipalVerdict {
            verified: c.kind == "P" && c.name == NAME && c.code == ID,
            reason: None,
        })
    }
}

struct Fx {
    core: Arc<Core>,
    store: Arc<SqlStore>,
    admin: PoolAdmin,
    other: PoolAdmin,
}

async fn setup(db: &TestDb, notifier: Arc<dyn Notifier>) -> Fx {
    let store = db.open().await;
    let dyn_store: Arc<dyn Store> = store.clone();
    let core = Core::open(
        dyn_store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: tessera_core::crypto::password::HashParams::default(),
        },
        notifier,
    )
    .await
    .expect("core");
    let a = core.create_pool("principal").await.unwrap();
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
        core: Arc::new(core),
        store,
    }
}

impl Fx {
    async fn session(&self, email: &str) -> Session {
        let pool = self.admin.pool();
        let u = self
            .core
            .create_user(
                pool,
                NewUser {
                    email: Some(email.into()),
                    password: Some("Passw0rd!x".into()),
                    register_source: vec!["basic:email".into()],
                    ..NewUser::default()
                },
                CreatedBy::SelfService,
            )
            .await
            .unwrap();
        let t = self.core.issue_user_token(pool, None, &u).await.unwrap();
        self.core.session(&t.token, Some(&pool.id)).await.unwrap()
    }

    async fn count(&self, sql: &str, bind: &str) -> i64 {
        sqlx::query(sql)
            .bind(bind)
            .fetch_one(self.store.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    async fn rows_of(&self, user_id: &str) -> i64 {
        self.count(
            "SELECT COUNT(*) FROM principal_authentications WHERE user_id = $1",
            user_id,
        )
        .await
    }
}

fn person(name: &str, code: &str) -> PrincipalForm {
    PrincipalForm {
        kind: "P".into(),
        name: name.into(),
        code: code.into(),
        ext: Some("6222021234567890".into()),
    }
}

async fn sealed_verified_reset(db: &TestDb) {
    let provider = Arc::new(Provider::default());
    let fx = setup(db, provider.clone()).await;
    let core = &fx.core;
    let s = fx.session("p1@example.com").await;
    let uid = s.user().id.clone();
    assert_eq!(core.own_principal(&s).await.unwrap(), None);

    // A wrong check character: refused before the provider, nothing stored or counted.
    assert!(matches!(
        core.authenticate_principal(&s, person(NAME, "110105194912310021"))
            .await,
        Err(Error::InvalidParameter("idCard"))
    ));
    assert_eq!(provider.calls.load(Ordering::SeqCst), 0);

    // Lower-case check character accepted, normalised.
    let p = core
        .authenticate_principal(&s, person(NAME, "11010519491231002x"))
        .await
        .unwrap();
    assert_eq!(p.kind, PrincipalKind::Person);
    assert_eq!(p.code_masked, "110105********002X");
    assert_eq!(core.own_principal(&s).await.unwrap(), Some(p.clone()));
    assert_eq!(
        core.user_principal(&fx.admin, &uid).await.unwrap(),
        Some(p.clone())
    );

    // Sealed at rest: the raw row holds neither the number nor its middle.
    let row = sqlx::query(
        "SELECT sealed_code, principal_name FROM principal_authentications WHERE user_id = $1",
    )
    .bind(&uid)
    .fetch_one(fx.store.pool())
    .await
    .unwrap();
    let sealed: String = row.try_get(0).unwrap();
    assert!(!sealed.contains(ID) && !sealed.contains("19491231"));
    assert_eq!(row.try_get::<String, _>(1).unwrap(), NAME);

    // Verified: no second authentication, and the provider is not asked.
    let asked = provider.calls.load(Ordering::SeqCst);
    assert!(matches!(
        core.authenticate_principal(&s, person(NAME, ID)).await,
        Err(Error::Principal(PrincipalProblem::AlreadyAuthenticated))
    ));
    assert_eq!(provider.calls.load(Ordering::SeqCst), asked);

    // Another pool's administrator finds no such user; a sealed value moved to another
    // user's row does not open.
    assert!(matches!(
        core.user_principal(&fx.other, &uid).await,
        Err(Error::UserNotFound)
    ));
    assert!(matches!(
        core.reset_principal(&fx.other, &uid).await,
        Err(Error::UserNotFound)
    ));
    let s2 = fx.session("p2@example.com").await;
    sqlx::query(
        "INSERT INTO principal_authentications (pool_id, user_id, principal_type, \
         principal_name, sealed_code, authenticated_at, created_at, updated_at) \
         VALUES ($1, $2, 'P', $3, $4, 1, 1, 1)",
    )
    .bind(&fx.admin.pool().id)
    .bind(&s2.user().id)
    .bind(NAME)
    .bind(&sealed)
    .execute(fx.store.pool())
    .await
    .unwrap();
    assert!(core.own_principal(&s2).await.is_err());

    // The reset lets the user authenticate again.
    assert!(core.reset_principal(&fx.admin, &uid).await.unwrap());
    assert!(!core.reset_principal(&fx.admin, &uid).await.unwrap());
    assert_eq!(core.own_principal(&s).await.unwrap(), None);
    core.authenticate_principal(&s, person(NAME, ID))
        .await
        .unwrap();

    // The administrator replaces it; a refused one changes nothing.
    assert!(matches!(
        core.admin_authenticate_principal(&fx.admin, &uid, person("李四", ID))
            .await,
        Err(Error::Principal(PrincipalProblem::NotVerified))
    ));
    assert_eq!(fx.rows_of(&uid).await, 1);
    let replaced = core
        .admin_authenticate_principal(&fx.admin, &uid, person(NAME, ID))
        .await
        .unwrap();
    assert_eq!(replaced.code_masked, "110105********002X");

    // The row goes with its user.
    core.delete_users(&fx.admin, std::slice::from_ref(&uid))
        .await
        .unwrap();
    assert_eq!(fx.rows_of(&uid).await, 0);
}

async fn attempt_budget_and_races(db: &TestDb) {
    let provider = Arc::new(Provider::default());
    let fx = setup(db, provider.clone()).await;
    let core = &fx.core;
    let s = fx.session("budget@example.com").await;
    for _ in 0..DAILY_ATTEMPTS {
        assert!(matches!(
            core.authenticate_principal(&s, person("王五", ID)).await,
            Err(Error::Principal(PrincipalProblem::NotVerified))
        ));
    }
    assert_eq!(
        provider.calls.load(Ordering::SeqCst),
        DAILY_ATTEMPTS as usize
    );
    // Spent: refused even for the right pair, without asking the provider.
    assert!(matches!(
        core.authenticate_principal(&s, person(NAME, ID)).await,
        Err(Error::Principal(PrincipalProblem::TooManyAttempts))
    ));
    assert_eq!(
        provider.calls.load(Ordering::SeqCst),
        DAILY_ATTEMPTS as usize
    );
    assert_eq!(fx.rows_of(&s.user().id).await, 0);
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM rate_events WHERE kind = 'principal-attempt' AND key = $1",
            &s.user().id
        )
        .await,
        DAILY_ATTEMPTS
    );

    // Two racing verifications of one user: one is stored, the other refused.
    let r = fx.session("race@example.com").await;
    let (a, b) = tokio::join!(
        core.authenticate_principal(&r, person(NAME, ID)),
        core.authenticate_principal(&r, person(NAME, ID)),
    );
    let ok = [a.is_ok(), b.is_ok()].iter().filter(|x| **x).count();
    assert_eq!(ok, 1, "{a:?} {b:?}");
    for e in [a, b].into_iter().filter_map(|x| x.err()) {
        assert!(matches!(
            e,
            Error::Principal(PrincipalProblem::AlreadyAuthenticated)
        ));
    }
    assert_eq!(fx.rows_of(&r.user().id).await, 1);
}

async fn no_provider_configured(db: &TestDb) {
    let fx = setup(db, Arc::new(Outbox::default())).await;
    let s = fx.session("none@example.com").await;
    assert!(matches!(
        fx.core.authenticate_principal(&s, person(NAME, ID)).await,
        Err(Error::Principal(PrincipalProblem::NotConfigured))
    ));
    assert!(matches!(
        fx.core
            .admin_authenticate_principal(&fx.admin, &s.user().id, person(NAME, ID))
            .await,
        Err(Error::Principal(PrincipalProblem::NotConfigured))
    ));
    assert_eq!(fx.rows_of(&s.user().id).await, 0);
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM rate_events WHERE key = $1",
            &s.user().id
        )
        .await,
        0,
        "no attempt spent"
    );
}

backend_tests! {
    principal_sealed_verified_reset => sealed_verified_reset;
    principal_attempt_budget_and_races => attempt_budget_and_races;
    principal_without_provider => no_provider_configured;
}
