//! Posts (job positions) on both backends: create, update, remove and list through the core
//! services, a user's and a department's posts, the cascades of a deleted post, user, node
//! or organization, a taken code refused with nothing written (also when two creations
//! race), and another pool's posts, users and nodes absent.

mod common;

use std::sync::Arc;

use common::TestDb;
use sqlx::Row;
use tessera_core::crypto::password::HashParams;
use tessera_core::model::post::PostDetail;
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::directory::NewNode;
use tessera_core::service::paging::Page;
use tessera_core::service::posts::{NewPost, PostFilter, PostPatch, MAX_POST_BATCH};
use tessera_core::service::users::{CreatedBy, NewUser};
use tessera_core::store::{Store, Units};
use tessera_core::{Core, CoreConfig, Entity, Error};
use tessera_store::SqlStore;

struct Fx {
    core: Arc<Core>,
    store: Arc<SqlStore>,
    pool: String,
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
    let creds = core.create_pool("admin").await.unwrap();
    let admin = core
        .pool_admin_by_secret(&creds.user_pool_id, &creds.secret)
        .await
        .unwrap();
    Fx {
        core: Arc::new(core),
        store,
        admin,
        pool: creds.user_pool_id,
    }
}

fn page(page: i64, limit: i64) -> Page {
    Page::new(Some(page), Some(limit)).unwrap()
}

fn ids(list: &[&String]) -> Vec<String> {
    list.iter().map(|s| (*s).clone()).collect()
}

fn new_post(code: &str, name: &str, departments: &[&String]) -> NewPost {
    NewPost {
        code: code.into(),
        name: name.into(),
        description: Some(format!("about {code}")),
        department_ids: ids(departments),
    }
}

/// An organization of the admin's pool: its id, its root and two departments under it.
struct Org {
    id: String,
    root: String,
    a: String,
    b: String,
}

impl Fx {
    async fn user_in(&self, pool_id: &str, name: &str) -> String {
        let pool = self.core.pool(pool_id).await.unwrap();
        self.core
            .create_user(
                &pool,
                NewUser {
                    username: Some(name.into()),
                    ..NewUser::default()
                },
                CreatedBy::Admin,
            )
            .await
            .unwrap()
            .id
    }

    async fn user(&self, name: &str) -> String {
        self.user_in(&self.pool.clone(), name).await
    }

    async fn org_of(&self, admin: &PoolAdmin, name: &str) -> Org {
        let node = |n: &str| NewNode {
            name: n.into(),
            ..NewNode::default()
        };
        let tree = self
            .core
            .create_org_tree(admin, node(name), None)
            .await
            .unwrap();
        let id = tree.record.org.id.clone();
        let root = tree.record.org.root_node_id.clone();
        let mut children = Vec::new();
        for n in ["A", "B"] {
            children.push(
                self.core
                    .add_org_node(admin, &id, None, node(n))
                    .await
                    .unwrap()
                    .node
                    .id,
            );
        }
        let (a, b) = (children[0].clone(), children[1].clone());
        Org { id, root, a, b }
    }

    async fn org(&self) -> Org {
        let admin = self.admin.clone();
        self.org_of(&admin, "Org").await
    }

    /// Rows of a table of the whole database (every pool), read around the core.
    async fn rows(&self, table: &str) -> i64 {
        sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(self.store.pool())
            .await
            .unwrap()
            .try_get::<i64, _>("n")
            .unwrap()
    }

    async fn post(&self, code: &str) -> PostDetail {
        self.core.post(&self.admin, code).await.unwrap()
    }

    async fn user_post_codes(&self, user: &str) -> Vec<String> {
        self.core
            .user_posts(&self.admin, user)
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.code)
            .collect()
    }
}

