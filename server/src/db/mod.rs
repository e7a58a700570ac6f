//! The one place that speaks SQL. [`Db`] is a handle over the pool of one of
//! two backends — embedded SQLite (default) or Postgres, chosen from the URL
//! scheme — and each resource module (`sites`, `visitors`, `conversations`,
//! `messages`, `knowledge`, `curated`, `webhooks`, `users`, `sessions`, `keys`,
//! `inbox`, `canned`, `privacy`, `insights`, `profiles`, `memories`, `attachments`,
//! `documents`, `conversation_log`, `vectors`,
//! `sources`) adds its queries to it as plain
//! methods. Where both backends run the same SQL, the [`read!`], [`write!`]
//! and [`tx!`] macros expand one body per backend; where they differ, the
//! method says so with a `match`. Row structs and their conversion to API
//! types live beside their queries. Nothing here imports the layers above.

mod announce;
mod attachments;
mod cached;
mod canned;
pub mod backup;
mod connect;
mod conversation_log;
mod conversations;
mod curated;
mod documents;
mod inbox;
mod insights;
mod keys;
mod knowledge;
mod memories;
mod messages;
mod privacy;
mod profiles;
mod prune;
mod sealed;
mod sessions;
mod sites;
mod sources;
mod upkeep;
mod users;
mod vectors;
mod visitors;
pub mod webhooks;
mod writer;

pub use attachments::{AttachmentPolicy, AttachmentRecord, Doomed};
pub use cached::{ConversationFacts, TokenOwner};
pub use conversation_log::{LogFilter, LogRow, VoteFilter};
pub use conversations::{ConversationFilter, ConversationRecord, NewConversation, StatusChange};
pub use inbox::{InboxChange, SiteEvent};
pub use insights::{Figure, Miss};
pub use curated::{CuratedRow, MAX_CURATED};
pub use documents::{CitedRow, PassageRow};
pub use sources::{MAX_SOURCES, SourceRow};
pub use keys::KeyRow;
pub use knowledge::{DocumentRecord, NewDocument, content_hash, NewPassage, PassageHit, PassageIndex, StalePassage};
pub use messages::{Appended, Exchange, NewMessage, StoredEvent};
pub use privacy::{Erased, ErasureRow, FeedbackRecord, Retention};
pub use memories::{MAX_MEMORIES, MemoryRow};
pub use profiles::{ProfileRow, VerifiedProfile};
pub use sites::Site;
pub use users::{InviteGrant, MemberRow, MembershipRow, User, email_key};
pub use vectors::{StoredVector, UnembeddedPassage, vector_bytes, vector_from_bytes};
pub use visitors::Visitor;
pub use webhooks::{Claimed, Endpoint};

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::{PgPool, Postgres, SqlitePool, Transaction};
use writer::{WriteTx, Writer};

/// Failures of the storage layer. Database causes stay inside; callers see
/// what they can act on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be reached or is busy past its timeout: worth a
    /// retry, not a bug (503, not 500).
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    #[error(transparent)]
    Database(sqlx::Error),
    /// A stored secret that the configured keys cannot open.
    #[error(transparent)]
    Sealed(crate::sealing::SealError),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Error {
        if is_unavailable(&e) {
            Error::Unavailable(e)
        } else {
            Error::Database(e)
        }
    }
}

/// Whether `e` says the database is out of reach rather than that the query
/// is wrong: connection failures, pool timeouts, Postgres shutting down or
/// refusing connections, SQLite busy, locked or unable to open its file.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => {
            let code = d.code().unwrap_or_default();
            // Postgres: class 08 (connection), 57P01-03 (shutdown, cannot
            // connect now), 53300 (too many connections). SQLite primary
            // codes: 5 BUSY, 6 LOCKED, 14 CANTOPEN, 10 IOERR (extended codes
            // keep the primary in their low byte).
            let sqlite_primary = code.parse::<i64>().ok().map(|c| c & 0xff);
            code.starts_with("08")
                || code.starts_with("57P")
                || code == "53300"
                || matches!(sqlite_primary, Some(5 | 6 | 10 | 14))
        }
        _ => false,
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// An update or delete of one named row: `NotFound` when it changed none.
fn found(rows_changed: u64) -> Result<()> {
    if rows_changed == 0 { Err(Error::NotFound) } else { Ok(()) }
}

/// A handle over the database: cheap to clone, shared by every request.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    /// Notified when webhook deliveries were queued, so this process's
    /// delivery worker wakes at once instead of at its next poll.
    queued: std::sync::Arc<tokio::sync::Notify>,
    /// Notified when passages were written ([`upkeep`]).
    indexed: std::sync::Arc<tokio::sync::Notify>,
    /// Seals secrets before they are stored and opens them when read
    /// ([`crate::sealing`]); none: stored as they are.
    sealer: Option<std::sync::Arc<crate::sealing::Sealer>>,
    /// SQLite: the shared lock that keeps a restore from replacing the
    /// file while this process has it open ([`backup`]).
    _serving: Option<std::sync::Arc<std::fs::File>>,
    /// Tokens, sites, conversation owners, people ([`cached`]); off until
    /// [`Db::with_cache_ttl`] turns it on (the server does; tools do not).
    cache: std::sync::Arc<cached::DbCache>,
}

