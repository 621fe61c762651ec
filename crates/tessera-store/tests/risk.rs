//! Risk lists on both backends: IP and user blacklists and whitelists (batch adds all or
//! none, renewal, pages, deletion, other pools' rows absent, expiry, purge), automatic
//! policies, and their enforcement by the core's one login and registration: a blacklisted
//! address or CIDR range, a blacklisted user (refused before the password, the guard never
//! counting it), an expired entry, policies counting wrong passwords and unknown accounts
//! per address or per user, whitelists exempting from policies, and a deleted user taking
//! its entries along.

mod common;

use std::sync::Arc;

use common::TestDb;
use sqlx::Row;
use tessera_core::crypto::password::HashParams;
use tessera_core::error::RiskRefusal;
use tessera_core::model::risk::{
    AddType, Cond, EventState, IpListEntry, IpNet, Limit, ListType, Listing, OptObject,
    PolicyAction, Range, RemoveType,
};
use tessera_core::model::UserPool;
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::authn::AuthEvent;
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::paging::Page;
use tessera_core::service::register::{RegisterOptions, Registration};
use tessera_core::service::risk::{NewListing, NewRiskPolicy};
use tessera_core::service::users::{CreatedBy, LoginContext, LoginId, NewUser};
use tessera_core::store::{RiskStore, Store};
use tessera_core::{clock, Core, CoreConfig, Entity, Error};
use tessera_store::SqlStore;

const PASSWORD: &str = "Correct-Horse-9";
const WRONG: &str = "Wrong-Horse-9";

struct Fx {
    core: Core,
    store: Arc<SqlStore>,
    admin: PoolAdmin,
}

