//! Knowledge documents and their passages, indexed for full-text search.
//! The caller analyses the text (`knowledge::analysis`: stems per language,
//! stop words out) and both backends index exactly those terms, as postings
//! (site, term, passage: the term's heading and body counts, the passage's
//! length) with each term's document frequency and each site's size, and
//! rank them by the same BM25. Postgres keeps a weighted `tsvector` per
//! passage (heading A, body B) and its triggers derive the rest from it;
//! on SQLite the server writes the postings and triggers keep the counts.

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
    /// Where it came from: `api`, `upload`, `url`, `paste` or `cli`.
    pub source: String,
    /// The URL source (`knowledge_sources`) that imported it.
    pub source_id: Option<String>,
}

/// The hash a document's text is recognised by (re-syncs skip a page
/// whose text is unchanged; an upload of text already stored is reported,
/// whatever its file name).
pub fn content_hash(body: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(body.as_bytes()))
}

/// One searchable piece of a document.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPassage {
    /// The document title and the headings above the text, joined by ` › `.
    pub heading: String,
    pub body: String,
}

/// The analysed terms of one passage, as the index stores them: terms
/// separated by single spaces, repeats kept.
#[derive(Debug, Clone, PartialEq)]
pub struct PassageIndex {
    pub heading: String,
    pub body: String,
}

impl PassageIndex {
    fn tokens(&self) -> i32 {
        (self.heading.split_whitespace().count() + self.body.split_whitespace().count()) as i32
    }
}

/// The search on both backends, after each backend's own two CTEs: `q`, a
/// row per question term the site holds (`term`, `rare`, and whatever
/// `idf` reads: the term's weight), and `s` (`avgdl`); $1 is the site, $3
/// the limit. The rare terms' postings choose SEARCH_CANDIDATES passages by
/// their BM25; the other terms' postings are looked up for those only (a
/// seek each: SQLite, left to itself, read every posting of those terms)
/// and added. A candidate that would stay below the limit'th best even if
/// every other term scored its most (`bound`: no posting scores idf *
/// (k1 + 1) or more) is dropped before its lookups, which leaves the top
/// `limit` as they were (MaxScore pruning; the bound counts turned-off
/// candidates too, so when the best are off a search may return fewer
/// than `limit`, never a wrong order). Turned-off passages and
/// documents come from their own partial indexes (`off`, usually empty), so
/// only the `limit` best passages are read: on SQLite, reading all 400 for
/// their `enabled` was a quarter of the statement.
fn ranking_sql(ctes: &str, idf: &str) -> String {
    // One posting's BM25: a heading occurrence counts HEADING_WEIGHT times.
    // It stays below idf * k1p1 however often the term occurs.
    let k1p1 = K1 + 1.0;
    let bm25 = format!(
        "{idf} * ({HEADING_WEIGHT} * k.heading_tf + k.body_tf) * {k1p1} \
         / ({HEADING_WEIGHT} * k.heading_tf + k.body_tf + {K1} * ({b0} + {B} * k.tokens / s.avgdl))",
        b0 = 1.0 - B,
    );
    format!(
        "WITH {ctes}, \
         cand AS MATERIALIZED (SELECT k.passage_id, SUM({bm25}) AS score \
         FROM q JOIN knowledge_postings k ON k.site_id = $1 AND k.term = q.term, s \
         WHERE q.rare GROUP BY k.passage_id \
         ORDER BY score DESC, k.passage_id LIMIT {SEARCH_CANDIDATES}), \
         bound AS MATERIALIZED (SELECT COALESCE((SELECT score FROM cand \
         ORDER BY score DESC LIMIT 1 OFFSET $3 - 1), 0) \
         - COALESCE(SUM({idf}), 0) * {k1p1} AS score FROM q, s WHERE NOT q.rare), \
         more AS MATERIALIZED (SELECT k.passage_id, SUM({bm25}) AS score \
         FROM q CROSS JOIN cand c CROSS JOIN bound CROSS JOIN knowledge_postings k CROSS JOIN s \
         WHERE k.site_id = $1 AND k.term = q.term AND k.passage_id = c.passage_id \
         AND NOT q.rare AND c.score >= bound.score GROUP BY k.passage_id), \
         off AS MATERIALIZED (SELECT id FROM passages WHERE site_id = $1 AND NOT enabled \
         UNION ALL SELECT p.id FROM documents d JOIN passages p ON p.document_id = d.id \
         WHERE d.site_id = $1 AND NOT d.enabled), \
         best AS MATERIALIZED (SELECT c.passage_id, c.score + COALESCE(m.score, 0) AS score \
         FROM cand c CROSS JOIN bound LEFT JOIN more m USING (passage_id) \
         WHERE c.score >= bound.score AND c.passage_id NOT IN (SELECT id FROM off) \
         ORDER BY 2 DESC, 1 LIMIT $3) \
         SELECT p.id AS passage_id, p.document_id, d.title, d.url, d.language, p.heading, p.body, \
         CAST(b.score AS FLOAT8) AS score \
         FROM best b JOIN passages p ON p.id = b.passage_id \
         JOIN documents d ON d.id = p.document_id \
         ORDER BY b.score DESC, b.passage_id"
    )
}

