//! Conversations: creation, reads, listing and status changes. Creating one
//! and handing it over queue their webhook deliveries in the same
//! transaction.

use chrono::{DateTime, Utc};
use lantern_shared::api::{Conversation, ConversationStatus, Message};
use serde_json::Value;
use sqlx::types::Json;

use super::{
    Db, Error, Result, StoredEvent, inbox::SiteEvent, messages::insert_event, new_id, read,
    rfc3339, tx,
};

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
    pub assignee_id: Option<String>,
    pub waiting_since: Option<DateTime<Utc>>,
    pub snoozed_until: Option<DateTime<Utc>>,
    /// The page the visitor started on and where they came from (widget).
    pub page_url: Option<String>,
    pub referrer: Option<String>,
    pub pinned: bool,
    pub archived_at: Option<DateTime<Utc>>,
    /// Visitor messages the reading member has not read (lists only).
    pub unread: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ConversationRecord {
    /// The API shape, with `messages` when given.
    pub fn to_api(&self, messages: Option<Vec<Message>>) -> Conversation {
        Conversation {
            id: self.id.clone(),
            site_id: self.site_id.clone(),
            visitor_id: self.visitor_id.clone(),
            status: self.status,
            language: self.language.clone(),
            metadata: self.metadata.clone(),
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
            assignee_id: self.assignee_id.clone(),
            waiting_since: self.waiting_since.map(rfc3339),
            snoozed_until: self.snoozed_until.map(rfc3339),
            unread: self.unread,
            page_url: self.page_url.clone(),
            referrer: self.referrer.clone(),
            pinned: self.pinned,
            archived_at: self.archived_at.map(rfc3339),
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
    pub page_url: Option<String>,
    pub referrer: Option<String>,
}

/// What an inbox list asks for (see [`Db::list_conversations`]).
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter<'a> {
    pub site_id: &'a str,
    /// A visitor's own conversations only.
    pub visitor_id: Option<&'a str>,
    pub status: Option<ConversationStatus>,
    /// The id of the last conversation already seen.
    pub before: Option<&'a str>,
    pub limit: i64,
    /// The member whose read marks count for `unread`.
    pub reader: Option<&'a str>,
    /// A member's id, or `""` for unassigned conversations.
    pub assignee: Option<&'a str>,
    /// Words to find in the messages (case-insensitive substring).
    pub text: Option<&'a str>,
    /// Archived ones only (true), or none of them (false); a search
    /// (`text`) finds both whatever this says.
    pub archived: bool,
    /// Pinned ones only.
    pub pinned_only: bool,
}

/// The outcome of a status change: the conversation as it is now, and the
/// event when the status did change.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub conversation: ConversationRecord,
    pub event: Option<StoredEvent>,
    /// The members' `conversation.updated`, when the status did change.
    pub site_event: Option<SiteEvent>,
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
    assignee_id: Option<String>,
    waiting_since: Option<DateTime<Utc>>,
    snoozed_until: Option<DateTime<Utc>>,
    page_url: Option<String>,
    referrer: Option<String>,
    pinned: bool,
    archived_at: Option<DateTime<Utc>>,
    /// Computed by the inbox list only.
    #[sqlx(default)]
    unread: i64,
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
            assignee_id: r.assignee_id,
            waiting_since: r.waiting_since,
            snoozed_until: r.snoozed_until,
            page_url: r.page_url,
            referrer: r.referrer,
            pinned: r.pinned,
            archived_at: r.archived_at,
            unread: r.unread,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub(super) const CONVERSATION_COLUMNS: &str = "id, site_id, visitor_id, status, language, \
     metadata, last_event_id, assignee_id, waiting_since, snoozed_until, page_url, referrer, \
     pinned, archived_at, created_at, updated_at";

/// A conversation as webhook payload (the API shape, without messages).
pub(super) fn webhook_data(c: &ConversationRecord) -> Value {
    serde_json::to_value(c.to_api(None)).unwrap_or_default()
}

impl Db {
    /// Creates a conversation; also returns the members' `conversation.created`.
    pub async fn create_conversation(
        &self,
        new: &NewConversation,
    ) -> Result<(ConversationRecord, SiteEvent)> {
        let now = Utc::now();
        let sql = format!(
            "INSERT INTO conversations (id, site_id, visitor_id, status, language, metadata, \
             page_url, referrer, created_at, updated_at) \
             VALUES ($1, $2, $3, 'open', $4, $5, $7, $8, $6, $6) \
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
            .bind(&new.page_url)
            .bind(&new.referrer)
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
        let site_event = super::inbox::insert_site_event(
            &mut tx,
            &record.site_id,
            lantern_shared::inbox::kind::CONVERSATION_CREATED,
            webhook_data(&record),
            now,
        )
        .await?;
        tx.commit().await?;
        self.deliveries_queued(queued);
        Ok((record, site_event))
    }

    pub async fn conversation(&self, id: &str) -> Result<Option<ConversationRecord>> {
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1");
        let row: Option<ConversationRow> =
            read!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
        Ok(row.map(Into::into))
    }

    /// Newest first; `before` is the id of the last conversation already seen.
    pub async fn list_conversations(&self, f: &ConversationFilter<'_>) -> Result<Vec<ConversationRecord>> {
        // `unread` counts the visitor's messages after the reader's mark (0
        // without a reader). `assignee`: '' stands for "nobody".
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS}, \
             CASE WHEN CAST($6 AS TEXT) IS NULL THEN 0 ELSE (SELECT COUNT(*) FROM messages m \
               WHERE m.conversation_id = conversations.id AND m.role = 'user' AND m.seq > \
               COALESCE((SELECT r.last_read_seq FROM conversation_reads r \
                 WHERE r.conversation_id = conversations.id AND r.user_id = $6), 0)) END AS unread \
             FROM conversations WHERE site_id = $1 \
             AND (CAST($2 AS TEXT) IS NULL OR visitor_id = $2) \
             AND (CAST($3 AS TEXT) IS NULL OR status = $3) \
             AND (CAST($4 AS TEXT) IS NULL OR id < $4) \
             AND (CAST($7 AS TEXT) IS NULL OR ($7 = '' AND assignee_id IS NULL) OR assignee_id = $7) \
             AND (CAST($8 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM messages q \
               WHERE q.conversation_id = conversations.id AND LOWER(q.content) LIKE $8 ESCAPE '\\' \
               AND (CAST($2 AS TEXT) IS NULL OR q.internal = FALSE))) \
             AND (CAST($8 AS TEXT) IS NOT NULL OR (archived_at IS NOT NULL) = $9) \
             AND ($10 = FALSE OR pinned = TRUE) \
             ORDER BY id DESC LIMIT $5"
        );
        let pattern = f.text.map(|t| {
            let escaped = t
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        let rows: Vec<ConversationRow> = read!(self, p => sqlx::query_as(&sql)
            .bind(f.site_id)
            .bind(f.visitor_id)
            .bind(f.status.map(|s| s.as_str()))
            .bind(f.before)
            .bind(f.limit)
            .bind(f.reader)
            .bind(f.assignee)
            .bind(&pattern)
            .bind(f.archived)
            .bind(f.pinned_only)
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
        if change.0.event.is_some() {
            // The status is part of the cached conversation facts.
            self.invalidate(&[crate::cache::Scope::Conversation(conversation_id.into())])
                .await;
        }
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
        // Waiting starts at a hand-over (unless the visitor already waits)
        // and ends when the bot has it again or it closes; handing back to
        // the bot also lets go of the assignee. `handed_over_at` keeps the
        // latest hand-over for insights.
        let sql = format!(
            "UPDATE conversations SET status = $2, last_event_id = last_event_id + 1, \
             updated_at = $3, \
             waiting_since = CASE WHEN $2 = 'handoff' THEN COALESCE(waiting_since, $3) ELSE NULL END, \
             handed_over_at = CASE WHEN $2 = 'handoff' THEN $3 ELSE handed_over_at END, \
             assignee_id = CASE WHEN $2 = 'open' THEN NULL ELSE assignee_id END \
             WHERE id = $1 AND status <> $2 RETURNING {CONVERSATION_COLUMNS}"
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
                    site_event: None,
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
        let hook = match status {
            ConversationStatus::Handoff => Some(super::webhooks::CONVERSATION_HANDOFF),
            ConversationStatus::Closed => Some(super::webhooks::CONVERSATION_CLOSED),
            ConversationStatus::Open => None,
        };
        let queued = match hook {
            Some(hook) => {
                self.enqueue_webhooks(tx, &conversation.site_id, hook, webhook_data(&conversation), now)
                    .await?
            }
            None => false,
        };
        let site_event = super::inbox::insert_site_event(
            tx,
            &conversation.site_id,
            lantern_shared::inbox::kind::CONVERSATION_UPDATED,
            webhook_data(&conversation),
            now,
        )
        .await?;
        Ok((
            StatusChange {
                conversation,
                event: Some(event),
                site_event: Some(site_event),
            },
            queued,
        ))
    }
}
