//! Embedding the passages that have no vector from the current model, in
//! batches, oldest first. The database is the queue: what is missing is
//! whatever has no row for this model, so a restart (or `lantern kb
//! import`) picks up where the last run stopped, and a new model name
//! re-embeds everything. The server runs it in the background, woken by
//! each stored document; a failing provider is retried with a growing
//! pause, and searches meanwhile rank by full text.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use tokio::sync::watch;

use super::{EmbedError, Embeddings};
use crate::{db::Db, kvcache::KvCache};

/// First pause after a failed batch; doubled up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_secs(5);
const MAX_PAUSE: Duration = Duration::from_secs(300);
/// A look for missing vectors even when nothing woke the worker (documents
/// stored by another instance without embeddings, or by an older version).
const IDLE_LOOK: Duration = Duration::from_secs(600);

/// Why a pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error("embeddings provider: {0}")]
    Provider(#[from] EmbedError),
    #[error("database: {0}")]
    Db(#[from] crate::db::Error),
}

/// Embeds every passage missing a vector from the model, batch after
/// batch; `progress` hears the passages done so far and the sites each
/// batch touched. Returns how many were embedded.
pub async fn embed_missing(
    db: &Db,
    embeddings: &Embeddings,
    mut progress: impl FnMut(usize, &BTreeSet<String>),
) -> Result<usize, PassError> {
    let config = embeddings.client().config();
    let mut done = 0;
    loop {
        let batch = db
            .unembedded_passages(embeddings.model(), config.batch_size as i64)
            .await?;
        if batch.is_empty() {
            return Ok(done);
        }
        let texts: Vec<String> = batch
            .iter()
            .map(|p| format!("{}\n\n{}", p.heading, p.body))
            .collect();
        let vectors = embeddings
            .client()
            .embed(&texts, config.batch_timeout)
            .await?;
        let items: Vec<(i64, Vec<f32>)> = batch.iter().map(|p| p.id).zip(vectors).collect();
        db.put_vectors(embeddings.model(), &items).await?;
        done += items.len();
        let sites: BTreeSet<String> = batch.into_iter().map(|p| p.site_id).collect();
        progress(done, &sites);
    }
}

/// Runs [`embed_missing`] whenever passages are stored, at start-up and
/// every [`IDLE_LOOK`], until `closing` turns true. Each batch moves the
/// touched sites' knowledge generation on, so cached searches from before
/// their vectors existed are not served.
pub fn spawn(db: Db, embeddings: Arc<Embeddings>, cache: KvCache, mut closing: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut pause = FIRST_PAUSE;
        loop {
            let mut touched = BTreeSet::new();
            let outcome = embed_missing(&db, &embeddings, |_, sites| {
                touched.extend(sites.iter().cloned());
            })
            .await;
            for site in &touched {
                cache.bump(&format!("kb:{site}")).await;
            }
            let wait = match outcome {
                Ok(n) => {
                    if n > 0 {
                        tracing::info!(passages = n, model = embeddings.model(), "passages embedded");
                    }
                    pause = FIRST_PAUSE;
                    IDLE_LOOK
                }
                Err(e) => {
                    if let PassError::Provider(p) = &e {
                        crate::stats::embeddings_error(p.kind());
                    }
                    tracing::warn!(error = %e, retry_in_s = pause.as_secs(), "embedding passages failed");
                    let wait = pause;
                    pause = (pause * 2).min(MAX_PAUSE);
                    wait
                }
            };
            tokio::select! {
                _ = embeddings.woken() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = closing.changed() => return,
            }
        }
    });
}
