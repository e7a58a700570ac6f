//! After imports on Postgres, vacuum and analyse the postings
//! ([`Db::tidy_postings`]) once writes have paused for a moment, so
//! the search is back at its speed seconds after an import instead of
//! whenever autovacuum comes (or never, where it is off).

use std::time::Duration;

use crate::db::Db;

/// How long writes must pause before the tables are tidied: a bulk import
/// writes a document every few milliseconds, and one vacuum after it reads
/// each changed page once.
const QUIET: Duration = Duration::from_secs(2);

/// Runs until `closing` changes; nothing on SQLite.
pub fn spawn(db: Db, mut closing: tokio::sync::watch::Receiver<bool>) {
    if db.backend() != "postgres" {
        return;
    }
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = db.passages_written() => {}
                _ = closing.changed() => return,
            }
            // Wait until QUIET passes with no new write.
            loop {
                tokio::select! {
                    _ = db.passages_written() => continue,
                    _ = tokio::time::sleep(QUIET) => break,
                    _ = closing.changed() => return,
                }
            }
            if let Err(e) = db.tidy_postings().await {
                tracing::warn!(error = %e, "could not vacuum the postings");
            }
        }
    });
}
