//! People: sign-in, the signed-in user and their memberships, team members,
//! invites and admin keys (`/api/v1/session`, `/me`, `…/members`,
//! `…/invites`, `…/keys`).

use serde::{Deserialize, Serialize};

/// A member's role on one site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// Everything for the site: settings, keys, team, knowledge, inbox.
    Owner,
    /// The inbox only: read and answer conversations.
    Agent,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberRole::Owner => "owner",
            MemberRole::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(MemberRole::Owner),
            "agent" => Some(MemberRole::Agent),
            _ => None,
        }
    }
}

/// `POST /api/v1/session`: `{email, password}` or `{link_token}`.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// A one-time sign-in link's token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_token: Option<String>,
}
crate::redacted_debug!(SignIn { email } hides { password, link_token });

/// A person, as the API shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct UserInfo {
    pub id: String,
    pub email: String,
    pub name: String,
}

/// One site a user belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MembershipInfo {
    pub site_id: String,
    pub role: MemberRole,
    /// The site's display name (for a site switcher).
    #[serde(default)]
    pub site_name: String,
}

/// The signed-in user (`POST /session`, `GET /me`, `POST /invites/accept`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub user: UserInfo,
    pub memberships: Vec<MembershipInfo>,
    /// False while the user has no password (signed in by a one-time link):
    /// the console then asks for one.
    #[serde(default)]
    pub password_set: bool,
}

/// `PATCH /api/v1/me`: only the fields given change. A new password needs
/// `current_password` once a password is set.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_password: Option<String>,
}
crate::redacted_debug!(UpdateMe { name, email } hides { password, current_password });

/// A member of a site (`GET /api/v1/sites/{site_id}/members`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: MemberRole,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct MemberList {
    pub items: Vec<Member>,
}

/// `PATCH /api/v1/sites/{site_id}/members/{user_id}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    pub role: MemberRole,
}

/// `POST /api/v1/sites/{site_id}/invites`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateInvite {
    pub email: String,
    pub role: MemberRole,
}

/// A single-use invite link (shown once; valid until `expires_at`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct Invite {
    pub invite_url: String,
    pub expires_at: String,
}

/// An invite not yet accepted and not expired (the link itself is shown
/// only once, when it is created).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PendingInvite {
    pub email: String,
    pub role: MemberRole,
    pub expires_at: String,
    pub created_at: String,
}

/// `GET /api/v1/sites/{site_id}/invites`: newest first, at most 100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct PendingInviteList {
    pub items: Vec<PendingInvite>,
}

/// `POST /api/v1/invites/accept`. For an email that already has an account,
/// `password` must be that account's password (it is not changed).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    pub token: String,
    pub name: String,
    pub password: String,
}
crate::redacted_debug!(AcceptInvite { name } hides { token, password });

/// An admin key as listed (the key itself is shown only when created).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ApiKey {
    pub id: String,
    pub label: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct ApiKeyList {
    pub items: Vec<ApiKey>,
}

/// `POST /api/v1/sites/{site_id}/keys`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    pub label: String,
}

/// A new admin key: `key` is shown only this once.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CreatedApiKey {
    pub id: String,
    pub label: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub key: String,
}
crate::redacted_debug!(CreatedApiKey { id, label, created_at, last_used_at } hides { key });

/// `POST /api/v1/sites`: a signed-in person creates a site and becomes its
/// owner.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSite {
    pub name: String,
    /// Origins allowed to embed the widget, such as `https://www.example.com`.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
}

/// The new site; `admin_key` is its first admin key, shown only this once.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
pub struct CreatedSite {
    pub site_id: String,
    pub name: String,
    pub admin_key: String,
}
crate::redacted_debug!(CreatedSite { site_id, name } hides { admin_key });
