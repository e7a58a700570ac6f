//! A person's data under control: pinning and archiving conversations,
//! deleting one, everything held about a visitor (for export), erasing a
//! visitor with all of it, the erasure log, and the sites' retention rules
//! (closed conversations deleted, inactive visitors anonymised).
//!
//! Live events and webhook deliveries keep a conversation's id only inside
//! their JSON; they are found by that id (a UUID, so a substring match is
//! exact). Both tables are pruned after days, so the scan stays short.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{
    ConversationRecord, Db, Error, Result, Tx,
    conversations::{CONVERSATION_COLUMNS, ConversationRow},
    found, new_id, read, tx, write,
};
use crate::cache::Scope;

/// One feedback verdict, with its comment.
#[derive(Debug, Clone)]
pub struct FeedbackRecord {
    pub message_id: String,
    pub rating: String,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What an erasure removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    pub conversation_ids: Vec<String>,
    pub messages: i64,
}

/// One entry of the erasure log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ErasureRow {
    pub id: String,
    pub actor: String,
    pub conversations: i64,
    pub messages: i64,
    pub created_at: DateTime<Utc>,
}

/// A site's retention rule, in days (`None` keeps forever).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Retention {
    pub closed_days: Option<i32>,
    pub inactive_days: Option<i32>,
}

