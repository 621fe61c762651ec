//! Admin reads at scale: a bulk import through `Core::import_users`, then the latency of the
//! reads an administrator's request makes (user by id, by email, phone and username, and a
//! 100-user page), in process through the core, so the figure is the read itself without the
//! HTTP layer (the management API that will carry these reads is not built yet).

use std::sync::Arc;
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tessera_core::model::UserPool;
use tessera_core::notify::Outbox;
use tessera_core::principal::PoolAdmin;
use tessera_core::service::import::MAX_IMPORT_BATCH;
use tessera_core::service::paging::Page;
use tessera_core::service::users::{LoginId, NewUser};
use tessera_core::store::users::UserQuery;
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig};
use tessera_store::SqlStore;

use crate::error::{BenchError, Result};
use crate::load::percentile_ms;

/// A user the lookups can ask for, remembered from the import.
#[derive(Debug, Clone)]
pub struct Sample {
    pub id: String,
    pub email: String,
    pub username: String,
    pub phone: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub ops: usize,
    pub misses: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Lookups {
    pub by_id: Latency,
    pub by_email: Latency,
    pub by_phone: Latency,
    pub by_username: Latency,
    pub list_page_100: Latency,
    /// The worst p99 of the four point reads (by id, email, phone, username).
    pub p99_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bulk {
    pub users: usize,
    pub batch: usize,
    pub seconds: f64,
    pub users_per_s: f64,
}

/// The n-th bulk user. Its identifiers are distinct from every other's by construction.
pub fn bulk_user(i: usize) -> NewUser {
    NewUser {
        email: Some(format!("u{i}@bulk.bench")),
        username: Some(format!("u{i}")),
        phone: Some(format!("13{i:09}")),
        register_source: vec!["import:bench".into()],
        ..NewUser::default()
    }
}

/// Opens a core on `store` (a second process beside the server, as the CLI is).
pub async fn open_core(store: SqlStore) -> Result<Arc<Core>> {
    let store: Arc<dyn Store> = Arc::new(store);
    let config = CoreConfig {
        public_url: "http://127.0.0.1".into(),
        hash_params: Default::default(),
    };
    Ok(Arc::new(
        Core::open(store, config, Arc::new(Outbox::default())).await?,
    ))
}

/// Imports `n` users in batches of `batch`, one transaction each, keeping `samples` of them.
pub async fn import(
    core: &Core,
    pool: &UserPool,
    n: usize,
    batch: usize,
    samples: usize,
) -> Result<(Bulk, Vec<Sample>)> {
    let batch = batch.clamp(1, MAX_IMPORT_BATCH);
    let every = (n / samples.max(1)).max(1);
    let mut kept = Vec::with_capacity(samples + 1);
    let started = Instant::now();
    let mut i = 0;
    while i < n {
        let end = (i + batch).min(n);
        let users: Vec<NewUser> = (i..end).map(bulk_user).collect();
        let stored = core.import_users(pool, users).await?;
        for (k, u) in stored.into_iter().enumerate() {
            if (i + k) % every == 0 {
                kept.push(Sample {
                    id: u.id,
                    email: u.email.unwrap_or_default(),
                    username: u.username.unwrap_or_default(),
                    phone: u.phone.unwrap_or_default(),
                });
            }
        }
        i = end;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok((
        Bulk {
            users: n,
            batch,
            seconds,
            users_per_s: n as f64 / seconds,
        },
        kept,
    ))
}

enum Kind {
    Id,
    Email,
    Phone,
    Username,
    Page,
}

#[allow(clippy::too_many_arguments)]
async fn measure(
    core: &Core,
    pool: &PoolAdmin,
    total_users: i64,
    samples: &[Sample],
    kind: Kind,
    ops: usize,
    rng: &mut StdRng,
) -> Result<Latency> {
    if samples.is_empty() {
        return Err(BenchError::answer("lookups", "no sampled users"));
    }
    let mut lat = Vec::with_capacity(ops);
    let mut misses = 0;
    for _ in 0..ops {
        let s = &samples[rng.gen_range(0..samples.len())];
        let t = Instant::now();
        let found = match kind {
            Kind::Id => core.user_by_id(&pool.id, &s.id).await.is_ok(),
            Kind::Email => core
                .find_login_user(pool, &LoginId::Email(s.email.clone()))
                .await?
                .is_some(),
            Kind::Username => core
                .find_login_user(pool, &LoginId::Username(s.username.clone()))
                .await?
                .is_some(),
            Kind::Phone => core
                .find_login_user(
                    pool,
                    &LoginId::Phone {
                        number: s.phone.clone(),
                        country_code: None,
                    },
                )
                .await?
                .is_some(),
            Kind::Page => {
                // The management API's list (`users.list(page, 100)`) on one of the first
                // 100 pages, where an administrator browses: offset pages cost more with
                // depth (the SDK's API is page/limit), as bench/README.md says.
                let pages = (total_users / 100).clamp(1, 100);
                let page = Page::new(Some(rng.gen_range(1..=pages)), Some(100))
                    .map_err(|e| BenchError::answer("list page", e))?;
                !core
                    .query_users(pool, &UserQuery::default(), page)
                    .await?
                    .list
                    .is_empty()
            }
        };
        lat.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
        if !found {
            misses += 1;
        }
    }
    lat.sort_unstable();
    Ok(Latency {
        p50_ms: percentile_ms(&lat, 0.50),
        p99_ms: percentile_ms(&lat, 0.99),
        ops,
        misses,
    })
}

/// One caller, one read at a time: the latency an admin request's read has on an idle server.
pub async fn lookups(
    core: &Core,
    pool: &PoolAdmin,
    samples: &[Sample],
    ops: usize,
) -> Result<Lookups> {
    let mut rng = StdRng::seed_from_u64(5);
    let total_users = core
        .query_users(pool, &UserQuery::default(), Page::default())
        .await?
        .total_count;
    // Warm the connection pool and prepared statements, as a running server has them.
    for k in [
        Kind::Id,
        Kind::Email,
        Kind::Phone,
        Kind::Username,
        Kind::Page,
    ] {
        measure(core, pool, total_users, samples, k, 50, &mut rng).await?;
    }
    let by_id = measure(core, pool, total_users, samples, Kind::Id, ops, &mut rng).await?;
    let by_email = measure(core, pool, total_users, samples, Kind::Email, ops, &mut rng).await?;
    let by_phone = measure(core, pool, total_users, samples, Kind::Phone, ops, &mut rng).await?;
    let by_username = measure(
        core,
        pool,
        total_users,
        samples,
        Kind::Username,
        ops,
        &mut rng,
    )
    .await?;
    let list_page_100 = measure(
        core,
        pool,
        total_users,
        samples,
        Kind::Page,
        (ops / 4).min(500),
        &mut rng,
    )
    .await?;
    let p99_ms = [&by_id, &by_email, &by_phone, &by_username]
        .iter()
        .map(|l| l.p99_ms)
        .fold(0.0, f64::max);
    Ok(Lookups {
        by_id,
        by_email,
        by_phone,
        by_username,
        list_page_100,
        p99_ms,
    })
}
