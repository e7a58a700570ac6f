//! Deleting what has served its purpose: expired visitor tokens, old live
//! events (kept for `Last-Event-ID` resumes) and delivered webhook
//! deliveries (kept for the delivery log). One bounded batch per call so
//! that a large backlog never holds the SQLite writer or a Postgres lock for
//! long; the caller loops.

use chrono::{DateTime, Utc};

use super::{Db, Result, write};

impl Db {
    /// Deletes up to `batch` visitor tokens that expired before now.
    pub async fn prune_visitor_tokens(&self, batch: i64) -> Result<u64> {
        Ok(write!(self, p => sqlx::query(
            "DELETE FROM visitor_tokens WHERE token_hash IN \
             (SELECT token_hash FROM visitor_tokens WHERE expires_at <= $1 LIMIT $2)",
        )
        .bind(Utc::now())
        .bind(batch)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// Deletes up to `batch` live events created before `before`. Event ids
    /// come from a counter on the conversation, so none is ever reused.
    pub async fn prune_events(&self, before: DateTime<Utc>, batch: i64) -> Result<u64> {
        Ok(write!(self, p => sqlx::query(
            "DELETE FROM events WHERE (conversation_id, id) IN \
             (SELECT conversation_id, id FROM events WHERE created_at < $1 LIMIT $2)",
        )
        .bind(before)
        .bind(batch)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// Deletes up to `batch` webhook deliveries delivered before `before`
    /// (failed ones stay: they are what an admin comes to look at).
    pub async fn prune_deliveries(&self, before: DateTime<Utc>, batch: i64) -> Result<u64> {
        Ok(write!(self, p => sqlx::query(
            "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries \
             WHERE status = 'delivered' AND delivered_at < $1 LIMIT $2)",
        )
        .bind(before)
        .bind(batch)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }
}
