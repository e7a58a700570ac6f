//! What backups and restores ask of the database: a consistent SQLite copy
//! (`VACUUM INTO`), whether a restored file is a Lantern database, and
//! whether a server is using the database a restore would replace.
//!
//! A server on SQLite holds a shared lock on `FILE.lock` for as long as it
//! runs (so do the other commands); a restore takes it exclusively, so it
//! cannot replace a file under a running server. On Postgres, servers name
//! their connections `lantern` and a restore looks for them.

use std::{
    fs::File,
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use sqlx::Connection;

use super::{Db, PoolRef, Result};

/// The application name of a server's Postgres connections.
pub const PG_APPLICATION: &str = "lantern";

/// The file of a `sqlite:` URL.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(PathBuf::from(rest.split('?').next().unwrap_or(rest)))
}

fn lock_file(db: &Path) -> std::io::Result<File> {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    super::connect::private_file(&db.with_file_name(name))
}

/// Taken by every process that opens the SQLite file; released at exit,
/// however the process ends.
pub(super) fn hold_shared(db: &Path) -> std::io::Result<File> {
    let file = lock_file(db)?;
    file.lock_shared()?;
    Ok(file)
}

/// For a restore: fails while any process has the database open.
pub fn lock_exclusive(db: &Path) -> anyhow::Result<File> {
    let file = lock_file(db).with_context(|| format!("cannot open the lock of {}", db.display()))?;
    if file.try_lock().is_err() {
        bail!("a Lantern process is using {}; stop it before restoring", db.display());
    }
    Ok(file)
}

impl Db {
    /// Writes a transactionally consistent copy of the SQLite database to
    /// `path` (an empty or missing file); readers and the writer go on.
    pub async fn vacuum_into(&self, path: &Path) -> Result<()> {
        match self.pool() {
            PoolRef::Sqlite { read, .. } => {
                sqlx::query("VACUUM INTO $1")
                    .bind(path.to_string_lossy().to_string())
                    .execute(read)
                    .await?;
                Ok(())
            }
            PoolRef::Postgres(_) => Err(super::Error::Conflict(
                "VACUUM INTO is SQLite's; Postgres is backed up with pg_dump".into(),
            )),
        }
    }
}

/// Fails unless the SQLite file at `path` holds Lantern's tables.
pub async fn check_lantern_sqlite(path: &Path) -> anyhow::Result<()> {
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .context("the backup is not a SQLite database")?;
    sqlx::query("SELECT COUNT(*) FROM sites")
        .execute(&mut conn)
        .await
        .context("the backup is not a Lantern database")?;
    conn.close().await?;
    Ok(())
}

/// How many connections of Lantern servers the Postgres database has.
pub async fn postgres_servers(url: &str) -> anyhow::Result<i64> {
    let mut conn = sqlx::PgConnection::connect(url).await.context("cannot connect to Postgres")?;
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND application_name = $1 AND pid <> pg_backend_pid()",
    )
    .bind(PG_APPLICATION)
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(n)
}
