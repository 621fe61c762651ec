//! The MFA step of the core login, on both backends: with MFA off a user with a factor logs
//! in as before; with it on the login stops (nothing recorded) with a ticket stored only as
//! its digest; `complete_mfa` with a TOTP, the recovery code or an SMS code sent for the
//! ticket records the login once (also across two processes); wrong proofs keep the ticket
//! until the attempt limit, which uses it up; expired, used and other applications' tickets
//! are refused; an application's own list replaces the pool's; a user's own rules turn kinds
//! on or off for that user; a user blocked meanwhile is refused.

mod common;

use std::sync::Arc;

use common::TestDb;
use sqlx::Row;
use tessera_core::clock;
use tessera_core::crypto::{self, totp};
use tessera_core::model::tenant::MfaType;
use tessera_core::model::{Application, UserMfaRule, UserPool};
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::account::Session;
use tessera_core::service::authn::{AuthEvent, AuthMethod};
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::mfa_factors::{FactorKind, FactorProfile, TOTP_FAILURE_LIMIT};
use tessera_core::service::mfa_login::{MfaChallenge, MfaProof};
use tessera_core::service::users::{CreatedBy, LoginId, NewUser};
use tessera_core::store::accounts::AccountStore;
use tessera_core::store::{Store, UserField, UserLookup};
use tessera_core::{Core, CoreConfig, Error, Result};
use tessera_store::SqlStore;

struct Env {
    core: Core,
    outbox: Arc<Outbox>,
    store: Arc<SqlStore>,
}

async fn env(db: &TestDb) -> Env {
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
    Env {
        core,
        outbox,
        store,
    }
}

struct Fx {
    pool: UserPool,
    admin: PoolAdmin,
}

async fn pool(core: &Core, name: &str) -> Fx {
    let c = core.create_pool(name).await.unwrap();
    Fx {
        pool: core.pool(&c.user_pool_id).await.unwrap(),
        admin: core
            .pool_admin_by_secret(&c.user_pool_id, &c.secret)
            .await
            .unwrap(),
    }
}

const PASSWORD: &str = "Passw0rd!x";

async fn user_session(core: &Core, pool: &UserPool, email: &str) -> Session {
    let u = core
        .create_user(
            pool,
            NewUser {
                email: Some(email.into()),
                password: Some(PASSWORD.into()),
                register_source: vec!["basic:email".into()],
                ..NewUser::default()
            },
            CreatedBy::SelfService,
        )
        .await
        .unwrap();
    let t = core.issue_user_token(pool, None, &u).await.unwrap();
    core.session(&t.token, Some(&pool.id)).await.unwrap()
}

fn now_step() -> i64 {
    totp::step_at(clock::now_secs())
}

fn totp_at(secret: &[u8], step: i64) -> String {
    totp::hotp(secret, step).unwrap()
}

fn wrong_totp(secret: &[u8]) -> String {
    let live: Vec<String> = (-1..=1).map(|d| totp_at(secret, now_step() + d)).collect();
    (0..)
        .map(|n: u32| format!("{:06}", (n * 7919) % 1_000_000))
        .find(|c| !live.contains(c))
        .unwrap()
}

/// Enrolls an OTP factor (proved with the step before now, so the current step's code is
/// still accepted by a login); returns its secret and recovery code.
async fn enroll_otp(core: &Core, s: &Session) -> (Vec<u8>, String) {
    let req = core
        .send_enroll_factor_request(s, FactorKind::Otp, &FactorProfile::default())
        .await
        .unwrap();
    let otp = req.otp.clone().unwrap();
    let secret = otp
        .qr_code_uri
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret="))
        .and_then(totp::base32_decode)
        .unwrap();
    core.enroll_factor(
        s,
        FactorKind::Otp,
        &req.enrollment_token,
        &totp_at(&secret, now_step() - 1),
    )
    .await
    .unwrap();
    (secret, otp.recovery_code)
}

async fn login(
    core: &Core,
    pool: &UserPool,
    app: Option<&Application>,
    email: &str,
) -> Result<AuthEvent> {
    core.authenticate(
        pool,
        app,
        Credential::Password {
            id: LoginId::Email(email.into()),
            password: PASSWORD.into(),
        },
        LoginOptions::default(),
    )
    .await
}

