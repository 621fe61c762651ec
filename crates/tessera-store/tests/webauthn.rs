//! WebAuthn (passkeys) on a real store, on both backends, across two server processes
//! sharing the database, with a software authenticator written here (an openssl P-256 or
//! RSA key, authenticator data, a CBOR attestation object, client data and assertion
//! signatures built by hand): a registration begun at one process is finished at the other,
//! as is a sign-in; tickets are single-use; wrong challenges, origins, RP ids, signatures,
//! user handles and a signature counter going backwards are refused.

mod common;

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::TestDb;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::sign::Signer;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::audit::UserEvent;
use tessera_core::model::{Application, User, UserPool};
use tessera_core::notify::Outbox;
use tessera_core::service::account::Session;
use tessera_core::service::authn::AuthMethod;
use tessera_core::service::login::LoginOptions;
use tessera_core::service::users::{CreatedBy, LoginContext, NewUser};
use tessera_core::service::webauthn::{Assertion, AuthenticatorKind, NewCredential};
use tessera_core::store::audit::UserActionQuery;
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Error, PasskeyProblem};

/// The compat harness's kind of public URL: loopback, so the RP id is `localhost` and the
/// deployment's origin `http://localhost:3000`.
const PUBLIC_URL: &str = "http://127.0.0.1:3000";
const ORIGIN: &str = "http://localhost:3000";
const RP_ID: &str = "localhost";

