//! Provisioning connections and sync relations (migration 41) on both backends: the token
//! stored only as its digest and refused once revoked; users created through a connection
//! linked in the same unit of work (by the upstream id, or the user's own), uniqueness of
//! usernames ignoring case and of relations both ways; filters and pages; adoption of an
//! existing user; `active: false` blocking the password login; departments as groups with
//! their members and relations; unlinking; relations going with their user or department;
//! pool isolation.

mod common;

use std::sync::Arc;

use common::TestDb;
use sqlx::Row;
use tessera_core::model::provisioning::SyncKind;
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::directory::NewNode;
use tessera_core::service::login::{Credential, LoginOptions};
use tessera_core::service::provisioning::{
    GroupChange, GroupFilter, MembersChange, ProvisioningClient, UserAttributes, UserFilter,
};
use tessera_core::service::users::{CreatedBy, LoginId, NewUser};
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Entity, Error, UniqueField};
use tessera_store::SqlStore;

struct Fx {
    core: Arc<Core>,
    store: Arc<SqlStore>,
    admin: PoolAdmin,
    other: PoolAdmin,
}

async fn setup(db: &TestDb) -> Fx {
    let store = db.open().await;
    let dyn_store: Arc<dyn Store> = store.clone();
    let core = Core::open(
        dyn_store,
        CoreConfig {
            public_url: "http://127.0.0.1:3000".into(),
            hash_params: tessera_core::crypto::password::HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .expect("core");
    let a = core.create_pool("scim").await.unwrap();
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
    async fn count(&self, sql: &str, bind: &str) -> i64 {
        sqlx::query(sql)
            .bind(bind)
            .fetch_one(self.store.pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    async fn client(&self, admin: &PoolAdmin, org: Option<&str>) -> (ProvisioningClient, String) {
        let made = self
            .core
            .create_provisioning_connection(admin, "okta", org)
            .await
            .unwrap();
        let client = self.core.provisioning_client(&made.token).await.unwrap();
        (client, made.token)
    }
}

fn attrs(username: &str, external_id: Option<&str>) -> UserAttributes {
    UserAttributes {
        username: username.into(),
        given_name: Some("Barbara".into()),
        family_name: Some("Jensen".into()),
        email: Some(format!("{}@example.com", username.to_lowercase())),
        active: true,
        external_id: external_id.map(str::to_owned),
        ..UserAttributes::default()
    }
}

async fn connections_and_tokens(db: &TestDb) {
    let fx = setup(db).await;
    let core = &fx.core;
    for bad in ["", "Okta", "a b", &"x".repeat(33)] {
        assert!(matches!(
            core.create_provisioning_connection(&fx.admin, bad, None)
                .await,
            Err(Error::InvalidParameter("provider"))
        ));
    }
    assert!(matches!(
        core.create_provisioning_connection(&fx.admin, "okta", Some("nope"))
            .await,
        Err(Error::NotFound(Entity::Org))
    ));
    let made = core
        .create_provisioning_connection(&fx.admin, "okta", None)
        .await
        .unwrap();
    assert!(made.token.len() >= 43, "256 bits");
    // Only the digest is stored.
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM provisioning_connections WHERE token_digest = $1",
            &made.token
        )
        .await,
        0
    );
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM provisioning_connections WHERE token_digest = $1",
            &tessera_core::crypto::digest(&made.token)
        )
        .await,
        1
    );
    let c = core.provisioning_client(&made.token).await.unwrap();
    assert_eq!(c.pool_id(), fx.admin.pool_id());
    assert_eq!(c.provider(), "okta");
    for wrong in ["", "x", &format!("{}x", made.token)] {
        assert!(matches!(
            core.provisioning_client(wrong).await,
            Err(Error::TokenInvalid)
        ));
    }
    let listed = core.provisioning_connections(&fx.admin).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(core
        .provisioning_connections(&fx.other)
        .await
        .unwrap()
        .is_empty());
    // Another pool cannot revoke it; its own administrator can, and the token dies.
    assert!(matches!(
        core.revoke_provisioning_connection(&fx.other, &made.connection.id)
            .await,
        Err(Error::NotFound(Entity::ProvisioningConnection))
    ));
    core.revoke_provisioning_connection(&fx.admin, &made.connection.id)
        .await
        .unwrap();
    assert!(matches!(
        core.provisioning_client(&made.token).await,
        Err(Error::TokenInvalid)
    ));
}

