//! Serves the built widget (Trunk's output folder) under `/widget/`.

use std::path::Path;

use axum::http::{HeaderValue, header};
use tower::Layer;
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

/// Static files from `dir`, with the cache policy defined in `shared`.
pub fn service(dir: &Path) -> tower_http::set_header::SetResponseHeader<ServeDir, HeaderValue> {
    let policy = lantern_shared::cache::WIDGET_ASSETS.header_value();
    let value = HeaderValue::from_str(&policy).expect("cache policy is a valid header value");
    SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, value)
        .layer(ServeDir::new(dir).precompressed_gzip())
}
