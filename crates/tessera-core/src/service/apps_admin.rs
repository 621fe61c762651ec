//! The administrator's applications (`mc.applications`): list, create, update (name, logo,
//! description and the OAuth/OIDC client settings), delete, detail, secret rotation,
//! application type, the users who signed in, the tenants using an application, and the
//! agreements shown at sign-in.
//!
//! Every method takes the pool the management token manages and answers an application of
//! another pool as not found ([`Error::AppNotFound`]), so ids never leak across pools.

use rand::rngs::OsRng;
use rand::RngCore;
use serde_json::{Map, Value};

use super::app_settings::OidcPatch;
use super::audit::AuditEntry;
use super::paging::{Page, Paged};
use super::pools::MAX_POOL_NAME_LEN;
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::model::audit::{OperationType, ResourceKind};
use crate::model::directory::default_access_allows;
use crate::model::tenant::{Agreement, Tenant};
use crate::model::{Application, OidcSettings, User};
use crate::principal::PoolAdmin;
use crate::rules::identifiers;
use crate::store::apps::{AgreementFields, AppFields};
use crate::store::users::UserQuery;

/// `applications.config` key holding the application type.
pub const APP_TYPE_KEY: &str = "appType";

/// `applications.config` key holding the kind of client the application is.
pub const CLIENT_KIND_KEY: &str = "clientKind";

/// Longest identifier: one DNS label, since the identifier names the application's domain.
const MAX_IDENTIFIER_LEN: usize = 63;

/// Who an application serves (`ApplicationType`; the wire spellings are the SDK's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AppType {
    #[default]
    Individual,
    Tenant,
    Both,
}

impl AppType {
    pub fn as_str(self) -> &'static str {
        match self {
            AppType::Individual => "INDIVIDUAL",
            AppType::Tenant => "Tenant",
            AppType::Both => "BOTH",
        }
    }

    /// The SDK's enum values; the case of `Tenant` differs from the others, so any case is
    /// accepted.
    pub fn parse(s: &str) -> Option<AppType> {
        match s.to_ascii_uppercase().as_str() {
            "INDIVIDUAL" => Some(AppType::Individual),
            "TENANT" => Some(AppType::Tenant),
            "BOTH" => Some(AppType::Both),
            _ => None,
        }
    }
}

/// What kind of client an application is (a label the console shows and filters by; the
/// OAuth behaviour comes from the client settings, not from this). The stored spellings
/// are the v3 SDK's, kept in the `config` document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientKind {
    #[default]
    Web,
    Spa,
    Native,
    Api,
    Mfa,
    MiniProgram,
    GatewayApp,
    GatewayAgent,
}

impl ClientKind {
    const ALL: [(ClientKind, &'static str); 8] = [
        (ClientKind::Web, "web"),
        (ClientKind::Spa, "spa"),
        (ClientKind::Native, "native"),
        (ClientKind::Api, "api"),
        (ClientKind::Mfa, "mfa"),
        (ClientKind::MiniProgram, "mini-program"),
        (ClientKind::GatewayApp, "gateway-app"),
        (ClientKind::GatewayAgent, "gateway-agent"),
    ];

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("web", |(_, s)| s)
    }

    pub fn parse(s: &str) -> Option<ClientKind> {
        Self::ALL.iter().find(|(_, n)| *n == s).map(|(k, _)| *k)
    }
}

/// An application with the settings its `config` document holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppView {
    pub app: Application,
    pub app_type: AppType,
    pub client_kind: ClientKind,
    /// The access policy's default: `true` unless it was set to deny everyone.
    pub allow_all_by_default: bool,
}

impl AppView {
    fn from_parts(app: Application, config: &Map<String, Value>) -> AppView {
        AppView {
            app,
            app_type: config
                .get(APP_TYPE_KEY)
                .and_then(Value::as_str)
                .and_then(AppType::parse)
                .unwrap_or_default(),
            client_kind: config
                .get(CLIENT_KIND_KEY)
                .and_then(Value::as_str)
                .and_then(ClientKind::parse)
                .unwrap_or_default(),
            allow_all_by_default: default_access_allows(config),
        }
    }
}

