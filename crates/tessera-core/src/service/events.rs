//! The event center (`v3-wire.md` §3.3, §4 "Events"): a pool's event applications, the
//! custom event types defined under them, publishing, and subscriptions.
//!
//! An event type is `<event app identifier>.<name>`; it must be defined (under an existing
//! app) before it is published or subscribed to. A publication is a row of `events`, numbered
//! per pool in the order publications commit, so a subscriber — in this process or another
//! sharing the database — reads what was published after it subscribed by polling for
//! numbers above its cursor; in-process publications wake this process's subscribers at
//! once instead of at the next poll. Administrators (an access key's websocket signature)
//! read every event of the type; a user reads their own and the administrators', never
//! another user's. Rows are short-lived (`Store::purge_expired`).
//!
//! Nothing here waits on a connection: the façade owns the socket and asks
//! [`Subscription::next_batch`] for what to send.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::account::Session;
use super::paging::{Page, Paged};
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result};
use crate::ids;
use crate::principal::PoolAdmin;
use crate::store::events::{EventApp, EventAudience, EventDefinition, PublishBudget};

/// The largest event data, in bytes of its text. Events are signals, not payload storage;
/// the bound keeps one publisher from filling the table between purges.
pub const MAX_EVENT_DATA: usize = 64 * 1024;
/// Open subscriptions of one pool in this process, and of one user within it. A bound per
/// process: each subscription is a connection task polling the store.
pub const MAX_POOL_SUBSCRIPTIONS: usize = 200;
pub const MAX_USER_SUBSCRIPTIONS: usize = 10;
/// Events one user may publish per [`USER_PUBLISH_WINDOW_MS`]: any logged-in user can
/// publish, and each event is a stored row until housekeeping, so without a bound one
/// account could fill the table (64 KiB a row) between purges. An administrator (an access
/// key, the pool secret) is not bounded: it is the pool's own backend.
pub const USER_PUBLISH_BUDGET: i64 = 60;
pub const USER_PUBLISH_WINDOW_MS: i64 = 60_000;
/// The most events one poll hands over; a full batch means more may be waiting.
pub const EVENT_BATCH: usize = 100;
/// An app identifier: letters, digits, `_` and `-`, at most this long. The type's name
/// after the first dot may hold dots too (`myapp.user.created`).
const MAX_IDENTIFIER_LEN: usize = 64;
const MAX_TYPE_LEN: usize = 128;
const MAX_TEXT_LEN: usize = 256;
const MAX_LOGO_LEN: usize = 2048;
/// Authing's own events live under `authing.`; a pool may not define types there.
const RESERVED_APP: &str = "authing";

/// `createEventApp`.
#[derive(Debug, Clone)]
pub struct NewEventApp {
    pub identifier: String,
    pub name: String,
    pub logo: String,
}

/// What a publication came to (`PubEventRespDataDto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishOutcome {
    /// Stored under this number.
    Published(i64),
    /// The type is not defined in the pool: nothing stored.
    Undefined,
}

/// Who publishes.
#[derive(Debug, Clone, Copy)]
pub enum Publisher<'a> {
    /// Pool-wide: every subscriber of the type reads it.
    Admin(&'a PoolAdmin),
    /// Read by administrators and by this user only.
    User(&'a Session),
}

/// How a subscriber proved itself; kept to check again while the subscription lives.
#[derive(Clone)]
enum Proof {
    Key { key_id: String, signature: String },
    Token(String),
}

/// A verified subscriber: built only by [`Core::event_subscriber_by_key`] and
/// [`Core::event_subscriber_by_token`].
#[derive(Clone)]
pub struct Subscriber {
    pool_id: String,
    user_id: Option<String>,
    proof: Proof,
}

/// Ids only: the proof is a credential.
impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("pool_id", &self.pool_id)
            .field("user_id", &self.user_id)
            .finish()
    }
}

impl Subscriber {
    pub fn pool_id(&self) -> &str {
        &self.pool_id
    }

    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }
}

/// This process's side of the event center: the wake-up signal and the subscription counts.
#[derive(Debug)]
pub(crate) struct EventHub {
    /// Bumped by each publication in this process; subscribers wait on it between polls.
    wake: tokio::sync::watch::Sender<u64>,
    open: Arc<Mutex<OpenCounts>>,
}