async fn create_get_update(db: &TestDb) {
    let fx = setup(db).await;
    let org = fx.org().await;
    let created = fx
        .core
        .create_post(
            &fx.admin,
            new_post("dev", "Developer", &[&org.a, &org.b, &org.a]),
        )
        .await
        .unwrap();
    assert_eq!(created.post.code, "dev");
    assert_eq!(created.post.pool_id, fx.pool);
    assert_eq!(
        created.department_ids,
        ids(&[&org.a, &org.b]),
        "repeats once"
    );
    let read = fx.post("dev").await;
    assert_eq!(read.post, created.post);
    let mut stored = read.department_ids.clone();
    stored.sort();
    let mut expected = ids(&[&org.a, &org.b]);
    expected.sort();
    assert_eq!(stored, expected);

    // Required fields.
    for (code, name, field) in [("", "N", "code"), ("  ", "N", "code"), ("c", " ", "name")] {
        let e = fx
            .core
            .create_post(&fx.admin, new_post(code, name, &[]))
            .await;
        assert!(
            matches!(e, Err(Error::MissingParameter(f)) if f == field),
            "{e:?}"
        );
    }

    // A department that is not a node of the pool: refused, nothing written.
    let e = fx
        .core
        .create_post(
            &fx.admin,
            new_post("ops", "Ops", &[&org.a, &"no-such-node".to_owned()]),
        )
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::OrgNode))), "{e:?}");
    assert!(matches!(
        fx.core.post(&fx.admin, "ops").await,
        Err(Error::NotFound(Entity::Post))
    ));
    assert_eq!(fx.rows("post_departments").await, 2);

    // Only the named fields change; the departments stay when not given.
    let before = fx.post("dev").await;
    let updated = fx
        .core
        .update_post(
            &fx.admin,
            "dev",
            PostPatch {
                name: Some("Engineer".into()),
                ..PostPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.post.name, "Engineer");
    assert_eq!(updated.post.description.as_deref(), Some("about dev"));
    assert_eq!(updated.post.code, "dev");
    assert_eq!(updated.post.created_at, before.post.created_at);
    assert!(updated.post.updated_at >= before.post.updated_at);
    assert_eq!(updated.department_ids, before.department_ids);

    // A blank name is left out; a blank description clears it; a department list replaces
    // the set, keeping the link that stays.
    let updated = fx
        .core
        .update_post(
            &fx.admin,
            "dev",
            PostPatch {
                name: Some(String::new()),
                description: Some(String::new()),
                department_ids: Some(ids(&[&org.b, &org.root])),
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.post.name, "Engineer");
    assert_eq!(updated.post.description, None);
    let mut got = updated.department_ids.clone();
    got.sort();
    let mut expected = ids(&[&org.b, &org.root]);
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(
        fx.core
            .department_post_ids(&fx.admin, std::slice::from_ref(&org.a))
            .await
            .unwrap(),
        vec![]
    );

    // A refused replacement writes nothing, the name included.
    let e = fx
        .core
        .update_post(
            &fx.admin,
            "dev",
            PostPatch {
                name: Some("Changed".into()),
                department_ids: Some(vec!["no-such-node".into()]),
                ..PostPatch::default()
            },
        )
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::OrgNode))), "{e:?}");
    let after = fx.post("dev").await;
    assert_eq!(after.post.name, "Engineer");
    assert_eq!(after.department_ids, updated.department_ids);

    // An empty list removes every department.
    let cleared = fx
        .core
        .update_post(
            &fx.admin,
            "dev",
            PostPatch {
                department_ids: Some(vec![]),
                ..PostPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(cleared.department_ids.is_empty());

    let e = fx
        .core
        .update_post(&fx.admin, "nope", PostPatch::default())
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Post))), "{e:?}");
    let e = fx.core.remove_post(&fx.admin, "nope").await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Post))), "{e:?}");

    // Too many ids in one call are refused rather than cut.
    let many: Vec<String> = (0..=MAX_POST_BATCH).map(|i| format!("n{i}")).collect();
    let e = fx
        .core
        .create_post(
            &fx.admin,
            NewPost {
                department_ids: many,
                ..new_post("big", "Big", &[])
            },
        )
        .await;
    assert!(
        matches!(e, Err(Error::InvalidParameter("departmentIdList"))),
        "{e:?}"
    );
}