/// The question's terms that the site holds, as `[[term, weight, rare], …]`
/// JSON: the weight is the term's IDF times how often the question holds
/// it, and rare terms (rarest first while together in at most
/// TERM_BUDGET passages; always the rarest) choose the candidates.
/// `stats` is (term, document frequency), rarest first; `n` the passages.
fn weighted_terms(stats: &[(String, i64)], terms: &[String], n: f64) -> String {
    let mut reach = 0;
    let rows: Vec<(&str, f64, bool)> = stats
        .iter()
        .enumerate()
        .map(|(i, (term, df))| {
            reach += df;
            let df = *df as f64;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            let w = terms.iter().filter(|t| *t == term).count() as f64;
            (term.as_str(), w * idf, i == 0 || reach <= TERM_BUDGET)
        })
        .collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into())
}

/// A passage's postings as SQLite stores them: `[[term, heading count,
/// body count], …]`, a JSON array that one INSERT … json_each reads
/// (Postgres's triggers count them from the tsvector instead).
fn postings_json(index: &PassageIndex) -> String {
    let mut counts: std::collections::BTreeMap<&str, (u32, u32)> = Default::default();
    for term in index.heading.split_whitespace() {
        counts.entry(term).or_default().0 += 1;
    }
    for term in index.body.split_whitespace() {
        counts.entry(term).or_default().1 += 1;
    }
    let rows: Vec<(&str, u32, u32)> = counts.into_iter().map(|(t, (h, b))| (t, h, b)).collect();
    serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into())
}

/// Writes a SQLite passage's postings (its old ones must be gone).
async fn insert_postings(
    conn: &mut sqlx::SqliteConnection,
    site_id: &str,
    passage_id: i64,
    index: &PassageIndex,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO knowledge_postings (site_id, term, passage_id, heading_tf, body_tf, tokens) \
         SELECT $1, value ->> 0, $2, value ->> 1, value ->> 2, $3 FROM json_each($4)",
    )
    .bind(site_id)
    .bind(passage_id)
    .bind(index.tokens())
    .bind(postings_json(index))
    .execute(conn)
    .await?;
    Ok(())
}

