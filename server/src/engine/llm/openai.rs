//! OpenAI-compatible chat completions, streamed: `POST {base}/chat/completions`
//! with `stream: true`; the answer arrives as `data: {"choices":[{"delta":
//! {"content":"…"}}]}` frames and ends with `data: [DONE]`; asked for it,
//! the last chunk before `[DONE]` carries the call's `usage`.

use serde_json::{Value, json};

use super::{Step, prompt::Prompt, sse::Frame, usage::Usage};
use crate::settings::LlmSettings;

pub fn request(
    settings: &LlmSettings,
    prompt: &Prompt,
) -> (String, Vec<(&'static str, String)>, Value) {
    let mut messages = vec![json!({"role": "system", "content": prompt.system})];
    for (role, text) in &prompt.messages {
        messages.push(json!({"role": role.as_str(), "content": text}));
    }
    let mut headers = Vec::new();
    if let Some(key) = &settings.api_key {
        headers.push(("authorization", format!("Bearer {}", key.expose())));
    }
    let body = json!({
        "model": settings.model,
        "max_tokens": settings.max_tokens,
        "stream": true,
        "stream_options": {"include_usage": true},
        "temperature": 0.2,
        "messages": messages,
    });
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
    match v
        .pointer("/choices/0/delta/content")
        .and_then(Value::as_str)
    {
        Some(text) if !text.is_empty() => Step::Text(text.to_string()),
        _ => Step::Skip,
    }
}
