//! Risk lists (`mc` "risk list" family): a pool's IP and user blacklists and whitelists and
//! the automatic policies that add to the blacklists, managed by the pool's administrator
//! and enforced here, once, for every wire:
//!
//! - a client address on the blacklist with `FORBID_LOGIN` is refused by every login
//!   (`Core::authenticate`) and with `FORBID_REGISTER` by every registration
//!   (`Core::register`, and a code login that would create its user);
//! - an account on the blacklist with `FORBID_LOGIN` is refused by every login, before its
//!   password is checked (see `login.rs`);
//! - a failed password login counts for the pool's policies (in `rate_events`, like the
//!   login guard's counters, so every process shares them); a policy whose count reaches
//!   its threshold within its window puts the address or the user on the blacklist with
//!   add type SCHEDULE and the policy's limits, and starts its count again.
//!
//! WHITE entries exempt their address or user from the policies whose range is
//! NOT_IN_WHITE_LIST; they do not lift a BLACK entry.

use std::collections::HashSet;
use std::net::IpAddr;

use super::guard::client_key;
use super::paging::{Page, Paged};
use super::Core;
use crate::clock;
use crate::error::{Entity, Error, Result, RiskRefusal};
use crate::ids;
use crate::model::risk::{
    limits, AddType, Cond, EventState, IpListEntry, IpNet, Limit, ListType, Listing, OptObject,
    PolicyAction, Range, RemoveType, RiskPolicy, UserListEntry,
};
use crate::model::UserPool;
use crate::principal::PoolAdmin;

/// Most addresses or users one call may add: one transaction of bounded size.
pub const MAX_BATCH: usize = 1000;
/// The longest policy window, in minutes. A policy counts in `rate_events`, which are
/// purged after seven days (`Store::purge_expired`), so a longer window would count less
/// than it says.
pub const MAX_TIME_RANGE_MINUTES: i64 = 7 * 24 * 60;
/// The largest policy threshold.
pub const MAX_COUNT_THRESHOLD: i64 = 10_000;

/// The settings an administrator gives the entries of one batch.
#[derive(Debug, Clone)]
pub struct NewListing {
    pub list: ListType,
    pub add_type: AddType,
    pub remove_type: RemoveType,
    pub limits: Vec<Limit>,
    /// When the entries leave the list (ms since the epoch). Read only with
    /// [`RemoveType::Schedule`], which needs a future time; a MANUAL entry stays until it is
    /// deleted, whatever time was sent with it.
    pub expire_at: Option<i64>,
}

impl NewListing {
    fn checked(self, now_ms: i64) -> Result<Listing> {
        let expire_at = match self.remove_type {
            RemoveType::Manual => 0,
            RemoveType::Schedule => match self.expire_at {
                None | Some(0) => return Err(Error::MissingParameter("expireAt")),
                Some(t) if t > now_ms => t,
                Some(_) => return Err(Error::InvalidParameter("expireAt")),
            },
        };
        // A BLACK entry that forbids nothing would sit on the list doing nothing.
        if self.list == ListType::Black && self.limits.is_empty() {
            return Err(Error::MissingParameter("limitList"));
        }
        Ok(Listing {
            list: self.list,
            add_type: self.add_type,
            remove_type: self.remove_type,
            limits: limits(self.limits),
            expire_at,
        })
    }
}

/// A new automatic policy, as the administrator gives it.
#[derive(Debug, Clone)]
pub struct NewRiskPolicy {
    pub object: OptObject,
    pub ip_range: Range,
    pub user_range: Range,
    pub ip_cond: Cond,
    pub user_cond: Cond,
    pub time_range_minutes: i64,
    pub count_threshold: i64,
    pub event: EventState,
    pub remove_type: RemoveType,
    pub action: PolicyAction,
    pub limits: Vec<Limit>,
}

