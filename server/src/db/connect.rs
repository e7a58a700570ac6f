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
        let pool = if url.starts_with("sqlite:") {
            open_sqlite(url).await?
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            open_postgres(url).await?
        } else {
            anyhow::bail!("the database URL must start with sqlite:// or postgres://");
        };
        Ok(Db {
            pool,
            queued: Default::default(),
            sealer: None,
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

async fn open_sqlite(url: &str) -> anyhow::Result<Pool> {
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
    let write = Writer::new(SqliteConnection::connect_with(&opts).await?);
    // Readers are not pinged on acquire: a dead one fails its query, and
    // the ping would cost a round trip on every checkout.
    let read = SqlitePoolOptions::new()
        .max_connections(SQLITE_READERS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .connect_with(opts)
        .await?;
    Ok(Pool::Sqlite { read, write })
}

async fn open_postgres(url: &str) -> anyhow::Result<Pool> {
    let opts = PgConnectOptions::from_str(url)?;
    let pool = PgPoolOptions::new()
        .max_connections(POSTGRES_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .connect_with(opts)
        .await?;
    Ok(Pool::Postgres(pool))
}