async fn core(db: &TestDb) -> Core {
    let store: Arc<dyn Store> = db.open().await;
    Core::open(
        store,
        CoreConfig {
            public_url: PUBLIC_URL.into(),
            hash_params: HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .expect("core")
}

async fn session_of(core: &Core, pool: &UserPool, app: &Application, user: &User) -> Session {
    let t = core.issue_user_token(pool, Some(app), user).await.unwrap();
    core.session_in_pool(&t.token, pool).await.unwrap()
}

// --- a minimal CBOR writer ----------------------------------------------------------------

fn head(major: u8, n: u64) -> Vec<u8> {
    let m = major << 5;
    match n {
        0..=23 => vec![m | n as u8],
        24..=0xff => vec![m | 24, n as u8],
        0x100..=0xffff => {
            let mut v = vec![m | 25];
            v.extend_from_slice(&(n as u16).to_be_bytes());
            v
        }
        _ => {
            let mut v = vec![m | 26];
            v.extend_from_slice(&(n as u32).to_be_bytes());
            v
        }
    }
}

fn int(i: i64) -> Vec<u8> {
    if i >= 0 {
        head(0, i as u64)
    } else {
        head(1, (-1 - i) as u64)
    }
}

fn bytes(b: &[u8]) -> Vec<u8> {
    let mut v = head(2, b.len() as u64);
    v.extend_from_slice(b);
    v
}

fn text(s: &str) -> Vec<u8> {
    let mut v = head(3, s.len() as u64);
    v.extend_from_slice(s.as_bytes());
    v
}

fn map(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut v = head(5, entries.len() as u64);
    for (k, val) in entries {
        v.extend_from_slice(k);
        v.extend_from_slice(val);
    }
    v
}

// --- the software authenticator -----------------------------------------------------------

enum KeyKind {
    Es256,
    Rs256,
}

struct Authenticator {
    key: PKey<Private>,
    kind: KeyKind,
    credential_id: Vec<u8>,
    counter: u32,
    /// The user handle it stored at registration.
    user_handle: Vec<u8>,
}

/// What a test changes in a ceremony to see it refused.
#[derive(Clone)]
struct Tamper {
    kind: &'static str,
    challenge: Option<String>,
    origin: String,
    rp_id: String,
    flags: u8,
    fmt: &'static str,
}

impl Default for Tamper {
    fn default() -> Tamper {
        Tamper {
            kind: "",
            challenge: None,
            origin: ORIGIN.into(),
            rp_id: RP_ID.into(),
            flags: 0x01 | 0x04,
            fmt: "none",
        }
    }
}

fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

impl Authenticator {
    fn new(kind: KeyKind) -> Authenticator {
        let key = match kind {
            KeyKind::Es256 => {
                let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
                PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
            }
            KeyKind::Rs256 => PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap(),
        };
        let mut credential_id = vec![0u8; 32];
        openssl::rand::rand_bytes(&mut credential_id).unwrap();
        Authenticator {
            key,
            kind,
            credential_id,
            counter: 0,
            user_handle: Vec::new(),
        }
    }

    fn cose_key(&self) -> Vec<u8> {
        match self.kind {
            KeyKind::Es256 => {
                let ec = self.key.ec_key().unwrap();
                let mut ctx = BigNumContext::new().unwrap();
                let (mut x, mut y) = (BigNum::new().unwrap(), BigNum::new().unwrap());
                ec.public_key()
                    .affine_coordinates(ec.group(), &mut x, &mut y, &mut ctx)
                    .unwrap();
                map(&[
                    (int(1), int(2)),
                    (int(3), int(-7)),
                    (int(-1), int(1)),
                    (int(-2), bytes(&x.to_vec_padded(32).unwrap())),
                    (int(-3), bytes(&y.to_vec_padded(32).unwrap())),
                ])
            }
            KeyKind::Rs256 => {
                let rsa = self.key.rsa().unwrap();
                map(&[
                    (int(1), int(3)),
                    (int(3), int(-257)),
                    (int(-1), bytes(&rsa.n().to_vec())),
                    (int(-2), bytes(&rsa.e().to_vec())),
                ])
            }
        }
    }

    fn sign(&self, data: &[u8]) -> Vec<u8> {
        let mut s = Signer::new(MessageDigest::sha256(), &self.key).unwrap();
        s.sign_oneshot_to_vec(data).unwrap()
    }

    fn alg(&self) -> i64 {
        match self.kind {
            KeyKind::Es256 => -7,
            KeyKind::Rs256 => -257,
        }
    }

    fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
        serde_json::json!({
            "type": kind,
            "challenge": challenge,
            "origin": origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    /// `navigator.credentials.create()`.
    fn create(&mut self, challenge: &str, user_handle: &str, t: &Tamper) -> NewCredential {
        self.user_handle = URL_SAFE_NO_PAD.decode(user_handle).unwrap();
        let kind = if t.kind.is_empty() {
            "webauthn.create"
        } else {
            t.kind
        };
        let cd = Self::client_data(kind, t.challenge.as_deref().unwrap_or(challenge), &t.origin);
        let mut auth = openssl::sha::sha256(t.rp_id.as_bytes()).to_vec();
        auth.push(t.flags | 0x40);
        auth.extend_from_slice(&self.counter.to_be_bytes());
        auth.extend_from_slice(&[0u8; 16]);
        auth.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        auth.extend_from_slice(&self.credential_id);
        auth.extend_from_slice(&self.cose_key());
        let att_stmt = match t.fmt {
            "packed" | "packed-bad" => {
                let mut signed = auth.clone();
                signed.extend_from_slice(&openssl::sha::sha256(&cd));
                let mut sig = self.sign(&signed);
                if t.fmt == "packed-bad" {
                    let last = sig.len() - 1;
                    sig[last] ^= 1;
                }
                map(&[(text("alg"), int(self.alg())), (text("sig"), bytes(&sig))])
            }
            _ => map(&[]),
        };
        let fmt = if t.fmt == "packed-bad" {
            "packed"
        } else {
            t.fmt
        };
        let att = map(&[
            (text("fmt"), text(fmt)),
            (text("attStmt"), att_stmt),
            (text("authData"), bytes(&auth)),
        ]);
        NewCredential {
            raw_id: self.credential_id.clone(),
            client_data_json: cd,
            attestation_object: att,
            transports: vec!["internal".into()],
            authenticator: AuthenticatorKind::Fingerprint,
        }
    }

    /// `navigator.credentials.get()`, the counter advanced by `step` (0: not counted).
    fn get(&mut self, challenge: &str, step: u32, t: &Tamper) -> Assertion {
        self.counter += step;
        let kind = if t.kind.is_empty() {
            "webauthn.get"
        } else {
            t.kind
        };
        let cd = Self::client_data(kind, t.challenge.as_deref().unwrap_or(challenge), &t.origin);
        let mut auth = openssl::sha::sha256(t.rp_id.as_bytes()).to_vec();
        auth.push(t.flags);
        auth.extend_from_slice(&self.counter.to_be_bytes());
        let mut signed = auth.clone();
        signed.extend_from_slice(&openssl::sha::sha256(&cd));
        Assertion {
            raw_id: self.credential_id.clone(),
            client_data_json: cd,
            authenticator_data: auth,
            signature: self.sign(&signed),
            user_handle: Some(self.user_handle.clone()),
        }
    }
}

fn problem(r: Result<impl std::fmt::Debug, Error>) -> PasskeyProblem {
    match r {
        Err(Error::Passkey(p)) => p,
        other => panic!("a passkey refusal expected, got {other:?}"),
    }
}

async fn webauthn_ceremonies(db: &TestDb) {
    let a = core(db).await;
    let b = core(db).await;
    let creds = a.create_pool("passkeys").await.unwrap();
    let pool = a.pool(&creds.user_pool_id).await.unwrap();
    let (app, _) = a.app_and_pool(&creds.app_id).await.unwrap();
    let new = |email: &str| NewUser {
        email: Some(email.into()),
        password: Some("Passw0rd!".into()),
        ..NewUser::default()
    };
    let alice = a
        .create_user(&pool, new("alice@example.com"), CreatedBy::Admin)
        .await
        .unwrap();
    let bob = a
        .create_user(&pool, new("bob@example.com"), CreatedBy::Admin)
        .await
        .unwrap();
    let alice_s = session_of(&a, &pool, &app, &alice).await;
    let bob_s = session_of(&a, &pool, &app, &bob).await;
    let ctx = LoginContext::default();
    let login = || LoginOptions::default();
    let ok = Tamper::default();

    // Registration: options at one process, verification at the other.
    let opts = a
        .passkey_registration_options(&alice_s, Some(&app))
        .await
        .unwrap();
    assert_eq!(opts.rp.id, RP_ID);
    assert_eq!(opts.rp.name, pool.name);
    assert_eq!(opts.user_name, "alice@example.com");
    assert_eq!(URL_SAFE_NO_PAD.decode(&opts.challenge).unwrap().len(), 32);
    assert_ne!(
        opts.user_handle,
        b64(alice.id.as_bytes()),
        "not the user id"
    );
    assert!(opts.exclude.is_empty());
    let mut key = Authenticator::new(KeyKind::Es256);
    let cred = key.create(&opts.challenge, &opts.user_handle, &ok);
    let stored = b
        .passkey_register(&alice_s, Some(&app), &opts.ticket, cred.clone(), &ctx)
        .await
        .unwrap();
    assert_eq!(stored.credential_id, b64(&key.credential_id));
    assert_eq!(stored.authenticator_code, "fingerprint");
    // The ticket is spent: a replay, even of the same credential, is refused.
    assert_eq!(
        problem(
            a.passkey_register(&alice_s, Some(&app), &opts.ticket, cred, &ctx)
                .await
        ),
        PasskeyProblem::TicketInvalid
    );
    // The next options exclude it and keep the user's handle.
    let again = a
        .passkey_registration_options(&alice_s, Some(&app))
        .await
        .unwrap();
    assert_eq!(again.user_handle, opts.user_handle, "one handle per user");
    assert_eq!(again.exclude.len(), 1);
    assert_eq!(again.exclude[0].id, stored.credential_id);
    // The same credential again is a duplicate; Bob cannot finish Alice's ceremony.
    let dup = key.create(&again.challenge, &again.user_handle, &ok);
    assert_eq!(
        problem(
            b.passkey_register(&bob_s, Some(&app), &again.ticket, dup.clone(), &ctx)
                .await
        ),
        PasskeyProblem::TicketInvalid
    );
    let again = a
        .passkey_registration_options(&alice_s, Some(&app))
        .await
        .unwrap();
    let dup = key.create(&again.challenge, &again.user_handle, &ok);
    assert_eq!(
        problem(
            b.passkey_register(&alice_s, Some(&app), &again.ticket, dup, &ctx)
                .await
        ),
        PasskeyProblem::CredentialExists
    );

    // Registrations refused: each with a fresh ticket and a fresh authenticator.
    let refusals: [(Tamper, PasskeyProblem); 6] = [
        (
            Tamper {
                challenge: Some(b64(&[7u8; 32])),
                ..Tamper::default()
            },
            PasskeyProblem::ChallengeMismatch,
        ),
        (
            Tamper {
                origin: "https://evil.example".into(),
                ..Tamper::default()
            },
            PasskeyProblem::OriginRefused,
        ),
        (
            Tamper {
                rp_id: "evil.example".into(),
                ..Tamper::default()
            },
            PasskeyProblem::RpIdMismatch,
        ),
        (
            Tamper {
                kind: "webauthn.get",
                ..Tamper::default()
            },
            PasskeyProblem::WrongType,
        ),
        (
            Tamper {
                flags: 0,
                ..Tamper::default()
            },
            PasskeyProblem::UserNotPresent,
        ),
        (
            Tamper {
                fmt: "packed-bad",
                ..Tamper::default()
            },
            PasskeyProblem::AttestationInvalid,
        ),
    ];
    for (t, expected) in refusals {
        let o = a
            .passkey_registration_options(&bob_s, Some(&app))
            .await
            .unwrap();
        let mut k = Authenticator::new(KeyKind::Es256);
        let c = k.create(&o.challenge, &o.user_handle, &t);
        assert_eq!(
            problem(
                b.passkey_register(&bob_s, Some(&app), &o.ticket, c, &ctx)
                    .await
            ),
            expected
        );
    }
    assert!(b.passkeys_of(&pool.id, &bob.id).await.unwrap().is_empty());

    // Bob registers an RS256 key with a packed self-attestation.
    let o = b
        .passkey_registration_options(&bob_s, Some(&app))
        .await
        .unwrap();
    let mut bob_key = Authenticator::new(KeyKind::Rs256);
    let packed = Tamper {
        fmt: "packed",
        ..Tamper::default()
    };
    let c = bob_key.create(&o.challenge, &o.user_handle, &packed);
    let bob_stored = a
        .passkey_register(&bob_s, Some(&app), &o.ticket, c, &ctx)
        .await
        .unwrap();
    assert_eq!(bob_stored.algorithm, -257);

    // Sign-in: options at one process, verification at the other, usernameless.
    let before = a.user_by_id(&pool.id, &alice.id).await.unwrap();
    let o = a.passkey_authentication_options(&pool, &app).await.unwrap();
    assert_eq!(o.rp_id, RP_ID);
    let assertion = key.get(&o.challenge, 1, &ok);
    let event = b
        .passkey_authenticate(&pool, &app, &o.ticket, assertion.clone(), login())
        .await
        .unwrap();
    assert_eq!(event.user.id, alice.id);
    assert_eq!(
        event.methods,
        vec![AuthMethod::Passkey, AuthMethod::UserPresence]
    );
    let amr: Vec<&str> = event.methods.iter().map(|m| m.amr()).collect();
    assert_eq!(amr, ["hwk", "user"]);
    assert_eq!(
        event.user.login.logins_count,
        before.login.logins_count + 1,
        "the login is recorded"
    );
    // The same ticket and assertion again: refused (single-use ticket).
    assert_eq!(
        problem(
            a.passkey_authenticate(&pool, &app, &o.ticket, assertion, login())
                .await
        ),
        PasskeyProblem::TicketInvalid
    );
    // Two processes finish one ceremony at once: exactly one login.
    let o = a.passkey_authentication_options(&pool, &app).await.unwrap();
    let x = key.get(&o.challenge, 1, &ok);
    let (r1, r2) = tokio::join!(
        a.passkey_authenticate(&pool, &app, &o.ticket, x.clone(), login()),
        b.passkey_authenticate(&pool, &app, &o.ticket, x, login())
    );
    let (wins, losses): (Vec<_>, Vec<_>) = [r1, r2].into_iter().partition(Result::is_ok);
    assert_eq!(wins.len(), 1);
    assert_eq!(
        problem(losses.into_iter().next().unwrap()),
        PasskeyProblem::TicketInvalid
    );
    // A registration ticket is no sign-in ticket.
    let reg = a
        .passkey_registration_options(&alice_s, Some(&app))
        .await
        .unwrap();
    let x = key.get(&reg.challenge, 1, &ok);
    assert_eq!(
        problem(
            a.passkey_authenticate(&pool, &app, &reg.ticket, x, login())
                .await
        ),
        PasskeyProblem::TicketInvalid
    );
    // Bob signs in with his RS256 key.
    let o = a.passkey_authentication_options(&pool, &app).await.unwrap();
    let x = bob_key.get(&o.challenge, 1, &ok);
    let e = b
        .passkey_authenticate(&pool, &app, &o.ticket, x, login())
        .await
        .unwrap();
    assert_eq!(e.user.id, bob.id);

    // Sign-ins refused.
    let tampered: [(Tamper, PasskeyProblem); 5] = [
        (
            Tamper {
                challenge: Some(b64(&[9u8; 32])),
                ..Tamper::default()
            },
            PasskeyProblem::ChallengeMismatch,
        ),
        (
            Tamper {
                origin: "http://localhost:3001".into(),
                ..Tamper::default()
            },
            PasskeyProblem::OriginRefused,
        ),
        (
            Tamper {
                rp_id: "evil.example".into(),
                ..Tamper::default()
            },
            PasskeyProblem::RpIdMismatch,
        ),
        (
            Tamper {
                kind: "webauthn.create",
                ..Tamper::default()
            },
            PasskeyProblem::WrongType,
        ),
        (
            Tamper {
                flags: 0x04,
                ..Tamper::default()
            },
            PasskeyProblem::UserNotPresent,
        ),
    ];
    for (t, expected) in tampered {
        let o = a.passkey_authentication_options(&pool, &app).await.unwrap();
        let x = key.get(&o.challenge, 1, &t);
        assert_eq!(
            problem(
                b.passkey_authenticate(&pool, &app, &o.ticket, x, login())
                    .await
            ),
            expected
        );
    }
    // A bad signature.
    let o = a.passkey_authentication_options(&pool, &app).await.unwrap();
    let mut x = key.get(&o.challenge, 1, &ok);
    x.signature[10] ^= 0x55;
    assert_eq!(
        problem(
            b.passkey_authenticate(&pool, &app, &o.ticket, x, login())
                .await
        ),
        PasskeyProblem::BadSignature
    );
    // Another user's credential id: with Alice's handle the handle does not match; with
    // Bob's handle too, Alice's key's signature does not verify under Bob's key.
    let o = a.passkey_authentication_options(&pool, &app).await.unwrap();
    let mut x = key.get(&o.challenge, 1, &ok);
    x.raw_id = bob_key.credential_id.clone();
    assert_eq!(
        problem(
            b.passkey_authenticate(&pool, &app, &o.ticket, x, login())
                .await
        ),
        PasskeyProblem::UserHandleMismatch
    );
    let o = a.passkey_authentication_options(&pool, &app).await.unwrap();
    let mut x = key.get(&o.challenge, 1, &ok);
    x.raw_id = bob_key.credential_id.clone();
    x.user_handle = Some(bob_key.user_handle.clone());
    assert_eq!(
        problem(
            b.passkey_authenticate(&pool, &app, &o.ticket, x, login())
                .await
        ),
        PasskeyProblem::BadSignature
    );
    // An unknown credential id, and an assertion without a user handle.
    let o = a.passkey_authentication_options(&pool, &app).await.unwrap();
    let mut x = key.get(&o.challenge, 1, &ok);
    x.raw_id = vec![1, 2, 3];
    assert_eq!(
        problem(
            b.passkey_authenticate(&pool, &app, &o.ticket, x, login())
                .await
        ),
        PasskeyProblem::UnknownCredential
    );
    let o = a.passkey_authentication_options(&pool, &app).await.unwrap();
    let mut x = key.get(&o.challenge, 1, &ok);
    x.user_handle = None;
    assert_eq!(
        problem(
            b.passkey_authenticate(&pool, &app, &o.ticket, x, login())
                .await
        ),
        PasskeyProblem::UserHandleMismatch
    );

    // The counter: a good sign-in at a higher count, then a cloned key replaying a lower
    // one is refused and recorded.
    let o = a.passkey_authentication_options(&pool, &app).await.unwrap();
    let x = key.get(&o.challenge, 5, &ok);
    b.passkey_authenticate(&pool, &app, &o.ticket, x, login())
        .await
        .unwrap();
    key.counter -= 3;
    let o = a.passkey_authentication_options(&pool, &app).await.unwrap();
    let x = key.get(&o.challenge, 1, &ok);
    assert_eq!(
        problem(
            b.passkey_authenticate(&pool, &app, &o.ticket, x, login())
                .await
        ),
        PasskeyProblem::SignCountRegressed
    );
    let admin = a.operator_pool_admin(&pool.id).await.unwrap();
    let logged = a
        .user_action_logs(
            &admin,
            &UserActionQuery {
                user_id: Some(alice.id.clone()),
                event_type: Some(UserEvent::PasskeyCloneSuspected),
                ..UserActionQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(logged.total_count, 1);
    assert!(!logged.list[0].success);
    // The same count twice is a regression too (only 0 → 0 is an authenticator that does
    // not count).
    key.counter += 10;
    for expect_ok in [true, false] {
        let o = a.passkey_authentication_options(&pool, &app).await.unwrap();
        let x = key.get(&o.challenge, 0, &ok);
        let r = b
            .passkey_authenticate(&pool, &app, &o.ticket, x, login())
            .await;
        if expect_ok {
            r.unwrap();
        } else {
            assert_eq!(problem(r), PasskeyProblem::SignCountRegressed);
        }
    }

    // A blocked user's passkey logs nobody in: the core login's rules hold.
    a.admin_update_user(
        &admin,
        &bob.id,
        &serde_json::json!({"blocked": true})
            .as_object()
            .unwrap()
            .clone(),
        None,
    )
    .await
    .unwrap();
    let o = a.passkey_authentication_options(&pool, &app).await.unwrap();
    let x = bob_key.get(&o.challenge, 1, &ok);
    let e = b
        .passkey_authenticate(&pool, &app, &o.ticket, x, login())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::UserBlocked), "{e:?}");

    // Another pool knows neither the tickets nor the credentials.
    let other = a.create_pool("other").await.unwrap();
    let other_pool = a.pool(&other.user_pool_id).await.unwrap();
    let (other_app, _) = a.app_and_pool(&other.app_id).await.unwrap();
    let o = a.passkey_authentication_options(&pool, &app).await.unwrap();
    let x = key.get(&o.challenge, 1, &ok);
    assert_eq!(
        problem(
            b.passkey_authenticate(&other_pool, &other_app, &o.ticket, x.clone(), login())
                .await
        ),
        PasskeyProblem::TicketInvalid
    );
    let o = a
        .passkey_authentication_options(&other_pool, &other_app)
        .await
        .unwrap();
    let x = key.get(&o.challenge, 1, &ok);
    assert_eq!(
        problem(
            b.passkey_authenticate(&other_pool, &other_app, &o.ticket, x, login())
                .await
        ),
        PasskeyProblem::UnknownCredential
    );

    // A deleted user's credentials go with them.
    a.delete_users(&admin, std::slice::from_ref(&bob.id))
        .await
        .unwrap();
    assert!(a.passkeys_of(&pool.id, &bob.id).await.unwrap().is_empty());
}

async fn ip_deployment_has_no_passkeys(db: &TestDb) {
    let store: Arc<dyn Store> = db.open().await;
    let core = Core::open(
        store,
        CoreConfig {
            public_url: "https://10.1.2.3".into(),
            hash_params: HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .unwrap();
    let creds = core.create_pool("ip").await.unwrap();
    let pool = core.pool(&creds.user_pool_id).await.unwrap();
    let (app, _) = core.app_and_pool(&creds.app_id).await.unwrap();
    assert_eq!(
        problem(core.passkey_authentication_options(&pool, &app).await),
        PasskeyProblem::Unavailable
    );
}

backend_tests! {
    webauthn => webauthn_ceremonies;
    ip_deployment => ip_deployment_has_no_passkeys;
}
