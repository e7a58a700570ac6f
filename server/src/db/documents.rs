//! The owner's view of stored documents: one document, its passages,
//! turning documents and passages on and off, how often replies cited each,
//! and the `indexing` / `failed` rows URL imports leave while they work.
//! The same SQL on both backends except where JSON is read (citations).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{
    Db, DocumentRecord, PoolRef, Result, new_id, read,
    knowledge::{DOCUMENT_COLUMNS, DocumentRow},
    write,
};

/// One passage as the owner previews it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PassageRow {
    pub id: i64,
    pub position: i64,
    pub heading: String,
    pub body: String,
    pub enabled: bool,
}

/// A source the replies cited, with how often.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CitedRow {
    pub document_id: Option<String>,
    pub title: String,
    pub url: Option<String>,
    pub count: i64,
}

impl Db {
    pub async fn document(&self, site_id: &str, id: &str) -> Result<Option<DocumentRecord>> {
        let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM documents WHERE site_id = $1 AND id = $2");
        let row: Option<DocumentRow> = read!(self, p => sqlx::query_as(&sql)
            .bind(site_id)
            .bind(id)
            .fetch_optional(p)
            .await)?;
        Ok(row.map(Into::into))
    }

    /// A stored document of the site with exactly this text.
    pub async fn document_by_hash(&self, site_id: &str, hash: &str) -> Result<Option<DocumentRecord>> {
        let sql = format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE site_id = $1 AND content_hash = $2 \
             ORDER BY id LIMIT 1"
        );
        let row: Option<DocumentRow> = read!(self, p => sqlx::query_as(&sql)
            .bind(site_id)
            .bind(hash)
            .fetch_optional(p)
            .await)?;
        Ok(row.map(Into::into))
    }

    /// Turns a document on or off for search; the updated document.
    pub async fn set_document_enabled(
        &self,
        site_id: &str,
        id: &str,
        enabled: bool,
    ) -> Result<Option<DocumentRecord>> {
        let sql = format!(
            "UPDATE documents SET enabled = $3, updated_at = $4 WHERE site_id = $1 AND id = $2 \
             RETURNING {DOCUMENT_COLUMNS}"
        );
        let row: Option<DocumentRow> = write!(self, p => sqlx::query_as(&sql)
            .bind(site_id)
            .bind(id)
            .bind(enabled)
            .bind(Utc::now())
            .fetch_optional(p)
            .await)?;
        Ok(row.map(Into::into))
    }

    /// A document's passages in order (documents are bounded in size, so
    /// their passages are too).
    pub async fn passages_of(&self, site_id: &str, document_id: &str) -> Result<Vec<PassageRow>> {
        Ok(read!(self, p => sqlx::query_as(
            "SELECT id, CAST(position AS BIGINT) AS position, heading, body, enabled FROM passages \
             WHERE site_id = $1 AND document_id = $2 ORDER BY position",
        )
        .bind(site_id)
        .bind(document_id)
        .fetch_all(p)
        .await)?)
    }

    /// Turns one passage on or off; false when it is not in that document.
    pub async fn set_passage_enabled(
        &self,
        site_id: &str,
        document_id: &str,
        passage_id: i64,
        enabled: bool,
    ) -> Result<bool> {
        let n = write!(self, p => sqlx::query(
            "UPDATE passages SET enabled = $4 WHERE site_id = $1 AND document_id = $2 AND id = $3",
        )
        .bind(site_id)
        .bind(document_id)
        .bind(passage_id)
        .bind(enabled)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Sources cited by the site's replies in `[from, to)`, most cited
    /// first, each with the document it names (same title and url) when
    /// that is still stored.
    pub async fn cited(
        &self,
        site_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<CitedRow>> {
        let rows = match self.pool() {
            PoolRef::Sqlite { read, .. } => {
                sqlx::query_as(
                    "WITH t AS (SELECT json_extract(j.value, '$.title') AS title, \
                     json_extract(j.value, '$.url') AS url, COUNT(*) AS count \
                     FROM messages m JOIN conversations c ON c.id = m.conversation_id, \
                     json_each(m.citations) j \
                     WHERE c.site_id = $1 AND m.role = 'assistant' \
                     AND m.created_at >= $2 AND m.created_at < $3 GROUP BY 1, 2) \
                     SELECT (SELECT MIN(d.id) FROM documents d WHERE d.site_id = $1 \
                     AND d.title = t.title AND d.url IS t.url) AS document_id, \
                     t.title, t.url, t.count FROM t ORDER BY t.count DESC, t.title LIMIT $4",
                )
                .bind(site_id)
                .bind(from)
                .bind(to)
                .bind(limit)
                .fetch_all(read)
                .await?
            }
            PoolRef::Postgres(p) => {
                sqlx::query_as(
                    "WITH t AS (SELECT j.value->>'title' AS title, j.value->>'url' AS url, COUNT(*) AS count \
                     FROM messages m JOIN conversations c ON c.id = m.conversation_id, \
                     jsonb_array_elements(m.citations) j \
                     WHERE c.site_id = $1 AND m.role = 'assistant' \
                     AND m.created_at >= $2 AND m.created_at < $3 GROUP BY 1, 2) \
                     SELECT (SELECT MIN(d.id) FROM documents d WHERE d.site_id = $1 \
                     AND d.title = t.title AND d.url IS NOT DISTINCT FROM t.url) AS document_id, \
                     t.title, t.url, t.count FROM t ORDER BY t.count DESC, t.title LIMIT $4",
                )
                .bind(site_id)
                .bind(from)
                .bind(to)
                .bind(limit)
                .fetch_all(p)
                .await?
            }
        };
        Ok(rows)
    }

    /// How often each of the site's documents was cited, ever: document
    /// id → count.
    pub async fn citation_counts(&self, site_id: &str) -> Result<HashMap<String, i64>> {
        // Bounds both backends store and compare alike (SQLite compares
        // the text of RFC 3339 times).
        let (from, to) = (DateTime::<Utc>::UNIX_EPOCH, DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(2_900_000));
        let all = self.cited(site_id, from, to, 10_000).await?;
        Ok(all
            .into_iter()
            .filter_map(|r| r.document_id.map(|id| (id, r.count)))
            .collect())
    }

    /// Rows in `indexing` for the pages of a URL source not stored yet, so
    /// the owner sees them coming; they hold no passages.
    pub async fn placeholder_documents(
        &self,
        site_id: &str,
        source_id: &str,
        language: &str,
        urls: &[String],
    ) -> Result<()> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        for url in urls {
            super::tx!(&mut tx, c => sqlx::query(
                "INSERT INTO documents (id, site_id, title, url, language, format, body, \
                 passage_count, created_at, updated_at, state, source, source_id, size) \
                 VALUES ($1, $2, $3, $3, $4, 'html', '', 0, $5, $5, 'indexing', 'url', $6, 0) \
                 ON CONFLICT (site_id, url) DO NOTHING",
            )
            .bind(new_id())
            .bind(site_id)
            .bind(url)
            .bind(language)
            .bind(now)
            .bind(source_id)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        }
        tx.commit().await
    }

    /// Marks the page `url` failed with `error`, unless an earlier import
    /// of it is stored and searchable (a page that fails once keeps its
    /// last good text).
    pub async fn page_failed(&self, site_id: &str, source_id: &str, url: &str, error: &str) -> Result<()> {
        write!(self, p => sqlx::query(
            "UPDATE documents SET state = 'failed', error = $4, updated_at = $5 \
             WHERE site_id = $1 AND source_id = $2 AND url = $3 AND state <> 'ready'",
        )
        .bind(site_id)
        .bind(source_id)
        .bind(url)
        .bind(error)
        .bind(Utc::now())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The documents a URL source made: url → (id, content hash, state).
    pub async fn source_documents(
        &self,
        source_id: &str,
    ) -> Result<HashMap<String, (String, Option<String>, String)>> {
        let rows: Vec<(String, Option<String>, Option<String>, String)> = read!(self, p => sqlx::query_as(
            "SELECT id, url, content_hash, state FROM documents WHERE source_id = $1",
        )
        .bind(source_id)
        .fetch_all(p)
        .await)?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, url, hash, state)| url.map(|u| (u, (id, hash, state))))
            .collect())
    }

    /// Start-up: pages left in `indexing` by a server that stopped are
    /// marked failed (they hold no passages: nothing is half-indexed).
    pub async fn fail_unfinished_documents(&self) -> Result<u64> {
        Ok(write!(self, p => sqlx::query(
            "UPDATE documents SET state = 'failed', \
             error = 'the server stopped during the import; sync the source again' \
             WHERE state = 'indexing'",
        )
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }
}
