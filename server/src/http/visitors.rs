//! Visitors as members see them: `GET /api/v1/visitors?q=` (the site's
//! visitors, searchable), `GET`/`PATCH /api/v1/visitors/{visitor_id}` (the
//! profile beside the transcript) and members' notes on a visitor
//! (`…/memories`, memories with source `member`). Members and admin keys;
//! a visitor of another site is 404.

use axum::{
    Json, Router,
    extract::{Path, State},
    response::IntoResponse,
    routing::{delete, get},
};
use http::StatusCode;
use lantern_shared::{
    api::{Author, Page},
    routes,
    visitors::{MAX_MEMORY, Memory, MemoryList, NewMemory, UpdateVisitor, VisitorProfile},
};
use serde::Deserialize;

use super::{
    AppState,
    extract::{ApiJson, ApiQuery},
};
use crate::{
    auth::Caller,
    db::{MAX_MEMORIES, MemoryRow, ProfileRow, rfc3339},
    error::ApiError,
    validate,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::VISITORS, get(list))
        .route(
            routes::VISITOR,
            get(show).patch(update).delete(super::privacy::erase),
        )
        .route(routes::VISITOR_MEMORIES, get(memories).post(add_memory))
        .route(routes::VISITOR_MEMORY, delete(delete_memory))
}

fn staff(caller: &Caller) -> Result<(), ApiError> {
    if caller.is_staff() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "this needs a member of the site or its admin key".into(),
        ))
    }
}

pub fn to_api(r: ProfileRow) -> VisitorProfile {
    let (browser, os) = r
        .user_agent
        .as_deref()
        .map(crate::useragent::parse)
        .unwrap_or_default();
    VisitorProfile {
        id: r.id,
        name: r.name,
        email: r.email,
        attributes: r.attributes.0,
        created_at: rfc3339(r.created_at),
        last_seen_at: r.last_seen_at.map(rfc3339),
        user_id: r.external_user_id,
        contact_email: r.contact_email,
        browser,
        os,
        time_zone: r.time_zone,
    }
}

fn memory_to_api(m: MemoryRow) -> Memory {
    Memory {
        id: m.id,
        content: m.content,
        source: m.source,
        author: m.author_id.map(|id| Author {
            id,
            name: m.author_name.unwrap_or_default(),
        }),
        created_at: rfc3339(m.created_at),
    }
}

/// The caller's site's visitor `visitor_id`, or 404.
async fn visitor(state: &AppState, caller: &Caller, visitor_id: &str) -> Result<ProfileRow, ApiError> {
    staff(caller)?;
    let visitor_id = validate::id("visitor", visitor_id)?;
    state
        .db
        .visitor_profile(caller.site_id(), visitor_id)
        .await?
        .ok_or_else(|| ApiError::not_found("visitor"))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VisitorQuery {
    /// Text in the name, email, left email or user id (case-insensitive;
    /// 1–200 characters).
    #[param(max_length = 200)]
    q: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    cursor: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// The site's visitors, newest first; `q` searches them.
#[utoipa::path(get, path = "/api/v1/visitors", tag = "visitors", params(VisitorQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Page<VisitorProfile>), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<VisitorQuery>,
) -> Result<Json<Page<VisitorProfile>>, ApiError> {
    staff(&caller)?;
    let limit = validate::limit(q.limit)?;
    if let Some(cursor) = &q.cursor {
        uuid::Uuid::parse_str(cursor)
            .ok()
            .filter(|_| cursor.len() == 36)
            .ok_or_else(|| ApiError::field("cursor", "is not a cursor this API issued"))?;
    }
    let text = match q.q.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) if t.chars().count() > 200 => {
            return Err(ApiError::field("q", "must be at most 200 characters"));
        }
        Some(t) => Some(t),
    };
    let mut rows = state
        .db
        .list_visitors(caller.site_id(), text, q.cursor.as_deref(), limit + 1)
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
    Ok(Json(Page {
        items: rows.into_iter().map(to_api).collect(),
        next_cursor,
    }))
}

/// The visitor's profile: what a verified identify or a member told,
/// browser and OS, time zone, when last seen.
#[utoipa::path(get, path = "/api/v1/visitors/{visitor_id}", tag = "visitors",
    params(("visitor_id" = String, Path)), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = VisitorProfile), (status = 403, body = lantern_shared::ErrorBody),
        (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(visitor_id): Path<String>,
) -> Result<Json<VisitorProfile>, ApiError> {
    Ok(Json(to_api(visitor(&state, &caller, &visitor_id).await?)))
}

