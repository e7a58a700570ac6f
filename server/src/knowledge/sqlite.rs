//! The knowledge store on SQLite: FTS5 over passages, ranked by BM25.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::SqlitePool;

use super::{
    split::Passage,
    store::{
        DocumentRecord, HitRow, KnowledgeStore, NewDocument,
        PassageHit,
    },
};
use crate::store::StoreResult;

pub struct SqliteKnowledge {
    pool: SqlitePool,
}

impl SqliteKnowledge {
    pub fn new(pool: SqlitePool) -> Self {
        SqliteKnowledge { pool }
    }
}

/// An FTS5 query matching any of `terms`. Each term is quoted so nothing in
/// it is read as FTS5 syntax (terms are alphanumeric already; quoting is the
/// belt to that pair of braces).
fn match_expression(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" OR ")
}

#[async_trait]
impl KnowledgeStore for SqliteKnowledge {
    async fn put_document(
        &self,
        doc: &NewDocument,
        passages: &[Passage],
    ) -> StoreResult<(DocumentRecord, Option<String>)> {
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        let (row, replaced) = super::store::insert_document_row!(tx, doc, passages, now);
        for (i, p) in passages.iter().enumerate() {
            sqlx::query(
                "INSERT INTO passages (document_id, site_id, position, heading, body) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&row.id)
            .bind(&doc.site_id)
            .bind(i as i32)
            .bind(&p.heading)
            .bind(&p.body)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok((row.into(), replaced))
    }

    async fn list_documents(
        &self,
        site_id: &str,
        before: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<DocumentRecord>> {
        super::store::list_documents_body!(&self.pool, site_id, before, limit)
    }

    async fn delete_document(&self, site_id: &str, id: &str) -> StoreResult<bool> {
        super::store::delete_document_body!(&self.pool, site_id, id)
    }

    async fn search(
        &self,
        site_id: &str,
        terms: &[String],
        _language: &str,
        limit: i64,
    ) -> StoreResult<Vec<PassageHit>> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        // bm25() is lower-is-better; headings (title and section path) weigh
        // more than body text.
        let rows: Vec<HitRow> = sqlx::query_as(
            "SELECT p.document_id, d.title, d.url, p.heading, p.body, \
             -bm25(passages_fts, 2.0, 1.0) AS score \
             FROM passages_fts JOIN passages p ON p.id = passages_fts.rowid \
             JOIN documents d ON d.id = p.document_id \
             WHERE passages_fts MATCH $1 AND p.site_id = $2 \
             ORDER BY bm25(passages_fts, 2.0, 1.0) LIMIT $3",
        )
        .bind(match_expression(terms))
        .bind(site_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn passage_count(&self, site_id: &str) -> StoreResult<i64> {
        super::store::passage_count_body!(&self.pool, site_id)
    }
}
