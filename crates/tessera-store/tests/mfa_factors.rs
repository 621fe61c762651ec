//! MFA factors a user enrolls for themselves, on both backends: OTP proved by a TOTP computed
//! here, the enrollment token stored as a digest and used once (also by two processes at
//! the same moment), wrong codes storing nothing, SMS and email codes read from the test
//! notifier, reset, isolation between users and pools, the TOTP replay guard, the recovery
//! code, and the attempt limit shared by processes.

mod common;

use std::sync::Arc;

use common::TestDb;
use sqlx::Row;
use tessera_core::clock;
use tessera_core::crypto::{self, totp};
use tessera_core::model::tenant::{MfaEnrollment, MfaType};
use tessera_core::model::UserPool;
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::account::Session;
use tessera_core::service::mfa_factors::{
    EnrollmentRequest, FactorKind, FactorProfile, TOTP_FAILURE_LIMIT,
};
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::{Store, UsersStore};
use tessera_core::{Core, CoreConfig, Entity, Error};
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

struct PoolFx {
    pool: UserPool,
    admin: PoolAdmin,
}

async fn pool(core: &Core, name: &str) -> PoolFx {
    let c = core.create_pool(name).await.unwrap();
    PoolFx {
        pool: core.pool(&c.user_pool_id).await.unwrap(),
        admin: core
            .pool_admin_by_secret(&c.user_pool_id, &c.secret)
            .await
            .unwrap(),
    }
}

/// A new user of the pool and a session of theirs, as `core` sees it.
async fn user_session(core: &Core, pool: &UserPool, email: &str) -> Session {
    let u = core
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
    let t = core.issue_user_token(pool, None, &u).await.unwrap();
    core.session(&t.token, Some(&pool.id)).await.unwrap()
}

/// The same session as seen by another process.
async fn same_session(core: &Core, s: &Session) -> Session {
    core.session(s.token(), Some(&s.pool().id)).await.unwrap()
}

/// The base32 secret in an `otpauth://` URI.
fn uri_secret(req: &EnrollmentRequest) -> Vec<u8> {
    let uri = &req.otp.as_ref().expect("OTP data").qr_code_uri;
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    let secret = uri
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret="))
        .expect("secret in the URI");
    totp::base32_decode(secret).expect("base32 secret")
}

fn now_step() -> i64 {
    totp::step_at(clock::now_secs())
}

fn totp_at(secret: &[u8], step: i64) -> String {
    totp::hotp(secret, step).unwrap()
}

/// A six-digit code that is none of the live ones.
fn wrong_totp(secret: &[u8]) -> String {
    let live: Vec<String> = (-1..=1).map(|d| totp_at(secret, now_step() + d)).collect();
    (0..)
        .map(|n: u32| format!("{:06}", (n * 7919) % 1_000_000))
        .find(|c| !live.contains(c))
        .unwrap()
}

fn none() -> FactorProfile {
    FactorProfile::default()
}

/// Enrolls an OTP factor and returns its secret and recovery code.
async fn enroll_otp(core: &Core, s: &Session) -> (Vec<u8>, String) {
    let req = core
        .send_enroll_factor_request(s, FactorKind::Otp, &none())
        .await
        .unwrap();
    let secret = uri_secret(&req);
    let code = totp_at(&secret, now_step());
    core.enroll_factor(s, FactorKind::Otp, &req.enrollment_token, &code)
        .await
        .unwrap();
    let recovery = req.otp.unwrap().recovery_code;
    (secret, recovery)
}

