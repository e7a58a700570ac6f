//! Latency summaries and a seeded pseudo-random sequence for benchmarks.

use std::{fmt, time::Duration};

/// The `p`-quantile (0.0–1.0) of sorted latencies.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Count, rate and percentiles of one timed run.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub count: usize,
    pub wall: Duration,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
}

impl Summary {
    pub fn new(mut latencies: Vec<Duration>, wall: Duration) -> Summary {
        latencies.sort();
        Summary {
            count: latencies.len(),
            wall,
            p50: percentile(&latencies, 0.50),
            p95: percentile(&latencies, 0.95),
            p99: percentile(&latencies, 0.99),
        }
    }

    /// Completed operations per second of wall time.
    pub fn rate(&self) -> f64 {
        self.count as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// Milliseconds, for printing.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.0}/s, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms ({} in {:.1} s)",
            self.rate(),
            ms(self.p50),
            ms(self.p95),
            ms(self.p99),
            self.count,
            self.wall.as_secs_f64()
        )
    }
}

/// A seeded linear congruential generator: the same sequence on every run.
pub struct Lcg(pub u64);

impl Lcg {
    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}
