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

/// A public account's groups (added all or none) and posts (listed by the post condition of
/// the user query, one removed by a targeted unlink), and another pool's ids refused.
async fn groups_and_posts_of_an_account(db: &TestDb) {
    use tessera_core::service::directory::NewGroup;
    use tessera_core::service::posts::NewPost;
    let fx = setup(db).await;
    let desk = fx.user(&fx.admin, "desk", true).await;
    let desk2 = fx.user(&fx.admin, "desk2", true).await;
    let ann = fx.user(&fx.admin, "ann", false).await;
    let group = |code: &str| NewGroup {
        code: code.into(),
        name: code.into(),
        description: None,
    };
    let g1 = fx
        .core
        .create_group(fx.admin.pool_id(), group("g1"))
        .await
        .unwrap();
    let g2 = fx
        .core
        .create_group(fx.admin.pool_id(), group("g2"))
        .await
        .unwrap();
    let og = fx
        .core
        .create_group(fx.other.pool_id(), group("og"))
        .await
        .unwrap();
    let groups_of = |id: String| {
        let core = &fx.core;
        let pool = fx.admin.pool_id().to_owned();
        async move {
            let mut c: Vec<String> = core
                .user_groups(&pool, &id)
                .await
                .unwrap()
                .into_iter()
                .map(|g| g.code)
                .collect();
            c.sort();
            c
        }
    };
    // Another pool's group, a personal user: refused, nothing added.
    let err = fx
        .core
        .add_public_account_to_groups(&fx.admin, &desk.id, &[g1.id.clone(), og.id.clone()])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    let err = fx
        .core
        .add_public_account_to_groups(&fx.admin, &ann.id, std::slice::from_ref(&g1.id))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidParameter(_)), "{err:?}");
    let err = fx
        .core
        .add_public_account_to_groups(&fx.other, &desk.id, std::slice::from_ref(&og.id))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UserNotFound), "{err:?}");
    assert!(groups_of(desk.id.clone()).await.is_empty());
    fx.core
        .add_public_account_to_groups(&fx.admin, &desk.id, &[g1.id.clone(), g2.id.clone()])
        .await
        .unwrap();
    fx.core
        .add_public_account_to_groups(&fx.admin, &desk.id, std::slice::from_ref(&g2.id))
        .await
        .unwrap();
    assert_eq!(groups_of(desk.id.clone()).await, vec!["g1", "g2"]);

    let post = |code: &str| NewPost {
        code: code.into(),
        name: code.into(),
        description: None,
        department_ids: Vec::new(),
    };
    let p1 = fx
        .core
        .create_post(&fx.admin, post("p1"))
        .await
        .unwrap()
        .post;
    let p2 = fx
        .core
        .create_post(&fx.admin, post("p2"))
        .await
        .unwrap()
        .post;
    for (u, p) in [(&desk, &p1), (&desk, &p2), (&desk2, &p1), (&ann, &p1)] {
        fx.core
            .connect_user_post(&fx.admin, &u.id, &p.id)
            .await
            .unwrap();
    }
    let page = Page::new(Some(1), Some(50)).unwrap();
    let holders = |p: String| {
        let (core, admin) = (&fx.core, &fx.admin);
        async move {
            let mut ids: Vec<String> = core
                .public_accounts_of_post(admin, &p, page)
                .await
                .unwrap()
                .list
                .into_iter()
                .map(|u| u.id)
                .collect();
            ids.sort();
            ids
        }
    };
    let mut both = ids(&[&desk, &desk2]);
    both.sort();
    assert_eq!(holders(p1.id.clone()).await, both);
    assert_eq!(holders(p2.id.clone()).await, ids(&[&desk]));
    assert!(fx
        .core
        .public_accounts_of_post(&fx.other, &p1.id, page)
        .await
        .is_err());
    assert!(fx
        .core
        .unlink_public_account_post(&fx.other, &desk.id, &p1.id)
        .await
        .is_err());
    assert!(fx
        .core
        .unlink_public_account_post(&fx.admin, &ann.id, &p1.id)
        .await
        .is_err());
    assert_eq!(holders(p1.id.clone()).await, both);
    fx.core
        .unlink_public_account_post(&fx.admin, &desk.id, &p1.id)
        .await
        .unwrap();
    assert_eq!(holders(p1.id.clone()).await, ids(&[&desk2]));
    assert_eq!(holders(p2.id.clone()).await, ids(&[&desk]));
    let ann_posts = fx.core.user_posts(&fx.admin, &ann.id).await.unwrap();
    assert_eq!(ann_posts.len(), 1);
}

backend_tests! {
    bindings => bindings_both_ways;
    kinds => kinds_are_checked_and_nothing_is_half_written;
    groups_posts => groups_and_posts_of_an_account;
}
