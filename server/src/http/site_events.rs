//! `GET /api/v1/sites/{site_id}/events`: one stream per signed-in member
//! for the whole site's inbox — `conversation.created`,
//! `conversation.updated`, `message.created` (notes included), `typing`
//! and `presence`.
//!
//! Durable events carry the site event id; `Last-Event-ID: N` (or
//! `?after=N`) replays the site's events after N from the database, then
//! continues live. Ids come from one global sequence; on Postgres a site's
//! writers draw them under a per-site transaction lock (migration 0008), so
//! within a site ids commit in order and a resume (`id > N`) skips none.
//! Live events may still be published out of order (two tasks after their
//! commits), so a live event below the newest id sent is still sent
//! (unless it was sent already), never dropped. A
//! member removed from the site loses the stream at once (a `revoked`
//! nudge through the hub, and a membership check every minute as a net).

use std::{collections::VecDeque, time::Duration};

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
use crate::{
    auth::Caller,
    chat::Chat,
    error::ApiError,
    events::{REVOKED, RESYNC, site_channel},
};

const BATCH: i64 = 500;
/// Ids remembered as sent, to drop repeats of late (out-of-order) events.
const RECENT: usize = 512;
/// How often a member's right to the stream is read again.
const RECHECK: Duration = Duration::from_secs(60);

pub fn router() -> Router<AppState> {
    Router::new().route(routes::SITE_EVENTS, get(events))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SiteEventsQuery {
    /// Resume after this event id (same as `Last-Event-ID`).
    after: Option<i64>,
}

/// The inbox's live events for the whole site.
#[utoipa::path(get, path = "/api/v1/sites/{site_id}/events", tag = "inbox",
    params(("site_id" = String, Path), SiteEventsQuery),
    security(("bearer" = []), ("session" = [])),
    responses((status = 200, content_type = "text/event-stream", description = "SSE stream"),
              (status = 403, body = lantern_shared::ErrorBody),
              (status = 429, body = lantern_shared::ErrorBody, description = "too many open streams")))]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    Path(site_id): Path<String>,
    parts: http::request::Parts,
    ApiQuery(q): ApiQuery<SiteEventsQuery>,
) -> Result<Response, ApiError> {
    if !caller.is_staff() || caller.site_id() != site_id {
        return Err(ApiError::Forbidden(
            "this needs a member of the site or its admin key".into(),
        ));
    }
    let user_id = match &caller {
        Caller::Member { user_id, .. } => Some(user_id.clone()),
        Caller::Admin { .. } | Caller::Visitor { .. } => None,
    };
    let reader = user_id.as_ref().map(|u| format!("v:u:{u}"));
    let slot = state.streams.take(&stream_keys(&state, reader, &parts))?;
    let resume = resume_after(&parts.headers, q.after)?;
    // Subscribe before reading the position so nothing falls between.
    let live = state.chat.hub.subscribe(&site_channel(&site_id));
    let start = match resume {
        Some(n) => n,
        None => state.db.last_site_event_id(&site_id).await?,
    };
    let presence = user_id
        .as_deref()
        .map(|u| state.presence.open(&state.chat, &site_id, u));
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.reset();
    let feed = Feed {
        chat: state.chat.clone(),
        site_id,
        user_id,
        last: start,
        recent: VecDeque::new(),
        live,
        closing: state.closing.clone(),
        recheck,
        queue: VecDeque::new(),
        needs_refill: true,
        done: false,
        _presence: presence,
        _open: crate::stats::StreamGuard::open(),
        _slot: slot,
    };
    Ok(crate::sse::response(futures::stream::unfold(feed, Feed::next)))
}

/// One member's position in their site's events.
struct Feed {
    chat: Chat,
    site_id: String,
    /// The member (admin keys have none and are never revoked here).
    user_id: Option<String>,
    /// The newest durable id sent.
    last: i64,
    /// Durable ids sent lately (late events below `last` are checked here).
    recent: VecDeque<i64>,
    live: crate::events::Subscription,
    closing: tokio::sync::watch::Receiver<bool>,
    recheck: tokio::time::Interval,
    queue: VecDeque<Bytes>,
    needs_refill: bool,
    done: bool,
    _presence: Option<crate::inbox::PresenceGuard>,
    _open: crate::stats::StreamGuard,
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
                    self.done = true;
                    let bye = crate::sse::frame(lantern_shared::event::kind::RECONNECT, None, "{}");
                    return Some((bye, self));
                }
                _ = self.recheck.tick() => {
                    if !self.still_member().await {
                        return None;
                    }
                    continue;
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
                None if event.kind == RESYNC => self.needs_refill = true,
                None if event.kind == REVOKED => {
                    let me = self.user_id.as_deref();
                    if me.is_some() && event.data["user_id"].as_str() == me {
                        return None;
                    }
                }
                None => return Some((event.frame(), self)),
                Some(id) if self.recent.contains(&id) => {}
                Some(id) => {
                    self.sent(id);
                    return Some((event.frame(), self));
                }
            }
        }
    }

    fn sent(&mut self, id: i64) {
        self.last = self.last.max(id);
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(id);
    }

    /// False once the member no longer belongs to the site.
    async fn still_member(&self) -> bool {
        let Some(user_id) = &self.user_id else {
            return true;
        };
        // A database hiccup keeps the stream; the next check decides.
        !matches!(self.chat.db.role_on(user_id, &self.site_id).await, Ok(None))
    }

    /// Queues every stored event after `last`, advancing it.
    async fn refill(&mut self) -> Result<(), ()> {
        loop {
            let batch = self
                .chat
                .db
                .site_events_after(&self.site_id, self.last, BATCH)
                .await
                .map_err(|e| tracing::warn!(error = %e, "could not read site events"))?;
            let full = batch.len() as i64 == BATCH;
            for e in batch {
                if !self.recent.contains(&e.id) {
                    self.sent(e.id);
                    self.queue.push_back(crate::sse::json_frame(&e.kind, Some(e.id), &e.data));
                }
            }
            if !full {
                return Ok(());
            }
        }
    }
}