async fn otp_enrollment_is_proved_by_a_totp(db: &TestDb) {
    let a = env(db).await;
    let fx = pool(&a.core, "mfa").await;
    let s = user_session(&a.core, &fx.pool, "ann@example.com").await;
    assert_eq!(
        a.core.list_factors_to_enroll(&s).await.unwrap(),
        vec![FactorKind::Otp, FactorKind::Sms, FactorKind::Email]
    );

    let req = a
        .core
        .send_enroll_factor_request(&s, FactorKind::Otp, &none())
        .await
        .unwrap();
    let otp = req.otp.clone().expect("OTP data");
    assert!(
        otp.qr_code_uri.contains("issuer=mfa"),
        "{}",
        otp.qr_code_uri
    );
    assert!(otp.qr_code_uri.contains(":ann%40example.com?"));
    let secret = uri_secret(&req);
    assert_eq!(secret.len(), totp::SECRET_BYTES);

    // The token is stored only as its digest.
    let stored: Vec<String> = sqlx::query("SELECT token_hash FROM mfa_enrollments")
        .fetch_all(a.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("token_hash"))
        .collect();
    assert_eq!(stored, vec![crypto::digest(&req.enrollment_token)]);

    // A wrong code stores nothing and leaves the token usable.
    let e = a
        .core
        .enroll_factor(
            &s,
            FactorKind::Otp,
            &req.enrollment_token,
            &wrong_totp(&secret),
        )
        .await;
    assert!(matches!(e, Err(Error::CodeWrong)), "{e:?}");
    assert!(a.core.list_enrolled_factors(&s).await.unwrap().is_empty());
    // The token of one kind does not enroll another.
    let e = a
        .core
        .enroll_factor(&s, FactorKind::Sms, &req.enrollment_token, "123456")
        .await;
    assert!(matches!(e, Err(Error::TokenInvalid)), "{e:?}");

    let code = totp_at(&secret, now_step());
    let f = a
        .core
        .enroll_factor(&s, FactorKind::Otp, &req.enrollment_token, &code)
        .await
        .unwrap();
    assert_eq!(f.kind, MfaType::Otp);
    assert_eq!(
        a.core.list_enrolled_factors(&s).await.unwrap(),
        vec![f.clone()]
    );
    assert_eq!(a.core.get_factor(&s, &f.id).await.unwrap(), f);
    assert_eq!(
        a.core.list_factors_to_enroll(&s).await.unwrap(),
        vec![FactorKind::Sms, FactorKind::Email]
    );

    // The administrator's side reads the same factor.
    let user_id = s.user().id.clone();
    assert!(a.core.mfa_status(&fx.admin, &user_id).await.unwrap().otp);
    assert_eq!(
        a.core.otp_secret(&fx.admin, &user_id).await.unwrap(),
        Some(totp::base32_encode(&secret))
    );

    // The recovery code is stored as a digest; the enrollment row is gone.
    let row = sqlx::query("SELECT recovery, recovery_hash FROM mfa_factors")
        .fetch_one(a.store.pool())
        .await
        .unwrap();
    assert_eq!(row.get::<Option<String>, _>("recovery"), None);
    let hash: String = row.get::<Option<String>, _>("recovery_hash").unwrap();
    assert!(!hash.contains(&otp.recovery_code.replace('-', "")));
    assert_eq!(hash.len(), 64);
    let left: i64 = sqlx::query("SELECT COUNT(*) AS n FROM mfa_enrollments")
        .fetch_one(a.store.pool())
        .await
        .unwrap()
        .get("n");
    assert_eq!(left, 0);

    // Used once: the same token again is refused, here and in another process.
    let b = env(db).await;
    let again = a
        .core
        .enroll_factor(&s, FactorKind::Otp, &req.enrollment_token, &code)
        .await;
    assert!(matches!(again, Err(Error::TokenInvalid)), "{again:?}");
    let sb = same_session(&b.core, &s).await;
    let again = b
        .core
        .enroll_factor(&sb, FactorKind::Otp, &req.enrollment_token, &code)
        .await;
    assert!(matches!(again, Err(Error::TokenInvalid)), "{again:?}");
    // Not only because the factor now exists: with it reset, the token is still spent.
    a.core.reset_factor(&s, &f.id).await.unwrap();
    let again = b
        .core
        .enroll_factor(&sb, FactorKind::Otp, &req.enrollment_token, &code)
        .await;
    assert!(matches!(again, Err(Error::TokenInvalid)), "{again:?}");
    enroll_otp(&a.core, &s).await;

    // A second OTP factor is refused, at the request already.
    let dup = a
        .core
        .send_enroll_factor_request(&s, FactorKind::Otp, &none())
        .await;
    assert!(
        matches!(dup, Err(Error::Duplicate(Entity::MfaFactor))),
        "{dup:?}"
    );
}

