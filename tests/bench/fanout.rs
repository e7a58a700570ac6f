//! Fan-out benchmark: N live event streams (SSE) on one `lantern` process,
//! one event published, how long until every stream has it; and the
//! process's resident memory with the streams open, above idle, per stream.
//! Runs each N on a fresh process (default: 2,000 then 10,000).
//!
//! Each N runs three ways: every stream on its own HTTP/1.1 connection as a
//! browser's `EventSource` opens it (`Accept: text/event-stream`, which the
//! server answers on its light path), the same without that header (served
//! by hyper, for comparison), then the streams multiplexed over HTTP/2
//! connections without TLS (h2c, prior knowledge), as a reverse proxy that
//! speaks h2c to its upstream sends them (Caddy's `versions h2c`, Envoy).
//! `h1`, `h1-hyper` or `h2` among the arguments runs only those.
//!
//! `cargo build --release --bin lantern && cargo bench -p lantern-tests --bench fanout [-- N… [h1|h2]]`
//! (each process needs `ulimit -n` above N + a few hundred: run
//! `ulimit -n 20000` first where the soft limit is lower).

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use futures::{StreamExt, future::join_all};
use serde_json::json;

use lantern_tests::process::{binary, create_site, rss_kib};

/// How long after the streams opened the second RSS reading is taken.
const SETTLE_SECS: u64 = 5;

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut ns: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if ns.is_empty() {
        ns = vec![2_000, 10_000];
    }
    let mut modes: Vec<Mode> = args
        .iter()
        .filter_map(|a| match a.as_str() {
            "h1" => Some(Mode::Http1),
            "h1-hyper" => Some(Mode::Http1Hyper),
            "h2" => Some(Mode::H2c),
            _ => None,
        })
        .collect();
    if modes.is_empty() {
        modes = vec![Mode::Http1, Mode::Http1Hyper, Mode::H2c];
    }
    for n in ns {
        for &mode in &modes {
            run(n, mode).await;
        }
    }
}

#[derive(Clone, Copy)]
enum Mode {
    /// One HTTP/1.1 connection per stream, asking for `text/event-stream`.
    Http1,
    /// The same without `Accept`: hyper serves these.
    Http1Hyper,
    /// Streams multiplexed over HTTP/2 connections, no TLS.
    H2c,
}

/// Streams per h2c connection: below the server's limit of concurrent
/// streams on one connection (hyper's default, 200).
const STREAMS_PER_H2_CONNECTION: usize = 150;

/// The clients the streams are opened with: one pooling HTTP/1.1 client, or
/// one h2c client (one connection) per `STREAMS_PER_H2_CONNECTION` streams.
fn stream_clients(n: usize, mode: Mode) -> Vec<reqwest::Client> {
    match mode {
        Mode::Http1 | Mode::Http1Hyper => vec![
            reqwest::Client::builder()
                .http1_only()
                .pool_max_idle_per_host(n + 10)
                .build()
                .expect("client"),
        ],
        Mode::H2c => (0..n.div_ceil(STREAMS_PER_H2_CONNECTION))
            .map(|_| {
                reqwest::Client::builder()
                    .http2_prior_knowledge()
                    .build()
                    .expect("client")
            })
            .collect(),
    }
}

async fn run(n: usize, mode: Mode) {
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
    let client = reqwest::Client::new();
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

    let clients = stream_clients(n, mode);
    let opened = Instant::now();
    let streams = join_all((0..n).map(|i| {
        let (client, url, key) = (
            clients[i % clients.len()].clone(),
            format!("{base}/api/v1/conversations/{id}/events"),
            key.clone(),
        );
        async move {
            let request = client.get(url).bearer_auth(key);
            let request = match mode {
                Mode::Http1Hyper => request,
                Mode::Http1 | Mode::H2c => request.header("accept", "text/event-stream"),
            };
            request.send().await.expect("stream").bytes_stream()
        }
    }))
    .await;
    let open_secs = opened.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let with_streams = rss_kib(child.id());
    // Memory freed after the opening burst (each request's futures) is
    // returned to the system only after a while, if at all: read it again.
    tokio::time::sleep(Duration::from_secs(SETTLE_SECS)).await;
    let settled = rss_kib(child.id());

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
    let how = match mode {
        Mode::Http1 => "HTTP/1.1, a connection each, as a browser asks".to_string(),
        Mode::Http1Hyper => "HTTP/1.1, a connection each, no Accept: hyper".to_string(),
        Mode::H2c => format!("h2c over {} connections", clients.len()),
    };
    println!(
        "== {n} streams ({how}): opened in {open_secs:.1} s; {} received the event",
        got.len()
    );
    let per_stream = |rss: u64| rss.saturating_sub(idle) as f64 / n as f64;
    println!(
        "RSS: {} MiB idle; with the streams open {} MiB just after the burst ({:.1} KiB per stream \
         above idle), {} MiB {SETTLE_SECS} s later ({:.1} KiB per stream)",
        idle / 1024,
        with_streams / 1024,
        per_stream(with_streams),
        settled / 1024,
        per_stream(settled)
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
