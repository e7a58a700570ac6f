//! Where webhook requests may go. A site's admin chooses the receiver URL,
//! but the request leaves from the Lantern server, inside the operator's
//! network: unless the operator allows it (`LANTERN_WEBHOOK_ALLOW_PRIVATE`),
//! a receiver may not be on loopback, a private or link-local network (the
//! cloud metadata address among them), CGNAT or unique-local IPv6 — whether
//! the URL names such an address or a host name resolves to one when the
//! request is sent (so a name cannot be re-pointed after registration).

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
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local, 2001:db8::/32 documentation.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

/// A resolver that drops private addresses, used for deliveries unless the
/// operator allows private receivers. A name with only private addresses
/// fails to resolve, which the delivery log shows as such.
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
        ] {
            assert!(!public(ip), "{ip} counted as public");
        }
        for ip in ["93.184.215.14", "1.1.1.1", "100.128.0.1", "2606:4700::1111"] {
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
