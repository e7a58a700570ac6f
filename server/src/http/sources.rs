//! URL sources of the knowledge base: add a page or a sitemap (imported in
//! the background, progress readable), list them, sync one again, delete
//! one with its pages. Owners and admin keys.

use axum::{
    Json, Router,
    extract::{Path, State},
    routing::{get, post},
};
use http::StatusCode;
use lantern_shared::{
    knowledge::{CreateSource, Source, SourceAccepted, SourceKind, Sources},
    routes,
};

use super::{AppState, extract::ApiJson, knowledge::admin_site};
use crate::{
    auth::Caller,
    db::{SourceRow, rfc3339},
    error::ApiError,
    knowledge::{fetch::{Fetcher, check_url}, sources::Importer},
    validate,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::KNOWLEDGE_SOURCES, get(list).post(create))
        .route(routes::KNOWLEDGE_SOURCE_SYNC, post(sync))
        .route(routes::KNOWLEDGE_SOURCE, axum::routing::delete(remove))
}

fn to_api(r: SourceRow) -> Source {
    Source {
        kind: if r.kind == "sitemap" { SourceKind::Sitemap } else { SourceKind::Page },
        id: r.id,
        url: r.url,
        state: r.state,
        error: r.error,
        pages_total: r.pages_total,
        pages_done: r.pages_done,
        pages_failed: r.pages_failed,
        created_at: rfc3339(r.created_at),
        updated_at: rfc3339(r.updated_at),
        synced_at: r.synced_at.map(rfc3339),
    }
}

/// Claims the source and starts its import in the background.
async fn start(state: &AppState, site_id: &str, id: &str) -> Result<SourceAccepted, ApiError> {
    let site = state.chat.site(site_id).await?;
    let claimed = state
        .db
        .start_source(site_id, id)
        .await?
        .ok_or_else(|| ApiError::Conflict("this source is being imported already".into()))?;
    let importer = Importer {
        db: state.db.clone(),
        knowledge: state.knowledge.clone(),
        cache: state.cache.clone(),
        fetcher: Fetcher::new(state.settings.allow_private()).map_err(ApiError::Internal)?,
    };
    let accepted = SourceAccepted {
        id: claimed.id.clone(),
        state: claimed.state.clone(),
    };
    importer.spawn(site, claimed);
    Ok(accepted)
}

/// Adds a page (`kind: "page"`) or a sitemap (`"sitemap"`: every page it
/// lists on its own host, at most 500) and imports it in the background:
/// robots.txt honoured, pages up to 2 MB, boilerplate (navigation,
/// headers, footers) dropped. URLs on loopback or private networks are
/// refused unless the operator allows them.
#[utoipa::path(post, path = "/api/v1/knowledge/sources", tag = "knowledge",
    request_body = CreateSource, security(("bearer" = []), ("session" = [])),
    responses((status = 202, body = SourceAccepted), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody), (status = 409, body = lantern_shared::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(req): ApiJson<CreateSource>,
) -> Result<(StatusCode, Json<SourceAccepted>), ApiError> {
    let site_id = admin_site(&caller)?;
    let url = check_url(req.url.trim(), state.settings.allow_private())
        .map_err(|p| ApiError::field("url", p))?;
    let row = state
        .db
        .create_source(site_id, url.as_str(), req.kind.as_str())
        .await?;
    Ok((StatusCode::ACCEPTED, Json(start(&state, site_id, &row.id).await?)))
}

/// The site's URL sources, newest first, with their import's progress.
#[utoipa::path(get, path = "/api/v1/knowledge/sources", tag = "knowledge",
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Sources), (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<Json<Sources>, ApiError> {
    let site_id = admin_site(&caller)?;
    let items = state.db.sources(site_id).await?.into_iter().map(to_api).collect();
    Ok(Json(Sources { items }))
}

/// Imports a source again: changed pages are indexed again, pages gone
/// from the sitemap (or answering 404/410) deleted. 409 while it runs.
#[utoipa::path(post, path = "/api/v1/knowledge/sources/{id}/sync", tag = "knowledge",
    params(("id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 202, body = SourceAccepted), (status = 404, body = lantern_shared::ErrorBody),
        (status = 409, body = lantern_shared::ErrorBody)))]
pub async fn sync(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<SourceAccepted>), ApiError> {
    let site_id = admin_site(&caller)?;
    let id = validate::id("source", &id)?;
    if state.db.source(site_id, id).await?.is_none() {
        return Err(ApiError::not_found("source"));
    }
    Ok((StatusCode::ACCEPTED, Json(start(&state, site_id, id).await?)))
}

/// Deletes a source and every document it imported.
#[utoipa::path(delete, path = "/api/v1/knowledge/sources/{id}", tag = "knowledge",
    params(("id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let site_id = admin_site(&caller)?;
    let id = validate::id("source", &id)?;
    if !state.db.delete_source(site_id, id).await? {
        return Err(ApiError::not_found("source"));
    }
    state.cache.bump(&format!("kb:{site_id}")).await;
    Ok(StatusCode::NO_CONTENT)
}
