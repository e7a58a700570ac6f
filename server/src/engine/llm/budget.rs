//! Each site's LLM spend per day, in requests
//! (`LANTERN_LLM_DAILY_REQUESTS_PER_SITE`) and in tokens as the provider
//! reports them (`LANTERN_LLM_DAILY_TOKENS_PER_SITE`), shared by every
//! instance through Redis like the rate limits. Past either, visitors still
//! get the knowledge base's own answer; only the provider call (the owner's
//! money) stops until the window ends. The window is 24 hours from a site's
//! first call in it, not a calendar day.
//!
//! Tokens are known only once a call ends, so the check is "under budget
//! before the call": one call can overshoot by at most `max_tokens` plus its
//! prompt, and with `LANTERN_LLM_CONCURRENCY` calls in flight, by that many.

use std::time::Duration;

use super::Usage;
use crate::{ratelimit::RateLimiter, redis_link::RedisLink};

const DAY: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone)]
pub struct LlmBudget {
    limiter: RateLimiter,
    requests_per_day: u32,
    tokens_per_day: u64,
}

impl LlmBudget {
    pub fn new(redis: Option<RedisLink>, requests_per_day: u32, tokens_per_day: u64) -> LlmBudget {
        LlmBudget {
            limiter: RateLimiter::with_window(redis, DAY),
            requests_per_day,
            tokens_per_day,
        }
    }

    /// Counts one provider call for `site_id`; false when the day's
    /// requests or tokens are spent.
    pub async fn spend(&self, site_id: &str) -> bool {
        let tokens = self.limiter.add(&tokens_key(site_id), 0).await;
        let allowed = tokens < self.tokens_per_day
            && self
                .limiter
                .check(&format!("llm-day:{site_id}"), self.requests_per_day)
                .await
                .allowed;
        if !allowed {
            crate::stats::llm_budget_spent();
        }
        allowed
    }

    /// Charges a finished (or failed) call to `site_id`: the tokens the
    /// provider reported, and an estimate for what it left out.
    pub async fn charge(&self, site_id: &str, used: &Usage, prompt_chars: usize, answer_chars: usize) {
        if !used.is_reported() && answer_chars == 0 {
            // No answer and no report: the call never ran (no free slot) or
            // failed before writing, which providers do not bill.
            return;
        }
        if !used.is_reported() {
            tracing::debug!("the provider reported no usage; charging an estimate");
        }
        let (input, output) = used.charged(prompt_chars, answer_chars);
        crate::stats::llm_tokens(input, output);
        self.limiter.add(&tokens_key(site_id), input + output).await;
    }
}

fn tokens_key(site_id: &str) -> String {
    format!("llm-tokens:{site_id}")
}
