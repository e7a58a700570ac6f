//! Fixed-window rate limits. With Redis, one atomic script per check keeps
//! every instance on one shared budget; without it (or while Redis is
//! unreachable) each process counts for itself. A limit check never waits
//! on Redis longer than [`REDIS_BUDGET`].

mod local;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use redis::Script;

use crate::redis_link::RedisLink;

/// The window the request limits are counted over.
pub const WINDOW: Duration = Duration::from_secs(60);
/// The longest a check waits for Redis before counting locally instead.
pub const REDIS_BUDGET: Duration = Duration::from_millis(250);

/// The outcome of one check, with what the `RateLimit-*` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset_secs: u64,
}

#[derive(Clone)]
pub struct RateLimiter {
    redis: Option<RedisLink>,
    local: Arc<local::LocalCounters>,
    script: Arc<Script>,
    window: Duration,
}

// INCRBY then set the expiry when the key has none (its first hit); returns
// the count and the window's remaining milliseconds. Atomic on the Redis
// server. Adding 0 reads the count.
const SCRIPT: &str = r"
local n = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}
";

impl RateLimiter {
    /// Keys live under the link's prefix (`{prefix}:rl:{key}`).
    pub fn new(redis: Option<RedisLink>) -> RateLimiter {
        RateLimiter::with_window(redis, WINDOW)
    }

    /// Like [`RateLimiter::new`], counting over `window` instead.
    pub fn with_window(redis: Option<RedisLink>, window: Duration) -> RateLimiter {
        RateLimiter {
            redis,
            local: Arc::new(local::LocalCounters::new(window)),
            script: Arc::new(Script::new(SCRIPT)),
            window,
        }
    }

    /// Counts one hit on `key` against `limit` per window.
    pub async fn check(&self, key: &str, limit: u32) -> Decision {
        let (count, reset_secs) = self.count(key, 1).await;
        decide(count, limit, reset_secs)
    }

    /// Adds `by` to `key`'s count in the current window and returns the
    /// count after it (`by` = 0 reads it): for budgets counted in units
    /// other than requests, such as an LLM provider's tokens.
    pub async fn add(&self, key: &str, by: u64) -> u64 {
        self.count(key, by).await.0
    }

    /// The count after adding `by`, and the seconds left in the window.
    async fn count(&self, key: &str, by: u64) -> (u64, u64) {
        if let Some(link) = &self.redis
            && let Some(mut conn) = link.connection().await
        {
            let mut invocation = self.script.key(link.key(&format!("rl:{key}")));
            invocation.arg(self.window.as_millis() as u64).arg(by);
            let call = invocation.invoke_async::<(u64, i64)>(&mut conn);
            match tokio::time::timeout(REDIS_BUDGET, call).await {
                Ok(Ok((count, ttl_ms))) => {
                    return (count, (ttl_ms.max(0) as u64).div_ceil(1000));
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "rate limit: Redis failed; counting locally")
                }
                Err(_) => tracing::warn!("rate limit: Redis too slow; counting locally"),
            }
        }
        match self.local.add(key, by, Instant::now()) {
            Some((count, left)) => (count, left.as_secs().max(1)),
            // Too many keys this window: not counted rather than forgetting
            // someone else's budget (the bound is far above honest traffic).
            None => (0, self.window.as_secs()),
        }
    }
}

fn decide(count: u64, limit: u32, reset_secs: u64) -> Decision {
    Decision {
        allowed: count <= u64::from(limit),
        limit,
        remaining: u64::from(limit).saturating_sub(count) as u32,
        reset_secs: reset_secs.max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_counting_refuses_past_the_limit() {
        let rl = RateLimiter::new(None);
        for i in 1..=3 {
            let d = rl.check("k", 3).await;
            assert!(d.allowed, "hit {i}");
            assert_eq!(d.remaining, 3 - i);
        }
        let d = rl.check("k", 3).await;
        assert!(!d.allowed);
        assert!(d.reset_secs >= 1 && d.reset_secs <= 60);
        assert!(rl.check("other", 3).await.allowed, "keys are independent");
    }

    #[tokio::test]
    async fn adding_counts_units_and_zero_reads() {
        let rl = RateLimiter::new(None);
        assert_eq!(rl.add("tokens", 0).await, 0);
        assert_eq!(rl.add("tokens", 700).await, 700);
        assert_eq!(rl.add("tokens", 0).await, 700, "adding 0 reads");
        assert_eq!(rl.add("tokens", 5_000_000_000).await, 5_000_000_700, "past u32");
    }
}
