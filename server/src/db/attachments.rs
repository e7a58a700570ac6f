//! Attachments: the rows that say which stored file belongs to which
//! conversation (and, once sent, which message), each site's attachment
//! settings, and the marking and removal of rows whose files are to go.
//!
//! A row with no conversation is marked: its conversation went (the
//! foreign key sets it to NULL), or it was an upload never sent. The
//! housekeeping job deletes a marked row's files, then the row; a marked
//! row can no longer be sent or downloaded, so nothing races the deletion.

use chrono::{DateTime, Utc};
use lantern_shared::api::Attachment;
use sqlx::types::Json;

use super::{Db, found, Error, Result, Tx, read, tx, write};

/// An attachment as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentRecord {
    pub id: String,
    pub site_id: String,
    pub conversation_id: Option<String>,
    pub message_id: Option<String>,
    /// Uploaded by a member or an admin key: the visitor sees it only once
    /// it is sent.
    pub by_staff: bool,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub object_key: String,
    pub thumbnail_key: Option<String>,
    pub thumbnail_size: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl AttachmentRecord {
    /// The API shape.
    pub fn to_api(&self) -> Attachment {
        let url = lantern_shared::routes::fill(lantern_shared::routes::ATTACHMENT, &self.id);
        Attachment {
            id: self.id.clone(),
            name: self.name.clone(),
            media_type: self.media_type.clone(),
            size: u64::try_from(self.size).unwrap_or(0),
            width: self.width.and_then(|w| u32::try_from(w).ok()),
            height: self.height.and_then(|h| u32::try_from(h).ok()),
            thumbnail_url: self.thumbnail_key.as_ref().map(|_| format!("{url}/thumbnail")),
            url,
        }
    }
}

/// One file to delete from the store: a marked row's keys.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Doomed {
    pub id: String,
    pub object_key: String,
    pub thumbnail_key: Option<String>,
}

/// A site's attachment settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct AttachmentPolicy {
    pub attachments_enabled: bool,
    pub attachments_max_bytes: i64,
}

const COLUMNS: &str = "id, site_id, conversation_id, message_id, by_staff, name, media_type, \
     size, width, height, object_key, thumbnail_key, thumbnail_size, created_at";

impl Db {
    /// The site's attachment settings.
    pub async fn attachment_policy(&self, site_id: &str) -> Result<AttachmentPolicy> {
        let row: Option<AttachmentPolicy> = read!(self, p => sqlx::query_as(
            "SELECT attachments_enabled, attachments_max_bytes FROM sites WHERE id = $1",
        )
        .bind(site_id)
        .fetch_optional(p)
        .await)?;
        row.ok_or(Error::NotFound)
    }

