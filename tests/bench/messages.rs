//! Exchange benchmark on real text, black-box: the release `lantern` binary
//! on a fresh SQLite file and a fresh Postgres database, its knowledge base
//! loaded over the public API with the real-text corpus
//! (`scripts/fetch-corpus.sh`: Debian's manual pages), driven over HTTP by
//! concurrent visitors who each ask real questions (a new conversation with
//! the question as its first message every few exchanges, else a message in
//! their open one). Beside it, in the same run and on the same database, the
//! raw SQL of the same exchange (pgbench on Postgres, a sqlx loop on SQLite),
//! and the ratios; search latency and retrieval hit rates on the same
//! questions; on Postgres the round trips and commits of one exchange.
//! Prints figures; asserts nothing about time.
//!
//! The raw SQL on SQLite is a sqlx loop rather than the `sqlite3` shell: 32
//! tasks, the search on a pool of readers and the append in one
//! `BEGIN IMMEDIATE` transaction on a single writer they take turns on, with
//! the server's own `synchronous=FULL`. That is the most the file can do for
//! this exchange (one fsync per exchange, no busy-handler sleeps); 32
//! `sqlite3` processes would measure their lock contention instead.
//!
//! `cargo build --release --bin lantern &&
//!  cargo bench -p lantern-tests --bench messages [-- EXCHANGES CONCURRENCY] [sqlite|postgres|redis]`
//! (`redis`: Postgres + Redis, one instance and then two, exchanges only).
//! (defaults 1,600 and 32; `LANTERN_BENCH_KEEP_DB=1` keeps the database
//! (Postgres or SQLite) for a look afterwards; the server's log goes to a file in the temp
//! folder, named on stderr).

use std::time::{Duration, Instant};

use futures::future::join_all;
use lantern_tests::{
    Backend,
    backend::{TempDir, postgres_server_url},
    corpus::{Corpus, Doc},
    pgproxy::{CountingProxy, Counts},
    process::{Server, create_site},
    rawsql,
    stats::{Lcg, Summary, ms},
};
use serde_json::json;
use sqlx::{Connection, Executor, PgConnection};

/// Exchanges per conversation before a visitor starts a new one.
const SESSION: usize = 10;
/// Questions used for search latency and hit rates.
const SEARCH_QUESTIONS: usize = 400;
/// Exchanges counted through the proxy (Postgres).
const COUNTED: usize = 320;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let numbers: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let exchanges = numbers.first().copied().unwrap_or(1600);
    let clients = numbers.get(1).copied().unwrap_or(32);
    let only = |name: &str| {
        !args.iter().any(|a| a.parse::<usize>().is_err()) || args.iter().any(|a| a == name)
    };
    let corpus = Corpus::load();
    let questions: Vec<String> = corpus
        .questions
        .iter()
        .map(|q| q.question.clone())
        .collect();
    println!(
        "real text: {} documents, {} questions (Debian manual pages); {exchanges} exchanges per case at {clients} connections",
        corpus.docs.len(),
        questions.len()
    );
    if only("sqlite") {
        run(Backend::Sqlite, &corpus, &questions, exchanges, clients).await;
    }
    if only("postgres") {
        run(Backend::Postgres, &corpus, &questions, exchanges, clients).await;
    }
    if args.iter().any(|a| a == "redis") {
        scale_out(&corpus, &questions, exchanges, clients).await;
    }
}

/// Postgres + Redis (live events fan out through Redis): one instance, then
/// two on the same database with the visitors alternating between them.
async fn scale_out(corpus: &Corpus, questions: &[String], exchanges: usize, clients: usize) {
    let (url, _, name) = fresh(Backend::Postgres).await;
    let (site, key) = create_site(&url);
    let redis = lantern_tests::backend::redis_url();
    let prefix = format!("lantern-bench-{}", uuid::Uuid::new_v4().simple());
    let env = [
        ("REDIS_URL", redis.as_str()),
        ("LANTERN_REDIS_PREFIX", prefix.as_str()),
    ];
    let a = Server::start(&url, &env).await;
    import(&a, &key, &corpus.docs, 4).await;
    for instances in [1, 2] {
        let b = if instances == 2 {
            Some(Server::start(&url, &env).await)
        } else {
            None
        };
        let servers: Vec<&Server> = std::iter::once(&a).chain(b.as_ref()).collect();
        let tokens = join_all((0..clients).map(|_| a.visitor(&site))).await;
        let started = Instant::now();
        let (lat, failed) = drive(&servers, &tokens, questions, exchanges, 3).await;
        let s = Summary::new(lat, started.elapsed());
        println!(
            "== Postgres + Redis, {instances} instance(s), real questions, {clients} connections: {s}; {failed} failed"
        );
    }
    drop(a);
    if let Some(name) = name {
        let mut admin = PgConnection::connect(&postgres_server_url())
            .await
            .expect("Postgres");
        let _ = admin
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await;
    }
}

