//! Serves the owner console (Trunk's output folder) under `/console/`. Asset
//! names carry a content hash, so browsers keep them for a year; the page
//! itself is revalidated on every load (a new build shows at once) and gets
//! a CSP that admits only our scripts plus Trunk's inline start-up script
//! (by its hash). Any other path under `/console/` is the app's page.

use std::path::{Path, PathBuf};

use axum::{
    Router,
    extract::{Request, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use http::{HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};
use tower_http::services::ServeDir;

use super::AppState;

/// A year: hashed names change whenever their content does.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub fn router(dir: &Path) -> Router<AppState> {
    let index = get(page).with_state(dir.to_path_buf());
    let files = ServeDir::new(dir)
        .precompressed_gzip()
        .append_index_html_on_directories(false)
        .fallback(index);
    Router::new()
        .nest_service(lantern_shared::routes::CONSOLE_PREFIX, files)
        .layer(middleware::from_fn(cache_headers))
}

/// True for Trunk's content-hashed file names (`name-0123456789abcdef.js`,
/// `…_bg.wasm`, `style-….css`).
fn is_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let stem = file.split('.').next().unwrap_or_default();
    stem.rsplit('-').next().is_some_and(|h| {
        let h = h.strip_suffix("_bg").unwrap_or(h);
        // Trunk writes 64-bit hashes in hex without leading zeros.
        (12..=16).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

async fn cache_headers(request: Request, next: Next) -> Response {
    let hashed = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if response.status() == StatusCode::OK && !response.headers().contains_key(header::CACHE_CONTROL) {
        let value = if hashed { IMMUTABLE } else { "no-cache" };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

/// The app's page, for `/console/` and every path the app owns.
async fn page(State(dir): State<PathBuf>) -> Response {
    let Ok(html) = tokio::fs::read_to_string(dir.join("index.html")).await else {
        return (
            StatusCode::NOT_FOUND,
            "The console is not built: run scripts/build-console.sh (or set LANTERN_CONSOLE_DIR).",
        )
            .into_response();
    };
    let csp = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'self'",
        inline_script_hashes(&html)
    );
    let mut response = axum::response::Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

/// ` 'sha256-…'` for each inline `<script>` of `html` (Trunk's loader).
fn inline_script_hashes(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let tag = &rest[start..];
        let Some(open_end) = tag.find('>') else { break };
        let Some(close) = tag.find("</script>") else { break };
        let opening = &tag[..open_end];
        if !opening.contains("src=") && close > open_end {
            let body = &tag[open_end + 1..close];
            out.push_str(&format!(" 'sha256-{}'", STANDARD.encode(Sha256::digest(body.as_bytes()))));
        }
        rest = &tag[close + "</script>".len()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_hashed("/console/lantern-console-0123456789abcdef.js"));
        assert!(is_hashed("/console/lantern-console-0123456789abcdef_bg.wasm"));
        assert!(is_hashed("/console/style-fedcba9876543210.css"));
        assert!(is_hashed("/console/lantern-console-8e9b1c920c62a85.js"));
        assert!(!is_hashed("/console/preview.js"));
        assert!(!is_hashed("/console/"));
    }

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_skipped() {
        let html = r#"<script src="/x.js"></script><script type="module">init()</script>"#;
        let h = inline_script_hashes(html);
        assert_eq!(h.matches("'sha256-").count(), 1, "{h}");
    }
}
