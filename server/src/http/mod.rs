//! The origin's HTTP surface: one module per resource, merged here.

mod demo;
mod health;
mod widget;

use std::sync::Arc;

use axum::Router;
use tower_http::trace::TraceLayer;

use crate::{common, db::Pool, settings::Settings};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub started: std::time::Instant,
}

/// The full router of the origin server.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(common::router(common::Side::Origin))
        .merge(health::router())
        .merge(demo::router())
        .nest_service(
            lantern_shared::routes::WIDGET_PREFIX,
            widget::service(&state.settings.widget_dir),
        )
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
