//! Hybrid retrieval, when `LANTERN_EMBEDDINGS_URL` names an
//! OpenAI-compatible embeddings server: passages are embedded in the
//! background after import ([`worker`]), a search embeds its question (one
//! call, short timeout), ranks the site's passages by exact cosine
//! ([`matrix`]) and fuses that ranking with the full-text one by reciprocal
//! rank fusion ([`fuse`]). Any provider failure leaves the full-text
//! ranking as it is: embeddings can only add to an answer, never fail it.
//! Without the setting none of this runs and search is full text only.

pub mod client;
pub mod matrix;
pub mod worker;

use std::collections::HashMap;

use tokio::sync::Notify;

pub use client::{EmbedClient, EmbedError};

use crate::{db::Db, db::PassageHit, settings::EmbeddingConfig};

/// Reciprocal rank fusion's constant (Cormack et al. 2009): a passage at
/// rank r of a ranking adds 1 / (K + r).
pub const RRF_K: f64 = 60.0;

pub struct Embeddings {
    client: EmbedClient,
    matrices: matrix::MatrixCache,
    /// Woken when passages were stored, so the worker embeds them.
    pending: Notify,
}

impl Embeddings {
    pub fn new(config: EmbeddingConfig) -> anyhow::Result<Self> {
        Ok(Embeddings {
            client: EmbedClient::new(config)?,
            matrices: Default::default(),
            pending: Notify::new(),
        })
    }

    pub fn model(&self) -> &str {
        &self.client.config().model
    }

    pub fn client(&self) -> &EmbedClient {
        &self.client
    }

    /// Tells the worker that passages wait for vectors.
    pub fn wake(&self) {
        // A permit is stored when the worker is busy: it looks again.
        self.pending.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.pending.notified().await;
    }

    /// The site's passages nearest to `text`, best first, at most `k`;
    /// `None` when the question could not be embedded or the vectors not
    /// read (counted and logged; the caller ranks by full text alone).
    pub async fn nearest(&self, db: &Db, site_id: &str, text: &str, k: usize) -> Option<Vec<(i64, f32)>> {
        let timeout = self.client.config().query_timeout;
        let vector = match self.client.embed(&[text.to_string()], timeout).await {
            Ok(mut v) => v.pop()?,
            Err(e) => {
                crate::stats::embeddings_error(e.kind());
                tracing::warn!(error = %e, kind = e.kind(), "question not embedded; full-text ranking only");
                return None;
            }
        };
        match self.matrices.get(db, site_id, self.model()).await {
            Ok(m) => Some(m.nearest(&vector, k)),
            Err(e) => {
                tracing::error!(error = %e, "passage vectors not read; full-text ranking only");
                None
            }
        }
    }
}

/// Reciprocal rank fusion of the full-text hits (best first) and the
/// vector ranking `nearest` (passage ids, best first), `found` holding the
/// hits of passages only the vector ranking had. Each hit's `score`
/// becomes its fused score; the best `limit` come back, best first (ties:
/// the full-text order, then the vector order).
pub fn fuse(
    text_hits: Vec<PassageHit>,
    nearest: &[(i64, f32)],
    found: Vec<PassageHit>,
    limit: usize,
) -> Vec<PassageHit> {
    let mut scores: HashMap<i64, f64> = HashMap::new();
    for (rank, h) in text_hits.iter().enumerate() {
        *scores.entry(h.passage_id).or_default() += 1.0 / (RRF_K + rank as f64 + 1.0);
    }
    for (rank, (id, _)) in nearest.iter().enumerate() {
        *scores.entry(*id).or_default() += 1.0 / (RRF_K + rank as f64 + 1.0);
    }
    let mut hits = text_hits;
    let mut by_id: HashMap<i64, PassageHit> = found.into_iter().map(|h| (h.passage_id, h)).collect();
    // Vector-only passages join in vector order; a disabled one (absent
    // from `found`) is dropped.
    for (id, _) in nearest {
        if !hits.iter().any(|h| h.passage_id == *id)
            && let Some(h) = by_id.remove(id)
        {
            hits.push(h);
        }
    }
    for h in &mut hits {
        h.score = scores.get(&h.passage_id).copied().unwrap_or_default();
        h.similarity = nearest
            .iter()
            .find(|(id, _)| *id == h.passage_id)
            .map(|(_, cos)| *cos);
    }
    // Stable: equal scores keep the order above.
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    hits.truncate(limit);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(id: i64) -> PassageHit {
        PassageHit {
            passage_id: id,
            document_id: format!("d{id}"),
            title: String::new(),
            url: None,
            language: "en".into(),
            heading: String::new(),
            body: String::new(),
            score: 9.0,
            similarity: None,
        }
    }

    #[test]
    fn fusion_rewards_agreement_and_admits_vector_only_passages() {
        let text = vec![hit(1), hit(2), hit(3)];
        let nearest = [(3, 0.9), (4, 0.8), (5, 0.1)];
        let fused = fuse(text, &nearest, vec![hit(4)], 10);
        let ids: Vec<i64> = fused.iter().map(|h| h.passage_id).collect();
        // 3: 1/63 + 1/61; 1: 1/61; 4: 1/62; 2: 1/62; 5 is not searchable.
        assert_eq!(ids, [3, 1, 2, 4]);
        assert!((fused[0].score - (1.0 / 63.0 + 1.0 / 61.0)).abs() < 1e-12);
        // The similarity goes with each passage the vectors found.
        let sims: Vec<Option<f32>> = fused.iter().map(|h| h.similarity).collect();
        assert_eq!(sims, [Some(0.9), None, None, Some(0.8)]);
        assert_eq!(fuse(vec![hit(1), hit(2)], &[], vec![], 1).len(), 1);
    }
}
