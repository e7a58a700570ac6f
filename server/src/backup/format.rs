//! The backup file: a first line `LANTERN-BACKUP 2`, a JSON header line
//! `{backend, created_at, sha256, bytes, files, file_bytes}`, then the
//! payload: a gzip-compressed tar archive holding the database dump as
//! `database` and each attachment as `files/KEY`. The checksum covers the
//! payload, so a restore can refuse a damaged or foreign file before it
//! replaces anything. Version 1 files (the payload the gzipped dump alone,
//! no attachments) still restore.

use std::{
    fs::File,
    io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use flate2::{read::GzDecoder, write::GzEncoder};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const MAGIC_V1: &str = "LANTERN-BACKUP 1";
const MAGIC: &str = "LANTERN-BACKUP 2";
/// The archive's entry holding the database dump.
pub const DATABASE: &str = "database";
/// The archive's folder holding the attachment files.
pub const FILES: &str = "files/";

#[derive(Debug, Serialize, Deserialize)]
pub struct Header {
    pub backend: String,
    pub created_at: String,
    pub sha256: String,
    pub bytes: u64,
    /// Attachment files in the archive, and their bytes.
    #[serde(default)]
    pub files: u64,
    #[serde(default)]
    pub file_bytes: u64,
}

/// A file created for the owner alone (`0600`): backups hold every
/// conversation.
pub fn private_file(path: &Path) -> io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Counts and hashes what passes through.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A backup being written: entries go into a compressed archive in a
/// hidden sibling of `out`; [`Writer::finish`] adds the header, syncs and
/// renames it over `out`. Dropped unfinished, it leaves nothing behind.
pub struct Writer {
    out: PathBuf,
    payload: PathBuf,
    staged: PathBuf,
    backend: String,
    archive: Option<tar::Builder<GzEncoder<Hashing<BufWriter<File>>>>>,
    files: u64,
    file_bytes: u64,
}

impl Writer {
    pub fn create(out: &Path, backend: &str) -> anyhow::Result<Writer> {
        let payload = sibling(out, "payload");
        let hashing = Hashing {
            inner: BufWriter::new(private_file(&payload)?),
            hash: Sha256::new(),
            bytes: 0,
        };
        let mut archive = tar::Builder::new(GzEncoder::new(hashing, flate2::Compression::default()));
        archive.mode(tar::HeaderMode::Deterministic);
        Ok(Writer {
            out: out.to_path_buf(),
            staged: sibling(out, "partial"),
            payload,
            backend: backend.to_string(),
            archive: Some(archive),
            files: 0,
            file_bytes: 0,
        })
    }

    /// Adds the database dump, read from the file `dump`.
    pub fn database(&mut self, dump: &Path) -> anyhow::Result<()> {
        self.append(DATABASE, dump)
    }

    /// Adds the attachment `key`, read from the file `from`.
    pub fn attachment(&mut self, key: &str, from: &Path) -> anyhow::Result<()> {
        self.append(&format!("{FILES}{key}"), from)?;
        self.files += 1;
        self.file_bytes += std::fs::metadata(from)?.len();
        Ok(())
    }

    fn append(&mut self, name: &str, from: &Path) -> anyhow::Result<()> {
        let archive = self.archive.as_mut().context("the backup is finished")?;
        let mut file = File::open(from)?;
        let mut header = tar::Header::new_gnu();
        header.set_size(file.metadata()?.len());
        header.set_mode(0o600);
        archive
            .append_data(&mut header, name, &mut file)
            .with_context(|| format!("cannot add {name} to the backup"))?;
        Ok(())
    }

    /// Completes the archive and puts the backup in place.
    pub fn finish(mut self) -> anyhow::Result<Header> {
        let archive = self.archive.take().context("the backup is finished")?;
        let mut hashing = archive.into_inner()?.finish()?;
        hashing.flush()?;
        let header = Header {
            backend: self.backend.clone(),
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            sha256: hex::encode(hashing.hash.finalize()),
            bytes: hashing.bytes,
            files: self.files,
            file_bytes: self.file_bytes,
        };
        drop(hashing.inner);
        let mut file = BufWriter::new(private_file(&self.staged)?);
        writeln!(file, "{MAGIC}")?;
        writeln!(file, "{}", serde_json::to_string(&header)?)?;
        io::copy(&mut File::open(&self.payload)?, &mut file)?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&self.staged, &self.out)?;
        Ok(header)
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.payload);
        let _ = std::fs::remove_file(&self.staged);
    }
}

/// A checked backup, ready to be read entry by entry.
pub struct Backup {
    pub header: Header,
    payload: Payload,
}

enum Payload {
    /// Version 1: the gzipped dump alone.
    Dump(GzDecoder<BufReader<File>>),
    Archive(tar::Archive<GzDecoder<BufReader<File>>>),
}

/// One entry of a backup, as [`Backup::for_each`] hands it out.
pub enum Entry<'a> {
    Database(&'a mut dyn Read),
    Attachment(String, &'a mut dyn Read),
}

impl Backup {
    /// Calls `each` with the database dump first, then every attachment,
    /// in the archive's order. An archive without the dump first, or with
    /// an entry it does not know, is refused.
    pub fn for_each(self, mut each: impl FnMut(Entry<'_>) -> anyhow::Result<()>) -> anyhow::Result<()> {
        match self.payload {
            Payload::Dump(mut dump) => each(Entry::Database(&mut dump)),
            Payload::Archive(mut archive) => {
                let mut seen_database = false;
                for entry in archive.entries()? {
                    let mut entry = entry.context("the backup's archive is damaged")?;
                    let name = entry.path()?.to_string_lossy().into_owned();
                    if name == DATABASE && !seen_database {
                        seen_database = true;
                        each(Entry::Database(&mut entry))?;
                    } else if let (Some(key), true) = (name.strip_prefix(FILES), seen_database) {
                        each(Entry::Attachment(key.to_string(), &mut entry))?;
                    } else {
                        bail!("the backup holds an unexpected entry {name:?}");
                    }
                }
                if !seen_database {
                    bail!("the backup holds no database");
                }
                Ok(())
            }
        }
    }
}

/// Reads and checks `input`: its header, and that its payload has the
/// length and checksum the header promises.
pub fn open(input: &Path) -> anyhow::Result<Backup> {
    let mut reader = BufReader::new(
        File::open(input).with_context(|| format!("cannot read {}", input.display()))?,
    );
    let mut magic = String::new();
    reader.read_line(&mut magic)?;
    let archived = match magic.trim_end() {
        MAGIC => true,
        MAGIC_V1 => false,
        _ => bail!("{} is not a backup written by `lantern backup`", input.display()),
    };
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let header: Header =
        serde_json::from_str(&line).context("the backup's header is damaged")?;
    let start = reader.stream_position()?;
    let mut hash = Sha256::new();
    let bytes = io::copy(&mut reader, &mut HashSink(&mut hash))?;
    if bytes != header.bytes || hex::encode(hash.finalize()) != header.sha256 {
        bail!("{} is damaged: its checksum does not match; nothing was restored", input.display());
    }
    reader.seek(SeekFrom::Start(start))?;
    let gz = GzDecoder::new(reader);
    let payload = if archived { Payload::Archive(tar::Archive::new(gz)) } else { Payload::Dump(gz) };
    Ok(Backup { header, payload })
}

struct HashSink<'a>(&'a mut Sha256);

impl Write for HashSink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A hidden file beside `path` for this process.
pub fn sibling(path: &Path, tag: &str) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".{tag}-{}", std::process::id()));
    path.with_file_name(name)
}
