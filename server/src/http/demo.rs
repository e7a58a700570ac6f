//! The demo page at `/`: a plausible host page with the one-line embed.

use axum::{Router, response::Html, routing::get};
use http::header::CONTENT_SECURITY_POLICY;

use super::AppState;

const DEMO_PAGE: &str = include_str!("demo.html");

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/",
        get(|| async {
            (
                [(CONTENT_SECURITY_POLICY, super::security::PAGE_CSP)],
                Html(DEMO_PAGE),
            )
        }),
    )
}
