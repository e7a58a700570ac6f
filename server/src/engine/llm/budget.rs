//! Each site's LLM requests per day (`LANTERN_LLM_DAILY_REQUESTS_PER_SITE`),
//! shared by every instance through Redis like the rate limits. Past it,
//! visitors still get the knowledge base's own answer; only the provider
//! call (the owner's money) stops until the window ends. The window is 24
//! hours from a site's first call in it, not a calendar day.

use std::time::Duration;

use crate::{ratelimit::RateLimiter, redis_link::RedisLink};

const DAY: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone)]
pub struct LlmBudget {
    limiter: RateLimiter,
    per_site_per_day: u32,
}

impl LlmBudget {
    pub fn new(redis: Option<RedisLink>, per_site_per_day: u32) -> LlmBudget {
        LlmBudget {
            limiter: RateLimiter::with_window(redis, DAY),
            per_site_per_day,
        }
    }

    /// Counts one provider call for `site_id`; false when the day's budget
    /// is spent.
    pub async fn spend(&self, site_id: &str) -> bool {
        let decision = self
            .limiter
            .check(&format!("llm-day:{site_id}"), self.per_site_per_day)
            .await;
        if !decision.allowed {
            crate::stats::llm_budget_spent();
        }
        decision.allowed
    }
}
