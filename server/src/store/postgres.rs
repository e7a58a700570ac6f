//! The postgres implementation of [`super::Store`] (SQL shared in [`super::sql`]).

use chrono::{DateTime, Utc};
use lantern_shared::api::{ConversationStatus, Feedback, Message, Rating};
use sqlx::{PgPool, types::Json};

use super::{
    Appended, ConversationRecord, NewConversation, NewMessage, Site, StoreError, StoreResult,
    StoredEvent, Visitor,
    rows::{
        CONVERSATION_COLUMNS, ConversationRow, EventRow, MESSAGE_COLUMNS, MessageRow, SITE_COLUMNS,
        SiteRow, rfc3339,
    },
    sql::{impl_store, new_id, unique_to_conflict},
};

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    pub fn new(pool: PgPool) -> Self {
        PostgresStore { pool }
    }
}

impl_store!(PostgresStore, sqlx::Postgres, "postgres");
