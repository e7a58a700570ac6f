use lantern_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

/// The whole story: welcome flow, first exchange, replies, handoff, close.
async fn story(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;

    let res = app
        .post_json(
            "/api/v1/conversations",
            &visitor,
            &json!({"language": "en", "initial_message": "Hello **there**", "metadata": {"page": "/pricing"}}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let conv: Value = res.json().await.expect("json");
    let id = conv["id"].as_str().expect("id").to_string();
    assert_eq!(conv["status"], "open");
    assert_eq!(conv["site_id"], site.id.as_str());
    assert_eq!(conv["metadata"]["page"], "/pricing");
    let messages = conv["messages"].as_array().expect("messages");
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().expect("role"))
        .collect();
    assert_eq!(
        roles,
        ["assistant", "user", "assistant"],
        "welcome, question, reply"
    );
    let seqs: Vec<i64> = messages
        .iter()
        .map(|m| m["seq"].as_i64().expect("seq"))
        .collect();
    assert_eq!(seqs, [1, 2, 3]);
    assert_eq!(messages[1]["html"], "<p>Hello <strong>there</strong></p>\n");

    let res = app
        .post_json(
            &format!("/api/v1/conversations/{id}/messages"),
            &visitor,
            &json!({"content": "How much?"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let posted: Value = res.json().await.expect("json");
    assert_eq!(posted["message"]["seq"], 4);
    assert_eq!(posted["message"]["role"], "user");
    assert_eq!(posted["reply"]["seq"], 5);
    assert_eq!(posted["reply"]["role"], "assistant");

    let fetched: Value = app
        .get_auth(&format!("/api/v1/conversations/{id}"), &visitor)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(fetched["id"], id.as_str());

    // A human takes over: the bot stops answering, an agent replies.
    let res = app
        .post_json(
            &format!("/api/v1/conversations/{id}/handoff"),
            &visitor,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.expect("json")["status"],
        "handoff"
    );
    let posted: Value = app
        .post_json(
            &format!("/api/v1/conversations/{id}/messages"),
            &visitor,
            &json!({"content": "Anyone?"}),
        )
        .await
        .json()
        .await
        .expect("json");
    assert!(
        posted["reply"].is_null(),
        "no bot reply during handoff: {posted}"
    );
    let res = app
        .post_json(
            &format!("/api/v1/conversations/{id}/messages"),
            &site.admin_key,
            &json!({"content": "Hi, Sam here.", "role": "agent"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(
        res.json::<Value>().await.expect("json")["message"]["role"],
        "agent"
    );

    let res = app
        .post_json(
            &format!("/api/v1/conversations/{id}/close"),
            &visitor,
            &json!({}),
        )
        .await;
    assert_eq!(res.json::<Value>().await.expect("json")["status"], "closed");
    let res = app
        .post_json(
            &format!("/api/v1/conversations/{id}/messages"),
            &visitor,
            &json!({"content": "late"}),
        )
        .await;
    crate::assert_envelope(res, 409, "conflict").await;

    // Transcript: welcome, 3 exchanges' worth of posts and replies, the agent: seq 1..7, in pages of 3.
    let mut seqs = Vec::new();
    let mut after = 0;
    loop {
        let page: Value = app
            .get_auth(
                &format!("/api/v1/conversations/{id}/messages?after={after}&limit=3"),
                &visitor,
            )
            .await
            .json()
            .await
            .expect("json");
        for m in page["items"].as_array().expect("items") {
            seqs.push(m["seq"].as_i64().expect("seq"));
        }
        match page["next_cursor"].as_str() {
            Some(c) => after = c.parse().expect("numeric cursor"),
            None => break,
        }
    }
    assert_eq!(seqs, (1..=7).collect::<Vec<_>>());
}
on_both_backends!(full_story, super::story);

/// Admin listing: newest first, cursor pages, status filter; visitors see their own.
async fn listing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let a = app.visitor(&site.id).await;
    let b = app.visitor(&site.id).await;
    let mut ids = Vec::new();
    for token in [&a, &a, &b, &a, &b] {
        ids.push(
            app.conversation(token).await["id"]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }
    app.post_json(
        &format!("/api/v1/conversations/{}/handoff", ids[1]),
        &a,
        &json!({}),
    )
    .await;

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("/api/v1/conversations?limit=2&cursor={c}"),
            None => "/api/v1/conversations?limit=2".to_string(),
        };
        let page: Value = app
            .get_auth(&q, &site.admin_key)
            .await
            .json()
            .await
            .expect("json");
        for c in page["items"].as_array().expect("items") {
            seen.push(c["id"].as_str().expect("id").to_string());
        }
        cursor = page["next_cursor"].as_str().map(str::to_string);
        if cursor.is_none() {
            break;
        }
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let handoff: Value = app
        .get_auth("/api/v1/conversations?status=handoff", &site.admin_key)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(handoff["items"].as_array().expect("items").len(), 1);
    assert_eq!(handoff["items"][0]["id"], ids[1].as_str());

    let own: Value = app
        .get_auth("/api/v1/conversations", &b)
        .await
        .json()
        .await
        .expect("json");
    let own: Vec<&str> = own["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["id"].as_str().expect("id"))
        .collect();
    assert_eq!(own, [ids[4].as_str(), ids[2].as_str()]);
}
on_both_backends!(list_and_paginate, super::listing);

/// The demo site exists on a fresh database, with a cacheable public config.
async fn demo_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app.get("/api/v1/sites/demo/config").await;
    assert_eq!(res.status(), 200);
    let cache = res.headers()["cache-control"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(cache.contains("s-maxage="), "{cache}");
    let config: Value = res.json().await.expect("json");
    assert_eq!(config["site_id"], "demo");
    assert!(
        config["welcome_message"]
            .as_str()
            .is_some_and(|w| !w.is_empty())
    );
    crate::assert_envelope(app.get("/api/v1/sites/nope/config").await, 404, "not_found").await;
}
on_both_backends!(demo_site_is_created, super::demo_site);

/// Feedback on assistant messages only; a second vote replaces the first.
async fn feedback(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let conv = app.conversation(&visitor).await;
    let welcome = conv["messages"][0]["id"].as_str().expect("welcome id");
    let res = app
        .post_json(
            &format!("/api/v1/messages/{welcome}/feedback"),
            &visitor,
            &json!({"rating": "up"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post_json(
            &format!("/api/v1/messages/{welcome}/feedback"),
            &visitor,
            &json!({"rating": "down", "comment": "not helpful"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.expect("json")["rating"], "down");

    let id = conv["id"].as_str().expect("id");
    let posted: Value = app
        .post_json(
            &format!("/api/v1/conversations/{id}/messages"),
            &visitor,
            &json!({"content": "hi"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let own = posted["message"]["id"].as_str().expect("id");
    let res = app
        .post_json(
            &format!("/api/v1/messages/{own}/feedback"),
            &visitor,
            &json!({"rating": "up"}),
        )
        .await;
    crate::assert_envelope(res, 400, "validation_failed").await;
    let res = app
        .post_json(
            &format!("/api/v1/messages/{welcome}/feedback"),
            &visitor,
            &json!({"rating": "meh"}),
        )
        .await;
    crate::assert_envelope(res, 400, "validation_failed").await;
}
on_both_backends!(feedback_on_answers, super::feedback);

/// The spec covers every route, and the docs page renders it.
async fn openapi(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let spec: Value = app.get("/openapi.json").await.json().await.expect("json");
    let paths = spec["paths"].as_object().expect("paths");
    for (path, method) in [
        ("/api/v1/sites/{site_id}/config", "get"),
        ("/api/v1/sites/{site_id}/visitors", "post"),
        ("/api/v1/conversations", "post"),
        ("/api/v1/conversations", "get"),
        ("/api/v1/conversations/{id}", "get"),
        ("/api/v1/conversations/{id}/messages", "get"),
        ("/api/v1/conversations/{id}/messages", "post"),
        ("/api/v1/conversations/{id}/events", "get"),
        ("/api/v1/conversations/{id}/handoff", "post"),
        ("/api/v1/conversations/{id}/close", "post"),
        ("/api/v1/messages/{id}/feedback", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    let docs = app.get("/docs").await;
    assert_eq!(docs.status(), 200);
    assert!(
        docs.text()
            .await
            .expect("text")
            .contains("/api/v1/conversations/{id}/messages")
    );
}
on_both_backends!(openapi_covers_routes, super::openapi);