impl NewRiskPolicy {
    fn checked(self, pool_id: &str, now_ms: i64) -> Result<RiskPolicy> {
        if !(1..=MAX_TIME_RANGE_MINUTES).contains(&self.time_range_minutes) {
            return Err(Error::InvalidParameter("timeRange"));
        }
        if !(1..=MAX_COUNT_THRESHOLD).contains(&self.count_threshold) {
            return Err(Error::InvalidParameter("countThr"));
        }
        // A policy blacklists what it counts: an address's failures put the address on the
        // list, a user's the user.
        let action_fits = matches!(
            (self.object, self.action),
            (OptObject::Ip, PolicyAction::AddIpBlackList)
                | (OptObject::User, PolicyAction::AddUserBlackList)
        );
        if !action_fits {
            return Err(Error::InvalidParameter("action"));
        }
        // A login naming no account has no user to count or to blacklist.
        if self.object == OptObject::User && self.event == EventState::AccountWrong {
            return Err(Error::InvalidParameter("eventStateType"));
        }
        if self.limits.is_empty() {
            return Err(Error::MissingParameter("limitList"));
        }
        Ok(RiskPolicy {
            id: ids::new_id(),
            pool_id: pool_id.to_owned(),
            object: self.object,
            ip_range: self.ip_range,
            user_range: self.user_range,
            ip_cond: self.ip_cond,
            user_cond: self.user_cond,
            time_range_minutes: self.time_range_minutes,
            count_threshold: self.count_threshold,
            event: self.event,
            remove_type: self.remove_type,
            action: self.action,
            limits: limits(self.limits),
            created_at: now_ms,
        })
    }
}

/// What the lists say about one subject (a client address or a user), read once.
#[derive(Debug, Clone, Default)]
pub(crate) struct Standing {
    /// The subject's entries still active when read.
    active: Vec<Listing>,
    read_at: i64,
}

impl Standing {
    fn of(entries: impl IntoIterator<Item = Listing>) -> Standing {
        let now = clock::now_ms();
        Standing {
            active: entries.into_iter().filter(|l| l.active_at(now)).collect(),
            read_at: now,
        }
    }

    fn forbids(&self, limit: Limit) -> bool {
        self.active.iter().any(|l| l.forbids(limit, self.read_at))
    }

    fn whitelisted(&self) -> bool {
        self.active.iter().any(|l| l.whitelists(self.read_at))
    }
}

/// What the lists say about the client address of one request.
#[derive(Debug, Clone, Default)]
pub(crate) struct IpStanding {
    /// The address, when the request has a readable one.
    addr: Option<IpAddr>,
    standing: Standing,
}

impl IpStanding {
    /// Refuses the request if the address is on the blacklist with `limit`.
    pub(crate) fn refuse(&self, limit: Limit) -> Result<()> {
        if !self.standing.forbids(limit) {
            return Ok(());
        }
        Err(Error::RiskListed(match limit {
            Limit::ForbidLogin => RiskRefusal::IpLogin,
            Limit::ForbidRegister => RiskRefusal::IpRegister,
        }))
    }
}

/// A failed password login, as the policies count it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoginFailure<'a> {
    pub event: EventState,
    /// The account the login named, as the login guard keys it: the same account however
    /// it is spelled.
    pub account: &'a str,
    /// The account's user (a wrong password for an existing account).
    pub user_id: Option<&'a str>,
}

impl Core {
    // --- administration ----------------------------------------------------------------

    /// `add`: puts every address or CIDR range of `ips` on a list, all or none. An address
    /// already on that list (added the same way) is renewed.
    pub async fn add_ip_list_entries(
        &self,
        admin: &PoolAdmin,
        ips: &[String],
        listing: NewListing,
    ) -> Result<()> {
        if ips.is_empty() {
            return Err(Error::MissingParameter("ips"));
        }
        if ips.len() > MAX_BATCH {
            return Err(Error::InvalidParameter("ips"));
        }
        let now = clock::now_ms();
        let listing = listing.checked(now)?;
        let mut seen = HashSet::new();
        let mut entries = Vec::with_capacity(ips.len());
        for text in ips {
            let net = IpNet::parse(text).ok_or(Error::InvalidParameter("ips"))?;
            if seen.insert(net) {
                entries.push(IpListEntry {
                    id: ids::new_id(),
                    pool_id: admin.pool_id().to_owned(),
                    net,
                    listing: listing.clone(),
                    created_at: now,
                });
            }
        }
        self.store.put_ip_entries(admin.pool_id(), &entries).await
    }

    /// `findIpList`: one page of a list's active entries, oldest first.
    pub async fn ip_list(
        &self,
        admin: &PoolAdmin,
        list: ListType,
        page: Page,
    ) -> Result<Paged<IpListEntry>> {
        self.store
            .ip_entries_page(admin.pool_id(), list, clock::now_ms(), page)
            .await
    }

