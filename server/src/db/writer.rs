//! SQLite's single writer, with group commit.
//!
//! Every write of the process goes through one connection, so writers queue
//! (first come, first served) instead of sleeping in SQLite's busy handler.
//! Each write runs inside a savepoint of a shared transaction; the last
//! writer of a burst — the one that finds nobody waiting — commits for all
//! of them, and each learns the outcome of that one COMMIT before it
//! returns. With `synchronous=FULL`, a commit costs an fsync: a burst of N
//! concurrent writes pays one instead of N, and a write is still durable
//! before its caller hears it succeeded.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use sqlx::{Executor, SqliteConnection};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

/// The longest batch: a steady stream of writers still commits this often.
const MAX_BATCH: usize = 64;

/// The writer: one connection, the shared transaction's state.
#[derive(Clone)]
pub(crate) struct Writer {
    state: Arc<Mutex<State>>,
    /// Writers waiting for the connection (a commit is left to them).
    waiting: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

struct State {
    conn: SqliteConnection,
    /// A shared transaction is open.
    open: bool,
    /// Writers whose savepoint was released into the open transaction,
    /// waiting for its commit.
    batch: Vec<oneshot::Sender<Result<(), String>>>,
}

/// One write in progress: holds the connection until committed or dropped.
pub(crate) struct WriteTx {
    guard: Option<OwnedMutexGuard<State>>,
    writer: Writer,
}

impl Writer {
    pub(crate) fn new(conn: SqliteConnection) -> Writer {
        Writer {
            state: Arc::new(Mutex::new(State {
                conn,
                open: false,
                batch: Vec::new(),
            })),
            waiting: Arc::default(),
        }
    }

    /// Waits for the connection and opens this write's savepoint.
    pub(crate) async fn begin(&self) -> Result<WriteTx, sqlx::Error> {
        let waiting = Waiting::new(self);
        let mut guard = self.state.clone().lock_owned().await;
        waiting.served();
        if !guard.open {
            guard.conn.execute("BEGIN IMMEDIATE").await?;
            guard.open = true;
        }
        if let Err(e) = guard.conn.execute("SAVEPOINT w").await {
            finish(self, guard).await;
            return Err(e);
        }
        Ok(WriteTx {
            guard: Some(guard),
            writer: self.clone(),
        })
    }

    /// Runs `f` with the connection outside any transaction (migrations).
    pub(crate) async fn with_conn<T>(
        &self,
        f: impl AsyncFnOnce(&mut SqliteConnection) -> T,
    ) -> T {
        let mut guard = self.state.lock().await;
        f(&mut guard.conn).await
    }

    /// Closes the connection once every write is done.
    pub(crate) async fn close(&self) {
        let guard = self.state.lock().await;
        drop(guard);
    }
}

impl WriteTx {
    /// Makes this write part of the shared transaction and waits for that
    /// transaction's commit.
    pub(crate) async fn commit(mut self) -> Result<(), sqlx::Error> {
        let Some(mut guard) = self.guard.take() else {
            return Ok(());
        };
        if let Err(e) = guard.conn.execute("RELEASE w").await {
            abandon(&mut guard).await;
            finish(&self.writer, guard).await;
            return Err(e);
        }
        let (done, outcome) = oneshot::channel();
        guard.batch.push(done);
        finish(&self.writer, guard).await;
        match outcome.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(sqlx::Error::Io(std::io::Error::other(message))),
            Err(_) => Err(sqlx::Error::Io(std::io::Error::other(
                "the write batch was dropped before its commit",
            ))),
        }
    }
}

impl std::ops::Deref for WriteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.guard.as_ref().expect("a write in progress holds the connection").conn
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.guard.as_mut().expect("a write in progress holds the connection").conn
    }
}

impl Drop for WriteTx {
    /// A write given up (an error, or its caller went away): its savepoint
    /// is undone, and the others' batch goes on — in a task, since undoing
    /// takes a round trip to SQLite.
    fn drop(&mut self) {
        if let Some(mut guard) = self.guard.take() {
            let writer = self.writer.clone();
            tokio::spawn(async move {
                abandon(&mut guard).await;
                finish(&writer, guard).await;
            });
        }
    }
}

/// Undoes the current savepoint.
async fn abandon(state: &mut State) {
    let undone = state.conn.execute("ROLLBACK TO w").await;
    let released = state.conn.execute("RELEASE w").await;
    if undone.is_err() || released.is_err() {
        // The transaction itself is gone: everyone in it must learn so.
        commit_batch(state).await;
    }
}

/// Hands the connection on. When nobody waits for it (or the batch is
/// long), commits the shared transaction first and tells every write in it.
async fn finish(writer: &Writer, mut guard: OwnedMutexGuard<State>) {
    if writer.waiting.load(Ordering::Acquire) == 0 || guard.batch.len() >= MAX_BATCH {
        commit_batch(&mut guard).await;
    }
}

async fn commit_batch(state: &mut State) {
    if !state.open {
        return;
    }
    let outcome = state.conn.execute("COMMIT").await.map(|_| ());
    if outcome.is_err() {
        // Leave no half transaction behind for the next batch.
        let _ = state.conn.execute("ROLLBACK").await;
    }
    state.open = false;
    let outcome = outcome.map_err(|e| e.to_string());
    for done in state.batch.drain(..) {
        let _ = done.send(outcome.clone());
    }
}

/// Counts a writer waiting for the connection. A waiter that goes away
/// before its turn may leave a batch nobody would commit: the last one to
/// leave then commits it.
struct Waiting<'a> {
    writer: &'a Writer,
    served: bool,
}

impl<'a> Waiting<'a> {
    fn new(writer: &'a Writer) -> Waiting<'a> {
        writer.waiting.fetch_add(1, Ordering::AcqRel);
        Waiting {
            writer,
            served: false,
        }
    }

    /// The writer got the connection: it will commit or pass it on.
    fn served(mut self) {
        self.served = true;
        self.writer.waiting.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if !self.served && self.writer.waiting.fetch_sub(1, Ordering::AcqRel) == 1 {
            let writer = self.writer.clone();
            tokio::spawn(async move {
                // Commits a batch left open by writers that passed the
                // connection on to this (now absent) waiter; harmless when
                // the batch was committed meanwhile.
                let mut guard = writer.state.clone().lock_owned().await;
                if writer.waiting.load(Ordering::Acquire) == 0 {
                    commit_batch(&mut guard).await;
                }
            });
        }
    }
}
