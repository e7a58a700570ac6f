//! Canned responses: a site's saved replies, inserted in the composer by
//! typing `/shortcut`. Shortcuts are unique per site.

use chrono::{DateTime, Utc};
use lantern_shared::inbox::CannedResponse;

use super::{Db, Error, Result, new_id, read, rfc3339, unique_to_conflict, write};

#[derive(sqlx::FromRow)]
struct CannedRow {
    id: String,
    shortcut: String,
    content: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<CannedRow> for CannedResponse {
    fn from(r: CannedRow) -> CannedResponse {
        CannedResponse {
            id: r.id,
            shortcut: r.shortcut,
            content: r.content,
            created_at: rfc3339(r.created_at),
            updated_at: rfc3339(r.updated_at),
        }
    }
}

const TAKEN: &str = "a canned response with this shortcut exists";
const COLUMNS: &str = "id, shortcut, content, created_at, updated_at";

impl Db {
    /// A site's canned responses, by shortcut.
    pub async fn canned_responses(&self, site_id: &str) -> Result<Vec<CannedResponse>> {
        let sql = format!("SELECT {COLUMNS} FROM canned_responses WHERE site_id = $1 ORDER BY shortcut");
        let rows: Vec<CannedRow> =
            read!(self, p => sqlx::query_as(&sql).bind(site_id).fetch_all(p).await)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// How many canned responses a site has (they are capped).
    pub async fn canned_count(&self, site_id: &str) -> Result<i64> {
        let (n,): (i64,) = read!(self, p => sqlx::query_as(
            "SELECT COUNT(*) FROM canned_responses WHERE site_id = $1",
        )
        .bind(site_id)
        .fetch_one(p)
        .await)?;
        Ok(n)
    }

    pub async fn create_canned(
        &self,
        site_id: &str,
        shortcut: &str,
        content: &str,
    ) -> Result<CannedResponse> {
        let now = Utc::now();
        let sql = format!(
            "INSERT INTO canned_responses (id, site_id, shortcut, content, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING {COLUMNS}"
        );
        let row: CannedRow = write!(self, p => sqlx::query_as(&sql)
            .bind(new_id())
            .bind(site_id)
            .bind(shortcut)
            .bind(content)
            .bind(now)
            .fetch_one(p)
            .await
            .map_err(|e| unique_to_conflict(e, TAKEN)))?;
        Ok(row.into())
    }

    /// Changes the fields given; `NotFound` for another site's response.
    pub async fn update_canned(
        &self,
        site_id: &str,
        id: &str,
        shortcut: Option<&str>,
        content: Option<&str>,
    ) -> Result<CannedResponse> {
        let sql = format!(
            "UPDATE canned_responses SET shortcut = COALESCE($3, shortcut), \
             content = COALESCE($4, content), updated_at = $5 \
             WHERE site_id = $1 AND id = $2 RETURNING {COLUMNS}"
        );
        let row: Option<CannedRow> = write!(self, p => sqlx::query_as(&sql)
            .bind(site_id)
            .bind(id)
            .bind(shortcut)
            .bind(content)
            .bind(Utc::now())
            .fetch_optional(p)
            .await
            .map_err(|e| unique_to_conflict(e, TAKEN)))?;
        row.map(Into::into).ok_or(Error::NotFound)
    }

    pub async fn delete_canned(&self, site_id: &str, id: &str) -> Result<()> {
        let n = write!(self, p => sqlx::query(
            "DELETE FROM canned_responses WHERE site_id = $1 AND id = $2",
        )
        .bind(site_id)
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 { Err(Error::NotFound) } else { Ok(()) }
    }
}
