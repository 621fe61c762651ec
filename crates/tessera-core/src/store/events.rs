//! The event center's storage (`service::events`): a pool's event applications, the event
//! types defined under them, and the events published, which subscribers read back by
//! number.

use async_trait::async_trait;

use crate::error::Result;

/// An event application (`createEventApp`): the namespace of a pool's custom event types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventApp {
    pub pool_id: String,
    pub identifier: String,
    pub name: String,
    pub logo: String,
    pub created_at: i64,
}

/// A custom event type (`defineEvent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDefinition {
    pub pool_id: String,
    /// `<app identifier>.<name>`.
    pub event_type: String,
    pub id: String,
    pub app_identifier: String,
    pub description: String,
    pub created_at: i64,
}

/// A published event as a subscriber reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedEvent {
    /// The pool's event number: later publications have larger numbers.
    pub seq: i64,
    pub event_type: String,
    /// The event's data as text, delivered as given.
    pub data: String,
    /// The user who published it; `None` for an administrator.
    pub user_id: Option<String>,
    pub created_at: i64,
}

/// How many events one user may have published within a window: `append_event` refuses
/// with [`crate::Error::TooManyEvents`] when the user has published `max` since `since`
/// (ms), counted under the same lock that numbers the pool's events, so concurrent
/// publications cannot pass the bound together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishBudget {
    pub since: i64,
    pub max: i64,
}

/// Whose events a subscriber reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventAudience<'a> {
    /// Every event of the type (an administrator).
    Pool,
    /// The user's own events and the administrators' (pool-wide) ones.
    User(&'a str),
}

#[async_trait]
pub trait EventsStore: Send + Sync {
    /// Inserts the app unless the pool has one with its identifier; whether it was inserted.
    async fn insert_event_app(&self, app: &EventApp) -> Result<bool>;

    /// The pool's event apps, oldest first.
    async fn event_apps(&self, pool_id: &str) -> Result<Vec<EventApp>>;

    async fn event_app(&self, pool_id: &str, identifier: &str) -> Result<Option<EventApp>>;

    /// Inserts the definition unless the pool has the type already; whether it was
    /// inserted. Its app must exist (the foreign key refuses otherwise).
    async fn insert_event_definition(&self, def: &EventDefinition) -> Result<bool>;

    /// One page of the pool's definitions (of one app when `app` is given), oldest first,
    /// and how many there are in all.
    async fn event_definitions(
        &self,
        pool_id: &str,
        app: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<EventDefinition>)>;

    async fn event_definition(
        &self,
        pool_id: &str,
        event_type: &str,
    ) -> Result<Option<EventDefinition>>;

    /// Stores an event under the pool's next number, in one transaction with taking the
    /// number; returns the number. With a `budget` (a user's publication), the user's events
    /// since `budget.since` are counted first: at `budget.max`, nothing is stored and the
    /// answer is [`crate::Error::TooManyEvents`].
    async fn append_event(
        &self,
        pool_id: &str,
        event_type: &str,
        data: &str,
        user_id: Option<&str>,
        at: i64,
        budget: Option<PublishBudget>,
    ) -> Result<i64>;

    /// The pool's last event number (0 before its first event).
    async fn last_event_seq(&self, pool_id: &str) -> Result<i64>;

    /// The pool's events of `event_type` numbered after `after` that `audience` may read,
    /// in order, at most `limit`.
    async fn events_after(
        &self,
        pool_id: &str,
        event_type: &str,
        after: i64,
        audience: EventAudience<'_>,
        limit: i64,
    ) -> Result<Vec<PublishedEvent>>;
}
