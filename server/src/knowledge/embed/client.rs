//! The OpenAI-compatible embeddings call: `POST {url}/embeddings` with
//! `{"model", "input": [texts]}`; the answer is `{"object": "list", "data":
//! [{"object": "embedding", "index", "embedding": [f32…]}], "model",
//! "usage"}`, errors `{"error": {"message", "type", "code"}}` with a 4xx or
//! 5xx status. Every wait is bounded; nothing is retried here (the import
//! worker backs off and tries again, a search falls back to full text).

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::settings::EmbeddingConfig;

/// Bytes of an error body read for its message.
const ERROR_BODY_BYTES: usize = 16 * 1024;

/// How an embeddings call can fail; `kind` labels the metric.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("timed out")]
    Timeout,
    #[error("rate limited: {0}")]
    RateLimited(String),
    #[error("provider error {status}: {message}")]
    Status { status: u16, message: String },
    #[error("malformed answer: {0}")]
    Malformed(String),
    #[error("network error: {0}")]
    Network(String),
}

impl EmbedError {
    /// Every value [`EmbedError::kind`] returns (metrics start them at 0).
    pub const KINDS: &'static [&'static str] = &[
        "timeout",
        "rate_limited",
        "server_error",
        "client_error",
        "malformed",
        "network",
    ];

    pub fn kind(&self) -> &'static str {
        match self {
            EmbedError::Timeout => "timeout",
            EmbedError::RateLimited(_) => "rate_limited",
            EmbedError::Status { status, .. } if *status >= 500 => "server_error",
            EmbedError::Status { .. } => "client_error",
            EmbedError::Malformed(_) => "malformed",
            EmbedError::Network(_) => "network",
        }
    }
}

#[derive(Deserialize)]
struct Answer {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    index: usize,
    embedding: Vec<f32>,
}

pub struct EmbedClient {
    http: reqwest::Client,
    config: EmbeddingConfig,
}

impl EmbedClient {
    pub fn new(config: EmbeddingConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .build()?;
        Ok(EmbedClient { http, config })
    }

    pub fn config(&self) -> &EmbeddingConfig {
        &self.config
    }

    /// The vectors of `texts`, in their order, each cut to `max_chars`;
    /// the whole call bounded by `within`.
    pub async fn embed(
        &self,
        texts: &[String],
        within: Duration,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let input: Vec<String> = texts.iter().map(|t| self.cut(t)).collect();
        match tokio::time::timeout(within, self.call(&input)).await {
            Ok(out) => out,
            Err(_) => Err(EmbedError::Timeout),
        }
    }

    /// `text` without control characters, at most `max_chars` characters.
    fn cut(&self, text: &str) -> String {
        let t: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(self.config.max_chars)
            .collect();
        // An empty input is an error on some servers.
        if t.trim().is_empty() { ".".into() } else { t }
    }

    async fn call(&self, input: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut req = self
            .http
            .post(format!("{}/embeddings", self.config.url.expose()))
            .json(&json!({"model": self.config.model, "input": input}));
        if let Some(key) = &self.config.api_key {
            req = req.bearer_auth(key.expose());
        }
        let res = req.send().await.map_err(network)?;
        let status = res.status().as_u16();
        if status != 200 {
            let body = res.bytes().await.unwrap_or_default();
            let body = String::from_utf8_lossy(&body[..body.len().min(ERROR_BODY_BYTES)]);
            let message = crate::engine::llm::error::error_message(&body);
            return Err(if status == 429 {
                EmbedError::RateLimited(message)
            } else {
                EmbedError::Status { status, message }
            });
        }
        let answer: Answer = res
            .json()
            .await
            .map_err(|e| EmbedError::Malformed(e.to_string()))?;
        order(answer.data, input.len())
    }
}

fn network(e: reqwest::Error) -> EmbedError {
    if e.is_timeout() {
        EmbedError::Timeout
    } else {
        EmbedError::Network(e.to_string())
    }
}

/// The vectors by their `index`: one per input, all of one non-zero length.
fn order(mut data: Vec<Item>, inputs: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
    data.sort_by_key(|i| i.index);
    let indexes_ok = data.iter().enumerate().all(|(n, i)| n == i.index);
    if data.len() != inputs || !indexes_ok {
        return Err(EmbedError::Malformed(format!(
            "{} vectors for {inputs} inputs",
            data.len()
        )));
    }
    let dims = data[0].embedding.len();
    if dims == 0 || data.iter().any(|i| i.embedding.len() != dims) {
        return Err(EmbedError::Malformed("vectors of differing lengths".into()));
    }
    Ok(data.into_iter().map(|i| i.embedding).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(index: usize, v: &[f32]) -> Item {
        Item {
            index,
            embedding: v.to_vec(),
        }
    }

    #[test]
    fn vectors_come_back_in_input_order_or_not_at_all() {
        let out = order(vec![item(1, &[2.0]), item(0, &[1.0])], 2).expect("valid");
        assert_eq!(out, vec![vec![1.0], vec![2.0]]);
        assert!(order(vec![item(0, &[1.0])], 2).is_err(), "one missing");
        assert!(order(vec![item(0, &[1.0]), item(0, &[1.0])], 2).is_err(), "index twice");
        assert!(order(vec![item(0, &[1.0]), item(1, &[1.0, 2.0])], 2).is_err(), "ragged");
    }
}
