//! [`DirectoryStore`] on SQL.

use tessera_core::store::directory::DirectoryStore;

use super::SqlStore;

impl DirectoryStore for SqlStore {}
