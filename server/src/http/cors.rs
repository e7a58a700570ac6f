//! CORS. The `Origin` header is attacker-chosen, so it is checked for the
//! form a browser sends (`scheme://host[:port]`, short) before anything
//! else, and only *allowed* verdicts are remembered, in a bounded cache.
//!
//! * A site-scoped route (`/api/v1/sites/{site_id}/…`) answers from that
//!   site's allowlist alone, so one tenant's `*` never opens another's.
//! * Every other route is reached with a bearer token (or serves public
//!   assets such as the widget's wasm), and a preflight carries no token,
//!   so it cannot know the caller's site: it reflects any well-formed
//!   origin, without credentials mode, and the token's own site decides on
//!   the real request ([`super::security::check_browser_origin`]: 403, which
//!   the page can then read).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::http::request::Parts;
use http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::security::site_allows;
use crate::db::Db;

/// Longest `Origin` considered: a 253-character host name with its scheme
/// and port fits.
pub const MAX_ORIGIN_LEN: usize = 300;
/// How long an allowed (site, origin) pair is reused.
const ALLOWED_FOR: Duration = Duration::from_secs(10);
/// Most (site, origin) pairs remembered.
pub const CACHE_ENTRIES: usize = 4096;

/// The CORS layer of the origin server.
pub fn layer(store: Db) -> CorsLayer {
    let cache = Arc::new(AllowedCache::default());
    CorsLayer::new()
        .allow_origin(AllowOrigin::async_predicate(
            move |origin: HeaderValue, parts: &Parts| {
                let (store, cache) = (store.clone(), cache.clone());
                let site = lantern_shared::routes::site_of(parts.uri.path()).map(str::to_string);
                async move {
                    let Some(origin) = origin.to_str().ok().filter(|o| well_formed(o)) else {
                        return false;
                    };
                    match site {
                        Some(site) => site_allows_origin(&store, &cache, &site, origin).await,
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

async fn site_allows_origin(
    store: &Db,
    cache: &AllowedCache,
    site_id: &str,
    origin: &str,
) -> bool {
    if cache.allowed(site_id, origin) {
        return true;
    }
    let plausible_id = site_id.len() <= 64
        && site_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !plausible_id {
        return false;
    }
    let allowed = matches!(store.site(site_id).await, Ok(Some(site)) if site_allows(&site, origin));
    if allowed {
        cache.remember(site_id, origin);
    }
    allowed
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

/// Allowed (site, origin) pairs with the time they were checked. Only
/// allowed pairs go in, so refused origins cannot fill it; it is cleared
/// when full, which costs one lookup per pair again.
#[derive(Default)]
pub struct AllowedCache {
    entries: Mutex<HashMap<(String, String), Instant>>,
}

impl AllowedCache {
    pub fn allowed(&self, site: &str, origin: &str) -> bool {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&(site.to_string(), origin.to_string()))
            .is_some_and(|at| at.elapsed() < ALLOWED_FOR)
    }

    pub fn remember(&self, site: &str, origin: &str) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CACHE_ENTRIES {
            map.clear();
        }
        map.insert((site.to_string(), origin.to_string()), Instant::now());
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
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

    #[test]
    fn the_cache_stays_bounded_under_many_long_origins() {
        let cache = AllowedCache::default();
        for i in 0..(CACHE_ENTRIES * 3) {
            let origin = format!("https://{}{i}.example", "x".repeat(250));
            cache.remember("star-site", &origin);
            assert!(cache.len() <= CACHE_ENTRIES);
        }
        assert!(!cache.is_empty());
    }
}
