//! Browser-facing protections: the rule that a browser may use a key or
//! token only from its site's origins, and security headers. CORS itself is
//! in [`super::cors`].

use http::{HeaderMap, header};

use crate::{
    db::{Db, Site},
    error::ApiError,
};

/// The CSP of Lantern's own HTML pages (demo and docs): only our scripts,
/// wasm allowed for the widget, styles inline for the widget's shadow root.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

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
        .site_cached(site_id)
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