/// Two processes finishing one enrollment at the same moment: exactly one stores it.
async fn token_is_single_use_across_processes(db: &TestDb) {
    let a = env(db).await;
    let b = env(db).await;
    let fx = pool(&a.core, "race").await;
    for i in 0..3 {
        let sa = user_session(&a.core, &fx.pool, &format!("r{i}@example.com")).await;
        let sb = same_session(&b.core, &sa).await;
        let req = a
            .core
            .send_enroll_factor_request(&sa, FactorKind::Otp, &none())
            .await
            .unwrap();
        let code = totp_at(&uri_secret(&req), now_step());
        let t = req.enrollment_token.clone();
        let (ra, rb) = tokio::join!(
            a.core.enroll_factor(&sa, FactorKind::Otp, &t, &code),
            b.core.enroll_factor(&sb, FactorKind::Otp, &t, &code),
        );
        let oks = [ra.is_ok(), rb.is_ok()].iter().filter(|ok| **ok).count();
        assert_eq!(oks, 1, "{ra:?} {rb:?}");
        let loser = if ra.is_ok() { rb } else { ra };
        assert!(matches!(loser, Err(Error::TokenInvalid)), "{loser:?}");
        assert_eq!(a.core.list_enrolled_factors(&sa).await.unwrap().len(), 1);
    }
}

async fn expired_or_foreign_tokens_are_refused(db: &TestDb) {
    let a = env(db).await;
    let fx = pool(&a.core, "p1").await;
    let other = pool(&a.core, "p2").await;
    let ann = user_session(&a.core, &fx.pool, "ann@example.com").await;
    let bob = user_session(&a.core, &fx.pool, "bob@example.com").await;
    let eve = user_session(&a.core, &other.pool, "eve@example.com").await;

    let req = a
        .core
        .send_enroll_factor_request(&ann, FactorKind::Otp, &none())
        .await
        .unwrap();
    let code = totp_at(&uri_secret(&req), now_step());
    for s in [&bob, &eve] {
        let e = a
            .core
            .enroll_factor(s, FactorKind::Otp, &req.enrollment_token, &code)
            .await;
        assert!(matches!(e, Err(Error::TokenInvalid)), "{e:?}");
    }
    assert!(a.core.list_enrolled_factors(&bob).await.unwrap().is_empty());

    // An expired enrollment says so and stores nothing.
    let secret = totp::base32_encode(&[7u8; 20]);
    a.store
        .put_mfa_enrollment(&MfaEnrollment {
            token_hash: crypto::digest("old-token"),
            pool_id: fx.pool.id.clone(),
            user_id: bob.user().id.clone(),
            kind: MfaType::Otp,
            secret: Some(secret),
            target: None,
            recovery_hash: None,
            expires_at: clock::now_ms() - 1,
            created_at: clock::now_ms() - 600_000,
        })
        .await
        .unwrap();
    let e = a
        .core
        .enroll_factor(
            &bob,
            FactorKind::Otp,
            "old-token",
            &totp_at(&[7u8; 20], now_step()),
        )
        .await;
    assert!(matches!(e, Err(Error::TokenExpired)), "{e:?}");
    assert!(a.core.list_enrolled_factors(&bob).await.unwrap().is_empty());
    // Housekeeping removes it.
    a.core.housekeeping().await.unwrap();
    assert!(a
        .store
        .mfa_enrollment(&fx.pool.id, &crypto::digest("old-token"))
        .await
        .unwrap()
        .is_none());
}

