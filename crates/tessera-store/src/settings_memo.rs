//! Parsed JSON settings columns (a pool's `settings`, an application's `oidc`), kept by the
//! exact text they were parsed from.
//!
//! Every request reads its application and pool, and parsing their settings cost more than the
//! read itself. The row is still read from the database on every request; only the parse of a
//! text seen before is skipped. An entry is used only when the text just read is byte for
//! byte the text it was parsed from, so a change by any process (a new text) is parsed anew at
//! once: this is a memo of a pure function, not a cache of database state.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use tessera_core::model::{OidcSettings, PoolSettings};
use tessera_core::Result;

use crate::rows::parse_json;

/// More distinct rows than this and the memo starts over, so it stays bounded whatever the
/// number of pools and applications.
const MAX_ENTRIES: usize = 1024;

/// Parses of one kind of settings column, by row id.
struct Memo<T> {
    entries: Mutex<HashMap<String, (Box<str>, T)>>,
    column: &'static str,
}

impl<T: Clone + serde::de::DeserializeOwned> Memo<T> {
    fn new(column: &'static str) -> Memo<T> {
        Memo {
            entries: Mutex::new(HashMap::new()),
            column,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, (Box<str>, T)>> {
        // A panic while holding the lock leaves a map of complete entries: still usable.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn parse(&self, id: &str, text: &str) -> Result<T> {
        if let Some((seen, parsed)) = self.lock().get(id) {
            if **seen == *text {
                return Ok(parsed.clone());
            }
        }
        let parsed: T = parse_json(text, self.column)?;
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(id.to_owned(), (text.into(), parsed.clone()));
        Ok(parsed)
    }
}

/// The store's memo of settings parses (one per store, shared by its read paths).
pub(crate) struct SettingsMemo {
    pools: Memo<PoolSettings>,
    apps: Memo<OidcSettings>,
}

impl SettingsMemo {
    pub(crate) fn new() -> SettingsMemo {
        SettingsMemo {
            pools: Memo::new("settings"),
            apps: Memo::new("oidc"),
        }
    }

    /// The pool `pool_id`'s settings parsed from `text`.
    pub(crate) fn pool_settings(&self, pool_id: &str, text: &str) -> Result<PoolSettings> {
        self.pools.parse(pool_id, text)
    }

    /// The application `app_id`'s OIDC settings parsed from `text`.
    pub(crate) fn app_oidc(&self, app_id: &str, text: &str) -> Result<OidcSettings> {
        self.apps.parse(app_id, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_text_is_parsed_anew() {
        let memo = SettingsMemo::new();
        let a = serde_json::to_string(&PoolSettings::default()).unwrap();
        let first = memo.pool_settings("p1", &a).unwrap();
        assert_eq!(first, PoolSettings::default());
        let changed = PoolSettings {
            register_disabled: true,
            ..PoolSettings::default()
        };
        let b = serde_json::to_string(&changed).unwrap();
        assert_eq!(memo.pool_settings("p1", &b).unwrap(), changed);
        assert_eq!(memo.pool_settings("p1", &a).unwrap(), first);
        assert!(memo.pool_settings("p1", "not json").is_err());
    }
}