    /// `deleteById`.
    pub async fn delete_ip_list_entry(&self, admin: &PoolAdmin, id: &str) -> Result<()> {
        if self.store.delete_ip_entry(admin.pool_id(), id).await? {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::IpListEntry))
        }
    }

    /// `addUser`: puts every user of `user_ids` on a list, all or none; every one must be a
    /// user of the pool ([`Error::UserNotFound`] otherwise). Checked and written in one unit
    /// of work, so a user deleted meanwhile cannot leave an entry behind.
    pub async fn add_user_list_entries(
        &self,
        admin: &PoolAdmin,
        user_ids: &[String],
        listing: NewListing,
    ) -> Result<()> {
        if user_ids.is_empty() {
            return Err(Error::MissingParameter("userIds"));
        }
        if user_ids.len() > MAX_BATCH || user_ids.iter().any(|id| id.trim().is_empty()) {
            return Err(Error::InvalidParameter("userIds"));
        }
        let now = clock::now_ms();
        let listing = listing.checked(now)?;
        let mut ids_sorted: Vec<String> = user_ids.to_vec();
        ids_sorted.sort();
        ids_sorted.dedup();
        let pool_id = admin.pool_id().to_owned();
        let entries: Vec<UserListEntry> = ids_sorted
            .iter()
            .map(|user_id| UserListEntry {
                id: ids::new_id(),
                pool_id: pool_id.clone(),
                user_id: user_id.clone(),
                listing: listing.clone(),
                created_at: now,
            })
            .collect();
        self.pool_write(admin.pool_id(), move |tx| {
            Box::pin(async move {
                if tx.count_users_in(&pool_id, &ids_sorted).await? != ids_sorted.len() as u64 {
                    return Err(Error::UserNotFound);
                }
                tx.put_user_entries(&pool_id, &entries).await
            })
        })
        .await
    }

    /// `findUserList`: one page of a list's active entries, oldest first.
    pub async fn user_list(
        &self,
        admin: &PoolAdmin,
        list: ListType,
        page: Page,
    ) -> Result<Paged<UserListEntry>> {
        self.store
            .user_entries_page(admin.pool_id(), list, clock::now_ms(), page)
            .await
    }

    /// `deleteUserListById`.
    pub async fn delete_user_list_entry(&self, admin: &PoolAdmin, id: &str) -> Result<()> {
        if self.store.delete_user_entry(admin.pool_id(), id).await? {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::UserListEntry))
        }
    }

    /// `addRiskListPolicy`.
    pub async fn add_risk_policy(
        &self,
        admin: &PoolAdmin,
        new: NewRiskPolicy,
    ) -> Result<RiskPolicy> {
        let policy = new.checked(admin.pool_id(), clock::now_ms())?;
        self.store.insert_risk_policy(&policy).await?;
        Ok(policy)
    }

    /// `findRiskListPolicy`: one page of the policies counting `object`, oldest first.
    pub async fn risk_policies(
        &self,
        admin: &PoolAdmin,
        object: OptObject,
        page: Page,
    ) -> Result<Paged<RiskPolicy>> {
        self.store
            .risk_policies_page(admin.pool_id(), object, page)
            .await
    }

    /// `deleteRiskListPolicyById`. Its counts are left to age out of `rate_events`.
    pub async fn delete_risk_policy(&self, admin: &PoolAdmin, id: &str) -> Result<()> {
        if self.store.delete_risk_policy(admin.pool_id(), id).await? {
            Ok(())
        } else {
            Err(Error::NotFound(Entity::RiskPolicy))
        }
    }

    // --- enforcement -------------------------------------------------------------------

    /// What the lists say about a request's client address: one indexed read of the entries
    /// whose network contains it. A request without a readable address matches nothing.
    pub(crate) async fn ip_standing(&self, pool_id: &str, ip: Option<&str>) -> Result<IpStanding> {
        let Some(addr) = ip.and_then(|s| s.trim().parse::<IpAddr>().ok()) else {
            return Ok(IpStanding::default());
        };
        let networks: Vec<String> = IpNet::containing(addr).iter().map(IpNet::key).collect();
        let entries = self.store.ip_entries_matching(pool_id, &networks).await?;
        Ok(IpStanding {
            addr: Some(addr),
            standing: Standing::of(entries.into_iter().map(|e| e.listing)),
        })
    }

    async fn user_standing(&self, pool_id: &str, user_id: &str) -> Result<Standing> {
        let entries = self.store.user_entries_of(pool_id, user_id).await?;
        Ok(Standing::of(entries.into_iter().map(|e| e.listing)))
    }

    /// Refuses a login of a user on the blacklist with `FORBID_LOGIN` (one indexed read).
    pub(crate) async fn refuse_listed_user(&self, pool_id: &str, user_id: &str) -> Result<()> {
        if self
            .user_standing(pool_id, user_id)
            .await?
            .forbids(Limit::ForbidLogin)
        {
            return Err(Error::RiskListed(RiskRefusal::UserLogin));
        }
        Ok(())
    }

    /// Counts a failed password login for each of the pool's policies that counts it, and
    /// applies those whose threshold it reaches. Reads the policies (one indexed read) and,
    /// only if a policy exempts whitelisted users, the user's entries.
    pub(crate) async fn count_login_failure(
        &self,
        pool: &UserPool,
        ip: &IpStanding,
        failure: LoginFailure<'_>,
    ) -> Result<()> {
        let policies = self.store.risk_policies(&pool.id).await?;
        let mut user_whitelisted: Option<bool> = None;
        for policy in policies.iter().filter(|p| p.event == failure.event) {
            if policy.ip_range == Range::NotInWhiteList && ip.standing.whitelisted() {
                continue;
            }
            if policy.user_range == Range::NotInWhiteList {
                if let Some(user_id) = failure.user_id {
                    let white = match user_whitelisted {
                        Some(w) => w,
                        None => {
                            let w = self.user_standing(&pool.id, user_id).await?.whitelisted();
                            user_whitelisted = Some(w);
                            w
                        }
                    };
                    if white {
                        continue;
                    }
                }
            }
            let Some(key) = counted_key(policy, ip, &failure) else {
                continue;
            };
            let kind = policy_counter(policy);
            let now = clock::now_ms();
            self.store
                .add_rate_event(&pool.id, &kind, &key, now)
                .await?;
            let since = now - policy.time_range_minutes * 60_000;
            let count = self
                .store
                .count_rate_events(&pool.id, &kind, &key, since)
                .await?;
            if count >= policy.count_threshold {
                self.apply_policy(pool, policy, ip.addr, failure.user_id, now)
                    .await?;
                // The subject is listed now: its count starts again rather than listing it
                // anew at each further failure.
                self.store.clear_rate_events(&pool.id, &kind, &key).await?;
            }
        }
        Ok(())
    }

    /// Puts a policy's subject on the blacklist, as an entry added by the policy
    /// (SCHEDULE). A SCHEDULE-removed entry stays for the policy's window (the policy has
    /// no duration of its own); a MANUAL-removed one until an administrator deletes it.
    async fn apply_policy(
        &self,
        pool: &UserPool,
        policy: &RiskPolicy,
        addr: Option<IpAddr>,
        user_id: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let listing = Listing {
            list: ListType::Black,
            add_type: AddType::Schedule,
            remove_type: policy.remove_type,
            limits: policy.limits.clone(),
            expire_at: match policy.remove_type {
                RemoveType::Schedule => now + policy.time_range_minutes * 60_000,
                RemoveType::Manual => 0,
            },
        };
        match policy.action {
            PolicyAction::AddIpBlackList => {
                let Some(addr) = addr else { return Ok(()) };
                let entry = IpListEntry {
                    id: ids::new_id(),
                    pool_id: pool.id.clone(),
                    net: IpNet::host(addr),
                    listing,
                    created_at: now,
                };
                self.store.put_ip_entries(&pool.id, &[entry]).await
            }
            PolicyAction::AddUserBlackList => {
                let Some(user_id) = user_id else {
                    return Ok(());
                };
                let entry = UserListEntry {
                    id: ids::new_id(),
                    pool_id: pool.id.clone(),
                    user_id: user_id.to_owned(),
                    listing,
                    created_at: now,
                };
                let pool_id = pool.id.clone();
                self.pool_write(&pool.id, move |tx| {
                    Box::pin(async move { tx.put_user_entries(&pool_id, &[entry]).await })
                })
                .await
            }
        }
    }
}

