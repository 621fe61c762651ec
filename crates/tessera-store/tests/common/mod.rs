//! Runs one storage test on both backends.
//!
//! PostgreSQL comes from `TESSERA_TEST_POSTGRES_URL` (default: the local `test` database).
//! Each test gets its own schema, so tests run in parallel without seeing each other's rows.
//! An unreachable PostgreSQL fails the test with a message saying so: never a silent skip.

#![allow(dead_code)]

use std::sync::Arc;

use rand::Rng;
use sqlx::Executor;
use tessera_store::SqlStore;

pub const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub fn pg_base_url() -> String {
    std::env::var("TESSERA_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_PG_URL.to_owned())
}

/// A database for one test, removed when the test finishes normally.
pub struct TestDb {
    pub url: String,
    dir: Option<tempfile::TempDir>,
    pg_schema: Option<String>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        TestDb {
            url,
            dir: Some(dir),
            pg_schema: None,
        }
    }

    pub async fn postgres() -> TestDb {
        sqlx::any::install_default_drivers();
        let base = pg_base_url();
        let schema = format!("tessera_t_{:016x}", rand::thread_rng().gen::<u64>());
        let admin = sqlx::AnyPool::connect(&base).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is configured for the storage tests ({base}) but unreachable: {e}. \
                 Start it (see .ci/run) or point TESSERA_TEST_POSTGRES_URL at a server."
            )
        });
        admin
            .execute(format!("CREATE SCHEMA {schema}").as_str())
            .await
            .expect("create test schema");
        admin.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        TestDb {
            url: format!("{base}{sep}options=-c%20search_path%3D{schema}"),
            dir: None,
            pg_schema: Some(schema),
        }
    }

    pub async fn open(&self) -> Arc<SqlStore> {
        Arc::new(SqlStore::open(&self.url).await.expect("open store"))
    }

    pub async fn cleanup(self) {
        if let Some(schema) = &self.pg_schema {
            if let Ok(admin) = sqlx::AnyPool::connect(&pg_base_url()).await {
                let _ = admin
                    .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
                    .await;
                admin.close().await;
            }
        }
        drop(self.dir);
    }
}

/// `backend_tests!(name => async fn body(db: &TestDb) { … })` defines `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident => $body:ident;)*) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let db = $crate::common::TestDb::sqlite().await;
                    super::$body(&db).await;
                    db.cleanup().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let db = $crate::common::TestDb::postgres().await;
                    super::$body(&db).await;
                    db.cleanup().await;
                }
            }
        )*
    };
}
