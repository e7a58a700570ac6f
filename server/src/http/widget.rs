//! Serves the built widget (`scripts/build-widget.sh`'s output folder)
//! under `/widget/`.
//!
//! The build writes every JS and wasm file also as `.br` and `.gz`, so a
//! browser gets the brotli or gzip bytes without the server compressing on
//! each request. Files whose name carries a content hash
//! (`lantern-widget-1a2b3c4d5e6f7a8b.js`) never change under that name and
//! are cached for a year, `immutable`; the rest (`loader.js`, which names
//! the hashed files of the current release) keep the short policy from
//! `shared`, so a release reaches visitors within minutes.

use std::path::Path;

use axum::{
    Router,
    extract::Request,
    http::{HeaderValue, header},
    middleware::{self, Next},
    response::Response,
};
use tower_http::services::ServeDir;

/// The `Cache-Control` of content-hashed files: a year, in browsers and at
/// the edge, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, s-maxage=31536000, immutable";

/// Static files from `dir`, precompressed where the build left `.br`/`.gz`.
pub fn service(dir: &Path) -> Router {
    Router::new()
        .fallback_service(ServeDir::new(dir).precompressed_br().precompressed_gzip())
        .layer(middleware::from_fn(cache_control))
}

/// Sets the cache policy by file name, unless the response has one.
async fn cache_control(req: Request, next: Next) -> Response {
    let hashed = is_hashed(req.uri().path());
    let mut res = next.run(req).await;
    if res.status().is_success() && !res.headers().contains_key(header::CACHE_CONTROL) {
        let value = if hashed {
            HeaderValue::from_static(IMMUTABLE)
        } else {
            let policy = lantern_shared::cache::WIDGET_ASSETS.header_value();
            HeaderValue::from_str(&policy).expect("cache policy is a valid header value")
        };
        res.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    res
}

/// Whether the file name ends in `-<16 hex digits>` before its extension
/// (or before `_bg.wasm`), the build's content hash.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default();
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-').is_some_and(|(_, h)| {
        h.len() == 16 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_hashed_names_are_immutable() {
        assert!(is_hashed("/lantern-widget-0123456789abcdef.js"));
        assert!(is_hashed("/lantern-widget-0123456789abcdef_bg.wasm"));
        assert!(is_hashed("/widget/loader-0123456789abcdef.js"));
        assert!(!is_hashed("/loader.js"));
        assert!(!is_hashed("/lantern-widget.js"));
        assert!(!is_hashed("/lantern-widget-0123456789ABCDEF.js"));
        assert!(!is_hashed("/lantern-widget-0123.js"));
    }
}
