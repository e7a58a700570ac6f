//! Request and response bodies of REST API v1 (`/api/v1/…`), as in api.md.
//!
//! Request structs reject unknown fields: a misspelt field is an integrator's
//! bug, and saying so at once beats silently ignoring it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Public, cacheable configuration the widget boots from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SiteConfig {
    pub site_id: String,
    pub name: String,
    pub bot_name: String,
    pub welcome_message: String,
    /// BCP 47 tags the site answers in; the first is the default.
    pub languages: Vec<String>,
    pub theme: Theme,
    /// Origins whose pages may embed the widget (`*` for any). Not secret —
    /// every embedding page shows its own origin — and published so the edge
    /// worker can refuse other origins before they reach the origin server.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// True when the owner lets agents see the visitor's draft as they
    /// type: the widget then sends it with its typing calls.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub typing_preview: bool,
    /// False when the owner turned visitors' files off: the widget then
    /// offers no attach button and ignores pasted or dropped files.
    /// Missing (a config cached by an older server) means on, the default.
    #[serde(default = "files_default")]
    pub attachments_enabled: bool,
}

fn files_default() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Theme {
    /// CSS colour of the launcher and header, e.g. `#2563eb`.
    pub color: String,
}

/// `POST /api/v1/sites/{site_id}/visitors`
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateVisitor {
    /// The site's own id for a signed-in user (identity verification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// `HMAC-SHA256(identity_secret, user_id)`, hex; or, to make it expire,
    /// `UNIX_SECONDS.` followed by `HMAC-SHA256(identity_secret,
    /// "user_id.UNIX_SECONDS")` in hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_hash: Option<String>,
    /// The user's name (≤ 100 characters); kept only when `user_hash` verifies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(max_length = 100))]
    pub name: Option<String>,
    /// The user's email (≤ 254 characters); kept only when `user_hash` verifies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(max_length = 254))]
    pub email: Option<String>,
    /// Custom attributes (≤ 20 keys of `[A-Za-z0-9_.-]{1,40}`; values:
    /// strings ≤ 200 characters, numbers, booleans); kept only when
    /// `user_hash` verifies, replacing the earlier ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(value_type = Option<Object>))]
    pub attributes: Option<Value>,
}
crate::redacted_debug!(CreateVisitor { user_id, name, email, attributes } hides { user_hash });

/// A visitor and the bearer token the widget uses from now on.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct VisitorToken {
    pub visitor_id: String,
    pub token: String,
    /// RFC 3339; a new token must be requested after this.
    pub expires_at: String,
}
crate::redacted_debug!(VisitorToken { visitor_id, expires_at } hides { token });

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    Open,
    Handoff,
    Closed,
}

impl ConversationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Open => "open",
            ConversationStatus::Handoff => "handoff",
            ConversationStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(ConversationStatus::Open),
            "handoff" => Some(ConversationStatus::Handoff),
            "closed" => Some(ConversationStatus::Closed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Assistant,
    Agent,
    System,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Agent => "agent",
            Role::System => "system",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Role::User),
            "assistant" => Some(Role::Assistant),
            "agent" => Some(Role::Agent),
            "system" => Some(Role::System),
            _ => None,
        }
    }
}

