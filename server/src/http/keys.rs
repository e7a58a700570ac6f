//! A site's admin keys: list (label, created, last used), create with a
//! label (the key is shown once), revoke one. Owners or an admin key.

use axum::{
    Json, Router,
    extract::{Path, State},
    response::IntoResponse,
    routing::{delete, get},
};
use http::StatusCode;
use lantern_shared::{
    accounts::{ApiKey, ApiKeyList, CreateApiKey, CreatedApiKey},
    routes,
};

use super::{AppState, extract::ApiJson, team::owner_of};
use crate::{
    auth::{self, Caller},
    db::{KeyRow, rfc3339},
    error::ApiError,
    validate,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::SITE_KEYS, get(list).post(create))
        .route(routes::SITE_KEY, delete(revoke))
}

fn key(k: KeyRow) -> ApiKey {
    ApiKey {
        id: k.id,
        label: k.label,
        created_at: rfc3339(k.created_at),
        last_used_at: k.last_used_at.map(rfc3339),
    }
}

#[utoipa::path(get, path = "/api/v1/sites/{site_id}/keys", tag = "sites", params(("site_id" = String, Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = ApiKeyList), (status = 401, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
) -> Result<Json<ApiKeyList>, ApiError> {
    owner_of(&caller, &site_id)?;
    let items = state.db.api_keys(&site_id).await?.into_iter().map(key).collect();
    Ok(Json(ApiKeyList { items }))
}

#[utoipa::path(post, path = "/api/v1/sites/{site_id}/keys", tag = "sites", params(("site_id" = String, Path)),
    request_body = CreateApiKey, security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CreatedApiKey, description = "the key is shown only this once"),
        (status = 400, body = lantern_shared::ErrorBody), (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
    ApiJson(req): ApiJson<CreateApiKey>,
) -> Result<impl IntoResponse, ApiError> {
    owner_of(&caller, &site_id)?;
    let label = validate::text("label", &req.label, 100)?;
    let secret = auth::new_secret(auth::ADMIN_KEY_PREFIX);
    let row = state
        .db
        .create_api_key(&site_id, &label, &auth::hash_secret(&secret))
        .await?;
    let k = key(row);
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKey {
            id: k.id,
            label: k.label,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            key: secret,
        }),
    ))
}

/// Revokes one key; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/sites/{site_id}/keys/{id}", tag = "sites",
    params(("site_id" = String, Path), ("id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = lantern_shared::ErrorBody), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path((site_id, id)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    owner_of(&caller, &site_id)?;
    state.db.revoke_api_key(&site_id, &id).await.map_err(|e| match e {
        crate::db::Error::NotFound => ApiError::not_found("key"),
        e => e.into(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}
