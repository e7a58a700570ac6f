//! The client's IP: the TCP peer, unless the peer is a configured trusted
//! proxy, in which case `CF-Connecting-IP` or the last untrusted hop of
//! `X-Forwarded-For`. Headers from anyone else are ignored, so a client
//! cannot pick its own rate-limit bucket.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use http::{Extensions, HeaderMap};

pub fn client_ip(
    extensions: &Extensions,
    headers: &HeaderMap,
    trusted: &[ipnet::IpNet],
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
    if let Some(ip) = header_ip("cf-connecting-ip") {
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
            client_ip(&ext("203.0.113.9"), &spoof, &trusted),
            "203.0.113.9".parse().ok()
        );
        assert_eq!(
            client_ip(&ext("10.1.1.1"), &spoof, &trusted),
            "5.6.7.8".parse().ok()
        );
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.2.2.2")]);
        assert_eq!(
            client_ip(&ext("10.1.1.1"), &chain, &trusted),
            "198.51.100.7".parse().ok()
        );
    }
}
