//! A site's admin keys as a list: labelled, with creation and last use, each
//! revocable on its own (the hashes themselves live in `api_keys` too; see
//! `sites` for rotation and lookup).

use chrono::{DateTime, Duration, Utc};

use super::{Db, found, Result, new_id, read, write};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyRow {
    pub id: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// `last_used_at` is written at most this often per key: a busy integration
/// should not turn every read into a write.
const LAST_USED_GRAIN: Duration = Duration::seconds(60);

impl Db {
    /// The site's unrevoked keys, oldest first.
    pub async fn api_keys(&self, site_id: &str) -> Result<Vec<KeyRow>> {
        Ok(read!(self, p => sqlx::query_as(
            "SELECT id, label, created_at, last_used_at FROM api_keys \
             WHERE site_id = $1 AND revoked_at IS NULL ORDER BY created_at, id",
        )
        .bind(site_id)
        .fetch_all(p)
        .await)?)
    }

    /// Adds a key (by its hash) beside the existing ones.
    pub async fn create_api_key(&self, site_id: &str, label: &str, key_hash: &str) -> Result<KeyRow> {
        let row = KeyRow {
            id: new_id(),
            label: label.to_string(),
            created_at: Utc::now(),
            last_used_at: None,
        };
        write!(self, p => sqlx::query(
            "INSERT INTO api_keys (id, site_id, key_hash, label, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&row.id)
        .bind(site_id)
        .bind(key_hash)
        .bind(&row.label)
        .bind(row.created_at)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(row)
    }

    /// Revokes one key of the site; it stops working at once.
    pub async fn revoke_api_key(&self, site_id: &str, id: &str) -> Result<()> {
        let changed = write!(self, p => sqlx::query(
            "UPDATE api_keys SET revoked_at = $3 WHERE site_id = $1 AND id = $2 AND revoked_at IS NULL",
        )
        .bind(site_id)
        .bind(id)
        .bind(Utc::now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        found(changed)?;
        // Cached admin callers carry their site's scope (the key's hash is
        // not at hand here): every key of the site is looked up again.
        self.invalidate(&[crate::cache::Scope::Site(site_id.into())]).await;
        Ok(())
    }

    /// Records that the key was used now (at most once a minute per key).
    pub async fn touch_api_key(&self, key_hash: &str) -> Result<()> {
        let now = Utc::now();
        write!(self, p => sqlx::query(
            "UPDATE api_keys SET last_used_at = $2 \
             WHERE key_hash = $1 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(key_hash)
        .bind(now)
        .bind(now - LAST_USED_GRAIN)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
