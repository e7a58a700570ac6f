//! The owner's view of how the bot does: the playground ("try it"), the
//! figures per day, and the questions it could not answer.

use serde::{Deserialize, Serialize};

use crate::{api::Citation, knowledge::SearchResult};

/// `POST /api/v1/sites/{site_id}/knowledge/try`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TryQuestion {
    /// The question (1–2,000 characters).
    #[cfg_attr(feature = "server", schema(min_length = 1, max_length = 2000))]
    pub q: String,
    /// BCP 47 tag; default: detected, else the site's first language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "server",
        schema(pattern = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
    )]
    pub language: Option<String>,
}

/// What the bot would do, without a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TryResult {
    /// The ranked passages, best first, with their scores.
    pub results: Vec<SearchResult>,
    pub answer: TriedAnswer,
    /// The bot would hand the conversation to a person.
    pub handoff: bool,
}

/// The reply the bot would give, shaped like a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TriedAnswer {
    pub role: String,
    pub content: String,
    pub html: String,
    pub citations: Vec<Citation>,
    /// How it was decided (`answered`, `not_found`, `curated`, `handoff`,
    /// `small_talk`) and the scores behind it.
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub retrieval: serde_json::Value,
}

/// One day's figures (UTC).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct InsightDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Conversations started.
    pub conversations: i64,
    /// Messages visitors wrote.
    pub messages: i64,
    /// Replies answered from the knowledge base (or a curated answer).
    pub answered: i64,
    /// Replies below the confidence threshold (nothing found).
    pub unanswered: i64,
    /// Conversations handed to a person (counted on the day of their
    /// latest hand-over).
    pub handoffs: i64,
    pub thumbs_up: i64,
    pub thumbs_down: i64,
    /// Median seconds from a hand-over (that day) to the first reply of a
    /// person; absent when none was answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_first_response_seconds: Option<i64>,
}

/// A document and how many replies cited it in a range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CitedDocument {
    /// Absent for a cited source no longer in the knowledge base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_id: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub count: i64,
}

/// `GET /api/v1/sites/{site_id}/insights/documents`: most cited first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CitedDocuments {
    pub items: Vec<CitedDocument>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Insights {
    /// Every day of the range, oldest first (days without activity too).
    pub days: Vec<InsightDay>,
    /// The sums over the range (`date` is the range, `FROM/TO`).
    pub totals: InsightDay,
}

/// A question the bot could not answer, with the others like it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct UnansweredQuestion {
    /// The latest wording.
    pub question: String,
    /// How often it (or a question with the same words) was asked.
    pub count: i64,
    pub last_seen: String,
    /// Where it was asked (the latest 20).
    pub conversation_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct UnansweredList {
    pub items: Vec<UnansweredQuestion>,
}