/// A fresh database: (URL, SQLite file folder, Postgres database name).
async fn fresh(backend: Backend) -> (String, Option<TempDir>, Option<String>) {
    let name = format!("lantern_bench_{}", uuid::Uuid::new_v4().simple());
    match backend {
        Backend::Sqlite => {
            let dir = TempDir::new(&name);
            (
                format!("sqlite://{}/lantern.db", dir.0.display()),
                Some(dir),
                None,
            )
        }
        Backend::Postgres => {
            let mut admin = PgConnection::connect(&postgres_server_url())
                .await
                .expect("Postgres");
            admin
                .execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .expect("create");
            (pg_url(&name, None), None, Some(name))
        }
    }
}

/// The URL of database `name` on the test server, or through a proxy port.
fn pg_url(name: &str, proxy_port: Option<u16>) -> String {
    let server = postgres_server_url();
    let (base, _) = server.rsplit_once('/').expect("URL has a database path");
    match proxy_port {
        None => format!("{base}/{name}"),
        Some(port) => {
            let (head, _) = base.rsplit_once(['@', '/']).expect("a host");
            let sep = if base.contains('@') { '@' } else { '/' };
            format!("{head}{sep}127.0.0.1:{port}/{name}?sslmode=disable")
        }
    }
}

fn upstream() -> String {
    let server = postgres_server_url();
    let (base, _) = server.rsplit_once('/').expect("URL has a database path");
    base.rsplit(['@', '/'])
        .next()
        .expect("host:port")
        .to_string()
}

async fn run(
    backend: Backend,
    corpus: &Corpus,
    questions: &[String],
    exchanges: usize,
    clients: usize,
) {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "-- {backend:?}: load average before (1/5/15 min): {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    let (url, dir, pg_name) = fresh(backend).await;
    let (site, key) = create_site(&url);
    let (empty_site, _) = create_site(&url);
    let server = Server::start(&url, &[]).await;

    let parallel = 4;
    let (passages, took) = import(&server, &key, &corpus.docs, parallel).await;
    println!(
        "== {backend:?}: imported {} documents ({passages} passages) over HTTP in {:.1} s ({:.0} documents/s)",
        corpus.docs.len(),
        took.as_secs_f64(),
        corpus.docs.len() as f64 / took.as_secs_f64()
    );
    search(&server, &site, corpus, 0, "right after the import").await;
    if backend == Backend::Postgres {
        // The postings were just written: until autovacuum visits them
        // (within a minute or so of an import this size) their index
        // cannot answer alone. What the searches after that see:
        let mut db = PgConnection::connect(&url).await.expect("Postgres");
        db.execute("VACUUM (ANALYZE) knowledge_postings")
            .await
            .expect("vacuum");
        search(
            &server,
            &site,
            corpus,
            1,
            "after a VACUUM (what autovacuum does)",
        )
        .await;
    }

    let (real, failed) = exchange_run(&server, &site, questions, exchanges, clients).await;
    println!(
        "   Lantern exchanges, real questions, {clients} connections: {real}; {failed} failed"
    );
    let synthetic: Vec<String> = (0..500).map(|i| format!("question {i}")).collect();
    let (synth, failed) =
        exchange_run(&server, &empty_site, &synthetic, exchanges / 2, clients).await;
    println!(
        "   Lantern exchanges, synthetic \"question N\", empty knowledge base: {synth}; {failed} failed"
    );
    server.stop();

    let per_client = (exchanges / clients).max(1);
    let (raw_rate, raw) = match backend {
        Backend::Sqlite => {
            let path = dir.as_ref().expect("dir").0.join("lantern.db");
            let s = rawsql::sqlite_exchanges(&path, &site, questions, clients, per_client).await;
            println!(
                "   raw SQL of the same exchange (sqlx loop: {clients} tasks, 4 readers, one writer): {s}"
            );
            (s.rate(), s)
        }
        Backend::Postgres => {
            rawsql::prepare_postgres(&url, &site, questions, clients).await;
            let r = rawsql::pgbench(&url, questions.len(), clients, per_client);
            println!(
                "   raw SQL of the same exchange (pgbench, tests/bench/exchange.pgbench.sql, {clients} clients): tps {:.0}; latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms ({} transactions)",
                r.tps,
                ms(r.summary.p50),
                ms(r.summary.p95),
                ms(r.summary.p99),
                r.summary.count
            );
            (r.tps, r.summary)
        }
    };
    println!(
        "   ratio Lantern / raw SQL: rate {:.2}x, p99 {:.2}x",
        real.rate() / raw_rate.max(1e-9),
        ms(real.p99) / ms(raw.p99).max(1e-9)
    );

    if let Some(name) = pg_name {
        count_per_exchange(&name, &site, questions, clients).await;
        if std::env::var_os("LANTERN_BENCH_KEEP_DB").is_some() {
            println!("   (kept database {name})");
        } else {
            let mut admin = PgConnection::connect(&postgres_server_url())
                .await
                .expect("Postgres");
            let _ = admin
                .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await;
        }
    }
    match dir {
        Some(dir) if std::env::var_os("LANTERN_BENCH_KEEP_DB").is_some() => {
            println!("   (kept database {}/lantern.db)", dir.0.display());
            std::mem::forget(dir);
        }
        dir => drop(dir),
    }
}

