//! Curated answers: question → answer pairs an owner stores, matched ahead
//! of retrieval. The same SQL on both backends.

use chrono::{DateTime, Utc};

use super::{Db, Result, new_id, read, write};

/// A curated answer as stored; `terms` is the question's analysis.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CuratedRow {
    pub id: String,
    pub site_id: String,
    pub question: String,
    pub answer: String,
    pub language: String,
    pub terms: String,
    pub created_at: DateTime<Utc>,
}

/// Most curated answers a site keeps (they are all read per question).
pub const MAX_CURATED: i64 = 500;

const COLUMNS: &str = "id, site_id, question, answer, language, terms, created_at";

impl Db {
    /// Stores a curated answer; `None` when the site already has
    /// [`MAX_CURATED`].
    pub async fn add_curated(
        &self,
        site_id: &str,
        question: &str,
        answer: &str,
        language: &str,
        terms: &str,
    ) -> Result<Option<CuratedRow>> {
        if self.curated(site_id).await?.len() as i64 >= MAX_CURATED {
            return Ok(None);
        }
        let sql = format!(
            "INSERT INTO curated_answers ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING {COLUMNS}"
        );
        let row: CuratedRow = write!(self, p => sqlx::query_as(&sql)
            .bind(new_id())
            .bind(site_id)
            .bind(question)
            .bind(answer)
            .bind(language)
            .bind(terms)
            .bind(Utc::now())
            .fetch_one(p)
            .await)?;
        Ok(Some(row))
    }

    /// Every curated answer of the site, oldest first.
    pub async fn curated(&self, site_id: &str) -> Result<Vec<CuratedRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM curated_answers WHERE site_id = $1 ORDER BY id LIMIT $2"
        );
        let rows = read!(self, p => sqlx::query_as(&sql)
            .bind(site_id)
            .bind(MAX_CURATED)
            .fetch_all(p)
            .await)?;
        Ok(rows)
    }

    /// True when the curated answer existed in this site and is now gone.
    pub async fn delete_curated(&self, site_id: &str, id: &str) -> Result<bool> {
        let n = write!(self, p => sqlx::query(
            "DELETE FROM curated_answers WHERE site_id = $1 AND id = $2",
        )
        .bind(site_id)
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }
}