/// A member corrects the visitor's name or email (`""` clears it).
#[utoipa::path(patch, path = "/api/v1/visitors/{visitor_id}", tag = "visitors",
    params(("visitor_id" = String, Path)), request_body = UpdateVisitor,
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = VisitorProfile), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(visitor_id): Path<String>,
    ApiJson(req): ApiJson<UpdateVisitor>,
) -> Result<Json<VisitorProfile>, ApiError> {
    let v = visitor(&state, &caller, &visitor_id).await?;
    let name = req.name.as_deref().map(|n| validate::profile::name("name", n)).transpose()?;
    let email = req.email.as_deref().map(|e| validate::profile::email("email", e)).transpose()?;
    let row = state
        .db
        .update_visitor(caller.site_id(), &v.id, name.as_deref(), email.as_deref())
        .await?
        .ok_or_else(|| ApiError::not_found("visitor"))?;
    Ok(Json(to_api(row)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MemoryQuery {
    /// Words to find (full text, any language; 1–200 characters): the
    /// matching memories, best first.
    pub q: Option<String>,
}

/// Memories kept on the visitor (members' notes and what the visitor told),
/// newest first, or those matching `q` (at most 200).
#[utoipa::path(get, path = "/api/v1/visitors/{visitor_id}/memories", tag = "visitors",
    params(("visitor_id" = String, Path), MemoryQuery), security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = MemoryList), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn memories(
    State(state): State<AppState>,
    caller: Caller,
    Path(visitor_id): Path<String>,
    ApiQuery(query): ApiQuery<MemoryQuery>,
) -> Result<Json<MemoryList>, ApiError> {
    let v = visitor(&state, &caller, &visitor_id).await?;
    let items = match &query.q {
        Some(q) => {
            let q = validate::text("q", q, 200)?;
            let terms = crate::knowledge::analysis::search_terms(&q, None);
            state.db.search_memories(&v.id, &terms, MAX_MEMORIES).await?
        }
        None => state.db.memories(&v.id, MAX_MEMORIES).await?,
    };
    Ok(Json(MemoryList {
        items: items.into_iter().map(memory_to_api).collect(),
    }))
}

/// A member's note on the visitor (source `member`, with its author).
#[utoipa::path(post, path = "/api/v1/visitors/{visitor_id}/memories", tag = "visitors",
    params(("visitor_id" = String, Path)), request_body = NewMemory,
    security(("bearer" = []), ("session" = [])),
    responses((status = 201, body = Memory), (status = 400, body = lantern_shared::ErrorBody),
        (status = 403, body = lantern_shared::ErrorBody), (status = 404, body = lantern_shared::ErrorBody),
        (status = 409, body = lantern_shared::ErrorBody, description = "the visitor has 200 notes already")))]
pub async fn add_memory(
    State(state): State<AppState>,
    caller: Caller,
    Path(visitor_id): Path<String>,
    ApiJson(req): ApiJson<NewMemory>,
) -> Result<impl IntoResponse, ApiError> {
    let v = visitor(&state, &caller, &visitor_id).await?;
    let content = validate::text("content", &req.content, MAX_MEMORY)?;
    if state.db.memory_count(&v.id).await? >= MAX_MEMORIES {
        return Err(ApiError::Conflict(format!(
            "a visitor keeps at most {MAX_MEMORIES} notes; delete one first"
        )));
    }
    let author = match &caller {
        Caller::Member { user_id, .. } => {
            let user = state
                .db
                .user(user_id)
                .await?
                .ok_or_else(|| ApiError::Unauthorized("sign in again".into()))?;
            let name = if user.name.trim().is_empty() { user.email } else { user.name };
            Some((user.id, name))
        }
        Caller::Admin { .. } | Caller::Visitor { .. } => None,
    };
    let row = state
        .db
        .add_member_memory(
            &v.id,
            &content,
            author.as_ref().map(|a| a.0.as_str()),
            author.as_ref().map(|a| a.1.as_str()),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(memory_to_api(row))))
}

/// Deletes one note on the visitor.
#[utoipa::path(delete, path = "/api/v1/visitors/{visitor_id}/memories/{memory_id}", tag = "visitors",
    params(("visitor_id" = String, Path), ("memory_id" = String, Path)),
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 403, body = lantern_shared::ErrorBody),
        (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn delete_memory(
    State(state): State<AppState>,
    caller: Caller,
    Path((visitor_id, memory_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let v = visitor(&state, &caller, &visitor_id).await?;
    let memory_id = validate::id("memory", &memory_id)?;
    if state.db.delete_memory(&v.id, memory_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("memory"))
    }
}
