//! `GET …/events`: a conversation's live events over SSE.
//!
//! Durable events carry their per-conversation id; `Last-Event-ID: N` (or
//! `?after=N`) replays N+1… from the database, then continues live. A live
//! event that skips ids (events from concurrent writers may be published out
//! of order) triggers a refill from the database, so the stream never has a
//! gap and never repeats.

use std::collections::VecDeque;

use axum::{
    Router,
    extract::{Path, State},
    response::Response,
    routing::get,
};
use bytes::Bytes;
use lantern_shared::routes;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use super::{
    AppState,
    extract::ApiQuery,
    stream_caps::{resume_after, stream_keys},
};
use crate::{auth::Caller, chat::Chat, error::ApiError};

const BATCH: i64 = 500;

pub fn router() -> Router<AppState> {
    Router::new().route(routes::CONVERSATION_EVENTS, get(events))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Resume after this event id (same as `Last-Event-ID`).
    after: Option<i64>,
    /// The visitor token, for `EventSource`, which cannot send headers.
    #[allow(dead_code)]
    access_token: Option<String>,
}
lantern_shared::redacted_debug!(EventsQuery { after } hides { access_token });

/// Live events: `message.created`, `conversation.status`, `answer.delta`.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/events", tag = "messages",
    params(("id" = String, Path), EventsQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "text/event-stream", description = "SSE stream"),
              (status = 404, body = lantern_shared::ErrorBody),
              (status = 429, body = lantern_shared::ErrorBody,
               description = "too many open streams for this visitor or address")))]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    parts: http::request::Parts,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Response, ApiError> {
    let conv = state.chat.visible_conversation(&caller, &id).await?;
    let visitor = match &caller {
        Caller::Visitor { visitor_id, .. } => Some(visitor_id.clone()),
        _ => None,
    };
    let reader = visitor.as_ref().map(|v| format!("v:{v}"));
    let slot = state.streams.take(&stream_keys(&state, reader, &parts))?;
    // Without a position, start from now: history comes from `…/messages`.
    let start = resume_after(&parts.headers, q.after)?.unwrap_or(conv.last_event_id.max(0));
    // Subscribe before reading the backlog so nothing falls between the two.
    let live = state.chat.hub.subscribe(&conv.id);
    let feed = Feed {
        chat: state.chat.clone(),
        visitor,
        conversation_id: conv.id,
        last: start,
        live,
        closing: state.closing.clone(),
        queue: VecDeque::new(),
        needs_refill: true,
        done: false,
        _open: crate::stats::StreamGuard::open(),
        _slot: slot,
    };
    // The stream is polled by the response body itself: no task and no
    // channel per client, and when the client goes, hyper drops the body
    // and with it the subscription, at once.
    Ok(crate::sse::response(futures::stream::unfold(feed, Feed::next)))
}

/// One client's position in a conversation's events.
struct Feed {
    chat: Chat,
    /// The visitor reading, when it is one (a revocation of their tokens
    /// ends their streams).
    visitor: Option<String>,
    conversation_id: String,
    /// The newest durable event id sent.
    last: i64,
    live: crate::events::Subscription,
    closing: tokio::sync::watch::Receiver<bool>,
    /// Events read from the database, not yet sent.
    queue: VecDeque<Bytes>,
    needs_refill: bool,
    done: bool,
    _open: crate::stats::StreamGuard,
    /// This stream's place under the per-visitor and per-address caps.
    _slot: super::stream_caps::Slot,
}

impl Feed {
    /// The next event for the client; `None` ends the stream.
    async fn next(mut self) -> Option<(Bytes, Feed)> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some((event, self));
            }
            if self.done {
                return None;
            }
            if self.needs_refill {
                self.needs_refill = false;
                self.refill().await.ok()?;
                continue;
            }
            let received = tokio::select! {
                r = self.live.recv() => r,
                _ = self.closing.changed() => {
                    // Going away: tell the client to come back (to another instance).
                    self.done = true;
                    let bye = crate::sse::frame(lantern_shared::event::kind::RECONNECT, None, "{}");
                    return Some((bye, self));
                }
            };
            let event = match received {
                Ok(e) => e,
                Err(RecvError::Lagged(_)) => {
                    self.needs_refill = true;
                    continue;
                }
                Err(RecvError::Closed) => return None,
            };
            match event.id {
                None if event.kind == crate::events::RESYNC => self.needs_refill = true,
                // The conversation was deleted (every stream ends), or its
                // visitor's tokens were revoked (that visitor's streams end).
                None if event.kind == crate::events::REVOKED => {
                    let whose = event.data.get("visitor_id").and_then(|v| v.as_str());
                    if whose.is_none() || whose == self.visitor.as_deref() {
                        return None;
                    }
                }
                None => return Some((event.frame(), self)),
                Some(id) if id <= self.last => {}
                Some(id) if id == self.last + 1 => {
                    self.last = id;
                    return Some((event.frame(), self));
                }
                // A gap: events from concurrent writers arrived out of order.
                Some(_) => self.needs_refill = true,
            }
        }
    }

    /// Queues every stored event after `last`, advancing it.
    async fn refill(&mut self) -> Result<(), ()> {
        loop {
            let batch = self
                .chat
                .db
                .events_after(&self.conversation_id, self.last, BATCH)
                .await
                .map_err(|e| tracing::warn!(error = %e, "could not read events"))?;
            let full = batch.len() as i64 == BATCH;
            for e in batch {
                self.last = e.id;
                self.queue.push_back(crate::sse::json_frame(&e.kind, Some(e.id), &e.data));
            }
            if !full {
                return Ok(());
            }
        }
    }
}
