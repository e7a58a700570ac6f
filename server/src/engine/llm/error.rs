//! How an LLM call can fail. Each failure has a short `kind` for logs and
//! metrics; none is shown to the visitor, who gets a fallback answer.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("timed out waiting for the {0}")]
    Timeout(&'static str),
    #[error("rate limited (retry after {retry_after:?})")]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    #[error("provider error {status}: {message}")]
    Status { status: u16, message: String },
    #[error("provider reported an error in the stream: {0}")]
    Provider(String),
    #[error("malformed stream: {0}")]
    Malformed(String),
    #[error("the stream ended before the answer was complete")]
    Cut,
    #[error("network error: {0}")]
    Network(String),
    /// Every provider call was taken for the whole queue timeout
    /// (`LANTERN_LLM_CONCURRENCY`, `LANTERN_LLM_QUEUE_TIMEOUT_MS`).
    #[error("no free LLM call within the queue timeout")]
    Busy,
}

impl LlmError {
    /// Every value [`LlmError::kind`] returns (metrics start them at 0).
    pub const KINDS: &'static [&'static str] = &[
        "timeout",
        "rate_limited",
        "server_error",
        "client_error",
        "provider_error",
        "malformed_stream",
        "stream_cut",
        "network",
        "busy",
    ];

    pub fn kind(&self) -> &'static str {
        match self {
            LlmError::Timeout(_) => "timeout",
            LlmError::RateLimited { .. } => "rate_limited",
            LlmError::Status { status, .. } if *status >= 500 => "server_error",
            LlmError::Status { .. } => "client_error",
            LlmError::Provider(_) => "provider_error",
            LlmError::Malformed(_) => "malformed_stream",
            LlmError::Cut => "stream_cut",
            LlmError::Network(_) => "network",
            LlmError::Busy => "busy",
        }
    }
}

/// The message of a provider's error body: OpenAI's
/// `{"error":{"message","type","code"}}` and Anthropic's
/// `{"type":"error","error":{"type","message"}}` both carry `error.message`.
pub fn error_message(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    let message = error
        .and_then(|e| e.get("message"))
        .and_then(|m| m.as_str());
    let kind = error.and_then(|e| e.get("type")).and_then(|t| t.as_str());
    match (kind, message) {
        (Some(k), Some(m)) => format!("{k}: {m}"),
        (None, Some(m)) => m.to_string(),
        _ => body.chars().take(200).collect(),
    }
}
