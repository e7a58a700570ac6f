//! The inbox's storage: the site-wide event log members stream from,
//! assigning, snoozing and read marks. Every change writes its
//! `conversation.updated` site event (and any webhook) in its own
//! transaction, so a stream never shows a change that did not commit.

use chrono::{DateTime, Utc};
use lantern_shared::inbox::kind;
use serde_json::Value;
use sqlx::types::Json;

use super::{
    ConversationRecord, Db, Error, Result, Tx,
    conversations::{CONVERSATION_COLUMNS, ConversationRow, webhook_data},
    read, tx, write,
};

/// A durable event of a site's stream. Ids grow within a site (they come
/// from one global sequence, so a site's ids have gaps).
#[derive(Debug, Clone, PartialEq)]
pub struct SiteEvent {
    pub site_id: String,
    pub id: i64,
    pub kind: String,
    pub data: Value,
}

/// A conversation after an inbox change, and the change's site event
/// (`None` when nothing changed).
#[derive(Debug, Clone)]
pub struct InboxChange {
    pub conversation: ConversationRecord,
    pub site_event: Option<SiteEvent>,
}

/// Stores a site event inside the caller's transaction.
pub(super) async fn insert_site_event(
    tx: &mut Tx,
    site_id: &str,
    kind: &str,
    data: Value,
    now: DateTime<Utc>,
) -> Result<SiteEvent> {
    let (id,): (i64,) = tx!(tx, c => sqlx::query_as(
        "INSERT INTO site_events (site_id, kind, data, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(site_id)
    .bind(kind)
    .bind(Json(&data))
    .bind(now)
    .fetch_one(c)
    .await)?;
    Ok(SiteEvent {
        site_id: site_id.to_string(),
        id,
        kind: kind.to_string(),
        data,
    })
}

impl Db {
    /// A site's events after `after_id`, oldest first.
    pub async fn site_events_after(
        &self,
        site_id: &str,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<SiteEvent>> {
        let rows: Vec<(i64, String, Json<Value>)> = read!(self, p => sqlx::query_as(
            "SELECT id, kind, data FROM site_events WHERE site_id = $1 AND id > $2 \
             ORDER BY id LIMIT $3",
        )
        .bind(site_id)
        .bind(after_id)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(id, kind, data)| SiteEvent {
                site_id: site_id.to_string(),
                id,
                kind,
                data: data.0,
            })
            .collect())
    }

    /// Deletes up to `batch` site events created before `before` (the
    /// housekeeping job, beside the conversations' events). Ids are never
    /// reused (a sequence; SQLite's AUTOINCREMENT), so resumes stay right.
    pub async fn prune_site_events(&self, before: DateTime<Utc>, batch: i64) -> Result<u64> {
        Ok(write!(self, p => sqlx::query(
            "DELETE FROM site_events WHERE id IN \
             (SELECT id FROM site_events WHERE created_at < $1 LIMIT $2)",
        )
        .bind(before)
        .bind(batch)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// The newest site event's id (where a fresh site stream starts).
    pub async fn last_site_event_id(&self, site_id: &str) -> Result<i64> {
        let (id,): (Option<i64>,) = read!(self, p => sqlx::query_as(
            "SELECT MAX(id) FROM site_events WHERE site_id = $1",
        )
        .bind(site_id)
        .fetch_one(p)
        .await)?;
        Ok(id.unwrap_or(0))
    }

    /// Gives the conversation to `user_id` (a member of its site: the
    /// caller checks) or to nobody.
    pub async fn assign(&self, conversation_id: &str, user_id: Option<&str>) -> Result<InboxChange> {
        let now = Utc::now();
        let sql = format!(
            "UPDATE conversations SET assignee_id = $2, updated_at = $3 \
             WHERE id = $1 AND assignee_id IS DISTINCT FROM $2 RETURNING {CONVERSATION_COLUMNS}"
        );
        let sql = self.distinct_from(&sql);
        let mut tx = self.begin().await?;
        let row: Option<ConversationRow> = tx!(&mut tx, c => sqlx::query_as(&sql)
            .bind(conversation_id)
            .bind(user_id)
            .bind(now)
            .fetch_optional(c)
            .await)?;
        let Some(row) = row else {
            return self.unchanged(conversation_id).await;
        };
        let conversation = ConversationRecord::from(row);
        let queued = self
            .enqueue_webhooks(
                &mut tx,
                &conversation.site_id,
                super::webhooks::CONVERSATION_ASSIGNED,
                webhook_data(&conversation),
                now,
            )
            .await?;
        let change = self.updated(&mut tx, conversation, now).await?;
        tx.commit().await?;
        self.deliveries_queued(queued);
        Ok(change)
    }

    /// Hides the conversation from the inbox until `until` (`None`: wake now).
    pub async fn snooze(
        &self,
        conversation_id: &str,
        until: Option<DateTime<Utc>>,
    ) -> Result<InboxChange> {
        let now = Utc::now();
        let sql = format!(
            "UPDATE conversations SET snoozed_until = $2, updated_at = $3 \
             WHERE id = $1 RETURNING {CONVERSATION_COLUMNS}"
        );
        let mut tx = self.begin().await?;
        let row: Option<ConversationRow> = tx!(&mut tx, c => sqlx::query_as(&sql)
            .bind(conversation_id)
            .bind(until)
            .bind(now)
            .fetch_optional(c)
            .await)?;
        let conversation = ConversationRecord::from(row.ok_or(Error::NotFound)?);
        let change = self.updated(&mut tx, conversation, now).await?;
        tx.commit().await?;
        Ok(change)
    }

    /// Marks the conversation read by `user_id` up to `seq` (never backwards).
    pub async fn mark_read(&self, conversation_id: &str, user_id: &str, seq: i64) -> Result<()> {
        write!(self, p => sqlx::query(
            "INSERT INTO conversation_reads (conversation_id, user_id, last_read_seq) \
             VALUES ($1, $2, $3) ON CONFLICT (conversation_id, user_id) DO UPDATE SET \
             last_read_seq = CASE WHEN excluded.last_read_seq > conversation_reads.last_read_seq \
             THEN excluded.last_read_seq ELSE conversation_reads.last_read_seq END",
        )
        .bind(conversation_id)
        .bind(user_id)
        .bind(seq)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The newest message seq of a conversation.
    pub async fn last_seq(&self, conversation_id: &str) -> Result<i64> {
        let row: Option<(i64,)> = read!(self, p => sqlx::query_as(
            "SELECT last_seq FROM conversations WHERE id = $1",
        )
        .bind(conversation_id)
        .fetch_optional(p)
        .await)?;
        row.map(|(s,)| s).ok_or(Error::NotFound)
    }

    /// `IS DISTINCT FROM` is spelled `IS NOT` on SQLite.
    fn distinct_from(&self, sql: &str) -> String {
        match self.backend() {
            "sqlite" => sql.replace("IS DISTINCT FROM", "IS NOT"),
            _ => sql.to_string(),
        }
    }

    /// The conversation as it is, for a change that changed nothing.
    async fn unchanged(&self, conversation_id: &str) -> Result<InboxChange> {
        let conversation = self.conversation(conversation_id).await?.ok_or(Error::NotFound)?;
        Ok(InboxChange {
            conversation,
            site_event: None,
        })
    }

    /// Writes the members' `conversation.updated` for `conversation`.
    async fn updated(
        &self,
        tx: &mut Tx,
        conversation: ConversationRecord,
        now: DateTime<Utc>,
    ) -> Result<InboxChange> {
        let event = insert_site_event(
            tx,
            &conversation.site_id,
            kind::CONVERSATION_UPDATED,
            webhook_data(&conversation),
            now,
        )
        .await?;
        Ok(InboxChange {
            conversation,
            site_event: Some(event),
        })
    }
}
