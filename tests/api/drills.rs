//! Fault drills: the database becomes unusable while visitors post, then
//! comes back — Postgres unreachable (a proxy the test cuts), and the
//! SQLite file write-locked by another process for longer than the busy
//! timeout. Every answer in between is a 2xx or a 503 with `Retry-After`
//! (never a 500), the service recovers within 5 s of the database's return,
//! and every acknowledged message is stored. Run with `--nocapture` for
//! the figures.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use lantern_tests::{Backend, TestApp, cutproxy::CutProxy};
use serde_json::{Value, json};
use sqlx::Connection;

#[derive(Debug)]
struct Outcome {
    content: String,
    conversation: usize,
    status: u16,
    retry_after: bool,
    at: Instant,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_outage_under_load_is_503_then_recovers_losing_nothing() {
    let db = Backend::Postgres.fresh_database().await;
    // Migrated, with a site, over a direct connection.
    let direct = TestApp::spawn_on(&db.url, |_| {}).await;
    let site = direct.site().await;
    let rest = db.url.split_once('@').expect("a user in the URL").1;
    let upstream = rest.split_once('/').expect("a database path").0.to_string();
    let proxy = CutProxy::start(upstream.clone()).await;
    let proxied = db
        .url
        .replacen(&upstream, &format!("127.0.0.1:{}", proxy.port), 1);
    let app = Arc::new(
        TestApp::spawn_on(&proxied, |s| {
            // One client address and a few visitors post as fast as they can.
            s.rate_limit_visitor = 100_000;
            s.rate_limit_ip = 1_000_000;
        })
        .await,
    );

    let mut visitors = Vec::new();
    for _ in 0..8 {
        let token = app.visitor(&site.id).await;
        let conv = app.conversation_id(&token).await;
        visitors.push((token, conv));
    }
    let load = Load::start(app.clone(), visitors.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;
    proxy.set_up(false);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ready = app
        .client
        .get(app.url("/health/ready"))
        .send()
        .await
        .expect("sent");
    assert_eq!(ready.status(), 503, "readiness during the outage");
    tokio::time::sleep(Duration::from_secs(2)).await;
    proxy.set_up(true);
    let back = Instant::now();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let outcomes = load.stop().await;
    let (acknowledged, unavailable, recovered) = judge(&outcomes, back);
    println!(
        "drill: {} posts, {acknowledged} acknowledged, {unavailable} answered 503; first success {recovered:?} after Postgres returned",
        outcomes.len()
    );
    assert_stored(&direct, &visitors, &outcomes).await;
}

/// Another process holds SQLite's write lock past the busy timeout (5 s):
/// writes answer 503 with `Retry-After`, reads go on (WAL), and writing
/// resumes at once when the lock is let go.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_write_locked_sqlite_file_is_503_then_recovers_losing_nothing() {
    let db = Backend::Sqlite.fresh_database().await;
    let app = Arc::new(
        TestApp::spawn_on(&db.url, |s| {
            s.rate_limit_visitor = 100_000;
            s.rate_limit_ip = 1_000_000;
        })
        .await,
    );
    let site = app.site().await;
    let mut visitors = Vec::new();
    for _ in 0..4 {
        let token = app.visitor(&site.id).await;
        let conv = app.conversation_id(&token).await;
        visitors.push((token, conv));
    }
    let load = Load::start(app.clone(), visitors.clone());
    tokio::time::sleep(Duration::from_secs(1)).await;
    // As `sqlite3` or a second program would: a write transaction left open.
    let mut other = sqlx::SqliteConnection::connect(&db.url)
        .await
        .expect("a second connection");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .expect("the write lock");
    tokio::time::sleep(Duration::from_millis(6_500)).await;
    let (token, conv) = &visitors[0];
    let read = app
        .get_auth(&format!("/api/v1/conversations/{conv}/messages"), token)
        .await;
    assert_eq!(read.status(), 200, "reads go on while the file is locked");
    sqlx::query("COMMIT")
        .execute(&mut other)
        .await
        .expect("let go");
    let back = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let outcomes = load.stop().await;
    let (acknowledged, unavailable, recovered) = judge(&outcomes, back);
    println!(
        "drill: SQLite write-locked 6.5 s: {} posts, {acknowledged} acknowledged, {unavailable} answered 503; first success {recovered:?} after the lock went",
        outcomes.len()
    );
    assert_stored(&app, &visitors, &outcomes).await;
}

/// Posters, one per visitor, posting until stopped.
struct Load {
    stop: Arc<AtomicBool>,
    outcomes: Arc<Mutex<Vec<Outcome>>>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    fn start(app: Arc<TestApp>, visitors: Vec<(String, String)>) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let outcomes = Arc::new(Mutex::new(Vec::<Outcome>::new()));
        let mut workers = Vec::new();
        for (i, (token, conv)) in visitors.iter().cloned().enumerate() {
            let (app, stop, outcomes) = (app.clone(), stop.clone(), outcomes.clone());
            workers.push(tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let content = format!("drill {i}-{n}");
                    let res = app
                        .post_json(
                            &format!("/api/v1/conversations/{conv}/messages"),
                            &token,
                            &json!({"content": content}),
                        )
                        .await;
                    let outcome = Outcome {
                        content,
                        conversation: i,
                        status: res.status().as_u16(),
                        retry_after: res.headers().contains_key("retry-after"),
                        at: Instant::now(),
                    };
                    outcomes.lock().expect("lock").push(outcome);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }));
        }

        Load {
            stop,
            outcomes,
            workers,
        }
    }

    async fn stop(self) -> Vec<Outcome> {
        self.stop.store(true, Ordering::Relaxed);
        for w in self.workers {
            w.await.expect("worker");
        }
        std::mem::take(&mut *self.outcomes.lock().expect("lock"))
    }
}