fn challenge(r: Result<AuthEvent>) -> MfaChallenge {
    match r {
        Err(Error::MfaRequired(c)) => *c,
        other => panic!("expected MfaRequired, got {other:?}"),
    }
}

async fn logins_count(store: &SqlStore, pool: &UserPool, user_id: &str) -> i64 {
    let u = store
        .find_user(&pool.id, UserLookup::Id(user_id))
        .await
        .unwrap()
        .unwrap();
    u.login.logins_count
}

async fn mfa_off_login_unchanged(db: &TestDb) {
    let a = env(db).await;
    let fx = pool(&a.core, "mfa-off").await;
    let s = user_session(&a.core, &fx.pool, "ann@example.com").await;
    enroll_otp(&a.core, &s).await;
    assert!(a
        .core
        .global_mfa_settings(&fx.admin)
        .await
        .unwrap()
        .is_empty());
    let e = login(&a.core, &fx.pool, None, "ann@example.com")
        .await
        .unwrap();
    assert_eq!(e.methods, vec![AuthMethod::Password]);
    assert_eq!(logins_count(&a.store, &fx.pool, &s.user().id).await, 1);
    // On, then off again: the user logs in directly once more.
    a.core
        .set_global_mfa_settings(&fx.admin, &[FactorKind::Otp])
        .await
        .unwrap();
    let fresh = a.core.pool(&fx.pool.id).await.unwrap();
    challenge(login(&a.core, &fresh, None, "ann@example.com").await);
    a.core
        .disable_global_mfa_factors(&fx.admin, &[FactorKind::Otp])
        .await
        .unwrap();
    let fresh = a.core.pool(&fx.pool.id).await.unwrap();
    login(&a.core, &fresh, None, "ann@example.com")
        .await
        .unwrap();
    // A user without a factor logs in directly whatever the settings.
    a.core
        .set_global_mfa_settings(&fx.admin, &[FactorKind::Otp, FactorKind::Sms])
        .await
        .unwrap();
    let fresh = a.core.pool(&fx.pool.id).await.unwrap();
    user_session(&a.core, &fresh, "bob@example.com").await;
    login(&a.core, &fresh, None, "bob@example.com")
        .await
        .unwrap();
}

