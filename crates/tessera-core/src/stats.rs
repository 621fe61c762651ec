//! What this process has done, counted for operators: login outcomes and the password-hash
//! queue. Meaning-only names; a façade renders them in whatever format it serves (the
//! server's `/metrics`).
//!
//! The counts are per process, which is right for what they are for: a monitoring system
//! reads each process and adds them up. Nothing here is state another process needs (the
//! login guard's counters are rows in the database, `service/guard.rs`). Every update is one
//! relaxed atomic add: no lock on the login path, and a reader sees each count as of some
//! moment, which is all a scrape needs.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::error::{Error, RiskRefusal};

/// How one login ended, as decided by [`crate::Core::authenticate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginOutcome {
    Success,
    WrongPassword,
    /// The account the login names does not exist (or is archived).
    UnknownUser,
    /// The account exists but has no password to check.
    NoPassword,
    /// The login guard asked for a captcha and none was given.
    CaptchaRequired,
    CaptchaWrong,
    /// `block-account`: too many failures, refused even with the right password.
    Locked,
    /// Blocked or suspended by an administrator, or on the pool's user blacklist.
    Blocked,
    /// The application's access policy keeps the user out, or the client address is on
    /// the pool's IP blacklist.
    Denied,
    /// A wrong or expired SMS/email code.
    CodeWrong,
    /// A right password, but the email must be verified or the password changed first.
    ActionRequired,
    /// Anything else: bad input, storage failures.
    Error,
}

impl LoginOutcome {
    pub const ALL: [LoginOutcome; 12] = [
        LoginOutcome::Success,
        LoginOutcome::WrongPassword,
        LoginOutcome::UnknownUser,
        LoginOutcome::NoPassword,
        LoginOutcome::CaptchaRequired,
        LoginOutcome::CaptchaWrong,
        LoginOutcome::Locked,
        LoginOutcome::Blocked,
        LoginOutcome::Denied,
        LoginOutcome::CodeWrong,
        LoginOutcome::ActionRequired,
        LoginOutcome::Error,
    ];

    /// The outcome a login's result stands for.
    pub fn of<T>(result: &Result<T, Error>) -> LoginOutcome {
        match result {
            Ok(_) => LoginOutcome::Success,
            Err(e) => match e {
                Error::WrongPassword => LoginOutcome::WrongPassword,
                Error::UserNotFound => LoginOutcome::UnknownUser,
                Error::NoPassword => LoginOutcome::NoPassword,
                Error::CaptchaRequired => LoginOutcome::CaptchaRequired,
                Error::CaptchaWrong => LoginOutcome::CaptchaWrong,
                Error::AccountLocked => LoginOutcome::Locked,
                Error::UserBlocked | Error::RiskListed(RiskRefusal::UserLogin) => {
                    LoginOutcome::Blocked
                }
                Error::Forbidden | Error::RiskListed(_) => LoginOutcome::Denied,
                Error::CodeWrong
                | Error::CodeExpired
                | Error::MfaCodeWrong
                | Error::MfaRecoveryCodeWrong => LoginOutcome::CodeWrong,
                Error::EmailNotVerified
                | Error::PasswordResetRequired { .. }
                | Error::MfaRequired(_) => LoginOutcome::ActionRequired,
                _ => LoginOutcome::Error,
            },
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The process's counters. One per [`crate::Core`].
#[derive(Debug, Default)]
pub struct CoreStats {
    logins: [AtomicU64; LoginOutcome::ALL.len()],
    hash_waiting: AtomicI64,
    hash_running: AtomicI64,
}

/// The password-hash queue at one moment: hashes running on the blocking threads, and
/// hashes waiting for one of the per-core slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashQueue {
    pub running: u64,
    pub waiting: u64,
    /// Hashes that may run at once (one per core).
    pub slots: u64,
}

impl CoreStats {
    pub(crate) fn login(&self, outcome: LoginOutcome) {
        self.logins[outcome.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Logins so far that ended with `outcome`.
    pub fn logins(&self, outcome: LoginOutcome) -> u64 {
        self.logins[outcome.index()].load(Ordering::Relaxed)
    }

    /// Marks a hash as waiting until the returned guard is turned into a running one.
    pub(crate) fn hash_queued(&self) -> HashWaiting<'_> {
        self.hash_waiting.fetch_add(1, Ordering::Relaxed);
        HashWaiting { stats: self }
    }

    pub(crate) fn hash_queue(&self, slots: usize) -> HashQueue {
        // A guard moving from waiting to running is never counted in neither, but the two
        // loads are not one moment: clamp a transient negative to zero.
        let load = |a: &AtomicI64| a.load(Ordering::Relaxed).max(0) as u64;
        HashQueue {
            running: load(&self.hash_running),
            waiting: load(&self.hash_waiting),
            slots: slots as u64,
        }
    }
}

/// A hash waiting for a slot; dropped (the caller gave up) it stops counting.
pub(crate) struct HashWaiting<'a> {
    stats: &'a CoreStats,
}

impl<'a> HashWaiting<'a> {
    /// The hash got its slot and runs until the returned guard is dropped.
    pub(crate) fn running(self) -> HashRunning<'a> {
        let stats = self.stats;
        // Counted as running before it stops waiting, so it is never in neither count.
        stats.hash_running.fetch_add(1, Ordering::Relaxed);
        drop(self);
        HashRunning { stats }
    }
}

impl Drop for HashWaiting<'_> {
    fn drop(&mut self) {
        self.stats.hash_waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

pub(crate) struct HashRunning<'a> {
    stats: &'a CoreStats,
}

impl Drop for HashRunning<'_> {
    fn drop(&mut self) {
        self.stats.hash_running.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How one of the store's connection pools is used at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolUsage {
    /// Which pool: a fixed name chosen by the store (e.g. `main`, `sqlite-reads`).
    pub name: &'static str,
    pub in_use: u64,
    pub idle: u64,
    /// The most connections the pool opens (or, for a pool without a cap, keeps idle).
    pub max: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_index_their_own_slot() {
        for (i, o) in LoginOutcome::ALL.iter().enumerate() {
            assert_eq!(o.index(), i);
        }
    }

    #[test]
    fn hash_queue_counts_follow_the_guards() {
        let s = CoreStats::default();
        let w1 = s.hash_queued();
        let w2 = s.hash_queued();
        assert_eq!(s.hash_queue(2).waiting, 2);
        let r1 = w1.running();
        let q = s.hash_queue(2);
        assert_eq!((q.running, q.waiting), (1, 1));
        drop(w2);
        drop(r1);
        let q = s.hash_queue(2);
        assert_eq!((q.running, q.waiting, q.slots), (0, 0, 2));
    }

    #[test]
    fn login_results_map_to_outcomes() {
        assert_eq!(
            LoginOutcome::of(&Ok::<(), Error>(())),
            LoginOutcome::Success
        );
        let e = |e: Error| LoginOutcome::of(&Err::<(), Error>(e));
        assert_eq!(e(Error::WrongPassword), LoginOutcome::WrongPassword);
        assert_eq!(e(Error::AccountLocked), LoginOutcome::Locked);
        assert_eq!(e(Error::CaptchaRequired), LoginOutcome::CaptchaRequired);
        assert_eq!(e(Error::InvalidEmail), LoginOutcome::Error);
    }
}
