//! A person's data under control: conversation housekeeping, a visitor's
//! export, erasure and its log, and a site's retention rule.

use serde::{Deserialize, Serialize};

use crate::api::Conversation;

/// `POST …/pin`: pins (default) or, with `false`, unpins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Pin {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
}

/// `POST …/archive`: archives (default) or, with `false`, brings back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Archive {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
}

/// Everything Lantern holds about one visitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct VisitorExport {
    pub exported_at: String,
    pub visitor: ExportedVisitor,
    /// Every conversation, archived ones too, each with all its messages
    /// (members' private notes included: they are held about the person).
    pub conversations: Vec<Conversation>,
    pub feedback: Vec<ExportedFeedback>,
    /// Facts kept about the visitor (members' notes included).
    pub memories: Vec<crate::visitors::Memory>,
    /// Files the visitor or members shared (none until attachments exist).
    pub attachments: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ExportedVisitor {
    pub id: String,
    pub site_id: String,
    /// The site's own id for the signed-in user, when verified.
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Left in the widget for a reply.
    pub contact_email: Option<String>,
    #[cfg_attr(feature = "server", schema(value_type = Object))]
    pub attributes: serde_json::Value,
    /// The browser's User-Agent, as it was sent.
    pub user_agent: Option<String>,
    pub time_zone: Option<String>,
    pub created_at: String,
    pub last_seen_at: Option<String>,
    pub anonymised_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ExportedFeedback {
    pub message_id: String,
    pub rating: String,
    pub comment: Option<String>,
    pub created_at: String,
}

/// One erasure, as the owner's audit sees it: who asked, when, how much
/// went; nothing about the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Erasure {
    pub id: String,
    /// A member's user id, `admin-key`, or `cli`.
    pub actor: String,
    pub conversations: i64,
    pub messages: i64,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ErasureList {
    pub items: Vec<Erasure>,
}

/// How long a site keeps what it no longer needs; `null` keeps it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RetentionRule {
    /// Closed conversations (not pinned) are deleted this many days after
    /// their last change (1–3650).
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(minimum = 1, maximum = 3650))]
    pub closed_days: Option<u32>,
    /// Visitors with no activity for this many days are anonymised: their
    /// verified user id, profile, contact email, memories, tokens, pages and
    /// metadata go (1–3650).
    #[serde(default)]
    #[cfg_attr(feature = "server", schema(minimum = 1, maximum = 3650))]
    pub inactive_days: Option<u32>,
}