/// A passage indexed by an older analysis, to index again.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StalePassage {
    pub id: i64,
    pub language: String,
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
    /// `indexing`, `ready` or `failed`.
    pub state: String,
    /// Why it failed.
    pub error: Option<String>,
    pub source: String,
    pub source_id: Option<String>,
    /// Searched (the owner may turn a document off).
    pub enabled: bool,
    /// Bytes of its text.
    pub size: i64,
    pub content_hash: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(super) struct DocumentRow {
    id: String,
    site_id: String,
    title: String,
    url: Option<String>,
    language: String,
    format: String,
    passage_count: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    state: String,
    error: Option<String>,
    source: String,
    source_id: Option<String>,
    enabled: bool,
    size: i64,
    content_hash: Option<String>,
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
            state: r.state,
            error: r.error,
            source: r.source,
            source_id: r.source_id,
            enabled: r.enabled,
            size: r.size,
            content_hash: r.content_hash,
        }
    }
}

/// A passage found by a search, with its document's title and url.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PassageHit {
    /// The passage's own id (fusing rankings that found it apart).
    pub passage_id: i64,
    pub document_id: String,
    pub title: String,
    pub url: Option<String>,
    /// The document's language (its passages were analysed in it).
    pub language: String,
    pub heading: String,
    pub body: String,
    /// BM25 relevance (from the postings, see `search_passages`); with
    /// embeddings, the reciprocal rank fusion score
    /// (`knowledge::embed::fuse`); higher is better.
    pub score: f64,
    /// With embeddings: the passage's cosine similarity to the question,
    /// when the vector ranking found it (set by `fuse`, not read from SQL).
    #[sqlx(skip)]
    pub similarity: Option<f32>,
}

pub(super) const DOCUMENT_COLUMNS: &str =
    "id, site_id, title, url, language, format, passage_count, created_at, updated_at, \
     state, error, source, source_id, enabled, size, content_hash";

/// BM25's term-frequency saturation and length normalisation.
const K1: f64 = 1.2;
const B: f64 = 0.75;
/// How much more a term in the heading (title and section path) counts
/// than one in the body, on both backends.
pub const HEADING_WEIGHT: f64 = 2.5;
/// Passages ranked by BM25 over every term, out of those holding the rarer
/// terms (the best by those terms' BM25).
const SEARCH_CANDIDATES: i64 = 400;
/// How many passages the rarer terms that choose the candidates may be in
/// together (a term's document frequency, summed rarest first): the bound
/// on the postings a search reads, past its rarest term's.
const TERM_BUDGET: i64 = 2_000;

/// A `tsvector` literal of analysed terms: heading terms weighted A, body
/// terms B, positions counted across both (Postgres keeps at most 256
/// positions per lexeme and none past 16,383). Terms are letters and digits
/// only, so quoting them is enough.
fn tsvector_literal(index: &PassageIndex) -> String {
    let mut positions: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    let heading = index.heading.split_whitespace().map(|t| (t, 'A'));
    let body = index.body.split_whitespace().map(|t| (t, 'B'));
    for (i, (term, weight)) in heading.chain(body).enumerate() {
        let at = positions.entry(term).or_default();
        if at.len() < 256 && i < 16_383 {
            at.push(format!("{}{weight}", i + 1));
        } else if at.is_empty() {
            at.push(format!("16383{weight}"));
        }
    }
    let mut out = String::new();
    for (term, at) in positions {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&format!("'{}':{}", term.replace('\'', "''"), at.join(",")));
    }
    out
}

