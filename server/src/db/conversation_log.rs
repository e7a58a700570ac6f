//! The owner's conversation log: a site's conversations filtered by status,
//! language, start date, votes and unanswered replies, newest first, each
//! with what happened in it; and the stored decisions behind a
//! conversation's replies. "Unanswered" is insights' definition
//! ([`super::insights::missed`]).

use chrono::{DateTime, Utc};
use lantern_shared::api::ConversationStatus;
use serde_json::Value;
use sqlx::types::Json;

use super::{Db, Result, read};

/// Which votes a listed conversation must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteFilter {
    /// At least one thumbs up.
    Up,
    /// At least one thumbs down.
    Down,
    /// No vote at all.
    Unrated,
}

/// What the log lists: conversations of `site_id` started in `[from, to)`.
#[derive(Debug, Clone)]
pub struct LogFilter<'a> {
    pub site_id: &'a str,
    pub status: Option<ConversationStatus>,
    /// A language tag, lower case: `fr` also lists `fr-ca`.
    pub language: Option<&'a str>,
    pub votes: Option<VoteFilter>,
    /// `true`: with a reply that did not help; `false`: without one.
    pub unanswered: Option<bool>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// The id of the last conversation already seen.
    pub before: Option<&'a str>,
    pub limit: i64,
}

/// One conversation of the log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogRow {
    pub id: String,
    pub status: String,
    pub language: String,
    pub visitor_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
    pub question: Option<String>,
    pub messages: i64,
    pub unanswered: i64,
    pub thumbs_up: i64,
    pub thumbs_down: i64,
}

/// Votes of `rating` on the messages of conversation `c`.
fn votes(rating: &str) -> String {
    format!(
        "(SELECT COUNT(*) FROM feedback f JOIN messages v ON v.id = f.message_id \
         WHERE v.conversation_id = c.id AND f.rating = '{rating}')"
    )
}

impl Db {
    /// The log's page: at most `limit` conversations, newest first.
    pub async fn conversation_log(&self, f: &LogFilter<'_>) -> Result<Vec<LogRow>> {
        let missed = format!(
            "(SELECT COUNT(*) FROM messages a LEFT JOIN feedback f ON f.message_id = a.id \
             WHERE a.conversation_id = c.id AND a.role = 'assistant' AND {})",
            super::insights::missed(self.dialect(), "a", "f")
        );
        let (up, down) = (votes("up"), votes("down"));
        // Fixed fragments chosen by the filter's enums; every value is bound.
        let vote_clause = match f.votes {
            None => String::new(),
            Some(VoteFilter::Up) => format!("AND {up} > 0"),
            Some(VoteFilter::Down) => format!("AND {down} > 0"),
            Some(VoteFilter::Unrated) => format!("AND {up} + {down} = 0"),
        };
        let missed_clause = match f.unanswered {
            None => String::new(),
            Some(true) => format!("AND {missed} > 0"),
            Some(false) => format!("AND {missed} = 0"),
        };
        let sql = format!(
            "SELECT c.id, c.status, c.language, c.visitor_id, c.created_at, c.updated_at, \
             c.archived_at, \
             (SELECT q.content FROM messages q WHERE q.conversation_id = c.id \
               AND q.role = 'user' ORDER BY q.seq LIMIT 1) AS question, \
             (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id \
               AND m.internal = FALSE) AS messages, \
             {missed} AS unanswered, {up} AS thumbs_up, {down} AS thumbs_down \
             FROM conversations c WHERE c.site_id = $1 \
             AND (CAST($2 AS TEXT) IS NULL OR c.status = $2) \
             AND (CAST($3 AS TEXT) IS NULL OR LOWER(c.language) = $3 OR LOWER(c.language) LIKE $4) \
             AND (CAST($5 AS TEXT) IS NULL OR c.id < $5) \
             AND c.created_at >= $6 AND c.created_at < $7 \
             {vote_clause} {missed_clause} \
             ORDER BY c.id DESC LIMIT $8"
        );
        let prefix = f.language.map(|l| format!("{l}-%"));
        Ok(read!(self, p => sqlx::query_as(&sql)
            .bind(f.site_id)
            .bind(f.status.map(|s| s.as_str()))
            .bind(f.language)
            .bind(&prefix)
            .bind(f.before)
            .bind(f.from)
            .bind(f.to)
            .bind(f.limit)
            .fetch_all(p)
            .await)?)
    }

    /// The stored decision of each reply of a conversation: (message id,
    /// its `retrieval` JSON, if any).
    pub async fn decisions(&self, conversation_id: &str) -> Result<Vec<(String, Option<Value>)>> {
        let rows: Vec<(String, Option<Json<Value>>)> = read!(self, p => sqlx::query_as(
            "SELECT id, retrieval FROM messages WHERE conversation_id = $1 AND role = 'assistant'",
        )
        .bind(conversation_id)
        .fetch_all(p)
        .await)?;
        Ok(rows.into_iter().map(|(id, r)| (id, r.map(|j| j.0))).collect())
    }
}
