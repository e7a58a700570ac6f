//! Exact cosine search over one site's passage vectors, kept in memory per
//! site. A cached matrix is used while the site's vector stamp (count and
//! highest passage id, one indexed query) is unchanged, so imports and
//! deletions on any instance retire it without a message between them.

use std::{collections::HashMap, sync::Arc};

use tokio::sync::Mutex;

use crate::db::{Db, vector_from_bytes};

/// A site's unit-length vectors, row after row.
pub struct Matrix {
    stamp: (i64, i64),
    dims: usize,
    ids: Vec<i64>,
    rows: Vec<f32>,
}

impl Matrix {
    /// Builds the matrix of `(passage id, vector)`; vectors of another
    /// length than the first (a provider that changed under one model
    /// name) and zero vectors are left out.
    pub fn new(stamp: (i64, i64), vectors: impl IntoIterator<Item = (i64, Vec<f32>)>) -> Matrix {
        let mut m = Matrix {
            stamp,
            dims: 0,
            ids: Vec::new(),
            rows: Vec::new(),
        };
        for (id, mut v) in vectors {
            if m.dims == 0 {
                m.dims = v.len();
            }
            if v.len() != m.dims || !normalise(&mut v) {
                continue;
            }
            m.ids.push(id);
            m.rows.extend_from_slice(&v);
        }
        m
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The `k` passages most similar to `query` (cosine above 0: an
    /// orthogonal or opposite vector says nothing about relevance), best
    /// first.
    pub fn nearest(&self, query: &[f32], k: usize) -> Vec<(i64, f32)> {
        let mut q = query.to_vec();
        if q.len() != self.dims || !normalise(&mut q) || k == 0 {
            return Vec::new();
        }
        let mut scored: Vec<(i64, f32)> = self
            .rows
            .chunks_exact(self.dims)
            .zip(&self.ids)
            .map(|(row, id)| (*id, row.iter().zip(&q).map(|(a, b)| a * b).sum::<f32>()))
            .filter(|(_, s)| *s > 0.0)
            .collect();
        let by_score = |a: &(i64, f32), b: &(i64, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if scored.len() > k {
            scored.select_nth_unstable_by(k - 1, by_score);
            scored.truncate(k);
        }
        scored.sort_by(by_score);
        scored
    }
}

/// Scales `v` to unit length; false for a zero (or not finite) vector.
fn normalise(v: &mut [f32]) -> bool {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if !norm.is_finite() || norm == 0.0 {
        return false;
    }
    v.iter_mut().for_each(|x| *x /= norm);
    true
}

/// Sites whose matrices are kept; past it the cache starts over (a server
/// of many small sites reloads now and then rather than growing).
const MAX_SITES: usize = 256;

/// The matrices of the sites searched lately, for one model.
#[derive(Default)]
pub struct MatrixCache {
    sites: Mutex<HashMap<String, Arc<Matrix>>>,
}

impl MatrixCache {
    /// The site's matrix for `model`: the cached one when its stamp still
    /// holds, else loaded from the database.
    pub async fn get(&self, db: &Db, site_id: &str, model: &str) -> crate::db::Result<Arc<Matrix>> {
        let stamp = db.vector_stamp(site_id, model).await?;
        if let Some(m) = self.sites.lock().await.get(site_id)
            && m.stamp == stamp
        {
            return Ok(m.clone());
        }
        // Loaded outside the lock: one site's load does not hold up others'
        // searches (two concurrent loads of one site both succeed).
        let rows = db.site_vectors(site_id, model).await?;
        let matrix = Arc::new(Matrix::new(
            stamp,
            rows.into_iter()
                .filter(|r| r.dims > 0)
                .map(|r| (r.passage_id, vector_from_bytes(&r.vector))),
        ));
        let mut sites = self.sites.lock().await;
        if sites.len() >= MAX_SITES && !sites.contains_key(site_id) {
            sites.clear();
        }
        sites.insert(site_id.to_string(), matrix.clone());
        Ok(matrix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_is_by_cosine_and_skips_unrelated() {
        let m = Matrix::new(
            (3, 3),
            [
                (1, vec![1.0, 0.0, 0.0]),
                (2, vec![10.0, 10.0, 0.0]),
                (3, vec![0.0, 0.0, 5.0]),
                (4, vec![0.0, 0.0]),
            ],
        );
        assert_eq!(m.len(), 3, "the short vector is left out");
        let ids: Vec<i64> = m.nearest(&[2.0, 0.1, 0.0], 5).iter().map(|h| h.0).collect();
        assert_eq!(ids, [1, 2], "3 is orthogonal");
        assert_eq!(m.nearest(&[0.0, 1.0, 0.0], 1)[0].0, 2);
        assert!(m.nearest(&[1.0, 0.0], 3).is_empty(), "other dimensions");
    }
}