async fn ticket_is_single_use(db: &TestDb) {
    let a = env(db).await;
    let b = env(db).await;
    let fx = pool(&a.core, "mfa-ticket").await;
    let s = user_session(&a.core, &fx.pool, "ann@example.com").await;
    let (secret, _) = enroll_otp(&a.core, &s).await;
    a.core
        .set_global_mfa_settings(&fx.admin, &[FactorKind::Otp])
        .await
        .unwrap();
    let pool = a.core.pool(&fx.pool.id).await.unwrap();
    let c = challenge(login(&a.core, &pool, None, "ann@example.com").await);
    assert_eq!(c.kinds, vec![FactorKind::Otp]);
    assert_eq!(c.email.as_deref(), Some("ann@example.com"));
    // Nothing recorded; the ticket is stored only as its digest.
    assert_eq!(logins_count(&a.store, &pool, &s.user().id).await, 0);
    let stored: Vec<String> = sqlx::query("SELECT ticket_hash FROM mfa_tickets")
        .fetch_all(a.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("ticket_hash"))
        .collect();
    assert_eq!(stored, vec![crypto::digest(&c.ticket)]);

    // Completed by another process with a right code: the login is recorded, with both
    // factors.
    let code = totp_at(&secret, now_step());
    let e = b
        .core
        .complete_mfa(&pool, None, &c.ticket, MfaProof::Totp(code))
        .await
        .unwrap();
    assert_eq!(e.methods, vec![AuthMethod::Password, AuthMethod::Totp]);
    assert_eq!(e.user.id, s.user().id);
    assert_eq!(logins_count(&a.store, &pool, &s.user().id).await, 1);
    // Used: refused, however right the proof.
    let again = a
        .core
        .complete_mfa(
            &pool,
            None,
            &c.ticket,
            MfaProof::Totp(totp_at(&secret, now_step() + 1)),
        )
        .await;
    assert!(matches!(again, Err(Error::TokenInvalid)), "{again:?}");

    // Two processes completing one ticket at once: one login.
    let c = challenge(login(&a.core, &pool, None, "ann@example.com").await);
    let code = totp_at(&secret, now_step() + 1);
    let (ra, rb) = tokio::join!(
        a.core
            .complete_mfa(&pool, None, &c.ticket, MfaProof::Totp(code.clone())),
        b.core
            .complete_mfa(&pool, None, &c.ticket, MfaProof::Totp(code.clone())),
    );
    assert_eq!(
        [ra.is_ok(), rb.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{ra:?} {rb:?}"
    );
    assert_eq!(logins_count(&a.store, &pool, &s.user().id).await, 2);
}

async fn refused_tickets(db: &TestDb) {
    let a = env(db).await;
    let fx = pool(&a.core, "mfa-refused").await;
    let app = a.core.create_application(&fx.pool.id, "web").await.unwrap();
    let s = user_session(&a.core, &fx.pool, "ann@example.com").await;
    let (secret, _) = enroll_otp(&a.core, &s).await;
    a.core
        .set_global_mfa_settings(&fx.admin, &[FactorKind::Otp])
        .await
        .unwrap();
    let pool = a.core.pool(&fx.pool.id).await.unwrap();
    let code = || MfaProof::Totp(totp_at(&secret, now_step()));

    // Unknown.
    let r = a.core.complete_mfa(&pool, None, "nope", code()).await;
    assert!(matches!(r, Err(Error::TokenInvalid)), "{r:?}");
    // Expired.
    let c = challenge(login(&a.core, &pool, None, "ann@example.com").await);
    sqlx::query("UPDATE mfa_tickets SET expires_at = 1")
        .execute(a.store.pool())
        .await
        .unwrap();
    let r = a.core.complete_mfa(&pool, None, &c.ticket, code()).await;
    assert!(matches!(r, Err(Error::TokenExpired)), "{r:?}");
    // Bound to its application, and to its pool.
    let c = challenge(login(&a.core, &pool, Some(&app), "ann@example.com").await);
    let r = a.core.complete_mfa(&pool, None, &c.ticket, code()).await;
    assert!(matches!(r, Err(Error::TokenInvalid)), "{r:?}");
    let other = pool_of(&a.core, "mfa-other").await;
    let r = a
        .core
        .complete_mfa(&other, Some(&app), &c.ticket, code())
        .await;
    assert!(matches!(r, Err(Error::TokenInvalid)), "{r:?}");
    // A user blocked since the first factor is refused.
    a.store
        .change_user(
            &pool.id,
            &s.user().id,
            &tessera_core::store::UserChange::new().set(UserField::Blocked(true)),
            clock::now_ms(),
        )
        .await
        .unwrap();
    let r = a
        .core
        .complete_mfa(&pool, Some(&app), &c.ticket, code())
        .await;
    assert!(matches!(r, Err(Error::UserBlocked)), "{r:?}");
    assert_eq!(logins_count(&a.store, &pool, &s.user().id).await, 0);
}

async fn pool_of(core: &Core, name: &str) -> UserPool {
    pool(core, name).await.pool
}

async fn wrong_proofs_are_limited(db: &TestDb) {
    let a = env(db).await;
    let fx = pool(&a.core, "mfa-limit").await;
    let s = user_session(&a.core, &fx.pool, "ann@example.com").await;
    let (secret, recovery) = enroll_otp(&a.core, &s).await;
    a.core
        .set_global_mfa_settings(&fx.admin, &[FactorKind::Otp])
        .await
        .unwrap();
    let pool = a.core.pool(&fx.pool.id).await.unwrap();
    let c = challenge(login(&a.core, &pool, None, "ann@example.com").await);
    let wrong = wrong_totp(&secret);
    // A wrong code keeps the ticket.
    let r = a
        .core
        .complete_mfa(&pool, None, &c.ticket, MfaProof::Totp(wrong.clone()))
        .await;
    assert!(matches!(r, Err(Error::MfaCodeWrong)), "{r:?}");
    let r = a
        .core
        .complete_mfa(
            &pool,
            None,
            &c.ticket,
            MfaProof::RecoveryCode("AAAA-BBBB-CCCC-DDDD".into()),
        )
        .await;
    assert!(matches!(r, Err(Error::MfaRecoveryCodeWrong)), "{r:?}");
    // The recovery code completes it, once.
    let e = a
        .core
        .complete_mfa(
            &pool,
            None,
            &c.ticket,
            MfaProof::RecoveryCode(recovery.clone()),
        )
        .await
        .unwrap();
    assert_eq!(
        e.methods,
        vec![AuthMethod::Password, AuthMethod::RecoveryCode]
    );
    let c = challenge(login(&a.core, &pool, None, "ann@example.com").await);
    let r = a
        .core
        .complete_mfa(&pool, None, &c.ticket, MfaProof::RecoveryCode(recovery))
        .await;
    assert!(matches!(r, Err(Error::MfaRecoveryCodeWrong)), "{r:?}");

    // Past the limit (counted per user, whatever the ticket) the ticket is used up.
    for _ in 1..TOTP_FAILURE_LIMIT {
        let r = a
            .core
            .complete_mfa(&pool, None, &c.ticket, MfaProof::Totp(wrong.clone()))
            .await;
        assert!(matches!(r, Err(Error::MfaCodeWrong)), "{r:?}");
    }
    let right = || MfaProof::Totp(totp_at(&secret, now_step()));
    let r = a.core.complete_mfa(&pool, None, &c.ticket, right()).await;
    assert!(matches!(r, Err(Error::MfaAttemptsExceeded)), "{r:?}");
    let r = a.core.complete_mfa(&pool, None, &c.ticket, right()).await;
    assert!(matches!(r, Err(Error::TokenInvalid)), "{r:?}");
    assert_eq!(logins_count(&a.store, &pool, &s.user().id).await, 1);
}

async fn app_setting_and_sms(db: &TestDb) {
    let a = env(db).await;
    let fx = pool(&a.core, "mfa-app").await;
    let app = a.core.create_application(&fx.pool.id, "web").await.unwrap();
    let s = user_session(&a.core, &fx.pool, "ann@example.com").await;
    // An SMS factor, enrolled with the code sent.
    let profile = FactorProfile {
        phone_number: Some("13800138000".into()),
        phone_country_code: Some("+86".into()),
        email: None,
    };
    let req = a
        .core
        .send_enroll_factor_request(&s, FactorKind::Sms, &profile)
        .await
        .unwrap();
    let code = a.outbox.sms.lock().unwrap().last().unwrap().code.clone();
    a.core
        .enroll_factor(&s, FactorKind::Sms, &req.enrollment_token, &code)
        .await
        .unwrap();
    // The pool asks nothing, the application asks SMS: its logins stop, others do not.
    let pool = a.core.pool(&fx.pool.id).await.unwrap();
    login(&a.core, &pool, Some(&app), "ann@example.com")
        .await
        .unwrap();
    let kinds = a
        .core
        .update_app_mfa_settings(&fx.admin, &app.id, &[FactorKind::Sms], &[])
        .await
        .unwrap();
    assert_eq!(kinds, vec![FactorKind::Sms]);
    // Read again, as every request reads its application.
    let (app, _) = a.core.app_and_pool(&app.id).await.unwrap();
    login(&a.core, &pool, None, "ann@example.com")
        .await
        .unwrap();
    let c = challenge(login(&a.core, &pool, Some(&app), "ann@example.com").await);
    assert_eq!(c.masked_phone.as_deref(), Some("138****8000"));
    // The code goes to the factor's phone, with the MFA scene.
    a.core
        .send_mfa_code(&pool, Some(&app), &c.ticket, FactorKind::Sms)
        .await
        .unwrap();
    let sent = a.outbox.sms.lock().unwrap().last().unwrap().clone();
    assert_eq!(sent.phone, "13800138000");
    assert_eq!(sent.scene, "mfa-verify");
    let r = a
        .core
        .complete_mfa(
            &pool,
            Some(&app),
            &c.ticket,
            MfaProof::SmsCode("000000".into()),
        )
        .await;
    assert!(r.is_err(), "{r:?}");
    let e = a
        .core
        .complete_mfa(&pool, Some(&app), &c.ticket, MfaProof::SmsCode(sent.code))
        .await
        .unwrap();
    assert_eq!(e.methods, vec![AuthMethod::Password, AuthMethod::SmsCode]);
    assert_eq!(e.app_id.as_deref(), Some(app.id.as_str()));
    // The pool turns SMS on and the application turns it off for itself: the
    // application's list wins.
    a.core
        .set_global_mfa_settings(&fx.admin, &[FactorKind::Sms])
        .await
        .unwrap();
    a.core
        .update_app_mfa_settings(&fx.admin, &app.id, &[], &[FactorKind::Sms])
        .await
        .unwrap();
    let pool = a.core.pool(&fx.pool.id).await.unwrap();
    let (app, _) = a.core.app_and_pool(&app.id).await.unwrap();
    login(&a.core, &pool, Some(&app), "ann@example.com")
        .await
        .unwrap();
    challenge(login(&a.core, &pool, None, "ann@example.com").await);
}

/// A user's own rules (`setUsersMfaStatus`) over the pool's kinds: OTP on for one user stops
/// that user's login, not another's with the same factor; OTP off lets a user past the pool's
/// OTP; FACE and duplicate kinds are refused and write nothing; an empty list removes them.
async fn user_rules_decide_for_their_user(db: &TestDb) {
    let a = env(db).await;
    let fx = pool(&a.core, "mfa-user-rules").await;
    let ann = user_session(&a.core, &fx.pool, "ann@example.com").await;
    let bob = user_session(&a.core, &fx.pool, "bob@example.com").await;
    enroll_otp(&a.core, &ann).await;
    enroll_otp(&a.core, &bob).await;
    let rule = |kind, enabled| UserMfaRule {
        kind,
        enabled,
        sort: 0,
    };
    a.core
        .set_user_mfa_rules(&fx.admin, &ann.user().id, vec![rule(MfaType::Otp, true)])
        .await
        .unwrap();
    let c = challenge(login(&a.core, &fx.pool, None, "ann@example.com").await);
    assert_eq!(c.kinds, vec![FactorKind::Otp]);
    login(&a.core, &fx.pool, None, "bob@example.com")
        .await
        .unwrap();

    a.core
        .set_global_mfa_settings(&fx.admin, &[FactorKind::Otp])
        .await
        .unwrap();
    a.core
        .set_user_mfa_rules(&fx.admin, &bob.user().id, vec![rule(MfaType::Otp, false)])
        .await
        .unwrap();
    let fresh = a.core.pool(&fx.pool.id).await.unwrap();
    login(&a.core, &fresh, None, "bob@example.com")
        .await
        .unwrap();
    challenge(login(&a.core, &fresh, None, "ann@example.com").await);

    for bad in [
        vec![rule(MfaType::Face, true)],
        vec![rule(MfaType::Sms, true), rule(MfaType::Sms, false)],
    ] {
        assert!(matches!(
            a.core
                .set_user_mfa_rules(&fx.admin, &bob.user().id, bad)
                .await,
            Err(Error::InvalidParameter(_))
        ));
    }
    assert!(matches!(
        a.core
            .set_user_mfa_rules(&fx.admin, "no-such-user", vec![])
            .await,
        Err(Error::UserNotFound)
    ));
    login(&a.core, &fresh, None, "bob@example.com")
        .await
        .unwrap();
    a.core
        .set_user_mfa_rules(&fx.admin, &bob.user().id, vec![])
        .await
        .unwrap();
    challenge(login(&a.core, &fresh, None, "bob@example.com").await);
}

backend_tests! {
    mfa_off => mfa_off_login_unchanged;
    single_use => ticket_is_single_use;
    refused => refused_tickets;
    attempt_limit => wrong_proofs_are_limited;
    app_and_sms => app_setting_and_sms;
    user_rules => user_rules_decide_for_their_user;
}
