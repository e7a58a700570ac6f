//! The owner's figures: counts per UTC day over a range, and the questions
//! the bot could not answer. Each count is one grouped query; the day and
//! JSON field expressions differ per backend and are spelled out below.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Db, PoolRef, Result};

/// One figure of one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Figure {
    Conversations,
    Messages,
    Answered,
    Unanswered,
    Handoffs,
    ThumbsUp,
    ThumbsDown,
}

/// A reply that did not help, and the question before it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Miss {
    pub question: String,
    pub language: String,
    pub conversation_id: String,
    pub at: DateTime<Utc>,
}

/// How the backends spell "the UTC day of `col`" and "the text field `f` of
/// the JSON in `col`" (the conversation log reads the same fields).
pub(super) struct Dialect {
    pub(super) day: fn(&str) -> String,
    pub(super) field: fn(&str, &str) -> String,
}

const SQLITE: Dialect = Dialect {
    // Timestamps are stored as RFC 3339 text in UTC.
    day: |col| format!("substr({col}, 1, 10)"),
    field: |col, f| format!("json_extract({col}, '$.{f}')"),
};
const POSTGRES: Dialect = Dialect {
    day: |col| format!("to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"),
    field: |col, f| format!("({col}->>'{f}')"),
};

impl Db {
    pub(super) fn dialect(&self) -> &'static Dialect {
        match self.pool() {
            PoolRef::Sqlite { .. } => &SQLITE,
            PoolRef::Postgres(_) => &POSTGRES,
        }
    }

    /// Every figure of `site_id` per day in `[from, to)`: day → figure → count.
    pub async fn insights(
        &self,
        site_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<BTreeMap<String, BTreeMap<Figure, i64>>> {
        let d = self.dialect();
        let decision = (d.field)("m.retrieval", "decision");
        let queries = [
            (
                Figure::Conversations,
                format!(
                    "SELECT {day} AS day, COUNT(*) FROM conversations c \
                     WHERE c.site_id = $1 AND c.created_at >= $2 AND c.created_at < $3 GROUP BY day",
                    day = (d.day)("c.created_at")
                ),
            ),
            (Figure::Messages, messages(d, "m.role = 'user'")),
            (
                Figure::Answered,
                messages(d, &format!("m.role = 'assistant' AND {decision} IN ('answered', 'curated')")),
            ),
            (
                Figure::Unanswered,
                messages(d, &format!("m.role = 'assistant' AND {decision} = 'not_found'")),
            ),
            (
                Figure::Handoffs,
                format!(
                    "SELECT {day} AS day, COUNT(*) FROM conversations c \
                     WHERE c.site_id = $1 AND c.handed_over_at >= $2 AND c.handed_over_at < $3 \
                     GROUP BY day",
                    day = (d.day)("c.handed_over_at"),
                ),
            ),
            (Figure::ThumbsUp, feedback(d, "up")),
            (Figure::ThumbsDown, feedback(d, "down")),
        ];
        let mut days: BTreeMap<String, BTreeMap<Figure, i64>> = BTreeMap::new();
        for (figure, sql) in queries {
            let rows: Vec<(String, i64)> = super::read!(self, p => sqlx::query_as(&sql)
                .bind(site_id)
                .bind(from)
                .bind(to)
                .fetch_all(p)
                .await)?;
            for (day, n) in rows {
                days.entry(day).or_default().insert(figure, n);
            }
        }
        Ok(days)
    }

    /// Conversations of `site_id` handed over in `[from, to)` and answered
    /// by a person since: (hand-over, first reply of a person after it),
    /// at most `limit`, oldest first.
    pub async fn first_responses(
        &self,
        site_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
        let rows: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = super::read!(self, p => sqlx::query_as(
            "SELECT c.handed_over_at, (SELECT MIN(m.created_at) FROM messages m \
             WHERE m.conversation_id = c.id AND m.role = 'agent' AND m.internal = FALSE \
             AND m.created_at >= c.handed_over_at) AS replied_at \
             FROM conversations c WHERE c.site_id = $1 \
             AND c.handed_over_at >= $2 AND c.handed_over_at < $3 \
             ORDER BY c.handed_over_at LIMIT $4",
        )
        .bind(site_id)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .filter_map(|(at, replied)| replied.map(|r| (at, r)))
            .collect())
    }

    /// Up to `limit` replies of `site_id` in `[from, to)` that did not help
    /// (nothing found, handed over, or thumbs down), newest first, with
    /// the question each answered.
    pub async fn misses(
        &self,
        site_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Miss>> {
        let d = self.dialect();
        let sql = format!(
            "SELECT q.content AS question, c.language, c.id AS conversation_id, a.created_at AS at \
             FROM messages a \
             JOIN conversations c ON c.id = a.conversation_id \
             JOIN messages q ON q.conversation_id = a.conversation_id AND q.seq = a.seq - 1 \
             LEFT JOIN feedback f ON f.message_id = a.id \
             WHERE c.site_id = $1 AND a.created_at >= $2 AND a.created_at < $3 \
             AND a.role = 'assistant' AND q.role = 'user' \
             AND {missed} ORDER BY a.created_at DESC LIMIT $4",
            missed = missed(d, "a", "f")
        );
        Ok(super::read!(self, p => sqlx::query_as(&sql)
            .bind(site_id)
            .bind(from)
            .bind(to)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }
}

/// "Reply `a` (with its vote `f` joined) did not help": nothing found,
/// handed over, or voted down. The one definition of an unanswered
/// question, for insights and the conversation log.
pub(super) fn missed(d: &Dialect, a: &str, f: &str) -> String {
    let decision = (d.field)(&format!("{a}.retrieval"), "decision");
    format!("({decision} IN ('not_found', 'handoff') OR {f}.rating = 'down')")
}

/// Messages of the site per day that match `filter` (on `m`).
fn messages(d: &Dialect, filter: &str) -> String {
    format!(
        "SELECT {day} AS day, COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id \
         WHERE c.site_id = $1 AND m.created_at >= $2 AND m.created_at < $3 AND {filter} GROUP BY day",
        day = (d.day)("m.created_at")
    )
}

/// Votes of `rating` per day (of the vote).
fn feedback(d: &Dialect, rating: &str) -> String {
    format!(
        "SELECT {day} AS day, COUNT(*) FROM feedback f JOIN messages m ON m.id = f.message_id \
         JOIN conversations c ON c.id = m.conversation_id \
         WHERE c.site_id = $1 AND f.created_at >= $2 AND f.created_at < $3 AND f.rating = '{rating}' \
         GROUP BY day",
        day = (d.day)("f.created_at")
    )
}
