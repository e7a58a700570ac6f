//! URL imports that must stop on their own, on both backends: a page that
//! never answers fails as timed out, and a 50 MB page streamed without a
//! declared length is refused once the fetcher's size limit is passed —
//! without the server reading the rest (the test site counts what it got
//! to send).

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router, body::Body, extract::State, http::header, response::IntoResponse, routing::get,
};
use futures::StreamExt;
use lantern_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

const SOURCES: &str = "/api/v1/knowledge/sources";
const HUGE: usize = 50 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// 50 MB of HTML, a chunk at a time, counting the bytes handed over.
async fn huge(State(sent): State<Arc<AtomicUsize>>) -> impl IntoResponse {
    let chunks = futures::stream::iter(0..HUGE / CHUNK).map(move |_| {
        sent.fetch_add(CHUNK, Ordering::SeqCst);
        Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'x'; CHUNK]))
    });
    (
        [(header::CONTENT_TYPE, "text/html")],
        Body::from_stream(chunks),
    )
}

async fn hang() -> &'static str {
    tokio::time::sleep(Duration::from_secs(120)).await;
    "late"
}

/// Starts the site; its base URL and the count of bytes `/huge` sent.
async fn start_site() -> (String, Arc<AtomicUsize>) {
    let sent = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route("/huge", get(huge))
        .route("/slow", get(hang))
        .with_state(sent.clone());
    let base = lantern_tests::serve(app).await;
    (base, sent)
}

/// Imports `url` as one page and waits (up to `within`) for its document
/// to settle; returns the document.
async fn imported(app: &TestApp, key: &str, url: &str, within: Duration) -> Value {
    let res = app
        .post_json(SOURCES, key, &json!({"url": url, "kind": "page"}))
        .await;
    assert_eq!(res.status(), 202);
    let deadline = Instant::now() + within;
    loop {
        let res = app
            .get_auth("/api/v1/knowledge/documents?limit=100", key)
            .await;
        let list: Value = res.json().await.expect("json");
        let doc = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|d| d["url"] == url)
            .cloned();
        if let Some(d) = doc.filter(|d| d["state"] != "indexing") {
            return d;
        }
        assert!(Instant::now() < deadline, "{url} never settled: {list}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn limits(backend: Backend) {
    let (base, sent) = start_site().await;
    let app = TestApp::spawn_with(backend, |s| s.allow_private_urls = true).await;
    let site = app.site().await;
    let key = site.admin_key.as_str();

    let big = imported(&app, key, &format!("{base}/huge"), Duration::from_secs(20)).await;
    assert_eq!(big["state"], "failed", "{big}");
    assert!(
        big["error"].as_str().is_some_and(|e| e.contains("larger")),
        "{big}"
    );
    assert_eq!(big["passages"], 0, "nothing half-indexed: {big}");
    // The limit is 2 MB; socket buffers may hold a few more, never 50.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = sent.load(Ordering::SeqCst);
    assert!(
        got < 16 * 1024 * 1024,
        "the fetcher read on: {got} bytes sent"
    );

    // The fetcher gives up after its 10 s timeout.
    let started = Instant::now();
    let slow = imported(&app, key, &format!("{base}/slow"), Duration::from_secs(30)).await;
    assert_eq!(slow["state"], "failed", "{slow}");
    assert!(
        slow["error"]
            .as_str()
            .is_some_and(|e| e.contains("timed out")),
        "{slow}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "{:?}",
        started.elapsed()
    );
}
on_both_backends!(a_slow_or_huge_page_fails_on_its_own, super::limits);
