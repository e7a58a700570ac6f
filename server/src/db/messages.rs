//! Messages, their live events and feedback. Appending a message bumps the
//! conversation's counters, stores the message and its `message.created`
//! event and queues its webhook deliveries, all in one transaction.

use chrono::{DateTime, Utc};
use lantern_shared::api::{
    Attachment, Author, Citation, ConversationStatus, Feedback, Message, Rating, Role,
};
use serde_json::Value;
use sqlx::types::Json;

use super::{
    ConversationRecord, Db, Error, Result, SiteEvent, Tx,
    conversations::{CONVERSATION_COLUMNS, ConversationRow, webhook_data},
    inbox::insert_site_event,
    new_id, read, rfc3339, tx, write,
};

/// A message to append; the database assigns id, seq and time.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub role: Role,
    pub content: String,
    pub html: String,
    pub citations: Vec<Citation>,
    pub incomplete: bool,
    pub client_message_id: Option<String>,
    /// A private note: no visitor event, no status or waiting change.
    pub internal: bool,
    /// The member writing (agent messages from a session).
    pub author: Option<Author>,
    /// How an assistant reply was decided, with its retrieval scores (for
    /// the owner's insights; not part of the API message).
    pub retrieval: Option<Value>,
    /// Uploads of the conversation sent with the message (checked by the
    /// caller; claimed in the message's transaction).
    pub attachment_ids: Vec<String>,
}

/// A durable live event: `id` is the conversation's event counter.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub conversation_id: String,
    pub id: i64,
    pub kind: String,
    pub data: Value,
}

/// The outcome of appending a message.
#[derive(Debug, Clone)]
pub struct Appended {
    pub message: Message,
    /// The `message.created` event; `None` when the message already existed
    /// (same `client_message_id`) and nothing was written, and for notes
    /// (the visitor's stream never carries them).
    pub event: Option<StoredEvent>,
    /// The visitor-stream `conversation.status` when an agent's reply
    /// reopened a closed conversation.
    pub reopened: Option<StoredEvent>,
    /// The members' events: `message.created`, and `conversation.updated`
    /// when the message changed the conversation.
    pub site_events: Vec<SiteEvent>,
}

