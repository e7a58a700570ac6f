//! The storage interface of the knowledge base, implemented once per backend.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lantern_shared::knowledge::DocumentFormat;

use super::split::Passage;
use crate::store::StoreResult;

/// A document to store, already validated.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub site_id: String,
    pub title: String,
    pub url: Option<String>,
    pub language: String,
    pub format: DocumentFormat,
    pub body: String,
}

/// A stored document, without its body.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentRecord {
    pub id: String,
    pub site_id: String,
    pub title: String,
    pub url: Option<String>,
    pub language: String,
    pub format: DocumentFormat,
    pub passage_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A passage found by a search, with its document's title and url.
#[derive(Debug, Clone, PartialEq)]
pub struct PassageHit {
    pub document_id: String,
    pub title: String,
    pub url: Option<String>,
    pub heading: String,
    pub body: String,
    /// Backend-specific relevance (BM25 or ts_rank); higher is better.
    pub score: f64,
}

#[async_trait]
pub trait KnowledgeStore: Send + Sync + 'static {
    /// Stores a document and its passages in one transaction. A document of
    /// the same site with the same url is deleted first; its id is returned.
    async fn put_document(
        &self,
        doc: &NewDocument,
        passages: &[Passage],
    ) -> StoreResult<(DocumentRecord, Option<String>)>;
    /// Newest first; `before` is the id of the last document already seen.
    async fn list_documents(
        &self,
        site_id: &str,
        before: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<DocumentRecord>>;
    /// True when the document existed (in this site) and is now gone.
    async fn delete_document(&self, site_id: &str, id: &str) -> StoreResult<bool>;
    /// Passages matching any of `terms` (already tokenised, stop words
    /// removed), best first. `language` picks the query's stemming.
    async fn search(
        &self,
        site_id: &str,
        terms: &[String],
        language: &str,
        limit: i64,
    ) -> StoreResult<Vec<PassageHit>>;
    /// How many passages the site has (diagnostics, benchmarks).
    async fn passage_count(&self, site_id: &str) -> StoreResult<i64>;
}

/// The row both backends read for a document.
#[derive(sqlx::FromRow)]
pub(super) struct DocumentRow {
    pub id: String,
    pub site_id: String,
    pub title: String,
    pub url: Option<String>,
    pub language: String,
    pub format: String,
    pub passage_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<DocumentRow> for DocumentRecord {
    fn from(r: DocumentRow) -> DocumentRecord {
        DocumentRecord {
            id: r.id,
            site_id: r.site_id,
            title: r.title,
            url: r.url,
            language: r.language,
            // The CHECK constraint admits only the three formats.
            format: DocumentFormat::parse(&r.format).unwrap_or_default(),
            passage_count: r.passage_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct HitRow {
    pub document_id: String,
    pub title: String,
    pub url: Option<String>,
    pub heading: String,
    pub body: String,
    pub score: f64,
}

impl From<HitRow> for PassageHit {
    fn from(r: HitRow) -> PassageHit {
        PassageHit {
            document_id: r.document_id,
            title: r.title,
            url: r.url,
            heading: r.heading,
            body: r.body,
            score: r.score,
        }
    }
}

pub(super) const DOCUMENT_COLUMNS: &str =
    "id, site_id, title, url, language, format, passage_count, created_at, updated_at";

/// The queries both backends run verbatim (listing, deleting, counting),
/// written once. Each expands to the body of the trait method of the same
/// name, over a `sqlx::Pool` of either backend.
macro_rules! list_documents_body {
    ($pool:expr, $site_id:expr, $before:expr, $limit:expr) => {{
        let rows: Vec<$crate::knowledge::store::DocumentRow> = sqlx::query_as(&format!(
            "SELECT {} FROM documents WHERE site_id = $1 \
             AND (CAST($2 AS TEXT) IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
            $crate::knowledge::store::DOCUMENT_COLUMNS
        ))
        .bind($site_id)
        .bind($before)
        .bind($limit)
        .fetch_all($pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }};
}

/// Deletes a site's document; passages go with it (ON DELETE CASCADE, and
/// on SQLite a trigger keeps the FTS index in step).
macro_rules! delete_document_body {
    ($pool:expr, $site_id:expr, $id:expr) => {{
        let done = sqlx::query("DELETE FROM documents WHERE site_id = $1 AND id = $2")
            .bind($site_id)
            .bind($id)
            .execute($pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }};
}

macro_rules! passage_count_body {
    ($pool:expr, $site_id:expr) => {{
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM passages WHERE site_id = $1")
            .bind($site_id)
            .fetch_one($pool)
            .await?;
        Ok(n)
    }};
}

/// Inside `put_document`'s transaction `$tx`: drops the site's document with
/// the same url (re-indexing on change) and inserts the new document row.
/// Evaluates to `(DocumentRow, Option<replaced id>)`; passages are the
/// backend's own business.
macro_rules! insert_document_row {
    ($tx:expr, $doc:expr, $passages:expr, $now:expr) => {{
        let mut replaced = None;
        if let Some(url) = &$doc.url {
            let old: Option<(String,)> =
                sqlx::query_as("DELETE FROM documents WHERE site_id = $1 AND url = $2 RETURNING id")
                    .bind(&$doc.site_id)
                    .bind(url)
                    .fetch_optional(&mut *$tx)
                    .await?;
            replaced = old.map(|(id,)| id);
        }
        let row: $crate::knowledge::store::DocumentRow = sqlx::query_as(&format!(
            "INSERT INTO documents (id, site_id, title, url, language, format, body, passage_count, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
             RETURNING {}",
            $crate::knowledge::store::DOCUMENT_COLUMNS
        ))
        .bind($crate::store::new_id())
        .bind(&$doc.site_id)
        .bind(&$doc.title)
        .bind(&$doc.url)
        .bind(&$doc.language)
        .bind($doc.format.as_str())
        .bind(&$doc.body)
        .bind($passages.len() as i64)
        .bind($now)
        .fetch_one(&mut *$tx)
        .await?;
        (row, replaced)
    }};
}

pub(crate) use {delete_document_body, insert_document_row, list_documents_body, passage_count_body};
