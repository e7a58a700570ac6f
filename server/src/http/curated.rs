//! Curated answers over HTTP (admin key or owner): list, add, delete. The
//! answer engine matches them ahead of retrieval; a change retires the
//! site's cached searches like a document change does.

use axum::{
    Json, Router,
    extract::{Path, State},
    response::IntoResponse,
    routing::{delete, get},
};
use http::StatusCode;
use lantern_shared::{
    knowledge::{CreateCuratedAnswer, CuratedAnswer, CuratedAnswers},
    routes,
};

use super::{AppState, extract::ApiJson};
use crate::{auth::Caller, error::ApiError, knowledge::curated, validate};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::KNOWLEDGE_ANSWERS, get(list).post(create))
        .route(routes::KNOWLEDGE_ANSWER, delete(remove))
}

fn admin_site(caller: &Caller) -> Result<&str, ApiError> {
    caller.admin_site().ok_or_else(|| {
        ApiError::Forbidden(
            "curated answers are managed with the site's admin key or by an owner".into(),
        )
    })
}

/// The site's curated answers, oldest first (at most 500).
#[utoipa::path(get, path = "/api/v1/knowledge/answers", tag = "knowledge",
    security(("bearer" = [])),
    responses((status = 200, body = CuratedAnswers), (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<CuratedAnswers>, ApiError> {
    let rows = state.db.curated(admin_site(&caller)?).await?;
    Ok(Json(CuratedAnswers {
        items: rows.into_iter().map(curated::to_api).collect(),
    }))
}

/// Adds a curated answer: visitors whose question is close enough to
/// `question` get `answer`, cited as curated, ahead of retrieval.
#[utoipa::path(post, path = "/api/v1/knowledge/answers", tag = "knowledge",
    request_body = CreateCuratedAnswer, security(("bearer" = [])),
    responses((status = 201, body = CuratedAnswer), (status = 400, body = lantern_shared::ErrorBody),
              (status = 403, body = lantern_shared::ErrorBody), (status = 409, body = lantern_shared::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateCuratedAnswer>,
) -> Result<impl IntoResponse, ApiError> {
    let site = state.chat.site(admin_site(&caller)?).await?;
    let language = site.languages.first().map_or("en", String::as_str);
    let created = curated::add(&state.db, &site.id, language, req).await?;
    state.cache.bump(&format!("kb:{}", site.id)).await;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Deletes a curated answer.
#[utoipa::path(delete, path = "/api/v1/knowledge/answers/{id}", tag = "knowledge",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let site = admin_site(&caller)?;
    let id = validate::id("answer", &id)?;
    if !state.db.delete_curated(site, id).await? {
        return Err(ApiError::not_found("curated answer"));
    }
    state.cache.bump(&format!("kb:{site}")).await;
    Ok(StatusCode::NO_CONTENT)
}