async fn sms_and_email_enrollment_by_code(db: &TestDb) {
    let a = env(db).await;
    let fx = pool(&a.core, "codes").await;
    let s = user_session(&a.core, &fx.pool, "ann@example.com").await;

    let phone = FactorProfile {
        phone_number: Some("13800138000".into()),
        phone_country_code: Some("+86".into()),
        email: None,
    };
    let req = a
        .core
        .send_enroll_factor_request(&s, FactorKind::Sms, &phone)
        .await
        .unwrap();
    assert!(req.otp.is_none());
    let sms = a
        .outbox
        .sms
        .lock()
        .unwrap()
        .last()
        .cloned()
        .expect("an SMS");
    assert_eq!(sms.phone, "13800138000");
    assert_eq!(sms.scene, "mfa-bind");
    // A resend inside the pool's interval is refused and keeps the pending enrollment.
    let again = a
        .core
        .send_enroll_factor_request(&s, FactorKind::Sms, &phone)
        .await;
    assert!(
        matches!(again, Err(Error::CodeSentTooRecently)),
        "{again:?}"
    );
    let wrong = if sms.code == "000000" {
        "111111"
    } else {
        "000000"
    };
    let e = a
        .core
        .enroll_factor(&s, FactorKind::Sms, &req.enrollment_token, wrong)
        .await;
    assert!(matches!(e, Err(Error::CodeWrong)), "{e:?}");
    assert!(a.core.list_enrolled_factors(&s).await.unwrap().is_empty());
    let f = a
        .core
        .enroll_factor(&s, FactorKind::Sms, &req.enrollment_token, &sms.code)
        .await
        .unwrap();
    assert_eq!(f.kind, MfaType::Sms);
    assert_eq!(f.profile, phone);
    let st = a.core.mfa_status(&fx.admin, &s.user().id).await.unwrap();
    assert!(st.sms && !st.email && !st.otp);

    let mail = FactorProfile {
        email: Some("Ann.MFA@Example.com".into()),
        ..FactorProfile::default()
    };
    let req = a
        .core
        .send_enroll_factor_request(&s, FactorKind::Email, &mail)
        .await
        .unwrap();
    let email = a
        .outbox
        .emails
        .lock()
        .unwrap()
        .last()
        .cloned()
        .expect("an email");
    assert_eq!(email.to.to_lowercase(), "ann.mfa@example.com");
    let f = a
        .core
        .enroll_factor(&s, FactorKind::Email, &req.enrollment_token, &email.code)
        .await
        .unwrap();
    assert_eq!(f.profile.email.as_deref(), Some("ann.mfa@example.com"));
    assert_eq!(
        a.core.list_factors_to_enroll(&s).await.unwrap(),
        vec![FactorKind::Otp]
    );
    // A phone is required for SMS, an address for EMAIL.
    let other = user_session(&a.core, &fx.pool, "bob@example.com").await;
    let e = a
        .core
        .send_enroll_factor_request(&other, FactorKind::Email, &none())
        .await;
    assert!(matches!(e, Err(Error::MissingParameter("email"))), "{e:?}");
    let e = a
        .core
        .send_enroll_factor_request(&other, FactorKind::Sms, &none())
        .await;
    assert!(
        matches!(e, Err(Error::MissingParameter("phoneNumber"))),
        "{e:?}"
    );
}

async fn reset_and_isolation(db: &TestDb) {
    let a = env(db).await;
    let fx = pool(&a.core, "p1").await;
    let other = pool(&a.core, "p2").await;
    let ann = user_session(&a.core, &fx.pool, "ann@example.com").await;
    let bob = user_session(&a.core, &fx.pool, "bob@example.com").await;
    let eve = user_session(&a.core, &other.pool, "eve@example.com").await;
    enroll_otp(&a.core, &ann).await;
    let id = a.core.list_enrolled_factors(&ann).await.unwrap()[0]
        .id
        .clone();

    for s in [&bob, &eve] {
        let e = a.core.get_factor(s, &id).await;
        assert!(
            matches!(e, Err(Error::NotFound(Entity::MfaFactor))),
            "{e:?}"
        );
        let e = a.core.reset_factor(s, &id).await;
        assert!(
            matches!(e, Err(Error::NotFound(Entity::MfaFactor))),
            "{e:?}"
        );
        assert!(a.core.list_enrolled_factors(s).await.unwrap().is_empty());
    }
    assert!(a.core.get_factor(&ann, &id).await.is_ok());

    a.core.reset_factor(&ann, &id).await.unwrap();
    assert!(a.core.list_enrolled_factors(&ann).await.unwrap().is_empty());
    assert!(
        !a.core
            .mfa_status(&fx.admin, &ann.user().id)
            .await
            .unwrap()
            .otp
    );
    let e = a.core.reset_factor(&ann, &id).await;
    assert!(
        matches!(e, Err(Error::NotFound(Entity::MfaFactor))),
        "{e:?}"
    );
    // Enrolling again works after a reset.
    enroll_otp(&a.core, &ann).await;
    assert_eq!(a.core.list_enrolled_factors(&ann).await.unwrap().len(), 1);
}

