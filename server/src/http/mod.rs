//! The origin's HTTP surface: one module per resource, merged here with the
//! layers every request passes (request id, tracing, body limit, envelope).

mod attachments;
pub mod client_ip;
mod canned;
mod console;
mod conversations;
pub mod cors;
mod demo;
pub mod docs;
pub mod envelope;
mod events;
pub mod extract;
mod feedback;
mod health;
mod inbox;
mod conversation_log;
mod insights;
mod insights_export;
mod keys;
mod knowledge;
mod curated;
mod documents;
pub mod limits;
mod messages;
mod new_site;
mod privacy;
pub mod security;
mod member;
pub mod session;
pub mod stream_caps;
mod site_admin;
mod site_events;
mod sites;
mod sources;
mod team;
mod uploads;
mod visitors;
mod webhooks;
mod widget;

use std::sync::Arc;

use axum::{Router, extract::DefaultBodyLimit, middleware};
use std::time::Duration;

use http::{HeaderName, HeaderValue, StatusCode, header};
use tower_http::{
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer,
    trace::{DefaultOnResponse, TraceLayer},
};

use crate::{
    chat::Chat, common, knowledge::KnowledgeBase, ratelimit::RateLimiter, redis_link::RedisLink,
    settings::Settings, validate::MAX_BODY_BYTES,
};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database, for plain reads and writes; rules live in `chat`.
    pub db: crate::db::Db,
    pub chat: Chat,
    pub knowledge: KnowledgeBase,
    /// Where files shared in conversations are stored.
    pub attachments: crate::attachments::Attachments,
    pub limiter: RateLimiter,
    /// Open event streams per visitor and per address.
    pub streams: stream_caps::StreamCaps,
    /// Members with an inbox stream open on this instance.
    pub presence: crate::inbox::Presence,
    /// Site config and knowledge search responses (Redis or in process).
    pub cache: crate::kvcache::KvCache,
    /// Present when `REDIS_URL` is set (connected or not).
    pub redis: Option<RedisLink>,
    pub settings: Arc<Settings>,
    pub started: std::time::Instant,
    /// Turns true when the server starts shutting down: live streams then
    /// send a final `reconnect` event and end.
    pub closing: tokio::sync::watch::Receiver<bool>,
}

impl AppState {
    /// The client's address under this server's proxy settings (see
    /// [`client_ip::client_ip`]); the rate limits, sign-in limits and stream
    /// caps all count by it.
    pub fn client_ip(
        &self,
        extensions: &http::Extensions,
        headers: &http::HeaderMap,
    ) -> Option<std::net::IpAddr> {
        client_ip::client_ip(
            extensions,
            headers,
            &self.settings.trusted_proxies,
            self.settings.trusted_proxies_cloudflare,
        )
    }
}

/// The full router of the origin server.
pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static(envelope::REQUEST_ID);
    let limited = Router::new()
        .merge(common::router(common::Side::Origin))
        .merge(health::router())
        .merge(demo::router())
        .merge(docs::router())
        .merge(sites::router())
        .merge(conversations::router())
        .merge(messages::router())
        .merge(events::router())
        .merge(inbox::router())
        .merge(canned::router())
        .merge(visitors::router())
        .merge(site_events::router())
        .merge(feedback::router())
        .merge(site_admin::router())
        .merge(webhooks::router())
        .merge(session::router())
        .merge(team::router())
        .merge(keys::router())
        .merge(curated::router())
        .merge(privacy::router())
        .merge(insights::router())
        .merge(conversation_log::router())
        .merge(insights_export::router())
        .merge(sources::router())
        .merge(new_site::router())
        .merge(console::router(&state.settings.console_dir))
        .nest_service(
            lantern_shared::routes::WIDGET_PREFIX,
            widget::service(&state.settings.widget_dir),
        )
        .fallback(envelope::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    // The knowledge, upload and attachment routes set their own body
    // limits (documents and files are larger than messages), so they sit
    // outside the global one; every other layer applies to them too.
    Router::new()
        .merge(limited)
        .merge(knowledge::router())
        .merge(uploads::router())
        .merge(attachments::router(&state.settings))
        .route_layer(middleware::from_fn(crate::stats::track))
        // Members' cookie sessions; loaded only by routes that ask for one.
        .layer(crate::accounts::layer(session_store(&state)))
        // Bounds the time to the response head; streamed bodies (SSE) go on.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(state.settings.request_timeout_secs),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), limits::per_ip))
        .layer(cors::layer(state.db.clone()))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(middleware::from_fn(envelope::complete))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::extract::Request| {
            let id = req
                .headers()
                .get(envelope::REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        })
        // One line per request, at info, inside the span that carries its id.
        .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Where sessions live: Redis when configured (shared by every instance),
/// else the database.
fn session_store(state: &AppState) -> crate::accounts::session_store::Store {
    match &state.redis {
        Some(link) => crate::accounts::session_store::Store::Redis(link.clone()),
        None => crate::accounts::session_store::Store::Db(state.db.clone()),
    }
}
