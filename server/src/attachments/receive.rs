//! Receiving an upload: the multipart `file` part is written to a staging
//! file piece by piece as it arrives (never held whole in memory), its
//! size checked on every piece, so one byte over the limit stops the
//! upload there; its type is decided from the first bytes, and text is
//! checked to be text on the way.

use std::path::{Path, PathBuf};

use axum::extract::multipart::Field;
use tokio::io::AsyncWriteExt;

use super::{
    Refusal,
    kind::{Kind, SNIFF_BYTES, TextCheck, sniff},
};

/// A file on local disk, removed when dropped.
#[derive(Debug)]
pub struct Staged(pub PathBuf);

impl Staged {
    /// A new, unique path in `dir` (nothing is created yet).
    pub fn new(dir: &Path) -> Staged {
        Staged(dir.join(format!("upload-{}", uuid::Uuid::new_v4().simple())))
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What arrived.
#[derive(Debug)]
pub struct Received {
    pub file: Staged,
    pub kind: Kind,
    pub size: u64,
    /// The client's file name, as sent (cleaned later, for display).
    pub given_name: Option<String>,
}

/// Streams `field` into a staging file in `dir`, refusing it as soon as
/// it passes `max_bytes` or shows a type outside the allowlist.
pub async fn receive(mut field: Field<'_>, dir: &Path, max_bytes: u64) -> Result<Received, Refusal> {
    let given_name = field.file_name().map(str::to_string);
    let staged = Staged::new(dir);
    let mut out = tokio::fs::File::create(&staged.0)
        .await
        .map_err(|e| Refusal::Internal(e.into()))?;
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
    let mut kind: Option<Option<Kind>> = None;
    let mut text = TextCheck::default();
    let mut size: u64 = 0;
    loop {
        let piece = match field.chunk().await {
            Ok(Some(piece)) => piece,
            Ok(None) => break,
            Err(e) if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(Refusal::TooLarge(max_bytes));
            }
            Err(e) => return Err(Refusal::BadBody(e.body_text())),
        };
        size += piece.len() as u64;
        if size > max_bytes {
            return Err(Refusal::TooLarge(max_bytes));
        }
        if kind.is_none() {
            let wanted = SNIFF_BYTES - head.len();
            head.extend_from_slice(&piece[..piece.len().min(wanted)]);
            if head.len() == SNIFF_BYTES {
                kind = Some(sniff(&head).map_err(Refusal::Type)?);
            }
        }
        if !matches!(kind, Some(Some(_))) {
            text.feed(&piece);
        }
        out.write_all(&piece)
            .await
            .map_err(|e| Refusal::Internal(e.into()))?;
    }
    out.flush().await.map_err(|e| Refusal::Internal(e.into()))?;
    if size == 0 {
        return Err(Refusal::Empty);
    }
    let kind = match kind {
        Some(k) => k,
        None => sniff(&head).map_err(Refusal::Type)?,
    };
    let kind = match kind {
        Some(k) => k,
        None if text.finish() => Kind::Text,
        None => return Err(Refusal::Type("application/octet-stream".into())),
    };
    Ok(Received {
        file: staged,
        kind,
        size,
        given_name,
    })
}
