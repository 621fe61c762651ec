//! Storage of the users aggregate as administrators see it: paged queries over the whole
//! pool, batch lookups, the bulk import, deletion with every assignment, archiving, "log out
//! everywhere", the login history, linked identities and MFA factors. The one-row user
//! methods of the request path stay with [`super::Store`] and [`super::AccountStore`].
//!
//! Every query is scoped by `pool_id` and answered from indexes: list and search order by
//! `(created_at DESC, id DESC)`, which the `(pool_id, is_deleted, created_at, id)` index
//! serves; keyword search is a prefix match on indexed columns. The bulk insert is one
//! transaction of multi-row statements, so a million users load in minutes instead of hours
//! of one-row round trips.

use async_trait::async_trait;

use crate::error::Result;
use crate::model::tenant::{MfaEnrollment, MfaFactor, MfaTicket, MfaType};
use crate::model::{ExternalIdentity, User};
use crate::service::paging::{Page, Paged};

/// A unique user field a batch lookup can go by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserKey {
    Id,
    Username,
    /// Matched on the lower-cased key; pass lower-cased values.
    Email,
    /// The national number, any country code.
    Phone,
    ExternalId,
}

/// A column a keyword search looks in (prefix match).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchField {
    Username,
    /// The lower-cased email key; the keyword is lower-cased for it.
    Email,
    Phone,
    Nickname,
    Name,
    ExternalId,
}

/// A condition on a custom field's stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdfCondition {
    pub key: String,
    /// The stored form of the value (see `service::udf`).
    pub value: String,
    /// `NEQ`: users whose value is not this one (including users without a value).
    pub negate: bool,
}

/// Which users a paged query returns. Conditions combine with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    /// Archived (resigned) users instead of live ones.
    pub archived: bool,
    pub keyword: Option<String>,
    /// Where the keyword is looked for; empty means every [`SearchField`].
    pub fields: Vec<SearchField>,
    /// Members of any of the groups with these codes.
    pub group_codes: Vec<String>,
    /// Direct holders of any of these roles, as `(namespace, code)`.
    pub roles: Vec<(String, String)>,
    /// Members of any of these org nodes.
    pub node_ids: Vec<String>,
    /// Holders of any of these posts (`getPublicAccountsOfPost`).
    pub post_ids: Vec<String>,
    /// Users in no org node at all.
    pub exclude_in_org: bool,
    pub udf: Vec<UdfCondition>,
    /// Users who have logged in to this application.
    pub logged_in_app: Option<String>,
    /// Public (shared) accounts only (`listPublicAccounts`, the `…PublicAccountsOf…` lists).
    pub public_accounts_only: bool,
}

/// One successful login, as the user action log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginEvent {
    pub id: String,
    pub user_id: String,
    pub app_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub at: i64,
}

/// Which login events a page of the action log holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoginEventQuery {
    pub user_ids: Vec<String>,
    pub app_ids: Vec<String>,
    pub ip: Option<String>,
    /// Inclusive bounds, ms.
    pub start: Option<i64>,
    pub end: Option<i64>,
}

#[async_trait]
pub trait UsersStore: Send + Sync {
    // --- admin views ------------------------------------------------------------------

    async fn query_users(&self, pool_id: &str, q: &UserQuery, page: Page) -> Result<Paged<User>>;

    /// The users whose `key` is one of `values`, in the order of `values`; unknown values
    /// are skipped.
    async fn users_by_key(
        &self,
        pool_id: &str,
        key: UserKey,
        values: &[String],
    ) -> Result<Vec<User>>;

    async fn login_events(
        &self,
        pool_id: &str,
        q: &LoginEventQuery,
        page: Page,
    ) -> Result<Paged<LoginEvent>>;

    /// How many distinct users have logged in to the application.
    async fn app_login_user_count(&self, pool_id: &str, app_id: &str) -> Result<i64>;

    /// How many users have a value for the custom field.
    async fn udf_user_count(&self, pool_id: &str, key: &str) -> Result<i64>;

    // --- writes -----------------------------------------------------------------------

    /// Inserts a user and, in the same transaction, the identity linking it to an external
    /// provider, so a collision on either writes nothing.
    async fn insert_user_with_identity(
        &self,
        user: &User,
        identity: Option<&ExternalIdentity>,
    ) -> Result<()>;

    /// Links identities to existing users, all in one transaction or none (a taken identity
    /// is [`crate::Error::AlreadyExists`] with [`crate::UniqueField::ExternalId`]).
    async fn insert_identities(&self, identities: &[ExternalIdentity]) -> Result<()>;

    /// Inserts `users` in one transaction with multi-row `INSERT`s: all of them or none.
    /// Uniqueness is enforced by the database exactly as for one insert, so a collision (with
    /// a stored user or inside the batch) fails the whole batch with
    /// [`crate::Error::AlreadyExists`] naming the field. Returns how many were inserted.
    async fn insert_users_bulk(&self, users: &[User]) -> Result<u64>;

    /// Archives (or restores) every user or none ([`crate::Error::UserNotFound`]); with
    /// `end_sessions` their tokens issued up to `at` stop verifying too.
    async fn set_archived(
        &self,
        pool_id: &str,
        ids: &[String],
        archived: bool,
        end_sessions: bool,
        at: i64,
    ) -> Result<()>;

    /// Ends every token of these users issued up to `at` (ms); every user or none.
    async fn end_sessions(&self, pool_id: &str, ids: &[String], at: i64) -> Result<()>;

    /// Removes the link of a user to an external identity; whether one was removed.
    async fn delete_identity(
        &self,
        pool_id: &str,
        user_id: &str,
        provider: &str,
        user_id_in_idp: &str,
    ) -> Result<bool>;

