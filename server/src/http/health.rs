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
}

/// 200 when the database answers; 503 naming the database otherwise.
async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state
        .pool
        .ping()
        .await
        .map_err(|e| ApiError::Unavailable(format!("database: {e}")))?;
    Ok(Json(
        json!({"status": "ready", "checks": {"database": "ok"}}),
    ))
}

async fn diagnostics(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": "ok",
        "version": crate::VERSION,
        "uptime_seconds": state.started.elapsed().as_secs(),
        "database": {"backend": state.pool.backend()},
    }))
}
