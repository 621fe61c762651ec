//! The storage interface the core is written against.
//!
//! Every method is one atomic unit: an implementation runs it in one transaction, so a service
//! never leaves a half-written change behind. Uniqueness (email case-insensitively, username as
//! given, phone per country code, external id; all per pool) is enforced by the storage itself,
//! and a collision comes back as [`Error::AlreadyExists`] naming the field, so two racing
//! registrations cannot both win.

pub mod accounts;
pub mod apps;
pub mod asa;
pub mod audit;
pub mod authorization;
pub mod devices;
pub mod directory;
pub mod events;
pub mod ext_oidc;
pub mod link_tickets;
pub mod oidc;
pub mod pool_admin;
pub mod posts;
pub mod principal;
pub mod provisioning;
pub mod public_accounts;
pub mod risk;
pub mod sod;
pub mod tenant_admins;
pub mod tenant_config;
pub mod tenants;
pub mod unit;
pub mod user_change;
pub mod users;
pub mod webauthn;

use async_trait::async_trait;

pub use accounts::{AccountStore, CodeRecord, UdfDefinition};
pub use apps::{AppsStore, AppsTx};
pub use asa::{AsaStore, AsaTx};
pub use audit::{AuditStore, AuditTx};
pub use authorization::{AuthorizationStore, AuthorizationTx};
pub use devices::DevicesStore;
pub use directory::{DirectoryStore, DirectoryTx};
pub use events::EventsStore;
pub use ext_oidc::ExtOidcStore;
pub use link_tickets::LinkTicketsStore;
pub use oidc::OidcStore;
pub use pool_admin::PoolAdminStore;
pub use posts::{PostsStore, PostsTx};
pub use principal::{PrincipalStore, PrincipalTx};
pub use provisioning::{ProvisioningStore, ProvisioningTx};
pub use public_accounts::{PublicAccountsStore, PublicAccountsTx};
pub use risk::{RiskStore, RiskTx};
pub use tenant_admins::{TenantAdminsStore, TenantAdminsTx};
pub use tenant_config::TenantConfigStore;
pub use tenants::{TenantsStore, TenantsTx};
pub use unit::{CustomDataTx, Units, WriteTx};
pub use user_change::{ProfileField, UserChange, UserField};
pub use users::{UsersStore, UsersTx};
pub use webauthn::WebauthnStore;

use crate::error::Result;
use crate::model::{AccessKey, Application, ExternalIdentity, SigningKey, User, UserPool};

/// A new pool with its first application and access key, created together.
#[derive(Debug, Clone)]
pub struct NewPool {
    pub pool: UserPool,
    pub app: Application,
    pub access_key: AccessKey,
}

/// What decides whether a user's session is still valid (`Core::session_status_in_pool`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionValidity {
    pub blocked: bool,
    pub is_deleted: bool,
    /// Tokens issued at or before this instant (ms since the epoch) are ended.
    pub tokens_valid_after: i64,
}

impl SessionValidity {
    pub fn of(user: &User) -> SessionValidity {
        SessionValidity {
            blocked: user.blocked,
            is_deleted: user.is_deleted,
            tokens_valid_after: user.tokens_valid_after,
        }
    }
}

/// The session a request's first read also reads ([`Store::app_and_pool_with_session`]): the
/// user `user_id` of `pool_id` and the revocation of the token `jti`, as its claims name them.
#[derive(Debug, Clone, Copy)]
pub struct SessionKey<'a> {
    pub pool_id: &'a str,
    pub user_id: &'a str,
    pub jti: &'a str,
    /// The whole user row ([`Store::find_session_user`]), or only what decides validity
    /// ([`Store::session_validity`]).
    pub whole_user: bool,
    /// With the whole user: its extras ([`Store::user_extras`]), read in the same read when
    /// the user is in the pool.
    pub extras: Option<ExtrasWanted<'a>>,
}

/// Which of a user's extras to read ([`Store::user_extras`]'s `identities` and `custom`).
#[derive(Debug, Clone, Copy)]
pub struct ExtrasWanted<'a> {
    pub identities: bool,
    /// The custom-field target type whose definitions and values to read.
    pub custom: Option<&'a str>,
}

/// A session's state as read: the user (whole, or what decides validity), `None` when it is
/// not in the pool, and whether the token is revoked.
#[derive(Debug, Clone)]
pub enum SessionRead {
    User(Option<Box<User>>, bool),
    Validity(Option<SessionValidity>, bool),
}

/// What an answer about a user adds to the user row ([`Store::user_extras`]): its external
/// identities, and the custom-field definitions of users with the user's values, each only
/// when asked for.
#[derive(Debug, Clone, Default)]
pub struct UserExtras {
    pub identities: Option<Vec<ExternalIdentity>>,
    pub custom: Option<CustomData>,
}

/// The custom-field definitions of a target type, and one target's `(key, value)` pairs
/// (read only when some field is defined).
#[derive(Debug, Clone, Default)]
pub struct CustomData {
    pub definitions: Vec<UdfDefinition>,
    pub values: Vec<(String, String)>,
}

