//! Requests by route and status, and their latency, counted without a lock.
//!
//! A request is counted under its route *template* (`/api/v2/users/{id}`), never its raw
//! path: paths are chosen by clients, and one label value per path would let anyone grow the
//! table (and every scrape) without bound. Templates come from the router, so there are as
//! many as it has routes; requests no route matched share `unmatched`. The GraphQL routes are split
//! by its first root field, named only from a fixed allow-list (else `other`).
//!
//! The table is a fixed array of slots, each set once (`OnceLock`) and then only read: a
//! request hashes its key, probes to its slot and adds to atomics. No request waits for
//! another except two first requests of one new route racing to fill its slot.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// Slots in the table: well above the router's route count (about 200) times the GraphQL
/// split, so probing stays short. Keys beyond it are counted under [`OVERFLOW`].
const SLOTS: usize = 1024;

/// The route of requests no route matched.
pub const UNMATCHED: &str = "unmatched";
/// The route counted when the table is full (it never should be).
pub const OVERFLOW: &str = "overflow";

/// Upper bounds of the latency buckets, in microseconds (1 ms to 10 s); the last bucket,
/// `+Inf`, is implicit.
pub const BUCKETS_US: [u64; 13] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];

/// Status codes counted individually: 100 to 599 (all that hyper sends; a code outside would
/// be counted as the nearest end).
const FIRST_STATUS: u16 = 100;
const STATUSES: usize = 500;

/// What a request is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteKey<'a> {
    pub route: &'a str,
    /// For the GraphQL routes (`/graphql`, `/graphql/v2`): the operation's label; `None` elsewhere.
    pub operation: Option<&'static str>,
}

/// One route's counters.
pub struct RouteStats {
    pub route: Box<str>,
    pub operation: Option<&'static str>,
    statuses: Box<[AtomicU64]>,
    /// Not cumulative: each request adds to the one bucket its latency falls in.
    buckets: [AtomicU64; BUCKETS_US.len() + 1],
    sum_us: AtomicU64,
}

impl RouteStats {
    fn new(key: RouteKey<'_>) -> RouteStats {
        RouteStats {
            route: key.route.into(),
            operation: key.operation,
            statuses: (0..STATUSES).map(|_| AtomicU64::new(0)).collect(),
            buckets: Default::default(),
            sum_us: AtomicU64::new(0),
        }
    }

    fn is(&self, key: RouteKey<'_>) -> bool {
        &*self.route == key.route && self.operation == key.operation
    }

    fn record(&self, status: u16, latency: Duration) {
        let i = usize::from(status.saturating_sub(FIRST_STATUS)).min(STATUSES - 1);
        self.statuses[i].fetch_add(1, Ordering::Relaxed);
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        let b = BUCKETS_US
            .iter()
            .position(|&le| us <= le)
            .unwrap_or(BUCKETS_US.len());
        self.buckets[b].fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    /// `(status code, count)` for every code seen.
    pub fn statuses(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.statuses.iter().enumerate().filter_map(|(i, c)| {
            let n = c.load(Ordering::Relaxed);
            (n > 0).then(|| (FIRST_STATUS + i as u16, n))
        })
    }

    /// Requests per bucket (not cumulative), the last one `+Inf`.
    pub fn buckets(&self) -> [u64; BUCKETS_US.len() + 1] {
        std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed))
    }

    pub fn sum_seconds(&self) -> f64 {
        self.sum_us.load(Ordering::Relaxed) as f64 / 1e6
    }
}

/// Every route's counters.
pub struct RequestStats {
    slots: Box<[OnceLock<RouteStats>]>,
    overflow: RouteStats,
}

impl Default for RequestStats {
    fn default() -> Self {
        RequestStats {
            slots: (0..SLOTS).map(|_| OnceLock::new()).collect(),
            overflow: RouteStats::new(RouteKey {
                route: OVERFLOW,
                operation: None,
            }),
        }
    }
}

impl RequestStats {
    pub fn record(&self, key: RouteKey<'_>, status: u16, latency: Duration) {
        self.stats_for(key).record(status, latency);
    }

