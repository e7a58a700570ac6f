//! `lantern backup FILE` and `lantern restore FILE`: a consistent, gzip-
//! compressed copy of the database, taken while the server runs.
//!
//! * SQLite: `VACUUM INTO` writes a transactionally consistent copy (readers
//!   and the writer carry on), which is then compressed.
//! * Postgres: `pg_dump` (plain SQL, consistent snapshot) when it is on PATH;
//!   restore replays it with `psql`. Without those tools, say so.

use std::{
    fs::File,
    io::{self, BufReader, BufWriter},
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::{Context, bail};
use flate2::{Compression, read::GzDecoder, write::GzEncoder};
use sqlx::{Connection, SqliteConnection};

/// Writes a compressed backup of `database_url` to `out`.
pub async fn backup(database_url: &str, out: &Path) -> anyhow::Result<()> {
    if let Some(path) = sqlite_path(database_url) {
        let snapshot = sibling(out, "snapshot");
        let _ = std::fs::remove_file(&snapshot);
        let mut conn = SqliteConnection::connect(database_url)
            .await
            .with_context(|| format!("cannot open {}", path.display()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(snapshot.to_string_lossy().to_string())
            .execute(&mut conn)
            .await
            .context("VACUUM INTO failed")?;
        let result = compress(&snapshot, out);
        let _ = std::fs::remove_file(&snapshot);
        return result;
    }
    let mut dump = Command::new("pg_dump")
        .args([
            "--no-owner",
            "--no-privileges",
            "--clean",
            "--if-exists",
            database_url,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .context("pg_dump is needed to back up Postgres (install the postgresql-client package)")?;
    let mut stdout = dump.stdout.take().context("pg_dump output")?;
    let mut gz = GzEncoder::new(BufWriter::new(File::create(out)?), Compression::default());
    io::copy(&mut stdout, &mut gz)?;
    gz.finish()?;
    if !dump.wait()?.success() {
        bail!("pg_dump failed");
    }
    Ok(())
}

/// Replaces the database at `database_url` with the backup in `input`. Stop
/// the server first: a SQLite file is replaced underneath it.
pub async fn restore(database_url: &str, input: &Path) -> anyhow::Result<()> {
    let mut reader = GzDecoder::new(BufReader::new(
        File::open(input).with_context(|| format!("cannot read {}", input.display()))?,
    ));
    if let Some(path) = sqlite_path(database_url) {
        let staged = sibling(&path, "restoring");
        io::copy(&mut reader, &mut BufWriter::new(File::create(&staged)?))?;
        // Check it is a Lantern database before it replaces anything.
        let check = format!("sqlite://{}", staged.display());
        let mut conn = SqliteConnection::connect(&check)
            .await
            .context("the backup is not a SQLite database")?;
        sqlx::query("SELECT COUNT(*) FROM sites")
            .execute(&mut conn)
            .await
            .context("the backup is not a Lantern database")?;
        conn.close().await?;
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        std::fs::rename(&staged, &path)?;
        return Ok(());
    }
    let mut psql = Command::new("psql")
        .args(["--quiet", "--set", "ON_ERROR_STOP=1", database_url])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("psql is needed to restore Postgres (install the postgresql-client package)")?;
    io::copy(&mut reader, psql.stdin.as_mut().context("psql input")?)?;
    drop(psql.stdin.take());
    if !psql.wait()?.success() {
        bail!("psql failed while restoring");
    }
    Ok(())
}

fn compress(from: &Path, to: &Path) -> anyhow::Result<()> {
    let mut input = BufReader::new(File::open(from)?);
    let mut gz = GzEncoder::new(BufWriter::new(File::create(to)?), Compression::default());
    io::copy(&mut input, &mut gz)?;
    gz.finish()?;
    Ok(())
}

/// The file of a `sqlite:` URL.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(PathBuf::from(rest.split('?').next().unwrap_or(rest)))
}

fn sibling(path: &Path, tag: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{tag}-{}", std::process::id()));
    path.with_file_name(name)
}