/// The `rate_events` kind of one policy's counts.
fn policy_counter(policy: &RiskPolicy) -> String {
    format!("risk-policy:{}", policy.id)
}

/// What one failure counts under for `policy`: the address (and, with `userCond` ONE, the
/// account) or the user (and, with `ipCond` ONE, the address). `None` when the policy's
/// subject is unknown: a request without an address, a login naming no user.
fn counted_key(policy: &RiskPolicy, ip: &IpStanding, failure: &LoginFailure<'_>) -> Option<String> {
    match policy.object {
        OptObject::Ip => {
            let addr = IpNet::host(ip.addr?).addr();
            Some(match policy.user_cond {
                Cond::NoLimit => format!("ip:{addr}"),
                Cond::One => format!("ip:{addr}|{}", failure.account),
            })
        }
        OptObject::User => {
            let user_id = failure.user_id?;
            Some(match policy.ip_cond {
                Cond::NoLimit => format!("user:{user_id}"),
                Cond::One => {
                    let addr = ip.addr.map(|a| IpNet::host(a).addr().to_string());
                    format!("user:{user_id}|{}", client_key(addr.as_deref()))
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(remove_type: RemoveType, expire_at: Option<i64>) -> NewListing {
        NewListing {
            list: ListType::Black,
            add_type: AddType::Manual,
            remove_type,
            limits: vec![Limit::ForbidLogin],
            expire_at,
        }
    }

    #[test]
    fn a_scheduled_removal_needs_a_future_time() {
        let now = 1_000_000;
        assert!(matches!(
            listing(RemoveType::Schedule, None).checked(now),
            Err(Error::MissingParameter("expireAt"))
        ));
        assert!(matches!(
            listing(RemoveType::Schedule, Some(now - 1)).checked(now),
            Err(Error::InvalidParameter("expireAt"))
        ));
        let ok = listing(RemoveType::Schedule, Some(now + 1)).checked(now);
        assert_eq!(ok.map(|l| l.expire_at).ok(), Some(now + 1));
        // A manual entry stays until deleted, whatever time came with it.
        let manual = listing(RemoveType::Manual, Some(now - 1)).checked(now);
        assert_eq!(manual.map(|l| l.expire_at).ok(), Some(0));
    }

    #[test]
    fn a_black_entry_must_forbid_something() {
        let mut l = listing(RemoveType::Manual, None);
        l.limits.clear();
        assert!(matches!(
            l.clone().checked(0),
            Err(Error::MissingParameter("limitList"))
        ));
        l.list = ListType::White;
        assert!(l.checked(0).is_ok());
    }

    fn policy() -> NewRiskPolicy {
        NewRiskPolicy {
            object: OptObject::Ip,
            ip_range: Range::All,
            user_range: Range::All,
            ip_cond: Cond::NoLimit,
            user_cond: Cond::NoLimit,
            time_range_minutes: 10,
            count_threshold: 3,
            event: EventState::PasswordWrong,
            remove_type: RemoveType::Schedule,
            action: PolicyAction::AddIpBlackList,
            limits: vec![Limit::ForbidLogin],
        }
    }

    #[test]
    fn policies_are_checked() {
        assert!(policy().checked("p", 0).is_ok());
        let bad = |p: NewRiskPolicy| p.checked("p", 0).err().map(|e| e.to_string());
        let mut p = policy();
        p.time_range_minutes = 0;
        assert_eq!(bad(p), Some("invalid parameter timeRange".into()));
        let mut p = policy();
        p.time_range_minutes = MAX_TIME_RANGE_MINUTES + 1;
        assert_eq!(bad(p), Some("invalid parameter timeRange".into()));
        let mut p = policy();
        p.count_threshold = 0;
        assert_eq!(bad(p), Some("invalid parameter countThr".into()));
        let mut p = policy();
        p.action = PolicyAction::AddUserBlackList;
        assert_eq!(bad(p), Some("invalid parameter action".into()));
        let mut p = policy();
        p.object = OptObject::User;
        p.action = PolicyAction::AddUserBlackList;
        p.event = EventState::AccountWrong;
        assert_eq!(bad(p), Some("invalid parameter eventStateType".into()));
        let mut p = policy();
        p.limits.clear();
        assert_eq!(bad(p), Some("missing parameter limitList".into()));
    }

    #[test]
    fn counts_are_keyed_by_the_policy_conditions() {
        let ip = IpStanding {
            addr: "::ffff:198.51.100.4".parse().ok(),
            standing: Standing::default(),
        };
        let failure = LoginFailure {
            event: EventState::PasswordWrong,
            account: "email:ann@example.com",
            user_id: Some("u1"),
        };
        let mut p = policy().checked("p", 0).expect("policy");
        assert_eq!(
            counted_key(&p, &ip, &failure).as_deref(),
            Some("ip:198.51.100.4")
        );
        p.user_cond = Cond::One;
        assert_eq!(
            counted_key(&p, &ip, &failure).as_deref(),
            Some("ip:198.51.100.4|email:ann@example.com")
        );
        p.object = OptObject::User;
        assert_eq!(counted_key(&p, &ip, &failure).as_deref(), Some("user:u1"));
        p.ip_cond = Cond::One;
        assert_eq!(
            counted_key(&p, &ip, &failure).as_deref(),
            Some("user:u1|ip:198.51.100.4")
        );
        let unknown = LoginFailure {
            user_id: None,
            ..failure
        };
        assert_eq!(counted_key(&p, &ip, &unknown), None);
        p.object = OptObject::Ip;
        assert_eq!(counted_key(&p, &IpStanding::default(), &failure), None);
    }
}
