//! An owner's hold on single documents: turn one on or off for search,
//! preview how it was split into passages, turn a passage off.

use axum::{
    Json,
    extract::{Path, State},
};
use lantern_shared::knowledge::{Document, PassageView, Passages, SetEnabled};

use super::{AppState, extract::ApiJson, knowledge::admin_site};
use crate::{auth::Caller, error::ApiError, knowledge::to_api, validate};

/// Turns a document on or off: a disabled document is kept, listed, and
/// never searched or cited.
#[utoipa::path(patch, path = "/api/v1/knowledge/documents/{id}", tag = "knowledge",
    params(("id" = String, Path)), request_body = SetEnabled, security(("bearer" = [])),
    responses((status = 200, body = Document), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn set_enabled(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SetEnabled>,
) -> Result<Json<Document>, ApiError> {
    let site_id = admin_site(&caller)?;
    let id = validate::id("document", &id)?;
    let doc = state
        .db
        .set_document_enabled(site_id, id, req.enabled)
        .await?
        .ok_or_else(|| ApiError::not_found("document"))?;
    state.cache.bump(&format!("kb:{site_id}")).await;
    Ok(Json(to_api(doc, None)))
}

/// How a document was split for search: each passage with its heading
/// path, in order.
#[utoipa::path(get, path = "/api/v1/knowledge/documents/{id}/passages", tag = "knowledge",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Passages), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn passages(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Passages>, ApiError> {
    let site_id = admin_site(&caller)?;
    let id = validate::id("document", &id)?;
    if state.db.document(site_id, id).await?.is_none() {
        return Err(ApiError::not_found("document"));
    }
    let items = state
        .db
        .passages_of(site_id, id)
        .await?
        .into_iter()
        .map(|p| PassageView {
            id: p.id,
            position: p.position,
            heading: p.heading,
            text: p.body,
            enabled: p.enabled,
        })
        .collect();
    Ok(Json(Passages { items }))
}

/// Turns one passage on or off for search.
#[utoipa::path(patch, path = "/api/v1/knowledge/documents/{id}/passages/{pid}", tag = "knowledge",
    params(("id" = String, Path), ("pid" = i64, Path)), request_body = SetEnabled,
    security(("bearer" = [])),
    responses((status = 200, body = PassageView), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn set_passage(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, pid)): Path<(String, String)>,
    ApiJson(req): ApiJson<SetEnabled>,
) -> Result<Json<PassageView>, ApiError> {
    let site_id = admin_site(&caller)?;
    let id = validate::id("document", &id)?;
    let pid: i64 = pid
        .parse()
        .map_err(|_| ApiError::not_found("passage"))?;
    if !state
        .db
        .set_passage_enabled(site_id, id, pid, req.enabled)
        .await?
    {
        return Err(ApiError::not_found("passage"));
    }
    state.cache.bump(&format!("kb:{site_id}")).await;
    let p = state
        .db
        .passages_of(site_id, id)
        .await?
        .into_iter()
        .find(|p| p.id == pid)
        .ok_or_else(|| ApiError::not_found("passage"))?;
    Ok(Json(PassageView {
        id: p.id,
        position: p.position,
        heading: p.heading,
        text: p.body,
        enabled: p.enabled,
    }))
}