    pub async fn set_attachment_policy(&self, site_id: &str, policy: AttachmentPolicy) -> Result<()> {
        write!(self, p => sqlx::query(
            "UPDATE sites SET attachments_enabled = $2, attachments_max_bytes = $3 WHERE id = $1",
        )
        .bind(site_id)
        .bind(policy.attachments_enabled)
        .bind(policy.attachments_max_bytes)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        // Not part of the cached `Site` today; dropped anyway so that it
        // never goes stale if it becomes part of it.
        self.invalidate(&[crate::cache::Scope::Site(site_id.into())]).await;
        Ok(())
    }

    /// Bytes a site's attachments take in the store, thumbnails included.
    pub async fn site_attachment_bytes(&self, site_id: &str) -> Result<i64> {
        let (n,): (Option<i64>,) = read!(self, p => sqlx::query_as(
            "SELECT CAST(SUM(size + COALESCE(thumbnail_size, 0)) AS BIGINT) FROM attachments \
             WHERE site_id = $1",
        )
        .bind(site_id)
        .fetch_one(p)
        .await)?;
        Ok(n.unwrap_or(0))
    }

    /// Bytes every attachment takes in the store (the metric).
    pub async fn attachment_bytes(&self) -> Result<i64> {
        let (n,): (Option<i64>,) = read!(self, p => sqlx::query_as(
            "SELECT CAST(SUM(size + COALESCE(thumbnail_size, 0)) AS BIGINT) FROM attachments",
        )
        .fetch_one(p)
        .await)?;
        Ok(n.unwrap_or(0))
    }

    /// Records a stored upload. Fails with `NotFound` when its conversation
    /// went meanwhile (the caller then deletes the files).
    pub async fn insert_attachment(&self, a: &AttachmentRecord) -> Result<()> {
        found(write!(self, p => sqlx::query(
            "INSERT INTO attachments (id, site_id, conversation_id, message_id, by_staff, name, \
             media_type, size, width, height, object_key, thumbnail_key, thumbnail_size, created_at) \
             SELECT $1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 \
             WHERE EXISTS (SELECT 1 FROM conversations WHERE id = $3)",
        )
        .bind(&a.id)
        .bind(&a.site_id)
        .bind(&a.conversation_id)
        .bind(a.by_staff)
        .bind(&a.name)
        .bind(&a.media_type)
        .bind(a.size)
        .bind(a.width)
        .bind(a.height)
        .bind(&a.object_key)
        .bind(&a.thumbnail_key)
        .bind(a.thumbnail_size)
        .bind(a.created_at)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// An attachment that is not marked for deletion, with whether the
    /// message it was sent with is a private note.
    pub async fn attachment(&self, id: &str) -> Result<Option<(AttachmentRecord, bool)>> {
        let sql = format!(
            "SELECT {COLUMNS}, COALESCE((SELECT m.internal FROM messages m \
             WHERE m.id = a.message_id), FALSE) AS internal \
             FROM attachments a WHERE id = $1 AND conversation_id IS NOT NULL"
        );
        let row: Option<WithInternal> =
            read!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await)?;
        Ok(row.map(|r| (r.record, r.internal)))
    }

    /// The attachments `ids` of a conversation, as stored (any order).
    pub async fn attachments_in(&self, conversation_id: &str, ids: &[String]) -> Result<Vec<AttachmentRecord>> {
        let mut out = Vec::with_capacity(ids.len());
        let sql = format!("SELECT {COLUMNS} FROM attachments WHERE id = $1 AND conversation_id = $2");
        for id in ids {
            let row: Option<AttachmentRecord> = read!(self, p => sqlx::query_as(&sql)
                .bind(id)
                .bind(conversation_id)
                .fetch_optional(p)
                .await)?;
            out.extend(row);
        }
        Ok(out)
    }

    /// Every attachment of a conversation, sent or not, oldest first.
    pub async fn conversation_attachments(&self, conversation_id: &str) -> Result<Vec<AttachmentRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM attachments WHERE conversation_id = $1 ORDER BY id"
        );
        Ok(read!(self, p => sqlx::query_as(&sql).bind(conversation_id).fetch_all(p).await)?)
    }

    /// Marks uploads never sent that are older than `before` (at most
    /// `batch`); how many.
    pub async fn mark_unsent_attachments(&self, before: DateTime<Utc>, batch: i64) -> Result<u64> {
        Ok(write!(self, p => sqlx::query(
            "UPDATE attachments SET conversation_id = NULL WHERE id IN (SELECT id FROM attachments \
             WHERE message_id IS NULL AND conversation_id IS NOT NULL AND created_at < $1 LIMIT $2)",
        )
        .bind(before)
        .bind(batch)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// Up to `batch` marked rows, whose files are to be deleted.
    pub async fn doomed_attachments(&self, batch: i64) -> Result<Vec<Doomed>> {
        Ok(read!(self, p => sqlx::query_as(
            "SELECT id, object_key, thumbnail_key FROM attachments \
             WHERE conversation_id IS NULL ORDER BY id LIMIT $1",
        )
        .bind(batch)
        .fetch_all(p)
        .await)?)
    }

    /// Whether attachment `id` has a row (sent, unsent or marked).
    pub async fn attachment_row_exists(&self, id: &str) -> Result<bool> {
        let row: Option<(String,)> = read!(self, p => sqlx::query_as(
            "SELECT id FROM attachments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(p)
        .await)?;
        Ok(row.is_some())
    }

    /// Deletes a marked row once its files are gone.
    pub async fn forget_attachment(&self, id: &str) -> Result<()> {
        write!(self, p => sqlx::query(
            "DELETE FROM attachments WHERE id = $1 AND conversation_id IS NULL",
        )
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct WithInternal {
    #[sqlx(flatten)]
    record: AttachmentRecord,
    internal: bool,
}

/// Sends the uploads `ids` with the message `message_id` inside the
/// caller's transaction. Each must belong to the conversation and not be
/// sent yet; otherwise `Conflict` (the transaction is then rolled back).
pub(super) async fn send_with(
    tx: &mut Tx,
    conversation_id: &str,
    message_id: &str,
    ids: &[String],
) -> Result<Vec<Attachment>> {
    let mut sent = Vec::with_capacity(ids.len());
    let sql = format!(
        "UPDATE attachments SET message_id = $3 WHERE id = $1 AND conversation_id = $2 \
         AND message_id IS NULL RETURNING {COLUMNS}"
    );
    for id in ids {
        let row: Option<AttachmentRecord> = tx!(&mut *tx, c => sqlx::query_as(&sql)
            .bind(id)
            .bind(conversation_id)
            .bind(message_id)
            .fetch_optional(c)
            .await)?;
        let row = row.ok_or_else(|| {
            Error::Conflict(format!("attachment {id} was sent or removed meanwhile"))
        })?;
        sent.push(row.to_api());
    }
    Ok(sent)
}

/// The JSON column's form of a message's attachments.
pub(super) fn column(attachments: &[Attachment]) -> Json<&[Attachment]> {
    Json(attachments)
}
