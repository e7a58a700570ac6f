//! Draft preview, on both backends: with the site's `typing_preview` off
//! (the default) a visitor's draft never reaches the members' stream; on,
//! it does, cut to 200 characters; members' drafts are never forwarded.

use std::time::Duration;

use lantern_tests::{Backend, TestApp, on_both_backends, sse::SseReader};
use reqwest::Method;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);

async fn next_typing(reader: &mut SseReader) -> lantern_tests::sse::SseEvent {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let e = reader.next(left).await.expect("a typing event in time");
        if e.event == "typing" {
            return e;
        }
    }
}

async fn preview(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    app.person("olive@t.example", &site.id, "owner").await;
    let mut owner = app.signed_in("olive@t.example").await;
    let visitor = app.visitor(&site.id).await;
    let conv = app.conversation_id(&visitor).await;
    let typing = format!("/api/v1/conversations/{conv}/typing");
    let settings = format!("/api/v1/sites/{}", site.id);
    let res = owner
        .get(&format!("/api/v1/sites/{}/events", site.id))
        .await;
    assert_eq!(res.status(), 200);
    let mut live = SseReader::new(res);

    let s: Value = owner.get(&settings).await.json().await.expect("json");
    assert_eq!(s["typing_preview"], false, "off by default: {s}");

    // Off: the draft is dropped.
    let res = app
        .post_json(
            &typing,
            &visitor,
            &json!({"typing": true, "draft": "my secret draft"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let e = next_typing(&mut live).await;
    assert_eq!(e.data["from"], "visitor");
    assert!(
        e.data.get("draft").is_none(),
        "forwarded while off: {}",
        e.data
    );

    // On: forwarded, bounded; public config tells the widget.
    let res = owner
        .send(
            Method::PATCH,
            &settings,
            Some(json!({"typing_preview": true})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let s: Value = res.json().await.expect("json");
    assert_eq!(s["typing_preview"], true);
    let config: Value = app
        .get(&format!("/api/v1/sites/{}/config", site.id))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(config["typing_preview"], true, "{config}");
    let res = app
        .post_json(
            &typing,
            &visitor,
            &json!({"typing": true, "draft": "Where is my order?"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    let e = next_typing(&mut live).await;
    assert_eq!(e.data["draft"], "Where is my order?", "{}", e.data);
    let long = "é".repeat(300);
    app.post_json(&typing, &visitor, &json!({"typing": true, "draft": long}))
        .await;
    let e = next_typing(&mut live).await;
    assert_eq!(
        e.data["draft"].as_str().expect("draft").chars().count(),
        200
    );

    // A member's draft is never forwarded.
    let res = owner
        .post(&typing, json!({"typing": true, "draft": "agent draft"}))
        .await;
    assert_eq!(res.status(), 204);
    let e = next_typing(&mut live).await;
    assert_eq!(e.data["from"], "agent");
    assert!(e.data.get("draft").is_none(), "{}", e.data);

    // Off again: dropped again.
    let res = owner
        .send(
            Method::PATCH,
            &settings,
            Some(json!({"typing_preview": false})),
        )
        .await;
    assert_eq!(res.status(), 200);
    app.post_json(
        &typing,
        &visitor,
        &json!({"typing": true, "draft": "second secret"}),
    )
    .await;
    let e = next_typing(&mut live).await;
    assert!(
        e.data.get("draft").is_none(),
        "forwarded after turning off: {}",
        e.data
    );
}
on_both_backends!(typing_preview, super::preview);