async fn setup(db: &TestDb) -> Fx {
    let store = db.open().await;
    let dyn_store: Arc<dyn Store> = store.clone();
    let core = Core::open(
        dyn_store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .expect("core");
    let admin = admin_of(&core, "risk").await;
    Fx { core, store, admin }
}

async fn admin_of(core: &Core, name: &str) -> PoolAdmin {
    let creds = core.create_pool(name).await.unwrap();
    core.pool_admin_by_secret(&creds.user_pool_id, &creds.secret)
        .await
        .unwrap()
}

fn black(limits: &[Limit]) -> NewListing {
    NewListing {
        list: ListType::Black,
        add_type: AddType::Manual,
        remove_type: RemoveType::Manual,
        limits: limits.to_vec(),
        expire_at: None,
    }
}

fn white() -> NewListing {
    NewListing {
        list: ListType::White,
        limits: Vec::new(),
        ..black(&[])
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn page(p: i64, l: i64) -> Page {
    Page::new(Some(p), Some(l)).unwrap()
}

fn ip_policy(threshold: i64, event: EventState) -> NewRiskPolicy {
    NewRiskPolicy {
        object: OptObject::Ip,
        ip_range: Range::All,
        user_range: Range::All,
        ip_cond: Cond::NoLimit,
        user_cond: Cond::NoLimit,
        time_range_minutes: 10,
        count_threshold: threshold,
        event,
        remove_type: RemoveType::Schedule,
        action: PolicyAction::AddIpBlackList,
        limits: vec![Limit::ForbidLogin],
    }
}

impl Fx {
    fn pool(&self) -> &UserPool {
        self.admin.pool()
    }

    async fn user(&self, email: &str) -> String {
        self.core
            .create_user(
                self.pool(),
                NewUser {
                    email: Some(email.into()),
                    password: Some(PASSWORD.into()),
                    ..NewUser::default()
                },
                CreatedBy::Admin,
            )
            .await
            .unwrap()
            .id
    }

    async fn login(&self, email: &str, password: &str, ip: &str) -> Result<AuthEvent, Error> {
        self.core
            .authenticate(
                self.pool(),
                None,
                Credential::Password {
                    id: LoginId::Email(email.into()),
                    password: password.into(),
                },
                LoginOptions {
                    client: LoginContext {
                        ip: Some(ip.into()),
                        ..LoginContext::default()
                    },
                    ..LoginOptions::default()
                },
            )
            .await
    }

    async fn register(&self, email: &str, ip: &str) -> Result<AuthEvent, Error> {
        self.core
            .register(
                self.pool(),
                None,
                Registration::Email {
                    email: email.into(),
                    password: PASSWORD.into(),
                },
                RegisterOptions {
                    client: LoginContext {
                        ip: Some(ip.into()),
                        ..LoginContext::default()
                    },
                    ..RegisterOptions::default()
                },
            )
            .await
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query(sql)
            .fetch_one(self.store.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    async fn black_ips(&self) -> Vec<String> {
        self.core
            .ip_list(&self.admin, ListType::Black, page(1, 100))
            .await
            .unwrap()
            .list
            .iter()
            .map(|e| e.net.to_string())
            .collect()
    }
}

fn refused(r: Result<AuthEvent, Error>) -> Option<RiskRefusal> {
    match r {
        Err(Error::RiskListed(why)) => Some(why),
        _ => None,
    }
}

async fn ip_lists_are_managed_per_pool(db: &TestDb) {
    let fx = setup(db).await;
    let other = admin_of(&fx.core, "other").await;
    let ips = strings(&[
        "203.0.113.7",
        " 10.1.2.3/8 ",
        "2001:DB8::/32",
        "203.0.113.7",
    ]);
    fx.core
        .add_ip_list_entries(&fx.admin, &ips, black(&[Limit::ForbidLogin]))
        .await
        .unwrap();
    // Canonical forms, oldest first, the repeated address once.
    let listed = fx
        .core
        .ip_list(&fx.admin, ListType::Black, page(1, 10))
        .await
        .unwrap();
    assert_eq!(listed.total_count, 3);
    let mut shown: Vec<String> = listed.list.iter().map(|e| e.net.to_string()).collect();
    shown.sort();
    assert_eq!(shown, ["10.0.0.0/8", "2001:db8::/32", "203.0.113.7"]);
    for e in &listed.list {
        assert_eq!(e.listing.limits, vec![Limit::ForbidLogin]);
        assert_eq!(e.listing.add_type, AddType::Manual);
        assert_eq!(e.listing.expire_at, 0);
    }
    let second = fx
        .core
        .ip_list(&fx.admin, ListType::Black, page(2, 2))
        .await
        .unwrap();
    assert_eq!((second.total_count, second.list.len()), (3, 1));
    assert!(fx
        .core
        .ip_list(&fx.admin, ListType::White, page(1, 10))
        .await
        .unwrap()
        .list
        .is_empty());

    // Another pool sees none of it and cannot delete it.
    let theirs = fx
        .core
        .ip_list(&other, ListType::Black, page(1, 10))
        .await
        .unwrap();
    assert_eq!(theirs.total_count, 0);
    let id = listed.list[0].id.clone();
    assert!(matches!(
        fx.core.delete_ip_list_entry(&other, &id).await,
        Err(Error::NotFound(Entity::IpListEntry))
    ));
    fx.core.delete_ip_list_entry(&fx.admin, &id).await.unwrap();
    assert!(matches!(
        fx.core.delete_ip_list_entry(&fx.admin, &id).await,
        Err(Error::NotFound(Entity::IpListEntry))
    ));
    assert_eq!(fx.black_ips().await.len(), 2);

    // One bad address refuses the batch: nothing of it is written.
    let before = fx.count("SELECT COUNT(*) FROM risk_ip_entries").await;
    for bad in [
        strings(&["198.51.100.1", "198.51.100.300"]),
        strings(&["198.51.100.1", "198.51.100.0/33"]),
        strings(&["198.51.100.1", "example.com"]),
    ] {
        let r = fx
            .core
            .add_ip_list_entries(&fx.admin, &bad, black(&[Limit::ForbidLogin]))
            .await;
        assert!(
            matches!(r, Err(Error::InvalidParameter("ips"))),
            "{bad:?}: {r:?}"
        );
    }
    assert!(matches!(
        fx.core
            .add_ip_list_entries(&fx.admin, &[], black(&[Limit::ForbidLogin]))
            .await,
        Err(Error::MissingParameter("ips"))
    ));
    // A scheduled removal needs a time to happen at; a BLACK entry must forbid something.
    let mut scheduled = black(&[Limit::ForbidLogin]);
    scheduled.remove_type = RemoveType::Schedule;
    scheduled.expire_at = Some(clock::now_ms() - 1);
    assert!(matches!(
        fx.core
            .add_ip_list_entries(&fx.admin, &strings(&["198.51.100.2"]), scheduled)
            .await,
        Err(Error::InvalidParameter("expireAt"))
    ));
    assert!(matches!(
        fx.core
            .add_ip_list_entries(&fx.admin, &strings(&["198.51.100.2"]), black(&[]))
            .await,
        Err(Error::MissingParameter("limitList"))
    ));
    assert_eq!(
        fx.count("SELECT COUNT(*) FROM risk_ip_entries").await,
        before
    );
    fx.core
        .add_ip_list_entries(&fx.admin, &strings(&["198.51.100.2"]), white())
        .await
        .unwrap();
    let whites = fx
        .core
        .ip_list(&fx.admin, ListType::White, page(1, 10))
        .await
        .unwrap();
    assert_eq!(whites.list.len(), 1);
    assert_eq!(whites.list[0].net.to_string(), "198.51.100.2");
}

async fn adding_again_renews_the_entry(db: &TestDb) {
    let fx = setup(db).await;
    let one = strings(&["192.0.2.9"]);
    fx.core
        .add_ip_list_entries(&fx.admin, &one, black(&[Limit::ForbidRegister]))
        .await
        .unwrap();
    let first = fx
        .core
        .ip_list(&fx.admin, ListType::Black, page(1, 10))
        .await
        .unwrap();
    let until = clock::now_ms() + 3_600_000;
    let mut renewed = black(&[Limit::ForbidLogin, Limit::ForbidRegister]);
    renewed.remove_type = RemoveType::Schedule;
    renewed.expire_at = Some(until);
    fx.core
        .add_ip_list_entries(&fx.admin, &one, renewed)
        .await
        .unwrap();
    let again = fx
        .core
        .ip_list(&fx.admin, ListType::Black, page(1, 10))
        .await
        .unwrap();
    assert_eq!(again.total_count, 1, "one entry per address and list");
    assert_eq!(
        again.list[0].id, first.list[0].id,
        "the same entry, renewed"
    );
    assert_eq!(again.list[0].listing.expire_at, until);
    assert_eq!(
        again.list[0].listing.limits,
        vec![Limit::ForbidLogin, Limit::ForbidRegister]
    );
    // An entry added by a policy is a row of its own: it never overwrites the
    // administrator's.
    let policy_entry = IpListEntry {
        id: tessera_core::ids::new_id(),
        pool_id: fx.admin.pool_id().to_owned(),
        net: IpNet::parse("192.0.2.9").unwrap(),
        listing: Listing {
            list: ListType::Black,
            add_type: AddType::Schedule,
            remove_type: RemoveType::Schedule,
            limits: vec![Limit::ForbidLogin],
            expire_at: clock::now_ms() + 60_000,
        },
        created_at: clock::now_ms(),
    };
    fx.store
        .put_ip_entries(fx.admin.pool_id(), &[policy_entry])
        .await
        .unwrap();
    let both = fx
        .core
        .ip_list(&fx.admin, ListType::Black, page(1, 10))
        .await
        .unwrap();
    assert_eq!(both.total_count, 2);
    let manual = both
        .list
        .iter()
        .find(|e| e.listing.add_type == AddType::Manual)
        .unwrap();
    assert_eq!(manual.listing.expire_at, until);
}

async fn the_login_path_reads_by_network(db: &TestDb) {
    let fx = setup(db).await;
    let other = admin_of(&fx.core, "other").await;
    fx.core
        .add_ip_list_entries(
            &fx.admin,
            &strings(&["10.0.0.0/8", "10.9.9.0/24", "2001:db8::/48"]),
            black(&[Limit::ForbidLogin]),
        )
        .await
        .unwrap();
    fx.core
        .add_ip_list_entries(
            &other,
            &strings(&["10.9.9.9"]),
            black(&[Limit::ForbidLogin]),
        )
        .await
        .unwrap();
    let keys = |ip: &str| -> Vec<String> {
        IpNet::containing(ip.parse().unwrap())
            .iter()
            .map(IpNet::key)
            .collect()
    };
    let found = fx
        .store
        .ip_entries_matching(fx.admin.pool_id(), &keys("10.9.9.9"))
        .await
        .unwrap();
    let mut nets: Vec<String> = found.iter().map(|e| e.net.to_string()).collect();
    nets.sort();
    assert_eq!(nets, ["10.0.0.0/8", "10.9.9.0/24"], "this pool's only");
    let v6 = fx
        .store
        .ip_entries_matching(fx.admin.pool_id(), &keys("2001:db8:0:1::5"))
        .await
        .unwrap();
    assert_eq!(v6.len(), 1);
    assert!(fx
        .store
        .ip_entries_matching(fx.admin.pool_id(), &keys("11.0.0.1"))
        .await
        .unwrap()
        .is_empty());
}

async fn expired_entries_stop_applying_and_are_purged(db: &TestDb) {
    let fx = setup(db).await;
    fx.user("ann@example.com").await;
    let past = IpListEntry {
        id: tessera_core::ids::new_id(),
        pool_id: fx.admin.pool_id().to_owned(),
        net: IpNet::parse("198.51.100.0/24").unwrap(),
        listing: Listing {
            list: ListType::Black,
            add_type: AddType::Manual,
            remove_type: RemoveType::Schedule,
            limits: vec![Limit::ForbidLogin, Limit::ForbidRegister],
            expire_at: clock::now_ms() - 1,
        },
        created_at: clock::now_ms() - 60_000,
    };
    fx.store
        .put_ip_entries(fx.admin.pool_id(), std::slice::from_ref(&past))
        .await
        .unwrap();
    fx.login("ann@example.com", PASSWORD, "198.51.100.20")
        .await
        .expect("an expired entry refuses nothing");
    fx.register("bob@example.com", "198.51.100.20")
        .await
        .expect("nor registrations");
    assert!(fx.black_ips().await.is_empty(), "nor is it listed");
    // The same entry still in force refuses.
    let live = IpListEntry {
        listing: Listing {
            expire_at: clock::now_ms() + 60_000,
            ..past.listing.clone()
        },
        ..past
    };
    fx.store
        .put_ip_entries(fx.admin.pool_id(), &[live])
        .await
        .unwrap();
    assert_eq!(
        refused(fx.login("ann@example.com", PASSWORD, "198.51.100.20").await),
        Some(RiskRefusal::IpLogin)
    );
    // Housekeeping removes entries once their time has come, and only those.
    fx.core
        .add_ip_list_entries(
            &fx.admin,
            &strings(&["192.0.2.1"]),
            black(&[Limit::ForbidLogin]),
        )
        .await
        .unwrap();
    fx.store
        .purge_expired(clock::now_ms() + 120_000)
        .await
        .unwrap();
    assert_eq!(fx.black_ips().await, ["192.0.2.1"]);
}

async fn blacklisted_addresses_are_refused(db: &TestDb) {
    let fx = setup(db).await;
    fx.user("ann@example.com").await;
    fx.core
        .add_ip_list_entries(
            &fx.admin,
            &strings(&["203.0.113.7", "10.0.0.0/8"]),
            black(&[Limit::ForbidLogin]),
        )
        .await
        .unwrap();
    fx.core
        .add_ip_list_entries(
            &fx.admin,
            &strings(&["192.0.2.0/24"]),
            black(&[Limit::ForbidRegister]),
        )
        .await
        .unwrap();
    for ip in ["203.0.113.7", "10.200.3.4", "::ffff:10.1.1.1"] {
        assert_eq!(
            refused(fx.login("ann@example.com", PASSWORD, ip).await),
            Some(RiskRefusal::IpLogin),
            "{ip}"
        );
    }
    fx.login("ann@example.com", PASSWORD, "203.0.113.8")
        .await
        .expect("a neighbour logs in");
    // FORBID_REGISTER alone lets logins through and stops registrations.
    fx.login("ann@example.com", PASSWORD, "192.0.2.55")
        .await
        .expect("logins are not forbidden there");
    assert_eq!(
        refused(fx.register("bob@example.com", "192.0.2.55").await),
        Some(RiskRefusal::IpRegister)
    );
    assert_eq!(
        fx.count("SELECT COUNT(*) FROM users WHERE email = 'bob@example.com'")
            .await,
        0
    );
    fx.register("bob@example.com", "10.0.0.1")
        .await
        .expect("FORBID_LOGIN alone does not stop registrations");
    // A WHITE entry does not lift a BLACK one.
    fx.core
        .add_ip_list_entries(&fx.admin, &strings(&["203.0.113.7"]), white())
        .await
        .unwrap();
    assert_eq!(
        refused(fx.login("ann@example.com", PASSWORD, "203.0.113.7").await),
        Some(RiskRefusal::IpLogin)
    );
    // Another pool's lists do not apply here.
    let other = admin_of(&fx.core, "other").await;
    fx.core
        .add_ip_list_entries(
            &other,
            &strings(&["198.51.100.9"]),
            black(&[Limit::ForbidLogin]),
        )
        .await
        .unwrap();
    fx.login("ann@example.com", PASSWORD, "198.51.100.9")
        .await
        .expect("not blacklisted in this pool");
}

async fn blacklisted_users_are_refused_before_the_password(db: &TestDb) {
    let fx = setup(db).await;
    let ann = fx.user("ann@example.com").await;
    let bob = fx.user("bob@example.com").await;
    fx.core
        .add_user_list_entries(
            &fx.admin,
            std::slice::from_ref(&ann),
            black(&[Limit::ForbidLogin]),
        )
        .await
        .unwrap();
    // The same answer for the right and a wrong password, and more of them than the login
    // guard's limit (5) without its captcha: the guard never counted them.
    for i in 0..7 {
        let password = if i % 2 == 0 { PASSWORD } else { WRONG };
        assert_eq!(
            refused(fx.login("ANN@example.com", password, "192.0.2.1").await),
            Some(RiskRefusal::UserLogin),
            "attempt {i}"
        );
    }
    fx.login("bob@example.com", PASSWORD, "192.0.2.1")
        .await
        .expect("another user logs in");
    let listed = fx
        .core
        .user_list(&fx.admin, ListType::Black, page(1, 10))
        .await
        .unwrap();
    assert_eq!(listed.total_count, 1);
    assert_eq!(listed.list[0].user_id, ann);
    // Deleting the entry lets the user in again.
    fx.core
        .delete_user_list_entry(&fx.admin, &listed.list[0].id)
        .await
        .unwrap();
    fx.login("ann@example.com", PASSWORD, "192.0.2.1")
        .await
        .expect("no longer listed");
    assert!(matches!(
        fx.core
            .delete_user_list_entry(&fx.admin, &listed.list[0].id)
            .await,
        Err(Error::NotFound(Entity::UserListEntry))
    ));

    // Every user must be one of the pool's: otherwise nothing is written.
    let other = admin_of(&fx.core, "other").await;
    let before = fx.count("SELECT COUNT(*) FROM risk_user_entries").await;
    assert!(matches!(
        fx.core
            .add_user_list_entries(
                &other,
                std::slice::from_ref(&bob),
                black(&[Limit::ForbidLogin])
            )
            .await,
        Err(Error::UserNotFound)
    ));
    assert!(matches!(
        fx.core
            .add_user_list_entries(
                &fx.admin,
                &[bob.clone(), "000000000000000000000000".into()],
                black(&[Limit::ForbidLogin])
            )
            .await,
        Err(Error::UserNotFound)
    ));
    assert_eq!(
        fx.count("SELECT COUNT(*) FROM risk_user_entries").await,
        before
    );
    // An expired entry no longer refuses. (The refusal is checked well before the expiry,
    // which leaves room for a loaded machine: it costs no hash.)
    let until = clock::now_ms() + 4_000;
    let mut brief = black(&[Limit::ForbidLogin]);
    brief.remove_type = RemoveType::Schedule;
    brief.expire_at = Some(until);
    fx.core
        .add_user_list_entries(&fx.admin, std::slice::from_ref(&bob), brief)
        .await
        .unwrap();
    assert_eq!(
        refused(fx.login("bob@example.com", PASSWORD, "192.0.2.1").await),
        Some(RiskRefusal::UserLogin)
    );
    assert!(
        clock::now_ms() < until,
        "the refusal came before the expiry"
    );
    let left = until + 100 - clock::now_ms();
    tokio::time::sleep(std::time::Duration::from_millis(left.max(0) as u64)).await;
    fx.login("bob@example.com", PASSWORD, "192.0.2.1")
        .await
        .expect("the entry has expired");
}

async fn a_deleted_user_takes_its_entries(db: &TestDb) {
    let fx = setup(db).await;
    let ann = fx.user("ann@example.com").await;
    let bob = fx.user("bob@example.com").await;
    fx.core
        .add_user_list_entries(
            &fx.admin,
            &[ann.clone(), bob.clone()],
            black(&[Limit::ForbidLogin]),
        )
        .await
        .unwrap();
    fx.core
        .add_user_list_entries(&fx.admin, std::slice::from_ref(&ann), white())
        .await
        .unwrap();
    fx.core
        .delete_users(&fx.admin, std::slice::from_ref(&ann))
        .await
        .unwrap();
    let left: Vec<String> = sqlx::query("SELECT user_id FROM risk_user_entries")
        .fetch_all(fx.store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>(0).unwrap())
        .collect();
    assert_eq!(left, [bob]);
}

async fn policies_are_managed_per_pool(db: &TestDb) {
    let fx = setup(db).await;
    let other = admin_of(&fx.core, "other").await;
    let a = fx
        .core
        .add_risk_policy(&fx.admin, ip_policy(3, EventState::PasswordWrong))
        .await
        .unwrap();
    let b = fx
        .core
        .add_risk_policy(&fx.admin, ip_policy(5, EventState::AccountWrong))
        .await
        .unwrap();
    let mut user_policy = ip_policy(4, EventState::PasswordWrong);
    user_policy.object = OptObject::User;
    user_policy.action = PolicyAction::AddUserBlackList;
    user_policy.ip_cond = Cond::One;
    user_policy.limits = vec![Limit::ForbidRegister, Limit::ForbidLogin];
    let u = fx
        .core
        .add_risk_policy(&fx.admin, user_policy)
        .await
        .unwrap();
    let ips = fx
        .core
        .risk_policies(&fx.admin, OptObject::Ip, page(1, 10))
        .await
        .unwrap();
    assert_eq!(ips.total_count, 2);
    // Oldest first; two made in the same millisecond are ordered by id.
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort_by(|x, y| (x.created_at, &x.id).cmp(&(y.created_at, &y.id)));
    assert_eq!(ips.list, expected, "as stored, oldest first");
    let users = fx
        .core
        .risk_policies(&fx.admin, OptObject::User, page(1, 1))
        .await
        .unwrap();
    assert_eq!(users.list, vec![u.clone()]);
    assert_eq!(u.limits, vec![Limit::ForbidLogin, Limit::ForbidRegister]);
    assert_eq!(
        fx.core
            .risk_policies(&other, OptObject::Ip, page(1, 10))
            .await
            .unwrap()
            .total_count,
        0
    );
    assert!(matches!(
        fx.core.delete_risk_policy(&other, &a.id).await,
        Err(Error::NotFound(Entity::RiskPolicy))
    ));
    fx.core.delete_risk_policy(&fx.admin, &a.id).await.unwrap();
    assert!(matches!(
        fx.core.delete_risk_policy(&fx.admin, &a.id).await,
        Err(Error::NotFound(Entity::RiskPolicy))
    ));
    // A refused policy writes nothing.
    let mut bad = ip_policy(0, EventState::PasswordWrong);
    assert!(matches!(
        fx.core.add_risk_policy(&fx.admin, bad.clone()).await,
        Err(Error::InvalidParameter("countThr"))
    ));
    bad.count_threshold = 3;
    bad.action = PolicyAction::AddUserBlackList;
    assert!(matches!(
        fx.core.add_risk_policy(&fx.admin, bad).await,
        Err(Error::InvalidParameter("action"))
    ));
    assert_eq!(fx.count("SELECT COUNT(*) FROM risk_policies").await, 2);
}

async fn an_ip_policy_blacklists_after_wrong_passwords(db: &TestDb) {
    let fx = setup(db).await;
    fx.user("ann@example.com").await;
    fx.user("bob@example.com").await;
    fx.core
        .add_risk_policy(&fx.admin, ip_policy(3, EventState::PasswordWrong))
        .await
        .unwrap();
    // Unknown accounts are not what this policy counts.
    for i in 0..4 {
        let r = fx
            .login(&format!("nobody{i}@example.com"), WRONG, "203.0.113.50")
            .await;
        assert!(matches!(r, Err(Error::UserNotFound)), "{r:?}");
    }
    // Wrong passwords on any accounts from one address: the third lists the address.
    let mut listed_between = (0, 0);
    for (i, who) in ["ann", "bob", "ann"].iter().enumerate() {
        listed_between.0 = clock::now_ms();
        let r = fx
            .login(&format!("{who}@example.com"), WRONG, "203.0.113.50")
            .await;
        listed_between.1 = clock::now_ms();
        assert!(matches!(r, Err(Error::WrongPassword)), "attempt {i}: {r:?}");
    }
    assert_eq!(
        refused(fx.login("ann@example.com", PASSWORD, "203.0.113.50").await),
        Some(RiskRefusal::IpLogin),
        "the right password no longer helps from there"
    );
    fx.login("ann@example.com", PASSWORD, "203.0.113.51")
        .await
        .expect("other addresses are not listed");
    let listed = fx
        .core
        .ip_list(&fx.admin, ListType::Black, page(1, 10))
        .await
        .unwrap();
    assert_eq!(listed.total_count, 1);
    let e = &listed.list[0];
    assert_eq!(e.net.to_string(), "203.0.113.50");
    assert_eq!(e.listing.add_type, AddType::Schedule);
    assert_eq!(e.listing.remove_type, RemoveType::Schedule);
    assert_eq!(e.listing.limits, vec![Limit::ForbidLogin]);
    // Listed for the policy's window (10 minutes) from the third failure.
    let (from, to) = listed_between;
    assert!(
        (from + 600_000..=to + 600_000).contains(&e.listing.expire_at),
        "{from} {to} {}",
        e.listing.expire_at
    );
    // The count started again: deleting the entry needs three new failures to list it anew.
    fx.core
        .delete_ip_list_entry(&fx.admin, &e.id)
        .await
        .unwrap();
    for _ in 0..2 {
        let r = fx.login("bob@example.com", WRONG, "203.0.113.50").await;
        assert!(matches!(r, Err(Error::WrongPassword)), "{r:?}");
    }
    fx.login("ann@example.com", PASSWORD, "203.0.113.50")
        .await
        .expect("two failures are below the threshold");
}

async fn policies_count_what_they_say(db: &TestDb) {
    let fx = setup(db).await;
    let ann = fx.user("ann@example.com").await;
    fx.user("bob@example.com").await;
    // Unknown accounts, per address; a whitelisted address is exempt.
    let mut unknown = ip_policy(2, EventState::AccountWrong);
    unknown.ip_range = Range::NotInWhiteList;
    fx.core.add_risk_policy(&fx.admin, unknown).await.unwrap();
    fx.core
        .add_ip_list_entries(&fx.admin, &strings(&["192.0.2.0/24"]), white())
        .await
        .unwrap();
    for i in 0..3 {
        let r = fx
            .login(&format!("x{i}@example.com"), WRONG, "192.0.2.7")
            .await;
        assert!(matches!(r, Err(Error::UserNotFound)), "{r:?}");
    }
    fx.login("ann@example.com", PASSWORD, "192.0.2.7")
        .await
        .expect("a whitelisted address is never listed by the policy");
    for i in 0..2 {
        let r = fx
            .login(&format!("y{i}@example.com"), WRONG, "198.51.100.7")
            .await;
        assert!(matches!(r, Err(Error::UserNotFound)), "{r:?}");
    }
    assert_eq!(
        refused(fx.login("ann@example.com", PASSWORD, "198.51.100.7").await),
        Some(RiskRefusal::IpLogin)
    );

    // Wrong passwords per user, from one address at a time (ipCond ONE): three from
    // different addresses do not add up; three from one list the user for every address.
    let mut per_user = ip_policy(3, EventState::PasswordWrong);
    per_user.object = OptObject::User;
    per_user.action = PolicyAction::AddUserBlackList;
    per_user.ip_cond = Cond::One;
    per_user.remove_type = RemoveType::Manual;
    fx.core.add_risk_policy(&fx.admin, per_user).await.unwrap();
    for ip in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        let r = fx.login("ann@example.com", WRONG, ip).await;
        assert!(matches!(r, Err(Error::WrongPassword)), "{r:?}");
    }
    fx.login("ann@example.com", PASSWORD, "203.0.113.4")
        .await
        .expect("spread over addresses, the failures do not add up");
    for _ in 0..3 {
        let r = fx.login("ann@example.com", WRONG, "203.0.113.9").await;
        assert!(matches!(r, Err(Error::WrongPassword)), "{r:?}");
    }
    assert_eq!(
        refused(fx.login("ann@example.com", PASSWORD, "203.0.113.10").await),
        Some(RiskRefusal::UserLogin)
    );
    let listed = fx
        .core
        .user_list(&fx.admin, ListType::Black, page(1, 10))
        .await
        .unwrap();
    assert_eq!(listed.list.len(), 1);
    assert_eq!(listed.list[0].user_id, ann);
    assert_eq!(listed.list[0].listing.add_type, AddType::Schedule);
    assert_eq!(listed.list[0].listing.expire_at, 0, "removed by hand only");
    fx.login("bob@example.com", PASSWORD, "203.0.113.9")
        .await
        .expect("only the user is listed");
}

async fn whitelisted_users_are_exempt_from_policies(db: &TestDb) {
    let fx = setup(db).await;
    let ann = fx.user("ann@example.com").await;
    let mut per_user = ip_policy(2, EventState::PasswordWrong);
    per_user.object = OptObject::User;
    per_user.action = PolicyAction::AddUserBlackList;
    per_user.user_range = Range::NotInWhiteList;
    fx.core.add_risk_policy(&fx.admin, per_user).await.unwrap();
    fx.core
        .add_user_list_entries(&fx.admin, &[ann], white())
        .await
        .unwrap();
    for _ in 0..3 {
        let r = fx.login("ann@example.com", WRONG, "203.0.113.1").await;
        assert!(matches!(r, Err(Error::WrongPassword)), "{r:?}");
    }
    fx.login("ann@example.com", PASSWORD, "203.0.113.1")
        .await
        .expect("a whitelisted user is never listed by the policy");
    assert_eq!(
        fx.core
            .user_list(&fx.admin, ListType::Black, page(1, 10))
            .await
            .unwrap()
            .total_count,
        0
    );
}

backend_tests! {
    ip_lists_are_managed_per_pool_t => ip_lists_are_managed_per_pool;
    adding_again_renews_the_entry_t => adding_again_renews_the_entry;
    the_login_path_reads_by_network_t => the_login_path_reads_by_network;
    expired_entries_stop_applying_and_are_purged_t => expired_entries_stop_applying_and_are_purged;
    blacklisted_addresses_are_refused_t => blacklisted_addresses_are_refused;
    blacklisted_users_are_refused_before_the_password_t => blacklisted_users_are_refused_before_the_password;
    a_deleted_user_takes_its_entries_t => a_deleted_user_takes_its_entries;
    policies_are_managed_per_pool_t => policies_are_managed_per_pool;
    an_ip_policy_blacklists_after_wrong_passwords_t => an_ip_policy_blacklists_after_wrong_passwords;
    policies_count_what_they_say_t => policies_count_what_they_say;
    whitelisted_users_are_exempt_from_policies_t => whitelisted_users_are_exempt_from_policies;
}
