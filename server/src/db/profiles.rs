//! What members see of a visitor: the profile (verified identify or a
//! member's edit, browser, time zone, last seen), the site's visitor list
//! and search.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use super::{Db, Result, read, write};

/// A visitor's stored profile, as read for members.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProfileRow {
    pub id: String,
    pub external_user_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub contact_email: Option<String>,
    pub attributes: Json<Value>,
    pub user_agent: Option<String>,
    pub time_zone: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    /// When the retention rule anonymised the visitor, if it did.
    pub anonymised_at: Option<DateTime<Utc>>,
}

const PROFILE_COLUMNS: &str = "id, external_user_id, name, email, contact_email, attributes, \
     user_agent, time_zone, created_at, last_seen_at, anonymised_at";

/// What a verified identify tells about the user (only given fields change).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerifiedProfile {
    pub name: Option<String>,
    pub email: Option<String>,
    pub attributes: Option<Value>,
}

impl Db {
    /// The profile of `site_id`'s visitor `visitor_id`, if the site has one.
    pub async fn visitor_profile(&self, site_id: &str, visitor_id: &str) -> Result<Option<ProfileRow>> {
        let sql = format!("SELECT {PROFILE_COLUMNS} FROM visitors WHERE id = $1 AND site_id = $2");
        Ok(read!(self, p => sqlx::query_as(&sql)
            .bind(visitor_id)
            .bind(site_id)
            .fetch_optional(p)
            .await)?)
    }

    /// A site's visitors, newest first, after the cursor `before` (an id);
    /// `q` (lower case) matches name, email, left email or user id.
    pub async fn list_visitors(
        &self,
        site_id: &str,
        q: Option<&str>,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ProfileRow>> {
        let sql = format!(
            "SELECT {PROFILE_COLUMNS} FROM visitors WHERE site_id = $1 \
             AND (CAST($2 AS TEXT) IS NULL OR LOWER(COALESCE(name, '')) LIKE $2 ESCAPE '\\' \
               OR LOWER(COALESCE(email, '')) LIKE $2 ESCAPE '\\' \
               OR LOWER(COALESCE(contact_email, '')) LIKE $2 ESCAPE '\\' \
               OR LOWER(COALESCE(external_user_id, '')) LIKE $2 ESCAPE '\\') \
             AND (CAST($3 AS TEXT) IS NULL OR id < $3) \
             ORDER BY id DESC LIMIT $4"
        );
        let pattern = q.map(|t| {
            let escaped = t
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            format!("%{escaped}%")
        });
        Ok(read!(self, p => sqlx::query_as(&sql)
            .bind(site_id)
            .bind(&pattern)
            .bind(before)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }

    /// A member's edit: `Some("")` clears a field, `None` keeps it.
    pub async fn update_visitor(
        &self,
        site_id: &str,
        visitor_id: &str,
        name: Option<&str>,
        email: Option<&str>,
    ) -> Result<Option<ProfileRow>> {
        let sql = format!(
            "UPDATE visitors SET \
             name = CASE WHEN CAST($3 AS TEXT) IS NULL THEN name WHEN $3 = '' THEN NULL ELSE $3 END, \
             email = CASE WHEN CAST($4 AS TEXT) IS NULL THEN email WHEN $4 = '' THEN NULL ELSE $4 END \
             WHERE id = $1 AND site_id = $2 RETURNING {PROFILE_COLUMNS}"
        );
        Ok(write!(self, p => sqlx::query_as(&sql)
            .bind(visitor_id)
            .bind(site_id)
            .bind(name)
            .bind(email)
            .fetch_optional(p)
            .await)?)
    }

    /// What the visitor's browser told when it started a conversation: its
    /// User-Agent and time zone (each kept when absent), and that it was
    /// seen now.
    pub async fn visitor_seen(
        &self,
        visitor_id: &str,
        user_agent: Option<&str>,
        time_zone: Option<&str>,
    ) -> Result<()> {
        write!(self, p => sqlx::query(
            "UPDATE visitors SET user_agent = COALESCE($2, user_agent), \
             time_zone = COALESCE($3, time_zone), last_seen_at = $4 WHERE id = $1",
        )
        .bind(visitor_id)
        .bind(user_agent)
        .bind(time_zone)
        .bind(Utc::now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The visitor's latest `limit` other conversations that asked
    /// something, newest first: when, how it went, how long, the first and
    /// the last question (the answerer's summary of "last time").
    pub async fn earlier_conversations(
        &self,
        visitor_id: &str,
        except_conversation: &str,
        limit: i64,
    ) -> Result<Vec<EarlierRow>> {
        Ok(read!(self, p => sqlx::query_as(
            "SELECT c.created_at, c.status, c.handed_over_at IS NOT NULL AS handed_over, \
             (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id \
               AND m.role IN ('user', 'assistant', 'agent') AND NOT m.internal) AS messages, \
             (SELECT m.content FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user' \
               ORDER BY m.seq LIMIT 1) AS first_question, \
             (SELECT m.content FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user' \
               ORDER BY m.seq DESC LIMIT 1) AS last_question \
             FROM conversations c WHERE c.visitor_id = $1 AND c.id <> $2 \
             AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user') \
             ORDER BY c.created_at DESC LIMIT $3",
        )
        .bind(visitor_id)
        .bind(except_conversation)
        .bind(limit)
        .fetch_all(p)
        .await)?)
    }
}

/// One earlier conversation, as [`Db::earlier_conversations`] reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EarlierRow {
    pub created_at: DateTime<Utc>,
    pub status: String,
    pub handed_over: bool,
    pub messages: i64,
    pub first_question: String,
    pub last_question: String,
}
