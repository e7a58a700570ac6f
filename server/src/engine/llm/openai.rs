//! OpenAI-compatible chat completions, streamed: `POST {base}/chat/completions`
//! with `stream: true`; the answer arrives as `data: {"choices":[{"delta":
//! {"content":"…"}}]}` frames and ends with `data: [DONE]`; asked for it,
//! the last chunk before `[DONE]` carries the call's `usage`. Tool calls
//! arrive as `delta.tool_calls: [{index, id?, function: {name?, arguments}}]`
//! pieces; their results go back as `role: "tool"` messages after the
//! assistant message that made the calls.

use serde_json::{Value, json};

use super::{
    Step,
    prompt::Prompt,
    sse::Frame,
    tools::{self, CallPiece},
    usage::Usage,
};
use crate::settings::LlmSettings;

pub fn request(
    settings: &LlmSettings,
    prompt: &Prompt,
) -> (String, Vec<(&'static str, String)>, Value) {
    let mut messages = vec![json!({"role": "system", "content": prompt.system})];
    for (role, text) in &prompt.messages {
        messages.push(json!({"role": role.as_str(), "content": text}));
    }
    if let Some(turn) = &prompt.tool_turn {
        let calls: Vec<Value> = turn
            .calls
            .iter()
            .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}))
            .collect();
        let content = (!turn.text.is_empty()).then_some(&turn.text);
        messages.push(json!({"role": "assistant", "content": content, "tool_calls": calls}));
        for c in &turn.calls {
            messages.push(json!({"role": "tool", "tool_call_id": c.id, "content": c.result()}));
        }
    }
    let mut headers = Vec::new();
    if let Some(key) = &settings.api_key {
        headers.push(("authorization", format!("Bearer {}", key.expose())));
    }
    let mut body = json!({
        "model": settings.model,
        "max_tokens": settings.max_tokens,
        "stream": true,
        "stream_options": {"include_usage": true},
        "temperature": 0.2,
        "messages": messages,
    });
    if prompt.remember {
        body["tools"] = json!([{"type": "function", "function": {
            "name": tools::REMEMBER, "description": tools::DESCRIPTION, "parameters": tools::parameters(),
        }}]);
        if prompt.tool_turn.is_some() {
            body["tool_choice"] = json!("none");
        }
    }
    (
        format!("{}/chat/completions", settings.base_url.expose()),
        headers,
        body,
    )
}

pub fn interpret(frame: &Frame, used: &mut Usage) -> Step {
    let data = frame.data.trim();
    if data == "[DONE]" {
        return Step::Done;
    }
    if data.is_empty() {
        return Step::Skip;
    }
    let v: Value = match serde_json::from_str(data) {
        Ok(v) => v,
        Err(e) => {
            return Step::Malformed(format!(
                "not JSON ({e}): {}",
                data.chars().take(80).collect::<String>()
            ));
        }
    };
    if v.get("error").is_some() {
        return Step::Error(super::error::error_message(data));
    }
    if let Some(report) = super::usage::read(&v) {
        used.absorb(report);
    }
    if let Some(calls) = v
        .pointer("/choices/0/delta/tool_calls")
        .and_then(Value::as_array)
    {
        let text = |c: &Value, at: &str| c.pointer(at).and_then(Value::as_str).map(str::to_string);
        return Step::Call(
            calls
                .iter()
                .map(|c| CallPiece {
                    index: c.get("index").and_then(Value::as_u64).unwrap_or(0),
                    id: text(c, "/id"),
                    name: text(c, "/function/name"),
                    arguments: text(c, "/function/arguments").unwrap_or_default(),
                })
                .collect(),
        );
    }
    match v
        .pointer("/choices/0/delta/content")
        .and_then(Value::as_str)
    {
        Some(text) if !text.is_empty() => Step::Text(text.to_string()),
        _ => Step::Skip,
    }
}
