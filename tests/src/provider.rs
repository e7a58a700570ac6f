//! A stand-in for the far side of an LLM provider: a loopback HTTP server
//! that plays scripted responses in the providers' real wire formats and
//! records what it was sent. Only the provider is stood in for; Lantern runs
//! for real.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    sync::Notify,
};

/// One step of a scripted response body.
#[derive(Clone)]
pub enum Part {
    /// Bytes written as they are.
    Send(String),
    /// Pause.
    Sleep(Duration),
    /// Hold until the test calls `notify_one` on this.
    Wait(Arc<Notify>),
}

/// A whole response: status, headers, body parts; the connection closes
/// after the last part (a body without `[DONE]` / `message_stop` is a cut).
#[derive(Clone)]
pub struct Script {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub parts: Vec<Part>,
}

impl Script {
    /// A `200 text/event-stream` response.
    pub fn stream(parts: Vec<Part>) -> Script {
        Script {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            parts,
        }
    }

    /// A JSON error response.
    pub fn error(status: u16, body: serde_json::Value, headers: &[(&str, &str)]) -> Script {
        let mut h: Vec<(String, String)> = vec![("content-type".into(), "application/json".into())];
        h.extend(headers.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Script {
            status,
            headers: h,
            parts: vec![Part::Send(body.to_string())],
        }
    }
}

/// A recorded request: head (request line and headers) and body.
#[derive(Debug, Clone)]
pub struct Seen {
    pub head: String,
    pub body: serde_json::Value,
}

pub struct StandIn {
    pub base_url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl StandIn {
    /// Serves `scripts` in order, one per connection (the last repeats).
    pub async fn start(scripts: Vec<Script>) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let record = seen.clone();
        tokio::spawn(async move {
            let mut n = 0;
            while let Ok((mut sock, _)) = listener.accept().await {
                let script = scripts[n.min(scripts.len() - 1)].clone();
                n += 1;
                let record = record.clone();
                tokio::spawn(async move {
                    if let Some(req) = read_request(&mut sock).await {
                        record.lock().expect("lock").push(req);
                    }
                    let mut head = format!("HTTP/1.1 {} X\r\nconnection: close\r\n", script.status);
                    for (k, v) in &script.headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    if sock.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    for part in script.parts {
                        match part {
                            Part::Send(s) => {
                                if sock.write_all(s.as_bytes()).await.is_err() {
                                    return;
                                }
                                let _ = sock.flush().await;
                            }
                            Part::Sleep(d) => tokio::time::sleep(d).await,
                            Part::Wait(n) => n.notified().await,
                        }
                    }
                    let _ = sock.shutdown().await;
                });
            }
        });
        StandIn {
            base_url: format!("http://{addr}"),
            seen,
        }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = serde_json::from_slice(&buf[head_end..]).unwrap_or(serde_json::Value::Null);
    Some(Seen {
        head: head.to_ascii_lowercase(),
        body,
    })
}

/// `data: {...}` frames of an OpenAI-compatible stream.
pub fn openai_delta(text: &str) -> Part {
    let chunk = serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": null}]
    });
    Part::Send(format!("data: {chunk}\n\n"))
}

pub fn openai_done() -> Vec<Part> {
    let last = serde_json::json!({"id": "chatcmpl-1", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
    vec![
        Part::Send(format!("data: {last}\n\n")),
        Part::Send("data: [DONE]\n\n".into()),
    ]
}

/// The last chunk OpenAI sends when asked for `stream_options.include_usage`:
/// no choices, the call's token counts.
pub fn openai_usage(prompt: u64, completion: u64) -> Part {
    let chunk = serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [],
        "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    });
    Part::Send(format!("data: {chunk}\n\n"))
}

/// An Anthropic `event:`/`data:` frame.
pub fn anthropic_event(kind: &str, data: serde_json::Value) -> Part {
    Part::Send(format!("event: {kind}\ndata: {data}\n\n"))
}

pub fn anthropic_start() -> Vec<Part> {
    vec![
        anthropic_event(
            "message_start",
            serde_json::json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [], "usage": {"input_tokens": 25, "output_tokens": 1}}}),
        ),
        anthropic_event(
            "content_block_start",
            serde_json::json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
        anthropic_event("ping", serde_json::json!({"type": "ping"})),
    ]
}

pub fn anthropic_delta(text: &str) -> Part {
    anthropic_event(
        "content_block_delta",
        serde_json::json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}}),
    )
}

pub fn anthropic_stop() -> Vec<Part> {
    vec![
        anthropic_event(
            "content_block_stop",
            serde_json::json!({"type": "content_block_stop", "index": 0}),
        ),
        anthropic_event(
            "message_delta",
            serde_json::json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 15}}),
        ),
        anthropic_event("message_stop", serde_json::json!({"type": "message_stop"})),
    ]
}
