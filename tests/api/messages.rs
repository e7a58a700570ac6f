use std::time::Duration;

use futures::future::join_all;
use lantern_tests::{Backend, TestApp, on_both_backends, sse::SseReader};
use serde_json::{Value, json};

/// The same client_message_id twice: one stored message, the same answer.
async fn idempotent_posts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let id = app.conversation_id(&visitor).await;
    let path = format!("/api/v1/conversations/{id}/messages");
    let body = json!({"content": "once, please", "client_message_id": "m-1"});
    let first: Value = app
        .post_json(&path, &visitor, &body)
        .await
        .json()
        .await
        .expect("json");
    let res = app.post_json(&path, &visitor, &body).await;
    assert_eq!(res.status(), 201);
    let second: Value = res.json().await.expect("json");
    assert_eq!(first["message"]["id"], second["message"]["id"]);
    assert_eq!(
        first["reply"]["id"], second["reply"]["id"],
        "the stored reply is returned again"
    );

    let all: Value = app
        .get_auth(&format!("{path}?limit=100"), &visitor)
        .await
        .json()
        .await
        .expect("json");
    let items = all["items"].as_array().expect("items");
    let copies = items
        .iter()
        .filter(|m| m["client_message_id"] == "m-1")
        .count();
    assert_eq!(copies, 1);
    assert_eq!(items.len(), 3, "welcome, the message, one reply");
}
on_both_backends!(same_client_id_stored_once, super::idempotent_posts);

/// 40 concurrent posts into one conversation: all acknowledged, seq gap-free.
async fn concurrent_posts(backend: Backend) {
    // Above the default per-visitor budget (30/min) on purpose: this is about storage.
    let app = TestApp::spawn_with(backend, |s| s.rate_limit_visitor = 1000).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let id = app.conversation_id(&visitor).await;
    let path = format!("/api/v1/conversations/{id}/messages");
    let posts = (0..40).map(|i| {
        let body =
            json!({"content": format!("message {i}"), "client_message_id": format!("c-{i}")});
        let (app, path, visitor) = (&app, &path, &visitor);
        async move { app.post_json(path, visitor, &body).await.status().as_u16() }
    });
    let statuses = join_all(posts).await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");

    let mut seqs = Vec::new();
    let mut after = 0;
    loop {
        let page: Value = app
            .get_auth(&format!("{path}?after={after}&limit=100"), &visitor)
            .await
            .json()
            .await
            .expect("json");
        let items = page["items"].as_array().expect("items");
        seqs.extend(items.iter().map(|m| m["seq"].as_i64().expect("seq")));
        match page["next_cursor"].as_str() {
            Some(c) => after = c.parse().expect("cursor"),
            None => break,
        }
    }
    // Welcome + 40 messages + 40 replies, numbered 1..=81 with no gap or repeat.
    assert_eq!(seqs, (1..=81).collect::<Vec<_>>());
}
on_both_backends!(forty_concurrent_posts, super::concurrent_posts);

/// Markdown is rendered and sanitised: no active content survives in `html`.
async fn sanitised_html(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let id = app.conversation_id(&visitor).await;
    let evil = "[click](javascript:alert(3))\n\n<script>alert(1)</script><img src=x onerror=alert(2)> \
                <a href=\"javascript:alert(4)\" onclick=\"alert(5)\">x</a>";
    let posted: Value = app
        .post_json(
            &format!("/api/v1/conversations/{id}/messages"),
            &visitor,
            &json!({"content": evil}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        posted["message"]["content"], evil,
        "content is kept as written"
    );
    let html = posted["message"]["html"]
        .as_str()
        .expect("html")
        .to_lowercase();
    for bad in ["<script", "onerror", "onclick", "href=\"javascript:"] {
        assert!(!html.contains(bad), "{bad} survived: {html}");
    }
}
on_both_backends!(html_is_sanitised, super::sanitised_html);

/// `Accept: text/event-stream` streams the stored message, deltas, the reply, done.
async fn streamed_post(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let id = app.conversation_id(&visitor).await;
    let res = app
        .client
        .post(app.url(&format!("/api/v1/conversations/{id}/messages")))
        .bearer_auth(&visitor)
        .header("accept", "text/event-stream")
        .json(&json!({"content": "stream it"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), 201);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/event-stream")
    );
    let events = SseReader::new(res)
        .collect_until("done", Duration::from_secs(10))
        .await;
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names.first(), Some(&"message.created"), "{names:?}");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    assert_eq!(events[0].data["content"], "stream it");
    let deltas: String = events
        .iter()
        .filter(|e| e.event == "answer.delta")
        .map(|e| e.data["text"].as_str().expect("text"))
        .collect();
    assert!(
        names.iter().filter(|n| **n == "answer.delta").count() > 1,
        "{names:?}"
    );
    let reply = &events[events.len() - 2];
    assert_eq!(reply.event, "message.created");
    assert_eq!(reply.data["role"], "assistant");
    assert_eq!(
        reply.data["content"].as_str(),
        Some(deltas.as_str()),
        "deltas add up to the reply"
    );
}
on_both_backends!(streamed_reply, super::streamed_post);