/// An application and its pool (`None` when the pool row is missing).
pub type AppAndPool = (Application, Option<UserPool>);

/// [`Store::app_and_pool_with_session`] as two reads, for a store whose reads take no locks
/// worth sharing (PostgreSQL): the app and pool, then the session.
pub async fn app_and_pool_then_session<S: Store + ?Sized>(
    store: &S,
    app_id: &str,
    session: SessionKey<'_>,
) -> Result<(Option<AppAndPool>, SessionRead, Option<UserExtras>)> {
    let app = store.get_app_and_pool(app_id).await?;
    let mut extras = None;
    let read = if session.whole_user {
        let (user, revoked) = store
            .find_session_user(session.pool_id, session.user_id, session.jti)
            .await?;
        if let (Some(want), Some(_)) = (session.extras, &user) {
            let (pool, user) = (session.pool_id, session.user_id);
            extras = Some(
                store
                    .user_extras(pool, user, want.identities, want.custom)
                    .await?,
            );
        }
        SessionRead::User(user.map(Box::new), revoked)
    } else {
        let (validity, revoked) = store
            .session_validity(session.pool_id, session.user_id, session.jti)
            .await?;
        SessionRead::Validity(validity, revoked)
    };
    Ok((app, read, extras))
}

/// [`Store::user_extras`] as separate reads, for a store whose reads take no locks worth
/// sharing (PostgreSQL).
pub async fn user_extras_one_by_one<S: Store + ?Sized>(
    store: &S,
    pool_id: &str,
    user_id: &str,
    identities: bool,
    custom: Option<&str>,
) -> Result<UserExtras> {
    let mut out = UserExtras::default();
    if identities {
        out.identities = Some(store.list_identities(pool_id, user_id).await?);
    }
    if let Some(target) = custom {
        let defs = store.list_udf_definitions(pool_id, target).await?;
        let values = if defs.is_empty() {
            Vec::new()
        } else {
            store.udf_values(pool_id, target, user_id).await?
        };
        out.custom = Some(CustomData {
            definitions: defs,
            values,
        });
    }
    Ok(out)
}

