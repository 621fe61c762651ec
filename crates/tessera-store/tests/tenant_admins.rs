//! Multi-tenant administrators, cooperators and tenant enterprise certification on both
//! backends: grants made all or none in one unit of work (tenant memberships as admin,
//! policies by code), the notices through the notifier, the `external` state from department
//! membership, the grant rows going with their user, policy, tenant and pool; the
//! certification's personal numbers sealed at rest (the raw row holds none of them, and a
//! sealed value moved to another tenant does not open), read masked, and its state machine
//! holding under two racing reviewers; pool isolation throughout.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use common::TestDb;
use sqlx::Row;
use tessera_core::model::directory_admin::{PolicyEffect, PolicyStatement};
use tessera_core::model::User;
use tessera_core::notify::{AdminNotice, EmailMessage, Notifier, Outbox, SmsMessage};
use tessera_core::principal::PoolAdmin;
use tessera_core::service::directory::NewNode;
use tessera_core::service::paging::Page;
use tessera_core::service::tenant_admins::{NewCooperator, NewMultiTenantAdmin, NoticeChannels};
use tessera_core::service::tenant_certification::{CertificationForm, CertificationStatus, Review};
use tessera_core::service::tenants::NewTenant;
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Entity, Error};
use tessera_store::SqlStore;

struct Fx {
    core: Arc<Core>,
    store: Arc<SqlStore>,
    outbox: Arc<Outbox>,
    admin: PoolAdmin,
    other: PoolAdmin,
}

/// A notifier whose mail server and SMS gateway are down: every delivery fails.
struct Down;

#[async_trait]
impl Notifier for Down {
    async fn send_email(&self, _: &EmailMessage) -> tessera_core::Result<()> {
        Err(Error::Internal("mail server unreachable".into()))
    }
    async fn send_sms(&self, _: &SmsMessage) -> tessera_core::Result<()> {
        Err(Error::Internal("SMS gateway unreachable".into()))
    }
}

async fn setup(db: &TestDb) -> Fx {
    let outbox = Arc::new(Outbox::default());
    setup_with(db, outbox.clone(), outbox).await
}

/// The fixture with `notifier` delivering; `outbox` is what the tests read deliveries from.
async fn setup_with(db: &TestDb, notifier: Arc<dyn Notifier>, outbox: Arc<Outbox>) -> Fx {
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
    let a = core.create_pool("adm").await.unwrap();
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
        outbox,
    }
}

impl Fx {
    async fn user_in(&self, admin: &PoolAdmin, email: &str) -> User {
        self.core
            .create_user(
                admin.pool(),
                NewUser {
                    email: Some(email.into()),
                    ..NewUser::default()
                },
                CreatedBy::Admin,
            )
            .await
            .unwrap()
    }

    async fn tenant_in(&self, admin: &PoolAdmin, name: &str) -> String {
        self.core
            .create_tenant(
                admin,
                NewTenant {
                    name: name.into(),
                    ..NewTenant::default()
                },
            )
            .await
            .unwrap()
            .id
    }

