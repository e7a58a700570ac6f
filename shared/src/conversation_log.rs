//! The owner's conversation log: every conversation of a site, filtered,
//! and each transcript with the way every bot answer was decided. Members
//! and admin keys only; a visitor's token never gets these types.

use serde::{Deserialize, Serialize};

use crate::api::{ConversationStatus, Message};

/// How a bot answer came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Quoted from the knowledge base's best passage.
    KnowledgeBase,
    /// Written by the LLM from knowledge-base passages.
    Llm,
    /// A curated answer the team wrote.
    Curated,
    /// Nothing confident enough was found: the honest "I don't know".
    NotAnswered,
    /// The visitor asked for a person.
    HandedOver,
    /// A greeting or thanks, answered before any retrieval.
    SmallTalk,
    /// What is remembered about the visitor was asked for.
    Memory,
    /// The site's welcome message.
    Welcome,
    /// Not recorded (replies stored before decisions were kept).
    Unknown,
}

/// The retrieval decision behind one bot answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Decision {
    pub kind: DecisionKind,
    /// Share of the question's terms the best passage held (0–1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    /// The confidence an answer needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The best passage's search score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Documents of the best passages considered, best first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub document_ids: Vec<String>,
}

/// A message of a transcript as the team reads it: the bot's answers
/// carry their decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TranscriptMessage {
    #[serde(flatten)]
    pub message: Message,
    /// Present on `assistant` messages only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
}

/// One conversation of the log, with what happened in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct LogEntry {
    pub id: String,
    pub status: ConversationStatus,
    pub language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The visitor's first message, if they wrote one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<String>,
    /// Messages the visitor saw or wrote (notes left out).
    pub messages: i64,
    /// Bot answers that did not help: nothing found, handed over, or
    /// voted down (as insights counts its unanswered questions).
    pub unanswered: i64,
    pub thumbs_up: i64,
    pub thumbs_down: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived_at: Option<String>,
}
