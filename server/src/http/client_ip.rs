//! The client's IP: the TCP peer, unless the peer is a configured trusted
//! proxy, in which case the last untrusted hop of `X-Forwarded-For` — or
//! `CF-Connecting-IP`, but only when the operator says the trusted proxies
//! are Cloudflare's (`LANTERN_TRUSTED_PROXIES_CLOUDFLARE`): any other proxy
//! passes that header on from the client unchanged. Headers from anyone else
//! are ignored, so a client cannot pick its own rate-limit bucket.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::{Extensions, HeaderMap};

pub fn client_ip(
    extensions: &Extensions,
    headers: &HeaderMap,
    trusted: &[ipnet::IpNet],
    cloudflare: bool,
) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let header_ip = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    };
    if cloudflare && let Some(ip) = header_ip("cf-connecting-ip") {
        return Some(ip);
    }
    // Walk X-Forwarded-For from the right: the first hop that is not one of
    // our proxies is the client (left entries can be forged by it).
    if let Some(xff) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        let hops: Vec<IpAddr> = xff
            .split(',')
            .filter_map(|h| h.trim().parse().ok())
            .collect();
        if let Some(ip) = hops.iter().rev().find(|ip| !is_trusted(ip)) {
            return Some(*ip);
        }
    }
    Some(peer)
}

/// The rate-limit bucket of a client: its IPv4 address, or the /64 of an
/// IPv6 one (one subscriber usually holds a whole /64, so counting single
/// addresses would let it rotate through 2^64 budgets).
pub fn rate_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(peer: &str) -> Extensions {
        let mut e = Extensions::new();
        e.insert(ConnectInfo(SocketAddr::new(
            peer.parse().expect("ip"),
            1234,
        )));
        e
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header"));
        }
        h
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let trusted = vec!["10.0.0.0/8".parse().expect("cidr")];
        let spoof = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("cf-connecting-ip", "5.6.7.8"),
        ]);
        assert_eq!(
            client_ip(&ext("203.0.113.9"), &spoof, &trusted, true),
            "203.0.113.9".parse().ok()
        );
        assert_eq!(
            client_ip(&ext("10.1.1.1"), &spoof, &trusted, true),
            "5.6.7.8".parse().ok()
        );
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.2.2.2")]);
        assert_eq!(
            client_ip(&ext("10.1.1.1"), &chain, &trusted, false),
            "198.51.100.7".parse().ok()
        );
    }

    #[test]
    fn cf_connecting_ip_counts_only_behind_cloudflare() {
        let trusted = vec!["10.0.0.0/8".parse().expect("cidr")];
        let forged = headers(&[
            ("cf-connecting-ip", "5.6.7.8"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(
            client_ip(&ext("10.1.1.1"), &forged, &trusted, false),
            "198.51.100.7".parse().ok(),
            "a non-Cloudflare proxy passes the client's own header on"
        );
        let only_cf = headers(&[("cf-connecting-ip", "5.6.7.8")]);
        assert_eq!(
            client_ip(&ext("10.1.1.1"), &only_cf, &trusted, false),
            "10.1.1.1".parse().ok()
        );
    }

    #[test]
    fn ipv6_clients_share_their_64() {
        let a = rate_key("2001:db8:1:2:aaaa::1".parse().expect("ip"));
        let b = rate_key("2001:db8:1:2:ffff:1:2:3".parse().expect("ip"));
        let other = rate_key("2001:db8:1:3::1".parse().expect("ip"));
        assert_eq!(a, b);
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_ne!(a, other);
        assert_eq!(rate_key("::ffff:192.0.2.1".parse().expect("ip")), "192.0.2.1");
        assert_eq!(rate_key("192.0.2.1".parse().expect("ip")), "192.0.2.1");
    }
}
