//! The knowledge store on Postgres: a `tsvector` per passage built with the
//! document language's text search configuration, GIN-indexed, ranked by
//! `ts_rank`.

use async_trait::async_trait;
use chrono::Utc;
use sqlx::PgPool;

use super::{
    split::Passage,
    store::{
        DocumentRecord, HitRow, KnowledgeStore, NewDocument,
        PassageHit,
    },
};
use crate::store::StoreResult;

pub struct PgKnowledge {
    pool: PgPool,
}

impl PgKnowledge {
    pub fn new(pool: PgPool) -> Self {
        PgKnowledge { pool }
    }
}

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

/// Casts a configuration name to `regconfig`, falling back to `simple` when
/// this server lacks it (older Postgres has no `arabic`, for one).
const CONFIG: &str = "CAST(COALESCE((SELECT cfgname::text FROM pg_ts_config WHERE cfgname = $CFG), 'simple') AS regconfig)";

fn with_config(sql: &str, param: &str) -> String {
    sql.replace("$CFG_EXPR", &CONFIG.replace("$CFG", param))
}

#[async_trait]
impl KnowledgeStore for PgKnowledge {
    async fn put_document(
        &self,
        doc: &NewDocument,
        passages: &[Passage],
    ) -> StoreResult<(DocumentRecord, Option<String>)> {
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        let (row, replaced) = super::store::insert_document_row!(tx, doc, passages, now);
        let insert = with_config(
            "INSERT INTO passages (document_id, site_id, position, heading, body, config, tsv) \
             SELECT $1, $2, $3, $4, $5, c::text, \
             setweight(to_tsvector(c, $4), 'A') || setweight(to_tsvector(c, $5), 'B') \
             FROM (SELECT $CFG_EXPR AS c) cfg",
            "$6",
        );
        let config = regconfig(&doc.language);
        for (i, p) in passages.iter().enumerate() {
            sqlx::query(&insert)
                .bind(&row.id)
                .bind(&doc.site_id)
                .bind(i as i32)
                .bind(&p.heading)
                .bind(&p.body)
                .bind(config)
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
        language: &str,
        limit: i64,
    ) -> StoreResult<Vec<PassageHit>> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        // Terms are alphanumeric, so `a | b | c` is safe to_tsquery input.
        // The query is stemmed with the asker's language (and English, the
        // usual language of a knowledge base) and left unstemmed
        // ('simple'), so it matches documents indexed either way; one
        // constant tsquery keeps the GIN index usable.
        let sql = with_config(
            "WITH q AS (SELECT to_tsquery('simple', $2) || to_tsquery('english', $2) || to_tsquery($CFG_EXPR, $2) AS query) \
             SELECT p.document_id, d.title, d.url, p.heading, p.body, \
             CAST(ts_rank(p.tsv, q.query, 1) AS FLOAT8) AS score \
             FROM q, passages p JOIN documents d ON d.id = p.document_id \
             WHERE p.site_id = $1 AND p.tsv @@ q.query \
             ORDER BY score DESC, p.id LIMIT $4",
            "$3",
        );
        let rows: Vec<HitRow> = sqlx::query_as(&sql)
            .bind(site_id)
            .bind(terms.join(" | "))
            .bind(regconfig(language))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn passage_count(&self, site_id: &str) -> StoreResult<i64> {
        super::store::passage_count_body!(&self.pool, site_id)
    }
}
