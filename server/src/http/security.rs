//! Browser-facing protections: CORS from the sites' allowed origins, the
//! rule that a browser may use a key or token only from its site's origins,
//! and security headers.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::{
    db::{Db, Site},
    error::ApiError,
};

/// The CSP of Lantern's own HTML pages (demo and docs): only our scripts,
/// wasm allowed for the widget, styles inline for the widget's shadow root.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// How long a CORS verdict on an origin is reused.
const ORIGIN_MEMORY: Duration = Duration::from_secs(10);

type KnownOrigins = Arc<Mutex<HashMap<String, (bool, Instant)>>>;

/// CORS: preflights and responses allow an origin listed by some site. What a
/// token may do is then checked per site by [`check_browser_origin`].
pub fn cors(store: Db) -> CorsLayer {
    // The predicate runs on every cross-origin request (every widget call
    // from an embedding page), and the answer only changes when a site's
    // origins do: remember it briefly instead of scanning the sites each time.
    let known: KnownOrigins = Arc::default();
    CorsLayer::new()
        .allow_origin(AllowOrigin::async_predicate(
            move |origin: HeaderValue, _parts: &Parts| {
                let (store, known) = (store.clone(), known.clone());
                async move {
                    let Ok(origin) = origin.to_str() else {
                        return false;
                    };
                    let remembered = known.lock().ok().and_then(|m| m.get(origin).copied());
                    if let Some((allowed, at)) = remembered
                        && at.elapsed() < ORIGIN_MEMORY
                    {
                        return allowed;
                    }
                    let allowed = store.origin_known(origin).await.unwrap_or(false);
                    if let Ok(mut map) = known.lock() {
                        if map.len() > 10_000 {
                            map.clear(); // bounded: origins are attacker-chosen
                        }
                        map.insert(origin.to_string(), (allowed, Instant::now()));
                    }
                    allowed
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

/// The request's `Origin` when it is a cross-origin browser request.
pub fn foreign_origin(headers: &HeaderMap) -> Option<&str> {
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let same = host.is_some_and(|h| origin.split_once("://").is_some_and(|(_, o)| o == h));
    (!same).then_some(origin)
}

/// True when `site` lets pages at `origin` use it.
pub fn site_allows(site: &Site, origin: &str) -> bool {
    origin != "null"
        && site
            .allowed_origins
            .iter()
            .any(|o| o == "*" || o.trim_end_matches('/') == origin)
}

/// A browser on another origin may use a key or token only if the caller's
/// site allows that origin: an admin key pasted into some other page, or a
/// visitor token carried off to another site, stops working there.
pub async fn check_browser_origin(
    store: &Db,
    headers: &HeaderMap,
    site_id: &str,
) -> Result<(), ApiError> {
    let Some(origin) = foreign_origin(headers) else {
        return Ok(());
    };
    let site = store
        .site(site_id)
        .await?
        .ok_or_else(|| ApiError::not_found("site"))?;
    if site_allows(&site, origin) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "origin {origin} is not allowed for this site"
        )))
    }
}
