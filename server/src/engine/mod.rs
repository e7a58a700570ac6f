//! The answer engine: recognises small talk and requests for a person,
//! otherwise retrieves passages from the site's knowledge base and answers
//! from them — quoting the best passage (no LLM configured) or streaming an
//! LLM's answer grounded in them. A failing LLM never leaves the visitor
//! waiting: they get the retrieval answer or an honest apology instead.

pub mod decision;
pub mod extractive;
pub mod intent;
pub mod llm;
pub mod memory;
pub mod replies;

use async_trait::async_trait;
use lantern_shared::api::{Citation, Message, Role};
use serde_json::json;

use crate::{
    answer::{Answer, Answerer, DeltaSink, Question},
    knowledge::{KnowledgeBase, PassageHit, Retrieved, analysis::Analyzer, followup},
};
use intent::Intent;
use llm::LlmClient;

/// Passages retrieved per question.
const PASSAGES: i64 = 8;
/// Passages given to the LLM as sources.
const LLM_SOURCES: usize = 4;
/// Share of an unmarked LLM answer's terms a passage must contain to be
/// cited as its source.
const OVERLAP: f64 = 0.3;

pub struct Engine {
    pub knowledge: KnowledgeBase,
    pub llm: Option<LlmClient>,
    /// Each site's provider calls per day.
    pub llm_budget: llm::budget::LlmBudget,
}

#[async_trait]
impl Answerer for Engine {
    async fn answer(&self, q: Question, deltas: DeltaSink) -> Answer {
        if let Some(ask) = memory::detect(&q.text) {
            let (text, change) = memory::answer(ask, &q.known, &q.language);
            stream_words(&text, &deltas);
            return Answer {
                retrieval: Some(json!({ "decision": "memory" })),
                memory: change,
                ..Answer::plain(&text)
            };
        }
        if let Some(intent) = intent::detect(&q.text) {
            let text = replies::small_talk(intent, &q.language);
            stream_words(text, &deltas);
            let decision = if intent == Intent::Human { "handoff" } else { "small_talk" };
            return Answer {
                handoff: intent == Intent::Human,
                retrieval: Some(json!({ "decision": decision })),
                ..Answer::plain(text)
            };
        }
        if let Some(answer) = self.curated(&q, &deltas).await {
            return answer;
        }
        let context = follow_up_context(&q.text, &q.language, &q.history);
        let found = match self
            .knowledge
            .retrieve_in_context(&q.site.id, &q.text, &q.language, &context, PASSAGES)
            .await
        {
            Ok(found) => found,
            Err(e) => {
                // Without the knowledge base there is nothing true to say.
                tracing::error!(error = %e, "retrieval failed");
                Retrieved::default()
            }
        };
        let threshold = q.site.answer_threshold.unwrap_or(extractive::CONFIDENCE);
        let confidence = extractive::confidence(&found, &q.site.name);
        // A fact told with nothing to answer from: kept, not "not found".
        if let Some(llm) = &self.llm
            && q.visitor_id.is_some()
            && confidence < threshold
            && memory::states_fact(&q.text)
            && self.llm_budget.spend(&q.site.id).await
        {
            return self.note_fact(llm, &q, &found, threshold, &deltas).await;
        }
        let mut answer = match &self.llm {
            Some(llm) if !found.hits.is_empty() && confidence >= threshold => {
                if self.llm_budget.spend(&q.site.id).await {
                    self.with_llm(llm, &q, &found, &deltas).await
                } else {
                    tracing::warn!(site_id = %q.site.id, "the site's daily LLM budget is spent; answering from the knowledge base");
                    extractive_answer(&q, &found, threshold, &deltas)
                }
            }
            _ => extractive_answer(&q, &found, threshold, &deltas),
        };
        let decision = if answer.citations.is_empty() { "not_found" } else { "answered" };
        // The LLM's answers mark themselves (see `llm_outcome`); a fallback
        // to the quoted passage does not.
        let via = answer
            .retrieval
            .as_ref()
            .and_then(|r| r.get("via").cloned())
            .unwrap_or_else(|| json!("knowledge_base"));
        answer.retrieval = Some(json!({
            "decision": decision,
            "via": via,
            "confidence": (confidence * 1000.0).round() / 1000.0,
            "threshold": threshold,
            "score": found.hits.first().map(|h| (h.score * 1000.0).round() / 1000.0),
            "language": found.language,
            "follow_up": !context.is_empty(),
            "sources": found.hits.iter().take(LLM_SOURCES).map(|h| &h.document_id).collect::<Vec<_>>(),
        }));
        answer
    }

