//! Prometheus metrics through the `metrics` facade. Names (all prefixed
//! `lantern_`):
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `lantern_http_requests_total` | counter | `method`, `route`, `status` |
//! | `lantern_http_request_duration_seconds` | histogram | `method`, `route`, `status` |
//! | `lantern_sse_streams_open` | gauge | — |
//! | `lantern_light_connections_open` | gauge | — (HTTP/1.1 streams answered without hyper, see `listen`) |
//! | `lantern_messages_stored_total` | counter | `role` |
//! | `lantern_answer_duration_seconds` | histogram | — |
//! | `lantern_answer_first_delta_seconds` | histogram | — |
//! | `lantern_llm_errors_total` | counter | `kind` (`busy`: no free call within the queue timeout) |
//! | `lantern_rate_limit_refusals_total` | counter | `scope` (`ip`, `visitor`) |
//! | `lantern_db_pool_connections` | gauge | `state` (`idle`, `in_use`) |
//! | `lantern_attachment_bytes_stored` | gauge | — (every site's attachments, thumbnails included) |
//! | `lantern_attachment_bytes_uploaded_total` | counter | — |
//! | `lantern_uploads_refused_total` | counter | `reason` (`type`, `too_large`, `quota`, `rate_visitor`, …) |
//!
//! Every label comes from a closed set, so no client can add series: the
//! method is a known verb or `other`, the route the matched template or
//! `unmatched`. The known series start at 0, so `rate()` works from start-up.

use std::{
    sync::OnceLock,
    time::{Duration, Instant},
};

