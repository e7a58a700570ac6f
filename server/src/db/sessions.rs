//! Cookie sessions kept in the database (when Redis is not configured). Rows
//! are keyed by a hash of the session id, so a copy of the table cannot be
//! replayed as cookies.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{Db, Result, read, write};

impl Db {
    /// A live session's data.
    pub async fn session(&self, id_hash: &str) -> Result<Option<serde_json::Value>> {
        let row: Option<(Json<serde_json::Value>,)> = read!(self, p => sqlx::query_as(
            "SELECT data FROM sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(Utc::now())
        .fetch_optional(p)
        .await)?;
        Ok(row.map(|(d,)| d.0))
    }

    /// Inserts a new session; false when the id is taken (the caller picks
    /// another).
    pub async fn insert_session(
        &self,
        id_hash: &str,
        data: &serde_json::Value,
        expires_at: DateTime<Utc>,
    ) -> Result<bool> {
        let done = write!(self, p => sqlx::query(
            "INSERT INTO sessions (id_hash, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id_hash) DO NOTHING",
        )
        .bind(id_hash)
        .bind(Json(data))
        .bind(expires_at)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Writes a session (insert or replace).
    pub async fn save_session(
        &self,
        id_hash: &str,
        data: &serde_json::Value,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        write!(self, p => sqlx::query(
            "INSERT INTO sessions (id_hash, data, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id_hash) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
        )
        .bind(id_hash)
        .bind(Json(data))
        .bind(expires_at)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<()> {
        write!(self, p => sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Deletes expired sessions; returns how many.
    pub async fn delete_expired_sessions(&self) -> Result<u64> {
        let done = write!(self, p => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(Utc::now())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(done)
    }
}
