//! Visitors and their tokens (stored as hashes).

use chrono::{DateTime, Utc};

use sqlx::types::Json;

use super::{Db, Result, Tx, VerifiedProfile, new_id, read, tx, write};
use crate::cache::Scope;

#[derive(Debug, Clone, PartialEq)]
pub struct Visitor {
    pub id: String,
    pub site_id: String,
    pub external_user_id: Option<String>,
}

impl Db {
    /// Creates a visitor (or finds the one with this verified user id) and
    /// stores a token for it, with the browser's User-Agent and, from a
    /// verified identify, what it tells about the user.
    pub async fn issue_visitor(
        &self,
        site_id: &str,
        external_user_id: Option<&str>,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        user_agent: Option<&str>,
        profile: Option<&VerifiedProfile>,
    ) -> Result<Visitor> {
        let now = Utc::now();
        let none = VerifiedProfile::default();
        let profile = profile.unwrap_or(&none);
        let attributes = profile.attributes.as_ref().map(Json);
        let mut tx = self.begin().await?;
        // A verified user keeps one visitor across devices.
        let existing: Option<(String,)> = match external_user_id {
            Some(user) => tx!(&mut tx, c => sqlx::query_as(
                "SELECT id FROM visitors WHERE site_id = $1 AND external_user_id = $2",
            )
            .bind(site_id)
            .bind(user)
            .fetch_optional(c)
            .await)?,
            None => None,
        };
        let id = match existing {
            Some((id,)) => {
                tx!(&mut tx, c => sqlx::query(
                    "UPDATE visitors SET user_agent = COALESCE($2, user_agent), last_seen_at = $3, \
                     name = COALESCE($4, name), email = COALESCE($5, email), \
                     attributes = COALESCE($6, attributes) WHERE id = $1",
                )
                .bind(&id)
                .bind(user_agent)
                .bind(now)
                .bind(&profile.name)
                .bind(&profile.email)
                .bind(attributes)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
                id
            }
            None => {
                let id = new_id();
                tx!(&mut tx, c => sqlx::query(
                    "INSERT INTO visitors (id, site_id, external_user_id, created_at, user_agent, \
                     last_seen_at, name, email, attributes) \
                     VALUES ($1, $2, $3, $4, $5, $4, $6, $7, COALESCE($8, '{}'))",
                )
                .bind(&id)
                .bind(site_id)
                .bind(external_user_id)
                .bind(now)
                .bind(user_agent)
                .bind(&profile.name)
                .bind(&profile.email)
                .bind(attributes)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
                id
            }
        };
        insert_token(&mut tx, &id, token_hash, expires_at, now).await?;
        tx.commit().await?;
        Ok(Visitor {
            id,
            site_id: site_id.to_string(),
            external_user_id: external_user_id.map(str::to_string),
        })
    }

    /// The visitor of an unexpired token.
    pub async fn visitor_by_token(&self, token_hash: &str) -> Result<Option<Visitor>> {
        let row: Option<(String, String, Option<String>)> = read!(self, p => sqlx::query_as(
            "SELECT v.id, v.site_id, v.external_user_id FROM visitor_tokens t \
             JOIN visitors v ON v.id = t.visitor_id WHERE t.token_hash = $1 AND t.expires_at > $2",
        )
        .bind(token_hash)
        .bind(Utc::now())
        .fetch_optional(p)
        .await)?;
        Ok(row.map(|(id, site_id, external_user_id)| Visitor {
            id,
            site_id,
            external_user_id,
        }))
    }

    /// Stores the email a visitor left for a reply.
    pub async fn set_contact_email(&self, visitor_id: &str, email: &str) -> Result<()> {
        write!(self, p => sqlx::query("UPDATE visitors SET contact_email = $2 WHERE id = $1")
            .bind(visitor_id)
            .bind(email)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Refresh: stores `new_hash` and ends the presented token `grace` from
    /// now (at once would break the page's other tabs, which still hold it
    /// until they read the new one). The old token must be the visitor's.
    pub async fn rotate_visitor_token(
        &self,
        visitor_id: &str,
        old_hash: &str,
        new_hash: &str,
        expires_at: DateTime<Utc>,
        grace: chrono::Duration,
    ) -> Result<()> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        tx!(&mut tx, c => sqlx::query(
            "UPDATE visitor_tokens SET expires_at = $1 \
             WHERE token_hash = $2 AND visitor_id = $3 AND expires_at > $1",
        )
        .bind(now + grace)
        .bind(old_hash)
        .bind(visitor_id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        insert_token(&mut tx, visitor_id, new_hash, expires_at, now).await?;
        tx.commit().await?;
        // The old token now ends sooner than a cached entry thinks.
        self.invalidate(&[Scope::Token(old_hash.into())]).await;
        Ok(())
    }

    /// Deletes every token of one visitor of `site_id`; `NotFound` when the
    /// site has no such visitor.
    pub async fn revoke_visitor_tokens(&self, site_id: &str, visitor_id: &str) -> Result<u64> {
        let exists: Option<(String,)> = read!(self, p => sqlx::query_as(
            "SELECT id FROM visitors WHERE id = $1 AND site_id = $2",
        )
        .bind(visitor_id)
        .bind(site_id)
        .fetch_optional(p)
        .await)?;
        if exists.is_none() {
            return Err(super::Error::NotFound);
        }
        let deleted = write!(self, p => sqlx::query("DELETE FROM visitor_tokens WHERE visitor_id = $1")
            .bind(visitor_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        self.invalidate(&[Scope::Visitor(visitor_id.into())]).await;
        Ok(deleted)
    }

    /// Deletes the tokens of a site's verified visitors (`verified`: the
    /// identity secret changed) or of its anonymous ones (identity became
    /// required): tokens issued under a rule that no longer holds.
    pub async fn revoke_site_visitor_tokens(&self, site_id: &str, verified: bool) -> Result<u64> {
        let deleted = write!(self, p => sqlx::query(
            "DELETE FROM visitor_tokens WHERE visitor_id IN (SELECT id FROM visitors \
             WHERE site_id = $1 AND (external_user_id IS NOT NULL) = $2)",
        )
        .bind(site_id)
        .bind(verified)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        // Visitor callers carry their site's scope.
        self.invalidate(&[Scope::Site(site_id.into())]).await;
        Ok(deleted)
    }
}

/// Stores a token (by hash) for a visitor inside the caller's transaction.
async fn insert_token(
    tx: &mut Tx,
    visitor_id: &str,
    token_hash: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx!(tx, c => sqlx::query(
        "INSERT INTO visitor_tokens (token_hash, visitor_id, expires_at, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(visitor_id)
    .bind(expires_at)
    .bind(now)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}
