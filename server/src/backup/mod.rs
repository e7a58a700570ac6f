//! `lantern backup` and `lantern restore`: a consistent, compressed,
//! checksummed copy of the database and of the attachment files, taken
//! while the server runs.
//!
//! * SQLite: `VACUUM INTO` writes a transactionally consistent copy (readers
//!   and the writer carry on).
//! * Postgres: `pg_dump` (plain SQL, consistent snapshot) when it is on PATH;
//!   restore replays it with `psql`. The password goes to them in the
//!   environment, never on a command line other users can read.
//! * Attachments: every object of the store (a directory or an S3 bucket),
//!   listed after the database was copied, so each file a copied message
//!   carries is there unless it was deleted during the backup (its
//!   conversation deleted in those seconds). A restore writes them into the
//!   store configured where it runs, which need not be the same kind.
//!
//! Files are written atomically and readable by their owner only; a restore
//! refuses a file that is not a backup this program wrote, a damaged one,
//! and a database a server is using, before it changes anything.

mod format;
pub mod schedule;

use std::{
    io::{self, BufWriter, Write},
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use anyhow::{Context, bail};
use futures::StreamExt;

use crate::{
    attachments::Store,
    db::{self, Db},
};

pub use format::private_file;

/// What a backup holds or a restore put back, besides the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub files: u64,
    pub file_bytes: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the database and {} attachment files ({} bytes)", self.files, self.file_bytes)
    }
}

/// Removes a scratch file when it goes out of scope.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes a backup of `database_url`, and of the attachment store `files`
/// when given, to `out`, then reads it all back to check it.
pub async fn backup(database_url: &str, files: Option<&Store>, out: &Path) -> anyhow::Result<Summary> {
    let sqlite = db::backup::sqlite_file(database_url);
    let mut writer = format::Writer::create(out, if sqlite.is_some() { "sqlite" } else { "postgres" })?;
    let dump = Scratch(format::sibling(out, "dump"));
    if let Some(path) = sqlite {
        // Created empty and private: VACUUM INTO fills an empty file.
        drop(format::private_file(&dump.0)?);
        let store = Db::open(database_url)
            .await
            .with_context(|| format!("cannot open {}", path.display()))?;
        let vacuumed = store.vacuum_into(&dump.0).await.context("VACUUM INTO failed");
        store.close().await;
        vacuumed?;
    } else {
        pg_dump(database_url, &dump.0)?;
    }
    writer.database(&dump.0)?;
    drop(dump);
    if let Some(store) = files {
        copy_files(store, &mut writer, out).await?;
    }
    let header = writer.finish()?;
    // Read back whole: the checksum, the compression and the archive.
    format::open(out)
        .and_then(|b| {
            b.for_each(|entry| {
                let (format::Entry::Database(r) | format::Entry::Attachment(_, r)) = entry;
                io::copy(r, &mut io::sink())?;
                Ok(())
            })
        })
        .context("the backup just written does not read back")?;
    Ok(Summary {
        files: header.files,
        file_bytes: header.file_bytes,
    })
}

fn pg_dump(database_url: &str, to: &Path) -> anyhow::Result<()> {
    let (url, password) = without_password(database_url)?;
    let mut cmd = Command::new("pg_dump");
    cmd.args(["--no-owner", "--no-privileges", "--clean", "--if-exists", &url]);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    let mut dump = cmd
        .stdout(Stdio::piped())
        .spawn()
        .context("pg_dump is needed to back up Postgres (install the postgresql-client package)")?;
    let mut file = BufWriter::new(format::private_file(to)?);
    io::copy(&mut dump.stdout.take().context("pg_dump output")?, &mut file)?;
    file.flush()?;
    if !dump.wait()?.success() {
        bail!("pg_dump failed");
    }
    Ok(())
}

/// Adds every object of `store` to the backup, one at a time through a
/// scratch file beside `out`.
async fn copy_files(store: &Store, writer: &mut format::Writer, out: &Path) -> anyhow::Result<()> {
    let scratch = Scratch(format::sibling(out, "file"));
    let mut listed = store.list();
    while let Some(meta) = listed.next().await {
        let key = meta.context("cannot list the attachment store")?.location.to_string();
        match store.get_to_file(&key, &scratch.0).await {
            Ok(_) => writer.attachment(&key, &scratch.0)?,
            // Deleted since it was listed: its conversation went meanwhile.
            Err(e) if matches!(e.downcast_ref(), Some(object_store::Error::NotFound { .. })) => {}
            Err(e) => return Err(e.context(format!("cannot read the attachment {key}"))),
        }
    }
    Ok(())
}

