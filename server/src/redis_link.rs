//! The shared Redis connection. It is established in the background, with
//! backoff, so an instance starts (and keeps serving) while Redis is down, and
//! picks it up when it appears — no restart. Once established, redis's
//! `ConnectionManager` reconnects by itself. Every caller bounds its own wait.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::RwLock;

/// How long a health probe waits for Redis.
const PING_BUDGET: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub struct RedisLink {
    pub client: redis::Client,
    pub prefix: Arc<str>,
    manager: Arc<RwLock<Option<ConnectionManager>>>,
    /// Whether the events subscription is currently up.
    pub subscribed: Arc<AtomicBool>,
}

impl RedisLink {
    /// Starts connecting to `url` in the background; `None` for a URL that
    /// cannot be parsed at all.
    pub fn start(url: &str, prefix: &str) -> Option<RedisLink> {
        let client = redis::Client::open(url)
            .map_err(
                |e| tracing::warn!(error = %e, "REDIS_URL is not usable; running without Redis"),
            )
            .ok()?;
        let link = RedisLink {
            client,
            prefix: prefix.into(),
            manager: Arc::default(),
            subscribed: Arc::default(),
        };
        let background = link.clone();
        tokio::spawn(async move { background.connect_with_backoff().await });
        Some(link)
    }

    async fn connect_with_backoff(&self) {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_millis(500)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_secs(2));
        let mut delay = Duration::from_millis(100);
        loop {
            match self
                .client
                .get_connection_manager_with_config(config.clone())
                .await
            {
                Ok(manager) => {
                    tracing::info!("connected to Redis");
                    *self.manager.write().await = Some(manager);
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "Redis unreachable");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    /// A handle for one command, once connected.
    pub async fn connection(&self) -> Option<ConnectionManager> {
        self.manager.read().await.clone()
    }

    /// True when Redis answers a PING within a short budget.
    pub async fn healthy(&self) -> bool {
        let Some(mut conn) = self.connection().await else {
            return false;
        };
        let cmd = redis::cmd("PING");
        let ping = cmd.query_async::<String>(&mut conn);
        matches!(tokio::time::timeout(PING_BUDGET, ping).await, Ok(Ok(_)))
    }

    pub fn key(&self, rest: &str) -> String {
        format!("{}:{rest}", self.prefix)
    }

    pub fn mark_subscribed(&self, up: bool) {
        self.subscribed.store(up, Ordering::Relaxed);
    }

    pub fn is_subscribed(&self) -> bool {
        self.subscribed.load(Ordering::Relaxed)
    }
}
