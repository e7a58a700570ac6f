//! Message-post benchmark: the real server (in process, release build) on a
//! fresh SQLite file and a fresh Postgres database, driven over HTTP by a
//! fixed number of concurrent clients. Prints throughput and latency
//! percentiles. Not a test: nothing here asserts on time.
//!
//! `cargo bench -p lantern-tests --bench messages [-- POSTS CONCURRENCY]`

use std::time::{Duration, Instant};

use futures::future::join_all;
use lantern_tests::{Backend, TestApp};
use serde_json::json;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let posts: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let concurrency: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(16);
    println!(
        "message posts over HTTP: {posts} posts, {concurrency} concurrent clients, each post answered"
    );
    for backend in [Backend::Sqlite, Backend::Postgres] {
        for shape in [Shape::OwnConversation, Shape::OneConversation] {
            let report = run(backend, shape, posts, concurrency, false, 1).await;
            println!("{backend:?} / {shape:?}: {report}");
        }
    }
    // Scale-out: Postgres + Redis, one instance vs two (clients alternate).
    for instances in [1, 2] {
        let report = run(
            Backend::Postgres,
            Shape::OwnConversation,
            posts,
            concurrency,
            true,
            instances,
        )
        .await;
        let label = if instances == 2 {
            "two instances"
        } else {
            "one instance"
        };
        println!("Postgres + Redis, {label} / OwnConversation: {report}");
    }
}

#[derive(Debug, Clone, Copy)]
enum Shape {
    /// Each client posts into its own conversation (the usual load).
    OwnConversation,
    /// Every client posts into the same conversation (worst-case contention).
    OneConversation,
}

async fn run(
    backend: Backend,
    shape: Shape,
    posts: usize,
    concurrency: usize,
    redis: bool,
    instances: usize,
) -> String {
    // Limits off: this measures storage and answering, not the rate limiter.
    let prefix = format!("lantern-bench-{}", uuid::Uuid::new_v4().simple());
    let configure = |s: &mut lantern_server::settings::Settings| {
        s.rate_limit_ip = 1_000_000;
        s.rate_limit_visitor = 100_000;
        if redis {
            s.redis_url = Some(lantern_tests::backend::redis_url().into());
            s.redis_prefix = prefix.clone();
        }
    };
    let app = TestApp::spawn_with(backend, configure).await;
    let second = if instances == 2 {
        Some(TestApp::spawn_sharing(&app, configure).await)
    } else {
        None
    };
    let site = app.site().await;
    let token = app.visitor(&site.id).await;
    let shared = app.conversation_id(&token).await;
    let per_client = posts / concurrency;
    let started = Instant::now();
    let clients = (0..concurrency).map(|c| {
        let target = match (&second, c % 2) {
            (Some(b), 1) => b,
            _ => &app,
        };
        let (app, token, shared) = (target, &token, &shared);
        async move {
            let conv = match shape {
                Shape::OneConversation => shared.clone(),
                Shape::OwnConversation => app.conversation(token).await["id"].as_str().expect("id").to_string(),
            };
            let path = format!("/api/v1/conversations/{conv}/messages");
            let mut latencies = Vec::with_capacity(per_client);
            for i in 0..per_client {
                let body = json!({"content": format!("question {c}-{i}"), "client_message_id": format!("b{c}-{i}")});
                let t = Instant::now();
                let res = app.post_json(&path, token, &body).await;
                assert_eq!(res.status(), 201, "post failed: {}", res.text().await.unwrap_or_default());
                let _ = res.bytes().await;
                latencies.push(t.elapsed());
            }
            latencies
        }
    });
    let mut all: Vec<Duration> = join_all(clients).await.into_iter().flatten().collect();
    let wall = started.elapsed();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    format!(
        "{:.0} posts/s, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms ({} posts in {:.2} s)",
        all.len() as f64 / wall.as_secs_f64(),
        ms(pct(0.50)),
        ms(pct(0.95)),
        ms(pct(0.99)),
        all.len(),
        wall.as_secs_f64()
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
