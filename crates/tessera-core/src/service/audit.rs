//! The admin audit log and the user action log: how a service records what happened, and
//! the paged reads behind `getAdminAuditLogs` and `getUserActionLogs`.
//!
//! An administrator's change is recorded by one of two wrappers, one line at its call site:
//!
//! - [`Core::audited_write`] for a change made in a unit of work: the record is written in
//!   the same transaction, after the change, so it commits with the change or not at all;
//! - [`Core::audit`] for a change its own storage statement made: the record is written
//!   once that statement has committed, so no record claims a change that did not happen.
//!   (A failure to write it is the call's error: no change is reported as done unaudited.)
//!
//! Either way, a refused change (a duplicate, an unknown target, a rule) is recorded with
//! `success: false` after the refusal, when nothing of the change was written. A request
//! refused for its parameters before it became a change is not recorded.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use super::apps_admin::AppView;
use super::users::LoginContext;
use super::Core;
use crate::clock;
use crate::error::{Error, Result};
use crate::ids;
use crate::model::audit::{AuditRecord, OperationType, ResourceKind, UserAction, UserEvent};
use crate::model::directory::{Group, Role};
use crate::model::{User, UserPool};
use crate::principal::PoolAdmin;
use crate::service::paging::Paged;
use crate::store::audit::{AuditQuery, UserActionQuery};
use crate::store::unit::UnitFuture;
use crate::store::WriteTx;

/// Parameter names that could carry a credential: a parameter so named is never recorded,
/// whatever a call site passes.
const SECRET_WORDS: [&str; 6] = ["password", "secret", "token", "hash", "captcha", "otp"];
/// Longest recorded parameter value or user agent, in characters: a summary, not a copy.
const MAX_VALUE_CHARS: usize = 256;
const MAX_USER_AGENT_CHARS: usize = 1024;
/// At most this many field names in a `fields` summary.
const MAX_FIELD_NAMES: usize = 64;

/// What an administrator's change is, before it is known whether it was made: the builder
/// behind every hook (`AuditEntry::new(OperationType::Create, ResourceKind::User)`).
#[derive(Debug, Clone)]
pub(crate) struct AuditEntry {
    operation: OperationType,
    resource: ResourceKind,
    targets: Vec<String>,
    params: BTreeMap<String, String>,
}

impl AuditEntry {
    pub(crate) fn new(operation: OperationType, resource: ResourceKind) -> AuditEntry {
        AuditEntry {
            operation,
            resource,
            targets: Vec::new(),
            params: BTreeMap::new(),
        }
    }

    pub(crate) fn target(mut self, id: &str) -> AuditEntry {
        self.targets.push(id.to_owned());
        self
    }

    pub(crate) fn targets(mut self, ids: &[String]) -> AuditEntry {
        self.targets.extend(ids.iter().cloned());
        self
    }

    /// One parameter of the request, cut to a summary's length. A name that could carry a
    /// credential is dropped (see [`SECRET_WORDS`]): call sites pass identifiers and names
    /// only, and this makes sure.
    pub(crate) fn param(mut self, key: &'static str, value: &str) -> AuditEntry {
        let lower = key.to_ascii_lowercase();
        if SECRET_WORDS.iter().any(|w| lower.contains(w)) {
            return self;
        }
        self.params
            .insert(key.to_owned(), cut(value, MAX_VALUE_CHARS));
        self
    }

    pub(crate) fn opt_param(self, key: &'static str, value: Option<&str>) -> AuditEntry {
        match value {
            Some(v) => self.param(key, v),
            None => self,
        }
    }

    /// The names (never the values) of the fields a change touches, sorted, as `fields`.
    pub(crate) fn fields<'a>(mut self, names: impl IntoIterator<Item = &'a str>) -> AuditEntry {
        let mut names: Vec<String> = names
            .into_iter()
            .take(MAX_FIELD_NAMES)
            .map(|n| cut(n, MAX_VALUE_CHARS))
            .collect();
        names.sort();
        names.dedup();
        // Joined without the per-value cut: each name is already cut, and the count bounded.
        self.params.insert("fields".to_owned(), names.join(","));
        self
    }

    fn record(&self, admin: &PoolAdmin, success: bool) -> AuditRecord {
        let facts = admin.facts();
        AuditRecord {
            id: log_id(),
            pool_id: admin.pool_id().to_owned(),
            proof: admin.proof(),
            client_ip: facts.client_ip.map(|ip| ip.to_canonical().to_string()),
            user_agent: facts
                .user_agent
                .as_deref()
                .map(|ua| cut(ua, MAX_USER_AGENT_CHARS)),
            operation: self.operation,
            resource: self.resource,
            target_ids: self.targets.clone(),
            params: self.params.clone(),
            success,
            at: clock::now_ms(),
        }
    }
}

