//! Risk lists: a pool's IP and user blacklists and whitelists, and the automatic policies
//! that add to the blacklists after repeated failed logins.
//!
//! A BLACK entry forbids what its limits name (logins, registrations) while it is active; a
//! WHITE entry exempts its IP or user from the policies whose range is
//! [`Range::NotInWhiteList`]. Each enum has one string form ([`as_str`](ListType::as_str)),
//! used by the store's columns and matched by the façades to the wire's values.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Defines a closed set of values with exactly one string form each.
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vm])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The value of a string form; `None` for anything else (case matters).
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum! {
    /// Which list an entry is on.
    ListType {
        Black = "BLACK",
        White = "WHITE",
    }
}

named_enum! {
    /// Who added an entry: an administrator, or a policy ([`AddType::Schedule`]).
    AddType {
        Manual = "MANUAL",
        Schedule = "SCHEDULE",
    }
}

named_enum! {
    /// How an entry leaves its list: deleted by an administrator, or on its own when its
    /// `expire_at` passes.
    RemoveType {
        Manual = "MANUAL",
        Schedule = "SCHEDULE",
    }
}

named_enum! {
    /// What a BLACK entry forbids.
    Limit {
        ForbidLogin = "FORBID_LOGIN",
        ForbidRegister = "FORBID_REGISTER",
    }
}

named_enum! {
    /// What a policy counts failures of: one client address, or one user.
    OptObject {
        Ip = "IP",
        User = "USER",
    }
}

named_enum! {
    /// Whose failures a policy counts: everyone's, or only those not on the WHITE list.
    Range {
        All = "ALL",
        NotInWhiteList = "NOT_IN_WHITE_LIST",
    }
}

named_enum! {
    /// How a policy groups the other side of a failure: an IP policy with `userCond` ONE
    /// counts each account apart (one address failing on one account), with NO_LIMIT it
    /// counts the address's failures on any accounts; a user policy's `ipCond` likewise.
    Cond {
        NoLimit = "NO_LIMIT",
        One = "ONE",
    }
}

named_enum! {
    /// The failed login a policy counts: a wrong password for an existing account, or a
    /// login naming no account.
    EventState {
        PasswordWrong = "password_wrong",
        AccountWrong = "account_wrong",
    }
}

named_enum! {
    /// What a policy does when its count is reached.
    PolicyAction {
        AddIpBlackList = "ADD_IP_BLACK_LIST",
        AddUserBlackList = "ADD_USER_BLACK_LIST",
    }
}

/// A set of limits in one order, without repeats.
pub fn limits<I: IntoIterator<Item = Limit>>(items: I) -> Vec<Limit> {
    let mut v: Vec<Limit> = items.into_iter().collect();
    v.sort();
    v.dedup();
    v
}

/// What a list entry says, whatever it names (an address or a user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub list: ListType,
    pub add_type: AddType,
    pub remove_type: RemoveType,
    /// What the entry forbids (meaningful on BLACK entries), ordered, without repeats.
    pub limits: Vec<Limit>,
    /// When the entry stops applying, ms since the epoch; 0 = never.
    pub expire_at: i64,
}

impl Listing {
    pub fn active_at(&self, now_ms: i64) -> bool {
        self.expire_at == 0 || self.expire_at > now_ms
    }

    /// Whether this entry, at `now_ms`, forbids `limit`.
    pub fn forbids(&self, limit: Limit, now_ms: i64) -> bool {
        self.list == ListType::Black && self.active_at(now_ms) && self.limits.contains(&limit)
    }

    /// Whether this entry, at `now_ms`, is an active WHITE entry.
    pub fn whitelists(&self, now_ms: i64) -> bool {
        self.list == ListType::White && self.active_at(now_ms)
    }
}

/// An IP list entry: a single address or a CIDR range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpListEntry {
    pub id: String,
    pub pool_id: String,
    pub net: IpNet,
    pub listing: Listing,
    pub created_at: i64,
}

/// A user list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserListEntry {
    pub id: String,
    pub pool_id: String,
    pub user_id: String,
    pub listing: Listing,
    pub created_at: i64,
}