async fn duplicate_code_writes_nothing(db: &TestDb) {
    let fx = setup(db).await;
    let org = fx.org().await;
    let first = fx
        .core
        .create_post(&fx.admin, new_post("dev", "Developer", &[&org.a]))
        .await
        .unwrap();
    let e = fx
        .core
        .create_post(&fx.admin, new_post("dev", "Other", &[&org.b]))
        .await;
    assert!(
        matches!(e, Err(Error::Duplicate(Entity::PostCode))),
        "{e:?}"
    );
    assert_eq!(fx.rows("posts").await, 1);
    assert_eq!(fx.rows("post_departments").await, 1);
    let read = fx.post("dev").await;
    assert_eq!(read.post, first.post);
    assert_eq!(read.department_ids, vec![org.a.clone()]);
    assert!(fx
        .core
        .department_post_ids(&fx.admin, std::slice::from_ref(&org.b))
        .await
        .unwrap()
        .is_empty());

    // Two creations of one code racing: exactly one wins, the other writes nothing.
    let (c1, c2) = (fx.core.clone(), fx.core.clone());
    let (a1, a2) = (fx.admin.clone(), fx.admin.clone());
    let (n1, n2) = (org.a.clone(), org.b.clone());
    let t1 = tokio::spawn(async move { c1.create_post(&a1, new_post("qa", "QA 1", &[&n1])).await });
    let t2 = tokio::spawn(async move { c2.create_post(&a2, new_post("qa", "QA 2", &[&n2])).await });
    let (r1, r2) = (t1.await.unwrap(), t2.await.unwrap());
    let won: Vec<&PostDetail> = [&r1, &r2].into_iter().flatten().collect();
    assert_eq!(won.len(), 1, "{r1:?} {r2:?}");
    let lost = if r1.is_err() { &r1 } else { &r2 };
    assert!(
        matches!(lost, Err(Error::Duplicate(Entity::PostCode))),
        "{lost:?}"
    );
    assert_eq!(fx.rows("posts").await, 2);
    assert_eq!(fx.rows("post_departments").await, 2);
    assert_eq!(fx.post("qa").await.department_ids, won[0].department_ids);
}

