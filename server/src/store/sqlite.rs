//! The sqlite implementation of [`super::Store`] (SQL shared in [`super::sql`]).

use chrono::{DateTime, Utc};
use lantern_shared::api::{ConversationStatus, Feedback, Message, Rating};
use sqlx::{SqlitePool, types::Json};

use super::{
    Appended, ConversationRecord, NewConversation, NewMessage, Site, StoreError, StoreResult,
    StoredEvent, Visitor,
    rows::{
        CONVERSATION_COLUMNS, ConversationRow, EventRow, MESSAGE_COLUMNS, MessageRow, SITE_COLUMNS,
        SiteRow, rfc3339,
    },
    sql::{impl_store, new_id, unique_to_conflict},
};

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub fn new(pool: SqlitePool) -> Self {
        SqliteStore { pool }
    }
}

impl_store!(SqliteStore, sqlx::Sqlite, "sqlite");
