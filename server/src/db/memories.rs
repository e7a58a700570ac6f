//! Memories about a visitor: what they told (source `visitor`, or
//! `assistant` when the LLM kept a fact they stated) and the team's notes
//! (source `member`). Full-text searched on both backends: FTS5 over the
//! table on SQLite, a GIN index on `to_tsvector('simple', content)` on
//! Postgres; query terms match as prefixes, so a stem finds its inflections.

use chrono::{DateTime, Utc};

use super::{Db, PoolRef, Result, new_id, read, tx, write};

/// Memories kept per visitor at most: a member adding one more is refused;
/// a fact the assistant keeps pushes out the oldest the assistant kept
/// (members' notes are never pushed out).
pub const MAX_MEMORIES: i64 = 200;

/// A stored memory.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MemoryRow {
    pub id: String,
    pub content: String,
    pub source: String,
    pub author_id: Option<String>,
    pub author_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "m.id, m.content, m.source, m.author_id, m.author_name, m.created_at";

/// An FTS5 query matching any of `terms` as a prefix, each quoted so
/// nothing in it is read as FTS5 syntax.
fn fts5_prefixes(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{}\"*", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// A tsquery matching any of `terms` as a prefix.
fn tsquery_prefixes(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("'{}':*", t.replace('\\', "").replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(" | ")
}

impl Db {
    /// A visitor's memories, newest first (bounded by `limit`).
    pub async fn memories(&self, visitor_id: &str, limit: i64) -> Result<Vec<MemoryRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM visitor_memories m WHERE m.visitor_id = $1 \
             ORDER BY m.created_at DESC, m.id DESC LIMIT $2"
        );
        Ok(read!(self, p => sqlx::query_as(&sql)
            .bind(visitor_id)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }

    /// The visitor's memories matching any of `terms` (analysed words of
    /// a question or search), best match first.
    pub async fn search_memories(
        &self,
        visitor_id: &str,
        terms: &[String],
        limit: i64,
    ) -> Result<Vec<MemoryRow>> {
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        Ok(match self.pool() {
            PoolRef::Sqlite { read, .. } => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM visitor_memories_fts f \
                     JOIN visitor_memories m ON m.num = f.rowid \
                     WHERE visitor_memories_fts MATCH $1 AND m.visitor_id = $2 \
                     ORDER BY bm25(visitor_memories_fts), m.created_at DESC LIMIT $3"
                );
                sqlx::query_as(&sql)
                    .bind(fts5_prefixes(terms))
                    .bind(visitor_id)
                    .bind(limit)
                    .fetch_all(read)
                    .await?
            }
            PoolRef::Postgres(p) => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM visitor_memories m, to_tsquery('simple', $1) q \
                     WHERE m.visitor_id = $2 AND to_tsvector('simple', m.content) @@ q \
                     ORDER BY ts_rank(to_tsvector('simple', m.content), q) DESC, m.created_at DESC \
                     LIMIT $3"
                );
                sqlx::query_as(&sql)
                    .bind(tsquery_prefixes(terms))
                    .bind(visitor_id)
                    .bind(limit)
                    .fetch_all(p)
                    .await?
            }
        })
    }

    pub async fn memory_count(&self, visitor_id: &str) -> Result<i64> {
        let (n,): (i64,) = read!(self, p => sqlx::query_as(
            "SELECT COUNT(*) FROM visitor_memories WHERE visitor_id = $1",
        )
        .bind(visitor_id)
        .fetch_one(p)
        .await)?;
        Ok(n)
    }

    /// Stores a member's note on a visitor (the caller checked the site).
    pub async fn add_member_memory(
        &self,
        visitor_id: &str,
        content: &str,
        author_id: Option<&str>,
        author_name: Option<&str>,
    ) -> Result<MemoryRow> {
        let row = MemoryRow {
            id: new_id(),
            content: content.to_string(),
            source: "member".into(),
            author_id: author_id.map(str::to_string),
            author_name: author_name.map(str::to_string),
            created_at: Utc::now(),
        };
        write!(self, p => sqlx::query(
            "INSERT INTO visitor_memories (id, visitor_id, content, source, author_id, author_name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&row.id)
        .bind(visitor_id)
        .bind(&row.content)
        .bind(&row.source)
        .bind(&row.author_id)
        .bind(&row.author_name)
        .bind(row.created_at)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(row)
    }

    /// Keeps facts the visitor stated (source `assistant`), skipping one
    /// already kept word for word, in one transaction; past
    /// [`MAX_MEMORIES`] the oldest assistant memories make room. The
    /// number saved.
    pub async fn save_assistant_memories(&self, visitor_id: &str, facts: &[String]) -> Result<u64> {
        if facts.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin().await?;
        let mut saved = 0;
        for fact in facts {
            saved += tx!(&mut tx, c => sqlx::query(
                "INSERT INTO visitor_memories (id, visitor_id, content, source, created_at) \
                 SELECT $1, $2, $3, 'assistant', $4 WHERE NOT EXISTS \
                 (SELECT 1 FROM visitor_memories WHERE visitor_id = $2 AND content = $3)",
            )
            .bind(new_id())
            .bind(visitor_id)
            .bind(fact)
            .bind(Utc::now())
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        }
        let (held,): (i64,) = tx!(&mut tx, c => sqlx::query_as(
            "SELECT COUNT(*) FROM visitor_memories WHERE visitor_id = $1",
        )
        .bind(visitor_id)
        .fetch_one(c)
        .await)?;
        if held > MAX_MEMORIES {
            tx!(&mut tx, c => sqlx::query(
                "DELETE FROM visitor_memories WHERE id IN (SELECT id FROM visitor_memories \
                 WHERE visitor_id = $1 AND source = 'assistant' ORDER BY created_at, id LIMIT $2)",
            )
            .bind(visitor_id)
            .bind(held - MAX_MEMORIES)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// Forgets memories of the visitor: those with the ids given, and with
    /// `all_told`, every one the visitor told (members' notes stay). The
    /// number forgotten.
    pub async fn forget_memories(&self, visitor_id: &str, ids: &[String], all_told: bool) -> Result<u64> {
        let mut tx = self.begin().await?;
        let mut gone = 0;
        for id in ids {
            gone += tx!(&mut tx, c => sqlx::query(
                "DELETE FROM visitor_memories WHERE id = $1 AND visitor_id = $2",
            )
            .bind(id)
            .bind(visitor_id)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        }
        if all_told {
            gone += tx!(&mut tx, c => sqlx::query(
                "DELETE FROM visitor_memories WHERE visitor_id = $1 AND source <> 'member'",
            )
            .bind(visitor_id)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(gone)
    }

    /// Deletes one memory of the visitor; false when there was none.
    pub async fn delete_memory(&self, visitor_id: &str, memory_id: &str) -> Result<bool> {
        Ok(self
            .forget_memories(visitor_id, &[memory_id.to_string()], false)
            .await?
            > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_terms_cannot_escape_their_quotes() {
        let terms = vec!["o\"rder".to_string(), "it's".to_string()];
        assert_eq!(fts5_prefixes(&terms), "\"o\"\"rder\"* OR \"it's\"*");
        assert_eq!(tsquery_prefixes(&terms), "'o\"rder':* | 'it''s':*");
    }
}