    async fn policy(&self, code: &str, statements: &[(&str, PolicyEffect)]) {
        let statements = statements
            .iter()
            .map(|(r, e)| PolicyStatement {
                resource: (*r).into(),
                actions: vec!["read".into()],
                effect: *e,
                condition: Vec::new(),
            })
            .collect();
        self.core
            .create_policy(&self.admin, None, code, None, statements)
            .await
            .unwrap();
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
}

fn page() -> Page {
    Page::new(Some(1), Some(50)).unwrap()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

async fn multi_tenant_admins(db: &TestDb) {
    let fx = setup(db).await;
    let (core, admin) = (&fx.core, &fx.admin);
    let ann = fx.user_in(admin, "ann@example.com").await;
    let t1 = fx.tenant_in(admin, "Acme").await;
    let t2 = fx.tenant_in(admin, "Globex").await;
    let foreign_tenant = fx.tenant_in(&fx.other, "Foreign").await;
    let foreign_user = fx.user_in(&fx.other, "zed@example.com").await;

    // One unknown (or foreign) tenant refuses the whole grant.
    for bad in ["nope", foreign_tenant.as_str()] {
        let r = core
            .create_multi_tenant_admin(
                admin,
                NewMultiTenantAdmin {
                    user_id: ann.id.clone(),
                    tenant_ids: strings(&[&t1, bad]),
                    ..NewMultiTenantAdmin::default()
                },
            )
            .await;
        assert!(matches!(r, Err(Error::NotFound(Entity::Tenant))), "{r:?}");
    }
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM tenant_members WHERE user_id = $1",
            &ann.id
        )
        .await,
        0
    );
    assert!(core
        .multi_tenant_admin(admin, &ann.id)
        .await
        .unwrap()
        .is_none());
    // Another pool's user is unknown here; an SMS notice for a user without a phone refused.
    assert!(matches!(
        core.create_multi_tenant_admin(
            admin,
            NewMultiTenantAdmin {
                user_id: foreign_user.id.clone(),
                tenant_ids: strings(&[&t1]),
                ..NewMultiTenantAdmin::default()
            },
        )
        .await,
        Err(Error::UserNotFound)
    ));
    assert!(matches!(
        core.create_multi_tenant_admin(
            admin,
            NewMultiTenantAdmin {
                user_id: ann.id.clone(),
                tenant_ids: strings(&[&t1]),
                notify: NoticeChannels {
                    email: false,
                    sms: true
                },
                ..NewMultiTenantAdmin::default()
            },
        )
        .await,
        Err(Error::NoPhoneBound)
    ));
    assert!(fx.outbox.emails.lock().unwrap().is_empty());

    core.create_multi_tenant_admin(
        admin,
        NewMultiTenantAdmin {
            user_id: ann.id.clone(),
            tenant_ids: strings(&[&t1, &t2, &t1]),
            api_authorized: true,
            notify: NoticeChannels {
                email: true,
                sms: false,
            },
        },
    )
    .await
    .unwrap();
    for t in [&t1, &t2] {
        let (m, _) = core.tenant_member(admin, t, &ann.id).await.unwrap();
        assert!(m.is_admin);
    }
    let got = core
        .multi_tenant_admin(admin, &ann.id)
        .await
        .unwrap()
        .unwrap();
    assert!(got.api_authorized);
    // Tenants made in the same millisecond have no order between them: compare as sets.
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        sorted(got.tenant_ids.clone()),
        sorted(vec![t1.clone(), t2.clone()])
    );
    let notices: Vec<_> = fx
        .outbox
        .emails
        .lock()
        .unwrap()
        .iter()
        .map(|e| {
            let notice = match e.notice.clone() {
                Some(AdminNotice::TenantAdmin { tenants }) => Some(AdminNotice::TenantAdmin {
                    tenants: sorted(tenants),
                }),
                other => other,
            };
            (e.to.clone(), notice)
        })
        .collect();
    assert_eq!(
        notices,
        vec![(
            "ann@example.com".to_owned(),
            Some(AdminNotice::TenantAdmin {
                tenants: strings(&["Acme", "Globex"])
            })
        )]
    );

    // Listed by keyword, and only in its own pool.
    let listed = core
        .multi_tenant_admins(admin, Some("ANN@"), page())
        .await
        .unwrap();
    assert_eq!(listed.total_count, 1);
    assert_eq!(listed.list[0].user.id, ann.id);
    assert_eq!(
        core.multi_tenant_admins(admin, Some("nobody"), page())
            .await
            .unwrap()
            .total_count,
        0
    );
    assert_eq!(
        core.multi_tenant_admins(&fx.other, None, page())
            .await
            .unwrap()
            .total_count,
        0
    );
    assert!(matches!(
        core.multi_tenant_admin(&fx.other, &ann.id).await,
        Err(Error::UserNotFound)
    ));

    // The grant goes with its user.
    core.delete_users(admin, std::slice::from_ref(&ann.id))
        .await
        .unwrap();
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM multi_tenant_admins WHERE user_id = $1",
            &ann.id
        )
        .await,
        0
    );
}