impl Appended {
    fn repeat(message: Message) -> Appended {
        Appended {
            message,
            event: None,
            reopened: None,
            site_events: Vec::new(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: String,
    conversation_id: String,
    seq: i64,
    role: String,
    content: String,
    html: String,
    citations: Json<Vec<Citation>>,
    incomplete: bool,
    client_message_id: Option<String>,
    internal: bool,
    author_id: Option<String>,
    author_name: Option<String>,
    attachments: Json<Vec<Attachment>>,
    created_at: DateTime<Utc>,
}

impl From<MessageRow> for Message {
    fn from(r: MessageRow) -> Message {
        Message {
            id: r.id,
            conversation_id: r.conversation_id,
            seq: r.seq,
            // The CHECK constraint admits only the four roles.
            role: Role::parse(&r.role).unwrap_or(Role::System),
            content: r.content,
            html: r.html,
            citations: r.citations.0,
            incomplete: r.incomplete,
            client_message_id: r.client_message_id,
            internal: r.internal,
            author: r.author_id.map(|id| Author {
                id,
                name: r.author_name.unwrap_or_default(),
            }),
            rating: None,
            attachments: r.attachments.0,
            created_at: rfc3339(r.created_at),
        }
    }
}

/// The counters' update: the new seq beside the conversation row.
#[derive(sqlx::FromRow)]
struct SeqAndConversation {
    last_seq: i64,
    #[sqlx(flatten)]
    conversation: ConversationRow,
}

const MESSAGE_COLUMNS: &str = "id, conversation_id, seq, role, content, html, citations, \
     incomplete, client_message_id, internal, author_id, author_name, attachments, created_at";

impl Db {
    /// Appends a message with the next seq, atomically with its event and
    /// webhook deliveries. Fails with `Conflict` on a closed conversation.
    pub async fn append_message(&self, conversation_id: &str, new: &NewMessage) -> Result<Appended> {
        // A second round only when a concurrent post with the same
        // `client_message_id` won the race: it then finds that one.
        for _ in 0..2 {
            let mut tx = self.begin().await?;
            let Some((appended, queued)) = self
                .append_in(&mut tx, conversation_id, new, Utc::now())
                .await?
            else {
                continue;
            };
            tx.commit().await?;
            self.deliveries_queued(queued);
            if appended.reopened.is_some() {
                // A reply reopened it: the cached status is stale.
                self.invalidate(&[crate::cache::Scope::Conversation(conversation_id.into())])
                    .await;
            }
            return Ok(appended);
        }
        Err(Error::Conflict(
            "a message with this client_message_id is being stored".into(),
        ))
    }

    /// [`Db::append_message`] inside the caller's transaction; true when
    /// webhook deliveries were queued. A repeated `client_message_id`
    /// returns the stored message and writes nothing. `None` when a
    /// concurrent transaction stored the same `client_message_id` first:
    /// roll back (the counters were bumped) and try again.
    pub(super) async fn append_in(
        &self,
        tx: &mut Tx,
        conversation_id: &str,
        new: &NewMessage,
        now: DateTime<Utc>,
    ) -> Result<Option<(Appended, bool)>> {
        if let Some(client_id) = &new.client_message_id {
            let sql = format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages \
                 WHERE conversation_id = $1 AND client_message_id = $2"
            );
            let existing: Option<MessageRow> = tx!(&mut *tx, c => sqlx::query_as(&sql)
                .bind(conversation_id)
                .bind(client_id)
                .fetch_optional(c)
                .await)?;
            if let Some(row) = existing {
                if row.internal && !new.internal {
                    // A note's id must not hand the note to someone else.
                    return Err(Error::Conflict("this client_message_id is taken".into()));
                }
                return Ok(Some((Appended::repeat(row.into()), false)));
            }
        }
        // Takes the conversation's row lock (Postgres; SQLite has one
        // writer) before the counters are read, so seqs are handed out one
        // at a time. A note takes a seq (the members' transcript keeps its
        // place) but no visitor event id.
        let visible = i64::from(!new.internal);
        let sql = format!(
            "UPDATE conversations SET last_seq = last_seq + 1, \
             last_event_id = last_event_id + $3, updated_at = $2 WHERE id = $1 \
             RETURNING last_seq, {CONVERSATION_COLUMNS}"
        );
        let row: Option<SeqAndConversation> = tx!(&mut *tx, c => sqlx::query_as(&sql)
            .bind(conversation_id)
            .bind(now)
            .bind(visible)
            .fetch_optional(c)
            .await)?;
        let Some(SeqAndConversation { last_seq: seq, conversation }) = row else {
            return Err(Error::NotFound);
        };
        let before = ConversationRecord::from(conversation);
        let reply = new.role == Role::Agent && !new.internal;
        if before.status == ConversationStatus::Closed && !reply && !new.internal {
            return Err(Error::Conflict("the conversation is closed".into()));
        }
        let event_id = before.last_event_id;
        let site_id = before.site_id.clone();
        let id = new_id();
        let inserted = tx!(&mut *tx, c => sqlx::query(
            "INSERT INTO messages (id, conversation_id, seq, role, content, html, citations, \
             incomplete, client_message_id, internal, author_id, author_name, created_at, \
             retrieval) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (conversation_id, client_message_id) DO NOTHING",
        )
        .bind(&id)
        .bind(conversation_id)
        .bind(seq)
        .bind(new.role.as_str())
        .bind(&new.content)
        .bind(&new.html)
        .bind(Json(&new.citations))
        .bind(new.incomplete)
        .bind(&new.client_message_id)
        .bind(new.internal)
        .bind(new.author.as_ref().map(|a| a.id.as_str()))
        .bind(new.author.as_ref().map(|a| a.name.as_str()))
        .bind(now)
        .bind(new.retrieval.as_ref().map(Json))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        if inserted == 0 {
            return Ok(None);
        }
        let attachments = if new.attachment_ids.is_empty() {
            Vec::new()
        } else {
            let sent =
                super::attachments::send_with(tx, conversation_id, &id, &new.attachment_ids).await?;
            tx!(&mut *tx, c => sqlx::query("UPDATE messages SET attachments = $2 WHERE id = $1")
                .bind(&id)
                .bind(super::attachments::column(&sent))
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
            sent
        };
        let message = Message {
            id,
            conversation_id: conversation_id.to_string(),
            seq,
            role: new.role,
            content: new.content.clone(),
            html: new.html.clone(),
            citations: new.citations.clone(),
            incomplete: new.incomplete,
            client_message_id: new.client_message_id.clone(),
            internal: new.internal,
            author: new.author.clone(),
            rating: None,
            attachments,
            created_at: rfc3339(now),
        };
        let data = serde_json::to_value(&message).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let event = if new.internal {
            None
        } else {
            Some(
                insert_event(
                    tx,
                    conversation_id,
                    event_id,
                    lantern_shared::event::kind::MESSAGE_CREATED,
                    data.clone(),
                    now,
                )
                .await?,
            )
        };
        let mut queued = self
            .enqueue_webhooks(tx, &site_id, super::webhooks::MESSAGE_CREATED, data.clone(), now)
            .await?;
        if reply {
            queued |= self
                .enqueue_webhooks(tx, &site_id, super::webhooks::AGENT_REPLIED, data.clone(), now)
                .await?;
        }
        let mut site_events =
            vec![insert_site_event(tx, &site_id, lantern_shared::inbox::kind::MESSAGE_CREATED, data, now).await?];
        let (after, reopened, q) = self.after_message(tx, &before, new, now).await?;
        queued |= q;
        if let Some(after) = after {
            site_events.push(
                insert_site_event(
                    tx,
                    &site_id,
                    lantern_shared::inbox::kind::CONVERSATION_UPDATED,
                    webhook_data(&after),
                    now,
                )
                .await?,
            );
        }
        let appended = Appended {
            message,
            event,
            reopened,
            site_events,
        };
        Ok(Some((appended, queued)))
    }

    /// What a message does to its conversation: a visitor's starts (or
    /// continues) their wait for a person and wakes a snoozed conversation;
    /// a member's reply ends the wait; it claims an unassigned hand-over, and reopens a
    /// closed conversation as a hand-over. Notes change nothing. Returns the
    /// conversation when it changed, the visitor's status event when it
    /// reopened, and whether webhooks were queued.
    async fn after_message(
        &self,
        tx: &mut Tx,
        before: &ConversationRecord,
        new: &NewMessage,
        now: DateTime<Utc>,
    ) -> Result<(Option<ConversationRecord>, Option<StoredEvent>, bool)> {
        if new.internal {
            return Ok((None, None, false));
        }
        let mut status = before.status;
        let mut waiting = before.waiting_since;
        let mut snoozed = before.snoozed_until;
        let mut assignee = before.assignee_id.clone();
        match new.role {
            Role::User => {
                // The wait counts while a person is expected; the bot
                // answers everything else at once (and a plain exchange
                // then writes nothing more than before).
                if status == ConversationStatus::Handoff {
                    waiting = waiting.or(Some(now));
                }
                snoozed = None;
            }
            Role::Agent => {
                waiting = None;
                if status == ConversationStatus::Closed {
                    status = ConversationStatus::Handoff;
                }
                if status == ConversationStatus::Handoff && assignee.is_none() {
                    assignee = new.author.as_ref().map(|a| a.id.clone());
                }
            }
            Role::Assistant | Role::System => {}
        }
        let reopen = status != before.status;
        let claimed = assignee != before.assignee_id;
        if !reopen && !claimed && waiting == before.waiting_since && snoozed == before.snoozed_until {
            return Ok((None, None, false));
        }
        let sql = format!(
            "UPDATE conversations SET status = $2, waiting_since = $3, snoozed_until = $4, \
             assignee_id = $5, last_event_id = last_event_id + $6 WHERE id = $1 \
             RETURNING {CONVERSATION_COLUMNS}"
        );
        let row: ConversationRow = tx!(&mut *tx, c => sqlx::query_as(&sql)
            .bind(&before.id)
            .bind(status.as_str())
            .bind(waiting)
            .bind(snoozed)
            .bind(&assignee)
            .bind(i64::from(reopen))
            .fetch_one(c)
            .await)?;
        let after = ConversationRecord::from(row);
        let mut queued = false;
        let reopened = if reopen {
            let data = serde_json::json!({"conversation_id": before.id, "status": status});
            Some(
                insert_event(
                    tx,
                    &before.id,
                    after.last_event_id,
                    lantern_shared::event::kind::STATUS_CHANGED,
                    data,
                    now,
                )
                .await?,
            )
        } else {
            None
        };
        if claimed {
            queued |= self
                .enqueue_webhooks(
                    tx,
                    &after.site_id,
                    super::webhooks::CONVERSATION_ASSIGNED,
                    webhook_data(&after),
                    now,
                )
                .await?;
        }
        Ok((Some(after), reopened, queued))
    }

    /// Up to `limit` messages after `after_seq`, oldest first; private
    /// notes only `with_notes` (members and admin keys).
    pub async fn messages(
        &self,
        conversation_id: &str,
        after_seq: i64,
        limit: i64,
        with_notes: bool,
    ) -> Result<Vec<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 AND seq > $2 \
             AND (internal = FALSE OR $4) ORDER BY seq LIMIT $3"
        );
        let rows: Vec<MessageRow> = read!(self, p => sqlx::query_as(&sql)
            .bind(conversation_id)
            .bind(after_seq)
            .bind(limit)
            .bind(with_notes)
            .fetch_all(p)
            .await)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn message(&self, id: &str) -> Result<Option<Message>> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1");
        let row: Option<MessageRow> =
            read!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
        Ok(row.map(Into::into))
    }

    /// Durable events of a conversation after `after_id`, oldest first.
    pub async fn events_after(
        &self,
        conversation_id: &str,
        after_id: i64,
        limit: i64,
    ) -> Result<Vec<StoredEvent>> {
        let rows: Vec<(String, i64, String, Json<Value>)> = read!(self, p => sqlx::query_as(
            "SELECT conversation_id, id, kind, data FROM events \
             WHERE conversation_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(conversation_id)
        .bind(after_id)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(conversation_id, id, kind, data)| StoredEvent {
                conversation_id,
                id,
                kind,
                data: data.0,
            })
            .collect())
    }

    /// The visitor's verdicts on a conversation's messages: (message id, rating).
    pub async fn ratings(&self, conversation_id: &str) -> Result<Vec<(String, Rating)>> {
        let rows: Vec<(String, String)> = read!(self, p => sqlx::query_as(
            "SELECT f.message_id, f.rating FROM feedback f JOIN messages m ON m.id = f.message_id \
             WHERE m.conversation_id = $1",
        )
        .bind(conversation_id)
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, r)| {
                let rating = match r.as_str() {
                    "up" => Rating::Up,
                    "down" => Rating::Down,
                    _ => return None,
                };
                Some((id, rating))
            })
            .collect())
    }