/// `applications.create` input.
#[derive(Debug, Clone, Default)]
pub struct NewApp {
    pub name: String,
    /// The domain label; the application id when absent.
    pub identifier: Option<String>,
    pub description: Option<String>,
    pub logo: Option<String>,
    /// Settings not given take `OidcSettings::default()`.
    pub oidc: OidcPatch,
    /// Not stored when absent (reads as [`ClientKind::Web`]).
    pub client_kind: Option<ClientKind>,
}

/// An application update: only the fields given change. An empty `description` or `logo`
/// clears it.
#[derive(Debug, Clone, Default)]
pub struct AppUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub logo: Option<String>,
    pub oidc: OidcPatch,
}

/// The changes of `modifyAgreement`; absent fields keep their value.
#[derive(Debug, Clone, Default)]
pub struct AgreementPatch {
    pub title: Option<String>,
    pub lang: Option<String>,
    pub required: Option<bool>,
}

/// Languages an agreement can be shown in (the SDK's `Lang`).
const AGREEMENT_LANGS: [&str; 4] = ["zh-CN", "en-US", "zh-TW", "ja-JP"];

fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::MissingParameter("name"));
    }
    if name.chars().count() > MAX_POOL_NAME_LEN || name.chars().any(char::is_control) {
        return Err(Error::InvalidParameter("name"));
    }
    Ok(name.to_owned())
}

fn check_identifier(s: &str) -> Result<String> {
    let s = s.trim().to_ascii_lowercase();
    let label_ok = !s.is_empty()
        && s.len() <= MAX_IDENTIFIER_LEN
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if !label_ok {
        return Err(Error::InvalidParameter("identifier"));
    }
    Ok(s)
}

/// A free text that may be cleared: `Some(None)` for an empty one.
fn clearable_text(field: &'static str, value: Option<String>) -> Result<Option<Option<String>>> {
    match value {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(Some(None)),
        Some(v) => {
            identifiers::text(field, &v)?;
            Ok(Some(Some(v)))
        }
    }
}

fn check_agreement_title(title: &str) -> Result<()> {
    if title.trim().is_empty() {
        return Err(Error::MissingParameter("title"));
    }
    identifiers::text("title", title)
}

fn check_agreement_lang(lang: &str) -> Result<()> {
    if !AGREEMENT_LANGS.contains(&lang) {
        return Err(Error::InvalidParameter("lang"));
    }
    Ok(())
}

/// A new agreement id: a positive integer that JavaScript numbers hold exactly (< 2^53).
fn new_agreement_id() -> i64 {
    ((OsRng.next_u64() >> 11) as i64).max(1)
}

impl Core {
    /// The pool's application `id`, or [`Error::AppNotFound`] (also for an application of
    /// another pool).
    pub async fn admin_app(&self, pool: &PoolAdmin, app_id: &str) -> Result<AppView> {
        let (app, config) = self
            .store
            .app_with_config(&pool.id, app_id)
            .await?
            .ok_or(Error::AppNotFound)?;
        Ok(AppView::from_parts(app, &config))
    }

    /// One page of the pool's applications, oldest first.
    pub async fn admin_list_apps(&self, pool: &PoolAdmin, page: Page) -> Result<Paged<AppView>> {
        Ok(self
            .store
            .list_apps_page(&pool.id, page)
            .await?
            .map(|(app, config)| AppView::from_parts(app, &config)))
    }

    /// Creates an application with a random secret. A taken identifier is [`Error::DomainTaken`].
    /// Audited with the name and identifier given.
    pub async fn admin_create_app(&self, pool: &PoolAdmin, new: NewApp) -> Result<AppView> {
        let entry = AuditEntry::new(OperationType::Create, ResourceKind::Application)
            .param("name", &new.name)
            .opt_param("identifier", new.identifier.as_deref());
        let created = self.insert_new_app(pool, new).await;
        self.audit(pool, entry, created).await
    }

