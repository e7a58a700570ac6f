//! The in-process fixed-window counters (no Redis, or Redis unreachable).
//! Keys are attacker-chosen (one per client IP or visitor), so memory is
//! bounded and no call scans all keys under a lock:
//!
//! * keys are spread over [`SHARDS`] independently locked maps;
//! * each shard keeps two generations and swaps them once per window: a
//!   key seen in the last window is carried into the current one on its
//!   next hit, anything older is dropped with its whole generation (moved
//!   out and freed after the lock is released);
//! * a generation holds at most [`KEYS_PER_SHARD`] keys; a key that finds
//!   the shard full is not counted (let through) rather than evicting
//!   someone's live budget.

use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    sync::Mutex,
    time::{Duration, Instant},
};

pub const SHARDS: usize = 16;
pub const KEYS_PER_SHARD: usize = 8192;

/// Hits (or units) of one key in its window: the count and when the window
/// began.
type Entry = (u64, Instant);

struct Shard {
    current: HashMap<String, Entry>,
    previous: HashMap<String, Entry>,
    rotated: Instant,
}

pub struct LocalCounters {
    window: Duration,
    hasher: RandomState,
    shards: Vec<Mutex<Shard>>,
}

impl LocalCounters {
    pub fn new(window: Duration) -> LocalCounters {
        let now = Instant::now();
        LocalCounters {
            window,
            hasher: RandomState::new(),
            shards: (0..SHARDS)
                .map(|_| {
                    Mutex::new(Shard {
                        current: HashMap::new(),
                        previous: HashMap::new(),
                        rotated: now,
                    })
                })
                .collect(),
        }
    }

    /// Adds `by` to `key`: the count so far in its window and the time left
    /// in it, or `None` when the shard is full and the hit went uncounted.
    pub fn add(&self, key: &str, by: u64, now: Instant) -> Option<(u64, Duration)> {
        let shard = &self.shards[self.hasher.hash_one(key) as usize % SHARDS];
        let mut s = shard.lock().unwrap_or_else(|p| p.into_inner());
        let mut expired = None;
        if now.duration_since(s.rotated) >= self.window {
            let old = std::mem::take(&mut s.current);
            expired = Some(std::mem::replace(&mut s.previous, old));
            s.rotated = now;
        }
        let carried = s.previous.remove(key);
        let full = s.current.len() >= KEYS_PER_SHARD;
        let result = match s.current.get_mut(key) {
            Some(entry) => Some(count(entry, by, now, self.window)),
            None if full => {
                if let Some(entry) = carried {
                    s.previous.insert(key.to_string(), entry);
                }
                None
            }
            None => {
                let mut entry = carried.unwrap_or((0, now));
                let result = count(&mut entry, by, now, self.window);
                s.current.insert(key.to_string(), entry);
                Some(result)
            }
        };
        drop(s);
        drop(expired); // freed outside the lock
        result
    }

    /// Keys held, over all shards and generations.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = s.lock().unwrap_or_else(|p| p.into_inner());
                s.current.len() + s.previous.len()
            })
            .sum()
    }
}

fn count(entry: &mut Entry, by: u64, now: Instant, window: Duration) -> (u64, Duration) {
    if now.duration_since(entry.1) >= window {
        *entry = (0, now);
    }
    entry.0 = entry.0.saturating_add(by);
    (entry.0, window.saturating_sub(now.duration_since(entry.1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_stays_bounded_under_many_keys() {
        let counters = LocalCounters::new(Duration::from_secs(60));
        let now = Instant::now();
        for i in 0..(SHARDS * KEYS_PER_SHARD * 2) {
            let _ = counters.add(&format!("ip:{i}"), 1, now);
        }
        assert!(counters.len() <= SHARDS * KEYS_PER_SHARD, "{}", counters.len());
    }

    #[test]
    fn a_live_budget_survives_a_rotation() {
        let window = Duration::from_secs(60);
        let counters = LocalCounters::new(window);
        let t0 = Instant::now();
        assert_eq!(counters.add("a", 1, t0).map(|r| r.0), Some(1));
        // Next window: "a" (started 50 s ago) keeps counting.
        let t1 = t0 + Duration::from_secs(50);
        assert_eq!(counters.add("a", 1, t1).map(|r| r.0), Some(2));
        let t2 = t0 + Duration::from_secs(61);
        assert_eq!(counters.add("a", 1, t2).map(|r| r.0), Some(1), "new window");
    }
}