    /// One verdict per message: a second vote replaces the first.
    pub async fn put_feedback(
        &self,
        message_id: &str,
        rating: Rating,
        comment: Option<&str>,
    ) -> Result<Feedback> {
        let now = Utc::now();
        write!(self, p => sqlx::query(
            "INSERT INTO feedback (message_id, rating, comment, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (message_id) DO UPDATE SET rating = excluded.rating, \
             comment = excluded.comment, created_at = excluded.created_at",
        )
        .bind(message_id)
        .bind(rating.as_str())
        .bind(comment)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(Feedback {
            message_id: message_id.to_string(),
            rating,
            comment: comment.map(str::to_string),
            created_at: rfc3339(now),
        })
    }
}

/// Stores a live event inside the caller's transaction.
pub(super) async fn insert_event(
    tx: &mut Tx,
    conversation_id: &str,
    id: i64,
    kind: &str,
    data: Value,
    now: DateTime<Utc>,
) -> Result<StoredEvent> {
    tx!(tx, c => sqlx::query(
        "INSERT INTO events (conversation_id, id, kind, data, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(conversation_id)
    .bind(id)
    .bind(kind)
    .bind(Json(&data))
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(StoredEvent {
        conversation_id: conversation_id.to_string(),
        id,
        kind: kind.to_string(),
        data,
    })
}

/// A question and its reply, stored together (see [`Db::append_exchange`]).
#[derive(Debug, Clone)]
pub struct Exchange {
    pub question: Appended,
    /// `None` when the question was a repeat (nothing was written).
    pub reply: Option<Appended>,
    /// The hand-over to a person, when the reply asked for one.
    pub handoff: Option<super::StatusChange>,
}

impl Db {
    /// Stores a question, its reply and (when `handoff`) the move to
    /// `handoff`, in one transaction: one commit per exchange. A repeated
    /// `client_message_id` writes nothing and returns the stored question.
    pub async fn append_exchange(
        &self,
        conversation_id: &str,
        question: &NewMessage,
        reply: &NewMessage,
        handoff: bool,
    ) -> Result<Exchange> {
        for _ in 0..2 {
            let now = Utc::now();
            let mut tx = self.begin().await?;
            let Some((asked, mut queued)) =
                self.append_in(&mut tx, conversation_id, question, now).await?
            else {
                continue;
            };
            if asked.event.is_none() && asked.site_events.is_empty() {
                return Ok(Exchange {
                    question: asked,
                    reply: None,
                    handoff: None,
                });
            }
            let Some((answered, q)) = self.append_in(&mut tx, conversation_id, reply, now).await?
            else {
                continue;
            };
            queued |= q;
            let handoff = if handoff {
                let (change, q) = self
                    .set_status_in(
                        &mut tx,
                        conversation_id,
                        lantern_shared::api::ConversationStatus::Handoff,
                        now,
                    )
                    .await?;
                queued |= q;
                Some(change)
            } else {
                None
            };
            tx.commit().await?;
            self.deliveries_queued(queued);
            let moved = asked.reopened.is_some()
                || answered.reopened.is_some()
                || handoff.as_ref().is_some_and(|h| h.event.is_some());
            if moved {
                // The status is part of the cached conversation facts.
                self.invalidate(&[crate::cache::Scope::Conversation(conversation_id.into())])
                    .await;
            }
            return Ok(Exchange {
                question: asked,
                reply: Some(answered),
                handoff,
            });
        }
        Err(Error::Conflict(
            "a message with this client_message_id is being stored".into(),
        ))
    }

    /// The message a client sent with `client_message_id`, if stored.
    pub async fn message_by_client_id(
        &self,
        conversation_id: &str,
        client_message_id: &str,
    ) -> Result<Option<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages \
             WHERE conversation_id = $1 AND client_message_id = $2"
        );
        let row: Option<MessageRow> = read!(self, p => sqlx::query_as(&sql)
            .bind(conversation_id)
            .bind(client_message_id)
            .fetch_optional(p)
            .await)?;
        Ok(row.map(Into::into))
    }

    /// The newest `limit` messages of a conversation, oldest first; notes
    /// are left out (they are not the answerer's to read).
    pub async fn recent_messages(&self, conversation_id: &str, limit: i64) -> Result<Vec<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1 \
             AND internal = FALSE ORDER BY seq DESC LIMIT $2"
        );
        let rows: Vec<MessageRow> = read!(self, p => sqlx::query_as(&sql)
            .bind(conversation_id)
            .bind(limit)
            .fetch_all(p)
            .await)?;
        let mut messages: Vec<Message> = rows.into_iter().map(Into::into).collect();
        messages.reverse();
        Ok(messages)
    }
}