    async fn insert_new_app(&self, pool: &PoolAdmin, new: NewApp) -> Result<AppView> {
        let name = check_name(&new.name)?;
        let identifier = new
            .identifier
            .as_deref()
            .map(check_identifier)
            .transpose()?;
        let description = clearable_text("description", new.description)?.flatten();
        let logo = clearable_text("logo", new.logo)?.flatten();
        let oidc = new.oidc.apply(OidcSettings::default())?;
        let now = clock::now_ms();
        let id = ids::new_id();
        let app = Application {
            identifier: identifier.unwrap_or_else(|| id.clone()),
            id,
            pool_id: pool.id.clone(),
            name,
            description,
            logo,
            secret: ids::new_secret(16),
            oidc,
            created_at: now,
            updated_at: now,
        };
        let mut config = Map::new();
        if let Some(kind) = new.client_kind {
            config.insert(CLIENT_KIND_KEY.into(), Value::from(kind.as_str()));
        }
        self.store.insert_app_checked(&app, &config).await?;
        Ok(AppView::from_parts(app, &config))
    }

    /// One page of the pool's applications whose name or identifier contains `keyword`
    /// (any case), oldest first; without a keyword, every application.
    pub async fn admin_search_apps(
        &self,
        pool: &PoolAdmin,
        keyword: Option<&str>,
        page: Page,
    ) -> Result<Paged<AppView>> {
        let Some(keyword) = keyword.map(str::trim).filter(|k| !k.is_empty()) else {
            return self.admin_list_apps(pool, page).await;
        };
        let needle = keyword.to_lowercase();
        let matching: Vec<AppView> = self
            .store
            .apps_with_config(&pool.id)
            .await?
            .into_iter()
            .filter(|(app, _)| {
                app.name.to_lowercase().contains(&needle)
                    || app.identifier.to_lowercase().contains(&needle)
            })
            .map(|(app, config)| AppView::from_parts(app, &config))
            .collect();
        let total_count = matching.len() as i64;
        let skip = usize::try_from(page.offset()).unwrap_or(usize::MAX);
        let take = usize::try_from(page.limit).unwrap_or(0);
        Ok(Paged {
            total_count,
            list: matching.into_iter().skip(skip).take(take).collect(),
        })
    }

    /// Whether `identifier` could name a new application: a valid domain label that no
    /// application of any pool uses (identifiers are unique across the deployment).
    pub async fn app_identifier_available(&self, identifier: &str) -> Result<bool> {
        let identifier = check_identifier(identifier)?;
        Ok(!self.store.app_identifier_exists(&identifier).await?)
    }

    /// The applications of the pool in which the user holds a live login (see
    /// [`Core::user_login_status`]), oldest application first.
    pub async fn user_logged_in_apps(
        &self,
        pool: &PoolAdmin,
        user_id: &str,
    ) -> Result<Vec<AppView>> {
        self.user_by_id(&pool.id, user_id).await?;
        let mut out = Vec::new();
        for (app, config) in self.store.apps_with_config(&pool.id).await? {
            if self
                .user_login_status(pool, user_id, Some(&app.id))
                .await?
                .is_login
            {
                out.push(AppView::from_parts(app, &config));
            }
        }
        Ok(out)
    }

    /// Whether the user holds a live login in the pool's application `app_id`.
    pub async fn user_session_active(
        &self,
        pool: &PoolAdmin,
        user_id: &str,
        app_id: &str,
    ) -> Result<bool> {
        self.admin_app(pool, app_id).await?;
        Ok(self
            .user_login_status(pool, user_id, Some(app_id))
            .await?
            .is_login)
    }

