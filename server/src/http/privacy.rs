//! A person's data under control: pin and archive a conversation (its
//! visitor or the site's members), delete one, export or erase a visitor,
//! the erasure log and the retention rule (owners and admin keys).

use axum::{
    Json, Router,
    extract::{Path, State},
    routing::{get, post},
};
use http::StatusCode;
use lantern_shared::{
    api::Conversation,
    privacy::{Archive, Erasure, ErasureList, Pin, RetentionRule, VisitorExport},
    routes,
};

use super::{AppState, extract::ApiJson, team::owner_of};
use crate::{
    auth::Caller,
    db::{self, Retention, rfc3339},
    error::ApiError,
    validate,
};

/// Entries of the erasure log returned at most.
const ERASURES_SHOWN: i64 = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::CONVERSATION_PIN, post(pin))
        .route(routes::CONVERSATION_ARCHIVE, post(archive))
        .route(routes::VISITOR_EXPORT, get(export))
        .route(routes::SITE_ERASURES, get(erasures))
        .route(routes::SITE_RETENTION, get(retention).put(set_retention))
}

fn not_found(what: &'static str) -> impl Fn(db::Error) -> ApiError {
    move |e| match e {
        db::Error::NotFound => ApiError::not_found(what),
        other => other.into(),
    }
}

/// Pins the conversation (or unpins it with `{"pinned": false}`).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/pin", tag = "privacy",
    params(("id" = String, Path)), request_body = Pin, security(("bearer" = [])),
    responses((status = 200, body = Conversation), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn pin(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Pin>,
) -> Result<Json<Conversation>, ApiError> {
    let conv = state.chat.visible_conversation(&caller, &id).await?;
    let record = state
        .db
        .set_pinned(&conv.id, req.pinned.unwrap_or(true))
        .await
        .map_err(not_found("conversation"))?;
    Ok(Json(shown_to(&caller, record.to_api(None))))
}

/// Archives the conversation: out of the default lists, still found by a
/// search (`{"archived": false}` brings it back).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/archive", tag = "privacy",
    params(("id" = String, Path)), request_body = Archive, security(("bearer" = [])),
    responses((status = 200, body = Conversation), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn archive(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<Archive>,
) -> Result<Json<Conversation>, ApiError> {
    let conv = state.chat.visible_conversation(&caller, &id).await?;
    let record = state
        .db
        .set_archived(&conv.id, req.archived.unwrap_or(true))
        .await
        .map_err(not_found("conversation"))?;
    Ok(Json(shown_to(&caller, record.to_api(None))))
}

fn shown_to(caller: &Caller, mut c: Conversation) -> Conversation {
    if !caller.is_staff() {
        c.assignee_id = None;
    }
    c
}

/// Deletes the conversation with its messages, feedback and events; its
/// open streams end.
#[utoipa::path(delete, path = "/api/v1/conversations/{id}", tag = "privacy",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "deleted"), (status = 403, body = lantern_shared::ErrorBody),
        (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn delete_conversation(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let conv = state.chat.visible_conversation(&caller, &id).await?;
    owner_of(&caller, &conv.site_id)?;
    crate::privacy::delete_conversation(&state.db, &state.chat.hub, &conv.id)
        .await
        .map_err(not_found("conversation"))?;
    // Its files go now (what cannot is retried by the housekeeping job).
    state.attachments.sweep(&state.db).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything held about one visitor, as JSON.
#[utoipa::path(get, path = "/api/v1/visitors/{visitor_id}/export", tag = "privacy",
    params(("visitor_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = VisitorExport), (status = 403, body = lantern_shared::ErrorBody),
        (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    Path(visitor_id): Path<String>,
) -> Result<Json<VisitorExport>, ApiError> {
    let site_id = caller.site_id().to_string();
    owner_of(&caller, &site_id)?;
    let visitor_id = validate::client_id("visitor_id", &visitor_id)?;
    let export = crate::privacy::export(&state.db, &site_id, &visitor_id)
        .await
        .map_err(not_found("visitor"))?;
    Ok(Json(export))
}

/// Erases the visitor and everything about them: conversations, messages,
/// feedback, events, webhook deliveries, tokens. Their open streams end.
/// The erasure log keeps who asked and when, nothing about the person.
#[utoipa::path(delete, path = "/api/v1/visitors/{visitor_id}", tag = "privacy",
    params(("visitor_id" = String, Path)), security(("bearer" = [])),
    responses((status = 204, description = "erased"), (status = 403, body = lantern_shared::ErrorBody),
        (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn erase(
    State(state): State<AppState>,
    caller: Caller,
    Path(visitor_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let site_id = caller.site_id().to_string();
    owner_of(&caller, &site_id)?;
    let visitor_id = validate::client_id("visitor_id", &visitor_id)?;
    let actor = match &caller {
        Caller::Member { user_id, .. } => user_id.clone(),
        _ => "admin-key".to_string(),
    };
    crate::privacy::erase(&state.db, Some(&state.chat.hub), &site_id, &visitor_id, &actor)
        .await
        .map_err(not_found("visitor"))?;
    state.attachments.sweep(&state.db).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The site's erasure log, newest first (at most 500).
#[utoipa::path(get, path = "/api/v1/sites/{site_id}/erasures", tag = "privacy",
    params(("site_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = ErasureList), (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn erasures(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
) -> Result<Json<ErasureList>, ApiError> {
    owner_of(&caller, &site_id)?;
    let rows = state.db.erasures(&site_id, ERASURES_SHOWN).await?;
    Ok(Json(ErasureList {
        items: rows
            .into_iter()
            .map(|r| Erasure {
                id: r.id,
                actor: r.actor,
                conversations: r.conversations,
                messages: r.messages,
                created_at: rfc3339(r.created_at),
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/sites/{site_id}/retention", tag = "privacy",
    params(("site_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = RetentionRule), (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn retention(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
) -> Result<Json<RetentionRule>, ApiError> {
    owner_of(&caller, &site_id)?;
    let rule = state
        .db
        .retention_rules()
        .await?
        .into_iter()
        .find(|(id, _)| *id == site_id)
        .map(|(_, r)| r)
        .unwrap_or(Retention {
            closed_days: None,
            inactive_days: None,
        });
    Ok(Json(RetentionRule {
        closed_days: rule.closed_days.map(|d| d as u32),
        inactive_days: rule.inactive_days.map(|d| d as u32),
    }))
}

/// Sets the site's retention rule; the housekeeping job applies it.
#[utoipa::path(put, path = "/api/v1/sites/{site_id}/retention", tag = "privacy",
    params(("site_id" = String, Path)), request_body = RetentionRule, security(("bearer" = [])),
    responses((status = 200, body = RetentionRule), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn set_retention(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
    ApiJson(rule): ApiJson<RetentionRule>,
) -> Result<Json<RetentionRule>, ApiError> {
    owner_of(&caller, &site_id)?;
    let days = |field: &'static str, v: Option<u32>| match v {
        Some(d) if !(1..=3650).contains(&d) => {
            Err(ApiError::field(field, "must be from 1 to 3650 days, or null"))
        }
        other => Ok(other.map(|d| d as i32)),
    };
    let stored = Retention {
        closed_days: days("closed_days", rule.closed_days)?,
        inactive_days: days("inactive_days", rule.inactive_days)?,
    };
    state
        .db
        .set_retention(&site_id, stored)
        .await
        .map_err(not_found("site"))?;
    Ok(Json(rule))
}
