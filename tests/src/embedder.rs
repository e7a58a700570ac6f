//! A stand-in OpenAI-compatible embeddings server on loopback: `POST
//! /v1/embeddings` with `{"model", "input"}` answers `{"object": "list",
//! "data": [{"object": "embedding", "index", "embedding"}], "model",
//! "usage"}`, and errors as `{"error": {"message", "type", "code"}}`.
//! Its vectors are deterministic bags of words in which the words of each
//! `concept` the test names share one dimension (so "refund" and "money
//! back" meet, as in a real model), every other word hashed into the rest.
//! It records what it was sent and can be told to fail or stall.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Json, Router, extract::State, http::StatusCode, response::IntoResponse, routing::post};
use serde_json::{Value, json};

/// Dimensions of every vector, unless started with others.
pub const DIMS: usize = 64;

/// A request with an input holding this word is refused with a 400, as a
/// real server refuses an input longer than its model's context.
pub const TOO_LONG: &str = "OVERLONG";

/// How the stand-in answers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    Answer,
    /// This status with an OpenAI error body (429 with `retry-after`).
    Fail(u16),
    /// Answers after this long.
    Stall(Duration),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub model: String,
    pub inputs: Vec<String>,
}

struct Inner {
    concepts: Vec<Vec<String>>,
    dims: usize,
    mode: Mutex<Mode>,
    seen: Mutex<Vec<Seen>>,
}

#[derive(Clone)]
pub struct Embedder {
    /// What `LANTERN_EMBEDDINGS_URL` is set to (`http://127.0.0.1:PORT/v1`).
    pub url: String,
    inner: Arc<Inner>,
}

impl Embedder {
    /// Starts the stand-in; the words of each of `concepts` share a dimension.
    pub async fn start(concepts: &[&[&str]]) -> Embedder {
        Self::start_with(concepts, DIMS).await
    }

    /// Like [`Embedder::start`], with vectors of `dims` dimensions (more
    /// than the concepts).
    pub async fn start_with(concepts: &[&[&str]], dims: usize) -> Embedder {
        assert!(dims > concepts.len(), "room for the other words");
        let inner = Arc::new(Inner {
            dims,
            concepts: concepts
                .iter()
                .map(|c| c.iter().map(|w| w.to_lowercase()).collect())
                .collect(),
            mode: Mutex::new(Mode::Answer),
            seen: Mutex::new(Vec::new()),
        });
        let router = Router::new()
            .route("/v1/embeddings", post(embeddings))
            .with_state(inner.clone());
        let base = crate::serve(router).await;
        Embedder {
            url: format!("{base}/v1"),
            inner,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.inner.mode.lock().expect("lock") = mode;
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.inner.seen.lock().expect("lock").clone()
    }

    /// The vector the stand-in gives `text`.
    pub fn vector(&self, text: &str) -> Vec<f32> {
        vector(&self.inner, text)
    }
}

fn vector(inner: &Inner, text: &str) -> Vec<f32> {
    let concepts = &inner.concepts;
    let mut v = vec![0.0f32; inner.dims];
    let free = inner.dims - concepts.len();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let w = word.to_lowercase();
        let dim = match concepts.iter().position(|c| c.contains(&w)) {
            Some(i) => i,
            None => concepts.len() + (fnv1a(&w) % free as u64) as usize,
        };
        v[dim] += 1.0;
    }
    v
}

fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

fn error(status: u16, message: &str, kind: &str, code: Value) -> axum::response::Response {
    let status = StatusCode::from_u16(status).expect("status");
    let body = Json(json!({"error": {"message": message, "type": kind, "code": code}}));
    if status == StatusCode::TOO_MANY_REQUESTS {
        (status, [("retry-after", "20")], body).into_response()
    } else {
        (status, body).into_response()
    }
}

async fn embeddings(
    State(inner): State<Arc<Inner>>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return error(
            400,
            "We could not parse the JSON body of your request.",
            "invalid_request_error",
            Value::Null,
        );
    };
    let model = req["model"].as_str().unwrap_or_default().to_string();
    let inputs: Option<Vec<String>> = match &req["input"] {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => None,
    };
    let Some(inputs) = inputs.filter(|i| !i.is_empty() && !model.is_empty()) else {
        return error(
            400,
            "'input' and 'model' are required",
            "invalid_request_error",
            Value::Null,
        );
    };
    // A real server refuses an input longer than the model's context the
    // same way; the tests mark such an input with this word.
    if inputs.iter().any(|i| i.contains(TOO_LONG)) {
        return error(
            400,
            "This model's maximum context length is 512 tokens.",
            "invalid_request_error",
            Value::Null,
        );
    }
    inner.seen.lock().expect("lock").push(Seen {
        model: model.clone(),
        inputs: inputs.clone(),
    });
    let mode = *inner.mode.lock().expect("lock");
    match mode {
        Mode::Fail(429) => {
            return error(
                429,
                "Rate limit reached for requests",
                "requests",
                json!("rate_limit_exceeded"),
            );
        }
        Mode::Fail(status) => {
            return error(
                status,
                "The server had an error while processing your request.",
                "server_error",
                Value::Null,
            );
        }
        Mode::Stall(d) => tokio::time::sleep(d).await,
        Mode::Answer => {}
    }
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": vector(&inner, t)}))
        .collect();
    let tokens: usize = inputs.iter().map(|t| t.split_whitespace().count()).sum();
    Json(json!({
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }))
    .into_response()
}
