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
use crate::{
    db::{Db, UnembeddedPassage},
    kvcache::KvCache,
};

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
///
/// A batch the provider refuses as a request (a 4xx other than 429: an
/// input too long for its context, say) is sent again one passage at a
/// time, and a passage refused alone is skipped until the next pass, so
/// one bad passage cannot hold up the rest. Any other failure ends the pass.
pub async fn embed_missing(
    db: &Db,
    embeddings: &Embeddings,
    mut progress: impl FnMut(usize, &BTreeSet<String>),
) -> Result<usize, PassError> {
    let config = embeddings.client().config();
    let (mut done, mut after) = (0, 0);
    loop {
        let batch = db
            .unembedded_passages(embeddings.model(), after, config.batch_size as i64)
            .await?;
        let Some(last) = batch.last() else {
            return Ok(done);
        };
        after = last.id;
        let texts: Vec<String> = batch
            .iter()
            .map(|p| format!("{}\n\n{}", p.heading, p.body))
            .collect();
        let items: Vec<(i64, Vec<f32>)> = match embeddings
            .client()
            .embed(&texts, config.batch_timeout)
            .await
        {
            Ok(vectors) => batch.iter().map(|p| p.id).zip(vectors).collect(),
            Err(e) if e.kind() == "client_error" => {
                crate::stats::embeddings_error(e.kind());
                one_by_one(embeddings, &batch, &texts).await?
            }
            Err(e) => return Err(e.into()),
        };
        db.put_vectors(embeddings.model(), &items).await?;
        done += items.len();
        let sites: BTreeSet<String> = batch
            .into_iter()
            .filter(|p| items.iter().any(|(id, _)| *id == p.id))
            .map(|p| p.site_id)
            .collect();
        progress(done, &sites);
    }
}

/// The vectors of `batch` asked for one passage at a time; passages the
/// provider refuses as a request are logged and left out.
async fn one_by_one(
    embeddings: &Embeddings,
    batch: &[UnembeddedPassage],
    texts: &[String],
) -> Result<Vec<(i64, Vec<f32>)>, PassError> {
    let within = embeddings.client().config().batch_timeout;
    let mut out = Vec::new();
    for (p, text) in batch.iter().zip(texts) {
        match embeddings.client().embed(std::slice::from_ref(text), within).await {
            Ok(mut v) => out.extend(v.pop().map(|v| (p.id, v))),
            Err(e) if e.kind() == "client_error" => {
                crate::stats::embeddings_error(e.kind());
                tracing::warn!(passage_id = p.id, error = %e, "the provider refuses this passage; skipped until the next pass");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
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