/// `POST /api/v1/conversations`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateConversation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "server",
        schema(pattern = "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$", max_length = 35)
    )]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_message: Option<String>,
    /// A JSON object of the integrator's own (≤ 4 KiB serialised).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(value_type = Option<Object>))]
    pub metadata: Option<Value>,
    /// The page the visitor is on (`http(s)://…`, ≤ 2,048 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(max_length = 2048))]
    pub page_url: Option<String>,
    /// Where the visitor came from (`http(s)://…`, ≤ 2,048 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(max_length = 2048))]
    pub referrer: Option<String>,
    /// The visitor's IANA time zone, e.g. `Europe/Paris` (≤ 64 characters
    /// of `A-Za-z0-9/_+-`): the inbox shows their local time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "server",
        schema(max_length = 64, pattern = "^[A-Za-z0-9/_+-]{1,64}$")
    )]
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Conversation {
    pub id: String,
    pub site_id: String,
    /// The visitor who started it (none when a member or an admin key did):
    /// the inbox reads the visitor's profile and earlier conversations by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor_id: Option<String>,
    pub status: ConversationStatus,
    pub language: String,
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub metadata: Value,
    pub created_at: String,
    pub updated_at: String,
    /// The member who has the conversation, if any.
    #[serde(default)]
    pub assignee_id: Option<String>,
    /// Since when the visitor waits for an answer (RFC 3339), if they do.
    #[serde(default)]
    pub waiting_since: Option<String>,
    /// Hidden from the inbox until then; a visitor's message wakes it.
    #[serde(default)]
    pub snoozed_until: Option<String>,
    /// Visitor messages the calling member has not read (0 for keys and visitors).
    #[serde(default)]
    pub unread: i64,
    /// The page the visitor started on, and where they came from, as the
    /// widget sent them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// Kept at hand by its members or visitor.
    #[serde(default)]
    pub pinned: bool,
    /// When it was archived: hidden from the default lists, still found by
    /// a search.
    #[serde(default)]
    pub archived_at: Option<String>,
    /// Present on create (the welcome and first exchange) and on get.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<Message>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Citation {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    /// 1, 2, 3… per conversation, without gaps.
    pub seq: i64,
    pub role: Role,
    /// Markdown as written.
    pub content: String,
    /// `content` rendered and sanitised: safe to insert as HTML.
    pub html: String,
    #[serde(default)]
    pub citations: Vec<Citation>,
    /// True when an answer was cut short (provider failure mid-stream).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_message_id: Option<String>,
    /// A private note: members only, never shown to the visitor.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
    /// The member who wrote an `agent` message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Author>,
    /// The visitor's verdict on a bot answer (members and admin keys only,
    /// in message lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    /// Files sent with the message (absent when none, so older clients
    /// see the same objects as before).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    pub created_at: String,
}

/// A file shared in a conversation (`POST …/conversations/{id}/attachments`
/// answers one; messages carry those sent with them). Its bytes are served
/// only through `url`, to the conversation's visitor, the site's members
/// and its admin keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Attachment {
    pub id: String,
    /// The original file name, cleaned for display only (no path, no
    /// control or direction-override characters, at most 120 characters).
    pub name: String,
    /// The media type the server decided from the content: `image/png`,
    /// `image/jpeg`, `application/pdf` or `text/plain`.
    #[serde(rename = "type")]
    pub media_type: String,
    /// Bytes, as stored (images after re-encoding).
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// `/api/v1/attachments/{id}`, with the caller's credentials.
    pub url: String,
    /// Images only: a small preview, same authorisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
}

/// A member as the author of a message: the visitor sees the name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Author {
    pub id: String,
    pub name: String,
}

/// `POST /api/v1/conversations/{id}/messages`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    pub content: String,
    /// The client's id for this message: posting it again returns the stored
    /// message instead of storing it twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "server",
        schema(pattern = "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$", max_length = 35)
    )]
    pub language: Option<String>,
    /// `user` (default for keys) or `agent` (admin keys; always for members).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// A private note (members and admin keys only): never sent to the visitor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal: Option<bool>,
    /// Uploads of this conversation not yet sent (at most 10); `content`
    /// may then be empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "server", schema(max_items = 10))]
    pub attachment_ids: Vec<String>,
}

/// The stored message and the assistant's reply (none when a human has the
/// conversation, or the poster is an agent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PostMessageResponse {
    pub message: Message,
    pub reply: Option<Message>,
    /// True when an agent's reply reopened a closed conversation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reopened: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Up,
    Down,
}

impl Rating {
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::Up => "up",
            Rating::Down => "down",
        }
    }
}

/// `POST /api/v1/messages/{id}/feedback`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PostFeedback {
    pub rating: Rating,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Feedback {
    pub message_id: String,
    pub rating: Rating,
    pub comment: Option<String>,
    pub created_at: String,
}

/// A page of a list; pass `next_cursor` back as `cursor` (or `after` for
/// messages) for the next page. `null` on the last page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

fn default_position() -> String {
    "right".into()
}