async fn users(db: &TestDb) {
    let fx = setup(db).await;
    let core = &fx.core;
    let (c, _) = fx.client(&fx.admin, None).await;
    let p = core
        .provision_user(
            &c,
            attrs("Bjensen", Some("00u1")),
            Some("Passw0rd!x".into()),
        )
        .await
        .unwrap();
    assert_eq!(p.external_id.as_deref(), Some("00u1"));
    let rel = core
        .user_sync_relations(&fx.admin, &p.user.id)
        .await
        .unwrap();
    assert_eq!(rel.len(), 1);
    assert_eq!(
        (rel[0].provider.as_str(), rel[0].external_id.as_str()),
        ("okta", "00u1")
    );
    // Duplicates: the username ignoring case, the upstream id.
    assert!(matches!(
        core.provision_user(&c, attrs("BJENSEN", Some("00u2")), None)
            .await,
        Err(Error::AlreadyExists(UniqueField::Username))
    ));
    assert!(matches!(
        core.provision_user(&c, attrs("other", Some("00u1")), None)
            .await,
        Err(Error::Duplicate(Entity::SyncRelation))
    ));
    assert_eq!(
        fx.count("SELECT COUNT(*) FROM users WHERE pool_id = $1", c.pool_id())
            .await,
        1,
        "refusals wrote nothing"
    );
    // Without an upstream id the user's own id is recorded.
    let q = core
        .provision_user(&c, attrs("quinn", None), None)
        .await
        .unwrap();
    assert_eq!(q.external_id.as_deref(), Some(q.user.id.as_str()));
    // Filters and pages.
    let find = |f: UserFilter| {
        let (core, c) = (core.clone(), c.clone());
        async move { core.provisioned_users(&c, &f, 0, 10).await.unwrap() }
    };
    assert_eq!(
        find(UserFilter::Username("bJeNsEn".into())).await.items[0]
            .user
            .id,
        p.user.id
    );
    assert_eq!(find(UserFilter::ExternalId("00u1".into())).await.total, 1);
    assert_eq!(find(UserFilter::ExternalId("nope".into())).await.total, 0);
    assert_eq!(
        find(UserFilter::Email("BJENSEN@example.com".into()))
            .await
            .items[0]
            .user
            .id,
        p.user.id
    );
    assert_eq!(
        find(UserFilter::Email("not an address".into())).await.total,
        0
    );
    let all = core
        .provisioned_users(&c, &UserFilter::All, 1, 1)
        .await
        .unwrap();
    assert_eq!((all.total, all.items.len()), (2, 1));
    assert_eq!(all.items[0].user.id, q.user.id, "creation order");
    // Deactivation blocks the password login; reactivation allows it again.
    let login = |core: Arc<Core>, admin: PoolAdmin| async move {
        core.authenticate(
            admin.pool(),
            None,
            Credential::Password {
                id: LoginId::Username("Bjensen".into()),
                password: "Passw0rd!x".into(),
            },
            LoginOptions::default(),
        )
        .await
    };
    assert!(login(core.clone(), fx.admin.clone()).await.is_ok());
    let mut off = attrs("Bjensen", Some("00u1"));
    off.active = false;
    let blocked = core
        .replace_provisioned_user(&c, &p.user.id, off.clone(), None)
        .await
        .unwrap();
    assert!(blocked.user.blocked);
    assert!(matches!(
        login(core.clone(), fx.admin.clone()).await,
        Err(Error::UserBlocked)
    ));
    off.active = true;
    off.external_id = Some("00u1-new".into());
    let back = core
        .replace_provisioned_user(&c, &p.user.id, off, None)
        .await
        .unwrap();
    assert!(!back.user.blocked);
    assert_eq!(back.external_id.as_deref(), Some("00u1-new"), "relinked");
    assert!(login(core.clone(), fx.admin.clone()).await.is_ok());
    // Taking another user's upstream id or username (ignoring case) is refused.
    let mut steal = attrs("Bjensen", Some(&q.user.id));
    assert!(matches!(
        core.replace_provisioned_user(&c, &p.user.id, steal.clone(), None)
            .await,
        Err(Error::Duplicate(Entity::SyncRelation))
    ));
    steal.username = "QUINN".into();
    steal.external_id = None;
    assert!(matches!(
        core.replace_provisioned_user(&c, &p.user.id, steal, None)
            .await,
        Err(Error::AlreadyExists(UniqueField::Username))
    ));
    // Adoption: a user the administrator made gets linked by its first write.
    let admin_made = core
        .create_user(
            fx.admin.pool(),
            NewUser {
                username: Some("carol".into()),
                ..NewUser::default()
            },
            CreatedBy::Admin,
        )
        .await
        .unwrap();
    assert!(core
        .user_sync_relations(&fx.admin, &admin_made.id)
        .await
        .unwrap()
        .is_empty());
    let adopted = core
        .replace_provisioned_user(&c, &admin_made.id, attrs("carol", Some("00u9")), None)
        .await
        .unwrap();
    assert_eq!(adopted.external_id.as_deref(), Some("00u9"));
    assert_eq!(
        core.sync_relation_target(&fx.admin, SyncKind::User, "okta:00u9", "userId")
            .await
            .unwrap()
            .as_deref(),
        Some(admin_made.id.as_str())
    );
    // Another pool sees none of it.
    let (other, _) = fx.client(&fx.other, None).await;
    assert!(matches!(
        core.provisioned_user(&other, &p.user.id).await,
        Err(Error::UserNotFound)
    ));
    assert_eq!(
        core.provisioned_users(&other, &UserFilter::ExternalId("00u9".into()), 0, 10)
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        core.sync_relation_target(&fx.other, SyncKind::User, "okta:00u9", "userId")
            .await
            .unwrap(),
        None
    );
    assert!(matches!(
        core.sync_relation_target(&fx.admin, SyncKind::User, "okta", "userId")
            .await,
        Err(Error::InvalidParameter("userId"))
    ));
    // Unlinking keeps the user; deleting the user takes its relations.
    core.delete_sync_relation(&fx.admin, SyncKind::User, "okta", &admin_made.id)
        .await
        .unwrap();
    assert!(matches!(
        core.delete_sync_relation(&fx.admin, SyncKind::User, "okta", &admin_made.id)
            .await,
        Err(Error::NotFound(Entity::SyncRelation))
    ));
    assert!(core.provisioned_user(&c, &admin_made.id).await.is_ok());
    core.deprovision_user(&c, &p.user.id).await.unwrap();
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM sync_relations WHERE target_id = $1",
            &p.user.id
        )
        .await,
        0
    );
    // The write went to the audit log as the provisioning proof.
    assert!(
        fx.count(
            "SELECT COUNT(*) FROM admin_audit_log WHERE pool_id = $1 AND proof = 'provisioning'",
            c.pool_id()
        )
        .await
            > 0
    );
}

