//! A streamed post's events on their way to its response body. The queue is
//! bounded: a client that stays connected but stops reading makes the
//! answer's deltas drop (counted in `lantern_queue_dropped_total{queue=
//! "streamed_reply"}`) instead of piling up in memory. The few events that
//! carry stored messages keep room of their own, and a client that missed
//! deltas still gets the whole reply in its `message.created`.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::events::LiveEvent;

/// Events held for one streamed response at most.
pub const CAPACITY: usize = 256;
/// Places kept free for the stored messages (question, reply, hand-over).
const RESERVED: usize = 8;

#[derive(Clone)]
pub struct Watcher(mpsc::Sender<Arc<LiveEvent>>);

impl Watcher {
    pub fn channel() -> (Watcher, mpsc::Receiver<Arc<LiveEvent>>) {
        let (tx, rx) = mpsc::channel(CAPACITY);
        (Watcher(tx), rx)
    }

    /// An event the client must see (a stored message).
    pub fn send(&self, event: Arc<LiveEvent>) {
        self.offer(event, 0);
    }

    /// A piece of the answer, dropped when the client is not keeping up.
    pub fn delta(&self, event: Arc<LiveEvent>) {
        self.offer(event, RESERVED);
    }

    fn offer(&self, event: Arc<LiveEvent>, keep_free: usize) {
        if self.0.is_closed() {
            return; // the client went away: nothing to keep
        }
        if self.0.capacity() <= keep_free || self.0.try_send(event).is_err() {
            crate::stats::queue_dropped("streamed_reply");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(kind: &str) -> Arc<LiveEvent> {
        Arc::new(LiveEvent::new("c".into(), None, kind, json!({})))
    }

    #[tokio::test]
    async fn a_reader_that_stops_reading_holds_at_most_the_capacity() {
        let (watcher, mut rx) = Watcher::channel();
        for _ in 0..10 * CAPACITY {
            watcher.delta(event("answer.delta"));
        }
        // The stored reply still fits after a flood of deltas.
        watcher.send(event("message.created"));
        let mut held = Vec::new();
        while let Ok(e) = rx.try_recv() {
            held.push(e.kind.clone());
        }
        assert_eq!(held.len(), CAPACITY - RESERVED + 1);
        assert_eq!(held.last().map(String::as_str), Some("message.created"));
    }
}
