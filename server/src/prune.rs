//! The housekeeping job: every `LANTERN_PRUNE_EVERY_SECS` it deletes expired
//! visitor tokens and sessions, live events older than
//! `LANTERN_EVENTS_KEEP_DAYS` and webhook deliveries delivered more than
//! `LANTERN_DELIVERIES_KEEP_DAYS` ago, in bounded batches; and it applies
//! each site's retention rule ([`crate::privacy::retention_round`]); then
//! it deletes the files of attachments whose conversation went, and of
//! uploads never sent ([`crate::attachments::sweep`]).
//! Several instances may run it at once: every delete is idempotent, and
//! retention batches take turns on Postgres.

use std::{future::Future, time::Duration};

use crate::{db::Db, events::EventHub, settings::Settings};

/// Rows per statement: small enough that other writers wait milliseconds.
pub(crate) const BATCH: i64 = 500;
/// Statements per kind per round, so one round ends even while rows keep
/// coming; the rest waits for the next round.
const MAX_BATCHES: usize = 200;

pub const KINDS: [&str; 8] = [
    "visitor_tokens",
    "sessions",
    "events",
    "webhook_deliveries",
    "closed_conversations",
    "anonymised_visitors",
    "unsent_attachments",
    "attachments",
];

#[derive(Clone, Copy)]
struct Keep {
    events: chrono::Duration,
    deliveries: chrono::Duration,
    sessions_in_db: bool,
}

/// Starts the job on the current runtime; it stops when `closing` turns true.
pub fn spawn(
    db: Db,
    hub: EventHub,
    attachments: crate::attachments::Attachments,
    settings: &Settings,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
    let keep = Keep {
        events: chrono::Duration::days(i64::from(settings.events_keep_days)),
        deliveries: chrono::Duration::days(i64::from(settings.deliveries_keep_days)),
        // With Redis, sessions live there and expire by themselves.
        sessions_in_db: settings.redis_url.is_none(),
    };
    let every = Duration::from_secs(settings.prune_every_secs);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = ticks.tick() => {
                    round(&db, keep).await;
                    crate::privacy::retention_round(&db, &hub, chrono::Utc::now()).await;
                    attachments.housekeeping(&db, chrono::Utc::now()).await;
                }
                _ = closing.changed() => return,
            }
        }
    });
}

async fn round(db: &Db, keep: Keep) {
    let now = chrono::Utc::now();
    drain("visitor_tokens", || db.prune_visitor_tokens(BATCH)).await;
    if keep.sessions_in_db {
        drain("sessions", || db.delete_expired_sessions()).await;
    }
    drain("events", || db.prune_events(now - keep.events, BATCH)).await;
    drain("site_events", || db.prune_site_events(now - keep.events, BATCH)).await;
    drain("webhook_deliveries", || {
        db.prune_deliveries(now - keep.deliveries, BATCH)
    })
    .await;
}

/// Calls `step` until it deletes less than a batch (or the round's share
/// is spent), counting what it deleted.
pub(crate) async fn drain<F, Fut>(kind: &'static str, mut step: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = crate::db::Result<u64>>,
{
    for _ in 0..MAX_BATCHES {
        match step().await {
            Ok(n) => {
                crate::stats::pruned(kind, n);
                if n < BATCH as u64 {
                    return;
                }
                // Let other work in between batches.
                tokio::task::yield_now().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, kind, "pruning failed; retried next round");
                return;
            }
        }
    }
}
