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
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};

use crate::{redis_link::RedisLink, store::StoredEvent};

/// How many events a slow subscriber may fall behind before it must refill
/// from the database.
const CHANNEL_CAPACITY: usize = 256;
/// The longest one PUBLISH may take before it is given up.
const PUBLISH_BUDGET: Duration = Duration::from_millis(250);
/// Internal kind: "re-read the database", never sent to clients.
pub const RESYNC: &str = "resync";

/// One event as it travels to subscribers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEvent {
    pub conversation_id: String,
    /// The durable id; `None` for ephemeral events (answer deltas, typing).
    pub id: Option<i64>,
    pub kind: String,
    pub data: Value,
}

impl From<StoredEvent> for LiveEvent {
    fn from(e: StoredEvent) -> LiveEvent {
        LiveEvent {
            conversation_id: e.conversation_id,
            id: Some(e.id),
            kind: e.kind,
            data: e.data,
        }
    }
}

/// An event on the Redis channel, tagged with the instance that sent it.
#[derive(Serialize, Deserialize)]
struct Wire {
    instance: String,
    event: LiveEvent,
}

type Channels = Arc<Mutex<HashMap<String, broadcast::Sender<Arc<LiveEvent>>>>>;

#[derive(Default, Clone)]
pub struct EventHub {
    channels: Channels,
    /// Events to publish to Redis, in order, by one task.
    outbox: Option<mpsc::UnboundedSender<LiveEvent>>,
}

impl EventHub {
    /// A hub that also fans out through Redis.
    pub fn with_redis(link: RedisLink) -> EventHub {
        let instance = uuid::Uuid::new_v4().to_string();
        let channels = Channels::default();
        let (outbox, queue) = mpsc::unbounded_channel();
        tokio::spawn(publish_loop(link.clone(), instance.clone(), queue));
        tokio::spawn(subscribe_loop(link, instance, channels.clone()));
        EventHub {
            channels,
            outbox: Some(outbox),
        }
    }

    pub fn subscribe(&self, conversation_id: &str) -> broadcast::Receiver<Arc<LiveEvent>> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        channels
            .entry(conversation_id.to_string())
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe()
    }

    /// Delivers to this instance's streams at once, and to the others'
    /// through Redis when configured.
    pub fn publish(&self, event: LiveEvent) {
        if let Some(outbox) = &self.outbox {
            let _ = outbox.send(event.clone());
        }
        deliver(&self.channels, event);
    }

    /// Conversations with a channel (for diagnostics and tests).
    pub fn watched(&self) -> usize {
        self.channels.lock().map(|c| c.len()).unwrap_or(0)
    }
}

fn deliver(channels: &Channels, event: LiveEvent) {
    let mut channels = channels.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(tx) = channels.get(&event.conversation_id) {
        if tx.receiver_count() == 0 {
            // Nobody watches any more: drop the channel.
            channels.remove(&event.conversation_id);
        } else {
            let _ = tx.send(Arc::new(event));
        }
    }
}

/// Publishes queued events one at a time, so Redis sees them in order.
async fn publish_loop(
    link: RedisLink,
    instance: String,
    mut queue: mpsc::UnboundedReceiver<LiveEvent>,
) {
    while let Some(event) = queue.recv().await {
        let Some(mut conn) = link.connection().await else {
            continue; // not connected yet: this instance's streams already have it
        };
        let channel = link.key(&format!("ev:{}", event.conversation_id));
        let payload = match serde_json::to_string(&Wire {
            instance: instance.clone(),
            event,
        }) {
            Ok(p) => p,
            Err(_) => continue,
        };
        let mut cmd = redis::cmd("PUBLISH");
        cmd.arg(channel).arg(payload);
        let publish = cmd.query_async::<i64>(&mut conn);
        match tokio::time::timeout(PUBLISH_BUDGET, publish).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "event not published to Redis"),
            Err(_) => tracing::warn!("event not published to Redis: too slow"),
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
                        let Ok(wire) = serde_json::from_str::<Wire>(&payload) else {
                            continue;
                        };
                        if wire.instance != instance {
                            deliver(&channels, wire.event);
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
            LiveEvent {
                conversation_id,
                id: None,
                kind: RESYNC.into(),
                data: Value::Null,
            },
        );
    }
}