#[derive(Debug, Default)]
struct OpenCounts {
    pools: HashMap<String, usize>,
    users: HashMap<(String, String), usize>,
}

impl Default for EventHub {
    fn default() -> Self {
        EventHub {
            wake: tokio::sync::watch::channel(0).0,
            open: Arc::default(),
        }
    }
}

/// A subscription's place among the open ones; dropping it frees the place.
struct Slot {
    open: Arc<Mutex<OpenCounts>>,
    pool_id: String,
    user_id: Option<String>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        // A poisoned lock means a panic elsewhere held it; the counts are still whole.
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        decrement(&mut open.pools, &self.pool_id);
        if let Some(u) = &self.user_id {
            decrement(&mut open.users, &(self.pool_id.clone(), u.clone()));
        }
    }
}

fn decrement<K: std::hash::Hash + Eq>(map: &mut HashMap<K, usize>, key: &K) {
    if let Some(n) = map.get_mut(key) {
        *n -= 1;
        if *n == 0 {
            map.remove(key);
        }
    }
}

/// An open subscription to one event type.
pub struct Subscription {
    subscriber: Subscriber,
    event_type: String,
    /// The number of the last event handed over (or, at first, the pool's last number when
    /// the subscription opened).
    cursor: i64,
    wake: tokio::sync::watch::Receiver<u64>,
    _slot: Slot,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("subscriber", &self.subscriber)
            .field("event_type", &self.event_type)
            .field("cursor", &self.cursor)
            .finish()
    }
}

impl Subscription {
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// The data of the events published since the last call that this subscriber may read,
    /// oldest first (at most one batch; call again at once when it is full).
    pub async fn next_batch(&mut self, core: &Core) -> Result<Vec<String>> {
        // Marks the current publications as seen before reading, so one published during
        // the read wakes the next wait instead of being missed.
        self.wake.borrow_and_update();
        let audience = match &self.subscriber.user_id {
            Some(u) => EventAudience::User(u),
            None => EventAudience::Pool,
        };
        let events = core
            .store
            .events_after(
                &self.subscriber.pool_id,
                &self.event_type,
                self.cursor,
                audience,
                EVENT_BATCH as i64,
            )
            .await?;
        if let Some(last) = events.last() {
            self.cursor = last.seq;
        }
        Ok(events.into_iter().map(|e| e.data).collect())
    }

    /// Waits until a publication in this process or `deadline`, whichever is first
    /// (publications of other processes are found by the poll at the deadline).
    pub async fn wait(&mut self, deadline: tokio::time::Instant) {
        if let Ok(Err(_)) = tokio::time::timeout_at(deadline, self.wake.changed()).await {
            // The core is going away: no wake-ups any more, only the deadline.
            tokio::time::sleep_until(deadline).await;
        }
    }

    /// Whether the subscriber's proof still holds: the key still exists and is enabled, the
    /// user's token is not expired, revoked or ended by a kick, the user not blocked.
    pub async fn still_authorized(&self, core: &Core) -> Result<()> {
        let again = match &self.subscriber.proof {
            Proof::Key { key_id, signature } => {
                core.event_subscriber_by_key(key_id, signature).await?
            }
            Proof::Token(t) => core.event_subscriber_by_token(t).await?,
        };
        if again.pool_id != self.subscriber.pool_id {
            return Err(Error::TokenInvalid);
        }
        Ok(())
    }
}

/// An identifier: `[A-Za-z0-9_-]{1,64}`.
fn check_identifier(s: &str) -> Result<String> {
    let s = s.trim();
    if s.is_empty()
        || s.len() > MAX_IDENTIFIER_LEN
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(Error::InvalidParameter("identifier"));
    }
    Ok(s.to_owned())
}

/// Splits `<app>.<name>` into the app identifier and checks the whole: the name is one or
/// more dot-separated parts of identifier characters.
fn split_type(event_type: &str) -> Result<(&str, &str)> {
    let bad = Error::InvalidParameter("eventType");
    if event_type.len() > MAX_TYPE_LEN {
        return Err(bad);
    }
    let (app, name) = event_type.split_once('.').ok_or(bad.clone())?;
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    if !part_ok(app) || !name.split('.').all(part_ok) {
        return Err(bad);
    }
    Ok((app, name))
}