    /// Earlier turns: the LLM's context, and retrieval's for follow-ups.
    fn wants_history(&self) -> bool {
        true
    }

    /// What is known about a returning visitor goes to the LLM, and
    /// answers a visitor asking what is remembered.
    fn wants_known(&self, text: &str) -> bool {
        self.llm.is_some() || memory::detect(text).is_some()
    }
}

impl Engine {
    /// The site's curated answer for the question, when one is close
    /// enough: given as written, cited as curated.
    async fn curated(&self, q: &Question, deltas: &DeltaSink) -> Option<Answer> {
        let found = self
            .knowledge
            .curated(&q.site.id, &q.text, &q.language)
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "curated answers unavailable");
                None
            })?;
        stream_words(&found.answer, deltas);
        Some(Answer {
            citations: vec![Citation {
                title: format!("{}: {}", replies::curated(&q.language), found.question),
                url: None,
            }],
            retrieval: Some(json!({ "decision": "curated", "curated_id": found.id })),
            ..Answer::plain(&found.answer)
        })
    }

    async fn with_llm(
        &self,
        llm: &LlmClient,
        q: &Question,
        found: &Retrieved,
        deltas: &DeltaSink,
    ) -> Answer {
        let sources: Vec<PassageHit> = found.hits.iter().take(LLM_SOURCES).cloned().collect();
        let mut prompt = llm::prompt::build(
            &q.site.bot_name,
            &q.site.name,
            &q.language,
            &sources,
            &q.history,
            &q.text,
            &q.known,
        );
        prompt.remember = q.visitor_id.is_some();
        let (outcome, facts) = self.converse(llm, q, prompt, deltas).await;
        let mut answer = self.llm_outcome(q, found, &sources, outcome, deltas);
        answer.memory.save = facts;
        answer
    }

    /// Streams the LLM's answer to `prompt`; when it calls `remember`, it
    /// hears the facts were kept and answers on. The answer (or how it
    /// failed) and the facts, the site's LLM budget charged for both turns.
    async fn converse(
        &self,
        llm: &LlmClient,
        q: &Question,
        mut prompt: llm::prompt::Prompt,
        deltas: &DeltaSink,
    ) -> (Result<String, llm::Failure>, Vec<String>) {
        let mut used = llm::Usage::default();
        let mut sent = prompt.chars();
        let mut outcome = llm.stream(&prompt, deltas, &mut used).await;
        let mut facts = Vec::new();
        if let Ok(first) = &mut outcome
            && !first.calls.is_empty()
        {
            facts = first
                .calls
                .iter()
                .filter_map(llm::ToolCall::fact)
                .take(llm::tools::MAX_FACTS)
                .collect();
            let before = std::mem::take(&mut first.text);
            prompt.tool_turn = Some(llm::ToolTurn {
                text: before.clone(),
                calls: std::mem::take(&mut first.calls),
            });
            sent += prompt.chars();
            outcome = match llm.stream(&prompt, deltas, &mut used).await {
                Ok(next) => Ok(llm::Streamed {
                    text: before + &next.text,
                    calls: Vec::new(),
                }),
                Err(failure) => Err(llm::Failure {
                    error: failure.error,
                    partial: before + &failure.partial,
                }),
            };
        }
        let outcome = outcome.map(|streamed| streamed.text);
        let answer_chars = match &outcome {
            Ok(text) => text.len(),
            Err(failure) => failure.partial.len(),
        };
        self.llm_budget
            .charge(&q.site.id, &used, sent, answer_chars)
            .await;
        (outcome, facts)
    }

    /// A visitor telling something about themselves that the knowledge
    /// base has nothing on ("I use the Pro plan"): the LLM, given no
    /// sources, may keep it with its tool and acknowledges it. Without an
    /// answer from the LLM, the usual "I don't know" from the knowledge base.
    async fn note_fact(&self, llm: &LlmClient, q: &Question, found: &Retrieved, threshold: f64, deltas: &DeltaSink) -> Answer {
        let mut prompt = llm::prompt::build(
            &q.site.bot_name,
            &q.site.name,
            &q.language,
            &[],
            &q.history,
            &q.text,
            &q.known,
        );
        prompt.system.push_str(llm::prompt::NOTE_FACT);
        prompt.remember = true;
        let (outcome, facts) = self.converse(llm, q, prompt, deltas).await;
        let mut answer = match outcome {
            Ok(text) if !text.trim().is_empty() => Answer {
                retrieval: Some(json!({ "decision": "memory", "via": "llm", "saved": facts.len() })),
                ..Answer::plain(&text)
            },
            Ok(_) => extractive_answer(q, found, threshold, deltas),
            Err(failure) => {
                crate::stats::llm_error(failure.error.kind());
                tracing::warn!(kind = failure.error.kind(), error = %failure.error, "the LLM failed on a stated fact");
                if failure.partial.is_empty() {
                    extractive_answer(q, found, threshold, deltas)
                } else {
                    let note = replies::cut_short(&q.language);
                    deltas.send(note);
                    Answer {
                        incomplete: true,
                        ..Answer::plain(&format!("{}{note}", failure.partial))
                    }
                }
            }
        };
        answer.memory.save = facts;
        answer
    }

    /// The answer an LLM's outcome makes: its text with citations, or the
    /// fallback when it failed.
    fn llm_outcome(
        &self,
        q: &Question,
        found: &Retrieved,
        sources: &[PassageHit],
        outcome: Result<String, llm::Failure>,
        deltas: &DeltaSink,
    ) -> Answer {
        match outcome {
            Ok(mut text) => {
                let citations = cited(&text, sources, &q.language);
                if citations.is_empty() {
                    // Said, so the visitor can weigh it.
                    let note = replies::uncited(&q.language);
                    deltas.send(note);
                    text.push_str(note);
                }
                Answer {
                    citations,
                    retrieval: Some(json!({ "via": "llm" })),
                    ..Answer::plain(&text)
                }
            }
            Err(failure) => {
                crate::stats::llm_error(failure.error.kind());
                tracing::warn!(
                    kind = failure.error.kind(),
                    error = %failure.error,
                    streamed_chars = failure.partial.len(),
                    "the LLM answer failed; falling back"
                );
                if failure.partial.is_empty() {
                    extractive_answer(q, found, 0.0, deltas)
                } else {
                    // Text already shown stays; say it broke off.
                    let note = replies::cut_short(&q.language);
                    deltas.send(note);
                    Answer {
                        citations: cited(&failure.partial, sources, &q.language),
                        incomplete: true,
                        retrieval: Some(json!({ "via": "llm" })),
                        ..Answer::plain(&format!("{}{note}", failure.partial))
                    }
                }
            }
        }
    }
}

