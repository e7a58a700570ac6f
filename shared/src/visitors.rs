//! Visitors as members see them: the profile beside the transcript and
//! members' notes on the visitor (`/api/v1/visitors…`). The profile is the
//! start of issue 21's visitor profiles; notes are its memories with
//! source `member`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Most keys in a visitor's `attributes`.
pub const MAX_ATTRIBUTES: usize = 20;
/// Longest attribute key, and longest string value.
pub const MAX_ATTRIBUTE_KEY: usize = 40;
pub const MAX_ATTRIBUTE_VALUE: usize = 200;
/// Longest name, and email, of a visitor.
pub const MAX_NAME: usize = 100;
pub const MAX_EMAIL: usize = 254;
/// Longest member note on a visitor.
pub const MAX_MEMORY: usize = 2000;

/// `GET /api/v1/visitors/{visitor_id}`, and the items of `GET /api/v1/visitors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct VisitorProfile {
    pub id: String,
    /// From a verified identify, or set by a member.
    pub name: Option<String>,
    /// From a verified identify, or set by a member.
    pub email: Option<String>,
    /// Verified custom attributes: string, number or boolean values.
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub attributes: Value,
    pub created_at: String,
    /// The last time the visitor got a token or started a conversation.
    pub last_seen_at: Option<String>,
    /// The site's own id for the user (verified identify only).
    #[serde(default)]
    pub user_id: Option<String>,
    /// The address the visitor left in the widget when nobody was online.
    #[serde(default)]
    pub contact_email: Option<String>,
    /// Derived from the User-Agent the visitor's browser sent, e.g.
    /// `Firefox 128`, `macOS`.
    #[serde(default)]
    pub browser: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
    /// The visitor's IANA time zone, as their browser reported it.
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// `PATCH /api/v1/visitors/{visitor_id}`: a member corrects the name or
/// email (`""` clears it); only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateVisitor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(max_length = 100))]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "server", schema(max_length = 254))]
    pub email: Option<String>,
}

/// A memory: a fact kept about the visitor. Members' notes have source
/// `member` and their author.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Memory {
    pub id: String,
    pub content: String,
    /// `visitor`, `member` or `assistant`.
    pub source: String,
    #[serde(default)]
    pub author: Option<crate::api::Author>,
    pub created_at: String,
}

/// `POST /api/v1/visitors/{visitor_id}/memories`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMemory {
    /// 1 to 2,000 characters.
    #[cfg_attr(feature = "server", schema(min_length = 1, max_length = 2000))]
    pub content: String,
}

/// `GET /api/v1/visitors/{visitor_id}/memories`, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MemoryList {
    pub items: Vec<Memory>,
}
