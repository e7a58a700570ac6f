//! The response cache for site config and knowledge search: in Redis when
//! `REDIS_URL` is set (shared by every instance, so an invalidation is seen
//! everywhere at once), in process otherwise. Redis trouble means a bypass,
//! never an error or a wait longer than [`REDIS_BUDGET`].
//!
//! Knowledge search entries carry the site's knowledge *generation* in their
//! key; changing a document bumps it, which retires every cached search of
//! that site without listing them.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use crate::redis_link::RedisLink;

const REDIS_BUDGET: Duration = Duration::from_millis(100);
const LOCAL_MAX_ENTRIES: usize = 10_000;

#[derive(Clone, Default)]
pub struct KvCache {
    redis: Option<RedisLink>,
    local: Arc<Mutex<HashMap<String, (String, Instant)>>>,
    hits: Arc<AtomicU64>,
    misses: Arc<AtomicU64>,
}

impl KvCache {
    pub fn new(redis: Option<RedisLink>) -> KvCache {
        KvCache {
            redis,
            ..KvCache::default()
        }
    }

    /// The cached value of `key`, if any (and counts a hit or a miss).
    pub async fn get(&self, key: &str) -> Option<String> {
        let found = match &self.redis {
            Some(link) => self.redis_get(link, key).await,
            None => {
                let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
                match local.get(key) {
                    Some((v, until)) if *until > Instant::now() => Some(v.clone()),
                    Some(_) => {
                        local.remove(key);
                        None
                    }
                    None => None,
                }
            }
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    pub async fn put(&self, key: &str, value: &str, ttl: Duration) {
        match &self.redis {
            Some(link) => {
                if let Some(mut conn) = link.connection().await {
                    let mut cmd = redis::cmd("SET");
                    cmd.arg(link.key(&format!("c:{key}")))
                        .arg(value)
                        .arg("PX")
                        .arg(ttl.as_millis() as u64);
                    let _ =
                        tokio::time::timeout(REDIS_BUDGET, cmd.query_async::<()>(&mut conn)).await;
                }
            }
            None => {
                let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
                if local.len() >= LOCAL_MAX_ENTRIES {
                    let now = Instant::now();
                    local.retain(|_, (_, until)| *until > now);
                    if local.len() >= LOCAL_MAX_ENTRIES {
                        local.clear();
                    }
                }
                local.insert(key.to_string(), (value.to_string(), Instant::now() + ttl));
            }
        }
    }

    /// Forgets `key` everywhere. With Redis down the entry expires by its TTL.
    pub async fn invalidate(&self, key: &str) {
        match &self.redis {
            Some(link) => {
                if let Some(mut conn) = link.connection().await {
                    let mut cmd = redis::cmd("DEL");
                    cmd.arg(link.key(&format!("c:{key}")));
                    if !matches!(
                        tokio::time::timeout(REDIS_BUDGET, cmd.query_async::<i64>(&mut conn)).await,
                        Ok(Ok(_))
                    ) {
                        tracing::warn!(
                            key,
                            "cache invalidation did not reach Redis; the entry expires by its TTL"
                        );
                    }
                }
            }
            None => {
                self.local
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(key);
            }
        }
    }

    /// The current generation of `name` (0 when never bumped).
    pub async fn generation(&self, name: &str) -> Option<u64> {
        match &self.redis {
            Some(link) => {
                let mut conn = link.connection().await?;
                let mut cmd = redis::cmd("GET");
                cmd.arg(link.key(&format!("g:{name}")));
                match tokio::time::timeout(REDIS_BUDGET, cmd.query_async::<Option<u64>>(&mut conn))
                    .await
                {
                    Ok(Ok(v)) => Some(v.unwrap_or(0)),
                    _ => None, // unknown: the caller bypasses the cache
                }
            }
            None => {
                let local = self.local.lock().unwrap_or_else(|p| p.into_inner());
                Some(
                    local
                        .get(&format!("g:{name}"))
                        .and_then(|(v, _)| v.parse().ok())
                        .unwrap_or(0),
                )
            }
        }
    }

    /// Moves `name` to a new generation, retiring entries keyed on the old one.
    pub async fn bump(&self, name: &str) {
        match &self.redis {
            Some(link) => {
                if let Some(mut conn) = link.connection().await {
                    let mut cmd = redis::cmd("INCR");
                    cmd.arg(link.key(&format!("g:{name}")));
                    let _ =
                        tokio::time::timeout(REDIS_BUDGET, cmd.query_async::<i64>(&mut conn)).await;
                }
            }
            None => {
                let mut local = self.local.lock().unwrap_or_else(|p| p.into_inner());
                let key = format!("g:{name}");
                let next = local
                    .get(&key)
                    .and_then(|(v, _)| v.parse::<u64>().ok())
                    .unwrap_or(0)
                    + 1;
                // Generations never expire on their own.
                local.insert(
                    key,
                    (
                        next.to_string(),
                        Instant::now() + Duration::from_secs(u32::MAX as u64),
                    ),
                );
            }
        }
    }

    /// Hits ÷ lookups since start, or `None` before the first lookup.
    pub fn hit_rate(&self) -> Option<f64> {
        let hits = self.hits.load(Ordering::Relaxed) as f64;
        let total = hits + self.misses.load(Ordering::Relaxed) as f64;
        (total > 0.0).then(|| hits / total)
    }

    async fn redis_get(&self, link: &RedisLink, key: &str) -> Option<String> {
        let mut conn = link.connection().await?;
        let mut cmd = redis::cmd("GET");
        cmd.arg(link.key(&format!("c:{key}")));
        match tokio::time::timeout(REDIS_BUDGET, cmd.query_async::<Option<String>>(&mut conn)).await
        {
            Ok(Ok(v)) => v,
            _ => None,
        }
    }
}
