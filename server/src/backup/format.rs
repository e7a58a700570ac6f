//! The backup file: a first line `LANTERN-BACKUP 1`, a JSON header line
//! `{backend, created_at, sha256, bytes}`, then the gzip payload. The
//! checksum covers the payload, so a restore can refuse a damaged or
//! foreign file before it replaces anything.

use std::{
    fs::File,
    io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const MAGIC: &str = "LANTERN-BACKUP 1";

#[derive(Debug, Serialize, Deserialize)]
pub struct Header {
    pub backend: String,
    pub created_at: String,
    pub sha256: String,
    pub bytes: u64,
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

/// Writes `out` atomically: `fill` writes the uncompressed database dump,
/// compressed here into a hidden sibling with its header; the sibling is
/// synced and renamed over `out` only when everything succeeded.
pub fn write(
    out: &Path,
    backend: &str,
    fill: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let payload = sibling(out, "payload");
    let staged = sibling(out, "partial");
    let result = (|| {
        let mut hashing = Hashing {
            inner: BufWriter::new(private_file(&payload)?),
            hash: Sha256::new(),
            bytes: 0,
        };
        {
            let mut gz = flate2::write::GzEncoder::new(&mut hashing, flate2::Compression::default());
            fill(&mut gz)?;
            gz.finish()?;
        }
        hashing.flush()?;
        let header = Header {
            backend: backend.to_string(),
            created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            sha256: hex::encode(hashing.hash.finalize()),
            bytes: hashing.bytes,
        };
        let mut file = BufWriter::new(private_file(&staged)?);
        writeln!(file, "{MAGIC}")?;
        writeln!(file, "{}", serde_json::to_string(&header)?)?;
        io::copy(&mut File::open(&payload)?, &mut file)?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&staged, out)?;
        anyhow::Ok(())
    })();
    let _ = std::fs::remove_file(&payload);
    if result.is_err() {
        let _ = std::fs::remove_file(&staged);
    }
    result
}

/// Reads and checks `input`: its header, and that its payload has the
/// length and checksum the header promises. Returns the header and a reader
/// of the uncompressed dump.
pub fn open(input: &Path) -> anyhow::Result<(Header, impl Read)> {
    let mut reader = BufReader::new(
        File::open(input).with_context(|| format!("cannot read {}", input.display()))?,
    );
    let mut magic = String::new();
    reader.read_line(&mut magic)?;
    if magic.trim_end() != MAGIC {
        bail!("{} is not a backup written by `lantern backup`", input.display());
    }
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
    Ok((header, flate2::read::GzDecoder::new(reader)))
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