/// What a follow-up question is searched with: the previous visitor
/// question and the sources the last answer cited (nothing for a question
/// that stands alone).
fn follow_up_context(text: &str, language: &str, history: &[Message]) -> Vec<String> {
    let previous = history
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map(|m| m.content.as_str());
    let sources: Vec<String> = history
        .iter()
        .rev()
        .find(|m| m.role == Role::Assistant)
        .map(|m| m.citations.iter().map(|c| c.title.clone()).collect())
        .unwrap_or_default();
    followup::context(text, language, previous, &sources)
}

fn extractive_answer(
    q: &Question,
    found: &Retrieved,
    threshold: f64,
    deltas: &DeltaSink,
) -> Answer {
    let composed = extractive::compose(found, &q.site.name, &q.language, threshold);
    stream_words(&composed.content, deltas);
    Answer {
        citations: composed.citations,
        ..Answer::plain(&composed.content)
    }
}

/// The sources of an LLM answer, one per document: those it marks with
/// `[n]`; without markers, the passages it overlaps with (see
/// [`overlapping`]).
fn cited(text: &str, sources: &[PassageHit], language: &str) -> Vec<Citation> {
    let hits: Vec<PassageHit> = llm::prompt::cited(text)
        .into_iter()
        .filter_map(|n| sources.get(n - 1).cloned())
        .collect();
    if !hits.is_empty() {
        return extractive::citations(&hits);
    }
    extractive::citations(&overlapping(text, sources, language))
}

/// Passages sharing at least [`OVERLAP`] of the answer's terms (and three
/// terms at least), most shared first: an answer written from a passage
/// repeats its words.
fn overlapping(text: &str, sources: &[PassageHit], language: &str) -> Vec<PassageHit> {
    let said = Analyzer::new(language).term_set(text);
    if said.len() < 3 {
        return Vec::new();
    }
    let mut scored: Vec<(usize, &PassageHit)> = sources
        .iter()
        .map(|h| {
            let has = Analyzer::new(&h.language).term_set(&format!("{} {}", h.heading, h.body));
            (said.iter().filter(|t| has.contains(*t)).count(), h)
        })
        .filter(|(n, _)| *n >= 3 && *n as f64 >= OVERLAP * said.len() as f64)
        .collect();
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    scored.into_iter().map(|(_, h)| h.clone()).collect()
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