    fn stats_for(&self, key: RouteKey<'_>) -> &RouteStats {
        // A fixed-key hasher: the keys are the router's templates, not the client's input.
        let mut h = std::hash::DefaultHasher::new();
        key.hash(&mut h);
        let start = h.finish() as usize % SLOTS;
        for probe in 0..SLOTS {
            let slot = &self.slots[(start + probe) % SLOTS];
            let stats = match slot.get() {
                Some(s) => s,
                None => slot.get_or_init(|| RouteStats::new(key)),
            };
            // Filled by another key (now or by a racing first request): probe on.
            if stats.is(key) {
                return stats;
            }
        }
        &self.overflow
    }

    /// Every route seen so far, in no particular order.
    pub fn routes(&self) -> impl Iterator<Item = &RouteStats> {
        self.slots
            .iter()
            .filter_map(OnceLock::get)
            .chain(std::iter::once(&self.overflow))
            .filter(|s| s.statuses().next().is_some())
    }
}

/// GraphQL root fields counted under their own name; every other one is `other`. The SDK's
/// login, registration and session operations: the ones an operator watches.
const GRAPHQL_OPERATIONS: &[&str] = &[
    "loginByEmail",
    "loginByUsername",
    "loginByPhonePassword",
    "loginByPhoneCode",
    "loginBySubAccount",
    "loginByEmailCode",
    "registerByEmail",
    "registerByUsername",
    "registerByPhoneCode",
    "sendEmail",
    "checkLoginStatus",
    "refreshToken",
    "user",
    "updateUser",
    "updatePassword",
    "resetPassword",
    "accessToken",
    "users",
    "createUser",
    // The legacy SDK's (`/graphql`).
    "getClientWhenSdkInit",
    "login",
    "register",
];

/// The label of a GraphQL operation whose first root field is `name`.
pub fn graphql_operation(name: &str) -> &'static str {
    GRAPHQL_OPERATIONS
        .iter()
        .find(|&&known| known == name)
        .copied()
        .unwrap_or("other")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(route: &str) -> RouteKey<'_> {
        RouteKey {
            route,
            operation: None,
        }
    }

    #[test]
    fn latencies_fall_in_the_first_bucket_that_holds_them() {
        let s = RequestStats::default();
        s.record(key("/a"), 200, Duration::from_micros(1_000));
        s.record(key("/a"), 200, Duration::from_micros(1_001));
        s.record(key("/a"), 404, Duration::from_secs(60));
        let a = s.routes().find(|r| &*r.route == "/a").unwrap();
        let b = a.buckets();
        assert_eq!((b[0], b[1], b[BUCKETS_US.len()]), (1, 1, 1));
        assert_eq!(a.statuses().collect::<Vec<_>>(), [(200, 2), (404, 1)]);
        assert!((a.sum_seconds() - 60.002001).abs() < 1e-9);
    }

    #[test]
    fn a_full_table_counts_the_rest_as_overflow() {
        let s = RequestStats::default();
        let names: Vec<String> = (0..SLOTS + 3).map(|i| format!("/r{i}")).collect();
        for n in &names {
            s.record(key(n), 200, Duration::ZERO);
        }
        assert_eq!(s.routes().count(), SLOTS + 1);
        let overflow = s.routes().find(|r| &*r.route == OVERFLOW).unwrap();
        assert_eq!(overflow.statuses().collect::<Vec<_>>(), [(200, 3)]);
        // Operations split one route into separate keys.
        let s = RequestStats::default();
        let op = |o| RouteKey {
            route: "/graphql/v2",
            operation: Some(o),
        };
        s.record(op("user"), 200, Duration::ZERO);
        s.record(op("other"), 200, Duration::ZERO);
        s.record(op("user"), 200, Duration::ZERO);
        assert_eq!(s.routes().count(), 2);
    }

    #[test]
    fn only_allowed_operations_get_their_name() {
        assert_eq!(graphql_operation("loginByEmail"), "loginByEmail");
        assert_eq!(graphql_operation("loginByEmailX"), "other");
    }
}