/// Writes `DIR/lantern-TIMESTAMP.backup` and removes the oldest backups of
/// the folder beyond the newest `keep`. Returns the new file.
pub async fn backup_to_dir(
    database_url: &str,
    files: Option<&Store>,
    dir: &Path,
    keep: usize,
) -> anyhow::Result<(PathBuf, Summary)> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = format!("lantern-{}.backup", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"));
    let out = dir.join(name);
    let summary = backup(database_url, files, &out).await?;
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
    Ok((out, summary))
}

/// The attachment files of a backup being restored, each copied to a
/// scratch folder first: they go into the store only once the whole
/// archive has read back.
struct StagedFiles {
    dir: PathBuf,
    files: Vec<(String, PathBuf)>,
    bytes: u64,
}

impl StagedFiles {
    fn new() -> anyhow::Result<StagedFiles> {
        let dir = std::env::temp_dir().join(format!("lantern-restore-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        Ok(StagedFiles {
            dir,
            files: Vec::new(),
            bytes: 0,
        })
    }

    fn add(&mut self, key: String, from: &mut dyn io::Read) -> anyhow::Result<()> {
        // Keys are the server's own; anything else is not restored.
        if object_store::path::Path::parse(&key).map_or(true, |p| p.as_ref() != key || key.is_empty()) {
            bail!("the backup holds an attachment with an unusable name {key:?}");
        }
        let path = self.dir.join(self.files.len().to_string());
        let mut file = BufWriter::new(format::private_file(&path)?);
        self.bytes += io::copy(from, &mut file)?;
        file.flush()?;
        self.files.push((key, path));
        Ok(())
    }

    async fn put(&self, store: &Store) -> anyhow::Result<Summary> {
        for (key, path) in &self.files {
            store
                .put_file(key, path)
                .await
                .with_context(|| format!("cannot write the attachment {key} to the store"))?;
        }
        Ok(Summary {
            files: self.files.len() as u64,
            file_bytes: self.bytes,
        })
    }
}

impl Drop for StagedFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Replaces the database at `database_url` with the backup in `input`, and
/// puts the backup's attachment files into `files` when given, after
/// checking the file and that no server is using the database.
pub async fn restore(database_url: &str, files: Option<&Store>, input: &Path) -> anyhow::Result<Summary> {
    let backup = format::open(input)?;
    let backend = if database_url.starts_with("sqlite:") { "sqlite" } else { "postgres" };
    if backup.header.backend != backend {
        bail!("{} is a {} backup; DATABASE_URL is {backend}", input.display(), backup.header.backend);
    }
    let mut staged_files = StagedFiles::new()?;
    let mut stage_file = |key: String, from: &mut dyn io::Read| match files {
        Some(_) => staged_files.add(key, from),
        None => Ok(()),
    };
    if let Some(path) = db::backup::sqlite_file(database_url) {
        let _lock = db::backup::lock_exclusive(&path)?;
        let staged = Scratch(format::sibling(&path, "restoring"));
        backup.for_each(|entry| match entry {
            format::Entry::Database(dump) => {
                let mut out = BufWriter::new(format::private_file(&staged.0)?);
                io::copy(dump, &mut out)?;
                out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
                Ok(())
            }
            format::Entry::Attachment(key, from) => stage_file(key, from),
        })?;
        db::backup::check_lantern_sqlite(&staged.0).await?;
        let summary = put_files(files, &staged_files, "nothing was restored").await?;
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        std::fs::rename(&staged.0, &path)?;
        return Ok(summary);
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
    let mut input = psql.stdin.take();
    let read = backup.for_each(|entry| match entry {
        format::Entry::Database(dump) => {
            io::copy(dump, input.as_mut().context("psql input")?)?;
            drop(input.take());
            Ok(())
        }
        format::Entry::Attachment(key, from) => stage_file(key, from),
    });
    drop(input);
    let replayed = psql.wait()?.success();
    read?;
    if !replayed {
        bail!("psql failed while restoring");
    }
    put_files(files, &staged_files, "the database was restored; run the restore again").await
}

async fn put_files(files: Option<&Store>, staged: &StagedFiles, otherwise: &str) -> anyhow::Result<Summary> {
    match files {
        Some(store) => staged.put(store).await.with_context(|| otherwise.to_string()),
        None => Ok(Summary {
            files: 0,
            file_bytes: 0,
        }),
    }
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
