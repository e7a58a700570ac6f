//! The housekeeping job deletes expired tokens and old events, and leaves
//! what is still in use.

use lantern_tests::{Backend, TestApp, backend::raw_count as count, on_both_backends};
use serde_json::json;

async fn pruning(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.prune_every_secs = 1;
        s.visitor_token_grace_secs = 0;
        s.events_keep_days = 0;
    })
    .await;
    let site = app.site().await;
    let old = app.visitor(&site.id).await;
    let conv = app.conversation_id(&old).await;
    let res = app
        .post_json(
            &format!("/api/v1/conversations/{conv}/messages"),
            &old,
            &json!({"content": "hello"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let fresh: serde_json::Value = app
        .post_json("/api/v1/visitors/refresh", &old, &json!({}))
        .await
        .json()
        .await
        .expect("json");
    let fresh = fresh["token"].as_str().expect("token").to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let (tokens, events) = (
            count(&app.database_url, "visitor_tokens").await,
            count(&app.database_url, "events").await,
        );
        if events == 0 && tokens <= 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not pruned: {tokens} tokens, {events} events"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // The live token survived and still works; the conversation is whole.
    assert_eq!(count(&app.database_url, "visitor_tokens").await, 1);
    let res = app
        .get_auth(&format!("/api/v1/conversations/{conv}/messages"), &fresh)
        .await;
    assert_eq!(res.status(), 200);
    let page: serde_json::Value = res.json().await.expect("json");
    assert!(
        page["items"].as_array().is_some_and(|m| m.len() >= 2),
        "{page}"
    );
    let metrics = app.metrics().await;
    assert!(
        metrics.lines().any(
            |l| l.starts_with("lantern_pruned_rows_total{kind=\"events\"}") && !l.ends_with(" 0")
        ),
        "{metrics}"
    );
}
on_both_backends!(expired_tokens_and_old_events_are_pruned, super::pruning);