impl Db {
    /// Stores a document and its passages in one transaction, each passage
    /// indexed by `index` (the same length as `passages`) made by the
    /// analysis named `config`. A document of the same site with the same
    /// url is replaced; its id is returned.
    pub async fn put_document(
        &self,
        doc: &NewDocument,
        passages: &[NewPassage],
        index: &[PassageIndex],
        config: &str,
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
             passage_count, created_at, updated_at, state, source, source_id, size, content_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, 'ready', $10, $11, $12, $13) \
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
            .bind(&doc.source)
            .bind(&doc.source_id)
            .bind(doc.body.len() as i64)
            .bind(content_hash(&doc.body))
            .fetch_one(c)
            .await)?;
        let record = DocumentRecord::from(row);
        insert_passages(&mut tx, &record, passages, index, config).await?;
        tx.commit().await?;
        self.indexed.notify_one();
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
    /// passages go with it (cascade), and their postings (triggers).
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

    /// Passages matching any of `terms` (analysed, distinct), best first
    /// by BM25 with headings weighing [`HEADING_WEIGHT`] times the body.
    pub async fn search_passages(
        &self,
        site_id: &str,
        terms: &[String],
        limit: i64,
    ) -> Result<Vec<PassageHit>> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let hits = match self.pool() {
            // SQLite here has no LN(), so each term's IDF and whether it is
            // rare are worked out first (`weighted_terms`, the rule the
            // Postgres CTE below writes in SQL) and passed in as JSON.
            PoolRef::Sqlite { read, .. } => {
                let mut conn = read.acquire().await?;
                let words = serde_json::to_string(terms).unwrap_or_else(|_| "[]".into());
                let stats: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT term, df FROM knowledge_terms WHERE site_id = $1 \
                     AND term IN (SELECT value FROM json_each($2)) ORDER BY df, term",
                )
                .bind(site_id)
                .bind(&words)
                .fetch_all(&mut *conn)
                .await?;
                let size: Option<(i64, i64)> = sqlx::query_as(
                    "SELECT passages, tokens FROM knowledge_sizes WHERE site_id = $1",
                )
                .bind(site_id)
                .fetch_optional(&mut *conn)
                .await?;
                let Some((n, tokens)) = size.filter(|_| !stats.is_empty()) else {
                    return Ok(Vec::new());
                };
                let avgdl = (tokens as f64 / n.max(1) as f64).max(1.0);
                let q = weighted_terms(&stats, terms, n as f64);
                let sql = ranking_sql(
                    "q AS (SELECT value ->> 0 AS term, value ->> 1 AS idf, value ->> 2 AS rare \
                     FROM json_each($2)), s AS (SELECT CAST($4 AS REAL) AS avgdl)",
                    "q.idf",
                );
                sqlx::query_as(&sql)
                    .bind(site_id)
                    .bind(q)
                    .bind(limit)
                    .bind(avgdl)
                    .fetch_all(&mut *conn)
                    .await?
            }
            // Each term's document frequency and the site's size come from
            // the statistics (0015), the postings from 0016: no passage is
            // read until the best are known. Rare terms: the rarest first,
            // while together they are in at most TERM_BUDGET passages, and
            // always the rarest one. A term the question repeats counts as
            // often (a follow-up's own terms weigh double).
            PoolRef::Postgres(p) => {
                let sql = ranking_sql(
                    &format!(
                        "q AS MATERIALIZED (SELECT t.term, CAST(t.df AS FLOAT8) AS df, w.n AS w, \
                         (SUM(t.df) OVER (ORDER BY t.df, t.term) <= {TERM_BUDGET} \
                         OR ROW_NUMBER() OVER (ORDER BY t.df, t.term) = 1) AS rare \
                         FROM (SELECT term, COUNT(*) AS n FROM unnest(CAST($2 AS TEXT[])) AS term \
                         GROUP BY term) w JOIN knowledge_terms t ON t.site_id = $1 AND t.term = w.term), \
                         s AS MATERIALIZED (SELECT CAST(passages AS FLOAT8) AS n, \
                         GREATEST(CAST(tokens AS FLOAT8) / GREATEST(passages, 1), 1) AS avgdl \
                         FROM knowledge_sizes WHERE site_id = $1)"
                    ),
                    "q.w * LN(1 + (s.n - q.df + 0.5) / (q.df + 0.5))",
                );
                sqlx::query_as(&sql)
                    .bind(site_id)
                    .bind(terms)
                    .bind(limit)
                    .fetch_all(p)
                    .await?
            }
        };
        Ok(hits)
    }

    /// Up to `limit` passages not indexed by the analysis `version` (their
    /// `config` does not start with `version:`), with their document's
    /// language.
    pub async fn stale_passages(&self, version: &str, limit: i64) -> Result<Vec<StalePassage>> {
        let rows: Vec<StalePassage> = read!(self, p => sqlx::query_as(
            "SELECT p.id, d.language, p.heading, p.body FROM passages p \
             JOIN documents d ON d.id = p.document_id \
             WHERE p.config NOT LIKE $1 ORDER BY p.id LIMIT $2",
        )
        .bind(format!("{version}:%"))
        .bind(limit)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// Replaces the index of existing passages: `(id, index, config)`.
    pub async fn reindex_passages(&self, items: &[(i64, PassageIndex, String)]) -> Result<()> {
        let mut tx = self.begin().await?;
        for (id, index, config) in items {
            match &mut tx {
                Tx::Sqlite(t) => {
                    sqlx::query("DELETE FROM knowledge_postings WHERE passage_id = $1")
                        .bind(id)
                        .execute(&mut **t)
                        .await?;
                    let (site_id,): (String,) = sqlx::query_as(
                        "UPDATE passages SET config = $2, tokens = $3 WHERE id = $1 RETURNING site_id",
                    )
                    .bind(id)
                    .bind(config)
                    .bind(index.tokens())
                    .fetch_one(&mut **t)
                    .await?;
                    insert_postings(t, &site_id, *id, index).await?;
                }
                Tx::Postgres(t) => {
                    sqlx::query(
                        "UPDATE passages SET config = $2, tokens = $3, tsv = CAST($4 AS tsvector) \
                         WHERE id = $1",
                    )
                    .bind(id)
                    .bind(config)
                    .bind(index.tokens())
                    .bind(tsvector_literal(index))
                    .execute(&mut **t)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        self.indexed.notify_one();
        Ok(())
    }
}

/// Inserts a document's passages and their index entries. On Postgres in
/// one statement, so the term statistics trigger (migration 0015) counts
/// each of the document's terms once, not once per passage.
async fn insert_passages(
    tx: &mut Tx,
    doc: &DocumentRecord,
    passages: &[NewPassage],
    index: &[PassageIndex],
    config: &str,
) -> Result<()> {
    match tx {
        Tx::Sqlite(t) => {
            for (i, (p, ix)) in passages.iter().zip(index).enumerate() {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO passages (document_id, site_id, position, heading, body, config, \
                     tokens) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(&doc.id)
                .bind(&doc.site_id)
                .bind(i as i32)
                .bind(&p.heading)
                .bind(&p.body)
                .bind(config)
                .bind(ix.tokens())
                .fetch_one(&mut **t)
                .await?;
                insert_postings(t, &doc.site_id, id, ix).await?;
            }
        }
        Tx::Postgres(t) => {
            let headings: Vec<&str> = passages.iter().map(|p| p.heading.as_str()).collect();
            let bodies: Vec<&str> = passages.iter().map(|p| p.body.as_str()).collect();
            let tokens: Vec<i32> = index.iter().map(PassageIndex::tokens).collect();
            let vectors: Vec<String> = index.iter().map(tsvector_literal).collect();
            sqlx::query(
                "INSERT INTO passages (document_id, site_id, position, heading, body, config, \
                 tokens, tsv) \
                 SELECT $1, $2, CAST(x.n AS INTEGER) - 1, x.h, x.b, $3, x.t, CAST(x.v AS tsvector) \
                 FROM unnest(CAST($4 AS TEXT[]), CAST($5 AS TEXT[]), CAST($6 AS INTEGER[]), \
                 CAST($7 AS TEXT[])) WITH ORDINALITY AS x(h, b, t, v, n) ORDER BY x.n",
            )
            .bind(&doc.id)
            .bind(&doc.site_id)
            .bind(config)
            .bind(&headings)
            .bind(&bodies)
            .bind(&tokens)
            .bind(&vectors)
            .execute(&mut **t)
            .await?;
        }
    }
    Ok(())
}
