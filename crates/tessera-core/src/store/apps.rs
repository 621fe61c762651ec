//! Storage of the applications aggregate: a pool's applications (with their `config`
//! documents and secrets), their sign-in agreements and their registration whitelists. Signing keys and the pool's access
//! key stay with [`super::Store`], on the request path.
//!
//! Every method takes the pool it acts in and treats a row of another pool as absent, so a
//! management token of one pool can never reach another pool's rows through an id. Every
//! write that touches several rows runs in one transaction and writes nothing on error.

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::error::Result;
use crate::model::tenant::Agreement;
use crate::model::{Application, OidcSettings};
use crate::service::paging::{Page, Paged};
use crate::store::pool_admin::WhitelistEntry;

#[async_trait]
pub trait AppsStore: Send + Sync {
    // --- applications -----------------------------------------------------------------

    /// The pool's applications with their `config` documents, oldest first (ties by id).
    async fn list_apps_page(&self, pool_id: &str, page: Page) -> Result<Paged<AppWithConfig>>;

    /// Every application of the pool with its `config` document, oldest first (ties by id).
    async fn apps_with_config(&self, pool_id: &str) -> Result<Vec<AppWithConfig>>;

    /// An application of the pool with its `config` document.
    async fn app_with_config(&self, pool_id: &str, app_id: &str) -> Result<Option<AppWithConfig>>;

    /// Inserts an application with its first `config` document (empty: the column's
    /// default), in one transaction; a taken identifier is [`crate::Error::DomainTaken`].
    async fn insert_app_checked(
        &self,
        app: &Application,
        config: &Map<String, Value>,
    ) -> Result<()>;

    /// Whether any application (of any pool: identifiers name domains, unique across the
    /// deployment) has this identifier.
    async fn app_identifier_exists(&self, identifier: &str) -> Result<bool>;

    async fn set_app_secret(
        &self,
        pool_id: &str,
        app_id: &str,
        secret: &str,
        at: i64,
    ) -> Result<()>;

    /// Sets one key of the application's `config` document, keeping the others.
    async fn set_app_config_value(
        &self,
        pool_id: &str,
        app_id: &str,
        key: &str,
        value: Value,
        at: i64,
    ) -> Result<()>;

    // --- agreements -------------------------------------------------------------------

    /// The application's agreements in display order.
    async fn list_agreements(&self, pool_id: &str, app_id: &str) -> Result<Vec<Agreement>>;

    /// Writes the named columns and `updated_at` of an agreement of that application;
    /// returns it as stored, or [`crate::Error::NotFound`].
    async fn update_agreement(
        &self,
        pool_id: &str,
        app_id: &str,
        id: i64,
        fields: &AgreementFields,
        at: i64,
    ) -> Result<Agreement>;

    async fn delete_agreement(&self, pool_id: &str, app_id: &str, id: i64) -> Result<()>;

    // --- registration whitelists ------------------------------------------------------

    /// The entries of one of the application's lists (`kind`: `USERNAME`, `EMAIL` or
    /// `PHONE`), oldest first.
    async fn app_whitelist(
        &self,
        pool_id: &str,
        app_id: &str,
        kind: &str,
    ) -> Result<Vec<WhitelistEntry>>;

    /// Where a normalised key stands with one of the application's lists.
    async fn app_whitelist_match(
        &self,
        pool_id: &str,
        app_id: &str,
        kind: &str,
        key: &str,
    ) -> Result<AppListMatch>;
}

/// Where a value stands with one of an application's whitelists: an empty list restricts
/// nothing, so "no list" and "not listed" are different answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppListMatch {
    NoList,
    Listed,
    NotListed,
}

/// An application and its `config` document (settings kept as JSON keys).
pub type AppWithConfig = (Application, Map<String, Value>);

/// Changes to one agreement's own columns; `None` leaves a column as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgreementFields {
    pub title: Option<String>,
    pub lang: Option<String>,
    pub required: Option<bool>,
}

/// Changes to one application's own columns; `None` leaves a column as it is. `oidc` is the
/// whole settings document to store: the core merges a patch into the stored one inside the
/// unit of work that writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppFields {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub logo: Option<Option<String>>,
    pub oidc: Option<OidcSettings>,
}

impl AppFields {
    pub fn is_empty(&self) -> bool {
        *self == AppFields::default()
    }
}

/// Rows that belong to one application and go with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppRows {
    Agreements,
    AccessRules,
    AccessKeys,
    /// Its registration whitelist entries, of every type.
    Whitelist,
}

/// The applications aggregate inside a unit of work (see `service::cascade`).
#[async_trait]
pub trait AppsTx: Send {
    async fn app_exists(&mut self, pool_id: &str, app_id: &str) -> Result<bool>;
    /// The pool's application `app_id` as stored now.
    async fn app(&mut self, pool_id: &str, app_id: &str) -> Result<Option<Application>>;
    /// Writes the named columns and `updated_at`; returns the application as stored, or
    /// [`crate::Error::AppNotFound`].
    async fn update_app_fields(
        &mut self,
        pool_id: &str,
        app_id: &str,
        fields: &AppFields,
        at: i64,
    ) -> Result<Application>;
    /// Deletes the application's rows of one kind.
    async fn delete_app_rows(&mut self, pool_id: &str, app_id: &str, rows: AppRows) -> Result<()>;
    async fn delete_app(&mut self, pool_id: &str, app_id: &str) -> Result<()>;

    /// The largest `order` of the application's agreements, 0 without any.
    async fn last_agreement_order(&mut self, pool_id: &str, app_id: &str) -> Result<i64>;
    /// Inserts the agreement as given (its `order` included); a taken id is
    /// [`crate::Error::Duplicate`].
    async fn insert_agreement(&mut self, a: &Agreement) -> Result<()>;
    /// The ids of the application's agreements, in no particular order.
    /// Adds `(value, normalised key)` entries to one of the application's lists; keys
    /// already listed are kept as they are.
    async fn add_app_whitelist(
        &mut self,
        pool_id: &str,
        app_id: &str,
        kind: &str,
        entries: &[(String, String)],
        at: i64,
    ) -> Result<()>;
    /// Removes the entries with these normalised keys; absent ones are ignored.
    async fn remove_app_whitelist(
        &mut self,
        pool_id: &str,
        app_id: &str,
        kind: &str,
        keys: &[String],
    ) -> Result<()>;

    async fn agreement_ids(&mut self, pool_id: &str, app_id: &str) -> Result<Vec<i64>>;
    async fn set_agreement_order(
        &mut self,
        pool_id: &str,
        app_id: &str,
        id: i64,
        order: i64,
        at: i64,
    ) -> Result<()>;
}
