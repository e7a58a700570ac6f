//! A site's webhook endpoints and their delivery logs (admin key).

use axum::{
    Json, Router,
    extract::{Path, State},
    response::IntoResponse,
    routing::{delete, get},
};
use http::StatusCode;
use lantern_shared::{
    api::{CreateWebhook, Webhook, WebhookDeliveryList, WebhookList},
    routes,
};

use super::{AppState, extract::ApiJson, site_admin::own_site};
use crate::{auth, auth::Caller, error::ApiError, webhooks};

/// Endpoints one site may register.
const MAX_ENDPOINTS: usize = 20;
/// Deliveries one log page shows.
const LOG_LIMIT: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::SITE_WEBHOOKS, get(list).post(create))
        .route(routes::SITE_WEBHOOK, delete(remove))
        .route(routes::SITE_WEBHOOK_DELIVERIES, get(deliveries))
}

/// Registers an endpoint; the signing secret is shown in this response only.
#[utoipa::path(post, path = "/api/v1/sites/{site_id}/webhooks", tag = "webhooks",
    params(("site_id" = String, Path)), request_body = CreateWebhook, security(("bearer" = [])),
    responses((status = 201, body = Webhook), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
    ApiJson(req): ApiJson<CreateWebhook>,
) -> Result<impl IntoResponse, ApiError> {
    let site = own_site(&state, &caller, &site_id).await?;
    let url = req.url.trim();
    webhooks::check_url(url, state.settings.allow_private()).map_err(|p| ApiError::field("url", p))?;
    if req.events.is_empty() {
        return Err(ApiError::field(
            "events",
            "must list at least one event type",
        ));
    }
    let mut events: Vec<String> = Vec::new();
    for e in &req.events {
        if !webhooks::EVENTS.contains(&e.as_str()) {
            return Err(ApiError::field(
                "events",
                format!("{e:?} is not one of {}", webhooks::EVENTS.join(", ")),
            ));
        }
        if !events.contains(e) {
            events.push(e.clone());
        }
    }
    if state.db.webhooks(&site.id).await?.len() >= MAX_ENDPOINTS {
        return Err(ApiError::Conflict(format!(
            "a site may register at most {MAX_ENDPOINTS} webhook endpoints"
        )));
    }
    let secret = auth::new_secret("lwh_");
    let endpoint = state.db.create_webhook(&site.id, url, &events, &secret)
        .await?;
    Ok((StatusCode::CREATED, Json(endpoint.to_api(true))))
}

#[utoipa::path(get, path = "/api/v1/sites/{site_id}/webhooks", tag = "webhooks",
    params(("site_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = WebhookList), (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
) -> Result<Json<WebhookList>, ApiError> {
    let site = own_site(&state, &caller, &site_id).await?;
    let items = state.db.webhooks(&site.id).await?;
    Ok(Json(WebhookList {
        items: items.iter().map(|e| e.to_api(false)).collect(),
    }))
}

/// Removes an endpoint and its delivery log; queued deliveries are dropped.
#[utoipa::path(delete, path = "/api/v1/sites/{site_id}/webhooks/{id}", tag = "webhooks",
    params(("site_id" = String, Path), ("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((site_id, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let site = own_site(&state, &caller, &site_id).await?;
    state.db.delete_webhook(&site.id, &id)
        .await
        .map_err(not_found)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The newest deliveries of an endpoint, with their attempts and outcomes.
#[utoipa::path(get, path = "/api/v1/sites/{site_id}/webhooks/{id}/deliveries", tag = "webhooks",
    params(("site_id" = String, Path), ("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = WebhookDeliveryList), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: Caller,
    Path((site_id, id)): Path<(String, String)>,
) -> Result<Json<WebhookDeliveryList>, ApiError> {
    let site = own_site(&state, &caller, &site_id).await?;
    let endpoint = state.db.webhook(&site.id, &id).await.map_err(not_found)?;
    let items = state.db.deliveries(&endpoint.id, LOG_LIMIT).await?;
    Ok(Json(WebhookDeliveryList { items }))
}

fn not_found(e: crate::db::Error) -> ApiError {
    match e {
        crate::db::Error::NotFound => ApiError::not_found("webhook"),
        e => e.into(),
    }
}
