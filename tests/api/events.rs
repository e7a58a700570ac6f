use std::time::Duration;

use lantern_tests::{Backend, TestApp, on_both_backends, sse::SseReader};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

/// Live events arrive with ids; `Last-Event-ID` resumes exactly after.
async fn live_and_resume(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let conv = app.conversation(&visitor).await;
    let id = conv["id"].as_str().expect("id").to_string();
    let events_path = format!("/api/v1/conversations/{id}/events");

    // The first stream as a browser opens it (the light path), the resumed
    // one without `Accept` (hyper's): both must carry the same events.
    let stream = app.open_stream(&events_path, &visitor).await;
    assert_eq!(stream.status(), 200);
    assert_eq!(
        stream.headers()["connection"],
        "close",
        "the light path answered"
    );
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    let mut reader = SseReader::new(stream);
    app.post_json(
        &format!("/api/v1/conversations/{id}/messages"),
        &visitor,
        &json!({"content": "one"}),
    )
    .await;
    let mut durable = Vec::new();
    while durable.len() < 2 {
        let e = reader.next(WAIT).await.expect("an event");
        if let Some(eid) = &e.id {
            durable.push((eid.parse::<i64>().expect("numeric id"), e.event, e.data));
        }
    }
    assert_eq!(durable[0].1, "message.created");
    assert_eq!(durable[0].2["content"], "one");
    assert_eq!(durable[1].2["role"], "assistant");
    assert_eq!(durable[1].0, durable[0].0 + 1, "ids are consecutive");
    drop(reader);

    // Missed while away: a message, its reply, a status change.
    let last_seen = durable[1].0;
    app.post_json(
        &format!("/api/v1/conversations/{id}/messages"),
        &visitor,
        &json!({"content": "two"}),
    )
    .await;
    app.post_json(
        &format!("/api/v1/conversations/{id}/handoff"),
        &visitor,
        &json!({}),
    )
    .await;
    let resumed = app
        .client
        .get(app.url(&events_path))
        .bearer_auth(&visitor)
        .header("last-event-id", last_seen.to_string())
        .send()
        .await
        .expect("sent");
    let mut reader = SseReader::new(resumed);
    let mut got = Vec::new();
    for _ in 0..3 {
        let e = reader.next(WAIT).await.expect("a missed event");
        got.push((e.id.expect("durable").parse::<i64>().expect("id"), e.event));
    }
    assert_eq!(
        got,
        vec![
            (last_seen + 1, "message.created".to_string()),
            (last_seen + 2, "message.created".to_string()),
            (last_seen + 3, "conversation.status".to_string()),
        ]
    );
    // Nothing repeats after the backlog.
    assert!(reader.next(Duration::from_millis(500)).await.is_none());

    // EventSource cannot send headers: the token may come as a query parameter.
    let by_query = app
        .get(&format!("{events_path}?access_token={visitor}&after=0"))
        .await;
    assert_eq!(by_query.status(), 200);
    let first = SseReader::new(by_query).next(WAIT).await.expect("backlog");
    assert_eq!(first.id.as_deref(), Some("1"));
}
on_both_backends!(events_resume_without_gaps, super::live_and_resume);

/// One visitor may hold only so many streams open (a setting); past it a
/// clear 429, while another visitor is not affected. A stream whose client
/// has gone gives its place back at once. Streams open as browsers open
/// them, so this runs on the server's light path.
async fn streams_are_capped(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.max_streams_per_visitor = 2).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let id = app.conversation_id(&visitor).await;
    let path = format!("/api/v1/conversations/{id}/events");
    let first = app.open_stream(&path, &visitor).await;
    let second = app.open_stream(&path, &visitor).await;
    assert_eq!(first.status(), 200);
    assert_eq!(second.status(), 200);
    let third = app.open_stream(&path, &visitor).await;
    assert!(third.headers().contains_key("retry-after"));
    crate::assert_envelope(third, 429, "rate_limited").await;

    let other = app.visitor(&site.id).await;
    let other_id = app.conversation_id(&other).await;
    let theirs = app
        .open_stream(&format!("/api/v1/conversations/{other_id}/events"), &other)
        .await;
    assert_eq!(
        theirs.status(),
        200,
        "another visitor has places of their own"
    );

    // The client goes away on a quiet conversation: its place is free
    // before any event or keep-alive would have revealed it.
    drop(first);
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    let again = loop {
        let res = app.open_stream(&path, &visitor).await;
        if res.status() == 200 || std::time::Instant::now() > deadline {
            break res;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        again.status(),
        200,
        "a closed stream gives its place back at once"
    );
    drop((second, theirs, again));
}
on_both_backends!(stream_caps, super::streams_are_capped);

/// A shutdown ends every live stream with `reconnect` and a complete
/// response, on the light path and on hyper's alike, and the server then
/// stops without waiting for the clients.
async fn shutdown_ends_streams(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let id = app.conversation_id(&visitor).await;
    let path = format!("/api/v1/conversations/{id}/events");
    let light = app.open_stream(&path, &visitor).await;
    let plain = app.get_auth(&path, &visitor).await;
    assert_eq!(
        light.headers()["connection"],
        "close",
        "the light path answered"
    );
    assert!(
        !plain.headers().contains_key("connection"),
        "hyper answered"
    );
    let readers = [light, plain].map(|res| tokio::spawn(res.text()));

    tokio::time::timeout(WAIT, app.shut_down())
        .await
        .expect("the server stops while streams were open");
    for (reader, which) in readers.into_iter().zip(["light", "hyper"]) {
        let body = tokio::time::timeout(WAIT, reader)
            .await
            .expect("the stream ends")
            .expect("the reader task")
            .unwrap_or_else(|e| panic!("the {which} stream was cut, not ended: {e}"));
        assert!(body.contains("event: reconnect"), "{which}: {body:?}");
    }
}
on_both_backends!(shutdown_ends_live_streams, super::shutdown_ends_streams);
