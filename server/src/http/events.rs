//! `GET …/events`: a conversation's live events over SSE.
//!
//! Durable events carry their per-conversation id; `Last-Event-ID: N` (or
//! `?after=N`) replays N+1… from the database, then continues live. A live
//! event that skips ids (events from concurrent writers may be published out
//! of order) triggers a refill from the database, so the stream never has a
//! gap and never repeats.

use std::convert::Infallible;

use axum::{
    Router,
    extract::{Path, State},
    response::{Response, sse::Event},
    routing::get,
};
use futures::StreamExt;
use http::HeaderMap;
use lantern_shared::routes;
use serde::Deserialize;
use tokio::sync::{broadcast::error::RecvError, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use super::{
    AppState,
    extract::ApiQuery,
    messages::{sse, sse_event},
};
use crate::{auth::Caller, chat::Chat, error::ApiError, events::LiveEvent};

const BATCH: i64 = 500;

pub fn router() -> Router<AppState> {
    Router::new().route(routes::CONVERSATION_EVENTS, get(events))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EventsQuery {
    /// Resume after this event id (same as `Last-Event-ID`).
    after: Option<i64>,
    /// The visitor token, for `EventSource`, which cannot send headers.
    #[allow(dead_code)]
    access_token: Option<String>,
}

/// Live events: `message.created`, `conversation.status`, `answer.delta`.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/events", tag = "messages",
    params(("id" = String, Path), EventsQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", description = "SSE stream"),
              (status = 404, body = lantern_shared::ErrorBody)))]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Response, ApiError> {
    let conv = state.chat.visible_conversation(&caller, &id).await?;
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::field("Last-Event-ID", "must be an event id"))
        })
        .transpose()?;
    // Without a position, start from now: history comes from `…/messages`.
    let start = last_event_id
        .or(q.after)
        .unwrap_or(conv.last_event_id)
        .max(0);
    // Subscribe before reading the backlog so nothing falls between the two.
    let live = state.chat.hub.subscribe(&conv.id);
    let (tx, rx) = mpsc::channel::<Event>(64);
    tokio::spawn(pump(state.chat.clone(), conv.id, start, live, tx));
    Ok(sse(ReceiverStream::new(rx).map(Ok::<_, Infallible>)))
}

/// Feeds one client until it goes away.
async fn pump(
    chat: Chat,
    conversation_id: String,
    mut last: i64,
    mut live: tokio::sync::broadcast::Receiver<std::sync::Arc<LiveEvent>>,
    tx: mpsc::Sender<Event>,
) {
    if refill(&chat, &conversation_id, &mut last, &tx)
        .await
        .is_err()
    {
        return;
    }
    loop {
        let event = match live.recv().await {
            Ok(e) => e,
            Err(RecvError::Lagged(_)) => {
                if refill(&chat, &conversation_id, &mut last, &tx)
                    .await
                    .is_err()
                {
                    return;
                }
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        let sent = match event.id {
            None => tx
                .send(sse_event(&event.kind, None, &event.data))
                .await
                .is_ok(),
            Some(id) if id <= last => true,
            Some(id) if id == last + 1 => {
                last = id;
                tx.send(sse_event(&event.kind, Some(id), &event.data))
                    .await
                    .is_ok()
            }
            Some(_) => refill(&chat, &conversation_id, &mut last, &tx)
                .await
                .is_ok(),
        };
        if !sent {
            return;
        }
    }
}

/// Sends every stored event after `last`, advancing it.
async fn refill(
    chat: &Chat,
    conversation_id: &str,
    last: &mut i64,
    tx: &mpsc::Sender<Event>,
) -> Result<(), ()> {
    loop {
        let batch = match chat.store.events_after(conversation_id, *last, BATCH).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "could not read events");
                return Err(());
            }
        };
        let full = batch.len() as i64 == BATCH;
        for e in batch {
            *last = e.id;
            tx.send(sse_event(&e.kind, Some(e.id), &e.data))
                .await
                .map_err(|_| ())?;
        }
        if !full {
            return Ok(());
        }
    }
}
