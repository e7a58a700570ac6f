//! The operator inbox: assigning, snoozing, typing, read marks, canned
//! responses, and the events of the members' site-wide stream
//! (`/api/v1/conversations/{id}/assign|release|snooze|typing|read`,
//! `/api/v1/sites/{site_id}/canned-responses`, `/api/v1/sites/{site_id}/events`).

use serde::{Deserialize, Serialize};

/// `POST …/assign`: a member of the site, or `null` to unassign.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Assign {
    pub user_id: Option<String>,
}

/// `POST …/snooze`: hide the conversation until `until` (RFC 3339, in the
/// future, at most a year ahead); `null` wakes it now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Snooze {
    pub until: Option<String>,
}

/// `POST …/typing`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetTyping {
    pub typing: bool,
    /// The visitor's unsent text (≤ 200 characters; longer is cut), shown
    /// to agents only when the site's `typing_preview` is on; otherwise
    /// dropped unread. Ignored from members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(max_length = 200))]
    pub draft: Option<String>,
}

/// Longest draft shown to agents, in characters.
pub const MAX_DRAFT: usize = 200;

/// `POST …/read`: the member has read up to `seq` (default: everything).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
}

/// Data of a `typing` event: who is typing in which conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Typing {
    pub conversation_id: String,
    /// `visitor` or `agent`.
    pub from: String,
    pub typing: bool,
    /// The agent's name (agents only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The visitor's draft (members' stream only, when the site's
    /// `typing_preview` is on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<String>,
}

/// Data of a `presence` event, and of `GET …/presence`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Presence {
    /// Members with an inbox stream open, by user id.
    pub online: Vec<String>,
}

/// `GET /api/v1/sites/{site_id}/presence`: whether a person can answer now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct TeamPresence {
    /// True when at least one member has the inbox open.
    pub agents_online: bool,
}

/// `POST /api/v1/conversations/{id}/contact`: where to reply when nobody
/// was online.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LeaveContact {
    /// An email address (at most 254 characters).
    #[cfg_attr(feature = "server", schema(max_length = 254))]
    pub email: String,
}

/// A canned response: typing `/shortcut` in the composer inserts `content`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CannedResponse {
    pub id: String,
    pub shortcut: String,
    /// Markdown.
    pub content: String,
    pub created_at: String,
    pub updated_at: String,
}

/// `POST …/canned-responses`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCannedResponse {
    /// 1–32 of `a-z`, `0-9`, `-`, `_`; unique per site.
    #[cfg_attr(feature = "server", schema(pattern = "^[a-z0-9_-]{1,32}$"))]
    pub shortcut: String,
    /// Markdown, at most 4,000 characters.
    #[cfg_attr(feature = "server", schema(max_length = 4000))]
    pub content: String,
}

/// `PATCH …/canned-responses/{id}`: only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateCannedResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(pattern = "^[a-z0-9_-]{1,32}$"))]
    pub shortcut: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(max_length = 4000))]
    pub content: Option<String>,
}

/// `GET …/canned-responses`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CannedResponseList {
    pub items: Vec<CannedResponse>,
}

/// Events of the members' site stream.
pub mod kind {
    pub const CONVERSATION_CREATED: &str = "conversation.created";
    /// Status, assignee, snooze or waiting time changed; data is the conversation.
    pub const CONVERSATION_UPDATED: &str = "conversation.updated";
    pub const MESSAGE_CREATED: &str = "message.created";
    pub const TYPING: &str = "typing";
    pub const PRESENCE: &str = "presence";
}
