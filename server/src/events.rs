//! Live-event fan-out: one broadcast channel per watched conversation in this
//! process and, with Redis, a pub/sub bridge so events published by any
//! instance reach streams on every instance.
//!
//! Events are published only after they are committed, so a stream that sees
//! a gap in durable ids can always fill it from the database; that is what
//! keeps `Last-Event-ID` resume gap-free across instances, and what heals the
//! streams after Redis comes back (a `resync` nudges every local stream to
//! re-read the database).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use bytes::Bytes;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};

use crate::{
    db::{SiteEvent, StoredEvent},
    redis_link::RedisLink,
};

/// How many events a slow subscriber may fall behind before it must refill
/// from the database.
const CHANNEL_CAPACITY: usize = 256;
/// The longest one PUBLISH may take before it is given up.
const PUBLISH_BUDGET: Duration = Duration::from_millis(250);
/// Events sent to Redis in one pipeline at most.
const PUBLISH_BATCH: usize = 64;
/// Events waiting for Redis at most. Past it (Redis far behind or gone for
/// long), new events are not published and are counted in
/// `lantern_queue_dropped_total{queue="redis_publish"}`: this instance's
/// streams still get them, and durable ones stay in the database, where
/// other instances' streams find them when they refill or resume.
const OUTBOX_CAPACITY: usize = 10_000;
/// Internal kind: "re-read the database", never sent to clients.
pub const RESYNC: &str = "resync";

/// One event as it travels to subscribers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    /// The channel: a conversation's id, or a [`site_channel`].
    pub conversation_id: String,
    /// The durable id; `None` for ephemeral events (answer deltas, typing).
    pub id: Option<i64>,
    pub kind: String,
    pub data: Value,
    /// The event's SSE frame, encoded by the first stream that sends it and
    /// shared by every other one.
    #[serde(skip)]
    frame: OnceLock<Bytes>,
}

impl LiveEvent {
    pub fn new(conversation_id: String, id: Option<i64>, kind: &str, data: Value) -> LiveEvent {
        LiveEvent {
            conversation_id,
            id,
            kind: kind.to_string(),
            data,
            frame: OnceLock::new(),
        }
    }

    /// The event as an SSE frame, encoded once per event: the streams
    /// share its bytes.
    pub fn frame(&self) -> Bytes {
        self.frame
            .get_or_init(|| crate::sse::json_frame(&self.kind, self.id, &self.data))
            .clone()
    }
}

impl From<SiteEvent> for LiveEvent {
    fn from(e: SiteEvent) -> LiveEvent {
        LiveEvent::new(site_channel(&e.site_id), Some(e.id), &e.kind, e.data)
    }
}

/// The channel of a site's members' stream. Site streams share the hub
/// (and its Redis bridge) with conversations: a conversation id is a UUID
/// and never starts with `site:`.
pub fn site_channel(site_id: &str) -> String {
    format!("site:{site_id}")
}

/// Internal kind on a site channel: `{user_id}` lost access, end their
/// streams. Never sent to clients.
pub const REVOKED: &str = "revoked";

impl From<StoredEvent> for LiveEvent {
    fn from(e: StoredEvent) -> LiveEvent {
        LiveEvent::new(e.conversation_id, Some(e.id), &e.kind, e.data)
    }
}

/// An event on the Redis channel, tagged with the instance that sent it.
#[derive(Serialize, Deserialize)]
struct Wire<E> {
    instance: String,
    event: E,
}

type Channels = Arc<Mutex<HashMap<String, broadcast::Sender<Arc<LiveEvent>>>>>;

#[derive(Default, Clone)]
pub struct EventHub {
    channels: Channels,
    /// Events to publish to Redis, in order, by one task.
    outbox: Option<mpsc::Sender<Arc<LiveEvent>>>,
}

impl EventHub {
    /// A hub that also fans out through Redis.
    pub fn with_redis(link: RedisLink) -> EventHub {
        let instance = uuid::Uuid::new_v4().to_string();
        let channels = Channels::default();
        let (outbox, queue) = mpsc::channel(OUTBOX_CAPACITY);
        tokio::spawn(publish_loop(link.clone(), instance.clone(), queue));
        tokio::spawn(subscribe_loop(link, instance, channels.clone()));
        EventHub {
            channels,
            outbox: Some(outbox),
        }
    }

    /// Subscribes to a conversation's events; the conversation's channel
    /// goes when its last subscription is dropped.
    pub fn subscribe(&self, conversation_id: &str) -> Subscription {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        let receiver = channels
            .entry(conversation_id.to_string())
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe();
        Subscription {
            receiver,
            channels: self.channels.clone(),
            conversation_id: conversation_id.to_string(),
        }
    }

    /// Delivers to this instance's streams at once, and to the others'
    /// through Redis when configured.
    pub fn publish(&self, event: LiveEvent) {
        self.publish_shared(Arc::new(event));
    }