async fn groups(db: &TestDb) {
    let fx = setup(db).await;
    let core = &fx.core;
    core.create_coded_org(
        &fx.admin,
        NewNode {
            name: "Engineering".into(),
            code: Some("eng".into()),
            ..NewNode::default()
        },
        None,
    )
    .await
    .unwrap();
    let (users_only, _) = fx.client(&fx.admin, None).await;
    assert!(matches!(
        core.provisioned_groups(&users_only, &GroupFilter::All, 0, 10, true)
            .await,
        Err(Error::NotFound(Entity::Org))
    ));
    let (c, _) = fx.client(&fx.admin, Some("eng")).await;
    let a = core
        .provision_user(&c, attrs("a", None), None)
        .await
        .unwrap();
    let b = core
        .provision_user(&c, attrs("b", None), None)
        .await
        .unwrap();
    let g = core
        .provision_group(&c, "Admins", Some("g1".into()), vec![a.user.id.clone()])
        .await
        .unwrap();
    assert_eq!(g.members, vec![a.user.id.clone()]);
    assert_eq!(g.external_id.as_deref(), Some("g1"));
    assert!(matches!(
        core.provision_group(&c, "admins", None, vec![]).await,
        Err(Error::Duplicate(Entity::OrgNode))
    ));
    assert!(matches!(
        core.provision_group(&c, "Ghosts", None, vec!["nobody".into()])
            .await,
        Err(Error::UserNotFound)
    ));
    let listed = core
        .provisioned_groups(&c, &GroupFilter::DisplayName("ADMINS".into()), 0, 10, false)
        .await
        .unwrap();
    assert_eq!(
        listed.total, 1,
        "the root and the refused group are not groups"
    );
    let g = core
        .update_provisioned_group(
            &c,
            &g.node.id,
            GroupChange {
                display_name: Some("Operators".into()),
                external_id: None,
                members: MembersChange::Edit {
                    add: vec![b.user.id.clone()],
                    remove: vec![a.user.id.clone()],
                },
            },
        )
        .await
        .unwrap();
    assert_eq!(
        (g.node.name.as_str(), g.members.clone()),
        ("Operators", vec![b.user.id.clone()])
    );
    let g = core
        .update_provisioned_group(
            &c,
            &g.node.id,
            GroupChange {
                members: MembersChange::Set(vec![a.user.id.clone(), b.user.id.clone()]),
                ..GroupChange::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(g.members.len(), 2);
    assert_eq!(
        core.department_sync_relations(&fx.admin, &g.node.id)
            .await
            .unwrap()[0]
            .external_id,
        "g1"
    );
    assert_eq!(
        core.sync_relation_target(&fx.admin, SyncKind::Department, "okta:g1", "departmentId")
            .await
            .unwrap()
            .as_deref(),
        Some(g.node.id.as_str())
    );
    // Deleting a member user keeps the group; deleting the group takes its relation.
    core.deprovision_user(&c, &a.user.id).await.unwrap();
    assert_eq!(
        core.provisioned_group(&c, &g.node.id)
            .await
            .unwrap()
            .members,
        vec![b.user.id.clone()]
    );
    core.deprovision_group(&c, &g.node.id).await.unwrap();
    assert_eq!(
        fx.count(
            "SELECT COUNT(*) FROM sync_relations WHERE target_id = $1",
            &g.node.id
        )
        .await,
        0
    );
    assert!(matches!(
        core.provisioned_group(&c, &g.node.id).await,
        Err(Error::NotFound(Entity::OrgNode))
    ));
    // The users' relations stay.
    assert!(
        fx.count(
            "SELECT COUNT(*) FROM sync_relations WHERE pool_id = $1",
            c.pool_id()
        )
        .await
            > 0
    );
}

backend_tests! {
    provisioning_connections_and_tokens => connections_and_tokens;
    provisioning_users => users;
    provisioning_groups => groups;
}
