//! Files shared in conversations, above the storage layer: an upload is
//! received into a staging file ([`receive`]), its type decided from its
//! bytes ([`kind`]), images re-encoded ([`picture`]), then copied to the
//! store ([`store`]) under a key the server makes, and recorded. Sending
//! one with a message, serving it, and deleting the files of conversations
//! that went ([`sweep`]) build on that.

pub mod kind;
pub mod name;
pub mod picture;
pub mod receive;
pub mod store;
pub mod sweep;

use std::{path::PathBuf, sync::Arc};

use anyhow::Context;
use axum::extract::multipart::Field;
use lantern_shared::api::Attachment;
use tokio::sync::Semaphore;

use crate::{
    auth::Caller,
    db::{self, AttachmentRecord, ConversationRecord, Db},
    error::ApiError,
    settings::Settings,
};

pub use store::Store;

/// Images decoded at once, per instance: each may take a few hundred MB
/// while it is decoded, so strangers cannot make memory grow past this.
const IMAGES_AT_ONCE: usize = 2;
/// The most attachments one message carries.
pub const MAX_PER_MESSAGE: usize = 10;

/// The attachment store and what uploads share.
#[derive(Clone, Debug)]
pub struct Attachments {
    pub store: Store,
    /// Where uploads are received before they go to the store.
    staging: PathBuf,
    images: Arc<Semaphore>,
    /// When this instance last looked for stray files ([`sweep`]).
    strays_checked: Arc<std::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>>,
}

