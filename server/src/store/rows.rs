//! Row shapes read by both backends, and their conversion to API types.

use chrono::{DateTime, SecondsFormat, Utc};
use lantern_shared::api::{Citation, ConversationStatus, Message, Role};
use sqlx::types::Json;

use super::{ConversationRecord, Site};

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[derive(sqlx::FromRow)]
pub struct SiteRow {
    pub id: String,
    pub name: String,
    pub bot_name: String,
    pub welcome_message: String,
    pub languages: Json<Vec<String>>,
    pub theme_color: String,
    pub allowed_origins: Json<Vec<String>>,
    pub identity_secret: Option<String>,
    pub identity_required: bool,
}

impl From<SiteRow> for Site {
    fn from(r: SiteRow) -> Site {
        Site {
            id: r.id,
            name: r.name,
            bot_name: r.bot_name,
            welcome_message: r.welcome_message,
            languages: r.languages.0,
            theme_color: r.theme_color,
            allowed_origins: r.allowed_origins.0,
            identity_secret: r.identity_secret,
            identity_required: r.identity_required,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct ConversationRow {
    pub id: String,
    pub site_id: String,
    pub visitor_id: Option<String>,
    pub status: String,
    pub language: String,
    pub metadata: Json<serde_json::Value>,
    pub last_event_id: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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

#[derive(sqlx::FromRow)]
pub struct MessageRow {
    pub id: String,
    pub conversation_id: String,
    pub seq: i64,
    pub role: String,
    pub content: String,
    pub html: String,
    pub citations: Json<Vec<Citation>>,
    pub incomplete: bool,
    pub client_message_id: Option<String>,
    pub created_at: DateTime<Utc>,
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
            created_at: rfc3339(r.created_at),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct EventRow {
    pub conversation_id: String,
    pub id: i64,
    pub kind: String,
    pub data: Json<serde_json::Value>,
}

pub const SITE_COLUMNS: &str = "id, name, bot_name, welcome_message, languages, theme_color, \
     allowed_origins, identity_secret, identity_required";
pub const CONVERSATION_COLUMNS: &str =
    "id, site_id, visitor_id, status, language, metadata, last_event_id, created_at, updated_at";
pub const MESSAGE_COLUMNS: &str = "id, conversation_id, seq, role, content, html, citations, \
     incomplete, client_message_id, created_at";
