//! URL sources of a site's knowledge base (`knowledge_sources`): a page or
//! a sitemap, and the progress of its import. The same SQL on both backends.

use chrono::{DateTime, Utc};

use super::{Db, Error, Result, new_id, read, write};

/// A stored URL source.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SourceRow {
    pub id: String,
    pub site_id: String,
    pub url: String,
    pub kind: String,
    pub state: String,
    pub error: Option<String>,
    pub pages_total: i64,
    pub pages_done: i64,
    pub pages_failed: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub synced_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, site_id, url, kind, state, error, CAST(pages_total AS BIGINT) AS pages_total, \
     CAST(pages_done AS BIGINT) AS pages_done, CAST(pages_failed AS BIGINT) AS pages_failed, \
     created_at, updated_at, synced_at";

/// Most URL sources per site.
pub const MAX_SOURCES: i64 = 200;

impl Db {
    /// Adds a source in `queued`; a source with the same url is 409.
    pub async fn create_source(&self, site_id: &str, url: &str, kind: &str) -> Result<SourceRow> {
        let (n,): (i64,) = read!(self, p => sqlx::query_as(
            "SELECT COUNT(*) FROM knowledge_sources WHERE site_id = $1",
        )
        .bind(site_id)
        .fetch_one(p)
        .await)?;
        if n >= MAX_SOURCES {
            return Err(Error::Conflict(format!(
                "a site has at most {MAX_SOURCES} URL sources; delete one first"
            )));
        }
        let now = Utc::now();
        let sql = format!(
            "INSERT INTO knowledge_sources (id, site_id, url, kind, state, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'queued', $5, $5) ON CONFLICT (site_id, url) DO NOTHING \
             RETURNING {COLUMNS}"
        );
        let row: Option<SourceRow> = write!(self, p => sqlx::query_as(&sql)
            .bind(new_id())
            .bind(site_id)
            .bind(url)
            .bind(kind)
            .bind(now)
            .fetch_optional(p)
            .await)?;
        row.ok_or_else(|| {
            Error::Conflict("this URL is already a source; sync it instead".into())
        })
    }

    pub async fn sources(&self, site_id: &str) -> Result<Vec<SourceRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM knowledge_sources WHERE site_id = $1 ORDER BY id DESC LIMIT {MAX_SOURCES}"
        );
        Ok(read!(self, p => sqlx::query_as(&sql).bind(site_id).fetch_all(p).await)?)
    }

    pub async fn source(&self, site_id: &str, id: &str) -> Result<Option<SourceRow>> {
        let sql = format!("SELECT {COLUMNS} FROM knowledge_sources WHERE site_id = $1 AND id = $2");
        Ok(read!(self, p => sqlx::query_as(&sql)
            .bind(site_id)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    /// Claims a source for an import: `queued`/`ready`/`failed` → `running`
    /// with the counters reset. None when it is already running (or gone).
    pub async fn start_source(&self, site_id: &str, id: &str) -> Result<Option<SourceRow>> {
        let sql = format!(
            "UPDATE knowledge_sources SET state = 'running', error = NULL, pages_total = 0, \
             pages_done = 0, pages_failed = 0, updated_at = $3 \
             WHERE site_id = $1 AND id = $2 AND state <> 'running' RETURNING {COLUMNS}"
        );
        Ok(write!(self, p => sqlx::query_as(&sql)
            .bind(site_id)
            .bind(id)
            .bind(Utc::now())
            .fetch_optional(p)
            .await)?)
    }

    /// Records the import's progress.
    pub async fn source_progress(&self, id: &str, total: i64, done: i64, failed: i64) -> Result<()> {
        write!(self, p => sqlx::query(
            "UPDATE knowledge_sources SET pages_total = $2, pages_done = $3, pages_failed = $4, \
             updated_at = $5 WHERE id = $1",
        )
        .bind(id)
        .bind(total)
        .bind(done)
        .bind(failed)
        .bind(Utc::now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Ends an import: `ready`, or `failed` with `error`.
    pub async fn finish_source(&self, id: &str, error: Option<&str>) -> Result<()> {
        let now = Utc::now();
        write!(self, p => sqlx::query(
            "UPDATE knowledge_sources SET state = $2, error = $3, updated_at = $4, synced_at = $4 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(if error.is_some() { "failed" } else { "ready" })
        .bind(error)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Deletes a source and the documents it made.
    pub async fn delete_source(&self, site_id: &str, id: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        super::tx!(&mut tx, c => sqlx::query(
            "DELETE FROM documents WHERE site_id = $1 AND source_id = $2",
        )
        .bind(site_id)
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        let n = super::tx!(&mut tx, c => sqlx::query(
            "DELETE FROM knowledge_sources WHERE site_id = $1 AND id = $2",
        )
        .bind(site_id)
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Start-up: imports a stopped server left running are marked failed
    /// (each page is stored whole or not at all, so what was imported
    /// stays searchable and a sync finishes the rest).
    pub async fn fail_unfinished_sources(&self) -> Result<u64> {
        Ok(write!(self, p => sqlx::query(
            "UPDATE knowledge_sources SET state = 'failed', \
             error = 'the server stopped during the import; sync again' \
             WHERE state IN ('queued', 'running')",
        )
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }
}
