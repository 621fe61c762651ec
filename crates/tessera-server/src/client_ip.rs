//! The client address of a request: the socket peer, or, when the peer is a proxy the
//! deployment trusts (`--trusted-proxy CIDR`), the address that proxy chain reports in
//! `X-Forwarded-For`.
//!
//! Each proxy appends the address it received the request from, so the entries nearest the
//! right were written by our own proxies and everything to the left of the first address we
//! do not trust was written by the client and proves nothing. The chain is therefore read
//! from the right, skipping trusted hops; the first untrusted address is the client. This
//! is nginx's `real_ip_recursive` and vaultwarden's rule.

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error(
        "invalid trusted proxy {0:?}: expected an address or CIDR, e.g. 10.0.0.0/8 or ::1/128"
    )]
    Address(String),
    #[error("invalid trusted proxy {0:?}: the prefix length is at most 32 for IPv4, 128 for IPv6")]
    Prefix(String),
}

/// A network: an address and a prefix length. Host bits of the address are ignored, so
/// `10.1.2.3/8` is `10.0.0.0/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = CidrError;

    /// `10.0.0.0/8`, `2001:db8::/32`, or a bare address (one host: /32 or /128). An
    /// IPv4-mapped IPv6 address is taken as the IPv4 address it maps, as peers are.
    fn from_str(text: &str) -> Result<Cidr, CidrError> {
        let s = text.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr = IpAddr::from_str(addr)
            .map_err(|_| CidrError::Address(text.to_owned()))?
            .to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            // Digits only: `u8::from_str` would also take "+8".
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| CidrError::Prefix(text.to_owned()))?,
            Some(_) => return Err(CidrError::Prefix(text.to_owned())),
        };
        Ok(Cidr { addr, prefix })
    }
}

/// The proxies whose `X-Forwarded-For` is believed. Empty (the default) believes none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Parses every entry; the first bad one is the error.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<TrustedProxies, CidrError> {
        entries
            .iter()
            .map(|e| e.as_ref().parse())
            .collect::<Result<Vec<Cidr>, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(ip))
    }

    /// The client address of a request that arrived from `peer` with `headers`: the peer
    /// itself unless it is trusted; otherwise the first untrusted address of the
    /// `X-Forwarded-For` chain read from the right (the leftmost when every hop is
    /// trusted). A hop that is not an IP address where the walk reaches it makes the chain
    /// unreadable, and then the peer is the answer; entries beyond the first untrusted one
    /// are never read, so what a client prepends cannot change the result.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        // Several header lines form one list, in order (RFC 9110 §5.3).
        let mut client = peer;
        for line in headers.get_all("x-forwarded-for").iter().rev() {
            let Ok(line) = line.to_str() else {
                return peer;
            };
            for hop in line.rsplit(',') {
                let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                    return peer;
                };
                client = ip.to_canonical();
                if !self.contains(client) {
                    return client;
                }
            }
        }
        client
    }
}

/// Where a request comes from, as far as the connection tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// The client address (see [`TrustedProxies::client_ip`]).
    pub client_ip: IpAddr,
    /// Whether the socket peer is a trusted proxy: then what the request states about its
    /// client (the SDKs' `clientIp`) is believed too, as the proxy's backend said it.
    pub via_trusted_proxy: bool,
}

