//! `lantern backup` and `lantern restore`: a consistent, compressed,
//! checksummed copy of the database, taken while the server runs.
//!
//! * SQLite: `VACUUM INTO` writes a transactionally consistent copy (readers
//!   and the writer carry on), which is then compressed.
//! * Postgres: `pg_dump` (plain SQL, consistent snapshot) when it is on PATH;
//!   restore replays it with `psql`. The password goes to them in the
//!   environment, never on a command line other users can read.
//!
//! Files are written atomically and readable by their owner only; a restore
//! refuses a file that is not a backup this program wrote, a damaged one,
//! and a database a server is using.

mod format;
pub mod schedule;

use std::{
    io::{self, BufWriter},
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::{Context, bail};

use crate::db::{self, Db};

/// Writes a backup of `database_url` to `out`, then reads it back to check it.
pub async fn backup(database_url: &str, out: &Path) -> anyhow::Result<()> {
    if let Some(path) = db::backup::sqlite_file(database_url) {
        let snapshot = format::sibling(out, "snapshot");
        let _ = std::fs::remove_file(&snapshot);
        // Created empty and private: VACUUM INTO fills an empty file.
        drop(format::private_file(&snapshot)?);
        let store = Db::open(database_url)
            .await
            .with_context(|| format!("cannot open {}", path.display()))?;
        let vacuumed = store.vacuum_into(&snapshot).await.context("VACUUM INTO failed");
        store.close().await;
        let result = vacuumed.and_then(|()| {
            format::write(out, "sqlite", |w| {
                io::copy(&mut std::fs::File::open(&snapshot)?, w)?;
                Ok(())
            })
        });
        let _ = std::fs::remove_file(&snapshot);
        result?;
    } else {
        format::write(out, "postgres", |w| {
            let (url, password) = without_password(database_url)?;
            let mut cmd = Command::new("pg_dump");
            cmd.args(["--no-owner", "--no-privileges", "--clean", "--if-exists", &url]);
            if let Some(p) = password {
                cmd.env("PGPASSWORD", p);
            }
            let mut dump = cmd.stdout(Stdio::piped()).spawn().context(
                "pg_dump is needed to back up Postgres (install the postgresql-client package)",
            )?;
            io::copy(&mut dump.stdout.take().context("pg_dump output")?, w)?;
            if !dump.wait()?.success() {
                bail!("pg_dump failed");
            }
            Ok(())
        })?;
    }
    format::open(out).context("the backup just written does not read back")?;
    Ok(())
}

/// Writes `DIR/lantern-TIMESTAMP.backup` and removes the oldest backups of
/// the folder beyond the newest `keep`. Returns the new file.
pub async fn backup_to_dir(database_url: &str, dir: &Path, keep: usize) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = format!("lantern-{}.backup", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"));
    let out = dir.join(name);
    backup(database_url, &out).await?;
    // The timestamped names sort in time order.
    let mut existing: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("lantern-") && n.ends_with(".backup"))
        })
        .collect();
    existing.sort();
    let excess = existing.len().saturating_sub(keep.max(1));
    for old in &existing[..excess] {
        std::fs::remove_file(old).with_context(|| format!("cannot remove {}", old.display()))?;
    }
    Ok(out)
}

/// Replaces the database at `database_url` with the backup in `input`,
/// after checking the file and that no server is using the database.
pub async fn restore(database_url: &str, input: &Path) -> anyhow::Result<()> {
    let (header, mut dump) = format::open(input)?;
    let backend = if database_url.starts_with("sqlite:") { "sqlite" } else { "postgres" };
    if header.backend != backend {
        bail!("{} is a {} backup; DATABASE_URL is {backend}", input.display(), header.backend);
    }
    if let Some(path) = db::backup::sqlite_file(database_url) {
        let _lock = db::backup::lock_exclusive(&path)?;
        let staged = format::sibling(&path, "restoring");
        let copied = (|| {
            let mut out = BufWriter::new(format::private_file(&staged)?);
            io::copy(&mut dump, &mut out)?;
            out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            anyhow::Ok(())
        })();
        let checked = match copied {
            Ok(()) => db::backup::check_lantern_sqlite(&staged).await,
            Err(e) => Err(e),
        };
        if let Err(e) = checked {
            let _ = std::fs::remove_file(&staged);
            return Err(e);
        }
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        std::fs::rename(&staged, &path)?;
        return Ok(());
    }
    let servers = db::backup::postgres_servers(database_url).await?;
    if servers > 0 {
        bail!("{servers} connections of a Lantern server use this database; stop it before restoring");
    }
    let (url, password) = without_password(database_url)?;
    let mut cmd = Command::new("psql");
    cmd.args(["--quiet", "--set", "ON_ERROR_STOP=1", &url]);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let mut psql = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("psql is needed to restore Postgres (install the postgresql-client package)")?;
    io::copy(&mut dump, psql.stdin.as_mut().context("psql input")?)?;
    drop(psql.stdin.take());
    if !psql.wait()?.success() {
        bail!("psql failed while restoring");
    }
    Ok(())
}

/// The URL without its password, and the password (for `PGPASSWORD`).
fn without_password(database_url: &str) -> anyhow::Result<(String, Option<String>)> {
    let mut url = url::Url::parse(database_url).context("DATABASE_URL is not a URL")?;
    let password = url
        .password()
        .map(|p| percent_encoding::percent_decode_str(p).decode_utf8_lossy().into_owned());
    let _ = url.set_password(None);
    Ok((url.to_string(), password))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_password_leaves_the_url() {
        let (url, pw) = super::without_password("postgres://app:s%40cret@db:5432/lantern").expect("url");
        assert_eq!(url, "postgres://app@db:5432/lantern");
        assert_eq!(pw.as_deref(), Some("s@cret"));
        let (url, pw) = super::without_password("postgres://app@db/lantern").expect("url");
        assert_eq!((url.as_str(), pw), ("postgres://app@db/lantern", None));
    }
}