    /// Changes the fields `update` gives and keeps the others. The OIDC settings are one
    /// stored document: the patch is laid over the document as stored now, inside a unit of
    /// work holding the pool's lock, so two updates of different settings both land. A bad
    /// value writes nothing.
    pub async fn admin_update_app(
        &self,
        pool: &PoolAdmin,
        app_id: &str,
        update: AppUpdate,
    ) -> Result<AppView> {
        let mut fields = AppFields {
            name: update.name.as_deref().map(check_name).transpose()?,
            description: clearable_text("description", update.description)?,
            logo: clearable_text("logo", update.logo)?,
            oidc: None,
        };
        let patch = update.oidc;
        if fields.is_empty() && patch.is_empty() {
            return self.admin_app(pool, app_id).await;
        }
        // Checked before the lock is taken; applied again to the stored document below.
        patch.clone().apply(OidcSettings::default())?;
        let changed = [
            ("name", fields.name.is_some()),
            ("description", fields.description.is_some()),
            ("logo", fields.logo.is_some()),
            ("oidc", !patch.is_empty()),
        ];
        let entry = AuditEntry::new(OperationType::Update, ResourceKind::Application)
            .target(app_id)
            .fields(changed.iter().filter(|(_, c)| *c).map(|(name, _)| *name));
        let (pool_id, id, at) = (pool.id.clone(), app_id.to_owned(), clock::now_ms());
        self.audited_write(pool, entry, move |tx| {
            Box::pin(async move {
                if !patch.is_empty() {
                    let stored = tx.app(&pool_id, &id).await?.ok_or(Error::AppNotFound)?;
                    fields.oidc = Some(patch.apply(stored.oidc)?);
                }
                tx.update_app_fields(&pool_id, &id, &fields, at).await
            })
        })
        .await?;
        self.admin_app(pool, app_id).await
    }

    /// Deletes an application and everything that hangs off it, in one transaction.
    pub async fn admin_delete_app(&self, pool: &PoolAdmin, app_id: &str) -> Result<()> {
        let entry =
            AuditEntry::new(OperationType::Delete, ResourceKind::Application).target(app_id);
        let (pool_id, app_id, at) = (pool.id.clone(), app_id.to_owned(), clock::now_ms());
        self.audited_write(pool, entry, move |tx| {
            Box::pin(async move { super::cascade::delete_app(tx, &pool_id, &app_id, at).await })
        })
        .await
    }

    /// Replaces the application's secret. Tokens signed with the old one (HS256) stop
    /// verifying at once, because verification reads the secret from the store.
    pub async fn refresh_app_secret(&self, pool: &PoolAdmin, app_id: &str) -> Result<AppView> {
        let entry =
            AuditEntry::new(OperationType::Refresh, ResourceKind::Application).target(app_id);
        let set = self
            .store
            .set_app_secret(&pool.id, app_id, &ids::new_secret(16), clock::now_ms())
            .await;
        self.audit(pool, entry, set).await?;
        self.admin_app(pool, app_id).await
    }

    pub async fn change_app_type(
        &self,
        pool: &PoolAdmin,
        app_id: &str,
        app_type: AppType,
    ) -> Result<AppView> {
        self.store
            .set_app_config_value(
                &pool.id,
                app_id,
                APP_TYPE_KEY,
                Value::from(app_type.as_str()),
                clock::now_ms(),
            )
            .await?;
        self.admin_app(pool, app_id).await
    }

    /// The application and the tenants that use it.
    pub async fn app_tenants(
        &self,
        pool: &PoolAdmin,
        app_id: &str,
    ) -> Result<(AppView, Vec<Tenant>)> {
        let app = self.admin_app(pool, app_id).await?;
        let tenants = self.store.tenants_of_app(&pool.id, app_id).await?;
        Ok((app, tenants))
    }

    /// Users who have signed in to the application, newest user first.
    pub async fn app_active_users(
        &self,
        pool: &PoolAdmin,
        app_id: &str,
        page: Page,
    ) -> Result<Paged<User>> {
        self.admin_app(pool, app_id).await?;
        let q = UserQuery {
            logged_in_app: Some(app_id.to_owned()),
            ..UserQuery::default()
        };
        self.query_users(pool, &q, page).await
    }

    // --- agreements --------------------------------------------------------------------------

