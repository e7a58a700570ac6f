//! Cache invalidations from processes that do not serve. A server hears of
//! its own changes in memory and of other servers' through Redis
//! ([`crate::cache::relay`]); a `lantern` CLI run (`visitor erase`, `user
//! create`, `secrets rotate`) has neither channel, so it writes its scopes
//! to `cache_announcements` and every server reads new rows every
//! [`POLL`]. Without this, an erased visitor's token kept working on a
//! running server until the cache's TTL ran out.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Db, Result, read, write};
use crate::cache::Scope;

/// How often servers read new announcements.
pub const POLL: Duration = Duration::from_millis(250);

/// Rows kept: a server reads them four times a second, CLI runs are rare.
const KEEP: i64 = 1_000;

impl Db {
    /// This handle announces its invalidations in the database (the CLI's:
    /// set by `startup::open_db`, and undone for the server by
    /// [`Db::listen_for_announcements`]).
    pub fn announce_changes(&self, on: bool) {
        self.cache.announce.store(on, Ordering::SeqCst);
    }

    /// Writes `scopes` for running servers, then waits two of their polls,
    /// so that when a command returns the servers have applied it.
    pub(super) async fn announce(&self, scopes: &[Scope]) {
        if !self.cache.announce.load(Ordering::SeqCst) {
            return;
        }
        match self.write_announcement(scopes).await {
            Ok(()) => tokio::time::sleep(2 * POLL).await,
            Err(e) => tracing::warn!(error = %e,
                "cache invalidation not announced: running servers see the change within their cache TTL"),
        }
    }

    async fn write_announcement(&self, scopes: &[Scope]) -> Result<()> {
        let text: Vec<String> = scopes.iter().map(Scope::encode).collect();
        let id: i64 = write!(self, p => sqlx::query_scalar(
            "INSERT INTO cache_announcements (scopes) VALUES ($1) RETURNING id",
        )
        .bind(text.join("\n"))
        .fetch_one(p)
        .await)?;
        write!(self, p => sqlx::query("DELETE FROM cache_announcements WHERE id <= $1")
            .bind(id - KEEP)
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Applies, from now on, the announcements other processes write (until
    /// `closing` turns true), and stops announcing this handle's own.
    pub fn listen_for_announcements(&self, mut closing: tokio::sync::watch::Receiver<bool>) {
        self.announce_changes(false);
        let db = self.clone();
        tokio::spawn(async move {
            let mut last = db.newest_announcement().await.unwrap_or(0);
            let mut ticks = tokio::time::interval(POLL);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = closing.changed() => return,
                }
                match db.announcements_after(last).await {
                    Ok(rows) => {
                        for (id, scopes) in rows {
                            last = id;
                            let scopes: Vec<Scope> = scopes.split('\n').filter_map(Scope::decode).collect();
                            db.cache.marks.mark(&scopes);
                        }
                    }
                    Err(e) => tracing::debug!(error = %e, "cannot read cache announcements"),
                }
            }
        });
    }

    async fn newest_announcement(&self) -> Result<i64> {
        read!(self, p => sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM cache_announcements")
            .fetch_one(p)
            .await)
        .map_err(Into::into)
    }

    async fn announcements_after(&self, after: i64) -> Result<Vec<(i64, String)>> {
        read!(self, p => sqlx::query_as(
            "SELECT id, scopes FROM cache_announcements WHERE id > $1 ORDER BY id LIMIT 500",
        )
        .bind(after)
        .fetch_all(p)
        .await)
        .map_err(Into::into)
    }
}