async fn totp_codes_are_accepted_once(db: &TestDb) {
    let a = env(db).await;
    let b = env(db).await;
    let fx = pool(&a.core, "replay").await;
    let s = user_session(&a.core, &fx.pool, "ann@example.com").await;
    let sb = same_session(&b.core, &s).await;
    let e = a.core.verify_totp(&s, "123456").await;
    assert!(
        matches!(e, Err(Error::NotFound(Entity::MfaFactor))),
        "{e:?}"
    );
    let (secret, recovery) = enroll_otp(&a.core, &s).await;
    let enrolled_step = now_step();

    // The code that enrolled the factor is spent.
    let used = totp_at(&secret, enrolled_step);
    assert!(!a.core.verify_totp(&s, &used).await.unwrap());
    // The next step's code works once, in either process.
    let next = totp_at(&secret, enrolled_step + 1);
    assert!(a.core.verify_totp(&s, &next).await.unwrap());
    assert!(!b.core.verify_totp(&sb, &next).await.unwrap());
    assert!(!a.core.verify_totp(&s, &next).await.unwrap());

    // The recovery code works once, however typed.
    let typed = recovery.replace('-', "").to_lowercase();
    assert!(b.core.verify_totp(&sb, &typed).await.unwrap());
    assert!(!a.core.verify_totp(&s, &recovery).await.unwrap());
}

async fn wrong_codes_are_limited(db: &TestDb) {
    let a = env(db).await;
    let b = env(db).await;
    let fx = pool(&a.core, "limit").await;
    let s = user_session(&a.core, &fx.pool, "ann@example.com").await;
    let sb = same_session(&b.core, &s).await;
    let (secret, _) = enroll_otp(&a.core, &s).await;
    let wrong = wrong_totp(&secret);

    // A success clears the count.
    for _ in 0..TOTP_FAILURE_LIMIT - 1 {
        assert!(!a.core.verify_totp(&s, &wrong).await.unwrap());
    }
    assert!(a
        .core
        .verify_totp(&s, &totp_at(&secret, now_step() + 1))
        .await
        .unwrap());

    // The limit is shared by processes; past it even a right code is refused unchecked.
    for i in 0..TOTP_FAILURE_LIMIT {
        let core = if i % 2 == 0 { &a.core } else { &b.core };
        let sess = if i % 2 == 0 { &s } else { &sb };
        assert!(!core.verify_totp(sess, &wrong).await.unwrap());
    }
    let right = totp_at(&secret, now_step() + 1);
    let e = b.core.verify_totp(&sb, &right).await;
    assert!(matches!(e, Err(Error::MfaAttemptsExceeded)), "{e:?}");
    let other = user_session(&a.core, &fx.pool, "bob@example.com").await;
    // Another user's count is their own.
    let e = a.core.verify_totp(&other, &wrong).await;
    assert!(
        matches!(e, Err(Error::NotFound(Entity::MfaFactor))),
        "{e:?}"
    );
}

backend_tests! {
    otp_enrollment => otp_enrollment_is_proved_by_a_totp;
    single_use_token => token_is_single_use_across_processes;
    refused_tokens => expired_or_foreign_tokens_are_refused;
    code_enrollment => sms_and_email_enrollment_by_code;
    reset_isolation => reset_and_isolation;
    totp_replay => totp_codes_are_accepted_once;
    attempt_limit => wrong_codes_are_limited;
}
