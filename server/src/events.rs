//! Live-event fan-out inside one process: one broadcast channel per watched
//! conversation. Events are published only after they are committed, so a
//! subscriber that sees a gap can always fill it from the database.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use serde_json::Value;
use tokio::sync::broadcast;

use crate::store::StoredEvent;

/// How many events a slow subscriber may fall behind before it must refill
/// from the database.
const CHANNEL_CAPACITY: usize = 256;

/// One event as it travels to subscribers.
#[derive(Debug, Clone, PartialEq)]
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

#[derive(Default, Clone)]
pub struct EventHub {
    channels: Arc<Mutex<HashMap<String, broadcast::Sender<Arc<LiveEvent>>>>>,
}

impl EventHub {
    pub fn subscribe(&self, conversation_id: &str) -> broadcast::Receiver<Arc<LiveEvent>> {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        channels
            .entry(conversation_id.to_string())
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe()
    }

    pub fn publish(&self, event: LiveEvent) {
        let mut channels = self.channels.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = channels.get(&event.conversation_id) {
            if tx.receiver_count() == 0 {
                // Nobody watches any more: drop the channel.
                channels.remove(&event.conversation_id);
            } else {
                let _ = tx.send(Arc::new(event));
            }
        }
    }

    /// Conversations with a channel (for diagnostics and tests).
    pub fn watched(&self) -> usize {
        self.channels.lock().map(|c| c.len()).unwrap_or(0)
    }
}
