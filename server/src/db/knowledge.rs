//! Knowledge documents and their passages, indexed for full-text search:
//! on Postgres a `tsvector` per passage built with the document language's
//! text search configuration; on SQLite an FTS5 index kept in step by
//! triggers. Storing, listing and deleting are the same SQL on both; the
//! index and the search query differ and say so.

use chrono::{DateTime, Utc};
use lantern_shared::knowledge::DocumentFormat;

use super::{Db, PoolRef, Result, Tx, new_id, read, tx, write};

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

/// One searchable piece of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPassage {
    /// The document title and the headings above the text, joined by ` › `.
    pub heading: String,
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

#[derive(sqlx::FromRow)]
struct DocumentRow {
    id: String,
    site_id: String,
    title: String,
    url: Option<String>,
    language: String,
    format: String,
    passage_count: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
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

/// A passage found by a search, with its document's title and url.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PassageHit {
    pub document_id: String,
    pub title: String,
    pub url: Option<String>,
    pub heading: String,
    pub body: String,
    /// Backend-specific relevance (BM25 or ts_rank); higher is better.
    pub score: f64,
}

const DOCUMENT_COLUMNS: &str =
    "id, site_id, title, url, language, format, passage_count, created_at, updated_at";

/// The text search configuration for a BCP 47 tag; `simple` (no stemming,
/// no stop words) for languages Postgres has none for.
pub fn regconfig(language: &str) -> &'static str {
    let primary = language
        .split('-')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match primary.as_str() {
        "en" => "english",
        "fr" => "french",
        "es" => "spanish",
        "de" => "german",
        "ar" => "arabic",
        "it" => "italian",
        "pt" => "portuguese",
        "nl" => "dutch",
        "ru" => "russian",
        "sv" => "swedish",
        "da" => "danish",
        "fi" => "finnish",
        "no" | "nb" | "nn" => "norwegian",
        "tr" => "turkish",
        "hu" => "hungarian",
        "ro" => "romanian",
        "el" => "greek",
        "id" => "indonesian",
        "hi" => "hindi",
        _ => "simple",
    }
}

/// `$CFG` cast to `regconfig`, falling back to `simple` when this server
/// lacks the configuration (older Postgres has no `arabic`, for one).
fn pg_config(param: &str) -> String {
    format!(
        "CAST(COALESCE((SELECT cfgname::text FROM pg_ts_config WHERE cfgname = {param}), \
         'simple') AS regconfig)"
    )
}

/// An FTS5 query matching any of `terms`, each quoted so nothing in it is
/// read as FTS5 syntax.
fn fts5_any(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" OR ")
}

