//! The raw SQL of one exchange, without Lantern: the floor the server's
//! exchange is measured against. Postgres runs the committed pgbench script
//! (`tests/bench/exchange.pgbench.sql`); SQLite runs the same statements from
//! a small sqlx loop (see [`sqlite_exchanges`]).

use std::{
    path::Path,
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

use sqlx::{
    Connection, Executor, Row, SqliteConnection,
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
    },
};

use crate::stats::{Lcg, Summary};

/// Loads `bench_questions` and `bench_convs` (the site's newest `clients`
/// conversations) into the Postgres database at `url`.
pub async fn prepare_postgres(url: &str, site_id: &str, questions: &[String], clients: usize) {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    conn.execute(
        "DROP TABLE IF EXISTS bench_questions, bench_convs; \
         CREATE TABLE bench_questions (id INT PRIMARY KEY, q TEXT NOT NULL, tsa TSQUERY NOT NULL, tso TSQUERY NOT NULL); \
         CREATE TABLE bench_convs (n BIGINT PRIMARY KEY, id TEXT NOT NULL)",
    )
    .await
    .expect("bench tables");
    let ids: Vec<i32> = (1..=questions.len() as i32).collect();
    // The question's English terms, all of them (AND) and any of them (OR).
    sqlx::query(
        "INSERT INTO bench_questions \
         SELECT i, q, plainto_tsquery('english', q), \
         CAST(replace(CAST(plainto_tsquery('english', q) AS TEXT), ' & ', ' | ') AS TSQUERY) \
         FROM unnest($1::int[], $2::text[]) AS t(i, q)",
    )
    .bind(&ids)
    .bind(questions)
    .execute(&mut conn)
    .await
    .expect("questions");
    sqlx::query(
        "INSERT INTO bench_convs SELECT row_number() OVER (), id FROM \
         (SELECT id FROM conversations WHERE site_id = $1 ORDER BY updated_at DESC LIMIT $2) s",
    )
    .bind(site_id)
    .bind(clients as i64)
    .execute(&mut conn)
    .await
    .expect("conversations");
    conn.execute("ANALYZE").await.expect("analyze");
}

/// What pgbench reported: its rate and the latencies from its log.
pub struct PgbenchRun {
    pub tps: f64,
    pub summary: Summary,
}

/// Runs the pgbench script at `clients` connections, `per_client`
/// transactions each, against the database at `url`.
pub fn pgbench(url: &str, questions: usize, clients: usize, per_client: usize) -> PgbenchRun {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/exchange.pgbench.sql");
    let logs = std::env::temp_dir().join(format!("lantern-pgbench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&logs);
    std::fs::create_dir_all(&logs).expect("log dir");
    let started = Instant::now();
    let out = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-f", script])
        .args(["-c", &clients.to_string(), "-j", "2"])
        .args(["-t", &per_client.to_string()])
        .args(["-D", &format!("nq={questions}")])
        .arg("--log")
        .arg(format!("--log-prefix={}", logs.join("pgb").display()))
        .arg(url)
        .output()
        .expect("pgbench is installed (Debian: postgresql-client)");
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pgbench failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tps = stdout
        .lines()
        .find_map(|l| l.strip_prefix("tps = "))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    let latencies = read_pgbench_logs(&logs);
    let _ = std::fs::remove_dir_all(&logs);
    PgbenchRun {
        tps,
        summary: Summary::new(latencies, wall),
    }
}

/// Per-transaction latencies (third field, microseconds) of pgbench's logs.
fn read_pgbench_logs(dir: &Path) -> Vec<Duration> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("logs").flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        out.extend(
            text.lines()
                .filter_map(|l| l.split_whitespace().nth(2)?.parse::<u64>().ok())
                .map(Duration::from_micros),
        );
    }
    out
}

/// FTS5 queries for every word of `q` and for any word, but a few very
/// common words.
pub fn fts_queries(q: &str) -> (String, String) {
    const COMMON: &[&str] = &[
        "a", "an", "and", "do", "for", "how", "i", "in", "is", "of", "on", "or", "the", "to",
        "what", "with",
    ];
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| !w.is_empty() && !COMMON.contains(&w.as_str()))
        .map(|w| format!("\"{w}\""))
        .collect();
    (words.join(" "), words.join(" OR "))
}