/// Why an upload was refused; each has its label in
/// `lantern_uploads_refused_total{reason}`.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("attachments are switched off for this site")]
    Disabled,
    #[error("the file is larger than this site's limit of {0} bytes")]
    TooLarge(u64),
    #[error("the file is empty")]
    Empty,
    #[error("files of this type ({0}) are not accepted; send PNG, JPEG, GIF or WebP images, PDF or plain text")]
    Type(String),
    #[error("{0}")]
    Image(String),
    #[error("the site's attachment storage is full")]
    Quota,
    #[error("too many uploads")]
    Rate(&'static str, crate::ratelimit::Decision),
    #[error("{0}")]
    BadBody(String),
    #[error("the attachment store is unavailable; retry shortly")]
    Store(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Refusal {
    /// The metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            Refusal::Disabled => "disabled",
            Refusal::TooLarge(_) => "too_large",
            Refusal::Empty => "empty",
            Refusal::Type(_) => "type",
            Refusal::Image(_) => "image",
            Refusal::Quota => "quota",
            Refusal::Rate(scope, _) => scope,
            Refusal::BadBody(_) => "bad_request",
            Refusal::Store(_) => "store",
            Refusal::Internal(_) => "internal",
        }
    }

    pub const REASONS: [&'static str; 11] = [
        "disabled",
        "too_large",
        "empty",
        "type",
        "image",
        "quota",
        "rate_visitor",
        "rate_site",
        "bad_request",
        "store",
        "internal",
    ];
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> ApiError {
        let message = r.to_string();
        match r {
            Refusal::Disabled => ApiError::Forbidden(message),
            Refusal::TooLarge(_) | Refusal::Quota => ApiError::PayloadTooLarge(message),
            Refusal::Type(_) => ApiError::UnsupportedMediaType(message),
            Refusal::Empty | Refusal::Image(_) | Refusal::BadBody(_) => ApiError::field("file", message),
            Refusal::Rate(_, decision) => ApiError::RateLimited(decision),
            Refusal::Store(cause) => {
                tracing::warn!(error = ?cause, "attachment store failed");
                ApiError::Unavailable(message)
            }
            Refusal::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

impl Attachments {
    /// Opens the configured store and the staging folder.
    pub fn open(settings: &Settings) -> anyhow::Result<Attachments> {
        let store = Store::open(settings)?;
        let staging = std::env::temp_dir().join("lantern-uploads");
        std::fs::create_dir_all(&staging)
            .with_context(|| format!("cannot create the staging folder {}", staging.display()))?;
        Ok(Attachments {
            store,
            staging,
            images: Arc::new(Semaphore::new(IMAGES_AT_ONCE)),
            strays_checked: Arc::default(),
        })
    }

    /// Receives `field` as an upload to `conversation` and stores it: at
    /// most `max_bytes` sent, at most `room` bytes stored (the site's
    /// quota left). Nothing is recorded unless every file is stored.
    pub async fn accept(
        &self,
        db: &Db,
        conversation: &ConversationRecord,
        by_staff: bool,
        field: Field<'_>,
        max_bytes: u64,
        room: u64,
    ) -> Result<Attachment, Refusal> {
        let received = receive::receive(field, &self.staging, max_bytes).await?;
        let name = name::display_name(received.given_name.as_deref());
        let id = db::new_id();
        let key = format!("{}/{}", conversation.site_id, id);
        let mut record = AttachmentRecord {
            id,
            site_id: conversation.site_id.clone(),
            conversation_id: Some(conversation.id.clone()),
            message_id: None,
            by_staff,
            name,
            media_type: received.kind.media_type().to_string(),
            size: received.size as i64,
            width: None,
            height: None,
            object_key: key.clone(),
            thumbnail_key: None,
            thumbnail_size: None,
            created_at: chrono::Utc::now(),
        };
        // The files that go to the store: the upload itself, or an image's
        // new encoding and its thumbnail.
        let mut files = vec![(key.clone(), received.file)];
        if received.kind.is_image() {
            let out = receive::Staged::new(&self.staging);
            let thumb = receive::Staged::new(&self.staging);
            let _permit = self.images.acquire().await.map_err(|e| Refusal::Internal(e.into()))?;
            let (source, kind) = (files[0].1.0.clone(), received.kind);
            let (o, t) = (out.0.clone(), thumb.0.clone());
            let done = tokio::task::spawn_blocking(move || picture::reencode(kind, &source, &o, &t))
                .await
                .map_err(|e| Refusal::Internal(e.into()))?;
            let image = match done {
                Ok(image) => image,
                Err(picture::Refused::Io(e)) => return Err(Refusal::Internal(e.into())),
                Err(refused) => return Err(Refusal::Image(refused.to_string())),
            };
            record.media_type = image.kind.media_type().to_string();
            record.size = image.size as i64;
            record.width = Some(image.width as i32);
            record.height = Some(image.height as i32);
            record.thumbnail_key = Some(format!("{key}.thumb"));
            record.thumbnail_size = Some(image.thumbnail_size as i64);
            files = vec![(key.clone(), out), (format!("{key}.thumb"), thumb)];
        }
        let total = record.size as u64 + record.thumbnail_size.unwrap_or(0) as u64;
        if total > room {
            return Err(Refusal::Quota);
        }
        let mut stored = Vec::new();
        for (key, file) in &files {
            if let Err(e) = self.store.put_file(key, &file.0).await {
                self.forget(&stored).await;
                return Err(Refusal::Store(e));
            }
            stored.push(key.clone());
        }
        if let Err(e) = db.insert_attachment(&record).await {
            self.forget(&stored).await;
            return Err(match e {
                db::Error::NotFound => Refusal::BadBody("the conversation was deleted".into()),
                other => Refusal::Internal(other.into()),
            });
        }
        crate::stats::attachment_stored(total);
        Ok(record.to_api())
    }

    /// Deletes files stored for an upload that is not recorded after all.
    async fn forget(&self, keys: &[String]) {
        for key in keys {
            if let Err(e) = self.store.delete(key).await {
                tracing::warn!(error = %e, key, "an unrecorded attachment file could not be deleted");
            }
        }
    }
}

/// The uploads `ids` that `caller` may send with a message to
/// `conversation_id`: uploads of that conversation not sent yet (a visitor:
/// their own side's), at most [`MAX_PER_MESSAGE`], no repeats. A repeated
/// post (same `client_message_id`) may name those it sent before.
pub async fn sendable(
    db: &Db,
    caller: &Caller,
    conversation_id: &str,
    ids: &[String],
    client_message_id: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let field = "attachment_ids";
    if ids.len() > MAX_PER_MESSAGE {
        return Err(ApiError::field(field, format!("at most {MAX_PER_MESSAGE} per message")));
    }
    for (i, id) in ids.iter().enumerate() {
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(ApiError::field(field, format!("{id:?} is not an attachment id")));
        }
        if ids[..i].contains(id) {
            return Err(ApiError::field(field, format!("{id} is named twice")));
        }
    }
    let found = db.attachments_in(conversation_id, ids).await?;
    let earlier = match client_message_id {
        Some(cid) => db.message_by_client_id(conversation_id, cid).await?.map(|m| m.id),
        None => None,
    };
    for id in ids {
        let Some(a) = found.iter().find(|a| &a.id == id) else {
            return Err(ApiError::field(field, format!("{id} is not an upload of this conversation")));
        };
        if a.by_staff && !caller.is_staff() {
            return Err(ApiError::field(field, format!("{id} is not an upload of this conversation")));
        }
        if let Some(sent_with) = &a.message_id
            && earlier.as_ref() != Some(sent_with)
        {
            return Err(ApiError::field(field, format!("{id} was already sent")));
        }
    }
    Ok(ids.to_vec())
}