impl Db {
    /// Stores a document and its passages in one transaction. A document of
    /// the same site with the same url is replaced; its id is returned.
    pub async fn put_document(
        &self,
        doc: &NewDocument,
        passages: &[NewPassage],
    ) -> Result<(DocumentRecord, Option<String>)> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        let mut replaced = None;
        if let Some(url) = &doc.url {
            let old: Option<(String,)> = tx!(&mut tx, c => sqlx::query_as(
                "DELETE FROM documents WHERE site_id = $1 AND url = $2 RETURNING id",
            )
            .bind(&doc.site_id)
            .bind(url)
            .fetch_optional(c)
            .await)?;
            replaced = old.map(|(id,)| id);
        }
        let sql = format!(
            "INSERT INTO documents (id, site_id, title, url, language, format, body, \
             passage_count, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
             RETURNING {DOCUMENT_COLUMNS}"
        );
        let row: DocumentRow = tx!(&mut tx, c => sqlx::query_as(&sql)
            .bind(new_id())
            .bind(&doc.site_id)
            .bind(&doc.title)
            .bind(&doc.url)
            .bind(&doc.language)
            .bind(doc.format.as_str())
            .bind(&doc.body)
            .bind(passages.len() as i64)
            .bind(now)
            .fetch_one(c)
            .await)?;
        let record = DocumentRecord::from(row);
        insert_passages(&mut tx, &record, passages).await?;
        tx.commit().await?;
        Ok((record, replaced))
    }

    /// Newest first; `before` is the id of the last document already seen.
    pub async fn list_documents(
        &self,
        site_id: &str,
        before: Option<&str>,
        limit: i64,
    ) -> Result<Vec<DocumentRecord>> {
        let sql = format!(
            "SELECT {DOCUMENT_COLUMNS} FROM documents WHERE site_id = $1 \
             AND (CAST($2 AS TEXT) IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"
        );
        let rows: Vec<DocumentRow> = read!(self, p => sqlx::query_as(&sql)
            .bind(site_id)
            .bind(before)
            .bind(limit)
            .fetch_all(p)
            .await)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// True when the document existed (in this site) and is now gone; its
    /// passages go with it (cascade, and on SQLite a trigger for FTS5).
    pub async fn delete_document(&self, site_id: &str, id: &str) -> Result<bool> {
        let done = write!(self, p => sqlx::query(
            "DELETE FROM documents WHERE site_id = $1 AND id = $2",
        )
        .bind(site_id)
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done > 0)
    }

    /// How many passages the site has (diagnostics, benchmarks).
    pub async fn passage_count(&self, site_id: &str) -> Result<i64> {
        let (n,): (i64,) = read!(self, p => sqlx::query_as(
            "SELECT COUNT(*) FROM passages WHERE site_id = $1",
        )
        .bind(site_id)
        .fetch_one(p)
        .await)?;
        Ok(n)
    }

    /// Passages matching any of `terms` (already tokenised, stop words
    /// removed), best first. `language` picks the query's stemming on
    /// Postgres; SQLite's index stems one way for every language.
    pub async fn search_passages(
        &self,
        site_id: &str,
        terms: &[String],
        language: &str,
        limit: i64,
    ) -> Result<Vec<PassageHit>> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let hits = match self.pool() {
            // bm25() is lower-is-better; headings (title and section path)
            // weigh more than body text.
            PoolRef::Sqlite { read, .. } => {
                sqlx::query_as(
                    "SELECT p.document_id, d.title, d.url, p.heading, p.body, \
                     -bm25(passages_fts, 2.0, 1.0) AS score \
                     FROM passages_fts JOIN passages p ON p.id = passages_fts.rowid \
                     JOIN documents d ON d.id = p.document_id \
                     WHERE passages_fts MATCH $1 AND p.site_id = $2 \
                     ORDER BY bm25(passages_fts, 2.0, 1.0) LIMIT $3",
                )
                .bind(fts5_any(terms))
                .bind(site_id)
                .bind(limit)
                .fetch_all(read)
                .await?
            }
            // Terms are alphanumeric, so `a | b | c` is safe to_tsquery
            // input. The query is stemmed with the asker's language (and
            // English, the usual language of a knowledge base) and left
            // unstemmed ('simple'), so it matches documents indexed either
            // way. It is built once (materialised), matching passages are
            // ranked on their tsvector alone, and only the best `limit`
            // are joined with their bodies and documents: on 20,000
            // passages of real text this halved the query's time, with the
            // same ranking.
            PoolRef::Postgres(p) => {
                let sql = format!(
                    "WITH q AS MATERIALIZED (SELECT to_tsquery('simple', $2) \
                     || to_tsquery('english', $2) || to_tsquery({}, $2) AS query), \
                     best AS (SELECT p.id, CAST(ts_rank(p.tsv, q.query, 1) AS FLOAT8) AS score \
                     FROM q, passages p WHERE p.site_id = $1 AND p.tsv @@ q.query \
                     ORDER BY score DESC, p.id LIMIT $4) \
                     SELECT p.document_id, d.title, d.url, p.heading, p.body, best.score \
                     FROM best JOIN passages p ON p.id = best.id \
                     JOIN documents d ON d.id = p.document_id \
                     ORDER BY best.score DESC, p.id",
                    pg_config("$3")
                );
                sqlx::query_as(&sql)
                    .bind(site_id)
                    .bind(terms.join(" | "))
                    .bind(regconfig(language))
                    .bind(limit)
                    .fetch_all(p)
                    .await?
            }
        };
        Ok(hits)
    }
}

/// Inserts a document's passages; Postgres builds each passage's
/// `tsvector` here, SQLite's triggers feed FTS5.
async fn insert_passages(tx: &mut Tx, doc: &DocumentRecord, passages: &[NewPassage]) -> Result<()> {
    let pg_insert = format!(
        "INSERT INTO passages (document_id, site_id, position, heading, body, config, tsv) \
         SELECT $1, $2, $3, $4, $5, c::text, \
         setweight(to_tsvector(c, $4), 'A') || setweight(to_tsvector(c, $5), 'B') \
         FROM (SELECT {} AS c) cfg",
        pg_config("$6")
    );
    for (i, p) in passages.iter().enumerate() {
        match tx {
            Tx::Sqlite(t) => {
                sqlx::query(
                    "INSERT INTO passages (document_id, site_id, position, heading, body) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&doc.id)
                .bind(&doc.site_id)
                .bind(i as i32)
                .bind(&p.heading)
                .bind(&p.body)
                .execute(&mut **t)
                .await?;
            }
            Tx::Postgres(t) => {
                sqlx::query(&pg_insert)
                    .bind(&doc.id)
                    .bind(&doc.site_id)
                    .bind(i as i32)
                    .bind(&p.heading)
                    .bind(&p.body)
                    .bind(regconfig(&doc.language))
                    .execute(&mut **t)
                    .await?;
            }
        }
    }
    Ok(())
}