/// The same exchange as the pgbench script on SQLite at `path`, from
/// `clients` tasks: the search (FTS5, on an index of its own built first)
/// on a pool of readers (WAL lets them run beside
/// the writer), then the append in one `BEGIN IMMEDIATE` transaction on a
/// single writer connection the tasks take turns on. This is the database's
/// own limit on this machine with `synchronous=FULL` (one fsync per commit),
/// without sleeping in the busy handler.
pub async fn sqlite_exchanges(
    path: &Path,
    site_id: &str,
    questions: &[String],
    clients: usize,
    per_client: usize,
) -> Summary {
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(30));
    let readers = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(opts.clone())
        .await
        .expect("readers");
    let writer = Arc::new(tokio::sync::Mutex::new(
        SqliteConnection::connect_with(&opts).await.expect("writer"),
    ));
    // The floor's own full-text index, as the pgbench script brings its own
    // tsqueries: SQLite's FTS5 over the passages' text (the server ranks
    // from postings it keeps itself, which plain SQL would not have).
    let mut w = writer.lock().await;
    w.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS bench_fts USING fts5(heading, body, \
         content = 'passages', content_rowid = 'id', tokenize = 'porter unicode61'); \
         INSERT INTO bench_fts (bench_fts) VALUES ('rebuild');",
    )
    .await
    .expect("the floor's FTS5 index");
    drop(w);
    let convs: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM conversations WHERE site_id = ? ORDER BY updated_at DESC LIMIT ?",
    )
    .bind(site_id)
    .bind(clients as i64)
    .fetch_all(&readers)
    .await
    .expect("conversations");
    assert!(!convs.is_empty(), "the server run left conversations");
    let started = Instant::now();
    let tasks = (0..clients).map(|c| {
        let (readers, writer) = (readers.clone(), writer.clone());
        let conv = convs[c % convs.len()].clone();
        let site = site_id.to_string();
        let questions = questions.to_vec();
        tokio::spawn(async move {
            let mut rng = Lcg(c as u64 + 7);
            let mut lat = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                let q = &questions[rng.below(questions.len())];
                let t = Instant::now();
                let (every, any) = fts_queries(q);
                let mut hits = search(&readers, &every, &site).await;
                if hits.is_empty() {
                    hits = search(&readers, &any, &site).await;
                }
                let best: String = hits
                    .first()
                    .map(|r| r.get::<String, _>("body").chars().take(600).collect())
                    .unwrap_or_default();
                let cites = serde_json::Value::Array(
                    hits.iter()
                        .map(|r| {
                            serde_json::json!({"title": r.get::<String, _>("title"), "url": r.get::<Option<String>, _>("url")})
                        })
                        .collect(),
                )
                .to_string();
                let now = chrono::Utc::now().to_rfc3339();
                let mut w = writer.lock().await;
                append(&mut w, &conv, q, &best, &cites, &now).await;
                drop(w);
                lat.push(t.elapsed());
            }
            lat
        })
    });
    let mut all = Vec::new();
    for t in futures::future::join_all(tasks).await {
        all.extend(t.expect("task"));
    }
    let summary = Summary::new(all, started.elapsed());
    readers.close().await;
    summary
}

/// The 5 best passages for an FTS5 query, as the pgbench script ranks them:
/// every term first, any term only when that finds nothing.
async fn search(readers: &sqlx::SqlitePool, fts: &str, site: &str) -> Vec<SqliteRow> {
    if fts.is_empty() {
        return Vec::new();
    }
    sqlx::query(
        "SELECT d.title, d.url, p.body FROM bench_fts \
         JOIN passages p ON p.id = bench_fts.rowid \
         JOIN documents d ON d.id = p.document_id \
         WHERE bench_fts MATCH ? AND p.site_id = ? \
         ORDER BY bm25(bench_fts, 2.0, 1.0) LIMIT 5",
    )
    .bind(fts)
    .bind(site)
    .fetch_all(readers)
    .await
    .expect("search")
}

async fn append(w: &mut SqliteConnection, conv: &str, q: &str, best: &str, cites: &str, now: &str) {
    w.execute("BEGIN IMMEDIATE").await.expect("begin");
    let row = sqlx::query(
        "UPDATE conversations SET last_seq = last_seq + 2, last_event_id = last_event_id + 2, \
         updated_at = ? WHERE id = ? RETURNING last_seq, last_event_id",
    )
    .bind(now)
    .bind(conv)
    .fetch_one(&mut *w)
    .await
    .expect("lock");
    let (seq, ev): (i64, i64) = (row.get(0), row.get(1));
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, seq, role, content, html, citations, created_at) \
         VALUES (?, ?, ?, 'user', ?, ?, '[]', ?), (?, ?, ?, 'assistant', ?, ?, ?, ?)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(conv)
    .bind(seq - 1)
    .bind(q)
    .bind(format!("<p>{q}</p>"))
    .bind(now)
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(conv)
    .bind(seq)
    .bind(best)
    .bind(format!("<p>{best}</p>"))
    .bind(cites)
    .bind(now)
    .execute(&mut *w)
    .await
    .expect("messages");
    sqlx::query(
        "INSERT INTO events (conversation_id, id, kind, data, created_at) \
         VALUES (?, ?, 'message.created', '{}', ?), (?, ?, 'message.created', '{}', ?)",
    )
    .bind(conv)
    .bind(ev - 1)
    .bind(now)
    .bind(conv)
    .bind(ev)
    .bind(now)
    .execute(&mut *w)
    .await
    .expect("events");
    w.execute("COMMIT").await.expect("commit");
}
