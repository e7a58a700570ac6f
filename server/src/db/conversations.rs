//! Conversations: creation, reads, listing and status changes. Creating one
//! and handing it over queue their webhook deliveries in the same
//! transaction.

use chrono::{DateTime, Utc};
use lantern_shared::api::{Conversation, ConversationStatus, Message};
use serde_json::Value;
use sqlx::types::Json;

use super::{Db, Error, Result, StoredEvent, messages::insert_event, new_id, read, rfc3339, tx};

/// A conversation row, without its messages.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationRecord {
    pub id: String,
    pub site_id: String,
    pub visitor_id: Option<String>,
    pub status: ConversationStatus,
    pub language: String,
    pub metadata: Value,
    /// The newest durable event's id (where a fresh event stream starts).
    pub last_event_id: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ConversationRecord {
    /// The API shape, with `messages` when given.
    pub fn to_api(&self, messages: Option<Vec<Message>>) -> Conversation {
        Conversation {
            id: self.id.clone(),
            site_id: self.site_id.clone(),
            status: self.status,
            language: self.language.clone(),
            metadata: self.metadata.clone(),
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
            messages,
        }
    }
}

/// A conversation to create.
#[derive(Debug, Clone)]
pub struct NewConversation {
    pub site_id: String,
    pub visitor_id: Option<String>,
    pub language: String,
    pub metadata: Value,
}

/// The outcome of a status change: the conversation as it is now, and the
/// event when the status did change.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub conversation: ConversationRecord,
    pub event: Option<StoredEvent>,
}

#[derive(sqlx::FromRow)]
pub(super) struct ConversationRow {
    id: String,
    site_id: String,
    visitor_id: Option<String>,
    status: String,
    language: String,
    metadata: Json<Value>,
    last_event_id: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<ConversationRow> for ConversationRecord {
    fn from(r: ConversationRow) -> ConversationRecord {
        ConversationRecord {
            id: r.id,
            site_id: r.site_id,
            visitor_id: r.visitor_id,
            // The CHECK constraint admits only the three statuses.
            status: ConversationStatus::parse(&r.status).unwrap_or(ConversationStatus::Open),
            language: r.language,
            metadata: r.metadata.0,
            last_event_id: r.last_event_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub(super) const CONVERSATION_COLUMNS: &str =
    "id, site_id, visitor_id, status, language, metadata, last_event_id, created_at, updated_at";

/// A conversation as webhook payload (the API shape, without messages).
fn webhook_data(c: &ConversationRecord) -> Value {
    serde_json::to_value(c.to_api(None)).unwrap_or_default()
}

impl Db {
    pub async fn create_conversation(&self, new: &NewConversation) -> Result<ConversationRecord> {
        let now = Utc::now();
        let sql = format!(
            "INSERT INTO conversations (id, site_id, visitor_id, status, language, metadata, \
             created_at, updated_at) VALUES ($1, $2, $3, 'open', $4, $5, $6, $6) \
             RETURNING {CONVERSATION_COLUMNS}"
        );
        let mut tx = self.begin().await?;
        let row: ConversationRow = tx!(&mut tx, c => sqlx::query_as(&sql)
            .bind(new_id())
            .bind(&new.site_id)
            .bind(&new.visitor_id)
            .bind(&new.language)
            .bind(Json(&new.metadata))
            .bind(now)
            .fetch_one(c)
            .await)?;
        let record = ConversationRecord::from(row);
        let queued = self
            .enqueue_webhooks(
                &mut tx,
                &record.site_id,
                super::webhooks::CONVERSATION_CREATED,
                webhook_data(&record),
                now,
            )
            .await?;
        tx.commit().await?;
        self.deliveries_queued(queued);
        Ok(record)
    }

    pub async fn conversation(&self, id: &str) -> Result<Option<ConversationRecord>> {
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1");
        let row: Option<ConversationRow> =
            read!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
        Ok(row.map(Into::into))
    }

    /// Newest first; `before` is the id of the last conversation already seen.
    pub async fn list_conversations(
        &self,
        site_id: &str,
        visitor_id: Option<&str>,
        status: Option<ConversationStatus>,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ConversationRecord>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE site_id = $1 \
             AND (CAST($2 AS TEXT) IS NULL OR visitor_id = $2) \
             AND (CAST($3 AS TEXT) IS NULL OR status = $3) \
             AND (CAST($4 AS TEXT) IS NULL OR id < $4) \
             ORDER BY id DESC LIMIT $5"
        );
        let rows: Vec<ConversationRow> = read!(self, p => sqlx::query_as(&sql)
            .bind(site_id)
            .bind(visitor_id)
            .bind(status.map(|s| s.as_str()))
            .bind(before)
            .bind(limit)
            .fetch_all(p)
            .await)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Changes the status; the event is `None` when it was already so.
    pub async fn set_status(
        &self,
        conversation_id: &str,
        status: ConversationStatus,
    ) -> Result<StatusChange> {
        let mut tx = self.begin().await?;
        let change = self
            .set_status_in(&mut tx, conversation_id, status, Utc::now())
            .await?;
        let queued = change.1;
        tx.commit().await?;
        self.deliveries_queued(queued);
        Ok(change.0)
    }

    /// [`Db::set_status`] inside the caller's transaction; true when webhook
    /// deliveries were queued.
    pub(super) async fn set_status_in(
        &self,
        tx: &mut super::Tx,
        conversation_id: &str,
        status: ConversationStatus,
        now: DateTime<Utc>,
    ) -> Result<(StatusChange, bool)> {
        let sql = format!(
            "UPDATE conversations SET status = $2, last_event_id = last_event_id + 1, \
             updated_at = $3 WHERE id = $1 AND status <> $2 RETURNING {CONVERSATION_COLUMNS}"
        );
        let changed: Option<ConversationRow> = tx!(&mut *tx, c => sqlx::query_as(&sql)
            .bind(conversation_id)
            .bind(status.as_str())
            .bind(now)
            .fetch_optional(c)
            .await)?;
        let Some(row) = changed else {
            // Unchanged (or missing): report it as it is.
            let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1");
            let row: Option<ConversationRow> = tx!(&mut *tx, c => sqlx::query_as(&sql)
                .bind(conversation_id)
                .fetch_optional(c)
                .await)?;
            let conversation = row.ok_or(Error::NotFound)?.into();
            return Ok((
                StatusChange {
                    conversation,
                    event: None,
                },
                false,
            ));
        };
        let conversation = ConversationRecord::from(row);
        let data = serde_json::json!({"conversation_id": conversation_id, "status": status});
        let event = insert_event(
            tx,
            conversation_id,
            conversation.last_event_id,
            lantern_shared::event::kind::STATUS_CHANGED,
            data,
            now,
        )
        .await?;
        let queued = if status == ConversationStatus::Handoff {
            self.enqueue_webhooks(
                tx,
                &conversation.site_id,
                super::webhooks::CONVERSATION_HANDOFF,
                webhook_data(&conversation),
                now,
            )
            .await?
        } else {
            false
        };
        Ok((
            StatusChange {
                conversation,
                event: Some(event),
            },
            queued,
        ))
    }
}
