//! Passage vectors for hybrid retrieval (`knowledge::embed`): one per
//! passage, tagged with the model that made it. The same SQL on both
//! backends; the vector is little-endian f32 bytes (SQLite BLOB, Postgres
//! bytea). Rows go with their passage (foreign key, `ON DELETE CASCADE`).

use super::{Db, PassageHit, Result, read, tx};

/// A passage still to embed with the current model.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnembeddedPassage {
    pub id: i64,
    pub site_id: String,
    pub heading: String,
    pub body: String,
}

/// One stored vector, as read for a site's search matrix.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredVector {
    pub passage_id: i64,
    pub dims: i32,
    pub vector: Vec<u8>,
}

/// Little-endian f32 bytes of `v`.
pub fn vector_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The f32s of little-endian `bytes` (a trailing partial value is dropped).
pub fn vector_from_bytes(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

impl Db {
    /// Up to `limit` passages (any site) with no vector from `model` and
    /// an id above `after`, oldest first, so successive calls walk the
    /// backlog in order (and past a passage the provider refuses).
    pub async fn unembedded_passages(
        &self,
        model: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<UnembeddedPassage>> {
        let rows: Vec<UnembeddedPassage> = read!(self, p => sqlx::query_as(
            "SELECT p.id, p.site_id, p.heading, p.body FROM passages p \
             LEFT JOIN passage_vectors v ON v.passage_id = p.id AND v.model = $1 \
             WHERE v.passage_id IS NULL AND p.id > $2 ORDER BY p.id LIMIT $3",
        )
        .bind(model)
        .bind(after)
        .bind(limit)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// How many passages (any site) have no vector from `model`.
    pub async fn unembedded_count(&self, model: &str) -> Result<i64> {
        let (n,): (i64,) = read!(self, p => sqlx::query_as(
            "SELECT COUNT(*) FROM passages p \
             LEFT JOIN passage_vectors v ON v.passage_id = p.id AND v.model = $1 \
             WHERE v.passage_id IS NULL",
        )
        .bind(model)
        .fetch_one(p)
        .await)?;
        Ok(n)
    }

    /// Stores `(passage id, vector)` pairs made by `model`, replacing a
    /// passage's vector from any other model. A passage deleted since it
    /// was read is skipped (the row is inserted from the passage itself).
    pub async fn put_vectors(&self, model: &str, items: &[(i64, Vec<f32>)]) -> Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        for (id, v) in items {
            tx!(&mut tx, c => sqlx::query(
                "INSERT INTO passage_vectors (passage_id, site_id, model, dims, vector) \
                 SELECT id, site_id, $2, $3, $4 FROM passages WHERE id = $1 \
                 ON CONFLICT (passage_id) DO UPDATE SET model = excluded.model, \
                 dims = excluded.dims, vector = excluded.vector",
            )
            .bind(id)
            .bind(model)
            .bind(v.len() as i32)
            .bind(vector_bytes(v))
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// What identifies the current state of a site's vectors from `model`:
    /// (count, highest passage id). Passage ids only grow, so any insert
    /// raises the second and any delete lowers the first (a replaced
    /// document does both); a cache keyed by it is never stale.
    pub async fn vector_stamp(&self, site_id: &str, model: &str) -> Result<(i64, i64)> {
        let stamp: (i64, i64) = read!(self, p => sqlx::query_as(
            "SELECT COUNT(*), COALESCE(MAX(passage_id), 0) FROM passage_vectors \
             WHERE site_id = $1 AND model = $2",
        )
        .bind(site_id)
        .bind(model)
        .fetch_one(p)
        .await)?;
        Ok(stamp)
    }

    /// Every vector of a site from `model`.
    pub async fn site_vectors(&self, site_id: &str, model: &str) -> Result<Vec<StoredVector>> {
        let rows: Vec<StoredVector> = read!(self, p => sqlx::query_as(
            "SELECT passage_id, dims, vector FROM passage_vectors \
             WHERE site_id = $1 AND model = $2 ORDER BY passage_id",
        )
        .bind(site_id)
        .bind(model)
        .fetch_all(p)
        .await)?;
        Ok(rows)
    }

    /// How many vectors a site has, whatever their model (tests, diagnostics).
    pub async fn site_vector_count(&self, site_id: &str) -> Result<i64> {
        let (n,): (i64,) = read!(self, p => sqlx::query_as(
            "SELECT COUNT(*) FROM passage_vectors WHERE site_id = $1",
        )
        .bind(site_id)
        .fetch_one(p)
        .await)?;
        Ok(n)
    }

    /// The searchable passages of a site among `ids` (disabled passages and
    /// documents left out), in no particular order; `score` is 0.
    pub async fn passages_by_id(&self, site_id: &str, ids: &[i64]) -> Result<Vec<PassageHit>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // A list of integers is safe to inline, and spares the two backends'
        // different array binds.
        let list = ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "SELECT p.id AS passage_id, p.document_id, d.title, d.url, d.language, p.heading, \
             p.body, CAST(0 AS FLOAT8) AS score FROM passages p \
             JOIN documents d ON d.id = p.document_id \
             WHERE p.site_id = $1 AND p.id IN ({list}) AND p.enabled AND d.enabled"
        );
        let rows: Vec<PassageHit> = read!(self, p => sqlx::query_as(&sql)
            .bind(site_id)
            .fetch_all(p)
            .await)?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_round_trip_as_little_endian() {
        let v = vec![1.0f32, -0.5, 3.25e-7];
        let b = vector_bytes(&v);
        assert_eq!(b.len(), 12);
        assert_eq!(&b[..4], &1.0f32.to_le_bytes());
        assert_eq!(vector_from_bytes(&b), v);
    }
}
