//! The attachment store, through `object_store`: a local directory by
//! default, any S3-compatible bucket when `LANTERN_ATTACHMENTS=s3://…`.
//! Files are copied in from a staging file part by part (at most a few S3
//! parts of 5 MiB in memory per upload), and read out as a stream.

use std::{path::PathBuf, sync::Arc, time::Duration};

use anyhow::Context;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig, WriteMultipart,
    aws::AmazonS3Builder, local::LocalFileSystem, path::Path, prefix::PrefixStore,
};
use tokio::io::AsyncReadExt;

use crate::settings::Settings;

/// Pieces are written to the store in this size: S3's smallest multipart
/// part, and the most one upload holds in memory.
const PART: usize = 5 * 1024 * 1024;

/// A handle on the configured store.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<dyn ObjectStore>,
    /// The local directory, when the store is one (backups copy it).
    pub local_dir: Option<PathBuf>,
}

impl Store {
    /// Opens the store `settings` name (creating a local directory).
    pub fn open(settings: &Settings) -> anyhow::Result<Store> {
        let a = &settings.attachments;
        let url = a
            .store
            .clone()
            .unwrap_or_else(|| default_url(settings.database_url.expose()));
        if let Some(dir) = url.strip_prefix("file://") {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("LANTERN_ATTACHMENTS: cannot create {}", dir.display()))?;
            let fs = LocalFileSystem::new_with_prefix(&dir)
                .context("LANTERN_ATTACHMENTS: cannot open the directory")?
                .with_automatic_cleanup(true);
            return Ok(Store {
                inner: Arc::new(fs),
                local_dir: Some(dir),
            });
        }
        let rest = url
            .strip_prefix("s3://")
            .context("LANTERN_ATTACHMENTS must be file:///DIR or s3://BUCKET[/PREFIX]")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(&a.aws_region)
            .with_allow_http(a.aws_allow_http)
            .with_retry(RetryConfig {
                backoff: BackoffConfig {
                    init_backoff: Duration::from_millis(100),
                    max_backoff: Duration::from_secs(2),
                    base: 2.0,
                },
                max_retries: 3,
                retry_timeout: Duration::from_secs(30),
            })
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(60))
                    .with_allow_http(a.aws_allow_http),
            );
        if let Some(endpoint) = &a.aws_endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(id) = &a.aws_access_key_id {
            builder = builder.with_access_key_id(id);
        }
        if let Some(secret) = &a.aws_secret_access_key {
            builder = builder.with_secret_access_key(secret.expose());
        }
        if let Some(token) = &a.aws_session_token {
            builder = builder.with_token(token.expose());
        }
        let s3 = builder
            .build()
            .context("LANTERN_ATTACHMENTS: the S3 settings (AWS_*) are not usable")?;
        let inner: Arc<dyn ObjectStore> = match prefix.trim_matches('/') {
            "" => Arc::new(s3),
            prefix => Arc::new(PrefixStore::new(s3, prefix.to_string())),
        };
        Ok(Store {
            inner,
            local_dir: None,
        })
    }

    /// Copies the file at `from` to `key`: in one request up to [`PART`]
    /// bytes, else as a multipart upload with at most two parts in flight.
    /// A failure leaves nothing behind (the multipart upload is aborted).
    pub async fn put_file(&self, key: &str, from: &std::path::Path) -> anyhow::Result<()> {
        let path = Path::from(key);
        let refused = "the attachment store refused the file";
        let mut file = tokio::fs::File::open(from).await?;
        let len = file.metadata().await?.len();
        if len <= PART as u64 {
            let mut bytes = Vec::with_capacity(len as usize);
            file.read_to_end(&mut bytes).await?;
            self.inner.put(&path, bytes.into()).await.context(refused)?;
            return Ok(());
        }
        let upload = self.inner.put_multipart(&path).await.context(refused)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut piece = vec![0u8; 64 * 1024];
        let sent: anyhow::Result<()> = async {
            loop {
                let n = file.read(&mut piece).await?;
                if n == 0 {
                    break;
                }
                writer.wait_for_capacity(2).await?;
                writer.write(&piece[..n]);
            }
            writer.wait_for_capacity(0).await?;
            Ok(())
        }
        .await;
        match sent {
            Ok(()) => {
                // `finish` aborts the upload itself when completing fails.
                writer.finish().await.context(refused)?;
                Ok(())
            }
            Err(e) => {
                let _ = writer.abort().await;
                Err(e.context(refused))
            }
        }
    }

    /// The stored object `key` as a stream of pieces, with its size.
    pub async fn get(
        &self,
        key: &str,
    ) -> object_store::Result<(u64, futures::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>)> {
        let got = self.inner.get(&Path::from(key)).await?;
        let size = got.meta.size;
        Ok((size, got.into_stream()))
    }

    /// Every stored object, as the store lists it (in no set order).
    pub fn list(&self) -> futures::stream::BoxStream<'static, object_store::Result<object_store::ObjectMeta>> {
        self.inner.list(None)
    }

    /// Copies the object `key` into the local file `to` (created private),
    /// a piece at a time; returns its size.
    pub async fn get_to_file(&self, key: &str, to: &std::path::Path) -> anyhow::Result<u64> {
        use futures::StreamExt;
        use std::io::Write;
        let (_, mut pieces) = self.get(key).await?;
        let mut file = std::io::BufWriter::new(crate::backup::private_file(to)?);
        let mut copied = 0;
        while let Some(piece) = pieces.next().await {
            let piece = piece?;
            file.write_all(&piece)?;
            copied += piece.len() as u64;
        }
        file.flush()?;
        Ok(copied)
    }

    /// Deletes `key`; one already gone is fine.
    pub async fn delete(&self, key: &str) -> object_store::Result<()> {
        match self.inner.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// `file://` URL of the folder `attachments` beside a SQLite database
/// (in the working directory for Postgres or an in-memory database).
pub fn default_url(database_url: &str) -> String {
    let here = || std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let file = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))
        .map(|rest| rest.split('?').next().unwrap_or_default())
        .filter(|path| !path.is_empty() && !path.contains(":memory:"));
    let base = match file {
        Some(path) => {
            let path = PathBuf::from(path);
            let parent = path.parent().map(PathBuf::from).unwrap_or_default();
            if parent.as_os_str().is_empty() {
                here()
            } else if parent.is_relative() {
                here().join(parent)
            } else {
                parent
            }
        }
        None => here(),
    };
    format!("file://{}", base.join("attachments").display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_sits_beside_the_sqlite_file() {
        assert_eq!(default_url("sqlite:///var/lib/lantern/lantern.db?mode=rwc"), "file:///var/lib/lantern/attachments");
        let here = std::env::current_dir().expect("cwd");
        assert_eq!(default_url("sqlite://lantern.db"), format!("file://{}", here.join("attachments").display()));
        assert_eq!(default_url("postgres://x@h/db"), format!("file://{}", here.join("attachments").display()));
    }
}