fn check_text(s: &str, field: &'static str, max: usize, required: bool) -> Result<String> {
    let s = s.trim();
    if (required && s.is_empty()) || s.chars().count() > max {
        return Err(Error::InvalidParameter(field));
    }
    Ok(s.to_owned())
}

impl Core {
    /// `createEventApp`. A taken identifier is [`Error::Duplicate`]; `authing` is Authing's
    /// own namespace and refused.
    pub async fn create_event_app(&self, admin: &PoolAdmin, new: NewEventApp) -> Result<EventApp> {
        let identifier = check_identifier(&new.identifier)?;
        if identifier.eq_ignore_ascii_case(RESERVED_APP) {
            return Err(Error::InvalidParameter("identifier"));
        }
        let app = EventApp {
            pool_id: admin.pool_id().to_owned(),
            identifier,
            name: check_text(&new.name, "name", MAX_TEXT_LEN, true)?,
            logo: check_text(&new.logo, "logo", MAX_LOGO_LEN, false)?,
            created_at: clock::now_ms(),
        };
        if !self.store.insert_event_app(&app).await? {
            return Err(Error::Duplicate(Entity::EventApp));
        }
        Ok(app)
    }

    /// `listEventApps`: every event app of the pool, oldest first.
    pub async fn event_apps(&self, admin: &PoolAdmin) -> Result<Vec<EventApp>> {
        self.store.event_apps(admin.pool_id()).await
    }

    /// `defineEvent`: the type's app must be one of the pool's; a defined type is
    /// [`Error::Duplicate`].
    pub async fn define_event(
        &self,
        admin: &PoolAdmin,
        event_type: &str,
        description: &str,
    ) -> Result<EventDefinition> {
        let event_type = event_type.trim();
        let (app, _) = split_type(event_type)?;
        let description = check_text(description, "eventDescription", MAX_TEXT_LEN, true)?;
        let pool_id = admin.pool_id();
        if self.store.event_app(pool_id, app).await?.is_none() {
            return Err(Error::NotFound(Entity::EventApp));
        }
        let def = EventDefinition {
            pool_id: pool_id.to_owned(),
            event_type: event_type.to_owned(),
            id: ids::new_id(),
            app_identifier: app.to_owned(),
            description,
            created_at: clock::now_ms(),
        };
        if !self.store.insert_event_definition(&def).await? {
            return Err(Error::Duplicate(Entity::EventType));
        }
        Ok(def)
    }

    /// `listEvents`: the pool's defined types, of one app when `app` is given, oldest first.
    pub async fn event_definitions(
        &self,
        admin: &PoolAdmin,
        app: Option<&str>,
        page: Page,
    ) -> Result<Paged<EventDefinition>> {
        let app = app.map(str::trim).filter(|a| !a.is_empty());
        let (total_count, list) = self
            .store
            .event_definitions(admin.pool_id(), app, page.offset(), page.limit)
            .await?;
        Ok(Paged { total_count, list })
    }

    /// Publishes `data` as an event of `event_type`. An undefined type stores nothing and is
    /// [`PublishOutcome::Undefined`], not an error (the wire answers `success: false`). A
    /// user past [`USER_PUBLISH_BUDGET`] in the window is [`Error::TooManyEvents`].
    pub async fn publish_event(
        &self,
        by: Publisher<'_>,
        event_type: &str,
        data: &str,
    ) -> Result<PublishOutcome> {
        if data.len() > MAX_EVENT_DATA {
            return Err(Error::InvalidParameter("eventData"));
        }
        let (pool_id, user_id) = match by {
            Publisher::Admin(a) => (a.pool_id(), None),
            Publisher::User(s) => (s.pool().id.as_str(), Some(s.user().id.as_str())),
        };
        let event_type = event_type.trim();
        if split_type(event_type).is_err()
            || self
                .store
                .event_definition(pool_id, event_type)
                .await?
                .is_none()
        {
            return Ok(PublishOutcome::Undefined);
        }
        let now = clock::now_ms();
        let budget = user_id.map(|_| PublishBudget {
            since: now - USER_PUBLISH_WINDOW_MS,
            max: USER_PUBLISH_BUDGET,
        });
        let seq = self
            .store
            .append_event(pool_id, event_type, data, user_id, now, budget)
            .await?;
        self.events.wake.send_modify(|n| *n = n.wrapping_add(1));
        Ok(PublishOutcome::Published(seq))
    }

