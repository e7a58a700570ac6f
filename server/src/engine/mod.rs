//! The answer engine: recognises small talk and requests for a person,
//! otherwise retrieves passages from the site's knowledge base and answers
//! from them — quoting the best passage (no LLM configured) or streaming an
//! LLM's answer grounded in them. A failing LLM never leaves the visitor
//! waiting: they get the retrieval answer or an honest apology instead.

pub mod extractive;
pub mod intent;
pub mod llm;
pub mod replies;

use async_trait::async_trait;
use lantern_shared::api::Citation;

use crate::{
    answer::{Answer, Answerer, DeltaSink, Question},
    knowledge::{KnowledgeBase, PassageHit, Retrieved},
};
use intent::Intent;
use llm::LlmClient;

/// Passages retrieved per question.
const PASSAGES: i64 = 8;
/// Passages given to the LLM as sources.
const LLM_SOURCES: usize = 4;

pub struct Engine {
    pub knowledge: KnowledgeBase,
    pub llm: Option<LlmClient>,
}

#[async_trait]
impl Answerer for Engine {
    async fn answer(&self, q: Question, deltas: DeltaSink) -> Answer {
        if let Some(intent) = intent::detect(&q.text) {
            let text = replies::small_talk(intent, &q.language);
            stream_words(text, &deltas);
            return Answer {
                content: text.to_string(),
                citations: Vec::new(),
                incomplete: false,
                handoff: intent == Intent::Human,
            };
        }
        let found = match self
            .knowledge
            .retrieve(&q.site.id, &q.text, &q.language, PASSAGES)
            .await
        {
            Ok(found) => found,
            Err(e) => {
                // Without the knowledge base there is nothing true to say.
                tracing::error!(error = %e, "retrieval failed");
                Retrieved::default()
            }
        };
        match &self.llm {
            Some(llm) if !found.hits.is_empty() => self.with_llm(llm, &q, &found, &deltas).await,
            _ => extractive_answer(&q, &found, &deltas),
        }
    }

    /// Only the LLM reads earlier turns.
    fn wants_history(&self) -> bool {
        self.llm.is_some()
    }
}

impl Engine {
    async fn with_llm(
        &self,
        llm: &LlmClient,
        q: &Question,
        found: &Retrieved,
        deltas: &DeltaSink,
    ) -> Answer {
        let sources: Vec<PassageHit> = found.hits.iter().take(LLM_SOURCES).cloned().collect();
        let prompt = llm::prompt::build(
            &q.site.bot_name,
            &q.site.name,
            &q.language,
            &sources,
            &q.history,
            &q.text,
        );
        match llm.stream(&prompt, deltas).await {
            Ok(text) => Answer {
                citations: cited(&text, &sources),
                content: text,
                incomplete: false,
                handoff: false,
            },
            Err(failure) => {
                crate::stats::llm_error(failure.error.kind());
                tracing::warn!(
                    kind = failure.error.kind(),
                    error = %failure.error,
                    streamed_chars = failure.partial.len(),
                    "the LLM answer failed; falling back"
                );
                if failure.partial.is_empty() {
                    extractive_answer(q, found, deltas)
                } else {
                    // Text already shown stays; say it broke off.
                    let note = replies::cut_short(&q.language);
                    deltas.send(note);
                    Answer {
                        citations: cited(&failure.partial, &sources),
                        content: format!("{}{note}", failure.partial),
                        incomplete: true,
                        handoff: false,
                    }
                }
            }
        }
    }
}

fn extractive_answer(q: &Question, found: &Retrieved, deltas: &DeltaSink) -> Answer {
    let composed = extractive::compose(found, &q.site.name, &q.language);
    stream_words(&composed.content, deltas);
    Answer {
        content: composed.content,
        citations: composed.citations,
        incomplete: false,
        handoff: false,
    }
}

/// The sources an LLM answer cites with `[n]`, one per document.
fn cited(text: &str, sources: &[PassageHit]) -> Vec<Citation> {
    let hits: Vec<PassageHit> = llm::prompt::cited(text)
        .into_iter()
        .filter_map(|n| sources.get(n - 1).cloned())
        .collect();
    extractive::citations(&hits)
}

/// Sends `text` a word at a time, as a model would (a sink nobody reads
/// costs nothing per word: see `DeltaSink::discard`).
fn stream_words(text: &str, deltas: &DeltaSink) {
    if !deltas.is_read() {
        return;
    }
    let mut piece = String::new();
    for c in text.chars() {
        piece.push(c);
        if c == ' ' || c == '\n' {
            deltas.send(std::mem::take(&mut piece));
        }
    }
    if !piece.is_empty() {
        deltas.send(piece);
    }
}
