//! Where the server's own outgoing requests may go: webhook deliveries and
//! knowledge imports from URLs. A site's admin chooses the URL, but the
//! request leaves from the Lantern server, inside the operator's network:
//! unless the operator allows it (`LANTERN_ALLOW_PRIVATE_URLS`, or the
//! older webhook-only `LANTERN_WEBHOOK_ALLOW_PRIVATE`), the target may not
//! be on loopback, a private or link-local network (the cloud metadata
//! address among them), CGNAT or unique-local IPv6 — whether the URL names
//! such an address or a host name resolves to one when the request is sent
//! (so a name cannot be re-pointed after it was checked).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || a >= 240
        // 100.64.0.0/10: carrier-grade NAT, often the provider's own network.
        || (a == 100 && (64..128).contains(&b))
        // 198.18.0.0/15: benchmarking.
        || (a == 198 && (b == 18 || b == 19)))
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    // Prefixes that carry an IPv4 address inside: a gateway would forward
    // to that address, so it must be public itself.
    let embedded = |hi: u16, lo: u16| public_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    match seg {
        // 64:ff9b::/96, well-known NAT64: the last 32 bits.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => return embedded(hi, lo),
        // ::a.b.c.d, the deprecated IPv4-compatible form.
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 => return embedded(hi, lo),
        // 2002::/16, 6to4: bits 16..48.
        [0x2002, hi, lo, ..] => return embedded(hi, lo),
        _ => {}
    }
    let first = seg[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local, fec0::/10 the old site-local.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        // 64:ff9b:1::/48, NAT64 for local use (RFC 8215): a private translator.
        || (first == 0x64 && seg[1] == 0xff9b)
        // 100::/64, discard only.
        || (first == 0x100 && seg[1..4] == [0, 0, 0])
        // 2001::/23 holds Teredo (2001::/32, whose client address is hidden),
        // benchmarking (2001:2::/48) and ORCHID (2001:10::/28); 2001:db8::/32
        // is documentation.
        || (first == 0x2001 && (seg[1] < 0x200 || seg[1] == 0x0db8)))
}

/// What an operator sets to allow private targets, for messages.
pub const SWITCH: &str = "LANTERN_ALLOW_PRIVATE_URLS=true";

/// Checks the host of `url` (already parsed, http or https): no
/// credentials, a host, and — unless `allow_private` — no `localhost` or
/// address literal outside the public internet (names are checked again
/// when they are resolved, by [`PublicOnly`]).
pub fn check_host(url: &reqwest::Url, allow_private: bool) -> Result<(), &'static str> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials");
    }
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err("must name a host");
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let ip = bare.parse::<IpAddr>().ok();
    let localhost = host.eq_ignore_ascii_case("localhost");
    if !allow_private && (localhost || ip.is_some_and(|ip| !is_public(ip))) {
        return Err("must not point at a loopback or private address \
             (the server's operator can allow them with LANTERN_ALLOW_PRIVATE_URLS=true, \
             formerly LANTERN_WEBHOOK_ALLOW_PRIVATE=true)");
    }
    Ok(())
}

/// A resolver that drops private addresses, used for deliveries and
/// imports unless the operator allows private targets. A name with only
/// private addresses fails to resolve, which the caller reports as such.
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .collect();
            let public: Vec<SocketAddr> =
                all.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves only to private addresses").into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(s: &str) -> bool {
        is_public(s.parse().expect("an IP address"))
    }

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "2001:db8::1",
            // IPv4 addresses reached through IPv6 transition prefixes.
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1.2.3.4",
            "2002:a00:1::1",
            "2002:7f00:1::",
            "::169.254.169.254",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "100::1",
            "fec0::1",
        ] {
            assert!(!public(ip), "{ip} counted as public");
        }
        for ip in [
            "93.184.215.14",
            "1.1.1.1",
            "100.128.0.1",
            "2606:4700::1111",
            "64:ff9b::5db8:d70e",
            "2002:5db8:d70e::1",
            "2a00:1450:4001::1",
        ] {
            assert!(public(ip), "{ip} counted as private");
        }
    }

    #[tokio::test]
    async fn names_of_private_hosts_do_not_resolve() {
        let name: Name = "localhost".parse().expect("a name");
        let err = PublicOnly.resolve(name).await.err().expect("refused");
        assert!(err.to_string().contains("private"), "{err}");
    }
}
