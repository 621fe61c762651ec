//! The token-bound login captcha (`Core::issue_captcha_token`, the v3
//! `geneCatchaCodeAndToken`) on both backends: it satisfies the login guard's captcha demand
//! like the address-bound one, from any address; the token is single use, spent by a wrong
//! answer too; a token of another pool, an expired one or an unknown one is refused; only
//! the token's digest is stored.

mod common;

use std::sync::{Arc, Mutex};

use common::TestDb;
use sqlx::Row;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::pool::RateCheck;
use tessera_core::model::UserPool;
use tessera_core::notify::Outbox;
use tessera_core::service::authn::AuthEvent;
use tessera_core::service::codes::CAPTCHA_TOKEN_CHANNEL;
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::register::{RegisterOptions, Registration};
use tessera_core::service::users::{LoginContext, LoginId};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Error};
use tessera_store::SqlStore;

const EMAIL: &str = "t@example.com";
const PASSWORD: &str = "right-pass";

type Seen = Arc<Mutex<Vec<(String, String)>>>;

struct Env {
    core: Core,
    store: Arc<SqlStore>,
    /// `(key, answer)` of every captcha issued, from the captcha hook.
    seen: Seen,
}

async fn env(db: &TestDb) -> Env {
    let store = db.open().await;
    let dyn_store: Arc<dyn Store> = store.clone();
    let mut core = Core::open(
        dyn_store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .expect("core");
    let seen: Seen = Arc::default();
    let sink = seen.clone();
    core.set_captcha_hook(Arc::new(move |k: &str, v: &str| {
        sink.lock().unwrap().push((k.to_owned(), v.to_owned()))
    }));
    Env { core, store, seen }
}

/// A pool asking for a captcha after 2 failures of an account, with its user.
async fn guarded_pool(core: &Core, name: &str) -> UserPool {
    let pool_id = core.create_pool(name).await.unwrap().user_pool_id;
    let mut settings = core.pool(&pool_id).await.unwrap().settings;
    settings.login_fail_check = RateCheck {
        enabled: true,
        time_interval: 300,
        limit: 2,
    };
    let pool = core.update_pool_settings(&pool_id, settings).await.unwrap();
    core.register(
        &pool,
        None,
        Registration::Email {
            email: EMAIL.into(),
            password: PASSWORD.into(),
        },
        RegisterOptions::default(),
    )
    .await
    .unwrap();
    pool
}

/// A password login from an address of its own each time: a token captcha binds no
/// address.
async fn login(
    core: &Core,
    pool: &UserPool,
    password: &str,
    captcha: Option<(&str, &str)>,
) -> Result<AuthEvent, Error> {
    let ip = format!("10.1.{}.{}", rand::random::<u8>(), rand::random::<u8>());
    core.authenticate(
        pool,
        None,
        Credential::Password {
            id: LoginId::Email(EMAIL.into()),
            password: password.into(),
        },
        LoginOptions {
            captcha_code: captcha.map(|c| c.0.to_owned()),
            captcha_token: captcha.map(|c| c.1.to_owned()),
            client: LoginContext {
                ip: Some(ip),
                ..LoginContext::default()
            },
            ..LoginOptions::default()
        },
    )
    .await
}

/// Fails the account's logins until the guard demands a captcha.
async fn demand_captcha(core: &Core, pool: &UserPool) {
    for _ in 0..2 {
        assert!(matches!(
            login(core, pool, "bad", None).await,
            Err(Error::WrongPassword)
        ));
    }
    assert!(matches!(
        login(core, pool, PASSWORD, None).await,
        Err(Error::CaptchaRequired)
    ));
}

fn digest(token: &str) -> String {
    openssl::sha::sha256(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An answer that is not `answer`, in the captcha alphabet.
fn wrong(answer: &str) -> String {
    if answer == "AAAA" { "BBBB" } else { "AAAA" }.to_owned()
}

async fn a_token_captcha_is_single_use_and_stored_as_a_digest(db: &TestDb) {
    let e = env(db).await;
    let pool = guarded_pool(&e.core, "p").await;
    demand_captcha(&e.core, &pool).await;

    let (answer, token) = e.core.issue_captcha_token(&pool).await.unwrap();
    assert_eq!(answer.len(), 4);
    assert!(token.len() >= 40, "{token}");
    let (key, hooked) = e.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(key, format!("{}:token:{}", pool.id, digest(&token)));
    assert_eq!(hooked, answer);
    // Only the digest of the token and a hash of the answer are stored.
    let rows = sqlx::query(
        "SELECT target, code_hash FROM verification_codes WHERE channel = $1 AND pool_id = $2",
    )
    .bind(CAPTCHA_TOKEN_CHANNEL)
    .bind(&pool.id)
    .fetch_all(e.store.pool())
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    let target: String = rows[0].try_get("target").unwrap();
    let hash: String = rows[0].try_get("code_hash").unwrap();
    assert_eq!(target, digest(&token));
    assert!(!hash.contains(&answer) && !target.contains(&token));

    // The token alone is no answer, and an answer without its token is for the address's
    // captcha (there is none): neither spends the token.
    assert!(matches!(
        login(&e.core, &pool, PASSWORD, Some(("", &token))).await,
        Err(Error::CaptchaRequired)
    ));
    assert!(matches!(
        login(&e.core, &pool, PASSWORD, Some((&answer, ""))).await,
        Err(Error::CaptchaWrong)
    ));
    // The right answer (any case) passes the captcha; the wrong password still fails...
    assert!(matches!(
        login(
            &e.core,
            &pool,
            "bad",
            Some((&answer.to_lowercase(), &token))
        )
        .await,
        Err(Error::WrongPassword)
    ));
    // ... and the token is spent: the right password with it is refused.
    assert!(matches!(
        login(&e.core, &pool, PASSWORD, Some((&answer, &token))).await,
        Err(Error::CaptchaWrong)
    ));
    // A new captcha lets the right password in, from yet another address.
    let (answer, token) = e.core.issue_captcha_token(&pool).await.unwrap();
    let ok = login(&e.core, &pool, PASSWORD, Some((&answer, &token)))
        .await
        .unwrap();
    assert!(ok.login_recorded);
    assert_eq!(ok.user.email.as_deref(), Some(EMAIL));
}

async fn a_wrong_answer_spends_the_token(db: &TestDb) {
    let e = env(db).await;
    let pool = guarded_pool(&e.core, "p").await;
    demand_captcha(&e.core, &pool).await;
    let (answer, token) = e.core.issue_captcha_token(&pool).await.unwrap();
    assert!(matches!(
        login(&e.core, &pool, PASSWORD, Some((&wrong(&answer), &token))).await,
        Err(Error::CaptchaWrong)
    ));
    // No second try on the same image.
    assert!(matches!(
        login(&e.core, &pool, PASSWORD, Some((&answer, &token))).await,
        Err(Error::CaptchaWrong)
    ));
    // Two requests racing with one token and the right answer: one passes at most.
    let (answer, token) = e.core.issue_captcha_token(&pool).await.unwrap();
    let (a, b) = tokio::join!(
        login(&e.core, &pool, "bad", Some((&answer, &token))),
        login(&e.core, &pool, "bad", Some((&answer, &token))),
    );
    let passed = [&a, &b]
        .iter()
        .filter(|r| matches!(r, Err(Error::WrongPassword)))
        .count();
    assert_eq!(passed, 1, "{a:?} {b:?}");
    // Unknown and oversized tokens are refused.
    for t in ["no-such-token".to_owned(), "x".repeat(4096)] {
        assert!(matches!(
            login(&e.core, &pool, PASSWORD, Some((&answer, &t))).await,
            Err(Error::CaptchaWrong)
        ));
    }
}

async fn a_token_of_another_pool_is_refused(db: &TestDb) {
    let e = env(db).await;
    let pool = guarded_pool(&e.core, "p").await;
    let other = guarded_pool(&e.core, "other").await;
    demand_captcha(&e.core, &pool).await;
    demand_captcha(&e.core, &other).await;
    let (answer, token) = e.core.issue_captcha_token(&other).await.unwrap();
    assert!(matches!(
        login(&e.core, &pool, PASSWORD, Some((&answer, &token))).await,
        Err(Error::CaptchaWrong)
    ));
    // It still answers for its own pool.
    login(&e.core, &other, PASSWORD, Some((&answer, &token)))
        .await
        .unwrap();
    let (answer, token) = e.core.issue_captcha_token(&pool).await.unwrap();
    login(&e.core, &pool, PASSWORD, Some((&answer, &token)))
        .await
        .unwrap();
}

async fn an_expired_token_is_refused(db: &TestDb) {
    let e = env(db).await;
    let pool = guarded_pool(&e.core, "p").await;
    demand_captcha(&e.core, &pool).await;
    let (answer, token) = e.core.issue_captcha_token(&pool).await.unwrap();
    let row =
        sqlx::query("SELECT expires_at, created_at FROM verification_codes WHERE target = $1")
            .bind(digest(&token))
            .fetch_one(e.store.pool())
            .await
            .unwrap();
    let (expires, created): (i64, i64) = (
        row.try_get("expires_at").unwrap(),
        row.try_get("created_at").unwrap(),
    );
    let lifetime = expires - created;
    assert!(
        (60_000..=300_000).contains(&lifetime),
        "a short lifetime: {lifetime} ms"
    );
    // Its time passes.
    sqlx::query("UPDATE verification_codes SET expires_at = $1 WHERE target = $2")
        .bind(tessera_core::clock::now_ms() - 1)
        .bind(digest(&token))
        .execute(e.store.pool())
        .await
        .unwrap();
    assert!(matches!(
        login(&e.core, &pool, PASSWORD, Some((&answer, &token))).await,
        Err(Error::CaptchaWrong)
    ));
}

backend_tests! {
    single_use => a_token_captcha_is_single_use_and_stored_as_a_digest;
    wrong_answer => a_wrong_answer_spends_the_token;
    other_pool => a_token_of_another_pool_is_refused;
    expiry => an_expired_token_is_refused;
}
