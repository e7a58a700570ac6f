//! Deleting files whose conversation went (deleted, erased, past its
//! retention) or that were uploaded and never sent: their rows are marked
//! first ([`crate::db`] explains how), then each marked row's files are
//! deleted from the store, then the row. A failure leaves the row marked,
//! and the next round tries again; nothing marked can be sent or served.
//!
//! A file can also outlive its row's absence: a process that stops between
//! storing an upload and recording it leaves a stray object. Once a day the
//! store is listed and objects older than a day that no row knows go.

use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::Attachments;
use crate::db::Db;

/// Uploads not sent with a message within this time are removed.
pub const UNSENT_KEPT: chrono::Duration = chrono::Duration::days(1);

/// How often one instance lists the store for strays.
const STRAYS_EVERY: chrono::Duration = chrono::Duration::days(1);

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
        if self.strays_due(now) {
            let gone = self.sweep_strays(db, now).await;
            if gone > 0 {
                tracing::info!(gone, "attachments: stray files removed");
            }
        }
        if let Ok(total) = db.attachment_bytes().await {
            crate::stats::attachment_bytes(total);
        }
    }

    /// Whether a day passed since this instance last looked for strays
    /// (listing a large bucket is not free).
    fn strays_due(&self, now: DateTime<Utc>) -> bool {
        let mut last = self.strays_checked.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|at| now - at < STRAYS_EVERY) {
            return false;
        }
        *last = Some(now);
        true
    }

    /// Deletes objects older than [`UNSENT_KEPT`] whose attachment has no
    /// row; how many went. Objects whose key is not one Lantern makes
    /// (`SITE/ID`, `SITE/ID.thumb`) are left alone.
    pub async fn sweep_strays(&self, db: &Db, now: DateTime<Utc>) -> u64 {
        let mut gone = 0;
        let mut listed = self.store.list();
        while let Some(meta) = listed.next().await {
            let meta = match meta {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(error = %e, "attachments: could not list the store");
                    return gone;
                }
            };
            if now - meta.last_modified < UNSENT_KEPT {
                continue;
            }
            let key = meta.location.to_string();
            let Some(id) = attachment_id(&key) else { continue };
            match db.attachment_row_exists(id).await {
                Ok(true) => {}
                Ok(false) => match self.store.delete(&key).await {
                    Ok(()) => gone += 1,
                    Err(e) => tracing::warn!(error = %e, "attachments: a stray file could not be deleted"),
                },
                Err(e) => {
                    tracing::warn!(error = %e, "attachments: could not check a stored file");
                    return gone;
                }
            }
        }
        crate::stats::pruned("stray_attachment_files", gone);
        gone
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

/// The attachment id in a key Lantern made: `SITE/ID` or `SITE/ID.thumb`.
fn attachment_id(key: &str) -> Option<&str> {
    let (site, file) = key.split_once('/')?;
    let id = file.strip_suffix(".thumb").unwrap_or(file);
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    (plain(site) && plain(id)).then_some(id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_keys_lantern_makes_are_read() {
        assert_eq!(super::attachment_id("site_1/abc123"), Some("abc123"));
        assert_eq!(super::attachment_id("site_1/abc123.thumb"), Some("abc123"));
        for foreign in ["abc123", "site/a/b", "site/", "backups/x.tar.gz", "/abc"] {
            assert_eq!(super::attachment_id(foreign), None, "{foreign}");
        }
    }
}
