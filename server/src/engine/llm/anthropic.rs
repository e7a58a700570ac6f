//! Anthropic messages, streamed: `POST {base}/v1/messages` with
//! `stream: true`; text arrives in `content_block_delta` events carrying a
//! `text_delta`, the answer ends with `message_stop`, and failures mid-stream
//! come as an `error` event. `message_start` and `message_delta` carry the
//! call's token usage.

use serde_json::{Value, json};

use super::{Role, Step, prompt::Prompt, sse::Frame, usage::Usage};
use crate::settings::LlmSettings;

/// The API version these events are read for.
const VERSION: &str = "2023-06-01";

pub fn request(
    settings: &LlmSettings,
    prompt: &Prompt,
) -> (String, Vec<(&'static str, String)>, Value) {
    // Anthropic wants strictly alternating turns that start with the user:
    // merge neighbours of one role and drop a leading assistant turn.
    let mut turns: Vec<(Role, String)> = Vec::new();
    for (role, text) in &prompt.messages {
        if turns.is_empty() && *role == Role::Assistant {
            continue;
        }
        match turns.last_mut() {
            Some((r, t)) if r == role => {
                t.push_str("\n\n");
                t.push_str(text);
            }
            _ => turns.push((*role, text.clone())),
        }
    }
    let messages: Vec<Value> = turns
        .iter()
        .map(|(role, text)| json!({"role": role.as_str(), "content": text}))
        .collect();
    let mut headers = vec![("anthropic-version", VERSION.to_string())];
    if let Some(key) = &settings.api_key {
        headers.push(("x-api-key", key.expose().to_string()));
    }
    let body = json!({
        "model": settings.model,
        "max_tokens": settings.max_tokens,
        "stream": true,
        "system": prompt.system,
        "messages": messages,
    });
    (format!("{}/v1/messages", settings.base_url.expose()), headers, body)
}

pub fn interpret(frame: &Frame, used: &mut Usage) -> Step {
    if frame.data.trim().is_empty() {
        return Step::Skip;
    }
    let v: Value = match serde_json::from_str(&frame.data) {
        Ok(v) => v,
        Err(e) => return Step::Malformed(format!("not JSON ({e})")),
    };
    if let Some(report) = super::usage::read(&v) {
        used.absorb(report);
    }
    let kind = v
        .get("type")
        .and_then(Value::as_str)
        .or(frame.event.as_deref())
        .unwrap_or_default();
    match kind {
        "content_block_delta" => match v.pointer("/delta/type").and_then(Value::as_str) {
            Some("text_delta") => match v.pointer("/delta/text").and_then(Value::as_str) {
                Some(t) if !t.is_empty() => Step::Text(t.to_string()),
                _ => Step::Skip,
            },
            _ => Step::Skip,
        },
        "message_stop" => Step::Done,
        "error" => Step::Error(super::error::error_message(&frame.data)),
        _ => Step::Skip,
    }
}
