//! Public (shared) accounts on both backends (migration 32): the flag and the bindings as
//! the store keeps them — both sides' lists, the bound check, idempotent binding, unbinding,
//! all-or-nothing batches that check both ends' kinds, a binding going with either user,
//! `changeIntoPublicAccount`, the narrowed user query — and pool isolation.

mod common;

use std::sync::Arc;

use common::TestDb;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::User;
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::paging::Page;
use tessera_core::service::user_admin::AdminCreate;
use tessera_core::service::users::NewUser;
use tessera_core::store::public_accounts::{BindingSide, PublicAccountsStore};
use tessera_core::store::users::UserQuery;
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig, Error};
use tessera_store::SqlStore;

struct Fx {
    core: Core,
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
            hash_params: HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .expect("core");
    let a = core.create_pool("pub").await.unwrap();
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
        core,
        store,
    }
}

impl Fx {
    async fn user(&self, admin: &PoolAdmin, name: &str, public: bool) -> User {
        let new = NewUser {
            username: Some(name.into()),
            ..NewUser::default()
        };
        if public {
            self.core
                .create_public_account(admin, new, AdminCreate::default())
                .await
                .unwrap()
        } else {
            self.core
                .admin_create_user(admin, new, AdminCreate::default())
                .await
                .unwrap()
        }
    }

    async fn side(&self, side: BindingSide, id: &str) -> Vec<String> {
        let p = self
            .store
            .public_account_bindings(self.admin.pool_id(), side, id, Page::default())
            .await
            .unwrap();
        assert_eq!(p.total_count as usize, p.list.len());
        p.list.into_iter().map(|u| u.id).collect()
    }
}

fn ids(users: &[&User]) -> Vec<String> {
    users.iter().map(|u| u.id.clone()).collect()
}

async fn bindings_both_ways(db: &TestDb) {
    let fx = setup(db).await;
    let desk = fx.user(&fx.admin, "desk", true).await;
    let hall = fx.user(&fx.admin, "hall", true).await;
    let ann = fx.user(&fx.admin, "ann", false).await;
    let bob = fx.user(&fx.admin, "bob", false).await;
    assert!(desk.public_account && !ann.public_account);
    // The flag is stored: read back through the user path.
    assert!(
        fx.core
            .public_account(&fx.admin, &desk.id)
            .await
            .unwrap()
            .public_account
    );
    assert!(matches!(
        fx.core.public_account(&fx.admin, &ann.id).await,
        Err(Error::UserNotFound)
    ));

    fx.core
        .bind_users_to_public_account(&fx.admin, &desk.id, &ids(&[&ann, &bob]))
        .await
        .unwrap();
    fx.core
        .bind_user_to_public_accounts(&fx.admin, &ann.id, &ids(&[&hall, &desk]))
        .await
        .unwrap();
    let mut users = fx.side(BindingSide::UsersOfAccount, &desk.id).await;
    users.sort();
    let mut want = ids(&[&ann, &bob]);
    want.sort();
    assert_eq!(users, want, "binding again keeps one binding");
    let mut accounts = fx.side(BindingSide::AccountsOfUser, &ann.id).await;
    accounts.sort();
    let mut want = ids(&[&desk, &hall]);
    want.sort();
    assert_eq!(accounts, want);
    let pool = fx.admin.pool_id();
    assert!(fx
        .store
        .public_account_bound(pool, &desk.id, &bob.id)
        .await
        .unwrap());
    assert!(!fx
        .store
        .public_account_bound(pool, &hall.id, &bob.id)
        .await
        .unwrap());

    fx.core
        .unbind_user_from_public_account(&fx.admin, &desk.id, &bob.id)
        .await
        .unwrap();
    assert!(!fx
        .store
        .public_account_bound(pool, &desk.id, &bob.id)
        .await
        .unwrap());
    // Unbinding what is not bound is no error.
    fx.core
        .unbind_user_from_public_account(&fx.admin, &desk.id, &bob.id)
        .await
        .unwrap();

    // The query narrowed to public accounts, its count included.
    let page = fx
        .core
        .list_public_accounts(&fx.admin, &UserQuery::default(), Page::default())
        .await
        .unwrap();
    let mut listed: Vec<String> = page.list.iter().map(|u| u.id.clone()).collect();
    listed.sort();
    let mut want = ids(&[&desk, &hall]);
    want.sort();
    assert_eq!(listed, want);
    assert_eq!(page.total_count, 2);
    // Ordinary lists keep them: four users in all.
    let all = fx
        .core
        .query_users(&fx.admin, &UserQuery::default(), Page::default())
        .await
        .unwrap();
    assert_eq!(all.total_count, 4);
}

