//! Messages: list, and post (the reply whole in JSON, or streamed as SSE).

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{Path, State},
    response::{IntoResponse, Response},
    routing::get,
};
use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderMap, StatusCode};
use lantern_shared::{
    api::{ConversationStatus, Message, Page, PostMessage, PostMessageResponse, Role},
    event::kind,
    routes,
};
use serde::Deserialize;
use tokio_stream::wrappers::ReceiverStream;

use super::{
    AppState,
    extract::{ApiJson, ApiQuery, wants_event_stream},
};
use crate::{auth::Caller, error::ApiError, events::LiveEvent, validate};

pub fn router() -> Router<AppState> {
    Router::new().route(routes::CONVERSATION_MESSAGES, get(list).post(post))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only messages with a greater seq (default 0: from the start).
    after: Option<i64>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// Messages in seq order; pass `next_cursor` as `after` for the next page.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "messages",
    params(("id" = String, Path), ListQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<Message>), (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Page<Message>>, ApiError> {
    let conv = state.chat.visible_conversation(&caller, &id).await?;
    let limit = validate::limit(q.limit)?;
    let after = q.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::field("after", "must not be negative"));
    }
    let mut items = state
        .db
        .messages(&conv.id, after, limit + 1, caller.is_staff())
        .await?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    if caller.is_staff() {
        // The team sees what the visitor thought of each answer.
        let ratings = state.db.ratings(&conv.id).await?;
        for m in &mut items {
            m.rating = ratings.iter().find(|(id, _)| *id == m.id).map(|(_, r)| *r);
        }
    }
    let next_cursor = if more {
        items.last().map(|m| m.seq.to_string())
    } else {
        None
    };
    Ok(Json(Page { items, next_cursor }))
}

/// Posts a message. The message is committed before any response byte is
/// sent. A member posts as `agent` with their name as `author`;
/// `internal: true` makes a private note the visitor never sees. A
/// member's reply claims an unassigned hand-over; an agent's reply to a
/// closed conversation reopens it as a hand-over (`reopened: true`). With `Accept: text/event-stream` the answer streams: the stored
/// message (`message.created`), `answer.delta` pieces, the stored reply
/// (`message.created`), then `done`.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "messages",
    params(("id" = String, Path)), request_body = PostMessage, security(("bearer" = [])),
    responses((status = 201, body = PostMessageResponse,
               description = "JSON, or text/event-stream when asked for"),
              (status = 400, body = lantern_shared::ErrorBody), (status = 409, body = lantern_shared::ErrorBody)))]
pub async fn post(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<PostMessage>,
) -> Result<Response, ApiError> {
    let post = state.chat.prepare_post(&caller, &id, req).await?;
    super::limits::per_visitor(&state, &caller).await?;
    let reopened = post.conversation.status == ConversationStatus::Closed && !post.new.internal;
    if post.new.role == Role::Agent && !post.new.internal {
        state.chat.claim_before_reply(&caller, &id).await?;
    }
    if !wants_event_stream(&headers) {
        let (message, reply) = state.chat.post(post, None).await?;
        return Ok((
            StatusCode::CREATED,
            Json(PostMessageResponse {
                message,
                reply,
                reopened,
            }),
        )
            .into_response());
    }
    // The stored message, the answer's deltas and the stored reply, as the
    // chat produces them; then `done`.
    let (watcher, mut events) = crate::watcher::Watcher::channel();
    let task = state.chat.spawn_post(post, Some(watcher));
    // No status before the message is committed: the first event is its
    // `message.created`. A post that fails before that is an ordinary error.
    let Some(first) = events.recv().await else {
        return match task.await {
            Ok(Err(e)) => Err(e),
            Ok(Ok(_)) => Err(ApiError::Internal(anyhow::anyhow!("the post stored nothing"))),
            Err(e) => Err(ApiError::Internal(e.into())),
        };
    };
    let finished = async move {
        let ok = match task.await {
            Ok(Ok(_)) => true,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "the reply of a streamed post failed");
                false
            }
            Err(e) => {
                tracing::error!(error = %e, "the reply task of a streamed post failed");
                false
            }
        };
        let mut last = vec![done()];
        if !ok {
            last.insert(0, failed());
        }
        futures::stream::iter(last)
    };
    let stream = futures::stream::once(async move { first })
        .chain(ReceiverStream::new(events))
        .map(|e: Arc<LiveEvent>| e.frame())
        .chain(futures::stream::once(finished).flatten());
    let mut response = crate::sse::response(stream);
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

fn failed() -> Bytes {
    crate::sse::frame(
        "error",
        None,
        r#"{"message":"the reply could not be produced"}"#,
    )
}

fn done() -> Bytes {
    crate::sse::frame(kind::DONE, None, "{}")
}
