//! The demo page at `/`: a plausible host page with the one-line embed.

use axum::{Router, response::Html, routing::get};

use super::AppState;

const DEMO_PAGE: &str = include_str!("demo.html");

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(|| async { Html(DEMO_PAGE) }))
}