async fn lists_filter_page_and_count(db: &TestDb) {
    let fx = setup(db).await;
    let org = fx.org().await;
    let mut made = Vec::new();
    for (code, name) in [
        ("dev-backend", "Backend Developer"),
        ("dev-frontend", "Frontend Developer"),
        ("acct", "Accountant"),
        ("100%_off", "Promoter"),
    ] {
        made.push(
            fx.core
                .create_post(&fx.admin, new_post(code, name, &[]))
                .await
                .unwrap(),
        );
        // Distinct creation times, for the time filters.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    let u1 = fx.user("u1").await;
    let u2 = fx.user("u2").await;
    let acct = made[2].post.id.clone();
    let backend = made[0].post.id.clone();
    fx.core
        .set_user_posts(&fx.admin, &u1, &[backend.clone(), acct.clone()])
        .await
        .unwrap();
    fx.core
        .connect_user_post(&fx.admin, &u2, &acct)
        .await
        .unwrap();
    fx.core
        .update_post(
            &fx.admin,
            "acct",
            PostPatch {
                department_ids: Some(ids(&[&org.a, &org.b, &org.root])),
                ..PostPatch::default()
            },
        )
        .await
        .unwrap();

    let codes =
        |p: &tessera_core::service::paging::Paged<tessera_core::model::post::PostSummary>| {
            p.list
                .iter()
                .map(|s| s.post.code.clone())
                .collect::<Vec<_>>()
        };
    let all = fx
        .core
        .list_posts(&fx.admin, PostFilter::default(), page(1, 10))
        .await
        .unwrap();
    assert_eq!(all.total_count, 4);
    assert_eq!(
        codes(&all),
        ["dev-backend", "dev-frontend", "acct", "100%_off"],
        "oldest first"
    );
    let counts: Vec<(i64, i64)> = all
        .list
        .iter()
        .map(|s| (s.user_count, s.department_count))
        .collect();
    assert_eq!(counts, [(1, 0), (0, 0), (2, 3), (0, 0)]);

    // Pages: exact totals, no overlap.
    let p2 = fx
        .core
        .list_posts(&fx.admin, PostFilter::default(), page(2, 3))
        .await
        .unwrap();
    assert_eq!(p2.total_count, 4);
    assert_eq!(codes(&p2), ["100%_off"]);

    // Keywords: a part of the code or the name, any case; LIKE's wildcards are literal.
    let by_kw = |k: &str| PostFilter {
        keywords: Some(k.into()),
        ..PostFilter::default()
    };
    for (k, expected) in [
        ("dev", vec!["dev-backend", "dev-frontend"]),
        ("DEVELOPER", vec!["dev-backend", "dev-frontend"]),
        ("front", vec!["dev-frontend"]),
        ("countant", vec!["acct"]),
        ("%", vec!["100%_off"]),
        ("_", vec!["100%_off"]),
        ("nothing", vec![]),
        (
            "  ",
            vec!["dev-backend", "dev-frontend", "acct", "100%_off"],
        ),
    ] {
        let got = fx
            .core
            .list_posts(&fx.admin, by_kw(k), page(1, 10))
            .await
            .unwrap();
        assert_eq!(codes(&got), expected, "keyword {k:?}");
        assert_eq!(got.total_count, expected.len() as i64, "keyword {k:?}");
    }

    // A code list, combined with keywords.
    let got = fx
        .core
        .list_posts(
            &fx.admin,
            PostFilter {
                codes: vec!["acct".into(), "dev-frontend".into(), "missing".into()],
                ..PostFilter::default()
            },
            page(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(codes(&got), ["dev-frontend", "acct"]);
    let got = fx
        .core
        .list_posts(
            &fx.admin,
            PostFilter {
                codes: vec!["acct".into(), "dev-frontend".into()],
                keywords: Some("dev".into()),
                ..PostFilter::default()
            },
            page(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(codes(&got), ["dev-frontend"]);

    // Time bounds are inclusive.
    let third = made[2].post.created_at;
    let got = fx
        .core
        .list_posts(
            &fx.admin,
            PostFilter {
                created_after: Some(third),
                ..PostFilter::default()
            },
            page(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(codes(&got), ["acct", "100%_off"]);
    let got = fx
        .core
        .list_posts(
            &fx.admin,
            PostFilter {
                created_before: Some(made[1].post.created_at),
                ..PostFilter::default()
            },
            page(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(codes(&got), ["dev-backend", "dev-frontend"]);
    // "acct" was updated after the last creation.
    let got = fx
        .core
        .list_posts(
            &fx.admin,
            PostFilter {
                updated_after: Some(made[3].post.created_at + 1),
                ..PostFilter::default()
            },
            page(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(codes(&got), ["acct"]);
    let got = fx
        .core
        .list_posts(
            &fx.admin,
            PostFilter {
                updated_before: Some(made[3].post.created_at),
                created_after: Some(made[1].post.created_at),
                ..PostFilter::default()
            },
            page(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(codes(&got), ["dev-frontend", "100%_off"]);

    // skipCount leaves the counts out.
    let got = fx
        .core
        .list_posts(
            &fx.admin,
            PostFilter {
                skip_counts: true,
                ..PostFilter::default()
            },
            page(1, 10),
        )
        .await
        .unwrap();
    assert!(got
        .list
        .iter()
        .all(|s| s.user_count == 0 && s.department_count == 0));
    assert_eq!(got.total_count, 4);

    // Lookups by id: oldest first, unknown ids skipped.
    let got = fx
        .core
        .posts_by_ids(
            &fx.admin,
            &[
                acct.clone(),
                "unknown".into(),
                backend.clone(),
                acct.clone(),
            ],
        )
        .await
        .unwrap();
    let got: Vec<&str> = got.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(got, ["dev-backend", "acct"]);
}

async fn user_and_department_posts(db: &TestDb) {
    let fx = setup(db).await;
    let org = fx.org().await;
    let mut post_ids = Vec::new();
    for code in ["p1", "p2", "p3"] {
        post_ids.push(
            fx.core
                .create_post(&fx.admin, new_post(code, code, &[]))
                .await
                .unwrap()
                .post
                .id,
        );
    }
    let (p1, p2, p3) = (&post_ids[0], &post_ids[1], &post_ids[2]);
    let user = fx.user("alice").await;
    assert!(fx.user_post_codes(&user).await.is_empty());

    fx.core
        .set_user_posts(&fx.admin, &user, &ids(&[p1, p2]))
        .await
        .unwrap();
    // Links made together tie on their time and come by post id.
    let mut held = fx.user_post_codes(&user).await;
    held.sort();
    assert_eq!(held, ["p1", "p2"]);
    // Replaced: p1 left, p3 joined, p2 untouched (its link keeps its place, the oldest).
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    fx.core
        .set_user_posts(&fx.admin, &user, &ids(&[p3, p2]))
        .await
        .unwrap();
    assert_eq!(fx.user_post_codes(&user).await, ["p2", "p3"]);

    // An id that is not a post of the pool: refused, nothing written.
    let e = fx
        .core
        .set_user_posts(&fx.admin, &user, &[p1.clone(), "no-such-post".into()])
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Post))), "{e:?}");
    assert_eq!(fx.user_post_codes(&user).await, ["p2", "p3"]);
    let e = fx
        .core
        .set_user_posts(&fx.admin, "no-such-user", std::slice::from_ref(p1))
        .await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");
    let e = fx.core.user_posts(&fx.admin, "no-such-user").await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");

    // Connecting one post: twice is once; unknown ends are named.
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    fx.core
        .connect_user_post(&fx.admin, &user, p1)
        .await
        .unwrap();
    fx.core
        .connect_user_post(&fx.admin, &user, p1)
        .await
        .unwrap();
    assert_eq!(fx.user_post_codes(&user).await, ["p2", "p3", "p1"]);
    let e = fx
        .core
        .connect_user_post(&fx.admin, &user, "no-such-post")
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Post))), "{e:?}");
    let e = fx
        .core
        .connect_user_post(&fx.admin, "no-such-user", p1)
        .await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");

    let bob = fx.user("bob").await;
    fx.core
        .connect_user_post(&fx.admin, &bob, p2)
        .await
        .unwrap();
    let mut pairs = fx
        .core
        .user_post_ids(&fx.admin, &[user.clone(), bob.clone()])
        .await
        .unwrap();
    pairs.sort();
    let mut expected = vec![
        (user.clone(), p1.clone()),
        (user.clone(), p2.clone()),
        (user.clone(), p3.clone()),
        (bob.clone(), p2.clone()),
    ];
    expected.sort();
    assert_eq!(pairs, expected);

    // A page's worth of users is read in parts, none left out.
    let mut page_ids: Vec<String> = (0..MAX_POST_BATCH + 50).map(|i| format!("x{i}")).collect();
    page_ids.push(bob.clone());
    assert_eq!(
        fx.core.user_post_ids(&fx.admin, &page_ids).await.unwrap(),
        vec![(bob.clone(), p2.clone())]
    );

    // An empty list leaves every post.
    fx.core.set_user_posts(&fx.admin, &user, &[]).await.unwrap();
    assert!(fx.user_post_codes(&user).await.is_empty());

    // A department's posts, set from the department's side.
    fx.core
        .set_department_posts(&fx.admin, &org.a, &ids(&[p1, p2]))
        .await
        .unwrap();
    fx.core
        .set_department_posts(&fx.admin, &org.a, &ids(&[p2, p3]))
        .await
        .unwrap();
    let mut got = fx
        .core
        .department_post_ids(&fx.admin, std::slice::from_ref(&org.a))
        .await
        .unwrap();
    got.sort();
    let mut expected = vec![(org.a.clone(), p2.clone()), (org.a.clone(), p3.clone())];
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(fx.post("p3").await.department_ids, vec![org.a.clone()]);
    let e = fx
        .core
        .set_department_posts(&fx.admin, "no-such-node", std::slice::from_ref(p1))
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::OrgNode))), "{e:?}");
    let e = fx
        .core
        .set_department_posts(&fx.admin, &org.b, &[p1.clone(), "no-such-post".into()])
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Post))), "{e:?}");
    assert!(fx
        .core
        .department_post_ids(&fx.admin, std::slice::from_ref(&org.b))
        .await
        .unwrap()
        .is_empty());
}

