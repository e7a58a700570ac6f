//! Canned responses: owners (and admin keys) define them, every member
//! reads them for the composer's `/shortcut`.

use axum::{
    Json, Router,
    extract::{Path, State},
    response::IntoResponse,
    routing::{get, patch},
};
use http::StatusCode;
use lantern_shared::{
    inbox::{CannedResponse, CannedResponseList, NewCannedResponse, UpdateCannedResponse},
    routes,
};

use super::{AppState, extract::ApiJson, team::owner_of};
use crate::{auth::Caller, error::ApiError, validate};

/// The most canned responses a site may keep.
pub const MAX_CANNED: i64 = 500;
const MAX_CONTENT: usize = 4000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::SITE_CANNED, get(list).post(create))
        .route(routes::SITE_CANNED_ONE, patch(update).delete(remove))
}

fn shortcut(value: &str) -> Result<String, ApiError> {
    let value = value.trim().trim_start_matches('/');
    let ok = (1..=32).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(value.to_string())
    } else {
        Err(ApiError::field(
            "shortcut",
            "must be 1–32 of a-z, 0-9, '-' and '_'",
        ))
    }
}

#[utoipa::path(get, path = "/api/v1/sites/{site_id}/canned-responses", tag = "inbox",
    params(("site_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CannedResponseList), (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
) -> Result<Json<CannedResponseList>, ApiError> {
    if !caller.is_staff() || caller.site_id() != site_id {
        return Err(ApiError::Forbidden("this needs a member of the site".into()));
    }
    let items = state.db.canned_responses(&site_id).await?;
    Ok(Json(CannedResponseList { items }))
}

#[utoipa::path(post, path = "/api/v1/sites/{site_id}/canned-responses", tag = "inbox",
    params(("site_id" = String, Path)), request_body = NewCannedResponse,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = CannedResponse), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody),
        (status = 409, body = lantern_shared::ErrorBody, description = "the shortcut is taken, or the site has 500")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
    ApiJson(req): ApiJson<NewCannedResponse>,
) -> Result<impl IntoResponse, ApiError> {
    owner_of(&caller, &site_id)?;
    let shortcut = shortcut(&req.shortcut)?;
    let content = validate::text("content", &req.content, MAX_CONTENT)?;
    if state.db.canned_count(&site_id).await? >= MAX_CANNED {
        return Err(ApiError::Conflict(format!(
            "a site keeps at most {MAX_CANNED} canned responses"
        )));
    }
    let created = state.db.create_canned(&site_id, &shortcut, &content).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(patch, path = "/api/v1/sites/{site_id}/canned-responses/{id}", tag = "inbox",
    params(("site_id" = String, Path), ("id" = String, Path)), request_body = UpdateCannedResponse,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = CannedResponse), (status = 400, body = lantern_shared::ErrorBody),
        (status = 404, body = lantern_shared::ErrorBody), (status = 409, body = lantern_shared::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((site_id, id)): Path<(String, String)>,
    ApiJson(req): ApiJson<UpdateCannedResponse>,
) -> Result<Json<CannedResponse>, ApiError> {
    owner_of(&caller, &site_id)?;
    let id = validate::id("canned response", &id)?;
    let shortcut = req.shortcut.as_deref().map(shortcut).transpose()?;
    let content = match req.content.as_deref() {
        Some(c) => Some(validate::text("content", c, MAX_CONTENT)?),
        None => None,
    };
    let updated = state
        .db
        .update_canned(&site_id, id, shortcut.as_deref(), content.as_deref())
        .await
        .map_err(not_found)?;
    Ok(Json(updated))
}

#[utoipa::path(delete, path = "/api/v1/sites/{site_id}/canned-responses/{id}", tag = "inbox",
    params(("site_id" = String, Path), ("id" = String, Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path((site_id, id)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    owner_of(&caller, &site_id)?;
    let id = validate::id("canned response", &id)?;
    state.db.delete_canned(&site_id, id).await.map_err(not_found)?;
    Ok(StatusCode::NO_CONTENT)
}

fn not_found(e: crate::db::Error) -> ApiError {
    match e {
        crate::db::Error::NotFound => ApiError::not_found("canned response"),
        e => e.into(),
    }
}
