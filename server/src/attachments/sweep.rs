//! Deleting files whose conversation went (deleted, erased, past its
//! retention) or that were uploaded and never sent: their rows are marked
//! first ([`crate::db`] explains how), then each marked row's files are
//! deleted from the store, then the row. A failure leaves the row marked,
//! and the next round tries again; nothing marked can be sent or served.

use chrono::{DateTime, Utc};

use super::Attachments;
use crate::db::Db;

/// Uploads not sent with a message within this time are removed.
pub const UNSENT_KEPT: chrono::Duration = chrono::Duration::days(1);

/// Rows per statement, and marked rows handled per round at most.
const BATCH: i64 = 200;
const MAX_ROUNDS: usize = 100;

impl Attachments {
    /// The housekeeping job's part: marks uploads unsent since a day,
    /// deletes every marked row's files, and updates the stored-bytes gauge.
    pub async fn housekeeping(&self, db: &Db, now: DateTime<Utc>) {
        crate::prune::drain("unsent_attachments", || {
            db.mark_unsent_attachments(now - UNSENT_KEPT, BATCH)
        })
        .await;
        self.sweep(db).await;
        if let Ok(total) = db.attachment_bytes().await {
            crate::stats::attachment_bytes(total);
        }
    }

    /// Deletes the files of marked rows, then the rows; how many went.
    pub async fn sweep(&self, db: &Db) -> u64 {
        let mut gone = 0;
        for _ in 0..MAX_ROUNDS {
            let doomed = match db.doomed_attachments(BATCH).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e, "attachments: could not read what to delete");
                    return gone;
                }
            };
            let batch = doomed.len();
            for d in doomed {
                let keys = std::iter::once(&d.object_key).chain(d.thumbnail_key.as_ref());
                for key in keys {
                    if let Err(e) = self.store.delete(key).await {
                        // The row stays marked; the next round tries again.
                        tracing::warn!(error = %e, "attachments: a file could not be deleted");
                        return gone;
                    }
                }
                if let Err(e) = db.forget_attachment(&d.id).await {
                    tracing::warn!(error = %e, "attachments: a deleted file's row stayed");
                    return gone;
                }
                gone += 1;
            }
            crate::stats::pruned("attachments", batch as u64);
            if (batch as i64) < BATCH {
                break;
            }
        }
        gone
    }
}