/// An automatic policy: `count_threshold` failed logins of kind `event` within
/// `time_range_minutes`, counted per [`OptObject`], put the address or user on the
/// blacklist with `limits`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskPolicy {
    pub id: String,
    pub pool_id: String,
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
    pub created_at: i64,
}

/// Why a risk list refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskRefusal {
    /// The client address is on the blacklist with [`Limit::ForbidLogin`].
    IpLogin,
    /// The client address is on the blacklist with [`Limit::ForbidRegister`].
    IpRegister,
    /// The account is on the blacklist with [`Limit::ForbidLogin`].
    UserLogin,
}

/// For logs and the protocols that describe refusals in English only.
impl fmt::Display for RiskRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RiskRefusal::IpLogin => "logins from this address are not allowed",
            RiskRefusal::IpRegister => "registrations from this address are not allowed",
            RiskRefusal::UserLogin => "this account may not log in",
        })
    }
}

/// An IP network: an address with its host bits cleared and a prefix length. A single
/// address is the network of its full length (/32, /128).
///
/// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`, what a dual-stack socket reports for an
/// IPv4 client) are read as the IPv4 address, so an IPv4 entry matches such a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or `addr/n`, surrounding spaces ignored.
    /// Host bits below the prefix are cleared (`10.1.2.3/8` is `10.0.0.0/8`). `None` for
    /// anything else, including a prefix beyond the address's length.
    pub fn parse(text: &str) -> Option<IpNet> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            None => (text, None),
            Some((a, p)) => (a, Some(p)),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let max = max_prefix(addr);
        let prefix = match prefix {
            None => max,
            // Digits only: `u8::from_str` would also take a sign.
            Some(p) if !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().ok().filter(|n| *n <= max)?
            }
            Some(_) => return None,
        };
        Some(IpNet::new(addr, prefix))
    }

    /// The network of one address.
    pub fn host(addr: IpAddr) -> IpNet {
        IpNet::new(addr, max_prefix(addr))
    }

    fn new(addr: IpAddr, prefix: u8) -> IpNet {
        let (addr, prefix) = match addr {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) if prefix >= 96 => (IpAddr::V4(v4), prefix - 96),
                _ => (addr, prefix),
            },
            IpAddr::V4(_) => (addr, prefix),
        };
        IpNet {
            addr: mask(addr, prefix),
            prefix,
        }
    }

    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    pub fn is_host(&self) -> bool {
        self.prefix == max_prefix(self.addr)
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = IpNet::host(addr).addr;
        addr.is_ipv4() == self.addr.is_ipv4() && mask(addr, self.prefix) == self.addr
    }

    /// The stored form, the same for every spelling of one network: `address/prefix`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.addr, self.prefix)
    }

    /// Every network that contains `addr`, from the address itself to the whole address
    /// space: a lookup of these keys finds every entry matching the address, exact or
    /// range, in one indexed read.
    pub fn containing(addr: IpAddr) -> Vec<IpNet> {
        let host = IpNet::host(addr);
        (0..=host.prefix)
            .rev()
            .map(|p| IpNet::new(host.addr, p))
            .collect()
    }
}