    /// An administrator subscribing with an access key's websocket signature (§3.3). Unknown
    /// key, disabled key and wrong signature are one [`Error::Signature`].
    pub async fn event_subscriber_by_key(
        &self,
        key_id: &str,
        signature: &str,
    ) -> Result<Subscriber> {
        let pool = self.websocket_key_pool(key_id, signature).await?;
        Ok(Subscriber {
            pool_id: pool.id,
            user_id: None,
            proof: Proof::Key {
                key_id: key_id.to_owned(),
                signature: signature.to_owned(),
            },
        })
    }

    /// A user subscribing with a user token of either kind this server issues, checked as any
    /// logged-in call's (expiry, revocation, kick, blocked user). The websocket names no
    /// application, so the pool is the token's.
    pub async fn event_subscriber_by_token(&self, token: &str) -> Result<Subscriber> {
        let is_access_token = crate::crypto::jwt::parse(token)
            .is_ok_and(|p| p.header.typ.as_deref() == Some(super::oidc::claims::ACCESS_TOKEN_TYP));
        let session = if is_access_token {
            self.session_from_access_token(token, None).await?
        } else {
            self.session(token, None).await?
        };
        Ok(Subscriber {
            pool_id: session.pool().id.clone(),
            user_id: Some(session.user().id.clone()),
            proof: Proof::Token(token.to_owned()),
        })
    }

    /// Opens a subscription to a defined type of the subscriber's pool, reading events
    /// published from now on. An undefined type is [`Error::NotFound`]`(EventType)`; past
    /// the pool's or the user's bound of open subscriptions, [`Error::TooManySubscriptions`].
    pub async fn subscribe_events(
        &self,
        subscriber: &Subscriber,
        event_type: &str,
    ) -> Result<Subscription> {
        let event_type = event_type.trim();
        let pool_id = &subscriber.pool_id;
        if split_type(event_type).is_err()
            || self
                .store
                .event_definition(pool_id, event_type)
                .await?
                .is_none()
        {
            return Err(Error::NotFound(Entity::EventType));
        }
        let slot = self.take_slot(subscriber)?;
        // Subscribed before the cursor is read: the wake of a publication racing the read is
        // not lost, and the read decides which events count as "after".
        let wake = self.events.wake.subscribe();
        let cursor = self.store.last_event_seq(pool_id).await?;
        Ok(Subscription {
            subscriber: subscriber.clone(),
            event_type: event_type.to_owned(),
            cursor,
            wake,
            _slot: slot,
        })
    }

    fn take_slot(&self, s: &Subscriber) -> Result<Slot> {
        let mut open = self.events.open.lock().unwrap_or_else(|e| e.into_inner());
        let pool_n = open.pools.get(&s.pool_id).copied().unwrap_or(0);
        let user_key = s.user_id.clone().map(|u| (s.pool_id.clone(), u));
        let user_n = user_key
            .as_ref()
            .and_then(|k| open.users.get(k).copied())
            .unwrap_or(0);
        if pool_n >= MAX_POOL_SUBSCRIPTIONS || user_n >= MAX_USER_SUBSCRIPTIONS {
            return Err(Error::TooManySubscriptions);
        }
        *open.pools.entry(s.pool_id.clone()).or_default() += 1;
        if let Some(k) = user_key {
            *open.users.entry(k).or_default() += 1;
        }
        Ok(Slot {
            open: Arc::clone(&self.events.open),
            pool_id: s.pool_id.clone(),
            user_id: s.user_id.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_are_app_dot_name() {
        assert_eq!(
            split_type("myapp.user.created").ok(),
            Some(("myapp", "user.created"))
        );
        assert!(split_type("myapp").is_err());
        assert!(split_type("myapp.").is_err());
        assert!(split_type(".x").is_err());
        assert!(split_type("my app.x").is_err());
        assert!(split_type("a..b").is_err());
        assert!(split_type(&format!("a.{}", "x".repeat(200))).is_err());
    }

    #[test]
    fn identifiers_are_plain() {
        assert_eq!(
            check_identifier(" my-app_1 ").ok().as_deref(),
            Some("my-app_1")
        );
        assert!(check_identifier("my.app").is_err());
        assert!(check_identifier("").is_err());
        assert!(check_identifier(&"a".repeat(65)).is_err());
    }
}
