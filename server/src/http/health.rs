//! Readiness and diagnostics. Liveness is in [`crate::common`], shared with the edge.

use axum::{Json, Router, extract::State, routing::get};
use lantern_shared::routes;
use serde_json::{Value, json};

use super::AppState;
use crate::error::ApiError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::HEALTH_READY, get(ready))
        .route(routes::HEALTH, get(diagnostics))
        .route(routes::METRICS, get(metrics))
}

/// 200 when the database answers; 503 naming the database otherwise.
/// Redis, when configured, is reported as `ok` or `degraded`: without it an
/// instance still serves (events stay local, limits count locally), so it
/// stays ready.
async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    // Probes must answer quickly, whatever the pool is doing.
    let ping =
        tokio::time::timeout(std::time::Duration::from_secs(2), state.db.ping()).await;
    if !matches!(ping, Ok(Ok(()))) {
        return Err(ApiError::Unavailable(
            "not ready: database is not reachable".into(),
        ));
    }
    let mut checks = json!({"database": "ok"});
    let mut status = "ready";
    if let Some(link) = &state.redis {
        let ok = link.healthy().await && link.is_subscribed();
        checks["redis"] = json!(if ok { "ok" } else { "degraded" });
        if !ok {
            status = "degraded";
        }
    }
    Ok(Json(json!({"status": status, "checks": checks})))
}

async fn diagnostics(State(state): State<AppState>) -> Json<Value> {
    let store = &state.db;
    let (size, idle) = store.pool_stats();
    Json(json!({
        "status": "ok",
        "version": crate::VERSION,
        "uptime_seconds": state.started.elapsed().as_secs(),
        "database": {
            "backend": store.backend(),
            "pool": {"size": size, "idle": idle, "in_use": size.saturating_sub(idle)},
        },
        "live_event_channels": state.chat.hub.watched(),
        "cache": {
            "backend": if state.redis.is_some() { "redis" } else { "memory" },
            "hit_rate": state.cache.hit_rate(),
        },
        "redis": {"configured": state.redis.is_some()},
        "llm": {"configured": state.settings.llm.is_some(),
                "provider": state.settings.llm.as_ref().map(|l| format!("{:?}", l.provider).to_lowercase())},
    }))
}

/// Prometheus text format. Pool gauges are sampled now, at scrape time.
async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    let (size, idle) = state.db.pool_stats();
    crate::stats::pool(size, idle);
    (
        [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::stats::handle().render(),
    )
}