/// A site's full settings, as its admin sees them (`GET/PATCH /api/v1/sites/{site_id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SiteSettings {
    pub site_id: String,
    pub name: String,
    pub bot_name: String,
    /// The welcome for languages without one of their own.
    pub welcome_message: String,
    /// Welcome messages by language tag, e.g. `{"ar": "مرحبًا…"}`.
    #[serde(default)]
    pub welcome_messages: std::collections::BTreeMap<String, String>,
    pub languages: Vec<String>,
    pub theme: Theme,
    /// Where the bubble sits on the page: `right` or `left` (the embed tag's
    /// `data-position`, as the install page writes it).
    #[serde(default = "default_position")]
    #[cfg_attr(feature = "server", schema(pattern = "^(right|left)$"))]
    pub position: String,
    pub allowed_origins: Vec<String>,
    /// When true, visitors must present a valid `user_hash`.
    pub identity_required: bool,
    /// Whether an identity secret exists (the secret itself is never shown again).
    pub identity_secret_set: bool,
    /// The answer confidence (0–1: the share of the question's words found
    /// in the best passage) below which the bot says it does not know and
    /// offers a person. The server's default unless set.
    #[serde(default)]
    pub answer_threshold: f64,
    /// When true, agents see the visitor's draft (≤ 200 characters) under
    /// the typing indicator; when false the server drops any draft sent.
    #[serde(default)]
    pub typing_preview: bool,
    /// Whether visitors and members may share files in conversations.
    #[serde(default = "yes")]
    pub attachments_enabled: bool,
    /// The largest file accepted, in bytes (default 10 MiB).
    #[serde(default = "default_attachment_bytes")]
    pub attachments_max_bytes: u64,
}

fn yes() -> bool {
    true
}

/// A site's largest attachment unless its owner says otherwise: 10 MiB.
pub const DEFAULT_ATTACHMENT_BYTES: u64 = 10 * 1024 * 1024;

fn default_attachment_bytes() -> u64 {
    DEFAULT_ATTACHMENT_BYTES
}

/// `PATCH /api/v1/sites/{site_id}`: only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateSite {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_message: Option<String>,
    /// Replaces the per-language welcomes; an empty text removes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_messages: Option<std::collections::BTreeMap<String, String>>,
    /// `right` or `left`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(pattern = "^(right|left)$"))]
    pub position: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme_color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_required: Option<bool>,
    /// 0–1; see `SiteSettings::answer_threshold`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(minimum = 0.0, maximum = 1.0))]
    pub answer_threshold: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typing_preview: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments_enabled: Option<bool>,
    /// 1 byte to the server's cap (`LANTERN_ATTACHMENTS_MAX_BYTES`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(minimum = 1))]
    pub attachments_max_bytes: Option<u64>,
}

/// A newly issued secret, shown once.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct IssuedSecret {
    pub site_id: String,
    /// `admin_key` or `identity_secret`.
    pub kind: String,
    pub secret: String,
}
crate::redacted_debug!(IssuedSecret { site_id, kind } hides { secret });

/// `POST /api/v1/sites/{site_id}/webhooks`: an endpoint to register.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// `https://…`; plain `http://` only for loopback receivers.
    pub url: String,
    /// Any of `conversation.created`, `message.created`, `conversation.handoff`,
    /// `member.invited`.
    pub events: Vec<String>,
}

/// A registered webhook endpoint. `secret` is present only in the response
/// that created it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: String,
    pub url: String,
    pub events: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_at: String,
}
crate::redacted_debug!(Webhook { id, url, events, created_at } hides { secret });

/// `GET /api/v1/sites/{site_id}/webhooks`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct WebhookList {
    pub items: Vec<Webhook>,
}

/// One queued event for one endpoint, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    pub id: String,
    /// The event's id (`Lantern-Webhook-Id`), shared by its deliveries.
    pub event_id: String,
    pub event: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    /// When the next attempt is due (pending deliveries only).
    pub next_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
    pub created_at: String,
}

/// `GET /api/v1/sites/{site_id}/webhooks/{id}/deliveries`, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct WebhookDeliveryList {
    pub items: Vec<WebhookDelivery>,
}
