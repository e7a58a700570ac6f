//! SIGTERM under load: 50 visitors' event streams open and 50 answers being
//! written by a slow provider (half of them streamed to their poster). The
//! answers in flight finish and are stored, every event stream ends with
//! `reconnect`, and the process exits 0. Run with `--nocapture` for the
//! drill's figures.

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use support::{demo_conversation, slow_provider_counted, start_on, tempdir};

const VISITORS: usize = 50;
/// The slow provider's whole answer.
const ANSWER: &str = "Lantern answers from its sources.";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_with_50_streams_and_50_answers_in_flight() {
    let dir = tempdir::Dir::new();
    let url = format!("sqlite://{}/lantern.db", dir.0.display());
    let (provider, calls) = slow_provider_counted().await;
    let env = [
        ("LANTERN_LLM_PROVIDER", "openai".to_string()),
        ("LANTERN_LLM_BASE_URL", provider),
        ("LANTERN_LLM_MODEL", "stand-in".into()),
        // Every answer gets its provider call at once: none falls back.
        ("LANTERN_LLM_CONCURRENCY", "64".into()),
        ("LANTERN_SHUTDOWN_GRACE_SECS", "20".into()),
        ("LANTERN_RATE_LIMIT_IP", "1000000".into()),
        ("LANTERN_RATE_LIMIT_NEW_VISITORS_IP", "1000000".into()),
        ("LANTERN_LOG", "warn".into()),
    ];
    let mut server = start_on(&url, &env);
    let client = reqwest::Client::new();
    let mut visitors = Vec::new();
    for _ in 0..VISITORS {
        let (token, conv) = demo_conversation(&client, &server.base).await;
        visitors.push((token, conv["id"].as_str().expect("id").to_string()));
    }

    let mut streams = Vec::new();
    for (token, id) in &visitors {
        let res = client
            .get(format!("{}/api/v1/conversations/{id}/events", server.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), 200);
        streams.push(tokio::spawn(async move {
            let mut body = res.bytes_stream();
            let mut seen = String::new();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
            while let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, body.next()).await {
                seen.push_str(&String::from_utf8_lossy(&chunk));
            }
            seen
        }));
    }
    let mut posts = Vec::new();
    for (i, (token, id)) in visitors.iter().enumerate() {
        let streamed = i % 2 == 0;
        let mut req = client
            .post(format!(
                "{}/api/v1/conversations/{id}/messages",
                server.base
            ))
            .bearer_auth(token)
            .json(&serde_json::json!({"content": "How do I install Lantern?"}));
        if streamed {
            req = req.header("accept", "text/event-stream");
        }
        posts.push(tokio::spawn(async move {
            let res = req.send().await.expect("the in-flight post is answered");
            (
                streamed,
                res.status().as_u16(),
                res.text().await.unwrap_or_default(),
            )
        }));
    }
    // Every answer is being written (the provider has all 50 calls; it
    // writes each for 1.5 s), then a little of each is out.
    let deadline = Instant::now() + Duration::from_secs(30);
    while calls.load(std::sync::atomic::Ordering::SeqCst) < VISITORS {
        assert!(
            Instant::now() < deadline,
            "the provider got {calls:?} calls"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = Instant::now();
    server.sigterm();

    for post in posts {
        let (streamed, status, body) = post.await.expect("task");
        assert_eq!(status, 201, "{body}");
        if streamed {
            assert!(body.contains("event: done"), "{body}");
            assert!(!body.contains("event: error"), "{body}");
        }
        assert!(body.contains(ANSWER), "the answer was cut: {body}");
    }
    for stream in streams {
        let seen = stream.await.expect("task");
        assert!(
            seen.contains("event: reconnect"),
            "stream ended without reconnect: {seen:?}"
        );
    }
    assert_eq!(server.wait_exit(Duration::from_secs(25)), 0);
    println!(
        "drill: SIGTERM with {VISITORS} streams and {VISITORS} answers in flight: exit 0 after {} ms",
        signalled.elapsed().as_millis()
    );

    // Every answer is stored, whole.
    let server = start_on(&url, &env);
    for (token, id) in &visitors {
        let page: serde_json::Value = client
            .get(format!(
                "{}/api/v1/conversations/{id}/messages",
                server.base
            ))
            .bearer_auth(token)
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json");
        let stored = page["items"].as_array().expect("items").iter().any(|m| {
            m["role"] == "assistant"
                && m["content"].as_str().is_some_and(|c| c.starts_with(ANSWER))
                && m.get("incomplete").is_none()
        });
        assert!(stored, "no whole stored answer in {id}: {page}");
    }
}
