//! Visitors and their tokens (stored as hashes).

use chrono::{DateTime, Utc};

use super::{Db, Result, new_id, read, tx, write};

#[derive(Debug, Clone, PartialEq)]
pub struct Visitor {
    pub id: String,
    pub site_id: String,
    pub external_user_id: Option<String>,
}

impl Db {
    /// Creates a visitor (or finds the one with this verified user id) and
    /// stores a token for it.
    pub async fn issue_visitor(
        &self,
        site_id: &str,
        external_user_id: Option<&str>,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<Visitor> {
        let now = Utc::now();
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
            Some((id,)) => id,
            None => {
                let id = new_id();
                tx!(&mut tx, c => sqlx::query(
                    "INSERT INTO visitors (id, site_id, external_user_id, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&id)
                .bind(site_id)
                .bind(external_user_id)
                .bind(now)
                .execute(c)
                .await
                .map(|r| r.rows_affected()))?;
                id
            }
        };
        tx!(&mut tx, c => sqlx::query(
            "INSERT INTO visitor_tokens (token_hash, visitor_id, expires_at, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(&id)
        .bind(expires_at)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(Visitor {
            id,
            site_id: site_id.to_string(),
            external_user_id: external_user_id.map(str::to_string),
        })
    }

    /// Stores another token for an existing visitor (refresh).
    pub async fn add_visitor_token(
        &self,
        visitor_id: &str,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        write!(self, p => sqlx::query(
            "INSERT INTO visitor_tokens (token_hash, visitor_id, expires_at, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(visitor_id)
        .bind(expires_at)
        .bind(Utc::now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
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
}
