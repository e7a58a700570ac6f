//! CORS. The `Origin` header is attacker-chosen, so it is checked for the
//! form a browser sends (`scheme://host[:port]`, short) before anything
//! else; the site's allowlist comes from the site cache (`db::cached`),
//! which a settings change clears on every instance.
//!
//! * A site-scoped route (`/api/v1/sites/{site_id}/…`) answers from that
//!   site's allowlist alone, so one tenant's `*` never opens another's.
//! * Every other route is reached with a bearer token (or serves public
//!   assets such as the widget's wasm), and a preflight carries no token,
//!   so it cannot know the caller's site: it reflects any well-formed
//!   origin, without credentials mode, and the token's own site decides on
//!   the real request ([`super::security::check_browser_origin`]: 403, which
//!   the page can then read).

use std::time::Duration;

use axum::http::request::Parts;
use http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::security::site_allows;
use crate::db::Db;

/// Longest `Origin` considered: a 253-character host name with its scheme
/// and port fits.
pub const MAX_ORIGIN_LEN: usize = 300;

/// The CORS layer of the origin server.
pub fn layer(store: Db) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::async_predicate(
            move |origin: HeaderValue, parts: &Parts| {
                let store = store.clone();
                let site = lantern_shared::routes::site_of(parts.uri.path()).map(str::to_string);
                async move {
                    let Some(origin) = origin.to_str().ok().filter(|o| well_formed(o)) else {
                        return false;
                    };
                    match site {
                        Some(site) => site_allows_origin(&store, &site, origin).await,
                        None => true,
                    }
                }
            },
        ))
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("last-event-id"),
            HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::RETRY_AFTER,
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
        ])
        .max_age(Duration::from_secs(600))
}

async fn site_allows_origin(store: &Db, site_id: &str, origin: &str) -> bool {
    let plausible_id = site_id.len() <= 64
        && site_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plausible_id {
        return false;
    }
    matches!(store.site_cached(site_id).await, Ok(Some(site)) if site_allows(&site, origin))
}

/// `http(s)://host[:port]` as browsers send it: lower-case, no path, no
/// user-info, at most [`MAX_ORIGIN_LEN`] bytes.
pub fn well_formed(origin: &str) -> bool {
    if origin.len() > MAX_ORIGIN_LEN {
        return false;
    }
    let Some(rest) = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    else {
        return false;
    };
    // An IPv6 literal is bracketed; otherwise the port follows the only ':'.
    let (host_ok, port) = match rest.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((v6, tail)) => (
                v6.parse::<std::net::Ipv6Addr>().is_ok()
                    && (tail.is_empty() || tail.starts_with(':')),
                tail.strip_prefix(':'),
            ),
            None => (false, None),
        },
        None => {
            let (host, port) = match rest.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            };
            let ok = !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
            (ok, port)
        }
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
    });
    port_ok && host_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_browser_shaped_origins_pass() {
        for ok in [
            "https://site.example",
            "http://127.0.0.1:8080",
            "https://a-b.c.example:443",
            "http://[::1]:3000",
            "http://[::1]",
        ] {
            assert!(well_formed(ok), "{ok}");
        }
        let long = format!("https://{}.example", "a".repeat(MAX_ORIGIN_LEN));
        for bad in [
            "null",
            "site.example",
            "ftp://site.example",
            "https://site.example/",
            "https://Site.example",
            "https://user@site.example",
            "https://site.example:99999x",
            "https://",
            "https://a b",
            "http://[::1]3000",
            long.as_str(),
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
    }
}