    /// [`Self::publish`] for an event already shared with other readers.
    pub fn publish_shared(&self, event: Arc<LiveEvent>) {
        if let Some(outbox) = &self.outbox
            && let Err(mpsc::error::TrySendError::Full(_)) = outbox.try_send(event.clone())
        {
            crate::stats::queue_dropped("redis_publish");
        }
        deliver(&self.channels, event);
    }

    /// False when nobody can be watching the conversation: no stream of
    /// this instance, and no other instances (no Redis). Ephemeral events
    /// need not be made then.
    pub fn may_be_watched(&self, conversation_id: &str) -> bool {
        self.outbox.is_some()
            || self
                .channels
                .lock()
                .is_ok_and(|c| c.get(conversation_id).is_some_and(|tx| tx.receiver_count() > 0))
    }

    /// Conversations with a channel (for diagnostics and tests).
    pub fn watched(&self) -> usize {
        self.channels.lock().map(|c| c.len()).unwrap_or(0)
    }
}

/// A live subscription to one conversation (see [`EventHub::subscribe`]).
pub struct Subscription {
    receiver: broadcast::Receiver<Arc<LiveEvent>>,
    channels: Channels,
    conversation_id: String,
}

impl Subscription {
    pub async fn recv(&mut self) -> Result<Arc<LiveEvent>, broadcast::error::RecvError> {
        self.receiver.recv().await
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        // This subscription's receiver still counts until the fields drop.
        if channels
            .get(&self.conversation_id)
            .is_some_and(|tx| tx.receiver_count() <= 1)
        {
            channels.remove(&self.conversation_id);
        }
    }
}

fn deliver(channels: &Channels, event: Arc<LiveEvent>) {
    let mut channels = channels.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(tx) = channels.get(&event.conversation_id) {
        if tx.receiver_count() == 0 {
            // Nobody watches any more: drop the channel.
            channels.remove(&event.conversation_id);
        } else {
            let _ = tx.send(event);
        }
    }
}

/// Publishes queued events one at a time, so Redis sees them in order.
async fn publish_loop(
    link: RedisLink,
    instance: String,
    mut queue: mpsc::Receiver<Arc<LiveEvent>>,
) {
    let mut batch = Vec::new();
    while queue.recv_many(&mut batch, PUBLISH_BATCH).await > 0 {
        crate::stats::queue_depth("redis_publish", queue.len());
        let Some(mut conn) = link.connection().await else {
            batch.clear();
            continue; // not connected yet: this instance's streams already have them
        };
        // Everything queued meanwhile goes in one pipeline: one round trip,
        // order kept.
        let mut pipe = redis::pipe();
        for event in batch.drain(..) {
            let channel = link.key(&format!("ev:{}", event.conversation_id));
            let wire = Wire {
                instance: instance.clone(),
                event: &*event,
            };
            if let Ok(payload) = serde_json::to_string(&wire) {
                pipe.cmd("PUBLISH").arg(channel).arg(payload).ignore();
            }
        }
        let publish = pipe.query_async::<()>(&mut conn);
        match tokio::time::timeout(PUBLISH_BUDGET, publish).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "events not published to Redis"),
            Err(_) => tracing::warn!("events not published to Redis: too slow"),
        }
    }
}

/// Receives other instances' events, resubscribing with backoff when the
/// connection drops.
async fn subscribe_loop(link: RedisLink, instance: String, channels: Channels) {
    let pattern = link.key("ev:*");
    let mut delay = Duration::from_millis(100);
    loop {
        match link.client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.psubscribe(&pattern).await {
                Ok(()) => {
                    link.mark_subscribed(true);
                    delay = Duration::from_millis(100);
                    resync_all(&channels);
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        let Ok(payload) = msg.get_payload::<String>() else {
                            continue;
                        };
                        let Ok(wire) = serde_json::from_str::<Wire<LiveEvent>>(&payload) else {
                            continue;
                        };
                        if wire.instance != instance {
                            deliver(&channels, Arc::new(wire.event));
                        }
                    }
                    link.mark_subscribed(false);
                    tracing::warn!("Redis event subscription lost; resubscribing");
                }
                Err(e) => tracing::warn!(error = %e, "Redis PSUBSCRIBE failed"),
            },
            Err(e) => tracing::debug!(error = %e, "Redis unreachable for events"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// Tells every local stream to re-read the database (events published while
/// the subscription was down reached only the database).
fn resync_all(channels: &Channels) {
    let ids: Vec<String> = channels
        .lock()
        .map(|c| c.keys().cloned().collect())
        .unwrap_or_default();
    for conversation_id in ids {
        deliver(
            channels,
            Arc::new(LiveEvent::new(conversation_id, None, RESYNC, Value::Null)),
        );
    }
}