async fn cooperators(db: &TestDb) {
    let fx = setup(db).await;
    let (core, admin) = (&fx.core, &fx.admin);
    fx.policy(
        "users",
        &[
            ("menu:users", PolicyEffect::Allow),
            ("menu:apps", PolicyEffect::Allow),
        ],
    )
    .await;
    fx.policy(
        "no-apps",
        &[
            ("menu:apps", PolicyEffect::Deny),
            ("menu:roles", PolicyEffect::Allow),
        ],
    )
    .await;
    let bob = fx.user_in(admin, "bob@example.com").await;

    // An unknown policy refuses the grant and writes nothing.
    let r = core
        .create_tenant_cooperator(
            admin,
            NewCooperator {
                user_id: bob.id.clone(),
                policies: strings(&["users", "nope"]),
                ..NewCooperator::default()
            },
        )
        .await;
    assert!(matches!(r, Err(Error::NotFound(Entity::Policy))), "{r:?}");
    assert!(matches!(
        core.tenant_cooperator_rights(admin, &bob.id).await,
        Err(Error::NotFound(Entity::TenantCooperator))
    ));
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM tenant_cooperators WHERE user_id = $1",
            &bob.id
        )
        .await,
        0
    );

    core.create_tenant_cooperator(
        admin,
        NewCooperator {
            user_id: bob.id.clone(),
            policies: strings(&["users", "no-apps"]),
            ..NewCooperator::default()
        },
    )
    .await
    .unwrap();
    let rights = core.tenant_cooperator_rights(admin, &bob.id).await.unwrap();
    assert_eq!(rights.policy_codes, strings(&["users", "no-apps"]));
    assert_eq!(rights.menu, strings(&["menu:users", "menu:roles"]));
    // Another pool neither sees nor lists it.
    assert!(core
        .tenant_cooperator_rights(&fx.other, &bob.id)
        .await
        .is_err());
    assert_eq!(
        core.tenant_cooperators(&fx.other, None, None, page())
            .await
            .unwrap()
            .total_count,
        0
    );

    // External while in no department of the pool.
    let ext = |e| {
        let core = core.clone();
        let admin = admin.clone();
        async move {
            core.tenant_cooperators(&admin, Some("bob"), e, page())
                .await
                .unwrap()
                .total_count
        }
    };
    assert_eq!(ext(Some(true)).await, 1);
    assert_eq!(ext(Some(false)).await, 0);
    let (_, root) = core
        .create_org(
            admin.pool_id(),
            NewNode {
                name: "HQ".into(),
                ..NewNode::default()
            },
        )
        .await
        .unwrap();
    core.add_node_members(
        admin.pool_id(),
        &root.node.id,
        std::slice::from_ref(&bob.id),
        false,
    )
    .await
    .unwrap();
    assert_eq!(ext(Some(true)).await, 0);
    assert_eq!(ext(Some(false)).await, 1);
    let listed = core
        .tenant_cooperators(admin, None, None, page())
        .await
        .unwrap();
    assert!(!listed.list[0].external);

    // A deleted policy is no longer held; the grant goes with its user.
    core.delete_policies(admin, None, &strings(&["users"]))
        .await
        .unwrap();
    assert_eq!(
        core.tenant_cooperator_rights(admin, &bob.id)
            .await
            .unwrap()
            .policy_codes,
        strings(&["no-apps"])
    );
    core.delete_users(admin, std::slice::from_ref(&bob.id))
        .await
        .unwrap();
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM tenant_cooperator_policies WHERE user_id = $1",
            &bob.id
        )
        .await,
        0
    );
}