/// This process's records so far: the first half of every log record's id.
static LOG_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// A log record's id. The logs list newest first by time, then by id, so that two records of
/// one millisecond keep the order this process wrote them in; the random half keeps ids of
/// different processes apart. (The ids name nothing else, so they need not look like the
/// domain's ids.)
fn log_id() -> String {
    let seq = LOG_SEQUENCE.fetch_add(1, Ordering::Relaxed);
    format!("{seq:016x}{}", ids::new_secret(4))
}

/// The first `max` characters of `s`.
fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// What a change's result names as its target, for a create whose id is only known once it
/// is made.
pub(crate) trait AuditTarget {
    fn audit_target(&self) -> Option<&str>;
}

impl AuditTarget for () {
    fn audit_target(&self) -> Option<&str> {
        None
    }
}

impl AuditTarget for User {
    fn audit_target(&self) -> Option<&str> {
        Some(&self.id)
    }
}

impl AuditTarget for Role {
    fn audit_target(&self) -> Option<&str> {
        Some(&self.id)
    }
}

impl AuditTarget for Group {
    fn audit_target(&self) -> Option<&str> {
        Some(&self.id)
    }
}

impl AuditTarget for AppView {
    fn audit_target(&self) -> Option<&str> {
        Some(&self.app.id)
    }
}

impl AuditTarget for UserPool {
    fn audit_target(&self) -> Option<&str> {
        Some(&self.id)
    }
}

/// A client address as the logs store it (the canonical text of an IP address), so a
/// filter spelled differently (`::ffff:…`, leading zeros in IPv6) still matches; text that
/// is no address is compared as given.
fn stored_ip(ip: &Option<String>) -> Option<String> {
    ip.as_deref().map(|s| {
        let s = s.trim();
        s.parse::<IpAddr>()
            .map(|ip| ip.to_canonical().to_string())
            .unwrap_or_else(|_| s.to_owned())
    })
}

fn check_range(start: Option<i64>, end: Option<i64>) -> Result<()> {
    match (start, end) {
        (Some(s), Some(e)) if s > e => Err(Error::InvalidParameter("start")),
        _ => Ok(()),
    }
}

impl Core {
    /// Runs `work` as a unit of work on the administrator's pool (see `Core::pool_write`)
    /// and writes the change's audit record in the same transaction; a refused change is
    /// recorded as such once the unit has rolled back.
    pub(crate) async fn audited_write<T, F>(
        &self,
        admin: &PoolAdmin,
        entry: AuditEntry,
        work: F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn WriteTx) -> UnitFuture<'t, T> + Send + 'static,
    {
        let record = entry.record(admin, true);
        let made = self
            .pool_write(admin.pool_id(), move |tx| {
                Box::pin(async move {
                    let made = work(&mut *tx).await?;
                    tx.insert_audit(&record).await?;
                    Ok(made)
                })
            })
            .await;
        match made {
            Ok(v) => Ok(v),
            Err(e) => {
                self.record_refusal(admin, &entry).await;
                Err(e)
            }
        }
    }

    /// Records the outcome of an administrator's change that its own statement made, and
    /// hands the outcome back. A made change's record names what the result names (the id
    /// of a new user, role, group or application) besides the entry's targets.
    pub(crate) async fn audit<T: AuditTarget>(
        &self,
        admin: &PoolAdmin,
        entry: AuditEntry,
        outcome: Result<T>,
    ) -> Result<T> {
        match outcome {
            Ok(made) => {
                let mut record = entry.record(admin, true);
                if let Some(id) = made.audit_target() {
                    if !record.target_ids.iter().any(|t| t == id) {
                        record.target_ids.push(id.to_owned());
                    }
                }
                self.store.insert_audit(&record).await?;
                Ok(made)
            }
            Err(e) => {
                self.record_refusal(admin, &entry).await;
                Err(e)
            }
        }
    }

    /// Records a refused change. The refusal is the caller's answer whatever happens here:
    /// when the store is what refused (it is down), this write fails too, and is only
    /// logged.
    async fn record_refusal(&self, admin: &PoolAdmin, entry: &AuditEntry) {
        if let Err(e) = self.store.insert_audit(&entry.record(admin, false)).await {
            tracing::warn!(
                pool = admin.pool_id(),
                operation = entry.operation.as_str(),
                resource = entry.resource.as_str(),
                error = %e,
                "recording a refused administrator change failed"
            );
        }
    }

