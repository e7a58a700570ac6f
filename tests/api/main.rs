//! The API suite: the real server over HTTP, each test on a fresh SQLite file
//! and on a fresh Postgres database.

mod accounts;
mod answers;
mod attachments;
mod auth;
mod backup;
mod bad_input;
mod cache;
mod conversation_log;
mod conversations;
mod drills;
mod events;
mod health;
mod hybrid;
mod inbox;
mod insights;
mod knowledge;
mod knowledge_uploads;
mod llm;
mod memory;
mod memory_earlier;
mod memory_facts;
mod messages;
mod privacy;
mod prune;
mod ranking;
mod ratelimits;
mod retrieval;
mod scaleout;
mod secrets;
mod security;
mod site_settings;
mod site_stream_order;
mod source_limits;
mod sources;
mod term_stats;
mod tokens;
mod typing_preview;
mod visitors;
mod webhooks;

use serde_json::Value;

/// Asserts `res` is an error envelope with `code` and `status`.
pub async fn assert_envelope(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status(), status, "status");
    let request_id = res
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().expect("ascii").to_string());
    let body: Value = res.json().await.expect("an error body is JSON");
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(body["details"].is_array(), "{body}");
    assert!(
        body["timestamp"].as_str().is_some_and(|t| t.contains('T')),
        "{body}"
    );
    let id = body["request_id"].as_str().expect("request_id");
    assert!(!id.is_empty(), "{body}");
    assert_eq!(
        Some(id.to_string()),
        request_id,
        "the envelope carries the response's request id"
    );
    body
}