const ID: &str = "11010519491231002X";
const CARD: &str = "6222021234567890123";
const PHONE: &str = "13800138000";

fn form() -> CertificationForm {
    CertificationForm {
        business_name: "Acme Ltd".into(),
        business_license: "https://files.example.com/licence.png".into(),
        business_registration_name: "Acme Limited".into(),
        unified_social_credit: "91350100M000100Y43".into(),
        legal_representative_name: "Zhang San".into(),
        national_id: ID.into(),
        bank_card: CARD.into(),
        reserved_phone: PHONE.into(),
    }
}

async fn certification(db: &TestDb) {
    let fx = setup(db).await;
    let (core, admin) = (&fx.core, &fx.admin);
    let t = fx.tenant_in(admin, "Acme").await;
    let u = fx.tenant_in(admin, "Umbrella").await;
    assert_eq!(
        core.tenant_certification(admin, &t).await.unwrap().status,
        CertificationStatus::NotSubmitted
    );
    // A bad form writes nothing.
    let mut bad = form();
    bad.national_id = "110105194912310021".into();
    assert!(matches!(
        core.submit_tenant_certification(admin, &t, bad).await,
        Err(Error::InvalidParameter("nationalIdentificationNumber"))
    ));
    // Another pool's administrator cannot submit for this tenant.
    assert!(matches!(
        core.submit_tenant_certification(&fx.other, &t, form())
            .await,
        Err(Error::NotFound(Entity::Tenant))
    ));
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM tenant_certifications WHERE tenant_id = $1",
            &t
        )
        .await,
        0
    );

    core.submit_tenant_certification(admin, &t, form())
        .await
        .unwrap();
    core.submit_tenant_certification(admin, &u, form())
        .await
        .unwrap();
    assert!(matches!(
        core.submit_tenant_certification(admin, &t, form()).await,
        Err(Error::Duplicate(Entity::TenantCertification))
    ));

    // Sealed at rest: the raw row holds none of the three numbers.
    let row = sqlx::query("SELECT * FROM tenant_certifications WHERE tenant_id = $1")
        .bind(&t)
        .fetch_one(fx.store.pool())
        .await
        .unwrap();
    let sealed: String = row.try_get("sealed_personal").unwrap();
    assert!(sealed.starts_with("v1."), "{sealed}");
    for n in [ID, CARD, PHONE] {
        let hits = fx
            .count(
                "SELECT COUNT(*) FROM tenant_certifications WHERE sealed_personal LIKE $1 \
                 OR business_name LIKE $1 OR business_license LIKE $1",
                &format!("%{n}%"),
            )
            .await;
        assert_eq!(hits, 0, "{n} in the clear");
    }
    // Read masked.
    let c = core.tenant_certification(admin, &t).await.unwrap();
    assert_eq!(c.status, CertificationStatus::Reviewing);
    let s = c.submitted.unwrap();
    assert_eq!(s.national_id_masked, "110105********002X");
    assert_eq!(s.bank_card_masked, "***************0123");
    assert_eq!(s.reserved_phone_masked, "138****8000");

    // Two reviewers racing: exactly one decides.
    let (a, b) = tokio::join!(
        {
            let (core, admin, t) = (core.clone(), admin.clone(), t.clone());
            async move {
                core.review_tenant_certification(&admin, &t, Review::Pass { reason: None })
                    .await
            }
        },
        {
            let (core, admin, t) = (core.clone(), admin.clone(), t.clone());
            async move {
                core.review_tenant_certification(
                    &admin,
                    &t,
                    Review::Refuse {
                        reason: "blurred".into(),
                    },
                )
                .await
            }
        }
    );
    assert_eq!(
        [&a, &b].iter().filter(|r| r.is_ok()).count(),
        1,
        "{a:?} {b:?}"
    );
    assert!([&a, &b]
        .iter()
        .any(|r| matches!(r, Err(Error::CertificationNotUnderReview))));
    let decided = core.tenant_certification(admin, &t).await.unwrap().status;
    assert!(matches!(
        decided,
        CertificationStatus::Passed | CertificationStatus::Refused
    ));
    // Resubmission puts it back under review, its reason cleared.
    core.resubmit_tenant_certification(admin, &t, form())
        .await
        .unwrap();
    let c = core.tenant_certification(admin, &t).await.unwrap();
    assert_eq!(c.status, CertificationStatus::Reviewing);
    assert_eq!(c.submitted.unwrap().review_reason, None);
    assert!(matches!(
        core.review_tenant_certification(
            admin,
            &t,
            Review::Refuse {
                reason: "  ".into()
            }
        )
        .await,
        Err(Error::MissingParameter("reviewReason"))
    ));
    core.review_tenant_certification(
        admin,
        &t,
        Review::Refuse {
            reason: "blurred".into(),
        },
    )
    .await
    .unwrap();
    let c = core.tenant_certification(admin, &t).await.unwrap();
    assert_eq!(c.status, CertificationStatus::Refused);
    assert_eq!(
        c.submitted.unwrap().review_reason.as_deref(),
        Some("blurred")
    );

    // A sealed value moved to another tenant's row does not open there: refused, never read.
    sqlx::query("UPDATE tenant_certifications SET sealed_personal = $1 WHERE tenant_id = $2")
        .bind(&sealed)
        .bind(&u)
        .execute(fx.store.pool())
        .await
        .unwrap();
    assert!(matches!(
        core.tenant_certification(admin, &u).await,
        Err(Error::Storage(_))
    ));

    // Another pool reads nothing; the certification goes with its tenant.
    assert!(matches!(
        core.tenant_certification(&fx.other, &t).await,
        Err(Error::NotFound(Entity::Tenant))
    ));
    core.delete_tenant(admin, &t).await.unwrap();
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM tenant_certifications WHERE tenant_id = $1",
            &t
        )
        .await,
        0
    );
}

