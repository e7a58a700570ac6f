//! Handlers served identically by the origin and the edge worker.

use axum::{Json, Router, routing::get};
use lantern_shared::{health::Liveness, routes};

/// Which side is answering, reported in health bodies so a caller can tell
/// whether the edge or the origin replied.
#[derive(Debug, Clone, Copy)]
pub enum Side {
    Origin,
    Edge,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Origin => "origin",
            Side::Edge => "edge",
        }
    }
}

/// Routes both builds answer themselves.
pub fn router<S: Clone + Send + Sync + 'static>(side: Side) -> Router<S> {
    Router::new().route(
        routes::HEALTH_LIVE,
        get(move || async move { Json(Liveness::ok(side.name(), crate::VERSION)) }),
    )
}
