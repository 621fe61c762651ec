//! What the in-process server tests share: a core on a fresh SQLite store in a directory,
//! as `tessera serve` opens it, answering under `public_url`.

use std::path::Path;
use std::sync::Arc;

use tessera_core::crypto::password::HashParams;
use tessera_core::notify::Outbox;
use tessera_core::store::Store;
use tessera_core::{Core, CoreConfig};
use tessera_store::SqlStore;

/// A core on a new SQLite store under `dir/data`, with the default hash parameters and an
/// outbox that keeps messages in memory.
pub async fn open_core(dir: &Path, public_url: &str) -> Arc<Core> {
    let store = SqlStore::open_data_dir(&dir.join("data")).await.unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let core = Core::open(
        store,
        CoreConfig {
            public_url: public_url.to_owned(),
            hash_params: HashParams::default(),
        },
        Arc::new(Outbox::default()),
    )
    .await
    .unwrap();
    Arc::new(core)
}