    // --- MFA factors ------------------------------------------------------------------

    async fn mfa_factors(&self, pool_id: &str, user_id: &str) -> Result<Vec<MfaFactor>>;

    /// Removes the user's factors of one kind; how many were removed.
    async fn delete_mfa_factors(&self, pool_id: &str, user_id: &str, kind: MfaType) -> Result<u64>;

    /// Stores the factor, replacing the user's factor of the same kind.
    async fn put_mfa_factor(&self, f: &MfaFactor) -> Result<()>;

    /// Removes the user's factor with this id; whether one was removed.
    async fn delete_mfa_factor(&self, pool_id: &str, user_id: &str, id: &str) -> Result<bool>;

    /// Records the factor's newest accepted TOTP step if `step` is newer than the stored one
    /// (compare-and-set); false when this step or a later one was already accepted.
    async fn advance_mfa_step(&self, pool_id: &str, id: &str, step: i64) -> Result<bool>;

    /// Clears the factor's recovery code while it is still the one checked (its digest, or
    /// an imported code as given); false when another request used it first.
    async fn spend_mfa_recovery(
        &self,
        pool_id: &str,
        id: &str,
        recovery_hash: Option<&str>,
        recovery: Option<&str>,
    ) -> Result<bool>;

    /// Records a pending enrollment, replacing the user's earlier one of the same kind, in
    /// one transaction.
    async fn put_mfa_enrollment(&self, e: &MfaEnrollment) -> Result<()>;

    /// The pool's pending enrollment whose token has this digest, expired or not.
    async fn mfa_enrollment(
        &self,
        pool_id: &str,
        token_hash: &str,
    ) -> Result<Option<MfaEnrollment>>;

    /// The user's pending enrollment of `kind`, expired or not (there is at most one).
    async fn pending_mfa_enrollment(
        &self,
        pool_id: &str,
        user_id: &str,
        kind: MfaType,
    ) -> Result<Option<MfaEnrollment>>;

    /// Records a login stopped at the MFA step (`service::mfa_login`).
    async fn put_mfa_ticket(&self, t: &MfaTicket) -> Result<()>;

    /// The pool's MFA ticket with this digest, expired or not.
    async fn mfa_ticket(&self, pool_id: &str, ticket_hash: &str) -> Result<Option<MfaTicket>>;

    /// Deletes the pool's MFA ticket with this digest; whether it was there.
    async fn delete_mfa_ticket(&self, pool_id: &str, ticket_hash: &str) -> Result<bool>;
}

/// The users aggregate inside a unit of work (deletion, see `service::cascade`; MFA
/// enrollment, see `service::mfa_factors`).
#[async_trait]
pub trait UsersTx: Send {
    /// Inserts a user and its first external identities, if any, inside the unit of work
    /// (as [`super::Store::insert_user_with_identity`]; a taken identifier is
    /// [`crate::Error::AlreadyExists`]).
    async fn insert_user_in_unit(
        &mut self,
        user: &User,
        identities: &[ExternalIdentity],
    ) -> Result<()>;
    /// The pool's user by one unique identifier, read inside the unit.
    async fn find_user_in_unit(
        &mut self,
        pool_id: &str,
        by: super::UserLookup<'_>,
    ) -> Result<Option<User>>;
    /// How many of `ids` (distinct) are users of the pool.
    async fn count_users_in(&mut self, pool_id: &str, ids: &[String]) -> Result<u64>;
    /// The sub-accounts whose primary user is one of `ids`.
    async fn sub_account_ids(&mut self, pool_id: &str, ids: &[String]) -> Result<Vec<String>>;
    /// Moves every external identity of the user `from` to the user `to`.
    async fn move_identities(&mut self, pool_id: &str, from: &str, to: &str) -> Result<()>;
    /// Deletes the user's pending enrollment with this token digest if it is still live at
    /// `now`; whether it was there. Two requests with one token: one gets true.
    async fn take_mfa_enrollment(
        &mut self,
        pool_id: &str,
        user_id: &str,
        token_hash: &str,
        now: i64,
    ) -> Result<bool>;
    /// Deletes the user's MFA ticket with this digest if it is still live at `now`; whether
    /// it was there. Two requests with one ticket: one gets true.
    async fn take_mfa_ticket(
        &mut self,
        pool_id: &str,
        user_id: &str,
        ticket_hash: &str,
        now: i64,
    ) -> Result<bool>;
    /// Counts a login on the user and adds it to the login history (as
    /// [`super::Store::record_login`] does), inside the unit of work.
    async fn record_login_in_unit(
        &mut self,
        pool_id: &str,
        user_id: &str,
        update: &super::LoginUpdate,
    ) -> Result<()>;
    /// Adds a factor unless the user has one of its kind; whether it was added.
    async fn insert_mfa_factor(&mut self, f: &MfaFactor) -> Result<bool>;
    /// Deletes the users; their memberships and sub-accounts go with them through the
    /// schema's foreign keys.
    async fn delete_users(&mut self, pool_id: &str, ids: &[String]) -> Result<()>;
    /// Writes only the columns `change` names, and `updated_at`, as
    /// [`super::AccountStore::change_user`] does; whether a row of the pool was written
    /// (`false`: no such user, or its precondition no longer holds). Unique violations are
    /// [`crate::Error::AlreadyExists`].
    async fn change_user_in_unit(
        &mut self,
        pool_id: &str,
        user_id: &str,
        change: &super::UserChange,
        at_ms: i64,
    ) -> Result<bool>;
}
