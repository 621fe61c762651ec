//! `Store::pool_usage`: the connection counts `/metrics` shows, on both backends.

mod common;

use common::TestDb;
use tessera_core::stats::PoolUsage;
use tessera_core::store::Store;
use tessera_store::SqlStore;

fn pool<'a>(usage: &'a [PoolUsage], name: &str) -> Option<&'a PoolUsage> {
    usage.iter().find(|u| u.name == name)
}

async fn connections_in_use_and_idle_are_counted(db: &TestDb) {
    let store = db.open().await;
    let before = store.pool_usage();
    let main = pool(&before, "main")
        .expect("the main pool is reported")
        .clone();
    assert!(main.max >= 1, "{main:?}");
    assert!(main.in_use + main.idle <= main.max, "{main:?}");

    // A connection held by a caller is in use until it is given back.
    let held = store.pool().acquire().await.unwrap();
    let during = pool(&store.pool_usage(), "main").cloned().unwrap();
    assert_eq!(during.in_use, main.in_use + 1, "{main:?} -> {during:?}");
    drop(held);
    // sqlx returns a connection to the pool on a task of its own: wait for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let after = pool(&store.pool_usage(), "main").cloned().unwrap();
        if after.in_use == main.in_use {
            assert!(after.idle >= 1, "{after:?}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{after:?}");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    // On a SQLite file the request reads have connections of their own; a read leaves one
    // idle and none in use.
    let sqlite_file = matches!(store.backend(), tessera_store::Backend::Sqlite);
    store.get_app_and_pool("no-such-app").await.unwrap();
    match pool(&store.pool_usage(), "sqlite-reads") {
        Some(reads) => {
            assert!(sqlite_file);
            assert_eq!((reads.in_use, reads.idle), (0, 1), "{reads:?}");
            assert!(reads.max >= 1);
        }
        None => assert!(!sqlite_file, "a SQLite file reports its read connections"),
    }
    close(&store).await;
}

async fn close(store: &SqlStore) {
    store.close().await;
}

backend_tests! {
    pool_usage => connections_in_use_and_idle_are_counted;
}