/// How to find one user of a pool.
#[derive(Debug, Clone, Copy)]
pub enum UserLookup<'a> {
    Id(&'a str),
    /// The normalised key from [`crate::rules::identifiers::email_key`].
    Email(&'a str),
    Username(&'a str),
    Phone {
        country_code: &'a str,
        number: &'a str,
    },
    ExternalId(&'a str),
}

/// What a successful login changes on the user row.
#[derive(Debug, Clone, Default)]
pub struct LoginUpdate {
    pub at_ms: i64,
    pub app_id: Option<String>,
    pub ip: Option<String>,
    pub device: Option<String>,
    pub browser: Option<String>,
}

#[async_trait]
pub trait Store:
    AccountStore
    + AppsStore
    + AsaStore
    + AuditStore
    + AuthorizationStore
    + DevicesStore
    + DirectoryStore
    + ExtOidcStore
    + EventsStore
    + LinkTicketsStore
    + OidcStore
    + PoolAdminStore
    + PostsStore
    + PrincipalStore
    + ProvisioningStore
    + PublicAccountsStore
    + RiskStore
    + sod::SodStore
    + TenantAdminsStore
    + TenantConfigStore
    + TenantsStore
    + UsersStore
    + WebauthnStore
    + Units
    + Send
    + Sync
    + 'static
{
    /// Cheap round trip to the database, for `/ready`.
    async fn ping(&self) -> Result<()>;

    /// How the store's connection pools are used now, for operators. Cheap and lock-free
    /// or nearly: it is read on every metrics scrape. A store without pools has none.
    fn pool_usage(&self) -> Vec<crate::stats::PoolUsage> {
        Vec::new()
    }

    // --- deployment secrets and keys -------------------------------------------------------

    async fn get_secret(&self, name: &str) -> Result<Option<String>>;
    /// Stores `value` unless a value exists, and returns the stored one: the first writer of
    /// several racing processes wins and all of them agree on the result.
    async fn put_secret_if_absent(&self, name: &str, value: &str) -> Result<String>;
    /// Overwrites a secret (only for repair tools and tests).
    async fn put_secret(&self, name: &str, value: &str) -> Result<()>;

    async fn list_signing_keys(&self) -> Result<Vec<SigningKey>>;
    /// Adds `key` only if no key exists yet (first start). Returns whether it was added.
    async fn add_first_signing_key(&self, key: &SigningKey) -> Result<bool>;
    /// Marks every signing key that is not yet retiring as retiring at `retire_at` and adds
    /// `key` as the new signing key, atomically.
    async fn rotate_signing_key(&self, key: &SigningKey, retire_at: i64) -> Result<()>;
    /// Deletes keys whose `retire_at` has passed; returns how many.
    async fn delete_retired_signing_keys(&self, now_ms: i64) -> Result<u64>;

    // --- pools and applications ------------------------------------------------------------

    async fn create_pool(&self, new: &NewPool) -> Result<()>;
    /// Creates `new` only if this store was never bootstrapped and has no pool, and marks it
    /// bootstrapped in the same transaction. Returns whether this call created it.
    async fn bootstrap_pool(&self, new: &NewPool) -> Result<bool>;
    async fn get_pool(&self, id: &str) -> Result<Option<UserPool>>;
    async fn list_pools(&self) -> Result<Vec<UserPool>>;
    /// The longest user-token lifetime of any pool or application, in seconds.
    async fn max_token_lifetime_secs(&self) -> Result<i64>;

    async fn insert_app(&self, app: &Application) -> Result<()>;
    async fn get_app(&self, id: &str) -> Result<Option<Application>>;
    /// The application `id` and its pool, read together (every v2 request naming an app needs
    /// both). The pool is `None` only if the app's pool row is missing.
    async fn get_app_and_pool(&self, id: &str) -> Result<Option<(Application, Option<UserPool>)>> {
        let Some(app) = self.get_app(id).await? else {
            return Ok(None);
        };
        let pool = self.get_pool(&app.pool_id).await?;
        Ok(Some((app, pool)))
    }
    /// [`Store::get_app_and_pool`] and the session `session` in one read (one transaction,
    /// one snapshot): a request that presents a user token needs both, and on SQLite each
    /// read transaction costs shared-memory locks (a mutex and `fcntl` calls) that two
    /// concurrent requests contend for. The user's extras, when `session.extras` asks for
    /// them and the user is in the pool.
    async fn app_and_pool_with_session(
        &self,
        app_id: &str,
        session: SessionKey<'_>,
    ) -> Result<(Option<AppAndPool>, SessionRead, Option<UserExtras>)> {
        app_and_pool_then_session(self, app_id, session).await
    }
    async fn list_apps(&self, pool_id: &str) -> Result<Vec<Application>>;
    async fn get_access_key(&self, id: &str) -> Result<Option<AccessKey>>;
    /// Records that key `key_id` signed a request with `nonce`, remembered until
    /// `expires_at` (ms). `false` when that key already used that nonce (a replay).
    async fn remember_nonce(&self, key_id: &str, nonce: &str, expires_at: i64) -> Result<bool>;

    // --- users -----------------------------------------------------------------------------

    async fn insert_user(&self, user: &User) -> Result<()>;
    async fn find_user(&self, pool_id: &str, by: UserLookup<'_>) -> Result<Option<User>>;
    /// What a session check reads, in one statement: the user `user_id` of `pool_id` and
    /// whether the token `jti` is revoked (always answered, the user found or not).
    async fn find_session_user(
        &self,
        pool_id: &str,
        user_id: &str,
        jti: &str,
    ) -> Result<(Option<User>, bool)> {
        let revoked = self.is_token_revoked(jti).await?;
        let user = self.find_user(pool_id, UserLookup::Id(user_id)).await?;
        Ok((user, revoked))
    }
    /// [`Store::find_session_user`] reading only what decides a session's validity.
    async fn session_validity(
        &self,
        pool_id: &str,
        user_id: &str,
        jti: &str,
    ) -> Result<(Option<SessionValidity>, bool)> {
        let (user, revoked) = self.find_session_user(pool_id, user_id, jti).await?;
        Ok((user.as_ref().map(SessionValidity::of), revoked))
    }
    async fn record_login(&self, pool_id: &str, user_id: &str, update: &LoginUpdate) -> Result<()>;
    async fn count_users(&self, pool_id: &str) -> Result<i64>;

    async fn insert_identity(&self, identity: &ExternalIdentity) -> Result<()>;
    /// The user's identities (when `identities`) and custom data (when `custom` names the
    /// users' target type) in one read: on SQLite each read transaction takes the
    /// shared-memory read lock once.
    async fn user_extras(
        &self,
        pool_id: &str,
        user_id: &str,
        identities: bool,
        custom: Option<&str>,
    ) -> Result<UserExtras> {
        user_extras_one_by_one(self, pool_id, user_id, identities, custom).await
    }
    async fn list_identities(&self, pool_id: &str, user_id: &str) -> Result<Vec<ExternalIdentity>>;
    async fn find_user_by_identity(
        &self,
        pool_id: &str,
        provider: &str,
        user_id_in_idp: &str,
    ) -> Result<Option<User>>;
    /// [`Store::find_user_by_identity`] through one connection only: the ids of a provider
    /// whose connections are different issuers (`oidc`) may collide between them.
    async fn find_user_by_conn_identity(
        &self,
        pool_id: &str,
        provider: &str,
        connection_id: &str,
        user_id_in_idp: &str,
    ) -> Result<Option<User>>;

    // --- token revocation ------------------------------------------------------------------

    /// Records that the token `jti` of `pool_id` is revoked until it would have expired.
    async fn revoke_token(&self, jti: &str, pool_id: &str, expires_at_ms: i64) -> Result<()>;
    async fn is_token_revoked(&self, jti: &str) -> Result<bool>;
    /// Deletes revocations and other rows whose lifetime has passed; returns how many.
    async fn purge_expired(&self, now_ms: i64) -> Result<u64>;
}
