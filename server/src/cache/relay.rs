//! Invalidations between instances: each one is published on one Redis
//! channel and every other instance marks the same scopes. An instance
//! serves nothing from its caches while its subscription is down (it could
//! be missing invalidations), and forgets everything when the subscription
//! comes back: messages sent meanwhile are lost for good in pub/sub.

use std::time::Duration;

use futures::StreamExt;

use super::{Marks, Scope};
use crate::redis_link::RedisLink;

/// The longest a write waits for its invalidation to be published.
const PUBLISH_BUDGET: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub struct Relay {
    link: RedisLink,
    /// Tells this instance's own messages apart (already marked here).
    instance: String,
}

impl Relay {
    /// Subscribes (in the background, resubscribing as needed) and returns
    /// the publishing half. `marks` stays paused until subscribed.
    pub fn start(link: RedisLink, marks: Marks) -> Relay {
        let instance = uuid::Uuid::new_v4().simple().to_string();
        marks.pause(true);
        tokio::spawn(subscribe_loop(link.clone(), instance.clone(), marks));
        Relay { link, instance }
    }

    fn channel(&self) -> String {
        self.link.key("cache-invalidate")
    }

    /// Tells the other instances that `scopes` changed. Awaited by the
    /// write, so that the write's response follows the message; a Redis
    /// that does not take it within the budget leaves the other instances
    /// to their TTL, and says so in the log.
    pub async fn publish(&self, scopes: &[Scope]) {
        let Some(mut conn) = self.link.connection().await else {
            tracing::warn!(
                "cache invalidation not published: Redis not connected; other instances expire it by TTL"
            );
            return;
        };
        let mut payload = self.instance.clone();
        for s in scopes {
            payload.push('\n');
            payload.push_str(&s.encode());
        }
        let mut cmd = redis::cmd("PUBLISH");
        cmd.arg(self.channel()).arg(payload);
        match tokio::time::timeout(PUBLISH_BUDGET, cmd.query_async::<i64>(&mut conn)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "cache invalidation not published; other instances expire it by TTL")
            }
            Err(_) => tracing::warn!(
                "cache invalidation not published in time; other instances expire it by TTL"
            ),
        }
    }
}

async fn subscribe_loop(link: RedisLink, instance: String, marks: Marks) {
    let channel = link.key("cache-invalidate");
    let mut delay = Duration::from_millis(100);
    loop {
        match link.client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    delay = Duration::from_millis(100);
                    // Whatever was published while we were away is lost.
                    marks.mark(&[Scope::All]);
                    marks.pause(false);
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        let Ok(payload) = msg.get_payload::<String>() else {
                            continue;
                        };
                        let mut lines = payload.split('\n');
                        if lines.next() == Some(instance.as_str()) {
                            continue;
                        }
                        let scopes: Vec<Scope> = lines.filter_map(Scope::decode).collect();
                        marks.mark(&scopes);
                    }
                    marks.pause(true);
                    tracing::warn!(
                        "Redis cache-invalidation subscription lost; caches off until it is back"
                    );
                }
                Err(e) => {
                    tracing::warn!(error = %e, "Redis SUBSCRIBE for cache invalidation failed")
                }
            },
            Err(e) => tracing::debug!(error = %e, "Redis unreachable for cache invalidation"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}
