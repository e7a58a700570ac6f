//! Fan-out benchmark: N live event streams (SSE) on one `lantern` process,
//! one event published, how long until every stream has it; and the
//! process's resident memory with the streams open, above idle, per stream.
//! Runs each N on a fresh process (default: 2,000 then 10,000).
//!
//! `cargo build --release --bin lantern && cargo bench -p lantern-tests --bench fanout [-- N…]`
//! (each process needs `ulimit -n` above N + a few hundred: run
//! `ulimit -n 20000` first where the soft limit is lower).

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use futures::{StreamExt, future::join_all};
use serde_json::json;

use lantern_tests::process::{binary, create_site, rss_kib};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut ns: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if ns.is_empty() {
        ns = vec![2_000, 10_000];
    }
    for n in ns {
        run(n).await;
    }
}

async fn run(n: usize) {
    let dir = std::env::temp_dir().join(format!("lantern-fanout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let database_url = format!("sqlite://{}/lantern.db", dir.display());
    // The server prints no admin key: make the site and its key first.
    let (_site, key) = create_site(&database_url);
    let mut child = Command::new(binary())
        .arg("serve")
        .env("LANTERN_ADDR", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", &database_url)
        .env("LANTERN_LOG", "warn")
        .env("LANTERN_DEMO", "1")
        .env("LANTERN_RATE_LIMIT_NEW_VISITORS_IP", "1000000")
        .env("LANTERN_RATE_LIMIT_IP", "1000000")
        // Every stream comes from this one address (and visitor).
        .env("LANTERN_MAX_STREAMS_PER_IP", "1000000")
        .env("LANTERN_MAX_STREAMS_PER_VISITOR", "1000000")
        .env_remove("REDIS_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("build it first: cargo build --release --bin lantern");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(n + 10)
        .build()
        .expect("client");
    for _ in 0..100 {
        if client
            .get(format!("{base}/health/live"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let conv: serde_json::Value = client
        .post(format!("{base}/api/v1/conversations"))
        .bearer_auth(&key)
        .json(&json!({}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let id = conv["id"].as_str().expect("id").to_string();
    let idle = rss_kib(child.id());

    let opened = Instant::now();
    let streams = join_all((0..n).map(|_| {
        let (client, url, key) = (
            client.clone(),
            format!("{base}/api/v1/conversations/{id}/events"),
            key.clone(),
        );
        async move {
            client
                .get(url)
                .bearer_auth(key)
                .send()
                .await
                .expect("stream")
                .bytes_stream()
        }
    }))
    .await;
    let open_secs = opened.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let with_streams = rss_kib(child.id());

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Duration>();
    let sent_at = Instant::now();
    for mut s in streams {
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Some(Ok(chunk)) = s.next().await {
                if String::from_utf8_lossy(&chunk).contains("event: message.created") {
                    let _ = tx.send(sent_at.elapsed());
                    return;
                }
            }
        });
    }
    drop(tx);
    let res = client
        .post(format!("{base}/api/v1/conversations/{id}/messages"))
        .bearer_auth(&key)
        .json(&json!({"content": "to everyone", "role": "agent"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    let mut got = Vec::with_capacity(n);
    while let Ok(Some(d)) = tokio::time::timeout(Duration::from_secs(30), rx.recv()).await {
        got.push(d);
        if got.len() == n {
            break;
        }
    }
    got.sort();
    let pct =
        |p: f64| got[((got.len() as f64 * p) as usize).min(got.len() - 1)].as_secs_f64() * 1000.0;
    println!(
        "== {n} streams: opened in {open_secs:.1} s; {} received the event",
        got.len()
    );
    println!(
        "RSS: {} MiB idle, {} MiB with the streams open ({:.1} KiB per stream above idle)",
        idle / 1024,
        with_streams / 1024,
        (with_streams.saturating_sub(idle)) as f64 / n as f64
    );
    println!(
        "fan-out latency of one event: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
}
