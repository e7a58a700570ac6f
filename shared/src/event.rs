//! Live events of a conversation, sent over SSE by `GET …/events` (and by a
//! streamed `POST …/messages`).
//!
//! Durable events (`message.created`, `conversation.status`) carry an SSE id:
//! a per-conversation counter, so `Last-Event-ID: N` resumes with N+1 exactly.
//! Answer deltas are ephemeral and carry no id: the stored reply that follows
//! them is durable, so a reconnecting client loses no text.

use serde::{Deserialize, Serialize};

use crate::api::{ConversationStatus, Message};

/// SSE event names.
pub mod kind {
    pub const MESSAGE_CREATED: &str = "message.created";
    pub const STATUS_CHANGED: &str = "conversation.status";
    pub const ANSWER_DELTA: &str = "answer.delta";
    pub const TYPING: &str = "typing";
    /// Sent by a streamed POST once the reply is stored; ends that stream.
    pub const DONE: &str = "done";
    /// The server is going away; reconnect (with `Last-Event-ID`).
    pub const RECONNECT: &str = "reconnect";
}

/// Data of `conversation.status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct StatusChanged {
    pub conversation_id: String,
    pub status: ConversationStatus,
}

/// Data of `answer.delta`: a piece of the reply being written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct AnswerDelta {
    pub conversation_id: String,
    /// Seq of the user message this answers.
    pub reply_to: i64,
    /// Position of this piece (0, 1, 2…) so duplicates can be dropped.
    pub index: u32,
    pub text: String,
}

/// Any event's payload, tagged by its SSE event name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum EventData {
    #[serde(rename = "message.created")]
    MessageCreated(Message),
    #[serde(rename = "conversation.status")]
    StatusChanged(StatusChanged),
    #[serde(rename = "answer.delta")]
    AnswerDelta(AnswerDelta),
}

impl EventData {
    pub fn kind(&self) -> &'static str {
        match self {
            EventData::MessageCreated(_) => kind::MESSAGE_CREATED,
            EventData::StatusChanged(_) => kind::STATUS_CHANGED,
            EventData::AnswerDelta(_) => kind::ANSWER_DELTA,
        }
    }
}
