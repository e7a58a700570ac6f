//! Hostile traffic and memory: 100,000 requests with made-up methods,
//! random paths in every route family, random (and 3 KB) `Origin` headers,
//! preflights, and visitor mints from origins nobody allowed, against one
//! release `lantern` process with its rate limits lifted (so every request
//! reaches the code that could keep something). Prints the process's RSS
//! idle and after, and the size of `/metrics` before and after.
//!
//! `cargo build --release --bin lantern && cargo bench -p lantern-tests --bench hostile [-- N]`

use std::{collections::BTreeMap, time::Instant};

use futures::StreamExt;
use lantern_tests::process::{Server, create_site, rss_kib};

const FAMILIES: &[&str] = &[
    "/health",
    "/openapi.json",
    "/api/v1/sites/{x}/config",
    "/api/v1/sites/{x}/visitors",
    "/api/v1/conversations/{x}",
    "/api/v1/conversations/{x}/messages",
    "/api/v1/conversations/{x}/events",
    "/api/v1/knowledge/documents/{x}",
    "/widget/{x}.js",
    "/{x}/{x}/{x}",
];
const VERBS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// A cheap deterministic generator (xorshift): the same traffic every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn word(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| (b'a' + (self.next() % 26) as u8) as char)
            .collect()
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("lantern-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let database_url = format!("sqlite://{}/lantern.db", dir.display());
    let (site, _key) = create_site(&database_url);
    let server = Server::start(&database_url, &[]).await;
    let metrics = |s: &Server| {
        let (client, url) = (s.client.clone(), s.url("/metrics"));
        async move {
            client
                .get(url)
                .send()
                .await
                .expect("sent")
                .text()
                .await
                .expect("text")
                .len()
        }
    };
    let metrics_before = metrics(&server).await;
    let idle = rss_kib(server.pid());

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let requests: Vec<(String, String, String)> = (0..n)
        .map(|i| {
            let method = if i % 3 == 0 {
                format!("X{}", rng.word(6).to_uppercase())
            } else {
                VERBS[(rng.next() % VERBS.len() as u64) as usize].to_string()
            };
            let family = FAMILIES[(rng.next() % FAMILIES.len() as u64) as usize];
            let path = if i % 5 == 0 {
                format!("/api/v1/sites/{site}/visitors")
            } else {
                family.replace("{x}", &rng.word(12))
            };
            let origin_len = if i % 7 == 0 { 3_000 } else { 12 };
            let origin = format!("https://{}.example", rng.word(origin_len));
            (method, path, origin)
        })
        .collect();

    let started = Instant::now();
    let statuses: Vec<u16> = futures::stream::iter(requests)
        .map(|(method, path, origin)| {
            let (client, url) = (server.client.clone(), server.url(&path));
            async move {
                let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a token");
                client
                    .request(method, url)
                    .header("origin", origin)
                    .header("access-control-request-method", "POST")
                    .body("{}")
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let secs = started.elapsed().as_secs_f64();
    let after = rss_kib(server.pid());
    let metrics_after = metrics(&server).await;
    let mut by_status = BTreeMap::new();
    for s in statuses {
        *by_status.entry(s).or_insert(0usize) += 1;
    }
    println!(
        "hostile traffic: {n} requests in {secs:.1} s ({:.0}/s), 32 at a time",
        n as f64 / secs
    );
    println!("  statuses: {by_status:?}");
    println!(
        "  RSS: idle {:.1} MiB, after {:.1} MiB (+{:.1} MiB)",
        idle as f64 / 1024.0,
        after as f64 / 1024.0,
        (after as f64 - idle as f64) / 1024.0
    );
    println!("  /metrics: {metrics_before} bytes before, {metrics_after} bytes after");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