/// A grant whose notice cannot be delivered still stands and is answered as made: the
/// caller must not be told to retry a grant that exists.
async fn grants_stand_when_notices_fail(db: &TestDb) {
    let fx = setup_with(db, Arc::new(Down), Arc::new(Outbox::default())).await;
    let (core, admin) = (&fx.core, &fx.admin);
    let t1 = fx.tenant_in(admin, "Tenant One").await;
    let cy = core
        .create_user(
            admin.pool(),
            NewUser {
                email: Some("cy@example.com".into()),
                phone: Some("13800000001".into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    let both = NoticeChannels {
        email: true,
        sms: true,
    };
    core.create_multi_tenant_admin(
        admin,
        NewMultiTenantAdmin {
            user_id: cy.id.clone(),
            tenant_ids: strings(&[&t1]),
            api_authorized: false,
            notify: both,
        },
    )
    .await
    .expect("the grant is made though its notice is not delivered");
    let (m, _) = core.tenant_member(admin, &t1, &cy.id).await.unwrap();
    assert!(m.is_admin);

    fx.policy("users", &[("menu:users", PolicyEffect::Allow)])
        .await;
    core.create_tenant_cooperator(
        admin,
        NewCooperator {
            user_id: cy.id.clone(),
            policies: strings(&["users"]),
            notify: both,
            ..NewCooperator::default()
        },
    )
    .await
    .expect("the grant is made though its notice is not delivered");
    let rights = core.tenant_cooperator_rights(admin, &cy.id).await.unwrap();
    assert_eq!(rights.policy_codes, strings(&["users"]));
}

backend_tests! {
    notice_failures => grants_stand_when_notices_fail;
    multi_tenant_admin_grants => multi_tenant_admins;
    cooperator_grants => cooperators;
    enterprise_certification => certification;
}