/// The connections of one backend. SQLite gets a pool of readers and a
/// single writer with group commit ([`writer`]): WAL lets readers run
/// beside the writer, and one writer means writes queue instead of sleeping
/// in SQLite's busy handler.
#[derive(Clone, Debug)]
enum Pool {
    Sqlite { read: SqlitePool, write: Writer },
    Postgres(PgPool),
}

/// An open transaction on either backend (SQLite: a write of the writer's
/// shared transaction).
pub(crate) enum Tx {
    Sqlite(WriteTx),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` once per backend with `$p` bound to the pool that serves
/// reads (SQLite's readers, or the Postgres pool).
macro_rules! read {
    ($db:expr, $p:ident => $body:expr) => {
        match $db.pool() {
            $crate::db::PoolRef::Sqlite { read: $p, .. } => $body,
            $crate::db::PoolRef::Postgres($p) => $body,
        }
    };
}

/// Like [`read!`], for one-statement writes: `$p` is the SQLite writer's
/// connection (the statement joins its group commit) or the Postgres pool.
/// Evaluates to the body's result; the write is committed when it is `Ok`.
macro_rules! write {
    ($db:expr, $p:ident => $body:expr) => {
        match $db.pool() {
            $crate::db::PoolRef::Sqlite { write, .. } => {
                let mut w = write.begin().await.map_err($crate::db::Error::from)?;
                let out = {
                    let $p = &mut *w;
                    $body
                };
                if out.is_ok() {
                    w.commit().await.map_err($crate::db::Error::from)?;
                }
                out
            }
            $crate::db::PoolRef::Postgres($p) => $body,
        }
    };
}

/// Runs `$body` once per backend with `$c` bound to the transaction's
/// connection (`&mut SqliteConnection` or `&mut PgConnection`).
macro_rules! tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

pub(crate) use {read, tx, write};

/// Borrowed view of the pools, for the macros above (the enum itself stays
/// private to this module).
pub(crate) enum PoolRef<'a> {
    Sqlite {
        read: &'a SqlitePool,
        write: &'a Writer,
    },
    Postgres(&'a PgPool),
}

impl Db {
    pub(crate) fn pool(&self) -> PoolRef<'_> {
        match &self.pool {
            Pool::Sqlite { read, write } => PoolRef::Sqlite { read, write },
            Pool::Postgres(p) => PoolRef::Postgres(p),
        }
    }

    pub fn backend(&self) -> &'static str {
        match &self.pool {
            Pool::Sqlite { .. } => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Pool figures: (size, idle), readers and writer together.
    pub fn pool_stats(&self) -> (u32, u32) {
        match &self.pool {
            // The writer counts as one connection, in use or not.
            Pool::Sqlite { read, .. } => (read.size() + 1, read.num_idle() as u32),
            Pool::Postgres(p) => (p.size(), p.num_idle() as u32),
        }
    }

    /// This handle, sealing the secrets it stores with `sealer`.
    pub fn with_sealer(mut self, sealer: Option<std::sync::Arc<crate::sealing::Sealer>>) -> Db {
        self.sealer = sealer;
        self
    }

    /// A secret as it is stored: sealed when a key is set.
    pub(crate) fn seal(&self, plain: &str) -> String {
        crate::sealing::seal(self.sealer.as_deref(), plain)
    }

    /// A stored secret, opened.
    pub(crate) fn unseal(&self, stored: &str) -> Result<String> {
        crate::sealing::open(self.sealer.as_deref(), stored).map_err(Error::Sealed)
    }

    /// A round trip to the database, for readiness.
    pub async fn ping(&self) -> Result<()> {
        read!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Starts a transaction (on SQLite, on the single writer).
    pub(crate) async fn begin(&self) -> Result<Tx> {
        Ok(match &self.pool {
            Pool::Sqlite { write, .. } => Tx::Sqlite(write.begin().await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Closes every connection (backup and restore want the file to rest).
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Pool::Postgres(p) => p.close().await,
        }
    }
}

impl Tx {
    pub(crate) async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// A new time-ordered id (UUIDv7), so ids double as creation-order cursors.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The API's timestamp form: RFC 3339, milliseconds, `Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Maps a unique-constraint violation to a conflict with `message`.
fn unique_to_conflict(e: sqlx::Error, message: &str) -> Error {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => Error::Conflict(message.into()),
        _ => e.into(),
    }
}
