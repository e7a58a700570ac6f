//! Scheduled backups while serving (`LANTERN_BACKUP_EVERY`,
//! `LANTERN_BACKUP_DIR`, `LANTERN_BACKUP_KEEP`): the same backup as
//! `lantern backup --dir DIR --keep N`, every interval. Several instances
//! sharing one folder take turns through a lock file there: the instance
//! that finds it held skips its turn. A failed backup is logged and counted
//! (`lantern_backups_total{outcome="failed"}`) and does not stop serving.

use std::path::PathBuf;

use crate::{attachments::Store, settings::Settings};

pub fn spawn(settings: &Settings, files: Store, mut closing: tokio::sync::watch::Receiver<bool>) {
    let (Some(every), Some(dir)) = (settings.backup_every, settings.backup_dir.clone()) else {
        return;
    };
    let files = settings.backup_attachments.then_some(files);
    let url = settings.database_url.expose().to_string();
    let keep = settings.backup_keep;
    tokio::spawn(async move {
        // The first backup one interval after start-up, not at once: a
        // crash loop must not fill the folder.
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => once(&url, files.as_ref(), &dir, keep).await,
                _ = closing.changed() => return,
            }
        }
    });
}

async fn once(url: &str, files: Option<&Store>, dir: &PathBuf, keep: usize) {
    let Some(_turn) = take_turn(dir) else {
        tracing::info!(dir = %dir.display(), "another instance is writing a backup; skipped");
        return;
    };
    let started = std::time::Instant::now();
    match super::backup_to_dir(url, files, dir, keep).await {
        Ok((file, held)) => {
            crate::stats::backup("written");
            tracing::info!(
                file = %file.display(),
                files = held.files,
                file_bytes = held.file_bytes,
                ms = started.elapsed().as_millis() as u64,
                "backup written"
            );
        }
        Err(e) => {
            crate::stats::backup("failed");
            tracing::error!(error = format!("{e:#}"), dir = %dir.display(), "scheduled backup failed");
        }
    }
}

/// An exclusive lock on `DIR/.lantern-backup.lock`, or `None` when another
/// process holds it.
fn take_turn(dir: &PathBuf) -> Option<std::fs::File> {
    std::fs::create_dir_all(dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(".lantern-backup.lock"))
        .ok()?;
    file.try_lock().ok()?;
    Some(file)
}