    pub async fn create_agreement(
        &self,
        pool: &PoolAdmin,
        app_id: &str,
        title: &str,
        lang: &str,
        required: bool,
    ) -> Result<Agreement> {
        check_agreement_title(title)?;
        check_agreement_lang(lang)?;
        let now = clock::now_ms();
        let mut a = Agreement {
            id: new_agreement_id(),
            pool_id: pool.id.clone(),
            app_id: app_id.to_owned(),
            title: title.to_owned(),
            lang: lang.to_owned(),
            required,
            order: 0,
            created_at: now,
            updated_at: now,
        };
        let pool_id = pool.id.clone();
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move {
                if !tx.app_exists(&pool_id, &a.app_id).await? {
                    return Err(Error::AppNotFound);
                }
                // A new agreement comes after the application's last one.
                a.order = tx.last_agreement_order(&pool_id, &a.app_id).await? + 1;
                tx.insert_agreement(&a).await?;
                Ok(a)
            })
        })
        .await
    }

    /// The application's agreements in display order.
    pub async fn list_agreements(&self, pool: &PoolAdmin, app_id: &str) -> Result<Vec<Agreement>> {
        self.admin_app(pool, app_id).await?;
        self.store.list_agreements(&pool.id, app_id).await
    }

    async fn agreement(&self, pool: &PoolAdmin, app_id: &str, id: i64) -> Result<Agreement> {
        self.list_agreements(pool, app_id)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(Error::NotFound(Entity::Agreement))
    }

    pub async fn modify_agreement(
        &self,
        pool: &PoolAdmin,
        app_id: &str,
        id: i64,
        patch: AgreementPatch,
    ) -> Result<Agreement> {
        let a = self.agreement(pool, app_id, id).await?;
        if let Some(title) = &patch.title {
            check_agreement_title(title)?;
        }
        if let Some(lang) = &patch.lang {
            check_agreement_lang(lang)?;
        }
        let fields = AgreementFields {
            title: patch.title,
            lang: patch.lang,
            required: patch.required,
        };
        self.store
            .update_agreement(&pool.id, app_id, a.id, &fields, clock::now_ms())
            .await
    }

    pub async fn delete_agreement(&self, pool: &PoolAdmin, app_id: &str, id: i64) -> Result<()> {
        self.admin_app(pool, app_id).await?;
        self.store.delete_agreement(&pool.id, app_id, id).await
    }

    /// Puts the agreements in the order of `ids`, which must list each of them once.
    pub async fn sort_agreements(&self, pool: &PoolAdmin, app_id: &str, ids: &[i64]) -> Result<()> {
        let (pool_id, app_id, ids, at) = (
            pool.id.clone(),
            app_id.to_owned(),
            ids.to_vec(),
            clock::now_ms(),
        );
        self.pool_write(&pool.id, move |tx| {
            Box::pin(async move {
                if !tx.app_exists(&pool_id, &app_id).await? {
                    return Err(Error::AppNotFound);
                }
                // A partial or repeated list would leave two agreements at one position.
                let mut existing = tx.agreement_ids(&pool_id, &app_id).await?;
                let mut given = ids.clone();
                existing.sort_unstable();
                given.sort_unstable();
                if given != existing {
                    return Err(Error::AgreementOrderMismatch);
                }
                for (i, id) in ids.iter().enumerate() {
                    tx.set_agreement_order(&pool_id, &app_id, *id, i as i64 + 1, at)
                        .await?;
                }
                Ok(())
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_domain_labels() {
        assert_eq!(
            check_identifier(" My-App1 ").ok().as_deref(),
            Some("my-app1")
        );
        assert!(check_identifier("").is_err());
        assert!(check_identifier("-a").is_err());
        assert!(check_identifier("a.b").is_err());
        assert!(check_identifier(&"a".repeat(64)).is_err());
    }

    #[test]
    fn app_types_accept_the_sdk_spellings() {
        assert_eq!(AppType::parse("Tenant"), Some(AppType::Tenant));
        assert_eq!(AppType::parse("INDIVIDUAL"), Some(AppType::Individual));
        assert_eq!(AppType::parse("BOTH"), Some(AppType::Both));
        assert_eq!(AppType::parse("x"), None);
    }

    #[test]
    fn client_kinds_round_trip() {
        for (k, name) in ClientKind::ALL {
            assert_eq!(k.as_str(), name);
            assert_eq!(ClientKind::parse(name), Some(k));
        }
        assert_eq!(ClientKind::parse("WEB"), None);
        assert_eq!(ClientKind::default().as_str(), "web");
    }

    #[test]
    fn agreement_ids_fit_javascript_numbers() {
        for _ in 0..100 {
            let id = new_agreement_id();
            assert!((1..(1_i64 << 53)).contains(&id));
        }
    }
}