use axum::{
    extract::{MatchedPath, Request},
    middleware::Next,
    response::Response,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How often the recorder drains its histogram buffers.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the process-wide recorder once (with its periodic upkeep and the
/// known series at 0) and returns its handle.
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
                .expect("buckets are not empty");
            match builder.install_recorder() {
                Ok(handle) => {
                    let upkeep = handle.clone();
                    // A plain thread: the recorder outlives any one runtime.
                    let _ = std::thread::Builder::new()
                        .name("metrics-upkeep".into())
                        .spawn(move || {
                            loop {
                                std::thread::sleep(UPKEEP_EVERY);
                                upkeep.run_upkeep();
                            }
                        });
                    register_known_series();
                    handle
                }
                // Another recorder is installed (embedding): render an empty one.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// Creates the series whose labels are known in advance, at 0.
fn register_known_series() {
    for role in ["user", "assistant", "agent", "system"] {
        metrics::counter!("lantern_messages_stored_total", "role" => role).absolute(0);
    }
    for kind in crate::engine::llm::LlmError::KINDS {
        metrics::counter!("lantern_llm_errors_total", "kind" => *kind).absolute(0);
    }
    for scope in [
        "ip",
        "visitor",
        "streams_visitor",
        "streams_ip",
        "new_visitor_ip",
        "new_visitor_site",
    ] {
        metrics::counter!("lantern_rate_limit_refusals_total", "scope" => scope).absolute(0);
    }
    for kind in crate::prune::KINDS {
        metrics::counter!("lantern_pruned_rows_total", "kind" => kind).absolute(0);
    }
    for kind in crate::knowledge::embed::EmbedError::KINDS {
        metrics::counter!("lantern_embeddings_errors_total", "kind" => *kind).absolute(0);
    }
    metrics::counter!("lantern_llm_budget_refusals_total").absolute(0);
    for kind in ["input", "output"] {
        metrics::counter!("lantern_llm_tokens_total", "kind" => kind).absolute(0);
    }
    for outcome in ["written", "failed"] {
        metrics::counter!("lantern_backups_total", "outcome" => outcome).absolute(0);
    }
    for queue in ["streamed_reply", "redis_publish"] {
        metrics::counter!("lantern_queue_dropped_total", "queue" => queue).absolute(0);
    }
    metrics::gauge!("lantern_queue_depth", "queue" => "redis_publish").set(0.0);
    metrics::gauge!("lantern_sse_streams_open").set(0.0);
    metrics::gauge!("lantern_light_connections_open").set(0.0);
    for reason in crate::attachments::Refusal::REASONS {
        metrics::counter!("lantern_uploads_refused_total", "reason" => reason).absolute(0);
    }
    metrics::counter!("lantern_attachment_bytes_uploaded_total").absolute(0);
}

/// The methods counted by name; any other is `other`.
fn method_label(method: &http::Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// Counts and times every request by its route template (never the raw path,
/// which would explode the label set) and a known method.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("lantern_http_requests_total", &labels).increment(1);
    metrics::histogram!("lantern_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

pub fn message_stored(role: &str) {
    metrics::counter!("lantern_messages_stored_total", "role" => role.to_owned()).increment(1);
}

pub fn answer_finished(started: Instant) {
    metrics::histogram!("lantern_answer_duration_seconds").record(started.elapsed().as_secs_f64());
}

pub fn first_delta(started: Instant) {
    metrics::histogram!("lantern_answer_first_delta_seconds")
        .record(started.elapsed().as_secs_f64());
}

pub fn llm_error(kind: &'static str) {
    metrics::counter!("lantern_llm_errors_total", "kind" => kind).increment(1);
}

/// An embeddings call that failed (a search then ranks by full text; the
/// import worker retries later), by [`crate::knowledge::embed::EmbedError::kind`].
pub fn embeddings_error(kind: &'static str) {
    metrics::counter!("lantern_embeddings_errors_total", "kind" => kind).increment(1);
}

pub fn llm_budget_spent() {
    metrics::counter!("lantern_llm_budget_refusals_total").increment(1);
}

/// A scheduled backup's outcome: `written` or `failed`.
pub fn backup(outcome: &'static str) {
    metrics::counter!("lantern_backups_total", "outcome" => outcome).increment(1);
}

/// An event an in-memory queue had no room for.
pub fn queue_dropped(queue: &'static str) {
    metrics::counter!("lantern_queue_dropped_total", "queue" => queue).increment(1);
}

/// Events waiting in an in-memory queue.
pub fn queue_depth(queue: &'static str, depth: usize) {
    metrics::gauge!("lantern_queue_depth", "queue" => queue).set(depth as f64);
}

/// Tokens charged to provider calls, as reported (or estimated).
pub fn llm_tokens(input: u64, output: u64) {
    metrics::counter!("lantern_llm_tokens_total", "kind" => "input").increment(input);
    metrics::counter!("lantern_llm_tokens_total", "kind" => "output").increment(output);
}

pub fn pruned(kind: &'static str, rows: u64) {
    metrics::counter!("lantern_pruned_rows_total", "kind" => kind).increment(rows);
}

pub fn rate_limited(scope: &'static str) {
    metrics::counter!("lantern_rate_limit_refusals_total", "scope" => scope).increment(1);
}

/// An upload refused, by [`crate::attachments::Refusal::reason`].
pub fn upload_refused(reason: &'static str) {
    metrics::counter!("lantern_uploads_refused_total", "reason" => reason).increment(1);
}

/// An upload stored: `bytes` more in the store.
pub fn attachment_stored(bytes: u64) {
    metrics::counter!("lantern_attachment_bytes_uploaded_total").increment(bytes);
    metrics::gauge!("lantern_attachment_bytes_stored").increment(bytes as f64);
}

/// Every attachment's bytes, as counted by the database (housekeeping).
pub fn attachment_bytes(total: i64) {
    metrics::gauge!("lantern_attachment_bytes_stored").set(total as f64);
}

pub fn pool(size: u32, idle: u32) {
    metrics::gauge!("lantern_db_pool_connections", "state" => "idle").set(f64::from(idle));
    metrics::gauge!("lantern_db_pool_connections", "state" => "in_use")
        .set(f64::from(size.saturating_sub(idle)));
}

/// Counts an open SSE stream for as long as it lives.
pub struct StreamGuard(&'static str);

impl StreamGuard {
    pub fn open() -> StreamGuard {
        StreamGuard::counting("lantern_sse_streams_open")
    }

    /// Counts a connection on the light path for streams (`listen`).
    pub fn light() -> StreamGuard {
        StreamGuard::counting("lantern_light_connections_open")
    }

    fn counting(gauge: &'static str) -> StreamGuard {
        metrics::gauge!(gauge).increment(1.0);
        StreamGuard(gauge)
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        metrics::gauge!(self.0).decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::method_label;

    #[test]
    fn methods_come_from_a_closed_set() {
        assert_eq!(method_label(&http::Method::POST), "POST");
        let made_up = http::Method::from_bytes(b"AAAA1").expect("a token");
        assert_eq!(method_label(&made_up), "other");
    }
}