    /// `getAdminAuditLogs`: one page of the pool's audit records, newest first.
    pub async fn admin_audit_logs(
        &self,
        admin: &PoolAdmin,
        q: &AuditQuery,
    ) -> Result<Paged<AuditRecord>> {
        check_range(q.start, q.end)?;
        let q = AuditQuery {
            client_ip: stored_ip(&q.client_ip),
            ..q.clone()
        };
        self.store.audit_records(admin.pool_id(), &q).await
    }

    /// `getUserActionLogs`: one page of what the pool's users did, newest first. The events
    /// are logins (successful ones: the login history), registrations, logouts and
    /// password changes.
    pub async fn user_action_logs(
        &self,
        admin: &PoolAdmin,
        q: &UserActionQuery,
    ) -> Result<Paged<UserAction>> {
        check_range(q.start, q.end)?;
        let q = UserActionQuery {
            client_ip: stored_ip(&q.client_ip),
            ..q.clone()
        };
        self.store.user_actions(admin.pool_id(), &q).await
    }

    /// Appends a user's own action to the user action log (logins have their own record,
    /// written with the user's counters by `record_login`).
    pub(crate) async fn record_user_action(
        &self,
        pool_id: &str,
        user_id: &str,
        event: UserEvent,
        client: &LoginContext,
    ) -> Result<()> {
        self.record_user_outcome(pool_id, user_id, event, client, true)
            .await
    }

    /// [`Core::record_user_action`] for an action that may have been refused.
    pub(crate) async fn record_user_outcome(
        &self,
        pool_id: &str,
        user_id: &str,
        event: UserEvent,
        client: &LoginContext,
        success: bool,
    ) -> Result<()> {
        let action = self.user_action(pool_id, user_id, event, client, success);
        self.store.insert_user_action(&action).await
    }

    /// The user-action record of an event, for a unit of work that stores it with the
    /// change it records.
    pub(crate) fn user_action(
        &self,
        pool_id: &str,
        user_id: &str,
        event: UserEvent,
        client: &LoginContext,
        success: bool,
    ) -> UserAction {
        UserAction {
            id: log_id(),
            pool_id: pool_id.to_owned(),
            user_id: user_id.to_owned(),
            app_id: client.app_id.clone(),
            event,
            success,
            client_ip: client.ip.clone(),
            user_agent: client
                .browser
                .as_deref()
                .map(|ua| cut(ua, MAX_USER_AGENT_CHARS)),
            at: clock::now_ms(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_that_could_carry_a_credential_is_never_recorded() {
        let e = AuditEntry::new(OperationType::Update, ResourceKind::User)
            .param("password", "hunter2")
            .param("newPassword", "hunter2")
            .param("appSecret", "s3cr3t")
            .param("accessToken", "eyJ")
            .param("passwordHash", "$argon2")
            .param("username", "ann");
        assert_eq!(e.params.len(), 1, "{:?}", e.params);
        assert_eq!(e.params.get("username").map(String::as_str), Some("ann"));
    }

    #[test]
    fn field_summaries_are_names_sorted_once_and_bounded() {
        let e = AuditEntry::new(OperationType::Update, ResourceKind::User)
            .fields(["nickname", "blocked", "nickname"]);
        assert_eq!(
            e.params.get("fields").map(String::as_str),
            Some("blocked,nickname")
        );
        let many: Vec<String> = (0..500).map(|i| format!("f{i:03}")).collect();
        let e = AuditEntry::new(OperationType::Update, ResourceKind::User)
            .fields(many.iter().map(String::as_str));
        assert_eq!(
            e.params["fields"].split(',').count(),
            MAX_FIELD_NAMES,
            "bounded"
        );
        let long = "x".repeat(10_000);
        let e = AuditEntry::new(OperationType::Create, ResourceKind::User).param("name", &long);
        assert_eq!(e.params["name"].chars().count(), MAX_VALUE_CHARS);
    }

    #[test]
    fn ip_filters_are_compared_in_the_stored_spelling() {
        assert_eq!(
            stored_ip(&Some(" 2001:DB8:0::1 ".into())).as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            stored_ip(&Some("::ffff:10.0.0.1".into())).as_deref(),
            Some("10.0.0.1")
        );
        assert_eq!(
            stored_ip(&Some("not-an-ip".into())).as_deref(),
            Some("not-an-ip")
        );
        assert_eq!(stored_ip(&None), None);
    }

    #[test]
    fn a_range_ending_before_it_starts_is_refused() {
        assert!(check_range(Some(2), Some(1)).is_err());
        assert!(check_range(Some(1), Some(1)).is_ok());
        assert!(check_range(None, Some(1)).is_ok());
    }
}