/// Imports every document with `parallel` requests at a time; (passages,
/// time). On SQLite the single writer commits concurrent imports together
/// (each document's postings dirty a page per distinct term, so fewer
/// commits write far fewer pages).
async fn import(server: &Server, key: &str, docs: &[Doc], parallel: usize) -> (i64, Duration) {
    let started = Instant::now();
    let chunks: Vec<&[Doc]> = docs.chunks(docs.len().div_ceil(parallel)).collect();
    let counts = join_all(chunks.into_iter().map(|chunk| async move {
        let mut passages = 0;
        for d in chunk {
            let v = server
                .post("/api/v1/knowledge/documents", key, &json!(d), 201)
                .await;
            passages += v["passages"].as_i64().unwrap_or(0);
        }
        passages
    }))
    .await;
    (counts.iter().sum(), started.elapsed())
}

/// Search latency (one client) and retrieval hit rates of the expected page,
/// on every third question from the `offset`th: a second pass asks other
/// questions, so it is not answered from the search cache.
async fn search(server: &Server, site: &str, corpus: &Corpus, offset: usize, when: &str) {
    let sample: Vec<_> = corpus
        .questions
        .iter()
        .skip(offset)
        .step_by(3)
        .take(SEARCH_QUESTIONS)
        .collect();
    let (mut top1, mut top3, mut lat) = (0, 0, Vec::new());
    for q in &sample {
        let t = Instant::now();
        let res = server
            .client
            .get(server.url(&format!("/api/v1/sites/{site}/knowledge/search")))
            .query(&[("q", q.question.as_str()), ("limit", "3")])
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), 200, "search");
        let v: serde_json::Value = res.json().await.expect("json");
        lat.push(t.elapsed());
        let urls: Vec<&str> = v["results"]
            .as_array()
            .map(|a| a.iter().filter_map(|r| r["url"].as_str()).collect())
            .unwrap_or_default();
        top1 += usize::from(urls.first() == Some(&q.expected_url.as_str()));
        top3 += usize::from(urls.contains(&q.expected_url.as_str()));
    }
    let s = Summary::new(lat, Duration::ZERO);
    let pct = |n: usize| 100.0 * n as f64 / sample.len() as f64;
    println!(
        "   search over HTTP {when}, {} real questions one at a time: p50 {:.1} ms, p99 {:.1} ms; expected page top-1 {:.1}%, top-3 {:.1}%",
        sample.len(),
        ms(s.p50),
        ms(s.p99),
        pct(top1),
        pct(top3)
    );
}

/// `total` exchanges from `clients` new visitors of `site`, timed.
async fn exchange_run(
    server: &Server,
    site: &str,
    questions: &[String],
    total: usize,
    clients: usize,
) -> (Summary, usize) {
    let tokens = join_all((0..clients).map(|_| server.visitor(site))).await;
    let started = Instant::now();
    let (latencies, failed) = drive(&[server], &tokens, questions, total, 1).await;
    (Summary::new(latencies, started.elapsed()), failed)
}

