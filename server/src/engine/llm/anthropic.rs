//! Anthropic messages, streamed: `POST {base}/v1/messages` with
//! `stream: true`; text arrives in `content_block_delta` events carrying a
//! `text_delta`, the answer ends with `message_stop`, and failures mid-stream
//! come as an `error` event. `message_start` and `message_delta` carry the
//! call's token usage. A tool call is a `tool_use` content block whose
//! input arrives as `input_json_delta` pieces; its result goes back as a
//! `tool_result` block in a user turn after the assistant's `tool_use` turn.

use serde_json::{Value, json};

use super::{
    Role, Step,
    prompt::Prompt,
    sse::Frame,
    tools::{self, CallPiece},
    usage::Usage,
};
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
    let mut messages: Vec<Value> = turns
        .iter()
        .map(|(role, text)| json!({"role": role.as_str(), "content": text}))
        .collect();
    if let Some(turn) = &prompt.tool_turn {
        let mut content: Vec<Value> = Vec::new();
        if !turn.text.is_empty() {
            content.push(json!({"type": "text", "text": turn.text}));
        }
        for c in &turn.calls {
            content.push(json!({"type": "tool_use", "id": c.id, "name": c.name, "input": c.input()}));
        }
        messages.push(json!({"role": "assistant", "content": content}));
        let results: Vec<Value> = turn
            .calls
            .iter()
            .map(|c| json!({"type": "tool_result", "tool_use_id": c.id, "content": c.result()}))
            .collect();
        messages.push(json!({"role": "user", "content": results}));
    }
    let mut headers = vec![("anthropic-version", VERSION.to_string())];
    if let Some(key) = &settings.api_key {
        headers.push(("x-api-key", key.expose().to_string()));
    }
    let mut body = json!({
        "model": settings.model,
        "max_tokens": settings.max_tokens,
        "stream": true,
        "system": prompt.system,
        "messages": messages,
    });
    // A request that carries tool_use blocks must declare the tools.
    if prompt.remember {
        body["tools"] = json!([{
            "name": tools::REMEMBER, "description": tools::DESCRIPTION, "input_schema": tools::parameters(),
        }]);
        if prompt.tool_turn.is_some() {
            body["tool_choice"] = json!({"type": "none"});
        }
    }
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
    let index = v.get("index").and_then(Value::as_u64).unwrap_or(0);
    let text = |at: &str| v.pointer(at).and_then(Value::as_str).map(str::to_string);
    match kind {
        "content_block_start" if text("/content_block/type").as_deref() == Some("tool_use") => {
            Step::Call(vec![CallPiece {
                index,
                id: text("/content_block/id"),
                name: text("/content_block/name"),
                arguments: String::new(),
            }])
        }
        "content_block_delta" => match v.pointer("/delta/type").and_then(Value::as_str) {
            Some("text_delta") => match v.pointer("/delta/text").and_then(Value::as_str) {
                Some(t) if !t.is_empty() => Step::Text(t.to_string()),
                _ => Step::Skip,
            },
            Some("input_json_delta") => Step::Call(vec![CallPiece {
                index,
                id: None,
                name: None,
                arguments: text("/delta/partial_json").unwrap_or_default(),
            }]),
            _ => Step::Skip,
        },
        "message_stop" => Step::Done,
        "error" => Step::Error(super::error::error_message(&frame.data)),
        _ => Step::Skip,
    }
}
