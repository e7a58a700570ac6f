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
        let guard = self.state.clone().lock_owned().await;
        waiting.served();
        // What changes the connection's state runs in a task of its own: a
        // caller that goes away (its request cancelled) while BEGIN is in
        // flight would otherwise leave `open` saying the opposite of
        // SQLite, and every later write of the process failing.
        let (opened, outcome) = oneshot::channel();
        let writer = self.clone();
        tokio::spawn(async move {
            let mut guard = guard;
            match open(&mut guard).await {
                Ok(()) => {
                    if let Err(Ok(mut guard)) = opened.send(Ok(guard)) {
                        // The caller has gone: nothing of its write exists.
                        abandon(&mut guard).await;
                        finish(&writer, guard).await;
                    }
                }
                Err(e) => {
                    finish(&writer, guard).await;
                    let _ = opened.send(Err(e));
                }
            }
        });
        let guard = outcome.await.map_err(|_| gone())??;
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
        let writer = self.writer.clone();
        let (done, outcome) = oneshot::channel();
        // In a task, as in `begin`: the release and the batch's commit
        // finish even when the caller stops waiting for them.
        tokio::spawn(async move {
            if let Err(e) = guard.conn.execute("RELEASE w").await {
                abandon(&mut guard).await;
                finish(&writer, guard).await;
                let _ = done.send(Err(e.to_string()));
                return;
            }
            guard.batch.push(done);
            finish(&writer, guard).await;
        });
        match outcome.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(message)) => Err(sqlx::Error::Io(std::io::Error::other(message))),
            Err(_) => Err(gone()),
        }
    }
}

/// Opens the shared transaction if none is, then this write's savepoint.
async fn open(state: &mut State) -> Result<(), sqlx::Error> {
    if !state.open {
        state.conn.execute("BEGIN IMMEDIATE").await?;
        state.open = true;
    }
    // On failure the shared transaction stays open for the writes already
    // in it; the caller hands the connection on.
    state.conn.execute("SAVEPOINT w").await?;
    Ok(())
}

fn gone() -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(
        "the write batch was dropped before its commit",
    ))
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

#[cfg(test)]
mod tests {
    use futures::FutureExt;
    use sqlx::{Connection, Executor, SqliteConnection};

    use super::Writer;

    async fn insert(writer: &Writer, x: i64) -> Result<(), sqlx::Error> {
        let mut w = writer.begin().await?;
        sqlx::query("INSERT INTO t (x) VALUES (?)")
            .bind(x)
            .execute(&mut *w)
            .await?;
        w.commit().await
    }

    /// Callers dropped at every await (a request whose client went away):
    /// with BEGIN or SAVEPOINT in flight, with the release and the commit in
    /// flight. Each time, the writes after them must still succeed. (Before
    /// the writer ran these steps in tasks of their own, the first case left
    /// a transaction open that the writer believed closed, and every later
    /// write failed with "cannot start a transaction within a transaction".)
    #[tokio::test]
    async fn callers_that_go_away_midway_leave_the_writer_sound() {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.expect("sqlite");
        conn.execute("CREATE TABLE t (x INTEGER)").await.expect("table");
        let writer = Writer::new(conn);
        for round in 0..40 {
            // Polled once, then dropped: BEGIN (or SAVEPOINT) is in flight.
            drop(writer.begin().now_or_never());
            // A write whose commit is polled once and dropped.
            let mut w = writer.begin().await.expect("begin");
            sqlx::query("INSERT INTO t (x) VALUES (-1)")
                .execute(&mut *w)
                .await
                .expect("insert");
            drop(w.commit().now_or_never());
            insert(&writer, round)
                .await
                .unwrap_or_else(|e| panic!("round {round}: a write after a cancelled one failed: {e}"));
        }
        let kept: i64 = writer
            .with_conn(async |c| {
                sqlx::query_scalar("SELECT count(*) FROM t WHERE x >= 0")
                    .fetch_one(c)
                    .await
                    .expect("count")
            })
            .await;
        assert_eq!(kept, 40, "every acknowledged write is there");
    }
}
