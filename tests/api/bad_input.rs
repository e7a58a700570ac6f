//! Each kind of bad input gets the envelope, and nothing is stored.

use lantern_tests::{Backend, TestApp, on_both_backends};
use serde_json::{Value, json};

use crate::assert_envelope;

async fn message_count(app: &TestApp, token: &str, id: &str) -> usize {
    let page: Value = app
        .get_auth(
            &format!("/api/v1/conversations/{id}/messages?limit=100"),
            token,
        )
        .await
        .json()
        .await
        .expect("json");
    page["items"].as_array().expect("items").len()
}

async fn refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let id = app.conversation_id(&visitor).await;
    let path = app.url(&format!("/api/v1/conversations/{id}/messages"));
    let before = message_count(&app, &visitor, &id).await;
    let raw = |body: Vec<u8>, content_type: &str| {
        app.client
            .post(&path)
            .bearer_auth(&visitor)
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    let res = raw(b"{\"content\": ".to_vec(), "application/json")
        .await
        .expect("sent");
    assert_envelope(res, 400, "validation_failed").await;
    let res = raw(b"{\"content\": \"hi\"}".to_vec(), "text/plain")
        .await
        .expect("sent");
    assert_envelope(res, 415, "unsupported_media_type").await;
    let res = raw(b"content=hi".to_vec(), "application/x-www-form-urlencoded")
        .await
        .expect("sent");
    assert_envelope(res, 415, "unsupported_media_type").await;
    for content in ["", "   \n ", &"x".repeat(4001)] {
        let body = serde_json::to_vec(&json!({"content": content})).expect("json");
        let env = assert_envelope(
            raw(body, "application/json").await.expect("sent"),
            400,
            "validation_failed",
        )
        .await;
        assert_eq!(env["details"][0]["field"], "content", "{env}");
    }
    let ok_limit =
        serde_json::to_vec(&json!({"content": "é".repeat(4000), "client_message_id": "edge"}))
            .expect("json");
    // The server answers 413 without reading the rest and drops the
    // connection: send it on a connection of its own.
    let oversized = serde_json::to_vec(&json!({"content": "x".repeat(70_000)})).expect("json");
    let res = reqwest::Client::new()
        .post(&path)
        .bearer_auth(&visitor)
        .header("content-type", "application/json")
        .body(oversized)
        .send()
        .await
        .expect("sent");
    assert_envelope(res, 413, "payload_too_large").await;
    let body = serde_json::to_vec(&json!({"content": "hi", "colour": "red"})).expect("json");
    let env = assert_envelope(
        raw(body, "application/json").await.expect("sent"),
        400,
        "validation_failed",
    )
    .await;
    assert!(
        env["message"].as_str().expect("message").contains("colour"),
        "{env}"
    );
    let body = serde_json::to_vec(&json!({"content": 42})).expect("json");
    assert_envelope(
        raw(body, "application/json").await.expect("sent"),
        400,
        "validation_failed",
    )
    .await;
    let body = serde_json::to_vec(&json!({"content": "hi", "client_message_id": "has spaces"}))
        .expect("json");
    assert_envelope(
        raw(body, "application/json").await.expect("sent"),
        400,
        "validation_failed",
    )
    .await;
    let body =
        serde_json::to_vec(&json!({"content": "hi", "language": "not a language"})).expect("json");
    assert_envelope(
        raw(body, "application/json").await.expect("sent"),
        400,
        "validation_failed",
    )
    .await;

    assert_eq!(
        message_count(&app, &visitor, &id).await,
        before,
        "nothing was stored"
    );
    // The longest allowed content (in characters, not bytes) is accepted.
    assert_eq!(
        raw(ok_limit, "application/json")
            .await
            .expect("sent")
            .status(),
        201
    );

    // Unknown and garbage ids are 404, never 500.
    let unknown = "0190f5f4-0000-7000-8000-000000000000";
    for p in [
        format!("/api/v1/conversations/{unknown}"),
        "/api/v1/conversations/not-a-uuid".to_string(),
        "/api/v1/conversations/%27%20OR%201=1--".to_string(),
        format!("/api/v1/conversations/{unknown}/messages"),
    ] {
        assert_envelope(app.get_auth(&p, &visitor).await, 404, "not_found").await;
    }
    assert_envelope(
        app.post_json(
            &format!("/api/v1/messages/{unknown}/feedback"),
            &visitor,
            &json!({"rating": "up"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_envelope(app.get("/api/v1/no/such/route").await, 404, "not_found").await;
    // Bad query strings.
    for q in [
        "limit=0",
        "limit=101",
        "limit=abc",
        "status=sleeping",
        "cursor=xyz",
    ] {
        assert_envelope(
            app.get_auth(&format!("/api/v1/conversations?{q}"), &site.admin_key)
                .await,
            400,
            "validation_failed",
        )
        .await;
    }
    // Metadata must be a small object.
    let res = app
        .post_json(
            "/api/v1/conversations",
            &visitor,
            &json!({"metadata": [1, 2]}),
        )
        .await;
    assert_envelope(res, 400, "validation_failed").await;
    let res = app
        .post_json(
            "/api/v1/conversations",
            &visitor,
            &json!({"metadata": {"blob": "x".repeat(5000)}}),
        )
        .await;
    assert_envelope(res, 400, "validation_failed").await;
    let listed: Value = app
        .get_auth("/api/v1/conversations", &visitor)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        listed["items"].as_array().expect("items").len(),
        1,
        "no conversation was created"
    );
}
on_both_backends!(bad_input_is_refused, super::refused);

/// A NUL (`\u0000`) in any JSON text — nested metadata values and keys,
/// content, titles — or in a query parameter is a 400 naming the field, on
/// both backends alike (Postgres cannot store it; it used to answer 500).
async fn nul_characters(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    let id = app.conversation_id(&visitor).await;
    let before = message_count(&app, &visitor, &id).await;
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (
            "/api/v1/conversations",
            visitor.as_str(),
            json!({"metadata": {"plan": {"name": "pro\u{0}"}}}),
            "metadata.plan.name",
        ),
        (
            "/api/v1/conversations",
            visitor.as_str(),
            json!({"metadata": {"tags": ["a", "b\u{0}"]}}),
            "metadata.tags[1]",
        ),
        (
            "/api/v1/conversations",
            visitor.as_str(),
            json!({"initial_message": "hi\u{0}"}),
            "initial_message",
        ),
        (
            "/api/v1/knowledge/documents",
            site.admin_key.as_str(),
            json!({"title": "Ti\u{0}tle", "body": "Some text."}),
            "title",
        ),
    ];
    let messages = format!("/api/v1/conversations/{id}/messages");
    let mut all = cases;
    all.push((
        messages.as_str(),
        visitor.as_str(),
        json!({"content": "a\u{0}b"}),
        "content",
    ));
    for (path, token, body, field) in all {
        let res = app.post_json(path, token, &body).await;
        let body = assert_envelope(res, 400, "validation_failed").await;
        assert_eq!(body["details"][0]["field"], field, "{path}: {body}");
    }
    let res = app
        .client
        .get(app.url(&format!(
            "/api/v1/sites/{}/knowledge/search?q=ab%00c",
            site.id
        )))
        .send()
        .await
        .expect("sent");
    let body = assert_envelope(res, 400, "validation_failed").await;
    assert_eq!(body["details"][0]["field"], "q", "{body}");
    assert_eq!(message_count(&app, &visitor, &id).await, before);
}
on_both_backends!(nul_characters_are_refused, super::nul_characters);

/// A body that is JSON but not an object (serde would read a struct from
/// an array of its fields) is refused, and nothing is created.
async fn non_object_bodies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let site = app.site().await;
    let visitor = app.visitor(&site.id).await;
    for body in ["[null, null]", "[\"fr\"]", "\"text\"", "42", "null"] {
        let res = app
            .client
            .post(app.url("/api/v1/conversations"))
            .bearer_auth(&visitor)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("sent");
        assert_envelope(res, 400, "validation_failed").await;
    }
    let page: Value = app
        .get_auth("/api/v1/conversations", &visitor)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0), "{page}");
}
on_both_backends!(non_object_bodies_are_refused, super::non_object_bodies);