async fn kinds_are_checked_and_nothing_is_half_written(db: &TestDb) {
    let fx = setup(db).await;
    let desk = fx.user(&fx.admin, "desk", true).await;
    let ann = fx.user(&fx.admin, "ann", false).await;
    let bob = fx.user(&fx.admin, "bob", false).await;
    let far = fx.user(&fx.other, "far", false).await;
    let far_desk = fx.user(&fx.other, "fardesk", true).await;
    // A personal user as the account, a public account as the personal user, another
    // pool's ids: refused, and the valid part of the batch is not written either.
    assert!(matches!(
        fx.core
            .bind_users_to_public_account(&fx.admin, &ann.id, &ids(&[&bob]))
            .await,
        Err(Error::InvalidParameter("publicAccountId"))
    ));
    assert!(matches!(
        fx.core
            .bind_users_to_public_account(&fx.admin, &desk.id, &ids(&[&ann, &desk]))
            .await,
        Err(Error::InvalidParameter("userIds"))
    ));
    assert!(matches!(
        fx.core
            .bind_users_to_public_account(&fx.admin, &desk.id, &ids(&[&ann, &far]))
            .await,
        Err(Error::UserNotFound)
    ));
    assert!(matches!(
        fx.core
            .bind_user_to_public_accounts(&fx.admin, &ann.id, &ids(&[&desk, &far_desk]))
            .await,
        Err(Error::UserNotFound)
    ));
    assert!(matches!(
        fx.core
            .bind_users_to_public_account(&fx.admin, &desk.id, &[])
            .await,
        Err(Error::MissingParameter("userIds"))
    ));
    assert!(fx
        .side(BindingSide::UsersOfAccount, &desk.id)
        .await
        .is_empty());
    assert!(matches!(
        fx.core.public_account(&fx.admin, &far_desk.id).await,
        Err(Error::UserNotFound)
    ));
    assert!(matches!(
        fx.core
            .delete_public_accounts(&fx.admin, &ids(&[&desk, &ann]))
            .await,
        Err(Error::InvalidParameter("userIds"))
    ));
    assert!(fx.core.public_account(&fx.admin, &desk.id).await.is_ok());

    // changeIntoPublicAccount: a bound personal user cannot, an unbound one can.
    fx.core
        .bind_users_to_public_account(&fx.admin, &desk.id, &ids(&[&ann]))
        .await
        .unwrap();
    assert!(matches!(
        fx.core.change_into_public_account(&fx.admin, &ann.id).await,
        Err(Error::InvalidParameter("userId"))
    ));
    assert!(matches!(
        fx.core.change_into_public_account(&fx.admin, &far.id).await,
        Err(Error::UserNotFound)
    ));
    fx.core
        .change_into_public_account(&fx.admin, &bob.id)
        .await
        .unwrap();
    assert!(
        fx.core
            .public_account(&fx.admin, &bob.id)
            .await
            .unwrap()
            .public_account
    );
    // Again: it stays one.
    fx.core
        .change_into_public_account(&fx.admin, &bob.id)
        .await
        .unwrap();
    fx.core
        .bind_users_to_public_account(&fx.admin, &bob.id, &ids(&[&ann]))
        .await
        .unwrap();
    assert_eq!(fx.side(BindingSide::AccountsOfUser, &ann.id).await.len(), 2);

    // A binding goes with either user.
    fx.core
        .delete_public_accounts(&fx.admin, &ids(&[&bob]))
        .await
        .unwrap();
    assert_eq!(
        fx.side(BindingSide::AccountsOfUser, &ann.id).await,
        ids(&[&desk])
    );
    fx.core
        .delete_users(&fx.admin, &ids(&[&ann]))
        .await
        .unwrap();
    assert!(fx
        .side(BindingSide::UsersOfAccount, &desk.id)
        .await
        .is_empty());
}

backend_tests! {
    bindings => bindings_both_ways;
    kinds => kinds_are_checked_and_nothing_is_half_written;
}