impl Origin {
    pub fn of(peer: IpAddr, headers: &HeaderMap, proxies: &TrustedProxies) -> Origin {
        Origin {
            client_ip: proxies.client_ip(peer, headers),
            via_trusted_proxy: proxies.contains(peer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const LOCAL_V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const LOCAL_V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(list).unwrap()
    }

    fn xff(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append("x-forwarded-for", HeaderValue::from_str(l).unwrap());
        }
        h
    }

    #[test]
    fn cidrs_parse_and_match() {
        let net: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(net.contains(ip("10.255.1.2")));
        assert!(!net.contains(ip("11.0.0.1")));
        assert!(!net.contains(ip("::1")), "families never match");
        let host: Cidr = "192.168.1.7".parse().unwrap();
        assert!(host.contains(ip("192.168.1.7")));
        assert!(!host.contains(ip("192.168.1.8")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        let one: Cidr = "::1/128".parse().unwrap();
        assert!(one.contains(LOCAL_V6));
        assert!(!one.contains(ip("::2")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        let all6: Cidr = "::/0".parse().unwrap();
        assert!(all6.contains(ip("2001:db8::1")));
        // Host bits are ignored; a mapped IPv4 peer matches its IPv4 network.
        let sloppy: Cidr = "10.1.2.3/8".parse().unwrap();
        assert!(sloppy.contains(ip("10.9.9.9")));
        assert!(net.contains(ip("::ffff:10.0.0.1")));
        let mapped: Cidr = "::ffff:127.0.0.1".parse().unwrap();
        assert!(mapped.contains(LOCAL_V4));
        assert_eq!(" 127.0.0.1/32 ".parse::<Cidr>(), "127.0.0.1".parse());
    }

    #[test]
    fn bad_cidrs_are_refused() {
        for bad in [
            "",
            "10.0.0.0/",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/+8",
            "10.0.0.0/-1",
            "10.0.0.0/8/8",
            "10.0.0",
            "example.com",
            "10.0.0.0/ 8",
            "[::1]/128",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad:?}");
        }
        assert_eq!(
            TrustedProxies::parse(&["10.0.0.0/8", "nope"]),
            Err(CidrError::Address("nope".into()))
        );
        assert!(TrustedProxies::parse::<&str>(&[]).unwrap().is_empty());
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let none = TrustedProxies::default();
        let h = xff(&["1.2.3.4"]);
        assert_eq!(none.client_ip(ip("198.51.100.7"), &h), ip("198.51.100.7"));
        let some = proxies(&["10.0.0.0/8"]);
        assert_eq!(some.client_ip(ip("198.51.100.7"), &h), ip("198.51.100.7"));
        assert!(!Origin::of(ip("198.51.100.7"), &h, &some).via_trusted_proxy);
    }

    #[test]
    fn a_trusted_chain_is_read_from_the_right() {
        let p = proxies(&["10.0.0.0/8", "::1"]);
        let peer = ip("10.0.0.1");
        // One proxy: it appended the client it saw.
        assert_eq!(p.client_ip(peer, &xff(&["203.0.113.5"])), ip("203.0.113.5"));
        // Two of ours: the inner one is skipped.
        assert_eq!(
            p.client_ip(peer, &xff(&["203.0.113.5, 10.0.0.2"])),
            ip("203.0.113.5")
        );
        // The same chain over two header lines.
        assert_eq!(
            p.client_ip(peer, &xff(&["203.0.113.5", "10.0.0.2"])),
            ip("203.0.113.5")
        );
        // Every hop trusted: the leftmost is as far as we can see.
        assert_eq!(
            p.client_ip(peer, &xff(&["10.0.0.3, 10.0.0.2"])),
            ip("10.0.0.3")
        );
        // No header: a trusted peer calling on its own account.
        assert_eq!(p.client_ip(peer, &HeaderMap::new()), peer);
        assert!(Origin::of(peer, &HeaderMap::new(), &p).via_trusted_proxy);
    }

    #[test]
    fn spoofed_leftmost_entries_change_nothing() {
        let p = proxies(&["10.0.0.0/8"]);
        let peer = ip("10.0.0.1");
        // The client sent "X-Forwarded-For: 1.1.1.1, 10.0.0.9" to look like it came
        // through us; our proxy appended what it really saw.
        assert_eq!(
            p.client_ip(peer, &xff(&["1.1.1.1, 10.0.0.9, 198.51.100.4"])),
            ip("198.51.100.4")
        );
        // Garbage to the left of the client is never read.
        assert_eq!(
            p.client_ip(peer, &xff(&["not-an-ip, <script>", "198.51.100.4"])),
            ip("198.51.100.4")
        );
    }

    #[test]
    fn ipv6_chains_and_mapped_addresses() {
        let p = proxies(&["fd00::/8"]);
        assert_eq!(
            p.client_ip(ip("fd00::1"), &xff(&["2001:db8::7, fd00::2"])),
            ip("2001:db8::7")
        );
        // A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d.
        let v4 = proxies(&["127.0.0.1"]);
        assert_eq!(
            v4.client_ip(ip("::ffff:127.0.0.1"), &xff(&["::ffff:203.0.113.5"])),
            ip("203.0.113.5")
        );
        assert_eq!(
            TrustedProxies::default().client_ip(ip("::ffff:198.51.100.1"), &HeaderMap::new()),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn an_unreadable_chain_is_the_peer() {
        let p = proxies(&["10.0.0.0/8"]);
        let peer = ip("10.0.0.1");
        for bad in [
            "garbage",
            "",
            "203.0.113.5:4711",
            "[2001:db8::1]:443",
            "203.0.113.5,",
            "203.0.113.5, unknown",
        ] {
            assert_eq!(p.client_ip(peer, &xff(&[bad])), peer, "{bad:?}");
        }
        // Garbage that a trusted hop vouches for is still garbage.
        assert_eq!(p.client_ip(peer, &xff(&["junk, 10.0.0.2"])), peer);
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"203.0.113.\xff").unwrap(),
        );
        assert_eq!(p.client_ip(peer, &h), peer);
    }
}