async fn cascades(db: &TestDb) {
    let fx = setup(db).await;
    let org = fx.org().await;
    let sub = fx
        .core
        .add_org_node(
            &fx.admin,
            &org.id,
            Some(&org.a),
            NewNode {
                name: "A1".into(),
                ..NewNode::default()
            },
        )
        .await
        .unwrap()
        .node
        .id;
    let dev = fx
        .core
        .create_post(&fx.admin, new_post("dev", "Dev", &[&org.a, &sub, &org.b]))
        .await
        .unwrap()
        .post
        .id;
    let ops = fx
        .core
        .create_post(&fx.admin, new_post("ops", "Ops", &[&org.b]))
        .await
        .unwrap()
        .post
        .id;
    let (u1, u2) = (fx.user("u1").await, fx.user("u2").await);
    for u in [&u1, &u2] {
        fx.core
            .set_user_posts(&fx.admin, u, &[dev.clone(), ops.clone()])
            .await
            .unwrap();
    }
    assert_eq!(fx.rows("post_users").await, 4);
    assert_eq!(fx.rows("post_departments").await, 4);

    // A deleted user takes its post links, not the posts.
    fx.core
        .delete_users(&fx.admin, std::slice::from_ref(&u1))
        .await
        .unwrap();
    assert_eq!(fx.rows("post_users").await, 2);
    assert_eq!(fx.rows("posts").await, 2);
    let mut left = fx.user_post_codes(&u2).await;
    left.sort();
    assert_eq!(left, ["dev", "ops"]);

    // A deleted user takes its links too.
    let u3 = fx.user("u3").await;
    fx.core
        .connect_user_post(&fx.admin, &u3, &ops)
        .await
        .unwrap();
    assert_eq!(fx.rows("post_users").await, 3);
    fx.core
        .delete_users(&fx.admin, std::slice::from_ref(&u3))
        .await
        .unwrap();
    assert_eq!(fx.rows("post_users").await, 2);

    // A deleted node takes its subtree's department links.
    fx.core
        .delete_org_node(&fx.admin, &org.id, &org.a)
        .await
        .unwrap();
    assert_eq!(fx.post("dev").await.department_ids, vec![org.b.clone()]);
    assert_eq!(fx.rows("post_departments").await, 2);

    // A removed post takes its links to users and departments.
    fx.core.remove_post(&fx.admin, "ops").await.unwrap();
    assert!(matches!(
        fx.core.post(&fx.admin, "ops").await,
        Err(Error::NotFound(Entity::Post))
    ));
    assert_eq!(fx.user_post_codes(&u2).await, ["dev"]);
    assert_eq!(fx.rows("post_users").await, 1);
    assert_eq!(fx.rows("post_departments").await, 1);
    // The code is free again.
    fx.core
        .create_post(&fx.admin, new_post("ops", "Ops again", &[]))
        .await
        .unwrap();

    // A deleted organization takes every department link of its nodes.
    fx.core.delete_org(&fx.admin, &org.id).await.unwrap();
    assert!(fx.post("dev").await.department_ids.is_empty());
    assert_eq!(fx.rows("post_departments").await, 0);
    let summary = fx
        .core
        .list_posts(&fx.admin, PostFilter::default(), page(1, 10))
        .await
        .unwrap();
    let dev_summary = summary.list.iter().find(|s| s.post.id == dev).unwrap();
    assert_eq!(
        (dev_summary.user_count, dev_summary.department_count),
        (1, 0)
    );
}