/// A single address without its prefix, a range as `address/prefix`.
impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_host() {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

fn max_prefix(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let bits = u32::from(a);
            let m = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits & m))
        }
        IpAddr::V6(a) => {
            let bits = u128::from(a);
            let m = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits & m))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s} is an address"))
    }

    #[test]
    fn parses_addresses_and_ranges() {
        let one = IpNet::parse(" 203.0.113.7 ").expect("address");
        assert_eq!(one.to_string(), "203.0.113.7");
        assert_eq!(one.key(), "203.0.113.7/32");
        let range = IpNet::parse("10.1.2.3/8").expect("range");
        assert_eq!(range.to_string(), "10.0.0.0/8");
        assert_eq!(range.key(), "10.0.0.0/8");
        let v6 = IpNet::parse("2001:DB8:0:0::1/32").expect("v6 range");
        assert_eq!(v6.to_string(), "2001:db8::/32");
        assert_eq!(
            IpNet::parse("2001:db8::1").map(|n| n.key()).as_deref(),
            Some("2001:db8::1/128")
        );
        assert_eq!(
            IpNet::parse("0.0.0.0/0").map(|n| n.key()).as_deref(),
            Some("0.0.0.0/0")
        );
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "",
            "  ",
            "1.2.3",
            "1.2.3.4/33",
            "1.2.3.4/",
            "1.2.3.4/+8",
            "1.2.3.4/-1",
            "1.2.3.4/8/8",
            "::1/129",
            "fe80::1%eth0",
            "example.com",
            "1.2.3.4 /8",
            "256.1.1.1",
        ] {
            assert_eq!(IpNet::parse(bad), None, "{bad:?} is refused");
        }
    }

    #[test]
    fn a_mapped_address_is_its_ipv4_address() {
        let mapped = IpNet::parse("::ffff:10.0.0.0/104").expect("mapped range");
        assert_eq!(mapped.key(), "10.0.0.0/8");
        assert!(mapped.contains(ip("10.200.1.1")));
        assert!(IpNet::parse("10.0.0.0/8")
            .expect("range")
            .contains(ip("::ffff:10.9.9.9")));
        assert_eq!(IpNet::host(ip("::ffff:1.2.3.4")).key(), "1.2.3.4/32");
    }

    #[test]
    fn ranges_contain_their_addresses_only() {
        let r = IpNet::parse("192.168.4.0/22").expect("range");
        assert!(r.contains(ip("192.168.7.255")));
        assert!(!r.contains(ip("192.168.8.0")));
        assert!(!r.contains(ip("::1")));
        let all6 = IpNet::parse("::/0").expect("all of IPv6");
        assert!(all6.contains(ip("2001:db8::1")));
        assert!(!all6.contains(ip("1.2.3.4")));
    }

    #[test]
    fn the_containing_networks_are_every_prefix() {
        let nets = IpNet::containing(ip("10.1.2.3"));
        assert_eq!(nets.len(), 33);
        assert_eq!(nets[0].key(), "10.1.2.3/32");
        assert_eq!(nets[24].key(), "10.0.0.0/8");
        assert_eq!(nets[32].key(), "0.0.0.0/0");
        let keys: Vec<String> = nets.iter().map(IpNet::key).collect();
        for range in ["10.1.2.0/24", "10.0.0.0/8", "10.1.2.3"] {
            let key = IpNet::parse(range).expect("range").key();
            assert!(keys.contains(&key), "{range} is found by its key");
        }
        assert_eq!(IpNet::containing(ip("2001:db8::1")).len(), 129);
    }

    #[test]
    fn listings_apply_while_active() {
        let black = Listing {
            list: ListType::Black,
            add_type: AddType::Manual,
            remove_type: RemoveType::Schedule,
            limits: limits([
                Limit::ForbidRegister,
                Limit::ForbidLogin,
                Limit::ForbidLogin,
            ]),
            expire_at: 1_000,
        };
        assert_eq!(
            black.limits,
            vec![Limit::ForbidLogin, Limit::ForbidRegister]
        );
        assert!(black.forbids(Limit::ForbidLogin, 999));
        assert!(!black.forbids(Limit::ForbidLogin, 1_000));
        assert!(!black.whitelists(0));
        let white = Listing {
            list: ListType::White,
            expire_at: 0,
            ..black
        };
        assert!(white.whitelists(i64::MAX));
        assert!(!white.forbids(Limit::ForbidLogin, 0));
    }

    #[test]
    fn string_forms_round_trip() {
        for l in Limit::ALL {
            assert_eq!(Limit::parse(l.as_str()), Some(*l));
        }
        assert_eq!(
            EventState::parse("password_wrong"),
            Some(EventState::PasswordWrong)
        );
        assert_eq!(ListType::parse("black"), None);
        assert_eq!(
            PolicyAction::AddIpBlackList.to_string(),
            "ADD_IP_BLACK_LIST"
        );
    }
}
