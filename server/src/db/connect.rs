//! Opening the database named by a URL and bringing its schema up to date.

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    Connection, SqliteConnection,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use super::{Db, Pool, Writer};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// How long a request waits for a connection before the database counts as
/// unavailable (503).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite readers; they never block each other or the writer (WAL).
const SQLITE_READERS: u32 = 8;
const POSTGRES_CONNECTIONS: u32 = 16;

impl Db {
    /// Opens `url` (`sqlite://FILE`, created when missing, or
    /// `postgres://…`) and applies every pending migration.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        let db = Db::open(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Opens `url` without migrating.
    pub async fn open(url: &str) -> anyhow::Result<Db> {
        let (pool, serving) = if url.starts_with("sqlite:") {
            open_sqlite(url).await?
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            (open_postgres(url).await?, None)
        } else {
            anyhow::bail!("the database URL must start with sqlite:// or postgres://");
        };
        Ok(Db {
            pool,
            queued: Default::default(),
            indexed: Default::default(),
            sealer: None,
            _serving: serving.map(std::sync::Arc::new),
            cache: std::sync::Arc::new(super::cached::DbCache::new(Duration::ZERO)),
        })
    }

    /// Applies every pending migration of this backend.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.pool {
            Pool::Sqlite { write, .. } => {
                write
                    .with_conn(async |c| SQLITE_MIGRATIONS.run(c).await)
                    .await
            }
            Pool::Postgres(p) => POSTGRES_MIGRATIONS.run(p).await,
        }
        .context("cannot apply the database migrations")
    }
}

/// Opens (creating when missing, without truncating) a file only its owner
/// may read: the database holds every conversation.
pub(super) fn private_file(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

async fn open_sqlite(url: &str) -> anyhow::Result<(Pool, Option<std::fs::File>)> {
    let opts = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL costs an fsync per commit, and keeps commits durable across
        // power loss too: a 2xx promises the message is kept.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        // Only another process (a CLI import beside the server) can hold
        // the write lock; this process has one writer.
        .busy_timeout(Duration::from_secs(5));
    if url.contains(":memory:") || url.contains("mode=memory") {
        // Each connection to `:memory:` is a database of its own.
        anyhow::bail!("an in-memory SQLite database cannot be shared; name a file");
    }
    let file = super::backup::sqlite_file(url).context("a sqlite: URL names a file")?;
    // Created private before SQLite creates it (its -wal and -shm files
    // take the database file's permissions).
    drop(private_file(&file).with_context(|| format!("cannot open {}", file.display()))?);
    let serving = super::backup::hold_shared(&file)
        .with_context(|| format!("cannot lock {}", file.display()))?;
    let write = Writer::new(SqliteConnection::connect_with(&opts).await?);
    // Readers are not pinged on acquire: a dead one fails its query, and
    // the ping would cost a round trip on every checkout.
    let read = SqlitePoolOptions::new()
        .max_connections(SQLITE_READERS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .connect_with(opts)
        .await?;
    Ok((Pool::Sqlite { read, write }, Some(serving)))
}

async fn open_postgres(url: &str) -> anyhow::Result<Pool> {
    // Named, so that a restore can see a server is connected.
    let opts = PgConnectOptions::from_str(url)?.application_name(super::backup::PG_APPLICATION);
    let pool = PgPoolOptions::new()
        .max_connections(POSTGRES_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .connect_with(opts)
        .await?;
    Ok(Pool::Postgres(pool))
}