/// `total` exchanges spread over the visitors `tokens` (visitor `c` talks to
/// `servers[c % servers.len()]`), all at once: each
/// visitor opens a conversation with its first question and asks
/// `SESSION - 1` more in it before opening the next. Returns each answered
/// exchange's latency and the number of failed ones (printed, not fatal: a
/// failure is a finding).
async fn drive(
    servers: &[&Server],
    tokens: &[String],
    questions: &[String],
    total: usize,
    seed: u64,
) -> (Vec<Duration>, usize) {
    let per_client = total / tokens.len();
    let runs = tokens.iter().enumerate().map(|(c, token)| async move {
        let server = servers[c % servers.len()];
        let mut rng = Lcg(seed * 1000 + c as u64);
        let mut lat = Vec::with_capacity(per_client);
        let (mut conv, mut failed) = (String::new(), 0);
        for i in 0..per_client {
            let q = &questions[rng.below(questions.len())];
            let t = Instant::now();
            let res = if i % SESSION == 0 || conv.is_empty() {
                let body = json!({"initial_message": q});
                let res = server
                    .try_post("/api/v1/conversations", token, &body, 201)
                    .await;
                conv = res
                    .as_ref()
                    .ok()
                    .and_then(|v| v["id"].as_str())
                    .unwrap_or_default()
                    .to_string();
                res
            } else {
                let path = format!("/api/v1/conversations/{conv}/messages");
                let body = json!({"content": q, "client_message_id": format!("b{seed}-{c}-{i}")});
                server.try_post(&path, token, &body, 201).await
            };
            match res {
                Ok(_) => lat.push(t.elapsed()),
                Err(e) => {
                    if failed == 0 {
                        let e: String = e.chars().take(300).collect();
                        eprintln!("   (first failure of client {c}: {e})");
                    }
                    failed += 1;
                }
            }
        }
        (lat, failed)
    });
    let done = join_all(runs).await;
    let failed = done.iter().map(|(_, f)| f).sum();
    (done.into_iter().flat_map(|(l, _)| l).collect(), failed)
}

/// Database work per exchange on Postgres: the server started again behind a
/// counting proxy, once for `COUNTED` exchanges and once for none (the same
/// start-up and visitors), and the difference divided by `COUNTED`.
/// Transactions and inserted rows come from `pg_stat_database`, read after
/// the server has exited (its backends report their statistics on exit).
async fn count_per_exchange(name: &str, site: &str, questions: &[String], clients: usize) {
    let proxy = CountingProxy::start(upstream()).await;
    let url = pg_url(name, Some(proxy.port));
    let mut base = None;
    for n in [0, COUNTED] {
        let before_db = db_stats(name).await;
        let server = Server::start(&url, &[]).await;
        let tokens = join_all((0..clients).map(|_| server.visitor(site))).await;
        let before = proxy.counters.snapshot();
        if n > 0 {
            let (_, failed) = drive(&[&server], &tokens, questions, n, 2).await;
            assert_eq!(failed, 0, "counted exchanges failed");
        }
        let during = proxy.counters.snapshot() - before;
        server.stop();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let after = db_stats(name).await;
        let db = [after[0] - before_db[0], after[1] - before_db[1]];
        match base.take() {
            None => base = Some((during, db)),
            Some((_, base_db)) => {
                let per = |x: u64| x as f64 / n as f64;
                let per_db = |i: usize| (db[i] - base_db[i]) as f64 / n as f64;
                print_counts(during, per, per_db, n);
            }
        }
    }
}

fn print_counts(c: Counts, per: impl Fn(u64) -> f64, per_db: impl Fn(usize) -> f64, n: usize) {
    println!(
        "   per exchange on Postgres ({n} exchanges through a counting proxy): {:.1} round trips, {:.1} statements, {:.2} explicit COMMITs, {:.1} transactions committed and {:.1} rows inserted (pg_stat_database), {:.2} new connections",
        per(c.round_trips),
        per(c.statements),
        per(c.commits),
        per_db(0),
        per_db(1),
        per(c.connections)
    );
}

/// (xact_commit, tup_inserted) of database `name`.
async fn db_stats(name: &str) -> [i64; 2] {
    let mut admin = PgConnection::connect(&postgres_server_url())
        .await
        .expect("Postgres");
    let row: (i64, i64) =
        sqlx::query_as("SELECT xact_commit, tup_inserted FROM pg_stat_database WHERE datname = $1")
            .bind(name)
            .fetch_one(&mut admin)
            .await
            .expect("pg_stat_database");
    [row.0, row.1]
}
