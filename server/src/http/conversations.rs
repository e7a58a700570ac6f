//! Conversations: create, list, get, hand off, close.

use axum::{
    Json, Router,
    extract::{Path, State},
    response::IntoResponse,
    routing::{get, post},
};
use http::StatusCode;
use lantern_shared::{
    api::{Conversation, ConversationStatus, CreateConversation, Page},
    routes,
};
use serde::Deserialize;

use super::{
    AppState,
    extract::{ApiJson, ApiQuery},
};
use crate::{
    auth::Caller,
    error::{ApiError, ApiError as E},
    validate,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::CONVERSATIONS, post(create).get(list))
        .route(
            routes::CONVERSATION,
            get(fetch).delete(super::privacy::delete_conversation),
        )
        .route(routes::CONVERSATION_HANDOFF, post(handoff))
        .route(routes::CONVERSATION_CLOSE, post(close))
}

/// Starts a conversation: the welcome message, and the first exchange when
/// `initial_message` is given.
#[utoipa::path(post, path = "/api/v1/conversations", tag = "conversations",
    request_body = CreateConversation, security(("bearer" = [])),
    responses((status = 201, body = Conversation), (status = 400, body = lantern_shared::ErrorBody),
              (status = 401, body = lantern_shared::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: http::HeaderMap,
    ApiJson(req): ApiJson<CreateConversation>,
) -> Result<impl IntoResponse, ApiError> {
    super::limits::per_visitor(&state, &caller).await?;
    let time_zone = validate::profile::time_zone(req.time_zone.as_deref())?;
    let conversation = state.chat.create_conversation(&caller, req).await?;
    // The visitor panel's browser, OS and local time come from here.
    if let Caller::Visitor { visitor_id, .. } = &caller {
        let ua = validate::profile::user_agent(&headers);
        state
            .db
            .visitor_seen(visitor_id, ua.as_deref(), time_zone.as_deref())
            .await?;
    }
    Ok((StatusCode::CREATED, Json(conversation)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `open`, `handoff` or `closed`.
    #[param(pattern = "^(open|handoff|closed)$")]
    status: Option<String>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]
    cursor: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// Members and admin keys: `me` (the signed-in member), `none`, or a member's id.
    assignee: Option<String>,
    /// Members and admin keys: only this visitor's conversations.
    visitor_id: Option<String>,
    /// Members and admin keys: only conversations with a message containing
    /// this text (case-insensitive; 1–200 characters). A search finds
    /// archived conversations too.
    q: Option<String>,
    /// `true`: archived conversations only; default: none of them.
    archived: Option<bool>,
    /// `true`: pinned conversations only.
    pinned: Option<bool>,
}

/// Lists conversations, newest first: all of the site's for an admin key, a
/// visitor's own for a visitor token.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations",
    params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<Conversation>), (status = 401, body = lantern_shared::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<Conversation>>, ApiError> {
    let limit = validate::limit(q.limit)?;
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => Some(
            ConversationStatus::parse(s)
                .ok_or_else(|| E::field("status", "must be open, handoff or closed"))?,
        ),
    };
    if let Some(cursor) = &q.cursor {
        uuid::Uuid::parse_str(cursor)
            .ok()
            // Only the hyphenated form the API hands out, as the spec says.
            .filter(|_| cursor.len() == 36)
            .ok_or(())
            .map_err(|_| E::field("cursor", "is not a cursor this API issued"))?;
    }
    let (visitor, reader) = match &caller {
        Caller::Visitor { visitor_id, .. } => (Some(visitor_id.as_str()), None),
        Caller::Member { user_id, .. } => (None, Some(user_id.as_str())),
        Caller::Admin { .. } => (None, None),
    };
    let visitor = match (visitor, q.visitor_id.as_deref()) {
        (Some(own), _) => Some(own),
        (None, None) => None,
        (None, Some(v)) if uuid::Uuid::parse_str(v).is_ok() => Some(v),
        (None, Some(_)) => return Err(E::field("visitor_id", "must be a visitor's id")),
    };
    let assignee = match q.assignee.as_deref() {
        None => None,
        Some(_) if visitor.is_some() => {
            return Err(E::field("assignee", "is for members and admin keys"));
        }
        Some("me") => Some(reader.ok_or_else(|| {
            E::field("assignee", "\"me\" needs a signed-in member; name a user id")
        })?),
        // '' stands for "nobody" in the storage filter.
        Some("none") => Some(""),
        Some(id) if uuid::Uuid::parse_str(id).is_ok() => Some(id),
        Some(_) => return Err(E::field("assignee", "must be me, none or a member's id")),
    };
    let text = match q.q.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) if t.chars().count() > 200 => {
            return Err(E::field("q", "must be at most 200 characters"));
        }
        Some(t) => Some(t),
    };
    let mut rows = state
        .db
        .list_conversations(&crate::db::ConversationFilter {
            site_id: caller.site_id(),
            visitor_id: visitor,
            status,
            before: q.cursor.as_deref(),
            limit: limit + 1,
            reader,
            assignee,
            text,
            archived: q.archived.unwrap_or(false),
            pinned_only: q.pinned.unwrap_or(false),
        })
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|c| c.id.clone())
    } else {
        None
    };
    Ok(Json(Page {
        items: rows
            .into_iter()
            .map(|c| shown_to(&caller, c.to_api(None)))
            .collect(),
        next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Conversation), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn fetch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Conversation>, ApiError> {
    let conv = state.chat.visible_conversation(&caller, &id).await?;
    Ok(Json(shown_to(&caller, conv.to_api(None))))
}

/// Asks for a human: the status becomes `handoff` and the bot stops replying.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/handoff", tag = "conversations",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Conversation), (status = 409, body = lantern_shared::ErrorBody)))]
pub async fn handoff(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Conversation>, ApiError> {
    let conversation = state
        .chat
        .set_status(&caller, &id, ConversationStatus::Handoff)
        .await?;
    Ok(Json(shown_to(&caller, conversation)))
}

/// Closes the conversation; later posts are refused with 409.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/close", tag = "conversations",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Conversation), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Conversation>, ApiError> {
    let conversation = state
        .chat
        .set_status(&caller, &id, ConversationStatus::Closed)
        .await?;
    Ok(Json(shown_to(&caller, conversation)))
}

/// A conversation as `caller` may see it: visitors are not told which
/// member has it (the member's id is the team's business).
fn shown_to(caller: &Caller, mut c: Conversation) -> Conversation {
    if matches!(caller, Caller::Visitor { .. }) {
        c.assignee_id = None;
    }
    c
}