impl Db {
    /// Pins or unpins a conversation (a pinned one is also kept from the
    /// retention rule).
    pub async fn set_pinned(&self, id: &str, pinned: bool) -> Result<ConversationRecord> {
        let mut tx = self.begin().await?;
        let changed = tx!(&mut tx, c => sqlx::query("UPDATE conversations SET pinned = $2 WHERE id = $1")
            .bind(id)
            .bind(pinned)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        reread(tx, id, changed).await
    }

    /// Archives a conversation (now) or brings it back.
    pub async fn set_archived(&self, id: &str, archived: bool) -> Result<ConversationRecord> {
        let mut tx = self.begin().await?;
        let changed = tx!(&mut tx, c => sqlx::query(
            "UPDATE conversations SET archived_at = CASE WHEN $2 THEN COALESCE(archived_at, $3) \
             ELSE NULL END WHERE id = $1",
        )
        .bind(id)
        .bind(archived)
        .bind(Utc::now())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        reread(tx, id, changed).await
    }

    /// Deletes a conversation with its messages, feedback, events, read
    /// marks, members' events and webhook deliveries; the messages it had.
    pub async fn delete_conversation(&self, id: &str) -> Result<i64> {
        let mut tx = self.begin().await?;
        let messages = purge_conversation(&mut tx, id).await?;
        tx.commit().await?;
        self.invalidate(&[Scope::Conversation(id.into())]).await;
        messages.ok_or(Error::NotFound)
    }

    /// The site a visitor belongs to.
    pub async fn visitor_site(&self, id: &str) -> Result<String> {
        let row: Option<(String,)> = read!(self, p => sqlx::query_as(
            "SELECT site_id FROM visitors WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(p)
        .await)?;
        Ok(row.ok_or(Error::NotFound)?.0)
    }

    /// Every conversation of a visitor, archived ones too, oldest first.
    pub async fn visitor_conversations(&self, visitor_id: &str) -> Result<Vec<ConversationRecord>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE visitor_id = $1 ORDER BY id"
        );
        let rows: Vec<ConversationRow> =
            read!(self, p => sqlx::query_as(&sql).bind(visitor_id).fetch_all(p).await)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The feedback left on a conversation's messages, with comments.
    pub async fn feedback_of(&self, conversation_id: &str) -> Result<Vec<FeedbackRecord>> {
        let rows: Vec<(String, String, Option<String>, DateTime<Utc>)> = read!(self, p => sqlx::query_as(
            "SELECT f.message_id, f.rating, f.comment, f.created_at FROM feedback f \
             JOIN messages m ON m.id = f.message_id WHERE m.conversation_id = $1 ORDER BY m.seq",
        )
        .bind(conversation_id)
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(message_id, rating, comment, created_at)| FeedbackRecord {
                message_id,
                rating,
                comment,
                created_at,
            })
            .collect())
    }

    /// Erases a visitor of `site_id` and everything about them in one
    /// transaction, and logs the erasure (who, when, how much; nothing
    /// about the person).
    pub async fn erase_visitor(&self, site_id: &str, visitor_id: &str, actor: &str) -> Result<Erased> {
        let mut tx = self.begin().await?;
        let found: Option<(String,)> = tx!(&mut tx, c => sqlx::query_as(
            "SELECT id FROM visitors WHERE id = $1 AND site_id = $2",
        )
        .bind(visitor_id)
        .bind(site_id)
        .fetch_optional(c)
        .await)?;
        if found.is_none() {
            return Err(Error::NotFound);
        }
        let ids: Vec<(String,)> = tx!(&mut tx, c => sqlx::query_as(
            "SELECT id FROM conversations WHERE visitor_id = $1",
        )
        .bind(visitor_id)
        .fetch_all(c)
        .await)?;
        let mut erased = Erased::default();
        for (id,) in ids {
            erased.messages += purge_conversation(&mut tx, &id).await?.unwrap_or(0);
            erased.conversation_ids.push(id);
        }
        // Tokens go with the row (ON DELETE CASCADE).
        tx!(&mut tx, c => sqlx::query("DELETE FROM visitors WHERE id = $1")
            .bind(visitor_id)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        tx!(&mut tx, c => sqlx::query(
            "INSERT INTO erasures (id, site_id, actor, conversations, messages, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(new_id())
        .bind(site_id)
        .bind(actor)
        .bind(erased.conversation_ids.len() as i64)
        .bind(erased.messages)
        .bind(Utc::now())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        // The visitor's scope covers their tokens and conversations.
        self.invalidate(&[Scope::Visitor(visitor_id.into())]).await;
        Ok(erased)
    }

    /// An anonymous visitor of `site_id` who has just identified as the
    /// (verified) visitor `known`: their conversations and memories move
    /// to `known`, an email they left is kept when `known` has none, and the
    /// anonymous visitor goes with its tokens. Nothing happens (0) when
    /// `anonymous` is not an anonymous visitor of the site, so one signed-in
    /// user's conversations never follow another. The conversations moved.
    pub async fn merge_into(&self, site_id: &str, anonymous: &str, known: &str) -> Result<u64> {
        if anonymous == known {
            return Ok(0);
        }
        let mut tx = self.begin().await?;
        let found: Option<(String,)> = tx!(&mut tx, c => sqlx::query_as(
            "SELECT id FROM visitors WHERE id = $1 AND site_id = $2 AND external_user_id IS NULL",
        )
        .bind(anonymous)
        .bind(site_id)
        .fetch_optional(c)
        .await)?;
        if found.is_none() {
            return Ok(0);
        }
        let moved = tx!(&mut tx, c => sqlx::query(
            "UPDATE conversations SET visitor_id = $2 WHERE visitor_id = $1",
        )
        .bind(anonymous)
        .bind(known)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        for sql in [
            "UPDATE visitor_memories SET visitor_id = $2 WHERE visitor_id = $1",
            "UPDATE visitors SET contact_email = COALESCE(contact_email, \
             (SELECT a.contact_email FROM visitors a WHERE a.id = $1)) WHERE id = $2",
            "DELETE FROM visitors WHERE id = $1 AND CAST($2 AS TEXT) IS NOT NULL",
        ] {
            tx!(&mut tx, c => sqlx::query(sql)
                .bind(anonymous)
                .bind(known)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
        // The anonymous visitor's tokens are gone and their conversations
        // have a new owner.
        self.invalidate(&[Scope::Visitor(anonymous.into())]).await;
        Ok(moved)
    }

    /// The site's erasure log, newest first.
    pub async fn erasures(&self, site_id: &str, limit: i64) -> Result<Vec<ErasureRow>> {
        Ok(read!(self, p => sqlx::query_as(
            "SELECT id, actor, CAST(conversations AS BIGINT) AS conversations, \
             CAST(messages AS BIGINT) AS messages, created_at FROM erasures \
             WHERE site_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(site_id)
        .bind(limit)
        .fetch_all(p)
        .await)?)
    }

    /// Sites with a retention rule, and their rules.
    pub async fn retention_rules(&self) -> Result<Vec<(String, Retention)>> {
        let rows: Vec<(String, Option<i32>, Option<i32>)> = read!(self, p => sqlx::query_as(
            "SELECT id, retention_closed_days, retention_inactive_days FROM sites \
             WHERE retention_closed_days IS NOT NULL OR retention_inactive_days IS NOT NULL",
        )
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(id, closed_days, inactive_days)| {
                (
                    id,
                    Retention {
                        closed_days,
                        inactive_days,
                    },
                )
            })
            .collect())
    }

    pub async fn set_retention(&self, site_id: &str, rule: Retention) -> Result<()> {
        let changed = write!(self, p => sqlx::query(
            "UPDATE sites SET retention_closed_days = $2, retention_inactive_days = $3 WHERE id = $1",
        )
        .bind(site_id)
        .bind(rule.closed_days)
        .bind(rule.inactive_days)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        found(changed)?;
        // Not part of the cached `Site` today; see `set_attachment_policy`.
        self.invalidate(&[Scope::Site(site_id.into())]).await;
        Ok(())
    }

    /// Deletes up to `batch` closed conversations of `site_id` last changed
    /// before `before`; their ids. On Postgres, instances take turns: a
    /// batch another instance is running makes this one return nothing.
    pub async fn delete_closed_before(
        &self,
        site_id: &str,
        before: DateTime<Utc>,
        batch: i64,
    ) -> Result<Vec<String>> {
        let mut tx = self.begin().await?;
        if !retention_turn(&mut tx).await? {
            return Ok(Vec::new());
        }
        let ids: Vec<(String,)> = tx!(&mut tx, c => sqlx::query_as(
            "SELECT id FROM conversations WHERE site_id = $1 AND status = 'closed' \
             AND pinned = FALSE AND updated_at < $2 ORDER BY updated_at LIMIT $3",
        )
        .bind(site_id)
        .bind(before)
        .bind(batch)
        .fetch_all(c)
        .await)?;
        for (id,) in &ids {
            purge_conversation(&mut tx, id).await?;
        }
        tx.commit().await?;
        let gone: Vec<Scope> = ids.iter().map(|(id,)| Scope::Conversation(id.clone())).collect();
        self.invalidate(&gone).await;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    /// Anonymises up to `batch` visitors of `site_id` with no conversation
    /// changed since `before` (and created before it): their verified user
    /// id, profile (name, email, attributes, browser, time zone), contact
    /// email, memories and tokens go, and their conversations lose the page,
    /// referrer and integrator metadata. Messages stay, unattributed.
    pub async fn anonymise_inactive(
        &self,
        site_id: &str,
        before: DateTime<Utc>,
        batch: i64,
    ) -> Result<u64> {
        let mut tx = self.begin().await?;
        if !retention_turn(&mut tx).await? {
            return Ok(0);
        }
        let ids: Vec<(String,)> = tx!(&mut tx, c => sqlx::query_as(
            "SELECT v.id FROM visitors v WHERE v.site_id = $1 AND v.anonymised_at IS NULL \
             AND v.created_at < $2 AND NOT EXISTS (SELECT 1 FROM conversations c \
               WHERE c.visitor_id = v.id AND c.updated_at >= $2) LIMIT $3",
        )
        .bind(site_id)
        .bind(before)
        .bind(batch)
        .fetch_all(c)
        .await)?;
        let now = Utc::now();
        for (id,) in &ids {
            tx!(&mut tx, c => sqlx::query(
                "UPDATE visitors SET external_user_id = NULL, contact_email = NULL, name = NULL, \
                 email = NULL, attributes = '{}', user_agent = NULL, time_zone = NULL, \
                 anonymised_at = $2 WHERE id = $1",
            )
            .bind(id)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
            for sql in [
                "DELETE FROM visitor_tokens WHERE visitor_id = $1",
                "DELETE FROM visitor_memories WHERE visitor_id = $1",
            ] {
                tx!(&mut tx, c => sqlx::query(sql)
                    .bind(id)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected()))?;
            }
            tx!(&mut tx, c => sqlx::query(
                "UPDATE conversations SET page_url = NULL, referrer = NULL, metadata = $2 \
                 WHERE visitor_id = $1",
            )
            .bind(id)
            .bind(sqlx::types::Json(Value::Object(Default::default())))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
        // Their tokens are gone.
        let gone: Vec<Scope> = ids.iter().map(|(id,)| Scope::Visitor(id.clone())).collect();
        self.invalidate(&gone).await;
        Ok(ids.len() as u64)
    }
}

/// The conversation as the update in `tx` left it, committed; `NotFound`
/// when the update `changed` nothing.
async fn reread(mut tx: Tx, id: &str, changed: u64) -> Result<ConversationRecord> {
    if changed == 0 {
        return Err(Error::NotFound);
    }
    let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1");
    let row: ConversationRow = tx!(&mut tx, c => sqlx::query_as(&sql).bind(id).fetch_one(c).await)?;
    tx.commit().await?;
    Ok(row.into())
}

/// Deletes one conversation and every row that mentions it; the number of
/// messages it had, or `None` when there was no such conversation.
async fn purge_conversation(tx: &mut Tx, id: &str) -> Result<Option<i64>> {
    let messages: i64 = tx!(&mut *tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE conversation_id = $1",
    )
    .bind(id)
    .fetch_one(c)
    .await)?;
    // The id inside JSON text: a UUID never occurs by chance.
    let mention = format!("%{id}%");
    for sql in [
        "DELETE FROM site_events WHERE CAST(data AS TEXT) LIKE $1",
        "DELETE FROM webhook_deliveries WHERE CAST(body AS TEXT) LIKE $1",
    ] {
        tx!(&mut *tx, c => sqlx::query(sql)
            .bind(&mention)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    // Messages, feedback, events and read marks go by ON DELETE CASCADE.
    let deleted = tx!(&mut *tx, c => sqlx::query("DELETE FROM conversations WHERE id = $1")
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok((deleted > 0).then_some(messages))
}

/// Postgres: whether this transaction holds the retention job's turn (a
/// transaction-scoped advisory lock, let go at commit). SQLite has one
/// writer per file, so it is always this one's turn.
async fn retention_turn(tx: &mut Tx) -> Result<bool> {
    match tx {
        Tx::Sqlite(_) => Ok(true),
        Tx::Postgres(t) => Ok(sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(7305218)")
            .fetch_one(&mut **t)
            .await?),
    }
}
