//! The origin's HTTP surface: one module per resource, merged here with the
//! layers every request passes (request id, tracing, body limit, envelope).

mod conversations;
mod demo;
pub mod docs;
pub mod envelope;
mod events;
pub mod extract;
mod feedback;
mod health;
mod messages;
mod sites;
mod widget;

use std::sync::Arc;

use axum::{Router, extract::DefaultBodyLimit, middleware};
use http::HeaderName;
use tower_http::{
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{chat::Chat, common, settings::Settings, validate::MAX_BODY_BYTES};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub chat: Chat,
    pub settings: Arc<Settings>,
    pub started: std::time::Instant,
}

/// The full router of the origin server.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static(envelope::REQUEST_ID);
    Router::new()
        .merge(common::router(common::Side::Origin))
        .merge(health::router())
        .merge(demo::router())
        .merge(docs::router())
        .merge(sites::router())
        .merge(conversations::router())
        .merge(messages::router())
        .merge(events::router())
        .merge(feedback::router())
        .nest_service(
            lantern_shared::routes::WIDGET_PREFIX,
            widget::service(&state.settings.widget_dir),
        )
        .fallback(envelope::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(middleware::from_fn(envelope::complete))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
            let id = req
                .headers()
                .get(envelope::REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