async fn other_pools_posts_are_absent(db: &TestDb) {
    let fx = setup(db).await;
    let other = fx.core.create_pool("other").await.unwrap();
    let op = other.user_pool_id.clone();
    let them = fx
        .core
        .pool_admin_by_secret(&op, &other.secret)
        .await
        .unwrap();
    let ours = fx.org().await;
    let theirs = fx.org_of(&them, "Theirs").await;
    let our_user = fx.user("ours").await;
    let their_user = fx.user_in(&op, "theirs").await;
    let our_post = fx
        .core
        .create_post(&fx.admin, new_post("dev", "Ours", &[&ours.a]))
        .await
        .unwrap()
        .post
        .id;
    fx.core
        .connect_user_post(&fx.admin, &our_user, &our_post)
        .await
        .unwrap();

    // The same code is free in another pool.
    let their_post = fx
        .core
        .create_post(&them, new_post("dev", "Theirs", &[&theirs.a]))
        .await
        .unwrap()
        .post
        .id;
    assert_eq!(fx.post("dev").await.post.id, our_post);
    assert_eq!(
        fx.core.post(&them, "dev").await.unwrap().post.id,
        their_post
    );

    // Our ids are absent from their pool, by id, in lists and as link ends.
    assert!(fx
        .core
        .posts_by_ids(&them, std::slice::from_ref(&our_post))
        .await
        .unwrap()
        .is_empty());
    let their_list = fx
        .core
        .list_posts(&them, PostFilter::default(), page(1, 10))
        .await
        .unwrap();
    assert_eq!(their_list.total_count, 1);
    assert_eq!(their_list.list[0].post.id, their_post);
    assert_eq!(
        (
            their_list.list[0].user_count,
            their_list.list[0].department_count
        ),
        (0, 1)
    );
    let e = fx
        .core
        .set_user_posts(&them, &their_user, std::slice::from_ref(&our_post))
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::Post))), "{e:?}");
    let e = fx
        .core
        .connect_user_post(&them, &our_user, &their_post)
        .await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");
    let e = fx.core.user_posts(&them, &our_user).await;
    assert!(matches!(e, Err(Error::UserNotFound)), "{e:?}");
    assert!(fx
        .core
        .user_post_ids(&them, std::slice::from_ref(&our_user))
        .await
        .unwrap()
        .is_empty());
    assert!(fx
        .core
        .department_post_ids(&them, std::slice::from_ref(&ours.a))
        .await
        .unwrap()
        .is_empty());
    let e = fx
        .core
        .create_post(&them, new_post("ops", "Ops", &[&ours.a]))
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::OrgNode))), "{e:?}");
    let e = fx
        .core
        .set_department_posts(&them, &ours.a, std::slice::from_ref(&their_post))
        .await;
    assert!(matches!(e, Err(Error::NotFound(Entity::OrgNode))), "{e:?}");

    // Their edits leave ours alone.
    fx.core
        .update_post(
            &them,
            "dev",
            PostPatch {
                name: Some("Renamed".into()),
                department_ids: Some(vec![]),
                ..PostPatch::default()
            },
        )
        .await
        .unwrap();
    fx.core.remove_post(&them, "dev").await.unwrap();
    let still = fx.post("dev").await;
    assert_eq!(still.post.name, "Ours");
    assert_eq!(still.department_ids, vec![ours.a.clone()]);
    assert_eq!(fx.user_post_codes(&our_user).await, ["dev"]);

    // A unit of work of their pool deletes nothing of ours when handed our ids.
    let mut tx = fx.store.begin_pool_write(&op).await.unwrap();
    tx.delete_posts(&op, std::slice::from_ref(&our_post))
        .await
        .unwrap();
    tx.delete_post_links_to(
        &op,
        tessera_core::model::post::PostLink::User,
        std::slice::from_ref(&our_user),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(fx.post("dev").await.post.id, our_post);
    assert_eq!(fx.user_post_codes(&our_user).await, ["dev"]);

    // A pool's rows, links included, go with the pool (the schema's keys allow it).
    let again = fx
        .core
        .create_post(&them, new_post("ops", "Ops", &[&theirs.b]))
        .await
        .unwrap()
        .post
        .id;
    fx.core
        .connect_user_post(&them, &their_user, &again)
        .await
        .unwrap();
    sqlx::query("DELETE FROM user_pools WHERE id = $1")
        .bind(&op)
        .execute(fx.store.pool())
        .await
        .unwrap();
    assert_eq!(fx.rows("posts").await, 1);
    assert_eq!(fx.rows("post_users").await, 1);
    assert_eq!(fx.rows("post_departments").await, 1);
}

backend_tests! {
    create_get_update => create_get_update;
    duplicate_code => duplicate_code_writes_nothing;
    lists => lists_filter_page_and_count;
    user_and_department => user_and_department_posts;
    post_cascades => cascades;
    pool_isolation => other_pools_posts_are_absent;
}
