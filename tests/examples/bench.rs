//! Benchmarks (not tests): knowledge search latency p50/p99 over ≥ 10,000
//! passages on SQLite and Postgres, and the time-to-first-delta Lantern adds
//! over an LLM provider (a loopback stand-in with a known delay).
//!
//! `cargo run -p lantern-tests --example bench`

use std::time::{Duration, Instant};

use lantern_server::{
    knowledge::{KnowledgeBase, NewDocument, split::Passage},
    settings::{LlmProvider, LlmSettings},
};
use lantern_shared::knowledge::DocumentFormat;
use lantern_tests::{
    Backend, TestApp,
    provider::{Part, Script, StandIn, openai_delta, openai_done},
    sse::SseReader,
};
use serde_json::json;

const WORDS: &[&str] = &[
    "install", "widget", "embed", "origin", "token", "refund", "shipping", "invoice", "account",
    "password", "billing", "export", "import", "search", "language", "arabic", "deploy",
    "postgres", "redis", "metrics", "timeout", "stream", "answer", "support", "privacy", "cookie",
    "theme", "colour", "mobile", "keyboard", "screen", "reader", "cache", "edge",
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn search_latency(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let db = lantern_server::db::Db::connect(&app.database_url)
        .await
        .expect("open");
    let kb = KnowledgeBase::new(db.clone());
    let mut seed: u64 = 42;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let loaded = Instant::now();
    for d in 0..500 {
        let passages: Vec<Passage> = (0..20)
            .map(|p| Passage {
                heading: format!("Doc {d} › Section {p}"),
                body: (0..60)
                    .map(|_| WORDS[next() % WORDS.len()])
                    .collect::<Vec<_>>()
                    .join(" "),
            })
            .collect();
        let doc = NewDocument {
            site_id: site.id.clone(),
            title: format!("Doc {d}"),
            url: None,
            language: "en".into(),
            format: DocumentFormat::Text,
            body: String::new(),
            source: "api".into(),
            source_id: None,
        };
        kb.put(&doc, &passages).await.expect("put");
    }
    let n = db.passage_count(&site.id).await.expect("count");
    let load_time = loaded.elapsed();
    let mut times = Vec::new();
    for i in 0..300 {
        let q = format!(
            "how do I {} the {} {}",
            WORDS[i % WORDS.len()],
            WORDS[(i * 7) % WORDS.len()],
            WORDS[(i * 13) % WORDS.len()]
        );
        let t = Instant::now();
        let r = kb.search(&site.id, &q, "en", 5).await.expect("search");
        times.push(t.elapsed());
        assert!(!r.is_empty());
    }
    times.sort();
    println!(
        "search {backend:?}: {n} passages (loaded in {:.1}s), 300 queries: p50 {:.2} ms, p99 {:.2} ms",
        load_time.as_secs_f64(),
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        percentile(&times, 0.99).as_secs_f64() * 1000.0
    );
}

async fn first_delta_overhead() {
    let delay = Duration::from_millis(200);
    let mut parts = vec![Part::Sleep(delay), openai_delta("Hello [1]")];
    parts.extend(openai_done());
    let llm = StandIn::start(vec![Script::stream(parts)]).await;
    let base = llm.base_url.clone();
    let app = TestApp::spawn_with(Backend::Sqlite, move |s| {
        s.llm = Some(LlmSettings::new(LlmProvider::OpenAi, &base, None, "m"));
    })
    .await;
    let site = app.site().await;
    app.post_json(
        "/api/v1/knowledge/documents",
        &site.admin_key,
        &json!({"title": "Refunds", "body": "Refunds are paid within 30 days."}),
    )
    .await;
    let visitor = app.visitor(&site.id).await;
    let id = app.conversation(&visitor).await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut over = Vec::new();
    for i in 0..30 {
        let t = Instant::now();
        let res = app
            .client
            .post(app.url(&format!("/api/v1/conversations/{id}/messages")))
            .bearer_auth(&visitor)
            .header("accept", "text/event-stream")
            .json(&json!({"content": format!("when are refunds paid {i}")}))
            .send()
            .await
            .expect("sent");
        let mut events = SseReader::new(res);
        while let Some(e) = events.next(Duration::from_secs(5)).await {
            if e.event == "answer.delta" {
                break;
            }
        }
        over.push(t.elapsed().saturating_sub(delay));
        events.collect_until("done", Duration::from_secs(5)).await;
    }
    over.sort();
    println!(
        "time to first delta over a provider delay of {} ms, 30 posts: overhead p50 {:.1} ms, p99 {:.1} ms",
        delay.as_millis(),
        percentile(&over, 0.5).as_secs_f64() * 1000.0,
        percentile(&over, 0.99).as_secs_f64() * 1000.0
    );
}

#[tokio::main]
async fn main() {
    search_latency(Backend::Sqlite).await;
    search_latency(Backend::Postgres).await;
    first_delta_overhead().await;
}