/// Checks the answers and returns (acknowledged, 503s, time from `back`
/// to the first success).
fn judge(outcomes: &[Outcome], back: Instant) -> (usize, usize, Duration) {
    let count = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let unavailable = count(&|o| o.status == 503);
    let wrong: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.status != 201 && o.status != 503)
        .collect();
    assert!(wrong.is_empty(), "answers other than 201/503: {wrong:?}");
    assert!(
        unavailable > 0,
        "the outage was not felt: {} posts",
        outcomes.len()
    );
    assert_eq!(
        count(&|o| o.status == 503 && !o.retry_after),
        0,
        "503 without Retry-After"
    );
    let recovered = outcomes
        .iter()
        .filter(|o| o.status == 201 && o.at > back)
        .map(|o| o.at - back)
        .min()
        .expect("a post succeeded after the database came back");
    assert!(
        recovered < Duration::from_secs(5),
        "recovered after {recovered:?}"
    );
    (count(&|o| o.status == 201), unavailable, recovered)
}

/// Every acknowledged message is stored (read over `direct`).
async fn assert_stored(direct: &TestApp, visitors: &[(String, String)], outcomes: &[Outcome]) {
    for (i, (token, conv)) in visitors.iter().enumerate() {
        let page: Value = direct
            .get_auth(
                &format!("/api/v1/conversations/{conv}/messages?limit=100"),
                token,
            )
            .await
            .json()
            .await
            .expect("json");
        let mut stored: Vec<String> = Vec::new();
        let mut after = 0;
        let mut page = page;
        loop {
            let items = page["items"].as_array().cloned().unwrap_or_default();
            stored.extend(
                items
                    .iter()
                    .filter_map(|m| m["content"].as_str().map(str::to_string)),
            );
            match page["next_cursor"]
                .as_str()
                .and_then(|c| c.parse::<i64>().ok())
            {
                Some(next) if next > after => after = next,
                _ => break,
            }
            page = direct
                .get_auth(
                    &format!("/api/v1/conversations/{conv}/messages?limit=100&after={after}"),
                    token,
                )
                .await
                .json()
                .await
                .expect("json");
        }
        for o in outcomes
            .iter()
            .filter(|o| o.conversation == i && o.status == 201)
        {
            assert!(
                stored.contains(&o.content),
                "acknowledged but lost: {}",
                o.content
            );
        }
    }
}
