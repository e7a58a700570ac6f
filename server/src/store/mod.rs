//! Storage behind one trait, with two implementations: embedded SQLite
//! (default) and Postgres, chosen from the URL scheme. Both share their SQL
//! (see [`sql`]); each transaction stays inside one method.

mod postgres;
mod rows;
mod sql;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lantern_shared::api::{ConversationStatus, Feedback, Message, Rating, Role};
use serde_json::Value;

pub use postgres::PostgresStore;
pub use rows::rfc3339 as rows_rfc3339;
pub use sql::new_id;
pub use sqlite::SqliteStore;

/// Failures of the storage layer. Database causes stay inside; callers see
/// what they can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A site as the server sees it (the public part is `SiteConfig`).
#[derive(Clone, PartialEq)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub bot_name: String,
    pub welcome_message: String,
    pub languages: Vec<String>,
    pub theme_color: String,
    pub allowed_origins: Vec<String>,
    pub identity_secret: Option<String>,
    pub identity_required: bool,
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("allowed_origins", &self.allowed_origins)
            .field(
                "identity_secret",
                &self.identity_secret.as_ref().map(|_| "***"),
            )
            .field("identity_required", &self.identity_required)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Visitor {
    pub id: String,
    pub site_id: String,
    pub external_user_id: Option<String>,
}

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

/// A conversation to create.
#[derive(Debug, Clone)]
pub struct NewConversation {
    pub site_id: String,
    pub visitor_id: Option<String>,
    pub language: String,
    pub metadata: Value,
}

/// A message to append; the store assigns id, seq and time.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub role: Role,
    pub content: String,
    pub html: String,
    pub citations: Vec<lantern_shared::api::Citation>,
    pub incomplete: bool,
    pub client_message_id: Option<String>,
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
    /// (same `client_message_id`) and nothing was written.
    pub event: Option<StoredEvent>,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> &'static str;
    /// Pool figures: (size, idle).
    fn pool_stats(&self) -> (u32, u32);
    async fn ping(&self) -> StoreResult<()>;

    async fn create_site(&self, site: &Site, admin_key_hash: &str) -> StoreResult<()>;
    async fn site(&self, id: &str) -> StoreResult<Option<Site>>;
    async fn site_count(&self) -> StoreResult<i64>;
    /// Replaces a site's editable settings (everything but id and secrets).
    async fn update_site(&self, site: &Site) -> StoreResult<()>;
    /// Revokes every admin key of the site and stores the new one's hash.
    async fn rotate_admin_key(&self, site_id: &str, new_key_hash: &str) -> StoreResult<()>;
    async fn set_identity_secret(&self, site_id: &str, secret: &str) -> StoreResult<()>;
    /// True when some site lists `origin` (for CORS preflights).
    async fn origin_known(&self, origin: &str) -> StoreResult<bool>;
    /// The site an unrevoked admin key (by its hash) belongs to.
    async fn site_by_admin_key(&self, key_hash: &str) -> StoreResult<Option<Site>>;

    /// Creates a visitor (or finds the one with this verified user id) and
    /// stores a token for it.
    async fn issue_visitor(
        &self,
        site_id: &str,
        external_user_id: Option<&str>,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<Visitor>;
    /// Stores another token for an existing visitor (refresh).
    async fn add_visitor_token(
        &self,
        visitor_id: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The visitor of an unexpired token.
    async fn visitor_by_token(&self, token_hash: &str) -> StoreResult<Option<Visitor>>;

    async fn create_conversation(&self, new: &NewConversation) -> StoreResult<ConversationRecord>;
    async fn conversation(&self, id: &str) -> StoreResult<Option<ConversationRecord>>;
    /// Newest first; `before` is the id of the last conversation already seen.
    async fn list_conversations(
        &self,
        site_id: &str,
        visitor_id: Option<&str>,
        status: Option<ConversationStatus>,
        before: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<ConversationRecord>>;
    /// Appends a message with the next seq, atomically with its event.
    /// Fails with `Conflict` on a closed conversation.
    async fn append_message(
        &self,
        conversation_id: &str,
        new: &NewMessage,
    ) -> StoreResult<Appended>;
    async fn messages(
        &self,
        conversation_id: &str,
        after_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<Message>>;
    async fn message(&self, id: &str) -> StoreResult<Option<Message>>;
    /// Changes the status; the event is `None` when it was already so.
    async fn set_status(
        &self,
        conversation_id: &str,
        status: ConversationStatus,
    ) -> StoreResult<(ConversationRecord, Option<StoredEvent>)>;
    async fn events_after(
        &self,
        conversation_id: &str,
        after_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<StoredEvent>>;
    async fn put_feedback(
        &self,
        message_id: &str,
        rating: Rating,
        comment: Option<&str>,
    ) -> StoreResult<Feedback>;
}

/// Opens the store for `url`, runs its migrations, and returns it.
pub async fn open(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    Ok(open_all(url).await?.0)
}

/// The conversation store and the knowledge store, sharing one pool.
pub async fn open_all(
    url: &str,
) -> anyhow::Result<(Arc<dyn Store>, Arc<dyn crate::knowledge::KnowledgeStore>)> {
    let pool = crate::db::Pool::connect(url).await?;
    pool.migrate().await?;
    let knowledge = crate::knowledge::open(&pool);
    let store: Arc<dyn Store> = match pool {
        crate::db::Pool::Sqlite(p) => Arc::new(SqliteStore::new(p)),
        crate::db::Pool::Postgres(p) => Arc::new(PostgresStore::new(p)),
    };
    Ok((store, knowledge))
}
