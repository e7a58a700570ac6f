//! Streaming LLM clients: OpenAI-compatible chat completions and Anthropic
//! messages, over reqwest. Text goes to the [`DeltaSink`] as each chunk
//! arrives. Every wait is bounded (connect, first byte, silence between
//! chunks); a 429 with a short `retry-after` is retried once. At most
//! `concurrency` calls are in flight at once across all sites; an answer
//! that cannot get one within the queue timeout fails as [`LlmError::Busy`]
//! and is written from the knowledge base instead (one visitor flood cannot
//! queue unbounded spend on the provider).

mod anthropic;
pub mod budget;
pub mod error;
mod openai;
pub mod prompt;
pub mod sse;
pub mod tools;
pub mod usage;

use std::{sync::Arc, time::Duration};

use futures::StreamExt;
use tokio::time::{Instant, timeout, timeout_at};

pub use error::LlmError;
pub use prompt::{Prompt, ToolTurn};
pub use tools::ToolCall;
pub use usage::Usage;

use crate::{
    answer::DeltaSink,
    settings::{LlmProvider, LlmSettings},
};

/// Bytes of an error body read for its message.
const ERROR_BODY_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// What one stream frame means.
#[derive(Debug, PartialEq)]
pub enum Step {
    Text(String),
    /// Pieces of tool calls (see [`tools`]).
    Call(Vec<tools::CallPiece>),
    Done,
    Skip,
    Error(String),
    Malformed(String),
}

/// A finished answer: its text and the tools it called.
#[derive(Debug, Default)]
pub struct Streamed {
    pub text: String,
    pub calls: Vec<ToolCall>,
}

/// A failed answer, with the text that had already been streamed.
#[derive(Debug)]
pub struct Failure {
    pub error: LlmError,
    pub partial: String,
}

pub struct LlmClient {
    http: reqwest::Client,
    settings: LlmSettings,
    /// One permit per provider call allowed in flight.
    calls: Arc<tokio::sync::Semaphore>,
}

impl LlmClient {
    pub fn new(settings: LlmSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .build()?;
        let calls = Arc::new(tokio::sync::Semaphore::new(settings.concurrency));
        Ok(LlmClient {
            http,
            settings,
            calls,
        })
    }

    pub fn settings(&self) -> &LlmSettings {
        &self.settings
    }

    /// Streams the answer to `prompt` into `sink`; the whole text and the
    /// tool calls on success. What the provider reports it used goes to
    /// `used`, whatever the outcome.
    pub async fn stream(
        &self,
        prompt: &Prompt,
        sink: &DeltaSink,
        used: &mut Usage,
    ) -> Result<Streamed, Failure> {
        // `timeout` polls the semaphore first, so a free call is taken even
        // with a zero queue timeout.
        let Ok(Ok(_call)) = timeout(self.settings.queue_timeout, self.calls.acquire()).await else {
            return Err(Failure {
                error: LlmError::Busy,
                partial: String::new(),
            });
        };
        let mut text = String::new();
        let mut calls = tools::Calls::default();
        match self.attempt(prompt, sink, &mut text, &mut calls, used).await {
            Err(LlmError::RateLimited {
                retry_after: Some(wait),
                ..
            }) if text.is_empty() && wait <= self.settings.max_retry_wait => {
                tracing::info!(
                    wait_ms = wait.as_millis() as u64,
                    "LLM rate limited; retrying once"
                );
                tokio::time::sleep(wait).await;
                self.attempt(prompt, sink, &mut text, &mut calls, used).await
            }
            other => other,
        }
        .map(|()| Streamed {
            text: text.clone(),
            calls: std::mem::take(&mut calls).finish(),
        })
        .map_err(|error| Failure {
            error,
            partial: text,
        })
    }

    async fn attempt(
        &self,
        prompt: &Prompt,
        sink: &DeltaSink,
        text: &mut String,
        calls: &mut tools::Calls,
        used: &mut Usage,
    ) -> Result<(), LlmError> {
        let (url, headers, body) = match self.settings.provider {
            LlmProvider::OpenAi => openai::request(&self.settings, prompt),
            LlmProvider::Anthropic => anthropic::request(&self.settings, prompt),
        };
        let interpret = match self.settings.provider {
            LlmProvider::OpenAi => openai::interpret,
            LlmProvider::Anthropic => anthropic::interpret,
        };
        let mut req = self
            .http
            .post(&url)
            .header("accept", "text/event-stream")
            .json(&body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        let first_byte = Instant::now() + self.settings.first_byte_timeout;
        let res = timeout_at(first_byte, req.send())
            .await
            .map_err(|_| LlmError::Timeout("response headers"))?
            .map_err(network)?;
        let status = res.status();
        if !status.is_success() {
            let retry_after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(Duration::from_secs_f64);
            let body = read_capped(res, self.settings.idle_timeout).await;
            let message = error::error_message(&body);
            return Err(if status.as_u16() == 429 {
                LlmError::RateLimited {
                    retry_after,
                    message,
                }
            } else {
                LlmError::Status {
                    status: status.as_u16(),
                    message,
                }
            });
        }
        let mut stream = res.bytes_stream();
        let mut parser = sse::Parser::default();
        let mut got_bytes = false;
        loop {
            let next = if got_bytes {
                timeout(self.settings.idle_timeout, stream.next()).await
            } else {
                timeout_at(first_byte, stream.next()).await
            };
            let chunk = match next {
                Err(_) => {
                    return Err(LlmError::Timeout(if got_bytes {
                        "next chunk"
                    } else {
                        "first byte"
                    }));
                }
                Ok(None) => {
                    return Err(if parser.has_partial() {
                        LlmError::Malformed("the stream ended inside an event".into())
                    } else {
                        LlmError::Cut
                    });
                }
                Ok(Some(Err(e))) => return Err(if got_bytes { LlmError::Cut } else { network(e) }),
                Ok(Some(Ok(bytes))) => bytes,
            };
            got_bytes = true;
            for frame in parser.push(&chunk) {
                match interpret(&frame, used) {
                    Step::Text(t) => {
                        sink.send(t.clone());
                        text.push_str(&t);
                    }
                    Step::Call(pieces) => pieces.into_iter().for_each(|p| calls.push(p)),
                    Step::Done => return Ok(()),
                    Step::Skip => {}
                    Step::Error(m) => return Err(LlmError::Provider(m)),
                    Step::Malformed(m) => return Err(LlmError::Malformed(m)),
                }
            }
        }
    }
}

fn network(e: reqwest::Error) -> LlmError {
    if e.is_timeout() || e.is_connect() && e.to_string().contains("timed out") {
        LlmError::Timeout("connection")
    } else {
        LlmError::Network(e.to_string())
    }
}

/// Up to [`ERROR_BODY_BYTES`] of a body, waiting at most `wait`.
async fn read_capped(res: reqwest::Response, wait: Duration) -> String {
    let mut body = Vec::new();
    let mut stream = res.bytes_stream();
    let deadline = Instant::now() + wait;
    while let Ok(Some(Ok(chunk))) = timeout_at(deadline, stream.next()).await {
        body.extend_from_slice(&chunk);
        if body.len() >= ERROR_BODY_BYTES {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}
